/* transport.h - maildir and SMTP behind one interface.
 *
 * SMTP is one thread per connection (transport.concurrency of them), each
 * with its own reused connection: libcurl sets the session up (TLS, AUTH)
 * and the mail transactions on it are transport_smtp.c's own, pipelined
 * when the server allows (that file says why). The caller's thread keeps
 * the queue, the rate limit and the callbacks.
 *
 * The ordering exactly-once delivery (send.c and its journal) depends on:
 * done is called on the caller's thread only, from transport_run (or, for
 * the maildir transport, from transport_submit), never from a connection's
 * thread; and transport_ready, asked by that same thread, stays false for
 * a connection until done fired for its previous message. So the caller
 * records each outcome before the connection can take another message,
 * and no outcome is ever reported twice or lost in between. */
#ifndef INFOLETTRE_TRANSPORT_H
#define INFOLETTRE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What became of one message. */
enum tresult {
	T_SENT,     /* the server said 250 to the end of data (or the file is
	             * in the Maildir's new/) */
	T_DEFERRED, /* 4xx, a timeout, a dropped connection: try again later */
	T_FAILED,   /* 5xx: do not try again */
};

/* One message handed to the transport. The transport copies nothing:
 * envelope strings and data must live until the message's done callback. */
struct tmsg {
	const char *mail_from; /* envelope sender (bounces+TOKEN@…) */
	const char *rcpt;      /* envelope recipient */
	const char *data;      /* the whole message, CRLF line ends */
	size_t len;
	void *user;            /* handed back in the callback */
	/* Called on the thread that carries the message, just before it
	 * goes (NULL: none): the last touch, e.g. a DKIM signature, made
	 * there so that the connections do it in parallel. It may change
	 * data and len. A non-zero return makes the message T_DEFERRED
	 * with *err (freed by the transport) as its reply. */
	int (*prepare)(struct tmsg *m, char **err);
};

/* Called once per submitted message with its outcome. code is the SMTP
 * reply code (0 when there was none, e.g. a connection error); reply is
 * the server's last reply line (or an error text), cleaned of control
 * characters, never holding a secret; valid during the call only. */
typedef void (*transport_done_fn)(void *ctx, struct tmsg *m,
	enum tresult r, int code, const char *reply);

struct transport;

/*
 * Open the transport of c->transport.url: "maildir:PATH" (relative to the
 * configuration's folder; tmp/, new/, cur/ created), "smtp://host:port"
 * (STARTTLS required unless transport.starttls is false) or
 * "smtps://host:port" (implicit TLS). Certificates are always verified
 * (transport.ca_file for a private CA). Credentials from
 * transport.password_file (refused unless mode 0600: EX_NOPERM) or
 * transport.password_env; AUTH is never attempted without TLS (a username
 * with starttls off is EX_CONFIG). done is called for every message.
 * Returns 0, or EX_CONFIG / EX_NOPERM / EX_CANTCREAT with *err. Nothing
 * connects before the first message.
 *
 * Maildir: each file is the message byte for byte, preceded by the lines
 * "Return-Path: <mail_from>" and "Delivered-To: rcpt" a delivery agent
 * adds; the transport ignores concurrency and rate.
 * SMTP: a 5xx answer to RCPT, DATA or the end of data is T_FAILED; a 5xx
 * earlier in the session (greeting, EHLO, STARTTLS, AUTH, MAIL FROM) says
 * nothing about the recipient and is T_DEFERRED. Envelope addresses with
 * spaces, control characters or angle brackets are refused (T_FAILED for
 * the recipient, T_DEFERRED for the sender) before anything is sent. The
 * EHLO name is the host's name unless the URL has a path
 * (smtp://host:587/mail.example.org says EHLO mail.example.org). After a
 * failed message its connection is closed; the next one opens a new one.
 * transport.ca_file, when set, replaces the system's CA certificates.
 */
int transport_open(const struct config *c, transport_done_fn done, void *ctx,
	struct transport **out, char **err);

/* Is there room for one more message right now (fewer than concurrency in
 * flight, and the rate limit allows it)? */
bool transport_ready(struct transport *t);

/* Queue m. The maildir transport delivers it at once (done is called
 * before this returns); SMTP starts it on a free connection. */
void transport_submit(struct transport *t, struct tmsg *m);

/*
 * Make progress: wait at most timeout_ms for network events, finish what
 * can be finished, call done for each finished message. Returns the number
 * of messages still in flight.
 */
size_t transport_run(struct transport *t, int timeout_ms);

/* After the run: did any connection fail to reach the server at all
 * (connect refused or timed out, DNS, TLS handshake or certificate, no
 * STARTTLS, a 4xx/5xx greeting, EHLO or STARTTLS)? Did authentication fail
 * (AUTH refused, or 530/538: the server wants AUTH, or AUTH over TLS)? */
bool transport_unreachable(const struct transport *t);
bool transport_auth_failed(const struct transport *t);

/* A configuration problem met on the way to the server, which no retry
 * mends: its certificate is not trusted (transport.ca_file, the name in
 * transport.url), or it does not offer STARTTLS (transport.starttls).
 * The message of the first one, saying what to do, or NULL; owned by t.
 * The messages it concerns were deferred with code 0: none was handed
 * over (it happens before MAIL FROM). */
const char *transport_config_error(const struct transport *t);

/* Wait for everything in flight, then close connections (QUIT) and free. */
void transport_close(struct transport *t);

/* A human description of the transport without secrets ("smtp://host:587
 * (STARTTLS)"); owned by t. */
const char *transport_describe(const struct transport *t);

/* A warning the command must print on every run, or NULL: set when
 * transport.starttls is false on smtp:// (mail travels in clear). Owned
 * by t. */
const char *transport_warning(const struct transport *t);

/* How many connections were opened so far (0 for maildir): for logs,
 * tests and benchmarks. */
size_t transport_connections(const struct transport *t);

#endif
