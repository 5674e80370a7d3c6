/* send.h - one issue to every active subscriber, through the delivery
 * journal: plan, personalise, hand to the transport, record */
#ifndef INFOLETTRE_SEND_H
#define INFOLETTRE_SEND_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"
#include "util.h"

/* How many recipients a dry run names in send_stats.examples. */
#define SEND_EXAMPLES 5

/* What a run did so far; the progress callback sees it grow. */
struct send_stats {
	long total;        /* messages this run means to send: the pending
	                    * and deferred deliveries after planning (dry run:
	                    * plus active subscribers not yet planned) */
	long planned;      /* deliveries planned by this run (new subscribers);
	                    * in a dry run, the ones it would plan */
	long handed;       /* messages handed to the transport, retries
	                    * included (dry run: messages built) */
	long sent, failed, skipped; /* outcomes of this run */
	long deferred;     /* messages whose last attempt in this run was
	                    * deferred */
	long retries;      /* attempts after the first */
	long bounced;      /* subscribers marked bounced by this run */
	size_t bytes;      /* the size of the last message built */
	double elapsed;    /* seconds since the run began */
	bool limited;      /* --limit stopped the run before the end */
	bool unreachable;  /* a connection could not reach the server */
	bool auth_failed;  /* the server refused the credentials */
	bool config_error; /* a connection met a configuration problem
	                    * (transport_config_error, in last_answer): the
	                    * run stopped, the messages it concerned are
	                    * still pending */
	bool gave_up;      /* the server stayed unreachable through every
	                    * retry: the rest is left for the next run */
	bool interrupted;  /* *opts.stop became true */
	char *last_answer; /* the last deferred or failed answer, or NULL */
	char *examples[SEND_EXAMPLES]; /* dry run: the first recipients */
	long journal[DLV_NSTATES]; /* the journal of the issue after the run */
};

struct send_opts {
	const char *month;
	const char *to;   /* one test copy to this address; nothing recorded */
	bool dry_run;     /* build every message, connect to nothing, record
	                   * nothing, write no file */
	long limit;       /* hand over at most this many messages; 0 = all */
	/* When not NULL and it becomes non-zero (a signal handler), no new
	 * message is started; what is in flight is finished and recorded. */
	volatile sig_atomic_t *stop;
	/* Called with the stats after each round of outcomes (often: the
	 * callee decides what to show and when). */
	void (*progress)(void *ctx, const struct send_stats *st);
	void *progress_ctx;
};

struct send;

/*
 * Get ready to send opts->month: compose the issue (its lint findings and
 * collect's warnings go to warn) and bring its files up to date (unless a
 * dry run), open the store, and, for a real send, take the send
 * lock and plan a pending delivery for every active subscriber without
 * one, then open the transport (not for a dry run). Returns 0 and sets
 * *out (free with send_close), or a sysexits status with *err: compose's
 * and the store's errors, EX_TEMPFAIL when another send of the issue is
 * running, EX_CONFIG / EX_NOPERM from the transport, EX_USAGE for an
 * --to address that is not valid.
 */
int send_open(const struct config *c, const struct send_opts *opts,
	struct send **out, struct diags *warn, char **err);

/* The transport's warning to print on every run (or NULL); NULL for a
 * dry run. Owned by s. */
const char *send_warning(const struct send *s);
/* Did send_open write the files (missing, or not what the issue's
 * inputs make now)? */
bool send_composed(const struct send *s);

/*
 * Send: every pending or deferred delivery in subscriber order, the
 * subscriber's status looked up again right before each message is handed
 * over (a subscriber who left is recorded skipped), each outcome committed
 * to the journal before the connection that carried it starts another
 * message. Deferred messages are tried again within the run after
 * transport.retry_delay seconds, doubling, transport.retries times; after
 * a connection-level failure (no reply, 421) no message starts for the
 * same delays, and when the server stays unreachable through all of them
 * the run stops (stats->gave_up). A 5xx is failed for good and recorded as
 * a permanent bounce of the subscriber; an unknown-address answer (5.1.x,
 * "user unknown") marks the subscriber bounced, with the answer as audit
 * evidence. With opts->to, one test copy ("[ESSAI] " / "[TEST] " before
 * the subject, the subscriber's own token when the address is one, else
 * the sample token) and nothing recorded.
 * Fills *stats (free its strings with send_stats_free). Returns 0 when
 * the run went through (look at stats for what happened), or a store
 * error (the journal could not be written: the run stops) with *err.
 */
int send_run(struct send *s, struct send_stats *stats, char **err);

/* Release the lock, close the transport (waiting for what is in flight)
 * and the store, free s. NULL is fine. */
void send_close(struct send *s);

void send_stats_free(struct send_stats *st);

/*
 * The journal of month: counts[state] for each delivery state. A store
 * that does not exist yet counts nothing (and is not created). Returns 0
 * or a store error with *err.
 */
int send_status(const struct config *c, const char *month,
	long counts[DLV_NSTATES], char **err);

/* Call fn for each failed or deferred delivery of month, by subscriber
 * id; d is valid during the call. A non-zero return stops the listing and
 * is returned. Memory stays bounded (the journal is read in pages). */
int send_each_failed(const struct config *c, const char *month,
	int (*fn)(void *ctx, const struct delivery *d), void *ctx,
	char **err);

/* Group commit: outcomes come in one by one (connections that finished,
 * their next message waiting for the commit), each commit costs a sync of
 * the journal. Should the send wait a little for another outcome before
 * committing these? True while fewer than half the connections wait
 * (unsynced outcomes) and at least as many messages are still at the
 * server to keep it busy, only when outcomes have lately come less than
 * SEND_GROUP_MAX seconds apart (gap, a running mean) and for at most that
 * long (waited: since the first of them). Exported for its unit test. */
#define SEND_GROUP_MAX 0.001
bool send_group_wait(size_t unsynced, size_t inflight, long concurrency,
	double gap, double waited);

#endif
