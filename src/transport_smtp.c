/* transport_smtp.c - SMTP through libcurl: one thread, one easy handle and
 * one reused connection per transport.concurrency
 *
 * Why threads and not one multi handle: libcurl (7.88, Debian 12) waits for
 * the reply to the end of data in a blocking loop inside its "done" phase,
 * even under the multi interface. With one multi handle, every connection
 * stops while one server digests a message: four connections to a server
 * that takes 2 s per message deliver one message every 2 s, not four
 * (measured). So each connection gets its own thread running
 * curl_easy_perform (a private multi handle per easy handle), and its own
 * connection cache, which also makes "messages on this connection" exact.
 * The caller's thread keeps the queue, the rate limit and the callbacks.
 *
 * Timeouts (RFC 5321 4.5.3.2) and what libcurl can express:
 *   - CURLOPT_CONNECTTIMEOUT bounds libcurl's whole "connect phase": TCP,
 *     TLS, greeting, EHLO, STARTTLS, AUTH together; one number cannot be
 *     the 5 min of the greeting and the 5 min of each command, so it is set
 *     to their sum and is only a backstop.
 *   - CURLOPT_SERVER_RESPONSE_TIMEOUT is one limit for every reply; it is
 *     the largest of the greeting, command and end-of-data timeouts (its
 *     default, 2 min, is shorter than the 10 min RFC 5321 gives the end of
 *     data). CURLOPT_LOW_SPEED_LIMIT/TIME (1 byte/s for as long) ends a
 *     transfer where nothing moves at all.
 *   - The step limits themselves are enforced here, from the progress
 *     callback (about once a second), knowing the step from the commands
 *     and replies seen in the debug callback: connect, greeting, each
 *     command, each stretch of the message upload without progress (RFC's
 *     "data block"), the reply to the end of data.
 *
 * Replies are read from the debug callback (CURLINFO_HEADER_IN); commands
 * sent (CURLINFO_HEADER_OUT) are only looked at for their verb, so AUTH
 * data never leaves it.
 */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "transport_priv.h"
#include "secret.h"
#include "util.h"

/* The command the next reply answers. */
enum cmd { C_NONE, C_GREETING, C_EHLO, C_STARTTLS, C_AUTH, C_MAIL, C_RCPT,
	C_DATA, C_BODY, C_QUIT, C_OTHER };

/* What the connection is waiting for, for the step timeouts. */
enum stage { S_START, S_CONNECT, S_GREETING, S_COMMAND, S_IDLE, S_DATA,
	S_EOD, S_QUIT };

enum slot_state { SLOT_IDLE, SLOT_BUSY, SLOT_DONE };

struct smtp;

struct slot {
	struct smtp *s;
	pthread_t th;
	pthread_cond_t cv;
	bool started;

	/* state and m change under s->mu; the outcome is written by the
	 * worker while SLOT_BUSY and read by the caller in SLOT_DONE */
	enum slot_state state;
	struct tmsg *m;
	enum tresult r;
	int code;
	char *reply;
	bool unreachable, auth_failed;
	bool misconfigured; /* reply says which setting to fix */
	long connects;
	unsigned gen;     /* the bearer token's generation the handle has */

	/* the worker's own while SLOT_BUSY */
	CURL *easy;
	size_t off;       /* upload position in m->data */
	long on_conn;     /* messages sent on the current connection */
	enum cmd cmd;
	enum stage stage;
	double stage_at;
	bool timeout_hit;
	enum stage timed_out; /* the stage that ran out of time */
	curl_off_t ul;
	bool in_multi;    /* inside a multi-line reply */
	struct buf cur;   /* the reply being read */
	struct buf last;  /* the last complete reply, "CODE text" */
	int last_code;
	enum cmd last_cmd;
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp {
	struct transport base;
	char *url;        /* without user information */
	struct secret *sec; /* the password or token source, or NULL */
	pthread_mutex_t tok_mu; /* cred, gen, gen_worked */
	char *cred;       /* the password or the bearer token */
	unsigned gen;     /* bumped when a new token is fetched */
	bool gen_worked;  /* a message went with the current token */
	long concurrency, max_per_conn;
	long t_connect, t_greeting, t_command, t_data;
	double rate, burst, tokens, refill_at;

	pthread_mutex_t mu;
	pthread_cond_t done_cv;
	bool quit;
	struct slot *slots;
	size_t busy;      /* slots BUSY or DONE */
	struct tmsg **queue; /* submitted, waiting for a slot or a token */
	size_t qhead, qlen, qcap;
	struct slot **finished; /* scratch for transport_run */
	bool curl_init;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set_stage(struct slot *sl, enum stage st)
{
	sl->stage = st;
	sl->stage_at = mono();
}

/* The verb of a command line sent, or C_OTHER. */
static enum cmd
verb(const char *p, size_t n)
{
	static const struct { const char *w; enum cmd c; } v[] = {
		{ "EHLO", C_EHLO }, { "HELO", C_EHLO },
		{ "STARTTLS", C_STARTTLS }, { "AUTH", C_AUTH },
		{ "MAIL", C_MAIL }, { "RCPT", C_RCPT }, { "DATA", C_DATA },
		{ "QUIT", C_QUIT },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t k = strlen(v[i].w);
		if (n >= k && strncasecmp(p, v[i].w, k) == 0 &&
		    (n == k || p[k] == ' ' || p[k] == '\r' || p[k] == '\n'))
			return v[i].c;
	}
	return C_OTHER;
}

static void
on_command(struct slot *sl, const char *p, size_t n)
{
	/* An AUTH exchange goes on while the server asks (334): those lines
	 * are credentials and are not even looked at. */
	if (!(sl->cmd == C_AUTH && sl->last_code == 334))
		sl->cmd = verb(p, n);
	set_stage(sl, sl->cmd == C_QUIT ? S_QUIT : S_COMMAND);
}

static void
on_reply_line(struct slot *sl, const char *p, size_t n)
{
	int code;
	const char *text;
	size_t tn;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return;
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	text = n > 4 ? p + 4 : "";
	tn = n > 4 ? n - 4 : 0;
	if (!sl->in_multi) {
		buf_reset(&sl->cur);
		buf_printf(&sl->cur, "%d", code);
	}
	/* Multi-line replies become one line; the limit keeps EHLO lists and
	 * chatty servers short. */
	if (tn > 0 && sl->cur.len < 1000) {
		buf_putc(&sl->cur, ' ');
		buf_put(&sl->cur, text, tn < 1000 ? tn : 1000);
	}
	if (n > 3 && p[3] == '-') {
		sl->in_multi = true;
		return;
	}
	sl->in_multi = false;
	if (sl->cmd == C_QUIT) {
		/* the 221 to QUIT must not hide the reply that mattered */
		set_stage(sl, S_IDLE);
		return;
	}
	buf_reset(&sl->last);
	buf_put(&sl->last, sl->cur.data, sl->cur.len);
	sl->last_code = code;
	sl->last_cmd = sl->cmd;
	if (sl->cmd == C_DATA && code == 354) {
		sl->cmd = C_BODY;
		set_stage(sl, S_DATA);
	} else {
		set_stage(sl, S_IDLE);
	}
}

static int
on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct slot *sl = arg;
	size_t i, start;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		on_command(sl, data, n);
	} else if (type == CURLINFO_HEADER_IN) {
		for (i = start = 0; i < n; i++)
			if (data[i] == '\n') {
				on_reply_line(sl, data + start, i + 1 - start);
				start = i + 1;
			}
		if (start < n)
			on_reply_line(sl, data + start, n - start);
	}
	return 0;
}

/* A new socket: a new connection, whose first reply is the greeting. */
static int
on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct slot *sl = arg;

	(void)fd;
	(void)purpose;
	sl->cmd = C_GREETING;
	sl->last_code = 0;
	set_stage(sl, S_CONNECT);
	return CURL_SOCKOPT_OK;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct slot *sl = arg;
	size_t want = size * nitems, left = sl->m->len - sl->off;
	size_t k = want < left ? want : left;

	memcpy(buf, sl->m->data + sl->off, k);
	sl->off += k;
	/* everything handed over: what follows is the end of data */
	if (sl->off == sl->m->len && sl->stage == S_DATA)
		set_stage(sl, S_EOD);
	return k;
}

/* The step limit, in seconds. */
static long
stage_limit(const struct smtp *s, enum stage st)
{
	switch (st) {
	case S_START:
	case S_CONNECT:
		return s->t_connect;
	case S_GREETING:
		return s->t_greeting;
	case S_EOD:
		return s->t_data;
	case S_QUIT:
		/* the message is done; a silent server is not worth waiting */
		return s->t_command < 30 ? s->t_command : 30;
	default:
		return s->t_command;
	}
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
	curl_off_t ultotal, curl_off_t ulnow)
{
	struct slot *sl = arg;
	double now = mono();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (ulnow != sl->ul) {
		sl->ul = ulnow;
		if (sl->stage == S_DATA)
			sl->stage_at = now;
	}
	if (sl->stage == S_CONNECT) {
		curl_off_t ct = 0;
		curl_easy_getinfo(sl->easy, CURLINFO_CONNECT_TIME_T, &ct);
		if (ct > 0)
			set_stage(sl, S_GREETING);
	}
	if (now - sl->stage_at > (double)stage_limit(sl->s, sl->stage)) {
		sl->timeout_hit = true;
		sl->timed_out = sl->stage;
		return 1;
	}
	return 0;
}

static const char *
cmd_name(enum cmd c)
{
	switch (c) {
	case C_GREETING: return "the greeting";
	case C_EHLO: return "EHLO";
	case C_STARTTLS: return "STARTTLS";
	case C_AUTH: return "AUTH";
	case C_MAIL: return "MAIL FROM";
	case C_RCPT: return "RCPT TO";
	case C_DATA: return "DATA";
	case C_BODY: return "the end of data";
	case C_QUIT: return "QUIT";
	default: return "a command";
	}
}

static char *
timeout_text(const struct slot *sl)
{
	long lim = stage_limit(sl->s, sl->timed_out);

	switch (sl->timed_out) {
	case S_START:
	case S_CONNECT:
		return xasprintf("timeout: not connected after %ld s", lim);
	case S_GREETING:
		return xasprintf("timeout: no greeting after %ld s", lim);
	case S_DATA:
		return xasprintf("timeout: message upload stalled for %ld s",
			lim);
	case S_EOD:
		return xasprintf("timeout: no reply to the end of data after "
			"%ld s", lim);
	case S_IDLE:
		return xasprintf("timeout: connection stalled for %ld s", lim);
	default:
		return xasprintf("timeout: no reply to %s after %ld s",
			cmd_name(sl->cmd), lim);
	}
}

/* Errors that mean the server was not reached (or not trusted). */
static bool
unreachable_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Turn libcurl's result and the replies seen into the slot's outcome. */
static void
classify(struct slot *sl, CURLcode rc)
{
	char *text = NULL;

	sl->code = 0;
	sl->unreachable = sl->auth_failed = sl->misconfigured = false;
	if (rc == CURLE_OK) {
		/* libcurl accepts nothing but 250 to the end of data */
		sl->r = T_SENT;
		sl->code = sl->last_code;
		text = xstrdup(buf_str(&sl->last));
	} else if (sl->timeout_hit) {
		sl->r = T_DEFERRED;
		text = timeout_text(sl);
		/* stuck before the session was set up (TLS included) */
		sl->unreachable = sl->timed_out == S_START ||
			sl->timed_out == S_CONNECT ||
			sl->timed_out == S_GREETING || sl->cmd == C_GREETING ||
			sl->cmd == C_EHLO || sl->cmd == C_STARTTLS;
	} else if (sl->last_code >= 400) {
		sl->code = sl->last_code;
		text = xstrdup(buf_str(&sl->last));
		if (sl->last_code >= 500 && (sl->last_cmd == C_RCPT ||
		    sl->last_cmd == C_DATA || sl->last_cmd == C_BODY))
			sl->r = T_FAILED;
		else
			sl->r = T_DEFERRED;
		sl->unreachable = sl->last_cmd == C_GREETING ||
			sl->last_cmd == C_EHLO || sl->last_cmd == C_STARTTLS;
		/* 530: authentication required, 538: only over TLS */
		sl->auth_failed = rc == CURLE_LOGIN_DENIED ||
			sl->last_code == 530 || sl->last_code == 535 ||
			sl->last_code == 538 ||
			(sl->last_cmd == C_AUTH && sl->last_code >= 500);
	} else {
		/* no refusal seen: a connection or TLS problem */
		const char *why = sl->errbuf[0] ? sl->errbuf :
			curl_easy_strerror(rc);
		sl->r = T_DEFERRED;
		/* not a passing trouble: retrying changes nothing */
		sl->misconfigured = rc == CURLE_PEER_FAILED_VERIFICATION ||
			rc == CURLE_SSL_CACERT_BADFILE ||
			rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_USE_SSL_FAILED;
		if (rc == CURLE_USE_SSL_FAILED)
			text = xasprintf("%s: the server does not offer "
				"STARTTLS (%s); use its submission port (587) "
				"with STARTTLS, or smtps:// (465), or set "
				"transport.starttls: false on a network you "
				"trust", sl->s->url, why);
		else if (sl->misconfigured)
			text = xasprintf("%s: the server's certificate is not "
				"trusted (%s); set transport.ca_file to the "
				"certificate of the CA that signed it, and use "
				"in transport.url a host name the certificate "
				"names", sl->s->url, why);
		else if (sl->cmd == C_BODY)
			text = xasprintf("connection lost while sending the "
				"message: %s", why);
		else if (sl->cmd != C_GREETING && sl->cmd != C_NONE &&
		    sl->cmd != C_OTHER && rc != CURLE_LOGIN_DENIED &&
		    !unreachable_code(rc))
			text = xasprintf("connection lost waiting for the reply "
				"to %s: %s", cmd_name(sl->cmd), why);
		else
			text = xstrdup(why);
		sl->auth_failed = rc == CURLE_LOGIN_DENIED;
		sl->unreachable = unreachable_code(rc) ||
			sl->stage == S_CONNECT || sl->stage == S_GREETING ||
			(sl->cmd == C_GREETING && rc != CURLE_LOGIN_DENIED);
	}
	sl->reply = sanitize(text);
	free(text);
}

static void after_perform(struct slot *sl, CURLcode rc, bool forbid);

static bool
is_bearer(const struct smtp *s)
{
	return s->sec && secret_kind(s->sec) == SECRET_BEARER;
}

/* The handle gets the current bearer token when it has an older one. A
 * token of the built-in client about to expire is replaced first (the
 * source keeps it until a minute before its expiry), so that a send of
 * hours never offers one the server must refuse. */
static void
bearer_sync(struct smtp *s, struct slot *sl)
{
	char *tok = NULL, *err = NULL;

	if (!is_bearer(s))
		return;
	pthread_mutex_lock(&s->tok_mu);
	if (secret_get(s->sec, false, &tok, &err) == 0) {
		if (strcmp(tok, s->cred) != 0) {
			explicit_bzero(s->cred, strlen(s->cred));
			free(s->cred);
			s->cred = tok;
			tok = NULL;
			s->gen++;
			s->gen_worked = false;
		}
	} else {
		/* the token in hand is tried; a refusal says the rest */
		free(err);
	}
	if (tok) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	if (sl->gen != s->gen) {
		/* libcurl keeps its own copy */
		curl_easy_setopt(sl->easy, CURLOPT_XOAUTH2_BEARER, s->cred);
		sl->gen = s->gen;
	}
	pthread_mutex_unlock(&s->tok_mu);
}

static void
bearer_worked(struct smtp *s, struct slot *sl)
{
	if (!is_bearer(s))
		return;
	pthread_mutex_lock(&s->tok_mu);
	if (sl->gen == s->gen)
		s->gen_worked = true;
	pthread_mutex_unlock(&s->tok_mu);
}

/*
 * The slot's bearer token was refused: is there a newer one to try? Yes
 * when another connection fetched one meanwhile; else a new one is
 * fetched (token_command run again, the endpoint asked) when the current
 * one is the first or has worked before (it expired). A token that never
 * worked is not replaced again: the source gives a wrong one, and the
 * send ends (auth failed). A fetch that fails becomes the slot's reply.
 */
static bool
bearer_refresh(struct smtp *s, struct slot *sl)
{
	char *tok = NULL, *err = NULL;
	bool again = false;

	if (!is_bearer(s))
		return false;
	pthread_mutex_lock(&s->tok_mu);
	if (sl->gen != s->gen) {
		again = true;
	} else if (s->gen == 0 || s->gen_worked) {
		if (secret_get(s->sec, true, &tok, &err) == 0) {
			explicit_bzero(s->cred, strlen(s->cred));
			free(s->cred);
			s->cred = tok;
			s->gen++;
			s->gen_worked = false;
			again = true;
		} else {
			free(sl->reply);
			sl->reply = sanitize(err ? err : "no new token");
			free(err);
		}
	}
	pthread_mutex_unlock(&s->tok_mu);
	return again;
}

/* Send one message on the slot's connection (the worker's thread). */
static void
deliver(struct slot *sl, struct tmsg *m)
{
	struct smtp *s = sl->s;
	struct curl_slist *rcpt;
	char *from, *to;
	bool forbid;
	CURLcode rc;

	sl->code = 0;
	sl->unreachable = sl->auth_failed = false;
	sl->connects = 0;
	if (!transport_addr_ok(m->rcpt)) {
		sl->r = T_FAILED;
		sl->reply = xstrdup("invalid recipient address");
		return;
	}
	if (!transport_addr_ok(m->mail_from)) {
		sl->r = T_DEFERRED;
		sl->reply = xstrdup("invalid sender address");
		return;
	}
	if (m->prepare) {
		char *err = NULL;

		if (m->prepare(m, &err) != 0) {
			sl->r = T_DEFERRED;
			sl->reply = sanitize(err ? err : "cannot prepare the "
				"message");
			free(err);
			return;
		}
	}
	from = xasprintf("<%s>", m->mail_from);
	to = xasprintf("<%s>", m->rcpt);
	rcpt = curl_slist_append(NULL, to);
	if (!rcpt)
		die(EX_OSERR, "out of memory");
	/* the last message of a batch closes its connection (with QUIT) */
	forbid = sl->on_conn + 1 >= s->max_per_conn;
	curl_easy_setopt(sl->easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(sl->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len);
	curl_easy_setopt(sl->easy, CURLOPT_FORBID_REUSE, forbid ? 1L : 0L);
	for (int attempt = 0;; attempt++) {
		bearer_sync(s, sl);
		sl->off = 0;
		sl->ul = 0;
		sl->cmd = C_NONE;
		sl->in_multi = false;
		sl->last_code = 0;
		sl->last_cmd = C_NONE;
		buf_reset(&sl->last);
		sl->timeout_hit = false;
		sl->timed_out = S_START;
		sl->errbuf[0] = '\0';
		set_stage(sl, S_START);
		rc = curl_easy_perform(sl->easy);
		classify(sl, rc);
		after_perform(sl, rc, forbid);
		if (rc == CURLE_OK)
			bearer_worked(s, sl);
		/* a bearer token refused: the server says it expired, or
		 * it was never good; one new token, one more try */
		if (attempt == 0 && sl->auth_failed && bearer_refresh(s, sl)) {
			free(sl->reply);
			sl->reply = NULL;
			continue;
		}
		break;
	}
	curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	free(from);
	free(to);
}

/* After one perform: the connection count, and a failed connection cut. */
static void
after_perform(struct slot *sl, CURLcode rc, bool forbid)
{
	long nc = 0;

	curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &nc);
	sl->connects += nc;
	sl->on_conn = nc > 0 ? 1 : sl->on_conn + 1;
	if (rc != CURLE_OK) {
		/* libcurl 7.88 keeps a connection whose reply to the end of
		 * data timed out: the late reply would then be read as the
		 * answer to the next message's MAIL FROM. After any failure
		 * the connection is cut; libcurl finds it dead and opens a
		 * new one for the next message. */
		curl_socket_t fd = CURL_SOCKET_BAD;
		if (curl_easy_getinfo(sl->easy, CURLINFO_ACTIVESOCKET, &fd) ==
		    CURLE_OK && fd != CURL_SOCKET_BAD)
			shutdown(fd, SHUT_RDWR);
	}
	if (forbid || rc != CURLE_OK)
		sl->on_conn = 0;
}

static void *
worker(void *arg)
{
	struct slot *sl = arg;
	struct smtp *s = sl->s;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (sl->state != SLOT_BUSY && !s->quit)
			pthread_cond_wait(&sl->cv, &s->mu);
		if (sl->state != SLOT_BUSY)
			break;
		struct tmsg *m = sl->m;
		pthread_mutex_unlock(&s->mu);
		deliver(sl, m);
		pthread_mutex_lock(&s->mu);
		sl->state = SLOT_DONE;
		pthread_cond_signal(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	/* closes the connection with QUIT, in parallel with the others */
	curl_easy_cleanup(sl->easy);
	sl->easy = NULL;
	return NULL;
}

/* Token bucket: refill by elapsed time (caller's thread). */
static void
refill(struct smtp *s)
{
	double now;

	if (s->rate <= 0)
		return;
	now = mono();
	s->tokens += (now - s->refill_at) * s->rate;
	s->refill_at = now;
	if (s->tokens > s->burst)
		s->tokens = s->burst;
}

static bool
token_ok(struct smtp *s)
{
	refill(s);
	return s->rate <= 0 || s->tokens >= 1.0;
}

/* Start queued messages on idle slots while the rate allows; s->mu held. */
static void
dispatch(struct smtp *s)
{
	for (long i = 0; i < s->concurrency && s->qlen > 0; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != SLOT_IDLE)
			continue;
		if (!token_ok(s))
			return;
		if (s->rate > 0)
			s->tokens -= 1.0;
		sl->m = s->queue[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
		sl->state = SLOT_BUSY;
		s->busy++;
		pthread_cond_signal(&sl->cv);
	}
}

static bool
smtp_ready(struct transport *t)
{
	struct smtp *s = (struct smtp *)t;
	bool ok;

	pthread_mutex_lock(&s->mu);
	ok = s->qlen == 0 && s->busy < (size_t)s->concurrency && token_ok(s);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void
smtp_submit(struct transport *t, struct tmsg *m)
{
	struct smtp *s = (struct smtp *)t;

	pthread_mutex_lock(&s->mu);
	if (s->qlen == s->qcap) {
		size_t ncap = s->qcap ? s->qcap * 2 : 16;
		struct tmsg **q = xreallocarray(NULL, ncap, sizeof(*q));
		for (size_t i = 0; i < s->qlen; i++)
			q[i] = s->queue[(s->qhead + i) % s->qcap];
		free(s->queue);
		s->queue = q;
		s->qcap = ncap;
		s->qhead = 0;
	}
	s->queue[(s->qhead + s->qlen) % s->qcap] = m;
	s->qlen++;
	dispatch(s);
	pthread_mutex_unlock(&s->mu);
}

static void
deadline_ts(double at, struct timespec *ts)
{
	/* pthread_cond_timedwait uses CLOCK_REALTIME unless told otherwise;
	 * done_cv is set to CLOCK_MONOTONIC in open */
	ts->tv_sec = (time_t)at;
	ts->tv_nsec = (long)((at - (double)ts->tv_sec) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static size_t
smtp_run(struct transport *t, int timeout_ms)
{
	struct smtp *s = (struct smtp *)t;
	double deadline = mono() + (timeout_ms > 0 ? timeout_ms : 0) / 1000.0;
	size_t nfin = 0, left;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		double now, wake;
		bool waiting_token;

		dispatch(s);
		for (long i = 0; i < s->concurrency; i++)
			if (s->slots[i].state == SLOT_DONE)
				nfin++;
		if (nfin > 0 || (s->busy == 0 && s->qlen == 0))
			break;
		now = mono();
		if (now >= deadline)
			break;
		wake = deadline;
		/* a free slot only waits for the rate: wake when a token is
		 * due, to start a queued message or let the caller submit */
		waiting_token = s->rate > 0 &&
			s->busy < (size_t)s->concurrency && !token_ok(s);
		if (waiting_token) {
			double due = now + (1.0 - s->tokens) / s->rate;
			if (due < wake)
				wake = due;
		}
		deadline_ts(wake, &ts);
		pthread_cond_timedwait(&s->done_cv, &s->mu, &ts);
		if (waiting_token && s->qlen == 0 && token_ok(s))
			break;
	}
	nfin = 0;
	for (long i = 0; i < s->concurrency; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != SLOT_DONE)
			continue;
		s->finished[nfin++] = sl;
		if (sl->unreachable)
			s->base.unreachable = true;
		if (sl->auth_failed)
			s->base.auth_failed = true;
		if (sl->misconfigured && !s->base.config_error)
			s->base.config_error = xstrdup(sl->reply);
		s->base.connections += (size_t)sl->connects;
	}
	pthread_mutex_unlock(&s->mu);

	/* callbacks outside the lock: they may submit */
	for (size_t i = 0; i < nfin; i++) {
		struct slot *sl = s->finished[i];
		struct tmsg *m = sl->m;
		char *reply = sl->reply;
		enum tresult r = sl->r;
		int code = sl->code;

		pthread_mutex_lock(&s->mu);
		sl->reply = NULL;
		sl->m = NULL;
		sl->state = SLOT_IDLE;
		s->busy--;
		dispatch(s);
		pthread_mutex_unlock(&s->mu);
		s->base.done(s->base.ctx, m, r, code, reply);
		free(reply);
	}
	pthread_mutex_lock(&s->mu);
	dispatch(s);
	left = s->busy + s->qlen;
	pthread_mutex_unlock(&s->mu);
	return left;
}

static void
smtp_free(struct smtp *s)
{
	if (s->slots) {
		pthread_mutex_lock(&s->mu);
		s->quit = true;
		for (long i = 0; i < s->concurrency; i++)
			pthread_cond_signal(&s->slots[i].cv);
		pthread_mutex_unlock(&s->mu);
		for (long i = 0; i < s->concurrency; i++) {
			struct slot *sl = &s->slots[i];
			if (sl->started)
				pthread_join(sl->th, NULL);
			if (sl->easy)
				curl_easy_cleanup(sl->easy);
			pthread_cond_destroy(&sl->cv);
			buf_free(&sl->cur);
			buf_free(&sl->last);
			free(sl->reply);
		}
		free(s->slots);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->done_cv);
	if (s->cred) {
		explicit_bzero(s->cred, strlen(s->cred));
		free(s->cred);
	}
	secret_free(s->sec);
	pthread_mutex_destroy(&s->tok_mu);
	if (s->curl_init)
		curl_global_cleanup();
	free(s->queue);
	free(s->finished);
	free(s->url);
	free(s->base.describe);
	free(s->base.warning);
	free(s->base.config_error);
	free(s);
}

static void
smtp_close(struct transport *t)
{
	struct smtp *s = (struct smtp *)t;

	while (smtp_run(t, 1000) > 0)
		;
	smtp_free(s);
}

static const struct transport_ops smtp_ops = {
	smtp_ready, smtp_submit, smtp_run, smtp_close,
};


/* Split transport.url with libcurl's parser; refuses credentials in it. */
static int
parse_url(struct smtp *s, const char *url, bool *tls, char **hostport,
	char **err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *user = NULL, *pass = NULL;
	int rc = 0;

	if (!u)
		die(EX_OSERR, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		rc = fail(err, EX_CONFIG, "transport.url: not a valid "
			"smtp://HOST:PORT or smtps://HOST:PORT URL");
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	if (user || pass) {
		rc = fail(err, EX_CONFIG, "transport.url: no user name or "
			"password in the URL (use transport.username and "
			"transport.password_file or transport.password_env)");
		goto out;
	}
	*tls = strcmp(scheme, "smtps") == 0;
	*hostport = xasprintf("%s:%s", host, port);
	/* a path is the EHLO name (libcurl's convention) */
	s->url = xasprintf("%s://%s:%s%s", scheme, host, port,
		path && strcmp(path, "/") != 0 ? path : "");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return rc;
}

static long
max3(long a, long b, long c)
{
	long m = a > b ? a : b;
	return m > c ? m : c;
}

static void
setup_easy(struct smtp *s, struct slot *sl, const struct config *c,
	bool implicit_tls)
{
	CURL *e = curl_easy_init();
	long resp = max3(s->t_greeting, s->t_command, s->t_data);

	if (!e)
		die(EX_OSERR, "out of memory");
	sl->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, sl);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, sl);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, sl);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, sl);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, s->t_connect +
		s->t_greeting + 4 * s->t_command);
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, resp);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, resp);
	curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*c->transport.ca_file) {
		/* the private CA replaces the system's */
		curl_easy_setopt(e, CURLOPT_CAINFO, c->transport.ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (!implicit_tls)
		curl_easy_setopt(e, CURLOPT_USE_SSL, c->transport.starttls ?
			(long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (s->sec) {
		const char *mech = secret_mechanism(s->sec);

		curl_easy_setopt(e, CURLOPT_USERNAME, c->transport.username);
		if (is_bearer(s))
			curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, s->cred);
		else
			curl_easy_setopt(e, CURLOPT_PASSWORD, s->cred);
		if (mech) {
			char opt[32];

			snprintf(opt, sizeof opt, "AUTH=%s", mech);
			curl_easy_setopt(e, CURLOPT_LOGIN_OPTIONS, opt);
		}
		curl_easy_setopt(e, CURLOPT_SASL_IR, 1L);
	}
}

int
transport_smtp_open(const struct config *c, struct transport **out,
	char **err)
{
	struct smtp *s = xcalloc(1, sizeof(*s));
	const char *user = c->transport.username;
	char *hostport = NULL;
	bool implicit_tls = false, cleartext;
	pthread_condattr_t ca;
	int rc;

	s->base.ops = &smtp_ops;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tok_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		smtp_free(s);
		return fail(err, EX_SOFTWARE, "libcurl cannot start");
	}
	s->curl_init = true;
	if ((rc = parse_url(s, c->transport.url, &implicit_tls, &hostport,
	    err)) != 0)
		goto bad;
	cleartext = !implicit_tls && !c->transport.starttls;
	if (cleartext && *user) {
		rc = fail(err, EX_CONFIG, "transport: refusing AUTH over an "
			"unencrypted connection (transport.starttls is false "
			"and transport.username is set)");
		goto bad;
	}
	if ((rc = secret_open(c, "transport", &s->sec, err)) != 0)
		goto bad;
	/* the password read, the command run, the first token fetched
	 * now: a failure stops the send before any message */
	if (s->sec && (rc = secret_get(s->sec, false, &s->cred, err)) != 0)
		goto bad;
	s->base.describe = xasprintf("%s (%s%s%s%s%s)", s->url,
		implicit_tls ? "TLS" : cleartext ? "no TLS" : "STARTTLS",
		*user ? ", AUTH as " : "", user,
		is_bearer(s) ? " with " : "", is_bearer(s) ?
		secret_mechanism(s->sec) : "");
	if (cleartext)
		s->base.warning = xasprintf("transport.starttls is false: "
			"messages and addresses travel unencrypted to %s",
			hostport);
	s->concurrency = c->transport.concurrency > 0 ?
		c->transport.concurrency : 1;
	s->max_per_conn = c->transport.max_per_connection > 0 ?
		c->transport.max_per_connection : 1;
	s->t_connect = c->transport.timeout_connect;
	s->t_greeting = c->transport.timeout_greeting;
	s->t_command = c->transport.timeout_command;
	s->t_data = c->transport.timeout_data;
	s->rate = c->transport.rate;
	/* a tenth of a second of burst, at least one message */
	s->burst = s->rate / 10 > 1 ? s->rate / 10 : 1;
	s->tokens = 1;
	s->refill_at = mono();
	s->finished = xcalloc((size_t)s->concurrency, sizeof(*s->finished));
	s->slots = xcalloc((size_t)s->concurrency, sizeof(*s->slots));
	for (long i = 0; i < s->concurrency; i++) {
		struct slot *sl = &s->slots[i];
		sl->s = s;
		pthread_cond_init(&sl->cv, NULL);
		setup_easy(s, sl, c, implicit_tls);
	}
	for (long i = 0; i < s->concurrency; i++) {
		struct slot *sl = &s->slots[i];
		int e = pthread_create(&sl->th, NULL, worker, sl);
		if (e != 0) {
			rc = fail(err, EX_OSERR, "cannot start a thread: %s",
				strerror(e));
			goto bad;
		}
		sl->started = true;
	}
	free(hostport);
	*out = &s->base;
	return 0;
bad:
	free(hostport);
	smtp_free(s);
	return rc;
}
