/* cmd_form.c - infolettre form: the subscribe form's HTML snippet, for a
 * Hugo or Quarto page to paste */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "store.h"
#include "subscribe.h"
#include "token.h"
#include "util.h"

int
cmd_form(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	const struct config *c;
	struct store *st;
	unsigned char *secret = NULL;
	size_t len = 0;
	char *html = NULL, *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
		return rc;
	c = ctx->cfg;
	if (!*c->subscribe.url) {
		report("form: subscribe.url is not set: give the address where "
			"the web server runs infolettre cgi's subscribe route "
			"(e.g. https://example.org/inscription)");
		return EX_CONFIG;
	}
	/* the store and the secret the endpoint will need, made now when
	 * missing (the endpoint never creates them) */
	if ((rc = cmd_open_store(ctx, "form", &st)) != 0)
		return rc;
	store_close(st);
	if ((rc = token_secret(c->subscribers.secret_file, &secret, &len,
	    &err)) != 0)
		return cmd_error("form", rc, err);
	/* the time in the form is when it was made: a page that pastes it
	 * keeps it, and it is always older than subscribe.min_seconds */
	rc = subscribe_form(c, secret, len, (long long)time(NULL),
		c->subscribe.url, NULL, NULL, NULL, &html, &err);
	explicit_bzero(secret, len);
	free(secret);
	if (rc)
		return cmd_error("form", rc, err);
	fputs(html, stdout);
	free(html);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		report("form: cannot write the output");
		return EX_IOERR;
	}
	return 0;
}
