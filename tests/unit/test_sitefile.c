/* test_sitefile.c - the one resolver for paths and URLs from content:
 * confinement to the site (and the editorial's folder), symbolic links
 * leading out, ".." above the root, image signatures, the URL filter. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "markdown.h"
#include "sitefile.h"
#include "siteurl.h"
#include "unit.h"
#include "util.h"

static char top[] = "/tmp/test_sitefile.XXXXXX";
static char *site, *issue;

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
	'\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2 };
static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J',
	'F', 'I', 'F', 0 };

static void
put(const char *rel, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", top, rel), *dir = path_dirname(p);
	char *cmd = xasprintf("mkdir -p '%s'", dir);

	if (system(cmd) != 0 || write_file_atomic(p, data, n, 0644) != 0)
		printf("FAIL setup: cannot write %s\n", p);
	free(cmd);
	free(dir);
	free(p);
}

static void
link_to(const char *target, const char *rel)
{
	char *p = xasprintf("%s/%s", top, rel);

	if (symlink(target, p) != 0)
		printf("FAIL setup: cannot link %s\n", p);
	free(p);
}

/* The status of link in the page at source; *found (when not NULL) the
 * real path relative to top, or "". */
static int
find(const struct sitefile *sf, const char *source, const char *link,
	enum sitefile_kind kind, char found[256])
{
	char *real = NULL;
	int st = sitefile_find(sf, source, link, kind, &real, NULL);

	if (found) {
		found[0] = '\0';
		if (real && str_starts(real, top))
			snprintf(found, 256, "%s", real + strlen(top));
	}
	CHECK((st == SITEFILE_OK) == (real != NULL));
	free(real);
	return st;
}

static void
test_inside(void)
{
	struct sitefile sf;
	char f[256];

	sitefile_init(&sf, site, NULL);
	CHECK_INT(find(&sf, "blog/x/index.md", "cover.png", SITEFILE_IMAGE, f),
		SITEFILE_OK);
	CHECK_STR(f, "/site/blog/x/cover.png");
	/* ".." that stays in the site, percent-encoding, "?" and "#" */
	CHECK_INT(find(&sf, "blog/x/index.md", "../y/%70hoto.jpg?v=2#top",
		SITEFILE_IMAGE, f), SITEFILE_OK);
	CHECK_STR(f, "/site/blog/y/photo.jpg");
	/* an absolute path is the site's: the root, then Hugo's static/ */
	CHECK_INT(find(&sf, "blog/x/index.md", "/blog/x/cover.png",
		SITEFILE_IMAGE, f), SITEFILE_OK);
	CHECK_STR(f, "/site/blog/x/cover.png");
	CHECK_INT(find(&sf, "blog/x/index.md", "/images/logo.png",
		SITEFILE_IMAGE, f), SITEFILE_OK);
	CHECK_STR(f, "/site/static/images/logo.png");
	/* a symbolic link that stays in the site is followed */
	CHECK_INT(find(&sf, "blog/x/index.md", "alias.png", SITEFILE_IMAGE, f),
		SITEFILE_OK);
	CHECK_STR(f, "/site/blog/x/cover.png");
	/* missing, and what is not a file */
	CHECK_INT(find(&sf, "blog/x/index.md", "nope.png", SITEFILE_IMAGE, f),
		SITEFILE_MISSING);
	CHECK_INT(find(&sf, "blog/x/index.md", "https://example.org/a.png",
		SITEFILE_IMAGE, NULL), SITEFILE_MISSING);
	CHECK_INT(find(&sf, "blog/x/index.md", "//cdn.example.org/a.png",
		SITEFILE_IMAGE, NULL), SITEFILE_MISSING);
	CHECK_INT(find(&sf, "blog/x/index.md", "#top", SITEFILE_IMAGE, NULL),
		SITEFILE_MISSING);
	CHECK_INT(find(&sf, "blog/x/index.md", "", SITEFILE_IMAGE, NULL),
		SITEFILE_MISSING);
	/* a folder is a page, never an image */
	CHECK_INT(find(&sf, "blog/x/index.md", "../y", SITEFILE_IMAGE, NULL),
		SITEFILE_MISSING);
	CHECK_INT(find(&sf, "blog/x/index.md", "../y/", SITEFILE_PAGE, f),
		SITEFILE_OK);
	CHECK_STR(f, "/site/blog/y");
	CHECK_INT(find(&sf, NULL, "/post/z", SITEFILE_PAGE, f), SITEFILE_OK);
	CHECK_STR(f, "/site/content/post/z.md");
	sitefile_free(&sf);
}

static void
test_outside(void)
{
	struct sitefile sf;

	sitefile_init(&sf, site, NULL);
	/* a symbolic link to the secret, a link to a folder outside */
	CHECK_INT(find(&sf, "blog/x/index.md", "secret.png", SITEFILE_IMAGE,
		NULL), SITEFILE_OUTSIDE);
	CHECK_INT(find(&sf, "blog/x/index.md", "out/outside.png",
		SITEFILE_IMAGE, NULL), SITEFILE_OUTSIDE);
	CHECK_INT(find(&sf, "blog/x/index.md", "out/outside.png",
		SITEFILE_PAGE, NULL), SITEFILE_OUTSIDE);
	/* ".." above the root, however spelled */
	CHECK_INT(find(&sf, "blog/x/index.md", "../../../private/outside.png",
		SITEFILE_IMAGE, NULL), SITEFILE_OUTSIDE);
	CHECK_INT(find(&sf, "blog/x/index.md", "%2e%2e/%2E%2E/..%2fprivate/"
		"outside.png", SITEFILE_IMAGE, NULL), SITEFILE_OUTSIDE);
	CHECK_INT(find(&sf, NULL, "/../private/outside.png", SITEFILE_IMAGE,
		NULL), SITEFILE_OUTSIDE);
	/* an absolute path never names the machine's file */
	{
		char *abs = xasprintf("%s/private/outside.png", top);
		CHECK_INT(find(&sf, "blog/x/index.md", abs, SITEFILE_IMAGE,
			NULL), SITEFILE_MISSING);
		free(abs);
	}
	/* a page link climbing above the root stays at the root (only a
	 * URL is made of it), but not through a link leading out */
	CHECK_INT(find(&sf, NULL, "../blog/y/", SITEFILE_PAGE, NULL),
		SITEFILE_OK);
	CHECK_INT(find(&sf, "blog/x/index.md", "secret.png", SITEFILE_PAGE,
		NULL), SITEFILE_OUTSIDE);
	/* no site root: nothing is found */
	sitefile_free(&sf);
	sitefile_init(&sf, NULL, NULL);
	CHECK_INT(find(&sf, "blog/x/index.md", "cover.png", SITEFILE_IMAGE,
		NULL), SITEFILE_MISSING);
	sitefile_free(&sf);
}

static void
test_editorial(void)
{
	struct sitefile sf;
	char f[256], *real = NULL;
	bool local = false;

	sitefile_init(&sf, site, issue);
	/* beside issue.md first, then the site */
	CHECK_INT(sitefile_find(&sf, NULL, "photo.png", SITEFILE_IMAGE, &real,
		&local), SITEFILE_OK);
	CHECK(local && real && str_ends(real, "/issues/2030-01/photo.png"));
	free(real);
	CHECK_INT(find(&sf, NULL, "blog/x/cover.png", SITEFILE_IMAGE, f),
		SITEFILE_OK);
	CHECK_STR(f, "/site/blog/x/cover.png");
	/* a link beside issue.md leading out of both */
	CHECK_INT(find(&sf, NULL, "evil.png", SITEFILE_IMAGE, NULL),
		SITEFILE_OUTSIDE);
	/* above the issue's folder */
	CHECK_INT(find(&sf, NULL, "../2029-12/photo.png", SITEFILE_IMAGE, NULL),
		SITEFILE_OUTSIDE);
	sitefile_free(&sf);
}

static void
test_signatures(void)
{
	struct sitefile sf;
	const char *type;
	char *data = NULL, *p;
	size_t len;

	CHECK_STR(sitefile_sniff(png, sizeof(png)), "image/png");
	CHECK_STR(sitefile_sniff(jpeg, sizeof(jpeg)), "image/jpeg");
	CHECK_STR(sitefile_sniff("GIF89a\1\0\1\0", 10), "image/gif");
	CHECK_STR(sitefile_sniff("RIFF\0\0\0\0WEBPVP8 ", 16), "image/webp");
	CHECK(sitefile_sniff("\x89PN", 3) == NULL);
	CHECK(sitefile_sniff("hello, world", 12) == NULL);
	CHECK_STR(sitefile_image_type("a/b.PNG"), "image/png");
	CHECK_STR(sitefile_image_type("b.jpeg"), "image/jpeg");
	CHECK(sitefile_image_type("b.svg") == NULL);
	CHECK(sitefile_image_type("x.png/readme") == NULL);

	sitefile_init(&sf, site, NULL);
	/* a text file named .png is refused; an SVG is not sniffed */
	CHECK_INT(find(&sf, "blog/x/index.md", "fake.png", SITEFILE_IMAGE,
		NULL), SITEFILE_NOT_IMAGE);
	CHECK_INT(find(&sf, "blog/x/index.md", "drawing.svg", SITEFILE_IMAGE,
		NULL), SITEFILE_OK);
	/* a JPEG named .png is an image: its bytes say which */
	p = xasprintf("%s/site/blog/y/photo-as.png", top);
	CHECK_INT(sitefile_read_image(p, 1000, &type, &data, &len), SITEFILE_OK);
	CHECK_STR(type, "image/jpeg");
	CHECK_INT(len, sizeof(jpeg));
	free(data);
	free(p);
	p = xasprintf("%s/site/blog/x/cover.png", top);
	CHECK_INT(sitefile_read_image(p, 10, &type, &data, &len),
		SITEFILE_TOO_LARGE);
	CHECK(data == NULL);
	free(p);
	/* read_image never follows a symbolic link it is given */
	p = xasprintf("%s/site/blog/x/alias.png", top);
	CHECK_INT(sitefile_read_image(p, 1000, &type, &data, &len),
		SITEFILE_MISSING);
	free(p);
	p = xasprintf("%s/site/blog/x/fake.png", top);
	CHECK_INT(sitefile_read_image(p, 1000, &type, &data, &len),
		SITEFILE_NOT_IMAGE);
	free(p);
	p = xasprintf("%s/site/blog/x/drawing.svg", top);
	CHECK_INT(sitefile_read_image(p, 1000, &type, &data, &len),
		SITEFILE_MISSING);
	free(p);
	sitefile_free(&sf);
}

static void
test_urls(void)
{
	static const char *const bad[] = { "javascript:alert(1)",
		"JaVaScRiPt:alert(1)", " javascript:x", "java\tscript:x",
		"java\nscript:x", "\x01javascript:x", "vbscript:msgbox(1)",
		"data:image/png;base64,AAAA", "DATA:text/html,x", "file:///etc/passwd",
		NULL };
	static const char *const good[] = { "https://example.org/a.png",
		"http://example.org/a.png", "cover.png", "/images/a.png",
		"//cdn.example.org/a.png", "a:b/c.png", "mailto:x@example.org",
		"#top", "", NULL };
	char *u;

	for (int i = 0; bad[i]; i++) {
		CHECK(!siteurl_safe(bad[i]));
		CHECK(sitefile_image_url("https://example.org/", "blog/x/index.md",
			bad[i]) == NULL);
	}
	for (int i = 0; good[i]; i++)
		CHECK(siteurl_safe(good[i]));
	u = sitefile_image_url("https://example.org/", "blog/x/index.md",
		"cover.png");
	CHECK_STR(u, "https://example.org/blog/x/cover.png");
	free(u);
	u = sitefile_image_url("https://example.org/", "blog/x/index.md",
		"//cdn.example.org/a.png");
	CHECK_STR(u, "https://cdn.example.org/a.png");
	free(u);
	u = sitefile_image_url("https://example.org/", "blog/x/index.md",
		"/images/a.png");
	CHECK_STR(u, "https://example.org/images/a.png");
	free(u);
	/* not http or https: no image URL */
	CHECK(sitefile_image_url("https://example.org/", "b/x.md",
		"mailto:x@example.org") == NULL);
	CHECK(sitefile_image_url("https://example.org/", "b/x.md", "") == NULL);
	CHECK(siteurl_is_path("cover.png") && siteurl_is_path("/a/b.png") &&
		siteurl_is_path("../x.png"));
	CHECK(!siteurl_is_path("https://x/a.png") && !siteurl_is_path("//x/a") &&
		!siteurl_is_path("#a") && !siteurl_is_path("?a") &&
		!siteurl_is_path(""));
}

/* Markdown goes through the same resolver: what leaves the site is left
 * out (its alt text kept), said once in o.refused. */
static void
test_markdown(void)
{
	struct md_opts o = { .base_url = "https://example.org/",
		.site_root = site, .source = "blog/x/index.md",
		.file = "blog/x/index.md", .first_line = 1 };
	struct diags w = { 0 }, refused = { 0 };
	struct md_doc d;

	o.refused = &refused;
	md_render("![Clé](secret.png) ![Clé](secret.png)\n\n"
		"![Faux](fake.png)\n\n[lien](out/outside.png)\n\n"
		"![Vrai](cover.png)\n", &o, &d, &w);
	CHECK_INT(refused.n, 3);
	if (refused.n == 3) {
		CHECK_STR(refused.v[0].msg, "image \"secret.png\" leaves the site "
			"(\"..\" or a symbolic link leading out of it); left out");
		CHECK_INT(refused.v[0].line, 1);
		CHECK_STR(refused.v[1].msg, "image \"fake.png\" is not a PNG, JPEG, "
			"GIF or WebP file (by its first bytes); left out");
		CHECK_INT(refused.v[1].line, 3);
		CHECK_STR(refused.v[2].msg, "link \"out/outside.png\" leaves the "
			"site (\"..\" or a symbolic link leading out of it); left out");
	}
	CHECK_INT(w.n, 0);
	CHECK(!strstr(d.html, "secret") && !strstr(d.html, "fake") &&
		!strstr(d.html, "outside"));
	CHECK(strstr(d.html, "Clé") && strstr(d.html, "lien"));
	CHECK_INT(d.nimages, 1);
	if (d.nimages == 1)
		CHECK(d.images[0].local && str_ends(d.images[0].local,
			"/site/blog/x/cover.png"));
	md_doc_free(&d);
	diags_free(&w);
	diags_free(&refused);
}

int
main(void)
{
	if (!mkdtemp(top)) {
		printf("FAIL setup: mkdtemp\n");
		return 1;
	}
	site = xasprintf("%s/site", top);
	issue = xasprintf("%s/issues/2030-01", top);
	put("site/blog/x/index.md", "x\n", 2);
	put("site/blog/x/cover.png", png, sizeof(png));
	put("site/blog/x/fake.png", "not a picture\n", 14);
	put("site/blog/x/drawing.svg", "<svg/>\n", 7);
	put("site/blog/y/photo.jpg", jpeg, sizeof(jpeg));
	put("site/blog/y/photo-as.png", jpeg, sizeof(jpeg));
	put("site/static/images/logo.png", png, sizeof(png));
	put("site/content/post/z.md", "z\n", 2);
	put("private/outside.png", png, sizeof(png));
	put("subscribers/secret.key", "0123456789abcdef\n", 17);
	put("issues/2030-01/issue.md", "---\n---\n", 8);
	put("issues/2030-01/photo.png", png, sizeof(png));
	put("issues/2029-12/photo.png", png, sizeof(png));
	link_to("cover.png", "site/blog/x/alias.png");
	link_to("../../../subscribers/secret.key", "site/blog/x/secret.png");
	link_to("../../../private", "site/blog/x/out");
	link_to("../../subscribers/secret.key", "issues/2030-01/evil.png");

	RUN(test_inside);
	RUN(test_outside);
	RUN(test_editorial);
	RUN(test_signatures);
	RUN(test_urls);
	RUN(test_markdown);

	{
		char *cmd = xasprintf("rm -rf '%s'", top);
		if (system(cmd) != 0)
			printf("FAIL cleanup\n");
		free(cmd);
	}
	free(site);
	free(issue);
	return 0;
}
