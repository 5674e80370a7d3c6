/* inbox.c - pick the reader from inbox.url, then dispatch */
#include "inbox.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inbox_priv.h"
#include "util.h"

static bool
has_scheme(const char *url, const char *scheme)
{
	return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

int
inbox_open(const struct config *c, bool readonly, struct inbox **out,
	char **err)
{
	const char *url = c->inbox.url;

	*out = NULL;
	if (has_scheme(url, "maildir:"))
		return inbox_maildir_open(c, url + strlen("maildir:"),
			readonly, out, err);
	if (has_scheme(url, "imap://") || has_scheme(url, "imaps://"))
		return inbox_imap_open(c, readonly, out, err);
	{
		/* Only the scheme is echoed: the rest may hold a password. */
		char *scheme = xstrndup(url, strcspn(url, ":/@"));
		char *clean = sanitize(scheme);
		int rc = fail(err, EX_CONFIG, "inbox.url: unknown scheme \"%s\" "
			"(expected maildir:PATH, imaps://HOST/FOLDER or "
			"imap://HOST/FOLDER)", clean);

		free(clean);
		free(scheme);
		return rc;
	}
}

int
inbox_next(struct inbox *ib, const struct inbox_msg **m, char **err)
{
	return ib->ops->next(ib, m, err);
}

int
inbox_mark(struct inbox *ib, char **err)
{
	return ib->ops->mark(ib, err);
}

char *
inbox_warning(const struct config *c)
{
	if (has_scheme(c->inbox.url, "imap://") && !c->inbox.starttls)
		return xstrdup("inbox.starttls is false: the inbox is read "
			"without TLS (replies and addresses travel in clear)");
	return NULL;
}

void
inbox_close(struct inbox *ib)
{
	if (ib)
		ib->ops->close(ib);
}
