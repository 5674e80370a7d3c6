/* journal.c - the delivery journal: which subscriber got which issue,
 * the send locks, and the bounces recorded */
#include "store.h"
#include "store_priv.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

static void
read_delivery(sqlite3_stmt *s, struct delivery *d)
{
	d->subscriber = sqlite3_column_int64(s, 0);
	d->email = store_col_str(s, 1);
	d->key = store_col_str(s, 2);
	d->name = store_col_str(s, 3);
	d->sub_status = store_status_parse(store_col_borrow(s, 4));
	d->state = store_delivery_parse(store_col_borrow(s, 5));
	d->attempts = sqlite3_column_int(s, 6);
	d->answer = store_col_str_null(s, 7);
	d->message_id = store_col_str_null(s, 8);
	d->created = sqlite3_column_int64(s, 9);
	d->updated = sqlite3_column_int64(s, 10);
}

void
store_delivery_free(struct delivery *d)
{
	free(d->email);
	free(d->key);
	free(d->name);
	free(d->answer);
	free(d->message_id);
	memset(d, 0, sizeof(*d));
}

void
store_deliveries_free(struct delivery *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_delivery_free(&v[i]);
	free(v);
}

int
store_send_lock(struct store *st, const char *issue, char **err)
{
	char host[256] = "";
	sqlite3_stmt *s;
	long long pid = (long long)getpid(), held_pid = 0, since = 0;
	char *held_host = NULL;
	bool own;
	int rc;

	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "?");
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if (!(s = store_stmt(st, Q_LOCK_GET, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	store_bind_text(s, 1, issue);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		held_pid = sqlite3_column_int64(s, 0);
		held_host = store_col_str(s, 1);
		since = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_tx_finish(st, own, store_db_fail(st, err, "reading"), err);
	rc = 0;
	if (held_host && !(held_pid == pid && strcmp(held_host, host) == 0)) {
		bool alive = strcmp(held_host, host) != 0 ||
		    kill((pid_t)held_pid, 0) == 0 || errno == EPERM;

		if (alive) {
			char when[32];
			time_t t = (time_t)since;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			rc = fail(err, EX_TEMPFAIL, "%s is being sent by process "
				"%lld on %s since %s", issue, held_pid, held_host,
				when);
		}
	}
	free(held_host);
	if (rc == 0) {
		if (!(s = store_stmt(st, Q_LOCK_SET, err)))
			return store_tx_finish(st, own, EX_SOFTWARE, err);
		store_bind_text(s, 1, issue);
		sqlite3_bind_int64(s, 2, pid);
		store_bind_text(s, 3, host);
		sqlite3_bind_int64(s, 4, (long long)time(NULL));
		rc = store_run(st, s, err);
	}
	return store_tx_finish(st, own, rc, err);
}

int
store_send_unlock(struct store *st, const char *issue, char **err)
{
	char host[256] = "";
	sqlite3_stmt *s;
	bool own;
	int rc;

	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "?");
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if (!(s = store_stmt(st, Q_LOCK_DEL, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	store_bind_text(s, 1, issue);
	sqlite3_bind_int64(s, 2, (long long)getpid());
	store_bind_text(s, 3, host);
	return store_tx_finish(st, own, store_run(st, s, err), err);
}

int
store_delivery_plan(struct store *st, const char *issue, long *added,
	char **err)
{
	sqlite3_stmt *s;
	bool own;
	int rc;

	if (added)
		*added = 0;
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if (!(s = store_stmt(st, Q_PLAN, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	store_bind_text(s, 1, issue);
	sqlite3_bind_int64(s, 2, (long long)time(NULL));
	rc = store_run(st, s, err);
	if (rc == 0 && added)
		*added = (long)sqlite3_changes(st->db);
	return store_tx_finish(st, own, rc, err);
}

int
store_undelivered(struct store *st, const char *issue, store_each_fn fn,
	void *ctx, char **err)
{
	struct subscriber sub;
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, Q_UNDELIVERED, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, issue);
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
store_delivery_batch(struct store *st, const char *issue, unsigned states,
	long long after, size_t max, struct delivery **v, size_t *n,
	char **err)
{
	struct buf set = BUF_INIT;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	buf_putc(&set, ',');
	for (int i = 0; i < DLV_NSTATES; i++)
		if (states & DLV_BIT(i))
			buf_printf(&set, "%s,", store_delivery_name(i));
	if (!(s = store_stmt(st, Q_BATCH, err))) {
		buf_free(&set);
		return EX_SOFTWARE;
	}
	store_bind_text(s, 1, issue);
	sqlite3_bind_int64(s, 2, after);
	store_bind_text(s, 3, buf_str(&set));
	sqlite3_bind_int64(s, 4, (long long)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		read_delivery(s, &(*v)[(*n)++]);
	}
	sqlite3_reset(s);
	buf_free(&set);
	if (rc != SQLITE_DONE) {
		store_deliveries_free(*v, *n);
		*v = NULL;
		*n = 0;
		return store_db_fail(st, err, "reading");
	}
	return 0;
}

int
store_delivery_get(struct store *st, const char *issue, long long id,
	struct delivery *out, char **err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(s = store_stmt(st, Q_DLV_GET, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, issue);
	sqlite3_bind_int64(s, 2, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_delivery(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return fail(err, EX_NOUSER, "no delivery of %s to subscriber "
			"%lld", issue, id);
	return store_db_fail(st, err, "reading");
}

int
store_delivery_set(struct store *st, const char *issue, long long id,
	int state, const char *answer, const char *message_id, char **err)
{
	struct subscriber cur;
	sqlite3_stmt *s;
	bool own;
	int rc;

	if (state < 0 || state >= DLV_NSTATES)
		return fail(err, EX_SOFTWARE, "no delivery state %d", state);
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if ((rc = store_get(st, id, &cur, err)) != 0)
		return store_tx_finish(st, own, rc, err);
	store_subscriber_free(&cur);
	if (!(s = store_stmt(st, Q_DLV_SET, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	store_bind_text(s, 1, issue);
	sqlite3_bind_int64(s, 2, id);
	store_bind_text(s, 3, store_delivery_name(state));
	sqlite3_bind_int(s, 4, state == DLV_SENT || state == DLV_DEFERRED ||
		state == DLV_FAILED);
	store_bind_text(s, 5, answer);
	store_bind_text(s, 6, message_id);
	sqlite3_bind_int64(s, 7, (long long)time(NULL));
	rc = store_run(st, s, err);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = fail(err, EX_SOFTWARE, "%s was already sent to subscriber "
			"%lld", issue, id);
	return store_tx_finish(st, own, rc, err);
}

int
store_delivery_counts(struct store *st, const char *issue,
	long counts[DLV_NSTATES], char **err)
{
	sqlite3_stmt *s;
	int rc;

	for (int i = 0; i < DLV_NSTATES; i++)
		counts[i] = 0;
	if (!(s = store_stmt(st, Q_DLV_COUNTS, err)))
		return EX_SOFTWARE;
	store_bind_text(s, 1, issue);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int i = store_delivery_parse(store_col_borrow(s, 0));

		if (i >= 0)
			counts[i] = (long)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_fail(st, err, "reading");
}

int
store_bounce_add(struct store *st, long long id, bool permanent,
	const char *issue, const char *status_code, const char *message_id,
	long *count, char **err)
{
	const char *kind = permanent ? "permanent" : "transient";
	struct subscriber cur;
	sqlite3_stmt *s;
	bool own;
	int rc;

	if (count)
		*count = 0;
	if ((rc = store_tx_begin(st, &own, err)) != 0)
		return rc;
	if ((rc = store_get(st, id, &cur, err)) != 0)
		return store_tx_finish(st, own, rc, err);
	store_subscriber_free(&cur);
	if (!(s = store_stmt(st, Q_BOUNCE_ADD, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, kind);
	store_bind_text(s, 3, issue);
	sqlite3_bind_int64(s, 4, (long long)time(NULL));
	store_bind_text(s, 5, status_code);
	store_bind_text(s, 6, message_id);
	if ((rc = store_run(st, s, err)) != 0)
		return store_tx_finish(st, own, rc, err);
	if (!(s = store_stmt(st, Q_BOUNCE_COUNT, err)))
		return store_tx_finish(st, own, EX_SOFTWARE, err);
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, kind);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && count)
		*count = (long)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	rc = rc == SQLITE_ROW ? 0 : store_db_fail(st, err, "reading");
	return store_tx_finish(st, own, rc, err);
}
