/* fuzz_frontmatter.c - libFuzzer target for what a content file's front
 * matter gives: the split and YAML parse (fm_parse), the item read from it
 * (content_read), and the paths and URLs it names going through the one
 * resolver (sitefile.h). No crash, no leak, no hang, and on any input:
 * fm_parse fails with exactly one diagnostic or none; a file left out says
 * why, with printable text on a line of the input; an item has a title and
 * an http(s) page URL; the image URL made from image: is http(s) and never
 * one with a dangerous scheme; and whatever path image: or a Markdown image
 * or link in the description names, a file found is under the site's real
 * root, never the secret outside it that the site's symbolic links and
 * ".." point at. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "content.h"
#include "frontmatter.h"
#include "markdown.h"
#include "sitefile.h"
#include "siteurl.h"
#include "util.h"

static char top[] = "/tmp/fuzz_frontmatter.XXXXXX";
static char *site_root, *root_real;
static struct config cfg;
static struct sitefile sf;

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
	'\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2 };

static void
put(const char *rel, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", top, rel), *dir = path_dirname(p);
	char *cmd = xasprintf("mkdir -p '%s'", dir);

	if (system(cmd) != 0 || write_file_atomic(p, data, n, 0644) != 0)
		abort();
	free(cmd);
	free(dir);
	free(p);
}

static void
link_to(const char *target, const char *rel)
{
	char *p = xasprintf("%s/%s", top, rel);

	if (symlink(target, p) != 0)
		abort();
	free(p);
}

static void
cleanup(void)
{
	char *cmd = xasprintf("rm -rf '%s'", top);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
	free(cmd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(top))
		abort();
	atexit(cleanup);
	put("site/blog/x/index.md", "x\n", 2);
	put("site/blog/x/cover.png", png, sizeof(png));
	put("site/blog/x/fake.png", "text\n", 5);
	put("site/static/logo.png", png, sizeof(png));
	put("outside/secret.png", png, sizeof(png));
	link_to("../../../outside/secret.png", "site/blog/x/leak.png");
	link_to("../../../outside", "site/blog/x/out");
	link_to("cover.png", "site/blog/x/alias.png");
	site_root = xasprintf("%s/site", top);
	root_real = realpath(site_root, NULL);
	if (!root_real)
		abort();
	cfg.site.root = site_root;
	cfg.site.base_url = "https://example.org/";
	cfg.newsletter.language = "fr";
	sitefile_init(&sf, site_root, NULL);
	return 0;
}

static int
printable(const char *s)
{
	if (!s || !*s || !utf8_valid(s, strlen(s), NULL))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127)
			return 0;
	return 1;
}

static int
is_http(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
		strncasecmp(u, "https://", 8) == 0;
}

/* Is real under the site's real root, and not the secret? */
static void
check_inside(const char *real)
{
	size_t n = strlen(root_real);

	if (strncmp(real, root_real, n) != 0 || (real[n] && real[n] != '/') ||
	    strstr(real, "/outside/"))
		abort();
}

/* Is there an href="…" or src="…" whose scheme is one we drop? */
static int
bad_attr(const char *html)
{
	static const char *const attrs[] = { "href=\"", "src=\"", NULL };
	static const char *const bad[] = { "javascript:", "vbscript:", "data:",
		"file:", NULL };

	for (int a = 0; attrs[a]; a++)
		for (const char *p = html; (p = strstr(p, attrs[a])); p++) {
			const char *v = p + strlen(attrs[a]);
			for (int b = 0; bad[b]; b++)
				if (strncasecmp(v, bad[b], strlen(bad[b])) == 0)
					return 1;
		}
	return 0;
}

static void
check_diags(const struct diags *d, long nlines)
{
	for (size_t i = 0; i < d->n; i++) {
		char *m = sanitize(d->v[i].msg);
		if (!d->v[i].file || strcmp(d->v[i].file, "fuzz.md") != 0 ||
		    d->v[i].line < 0 || d->v[i].line > nlines + 1 ||
		    d->v[i].col < 0 || !printable(m))
			abort();
		free(m);
	}
}

static void
check_image(const struct item *it)
{
	char *url, *real = NULL;
	int st;

	url = sitefile_image_url(cfg.site.base_url, it->source, it->image);
	if (url && (!is_http(url) || !siteurl_safe(it->image)))
		abort();
	free(url);
	if (!siteurl_is_path(it->image))
		return;
	st = sitefile_find(&sf, it->source, it->image, SITEFILE_IMAGE, &real,
		NULL);
	if ((st == SITEFILE_OK) != (real != NULL))
		abort();
	if (real)
		check_inside(real);
	free(real);
}

static void
check_description(const struct item *it)
{
	struct md_opts o;
	struct md_doc doc;
	struct diags w = { NULL, 0, 0 };

	memset(&o, 0, sizeof(o));
	o.base_url = cfg.site.base_url;
	o.site_root = site_root;
	o.source = it->source;
	o.file = it->path;
	o.first_line = it->description_line;
	md_render(it->description, &o, &doc, &w);
	if (bad_attr(doc.html))
		abort();
	for (size_t i = 0; i < doc.nimages; i++)
		if (doc.images[i].local)
			check_inside(doc.images[i].local);
	md_doc_free(&doc);
	diags_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct diags d = { NULL, 0, 0 };
	struct fm fm;
	struct item it;
	long nlines = 1;
	int rc;

	/* lines end with LF, CRLF or a lone CR (YAML's line breaks) */
	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n' || (data[i] == '\r' &&
		    (i + 1 == size || data[i + 1] != '\n'));

	/* the split and the parse: one diagnostic on failure, none else */
	rc = fm_parse("fuzz.md", s, size, &fm, &d);
	if (rc == 0) {
		if (d.n != 0 || fm.body_off > size || fm.body_line < 1)
			abort();
		fm_free(&fm);
	} else if (rc != EX_DATAERR || d.n != 1) {
		abort();
	}
	check_diags(&d, nlines);
	diags_free(&d);

	/* the item */
	rc = content_read(&cfg, "fuzz.md", "blog/x/index.md", s, size, &it, &d);
	if (rc < -1 || rc > 1 || (rc == -1 && d.n != 1))
		abort();
	check_diags(&d, nlines);
	if (rc == 0) {
		if (!it.title || !*it.title ||
		    !utf8_valid(it.title, strlen(it.title), NULL) ||
		    !it.url || !is_http(it.url))
			abort();
		if (it.image && *it.image)
			check_image(&it);
		if (it.description)
			check_description(&it);
		item_free(&it);
	}
	diags_free(&d);
	free(s);
	return 0;
}
