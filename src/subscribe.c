/* subscribe.c - the double opt-in: the form, the confirmation message and
 * its sending */
#include "subscribe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "labels.h"
#include "mime.h"
#include "replies.h"
#include "template.h"
#include "token.h"
#include "transport.h"
#include "util.h"

void
subscribe_limits(const struct config *c, struct store_optin_limits *lim)
{
	char *sentence = subscribe_consent(c);

	lim->confirm_seconds = c->subscribe.confirm_days * 86400LL;
	lim->resend_seconds = c->subscribe.resend_hours * 3600LL;
	lim->hourly_cap = c->subscribe.hourly_cap;
	lim->consent_text = xasprintf("%s: %s", c->subscribe.consent_version,
		sentence);
	free(sentence);
}

char *
subscribe_consent(const struct config *c)
{
	if (*c->subscribe.consent_text)
		return xstrdup(c->subscribe.consent_text);
	return label_fill(c->newsletter.language, "SUB_CONSENT", "title",
		c->newsletter.title, (char *)NULL);
}

static int
expand(const struct config *c, const char *name, struct tpl_dict *d,
	char **out, char **err)
{
	char *path;
	int rc;

	if ((rc = config_templates(c, err)) != 0) {
		tpl_dict_free(d);
		return rc;
	}
	path = path_join(c->templates, name);
	rc = tpl_expand(path, d, out, err);
	free(path);
	tpl_dict_free(d);
	return rc;
}

int
subscribe_form(const struct config *c, const unsigned char *secret,
	size_t secret_len, long long now, const char *action,
	const char *email, const char *name, const char *error, char **html,
	char **err)
{
	struct tpl_dict *d = tpl_dict_new();
	char stamp[TOKEN_STAMP_MAX], *consent = subscribe_consent(c);

	token_stamp_make(secret, secret_len, now, stamp);
	labels_set(d, c->newsletter.language);
	tpl_set(d, "LANG", labels_lang(c->newsletter.language));
	tpl_set(d, "ACTION", action);
	tpl_set(d, "EMAIL", email ? email : "");
	tpl_set(d, "NAME", name ? name : "");
	tpl_set(d, "STAMP", stamp);
	tpl_set(d, "CONSENT", consent);
	if (error)
		tpl_set(tpl_add(d, "ERROR"), "TEXT", error);
	free(consent);
	return expand(c, "subscribe-form.html.tpl", d, html, err);
}

char *
subscribe_link(const struct config *c, const char *token)
{
	return xasprintf("%s%sc=%s", c->subscribe.url,
		strchr(c->subscribe.url, '?') ? "&" : "?", token);
}

int
subscribe_message(const struct config *c, const unsigned char *secret,
	size_t secret_len, long long id, const char *email, long long now,
	struct buf *out, char **err)
{
	const char *lang = c->newsletter.language;
	char token[TOKEN_CONFIRM_LEN + 1], days[16], unique[32];
	char *from_addr = addr_of(c->newsletter.from), *link, *subject,
	    *intro, *ignore, *text, *html = NULL, *msgid;
	const char *at = strrchr(from_addr, '@');
	struct mime_notice n;
	struct tpl_dict *d;
	struct tm tm;
	time_t t = (time_t)now;
	int rc;

	token_confirm_make(secret, secret_len, id, email,
		store_today(now) + c->subscribe.confirm_days, token);
	gmtime_r(&t, &tm);
	snprintf(unique, sizeof unique, "%04d%02d%02dt%02d%02d%02d",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec);
	msgid = xasprintf("%s%s.%s@%s", REPLIES_SUBSCRIBE_MSGID_PREFIX, unique,
		token, at ? at + 1 : "localhost");
	snprintf(days, sizeof days, "%ld", c->subscribe.confirm_days);
	link = subscribe_link(c, token);
	subject = label_fill(lang, "SUB_MAIL_SUBJECT", "title",
		c->newsletter.title, (char *)NULL);
	intro = label_fill(lang, "SUB_MAIL_INTRO", "title",
		c->newsletter.title, "address", email, (char *)NULL);
	ignore = label_fill(lang, "SUB_MAIL_IGNORE", "days", days,
		(char *)NULL);
	/* the marker quoted back in a reply is proof too */
	text = label_fill(lang, "SUB_MAIL_TEXT", "intro", intro, "link", link,
		"reply", label(lang, "SUB_MAIL_REPLY"), "ignore", ignore,
		(char *)NULL);
	{
		char *t2 = xasprintf("%s\n%s%s\n", text,
			REPLIES_SUBSCRIBE_MARKER, token);

		free(text);
		text = t2;
	}
	d = tpl_dict_new();
	labels_set(d, lang);
	tpl_set(d, "LANG", labels_lang(lang));
	tpl_set(d, "LIST_TITLE", c->newsletter.title);
	tpl_set(d, "SUBJECT", subject);
	tpl_set(d, "INTRO", intro);
	tpl_set(d, "LINK", link);
	tpl_set(d, "BUTTON", label(lang, "SUB_MAIL_BUTTON"));
	tpl_set(d, "REPLY", label(lang, "SUB_MAIL_REPLY"));
	tpl_set(d, "IGNORE", ignore);
	tpl_set(d, "REFERENCE", token);
	if ((rc = expand(c, "subscribe-mail.html.tpl", d, &html, err)) == 0) {
		memset(&n, 0, sizeof n);
		n.from = c->newsletter.from;
		n.to = email;
		n.reply_to = *c->newsletter.reply_to ? c->newsletter.reply_to :
			NULL;
		n.subject = subject;
		n.message_id = msgid;
		/* RFC 3834: made by a program; vacation responders stay
		 * quiet */
		n.auto_submitted = "auto-generated";
		n.date = now;
		n.text = text;
		n.html = html;
		rc = mime_notice(&n, out, err);
	}
	explicit_bzero(token, sizeof token);
	free(from_addr);
	free(link);
	free(subject);
	free(intro);
	free(ignore);
	free(text);
	free(html);
	free(msgid);
	return rc;
}

/* One message through the transport, waited for. */
struct one {
	bool done;
	enum tresult r;
	char *reply;
};

static void
on_done(void *ctx, struct tmsg *m, enum tresult r, int code,
	const char *reply)
{
	struct one *o = ctx;

	(void)m;
	(void)code;
	o->done = true;
	o->r = r;
	free(o->reply);
	o->reply = xstrdup(reply ? reply : "");
}

int
subscribe_send(const struct config *c, struct store *st,
	const unsigned char *secret, size_t secret_len, const char *email,
	const struct store_optin *o, long long now, char **err)
{
	struct buf msg = BUF_INIT;
	struct transport *tp = NULL;
	struct one one = { false, T_DEFERRED, NULL };
	struct tmsg tm;
	char *sender = NULL, *e2 = NULL;
	int rc;

	if ((rc = subscribe_message(c, secret, secret_len, o->id, email, now,
	    &msg, err)) != 0)
		goto unsend;
	if ((rc = transport_open(c, on_done, &one, &tp, err)) != 0)
		goto unsend;
	/* bounces of it go where the list's bounces go; they name no
	 * subscriber token and change nobody */
	sender = *c->unsubscribe.bounce ? addr_of(c->unsubscribe.bounce) :
		addr_of(c->newsletter.from);
	memset(&tm, 0, sizeof tm);
	tm.mail_from = sender;
	tm.rcpt = email;
	tm.data = msg.data;
	tm.len = msg.len;
	while (!transport_ready(tp))
		transport_run(tp, 1000);
	transport_submit(tp, &tm);
	while (!one.done)
		transport_run(tp, 1000);
	if (one.r != T_SENT) {
		char *s = sanitize(one.reply ? one.reply : "");

		rc = fail(err, one.r == T_DEFERRED ? EX_TEMPFAIL :
			EX_UNAVAILABLE, "the confirmation message was %s: %s",
			one.r == T_DEFERRED ? "deferred" : "refused", s);
		free(s);
	}
	transport_close(tp);
	free(sender);
	free(one.reply);
	buf_free(&msg);
	if (rc == 0)
		return 0;
unsend:
	buf_free(&msg);
	if (store_optin_unsend(st, o->id, o->prev_sent, &e2) != 0) {
		char *e1 = *err;

		*err = xasprintf("%s; and it stays counted as sent: %s",
			e1 ? e1 : "not sent", e2);
		free(e1);
		free(e2);
	}
	return rc;
}
