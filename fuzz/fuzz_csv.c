/* fuzz_csv.c - libFuzzer target for the CSV import reader: header and
 * delimiter detection, BOM, quoting, line numbers, address and name
 * checks, the merge into a store. Each input is imported twice into a new
 * store in memory, without and with --skip-invalid. No crash, no leak, and:
 * the status is 0 or EX_DATAERR (with a message exactly when not 0);
 * every invalid row is reported once, on a line of the input, with a
 * printable reason, and the same rows in both modes; without
 * --skip-invalid an invalid row imports nothing; a clean file imports the
 * same either way; every subscriber stored has a valid address, its key
 * and a clean name. The input's size picks --resubscribe and a
 * suppression entry now and then. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvimport.h"
#include "store.h"
#include "util.h"

static const unsigned char K[] = "0123456789abcdef0123456789abcdef";

struct seen {
	long nlines, nbad, nsubs;
};

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

static void
on_bad(void *ctx, const char *file, long line, const char *msg)
{
	struct seen *s = ctx;

	s->nbad++;
	if (strcmp(file, "fuzz.csv") != 0 || line < 1 || line > s->nlines ||
	    !printable(msg))
		abort();
}

static int
check_sub(void *ctx, const struct subscriber *s)
{
	struct seen *seen = ctx;
	char key[STORE_KEY_SIZE], *clean = NULL, *err = NULL;

	if (store_address_keybuf(s->email, key, &err) != 0 ||
	    strcmp(key, s->key) != 0 ||
	    store_name_clean(s->name, &clean, &err) != 0 ||
	    strcmp(clean, s->name) != 0 || s->status < 0 ||
	    s->status >= SUB_NSTATUS)
		abort();
	free(clean);
	seen->nsubs++;
	return 0;
}

/* Stores in memory, without and with a suppression entry, each made
 * again once an import wrote to it (an import that fails writes nothing):
 * most inputs fail, and a new store takes longer than the import. */
static struct store *db[2];
static bool written[2];

static struct store *
store(int supp)
{
	char *err = NULL;

	if (db[supp] && !written[supp])
		return db[supp];
	store_close(db[supp]);
	db[supp] = NULL;
	if (store_open(":memory:", K, sizeof(K) - 1, &db[supp], &err) != 0 ||
	    (supp && store_forget(db[supp], "a@b.co", NULL, &err) != 0))
		abort();
	written[supp] = false;
	return db[supp];
}

static int
run(const uint8_t *data, size_t size, bool skip, struct csvimport_stats *st,
	struct seen *seen)
{
	struct csvimport_opts o = {
		.resubscribe = size % 2 == 1,
		.skip_invalid = skip,
		.source = NULL,
		.consent = size % 5 == 0 ? "formulaire v2" : NULL,
	};
	int supp = size % 3 == 0;
	struct store *s = store(supp);
	char *err = NULL;
	FILE *f;
	int rc;

	f = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
	if (!f)
		abort();
	rc = csvimport_file(s, f, "fuzz.csv", &o, on_bad, seen, st, &err);
	fclose(f);
	written[supp] = rc == 0;
	if ((rc != 0 && rc != EX_DATAERR) || (rc == 0) != (err == NULL) ||
	    (rc && !printable(err)))
		abort();
	if (st->rejected != seen->nbad)
		abort();
	if (store_list(s, -1, check_sub, seen, &err) != 0)
		abort();
	if (rc == 0 && (seen->nsubs < st->added ||
	    seen->nsubs > st->added + st->suppressed))
		abort();
	if (rc != 0 && seen->nsubs != 0)
		abort();
	free(err);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvimport_stats a, b;
	struct seen sa = { 1, 0, 0 }, sb;
	int ra, rb;

	/* lines end with LF, CRLF or a lone CR */
	for (size_t i = 0; i < size; i++)
		sa.nlines += data[i] == '\n' || (data[i] == '\r' &&
		    (i + 1 == size || data[i + 1] != '\n'));
	sb = sa;
	ra = run(data, size, false, &a, &sa);
	rb = run(data, size, true, &b, &sb);

	/* the same rows are invalid either way */
	if (sa.nbad != sb.nbad)
		abort();
	/* without --skip-invalid, an invalid row imports nothing */
	if (sa.nbad > 0 && ra != EX_DATAERR)
		abort();
	/* a clean file imports the same either way */
	if (ra == 0 && (rb != 0 || a.added != b.added ||
	    a.updated != b.updated || a.unchanged != b.unchanged ||
	    a.suppressed != b.suppressed || sa.nsubs != sb.nsubs))
		abort();
	/* with --skip-invalid only a fatal error (no header, no address
	 * column, too many columns) stops the import */
	if (rb != 0 && ra != rb)
		abort();
	return 0;
}
