/* replies_act.c - what one classified message does to the subscriber store */
#include "replies_act.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "bounce.h"
#include "labels.h"
#include "mime.h"
#include "util.h"

#define DETAIL_MAX 300

static struct act *
push(struct act_list *l, enum act_what what)
{
	struct act *a;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	a = &l->v[l->n++];
	memset(a, 0, sizeof *a);
	a->what = what;
	return a;
}

static void
act_free(struct act *a)
{
	free(a->email);
	free(a->detail);
}

void
act_list_free(struct act_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		act_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A detail line from a format, cleaned and cut. */
static char *
detail(const char *fmt, ...) PRINTF(1, 2);

static char *
detail(const char *fmt, ...)
{
	va_list ap;
	char *s, *clean;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (strlen(s) > DETAIL_MAX) {
		/* cut on a UTF-8 character boundary */
		size_t n = DETAIL_MAX;

		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(s + n, "...", 4);
	}
	clean = sanitize(s);
	free(s);
	return clean;
}

const char *
act_verb(enum act_what w, bool dry_run)
{
	switch (w) {
	case ACT_UNSUBSCRIBED:
		return dry_run ? "would unsubscribe" : "unsubscribed";
	case ACT_CONFIRM:
		return dry_run ? "would ask for confirmation:" :
			"asked for confirmation:";
	case ACT_BOUNCE_COUNTED:
		return dry_run ? "would count a bounce of" : "bounce counted for";
	case ACT_BOUNCED:
		return dry_run ? "would mark bounced" : "bounced";
	case ACT_ALREADY:
		return "no change, already gone:";
	case ACT_REFUSED:
		return "refused, invalid token:";
	case ACT_UNKNOWN:
		return "ignored, not subscribed:";
	case ACT_UNPROVEN:
		return "no change, no proof it is ours:";
	case ACT_HELD:
		return "no confirmation request, one went recently:";
	case ACT_SUBSCRIBED:
		return dry_run ? "would confirm the subscription of" :
			"subscription confirmed:";
	case ACT_NOTHING:
		break;
	}
	return "no action:";
}

const char *
act_label(enum act_what w, bool dry_run)
{
	switch (w) {
	case ACT_UNSUBSCRIBED:
		return dry_run ? "to unsubscribe" : "unsubscribed";
	case ACT_CONFIRM:
		return dry_run ? "to ask for confirmation" :
			"asked for confirmation";
	case ACT_BOUNCE_COUNTED:
		return dry_run ? "to count, below the threshold" :
			"counted, below the threshold";
	case ACT_BOUNCED:
		return dry_run ? "to mark bounced" : "bounced";
	case ACT_ALREADY:
		return "already gone";
	case ACT_REFUSED:
		return "refused (invalid token)";
	case ACT_UNKNOWN:
		return "ignored (not subscribed)";
	case ACT_UNPROVEN:
		return "without proof, nobody changed";
	case ACT_HELD:
		return "confirmation not sent (one went recently)";
	case ACT_SUBSCRIBED:
		return dry_run ? "to confirm" : "subscribed";
	case ACT_NOTHING:
		break;
	}
	return "no action";
}

static void
set_sub(struct act *a, struct store *st, const struct subscriber *s)
{
	a->id = s->id;
	free(a->email);
	a->email = sanitize(s->email);
	store_token(st, s, a->token);
}

static bool
gone(const struct subscriber *s)
{
	return s->status == SUB_UNSUBSCRIBED || s->status == SUB_BOUNCED;
}

/* ---- unsubscribe ---- */

/* The subscriber of the first valid token of kind (by the classifier's
 * order of trust): 0 and *sub, *used; EX_NOUSER when none is valid (and
 * *tried is the first one tried, or NULL when there is none). */
static int
token_sub(struct store *st, const struct reply *r, enum reply_token_kind kind,
	struct subscriber *sub, const struct reply_token **used,
	const struct reply_token **tried, char **err)
{
	for (int w = REPLY_IN_TO; w <= REPLY_IN_RETURNED; w++)
		for (size_t i = 0; i < r->ntokens; i++) {
			const struct reply_token *t = &r->tokens[i];
			int rc;

			if (t->kind != kind || (int)t->where != w)
				continue;
			if (kind == REPLY_TOKEN_ISSUE &&
			    t->where != REPLY_IN_IN_REPLY_TO &&
			    t->where != REPLY_IN_REFERENCES &&
			    t->where != REPLY_IN_RETURNED)
				continue;
			if (!*tried)
				*tried = t;
			rc = store_find_token(st, t->token, sub, err);
			if (rc == EX_NOUSER) {
				free(*err);
				*err = NULL;
				continue;
			}
			if (rc == 0)
				*used = t;
			return rc;
		}
	return EX_NOUSER;
}

/* Unsubscribe s with evidence; pushes the entry. */
static int
leave(struct store *st, const struct reply *r, const struct subscriber *s,
	const char *channel, const char *token, const char *issue,
	char *why, struct act_list *out, char **err)
{
	struct store_evidence ev;
	struct act *a;
	bool changed = false;
	int rc;

	if (gone(s)) {
		a = push(out, ACT_ALREADY);
		set_sub(a, st, s);
		a->detail = detail("%s; already %s", why,
			store_status_name(s->status));
		free(why);
		return 0;
	}
	memset(&ev, 0, sizeof ev);
	ev.channel = channel;
	ev.message_id = r->message_id;
	ev.token = token;
	ev.issue = issue && *issue ? issue : NULL;
	ev.detail = why;
	rc = store_set_status(st, s->id, SUB_UNSUBSCRIBED, &ev, &changed, err);
	if (rc) {
		free(why);
		return rc;
	}
	a = push(out, changed ? ACT_UNSUBSCRIBED : ACT_ALREADY);
	set_sub(a, st, s);
	a->channel = channel;
	if (issue)
		snprintf(a->issue, sizeof a->issue, "%s", issue);
	a->detail = detail("%s; channel %s", why, channel);
	free(why);
	return 0;
}

static int
unsubscribe(struct store *st, const struct reply *r, const struct act_opts *o,
	struct act_list *out, char **err)
{
	static const enum reply_token_kind kinds[] = { REPLY_TOKEN_UNSUBSCRIBE,
		REPLY_TOKEN_CONFIRM, REPLY_TOKEN_ISSUE };
	struct subscriber s;
	struct act *a;
	int rc = EX_NOUSER;

	memset(&s, 0, sizeof s);
	if (r->proof) {
		const struct reply_token *used = NULL, *tried = NULL;
		const char *channel = "reply";
		char *why;

		/* an issue's token is proof only with words asking to leave */
		for (size_t k = 0; k < (r->keyword ? 3 : 2) && rc == EX_NOUSER;
		    k++)
			rc = token_sub(st, r, kinds[k], &s, &used, &tried, err);
		if (rc == EX_NOUSER) {
			a = push(out, ACT_REFUSED);
			a->email = r->from ? sanitize(r->from) : NULL;
			a->detail = tried ? detail("the token in %s names no "
				"subscriber of this list (altered, forged or "
				"another list's)",
				replies_where_name(tried->where)) :
				detail("no token");
			return 0;
		}
		if (rc)
			return rc;
		for (size_t i = 0; i < r->ntokens; i++)
			if (r->tokens[i].kind == REPLY_TOKEN_CONFIRM &&
			    strcmp(r->tokens[i].token, used->token) == 0)
				channel = "reply-confirmed";
		if (used->kind == REPLY_TOKEN_UNSUBSCRIBE) {
			if (strcmp(channel, "reply") == 0)
				channel = "list-unsubscribe-mailto";
			why = detail("sent to the unsubscribe address, token "
				"in %s", replies_where_name(used->where));
		} else if (used->kind == REPLY_TOKEN_CONFIRM) {
			channel = "reply-confirmed";
			why = detail("confirms a request to leave, token in "
				"%s", replies_where_name(used->where));
		} else {
			why = detail("asks \"%s\" answering issue %s, token "
				"in %s", r->keyword ? r->keyword : "?",
				used->issue, replies_where_name(used->where));
		}
		rc = leave(st, r, &s, channel, used->token, used->issue, why,
			out, err);
		store_subscriber_free(&s);
		return rc;
	}
	if (!r->from) {
		a = push(out, ACT_NOTHING);
		a->detail = detail("asks to leave, but has no usable From "
			"address");
		return 0;
	}
	rc = store_find(st, r->from, &s, err);
	if (rc == EX_NOUSER || rc == EX_DATAERR) {
		free(*err);
		*err = NULL;
		a = push(out, ACT_UNKNOWN);
		a->email = sanitize(r->from);
		a->detail = detail("%s%s%s, but From is not a subscriber",
			r->keyword ? "asks \"" : "wrote to the unsubscribe "
			"address", r->keyword ? r->keyword : "",
			r->keyword ? "\"" : "");
		return 0;
	}
	if (rc)
		return rc;
	if (gone(&s)) {
		a = push(out, ACT_ALREADY);
		set_sub(a, st, &s);
		a->detail = detail("asks to leave; already %s",
			store_status_name(s.status));
	} else if (o->accept_unverified) {
		char *why = detail("From %s%s%s, unverified "
			"(replies.unverified: accept)",
			r->keyword ? "asks \"" : "wrote to the unsubscribe "
			"address", r->keyword ? r->keyword : "",
			r->keyword ? "\"" : "");

		rc = leave(st, r, &s, "reply-unverified", NULL, NULL, why, out,
			err);
	} else {
		long long last = 0;

		if ((rc = store_confirm_last(st, s.id, &last, err)) != 0) {
			store_subscriber_free(&s);
			return rc;
		}
		if (last && o->confirm_interval > 0 &&
		    o->now - last < o->confirm_interval) {
			a = push(out, ACT_HELD);
			set_sub(a, st, &s);
			a->detail = detail("asks to leave without a token; a "
				"confirmation request went %lld h ago "
				"(replies.confirm_interval)",
				(o->now - last) / 3600);
		} else {
			a = push(out, ACT_CONFIRM);
			set_sub(a, st, &s);
			a->detail = detail("From %s%s%s without a token: it "
				"must confirm", r->keyword ? "asks \"" :
				"wrote to the unsubscribe address",
				r->keyword ? r->keyword : "",
				r->keyword ? "\"" : "");
		}
	}
	store_subscriber_free(&s);
	return rc;
}

/* ---- bounces ---- */

/* The status code the bounce gives for address (or the first one). */
static void
status_for(const struct reply *r, const char *address, char out[16])
{
	const struct reply_recipient *first = NULL;

	out[0] = '\0';
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct reply_recipient *rc = &r->rcpts[i];

		if (!rc->failed)
			continue;
		if (address && rc->address &&
		    str_casecmp(rc->address, address) == 0) {
			first = rc;
			break;
		}
		if (!first)
			first = rc;
	}
	if (first)
		snprintf(out, 16, "%s", first->status);
}

static const struct reply_recipient *
rcpt_of(const struct reply *r, const char *address)
{
	for (size_t i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].failed && r->rcpts[i].address &&
		    str_casecmp(r->rcpts[i].address, address) == 0)
			return &r->rcpts[i];
	return NULL;
}

static int
bounce_one(struct store *st, const struct reply *r, const struct act_opts *o,
	const struct subscriber *s, bool permanent, const char *token,
	const char *issue, struct act_list *out, char **err)
{
	const struct reply_recipient *rc = rcpt_of(r, s->email);
	struct bounce_policy p = { o->bounce_threshold,
		o->transient_threshold };
	enum bounce_kind kind;
	long threshold;
	struct act *a;
	char sc[16];
	long count = 0;
	int ret;

	status_for(r, s->email, sc);
	kind = bounce_kind(permanent, sc, rc ? rc->diagnostic : NULL);
	permanent = kind == BOUNCE_PERMANENT;
	threshold = bounce_threshold(&p, kind);
	if (gone(s)) {
		a = push(out, ACT_ALREADY);
		set_sub(a, st, s);
		snprintf(a->status_code, sizeof a->status_code, "%s", sc);
		a->detail = detail("%s bounce %s; already %s",
			permanent ? "permanent" : "transient", *sc ? sc : "",
			store_status_name(s->status));
		return 0;
	}
	ret = store_bounce_add(st, s->id, permanent, issue && *issue ? issue :
		NULL, *sc ? sc : NULL, r->message_id, &count, err);
	if (ret)
		return ret;
	a = push(out, bounce_marks(&p, kind, count) ? ACT_BOUNCED :
		ACT_BOUNCE_COUNTED);
	set_sub(a, st, s);
	snprintf(a->status_code, sizeof a->status_code, "%s", sc);
	if (issue)
		snprintf(a->issue, sizeof a->issue, "%s", issue);
	a->count = count;
	a->threshold = threshold;
	a->detail = detail("%s bounce%s%s, %ld of %ld%s%s",
		permanent ? "permanent" : "transient", *sc ? " " : "", sc,
		count, threshold, issue && *issue ? ", issue " : "",
		issue && *issue ? issue : "");
	if (a->what == ACT_BOUNCED) {
		struct store_evidence ev;
		char *why = detail("%s bounce%s%s (%ld of %ld)%s%s",
			permanent ? "permanent" : "transient", *sc ? " " : "",
			sc, count, threshold, rc && rc->diagnostic ? ": " : "",
			rc && rc->diagnostic ? rc->diagnostic : "");
		bool changed = false;

		memset(&ev, 0, sizeof ev);
		ev.channel = "bounce";
		ev.message_id = r->message_id;
		ev.token = token;
		ev.status_code = *sc ? sc : NULL;
		ev.issue = issue && *issue ? issue : NULL;
		ev.detail = why;
		ret = store_set_status(st, s->id, SUB_BOUNCED, &ev, &changed,
			err);
		free(why);
		if (ret)
			return ret;
		a->channel = "bounce";
		if (!changed)
			a->what = ACT_ALREADY;
	}
	return 0;
}

static int
bounce(struct store *st, const struct reply *r, const struct act_opts *o,
	struct act_list *out, char **err)
{
	bool permanent = r->cls == REPLY_BOUNCE_PERMANENT;
	const struct reply_token *used = NULL, *tried = NULL;
	const char *issue = NULL;
	struct subscriber s;
	struct act *a;
	int rc;

	memset(&s, 0, sizeof s);
	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == REPLY_TOKEN_ISSUE &&
		    r->tokens[i].issue[0] && (!issue ||
		    r->tokens[i].where == REPLY_IN_RETURNED))
			issue = r->tokens[i].issue;
	rc = token_sub(st, r, REPLY_TOKEN_BOUNCE, &s, &used, &tried, err);
	if (rc == EX_NOUSER)
		rc = token_sub(st, r, REPLY_TOKEN_ISSUE, &s, &used, &tried,
			err);
	if (rc == 0) {
		rc = bounce_one(st, r, o, &s, permanent, used->token,
			used->kind == REPLY_TOKEN_ISSUE ? used->issue : issue,
			out, err);
		store_subscriber_free(&s);
		return rc;
	}
	if (rc != EX_NOUSER)
		return rc;
	if (tried) {
		a = push(out, ACT_REFUSED);
		a->email = r->nrcpts && r->rcpts[0].address ?
			sanitize(r->rcpts[0].address) : NULL;
		a->detail = detail("the token in %s names no subscriber of "
			"this list (altered, forged or another list's)",
			replies_where_name(tried->where));
		return 0;
	}
	/* no token: anyone can write such a report; it changes nobody
	 * unless the configuration says otherwise */
	if (!o->act_unproven) {
		for (size_t i = 0; i < r->nrcpts; i++) {
			const struct reply_recipient *rcp = &r->rcpts[i];

			if (!rcp->failed || !rcp->address)
				continue;
			a = push(out, ACT_UNPROVEN);
			a->email = sanitize(rcp->address);
			snprintf(a->status_code, sizeof a->status_code, "%s",
				rcp->status);
			a->detail = detail("%s bounce%s%s%s%s without a token "
				"of ours: nobody changed "
				"(replies.unproven_bounces: ignore)",
				rcp->permanent ? "permanent" : "transient",
				rcp->status[0] ? " " : "", rcp->status,
				rcp->diagnostic ? ": " : "",
				rcp->diagnostic ? rcp->diagnostic : "");
		}
		if (out->n == 0) {
			a = push(out, ACT_UNPROVEN);
			a->detail = detail("a bounce that names no recipient "
				"and carries no token");
		}
		return 0;
	}
	/* replies.unproven_bounces: act: the failed recipients named */
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct reply_recipient *rcp = &r->rcpts[i];
		bool dup = false;

		if (!rcp->failed || !rcp->address)
			continue;
		rc = store_find(st, rcp->address, &s, err);
		if (rc == EX_NOUSER || rc == EX_DATAERR) {
			free(*err);
			*err = NULL;
			a = push(out, ACT_UNKNOWN);
			a->email = sanitize(rcp->address);
			a->detail = detail("a bounce names %s, which is not a "
				"subscriber", a->email);
			continue;
		}
		if (rc)
			return rc;
		for (size_t j = 0; j < out->n; j++)
			dup |= out->v[j].id == s.id;
		if (!dup)
			rc = bounce_one(st, r, o, &s, r->cls ==
				REPLY_BOUNCE_PERMANENT && rcp->permanent, NULL,
				issue, out, err);
		store_subscriber_free(&s);
		if (rc)
			return rc;
	}
	if (out->n == 0) {
		a = push(out, ACT_NOTHING);
		a->detail = detail("a bounce that names no recipient and "
			"carries no token");
	}
	return 0;
}

/* A spam complaint: the subscriber the returned message names (its
 * Message-ID, List-Unsubscribe, Return-Path) leaves, never to be mailed
 * again; without such a token, nobody changes. */
static int
complaint(struct store *st, const struct reply *r, struct act_list *out,
	char **err)
{
	static const enum reply_token_kind kinds[] = { REPLY_TOKEN_BOUNCE,
		REPLY_TOKEN_ISSUE, REPLY_TOKEN_UNSUBSCRIBE };
	const struct reply_token *used = NULL, *tried = NULL;
	struct subscriber s;
	struct act *a;
	int rc = EX_NOUSER;

	memset(&s, 0, sizeof s);
	for (size_t k = 0; k < 3 && rc == EX_NOUSER; k++)
		rc = token_sub(st, r, kinds[k], &s, &used, &tried, err);
	if (rc == 0) {
		rc = leave(st, r, &s, "complaint", used->token,
			used->kind == REPLY_TOKEN_ISSUE ? used->issue : NULL,
			detail("a spam complaint (feedback loop), token in %s",
			replies_where_name(used->where)), out, err);
		store_subscriber_free(&s);
		return rc;
	}
	if (rc != EX_NOUSER)
		return rc;
	for (size_t i = 0; i < r->nrcpts || i == 0; i++) {
		a = push(out, tried ? ACT_REFUSED : ACT_UNPROVEN);
		a->email = i < r->nrcpts && r->rcpts[i].address ?
			sanitize(r->rcpts[i].address) : NULL;
		a->detail = tried ? detail("a complaint whose token in %s "
			"names no subscriber of this list",
			replies_where_name(tried->where)) :
			detail("a complaint without a token of ours: nobody "
			"changed");
		if (tried)
			break;
	}
	return 0;
}

static int
subscribe(struct store *st, const struct reply *r, const struct act_opts *o,
	struct act_list *out, char **err)
{
	const struct reply_token *t = NULL;
	struct store_evidence ev = { "reply", r->message_id, NULL, NULL, NULL,
		"confirmed a subscription by replying" };
	struct subscriber s;
	struct act *a;
	int rc, outcome;

	/* In-Reply-To before References before the body */
	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == REPLY_TOKEN_SUBSCRIBE &&
		    (!t || r->tokens[i].where < t->where))
			t = &r->tokens[i];
	if (!t)
		return 0;
	rc = store_find_confirm_token(st, t->token, store_today(o->now), &s,
		err);
	if (rc == EX_NOUSER) {
		a = push(out, ACT_REFUSED);
		a->email = r->from ? sanitize(r->from) : NULL;
		a->detail = detail("%s: the subscription's confirmation token "
			"in %s", *err ? *err : "not valid",
			replies_where_name(t->where));
		free(*err);
		*err = NULL;
		return 0;
	}
	if (rc)
		return rc;
	rc = store_optin_confirm(st, s.id, "reply", &ev, o->now, &outcome, err);
	if (rc == EX_NOUSER) {
		free(*err);
		*err = NULL;
		a = push(out, ACT_NOTHING);
		set_sub(a, st, &s);
		a->token[0] = '\0';
		a->detail = detail("answers a subscription confirmation, but "
			"no request of that subscriber is open");
		rc = 0;
	} else if (rc == 0) {
		a = push(out, outcome == STORE_UPDATED ? ACT_SUBSCRIBED :
			ACT_NOTHING);
		set_sub(a, st, &s);
		a->token[0] = '\0';
		a->channel = "reply";
		a->detail = detail(outcome == STORE_UPDATED ? "confirmed by a "
			"reply, token in %s" : "already active, token in %s",
			replies_where_name(t->where));
	}
	store_subscriber_free(&s);
	return rc;
}

int
replies_act(struct store *st, const struct reply *r, const struct act_opts *o,
	struct act_list *out, char **err)
{
	size_t had = out->n;
	int rc;

	if (r->cls != REPLY_UNSUBSCRIBE && r->cls != REPLY_BOUNCE_PERMANENT &&
	    r->cls != REPLY_BOUNCE_TRANSIENT && r->cls != REPLY_COMPLAINT &&
	    r->cls != REPLY_SUBSCRIBE)
		return 0;
	if ((rc = store_begin(st, err)) != 0)
		return rc;
	if (r->cls == REPLY_SUBSCRIBE) {
		rc = subscribe(st, r, o, out, err);
	} else if (r->cls == REPLY_UNSUBSCRIBE) {
		rc = unsubscribe(st, r, o, out, err);
	} else if (r->cls == REPLY_COMPLAINT) {
		rc = complaint(st, r, out, err);
	} else {
		struct act_list mine = { NULL, 0 };

		/* bounce() looks at its own entries for duplicates */
		rc = bounce(st, r, o, &mine, err);
		for (size_t i = 0; i < mine.n; i++)
			*push(out, ACT_NOTHING) = mine.v[i];
		free(mine.v);
	}
	if (rc == 0 && !o->dry_run)
		rc = store_commit(st, err);
	else
		store_rollback(st);
	if (rc) {
		while (out->n > had)
			act_free(&out->v[--out->n]);
	}
	return rc;
}

/* ---- the confirmation request ---- */

char *
replies_confirm_sender(const struct config *c, const char *token)
{
	char *a, *s;

	if (*c->unsubscribe.bounce) {
		a = addr_of(c->unsubscribe.bounce);
		s = addr_plus(a, token);
		free(a);
		return s;
	}
	return addr_of(c->newsletter.from);
}

int
replies_confirm_message(const struct config *c, const char *email,
	const char *token, const char *request_id, const char *unique,
	long long now, struct buf *out, char **msgid, char **err)
{
	char *from_addr = addr_of(c->newsletter.from), *reply_to, *id, *ref,
	    *text;
	const char *at = strrchr(from_addr, '@');
	struct mime_notice n;
	int rc;

	*msgid = NULL;
	if (*c->unsubscribe.mailto) {
		char *m = addr_of(c->unsubscribe.mailto);

		reply_to = addr_plus(m, token);
		free(m);
	} else
		reply_to = xstrdup(*c->newsletter.reply_to ?
			c->newsletter.reply_to : c->newsletter.from);
	id = xasprintf("%s%s.%s@%s", REPLIES_CONFIRM_MSGID_PREFIX, unique,
		token, at ? at + 1 : "localhost");
	ref = xasprintf("%s%s", REPLIES_CONFIRM_MARKER, token);
	text = label_fill(c->newsletter.language, "UNSUBSCRIBE_REQUEST",
		"title", c->newsletter.title, "address", email, "reference",
		ref, (char *)NULL);
	memset(&n, 0, sizeof(n));
	n.from = c->newsletter.from;
	n.to = email;
	n.reply_to = reply_to;
	n.subject = REPLIES_CONFIRM_SUBJECT;
	n.message_id = id;
	n.in_reply_to = request_id;
	/* RFC 3834: an automatic answer; vacation responders stay quiet */
	n.auto_submitted = "auto-replied";
	n.date = now;
	n.text = text;
	if ((rc = mime_notice(&n, out, err)) == 0) {
		*msgid = id;
		id = NULL;
	} else {
		char *e = *err;

		*err = xasprintf("cannot write a confirmation request to %s: "
			"%s", email, e);
		free(e);
	}
	free(from_addr);
	free(reply_to);
	free(id);
	free(ref);
	free(text);
	return rc;
}
