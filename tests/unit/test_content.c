/* test_content.c - URL mapping, reading one content file, the scan */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "siteurl.h"
#include "unit.h"

#define BASE "https://ssphub.netlify.app/"

static char out[1024];

static const char *
url(const char *source, const char *slug, const char *u)
{
	char *s = siteurl_page(BASE, source, slug, u);

	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static const char *
resolve(const char *source, const char *link)
{
	char *s = siteurl_resolve(BASE, source, link);

	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static void
test_url_quarto(void)
{
	CHECK_STR(url("event/2026-06-jdos/index.qmd", NULL, NULL),
		BASE "event/2026-06-jdos/");
	CHECK_STR(url("blog/2026-06-llm/index.en.qmd", NULL, NULL),
		BASE "blog/2026-06-llm/index.en.html");
	CHECK_STR(url("blog/notes.qmd", NULL, NULL), BASE "blog/notes.html");
	CHECK_STR(url("blog/notes.en.qmd", NULL, NULL), BASE "blog/notes.en.html");
	CHECK_STR(url("blog/old.markdown", NULL, NULL), BASE "blog/old.html");
	CHECK_STR(url("index.qmd", NULL, NULL), BASE);
	/* a dot in a name that is no language */
	CHECK_STR(url("blog/v1.2/index.qmd", NULL, NULL), BASE "blog/v1.2/");
	CHECK_STR(url("blog/python.3.md", NULL, NULL), BASE "blog/python.3.html");
}

static void
test_url_hugo(void)
{
	CHECK_STR(url("content/post/x.md", NULL, NULL), BASE "post/x/");
	CHECK_STR(url("content/post/2026-06-duckdb/index.md", NULL, NULL),
		BASE "post/2026-06-duckdb/");
	CHECK_STR(url("content/event/2026-06-meetup/index.md", NULL, NULL),
		BASE "event/2026-06-meetup/");
	/* slug replaces the last part, url the whole path */
	CHECK_STR(url("content/post/2026-06-vscode.md", "vscode-r-python", NULL),
		BASE "post/vscode-r-python/");
	CHECK_STR(url("content/post/2026-06-duckdb/index.md", "duckdb", NULL),
		BASE "post/duckdb/");
	CHECK_STR(url("content/post/x.md", "", NULL), BASE "post/x/");
	CHECK_STR(url("content/post/x.md", "slug", "/a/propos/"),
		BASE "a/propos/");
	CHECK_STR(url("content/post/x.md", NULL, "a/propos"), BASE "a/propos");
	CHECK_STR(url("content/post/x.md", NULL, "https://ailleurs.example/x"),
		"https://ailleurs.example/x");
	/* language variants live under /LANG/ */
	CHECK_STR(url("content/post/x.en.md", NULL, NULL), BASE "en/post/x/");
	CHECK_STR(url("content/post/x/index.en.md", NULL, NULL),
		BASE "en/post/x/");
	CHECK_STR(url("content/post/x/index.pt-br.md", NULL, NULL),
		BASE "pt-br/post/x/");
	CHECK_STR(url("content/post/x.en.md", "y", NULL), BASE "en/post/y/");
}

static void
test_url_encoding(void)
{
	CHECK_STR(url("blog/Été 2026/index.qmd", NULL, NULL),
		BASE "blog/%C3%89t%C3%A9%202026/");
	CHECK_STR(url("content/post/déjà vu.md", NULL, NULL),
		BASE "post/d%C3%A9j%C3%A0%20vu/");
	CHECK_STR(url("content/post/x.md", "l'été", NULL),
		BASE "post/l'%C3%A9t%C3%A9/");
	CHECK_STR(url("content/post/x.md", NULL, "/a b/c\"d<e>/"),
		BASE "a%20b/c%22d%3Ce%3E/");
	/* what is already encoded stays as is */
	CHECK_STR(url("blog/a%20b/index.qmd", NULL, NULL), BASE "blog/a%20b/");
}

static void
test_resolve(void)
{
	const char *q = "blog/x/index.qmd";

	CHECK_STR(resolve(q, "../../event/2026-06-jdos/index.qmd"),
		BASE "event/2026-06-jdos/");
	CHECK_STR(resolve(q, "../y/index.qmd#programme"), BASE "blog/y/#programme");
	CHECK_STR(resolve(q, "../y/index.en.qmd"), BASE "blog/y/index.en.html");
	CHECK_STR(resolve(q, "./notes.qmd?x=1"), BASE "blog/x/notes.html?x=1");
	CHECK_STR(resolve(q, "image.png"), BASE "blog/x/image.png");
	CHECK_STR(resolve(q, "img/graphique été.png"),
		BASE "blog/x/img/graphique%20%C3%A9t%C3%A9.png");
	CHECK_STR(resolve(q, "../y/"), BASE "blog/y/");
	CHECK_STR(resolve(q, "/images/logo.png"), BASE "images/logo.png");
	CHECK_STR(resolve(q, "../../../../etc/passwd"), BASE "etc/passwd");
	/* absolute URLs and fragments are left alone */
	CHECK_STR(resolve(q, "https://www.insee.fr/fr/accueil"),
		"https://www.insee.fr/fr/accueil");
	CHECK_STR(resolve(q, "https://example.org/a b#c"), "https://example.org/a b#c");
	CHECK_STR(resolve(q, "#programme"), "#programme");
	CHECK_STR(resolve(q, "mailto:ssphub@insee.fr"), "mailto:ssphub@insee.fr");
	CHECK_STR(resolve(q, "//cdn.example.org/x.js"), "//cdn.example.org/x.js");
	CHECK_STR(resolve(q, ""), "");

	/* Hugo: a bundle resolves in its folder; a page file is served as a
	 * folder, so its images resolve there, its links to files not */
	CHECK_STR(resolve("content/post/d/index.md", "chart.png"),
		BASE "post/d/chart.png");
	CHECK_STR(resolve("content/post/d/index.md", "../x.md"), BASE "post/x/");
	CHECK_STR(resolve("content/post/x.md", "chart.png"),
		BASE "post/x/chart.png");
	CHECK_STR(resolve("content/post/x.md", "other.md"), BASE "post/other/");
	CHECK_STR(resolve("content/post/x.md", "../event/e/index.md"),
		BASE "event/e/");
	CHECK_STR(resolve("content/post/x.md", "/images/a.png"),
		BASE "images/a.png");
}

static struct config cfg;

static void
init_config(const char *root, const char *lang)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.newsletter.language = (char *)lang;
	cfg.site.root = (char *)root;
	cfg.site.base_url = (char *)BASE;
	strlist_push(&cfg.site.posts, xstrdup("blog"));
	strlist_push(&cfg.site.posts, xstrdup("content/post"));
	strlist_push(&cfg.site.events, xstrdup("event"));
}

static int
read_str(const char *s, struct item *it, struct diags *d)
{
	return content_read(&cfg, "f.qmd", "blog/f/index.qmd", s, strlen(s),
		it, d);
}

static void
test_read(void)
{
	struct diags d = { NULL, 0, 0 };
	struct item it;
	const char *s;

	setenv("TZ", "Europe/Paris", 1);
	init_config("site", "fr");
	s = "---\ntitle: \"Journées data science & *open-source* \"\n"
		"subtitle: Deuxième édition\n"
		"description: Deux jours.\n"
		"date: 2026-06-16T09:30:00+02:00\nend_date: 2026-06-17\n"
		"location: Montrouge\nimage: affiche.png\n"
		"authors: [Ada, Lino]\ncategories: [a]\ntags: [b]\n---\nCorps\n";
	CHECK_INT(read_str(s, &it, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_STR(it.title, "Journées data science & *open-source* ");
	CHECK_STR(it.subtitle, "Deuxième édition");
	CHECK_STR(it.description, "Deux jours.");
	CHECK_STR(it.location, "Montrouge");
	CHECK_STR(it.image, "affiche.png");
	CHECK_STR(it.url, BASE "blog/f/");
	CHECK_STR(it.source, "blog/f/index.qmd");
	CHECK_STR(it.path, "f.qmd");
	CHECK_INT(it.date.day, 16);
	CHECK_INT(it.date.hour, 9);
	CHECK(it.has_end);
	CHECK_INT(it.date_end.day, 17);
	CHECK_INT(it.authors.n, 2);
	CHECK_INT(it.categories.n, 2);
	item_free(&it);

	/* summary and image.filename, Hugo style */
	s = "---\ntitle: t\nsummary: S\ndate: '2026-06-01'\n"
		"image:\n  filename: featured.png\n---\n";
	CHECK_INT(read_str(s, &it, &d), 0);
	CHECK_STR(it.description, "S");
	CHECK_STR(it.image, "featured.png");
	CHECK(!it.has_end);
	CHECK(it.subtitle == NULL);
	item_free(&it);

	/* a draft says nothing */
	CHECK_INT(read_str("---\ntitle: t\ndate: 2026-06-01\ndraft: true\n---\n",
		&it, &d), 1);
	CHECK_INT(d.n, 0);
	CHECK_INT(read_str("---\ndraft: yes\n---\n", &it, &d), 1);
	CHECK_INT(d.n, 0);
	CHECK_INT(read_str("---\ntitle: t\ndate: 2026-06-01\ndraft: false\n---\n",
		&it, &d), 0);
	item_free(&it);

	/* every bad file: one diagnostic that names it */
	CHECK_INT(read_str("---\ntitle: t\ndate: last-modified\n---\n", &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "date \"last-modified\" cannot be placed in the "
		"calendar; file left out");
	CHECK_INT(d.v[0].line, 3);
	CHECK_INT(d.v[0].col, 7);
	CHECK_STR(d.v[0].file, "f.qmd");
	diags_free(&d);
	CHECK_INT(read_str("---\ntitle: t\n---\n", &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "no date; file left out");
	diags_free(&d);
	CHECK_INT(read_str("---\ntitle: t\ndate: [2026-06-01]\n---\n", &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "date is not a single value; file left out");
	diags_free(&d);
	CHECK_INT(read_str("---\ndate: 2026-06-01\n---\n", &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "no title; file left out");
	diags_free(&d);
	CHECK_INT(read_str("---\ndate: 2026-06-01\ntitle: \"\"\n---\n", &it, &d),
		-1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "the title is empty; file left out");
	CHECK_INT(d.v[0].line, 3);
	CHECK_INT(d.v[0].col, 8);
	diags_free(&d);
	CHECK_INT(read_str("---\ndate: 2026-06-01\ntitle:\n---\n", &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "the title is empty; file left out");
	CHECK_INT(d.v[0].line, 3);
	diags_free(&d);
	CHECK_INT(read_str("---\ndate: 2026-06-01\ntitle: [Un, Deux]\n---\n", &it,
		&d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "the title is not a single value; file left out");
	CHECK_INT(d.v[0].line, 3);
	CHECK_INT(d.v[0].col, 8);
	diags_free(&d);
	CHECK_INT(read_str("---\ntitle: \"caf\xe9\"\ndate: 2026-06-01\n---\n",
		&it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "invalid UTF-8; file left out");
	CHECK_INT(d.v[0].line, 2);
	CHECK_INT(d.v[0].col, 12);
	diags_free(&d);
	CHECK_INT(content_read(&cfg, "f.qmd", "f.qmd", "---\0\n", 5, &it, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "a NUL byte; file left out");
	diags_free(&d);
	/* a bad end date is only a warning */
	CHECK_INT(read_str("---\ntitle: t\ndate: 2026-06-01\ndate_end: bientôt\n---\n",
		&it, &d), 0);
	CHECK_INT(d.n, 1);
	CHECK_INT(d.v[0].line, 4);
	CHECK(!it.has_end);
	item_free(&it);
	diags_free(&d);
	strlist_free(&cfg.site.posts);
	strlist_free(&cfg.site.events);
}

/* A small site written at run time. */
static char root[64];

static void
put(const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f) {
		printf("FAIL cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void
page(const char *rel, const char *title, const char *date)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "---\ntitle: \"%s\"\ndate: %s\n---\nCorps.\n",
		title, date);
	put(rel, buf);
}

/* The items of a collect as "SECTION SOURCE" lines. */
static const char *
collect(const char *lang, const char *month, size_t *nwarn)
{
	static char lines[4096];
	struct items items;
	struct diags d = { NULL, 0, 0 };
	struct month m;
	char *err = NULL;
	size_t off = 0;

	init_config(root, lang);
	month_parse(month, &m);
	if (content_collect(&cfg, m, &items, &d, &err) != 0) {
		snprintf(lines, sizeof(lines), "error: %s", err);
		free(err);
	} else {
		lines[0] = '\0';
		for (size_t i = 0; i < items.n; i++)
			off += (size_t)snprintf(lines + off, sizeof(lines) - off,
				"%s %s\n", content_section_name(items.v[i].section),
				items.v[i].source);
	}
	*nwarn = d.n;
	items_free(&items);
	diags_free(&d);
	strlist_free(&cfg.site.posts);
	strlist_free(&cfg.site.events);
	return lines;
}

static void
test_collect(void)
{
	size_t nw;

	snprintf(root, sizeof(root), "/tmp/test_content.XXXXXX");
	if (!mkdtemp(root)) {
		CHECK(!"mkdtemp");
		return;
	}
	setenv("TZ", "Europe/Paris", 1);
	/* the listing page of a Quarto section is no post */
	put("blog/index.qmd", "---\ntitle: Blog\nlisting: default\n---\n");
	page("blog/a/index.qmd", "A fr", "2026-06-02");
	page("blog/a/index.en.qmd", "A en", "2026-06-02");
	/* a bundle's other files and folders are its resources */
	page("blog/a/annexe.qmd", "annexe", "2026-06-02");
	page("blog/a/res/deep.md", "deep", "2026-06-02");
	/* Quarto renders nothing whose name starts with '_' */
	put("blog/_brouillon.qmd", "pas de front matter\n");
	page("blog/_partials/x/index.qmd", "partial", "2026-06-03");
	page("blog/2026/b/index.qmd", "B", "2026-06-10");
	page("blog/2026/c.md", "C", "2026-06-11");
	page("blog/2026/old.md", "old", "2026-05-31");
	/* Hugo: only _index.* is a section page */
	page("content/post/_index.md", "Posts", "2026-06-01");
	page("content/post/_notes.md", "Notes", "2026-06-04");
	page("content/post/x.md", "X fr", "2026-06-05");
	page("content/post/x.en.md", "X en", "2026-06-05");
	page("content/post/y.fr.md", "Y fr", "2026-06-06");
	page("content/post/y.en.md", "Y en", "2026-06-06");
	page("content/post/z.md", "Z", "2026-06-07");
	page("content/post/w.en.md", "W en", "2026-06-08");
	page("content/post/série/index.md", "Série", "2026-06-09");
	page("event/_index.md", "Événements", "2026-06-01");
	page("event/e1/index.qmd", "E1", "2026-06-30T23:30:00Z");
	page("event/e2/index.qmd", "E2", "2026-06-20");
	page("event/e3/index.qmd", "E3", "2026-08-01");
	page("event/e4/index.qmd", "Bb", "2026-06-20");
	/* sorted by the title as printed: "Bb" before "*Bc*" */
	page("event/e5/index.qmd", "*Bc*", "2026-06-20");

	CHECK_STR(collect("fr", "2026-06", &nw),
		"post blog/a/index.qmd\n"
		"post content/post/_notes.md\n"
		"post content/post/x.md\n"
		"post content/post/y.fr.md\n"
		"post content/post/z.md\n"
		"post content/post/série/index.md\n"
		"post blog/2026/b/index.qmd\n"
		"post blog/2026/c.md\n"
		"event-month event/e4/index.qmd\n"
		"event-month event/e5/index.qmd\n"
		"event-month event/e2/index.qmd\n"
		"event-next event/e1/index.qmd\n");
	CHECK_INT(nw, 0);
	CHECK_STR(collect("en", "2026-06", &nw),
		"post blog/a/index.en.qmd\n"
		"post content/post/_notes.md\n"
		"post content/post/x.en.md\n"
		"post content/post/y.en.md\n"
		"post content/post/z.md\n"
		"post content/post/w.en.md\n"
		"post content/post/série/index.md\n"
		"post blog/2026/b/index.qmd\n"
		"post blog/2026/c.md\n"
		"event-month event/e4/index.qmd\n"
		"event-month event/e5/index.qmd\n"
		"event-month event/e2/index.qmd\n"
		"event-next event/e1/index.qmd\n");
	CHECK_INT(nw, 0);
	CHECK_STR(collect("fr", "2026-07", &nw),
		"event-month event/e1/index.qmd\n"
		"event-next event/e3/index.qmd\n");
	CHECK_STR(collect("fr", "2026-05", &nw),
		"post blog/2026/old.md\n"
		"event-next event/e4/index.qmd\n"
		"event-next event/e5/index.qmd\n"
		"event-next event/e2/index.qmd\n");
	CHECK_STR(collect("fr", "2025-01", &nw), "");
	CHECK_INT(nw, 0);

	/* a configured folder that is missing is a warning, a missing root
	 * an error */
	CHECK_INT(rmdir(root) == -1 && errno == ENOTEMPTY, 1);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s/event", root);
		CHECK_INT(system(cmd), 0);
		collect("fr", "2026-06", &nw);
		CHECK_INT(nw, 1);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		CHECK_INT(system(cmd), 0);
		CHECK(str_starts(collect("fr", "2026-06", &nw), "error: "));
	}
}

int
main(void)
{
	RUN(test_url_quarto);
	RUN(test_url_hugo);
	RUN(test_url_encoding);
	RUN(test_resolve);
	RUN(test_read);
	RUN(test_collect);
	return 0;
}
