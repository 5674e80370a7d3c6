/* store_import.c - bulk import into the store: sorted outside SQLite,
 * merged in one transaction */
#include "store.h"
#include "store_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "extsort.h"
#include "util.h"

/* Bulk import. Rows are sorted by key outside the database (extsort:
 * memory does not grow with the file), then merged in that order: the key
 * index then grows at its end instead of at random places, which with a
 * small cache takes several times longer. Rows of different keys never
 * affect each other, so the order changes no outcome. The write lock is
 * taken only for the merge.
 *
 * The rows of a new active key, most of them, are inserted BATCH at a time
 * by one statement (a third less time than one statement each, and with
 * 512 rows a tenth less than with 32); every
 * other row, and a row whose key turns out to exist, goes through
 * store_upsert(), the decision of store_add. */

/* A staged row: the key with its NUL, then a byte of flags and the email
 * (when not the key) and the name (when not NULL), NUL-terminated. */
enum { ROW_SAME_EMAIL = 0x10, ROW_NO_NAME = 0x20, ROW_STATUS = 0x0f };

#define IMPORT_SORT_MEM (8 * 1024 * 1024)
#define BATCH 512

/* A row being merged; pointers into the sorter's record or im->held. */
struct import_row {
	const char *email, *key, *name;
	size_t elen, klen;
	int status;
};

struct store_import {
	struct store *st;
	char *source;
	char *consent;             /* store_import_consent, or NULL */
	bool resubscribe;
	bool check_suppression; /* the suppression table is not empty */
	long long now;
	struct store_evidence ev;
	struct extsort *rows;
	struct buf val;            /* a staged row's value */
	sqlite3_stmt *insert, *insert_batch, *get_id;
	struct buf held;           /* the strings of the batch */
	size_t held_off[BATCH][3]; /* email, key, name in held */
	struct import_row batch[BATCH];
	size_t nbatch;
	struct store_import_counts c;
};

int
store_import_begin(struct store *st, const char *source, bool resubscribe,
	struct store_import **out, char **err)
{
	struct store_import *im;

	(void)err;
	im = xcalloc(1, sizeof(*im));
	im->st = st;
	im->source = xstrdup(source ? source : "import");
	im->resubscribe = resubscribe;
	im->ev.channel = "import";
	im->ev.detail = resubscribe ? "--resubscribe" : NULL;
	im->rows = extsort_new(IMPORT_SORT_MEM);
	*out = im;
	return 0;
}

void
store_import_consent(struct store_import *im, const char *text)
{
	free(im->consent);
	im->consent = text ? xstrdup(text) : NULL;
}

/* The consent text on the rows this import gave consent: theirs is its
 * source at its time. */
static int
set_consent(struct store_import *im, char **err)
{
	sqlite3_stmt *s;
	int rc;

	if (!im->consent)
		return 0;
	if (sqlite3_prepare_v2(im->st->db, "UPDATE subscribers SET"
	    " consent_text = ?1 WHERE source = ?2 AND consent_time = ?3", -1,
	    &s, NULL) != SQLITE_OK)
		return store_db_fail(im->st, err, "importing");
	sqlite3_bind_text(s, 1, im->consent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, im->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, im->now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_fail(im->st, err, "importing");
}

int
store_import_row(struct store_import *im, const char *email, const char *key,
	const char *name, int status, char **err)
{
	struct buf *v = &im->val;
	unsigned char flags = (unsigned char)status & ROW_STATUS;

	buf_reset(v);
	if (strcmp(email, key) == 0)
		flags |= ROW_SAME_EMAIL;
	if (!name)
		flags |= ROW_NO_NAME;
	buf_putc(v, flags);
	if (!(flags & ROW_SAME_EMAIL))
		buf_put(v, email, strlen(email) + 1);
	if (name)
		buf_put(v, name, strlen(name) + 1);
	return extsort_add(im->rows, key, strlen(key) + 1, v->data, v->len,
		err);
}

static void
count(struct store_import *im, int outcome)
{
	switch (outcome) {
	case STORE_ADDED: im->c.added++; break;
	case STORE_UPDATED: im->c.updated++; break;
	case STORE_UNCHANGED: im->c.unchanged++; break;
	default: im->c.suppressed++; break;
	}
}

/* A row decided as store_add decides. */
static int
decide(struct store_import *im, const struct import_row *r, char **err)
{
	int outcome, rc;

	rc = store_upsert(im->st, r->email, r->key, r->name, r->status, im->source,
		im->resubscribe, im->check_suppression, &im->ev, im->now,
		&outcome, NULL, err);
	if (rc == 0)
		count(im, outcome);
	return rc;
}

/* The bindings of one row in the insert statements, after the four that
 * hold for the whole import. */
static void
bind_row(sqlite3_stmt *s, int i, const struct import_row *r)
{
	sqlite3_bind_text(s, 5 + 3 * i, r->email, (int)r->elen, SQLITE_STATIC);
	sqlite3_bind_text(s, 6 + 3 * i, r->key, (int)r->klen, SQLITE_STATIC);
	sqlite3_bind_text(s, 7 + 3 * i, r->name ? r->name : "", -1,
		SQLITE_STATIC);
}

/* A row of an active key found in the store: unchanged when the store
 * has it active with that name (or none given), else decided. Sets
 * *inserted when the row found is one this batch inserted (id >=
 * first_new). */
static int
existing(struct store_import *im, const struct import_row *r,
	long long first_new, char **err)
{
	sqlite3_stmt *s = im->get_id;
	const char *status, *name;
	bool same = false;
	long long id;
	int rc;

	sqlite3_bind_text(s, 1, r->key, (int)r->klen, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return fail(err, EX_SOFTWARE, "%s: importing: a row "
				"inserted is not there", im->st->path);
		return store_db_fail(im->st, err, "reading");
	}
	id = sqlite3_column_int64(s, 0);
	status = (const char *)sqlite3_column_text(s, 1);
	name = (const char *)sqlite3_column_text(s, 2);
	if (id >= first_new) {
		sqlite3_reset(s);
		return 0;
	}
	/* what upsert would find unchanged, the common case of a file
	 * imported again */
	same = status && name && strcmp(status, "active") == 0 &&
	    (!r->name || !*r->name || strcmp(name, r->name) == 0);
	sqlite3_reset(s);
	if (same) {
		im->c.unchanged++;
		return 0;
	}
	return decide(im, r, err);
}

/* Insert one new active row, or see to it when its key exists. */
static int
insert_one(struct store_import *im, const struct import_row *r, char **err)
{
	sqlite3_stmt *s = im->insert;
	int rc;

	bind_row(s, 0, r);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(im->st, err, "writing");
	if (sqlite3_changes(im->st->db) == 0)
		return existing(im, r, LLONG_MAX, err);
	im->c.added++;
	return 0;
}

/* Insert a full batch, and decide the rows whose key existed. */
static int
insert_batch(struct store_import *im, char **err)
{
	struct store *st = im->st;
	sqlite3_stmt *s = im->insert_batch;
	long long first_new = LLONG_MAX;
	int rc, added;

	for (int i = 0; i < BATCH; i++)
		bind_row(s, i, &im->batch[i]);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, err, "writing");
	added = sqlite3_changes(st->db);
	im->c.added += added;
	if (added == BATCH)
		return 0;
	/* the new rows got the ids after the largest one, in turn */
	if (added)
		first_new = sqlite3_last_insert_rowid(st->db) - added + 1;
	for (int i = 0; i < BATCH; i++)
		if ((rc = existing(im, &im->batch[i], first_new, err)) != 0)
			return rc;
	return 0;
}

static int
flush(struct store_import *im, char **err)
{
	size_t n = im->nbatch;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct import_row *r = &im->batch[i];
		const size_t *off = im->held_off[i];

		r->email = im->held.data + off[0];
		r->key = im->held.data + off[1];
		if (r->name)
			r->name = im->held.data + off[2];
	}
	if (n == BATCH)
		rc = insert_batch(im, err);
	else
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = insert_one(im, &im->batch[i], err);
	im->nbatch = 0;
	buf_reset(&im->held);
	return rc;
}

/* Hold r in the batch: its strings are copied, the sorter's record lasts
 * only until the next one. Returns whether the batch is full. */
static bool
hold(struct store_import *im, const struct import_row *r)
{
	size_t i = im->nbatch++, *off = im->held_off[i];

	off[0] = im->held.len;
	buf_put(&im->held, r->email, r->elen + 1);
	off[1] = im->held.len;
	buf_put(&im->held, r->key, r->klen + 1);
	off[2] = im->held.len;
	if (r->name)
		buf_put(&im->held, r->name, strlen(r->name) + 1);
	im->batch[i] = *r;
	return im->nbatch == BATCH;
}

static int
prepare(struct store_import *im, char **err)
{
	struct store *st = im->st;
	struct buf q = BUF_INIT;
	sqlite3_stmt *s;
	int rc = 0;

	/* OR ROLLBACK: a row that breaks a constraint (other than the key,
	 * whose rows are seen to after) ends the import, which is one
	 * transaction; so the statement needs no journal of its own to be
	 * undone alone (a copy of every page it changes) */
	buf_puts(&q, "INSERT OR ROLLBACK INTO subscribers (email, email_key,"
		" name, status, created, source, consent_time, status_time,"
		" status_reason) VALUES ");
	for (int i = 0; i < BATCH; i++)
		buf_printf(&q, "%s(?%d, ?%d, ?%d, ?1, ?2, ?3, ?2, ?2, ?4)",
			i ? ", " : "", 5 + 3 * i, 6 + 3 * i, 7 + 3 * i);
	buf_puts(&q, " ON CONFLICT (email_key) DO NOTHING");
	if (sqlite3_prepare_v2(st->db, buf_str(&q), -1, &im->insert_batch,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT INTO subscribers (email,"
	    " email_key, name, status, created, source, consent_time,"
	    " status_time, status_reason) VALUES (?5, ?6, ?7, ?1, ?2, ?3, ?2,"
	    " ?2, ?4) ON CONFLICT (email_key) DO NOTHING", -1, &im->insert,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT id, status, name FROM"
	    " subscribers WHERE email_key = ?1", -1, &im->get_id, NULL) !=
	    SQLITE_OK)
		rc = store_db_fail(st, err, "preparing a statement");
	buf_free(&q);
	for (int i = 0; rc == 0 && i < 2; i++) {
		s = i ? im->insert : im->insert_batch;
		sqlite3_bind_text(s, 1, store_status_name(SUB_ACTIVE), -1,
			SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, im->now);
		sqlite3_bind_text(s, 3, im->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, im->ev.channel, -1, SQLITE_STATIC);
	}
	return rc;
}

static int
merge(struct store_import *im, char **err)
{
	struct import_row r;
	const char *key, *val;
	size_t klen, vlen;
	int rc;

	if ((rc = prepare(im, err)) != 0 ||
	    (rc = extsort_sort(im->rows, err)) != 0)
		return rc;
	while ((rc = extsort_next(im->rows, &key, &klen, &val, &vlen,
	    err)) == 0 && key) {
		unsigned char flags = (unsigned char)val[0];

		r.key = key;
		r.klen = klen - 1;
		r.status = flags & ROW_STATUS;
		if (flags & ROW_SAME_EMAIL) {
			r.email = key;
			r.elen = r.klen;
		} else {
			r.email = val + 1;
			r.elen = strlen(r.email);
		}
		r.name = flags & ROW_NO_NAME ? NULL : flags & ROW_SAME_EMAIL ?
		    val + 1 : r.email + r.elen + 1;
		/* a key repeated in the file is decided after the row before
		 * it: never in the batch that inserts that one */
		if (r.status == SUB_ACTIVE && !im->check_suppression &&
		    !(im->nbatch > 0 && strcmp(im->held.data +
		    im->held_off[im->nbatch - 1][1], r.key) == 0)) {
			if (hold(im, &r) && (rc = flush(im, err)) != 0)
				break;
			continue;
		}
		if ((rc = flush(im, err)) != 0 || (rc = decide(im, &r, err)) != 0)
			break;
	}
	if (rc == 0)
		rc = flush(im, err);
	return rc;
}

/* Back to WAL mode, unless a process that opened the store since did it
 * (or will: every opening sets it). */
static void
bulk_end(struct store *st)
{
	char *err = NULL;

	store_set_wal(st, &err);
	free(err);
	sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
}

/*
 * A bulk import that has the store to itself runs in rollback journal
 * mode: the pages it adds are written once, to the database file, where
 * in WAL mode they are written to the WAL and copied from there at the
 * checkpoint (a fifth of a large import's time). Leaving WAL mode needs
 * every other connection closed: when a send, a replies run or the
 * endpoint has the store open, the import stays in WAL mode rather than
 * wait. Meanwhile a process opening the store waits, as set_wal retries
 * (the import holds the lock it needs); the one that gets in first after
 * the import, or the import itself, puts the store back in WAL mode. A
 * crash leaves a hot journal, which the next opening rolls back.
 */
static bool
bulk_begin(struct store *st)
{
	sqlite3_stmt *s;
	bool switched = false;

	sqlite3_busy_timeout(st->db, 0);
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = DELETE", -1, &s,
	    NULL) == SQLITE_OK) {
		switched = sqlite3_step(s) == SQLITE_ROW &&
		    strcmp(store_col_borrow(s, 0), "delete") == 0;
		sqlite3_finalize(s);
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (!switched)
		return false;
	/* EXTRA: in DELETE mode a commit is the journal's unlinking, durable
	 * once the folder is synced */
	if (sqlite3_exec(st->db, "PRAGMA synchronous = EXTRA", NULL, NULL,
	    NULL) != SQLITE_OK) {
		bulk_end(st);
		return false;
	}
	return true;
}

int
store_import_end(struct store_import *im, bool commit,
	struct store_import_counts *counts, char **err)
{
	struct store *st = im->st;
	long long n = 0;
	int rc = 0;

	if (commit) {
		bool bulk = bulk_begin(st);
		int on = 1, off = 0;

		/* in rollback journal mode, its pages written a run at a
		 * time (store_vfs.c) */
		if (bulk)
			sqlite3_file_control(st->db, "main", STORE_FCNTL_GATHER,
				&on);

		/* merged in key order, the import needs few pages at a
		 * time: a small cache is as fast as a big one. A statement
		 * journal, if one is needed, in memory, not in a file. */
		if ((rc = store_exec(st, "PRAGMA cache_size = -4096;"
		    " PRAGMA temp_store = MEMORY", "importing", err)) == 0 &&
		    (rc = store_begin(st, err)) == 0) {
			im->now = (long long)time(NULL);
			if ((rc = store_count_suppressed(st, &n, err)) == 0) {
				if (n > 0)
					store_need_secret(st);
				im->check_suppression = n > 0;
				rc = merge(im, err);
			}
			if (rc == 0)
				rc = set_consent(im, err);
			if (rc == 0)
				rc = store_commit(st, err);
			else
				store_rollback(st);
		}
		sqlite3_exec(st->db, "PRAGMA cache_size = -2000;"
			" PRAGMA temp_store = DEFAULT", NULL, NULL, NULL);
		if (bulk) {
			sqlite3_file_control(st->db, "main", STORE_FCNTL_GATHER,
				&off);
			bulk_end(st);
		}
	}
	if (counts) {
		if (rc || !commit)
			memset(&im->c, 0, sizeof(im->c));
		*counts = im->c;
	}
	sqlite3_finalize(im->insert);
	sqlite3_finalize(im->insert_batch);
	sqlite3_finalize(im->get_id);
	extsort_free(im->rows);
	buf_free(&im->val);
	buf_free(&im->held);
	free(im->source);
	free(im->consent);
	free(im);
	return rc;
}
