/* send.c - one issue to every active subscriber, through the delivery
 * journal: plan, personalise, hand to the transport, record
 *
 * The journal is read in pages of BATCH deliveries by subscriber id, so
 * memory does not grow with the list. A few jobs (message buffers reused
 * from one recipient to the next) are built ahead while the connections
 * work. Outcomes arrive through the transport's done callback, on this
 * thread, inside transport_run (SMTP) or transport_submit (maildir); they
 * are written in one transaction that is committed before any new message
 * is handed over. Messages are only handed over when the transport is
 * ready (a free connection), so a connection never starts its next
 * message before the outcome of its last one is committed: a crash can only
 * repeat the messages in flight, at most transport.concurrency.
 *
 * Group commit: each commit syncs the journal (synchronous = FULL), and
 * on a fast server the outcomes come one at a time, so a commit each.
 * When they come less than a millisecond apart, one outcome waits (at most
 * that long) for the next while at least as many messages are still at
 * the server, which stays busy: half as many syncs, and with them the
 * locks and the waits for the disk (profiled on loopback, 30,000 messages
 * to smtp-sink: 0.94 fdatasync a message before, 0.50 after; the send's
 * CPU 20% lower). Nothing goes out before its connection's outcome is
 * committed: the wait delays the commit and the next start together.
 *
 * DKIM: a built message is signed ahead by signing threads (as many as
 * the connections, at most the CPUs) while the connections carry the ones
 * before it and the journal commits, so that a signature is off the path
 * between one outcome's commit and the next start; one that no signing
 * thread has taken yet when its connection is free is signed by that
 * connection (the transport's prepare hook).
 *
 * Retries: pass 0 goes through the pending and deferred deliveries; pass
 * k (1..transport.retries) through the ones deferred since, no sooner
 * than retry_delay * 2^(k-1) seconds after the last deferral of the
 * pass before. Independently, a failure to talk to the server at all (no
 * reply, 421) pauses every start for the same growing delays, and when it
 * goes on through all of them the run stops.
 */
#include "send.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compose.h"
#include "dkim.h"
#include "mime.h"
#include "addr.h"
#include "bounce.h"
#include "labels.h"
#include "store.h"
#include "token.h"
#include "transport.h"

#define BATCH 256           /* deliveries read at once */
#define WAIT_MS 250         /* longest wait between progress calls */
#define MAX_RETRY_DELAY 3600.0
#define AHEAD_BYTES (32 << 20) /* signed messages built ahead, at most */

enum job_state { J_FREE, J_READY, J_FLIGHT };

/* Signing ahead (DKIM with a transport): a built job waits in the signing
 * queue, a signing thread takes it, and it is signed when a connection
 * takes it; one not yet taken is signed by its connection instead. */
enum sign_state { S_NONE, S_QUEUED, S_RUNNING, S_DONE };

/* One message: built, waiting for a connection, or in flight. */
struct send;

struct job {
	struct tmsg m;
	struct send *s;      /* for prepare, on a connection's thread */
	struct buf data;
	struct buf from;     /* the envelope sender */
	char *rcpt;
	char *msgid;
	long long id;        /* the subscriber; 0 for a test copy */
	char token[TOKEN_LEN + 1];
	int pass;
	double submitted;    /* mono() when handed over */
	enum job_state state;
	struct job *next;    /* in the ready queue or the free list */
	/* under s->signers_mu */
	enum sign_state sign;
	int sign_rc;
	struct job *sign_next;
};

/* A walk through the journal in subscriber order. */
struct cursor {
	unsigned mask;
	long long after, max_id;
	struct delivery *v;
	size_t n, i;
	bool end;
};

struct send {
	const struct config *c;
	struct send_opts o;
	char *month;
	struct composed cp;
	bool have_cp;
	struct dkim *dkim;   /* the signing keys; NULL: no dkim section */
	/* contexts for signing on the connections' threads (each has its
	 * scratch buffers), taken and given back under signers_mu */
	pthread_mutex_t signers_mu;
	struct dkim **signers;
	size_t nsigners;
	/* the signing threads, their queue and its two conditions (work to
	 * do; a signature done), all under signers_mu */
	pthread_t *threads;
	size_t nthreads;
	struct job *sign_head, *sign_tail;
	pthread_cond_t sign_work, sign_done;
	bool sign_quit;
	struct store *st;
	bool locked;
	struct transport *t;
	char *bounce_local, *bounce_domain;

	struct job *jobs;
	size_t njobs;
	struct job *free_list, *ready_head, *ready_tail;
	size_t nready, inflight;

	struct send_stats *stats;
	bool in_txn;
	size_t unsynced;     /* outcomes in the open transaction */
	double first_unsynced; /* mono() at the first of them */
	double last_outcome, gap; /* and the running mean between outcomes */
	int fatal;           /* a store error: nothing more is recorded */
	char *fatal_err;
	bool stop;
	double t0;

	long retries;
	double delay;
	int level;           /* connection failures in a row */
	double pause_until, last_trouble, last_deferral;
	long taken;          /* pass 0 messages taken, for --limit */
	long long max_id;    /* the passes after the first stop here */

	bool composed;       /* the issue's files were written by open */
	long planned;        /* deliveries open planned */

	/* --to */
	bool test;
	enum tresult test_r;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pause_for(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The delay before retry n (1, 2, …): delay, 2 × delay, 4 × delay… */
static double
backoff(const struct send *s, int n)
{
	double d = s->delay;

	for (int i = 1; i < n && d < MAX_RETRY_DELAY; i++)
		d *= 2;
	return d < MAX_RETRY_DELAY ? d : MAX_RETRY_DELAY;
}

static void
progress(struct send *s)
{
	s->stats->elapsed = mono() - s->t0;
	if (s->o.progress)
		s->o.progress(s->o.progress_ctx, s->stats);
}

static bool
stopping(struct send *s)
{
	if (s->o.stop && *s->o.stop && !s->stop) {
		s->stop = true;
		s->stats->interrupted = true;
	}
	return s->stop || s->fatal;
}

static void
set_fatal(struct send *s, int rc, char *err)
{
	if (!s->fatal) {
		s->fatal = rc;
		s->fatal_err = err;
	} else {
		free(err);
	}
}

static void
set_answer(struct send *s, const char *answer)
{
	free(s->stats->last_answer);
	s->stats->last_answer = xstrdup(answer ? answer : "");
}

/* --- the journal ------------------------------------------------------ */

static int
txn(struct send *s)
{
	char *err = NULL;
	int rc;

	if (s->fatal)
		return s->fatal;
	if (s->in_txn)
		return 0;
	if ((rc = store_begin(s->st, &err)) != 0) {
		set_fatal(s, rc, err);
		return rc;
	}
	s->in_txn = true;
	return 0;
}

static void
commit(struct send *s)
{
	char *err = NULL;
	int rc;

	s->unsynced = 0;
	if (!s->in_txn)
		return;
	s->in_txn = false;
	if ((rc = store_commit(s->st, &err)) != 0)
		set_fatal(s, rc, err);
}

static void
record(struct send *s, long long id, int state, const char *answer,
	const char *msgid)
{
	char *err = NULL;
	int rc;

	if (txn(s) != 0)
		return;
	rc = store_delivery_set(s->st, s->month, id, state, answer, msgid, &err);
	if (rc == EX_NOUSER) /* erased (subscribers remove --forget) meanwhile */
		free(err);
	else if (rc)
		set_fatal(s, rc, err);
}

/* A 5xx answer: a bounce of the subscriber, of the kind and with the
 * consequence the bounce policy gives (bounce.h), with the answer as
 * evidence. */
static void
bounce(struct send *s, struct job *j, int code, const char *reply)
{
	struct bounce_policy p = {
		s->c->replies.bounce_threshold,
		s->c->replies.transient_threshold,
	};
	enum bounce_kind kind;
	struct subscriber sub;
	char sc[16], *err = NULL, *detail;
	long count = 0;
	int rc;

	if (code < 500 || txn(s) != 0)
		return;
	bounce_status_code(reply, sc);
	kind = bounce_kind(true, sc, reply);
	rc = store_bounce_add(s->st, j->id, kind == BOUNCE_PERMANENT, s->month,
		sc[0] ? sc : NULL, j->msgid, &count, &err);
	if (rc) {
		if (rc == EX_NOUSER)
			free(err);
		else
			set_fatal(s, rc, err);
		return;
	}
	if (!bounce_marks(&p, kind, count))
		return;
	if ((rc = store_get(s->st, j->id, &sub, &err)) != 0) {
		if (rc == EX_NOUSER)
			free(err);
		else
			set_fatal(s, rc, err);
		return;
	}
	if (sub.status == SUB_ACTIVE) {
		struct store_evidence ev;
		bool changed = false;

		detail = xasprintf("SMTP answer to %s: %s (%s bounce %ld of "
			"%ld)", sub.email, reply, kind == BOUNCE_PERMANENT ?
			"permanent" : "transient", count,
			bounce_threshold(&p, kind));
		memset(&ev, 0, sizeof(ev));
		ev.channel = "bounce";
		ev.message_id = j->msgid;
		ev.token = j->token;
		ev.status_code = sc[0] ? sc : NULL;
		ev.issue = s->month;
		ev.detail = detail;
		rc = store_set_status(s->st, j->id, SUB_BOUNCED, &ev, &changed,
			&err);
		free(detail);
		if (rc)
			set_fatal(s, rc, err);
		else if (changed)
			s->stats->bounced++;
	}
	store_subscriber_free(&sub);
}

/* --- jobs ------------------------------------------------------------- */

static struct job *
job_get(struct send *s)
{
	struct job *j = s->free_list;

	if (j) {
		s->free_list = j->next;
		j->next = NULL;
		j->s = s;
	}
	return j;
}

static void
job_put(struct send *s, struct job *j)
{
	j->state = J_FREE;
	j->next = s->free_list;
	s->free_list = j;
}

static void
ready_push(struct send *s, struct job *j)
{
	j->state = J_READY;
	j->next = NULL;
	if (s->ready_tail)
		s->ready_tail->next = j;
	else
		s->ready_head = j;
	s->ready_tail = j;
	s->nready++;
}

static void sign_settle(struct send *s, struct job *j);

static struct job *
ready_pop(struct send *s)
{
	struct job *j = s->ready_head;

	if (j) {
		s->ready_head = j->next;
		if (!s->ready_head)
			s->ready_tail = NULL;
		j->next = NULL;
		s->nready--;
		if (j->sign != S_NONE)
			sign_settle(s, j);
	}
	return j;
}

/* Sign j's message with a signing context of the pool (each has its
 * scratch buffers), on the calling thread. */
static int
sign_with_pool(struct send *s, struct job *j, char **err)
{
	struct dkim *d = NULL;
	int rc;

	pthread_mutex_lock(&s->signers_mu);
	if (s->nsigners > 0)
		d = s->signers[--s->nsigners];
	pthread_mutex_unlock(&s->signers_mu);
	if (!d && (rc = dkim_open(s->c, &d, err)) != 0)
		return rc;
	rc = dkim_sign(d, &j->data, err);
	pthread_mutex_lock(&s->signers_mu);
	s->signers = xreallocarray(s->signers, s->nsigners + 1,
		sizeof(*s->signers));
	s->signers[s->nsigners++] = d;
	pthread_mutex_unlock(&s->signers_mu);
	return rc;
}

/* Sign j's message on the thread of the connection that carries it (the
 * prepare hook), when no signing thread did it before. */
static int
job_sign(struct tmsg *m, char **err)
{
	struct job *j = m->user;
	int rc = sign_with_pool(j->s, j, err);

	m->data = j->data.data;
	m->len = j->data.len;
	return rc;
}

/* A signing thread: signs the queued jobs in turn until told to quit. A
 * failure is left to the connection, which signs again and reports it. */
static void *
signer_main(void *arg)
{
	struct send *s = arg;
	struct job *j;
	char *err;
	int rc;

	/* below the connections and the journal: signing ahead uses the CPU
	 * they leave (a thread's nice value is its own on Linux) */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	pthread_mutex_lock(&s->signers_mu);
	for (;;) {
		while (!s->sign_quit && !s->sign_head)
			pthread_cond_wait(&s->sign_work, &s->signers_mu);
		if (s->sign_quit)
			break;
		j = s->sign_head;
		s->sign_head = j->sign_next;
		if (!s->sign_head)
			s->sign_tail = NULL;
		j->sign_next = NULL;
		j->sign = S_RUNNING;
		pthread_mutex_unlock(&s->signers_mu);
		err = NULL;
		rc = sign_with_pool(s, j, &err);
		free(err);
		pthread_mutex_lock(&s->signers_mu);
		j->sign_rc = rc;
		j->sign = S_DONE;
		pthread_cond_broadcast(&s->sign_done);
	}
	pthread_mutex_unlock(&s->signers_mu);
	return NULL;
}

/* Queue a built job for signing ahead, starting the signing threads the
 * first time: as many as the connections, at most the CPUs. */
static void
sign_ahead(struct send *s, struct job *j)
{
	sigset_t all, old;
	long cpus;
	size_t n;

	if (!s->threads) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = s->c->transport.concurrency > 0 ?
		    (size_t)s->c->transport.concurrency : 1;
		if (cpus > 0 && (size_t)cpus < n)
			n = (size_t)cpus;
		s->threads = xcalloc(n, sizeof(*s->threads));
		/* signals (an interrupted send) are this thread's to see */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (size_t i = 0; i < n; i++) {
			if (pthread_create(&s->threads[i], NULL, signer_main,
			    s) != 0)
				break;
			s->nthreads++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (s->nthreads == 0)
		return; /* no thread: the connection signs */
	pthread_mutex_lock(&s->signers_mu);
	j->sign = S_QUEUED;
	j->sign_next = NULL;
	if (s->sign_tail)
		s->sign_tail->sign_next = j;
	else
		s->sign_head = j;
	s->sign_tail = j;
	pthread_cond_signal(&s->sign_work);
	pthread_mutex_unlock(&s->signers_mu);
}

/* Take j back from the signing threads before it goes or is dropped: a
 * job not yet taken leaves the queue (its connection signs it), one
 * being signed is waited for, a signed one goes as it is. */
static void
sign_settle(struct send *s, struct job *j)
{
	struct job **p, *prev = NULL;

	pthread_mutex_lock(&s->signers_mu);
	if (j->sign == S_QUEUED) {
		for (p = &s->sign_head; *p != j; p = &(*p)->sign_next)
			prev = *p;
		*p = j->sign_next;
		if (s->sign_tail == j)
			s->sign_tail = prev;
		j->sign_next = NULL;
		j->sign = S_NONE;
	}
	while (j->sign == S_RUNNING)
		pthread_cond_wait(&s->sign_done, &s->signers_mu);
	if (j->sign == S_DONE && j->sign_rc == 0) {
		j->m.prepare = NULL;
		j->m.data = j->data.data;
		j->m.len = j->data.len;
	}
	j->sign = S_NONE;
	pthread_mutex_unlock(&s->signers_mu);
}

/* Personalise j for a recipient (token already in j->token). */
static int
build(struct send *s, struct job *j, long long id, const char *email,
	const char *name, char **err)
{
	struct mime_recipient r;
	char *wire = addr_wire(email);
	int rc;

	/* the store accepts only what addr_wire can write (addr.h) */
	if (!wire)
		return fail(err, EX_DATAERR, "%s is not an address SMTP can "
			"carry", email);
	free(j->rcpt);
	j->rcpt = wire;
	r.name = name;
	r.email = wire;
	r.token = j->token;
	/* dated when built, just before it goes: a send that lasts hours
	 * (a slow relay, retries) must not carry its start time, which spam
	 * filters score (DATE_IN_PAST_03_06) */
	r.date = compose_send_date();
	buf_reset(&j->data);
	if ((rc = mime_fill(s->cp.msg, &r, &j->data, err)) != 0)
		return rc;
	/* DKIM over the bytes sent: on the connection's thread when the
	 * message goes (job_sign); a dry run signs here, a test copy once
	 * its subject is set */
	j->m.prepare = NULL;
	if (!s->test && s->dkim && !s->t &&
	    (rc = dkim_sign(s->dkim, &j->data, err)) != 0)
		return rc;
	if (!s->test && s->dkim && s->t)
		j->m.prepare = job_sign;
	free(j->msgid);
	j->msgid = mime_message_id(s->cp.msg, &r);
	buf_reset(&j->from);
	buf_printf(&j->from, "%s+%s@%s", s->bounce_local, j->token,
		s->bounce_domain);
	j->id = id;
	j->m.mail_from = j->from.data;
	j->m.rcpt = j->rcpt;
	j->m.data = j->data.data;
	j->m.len = j->data.len;
	j->m.user = j;
	s->stats->bytes = j->data.len;
	return 0;
}

static void
make_token(struct send *s, long long id, const char *email,
	char out[TOKEN_LEN + 1])
{
	struct subscriber sub;

	memset(&sub, 0, sizeof(sub));
	sub.id = id;
	sub.email = (char *)email;
	store_token(s->st, &sub, out);
}

/* --- outcomes ---------------------------------------------------------- */

/* An attempt that got nowhere near the recipient: no reply at all (refused,
 * timed out, cut) or 421 (the server is closing the connection). */
static bool
connection_trouble(int code)
{
	return code == 0 || code == 421;
}

static void
on_done(void *ctx, struct tmsg *m, enum tresult r, int code,
	const char *reply)
{
	struct send *s = ctx;
	struct send_stats *st = s->stats;
	struct job *j = m->user;
	double now = mono();

	s->inflight--;
	if (s->unsynced++ == 0)
		s->first_unsynced = now;
	if (s->last_outcome > 0)
		s->gap += (now - s->last_outcome - s->gap) / 8;
	s->last_outcome = now;
	if (s->test) {
		/* the job stays test_copy's */
		s->test_r = r;
		set_answer(s, reply);
		return;
	}
	if (j->pass > 0)
		st->deferred--;
	/* not handed over, and no retry helps before the configuration is
	 * mended: the delivery stays as it was, and the run stops */
	if (r == T_DEFERRED && code == 0 && transport_config_error(s->t)) {
		if (!st->config_error)
			set_answer(s, transport_config_error(s->t));
		st->config_error = true;
		s->stop = true;
		if (j->pass > 0)
			st->deferred++;
		job_put(s, j);
		return;
	}
	switch (r) {
	case T_SENT:
		record(s, j->id, DLV_SENT, reply, j->msgid);
		st->sent++;
		s->level = 0;
		break;
	case T_FAILED:
		record(s, j->id, DLV_FAILED, reply, j->msgid);
		bounce(s, j, code, reply);
		set_answer(s, reply);
		st->failed++;
		s->level = 0;
		break;
	case T_DEFERRED:
		record(s, j->id, DLV_DEFERRED, reply, NULL);
		set_answer(s, reply);
		st->deferred++;
		s->last_deferral = now;
		/* one step of the pause per wave: the messages that were already
		 * in flight when it began do not make it longer */
		if (connection_trouble(code) && j->submitted >= s->last_trouble) {
			s->level++;
			s->last_trouble = now;
			if (s->level > s->retries) {
				s->stop = true;
				st->gave_up = true;
			} else {
				s->pause_until = now + backoff(s, s->level);
			}
		}
		break;
	}
	job_put(s, j);
}

/* --- the passes ---------------------------------------------------------- */

static struct delivery *
cursor_next(struct send *s, struct cursor *cu)
{
	char *err = NULL;
	int rc;

	if (cu->i == cu->n) {
		store_deliveries_free(cu->v, cu->n);
		cu->v = NULL;
		cu->n = cu->i = 0;
		if (cu->end)
			return NULL;
		rc = store_delivery_batch(s->st, s->month, cu->mask, cu->after,
			BATCH, &cu->v, &cu->n, &err);
		if (rc) {
			set_fatal(s, rc, err);
			cu->end = true;
			return NULL;
		}
		if (cu->n == 0) {
			cu->end = true;
			return NULL;
		}
		cu->after = cu->v[cu->n - 1].subscriber;
	}
	if (cu->v[cu->i].subscriber > cu->max_id) {
		cu->end = true;
		cu->i = cu->n;
		return NULL;
	}
	return &cu->v[cu->i++];
}

static void
cursor_free(struct cursor *cu)
{
	store_deliveries_free(cu->v, cu->n);
	cu->v = NULL;
	cu->n = cu->i = 0;
}

static bool
limit_reached(const struct send *s, int pass)
{
	return pass == 0 && s->o.limit > 0 && s->taken >= s->o.limit;
}

/* A delivery that is not going to be sent now. */
static void
settle(struct send *s, int pass, long long id, int state, const char *answer)
{
	record(s, id, state, answer, NULL);
	if (state == DLV_SKIPPED)
		s->stats->skipped++;
	else
		s->stats->failed++;
	if (pass > 0)
		s->stats->deferred--;
}

/* Build messages ahead into the free jobs. */
static void
fill_jobs(struct send *s, struct cursor *cu, int pass)
{
	struct delivery *d;
	struct job *j;
	char *err = NULL;

	while (s->free_list && !stopping(s) && !limit_reached(s, pass)) {
		if (!(d = cursor_next(s, cu)))
			break;
		if (d->sub_status != SUB_ACTIVE) {
			settle(s, pass, d->subscriber, DLV_SKIPPED, NULL);
			continue;
		}
		j = job_get(s);
		make_token(s, d->subscriber, d->email, j->token);
		if (build(s, j, d->subscriber, d->email, d->name, &err) != 0) {
			char *answer = xasprintf("not sent: %s", err);
			settle(s, pass, d->subscriber, DLV_FAILED, answer);
			free(answer);
			free(err);
			err = NULL;
			job_put(s, j);
			continue;
		}
		j->pass = pass;
		if (pass == 0) {
			s->taken++;
			s->max_id = d->subscriber;
		}
		ready_push(s, j);
		if (j->m.prepare == job_sign)
			sign_ahead(s, j);
	}
}

/* Hand built messages to free connections, each after a last look at the
 * subscriber's status. */
static void
submit_ready(struct send *s)
{
	struct subscriber sub;
	struct job *j;
	char *err = NULL;
	double now;
	bool active;
	int rc;

	while (s->ready_head && !stopping(s)) {
		now = mono();
		if (now < s->pause_until || !transport_ready(s->t))
			break;
		j = ready_pop(s);
		rc = store_get(s->st, j->id, &sub, &err);
		if (rc == EX_NOUSER) {
			free(err);
			err = NULL;
			if (j->pass == 0)
				s->taken--;
			else
				s->stats->deferred--;
			job_put(s, j);
			continue;
		}
		if (rc) {
			set_fatal(s, rc, err);
			job_put(s, j);
			break;
		}
		active = sub.status == SUB_ACTIVE;
		store_subscriber_free(&sub);
		if (!active) {
			settle(s, j->pass, j->id, DLV_SKIPPED, NULL);
			if (j->pass == 0)
				s->taken--;
			job_put(s, j);
			continue;
		}
		/* everything known so far is committed before the next start */
		commit(s);
		if (s->fatal) {
			job_put(s, j);
			break;
		}
		j->state = J_FLIGHT;
		j->submitted = now;
		s->inflight++;
		s->stats->handed++;
		if (j->pass > 0)
			s->stats->retries++;
		transport_submit(s->t, &j->m);
		commit(s);
	}
}

bool
send_group_wait(size_t unsynced, size_t inflight, long concurrency,
	double gap, double waited)
{
	size_t want = concurrency > 1 ? (size_t)concurrency / 2 : 1;

	return unsynced > 0 && unsynced < want && inflight >= want &&
	    gap < SEND_GROUP_MAX && waited < SEND_GROUP_MAX;
}

/* Outcomes wait for company before their commit (send_group_wait). */
static void
group(struct send *s)
{
	while (!stopping(s) && send_group_wait(s->unsynced, s->inflight,
	    s->c->transport.concurrency, s->gap, mono() - s->first_unsynced))
		transport_run(s->t, 1);
}

/* Wait for something to happen: an outcome, the end of a pause, a rate
 * token. */
static void
wait_some(struct send *s)
{
	double now = mono(), left = WAIT_MS / 1000.0;

	if (s->nready && s->pause_until > now && s->pause_until - now < left)
		left = s->pause_until - now;
	if (s->inflight > 0) {
		transport_run(s->t, (int)(left * 1000) + 1);
		group(s);
		if (transport_auth_failed(s->t)) {
			s->stats->auth_failed = true;
			s->stop = true;
		}
		/* the freed connections' next messages now: the first one's
		 * last look reads inside the outcomes' transaction, which
		 * commits before it starts (one round of locks, not two) */
		submit_ready(s);
		commit(s);
	} else if (s->nready) {
		if (s->pause_until <= now && s->c->transport.rate > 0 &&
		    1.0 / s->c->transport.rate < left)
			left = 1.0 / s->c->transport.rate;
		pause_for(left);
	}
}

static void
run_pass(struct send *s, int pass)
{
	struct cursor cu;
	struct job *j;
	long every = 0;

	memset(&cu, 0, sizeof(cu));
	cu.mask = pass == 0 ? DLV_BIT(DLV_PENDING) | DLV_BIT(DLV_DEFERRED) :
	    DLV_BIT(DLV_DEFERRED);
	cu.max_id = pass == 0 ? LLONG_MAX : s->max_id;
	for (;;) {
		fill_jobs(s, &cu, pass);
		submit_ready(s);
		commit(s);
		if (s->inflight == 0 && (stopping(s) || (s->nready == 0 &&
		    (cu.end || limit_reached(s, pass)))))
			break;
		/* maildir: everything is done at submit; report now and then */
		if (s->inflight == 0 && s->nready == 0 && ++every % 64)
			continue;
		wait_some(s);
		progress(s);
	}
	if (pass == 0 && limit_reached(s, pass) && !cu.end) {
		struct delivery *d = cursor_next(s, &cu);
		s->stats->limited = d != NULL;
	}
	/* built but not started: the journal keeps them as they are */
	while ((j = ready_pop(s)) != NULL)
		job_put(s, j);
	cursor_free(&cu);
	commit(s);
	progress(s);
}

static void
wait_until(struct send *s, double at)
{
	double now;

	while (!stopping(s) && (now = mono()) < at) {
		pause_for(at - now < WAIT_MS / 1000.0 ? at - now :
		    WAIT_MS / 1000.0);
		progress(s);
	}
}

static void
journal_counts(struct send *s)
{
	char *err = NULL;
	int rc = store_delivery_counts(s->st, s->month, s->stats->journal,
		&err);

	if (rc)
		set_fatal(s, rc, err);
}

static void
real_send(struct send *s)
{
	struct send_stats *st = s->stats;

	journal_counts(s);
	st->total = st->journal[DLV_PENDING] + st->journal[DLV_DEFERRED];
	if (s->o.limit > 0 && st->total > s->o.limit)
		st->total = s->o.limit;
	s->max_id = 0;
	run_pass(s, 0);
	if (!st->limited)
		s->max_id = LLONG_MAX;
	for (int pass = 1; pass <= s->retries && st->deferred > 0 &&
	    !stopping(s); pass++) {
		wait_until(s, s->last_deferral + backoff(s, pass));
		if (stopping(s))
			break;
		run_pass(s, pass);
	}
	st->unreachable = st->unreachable || transport_unreachable(s->t);
	st->auth_failed = st->auth_failed || transport_auth_failed(s->t);
	journal_counts(s);
}

/* --- a dry run ---------------------------------------------------------- */

static void
dry_one(struct send *s, long long id, const char *email, const char *name)
{
	struct send_stats *st = s->stats;
	struct job *j = &s->jobs[0];
	char *err = NULL;

	make_token(s, id, email, j->token);
	if (build(s, j, id, email, name, &err) != 0) {
		set_answer(s, err);
		free(err);
		st->failed++;
		return;
	}
	for (int i = 0; i < SEND_EXAMPLES; i++)
		if (!st->examples[i]) {
			st->examples[i] = xstrdup(email);
			break;
		}
	st->handed++;
	if (st->handed % 4096 == 0)
		progress(s);
}

static int
dry_new(void *ctx, const struct subscriber *sub)
{
	struct send *s = ctx;

	if (stopping(s))
		return 1;
	if (s->o.limit > 0 && s->stats->handed >= s->o.limit) {
		s->stats->limited = true;
		return 1;
	}
	s->stats->planned++;
	dry_one(s, sub->id, sub->email, sub->name);
	return 0;
}

static void
dry_run(struct send *s)
{
	struct send_stats *st = s->stats;
	struct cursor cu;
	struct delivery *d;
	char *err = NULL;
	int rc;

	journal_counts(s);
	memset(&cu, 0, sizeof(cu));
	cu.mask = DLV_BIT(DLV_PENDING) | DLV_BIT(DLV_DEFERRED);
	cu.max_id = LLONG_MAX;
	while (!stopping(s) && (d = cursor_next(s, &cu)) != NULL) {
		if (s->o.limit > 0 && st->handed >= s->o.limit) {
			st->limited = true;
			break;
		}
		if (d->sub_status != SUB_ACTIVE) {
			st->skipped++;
			continue;
		}
		dry_one(s, d->subscriber, d->email, d->name);
	}
	cursor_free(&cu);
	if (!stopping(s) && !st->limited) {
		rc = store_undelivered(s->st, s->month, dry_new, s, &err);
		if (rc > 1)
			set_fatal(s, rc, err);
	}
	st->total = st->handed + st->failed;
	progress(s);
}

/* --- a test copy ------------------------------------------------------- */

/* Put prefix before the subject of the message in b: the Subject field
 * is written again, folded as mime.c folds it. */
static int
test_subject(struct buf *b, const char *subject, const char *prefix,
	char **err)
{
	char *full = xasprintf("%s%s", prefix, subject);
	char *enc = mime_encode_words(full);
	const char *p, *hend, *start = NULL, *end;
	struct buf out = BUF_INIT;
	size_t col;

	free(full);
	if (!enc)
		return fail(err, EX_DATAERR, "the subject cannot be encoded");
	hend = memmem(b->data, b->len, "\r\n\r\n", 4);
	for (p = b->data; hend && p < hend; p = strstr(p, "\r\n") + 2)
		if (strncasecmp(p, "Subject:", 8) == 0) {
			start = p;
			break;
		}
	if (!start) {
		free(enc);
		return fail(err, EX_SOFTWARE, "the message has no Subject");
	}
	/* the field ends at the first line end not followed by a fold */
	for (end = start; (end = strstr(end, "\r\n")) != NULL; end += 2)
		if (end[2] != ' ' && end[2] != '\t')
			break;
	buf_put(&out, b->data, (size_t)(start - b->data));
	buf_puts(&out, "Subject:");
	col = 8;
	for (char *u = enc, *sp; *u; u = sp ? sp + 1 : u + strlen(u)) {
		size_t n;

		sp = strchr(u, ' ');
		n = sp ? (size_t)(sp - u) : strlen(u);
		if (col > 8 && col + 1 + n > 78) {
			buf_puts(&out, "\r\n ");
			col = 1;
		} else {
			buf_putc(&out, ' ');
			col++;
		}
		buf_put(&out, u, n);
		col += n;
		if (!sp)
			break;
	}
	buf_put(&out, end, b->len - (size_t)(end - b->data));
	free(enc);
	buf_free(b);
	*b = out;
	return 0;
}

static int
test_copy(struct send *s, char **err)
{
	struct send_stats *st = s->stats;
	struct subscriber sub;
	struct job *j = job_get(s);
	const char *prefix = label(s->c->newsletter.language, "TEST_PREFIX");
	bool known;
	int rc;

	memset(&sub, 0, sizeof(sub));
	rc = store_find(s->st, s->o.to, &sub, err);
	if (rc && rc != EX_NOUSER)
		goto out;
	known = rc == 0;
	if (!known) {
		free(*err);
		*err = NULL;
	}
	/* the subscriber's own token, so that the links work; else the
	 * sample's, which the endpoint does not accept */
	if (known)
		store_token(s->st, &sub, j->token);
	else
		memcpy(j->token, COMPOSE_SAMPLE_TOKEN, TOKEN_LEN + 1);
	rc = build(s, j, known ? sub.id : 0, s->o.to, known ? sub.name : NULL,
		err);
	if (!rc)
		rc = test_subject(&j->data, s->cp.issue.subject, prefix, err);
	if (!rc)
		rc = dkim_sign(s->dkim, &j->data, err);
	if (rc)
		goto out;
	j->m.data = j->data.data;
	j->m.len = j->data.len;
	st->bytes = j->data.len;
	st->total = 1;
	if (s->o.dry_run) {
		st->handed = 1;
		st->examples[0] = xstrdup(s->o.to);
		goto out;
	}
	for (int attempt = 0; attempt <= s->retries; attempt++) {
		if (attempt > 0) {
			wait_until(s, mono() + backoff(s, attempt));
			st->retries++;
		}
		if (stopping(s))
			break;
		j->state = J_FLIGHT;
		s->inflight++;
		st->handed++;
		transport_submit(s->t, &j->m);
		while (s->inflight > 0) {
			transport_run(s->t, WAIT_MS);
			progress(s);
		}
		if (s->test_r != T_DEFERRED || transport_auth_failed(s->t) ||
		    transport_config_error(s->t))
			break;
	}
	st->sent = s->test_r == T_SENT && st->handed;
	st->failed = s->test_r == T_FAILED && st->handed;
	st->deferred = s->test_r == T_DEFERRED && st->handed;
	st->unreachable = st->unreachable || transport_unreachable(s->t);
	st->auth_failed = transport_auth_failed(s->t);
	if (transport_config_error(s->t)) {
		st->config_error = true;
		set_answer(s, transport_config_error(s->t));
	}
	rc = 0;
out:
	store_subscriber_free(&sub);
	if (j)
		job_put(s, j);
	return rc;
}

/* --- opening and closing ----------------------------------------------- */

/* Are the issue's files what compose just made? */
static bool
file_is(const char *dir, const char *name, const char *want)
{
	char *path = path_join(dir, name), *data = NULL;
	size_t len = 0;
	bool same;

	same = read_file(path, 64u << 20, &data, &len) == 0 &&
	    len == strlen(want) && memcmp(data, want, len) == 0;
	free(data);
	free(path);
	return same;
}

static int
bring_up_to_date(struct send *s, struct diags *warn, char **err)
{
	const struct composed *cp = &s->cp;
	long counts[DLV_NSTATES];
	int rc;

	if (file_is(cp->issue.dir, "newsletter.html", cp->html_preview) &&
	    file_is(cp->issue.dir, "newsletter.txt", cp->text_preview) &&
	    file_is(cp->issue.dir, "newsletter.eml", cp->eml) &&
	    file_is(cp->issue.dir, "web.html", cp->web))
		return 0;
	if ((rc = store_delivery_counts(s->st, s->month, counts, err)) != 0)
		return rc;
	if (counts[DLV_SENT] > 0)
		diags_add(warn, cp->issue.path, 0, 0, "the issue changed since "
			"%ld %s of it %s sent; the others get the new version",
			counts[DLV_SENT], plural(counts[DLV_SENT], "message",
			"messages"), counts[DLV_SENT] == 1 ? "was" : "were");
	if ((rc = compose_write(cp, err)) != 0)
		return rc;
	s->composed = true;
	return 0;
}

/* local+TOKEN@domain: unsubscribe.bounce, else the From address. */
static void
bounce_parts(struct send *s)
{
	const char *b = s->c->unsubscribe.bounce, *at;
	char *addr;

	if (!*b)
		b = s->c->newsletter.from;
	addr = addr_of(b);
	if ((at = strrchr(addr, '@')) != NULL) {
		s->bounce_local = xstrndup(addr, (size_t)(at - addr));
		s->bounce_domain = xstrdup(at + 1);
	} else {
		s->bounce_local = xstrdup(addr);
		s->bounce_domain = xstrdup("localhost");
	}
	free(addr);
}

int
send_open(const struct config *c, const struct send_opts *opts,
	struct send **out, struct diags *warn, char **err)
{
	struct send *s;
	unsigned char *secret = NULL;
	size_t len = 0, n, conc, ahead;
	char *key = NULL;
	int rc;

	*out = NULL;
	if (c->transport.retry_delay > MAX_RETRY_DELAY)
		return fail(err, EX_CONFIG, "transport.retry_delay: at most "
			"%.0f seconds", MAX_RETRY_DELAY);
	if (opts->to) {
		if ((rc = store_address_key(opts->to, &key, err)) != 0)
			return EX_USAGE;
		free(key);
	}
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->signers_mu, NULL);
	pthread_cond_init(&s->sign_work, NULL);
	pthread_cond_init(&s->sign_done, NULL);
	s->c = c;
	s->o = *opts;
	s->month = xstrdup(opts->month);
	s->test = opts->to != NULL;
	s->retries = c->transport.retries;
	s->delay = c->transport.retry_delay;
	s->max_id = LLONG_MAX;
	bounce_parts(s);

	if ((rc = token_secret(c->subscribers.secret_file, &secret, &len,
	    err)) != 0)
		goto bad;
	rc = store_open(c->subscribers.database, secret, len, &s->st, err);
	explicit_bzero(secret, len);
	free(secret);
	if (rc)
		goto bad;
	if (!s->test && !opts->dry_run) {
		if ((rc = store_send_lock(s->st, s->month, err)) != 0)
			goto bad;
		s->locked = true;
	}
	if ((rc = compose_build(c, s->month, &s->cp, warn, err)) != 0)
		goto bad;
	s->have_cp = true;
	if ((rc = dkim_open(c, &s->dkim, err)) != 0)
		goto bad;
	/* Messages built ahead: one waiting for each connection; when they
	 * are signed, three, so that the signing threads keep working while
	 * the connections wait for the server and the journal's commits (an
	 * RSA-signed send of 50,000 went 15% faster than with one, and
	 * about as fast with seven or fifteen), fewer when that many would
	 * hold more than AHEAD_BYTES */
	conc = c->transport.concurrency > 0 ?
	    (size_t)c->transport.concurrency : 1;
	ahead = s->dkim ? 3 : 1;
	while (ahead > 1 && ahead * conc * strlen(s->cp.eml) > AHEAD_BYTES)
		ahead--;
	n = s->test || opts->dry_run ? 1 : conc * (1 + ahead);
	s->njobs = n;
	s->jobs = xcalloc(n, sizeof(*s->jobs));
	for (size_t i = n; i-- > 0; )
		job_put(s, &s->jobs[i]);
	if (!opts->dry_run && (rc = bring_up_to_date(s, warn, err)) != 0)
		goto bad;
	if (!s->test && !opts->dry_run &&
	    (rc = store_delivery_plan(s->st, s->month, &s->planned, err)) != 0)
		goto bad;
	if (!opts->dry_run && (rc = transport_open(c, on_done, s, &s->t,
	    err)) != 0)
		goto bad;
	*out = s;
	return 0;
bad:
	send_close(s);
	return rc;
}

const char *
send_warning(const struct send *s)
{
	return s->t ? transport_warning(s->t) : NULL;
}

bool
send_composed(const struct send *s)
{
	return s->composed;
}

int
send_run(struct send *s, struct send_stats *stats, char **err)
{
	memset(stats, 0, sizeof(*stats));
	s->stats = stats;
	stats->planned = s->planned;
	s->t0 = mono();
	s->gap = 1.0; /* no group commit before outcomes say they come fast */
	if (s->test) {
		int rc = test_copy(s, err);
		stats->elapsed = mono() - s->t0;
		return rc;
	}
	if (s->o.dry_run)
		dry_run(s);
	else
		real_send(s);
	stats->elapsed = mono() - s->t0;
	if (s->fatal) {
		*err = s->fatal_err;
		s->fatal_err = NULL;
		return s->fatal;
	}
	return 0;
}

void
send_close(struct send *s)
{
	char *err = NULL;

	if (!s)
		return;
	/* in flight only after a store error: finish, record nothing */
	if (!s->fatal && s->inflight)
		s->fatal = EX_SOFTWARE;
	transport_close(s->t);
	if (s->in_txn)
		store_rollback(s->st);
	if (s->locked && store_send_unlock(s->st, s->month, &err) != 0)
		free(err);
	store_close(s->st);
	if (s->have_cp)
		compose_free(&s->cp);
	pthread_mutex_lock(&s->signers_mu);
	s->sign_quit = true;
	pthread_cond_broadcast(&s->sign_work);
	pthread_mutex_unlock(&s->signers_mu);
	for (size_t i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	free(s->threads);
	pthread_cond_destroy(&s->sign_work);
	pthread_cond_destroy(&s->sign_done);
	dkim_free(s->dkim);
	for (size_t i = 0; i < s->nsigners; i++)
		dkim_free(s->signers[i]);
	free(s->signers);
	pthread_mutex_destroy(&s->signers_mu);
	for (size_t i = 0; i < s->njobs; i++) {
		buf_free(&s->jobs[i].data);
		buf_free(&s->jobs[i].from);
		free(s->jobs[i].rcpt);
		free(s->jobs[i].msgid);
	}
	free(s->jobs);
	free(s->bounce_local);
	free(s->bounce_domain);
	free(s->fatal_err);
	free(s->month);
	free(s);
}

void
send_stats_free(struct send_stats *st)
{
	free(st->last_answer);
	for (int i = 0; i < SEND_EXAMPLES; i++)
		free(st->examples[i]);
	memset(st, 0, sizeof(*st));
}

/* --- status ------------------------------------------------------------- */

static int
open_existing(const struct config *c, struct store **st, bool *none,
	char **err)
{
	*st = NULL;
	*none = access(c->subscribers.database, F_OK) != 0 && errno == ENOENT;
	if (*none)
		return 0;
	return store_open(c->subscribers.database, NULL, 0, st, err);
}

int
send_status(const struct config *c, const char *month,
	long counts[DLV_NSTATES], char **err)
{
	struct store *st;
	bool none;
	int rc;

	for (int i = 0; i < DLV_NSTATES; i++)
		counts[i] = 0;
	if ((rc = open_existing(c, &st, &none, err)) != 0 || none)
		return rc;
	rc = store_delivery_counts(st, month, counts, err);
	store_close(st);
	return rc;
}

int
send_each_failed(const struct config *c, const char *month,
	int (*fn)(void *ctx, const struct delivery *d), void *ctx,
	char **err)
{
	struct store *st;
	struct delivery *v = NULL;
	long long after = 0;
	size_t n = 0;
	bool none;
	int rc;

	if ((rc = open_existing(c, &st, &none, err)) != 0 || none)
		return rc;
	for (;;) {
		rc = store_delivery_batch(st, month, DLV_BIT(DLV_FAILED) |
			DLV_BIT(DLV_DEFERRED), after, BATCH, &v, &n, err);
		if (rc || n == 0)
			break;
		after = v[n - 1].subscriber;
		for (size_t i = 0; i < n && !rc; i++)
			rc = fn(ctx, &v[i]);
		store_deliveries_free(v, n);
		v = NULL;
		if (rc)
			break;
	}
	store_close(st);
	return rc;
}
