/* bounce.c - the bounce policy (bounce.h) */
#include "bounce.h"

#include <string.h>

#include "util.h"

/* The words of servers that say an address does not exist, in the
 * answers of Postfix, Exim, Sendmail, Exchange, Gmail and others. */
static const char *const gone_words[] = {
	"user unknown", "unknown user", "no such user", "unknown recipient",
	"recipient unknown", "no such mailbox", "mailbox not found",
	"does not exist", "doesn't exist", "no such recipient",
	"invalid recipient", "unknown local part", "unrouteable address",
	"user not found", "recipient not found", "address rejected",
	"account has been disabled", "account is disabled",
	"mailbox is disabled", "no mailbox here", "not a valid mailbox",
	"unknown or illegal alias", "mailbox unknown",
	"user doesn't have", "user does not have", /* Yahoo */
	"no longer available", "is not a known user",
};

enum bounce_kind
bounce_kind(bool permanent, const char *status, const char *text)
{
	bool code = status && *status && strcmp(status + 1, ".0.0") != 0;

	if (!permanent)
		return BOUNCE_TRANSIENT;
	/* a specific code says it all (RFC 3463 X.1.x: addressing) */
	if (code)
		return str_starts(status, "5.1.") ||
		    strcmp(status, "5.2.1") == 0 ? BOUNCE_PERMANENT :
		    BOUNCE_TRANSIENT;
	if (text && *text) {
		for (size_t i = 0; i < sizeof(gone_words) /
		    sizeof(gone_words[0]); i++)
			if (strcasestr(text, gone_words[i]))
				return BOUNCE_PERMANENT;
		return BOUNCE_TRANSIENT;
	}
	return BOUNCE_PERMANENT; /* nothing to go by but "failed" */
}

long
bounce_threshold(const struct bounce_policy *p, enum bounce_kind kind)
{
	long t = kind == BOUNCE_PERMANENT ? p->permanent_threshold :
	    p->transient_threshold;

	return t < 1 ? 1 : t;
}

bool
bounce_marks(const struct bounce_policy *p, enum bounce_kind kind,
	long count)
{
	return count >= bounce_threshold(p, kind);
}

void
bounce_status_code(const char *reply, char out[16])
{
	const char *p = reply;
	size_t n = 0;
	int dots = 0;

	out[0] = '\0';
	if (!p || strlen(p) < 4 || p[3] != ' ')
		return;
	p += 4;
	if (p[0] < '2' || p[0] > '5' || p[1] != '.')
		return;
	while (n < 15 && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.')) {
		if (p[n] == '.')
			dots++;
		n++;
	}
	if (dots != 2 || p[n - 1] == '.' || (p[n] && p[n] != ' '))
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}
