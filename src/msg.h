/* msg.h - reading a message: header fields, charsets, RFC 2047 words,
 * addresses, the MIME walk, HTML made text. Nothing here decides what a
 * message is: replies.c classifies. */
#ifndef INFOLETTRE_MSG_H
#define INFOLETTRE_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include <libetpan/libetpan.h>

#include "util.h"

#define MSG_MAX_DEPTH 24    /* MIME nesting looked into */
#define MSG_MAX_PARTS 256   /* MIME parts looked at */

/* ASCII character classes (bytes above 0x7f are none of them). */
static inline int msg_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static inline bool msg_is_space(int c)
{ return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static inline bool msg_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool msg_is_alnum(int c)
{ return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || msg_is_digit(c); }

/* Is s[0..n) the string t, ignoring ASCII case? */
bool msg_eq_ci(const char *s, size_t n, const char *t);
/* Does s[0..n) start with t, ignoring ASCII case? */
bool msg_starts_ci(const char *s, size_t n, const char *t);
/* Where t (lowercase) occurs in s[0..n), ignoring ASCII case; NULL if not. */
const char *msg_find_ci(const char *s, size_t n, const char *t);
/* Trim ASCII white space from both ends of s[0..*n); returns the start. */
const char *msg_trim(const char *s, size_t *n);
/* Text from outside made printable: line breaks and tabs become spaces,
 * runs of white space one space, NUL, control characters and invalid
 * UTF-8 '?'; trimmed; at most max bytes (cut at a character boundary,
 * "…" added). The caller frees it. */
char *msg_clean(const char *s, size_t n, size_t max);

/* RFC 2047: a header value decoded to UTF-8 (caller frees), raw 8-bit
 * bytes taken as UTF-8 when valid, else as Latin-1 (Windows-1252). */
char *msg_decode_words(const char *s, size_t n);

/* One header field: pointers into the message. */
struct msg_field {
	const char *name, *raw, *val;
	size_t namelen, rawlen, vallen;
};

/* A header: its fields, in order. */
struct msg_header {
	struct msg_field *v;
	size_t n, cap;
	size_t end;      /* where the body starts */
	size_t bad;      /* lines that are neither fields nor continuations */
	bool first_bad;  /* the first line is not a field */
	bool nul;        /* a NUL byte in the header */
};

/* Split the header at the start of p[0..len) into h (zero-initialised;
 * free h->v): fields with their continuation lines, until the blank line
 * or the end. Never fails. */
void msg_header_split(const char *p, size_t len, struct msg_header *h);
/* The first field named name (case-insensitive), or NULL. */
const struct msg_field *msg_header_get(const struct msg_header *h,
	const char *name);
/* A field's value unfolded, trimmed, NUL bytes dropped; the caller frees. */
char *msg_field_value(const struct msg_field *f);
/* Are the comment parentheses of s[0..n) balanced and not too deep for
 * libetpan (which recurses)? */
bool msg_parens_ok(const char *s, size_t n);
/* One field parsed by libetpan (free with mailimf_fields_free), or NULL. */
struct mailimf_fields *msg_imf_parse(const struct msg_field *f);
/* Its first field, or NULL. */
struct mailimf_field *msg_imf_first(struct mailimf_fields *fs);

/* An addr-spec we can use: local@domain, printable, no spaces or commas.
 * Returns a copy with the domain lowercased (caller frees), or NULL. */
char *msg_addr_norm(const char *s, size_t n);
/* The addresses of an address-list field value, each msg_addr_norm'ed,
 * appended to out. */
void msg_addr_list(const char *val, size_t vallen, struct strlist *out);

/* HTML to plain text (UTF-8 in, UTF-8 out): tags dropped, block elements
 * end lines, entities decoded, <blockquote> content prefixed with "> ",
 * <style>/<script>/<head> dropped. The caller frees the result. */
char *msg_html_text(const char *html, size_t len);

/* A leaf of the MIME tree: a part that is not multipart. */
struct msg_leaf {
	char type[24], subtype[40], charset[40];
	int enc;          /* MAILMIME_MECHANISM_* */
	bool attachment;
	bool in_message;  /* inside a message/rfc822: a quoted or returned one */
	const char *body;
	size_t len;
};

/* The walk over a message's MIME tree. */
struct msg_walk {
	struct msg_leaf *v;
	size_t n, cap;
	size_t parts;
	bool report;           /* the message is a multipart/report */
	char report_type[32];
	const char *returned;  /* the header of a returned message, if any */
	size_t returnedlen;
	bool limited;          /* a limit was hit: stop walking */
	bool deep, wide;       /* which one */
};

/* Walk the message p[0..len) whose header is top (already split) into w
 * (zero-initialised; free with msg_walk_free): the leaves in order, at
 * most MSG_MAX_DEPTH deep and MSG_MAX_PARTS parts (w->limited says a limit
 * was hit). Linear in len. */
void msg_walk(struct msg_walk *w, const char *p, size_t len,
	const struct msg_header *top);
void msg_walk_free(struct msg_walk *w);
/* A leaf's content, transfer-decoded, in UTF-8 (caller frees); HTML made
 * text when html is set. */
char *msg_leaf_text(const struct msg_leaf *l, bool html);
/* The text of the message: its first text/plain part, else its first
 * text/html made text; not an attachment, not in a quoted message. The
 * caller frees it. */
char *msg_walk_text(const struct msg_walk *w);

#endif
