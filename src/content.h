/* content.h - scan the site, read front matter, pick the month's items */
#ifndef INFOLETTRE_CONTENT_H
#define INFOLETTRE_CONTENT_H

#include <stdbool.h>

#include "config.h"
#include "date.h"
#include "util.h"

enum section {
	SECTION_POST,        /* a post dated in the month */
	SECTION_EVENT_MONTH, /* an event starting in the month */
	SECTION_EVENT_NEXT,  /* an event starting in the next month */
};

/* One post or event. All strings are owned by the item; optional ones are
 * NULL when the front matter does not have them. */
struct item {
	enum section section;
	char *source;      /* path relative to site.root */
	char *path;        /* path to the file */
	char *url;         /* absolute page URL under site.base_url */
	char *title;       /* as written: Markdown inline allowed */
	char *subtitle;
	char *description; /* description or summary */
	char *location;
	char *image;       /* as written in the front matter */
	int image_line, image_col;  /* where (0 when unknown) */
	int description_line;       /* the line of the description's value */
	struct strlist authors, categories;
	struct date date;
	struct date date_end;
	bool has_end;
};

struct items {
	struct item *v;
	size_t n, cap;
};

/* The label of a section as collect prints it: "post", "event-month",
 * "event-next". */
const char *content_section_name(enum section s);

/*
 * Scan the configured post and event folders under site.root and return in
 * *out, sorted by date (and time), then title as printed, then source, the
 * posts dated in month and the events starting in month and the next.
 * Not content, and left out silently: drafts, section pages (_index.*), a
 * configured folder's own index page (a Quarto listing), a bundle's other
 * files, the language variant that is not newsletter.language (the plain
 * file stands for the language when it has no variant), and in Quarto
 * trees (not under content/) every name starting with '_'. Every file left
 * out for a reason the editors should know (broken YAML, no date, too
 * large, unreadable, a symlink loop, …) adds one diagnostic to warn; those
 * are sorted by file. Memory does not grow with the files outside the
 * month. Returns 0; a missing site.root is EX_NOINPUT with *err set. The
 * caller frees *out with items_free.
 */
int content_collect(const struct config *c, struct month month,
	struct items *out, struct diags *warn, char **err);

/*
 * Read one content file's data (len bytes, NUL-terminated) into *it.
 * source is the path relative to the site root (for the URL and the
 * messages), file the path to print. Returns 0 when the file is content,
 * 1 when it is not and says nothing (a draft), -1 when it is left out with
 * a diagnostic added to warn. On 0 the caller frees it with item_free.
 */
int content_read(const struct config *c, const char *file, const char *source,
	const char *data, size_t len, struct item *it, struct diags *warn);

void item_free(struct item *it);
void items_free(struct items *l);

#endif
