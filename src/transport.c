/* transport.c - pick the transport from transport.url, then dispatch */
#include "transport.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "transport_priv.h"
#include "util.h"

/* Does url start with scheme (case-insensitively)? */
static bool
has_scheme(const char *url, const char *scheme)
{
	return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

bool
transport_addr_ok(const char *s)
{
	/* printable ASCII without angle brackets (nothing that could end the
	 * SMTP command or its <path>); a space only in a quoted local part */
	if (!*s || !addr_ascii(s) || strpbrk(s, "<>"))
		return false;
	return !strchr(s, ' ') || addr_valid(s);
}

int
transport_open(const struct config *c, transport_done_fn done, void *ctx,
	struct transport **out, char **err)
{
	const char *url = c->transport.url;
	struct transport *t = NULL;
	int rc;

	*out = NULL;
	if (has_scheme(url, "maildir:"))
		rc = transport_maildir_open(c, url + strlen("maildir:"), &t, err);
	else if (has_scheme(url, "smtp://") || has_scheme(url, "smtps://"))
		rc = transport_smtp_open(c, &t, err);
	else {
		/* Only the scheme is echoed: the rest may hold a password. */
		char *scheme = xstrndup(url, strcspn(url, ":/@"));
		char *clean = sanitize(scheme);

		rc = fail(err, EX_CONFIG, "transport.url: unknown scheme \"%s\" "
			"(expected maildir:PATH, smtp://HOST:PORT or "
			"smtps://HOST:PORT)", clean);
		free(clean);
		free(scheme);
	}
	if (rc)
		return rc;
	t->done = done;
	t->ctx = ctx;
	*out = t;
	return 0;
}

bool
transport_ready(struct transport *t)
{
	return t->ops->ready(t);
}

void
transport_submit(struct transport *t, struct tmsg *m)
{
	t->ops->submit(t, m);
}

size_t
transport_run(struct transport *t, int timeout_ms)
{
	return t->ops->run(t, timeout_ms);
}

bool
transport_unreachable(const struct transport *t)
{
	return t->unreachable;
}

bool
transport_auth_failed(const struct transport *t)
{
	return t->auth_failed;
}

const char *
transport_config_error(const struct transport *t)
{
	return t->config_error;
}

void
transport_close(struct transport *t)
{
	if (t)
		t->ops->close(t);
}

const char *
transport_describe(const struct transport *t)
{
	return t->describe;
}

const char *
transport_warning(const struct transport *t)
{
	return t->warning;
}

size_t
transport_connections(const struct transport *t)
{
	return t->connections;
}
