/* store.h - SQLite: subscribers, audit log, suppression, deliveries, bounces */
#ifndef INFOLETTRE_STORE_H
#define INFOLETTRE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

/*
 * The store is one SQLite database (WAL journal, foreign keys on, a busy
 * timeout so that send, replies and the unsubscribe endpoint can work at
 * the same time). Its schema is versioned with PRAGMA user_version and
 * migrated forward when opened.
 *
 * Addresses are kept as given and compared by their key (addr_key): the
 * local part as given, '@', the domain in A-labels, lowercased
 * ("Jean@Insee.fr" and "Jean@insee.fr" are one subscriber, "jean@insee.fr"
 * another).
 *
 * Every function returns 0 or a sysexits status and then sets *err (an
 * allocated message the caller frees): EX_TEMPFAIL when the database stays
 * locked past the busy timeout, EX_IOERR on a disk error, EX_DATAERR for a
 * damaged database, EX_SOFTWARE for anything unexpected from SQLite; other
 * statuses are named at each function. A programming error (a function
 * that needs the secret on a store opened without it) does not return:
 * it dies with EX_SOFTWARE. Times are seconds since the epoch.
 * Strings handed in are UTF-8 and only borrowed.
 */

struct store;

enum sub_status { SUB_ACTIVE, SUB_UNSUBSCRIBED, SUB_BOUNCED, SUB_PENDING,
	SUB_NSTATUS };

/* "active", "unsubscribed", "bounced", "pending" (static strings). */
const char *store_status_name(int status);
/* The status named s, or -1. */
int store_status_parse(const char *s);

struct subscriber {
	long long id;       /* stable, 1..TOKEN_MAX_ID: what tokens name */
	char *email;        /* as given */
	char *key;          /* local part + '@' + lowercased domain */
	char *name;         /* "" when none */
	int status;         /* enum sub_status */
	long long created;
	char *source;       /* where consent came from ("cli", "import …") */
	long long consent_time;
	long long status_time; /* since when status holds */
	char *reason;       /* the channel of the last change of status:
	                     * "one-click", "reply", "list-unsubscribe-mailto",
	                     * "bounce", "admin", "import", … */
	char *consent_text; /* the consent's text or its version ("" when
	                     * none was recorded) */
	long long confirmed; /* when a double opt-in was confirmed, or 0 */
	char *confirm_channel; /* how: "web" or "reply" ("" when not) */
};
/* Free the strings of s (not s itself) and zero it; fine on a zeroed s. */
void store_subscriber_free(struct subscriber *s);

/* What justifies a change of status; written to the audit log. Only
 * channel is required; the rest may be NULL. */
struct store_evidence {
	const char *channel;     /* as subscriber.reason */
	const char *message_id;  /* of the reply or bounce, without <> */
	const char *token;       /* the token used */
	const char *status_code; /* the bounce's status code ("5.1.1") */
	const char *issue;       /* the issue concerned ("2026-06") */
	const char *detail;      /* free text */
};

/* One row of the audit log. The strings are NULL when not recorded and are
 * owned by the store: valid during the callback only. */
struct store_audit {
	long long time;
	int old_status; /* -1 when the row was created by this change */
	int new_status;
	const char *channel, *message_id, *token, *status_code, *issue, *detail;
};

/* Called for each subscriber of a listing; s and its strings are valid
 * during the call only. Returning non-zero stops the listing, and the
 * listing function returns that value. It must not write to the store. */
typedef int (*store_each_fn)(void *ctx, const struct subscriber *s);
typedef int (*store_audit_fn)(void *ctx, const struct store_audit *a);

/*
 * Check an address (the grammar of addr.h: what send can deliver) and
 * make its key (addr_key). Returns 0 and sets *key (caller frees), or
 * EX_DATAERR with *err saying what is wrong.
 */
int store_address_key(const char *email, char **key, char **err);
/* The same into key, a buffer of STORE_KEY_SIZE bytes (an address has at
 * most 254); key is "" on failure. No allocation but for *err. */
#define STORE_KEY_SIZE 255 /* ADDR_MAX + 1 */
int store_address_keybuf(const char *email, char key[STORE_KEY_SIZE],
	char **err);

/* A display name made fit for storing: valid UTF-8, tabs and line breaks
 * turned into spaces, blanks collapsed and trimmed, 512 bytes at most, no
 * other control characters. Returns 0 and sets *out (caller frees), or
 * EX_DATAERR with *err. */
int store_name_clean(const char *name, char **out, char **err);
/* The same for name[0..n), appended to out (left as it was on failure). */
struct buf;
int store_name_cleanbuf(const char *name, size_t n, struct buf *out,
	char **err);

/*
 * Open the store at path, creating it and its folder when missing (mode
 * 0600 for the files, 0700 for the folder) and migrating an older schema.
 * The secret (copied) keys the suppression hashes and the tokens; it may
 * be NULL, and then calling a function that needs it is a programming
 * error: the process dies with EX_SOFTWARE.
 * Returns 0 and sets *out (close with store_close), or: EX_CANTCREAT when
 * the database cannot be created or opened, EX_NOPERM when it cannot be
 * written, EX_DATAERR when it is not an infolettre database or was made by
 * a newer version.
 */
int store_open(const char *path, const unsigned char *secret,
	size_t secret_len, struct store **out, char **err);
/* Close the store (NULL is fine); an open transaction is rolled back. */
void store_close(struct store *st);
/* The schema version this build writes. */
int store_schema_version(void);

/*
 * Group several writes in one transaction (BEGIN IMMEDIATE: the write
 * lock is taken at once, waiting up to the busy timeout). Functions that
 * write run in their own transaction otherwise. store_commit and
 * store_rollback end it; store_rollback cannot fail.
 */
int store_begin(struct store *st, char **err);
int store_commit(struct store *st, char **err);
void store_rollback(struct store *st);

/* Look a subscriber up by id, by address (compared by key), or by token
 * (checked against the secret). Return 0 and fill *out (free with
 * store_subscriber_free), or EX_NOUSER when there is none (also for a
 * token that is malformed, forged or another list's); store_find returns
 * EX_DATAERR for an address that is not valid. */
int store_get(struct store *st, long long id, struct subscriber *out,
	char **err);
int store_find(struct store *st, const char *email, struct subscriber *out,
	char **err);
int store_find_token(struct store *st, const char *token,
	struct subscriber *out, char **err);
/* The token of subscriber s (needs the secret: dies without it). */
void store_token(const struct store *st, const struct subscriber *s,
	char out[TOKEN_LEN + 1]);

/* What an add, a removal or an import did to one address. */
enum store_outcome {
	STORE_ADDED,      /* a new subscriber */
	STORE_UPDATED,    /* an existing one changed (name, status) */
	STORE_UNCHANGED,  /* already so */
	STORE_SUPPRESSED  /* left alone: unsubscribed, bounced or forgotten */
};

/*
 * Subscribe email (status active, consent from source at this time).
 * A new address is added; an existing one gets the name when name is not
 * NULL or "" and it differs. An address that is unsubscribed, bounced or
 * forgotten (in the suppression table) is left alone unless resubscribe:
 * then it becomes active again (audit row with ev, or channel "admin"),
 * its bounces are forgotten and a suppression entry is removed. A pending
 * one becomes active. Sets *outcome and, when not NULL, *id (0 when
 * suppressed and not resubscribed). Errors: EX_DATAERR for an invalid
 * address or name (needs the secret when the suppression table is not
 * empty).
 */
int store_add(struct store *st, const char *email, const char *name,
	const char *source, bool resubscribe, const struct store_evidence *ev,
	int *outcome, long long *id, char **err);

/*
 * Unsubscribe email with evidence ev. An unknown address is recorded as an
 * unsubscribed subscriber (so that no import brings it in): STORE_ADDED.
 * An active or pending one: STORE_UPDATED; one already unsubscribed or
 * bounced: STORE_UNCHANGED. Errors: EX_DATAERR for an invalid address.
 */
int store_remove(struct store *st, const char *email,
	const struct store_evidence *ev, int *outcome, char **err);

/*
 * Change the status of subscriber id, with an audit row of ev (channel
 * required). Sets *changed (may be NULL) to false when it had that status
 * already (and then nothing is written). Going back to active forgets the
 * subscriber's bounces. Errors: EX_NOUSER when there is no such id.
 */
int store_set_status(struct store *st, long long id, int status,
	const struct store_evidence *ev, bool *changed, char **err);

/*
 * Erase email: its row, audit history, deliveries and bounces are deleted
 * and a keyed hash of its key (token_hash "suppress") is kept in the
 * suppression table, so that no import and no add without resubscribe
 * brings it back. Sets *existed (may be NULL). Needs the secret. Errors:
 * EX_DATAERR for an invalid address.
 */
int store_forget(struct store *st, const char *email, bool *existed,
	char **err);
/* Is email in the suppression table? Needs the secret. */
int store_suppressed(struct store *st, const char *email, bool *yes,
	char **err);

/* Every subscriber with status (-1: any), ordered by key. */
int store_list(struct store *st, int status, store_each_fn fn, void *ctx,
	char **err);
/* The audit log of subscriber id, oldest first. */
int store_history(struct store *st, long long id, store_audit_fn fn,
	void *ctx, char **err);

/*
 * A bulk import. store_import_row stages a row: rows are sorted by key in
 * bounded memory (beyond a few MiB, in an unlinked temporary file in
 * $TMPDIR or /tmp), so memory does not grow with the file.
 * store_import_end with commit true then, in one transaction (the write
 * lock is taken there, not at begin), merges the staged rows in the order
 * of their keys (rows of one key in the order they were staged), each
 * decided as store_add decides it, and commits; with commit false nothing
 * is written. status is SUB_ACTIVE to subscribe, or SUB_UNSUBSCRIBED /
 * SUB_BOUNCED when the file says the person left (a new address is then
 * recorded with that status and counted suppressed; an active one is
 * changed and counted updated). email must be valid, key its
 * store_address_key, name from store_name_clean (or NULL).
 * store_import_row and store_import_end may also fail with EX_CANTCREAT
 * or EX_IOERR for the temporary file. store_import_end fills *counts (may
 * be NULL; zero unless committed) and frees im in every case.
 */
struct store_import;
struct store_import_counts {
	long added, updated, unchanged, suppressed; /* enum store_outcome */
};
int store_import_begin(struct store *st, const char *source,
	bool resubscribe, struct store_import **out, char **err);
/* Record text as the consent text of every subscriber this import gives
 * consent (added, or made active again). */
void store_import_consent(struct store_import *im, const char *text);
int store_import_row(struct store_import *im, const char *email,
	const char *key, const char *name, int status, char **err);
int store_import_end(struct store_import *im, bool commit,
	struct store_import_counts *counts, char **err);

/*
 * The double opt-in. A request from the subscribe form makes an unknown
 * address a pending subscriber; an unsubscribed or bounced one keeps its
 * status (only a confirmation makes it active); an active one is left
 * alone. Each subscriber not active has at most one open request (the
 * optin table): when it was made (a request older than confirm_seconds
 * starts again), the name and the consent text given, when its last
 * confirmation message went.
 */
struct store_optin_limits {
	long long confirm_seconds; /* a request's life: subscribe.confirm_days */
	long long resend_seconds;  /* one message per address per this */
	long long hourly_cap;      /* messages per hour, all addresses */
	const char *consent_text;  /* recorded with the consent */
};
enum store_optin_held {
	STORE_OPTIN_SENT,   /* not held: send is true */
	STORE_OPTIN_ACTIVE, /* already subscribed: nothing to confirm */
	STORE_OPTIN_RECENT, /* a message went within resend_seconds */
	STORE_OPTIN_CAP     /* the hourly cap is reached */
};
struct store_optin {
	long long id;        /* the subscriber */
	int status;          /* its status (pending for a new one) */
	bool created;        /* a new pending subscriber */
	bool send;           /* a confirmation message is to go now: the
	                      * store counts it as sent already, so that
	                      * concurrent requests never send two */
	int held;            /* enum store_optin_held: why not */
	long long requested; /* when the open request was made */
	long long prev_sent; /* for store_optin_unsend */
};
/* Record a request for email (and name, may be NULL) at now, in one
 * transaction, and say whether a confirmation message is to go.
 * EX_DATAERR for an invalid address or name. */
int store_optin_request(struct store *st, const char *email,
	const char *name, const struct store_optin_limits *lim, long long now,
	struct store_optin *out, char **err);
/* The confirmation message of a request could not go: count it unsent
 * (prev_sent from the request), so that the next request sends one. */
int store_optin_unsend(struct store *st, long long id, long long prev_sent,
	char **err);
/* Has subscriber id an open request (*open), made at *requested? */
int store_optin_open(struct store *st, long long id, long long *requested,
	bool *open, char **err);
/*
 * Confirm the open request of subscriber id, through channel ("web" or
 * "reply"; ev for the audit row): the subscriber becomes active, its
 * consent is recorded (source "form", consent time the request's,
 * confirmed now, the consent text), a name given replaces its name, a
 * suppression entry of its address is removed, the request is closed.
 * *outcome: STORE_UPDATED, or STORE_UNCHANGED when it was active already
 * (a second click). EX_NOUSER when there is no such subscriber or it has
 * no open request and is not active.
 */
int store_optin_confirm(struct store *st, long long id, const char *channel,
	const struct store_evidence *ev, long long now, int *outcome,
	char **err);
/* Erase the pending subscribers whose request is older than
 * pending_seconds (their rows, audit and requests), close stale requests
 * of the others, and record in the erasures table only when and how many.
 * *erased: how many were erased. */
int store_optin_purge(struct store *st, long long now,
	long long pending_seconds, long long *erased, char **err);
/* The erasures recorded, oldest first; reason is valid during the call. */
typedef int (*store_erasure_fn)(void *ctx, long long time, const char *reason,
	long long count);
int store_erasures(struct store *st, store_erasure_fn fn, void *ctx,
	char **err);
/*
 * The subscriber a confirmation token (token_confirm_make) names, when
 * its MAC holds for that subscriber's address and its expiry day is
 * today (store_today) or later: 0 and *out (free with
 * store_subscriber_free); EX_NOUSER with *err saying "not valid" or
 * "expired" otherwise. The same work whether it names someone or not.
 * Needs the secret.
 */
int store_find_confirm_token(struct store *st, const char *token,
	long today, struct subscriber *out, char **err);
/* The day of now (seconds since the epoch), as confirmation tokens count
 * days. */
long store_today(long long now);

/* Record text as subscriber id's consent text (subscribers add
 * --consent). */
int store_set_consent(struct store *st, long long id, const char *text,
	char **err);

/*
 * The delivery journal: one row per (issue, subscriber).
 */
enum delivery_state { DLV_PENDING, DLV_SENT, DLV_DEFERRED, DLV_FAILED,
	DLV_SKIPPED, DLV_NSTATES };
/* "pending", "sent", "deferred", "failed", "skipped" (static strings). */
const char *store_delivery_name(int state);
/* The state named s, or -1. */
int store_delivery_parse(const char *s);
/* A bit of a set of states for store_delivery_batch. */
#define DLV_BIT(state) (1u << (state))

struct delivery {
	long long subscriber;
	char *email, *key, *name;
	int sub_status;     /* the subscriber's status now */
	int state;          /* enum delivery_state */
	int attempts;       /* sent, deferred and failed changes so far */
	char *answer;       /* the server's last answer, or NULL */
	char *message_id;   /* or NULL */
	long long created, updated;
};
/* Free the strings of d and zero it. */
void store_delivery_free(struct delivery *d);
/* Free an array from store_delivery_batch. */
void store_deliveries_free(struct delivery *v, size_t n);

/*
 * A lock per issue so that two sends of one issue never run at once: held
 * by this process until store_send_unlock. A lock left by a process that
 * no longer runs on this host is taken over. Returns 0, or EX_TEMPFAIL
 * with *err naming the holder (process, host, since when).
 */
int store_send_lock(struct store *st, const char *issue, char **err);
/* Release this process's lock on issue (no error when not held). */
int store_send_unlock(struct store *st, const char *issue, char **err);

/* Add a pending delivery for every active subscriber who has none for
 * issue. Sets *added (may be NULL) to how many were added. */
int store_delivery_plan(struct store *st, const char *issue, long *added,
	char **err);
/* Every active subscriber without a delivery for issue, by id. */
int store_undelivered(struct store *st, const char *issue, store_each_fn fn,
	void *ctx, char **err);
/*
 * Up to max deliveries of issue in one of the states of the mask
 * (DLV_BIT(DLV_PENDING) | …) with subscriber id greater than after, by
 * id: page through with after = the last id seen. Sets *v (free with
 * store_deliveries_free) and *n (0 at the end).
 */
int store_delivery_batch(struct store *st, const char *issue,
	unsigned states, long long after, size_t max, struct delivery **v,
	size_t *n, char **err);
/* The delivery of issue to subscriber id: 0 and *out (free with
 * store_delivery_free), or EX_NOUSER when there is none. */
int store_delivery_get(struct store *st, const char *issue, long long id,
	struct delivery *out, char **err);
/*
 * Record the state of issue's delivery to subscriber id (made when
 * missing). sent, deferred and failed count one attempt; answer and
 * message_id replace the recorded ones when not NULL. A sent delivery
 * stays sent: changing it to another state is EX_SOFTWARE. EX_NOUSER when
 * there is no such subscriber.
 */
int store_delivery_set(struct store *st, const char *issue, long long id,
	int state, const char *answer, const char *message_id, char **err);
/* How many deliveries of issue are in each state. */
int store_delivery_counts(struct store *st, const char *issue,
	long counts[DLV_NSTATES], char **err);

/*
 * Record a bounce of subscriber id (permanent or transient) for the
 * message of issue (NULL when unknown), and set *count to how many issues
 * bounced so far for that subscriber with that kind: bounces of one issue
 * count once, and each with an unknown issue counts on its own. Deciding
 * to set the status to bounced is the caller's. EX_NOUSER when there is no
 * such subscriber.
 */
int store_bounce_add(struct store *st, long long id, bool permanent,
	const char *issue, const char *status_code, const char *message_id,
	long *count, char **err);

/* When the last unsubscribe confirmation request went to subscriber id
 * (*when 0: never). */
int store_confirm_last(struct store *st, long long id, long long *when,
	char **err);
/* Record that one went to subscriber id at when. */
int store_confirm_sent(struct store *st, long long id, long long when,
	char **err);

#endif
