/* compose.h - items + editorial → HTML, text, archive page and message */
#ifndef INFOLETTRE_COMPOSE_H
#define INFOLETTRE_COMPOSE_H

#include <stdbool.h>

#include "config.h"
#include "date.h"
#include "mime.h"
#include "util.h"

/* The sample recipient of newsletter.eml and the previews, and the
 * placeholder token it gets (TOKEN_LEN characters of [a-z2-7]). */
#define COMPOSE_SAMPLE_NAME "Camille Exemple"
#define COMPOSE_SAMPLE_EMAIL "camille.exemple@example.fr"
#define COMPOSE_SAMPLE_TOKEN "placeholdertokenplaceholdertoken"

/* issues/MONTH/issue.md */
struct issue {
	char *month;     /* "2026-06" */
	char *dir;       /* the issue's folder */
	char *path;      /* its issue.md */
	long number;     /* 0 when not given */
	char *subject;   /* never NULL: the default is title — month */
	char *preheader; /* "" when not given */
	struct date date;
	bool has_date;
	char *editorial; /* the body, Markdown */
	int editorial_line;
	bool published;  /* "published: true": in the archive before it is
	                  * sent */
};

/*
 * Read issues/MONTH/issue.md. Returns 0, EX_NOINPUT when it does not exist,
 * EX_DATAERR when its front matter is broken or a header value holds a NUL
 * (*err names file, line and column). CR and LF in the subject and
 * preheader are folded into spaces. The caller frees it with issue_free.
 */
int issue_load(const struct config *c, const char *month, struct issue *is,
	char **err);
void issue_free(struct issue *is);

/* An image embedded in the message. */
struct compose_image {
	char *path; /* the file */
	char *cid;
	char *content_type;
	char *data;
	size_t len;
};

/* One composed issue. */
/* A file compose writes beside the issue's files. */
struct compose_file {
	char *name; /* "2026-06-jdos.ics" */
	char *data;
};

struct composed {
	struct issue issue;
	char slot[TOKEN_LEN + 1]; /* the token slot of html, text and msg:
	                           * made at random for each compose_build
	                           * (mime_slot_new), never written to a file */
	char *html;         /* the HTML part, with slots */
	char *text;         /* the text part, with slots */
	char *html_preview; /* newsletter.html: image URLs, sample token */
	char *text_preview; /* newsletter.txt: sample token */
	char *web;          /* web.html: no personal links */
	char *eml;          /* newsletter.eml: the sample recipient's message */
	struct compose_image *images;
	size_t nimages;
	struct mime_msg *msg; /* the message template for send */
	long long date;       /* its Date: SOURCE_DATE_EPOCH, else the time
	                       * of composing (eml has the issue's date);
	                       * send dates each message as it builds it */
	char *calendar;       /* the events' calendar (ics.h) attached to the
	                       * message, or NULL: no event, or
	                       * compose.calendar false */
	char *calendar_name;  /* "evenements-2026-06.ics" */
	struct compose_file *ics; /* one calendar per event, written beside
	                       * web.html (its "add to calendar" link) */
	size_t nics;
	struct diags notes;   /* what compose did that the editors should
	                       * know and that is no fault (a picture scaled
	                       * down, the message's size): printed, never
	                       * an error under --strict */
};

/* The Date of a message built now to be sent: SOURCE_DATE_EPOCH, else the
 * time. */
long long compose_send_date(void);

/*
 * Compose the issue of month: collect the items, render the editorial and
 * the items, expand the templates, build the message. Lint findings (an
 * image without alt text, a link to a missing file, an HTML part over
 * 100 KB, a subject over 78 characters, an empty issue, an item without a
 * description, a message over compose.message_max_size, a picture still
 * over compose.image_max_size) and collect's warnings go to warn; the
 * pictures scaled down and the message's size to out->notes. A picture
 * that cannot be decoded is EX_DATAERR naming its file and line. Returns 0; EX_NOINPUT
 * (no issue.md, no template), EX_DATAERR (bad issue.md, template syntax
 * error, header injection, content holding MIME_SLOT_PREFIX: *err names
 * its file, and its line and column when the file holds it as written),
 * EX_OSERR (no random bytes for the slot) with *err. Frees with
 * compose_free.
 */
int compose_build(const struct config *c, const char *month,
	struct composed *out, struct diags *warn, char **err);

/* Write newsletter.html, .txt, .eml and web.html into the issue's folder:
 * all of them or none. Returns 0 or EX_CANTCREAT with *err. */
int compose_write(const struct composed *cp, char **err);

void compose_free(struct composed *cp);

/*
 * Scaffold issues/MONTH/issue.md: number = the previous issue's + 1,
 * subject, preheader, date, an editorial stub in newsletter.language.
 * Refuses to overwrite: EX_CANTCREAT. On success *path (caller frees) is
 * the file written.
 */
int issue_new(const struct config *c, const char *month, char **path,
	char **err);

/* Labels in the newsletter's language. */
const char *compose_month_name(const char *lang, int month);
/* "mercredi 16 juin 2026" / "Wednesday 16 June 2026", with the time
 * when d has one ("…, 9 h 30" / "…, 9:30"), and an end when given. The
 * caller frees it. */
char *compose_date_label(const char *lang, const struct date *d,
	const struct date *end);

#endif
