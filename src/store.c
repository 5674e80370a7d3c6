/* store.c - SQLite: the subscribers, their audit log, the suppression list */
#include "store.h"
#include "store_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "addr.h"
#include "buf.h"
#include "util.h"

#define NAME_MAX_BYTES 512

/*
 * The schema, one script per version: script i takes user_version i to
 * i + 1. Never edit a released script; add one.
 */
static const char *const migrations[] = {
	/* 0 → 1: subscribers and their audit log */
	"CREATE TABLE subscribers ("
	" id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 1073741823),"
	" email TEXT NOT NULL,"
	" email_key TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL DEFAULT '',"
	/* not "IN (…)": that builds a temporary table at every insert */
	" status TEXT NOT NULL CHECK (status = 'active' OR"
	"  status = 'unsubscribed' OR status = 'bounced' OR status = 'pending'),"
	" created INTEGER NOT NULL,"
	" source TEXT NOT NULL DEFAULT '',"
	" status_time INTEGER NOT NULL,"
	" status_reason TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" subscriber INTEGER NOT NULL"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL,"
	" old_status TEXT,"
	" new_status TEXT NOT NULL,"
	" channel TEXT NOT NULL,"
	" message_id TEXT,"
	" token TEXT,"
	" status_code TEXT);"
	"CREATE INDEX audit_subscriber ON audit(subscriber);",

	/* 1 → 2: consent time, richer evidence, suppression, the delivery
	 * journal, send locks, bounces */
	"ALTER TABLE subscribers ADD COLUMN consent_time INTEGER;"
	"UPDATE subscribers SET consent_time = created;"
	"ALTER TABLE audit ADD COLUMN issue TEXT;"
	"ALTER TABLE audit ADD COLUMN detail TEXT;"
	"CREATE TABLE suppression ("
	" hash TEXT PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" reason TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE deliveries ("
	" issue TEXT NOT NULL,"
	" subscriber INTEGER NOT NULL"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" state TEXT NOT NULL CHECK (state = 'pending' OR state = 'sent' OR"
	"  state = 'deferred' OR state = 'failed' OR state = 'skipped'),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" answer TEXT,"
	" message_id TEXT,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" PRIMARY KEY (issue, subscriber)) WITHOUT ROWID;"
	"CREATE INDEX deliveries_subscriber ON deliveries(subscriber);"
	"CREATE TABLE send_locks ("
	" issue TEXT PRIMARY KEY,"
	" pid INTEGER NOT NULL,"
	" host TEXT NOT NULL,"
	" time INTEGER NOT NULL);"
	"CREATE TABLE bounces ("
	" id INTEGER PRIMARY KEY,"
	" subscriber INTEGER NOT NULL"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL CHECK (kind = 'permanent' OR kind = 'transient'),"
	" issue TEXT,"
	" time INTEGER NOT NULL,"
	" status_code TEXT,"
	" message_id TEXT,"
	" UNIQUE (subscriber, kind, issue));",

	/* 2 → 3: when the last unsubscribe confirmation request went */
	"CREATE TABLE confirm_requests ("
	" subscriber INTEGER PRIMARY KEY"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL,"
	" sent INTEGER NOT NULL DEFAULT 1);",

	/* 3 → 4: consent on record (its text and its confirmation), the
	 * open requests of the double opt-in, and what was erased */
	"ALTER TABLE subscribers ADD COLUMN consent_text TEXT NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE subscribers ADD COLUMN confirmed INTEGER;"
	"ALTER TABLE subscribers ADD COLUMN confirm_channel TEXT NOT NULL"
	" DEFAULT '';"
	"CREATE TABLE optin ("
	" subscriber INTEGER PRIMARY KEY"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" requested INTEGER NOT NULL,"
	" name TEXT NOT NULL DEFAULT '',"
	" consent_text TEXT NOT NULL DEFAULT '',"
	" sent_time INTEGER NOT NULL DEFAULT 0,"
	" sent INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX optin_sent ON optin(sent_time);"
	"CREATE TABLE erasures ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" count INTEGER NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define SUB_COLS "id, email, email_key, name, status, created, source, " \
	"coalesce(consent_time, created), status_time, status_reason, " \
	"consent_text, coalesce(confirmed, 0), confirm_channel"
#define DLV_COLS "d.subscriber, s.email, s.email_key, s.name, s.status, " \
	"d.state, d.attempts, d.answer, d.message_id, d.created, d.updated"


static const char *const sql[Q_N] = {
	[Q_GET_ID] = "SELECT " SUB_COLS " FROM subscribers WHERE id = ?1",
	[Q_GET_KEY] = "SELECT " SUB_COLS " FROM subscribers WHERE email_key = ?1",
	[Q_INSERT] = "INSERT INTO subscribers (email, email_key, name, status,"
		" created, source, consent_time, status_time, status_reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5, ?7)",
	[Q_INSERT_NEW] = "INSERT INTO subscribers (email, email_key, name,"
		" status, created, source, consent_time, status_time,"
		" status_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5, ?7)"
		" ON CONFLICT (email_key) DO NOTHING",
	[Q_SET_NAME] = "UPDATE subscribers SET name = ?2 WHERE id = ?1",
	[Q_SET_STATUS] = "UPDATE subscribers SET status = ?2, status_time = ?3,"
		" status_reason = ?4,"
		" source = CASE WHEN ?5 IS NULL THEN source ELSE ?5 END,"
		" consent_time = CASE WHEN ?5 IS NULL THEN consent_time"
		" ELSE ?3 END WHERE id = ?1",
	[Q_AUDIT] = "INSERT INTO audit (subscriber, time, old_status,"
		" new_status, channel, message_id, token, status_code, issue,"
		" detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_SUPP_GET] = "SELECT 1 FROM suppression WHERE hash = ?1",
	[Q_SUPP_ADD] = "INSERT OR IGNORE INTO suppression (hash, time, reason)"
		" VALUES (?1, ?2, ?3)",
	[Q_SUPP_DEL] = "DELETE FROM suppression WHERE hash = ?1",
	[Q_SUPP_COUNT] = "SELECT count(*) FROM suppression",
	[Q_DELETE] = "DELETE FROM subscribers WHERE id = ?1",
	[Q_BOUNCES_CLEAR] = "DELETE FROM bounces WHERE subscriber = ?1",
	[Q_LIST] = "SELECT " SUB_COLS " FROM subscribers ORDER BY email_key",
	[Q_LIST_STATUS] = "SELECT " SUB_COLS " FROM subscribers"
		" WHERE status = ?1 ORDER BY email_key",
	[Q_HISTORY] = "SELECT time, old_status, new_status, channel,"
		" message_id, token, status_code, issue, detail FROM audit"
		" WHERE subscriber = ?1 ORDER BY id",
	[Q_LOCK_GET] = "SELECT pid, host, time FROM send_locks WHERE issue = ?1",
	[Q_LOCK_SET] = "INSERT OR REPLACE INTO send_locks (issue, pid, host,"
		" time) VALUES (?1, ?2, ?3, ?4)",
	[Q_LOCK_DEL] = "DELETE FROM send_locks WHERE issue = ?1 AND pid = ?2"
		" AND host = ?3",
	[Q_PLAN] = "INSERT INTO deliveries (issue, subscriber, state, attempts,"
		" created, updated) SELECT ?1, s.id, 'pending', 0, ?2, ?2"
		" FROM subscribers s WHERE s.status = 'active' AND NOT EXISTS"
		" (SELECT 1 FROM deliveries d WHERE d.issue = ?1"
		" AND d.subscriber = s.id)",
	[Q_UNDELIVERED] = "SELECT " SUB_COLS " FROM subscribers s"
		" WHERE s.status = 'active' AND NOT EXISTS"
		" (SELECT 1 FROM deliveries d WHERE d.issue = ?1"
		" AND d.subscriber = s.id) ORDER BY s.id",
	[Q_BATCH] = "SELECT " DLV_COLS " FROM deliveries d"
		" JOIN subscribers s ON s.id = d.subscriber"
		" WHERE d.issue = ?1 AND d.subscriber > ?2"
		" AND instr(?3, ',' || d.state || ',') > 0"
		" ORDER BY d.subscriber LIMIT ?4",
	[Q_DLV_GET] = "SELECT " DLV_COLS " FROM deliveries d"
		" JOIN subscribers s ON s.id = d.subscriber"
		" WHERE d.issue = ?1 AND d.subscriber = ?2",
	[Q_DLV_SET] = "INSERT INTO deliveries (issue, subscriber, state,"
		" attempts, answer, message_id, created, updated)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
		" ON CONFLICT (issue, subscriber) DO UPDATE SET"
		" state = excluded.state,"
		" attempts = attempts + excluded.attempts,"
		" answer = coalesce(excluded.answer, answer),"
		" message_id = coalesce(excluded.message_id, message_id),"
		" updated = excluded.updated"
		" WHERE state <> 'sent' OR excluded.state = 'sent'",
	[Q_DLV_COUNTS] = "SELECT state, count(*) FROM deliveries"
		" WHERE issue = ?1 GROUP BY state",
	[Q_BOUNCE_ADD] = "INSERT OR IGNORE INTO bounces (subscriber, kind,"
		" issue, time, status_code, message_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_BOUNCE_COUNT] = "SELECT count(DISTINCT issue) + total(issue IS NULL)"
		" FROM bounces WHERE subscriber = ?1 AND kind = ?2",
};


static const char *const status_names[SUB_NSTATUS] = {
	"active", "unsubscribed", "bounced", "pending",
};
static const char *const delivery_names[DLV_NSTATES] = {
	"pending", "sent", "deferred", "failed", "skipped",
};

const char *
store_status_name(int status)
{
	return status >= 0 && status < SUB_NSTATUS ? status_names[status] : "?";
}

int
store_status_parse(const char *s)
{
	for (int i = 0; s && i < SUB_NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *
store_delivery_name(int state)
{
	return state >= 0 && state < DLV_NSTATES ? delivery_names[state] : "?";
}

int
store_delivery_parse(const char *s)
{
	for (int i = 0; s && i < DLV_NSTATES; i++)
		if (strcmp(s, delivery_names[i]) == 0)
			return i;
	return -1;
}

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* Addresses and names. */

/* Is the UTF-8 sequence at s a control character (C0, DEL, C1)? */
static bool
is_control(const unsigned char *s)
{
	return s[0] < 0x20 || s[0] == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 &&
	    s[1] <= 0x9f);
}

static int
address_key(const char *email, char key[STORE_KEY_SIZE], char **err)
{
	const char *why = addr_check_key(email, strlen(email), key);
	char *s;

	if (why) {
		s = sanitize(email);
		fail(err, EX_DATAERR, "\"%s\" is not a valid address: %s", s,
			why);
		free(s);
		return EX_DATAERR;
	}
	return 0;
}

int
store_address_key(const char *email, char **key, char **err)
{
	char k[STORE_KEY_SIZE];
	int rc;

	*key = NULL;
	if ((rc = address_key(email, k, err)) == 0)
		*key = xstrdup(k);
	return rc;
}

int
store_address_keybuf(const char *email, char key[STORE_KEY_SIZE],
	char **err)
{
	*key = '\0';
	return address_key(email, key, err);
}

int
store_name_cleanbuf(const char *name, size_t n, struct buf *out, char **err)
{
	const unsigned char *p = (const unsigned char *)name;
	char *o, *start;
	bool space = false;

	if (!utf8_valid(name, n, NULL))
		return fail(err, EX_DATAERR, "the name is not valid UTF-8");
	buf_grow(out, n);
	o = start = out->data + out->len;
	for (const unsigned char *end = p + n; p < end; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = o > start;
			continue;
		}
		if (is_control(p)) {
			out->data[out->len] = '\0';
			return fail(err, EX_DATAERR, "the name holds a control "
				"character");
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = (char)*p;
	}
	*o = '\0';
	if ((size_t)(o - start) > NAME_MAX_BYTES) {
		out->data[out->len] = '\0';
		return fail(err, EX_DATAERR, "the name is longer than %d bytes",
			NAME_MAX_BYTES);
	}
	out->len += (size_t)(o - start);
	return 0;
}

int
store_name_clean(const char *name, char **out, char **err)
{
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = store_name_cleanbuf(name, strlen(name), &b, err)) != 0) {
		buf_free(&b);
		return rc;
	}
	*out = buf_detach(&b);
	return 0;
}

/* SQLite plumbing. */

int
store_db_fail(struct store *st, char **err, const char *what)
{
	int rc = sqlite3_errcode(st->db), status;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		status = EX_TEMPFAIL;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		status = EX_IOERR;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		status = EX_DATAERR;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		status = EX_NOPERM;
		break;
	case SQLITE_CANTOPEN:
		status = EX_CANTCREAT;
		break;
	default:
		status = EX_SOFTWARE;
	}
	return fail(err, status, "%s: %s: %s", st->path, what,
		sqlite3_errmsg(st->db));
}

/* The prepared statement i, reset and ready to bind (NULL on error). */
sqlite3_stmt *
store_stmt(struct store *st, int i, char **err)
{
	if (!st->q[i]) {
		if (sqlite3_prepare_v3(st->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK) {
			store_db_fail(st, err, "preparing a statement");
			return NULL;
		}
	} else {
		sqlite3_reset(st->q[i]);
		sqlite3_clear_bindings(st->q[i]);
	}
	return st->q[i];
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Step a statement that returns no row. */
int
store_run(struct store *st, sqlite3_stmt *s, char **err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_fail(st, err, "writing");
	}
	sqlite3_reset(s);
	return 0;
}

int
store_exec(struct store *st, const char *sqltext, const char *what, char **err)
{
	if (sqlite3_exec(st->db, sqltext, NULL, NULL, NULL) != SQLITE_OK)
		return store_db_fail(st, err, what);
	return 0;
}

char *
store_col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return xstrdup(t ? (const char *)t : "");
}

char *
store_col_str_null(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

const char *
store_col_borrow(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static void
store_read_sub(sqlite3_stmt *s, struct subscriber *out)
{
	out->id = sqlite3_column_int64(s, 0);
	out->email = store_col_str(s, 1);
	out->key = store_col_str(s, 2);
	out->name = store_col_str(s, 3);
	out->status = store_status_parse(store_col_borrow(s, 4));
	out->created = sqlite3_column_int64(s, 5);
	out->source = store_col_str(s, 6);
	out->consent_time = sqlite3_column_int64(s, 7);
	out->status_time = sqlite3_column_int64(s, 8);
	out->reason = store_col_str(s, 9);
	out->consent_text = store_col_str(s, 10);
	out->confirmed = sqlite3_column_int64(s, 11);
	out->confirm_channel = store_col_str(s, 12);
}

/* The same without copies, for listings. */
void
store_borrow_sub(sqlite3_stmt *s, struct subscriber *out)
{
	out->id = sqlite3_column_int64(s, 0);
	out->email = (char *)store_col_borrow(s, 1);
	out->key = (char *)store_col_borrow(s, 2);
	out->name = (char *)store_col_borrow(s, 3);
	out->status = store_status_parse(store_col_borrow(s, 4));
	out->created = sqlite3_column_int64(s, 5);
	out->source = (char *)store_col_borrow(s, 6);
	out->consent_time = sqlite3_column_int64(s, 7);
	out->status_time = sqlite3_column_int64(s, 8);
	out->reason = (char *)store_col_borrow(s, 9);
	out->consent_text = (char *)store_col_borrow(s, 10);
	out->confirmed = sqlite3_column_int64(s, 11);
	out->confirm_channel = (char *)store_col_borrow(s, 12);
}

void
store_subscriber_free(struct subscriber *s)
{
	free(s->email);
	free(s->key);
	free(s->name);
	free(s->source);
	free(s->reason);
	free(s->consent_text);
	free(s->confirm_channel);
	memset(s, 0, sizeof(*s));
}

/* A write transaction of our own unless the caller holds one: *own says
 * which, for store_tx_finish(). */
int
store_tx_begin(struct store *st, bool *own, char **err)
{
	int rc;

	*own = false;
	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if ((rc = store_begin(st, err)) != 0)
		return rc;
	*own = true;
	return 0;
}

int
store_tx_finish(struct store *st, bool own, int rc, char **err)
{
	if (!own)
		return rc;
	if (rc == 0)
		return store_commit(st, err);
	store_rollback(st);
	return rc;
}

int
store_begin(struct store *st, char **err)
{
	return store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock", err);
}

int
store_commit(struct store *st, char **err)
{
	int rc = store_exec(st, "COMMIT", "committing", err);

	if (rc != 0)
		store_rollback(st);
	return rc;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Opening and migrating. */

static int
mkdirs(const char *dir)
{
	struct stat sb;
	char *s;

	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
	s = xstrdup(dir);
	for (char *p = s + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0700) < 0 && errno != EEXIST) {
			free(s);
			return errno;
		}
		*p = '/';
	}
	if (mkdir(s, 0700) < 0 && errno != EEXIST) {
		free(s);
		return errno;
	}
	free(s);
	return 0;
}

static int
get_int(struct store *st, const char *q, long long *v, char **err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, err, "reading");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_db_fail(st, err, "reading");
	return 0;
}

static int
migrate(struct store *st, char **err)
{
	long long v, ntables;
	int rc;

	if ((rc = get_int(st, "PRAGMA user_version", &v, err)) != 0)
		return rc;
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION)
		return fail(err, EX_DATAERR, "%s: the database has schema "
			"version %lld, newer than this infolettre knows (%d)",
			st->path, v, SCHEMA_VERSION);
	if ((rc = store_begin(st, err)) != 0)
		return rc;
	/* another process may have migrated while we waited for the lock */
	if ((rc = get_int(st, "PRAGMA user_version", &v, err)) != 0 ||
	    (rc = get_int(st, "SELECT count(*) FROM sqlite_master", &ntables,
	    err)) != 0) {
		store_rollback(st);
		return rc;
	}
	if (v == 0 && ntables > 0) {
		store_rollback(st);
		return fail(err, EX_DATAERR, "%s: not an infolettre database "
			"(it has tables but no schema version)", st->path);
	}
	for (; v < SCHEMA_VERSION; v++) {
		char *set = xasprintf("PRAGMA user_version = %lld", v + 1);

		rc = store_exec(st, migrations[v], "migrating the schema", err);
		if (rc == 0)
			rc = store_exec(st, set, "migrating the schema", err);
		free(set);
		if (rc != 0) {
			store_rollback(st);
			return rc;
		}
	}
	return store_commit(st, err);
}

/* Switch to the WAL journal. Two processes creating the store at once
 * race for it, and SQLite does not call the busy handler for this lock:
 * retry until the busy timeout. */
int
store_set_wal(struct store *st, char **err)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	int rc, waited = 0;

	while ((rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL)) == SQLITE_BUSY && waited < BUSY_TIMEOUT_MS) {
		nanosleep(&pause, NULL);
		waited += 5;
	}
	return rc == SQLITE_OK ? 0 : store_db_fail(st, err, "opening");
}

int
store_open(const char *path, const unsigned char *secret, size_t secret_len,
	struct store **out, char **err)
{
	struct store *st;
	char *dir;
	mode_t old;
	int rc, e;

	*out = NULL;
	dir = path_dirname(path);
	e = mkdirs(dir);
	if (e) {
		rc = fail(err, EX_CANTCREAT, "%s: cannot create the folder: %s",
			dir, strerror(e));
		free(dir);
		return rc;
	}
	free(dir);

	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	if (secret) {
		st->secret = xmalloc(secret_len);
		memcpy(st->secret, secret, secret_len);
		st->secret_len = secret_len;
	}
	/* the database, its -wal and -shm files are made 0600 */
	old = umask(077);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, store_vfs()) != SQLITE_OK) {
		rc = st->db ? store_db_fail(st, err, "opening") :
		    fail(err, EX_OSERR, "%s: out of memory", path);
		if ((rc == EX_SOFTWARE || rc == EX_IOERR) && access(path, F_OK))
			rc = EX_CANTCREAT;
		goto bad;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if ((rc = store_exec(st, "PRAGMA foreign_keys = ON", "opening", err)) != 0 ||
	    (rc = store_set_wal(st, err)) != 0 ||
	    /* FULL: a commit must survive a power cut, or a message the
	     * journal called sent would be sent again */
	    (rc = store_exec(st, "PRAGMA synchronous = FULL", "opening", err)) != 0 ||
	    (rc = migrate(st, err)) != 0)
		goto bad;
	umask(old);
	*out = st;
	return 0;
bad:
	umask(old);
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(st->q[i]);
	if (st->db) {
		store_rollback(st);
		sqlite3_close(st->db);
	}
	if (st->secret) {
		explicit_bzero(st->secret, st->secret_len);
		free(st->secret);
	}
	free(st->path);
	free(st);
}

/* Lookups. */

static int
get_one(struct store *st, sqlite3_stmt *s, struct subscriber *out,
	const char *what, char **err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		store_read_sub(s, out);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return fail(err, EX_NOUSER, "%s: not a subscriber", what);
	return store_db_fail(st, err, "reading");
}

int
store_get(struct store *st, long long id, struct subscriber *out, char **err)
{
	sqlite3_stmt *s;
	char what[32];

	memset(out, 0, sizeof(*out));
	if (!(s = store_stmt(st, Q_GET_ID, err)))
		return EX_SOFTWARE;
	sqlite3_bind_int64(s, 1, id);
	snprintf(what, sizeof(what), "id %lld", id);
	return get_one(st, s, out, what, err);
}

int
store_get_key(struct store *st, const char *key, struct subscriber *out,
	char **err)
{
	sqlite3_stmt *s;
	char *what;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(s = store_stmt(st, Q_GET_KEY, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, key);
	what = sanitize(key);
	rc = get_one(st, s, out, what, err);
	free(what);
	return rc;
}

int
store_find(struct store *st, const char *email, struct subscriber *out,
	char **err)
{
	char *key;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	rc = store_get_key(st, key, out, err);
	free(key);
	return rc;
}

/* Forget an error that was expected. */
static void
clear_err(char **err)
{
	if (err) {
		free(*err);
		*err = NULL;
	}
}

void
store_need_secret(const struct store *st)
{
	if (!st->secret)
		die(EX_SOFTWARE, "the store was opened without the secret");
}

int
store_find_token(struct store *st, const char *token, struct subscriber *out,
	char **err)
{
	long long id = token_id(token);
	int rc;

	store_need_secret(st);
	memset(out, 0, sizeof(*out));
	if (id < 0)
		return fail(err, EX_NOUSER, "not a token");
	if ((rc = store_get(st, id, out, err)) != 0)
		return rc;
	if (!token_check(st->secret, st->secret_len, id, out->email, token)) {
		store_subscriber_free(out);
		return fail(err, EX_NOUSER, "the token is not valid");
	}
	return 0;
}

void
store_token(const struct store *st, const struct subscriber *s,
	char out[TOKEN_LEN + 1])
{
	store_need_secret(st);
	token_make(st->secret, st->secret_len, s->id, s->email, out);
}

/* Changes. */

int
store_audit(struct store *st, long long id, long long now, int old, int new,
	const struct store_evidence *ev, char **err)
{
	sqlite3_stmt *s;

	if (!(s = store_stmt(st, Q_AUDIT, err)))
		return EX_SOFTWARE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	store_bind_text(s, 3, old >= 0 ? store_status_name(old) : NULL);
	store_bind_text(s, 4, store_status_name(new));
	store_bind_text(s, 5, ev && ev->channel ? ev->channel : "admin");
	store_bind_text(s, 6, ev ? ev->message_id : NULL);
	store_bind_text(s, 7, ev ? ev->token : NULL);
	store_bind_text(s, 8, ev ? ev->status_code : NULL);
	store_bind_text(s, 9, ev ? ev->issue : NULL);
	store_bind_text(s, 10, ev ? ev->detail : NULL);
	return store_run(st, s, err);
}

/* Set the status of a subscriber we read (old), with its audit row;
 * source, when not NULL, is a new consent. */
int
store_status_row(struct store *st, long long id, int old, int status,
	const char *source, const struct store_evidence *ev, long long now,
	char **err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, Q_SET_STATUS, err)))
		return EX_SOFTWARE;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, store_status_name(status));
	sqlite3_bind_int64(s, 3, now);
	store_bind_text(s, 4, ev && ev->channel ? ev->channel : "admin");
	store_bind_text(s, 5, source);
	if ((rc = store_run(st, s, err)) != 0)
		return rc;
	if ((rc = store_audit(st, id, now, old, status, ev, err)) != 0)
		return rc;
	if (status == SUB_UNSUBSCRIBED || status == SUB_BOUNCED) {
		/* who leaves closes an open subscription request: an old
		 * confirmation link no longer brings them back */
		char *q = xasprintf("DELETE FROM optin WHERE subscriber = %lld",
			id);

		rc = store_exec(st, q, "writing", err);
		free(q);
		if (rc)
			return rc;
	}
	if (status == SUB_ACTIVE) {
		if (!(s = store_stmt(st, Q_BOUNCES_CLEAR, err)))
			return EX_SOFTWARE;
		sqlite3_bind_int64(s, 1, id);
		rc = store_run(st, s, err);
	}
	return rc;
}

static int
set_name(struct store *st, long long id, const char *name, char **err)
{
	sqlite3_stmt *s;

	if (!(s = store_stmt(st, Q_SET_NAME, err)))
		return EX_SOFTWARE;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, name);
	return store_run(st, s, err);
}

int
store_insert(struct store *st, const char *email, const char *key, const char *name,
	int status, const char *source, const char *reason, long long now,
	long long *id, char **err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, Q_INSERT, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, email);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, name ? name : "");
	store_bind_text(s, 4, store_status_name(status));
	sqlite3_bind_int64(s, 5, now);
	store_bind_text(s, 6, source ? source : "");
	store_bind_text(s, 7, reason);
	if ((rc = store_run(st, s, err)) != 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Is key in the suppression table? With drop, the entry is removed. */
int
store_supp_key(struct store *st, const char *key, bool drop, bool *yes, char **err)
{
	char h[TOKEN_HASH_LEN + 1];
	sqlite3_stmt *s;
	int rc;

	store_need_secret(st);
	token_hash(st->secret, st->secret_len, "suppress", key, h);
	if (!(s = store_stmt(st, Q_SUPP_GET, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, h);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, err, "reading");
	*yes = rc == SQLITE_ROW;
	if (*yes && drop) {
		if (!(s = store_stmt(st, Q_SUPP_DEL, err)))
			return EX_SOFTWARE;
		store_bind_text(s, 1, h);
		return store_run(st, s, err);
	}
	return 0;
}

int
store_count_suppressed(struct store *st, long long *n, char **err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, Q_SUPP_COUNT, err)))
		return EX_SOFTWARE;
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_db_fail(st, err, "reading");
}

/*
 * The decision of store_add and of an import row, inside a transaction.
 * status is what the caller asks for (active, or unsubscribed/bounced from
 * a file); check_supp says the suppression table may hold key.
 */
int
store_upsert(struct store *st, const char *email, const char *key, const char *name,
	int status, const char *source, bool resubscribe, bool check_supp,
	const struct store_evidence *ev, long long now, int *outcome,
	long long *id, char **err)
{
	struct store_evidence def = { "admin", NULL, NULL, NULL, NULL, NULL };
	struct subscriber cur;
	sqlite3_stmt *s;
	bool supp = false, named = name && *name;
	int rc;

	if (!ev)
		ev = &def;
	if (id)
		*id = 0;
	if (status == SUB_ACTIVE && check_supp &&
	    (rc = store_supp_key(st, key, resubscribe, &supp, err)) != 0)
		return rc;
	if (supp && !resubscribe) {
		*outcome = STORE_SUPPRESSED;
		return 0;
	}
	/* the common case, a new address, in one statement */
	if (!(s = store_stmt(st, Q_INSERT_NEW, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, email);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, named ? name : "");
	store_bind_text(s, 4, store_status_name(status));
	sqlite3_bind_int64(s, 5, now);
	store_bind_text(s, 6, source ? source : "");
	store_bind_text(s, 7, ev->channel);
	if ((rc = store_run(st, s, err)) != 0)
		return rc;
	if (sqlite3_changes(st->db) > 0) {
		long long new_id = sqlite3_last_insert_rowid(st->db);

		if (id)
			*id = new_id;
		if (status == SUB_ACTIVE) {
			*outcome = STORE_ADDED;
			return 0;
		}
		/* recorded as having left: say why */
		*outcome = STORE_SUPPRESSED;
		return store_audit(st, new_id, now, -1, status, ev, err);
	}

	if ((rc = store_get_key(st, key, &cur, err)) != 0)
		return rc;
	*outcome = STORE_UNCHANGED;
	if (id)
		*id = cur.id;
	if (status != SUB_ACTIVE) {
		/* the file says the person left */
		if (cur.status == SUB_ACTIVE || cur.status == SUB_PENDING) {
			rc = store_status_row(st, cur.id, cur.status, status, NULL, ev,
				now, err);
			*outcome = STORE_UPDATED;
		} else {
			*outcome = STORE_SUPPRESSED;
		}
		store_subscriber_free(&cur);
		return rc;
	}
	if ((cur.status == SUB_UNSUBSCRIBED || cur.status == SUB_BOUNCED) &&
	    !resubscribe) {
		*outcome = STORE_SUPPRESSED;
		if (id)
			*id = 0;
		store_subscriber_free(&cur);
		return 0;
	}
	if (cur.status != SUB_ACTIVE) {
		rc = store_status_row(st, cur.id, cur.status, SUB_ACTIVE, source ?
			source : cur.source, ev, now, err);
		*outcome = STORE_UPDATED;
	}
	if (rc == 0 && named && strcmp(cur.name, name) != 0) {
		rc = set_name(st, cur.id, name, err);
		*outcome = STORE_UPDATED;
	}
	store_subscriber_free(&cur);
	return rc;
}

int
store_add(struct store *st, const char *email, const char *name,
	const char *source, bool resubscribe, const struct store_evidence *ev,
	int *outcome, long long *id, char **err)
{
	char *key = NULL, *clean = NULL;
	long long nsupp = 0;
	bool own;
	int rc;

	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	if (name && (rc = store_name_clean(name, &clean, err)) != 0) {
		free(key);
		return rc;
	}
	if ((rc = store_tx_begin(st, &own, err)) == 0) {
		rc = store_count_suppressed(st, &nsupp, err);
		if (rc == 0)
			rc = store_upsert(st, email, key, clean, SUB_ACTIVE, source,
				resubscribe, nsupp > 0, ev, (long long)time(NULL),
				outcome, id, err);
		rc = store_tx_finish(st, own, rc, err);
	}
	free(key);
	free(clean);
	return rc;
}

int
store_remove(struct store *st, const char *email,
	const struct store_evidence *ev, int *outcome, char **err)
{
	struct store_evidence def = { "admin", NULL, NULL, NULL, NULL, NULL };
	struct subscriber cur;
	long long now = (long long)time(NULL);
	char *key;
	bool own;
	int rc;

	if (!ev)
		ev = &def;
	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	if ((rc = store_tx_begin(st, &own, err)) != 0) {
		free(key);
		return rc;
	}
	rc = store_get_key(st, key, &cur, err);
	if (rc == EX_NOUSER) {
		long long id = 0;

		clear_err(err);
		rc = store_insert(st, email, key, NULL, SUB_UNSUBSCRIBED, "",
			ev->channel, now, &id, err);
		if (rc == 0)
			rc = store_audit(st, id, now, -1, SUB_UNSUBSCRIBED, ev, err);
		*outcome = STORE_ADDED;
	} else if (rc == 0) {
		*outcome = STORE_UNCHANGED;
		if (cur.status == SUB_ACTIVE || cur.status == SUB_PENDING) {
			rc = store_status_row(st, cur.id, cur.status,
				SUB_UNSUBSCRIBED, NULL, ev, now, err);
			*outcome = STORE_UPDATED;
		}
		store_subscriber_free(&cur);
	}
	free(key);
	return store_tx_finish(st, own, rc, err);
}

int
store_set_status(struct store *st, long long id, int status,
	const struct store_evidence *ev, bool *changed, char **err)
{
	struct subscriber cur;
	bool own;
	int rc;

	if (changed)
		*changed = false;
	if (status < 0 || status >= SUB_NSTATUS)
		return fail(err, EX_SOFTWARE, "no status %d", status);
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if ((rc = store_get(st, id, &cur, err)) == 0) {
		if (cur.status != status) {
			rc = store_status_row(st, id, cur.status, status, NULL, ev,
				(long long)time(NULL), err);
			if (changed)
				*changed = rc == 0;
		}
		store_subscriber_free(&cur);
	}
	return store_tx_finish(st, own, rc, err);
}

int
store_forget(struct store *st, const char *email, bool *existed, char **err)
{
	char h[TOKEN_HASH_LEN + 1];
	struct subscriber cur;
	sqlite3_stmt *s;
	char *key;
	bool own;
	int rc;

	store_need_secret(st);
	if (existed)
		*existed = false;
	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	token_hash(st->secret, st->secret_len, "suppress", key, h);
	if ((rc = store_tx_begin(st, &own, err)) != 0) {
		free(key);
		return rc;
	}
	rc = store_get_key(st, key, &cur, err);
	if (rc == 0) {
		if (existed)
			*existed = true;
		if ((s = store_stmt(st, Q_DELETE, err))) {
			sqlite3_bind_int64(s, 1, cur.id);
			rc = store_run(st, s, err);
		} else {
			rc = EX_SOFTWARE;
		}
		store_subscriber_free(&cur);
	} else if (rc == EX_NOUSER) {
		clear_err(err);
		rc = 0;
	}
	if (rc == 0) {
		if ((s = store_stmt(st, Q_SUPP_ADD, err))) {
			store_bind_text(s, 1, h);
			sqlite3_bind_int64(s, 2, (long long)time(NULL));
			store_bind_text(s, 3, "forget");
			rc = store_run(st, s, err);
		} else {
			rc = EX_SOFTWARE;
		}
	}
	free(key);
	return store_tx_finish(st, own, rc, err);
}

int
store_suppressed(struct store *st, const char *email, bool *yes, char **err)
{
	char *key;
	int rc;

	*yes = false;
	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	rc = store_supp_key(st, key, false, yes, err);
	free(key);
	return rc;
}

/* Listings. */

int
store_list(struct store *st, int status, store_each_fn fn, void *ctx,
	char **err)
{
	struct subscriber sub;
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, status < 0 ? Q_LIST : Q_LIST_STATUS, err)))
		return EX_SOFTWARE;
	if (status >= 0)
		store_bind_text(s, 1, store_status_name(status));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_borrow_sub(s, &sub);
		if ((rc = fn(ctx, &sub)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_fail(st, err, "reading");
}

int
store_history(struct store *st, long long id, store_audit_fn fn, void *ctx,
	char **err)
{
	struct store_audit a;
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, Q_HISTORY, err)))
		return EX_SOFTWARE;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.time = sqlite3_column_int64(s, 0);
		a.old_status = store_status_parse(store_col_borrow(s, 1));
		a.new_status = store_status_parse(store_col_borrow(s, 2));
		a.channel = store_col_borrow(s, 3);
		a.message_id = store_col_borrow(s, 4);
		a.token = store_col_borrow(s, 5);
		a.status_code = store_col_borrow(s, 6);
		a.issue = store_col_borrow(s, 7);
		a.detail = store_col_borrow(s, 8);
		if ((rc = fn(ctx, &a)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_fail(st, err, "reading");
}

int
store_confirm_last(struct store *st, long long id, long long *when,
	char **err)
{
	sqlite3_stmt *q;
	int rc;

	*when = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT time FROM confirm_requests "
	    "WHERE subscriber = ?", -1, &q, NULL) != SQLITE_OK)
		return store_db_fail(st, err, "reading");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*when = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, err, "reading");
	return 0;
}

int
store_confirm_sent(struct store *st, long long id, long long when,
	char **err)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO confirm_requests "
	    "(subscriber, time) VALUES (?, ?) ON CONFLICT (subscriber) DO "
	    "UPDATE SET time = excluded.time, sent = sent + 1", -1, &q,
	    NULL) != SQLITE_OK)
		return store_db_fail(st, err, "writing");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, when);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_fail(st, err, "writing");
}
