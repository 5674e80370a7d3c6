/* test_import.c - a bulk import decides every row as store_add would: the
 * same file imported with store_import_* and applied row by row (in key
 * order) with store_add and store_set_status leaves the same store */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "store.h"
#include "unit.h"
#include "util.h"

static const unsigned char K[] = "0123456789abcdef0123456789abcdef";
static char *dir;

struct row {
	char email[64], key[64], name[16];
	int status;
	size_t seq;
};

static struct store *
open_store(const char *name)
{
	char *path = xasprintf("%s/%s/s.db", dir, name), *err = NULL;
	struct store *st = NULL;

	if (store_open(path, K, 32, &st, &err) != 0) {
		printf("FAIL open %s: %s\n", path, err);
		exit(1);
	}
	free(path);
	return st;
}

static unsigned long long rnd_state;

static unsigned
rnd(unsigned n)
{
	unsigned long long z = (rnd_state += 0x9e3779b97f4a7c15ull);

	/* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (unsigned)((z ^ (z >> 31)) % n);
}

/* Subscriber i of the pool: its address as written (the domain's case
 * varies) and its key. */
static void
address(unsigned i, unsigned variant, char *email, char *key)
{
	static const char *const dom[] = { "ex", "Ex", "EX" };

	snprintf(key, 64, "u%u@ex%u.org", i, i % 7);
	snprintf(email, 64, "u%u@%s%u.%s", i, dom[variant % 3], i % 7,
		variant % 3 == 2 ? "ORG" : "org");
}

/* The same subscribers before the import, in both stores: active,
 * unsubscribed, bounced, pending and, with forget, erased ones. */
static void
before(struct store *st, unsigned pool, bool forget)
{
	char email[64], key[64], *err = NULL;
	struct subscriber s;
	int out;

	CHECK_INT(store_begin(st, &err), 0);
	for (unsigned i = 0; i < pool; i++) {
		bool made = i % 5 == 0 || i % 7 == 0 || i % 11 == 0 ||
		    i % 13 == 0;

		address(i, i, email, key);
		if (made)
			CHECK_INT(store_add(st, email, i % 2 ? "Old" : NULL,
				"cli", false, NULL, &out, NULL, &err), 0);
		if (i % 7 == 0)
			CHECK_INT(store_remove(st, email, NULL, &out, &err), 0);
		if ((i % 11 == 0 || i % 13 == 0) && i % 7 != 0) {
			CHECK_INT(store_find(st, email, &s, &err), 0);
			CHECK_INT(store_set_status(st, s.id, i % 11 == 0 ?
				SUB_BOUNCED : SUB_PENDING, NULL, NULL, &err), 0);
			store_subscriber_free(&s);
		}
		if (forget && i % 17 == 0 && !made)
			CHECK_INT(store_forget(st, email, NULL, &err), 0);
	}
	CHECK_INT(store_commit(st, &err), 0);
	free(err);
}

static bool
exists_before(unsigned i)
{
	return i % 5 == 0 || i % 7 == 0 || i % 11 == 0 || i % 13 == 0;
}

static int
by_key(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A table's rows (without the times, which may differ by a second). */
static void
dump(struct store *st, const char *name, struct buf *out)
{
	static const char *const q[] = {
		"SELECT id, email, email_key, name, status, source,"
		" status_reason FROM subscribers ORDER BY id",
		"SELECT id, subscriber, old_status, new_status, channel,"
		" message_id, detail FROM audit ORDER BY id",
		"SELECT hash FROM suppression ORDER BY hash",
	};
	char *path = xasprintf("%s/%s/s.db", dir, name);
	sqlite3 *db;
	sqlite3_stmt *s;

	(void)st;
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		CHECK_INT(sqlite3_prepare_v2(db, q[i], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const unsigned char *t = sqlite3_column_text(s, c);

				buf_printf(out, "%s|", t ? (const char *)t : "NULL");
			}
			buf_putc(out, '\n');
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	free(path);
}

/* n rows over subscribers base .. base + span of a pool (those below pool
 * may exist before), imported into one store and applied one by one to
 * another; both must end the same. */
static void
compare(const char *name, unsigned pool, unsigned base, unsigned span,
	size_t n, bool forget, bool resubscribe, unsigned long long seed)
{
	struct store_evidence ev = { "import", NULL, NULL, NULL, NULL,
		resubscribe ? "--resubscribe" : NULL };
	char *na = xasprintf("%s-import", name), *nb = xasprintf("%s-ref", name);
	struct store *a = open_store(na), *b = open_store(nb);
	struct store_import_counts c, r = { 0, 0, 0, 0 };
	struct store_import *im;
	struct row *rows = xcalloc(n, sizeof(*rows));
	struct buf da = BUF_INIT, db = BUF_INIT;
	char *err = NULL;

	rnd_state = seed;
	before(a, pool, forget);
	before(b, pool, forget);
	for (size_t i = 0; i < n; i++) {
		unsigned k = base + rnd(span);
		static const char *const names[] = { "", "Ann", "Bob", "Old" };

		address(k, rnd(3), rows[i].email, rows[i].key);
		snprintf(rows[i].name, sizeof(rows[i].name), "%s",
			names[rnd(4)]);
		rows[i].status = SUB_ACTIVE;
		/* a file may say who left, for people the store knows */
		if (k < pool && exists_before(k) && rnd(10) == 0)
			rows[i].status = rnd(2) ? SUB_UNSUBSCRIBED : SUB_BOUNCED;
		rows[i].seq = i;
	}

	CHECK_INT(store_import_begin(a, "import t.csv", resubscribe, &im,
		&err), 0);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(store_import_row(im, rows[i].email, rows[i].key,
			rows[i].name, rows[i].status, &err), 0);
	CHECK_INT(store_import_end(im, true, &c, &err), 0);

	qsort(rows, n, sizeof(*rows), by_key);
	CHECK_INT(store_begin(b, &err), 0);
	for (size_t i = 0; i < n; i++) {
		int out = -1;

		if (rows[i].status == SUB_ACTIVE) {
			CHECK_INT(store_add(b, rows[i].email, rows[i].name,
				"import t.csv", resubscribe, &ev, &out, NULL,
				&err), 0);
		} else {
			struct subscriber s;

			CHECK_INT(store_find(b, rows[i].email, &s, &err), 0);
			out = STORE_SUPPRESSED;
			if (s.status == SUB_ACTIVE || s.status == SUB_PENDING) {
				CHECK_INT(store_set_status(b, s.id,
					rows[i].status, &ev, NULL, &err), 0);
				out = STORE_UPDATED;
			}
			store_subscriber_free(&s);
		}
		switch (out) {
		case STORE_ADDED: r.added++; break;
		case STORE_UPDATED: r.updated++; break;
		case STORE_UNCHANGED: r.unchanged++; break;
		default: r.suppressed++; break;
		}
	}
	CHECK_INT(store_commit(b, &err), 0);
	CHECK_INT(c.added, r.added);
	CHECK_INT(c.updated, r.updated);
	CHECK_INT(c.unchanged, r.unchanged);
	CHECK_INT(c.suppressed, r.suppressed);
	/* every kind of outcome happened, when some subscribers were known */
	CHECK(r.added > 0);
	CHECK(base >= pool || (r.updated > 0 && r.unchanged > 0 &&
		r.suppressed > 0));
	dump(a, na, &da);
	dump(b, nb, &db);
	CHECK(da.len > 0);
	if (strcmp(buf_str(&da), buf_str(&db)) != 0) {
		const char *p = buf_str(&da), *q = buf_str(&db);

		while (*p && *p == *q)
			p++, q++;
		printf("# import and reference differ near:\n# %.120s\n"
			"# %.120s\n", p, q);
		CHECK(!"the stores differ");
	}
	buf_free(&da);
	buf_free(&db);
	free(rows);
	free(err);
	free(na);
	free(nb);
	store_close(a);
	store_close(b);
}

/* Without suppressions, new keys are inserted in batches: here, some
 * batches hold a known key. */
static void
batches(void)
{
	compare("batches", 3000, 0, 200000, 6000, false, false, 1);
}

static void
batches_resubscribe(void)
{
	compare("batches-resub", 3000, 0, 200000, 6000, false, true, 2);
}

/* Only new keys: full batches. */
static void
batches_new(void)
{
	compare("new", 100, 1000, 1000000, 8000, false, false, 3);
}

/* Keys repeated often: batches cut short. */
static void
repeats(void)
{
	compare("repeats", 3000, 0, 3000, 5000, false, false, 7);
}

/* With suppressions, every row is decided on its own. */
static void
suppressions(void)
{
	compare("supp", 1500, 0, 1500, 3000, true, false, 4);
}

static void
suppressions_resubscribe(void)
{
	compare("supp-resub", 1500, 0, 1500, 3000, true, true, 5);
}

/* Mostly known addresses, many repeated. */
static void
mostly_known(void)
{
	compare("known", 400, 0, 400, 3000, false, false, 6);
}

/* A new key repeated many times in a row, and across batch ends. */
static void
repeated_keys(void)
{
	struct store *st = open_store("repeat");
	struct store_import *im;
	struct store_import_counts c;
	struct subscriber s;
	char email[64], *err = NULL;

	CHECK_INT(store_import_begin(st, NULL, false, &im, &err), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(email, sizeof(email), "r%03d@example.org", i / 40);
		CHECK_INT(store_import_row(im, email, email, i % 40 == 39 ?
			"Last" : "", SUB_ACTIVE, &err), 0);
	}
	for (int i = 0; i < 100; i++) {
		snprintf(email, sizeof(email), "s%03d@example.org", i);
		CHECK_INT(store_import_row(im, email, email, NULL, SUB_ACTIVE,
			&err), 0);
	}
	CHECK_INT(store_import_end(im, true, &c, &err), 0);
	CHECK_INT(c.added, 105);
	CHECK_INT(c.updated, 5);     /* the name "Last" */
	CHECK_INT(c.unchanged, 190);
	CHECK_INT(store_find(st, "r004@example.org", &s, &err), 0);
	CHECK_STR(s.name, "Last");
	CHECK_STR(s.source, "import");
	store_subscriber_free(&s);
	free(err);
	store_close(st);
}

/* The same file twice: the second time every batch (512 rows) finds its
 * keys. */
static void
reimport(void)
{
	struct store *st = open_store("reimport");
	struct store_import *im;
	struct store_import_counts c;
	struct subscriber s;
	char email[64], *err = NULL;

	for (int pass = 0; pass < 2; pass++) {
		CHECK_INT(store_import_begin(st, NULL, false, &im, &err), 0);
		for (int i = 0; i < 3000; i++) {
			snprintf(email, sizeof(email), "p%04d@example.org", i);
			CHECK_INT(store_import_row(im, email, email, pass &&
				i % 10 == 0 ? "New" : "", SUB_ACTIVE, &err), 0);
		}
		CHECK_INT(store_import_end(im, true, &c, &err), 0);
		CHECK_INT(c.added, pass ? 0 : 3000);
		CHECK_INT(c.updated, pass ? 300 : 0);
		CHECK_INT(c.unchanged, pass ? 2700 : 0);
	}
	CHECK_INT(store_find(st, "p0990@example.org", &s, &err), 0);
	CHECK_STR(s.name, "New");
	CHECK_INT(s.id, 991);
	store_subscriber_free(&s);
	free(err);
	store_close(st);
}

/* An import larger than the cache (4 MiB): its pages are written while
 * it runs, gathered into runs (store_vfs.c), read back by the second
 * import; the file is whole and holds every row. */
static void
large(void)
{
	struct store *st = open_store("large");
	struct store_import *im;
	struct store_import_counts c;
	struct subscriber s;
	char email[64], key[64], name[32], *err = NULL, *path;
	sqlite3 *db;
	sqlite3_stmt *q;
	enum { N = 60000 };

	for (int pass = 0; pass < 2; pass++) {
		CHECK_INT(store_import_begin(st, NULL, false, &im, &err), 0);
		for (int i = 0; i < N; i++) {
			unsigned k = (unsigned)(i * 7919) % N; /* unsorted */

			snprintf(email, sizeof(email), "someone.%05u@Example.org",
				k);
			snprintf(key, sizeof(key), "someone.%05u@example.org", k);
			snprintf(name, sizeof(name), "%s %u", pass && k % 100 ==
				0 ? "Renamed" : "Someone", k);
			CHECK_INT(store_import_row(im, email, key, name,
				SUB_ACTIVE, &err), 0);
		}
		CHECK_INT(store_import_end(im, true, &c, &err), 0);
		CHECK_INT(c.added, pass ? 0 : N);
		CHECK_INT(c.updated, pass ? N / 100 : 0);
		CHECK_INT(c.unchanged, pass ? N - N / 100 : 0);
	}
	CHECK_INT(store_find(st, "someone.31400@example.org", &s, &err), 0);
	CHECK_STR(s.name, "Renamed 31400");
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "someone.59999@example.org", &s, &err), 0);
	CHECK_STR(s.name, "Someone 59999");
	store_subscriber_free(&s);
	store_close(st);
	path = xasprintf("%s/large/s.db", dir);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q,
		NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(q), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT count(*), max(id) FROM"
		" subscribers", -1, &q, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(q), SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(q, 0), N);
	CHECK_INT(sqlite3_column_int(q, 1), N);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(path);
	free(err);
}

int
main(void)
{
	char tmpl[] = "/tmp/test_import.XXXXXX";
	char *cmd;

	if (!mkdtemp(tmpl))
		return 1;
	dir = tmpl;
	RUN(batches);
	RUN(batches_resubscribe);
	RUN(batches_new);
	RUN(repeats);
	RUN(suppressions);
	RUN(suppressions_resubscribe);
	RUN(mostly_known);
	RUN(repeated_keys);
	RUN(reimport);
	RUN(large);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("FAIL cleanup: %s\n", cmd);
	free(cmd);
	return 0;
}
