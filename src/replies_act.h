/* replies_act.h - what one classified message does to the subscriber store */
#ifndef INFOLETTRE_REPLIES_ACT_H
#define INFOLETTRE_REPLIES_ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "replies.h"
#include "store.h"

/*
 * The rules (replies_act):
 * - unsubscribe with proof: the tokens are tried in the order the
 *   classifier trusts them (the unsubscribe address's, a confirmation's,
 *   the issue's in In-Reply-To/References); the first that names a
 *   subscriber of this list (store_find_token) decides who leaves, whatever
 *   From says. Channel "reply-confirmed" when the message answers a
 *   confirmation request, "list-unsubscribe-mailto" for the tokened
 *   unsubscribe address, else "reply". No valid token: nothing (reported).
 * - unsubscribe without proof: From is looked up; an active (or pending)
 *   subscriber gets a confirmation request (ACT_CONFIRM: the caller sends
 *   it), or leaves at once with channel "reply-unverified" when
 *   o->accept_unverified. Anyone else: nothing.
 * - unsubscribe without proof, when a request went to that subscriber
 *   less than o->confirm_interval ago: ACT_HELD (forged requests in
 *   someone's name get them one request a week, not one each).
 * - bounce-permanent / bounce-transient: acts only on proof that the
 *   report concerns a message we sent: the subscriber is the one the
 *   bounces+TOKEN envelope address names, else the one the returned
 *   message's Message-ID, List-Unsubscribe or Return-Path names. An
 *   active or pending one gets the bounce recorded (store_bounce_add:
 *   bounces of one issue count once) and becomes bounced, channel
 *   "bounce", when the bounce policy says so (bounce.h). A report without
 *   a token changes nobody: each failed recipient is ACT_UNPROVEN, unless
 *   o->act_unproven (replies.unproven_bounces: act), where each failed
 *   recipient that is a subscriber is acted on as above.
 * - complaint: the subscriber the returned message's tokens name is
 *   unsubscribed, channel "complaint"; without a token, ACT_UNPROVEN.
 * - subscribe: the confirmation token the reply carries (a subscription
 *   confirmation's, store_find_confirm_token) confirms that subscriber's
 *   open request (store_optin_confirm, channel "reply"): ACT_SUBSCRIBED;
 *   a token not valid or expired: ACT_REFUSED; no open request: nothing.
 * - auto-reply, other, malformed: nothing.
 * Every change of status carries the evidence: the message's Message-ID,
 * the token, the status code, the issue.
 */

enum act_what {
	ACT_NOTHING,      /* nothing to do; detail says why */
	ACT_UNSUBSCRIBED, /* the subscriber left */
	ACT_CONFIRM,      /* a confirmation request is to be sent */
	ACT_BOUNCE_COUNTED, /* a bounce recorded, below the threshold */
	ACT_BOUNCED,      /* the subscriber became bounced */
	ACT_ALREADY,      /* already unsubscribed or bounced: unchanged */
	ACT_REFUSED,      /* a token that is not a subscriber's of this list */
	ACT_UNKNOWN,      /* an address that is no subscriber */
	ACT_UNPROVEN,     /* a bounce or complaint that carries no token of
	                   * ours: nobody changes; listed for the editors */
	ACT_HELD,         /* a confirmation request not sent: one went to
	                   * that subscriber within replies.confirm_interval */
	ACT_SUBSCRIBED,   /* a subscription confirmed by a reply: active */
};

/* One decision about one subscriber (or address). */
struct act {
	enum act_what what;
	long long id;          /* the subscriber, 0 when none */
	char *email;           /* the subscriber's address, or the address
	                        * named; NULL when none; cleaned */
	char token[TOKEN_LEN + 1]; /* the subscriber's token, or "" */
	const char *channel;   /* static, or NULL */
	char status_code[16];  /* bounces: "5.1.1", or "" */
	char issue[8];         /* the issue concerned, or "" */
	long count, threshold; /* bounces: counted so far, needed */
	char *detail;          /* one line, cleaned */
};

struct act_list {
	struct act *v;
	size_t n;
};

struct act_opts {
	bool dry_run;           /* decide, change nothing (the writes are
	                         * made in a transaction rolled back) */
	bool accept_unverified; /* replies.unverified: accept */
	long bounce_threshold;  /* replies.bounce_threshold (>= 1) */
	long transient_threshold; /* replies.transient_threshold (>= 1) */
	long long confirm_interval; /* seconds between two confirmation
	                             * requests to one subscriber */
	bool act_unproven;      /* replies.unproven_bounces: act */
	long long now;          /* the time of the run */
};

/*
 * Decide and apply (unless o->dry_run) what r means for the store:
 * appends one entry or more to *out (free with act_list_free). All the
 * writes for one message are one transaction. Returns 0, or a store
 * status with *err (EX_TEMPFAIL when the store stays locked): then
 * nothing was changed.
 */
int replies_act(struct store *st, const struct reply *r,
	const struct act_opts *o, struct act_list *out, char **err);

void act_list_free(struct act_list *l);

/* How a message's line says what was done: "unsubscribed", "would
 * unsubscribe", … (static). */
const char *act_verb(enum act_what w, bool dry_run);
/* How the summary counts it: "unsubscribed", "to unsubscribe", …
 * (static). */
const char *act_label(enum act_what w, bool dry_run);

/*
 * The confirmation request (format in replies.h) for subscriber email
 * with token, answering the request whose Message-ID is request_id (NULL
 * when it had none): From newsletter.from, To email, Reply-To
 * unsubscribe.mailto with +TOKEN (newsletter.reply_to or From when there
 * is no unsubscribe.mailto), Subject REPLIES_CONFIRM_SUBJECT, text in
 * newsletter.language, Auto-Submitted: auto-replied. 7-bit, CRLF,
 * quoted-printable UTF-8 text. unique is the UNIQUE part of the
 * Message-ID ([0-9a-z-]). Appends the message to out and sets *msgid
 * (without <>, caller frees). Returns 0, or EX_DATAERR / EX_CONFIG with
 * *err when an address or the title cannot go in a header.
 */
int replies_confirm_message(const struct config *c, const char *email,
	const char *token, const char *request_id, const char *unique,
	long long now, struct buf *out, char **msgid, char **err);

/* The envelope sender for a confirmation request to the subscriber with
 * token: unsubscribe.bounce with +TOKEN, else newsletter.from's address.
 * The caller frees it. */
char *replies_confirm_sender(const struct config *c, const char *token);

#endif
