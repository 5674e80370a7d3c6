/* test_store.c - the subscriber store: addresses, changes, suppression,
 * deliveries, locks, bounces */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"
#include "csvimport.h"
#include "store.h"
#include "util.h"

static const unsigned char K[] = "0123456789abcdef0123456789abcdef";
static char *dir;

static struct store *
fresh(const char *name)
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

static void
addresses(void)
{
	static const char *const good[] = {
		"jean@insee.fr", "Jean.Dupont+news@Insee.FR", "a@b.co",
		"o'brien@example.org", "\"a@b\"@example.org", "\"jean dupont\"@exemple.fr",
		"x@bücher.example", "user_1-2=3@sub.do-main.example",
		"{}!#$%&*/=?^`|~@example.org", NULL,
	};
	static const char *const bad[] = {
		"", "plain", "@example.org", "a@", "a@localhost", "a b@example.org",
		"a@exa mple.org", "a\t@example.org", "a@example.org\n",
		".a@example.org", "a.@example.org", "a..b@example.org",
		"a@-example.org", "a@example-.org", "a@example..org",
		"a@.example.org", "a@example.org.", "a@[192.0.2.1]",
		"a(b)@example.org", "a,b@example.org", "a@b_c.example.org",
		"\xff@example.org", "a\xc2\x85@example.org",
		/* SMTP cannot carry these without SMTPUTF8 (addr.h) */
		"zoé@exemple.fr", "ÉLOÏSE@Exemple.Fr", NULL,
	};
	char *key = NULL, *err = NULL;

	for (int i = 0; good[i]; i++) {
		if (store_address_key(good[i], &key, &err) != 0)
			printf("# refused %s: %s\n", good[i], err);
		CHECK(key != NULL);
		free(key);
		key = NULL;
	}
	for (int i = 0; bad[i]; i++) {
		CHECK_INT(store_address_key(bad[i], &key, &err), EX_DATAERR);
		CHECK(key == NULL);
	}
	/* 64 bytes of local part at most, 254 in all */
	char longlocal[80];
	memset(longlocal, 'a', 65);
	memcpy(longlocal + 65, "@example.org", 13);
	CHECK_INT(store_address_key(longlocal, &key, &err), EX_DATAERR);
	longlocal[1] = '@';
	longlocal[2] = '\0';
	CHECK_INT(store_address_key(longlocal, &key, &err), EX_DATAERR);

	CHECK_INT(store_address_key("Jean@Insee.FR", &key, &err), 0);
	CHECK_STR(key, "Jean@insee.fr");
	free(key);
	/* one key for the two forms of an internationalised domain */
	CHECK_INT(store_address_key("Zoe@Bücher.Example", &key, &err), 0);
	CHECK_STR(key, "Zoe@xn--bcher-kva.example");
	free(key);
	CHECK_INT(store_address_key("Zoe@XN--BCHER-KVA.example", &key, &err), 0);
	CHECK_STR(key, "Zoe@xn--bcher-kva.example");
	free(key);
	free(err);
}

static void
names(void)
{
	char *out = NULL, *err = NULL;

	CHECK_INT(store_name_clean("  Jean \t Dupont\r\n ", &out, &err), 0);
	CHECK_STR(out, "Jean Dupont");
	free(out);
	CHECK_INT(store_name_clean("Zoë 🎉 '); DROP TABLE x;--", &out, &err), 0);
	CHECK_STR(out, "Zoë 🎉 '); DROP TABLE x;--");
	free(out);
	CHECK_INT(store_name_clean("bell\a", &out, &err), EX_DATAERR);
	CHECK_INT(store_name_clean("latin1 \xe9", &out, &err), EX_DATAERR);
	free(err);
}

static void
creation(void)
{
	struct store *st = fresh("creation");
	char *path = xasprintf("%s/creation/s.db", dir);
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;

	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	char *d = path_dirname(path);
	CHECK(stat(d, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	free(d);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) ==
		SQLITE_OK);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(s, 0), store_schema_version());
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
	free(wal);
	free(path);
}

static void
refuse_foreign(void)
{
	char *path = xasprintf("%s/foreign.db", dir), *err = NULL;
	struct store *st = NULL;
	sqlite3 *db;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL) == 0);
	sqlite3_close(db);
	CHECK_INT(store_open(path, K, 32, &st, &err), EX_DATAERR);
	CHECK(err && strstr(err, "not an infolettre database"));
	CHECK(st == NULL);
	free(path);

	path = xasprintf("%s/newer.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL,
		NULL) == 0);
	sqlite3_close(db);
	CHECK_INT(store_open(path, K, 32, &st, &err), EX_DATAERR);
	CHECK(err && strstr(err, "newer"));
	free(path);

	path = xasprintf("%s/garbage.db", dir);
	const char *junk = "this is not sqlite, not at all, definitely not a "
		"database file header\n";
	CHECK_INT(write_file_atomic(path, junk, strlen(junk), 0600), 0);
	CHECK_INT(store_open(path, K, 32, &st, &err), EX_DATAERR);
	free(path);
	free(err);
}

static void
add_find_status(void)
{
	struct store *st = fresh("add");
	struct subscriber s;
	struct store_evidence ev = { "one-click", NULL, "sometoken", NULL,
		"2026-06", NULL };
	char *err = NULL, tok[TOKEN_LEN + 1];
	long long id1 = 0, id2 = 0, id3 = 0;
	int out;
	bool changed;

	CHECK_INT(store_add(st, "Jean@Insee.fr", "Jean", "cli", false, NULL,
		&out, &id1, &err), 0);
	CHECK_INT(out, STORE_ADDED);
	CHECK_INT(store_add(st, "Jean@insee.FR", NULL, "cli", false, NULL,
		&out, &id2, &err), 0);
	CHECK_INT(out, STORE_UNCHANGED);
	CHECK_INT(id2, id1);
	CHECK_INT(store_add(st, "jean@insee.fr", "", "cli", false, NULL, &out,
		&id3, &err), 0);
	CHECK_INT(out, STORE_ADDED);
	CHECK(id3 != id1);
	CHECK_INT(store_add(st, "Jean@Insee.fr", "Jean Dupont", "cli", false,
		NULL, &out, NULL, &err), 0);
	CHECK_INT(out, STORE_UPDATED);
	CHECK_INT(store_add(st, "nope", NULL, "cli", false, NULL, &out, NULL,
		&err), EX_DATAERR);

	CHECK_INT(store_find(st, "Jean@INSEE.fr", &s, &err), 0);
	CHECK_INT(s.id, id1);
	CHECK_STR(s.email, "Jean@Insee.fr");
	CHECK_STR(s.key, "Jean@insee.fr");
	CHECK_STR(s.name, "Jean Dupont");
	CHECK_INT(s.status, SUB_ACTIVE);
	CHECK_STR(s.source, "cli");
	store_token(st, &s, tok);
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "absent@insee.fr", &s, &err), EX_NOUSER);
	CHECK_INT(store_get(st, 9999, &s, &err), EX_NOUSER);

	/* the token finds its subscriber, and only with the right MAC */
	CHECK_INT(store_find_token(st, tok, &s, &err), 0);
	CHECK_INT(s.id, id1);
	store_subscriber_free(&s);
	tok[20] = tok[20] == 'a' ? 'b' : 'a';
	CHECK_INT(store_find_token(st, tok, &s, &err), EX_NOUSER);
	CHECK_INT(store_find_token(st, "garbage", &s, &err), EX_NOUSER);

	CHECK_INT(store_set_status(st, id1, SUB_UNSUBSCRIBED, &ev, &changed,
		&err), 0);
	CHECK(changed);
	CHECK_INT(store_set_status(st, id1, SUB_UNSUBSCRIBED, &ev, &changed,
		&err), 0);
	CHECK(!changed);
	CHECK_INT(store_set_status(st, 9999, SUB_ACTIVE, &ev, &changed, &err),
		EX_NOUSER);
	CHECK_INT(store_get(st, id1, &s, &err), 0);
	CHECK_INT(s.status, SUB_UNSUBSCRIBED);
	CHECK_STR(s.reason, "one-click");
	store_subscriber_free(&s);

	/* whoever left stays gone unless asked */
	CHECK_INT(store_add(st, "Jean@Insee.fr", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(out, STORE_SUPPRESSED);
	CHECK_INT(store_add(st, "Jean@Insee.fr", NULL, "form", true, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(out, STORE_UPDATED);
	CHECK_INT(store_get(st, id1, &s, &err), 0);
	CHECK_INT(s.status, SUB_ACTIVE);
	CHECK_STR(s.source, "form");
	store_subscriber_free(&s);

	/* remove: known, again, unknown */
	CHECK_INT(store_remove(st, "jean@insee.fr", NULL, &out, &err), 0);
	CHECK_INT(out, STORE_UPDATED);
	CHECK_INT(store_remove(st, "jean@insee.fr", NULL, &out, &err), 0);
	CHECK_INT(out, STORE_UNCHANGED);
	CHECK_INT(store_remove(st, "stranger@insee.fr", NULL, &out, &err), 0);
	CHECK_INT(out, STORE_ADDED);
	CHECK_INT(store_find(st, "stranger@insee.fr", &s, &err), 0);
	CHECK_INT(s.status, SUB_UNSUBSCRIBED);
	store_subscriber_free(&s);
	CHECK_INT(store_add(st, "stranger@insee.fr", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(out, STORE_SUPPRESSED);
	free(err);
	store_close(st);
}

struct hist {
	int n;
	char log[512];
};

static int
collect_audit(void *ctx, const struct store_audit *a)
{
	struct hist *h = ctx;
	size_t l = strlen(h->log);

	snprintf(h->log + l, sizeof(h->log) - l, "%s>%s:%s:%s:%s;",
		a->old_status >= 0 ? store_status_name(a->old_status) : "-",
		store_status_name(a->new_status), a->channel,
		a->token ? a->token : "", a->message_id ? a->message_id : "");
	h->n++;
	return 0;
}

static void
audit_history(void)
{
	struct store *st = fresh("audit");
	struct store_evidence click = { "one-click", NULL, "tok123", NULL,
		"2026-06", NULL };
	struct store_evidence reply = { "reply", "abc@mail.example", NULL,
		NULL, NULL, NULL };
	struct hist h = { 0, "" };
	char *err = NULL;
	long long id;
	int out;

	CHECK_INT(store_add(st, "a@example.org", NULL, "cli", false, NULL,
		&out, &id, &err), 0);
	CHECK_INT(store_set_status(st, id, SUB_UNSUBSCRIBED, &click, NULL,
		&err), 0);
	CHECK_INT(store_add(st, "a@example.org", NULL, "cli", true, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_set_status(st, id, SUB_UNSUBSCRIBED, &reply, NULL,
		&err), 0);
	CHECK_INT(store_history(st, id, collect_audit, &h, &err), 0);
	CHECK_INT(h.n, 3);
	CHECK_STR(h.log, "active>unsubscribed:one-click:tok123:;"
		"unsubscribed>active:admin::;"
		"active>unsubscribed:reply::abc@mail.example;");
	free(err);
	store_close(st);
}

static void
forget(void)
{
	struct store *st = fresh("forget");
	struct subscriber s;
	struct hist h = { 0, "" };
	char *err = NULL;
	bool existed, supp;
	long long id;
	int out;

	CHECK_INT(store_add(st, "Gone@Example.org", "G", "cli", false, NULL,
		&out, &id, &err), 0);
	CHECK_INT(store_remove(st, "Gone@Example.org", NULL, &out, &err), 0);
	CHECK_INT(store_forget(st, "Gone@example.ORG", &existed, &err), 0);
	CHECK(existed);
	CHECK_INT(store_find(st, "Gone@Example.org", &s, &err), EX_NOUSER);
	CHECK_INT(store_history(st, id, collect_audit, &h, &err), 0);
	CHECK_INT(h.n, 0);
	CHECK_INT(store_suppressed(st, "Gone@EXAMPLE.org", &supp, &err), 0);
	CHECK(supp);
	CHECK_INT(store_suppressed(st, "gone@example.org", &supp, &err), 0);
	CHECK(!supp);
	CHECK_INT(store_add(st, "Gone@example.org", NULL, "cli", false, NULL,
		&out, &id, &err), 0);
	CHECK_INT(out, STORE_SUPPRESSED);
	CHECK_INT(id, 0);
	CHECK_INT(store_find(st, "Gone@Example.org", &s, &err), EX_NOUSER);
	/* forgetting an unknown address suppresses it too */
	CHECK_INT(store_forget(st, "never@example.org", &existed, &err), 0);
	CHECK(!existed);
	CHECK_INT(store_add(st, "never@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(out, STORE_SUPPRESSED);
	/* resubscribing lifts the suppression */
	CHECK_INT(store_add(st, "Gone@example.org", NULL, "cli", true, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(out, STORE_ADDED);
	CHECK_INT(store_suppressed(st, "Gone@example.org", &supp, &err), 0);
	CHECK(!supp);
	free(err);
	store_close(st);
}

static void
import_session(void)
{
	struct store *st = fresh("import");
	struct store_import *im;
	struct store_import_counts c;
	struct subscriber s;
	char *err = NULL;
	int out;

	CHECK_INT(store_import_begin(st, "import t.csv", false, &im, &err), 0);
	CHECK_INT(store_import_row(im, "a@example.org", "a@example.org", "A",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_end(im, false, &c, &err), 0);
	CHECK_INT(c.added, 0);
	CHECK_INT(store_find(st, "a@example.org", &s, &err), EX_NOUSER);

	CHECK_INT(store_add(st, "left@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_remove(st, "left@example.org", NULL, &out, &err), 0);
	CHECK_INT(store_add(st, "kept@example.org", "Kept", "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_import_begin(st, "import t.csv", false, &im, &err), 0);
	/* staged in file order; merged by key, in file order within a key */
	CHECK_INT(store_import_row(im, "z@example.org", "z@example.org", "Z1",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "a@example.org", "a@example.org", "A",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "b@example.org", "b@example.org", "",
		SUB_UNSUBSCRIBED, &err), 0);
	CHECK_INT(store_import_row(im, "b@example.org", "b@example.org", "",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "Z@example.org", "Z@example.org", "",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "z@Example.org", "z@example.org", "Z2",
		SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "left@example.org", "left@example.org",
		"L", SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "kept@example.org", "kept@example.org",
		"Kept", SUB_ACTIVE, &err), 0);
	CHECK_INT(store_import_row(im, "kept@example.org", "kept@example.org",
		"", SUB_UNSUBSCRIBED, &err), 0);
	CHECK_INT(store_import_end(im, true, &c, &err), 0);
	CHECK_INT(c.added, 3);     /* a, Z, z */
	CHECK_INT(c.updated, 2);   /* z's name, kept unsubscribed */
	CHECK_INT(c.unchanged, 1); /* kept */
	CHECK_INT(c.suppressed, 3); /* b twice, left */
	CHECK_INT(store_find(st, "a@example.org", &s, &err), 0);
	CHECK_STR(s.source, "import t.csv");
	CHECK_STR(s.reason, "import");
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "z@example.org", &s, &err), 0);
	CHECK_STR(s.email, "z@example.org");
	CHECK_STR(s.name, "Z2");
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "b@example.org", &s, &err), 0);
	CHECK_INT(s.status, SUB_UNSUBSCRIBED);
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "left@example.org", &s, &err), 0);
	CHECK_INT(s.status, SUB_UNSUBSCRIBED);
	store_subscriber_free(&s);
	CHECK_INT(store_find(st, "kept@example.org", &s, &err), 0);
	CHECK_INT(s.status, SUB_UNSUBSCRIBED);
	CHECK_STR(s.reason, "import");
	store_subscriber_free(&s);
	free(err);
	store_close(st);
}

static void
header_names(void)
{
	static const struct { const char *h; enum csv_col c; } t[] = {
		{ "email", CSV_COL_EMAIL }, { "E-mail", CSV_COL_EMAIL },
		{ "E-Mail Address", CSV_COL_EMAIL }, { "MAIL", CSV_COL_EMAIL },
		{ "Courriel", CSV_COL_EMAIL }, { "Adresse", CSV_COL_EMAIL },
		{ "Adresse e-mail", CSV_COL_EMAIL }, { " Adresse électronique ",
		CSV_COL_EMAIL }, { "Name", CSV_COL_NAME }, { "NOM",
		CSV_COL_NAME }, { "Nom complet", CSV_COL_NAME }, { "Prénom",
		CSV_COL_FIRST }, { "PRÉNOM", CSV_COL_FIRST }, { "prenom",
		CSV_COL_FIRST }, { "First_Name", CSV_COL_FIRST }, { "Last name",
		CSV_COL_LAST }, { "Nom de famille", CSV_COL_LAST }, { "status",
		CSV_COL_STATUS }, { "Adresse postale", CSV_COL_OTHER },
		{ "attributes", CSV_COL_OTHER }, { "", CSV_COL_OTHER },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_INT(csvimport_column(t[i].h, strlen(t[i].h)), t[i].c);
}

static void
deliveries(void)
{
	struct store *st = fresh("deliveries");
	struct delivery *v = NULL, d;
	long counts[DLV_NSTATES];
	long added = -1;
	long long ids[5];
	size_t n;
	char *err = NULL;
	int out;

	for (int i = 0; i < 5; i++) {
		char *e = xasprintf("r%d@example.org", i);

		CHECK_INT(store_add(st, e, NULL, "cli", false, NULL, &out,
			&ids[i], &err), 0);
		free(e);
	}
	CHECK_INT(store_remove(st, "r4@example.org", NULL, &out, &err), 0);
	CHECK_INT(store_delivery_set(st, "2026-06", ids[0], DLV_SENT,
		"250 ok", "m0@x", &err), 0);
	CHECK_INT(store_delivery_plan(st, "2026-06", &added, &err), 0);
	CHECK_INT(added, 3);
	CHECK_INT(store_delivery_plan(st, "2026-06", &added, &err), 0);
	CHECK_INT(added, 0);
	CHECK_INT(store_delivery_batch(st, "2026-06", DLV_BIT(DLV_PENDING), 0,
		2, &v, &n, &err), 0);
	CHECK_INT(n, 2);
	CHECK(n == 2 && v[0].subscriber == ids[1] && v[1].subscriber == ids[2]);
	CHECK(n == 2 && strcmp(v[0].email, "r1@example.org") == 0);
	long long last = n ? v[n - 1].subscriber : 0;
	store_deliveries_free(v, n);
	CHECK_INT(store_delivery_batch(st, "2026-06", DLV_BIT(DLV_PENDING),
		last, 2, &v, &n, &err), 0);
	CHECK_INT(n, 1);
	store_deliveries_free(v, n);

	CHECK_INT(store_delivery_set(st, "2026-06", ids[1], DLV_DEFERRED,
		"451 try later", NULL, &err), 0);
	CHECK_INT(store_delivery_set(st, "2026-06", ids[1], DLV_SENT, "250 ok",
		"m1@x", &err), 0);
	CHECK_INT(store_delivery_get(st, "2026-06", ids[1], &d, &err), 0);
	CHECK_INT(d.state, DLV_SENT);
	CHECK_INT(d.attempts, 2);
	CHECK_STR(d.answer, "250 ok");
	CHECK_STR(d.message_id, "m1@x");
	store_delivery_free(&d);
	/* a sent message stays sent */
	CHECK_INT(store_delivery_set(st, "2026-06", ids[1], DLV_PENDING, NULL,
		NULL, &err), EX_SOFTWARE);
	CHECK_INT(store_delivery_set(st, "2026-06", ids[2], DLV_FAILED,
		"550 no such user", NULL, &err), 0);
	CHECK_INT(store_delivery_set(st, "2026-06", 424242, DLV_SENT, NULL,
		NULL, &err), EX_NOUSER);
	CHECK_INT(store_delivery_get(st, "2026-07", ids[1], &d, &err),
		EX_NOUSER);
	CHECK_INT(store_delivery_counts(st, "2026-06", counts, &err), 0);
	CHECK_INT(counts[DLV_SENT], 2);
	CHECK_INT(counts[DLV_PENDING], 1);
	CHECK_INT(counts[DLV_FAILED], 1);
	CHECK_INT(counts[DLV_DEFERRED], 0);
	CHECK_INT(store_delivery_batch(st, "2026-06", DLV_BIT(DLV_SENT) |
		DLV_BIT(DLV_FAILED), 0, 100, &v, &n, &err), 0);
	CHECK_INT(n, 3);
	store_deliveries_free(v, n);
	free(err);
	store_close(st);
}

static int
count_each(void *ctx, const struct subscriber *s)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

static void
undelivered(void)
{
	struct store *st = fresh("undelivered");
	char *err = NULL;
	long long id;
	int out, n = 0;

	CHECK_INT(store_add(st, "u1@example.org", NULL, "cli", false, NULL,
		&out, &id, &err), 0);
	CHECK_INT(store_add(st, "u2@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_delivery_set(st, "2026-06", id, DLV_SKIPPED, NULL, NULL,
		&err), 0);
	CHECK_INT(store_undelivered(st, "2026-06", count_each, &n, &err), 0);
	CHECK_INT(n, 1);
	n = 0;
	CHECK_INT(store_undelivered(st, "2026-07", count_each, &n, &err), 0);
	CHECK_INT(n, 2);
	free(err);
	store_close(st);
}

static void
send_lock(void)
{
	struct store *st = fresh("lock"), *other;
	char *path = xasprintf("%s/lock/s.db", dir), *err = NULL;
	char host[256] = "";
	sqlite3 *db;
	pid_t child;

	CHECK_INT(store_send_lock(st, "2026-06", &err), 0);
	CHECK_INT(store_send_lock(st, "2026-06", &err), 0); /* ours already */
	CHECK_INT(store_send_lock(st, "2026-07", &err), 0);
	CHECK_INT(store_send_unlock(st, "2026-07", &err), 0);
	store_close(st);

	/* held by a live process on this host: the parent of this test */
	gethostname(host, sizeof(host) - 1);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	char *q = sqlite3_mprintf("UPDATE send_locks SET pid = %d, host = %Q "
		"WHERE issue = '2026-06'", (int)getppid(), host);
	CHECK(sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_free(q);
	other = fresh("lock");
	CHECK_INT(store_send_lock(other, "2026-06", &err), EX_TEMPFAIL);
	CHECK(err && strstr(err, "is being sent by process"));

	/* left by a process that is gone: taken over */
	if ((child = fork()) == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	q = sqlite3_mprintf("UPDATE send_locks SET pid = %d WHERE issue = "
		"'2026-06'", (int)child);
	CHECK(sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_free(q);
	CHECK_INT(store_send_lock(other, "2026-06", &err), 0);
	CHECK_INT(store_send_unlock(other, "2026-06", &err), 0);
	sqlite3_close(db);
	store_close(other);
	free(path);
	free(err);
}

static void
bounces(void)
{
	struct store *st = fresh("bounces");
	char *err = NULL;
	long long id;
	long c = -1;
	int out;

	CHECK_INT(store_add(st, "b@example.org", NULL, "cli", false, NULL,
		&out, &id, &err), 0);
	CHECK_INT(store_bounce_add(st, id, false, "2026-05", "4.2.2", "m1",
		&c, &err), 0);
	CHECK_INT(c, 1);
	CHECK_INT(store_bounce_add(st, id, false, "2026-05", "4.2.2", "m2",
		&c, &err), 0);
	CHECK_INT(c, 1); /* the same issue counts once */
	CHECK_INT(store_bounce_add(st, id, false, "2026-06", "4.2.2", NULL,
		&c, &err), 0);
	CHECK_INT(c, 2);
	CHECK_INT(store_bounce_add(st, id, false, NULL, NULL, NULL, &c, &err),
		0);
	CHECK_INT(store_bounce_add(st, id, false, NULL, NULL, NULL, &c, &err),
		0);
	CHECK_INT(c, 4); /* each bounce of an unknown issue counts */
	CHECK_INT(store_bounce_add(st, id, true, "2026-06", "5.1.1", NULL, &c,
		&err), 0);
	CHECK_INT(c, 1); /* permanent ones are counted apart */
	CHECK_INT(store_set_status(st, id, SUB_BOUNCED, NULL, NULL, &err), 0);
	CHECK_INT(store_set_status(st, id, SUB_ACTIVE, NULL, NULL, &err), 0);
	CHECK_INT(store_bounce_add(st, id, false, "2026-07", NULL, NULL, &c,
		&err), 0);
	CHECK_INT(c, 1); /* back to active: the count starts again */
	CHECK_INT(store_bounce_add(st, 99999, false, "2026-07", NULL, NULL, &c,
		&err), EX_NOUSER);
	free(err);
	store_close(st);
}

static void
transactions(void)
{
	struct store *st = fresh("tx");
	struct subscriber s;
	char *err = NULL;
	int out;

	CHECK_INT(store_begin(st, &err), 0);
	CHECK_INT(store_add(st, "t1@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_add(st, "t2@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	store_rollback(st);
	CHECK_INT(store_find(st, "t1@example.org", &s, &err), EX_NOUSER);
	CHECK_INT(store_begin(st, &err), 0);
	CHECK_INT(store_add(st, "t1@example.org", NULL, "cli", false, NULL,
		&out, NULL, &err), 0);
	CHECK_INT(store_commit(st, &err), 0);
	CHECK_INT(store_find(st, "t1@example.org", &s, &err), 0);
	store_subscriber_free(&s);
	free(err);
	store_close(st);
}

/* The double opt-in: requests, their limits, confirmation, purge. */
static void
optin(void)
{
	struct store *st = fresh("optin");
	struct store_optin_limits lim = { 7 * 86400LL, 24 * 3600LL, 3, "1: oui" };
	struct store_optin o;
	struct subscriber s;
	char t[TOKEN_CONFIRM_LEN + 1], *err = NULL;
	long long now = 1780000000, erased = -1, req = 0, id;
	bool open = false;
	int outcome = -1;

	/* a new address: pending, a message to send */
	CHECK_INT(store_optin_request(st, "new@example.org", "Nina", &lim, now,
		&o, &err), 0);
	CHECK(o.created && o.send && o.status == SUB_PENDING);
	CHECK_INT(store_find(st, "new@example.org", &s, &err), 0);
	CHECK_INT(s.status, SUB_PENDING);
	store_subscriber_free(&s);
	/* again within resend_seconds: held, nothing new */
	CHECK_INT(store_optin_request(st, "new@example.org", NULL, &lim,
		now + 60, &o, &err), 0);
	CHECK(!o.send && !o.created);
	CHECK_INT(o.held, STORE_OPTIN_RECENT);
	/* a failed send is counted unsent: the next request sends */
	CHECK_INT(store_optin_unsend(st, o.id, 0, &err), 0);
	CHECK_INT(store_optin_request(st, "new@example.org", NULL, &lim,
		now + 120, &o, &err), 0);
	CHECK(o.send);
	/* the hourly cap: 3 in all, the fourth address held */
	CHECK_INT(store_optin_request(st, "b@example.org", NULL, &lim, now, &o,
		&err), 0);
	CHECK(o.send);
	CHECK_INT(store_optin_request(st, "c@example.org", NULL, &lim, now, &o,
		&err), 0);
	CHECK(o.send);
	CHECK_INT(store_optin_request(st, "d@example.org", NULL, &lim, now, &o,
		&err), 0);
	CHECK(!o.send);
	CHECK_INT(o.held, STORE_OPTIN_CAP);
	/* an hour later it goes */
	CHECK_INT(store_optin_request(st, "d@example.org", NULL, &lim,
		now + 3700, &o, &err), 0);
	CHECK(o.send);
	/* an active subscriber: nothing to confirm */
	CHECK_INT(store_add(st, "act@example.org", NULL, "cli", false, NULL,
		&outcome, NULL, &err), 0);
	CHECK_INT(store_optin_request(st, "act@example.org", NULL, &lim,
		now + 7200, &o, &err), 0);
	CHECK(!o.send);
	CHECK_INT(o.held, STORE_OPTIN_ACTIVE);
	/* an invalid address */
	CHECK_INT(store_optin_request(st, "not an address", NULL, &lim, now,
		&o, &err), EX_DATAERR);
	free(err);
	err = NULL;

	/* the token: found while valid, refused forged or expired */
	CHECK_INT(store_find(st, "new@example.org", &s, &err), 0);
	token_confirm_make(K, 32, s.id, s.email, store_today(now) + 7, t);
	store_subscriber_free(&s);
	CHECK_INT(store_find_confirm_token(st, t, store_today(now), &s, &err), 0);
	CHECK_STR(s.email, "new@example.org");
	CHECK_INT(store_optin_open(st, s.id, &req, &open, &err), 0);
	CHECK(open && req == now);
	id = s.id;
	store_subscriber_free(&s);
	CHECK_INT(store_find_confirm_token(st, t, store_today(now) + 8, &s,
		&err), EX_NOUSER);
	CHECK(strstr(err, "expired") != NULL);
	free(err);
	err = NULL;
	t[TOKEN_CONFIRM_LEN - 1] = t[TOKEN_CONFIRM_LEN - 1] == 'a' ? 'b' : 'a';
	CHECK_INT(store_find_confirm_token(st, t, store_today(now), &s, &err),
		EX_NOUSER);
	free(err);
	err = NULL;
	/* confirmed: active, consent on record, request closed */
	CHECK_INT(store_optin_confirm(st, id, "web", NULL, now + 500,
		&outcome, &err), 0);
	CHECK_INT(outcome, STORE_UPDATED);
	CHECK_INT(store_find(st, "new@example.org", &s, &err), 0);
	CHECK_INT(s.status, SUB_ACTIVE);
	CHECK_STR(s.source, "form");
	CHECK_STR(s.consent_text, "1: oui");
	CHECK_STR(s.confirm_channel, "web");
	CHECK_STR(s.name, "Nina");
	CHECK_INT(s.consent_time, now);
	CHECK_INT(s.confirmed, now + 500);
	CHECK_INT(store_optin_confirm(st, s.id, "web", NULL, now + 600,
		&outcome, &err), 0);
	CHECK_INT(outcome, STORE_UNCHANGED);
	store_subscriber_free(&s);

	/* who leaves closes their request: an old link no longer confirms */
	CHECK_INT(store_optin_request(st, "e@example.org", NULL, &lim,
		now + 7300, &o, &err), 0);
	CHECK_INT(store_optin_open(st, o.id, &req, &open, &err), 0);
	CHECK(open);
	CHECK_INT(store_set_status(st, o.id, SUB_UNSUBSCRIBED, &(struct
		store_evidence){ "one-click", NULL, NULL, NULL, NULL, NULL },
		NULL, &err), 0);
	CHECK_INT(store_optin_open(st, o.id, &req, &open, &err), 0);
	CHECK(!open);
	CHECK_INT(store_optin_confirm(st, o.id, "web", NULL, now + 7400,
		&outcome, &err), EX_NOUSER);
	free(err);
	err = NULL;

	/* purge: pending requests older than 30 days erased, counted */
	CHECK_INT(store_optin_purge(st, now + 10 * 86400LL, 30 * 86400LL,
		&erased, &err), 0);
	CHECK_INT(erased, 0);
	CHECK_INT(store_optin_purge(st, now + 31 * 86400LL, 30 * 86400LL,
		&erased, &err), 0);
	CHECK_INT(erased, 3); /* b, c and d; new and act are active */
	CHECK_INT(store_find(st, "b@example.org", &s, &err), EX_NOUSER);
	free(err);
	err = NULL;
	CHECK_INT(store_find(st, "act@example.org", &s, &err), 0);
	store_subscriber_free(&s);
	store_close(st);
}

int
main(void)
{
	char tmpl[] = "/tmp/test_store.XXXXXX";
	char *cmd;

	if (!mkdtemp(tmpl))
		return 1;
	dir = tmpl;
	RUN(addresses);
	RUN(names);
	RUN(header_names);
	RUN(creation);
	RUN(refuse_foreign);
	RUN(add_find_status);
	RUN(audit_history);
	RUN(forget);
	RUN(import_session);
	RUN(deliveries);
	RUN(undelivered);
	RUN(send_lock);
	RUN(bounces);
	RUN(transactions);
	RUN(optin);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("FAIL cleanup: %s\n", cmd);
	free(cmd);
	return 0;
}
