/* test_frontmatter.c - the YAML block at the top of a content file */
#include <stdlib.h>

#include "frontmatter.h"
#include "unit.h"

static struct fm fm;
static struct diags d;

/* Parse s; return fm_parse's status. */
static int
parse(const char *s)
{
	diags_free(&d);
	return fm_parse("f.md", s, strlen(s), &fm, &d);
}

/* The one diagnostic of the last parse, as "LINE:COL: message". */
static const char *
diag(void)
{
	static char out[512];

	if (d.n != 1)
		return d.n ? "more than one diagnostic" : "no diagnostic";
	if (strcmp(d.v[0].file, "f.md") != 0)
		return "diagnostic names the wrong file";
	snprintf(out, sizeof(out), "%d:%d: %s", d.v[0].line, d.v[0].col,
		d.v[0].msg);
	return out;
}

static void
test_plain(void)
{
	const char *s = "---\ntitle: Bonjour\ndate: 2026-06-16\n---\nLe corps.\n";

	CHECK_INT(parse(s), 0);
	CHECK_INT(d.n, 0);
	CHECK_STR(fm_str(&fm, "title"), "Bonjour");
	CHECK_STR(fm_str(&fm, "date"), "2026-06-16");
	CHECK(fm_str(&fm, "draft") == NULL);
	CHECK_STR(s + fm.body_off, "Le corps.\n");
	CHECK_INT(fm.body_line, 5);
	fm_free(&fm);
}

static void
test_bom(void)
{
	const char *s = "\xef\xbb\xbf---\ntitle: \"Événement\"\n---\ncorps";

	CHECK_INT(parse(s), 0);
	CHECK_STR(fm_str(&fm, "title"), "Événement");
	CHECK_STR(s + fm.body_off, "corps");
	fm_free(&fm);
	/* and a YAML error after a BOM still gives the file's line */
	CHECK_INT(parse("\xef\xbb\xbf---\ntitle: x\ntitle2: a: b\n---\n"),
		EX_DATAERR);
	CHECK(str_starts(diag(), "3:10: YAML error: "));
}

static void
test_crlf(void)
{
	const char *s = "---\r\ntitle: Windows\r\ndate: 2026-06-16\r\n---\r\ncorps\r\n";
	int line, col;

	CHECK_INT(parse(s), 0);
	CHECK_STR(fm_str(&fm, "title"), "Windows");
	CHECK_STR(fm_str(&fm, "date"), "2026-06-16");
	CHECK_STR(s + fm.body_off, "corps\r\n");
	CHECK_INT(fm.body_line, 5);
	fm_where(&fm, "date", &line, &col);
	CHECK_INT(line, 3);
	CHECK_INT(col, 7);
	fm_free(&fm);
	CHECK_INT(parse("---\r\ntitle: x\r\nbad: a: b\r\n---\r\n"), EX_DATAERR);
	CHECK(str_starts(diag(), "3:7: YAML error: "));
}

static void
test_dots_closer(void)
{
	const char *s = "---\ntitle: Points\n...\ncorps\n";

	CHECK_INT(parse(s), 0);
	CHECK_STR(fm_str(&fm, "title"), "Points");
	CHECK_STR(s + fm.body_off, "corps\n");
	fm_free(&fm);
	/* trailing blanks after a marker are allowed, "----" is no marker */
	s = "---  \ntitle: a\n---\t\nbody";
	CHECK_INT(parse(s), 0);
	CHECK_STR(s + fm.body_off, "body");
	fm_free(&fm);
	CHECK_INT(parse("---\ntitle: a\n----\nbody\n"), EX_DATAERR);
	CHECK(strstr(diag(), "never closed") != NULL);
	/* the closer as the last line, with no newline */
	s = "---\ntitle: fin\n---";
	CHECK_INT(parse(s), 0);
	CHECK_STR(fm_str(&fm, "title"), "fin");
	CHECK_STR(s + fm.body_off, "");
	fm_free(&fm);
}

static void
test_unclosed(void)
{
	CHECK_INT(parse("---\ntitle: jamais fermé\ndate: 2026-06-16\n\ncorps\n"),
		EX_DATAERR);
	CHECK_STR(diag(), "1:1: front matter is never closed (no '---' line "
		"after the opening one)");
	CHECK_INT(parse("---\n"), EX_DATAERR);
	CHECK(strstr(diag(), "never closed") != NULL);
	CHECK_INT(parse("---"), EX_DATAERR);
	CHECK(strstr(diag(), "never closed") != NULL);
}

static void
test_toml(void)
{
	CHECK_INT(parse("+++\ntitle = \"TOML\"\ndate = 2026-06-16\n+++\ncorps\n"),
		EX_DATAERR);
	CHECK_STR(diag(), "1:1: TOML front matter (+++) is not read; only YAML "
		"front matter (---) is");
}

static void
test_none(void)
{
	CHECK_INT(parse("# Un titre\n\nPas d'en-tête.\n"), EX_DATAERR);
	CHECK(strstr(diag(), "no front matter") != NULL);
	CHECK_INT(parse(""), EX_DATAERR);
	CHECK(strstr(diag(), "no front matter") != NULL);
	CHECK_INT(parse("\n---\ntitle: x\n---\n"), EX_DATAERR);
	CHECK(strstr(diag(), "no front matter") != NULL);
}

static void
test_yaml_errors(void)
{
	/* the line and column are the file's, not the block's */
	CHECK_INT(parse("---\ntitle: ok\ndescription: a: b\n---\n"), EX_DATAERR);
	CHECK_STR(diag(), "3:15: YAML error: mapping values are not allowed "
		"in this context");
	CHECK_INT(parse("---\ntitle: ok\ndate: 2026-06-16\ntags: [a, b\n---\nx\n"),
		EX_DATAERR);
	CHECK_STR(diag(), "5:1: YAML error: did not find expected ',' or ']' "
		"while parsing a flow sequence started at 4:7");
	CHECK_INT(parse("---\ntitle: \"pas fermé\ndate: 2026-06-16\n---\n"),
		EX_DATAERR);
	CHECK_STR(diag(), "4:1: YAML error: found unexpected end of stream "
		"while scanning a quoted scalar started at 2:8");
	CHECK_INT(parse("---\ntitle: x\n\tdate: 2026\n---\n"), EX_DATAERR);
	CHECK(str_starts(diag(), "3:1: YAML error: "));
	/* an alias to nothing */
	CHECK_INT(parse("---\ntitle: *nope\n---\n"), EX_DATAERR);
	CHECK(str_starts(diag(), "2:8: YAML error: found undefined alias"));
}

static void
test_not_mapping(void)
{
	CHECK_INT(parse("---\n- a\n- b\n---\n"), EX_DATAERR);
	CHECK_STR(diag(), "2:1: front matter is not a mapping of keys to values");
	CHECK_INT(parse("---\n\n  juste du texte\n---\n"), EX_DATAERR);
	CHECK_STR(diag(), "3:3: front matter is not a mapping of keys to values");
}

static void
test_empty(void)
{
	const char *s = "---\n---\ncorps\n";

	CHECK_INT(parse(s), 0);
	CHECK_INT(d.n, 0);
	CHECK(fm_str(&fm, "title") == NULL);
	CHECK(fm_node(&fm, "title") == NULL);
	CHECK_STR(s + fm.body_off, "corps\n");
	CHECK_INT(fm.body_line, 3);
	fm_free(&fm);
	CHECK_INT(parse("---\n# un commentaire\n\n---\n"), 0);
	CHECK(fm_str(&fm, "title") == NULL);
	fm_free(&fm);
}

static void
test_accessors(void)
{
	struct strlist l = { NULL, 0, 0 };
	static const char *const desc[] = { "description", "summary", NULL };
	const char *s = "---\n"
		"title: 'Le *format* Parquet'\n"
		"summary: Résumé\n"
		"draft: ~\n"
		"empty:\n"
		"quoted_empty: \"\"\n"
		"authors:\n  - Lino\n  - name: Ada\n    affiliation: Insee\n  - [nested]\n"
		"tags: solo\n"
		"image:\n  filename: featured.png\n  caption: Affiche\n"
		"nested: {a: 1}\n"
		"---\n";
	int line, col;

	CHECK_INT(parse(s), 0);
	CHECK_STR(fm_str(&fm, "title"), "Le *format* Parquet");
	CHECK_STR(fm_str_any(&fm, desc), "Résumé");
	CHECK(fm_str(&fm, "draft") == NULL);
	CHECK(fm_str(&fm, "empty") == NULL);
	CHECK_STR(fm_str(&fm, "quoted_empty"), "");
	CHECK(fm_str(&fm, "nested") == NULL);
	CHECK(fm_str(&fm, "image") == NULL);
	CHECK_STR(fm_sub_str(&fm, "image", "filename"), "featured.png");
	CHECK(fm_sub_str(&fm, "image", "nope") == NULL);
	CHECK(fm_sub_str(&fm, "title", "x") == NULL);
	fm_strings(&fm, "authors", &l);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		CHECK_STR(l.v[0], "Lino");
		CHECK_STR(l.v[1], "Ada");
	}
	fm_strings(&fm, "tags", &l);
	CHECK_INT(l.n, 3);
	if (l.n == 3)
		CHECK_STR(l.v[2], "solo");
	fm_strings(&fm, "nothing", &l);
	fm_strings(&fm, "image", &l);
	CHECK_INT(l.n, 3);
	strlist_free(&l);
	fm_where(&fm, "summary", &line, &col);
	CHECK_INT(line, 3);
	CHECK_INT(col, 10);
	fm_where(&fm, "absent", &line, &col);
	CHECK_INT(line, 0);
	CHECK_INT(col, 0);
	fm_free(&fm);
	fm_free(&fm); /* twice is harmless */
}

int
main(void)
{
	RUN(test_plain);
	RUN(test_bom);
	RUN(test_crlf);
	RUN(test_dots_closer);
	RUN(test_unclosed);
	RUN(test_toml);
	RUN(test_none);
	RUN(test_yaml_errors);
	RUN(test_not_mapping);
	RUN(test_empty);
	RUN(test_accessors);
	diags_free(&d);
	return 0;
}
