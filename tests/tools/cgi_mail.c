/* cgi_mail.c - what the unsubscribe tests need from the store and from
 * compose, made by the modules themselves:
 *
 *	cgi_mail CONFIG tokens
 *		prints "EMAIL TOKEN" (tab-separated) for every subscriber
 *	cgi_mail CONFIG message MONTH EMAIL
 *		prints the message the issue MONTH makes for subscriber EMAIL:
 *		compose_build's message template filled (mime_fill) with the
 *		subscriber's name, address and real token, as send does
 *	cgi_mail CONFIG confirm-token EMAIL DAY
 *		prints the subscription confirmation token of subscriber
 *		EMAIL that expires on DAY (days since 1970-01-01; "today-1"
 *		and "today" as they say), made with the list's secret
 *
 * Exit status: 0, 64 on usage errors, else the failing module's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "compose.h"
#include "config.h"
#include "mime.h"
#include "store.h"
#include "token.h"
#include "util.h"

static int
bad(int rc, char *err)
{
	fprintf(stderr, "cgi_mail: %s\n", err ? err : "failed");
	free(err);
	return rc;
}

static int
print_token(void *ctx, const struct subscriber *s)
{
	char t[TOKEN_LEN + 1];

	store_token(ctx, s, t);
	printf("%s\t%s\n", s->email, t);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config *c = NULL;
	struct store *st = NULL;
	unsigned char *secret = NULL;
	size_t len = 0;
	char *err = NULL;
	int rc;

	if (argc < 3 || (strcmp(argv[2], "tokens") != 0 &&
	    ((strcmp(argv[2], "message") != 0 &&
	    strcmp(argv[2], "confirm-token") != 0) || argc != 5))) {
		fprintf(stderr, "usage: cgi_mail CONFIG tokens | "
			"cgi_mail CONFIG message MONTH EMAIL | "
			"cgi_mail CONFIG confirm-token EMAIL DAY\n");
		return EX_USAGE;
	}
	if ((rc = config_load(argv[1], &c, &err)) != 0)
		return bad(rc, err);
	if ((rc = token_secret(c->subscribers.secret_file, &secret, &len,
	    &err)) != 0 ||
	    (rc = store_open(c->subscribers.database, secret, len, &st,
	    &err)) != 0) {
		free(secret);
		config_free(c);
		return bad(rc, err);
	}
	if (strcmp(argv[2], "tokens") == 0) {
		rc = store_list(st, -1, print_token, st, &err);
	} else if (strcmp(argv[2], "confirm-token") == 0) {
		struct subscriber s;
		char t[TOKEN_CONFIRM_LEN + 1];
		long today = store_today((long long)time(NULL)), day;

		day = strcmp(argv[4], "today") == 0 ? today :
		    strcmp(argv[4], "today-1") == 0 ? today - 1 :
		    strtol(argv[4], NULL, 10);
		if ((rc = store_find(st, argv[3], &s, &err)) == 0) {
			token_confirm_make(secret, len, s.id, s.email, day, t);
			printf("%s\n", t);
			store_subscriber_free(&s);
		}
	} else {
		struct composed cp;
		struct diags warn = { NULL, 0, 0 };
		struct subscriber s;
		struct buf msg = BUF_INIT;
		char t[TOKEN_LEN + 1];

		if ((rc = store_find(st, argv[4], &s, &err)) == 0) {
			store_token(st, &s, t);
			if ((rc = compose_build(c, argv[3], &cp, &warn,
			    &err)) == 0) {
				struct mime_recipient r = { s.name, s.email,
					t, 0 };

				if ((rc = mime_fill(cp.msg, &r, &msg,
				    &err)) == 0)
					fwrite(msg.data, 1, msg.len, stdout);
				compose_free(&cp);
			}
			diags_free(&warn);
			store_subscriber_free(&s);
		}
		buf_free(&msg);
	}
	free(secret);
	store_close(st);
	config_free(c);
	if (rc)
		return bad(rc, err);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
