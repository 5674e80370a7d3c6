/* mime.h - one composed issue → a message template with personal slots */
#ifndef INFOLETTRE_MIME_H
#define INFOLETTRE_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "token.h" /* TOKEN_LEN: a slot is overwritten in place by a token */

/*
 * The personal parts of a message are slots. Where the HTML, the text or
 * a header needs the subscriber's token it holds the slot, a marker of
 * exactly TOKEN_LEN characters that no escaping changes (capital letters
 * only, where tokens are lowercase), so the quoted-printable body is
 * encoded once per issue and each recipient's message is made by copying
 * bytes and overwriting the marker in place (mime_fill).
 *
 * Whatever holds the slot's text gets each recipient's token: a slot
 * content could write (in an image URL pointing at a tracker) would hand
 * every subscriber's token to a third party. So a message built from
 * content uses a slot made at random for that run (mime_slot_new), never
 * written to a file, and compose refuses content holding MIME_SLOT_PREFIX,
 * which every slot starts with.
 */
#define MIME_SLOT_PREFIX "TOKENSLOT"
/* A fixed slot: the default of mime_input.slot (tests), and the form in
 * which compose hashes its bodies, so that its output does not depend on
 * the random slot of the run. */
#define MIME_SLOT_TOKEN "TOKENSLOTXXXXXXXXXXXXXXXXXXXXXXX" /* 32 chars */

/* Make a new slot into slot: MIME_SLOT_PREFIX, then letters A-Z from
 * GnuTLS's random generator (gnutls_rnd, GNUTLS_RND_RANDOM): 23 letters,
 * 108 bits nobody can guess. Returns 0, or -1 when the generator fails. */
int mime_slot_new(char slot[TOKEN_LEN + 1]);

/* Is s a slot: TOKEN_LEN characters of [A-Z] starting with
 * MIME_SLOT_PREFIX? */
bool mime_slot_ok(const char *s);

/* An image embedded as a multipart/related part. */
struct mime_image {
	const char *cid;          /* "img1.2026-06@ssphub.example.fr" (no <>) */
	const char *content_type; /* "image/png" */
	const char *filename;     /* for Content-Disposition: inline */
	const void *data;
	size_t len;
};

/* A file attached to the message (the issue's calendar). */
struct mime_attachment {
	const char *filename;     /* "evenements-2026-06.ics" */
	const char *content_type; /* "text/calendar; method=PUBLISH" (with
	                           * its parameters; charset=utf-8 is added) */
	const void *data;
	size_t len;
};

/* Everything that is the same for every recipient. Strings are UTF-8;
 * the header values are encoded (RFC 2047) by mime_build. */
struct mime_input {
	const char *from;         /* "SSP Hub <infolettre@ssphub.example.fr>",
	                           * "\"Hub, SSP\" <…>" or a bare address */
	const char *reply_to;     /* the same forms; may be NULL or "" */
	const char *subject;
	const char *list_title;   /* the List-Id phrase */
	const char *list_id;      /* "infolettre.ssphub.example.fr" */
	const char *archive_url;  /* List-Archive; may be NULL */
	const char *slot;         /* the slot the bodies and URLs hold
	                           * (mime_slot_ok); NULL: MIME_SLOT_TOKEN */
	const char *unsub_url;    /* with the slot in it; may be NULL */
	const char *unsub_mailto; /* "infolettre-unsubscribe+SLOT@…" (an address,
	                           * "mailto:" optional; "?subject=unsubscribe"
	                           * is added); may be NULL */
	const char *msgid_domain; /* right-hand side of Message-IDs */
	const char *issue_id;     /* "2026-06": in Message-IDs and boundaries */
	const char *html;         /* the HTML body, with slots */
	const char *text;         /* the plain text body, with slots */
	const struct mime_image *images;
	size_t nimages;
	const struct mime_attachment *attachments; /* after the bodies, in a
	                           * multipart/mixed; may be NULL */
	size_t nattachments;
	long long date;           /* the Date header, seconds since the epoch,
	                           * written in UTC ("+0000") so that the bytes
	                           * do not depend on the machine's zone */
	const char *seed;         /* bytes that make boundaries deterministic
	                           * (e.g. a hash of the bodies); NULL is "".
	                           * Boundaries are "=_alt_"/"=_rel_" and hex
	                           * of SHA-256(seed, issue_id): no random
	                           * numbers, clock or host name anywhere */
};

/* A recipient's slots. */
struct mime_recipient {
	const char *name;   /* display name, may be NULL or "" */
	const char *email;
	const char *token;  /* exactly TOKEN_LEN characters [a-z2-7] */
	long long date;     /* its Date, seconds since the epoch; 0: the
	                     * template's (mime_input.date) */
};

struct mime_msg; /* the prepared message, opaque */

/*
 * Build the message template: multipart/alternative of text/plain
 * (quoted-printable) and text/html (quoted-printable), the HTML inside a
 * multipart/related with the images (base64, Content-ID) when there are
 * any; headers From, To (slot), Reply-To, Subject, Date, Message-ID
 * ("<ISSUE.TOKEN@msgid_domain>", a slot), MIME-Version, List-Id,
 * List-Unsubscribe, List-Unsubscribe-Post (only with unsub_url),
 * List-Archive, Precedence: bulk. 7-bit, CRLF, header lines folded at 78
 * (a URL or address longer than that stays whole on its line), no line
 * over 998, quoted-printable lines of 76 that never cut a slot marker.
 * Non-ASCII header text is RFC 2047 (see mime_encode_words). Display
 * names (From, Reply-To, To, the List-Id phrase) likewise, quoted when
 * ASCII needs it and holds no "=?", with runs of white space (a no-break
 * space too) read as one space and the ends trimmed, as readers take a
 * phrase (RFC 5322 3.2.2); a name of white space only is left out.
 * Nothing of in is kept.
 * Refused with EX_DATAERR and *err: a slot that is not one, a header value (subject, list title,
 * from, reply-to, URLs, file names) with CR, LF or another control
 * character or invalid UTF-8, a body that is not UTF-8, an address that
 * is not plausible, a bad list id, issue id, domain, Content-ID or type.
 * On success *out is freed with mime_msg_free.
 */
int mime_build(const struct mime_input *in, struct mime_msg **out, char **err);

/* Append the complete message for r to out (CRLF line ends): a copy of
 * the template with the To and Date headers inserted and each token slot
 * overwritten. Returns 0, or EX_DATAERR with *err (and nothing appended)
 * when r's name holds CR, LF or another control character or is not
 * UTF-8, its address is not plausible (dot-atom@host name), its token
 * is not exactly TOKEN_LEN characters of [a-z2-7], or its date is out of
 * range. */
int mime_fill(const struct mime_msg *m, const struct mime_recipient *r,
	struct buf *out, char **err);

/* The Message-ID mime_fill gives r's message, without <> (caller frees);
 * NULL when r's token is malformed. */
char *mime_message_id(const struct mime_msg *m, const struct mime_recipient *r);

void mime_msg_free(struct mime_msg *m);

/* A message the program writes to one person (a confirmation request):
 * one text/plain part, or with html multipart/alternative of the text and
 * the HTML; quoted-printable, the same header writer as mime_build
 * (RFC 2047, folding at 78). */
struct mime_notice {
	const char *from;           /* the forms of mime_input.from */
	const char *to;             /* a bare address */
	const char *reply_to;       /* the same forms; may be NULL or "" */
	const char *subject;
	const char *message_id;     /* without <> */
	const char *in_reply_to;    /* without <>; also References; left
	                             * out when NULL or not a plain id */
	const char *auto_submitted; /* "auto-replied" (RFC 3834), or NULL */
	long long date;             /* written in UTC */
	const char *text;           /* UTF-8, LF or CRLF line ends */
	const char *html;           /* the same as HTML, or NULL */
};

/* Append the message n to out (CRLF line ends). EX_DATAERR with *err
 * and nothing appended when a field cannot go in its header or the text
 * is not UTF-8. */
int mime_notice(const struct mime_notice *n, struct buf *out, char **err);

/* RFC 2047: the UTF-8 text s as it may appear in an unstructured header
 * such as Subject, unfolded. Words of printable ASCII stay as they are
 * (so ASCII text comes back unchanged); each run of words that needs
 * encoding (non-ASCII, a tab, "=?", a word over 60
 * characters, spacing other than single spaces) becomes encoded-words
 * (UTF-8, Q, or B when much shorter) of at most 60 characters, cut only
 * between UTF-8 characters. Units are separated by single spaces, where a
 * header writer may fold. The caller frees it; NULL when s holds CR, LF or
 * another control character (a tab is encoded) or is not valid UTF-8. */
char *mime_encode_words(const char *s);

#endif
