/* store_optin.c - the double opt-in in the store: open requests, their
 * rate limits, the confirmation that makes a subscriber active with its
 * consent on record, and the erasure of requests never confirmed */
#include "store.h"
#include "store_priv.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The open request of subscriber id: *found, and its times. */
static int
optin_row(struct store *st, long long id, bool *found, long long *requested,
	long long *sent_time, char **name, char **consent, char **err)
{
	sqlite3_stmt *q;
	int rc;

	*found = false;
	if (sqlite3_prepare_v2(st->db, "SELECT requested, sent_time, name,"
	    " consent_text FROM optin WHERE subscriber = ?1", -1, &q, NULL) !=
	    SQLITE_OK)
		return store_db_fail(st, err, "reading");
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*found = true;
		if (requested)
			*requested = sqlite3_column_int64(q, 0);
		if (sent_time)
			*sent_time = sqlite3_column_int64(q, 1);
		if (name)
			*name = store_col_str(q, 2);
		if (consent)
			*consent = store_col_str(q, 3);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, err, "reading");
	return 0;
}

/* Run sqltext with up to three integer and two text parameters (?1..?3
 * integers, ?4 ?5 texts); *changes gets the rows changed (may be NULL). */
static int
exec_args(struct store *st, const char *sqltext, long long a, long long b,
	long long c, const char *t4, const char *t5, long long *changes,
	char **err)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, sqltext, -1, &q, NULL) != SQLITE_OK)
		return store_db_fail(st, err, "writing");
	sqlite3_bind_int64(q, 1, a);
	sqlite3_bind_int64(q, 2, b);
	sqlite3_bind_int64(q, 3, c);
	store_bind_text(q, 4, t4);
	store_bind_text(q, 5, t5);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, err, "writing");
	if (changes)
		*changes = sqlite3_changes64(st->db);
	return 0;
}

static int
count_sent_since(struct store *st, long long since, long long *n, char **err)
{
	sqlite3_stmt *q;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM optin WHERE"
	    " sent_time > ?1", -1, &q, NULL) != SQLITE_OK)
		return store_db_fail(st, err, "reading");
	sqlite3_bind_int64(q, 1, since);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : store_db_fail(st, err, "reading");
}

/* The request, inside the caller's transaction. */
static int
request(struct store *st, const char *email, const char *key,
	const char *name, const struct store_optin_limits *lim, long long now,
	struct store_optin *out, char **err)
{
	struct store_evidence ev = { "form", NULL, NULL, NULL, NULL,
		"subscription requested" };
	struct subscriber cur;
	long long requested = 0, sent_time = 0, n;
	bool found;
	int rc;

	rc = store_get_key(st, key, &cur, err);
	if (rc == EX_NOUSER) {
		free(*err);
		*err = NULL;
		if ((rc = store_insert(st, email, key, name, SUB_PENDING, "form",
		    "form", now, &out->id, err)) != 0 ||
		    (rc = store_audit(st, out->id, now, -1, SUB_PENDING, &ev,
		    err)) != 0)
			return rc;
		out->status = SUB_PENDING;
		out->created = true;
	} else if (rc != 0) {
		return rc;
	} else {
		out->id = cur.id;
		out->status = cur.status;
		store_subscriber_free(&cur);
	}
	if (out->status == SUB_ACTIVE) {
		out->held = STORE_OPTIN_ACTIVE;
		return 0;
	}
	if ((rc = optin_row(st, out->id, &found, &requested, &sent_time, NULL,
	    NULL, err)) != 0)
		return rc;
	/* a request past its confirmation days starts again */
	if (!found || requested <= now - lim->confirm_seconds)
		requested = now;
	if ((rc = exec_args(st, "INSERT INTO optin (subscriber, requested,"
	    " name, consent_text) VALUES (?1, ?2, ?4, ?5)"
	    " ON CONFLICT (subscriber) DO UPDATE SET requested = ?2,"
	    " name = ?4, consent_text = ?5", out->id, requested, 0,
	    name ? name : "", lim->consent_text ? lim->consent_text : "",
	    NULL, err)) != 0)
		return rc;
	out->requested = requested;
	out->prev_sent = sent_time;
	if (sent_time > now - lim->resend_seconds) {
		out->held = STORE_OPTIN_RECENT;
		return 0;
	}
	if ((rc = count_sent_since(st, now - 3600, &n, err)) != 0)
		return rc;
	if (n >= lim->hourly_cap) {
		out->held = STORE_OPTIN_CAP;
		return 0;
	}
	if ((rc = exec_args(st, "UPDATE optin SET sent_time = ?2,"
	    " sent = sent + 1 WHERE subscriber = ?1", out->id, now, 0, NULL,
	    NULL, NULL, err)) != 0)
		return rc;
	if (!out->created && (rc = store_audit(st, out->id, now, out->status,
	    out->status, &ev, err)) != 0)
		return rc;
	out->send = true;
	return 0;
}

int
store_optin_request(struct store *st, const char *email, const char *name,
	const struct store_optin_limits *lim, long long now,
	struct store_optin *out, char **err)
{
	char *key = NULL, *clean = NULL;
	bool own;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_address_key(email, &key, err)) != 0)
		return rc;
	if (name && *name && (rc = store_name_clean(name, &clean, err)) != 0) {
		free(key);
		return rc;
	}
	if ((rc = store_tx_begin(st, &own, err)) == 0) {
		rc = request(st, email, key, clean, lim, now, out, err);
		rc = store_tx_finish(st, own, rc, err);
	}
	if (rc)
		memset(out, 0, sizeof(*out));
	free(key);
	free(clean);
	return rc;
}

int
store_optin_unsend(struct store *st, long long id, long long prev_sent,
	char **err)
{
	return exec_args(st, "UPDATE optin SET sent_time = ?2,"
		" sent = max(sent - 1, 0) WHERE subscriber = ?1", id, prev_sent,
		0, NULL, NULL, NULL, err);
}

int
store_optin_open(struct store *st, long long id, long long *requested,
	bool *open, char **err)
{
	return optin_row(st, id, open, requested, NULL, NULL, NULL, err);
}

static int
confirm(struct store *st, long long id, const char *channel,
	const struct store_evidence *ev, long long now, int *outcome,
	char **err)
{
	struct subscriber cur;
	char *name = NULL, *consent = NULL;
	long long requested = 0, nsupp = 0;
	bool found, supp;
	int rc;

	if ((rc = store_get(st, id, &cur, err)) != 0)
		return rc;
	if ((rc = optin_row(st, id, &found, &requested, NULL, &name, &consent,
	    err)) != 0)
		goto out;
	if (!found) {
		/* a second click: already confirmed */
		if (cur.status == SUB_ACTIVE)
			*outcome = STORE_UNCHANGED;
		else
			rc = fail(err, EX_NOUSER, "no subscription request is "
				"open for subscriber %lld", id);
		goto out;
	}
	if (cur.status != SUB_ACTIVE && (rc = store_status_row(st, id,
	    cur.status, SUB_ACTIVE, "form", ev, now, err)) != 0)
		goto out;
	if ((rc = exec_args(st, "UPDATE subscribers SET consent_time = ?2,"
	    " confirmed = ?3, confirm_channel = ?4, consent_text = ?5,"
	    " source = 'form' WHERE id = ?1", id, requested, now, channel,
	    consent, NULL, err)) != 0)
		goto out;
	if (*name && (rc = exec_args(st, "UPDATE subscribers SET name = ?4"
	    " WHERE id = ?1", id, 0, 0, name, NULL, NULL, err)) != 0)
		goto out;
	/* an address once forgotten comes back: consent was given again */
	if ((rc = store_count_suppressed(st, &nsupp, err)) != 0 ||
	    (nsupp > 0 && (rc = store_supp_key(st, cur.key, true, &supp,
	    err)) != 0))
		goto out;
	rc = exec_args(st, "DELETE FROM optin WHERE subscriber = ?1", id, 0,
		0, NULL, NULL, NULL, err);
	*outcome = cur.status == SUB_ACTIVE ? STORE_UNCHANGED : STORE_UPDATED;
out:
	store_subscriber_free(&cur);
	free(name);
	free(consent);
	return rc;
}

int
store_optin_confirm(struct store *st, long long id, const char *channel,
	const struct store_evidence *ev, long long now, int *outcome,
	char **err)
{
	bool own;
	int rc;

	*outcome = STORE_UNCHANGED;
	if ((rc = store_tx_begin(st, &own, err)) == 0) {
		rc = confirm(st, id, channel, ev, now, outcome, err);
		rc = store_tx_finish(st, own, rc, err);
	}
	return rc;
}

static int
purge(struct store *st, long long now, long long pending_seconds,
	long long *erased, char **err)
{
	long long limit = now - pending_seconds, stale;
	int rc;

	/* deliveries, audit rows and requests go with them (cascade) */
	if ((rc = exec_args(st, "DELETE FROM subscribers WHERE status ="
	    " 'pending' AND coalesce((SELECT requested FROM optin o WHERE"
	    " o.subscriber = subscribers.id), status_time) < ?1", limit, 0, 0,
	    NULL, NULL, erased, err)) != 0)
		return rc;
	/* requests of people who had left, never confirmed: they stay as
	 * they were */
	if ((rc = exec_args(st, "DELETE FROM optin WHERE requested < ?1",
	    limit, 0, 0, NULL, NULL, &stale, err)) != 0)
		return rc;
	if (*erased > 0)
		rc = exec_args(st, "INSERT INTO erasures (time, reason, count)"
			" VALUES (?1, ?4, ?2)", now, *erased, 0,
			"pending, never confirmed", NULL, NULL, err);
	return rc;
}

int
store_optin_purge(struct store *st, long long now, long long pending_seconds,
	long long *erased, char **err)
{
	bool own;
	int rc;

	*erased = 0;
	if ((rc = store_tx_begin(st, &own, err)) == 0) {
		rc = purge(st, now, pending_seconds, erased, err);
		rc = store_tx_finish(st, own, rc, err);
	}
	if (rc)
		*erased = 0;
	return rc;
}

int
store_erasures(struct store *st, store_erasure_fn fn, void *ctx, char **err)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT time, reason, count FROM"
	    " erasures ORDER BY id", -1, &q, NULL) != SQLITE_OK)
		return store_db_fail(st, err, "reading");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int r = fn(ctx, sqlite3_column_int64(q, 0),
			store_col_borrow(q, 1), sqlite3_column_int64(q, 2));

		if (r) {
			sqlite3_finalize(q);
			return r;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_fail(st, err, "reading");
}

int
store_set_consent(struct store *st, long long id, const char *text,
	char **err)
{
	return exec_args(st, "UPDATE subscribers SET consent_text = ?4"
		" WHERE id = ?1", id, 0, 0, text ? text : "", NULL, NULL, err);
}

/* A confirmation token's MAC is still computed for a token that names
 * nobody, over this address, so that a miss takes as long as a hit. */
#define NOBODY "nobody@invalid.invalid"

int
store_find_confirm_token(struct store *st, const char *token, long today,
	struct subscriber *out, char **err)
{
	long long id = -1;
	long day = -1;
	bool ok;
	int rc;

	store_need_secret(st);
	memset(out, 0, sizeof(*out));
	if (token)
		token_confirm_parse(token, &id, &day);
	rc = store_get(st, id > 0 && id <= TOKEN_MAX_ID ? id : 0, out, err);
	if (rc != 0 && rc != EX_NOUSER)
		return rc;
	if (rc == EX_NOUSER) {
		free(*err);
		*err = NULL;
	}
	ok = token_confirm_check(st->secret, st->secret_len,
		id > 0 && id <= TOKEN_MAX_ID ? id : 1, rc == 0 ? out->email :
		NOBODY, token ? token : "");
	if (rc == 0 && ok && day >= today)
		return 0;
	if (rc == 0)
		store_subscriber_free(out);
	return fail(err, EX_NOUSER, "the confirmation token is %s",
		rc == 0 && ok ? "expired" : "not valid");
}

long
store_today(long long now)
{
	return (long)(now / 86400);
}
