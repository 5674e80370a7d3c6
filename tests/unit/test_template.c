/* test_template.c - the ctemplate adapter */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"
#include "unit.h"
#include "util.h"

static char *
fixture(const char *name)
{
	const char *root = getenv("ROOT");

	return xasprintf("%s/tests/fixtures/templates/%s", root ? root : ".",
	    name);
}

/* Expand fixture name with d; returns the status, *out and *err set. */
static int
run(const char *name, struct tpl_dict *d, char **out, char **err)
{
	char *path = fixture(name);
	int rc;

	*out = *err = NULL;
	rc = tpl_expand(path, d, out, err);
	free(path);
	return rc;
}

static void
values_and_escaping(void)
{
	struct tpl_dict *d = tpl_dict_new();
	char *out, *err;

	tpl_set(d, "TITLE", "<script>alert(\"x\")</script> & co");
	tpl_set(d, "BODY", "<em>déjà</em> rendu");
	CHECK_INT(run("values.html.tpl", d, &out, &err), 0);
	CHECK(out != NULL);
	if (out) {
		CHECK(strstr(out, "<h1>&lt;script&gt;alert(&quot;x&quot;)"
		    "&lt;/script&gt; &amp; co</h1>") != NULL);
		CHECK(strstr(out, "title=\"&lt;script&gt;alert(&quot;x&quot;)")
		    != NULL);
		CHECK(strstr(out, "<script>") == NULL);
		/* :none keeps pre-rendered HTML as it is */
		CHECK(strstr(out, "<em>déjà</em> rendu") != NULL);
		CHECK(strstr(out, "never") == NULL);
		CHECK(strstr(out, "<footer>") == NULL);
		/* STRIP_BLANK_LINES for an HTML template: the template's
		 * empty line after </h1> is gone */
		CHECK(strstr(out, "</h1>\n<p title=") != NULL);
	}
	free(out);
	free(err);
	tpl_dict_free(d);
}

static void
sections(void)
{
	struct tpl_dict *d = tpl_dict_new();
	char *out, *err;

	tpl_set(d, "TITLE", "T");
	tpl_set(tpl_add(d, "ITEM"), "NAME", "one");
	tpl_set(tpl_add(d, "ITEM"), "NAME", "two <b>");
	tpl_set(tpl_add(d, "ITEM"), "NAME", NULL);
	tpl_show(d, "FOOTER");
	tpl_set(d, "NOTE", "from the parent");
	CHECK_INT(run("values.html.tpl", d, &out, &err), 0);
	if (out) {
		const char *a = strstr(out, "<li>one</li>");
		const char *b = strstr(out, "<li>two &lt;b&gt;</li>");
		const char *c = strstr(out, "<li></li>");
		CHECK(a && b && c && a < b && b < c);
		/* a shown section sees its parent's values */
		CHECK(strstr(out, "<footer>from the parent</footer>") != NULL);
	}
	free(out);
	free(err);
	tpl_dict_free(d);
}

static void
text_keeps_blank_lines(void)
{
	struct tpl_dict *d = tpl_dict_new();
	char *out, *err;

	tpl_set(d, "TITLE", "Déjà <vu> & \"quoted\"");
	tpl_set(tpl_add(d, "ITEM"), "NAME", "a");
	tpl_set(tpl_add(d, "ITEM"), "NAME", "b");
	CHECK_INT(run("plain.txt.tpl", d, &out, &err), 0);
	CHECK_STR(out, "Déjà <vu> & \"quoted\"\n\n- a\n- b\n\nend\n");
	free(out);
	free(err);
	tpl_dict_free(d);
}

static void
check_error(const char *name, int line, const char *words)
{
	struct tpl_dict *d = tpl_dict_new();
	char *out, *err, *path = fixture(name), *want;

	CHECK_INT(run(name, d, &out, &err), EX_DATAERR);
	CHECK(out == NULL);
	want = xasprintf("%s:%d: ", path, line);
	CHECK(err != NULL && str_starts(err, want));
	CHECK(err != NULL && strstr(err, words) != NULL);
	if (unit_failed_)
		printf("  (error was: %s)\n", err ? err : "(null)");
	free(want);
	free(path);
	free(err);
	tpl_dict_free(d);
}

static void
unclosed_section(void)
{
	check_error("unclosed_section.html.tpl", 7, "sections were closed");
}

static void
bad_modifier(void)
{
	check_error("bad_modifier.html.tpl", 5, "bogus");
}

static void
wrong_close(void)
{
	check_error("wrong_close.txt.tpl", 5, "end of different section");
}

static void
missing_file(void)
{
	struct tpl_dict *d = tpl_dict_new();
	char *out, *err;

	CHECK_INT(run("no-such-template.tpl", d, &out, &err), EX_NOINPUT);
	CHECK(out == NULL);
	CHECK(err != NULL && strstr(err, "no-such-template.tpl") != NULL);
	free(err);
	tpl_dict_free(d);
}

static int
write_text(const char *path, const char *s)
{
	return write_file_atomic(path, s, strlen(s), 0644);
}

static void
edit_between_calls(void)
{
	char dir[] = "/tmp/test_template.XXXXXX";
	char *path, *out = NULL, *err = NULL;
	struct tpl_dict *d = tpl_dict_new();

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/page.html.tpl", dir);
	tpl_set(d, "X", "v");
	CHECK_INT(write_text(path, "first {{X}}\n"), 0);
	CHECK_INT(tpl_expand(path, d, &out, &err), 0);
	CHECK_STR(out, "first v\n");
	free(out);
	out = NULL;
	CHECK_INT(write_text(path, "second {{X}}\n"), 0);
	CHECK_INT(tpl_expand(path, d, &out, &err), 0);
	CHECK_STR(out, "second v\n");
	free(out);
	out = NULL;
	/* broken, then fixed again: no stale state either way */
	CHECK_INT(write_text(path, "a\n{{#S}}\n"), 0);
	CHECK_INT(tpl_expand(path, d, &out, &err), EX_DATAERR);
	CHECK(err != NULL && strstr(err, "page.html.tpl:2: ") != NULL);
	free(err);
	err = NULL;
	CHECK_INT(write_text(path, "third {{X}}\n"), 0);
	CHECK_INT(tpl_expand(path, d, &out, &err), 0);
	CHECK_STR(out, "third v\n");
	free(out);
	free(err);
	unlink(path);
	rmdir(dir);
	free(path);
	tpl_dict_free(d);
}

static void
stderr_is_quiet(void)
{
	/* ctemplate's own message is captured, not left on stderr; the
	 * capture also gives stderr back afterwards. */
	char dir[] = "/tmp/test_template.XXXXXX";
	char *path, *log, *out = NULL, *err = NULL, *got = NULL;
	size_t len = 0;
	struct tpl_dict *d = tpl_dict_new();
	int saved;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/bad.tpl", dir);
	log = xasprintf("%s/stderr", dir);
	CHECK_INT(write_text(path, "{{X:bogus}}\n"), 0);
	fflush(stderr);
	saved = dup(2);
	f = freopen(log, "w", stderr);
	CHECK(f != NULL);
	CHECK_INT(tpl_expand(path, d, &out, &err), EX_DATAERR);
	fputs("after\n", stderr);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_INT(read_file(log, 1 << 20, &got, &len), 0);
	CHECK_STR(got, "after\n");
	CHECK(err != NULL && strstr(err, "bad.tpl:1: ") != NULL);
	free(got);
	free(err);
	unlink(path);
	unlink(log);
	rmdir(dir);
	free(path);
	free(log);
	tpl_dict_free(d);
}

int
main(void)
{
	RUN(values_and_escaping);
	RUN(sections);
	RUN(text_keeps_blank_lines);
	RUN(unclosed_section);
	RUN(bad_modifier);
	RUN(wrong_close);
	RUN(missing_file);
	RUN(edit_between_calls);
	RUN(stderr_is_quiet);
	return 0;
}
