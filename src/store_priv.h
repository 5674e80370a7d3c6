/* store_priv.h - what store.c, store_import.c and journal.c share: the
 * handle, the prepared statements, the SQLite plumbing. Not for other
 * modules. */
#ifndef INFOLETTRE_STORE_PRIV_H
#define INFOLETTRE_STORE_PRIV_H

#include <stdbool.h>

#include <sqlite3.h>

#include "store.h"

/* A send, a replies run and the endpoint wait this long for each other;
 * a bulk import holds the write lock for a few seconds at most. */
#define BUSY_TIMEOUT_MS 30000

/* The VFS the store opens its files with (store_vfs.c): the default one,
 * which can gather the page writes of a bulk import into larger writes.
 * Its name, or NULL for the default VFS (when it cannot be registered). */
const char *store_vfs(void);
/* sqlite3_file_control() on the main database, with an int: nonzero to
 * gather its page writes, 0 to write them and stop. In rollback journal
 * mode only, in a process with one thread using the store. */
#define STORE_FCNTL_GATHER 0x49464731

/* Every statement, prepared once on first use. */
enum {
	Q_GET_ID, Q_GET_KEY, Q_INSERT, Q_INSERT_NEW, Q_SET_NAME,
	Q_SET_STATUS, Q_AUDIT, Q_SUPP_GET, Q_SUPP_ADD, Q_SUPP_DEL, Q_SUPP_COUNT,
	Q_DELETE, Q_BOUNCES_CLEAR, Q_LIST, Q_LIST_STATUS, Q_HISTORY,
	Q_LOCK_GET, Q_LOCK_SET, Q_LOCK_DEL, Q_PLAN, Q_UNDELIVERED, Q_BATCH,
	Q_DLV_GET, Q_DLV_SET, Q_DLV_COUNTS, Q_BOUNCE_ADD, Q_BOUNCE_COUNT,
	Q_N
};

struct store {
	sqlite3 *db;
	char *path;
	unsigned char *secret;
	size_t secret_len;
	sqlite3_stmt *q[Q_N];
};

void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* The same without copies, for listings. */
void store_borrow_sub(sqlite3_stmt *s, struct subscriber *out);
const char *store_col_borrow(sqlite3_stmt *s, int i);
char *store_col_str(sqlite3_stmt *s, int i);
char *store_col_str_null(sqlite3_stmt *s, int i);
int store_count_suppressed(struct store *st, long long *n, char **err);
int store_db_fail(struct store *st, char **err, const char *what);
int store_exec(struct store *st, const char *sqltext, const char *what, char **err);
void store_need_secret(const struct store *st);
/* Step a statement that returns no row. */
int store_run(struct store *st, sqlite3_stmt *s, char **err);
/* Switch to the WAL journal. Two processes creating the store at once
 * race for it, and SQLite does not call the busy handler for this lock:
 * retry until the busy timeout. */
int store_set_wal(struct store *st, char **err);
/* The prepared statement i, reset and ready to bind (NULL on error). */
sqlite3_stmt *store_stmt(struct store *st, int i, char **err);
/* A write transaction of our own unless the caller holds one: *own says
 * which, for store_tx_finish(). */
int store_tx_begin(struct store *st, bool *own, char **err);
int store_tx_finish(struct store *st, bool own, int rc, char **err);
/*
 * The decision of store_add and of an import row, inside a transaction.
 * status is what the caller asks for (active, or unsubscribed/bounced from
 * a file); check_supp says the suppression table may hold key.
 */
int store_upsert(struct store *st, const char *email, const char *key, const char *name,
	int status, const char *source, bool resubscribe, bool check_supp,
	const struct store_evidence *ev, long long now, int *outcome,
	long long *id, char **err);

/* The row of a subscriber by key (EX_NOUSER when none). */
int store_get_key(struct store *st, const char *key, struct subscriber *out,
	char **err);
/* An audit row: old is -1 when the row is created by this change. */
int store_audit(struct store *st, long long id, long long now, int old,
	int new, const struct store_evidence *ev, char **err);
/* Set the status of a subscriber read as old, with its audit row; source,
 * when not NULL, is a new consent (consent_time becomes now). */
int store_status_row(struct store *st, long long id, int old, int status,
	const char *source, const struct store_evidence *ev, long long now,
	char **err);
/* Insert a new subscriber; *id (may be NULL) gets its id. */
int store_insert(struct store *st, const char *email, const char *key,
	const char *name, int status, const char *source, const char *reason,
	long long now, long long *id, char **err);
/* Is key in the suppression table? With drop, the entry is removed. */
int store_supp_key(struct store *st, const char *key, bool drop, bool *yes,
	char **err);

#endif
