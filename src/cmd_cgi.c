/* cmd_cgi.c - infolettre cgi: the unsubscribe endpoint, run by a web server
 * (CGI/1.1, RFC 3875). GET shows a confirmation page and changes nothing
 * (mail scanners fetch every link); POST unsubscribes: one-click (RFC 8058)
 * or the page's own form. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "cmd.h"
#include "config.h"
#include "owner.h"
#include "store.h"
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

/* The plain page of an error status: nothing about who or why. */
static void
error_page(const struct config *c, int status, struct page *pg)
{
	const char *lang = c->newsletter.language;
	const char *what = status == 400 ? "BAD" : status == 503 ?
	    "UNAVAILABLE" : "REFUSED";
	char heading[32], text[32];
	struct tpl_dict *d;

	snprintf(heading, sizeof(heading), "%s_HEADING", what);
	snprintf(text, sizeof(text), "%s_TEXT", what);
	d = base_dict(c, label(lang, heading));
	tpl_set(d, "TEXT", label(lang, text));
	render(c, "unsubscribe-error.html.tpl", d, status, pg);
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
	handle(c, rq, &query, rq->method == CGI_POST ? &body : NULL, pg);
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
