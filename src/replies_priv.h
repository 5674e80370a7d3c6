/* replies_priv.h - what replies.c (classifying a message) and
 * replies_bounce.c (reading a bounce: DSN reports and bounces in words)
 * share. Not for other modules. */
#ifndef INFOLETTRE_REPLIES_PRIV_H
#define INFOLETTRE_REPLIES_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "msg.h"
#include "replies.h"
#include "util.h"

#define MAX_RCPTS 64
#define MAX_TOKENS 32

/* One message being classified. */
struct cls {
	const struct replies_opts *o;
	char unsub[128], bounce[128];  /* local parts, lowercased */
	struct msg_header h;
	struct msg_walk w;
	const char *body;              /* the raw body, after the header */
	size_t bodylen;
	char *text;                    /* the message's text, UTF-8 */
	bool to_unsub;                 /* sent to the unsubscribe address */
	bool rp_empty;                 /* Return-Path: <> */
	char *auto_why;                /* the automatic-reply marker found */
	char *list_why;                /* the mailing-list marker found */
	struct strlist failed;         /* X-Failed-Recipients */
	struct buf fsubj;              /* the subject folded for matching */
	struct buf detail;
};

/* The message's text (UTF-8), made once. */
const char *cls_text(struct cls *m);

/* Lines of a text: next_line gives each (without its end) in *s, *n. */
struct lines {
	const char *p, *end;
};
bool next_line(struct lines *it, const char **s, size_t *n);

/* s (n bytes) folded for matching into out: lowercased, accents
 * removed, blanks collapsed (see replies.c). */
void fold(const char *s, size_t n, struct buf *out);

/* The local part of an address before '+' and '@' (lowercased) into out. */
void local_base(const char *addr, char *out, size_t outsz);

/* Does the folded text s (n bytes) hold one of the phrases of list
 * (NULL-terminated)? */
bool any_of(const char *s, size_t n, const char *const *list);

/* A bounce that says it in words (no DSN report): true, with r's
 * recipients and *permanent, when m's subject and text read as one. */
bool bounce_by_text(struct cls *m, struct reply *r, bool *permanent);

/* The recipients of a DSN that named no address (a Final-Recipient that
 * is a file name or "@host") get those of X-Failed-Recipients, else those
 * the report's text names (replies_bounce.c), in order. */
void bounce_fill_addresses(struct cls *m, struct reply *r);

/* r's recipients from index from on freed (address, action, diagnostic)
 * and dropped; the array stays. */
void replies_rcpts_drop(struct reply *r, size_t from);

/* Is addr already one of r's recipients? */
bool replies_has_rcpt(const struct reply *r, const char *addr);

#endif
