/* replies.h - classification of one message from the inbox */
#ifndef INFOLETTRE_REPLIES_H
#define INFOLETTRE_REPLIES_H

#include <stdbool.h>
#include <stddef.h>

#include "mime.h" /* TOKEN_LEN */

/*
 * What a message in the inbox is. The order of the checks is: a spam
 * complaint, a delivery report or bounce, then mailing-list traffic (other),
 * an automatic reply, a request to leave, then other; a message that
 * cannot be read (or has no From and is no report) is malformed.
 */
enum reply_class {
	REPLY_MALFORMED,        /* cannot be parsed: never acted on */
	REPLY_OTHER,            /* a person writing to the team */
	REPLY_AUTO_REPLY,       /* out of office & co: never acted on */
	REPLY_UNSUBSCRIBE,      /* a request to leave (see reply.proof) */
	REPLY_BOUNCE_PERMANENT, /* delivery failed for good (5.x.x) */
	REPLY_BOUNCE_TRANSIENT, /* delivery delayed or failed for now (4.x.x) */
	REPLY_COMPLAINT,        /* a spam complaint: an Abuse Reporting
	                         * Format report (RFC 5965) or a Hotmail
	                         * JMRP report, from a feedback loop */
	REPLY_SUBSCRIBE,        /* a person answering a subscription
	                         * confirmation message: confirms it */
};
/* The last class (a new one goes before it, or moves this). */
#define REPLY_CLASS_LAST REPLY_SUBSCRIBE

/*
 * Tokens, and how our messages carry them (the sending side must follow
 * this):
 *
 * - An issue goes out with the envelope sender BOUNCE_LOCAL+TOKEN@domain
 *   (unsubscribe.bounce), List-Unsubscribe mailto MAILTO_LOCAL+TOKEN@domain
 *   (unsubscribe.mailto) and Message-ID <YYYY-MM.TOKEN@msgid_domain>
 *   (mime_message_id).
 * - A confirmation request (the answer to a request to leave without
 *   proof, when replies.unverified is "confirm") goes to the From address
 *   of the request with:
 *	Reply-To:   MAILTO_LOCAL+TOKEN@domain    (a plain reply is then proof)
 *	Message-ID: <confirm-UNIQUE.TOKEN@msgid_domain>
 *	            UNIQUE: [0-9a-z-]*, e.g. the time "20260612t083000"
 *	Subject:    REPLIES_CONFIRM_SUBJECT
 *	Body:       REPLIES_CONFIRM_MARKER TOKEN on a line of its own, e.g.
 *	            "Référence : confirm-TOKEN", and the words "reply to this
 *	            message to confirm" ("répondez à ce message pour confirmer")
 *   A reply to it proves itself by any of the three: the tokened To, the
 *   confirm Message-ID in In-Reply-To/References, or the marker quoted in
 *   the body.
 * - A subscription confirmation message (the double opt-in: subscribe.h)
 *   goes to the address that asked, with
 *	Message-ID: <subscribe-UNIQUE.CTOKEN@msgid_domain>
 *	Body:       REPLIES_SUBSCRIBE_MARKER CTOKEN, the confirmation token
 *	            (TOKEN_CONFIRM_LEN characters), in the text
 *   A reply to it (not an automatic one, not asking to leave) confirms:
 *   the Message-ID in In-Reply-To/References or the marker quoted in the
 *   body is the proof.
 * Tokens are matched by shape only (TOKEN_LEN, or TOKEN_CONFIRM_LEN for
 * a subscription's, characters of [a-z2-7], any case); checking one
 * against the store is the caller's job (token_check).
 */
#define REPLIES_CONFIRM_SUBJECT \
	"Confirmez votre désinscription / Confirm your unsubscription"
#define REPLIES_CONFIRM_MARKER "confirm-"
#define REPLIES_CONFIRM_MSGID_PREFIX "confirm-"
#define REPLIES_SUBSCRIBE_MARKER "subscribe-"
#define REPLIES_SUBSCRIBE_MSGID_PREFIX "subscribe-"

/* The default size limit: a larger message is classified from its first
 * REPLIES_MAX_SIZE bytes (its header and first part, in practice). */
#define REPLIES_MAX_SIZE (1024 * 1024)

/* What the configuration says about our own addresses. */
struct replies_opts {
	const char *unsub_mailto; /* unsubscribe.mailto, "infolettre-unsubscribe@…";
	                           * NULL or "" when none */
	const char *bounce;       /* unsubscribe.bounce, "infolettre-bounces@…" */
	const char *msgid_domain; /* right-hand side of our Message-IDs; NULL:
	                           * any domain (the shape is checked) */
	size_t max_size;          /* 0: REPLIES_MAX_SIZE */
};

enum reply_token_kind {
	REPLY_TOKEN_UNSUBSCRIBE, /* MAILTO_LOCAL+TOKEN: the request itself */
	REPLY_TOKEN_BOUNCE,      /* BOUNCE_LOCAL+TOKEN: who bounced */
	REPLY_TOKEN_ISSUE,       /* <YYYY-MM.TOKEN@…>: the issue answered or
	                          * returned in a bounce */
	REPLY_TOKEN_CONFIRM,     /* a confirmation request answered */
	REPLY_TOKEN_SUBSCRIBE,   /* a subscription confirmation answered
	                          * (TOKEN_CONFIRM_LEN characters) */
};

enum reply_where {
	REPLY_IN_TO,
	REPLY_IN_CC,
	REPLY_IN_DELIVERED_TO,
	REPLY_IN_X_ORIGINAL_TO,
	REPLY_IN_IN_REPLY_TO,
	REPLY_IN_REFERENCES,
	REPLY_IN_BODY,     /* REPLIES_CONFIRM_MARKER in the text */
	REPLY_IN_RETURNED, /* the Message-ID of the message a bounce returns */
};

struct reply_token {
	char token[TOKEN_CONFIRM_LEN + 1]; /* lowercase */
	enum reply_token_kind kind;
	enum reply_where where;
	char issue[8];             /* "2026-06" for REPLY_TOKEN_ISSUE, else "" */
};

/* A recipient a delivery report or bounce names. */
struct reply_recipient {
	char *address;    /* addr-spec, domain lowercased */
	char status[16];  /* RFC 3463 "5.1.1", or "" when none was given */
	char *action;     /* RFC 3464 Action ("failed", "delayed", …) or NULL */
	char *diagnostic; /* Diagnostic-Code or the server's line, cleaned;
	                   * may be NULL */
	bool failed;      /* a failure (permanent or not), not a success */
	bool permanent;   /* 5.x.x, or Action failed without a Status */
};

/*
 * A classified message. Strings are UTF-8, cleaned of control characters
 * (safe to print); all are owned by the struct and freed by reply_free.
 */
struct reply {
	enum reply_class cls;
	bool proof;       /* unsubscribe: a token says who leaves (the token's
	                   * subscriber, whatever From says); false: only the
	                   * From address asks, which must be confirmed */
	bool truncated;   /* over max_size: only the first bytes were read */
	char *message_id; /* without <>, or NULL */
	char *from;       /* From addr-spec (domain lowercased), or NULL */
	char *from_name;  /* From display name, decoded, or NULL */
	char *subject;    /* decoded (RFC 2047); "" when none */
	char *date;       /* "2026-06-12 08:30:00 +0200", or as written, or NULL */
	const char *keyword; /* static: the words that asked to leave
	                      * ("désinscription", "stop", …), or NULL */
	struct reply_token *tokens;
	size_t ntokens;
	struct reply_recipient *rcpts; /* bounces: the recipients reported */
	size_t nrcpts;
	char *detail;     /* one short line: why this class */
};

/*
 * Classify the message data[0..len) (raw bytes as received; CRLF or LF).
 * Never fails: what cannot be parsed is REPLY_MALFORMED. When len is over
 * max_size only the first max_size bytes are read (out->truncated), so a
 * reader may pass a prefix of max_size + 1 bytes of a larger message.
 * Fills *out (free it with reply_free) and returns out->cls.
 */
enum reply_class replies_classify(const char *data, size_t len,
	const struct replies_opts *o, struct reply *out);

/* Free what a struct reply holds (it may be reused afterwards). */
void reply_free(struct reply *r);

/* "unsubscribe", "bounce-permanent", "bounce-transient", "auto-reply",
 * "other" or "malformed" (static). */
const char *replies_class_name(enum reply_class c);

/* The ADDRESSES of the classify listing: for an unsubscribe the From
 * address, for a bounce the failed recipients, comma-separated; "-" when
 * none. The caller frees it. */
char *replies_addresses(const struct reply *r);

/* "To", "Delivered-To", "In-Reply-To", "body", … (static). */
const char *replies_where_name(enum reply_where w);

/*
 * The pieces, exposed for the tests.
 */

/* The words asking to leave in s, a subject (subject: Re:/RE :/TR:/Fwd:
 * prefixes skipped) or the fresh lines of a reply: returns a static name
 * of the keyword found, or NULL. Any case, with or without accents. */
const char *replies_keyword(const char *s, bool subject);

/* The reply's own words in text (UTF-8): quoted lines (">") dropped;
 * a signature ("-- "), a reply header ("Le … a écrit :", "On … wrote:",
 * "-----Original Message-----", an Outlook "De :/Envoyé :" block) and
 * everything after it cut, except an attribution before any word of the
 * reply (a reply written below the quote); at most maxlines non-blank
 * lines, each trimmed. The caller frees the result. */
char *replies_fresh_text(const char *text, size_t maxlines);

/* Parse the body of a message/delivery-status part (RFC 3464): each
 * per-recipient block becomes an entry appended to r->rcpts. Returns the
 * number of entries added. */
size_t replies_parse_dsn(const char *s, size_t len, struct reply *r);

#endif
