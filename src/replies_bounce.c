/* replies_bounce.c - reading a bounce: the recipients and status codes
 * of a delivery status notification (RFC 3464), and of the bounces that
 * say it in words (Exim, qmail, Exchange, the webmails) */
#include "replies.h"
#include "replies_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "util.h"

/* ---- delivery status notifications ---- */

/* An RFC 3463 status code at s: "5.1.1" (class 2, 4 or 5; subject and
 * detail 1 to 3 digits) not inside a longer number. Returns its length. */
static size_t
status_at(const char *s, size_t n, size_t i)
{
	size_t j = i, d;

	if (i > 0 && (msg_is_digit((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return 0;
	if (j >= n || (s[j] != '2' && s[j] != '4' && s[j] != '5'))
		return 0;
	j++;
	for (int part = 0; part < 2; part++) {
		if (j >= n || s[j] != '.')
			return 0;
		j++;
		for (d = 0; j < n && msg_is_digit((unsigned char)s[j]) && d < 4;
		    j++, d++)
			;
		if (d == 0 || d > 3)
			return 0;
	}
	if (j < n && (msg_is_digit((unsigned char)s[j]) ||
	    (s[j] == '.' && j + 1 < n && msg_is_digit((unsigned char)s[j + 1]))))
		return 0;
	return j - i;
}

/* The first status code in s[0..n) into out (size 16); false if none.
 * With failures_only, a success code (2.x.x: a Microsoft report's "2.0.12"
 * is no failure) is passed over. */
static bool
find_code(const char *s, size_t n, char out[16], bool failures_only)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = status_at(s, n, i);

		if (l && failures_only && s[i] == '2')
			continue;
		if (l) {
			memcpy(out, s + i, l);
			out[l] = '\0';
			return true;
		}
	}
	return false;
}

static bool
find_status(const char *s, size_t n, char out[16])
{
	return find_code(s, n, out, false);
}

static struct reply_recipient *
rcpt_add(struct reply *r, char *addr)
{
	struct reply_recipient *rc;

	r->rcpts = xreallocarray(r->rcpts, r->nrcpts + 1, sizeof *r->rcpts);
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof *rc);
	rc->address = addr;
	return rc;
}

/* The address of "rfc822; addr" (or of a bare address), or NULL. */
static char *
dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi) {
		if (!msg_starts_ci(v, (size_t)(semi - v), "rfc822") &&
		    !msg_starts_ci(v, (size_t)(semi - v), "utf-8"))
			return NULL;
		v = semi + 1;
	}
	return msg_addr_norm(v, strlen(v));
}

struct dsn_block {
	char *final, *original, *action, *status, *diag;
};

static void
dsn_flush(struct dsn_block *b, struct reply *r, size_t *added)
{
	char *addr = NULL;

	/* the address we sent to, before any forwarding rewrote it */
	if (b->original)
		addr = dsn_addr(b->original);
	if (!addr && b->final)
		addr = dsn_addr(b->final);
	if ((b->final || b->original) && r->nrcpts < MAX_RCPTS) {
		struct reply_recipient *rc = rcpt_add(r, addr);
		char code = 0;

		addr = NULL;
		if (b->status && find_status(b->status, strlen(b->status),
		    rc->status))
			code = rc->status[0];
		else if (b->status && (b->status[0] == '4' || b->status[0] == '5') &&
		    msg_is_digit((unsigned char)b->status[1]) &&
		    msg_is_digit((unsigned char)b->status[2]) &&
		    !msg_is_digit((unsigned char)b->status[3]))
			code = b->status[0]; /* NTMail: "Status: 553 Exceeded…" */
		if (b->action) {
			size_t an = strcspn(b->action, " \t(;");

			rc->action = msg_clean(b->action, an, 20);
			for (char *p = rc->action; *p; p++)
				*p = (char)msg_lower((unsigned char)*p);
		}
		if (b->diag)
			rc->diagnostic = msg_clean(b->diag, strlen(b->diag), 200);
		if (code == '5' || code == '4') {
			rc->failed = true;
			rc->permanent = code == '5';
		} else if (!code && rc->action) {
			/* "expired" (SendGrid), "failure" (NTMail) and
			 * "error" (OpenSMTPD) are no RFC 3464 actions, but
			 * say that the server gave up */
			bool gave_up = strcmp(rc->action, "failed") == 0 ||
				strcmp(rc->action, "expired") == 0 ||
				strcmp(rc->action, "failure") == 0 ||
				strcmp(rc->action, "error") == 0;

			rc->failed = gave_up || strcmp(rc->action, "delayed") == 0;
			rc->permanent = gave_up;
		}
		(*added)++;
	}
	free(addr);
	free(b->final);
	free(b->original);
	free(b->action);
	free(b->status);
	free(b->diag);
	memset(b, 0, sizeof *b);
}

size_t
replies_parse_dsn(const char *s, size_t len, struct reply *r)
{
	struct lines it = { s, s + len };
	struct dsn_block b = { NULL, NULL, NULL, NULL, NULL };
	char **cur = NULL;
	const char *l;
	size_t n, added = 0;

	while (next_line(&it, &l, &n)) {
		size_t tn = n;
		const char *colon;
		char **slot = NULL;

		msg_trim(l, &tn);
		if (tn == 0) {
			dsn_flush(&b, r, &added);
			cur = NULL;
			continue;
		}
		if ((l[0] == ' ' || l[0] == '\t') && cur) {
			if (strlen(*cur) < 1000) {
				char *v = xasprintf("%s %.*s", *cur, (int)tn,
					msg_trim(l, &n));
				free(*cur);
				*cur = v;
			}
			continue;
		}
		cur = NULL;
		if (!(colon = memchr(l, ':', n)))
			continue;
		if (msg_eq_ci(l, (size_t)(colon - l), "Final-Recipient"))
			slot = &b.final;
		else if (msg_eq_ci(l, (size_t)(colon - l), "Original-Recipient"))
			slot = &b.original;
		else if (msg_eq_ci(l, (size_t)(colon - l), "Action"))
			slot = &b.action;
		else if (msg_eq_ci(l, (size_t)(colon - l), "Status"))
			slot = &b.status;
		else if (msg_eq_ci(l, (size_t)(colon - l), "Diagnostic-Code"))
			slot = &b.diag;
		if (!slot)
			continue;
		if (*slot) /* a second Final-Recipient: a block without blank line */
			if (slot == &b.final) {
				dsn_flush(&b, r, &added);
			}
		if (!*slot) {
			size_t vn = n - (size_t)(colon + 1 - l);
			const char *v = msg_trim(colon + 1, &vn);

			*slot = xstrndup(v, vn);
			cur = slot;
		}
	}
	dsn_flush(&b, r, &added);
	return added;
}

/* ---- bounces by their text ---- */

static const char *const bounce_subjects[] = {
	"undelivered mail", "returned mail", "mail delivery failed",
	"delivery status notification", "undeliverable", "undelivered",
	"failure notice", "delivery failure", "delivery failed",
	"non remis", "non distribuable", "remise impossible",
	"unzustellbar", "could not send message", "delayed mail",
	"delivery delayed", "has been delayed", "returned to sender",
	"could not be delivered", "nondeliverable", "mail system error",
	"mail failure", "mail error", "failed mail", "mail failed",
	"non-delivery", "returning to sender", "user unknown",
	"delivery warning", "automatically rejected",
	NULL,
};

static const char *const bounce_phrases[] = {
	"could not be delivered", "couldn't be delivered", "could not deliver",
	"wasn't delivered", "was not delivered", "wasn't able to deliver",
	"unable to deliver", "delivery has failed", "delivery to the following",
	"following address(es) failed", "permanent fatal error",
	"permanent error", "this is the mail system at host",
	"qmail-send program", "has not yet been delivered",
	"delivery incomplete", "remote server returned",
	"message not delivered", "n'a pas pu etre remis",
	"n'a pas pu etre distribue", "la remise a echoue", "non remis",
	"mail delivery failed", "undeliverable", "user unknown",
	"no such user", "mailbox unavailable", "address not found",
	"unable to deliver your message", "delivery status notification",
	"is over quota", "mailbox is full", "mailbox full",
	"did not reach the following recipient", "could not be reached",
	"did not reach some or all", "was undeliverable", "delivery has failed",
	"cannot be delivered", "has been returned", "has been postponed",
	"was automatically rejected",
	NULL,
};

static const char *const transient_phrases[] = {
	"not yet been delivered", "this is not an error", "will retry",
	"will continue", "still being retried", "temporary failure",
	"temporarily", "temporary error", "delivery incomplete", "delayed",
	"try again later", "retrying", "postponed",
	NULL,
};

bool
any_of(const char *s, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (msg_find_ci(s, n, list[i]))
			return true;
	return false;
}

/* The flavour of a bounce text, for DETAIL. */
static const char *
bounce_flavour(const char *f, size_t n, const struct reply *r)
{
	if (msg_find_ci(f, n, "this is the mail system at host"))
		return "Postfix";
	if (msg_find_ci(f, n, "created automatically by mail delivery software"))
		return "Exim";
	if (msg_find_ci(f, n, "qmail-send program"))
		return "qmail";
	if (msg_find_ci(f, n, "delivery has failed to these recipients") ||
	    msg_find_ci(f, n, "remote server returned") ||
	    msg_find_ci(f, n, "diagnostic information for administrators"))
		return "Exchange";
	if (msg_find_ci(f, n, "sorry, we were unable to deliver your message"))
		return "Yahoo";
	/* Sendmail and Gmail both sign "Mail Delivery Subsystem" */
	if (msg_find_ci(f, n, "the following addresses had permanent fatal errors") ||
	    msg_find_ci(f, n, "transcript of session follows"))
		return "Sendmail";
	if (r->from && (str_ends(r->from, "@googlemail.com") ||
	    str_ends(r->from, "@gmail.com") || str_ends(r->from, "@google.com")))
		return "Gmail";
	return NULL;
}

/* Where the copy of the original message starts in a bounce's text. */
static size_t
bounce_explanation_len(const char *t, size_t n)
{
	static const char *const marks[] = {
		"this is a copy of the message", "below this line is a copy",
		"original message headers", "original message follows",
		"enclosed are the original headers", "----- original message",
		"-----original message", "------ original message",
		"header of the original message", "unsent message follows",
		"original message follows",
		NULL,
	};
	struct lines it = { t, t + n };
	const char *l;
	size_t ln;

	while (next_line(&it, &l, &ln)) {
		for (size_t i = 0; marks[i]; i++)
			if (msg_find_ci(l, ln, marks[i]))
				return (size_t)(l - t);
		if (msg_starts_ci(l, ln, "Received:") ||
		    msg_starts_ci(l, ln, "Return-Path:") ||
		    msg_starts_ci(l, ln, "DKIM-Signature:"))
			return (size_t)(l - t);
	}
	return n;
}

static bool
own_address(const struct cls *m, const char *addr)
{
	char base[128];

	local_base(addr, base, sizeof base);
	return (m->unsub[0] && strcmp(base, m->unsub) == 0) ||
		(m->bounce[0] && strcmp(base, m->bounce) == 0) ||
		strcmp(base, "mailer-daemon") == 0 ||
		strcmp(base, "postmaster") == 0;
}

static char smtp_code(const char *t, size_t n, const char **at);

static bool
is_local_char(unsigned char c)
{
	return msg_is_alnum(c) || (c && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

static bool
is_domain_char(unsigned char c)
{
	return msg_is_alnum(c) || c == '.' || c == '-';
}

/* Does line l (n bytes, trimmed) look like a header field of the returned
 * message quoted in the report ("To: …", "From: …")? Its addresses are
 * not the failed recipients. */
static bool
quoted_header(const char *l, size_t n)
{
	static const char *const names[] = { "to", "cc", "bcc", "from",
		"sender", "reply-to", "return-path", "subject", "date", "sent",
		"message-id", "received", "delivered-to", "envelope-to",
		"in-reply-to", "references", "mail from", "list-unsubscribe",
		"list-post", "list-help", "errors-to", "resent-from",
		"resent-to", "x-", NULL };
	size_t k = 0;

	while (k < n && (msg_is_alnum((unsigned char)l[k]) || l[k] == '-' ||
	    l[k] == ' '))
		k++;
	if (k == 0 || k >= n || l[k] != ':')
		return false;
	for (size_t i = 0; names[i]; i++) {
		size_t nl = strlen(names[i]);

		if (names[i][nl - 1] == '-' ? msg_starts_ci(l, k, names[i]) :
		    msg_eq_ci(l, k, names[i]))
			return true;
	}
	return false;
}

/* Words before a colon that introduce a failed recipient ("Unknown
 * user:", "Invalid final delivery userid:", "Delivery failed 20
 * attempts:", "Original-Recipient: rfc822;"). */
static bool
failure_prefix(const char *p, size_t n)
{
	static const char *const words[] = { "unknown", "failed", "invalid",
		"userid", "recipient", "user", "address", "mailbox",
		"rcpt to", "deliver", "rejected", NULL };

	/* "Unable to deliver message to: <a@b>", "addressed to 'a@b'",
	 * "email address : -- a@b", "was addressed, a@b" */
	while (n && strchr(" \t<'\"-,", p[n - 1]))
		n--;
	if (n >= 7 && msg_eq_ci(p + n - 7, 7, "rfc822;"))
		n -= 7;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n >= 5 && msg_eq_ci(p + n - 5, 5, "smtp="))
		return true; /* X.400: "c=US;…;dda:SMTP=addr;" */
	/* "undeliverable to a@b", "Unable to deliver message to <a@b>",
	 * "(Originally addressed to a@b)", "Your message to <a@b> was
	 * automatically rejected", "…was addressed, a@b, did not…" */
	if (((n >= 3 && msg_eq_ci(p + n - 3, 3, " to")) ||
	    (n >= 9 && msg_eq_ci(p + n - 9, 9, "addressed"))) &&
	    (msg_find_ci(p, n, "deliver") || msg_find_ci(p, n, "failed") ||
	    msg_find_ci(p, n, "addressed") ||
	    msg_find_ci(p, n, "your message")))
		return true;
	/* "Local mailbox a@b is unavailable" */
	if (n >= 7 && msg_eq_ci(p + n - 7, 7, "mailbox"))
		return true;
	if (!n || (p[n - 1] != ':' && p[n - 1] != '='))
		return false;
	return any_of(p, n, words);
}

/* Does p[0..n) hold a failure code (4xx or 5xx, or 4.x.x / 5.x.x)? */
static bool
has_failure_code(const char *p, size_t n)
{
	char st[16];
	const char *at;

	return find_code(p, n, st, true) || smtp_code(p, n, &at);
}

/* The failed recipient named on line l (n bytes, trimmed), or NULL:
 * an address that starts the line (after '<', '"', '>', a '*' or '-'
 * bullet or a tab: "<a@b>:",
 * "\"a@b\":", "> a@b", "a@b on …", "a@b (user not found)"), one after
 * words that introduce it ("Unknown user: a@b", "dda:SMTP=a@b;"), or one
 * in <> after a failure code ("554 <a@b>... Host unknown"; then *in_reply
 * is set). */
static char *
line_address(const char *l, size_t n, bool *in_reply)
{
	for (size_t i = 0; i < n; i++) {
		size_t s, e, lead;
		bool ok;

		if (l[i] != '@')
			continue;
		for (s = i; s > 0 && is_local_char((unsigned char)l[s - 1]); s--)
			;
		for (e = i + 1; e < n && is_domain_char((unsigned char)l[e]);
		    e++)
			;
		while (e > i + 1 && (l[e - 1] == '.' || l[e - 1] == '-'))
			e--;
		if (s == i || e == i + 1 || !memchr(l + i + 1, '.', e - i - 1))
			continue;
		lead = 0;
		while (lead < s && strchr("<\"'> \t[*-", l[lead]))
			lead++;
		if (s < i && l[s] == '\'')
			s++; /* 'a@b' */
		/* X.400: "…;dda:SMTP=a@b;" */
		for (size_t k = s; k + 5 <= i; k++)
			if (msg_eq_ci(l + k, 5, "smtp=")) {
				s = k + 5;
				break;
			}
		ok = lead == s || failure_prefix(l, s);
		*in_reply = !ok && s > 0 && l[s - 1] == '<' &&
		    has_failure_code(l, s);
		if (ok || *in_reply)
			return msg_addr_norm(l + s, e - s);
		i = e;
	}
	return NULL;
}

void
replies_rcpts_drop(struct reply *r, size_t from)
{
	for (size_t i = from; i < r->nrcpts; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].action);
		free(r->rcpts[i].diagnostic);
	}
	r->nrcpts = from;
}

bool
replies_has_rcpt(const struct reply *r, const char *addr)
{
	for (size_t i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].address && strcmp(r->rcpts[i].address, addr) == 0)
			return true;
	return false;
}

/* The recipients named by a bounce's text (see line_address), outside the
 * quoted header fields of the returned message; never the report's own
 * addresses: its From, our own, nor, in a server's reply, its To (the
 * sender it reports to: a server that refused the sender names it). */
static void
text_recipients(struct cls *m, struct reply *r, const char *t, size_t n,
	const char *status, const char *diag)
{
	struct lines it = { t, t + n };
	const struct msg_field *to = msg_header_get(&m->h, "To");
	struct strlist own = { NULL, 0, 0 };
	const char *l;
	size_t ln, had = r->nrcpts, last_line_rcpt = (size_t)-1;
	bool in_reply;

	if (to)
		msg_addr_list(to->val, to->vallen, &own);

	while (next_line(&it, &l, &ln) && r->nrcpts < MAX_RCPTS) {
		size_t tn = ln;
		const char *s = msg_trim(l, &tn);
		char *addr;

		/* a no-break space (HTML's &nbsp;) is a space here */
		while (tn >= 2 && (unsigned char)s[0] == 0xc2 &&
		    (unsigned char)s[1] == 0xa0) {
			s += 2;
			tn -= 2;
			s = msg_trim(s, &tn);
		}
		/* Sendmail: "a@host\n    (expanded from: a@b)": the address
		 * we sent to, as an Original-Recipient */
		if (tn > 16 && msg_starts_ci(s, tn, "(expanded from:") &&
		    s[tn - 1] == ')' &&
		    r->nrcpts > had && r->nrcpts - 1 == last_line_rcpt &&
		    (addr = msg_addr_norm(s + 15, tn - 16)) != NULL) {
			struct reply_recipient *lr = &r->rcpts[r->nrcpts - 1];

			if (replies_has_rcpt(r, addr))
				free(addr);
			else {
				free(lr->address);
				lr->address = addr;
			}
			continue;
		}
		last_line_rcpt = (size_t)-1;
		if (!tn || quoted_header(s, tn) ||
		    !(addr = line_address(s, tn, &in_reply)))
			continue;
		bool dup = own_address(m, addr) ||
		    (r->from && strcmp(addr, r->from) == 0);
		for (size_t i = 0; in_reply && i < own.n && !dup; i++)
			dup = strcmp(own.v[i], addr) == 0;
		if (dup || replies_has_rcpt(r, addr)) {
			free(addr);
			continue;
		}
		struct reply_recipient *rc = rcpt_add(r, addr);

		snprintf(rc->status, sizeof rc->status, "%s", status);
		rc->diagnostic = diag ? xstrdup(diag) : NULL;
		last_line_rcpt = r->nrcpts - 1;
	}
	strlist_free(&own);
}

/* The line of t holding p, cleaned (caller frees). */
static char *
line_around(const char *t, size_t n, const char *p)
{
	const char *s = p, *e = p;

	while (s > t && s[-1] != '\n')
		s--;
	while (e < t + n && *e != '\n')
		e++;
	return msg_clean(s, (size_t)(e - s), 160);
}

/* Does s (after "480") go on as a telephone number, "-624-2500"? */
static bool
phone_rest(const char *s, size_t n)
{
	return n >= 5 && s[0] == '-' && msg_is_digit((unsigned char)s[1]) &&
	    msg_is_digit((unsigned char)s[2]) &&
	    msg_is_digit((unsigned char)s[3]) && s[4] == '-';
}

/* An SMTP reply code (4xx, 5xx) in t: returns its first digit, or 0. */
static char
smtp_code(const char *t, size_t n, const char **at)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if ((t[i] == '4' || t[i] == '5') && msg_is_digit((unsigned char)t[i + 1]) &&
		    msg_is_digit((unsigned char)t[i + 2]) &&
		    (i == 0 || t[i - 1] == ' ' || t[i - 1] == ':' ||
		    t[i - 1] == '\n' || t[i - 1] == '(' || t[i - 1] == '\'') &&
		    (i + 3 == n || t[i + 3] == ' ' || (t[i + 3] == '-' &&
		    !phone_rest(t + i + 3, n - i - 3)))) {
			*at = t + i;
			return t[i];
		}
	return 0;
}

void
bounce_fill_addresses(struct cls *m, struct reply *r)
{
	struct reply named;
	size_t k = 0, missing = 0;
	const char *t;

	for (size_t i = 0; i < r->nrcpts; i++)
		missing += !r->rcpts[i].address;
	if (!missing)
		return;
	memset(&named, 0, sizeof named);
	named.from = r->from;
	if (m->failed.n) {
		for (size_t i = 0; i < m->failed.n && named.nrcpts < MAX_RCPTS;
		    i++)
			rcpt_add(&named, xstrdup(m->failed.v[i]));
	} else {
		t = cls_text(m);
		text_recipients(m, &named, t, bounce_explanation_len(t,
		    strlen(t)), "", NULL);
	}
	for (size_t i = 0; i < r->nrcpts; i++) {
		if (r->rcpts[i].address)
			continue;
		while (k < named.nrcpts &&
		    replies_has_rcpt(r, named.rcpts[k].address))
			k++;
		if (k == named.nrcpts)
			break;
		r->rcpts[i].address = named.rcpts[k].address;
		named.rcpts[k++].address = NULL;
	}
	named.from = NULL;
	replies_rcpts_drop(&named, 0);
	free(named.rcpts);
}

/*
 * DSN fields written as text: a report whose MIME boundaries are broken,
 * or one that puts them in a text/plain part instead of a
 * message/delivery-status part. When they name a recipient, those
 * recipients are the report's (the addresses in its diagnostics are
 * not), and each one's Status or Action decides, as in a DSN; *failed
 * says whether any did. False, with r as it was, when no field names an
 * address.
 */
static bool
text_dsn(const char *t, size_t n, struct reply *r, bool *failed,
	bool *permanent)
{
	size_t had = r->nrcpts, k = had;

	if (replies_parse_dsn(t, n, r) == 0)
		return false;
	for (size_t i = had; i < r->nrcpts; i++) {
		if (!r->rcpts[i].address) {
			free(r->rcpts[i].action);
			free(r->rcpts[i].diagnostic);
			continue;
		}
		r->rcpts[k++] = r->rcpts[i];
	}
	r->nrcpts = k;
	if (k == had)
		return false;
	*failed = *permanent = false;
	for (size_t i = had; i < k; i++) {
		*failed |= r->rcpts[i].failed;
		*permanent |= r->rcpts[i].failed && r->rcpts[i].permanent;
	}
	return true;
}

/* Is the message a bounce by its text? Then fill the recipients and say
 * whether it is permanent. */
bool
bounce_by_text(struct cls *m, struct reply *r, bool *permanent)
{
	const char *t;
	size_t tn;
	char local[128], status[16] = "";
	const char *at = NULL, *fl;
	char *diag = NULL;
	struct buf ft = BUF_INIT;
	bool daemon, subj, body, dsn_failed, dsn_permanent;
	const struct msg_field *ct;
	char code;

	local_base(r->from, local, sizeof local);
	daemon = m->rp_empty || strncmp(local, "mailer-daemon", 13) == 0 ||
		strncmp(local, "mailer_daemon", 13) == 0 ||
		strcmp(local, "postmaster") == 0 ||
		strcmp(local, "post_master") == 0 ||
		(r->from_name && (msg_find_ci(r->from_name, strlen(r->from_name),
		"mail delivery") || msg_find_ci(r->from_name,
		strlen(r->from_name), "mailer-daemon")));
	ct = msg_header_get(&m->h, "Content-Type");
	/* only mail software writes a delivery report */
	if (ct && msg_find_ci(ct->val, ct->vallen, "multipart/report") &&
	    msg_find_ci(ct->val, ct->vallen, "delivery-status"))
		daemon = true;
	subj = any_of(m->fsubj.data, m->fsubj.len, bounce_subjects);
	if (!m->failed.n && !daemon && !subj)
		return false;
	t = cls_text(m);
	tn = bounce_explanation_len(t, strlen(t));
	fold(t, tn, &ft);
	body = any_of(ft.data, ft.len, bounce_phrases);
	if (!m->failed.n && !(daemon && (subj || body)) && !(subj && body)) {
		buf_free(&ft);
		return false;
	}

	if (find_code(t, tn, status, true)) {
		at = msg_find_ci(t, tn, status);
		code = status[0];
	} else {
		code = smtp_code(t, tn, &at);
	}
	if (at)
		diag = line_around(t, tn, at);
	/* a code decides; without one, only explicit words make a failure
	 * transient: a report that gives no reason has given up */
	if (code == '5' || code == '4')
		*permanent = code == '5';
	else
		*permanent = !any_of(ft.data, ft.len, transient_phrases) &&
		    !any_of(m->fsubj.data, m->fsubj.len, transient_phrases);

	if (text_dsn(t, tn, r, &dsn_failed, &dsn_permanent) && dsn_failed) {
		*permanent = dsn_permanent;
		goto detail;
	}
	if (!r->nrcpts) {
		for (size_t i = 0; i < m->failed.n && r->nrcpts < MAX_RCPTS;
		    i++) {
			struct reply_recipient *rc = rcpt_add(r,
			    xstrdup(m->failed.v[i]));

			snprintf(rc->status, sizeof rc->status, "%s", status);
			rc->diagnostic = diag ? xstrdup(diag) : NULL;
		}
		if (!m->failed.n)
			text_recipients(m, r, t, tn, status, diag);
	}
	for (size_t i = 0; i < r->nrcpts; i++) {
		r->rcpts[i].failed = true;
		r->rcpts[i].permanent = *permanent;
	}
detail:

	fl = bounce_flavour(ft.data, ft.len, r);
	buf_printf(&m->detail, "%s%sbounce text", fl ? fl : "", fl ? " " : "");
	if (status[0])
		buf_printf(&m->detail, ": %s", status);
	else if (code)
		buf_printf(&m->detail, ": SMTP %.3s", at);
	buf_printf(&m->detail, " (%s)", *permanent ? "permanent" : "transient");
	free(diag);
	buf_free(&ft);
	return true;
}

