/* archive.h - every published issue as a static folder: one page per
 * issue with its pictures and calendars, an index, an Atom feed */
#ifndef INFOLETTRE_ARCHIVE_H
#define INFOLETTRE_ARCHIVE_H

#include <stdbool.h>

#include "config.h"
#include "util.h"

/* Was the issue of month sent (the delivery journal says so)? */
typedef bool (*archive_sent_fn)(void *ctx, const char *month);

struct archive_opts {
	const char *out;      /* the folder to (re)write */
	bool all;             /* drafts too (a preview) */
	archive_sent_fn sent; /* may be NULL: only "published: true" */
	void *sent_ctx;
	long feed_entries;    /* the feed's last N issues */
};

/*
 * Build the archive into o->out, all or nothing (a temporary folder
 * beside it renamed into place): MONTH/index.html for each issue sent or
 * marked "published: true" (every issue with o->all), with the pictures
 * beside its issue.md and its events' .ics files; index.html, newest
 * first; feed.xml (Atom, RFC 4287) of the last o->feed_entries issues with
 * their full HTML. Links inside are relative; absolute ones come from
 * site.archive_url. Compose's warnings go to warn. Sets *count to the
 * issues written. Returns 0, or a compose status, or EX_CANTCREAT, with
 * *err.
 */
int archive_build(const struct config *c, const struct archive_opts *o,
	struct diags *warn, int *count, char **err);

/* The months under c->issues that have an issue.md, newest first
 * (a NULL-terminated list; free with archive_months_free). */
char **archive_months(const struct config *c);
void archive_months_free(char **v);

#endif
