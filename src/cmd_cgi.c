/* cmd_cgi.c - infolettre cgi: the unsubscribe and subscribe endpoint, run
 * by a web server (CGI/1.1, RFC 3875).
 * Unsubscribe route (any path but the subscribe route's): GET shows a
 * confirmation page and changes nothing (mail scanners fetch every link);
 * POST unsubscribes: one-click (RFC 8058) or the page's own form.
 * Subscribe route (a path whose last segment is "inscription",
 * "subscribe", "infolettre-subscribe.cgi" or subscribe.url's last one):
 * GET shows the form; its POST records a request and sends the
 * confirmation message (subscribe.h), answering the same page whoever the
 * address is; GET with c=TOKEN shows one button and changes nothing; the
 * button's POST confirms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "cmd.h"
#include "config.h"
#include "owner.h"
#include "store.h"
#include "subscribe.h"
#include "template.h"
#include "token.h"
#include "labels.h"
#include "util.h"

/* A token's MAC is still computed for a token that names nobody, over
 * this address, so that a miss takes as long as a hit. */
#define NOBODY "nobody@invalid.invalid"

/* A request that stalls (a body that never comes) is ended, well after
 * the store's busy timeout. */
#define RUN_MAX_SECONDS 120

/* When even the configuration cannot be read: no template, no language. */
static const char fallback_503[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	"<title>Service indisponible / Service unavailable</title></head>\n"
	"<body><h1>Service indisponible / Service unavailable</h1>\n"
	"<p>Réessayez dans quelques minutes. / Please try again in a few "
	"minutes.</p></body></html>\n";

/* The request as the web server describes it in the environment. */
struct request {
	int method;
	const char *query, *content_type, *content_length;
	const char *script_name, *path_info, *request_uri;
};

/* What is sent back. */
struct page {
	int status;
	char *html; /* the body, or NULL for the fallback */
};

static void
log_error(const char *what, char *err)
{
	char *s = sanitize(err ? err : "unknown error");

	report("cgi: %s: %s", what, s);
	free(s);
	free(err);
}

/* Expand template name with d (freed) into pg->html; a template that
 * cannot be expanded is logged and gives the fallback page with 503. */
static void
render(const struct config *c, const char *name, struct tpl_dict *d,
	int status, struct page *pg)
{
	char *path = path_join(c->templates, name), *err = NULL;

	pg->status = status;
	if (config_templates(c, &err) != 0 ||
	    tpl_expand(path, d, &pg->html, &err) != 0) {
		log_error("template", err);
		pg->status = 503;
		pg->html = NULL;
	}
	free(path);
	tpl_dict_free(d);
}

static struct tpl_dict *
base_dict(const struct config *c, const char *heading)
{
	struct tpl_dict *d = tpl_dict_new();

	tpl_set(d, "LANG", labels_lang(c->newsletter.language));
	tpl_set(d, "LIST_TITLE", c->newsletter.title);
	tpl_set(d, "HEADING", heading);
	labels_set(d, c->newsletter.language);
	return d;
}

/* The plain page of an error status: nothing about who or why. text is
 * the label of its text, or NULL for the status's own. */
static void
error_text_page(const struct config *c, int status, const char *text,
	struct page *pg)
{
	const char *lang = c->newsletter.language;
	const char *what = status == 400 ? "BAD" : status == 503 ?
	    "UNAVAILABLE" : "REFUSED";
	char heading[32], own[32];
	struct tpl_dict *d;

	snprintf(heading, sizeof(heading), "%s_HEADING", what);
	snprintf(own, sizeof(own), "%s_TEXT", what);
	d = base_dict(c, label(lang, heading));
	tpl_set(d, "TEXT", label(lang, text ? text : own));
	render(c, "unsubscribe-error.html.tpl", d, status, pg);
}

static void
error_page(const struct config *c, int status, struct page *pg)
{
	error_text_page(c, status, NULL, pg);
}

/* Where the confirmation form posts: this script as the client asked for
 * it, the token in the query string as in the List-Unsubscribe URL. */
static char *
form_action(const struct config *c, const struct request *rq,
	const char *token)
{
	const char *q;

	if (rq->script_name && *rq->script_name)
		return xasprintf("%s%s?t=%s", rq->script_name,
			rq->path_info ? rq->path_info : "", token);
	if (rq->request_uri && *rq->request_uri) {
		q = strchr(rq->request_uri, '?');
		return xasprintf("%.*s?t=%s", q ? (int)(q - rq->request_uri) :
			(int)strlen(rq->request_uri), rq->request_uri, token);
	}
	return xasprintf("%s%st=%s", c->unsubscribe.url,
		strchr(c->unsubscribe.url, '?') ? "&" : "?", token);
}

static void
subscriber_page(const struct config *c, const struct request *rq,
	const struct subscriber *s, const char *token, bool done,
	struct page *pg)
{
	const char *lang = c->newsletter.language;
	struct tpl_dict *d;
	char *masked = cgi_mask_address(s->email), *text, *action;

	d = base_dict(c, label(lang, done ? "DONE_HEADING" :
	    "CONFIRM_HEADING"));
	text = label_fill(lang, done ? "DONE_TEXT" : "CONFIRM_TEXT", "address",
		masked, "title", c->newsletter.title, (char *)NULL);
	tpl_set(d, "NOTE", label(lang, done ? "DONE_NOTE" : "CONFIRM_NOTE"));
	if (!done) {
		action = form_action(c, rq, token);
		tpl_set(d, "ACTION", action);
		tpl_set(d, "TOKEN", token);
		tpl_set(d, "BUTTON", label(lang, "CONFIRM_BUTTON"));
		free(action);
	}
	tpl_set(d, "ADDRESS", masked);
	tpl_set(d, "TEXT", text);
	free(text);
	free(masked);
	render(c, done ? "unsubscribed.html.tpl" : "unsubscribe.html.tpl", d,
		200, pg);
}

/*
 * The subscriber token t names, doing the same work whether it names one
 * or not: one lookup by id and one MAC computed and compared in constant
 * time, also for a malformed token or an id nobody has (store_find_token
 * returns early then, and its timing would tell which ids exist).
 * Returns 0 and sets *found, with *s and canon (the token in lowercase)
 * when found; or the store's status with *err.
 */
static int
find_subscriber(struct store *st, const unsigned char *secret,
	size_t secret_len, const struct cgi_field *t, struct subscriber *s,
	bool *found, char canon[TOKEN_LEN + 1], char **err)
{
	char given[TOKEN_LEN], want[TOKEN_LEN + 1];
	long long id = -1;
	unsigned diff = 0;
	int rc;

	*found = false;
	memset(given, 0, sizeof(given));
	memcpy(given, t->value, t->value_len < TOKEN_LEN ? t->value_len :
		TOKEN_LEN);
	if (t->value_len == TOKEN_LEN && strlen(t->value) == TOKEN_LEN)
		id = token_id(t->value);
	rc = store_get(st, id > 0 ? id : 0, s, err);
	if (rc != 0 && rc != EX_NOUSER)
		return rc;
	if (rc == EX_NOUSER) {
		free(*err);
		*err = NULL;
	}
	token_make(secret, secret_len, id > 0 ? id : 1, rc == 0 ? s->email :
		NOBODY, want);
	for (int i = 0; i < TOKEN_LEN; i++) {
		unsigned c = (unsigned char)given[i];

		c |= (c >= 'A' && c <= 'Z') ? 0x20 : 0;
		diff |= c ^ (unsigned char)want[i];
	}
	if (rc == 0 && id > 0 && diff == 0) {
		*found = true;
		memcpy(canon, want, TOKEN_LEN + 1);
	} else if (rc == 0) {
		store_subscriber_free(s);
	}
	explicit_bzero(want, sizeof(want));
	return 0;
}

/* Read exactly len bytes of the body from stdin: 0, or -1 when it ends
 * early or fails. */
static int
read_body(char *body, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(STDIN_FILENO, body + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Open the list's secret and store; neither is ever created here (a new
 * secret would void every token issued): a missing one is an error. */
static int
open_store(const struct config *c, unsigned char **secret, size_t *len,
	struct store **st)
{
	struct stat sb;
	char *err = NULL, *owner = NULL;
	int rc;

	*secret = NULL;
	*st = NULL;
	if (owner_check(c->subscribers.database, c->subscribers.secret_file,
	    &owner, &err) != 0) {
		log_error("ownership", xasprintf("%s: the web server must run "
			"this program as %s, the owner of the list's data (an "
			"fcgiwrap or a lighttpd of its own running as %s: "
			"DEPLOYMENT in infolettre(1))", err, owner, owner));
		free(owner);
		free(err);
		return EX_NOPERM;
	}
	if (stat(c->subscribers.secret_file, &sb) != 0) {
		log_error("secret", xasprintf("%s: %s",
			c->subscribers.secret_file, strerror(errno)));
		return EX_CONFIG;
	}
	if (stat(c->subscribers.database, &sb) != 0) {
		log_error("database", xasprintf("%s: %s",
			c->subscribers.database, strerror(errno)));
		return EX_CONFIG;
	}
	if ((rc = token_secret(c->subscribers.secret_file, secret, len,
	    &err)) != 0) {
		log_error("secret", err);
		return rc;
	}
	if ((rc = store_open(c->subscribers.database, *secret, *len, st,
	    &err)) != 0) {
		log_error("database", err);
		explicit_bzero(*secret, *len);
		free(*secret);
		*secret = NULL;
	}
	return rc;
}

/* Act on a request whose body (for POST) is read and parsed. */
static void
handle(const struct config *c, const struct request *rq,
	const struct cgi_form *query, const struct cgi_form *body,
	struct page *pg)
{
	const struct cgi_field *t;
	struct subscriber s;
	struct store *st;
	unsigned char *secret;
	size_t secret_len;
	char canon[TOKEN_LEN + 1], *err = NULL;
	bool found, changed = false;
	int action, rc;

	action = cgi_action(rq->method, query, body, &t);
	if (!t) {
		error_page(c, 400, pg);
		return;
	}
	if (open_store(c, &secret, &secret_len, &st) != 0) {
		error_page(c, 503, pg);
		return;
	}
	rc = find_subscriber(st, secret, secret_len, t, &s, &found, canon,
		&err);
	explicit_bzero(secret, secret_len);
	free(secret);
	if (rc != 0) {
		log_error("database", err);
		store_close(st);
		error_page(c, 503, pg);
		return;
	}
	if (!found) {
		store_close(st);
		error_page(c, 400, pg);
		return;
	}
	if (action != CGI_SHOW && s.status != SUB_UNSUBSCRIBED) {
		struct store_evidence ev = { action == CGI_ONE_CLICK ?
			"one-click" : "web", NULL, canon, NULL, NULL, NULL };

		if ((rc = store_set_status(st, s.id, SUB_UNSUBSCRIBED, &ev,
		    &changed, &err)) != 0) {
			log_error("database", err);
			store_subscriber_free(&s);
			store_close(st);
			error_page(c, 503, pg);
			return;
		}
	}
	store_close(st);
	/* a GET for someone who left already shows that they did */
	subscriber_page(c, rq, &s, canon, action != CGI_SHOW ||
		s.status == SUB_UNSUBSCRIBED, pg);
	store_subscriber_free(&s);
}

/* ---- the subscribe route ---- */

/* The last segment of a path (after the last '/'), n its length. */
static const char *
last_segment(const char *path, size_t *n)
{
	const char *q, *slash;
	size_t len;

	if (!path)
		return NULL;
	q = strchr(path, '?');
	len = q ? (size_t)(q - path) : strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	slash = len ? memrchr(path, '/', len) : NULL;
	*n = len - (slash ? (size_t)(slash + 1 - path) : 0);
	return slash ? slash + 1 : path;
}

static bool
segment_is(const char *seg, size_t n, const char *name)
{
	return seg && strlen(name) == n && memcmp(seg, name, n) == 0;
}

/* Does the request ask for the subscribe route? */
static bool
subscribe_route(const struct config *c, const struct request *rq)
{
	const char *path = rq->path_info && *rq->path_info ? rq->path_info :
	    rq->script_name && *rq->script_name ? rq->script_name :
	    rq->request_uri;
	const char *seg, *own = NULL;
	size_t n, on = 0;

	if (!(seg = last_segment(path, &n)))
		return false;
	if (*c->subscribe.url) {
		const char *p = strstr(c->subscribe.url, "://");

		p = p ? strchr(p + 3, '/') : NULL;
		own = p ? last_segment(p, &on) : NULL;
	}
	return segment_is(seg, n, "inscription") ||
	    segment_is(seg, n, "subscribe") ||
	    segment_is(seg, n, "infolettre-subscribe.cgi") ||
	    (own && on > 0 && on == n && memcmp(seg, own, n) == 0);
}

/* This script's path as the client asked for it, without the query. */
static char *
self_path(const struct config *c, const struct request *rq)
{
	const char *q;

	if (rq->script_name && *rq->script_name)
		return xasprintf("%s%s", rq->script_name,
			rq->path_info ? rq->path_info : "");
	if (rq->request_uri && *rq->request_uri) {
		q = strchr(rq->request_uri, '?');
		return xasprintf("%.*s", q ? (int)(q - rq->request_uri) :
			(int)strlen(rq->request_uri), rq->request_uri);
	}
	return xstrdup(c->subscribe.url);
}

/* A page of the subscribe route: heading, then what is not NULL. */
static void
sub_page(const struct config *c, int status, const char *heading,
	const char *text, const char *form_html, const char *action,
	const char *token, const char *note, struct page *pg)
{
	const char *lang = c->newsletter.language;
	struct tpl_dict *d = base_dict(c, heading), *s;

	if (text)
		tpl_set(tpl_add(d, "TEXT_SECTION"), "TEXT", text);
	if (form_html)
		tpl_set(tpl_add(d, "FORM"), "HTML", form_html);
	if (token) {
		s = tpl_add(d, "CONFIRM");
		tpl_set(s, "ACTION", action);
		tpl_set(s, "TOKEN", token);
		tpl_set(s, "BUTTON", label(lang, "SUB_CONFIRM_BUTTON"));
	}
	if (note)
		tpl_set(tpl_add(d, "NOTE_SECTION"), "NOTE", note);
	render(c, "subscribe.html.tpl", d, status, pg);
}

/* The form page, with error said above the fields (or NULL). */
static void
form_page(const struct config *c, const struct request *rq,
	const unsigned char *secret, size_t secret_len, const char *email,
	const char *name, const char *error, int status, struct page *pg)
{
	const char *lang = c->newsletter.language;
	char *action = self_path(c, rq), *html = NULL, *err = NULL, *intro;

	if (subscribe_form(c, secret, secret_len, (long long)time(NULL),
	    action, email, name, error, &html, &err) != 0) {
		log_error("template", err);
		free(action);
		error_page(c, 503, pg);
		return;
	}
	intro = label_fill(lang, "SUB_INTRO", "title", c->newsletter.title,
		(char *)NULL);
	sub_page(c, status, label(lang, "SUB_HEADING"), intro, html, NULL,
		NULL, NULL, pg);
	free(intro);
	free(html);
	free(action);
}

/* The answer to every well-formed request: the same page whoever the
 * address is. */
static void
sent_page(const struct config *c, struct page *pg)
{
	const char *lang = c->newsletter.language;

	sub_page(c, 200, label(lang, "SUB_SENT_HEADING"),
		label(lang, "SUB_SENT_TEXT"), NULL, NULL, NULL,
		label(lang, "SUB_SENT_NOTE"), pg);
}

/* A field's value when it holds no NUL byte, else NULL. */
static const char *
field(const struct cgi_form *f, const char *name)
{
	const struct cgi_field *v = f ? cgi_form_get(f, name) : NULL;

	return v && strlen(v->value) == v->value_len ? v->value : NULL;
}

/* A form posted: checks against robots, then the request. */
static void
subscribe_post(const struct config *c, const struct request *rq,
	const struct cgi_form *body, struct store *st,
	const unsigned char *secret, size_t secret_len, struct page *pg)
{
	const char *email = field(body, "email"), *name = field(body, "name");
	const char *hp = field(body, "website"), *ts = field(body, "ts");
	long long now = (long long)time(NULL), when;
	struct store_optin_limits lim;
	struct store_optin o;
	char *key = NULL, *err = NULL;
	int rc;

	/* robots: the honeypot filled, no or a forged time, or too fast:
	 * the same answer, nothing done */
	when = token_stamp_check(secret, secret_len, ts);
	if ((hp && *hp) || when < 0 || when > now + 60 ||
	    now - when < c->subscribe.min_seconds) {
		report("cgi: subscribe: a post dropped (%s)", hp && *hp ?
			"honeypot field filled" : when < 0 ? "no valid form "
			"time" : "posted too fast");
		sent_page(c, pg);
		return;
	}
	if (!email || store_address_key(email, &key, &err) != 0 ||
	    (name && strlen(name) > 512)) {
		free(err);
		free(key);
		form_page(c, rq, secret, secret_len, email, name,
			label(c->newsletter.language, "SUB_INVALID"), 400, pg);
		return;
	}
	free(key);
	subscribe_limits(c, &lim);
	rc = store_optin_request(st, email, name, &lim, now, &o, &err);
	free((char *)lim.consent_text);
	if (rc == EX_DATAERR) {
		free(err);
		form_page(c, rq, secret, secret_len, email, name,
			label(c->newsletter.language, "SUB_INVALID"), 400, pg);
		return;
	}
	if (rc != 0) {
		log_error("database", err);
		error_page(c, 503, pg);
		return;
	}
	if (o.send && (rc = subscribe_send(c, st, secret, secret_len, email,
	    &o, now, &err)) != 0) {
		log_error("subscribe", err);
		error_page(c, 503, pg);
		return;
	}
	if (!o.send && o.held == STORE_OPTIN_CAP)
		report("cgi: subscribe: subscribe.hourly_cap (%ld) reached: "
			"no confirmation message sent", c->subscribe.hourly_cap);
	sent_page(c, pg);
}

/* A confirmation link followed (GET: the button, nothing changes) or its
 * button pressed (POST with confirm). */
static void
subscribe_confirm(const struct config *c, const struct request *rq,
	const char *token, bool press, struct store *st, struct page *pg)
{
	const char *lang = c->newsletter.language;
	struct store_evidence ev = { "web", NULL, NULL, NULL, NULL,
		"confirmed on the subscribe page" };
	long long now = (long long)time(NULL), requested;
	struct subscriber s;
	char *err = NULL, *masked, *text, *action;
	bool open = false;
	int rc, outcome;

	rc = store_find_confirm_token(st, token, store_today(now), &s, &err);
	if (rc == EX_NOUSER) {
		free(err);
		error_text_page(c, 400, "SUB_BAD_TEXT", pg);
		return;
	}
	if (rc == 0)
		rc = store_optin_open(st, s.id, &requested, &open, &err);
	if (rc != 0) {
		log_error("database", err);
		if (s.email)
			store_subscriber_free(&s);
		error_page(c, 503, pg);
		return;
	}
	if (!open && s.status != SUB_ACTIVE) {
		/* erased and made again, or the request closed */
		store_subscriber_free(&s);
		error_text_page(c, 400, "SUB_BAD_TEXT", pg);
		return;
	}
	masked = cgi_mask_address(s.email);
	if (press && open) {
		if ((rc = store_optin_confirm(st, s.id, "web", &ev, now,
		    &outcome, &err)) != 0) {
			log_error("database", err);
			free(masked);
			store_subscriber_free(&s);
			error_page(c, rc == EX_NOUSER ? 400 : 503, pg);
			return;
		}
		open = false;
	}
	if (!open) {
		text = label_fill(lang, "SUB_DONE_TEXT", "address", masked,
			"title", c->newsletter.title, (char *)NULL);
		sub_page(c, 200, label(lang, "SUB_DONE_HEADING"), text, NULL,
			NULL, NULL, label(lang, "SUB_DONE_NOTE"), pg);
	} else {
		char *path = self_path(c, rq);

		action = xasprintf("%s?c=%s", path, token);
		free(path);
		text = label_fill(lang, "SUB_CONFIRM_TEXT", "address", masked,
			"title", c->newsletter.title, (char *)NULL);
		sub_page(c, 200, label(lang, "SUB_CONFIRM_HEADING"), text,
			NULL, action, token, label(lang, "SUB_CONFIRM_NOTE"),
			pg);
		free(action);
	}
	free(text);
	free(masked);
	store_subscriber_free(&s);
}

static void
handle_subscribe(const struct config *c, const struct request *rq,
	const struct cgi_form *query, const struct cgi_form *body,
	struct page *pg)
{
	const char *tok = field(body, "c"), *qtok = field(query, "c");
	char canon[TOKEN_CONFIRM_LEN + 1];
	struct store *st;
	unsigned char *secret;
	size_t secret_len;

	if (!*c->subscribe.url) {
		/* no form configured: nothing here */
		error_page(c, 404, pg);
		return;
	}
	if (tok && qtok && strcmp(tok, qtok) != 0) {
		error_text_page(c, 400, "SUB_BAD_TEXT", pg);
		return;
	}
	if (!tok)
		tok = qtok;
	if (open_store(c, &secret, &secret_len, &st) != 0) {
		error_page(c, 503, pg);
		return;
	}
	if (tok) {
		size_t n = strlen(tok);

		/* lowercase: the token as it was made */
		for (size_t i = 0; i < n && i < TOKEN_CONFIRM_LEN; i++)
			canon[i] = (char)(tok[i] >= 'A' && tok[i] <= 'Z' ?
				tok[i] - 'A' + 'a' : tok[i]);
		canon[n < TOKEN_CONFIRM_LEN ? n : TOKEN_CONFIRM_LEN] = '\0';
		subscribe_confirm(c, rq, n == TOKEN_CONFIRM_LEN ? canon : "",
			rq->method == CGI_POST && field(body, "confirm"), st,
			pg);
	} else if (rq->method == CGI_POST) {
		subscribe_post(c, rq, body, st, secret, secret_len, pg);
	} else {
		form_page(c, rq, secret, secret_len, NULL, NULL, NULL, 200,
			pg);
	}
	explicit_bzero(secret, secret_len);
	free(secret);
	store_close(st);
}

/* The answer to a request, from its checks to the page. */
static void
serve(const struct config *c, const struct request *rq, struct page *pg)
{
	struct cgi_form query = CGI_FORM_INIT, body = CGI_FORM_INIT;
	char *data = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if (rq->method == CGI_OTHER) {
		error_page(c, 405, pg);
		return;
	}
	if (rq->method == CGI_POST) {
		/* the length is checked before anything is read: a body over
		 * the cap stays unread */
		if ((rc = cgi_content_length(rq->content_length, CGI_BODY_MAX,
		    &len)) != 0) {
			error_page(c, rc, pg);
			return;
		}
		data = xmalloc(len + 1);
		if (read_body(data, len) != 0) {
			free(data);
			error_page(c, 400, pg);
			return;
		}
		data[len] = '\0';
		rc = cgi_parse_body(rq->content_type, data, len, &body, &err);
		free(data);
		if (rc != 0) {
			free(err);
			cgi_form_free(&body);
			error_page(c, rc == EX_PROTOCOL ? 415 : 400, pg);
			return;
		}
	}
	if (rq->query)
		cgi_parse_urlencoded(rq->query, strlen(rq->query), &query);
	if (subscribe_route(c, rq))
		handle_subscribe(c, rq, &query, rq->method == CGI_POST ? &body :
			NULL, pg);
	else
		handle(c, rq, &query, rq->method == CGI_POST ? &body : NULL,
			pg);
	cgi_form_free(&query);
	cgi_form_free(&body);
}

static int
respond(const struct page *pg, bool head)
{
	struct buf out = BUF_INIT;
	const char *html = pg->html ? pg->html : fallback_503;
	size_t n = strlen(html);
	int rc = 0;

	cgi_headers(&out, pg->status, n);
	if (!head)
		buf_put(&out, html, n);
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		report("cgi: cannot write the answer: %s", strerror(errno));
		rc = EX_IOERR;
	}
	buf_free(&out);
	return rc;
}

int
cmd_cgi(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct request rq;
	struct page pg = { 503, NULL };
	struct config *c = NULL;
	char *err = NULL;
	int rc;

	/* Arguments are the command line's only: a server may pass the words
	 * of a query string without '=' as arguments (RFC 3875 4.4). */
	if (!getenv("REQUEST_METHOD")) {
		if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
			return rc;
		report("cgi: REQUEST_METHOD is not set: this command is run by "
			"a web server (CGI/1.1), with INFOLETTRE_CONFIG in its "
			"environment");
		return EX_USAGE;
	}
	alarm(RUN_MAX_SECONDS);
	rq.method = cgi_method(getenv("REQUEST_METHOD"));
	rq.query = getenv("QUERY_STRING");
	rq.content_type = getenv("CONTENT_TYPE");
	rq.content_length = getenv("CONTENT_LENGTH");
	rq.script_name = getenv("SCRIPT_NAME");
	rq.path_info = getenv("PATH_INFO");
	rq.request_uri = getenv("REQUEST_URI");

	if ((rc = config_load(config_locate(ctx->config_path), &c, &err)) != 0)
		log_error("configuration", err);
	else
		serve(c, &rq, &pg);
	rc = respond(&pg, rq.method == CGI_HEAD);
	free(pg.html);
	config_free(c);
	return rc;
}
