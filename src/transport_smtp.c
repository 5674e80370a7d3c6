/* transport_smtp.c - SMTP: one thread and one reused connection per
 * transport.concurrency; libcurl sets each session up, the mail
 * transactions on it are this file's own
 *
 * Why threads and not one multi handle: libcurl (7.88, Debian 12) waits for
 * the reply to the end of data in a blocking loop inside its "done" phase,
 * even under the multi interface; a connection that sets a session up
 * (TLS, a slow greeting) blocks the same way. So each connection gets its
 * own thread and its own easy handle, which also makes "messages on this
 * connection" exact. The caller's thread keeps the queue, the rate limit
 * and the callbacks.
 *
 * Who does what: libcurl, with CURLOPT_CONNECT_ONLY, connects, reads the
 * greeting, says EHLO, STARTTLS and EHLO again, verifies the certificate
 * and signs in (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER). Then MAIL FROM, RCPT
 * TO, DATA, the message and QUIT are written here over curl_easy_send and
 * curl_easy_recv (so TLS stays libcurl's): the three commands in one write
 * when the server offers PIPELINING (RFC 2920), the message dot-stuffed
 * with its end of data in one more. Why: libcurl's own SMTP upload sent
 * each command apart and copied every byte through its dot-stuffing loop;
 * profiled on a send of 40 KB messages, it made 10 polls, 5 sends and 4
 * receives a message and was the hottest user-space spot (the bench's
 * figures are in README's benchmark section).
 *
 * Timeouts (RFC 5321 4.5.3.2):
 *   - While libcurl sets the session up: CURLOPT_CONNECTTIMEOUT bounds its
 *     whole connect phase (TCP, TLS, greeting, EHLO, STARTTLS, AUTH) and is
 *     only a backstop (their sum); CURLOPT_SERVER_RESPONSE_TIMEOUT bounds
 *     each reply. The step limits themselves (connect, greeting, each
 *     command) are enforced from the progress callback (about once a
 *     second), knowing the step from the commands and replies seen in the
 *     debug callback.
 *   - In the transaction: each wait for a reply, each stretch of the
 *     message's upload without progress (RFC's "data block") and the wait
 *     for the reply to the end of data has its own limit, polled here.
 *
 * Replies are read from the debug callback during the set-up
 * (CURLINFO_HEADER_IN); commands sent (CURLINFO_HEADER_OUT) are only
 * looked at for their verb, so AUTH data never leaves it.
 */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
	bool cred_set;    /* the handle has a bearer token at all */

	/* the worker's own while SLOT_BUSY */
	CURL *easy;
	bool open;        /* the session is set up: the transaction is ours */
	curl_socket_t fd; /* its socket, for poll */
	bool pipelining;  /* the server's EHLO offered PIPELINING (RFC 2920) */
	bool size_ext;    /* ... and SIZE (RFC 1870) */
	double used_at;   /* when the connection last carried a message */
	struct buf io;    /* commands or the message as they go out */
	char in[4096];    /* received, not yet read as reply lines */
	size_t inlen;
	long on_conn;     /* messages sent on the current connection */
	enum cmd cmd;
	enum stage stage;
	double stage_at;
	bool timeout_hit;
	enum stage timed_out; /* the stage that ran out of time */
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
	/* what a new handle needs (after a cut): copied, the configuration
	 * may be gone */
	char *ca_file, *username;
	bool starttls;
	bool implicit_tls;
	bool tls;         /* implicit or STARTTLS: bytes go through TLS */
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
	if (sl->cmd == C_EHLO && code == 250) {
		/* the extensions the mail transaction may use; the reply to
		 * the last EHLO (after STARTTLS) is the one that counts */
		if (!sl->in_multi)
			sl->pipelining = sl->size_ext = false;
		else if (tn == 10 && strncasecmp(text, "PIPELINING", 10) == 0)
			sl->pipelining = true;
		else if (tn >= 4 && strncasecmp(text, "SIZE", 4) == 0 &&
		    (tn == 4 || text[4] == ' '))
			sl->size_ext = true;
	}
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
	(void)ulnow;
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

/* Turn libcurl's result and the replies seen while it set the session up
 * into the slot's outcome (the transaction's own: stopped()). */
static void
classify(struct slot *sl, CURLcode rc)
{
	char *text = NULL;

	/* nothing of the message was said yet: it can only wait */
	sl->r = T_DEFERRED;
	sl->code = 0;
	sl->unreachable = sl->auth_failed = sl->misconfigured = false;
	if (sl->timeout_hit) {
		text = timeout_text(sl);
		/* stuck before the session was set up (TLS included) */
		sl->unreachable = sl->timed_out == S_START ||
			sl->timed_out == S_CONNECT ||
			sl->timed_out == S_GREETING || sl->cmd == C_GREETING ||
			sl->cmd == C_EHLO || sl->cmd == C_STARTTLS;
	} else if (sl->last_code >= 400) {
		sl->code = sl->last_code;
		text = xstrdup(buf_str(&sl->last));
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

static bool
is_bearer(const struct smtp *s)
{
	return s->sec && secret_kind(s->sec) == SECRET_BEARER;
}

/* The handle gets s->cred when it has an older token or none; tok_mu held. */
static void
bearer_apply(struct smtp *s, struct slot *sl)
{
	if (!sl->cred_set || sl->gen != s->gen) {
		/* libcurl keeps its own copy */
		curl_easy_setopt(sl->easy, CURLOPT_XOAUTH2_BEARER, s->cred);
		sl->gen = s->gen;
		sl->cred_set = true;
	}
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
	bearer_apply(s, sl);
	pthread_mutex_unlock(&s->tok_mu);
}

/* The handle gets the current token, without asking for a new one. */
static void
bearer_use(struct smtp *s, struct slot *sl)
{
	if (!is_bearer(s))
		return;
	pthread_mutex_lock(&s->tok_mu);
	bearer_apply(s, sl);
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

/* ---- the session: set up by libcurl ---------------------------------------
 *
 * libcurl (CONNECT_ONLY) connects, reads the greeting, says EHLO, STARTTLS
 * and EHLO again, and signs in: everything it does well and the tests pin
 * down. The mail transactions on the connection are this file's own (over
 * curl_easy_send and curl_easy_recv, so TLS stays libcurl's): MAIL FROM,
 * RCPT TO and DATA go in one write when the server offers PIPELINING (RFC
 * 2920), and the message with its end of data in one more. libcurl's own
 * SMTP upload said each command apart and copied every byte of the message
 * through its dot-stuffing loop: a profile of a 40 KB send showed 10 polls,
 * 5 sends and 4 receives a message, and its copy loop as the hottest spot.
 */

static void setup_easy(struct smtp *s, struct slot *sl);

static bool send_all(struct slot *sl, const char *p, size_t len);
static int read_reply(struct slot *sl, enum cmd c);

/* Close the connection politely: QUIT, its 221 awaited (a short while). */
static void
say_quit(struct slot *sl)
{
	if (!sl->open)
		return;
	sl->cmd = C_QUIT;
	set_stage(sl, S_QUIT);
	if (send_all(sl, "QUIT\r\n", 6))
		(void)read_reply(sl, C_QUIT);
	sl->open = false;
}

static void
drop_handle(struct slot *sl)
{
	curl_easy_cleanup(sl->easy);
	setup_easy(sl->s, sl);
	sl->open = false;
	sl->inlen = 0;
	sl->on_conn = 0;
}

/* Cut the connection after a failure: no QUIT (the server's state is
 * unknown; a late reply must never be read as the next message's), and a
 * new handle for the next one. */
static void
cut(struct slot *sl)
{
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (curl_easy_getinfo(sl->easy, CURLINFO_ACTIVESOCKET, &fd) ==
	    CURLE_OK && fd != CURL_SOCKET_BAD)
		shutdown(fd, SHUT_RDWR);
	drop_handle(sl);
}

/* Set the session up. A refused bearer token is replaced once. True when
 * the connection is ready; else the slot holds the message's outcome. */
static bool
connect_slot(struct slot *sl)
{
	struct smtp *s = sl->s;
	CURLcode rc;

	for (int attempt = 0;; attempt++) {
		long nc = 0;

		bearer_use(s, sl);
		sl->cmd = C_NONE;
		sl->in_multi = false;
		sl->last_code = 0;
		sl->last_cmd = C_NONE;
		buf_reset(&sl->last);
		sl->timeout_hit = false;
		sl->timed_out = S_START;
		sl->errbuf[0] = '\0';
		sl->pipelining = sl->size_ext = false;
		set_stage(sl, S_START);
		rc = curl_easy_perform(sl->easy);
		curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &nc);
		sl->connects += nc;
		sl->fd = CURL_SOCKET_BAD;
		if (rc == CURLE_OK)
			curl_easy_getinfo(sl->easy, CURLINFO_ACTIVESOCKET,
				&sl->fd);
		if (rc == CURLE_OK && sl->fd != CURL_SOCKET_BAD) {
			/* a refused try before this one says nothing now */
			sl->auth_failed = sl->unreachable = false;
			sl->misconfigured = false;
			sl->open = true;
			sl->inlen = 0;
			sl->on_conn = 0;
			bearer_worked(s, sl);
			return true;
		}
		classify(sl, rc == CURLE_OK ? CURLE_RECV_ERROR : rc);
		cut(sl);
		/* a bearer token refused: the server says it expired, or
		 * it was never good; one new token, one more try */
		if (attempt == 0 && sl->auth_failed && bearer_refresh(s, sl)) {
			free(sl->reply);
			sl->reply = NULL;
			continue;
		}
		return false;
	}
}

/* Is an idle connection still there? A server closes one it finds idle
 * too long (often after a 421); libcurl checked this before reusing one,
 * and so does this, after a second of quiet. */
static bool
still_open(struct slot *sl)
{
	struct pollfd p = { .fd = sl->fd, .events = POLLIN };
	size_t n = 0;

	if (mono() - sl->used_at < 1.0 || poll(&p, 1, 0) <= 0)
		return true;
	/* readable: a TLS record with nothing for us, or the end */
	return curl_easy_recv(sl->easy, sl->in, sizeof sl->in, &n) ==
		CURLE_AGAIN;
}

/* Wait until the socket is ready for ev, within the stage's limit from
 * sl->stage_at. 1 ready, 0 the limit passed (noted in the slot), -1 an
 * error (errbuf says it). */
static int
wait_fd(struct slot *sl, short ev)
{
	double lim = (double)stage_limit(sl->s, sl->stage);

	for (;;) {
		struct pollfd p = { .fd = sl->fd, .events = ev };
		double left = sl->stage_at + lim - mono();
		int k;

		if (left <= 0) {
			sl->timeout_hit = true;
			sl->timed_out = sl->stage;
			return 0;
		}
		k = poll(&p, 1, left > 3600 ? 3600000 : (int)(left * 1000) + 1);
		if (k > 0)
			return 1; /* an error or hang-up too: the call says */
		if (k < 0 && errno != EINTR) {
			snprintf(sl->errbuf, sizeof sl->errbuf, "poll: %s",
				strerror(errno));
			return -1;
		}
	}
}

/* Write all of p. False when the connection failed or stalled. */
static bool
send_all(struct slot *sl, const char *p, size_t len)
{
	while (len > 0) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(sl->easy, p, len, &n);

		if (rc == CURLE_AGAIN || (rc == CURLE_OK && n == 0)) {
			if (wait_fd(sl, POLLOUT) <= 0)
				return false;
			continue;
		}
		if (rc != CURLE_OK) {
			snprintf(sl->errbuf, sizeof sl->errbuf, "%s",
				curl_easy_strerror(rc));
			return false;
		}
		p += n;
		len -= n;
		if (sl->stage == S_DATA)
			sl->stage_at = mono(); /* progress: a new data block */
	}
	return true;
}

/* Read the next whole reply, the answer to c: its code (the text in
 * sl->last), or 0 when none came (timeout or connection lost). */
static int
read_reply(struct slot *sl, enum cmd c)
{
	bool plain = !sl->s->tls;

	sl->cmd = c;
	set_stage(sl, c == C_BODY ? S_EOD : c == C_QUIT ? S_QUIT : S_COMMAND);
	for (;;) {
		char *nl;
		size_t n = 0;
		CURLcode rc;

		while ((nl = memchr(sl->in, '\n', sl->inlen)) != NULL) {
			const char *p = sl->in;
			size_t k = (size_t)(nl - sl->in) + 1;
			bool final = k >= 4 && p[0] >= '1' && p[0] <= '5' &&
				p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
				p[2] <= '9' && p[3] != '-';

			on_reply_line(sl, p, k);
			sl->inlen -= k;
			memmove(sl->in, sl->in + k, sl->inlen);
			if (final)
				return sl->last_code;
		}
		if (sl->inlen == sizeof sl->in) {
			snprintf(sl->errbuf, sizeof sl->errbuf, "a reply line "
				"longer than %zu bytes", sizeof sl->in);
			return 0;
		}
		/* in clear, wait first: a read now would mostly find
		 * nothing; over TLS, a record may already be buffered */
		if (plain && wait_fd(sl, POLLIN) <= 0)
			return 0;
		rc = curl_easy_recv(sl->easy, sl->in + sl->inlen,
			sizeof sl->in - sl->inlen, &n);
		if (rc == CURLE_AGAIN) {
			if (!plain && wait_fd(sl, POLLIN) <= 0)
				return 0;
			continue;
		}
		if (rc != CURLE_OK || n == 0) {
			snprintf(sl->errbuf, sizeof sl->errbuf, "%s",
				rc != CURLE_OK ? curl_easy_strerror(rc) :
				"the server closed the connection");
			return 0;
		}
		sl->inlen += n;
	}
}

/* The message as it goes after DATA: lines beginning with a dot get
 * another (RFC 5321 4.5.2), a last line ended, then the end of data. */
static void
stuff(struct buf *b, const char *p, size_t len)
{
	const char *start = p, *end = p + len, *dot = p;

	buf_reset(b);
	/* memchr from dot to dot, keeping those that begin a line: a
	 * message has far fewer dots than line ends (a base64 picture has
	 * none): 138 calls instead of 747 for the bench's 40 KB, 101 instead
	 * of 1,757 for the editors' real issue. glibc's memmem of "\n." was
	 * the hottest spot of a send (12% of its CPU) */
	while ((dot = memchr(dot, '.', (size_t)(end - dot))) != NULL) {
		if (dot == start || dot[-1] == '\n') {
			buf_put(b, p, (size_t)(dot - p));
			buf_putc(b, '.');
			p = dot;
		}
		dot++;
	}
	buf_put(b, p, (size_t)(end - p));
	if (b->len > 0 && (b->len < 2 || b->data[b->len - 2] != '\r' ||
	    b->data[b->len - 1] != '\n'))
		buf_put(b, "\r\n", 2);
	buf_put(b, ".\r\n", 3);
}

/* The outcome of a transaction that stopped: a refusal, an unexpected
 * reply, a timeout or a lost connection. */
static void
stopped(struct slot *sl, int code)
{
	char *text;

	sl->code = 0;
	sl->r = T_DEFERRED;
	if (code >= 400) {
		sl->code = code;
		text = xstrdup(buf_str(&sl->last));
		/* a refusal of the recipient or the message: final */
		if (code >= 500 && (sl->last_cmd == C_RCPT ||
		    sl->last_cmd == C_DATA || sl->last_cmd == C_BODY))
			sl->r = T_FAILED;
		/* 530: authentication required, 538: only over TLS */
		sl->auth_failed = code == 530 || code == 535 || code == 538;
	} else if (code > 0) {
		text = xasprintf("unexpected reply to %s: %s",
			cmd_name(sl->last_cmd), buf_str(&sl->last));
	} else if (sl->timeout_hit) {
		text = timeout_text(sl);
	} else if (sl->cmd == C_BODY) {
		text = xasprintf("connection lost while sending the message: "
			"%s", sl->errbuf);
	} else {
		text = xasprintf("connection lost waiting for the reply to "
			"%s: %s", cmd_name(sl->cmd), sl->errbuf);
	}
	sl->reply = sanitize(text);
	free(text);
}

/* One mail transaction on the open connection. True when the server took
 * the message (250 to the end of data); else the outcome is in the slot. */
static bool
transact(struct slot *sl, struct tmsg *m)
{
	static const enum cmd step[3] = { C_MAIL, C_RCPT, C_DATA };
	struct buf *io = &sl->io;
	size_t at[4];
	int code;

	sl->timeout_hit = false;
	sl->errbuf[0] = '\0';
	sl->in_multi = false;
	sl->last_code = 0;
	sl->last_cmd = C_NONE;
	buf_reset(&sl->last);
	buf_reset(io);
	at[0] = 0;
	buf_printf(io, "MAIL FROM:<%s>", m->mail_from);
	if (sl->size_ext)
		buf_printf(io, " SIZE=%zu", m->len);
	buf_put(io, "\r\n", 2);
	at[1] = io->len;
	buf_printf(io, "RCPT TO:<%s>\r\n", m->rcpt);
	at[2] = io->len;
	buf_put(io, "DATA\r\n", 6);
	at[3] = io->len;
	for (int i = 0; i < 3; i++) {
		/* pipelined: the three commands in one write, then the
		 * three replies; else each command waits for its reply */
		if (i == 0 || !sl->pipelining) {
			size_t to = sl->pipelining ? at[3] : at[i + 1];
			sl->cmd = step[i];
			set_stage(sl, S_COMMAND);
			if (!send_all(sl, io->data + at[i], to - at[i])) {
				stopped(sl, 0);
				return false;
			}
		}
		code = read_reply(sl, step[i]);
		if (code == 0 || (step[i] == C_DATA ? code != 354 :
		    code / 100 != 2)) {
			stopped(sl, code);
			return false;
		}
	}
	stuff(io, m->data, m->len);
	sl->cmd = C_BODY;
	set_stage(sl, S_DATA);
	if (!send_all(sl, io->data, io->len)) {
		stopped(sl, 0);
		return false;
	}
	code = read_reply(sl, C_BODY);
	if (code != 250) {
		stopped(sl, code);
		return false;
	}
	sl->r = T_SENT;
	sl->code = code;
	sl->reply = sanitize(buf_str(&sl->last));
	return true;
}

/* Send one message on the slot's connection (the worker's thread). */
static void
deliver(struct slot *sl, struct tmsg *m)
{
	struct smtp *s = sl->s;

	sl->code = 0;
	sl->unreachable = sl->auth_failed = sl->misconfigured = false;
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
	/* a token of the built-in client about to expire is replaced now,
	 * before a new connection would need it */
	bearer_sync(s, sl);
	/* bytes left over from the last transaction would be read as this
	 * one's replies: a connection out of step is not reused */
	if (sl->open && (sl->inlen > 0 || !still_open(sl)))
		cut(sl);
	if (!sl->open && !connect_slot(sl))
		return;
	if (!transact(sl, m)) {
		cut(sl);
		return;
	}
	sl->used_at = mono();
	/* the last message of a batch closes its connection (with QUIT) */
	if (++sl->on_conn >= s->max_per_conn) {
		say_quit(sl);
		drop_handle(sl);
	}
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
	say_quit(sl);
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
			buf_free(&sl->io);
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
	free(s->ca_file);
	free(s->username);
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
setup_easy(struct smtp *s, struct slot *sl)
{
	CURL *e = curl_easy_init();
	long resp = max3(s->t_greeting, s->t_command, s->t_data);

	if (!e)
		die(EX_OSERR, "out of memory");
	sl->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* the session only: the transactions are ours */
	curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
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
	if (*s->ca_file) {
		/* the private CA replaces the system's */
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (!s->implicit_tls)
		curl_easy_setopt(e, CURLOPT_USE_SSL, s->starttls ?
			(long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (s->sec) {
		const char *mech = secret_mechanism(s->sec);

		curl_easy_setopt(e, CURLOPT_USERNAME, s->username);
		/* a bearer token is set before each connection (bearer_use):
		 * it may change under another thread */
		sl->cred_set = false;
		if (!is_bearer(s))
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
	s->ca_file = xstrdup(c->transport.ca_file);
	s->username = xstrdup(user);
	s->starttls = c->transport.starttls;
	s->implicit_tls = implicit_tls;
	s->tls = !cleartext;
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
		setup_easy(s, sl);
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
