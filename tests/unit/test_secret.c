/* test_secret.c - the SASL responses of a bearer token, the JSON of a
 * token endpoint, the rules of the sign-in keys, a command's answer */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "secret.h"
#include "util.h"

/* Expected values computed with Python's base64 module. */
static void
sasl(void)
{
	char *r = secret_sasl_response("XOAUTH2", "u@example.org", "h", "1",
		"T0k");

	CHECK_STR(r, "dXNlcj11QGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIFQwawEB");
	free(r);
	/* RFC 7628: ',' and '=' of the user escaped in the GS2 header */
	r = secret_sasl_response("OAUTHBEARER", "a,b=@x.org", "imap.x.org",
		"993", "T0k");
	CHECK_STR(r, "bixhPWE9MkNiPTNEQHgub3JnLAFob3N0PWltYXAueC5vcmcBcG9y"
		"dD05OTMBYXV0aD1CZWFyZXIgVDBrAQE=");
	free(r);
}

static void
json(void)
{
	const char *t = "{\"token_type\": \"Bearer\", \"expires_in\": 3599,"
		" \"ext\": {\"access_token\": \"nested\", \"a\": [1, {\"b\": 2}]},"
		" \"access_token\": \"ey\\u00e9\\\"J\\/x\", \"ok\": true}";
	char *v;

	v = secret_json_get(t, "access_token");
	CHECK_STR(v, "ey\xc3\xa9\"J/x");
	free(v);
	v = secret_json_get(t, "expires_in");
	CHECK_STR(v, "3599");
	free(v);
	v = secret_json_get(t, "ok");
	CHECK_STR(v, "true");
	free(v);
	CHECK(secret_json_get(t, "refresh_token") == NULL);
	CHECK(secret_json_get("[\"access_token\"]", "access_token") == NULL);
	CHECK(secret_json_get("{\"access_token\": \"unterminated", "access_token") == NULL);
	CHECK(secret_json_get("", "x") == NULL);
}

static struct config *
load(const char *yaml)
{
	char path[] = "/tmp/test_secret.XXXXXX";
	int fd = mkstemp(path);
	struct config *c = NULL;
	char *err = NULL;

	if (fd < 0 || write(fd, yaml, strlen(yaml)) != (ssize_t)strlen(yaml))
		exit(1);
	close(fd);
	if (config_load(path, &c, &err) != 0) {
		printf("FAIL config: %s\n", err);
		exit(1);
	}
	unlink(path);
	return c;
}

#define HEAD "newsletter: {title: T, from: \"a@example.org\"}\n" \
	"site: {root: /tmp, base_url: \"https://x/\"}\n"

static void
rules(void)
{
	static const struct { const char *yaml; int rc; } cases[] = {
		{ HEAD "transport: {username: u, auth: xoauth2, token_command: [/bin/echo, t]}\n", 0 },
		{ HEAD "transport: {username: u, auth: xoauth2}\n", EX_CONFIG },
		{ HEAD "transport: {auth: xoauth2, token_command: [/bin/echo]}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, auth: xoauth2, token_command: [/bin/echo], password_env: X}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, auth: oauthbearer, token_command: [/bin/echo], oauth2: {token_url: \"https://x/t\", client_id: c}}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, auth: xoauth2, oauth2: {token_url: \"http://x/t\", client_id: c, client_secret_file: /x}}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, auth: xoauth2, oauth2: {token_url: \"https://x/t\", client_id: c}}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, auth: xoauth2, oauth2: {token_url: \"https://x/t\", client_id: c, refresh_token_file: /x}}\n", 0 },
		{ HEAD "transport: {username: u, password_command: [/bin/echo, pw]}\n", 0 },
		{ HEAD "transport: {username: u, password_command: [/bin/echo], password_env: X}\n", EX_CONFIG },
		{ HEAD "transport: {username: u, token_command: [/bin/echo]}\n", EX_CONFIG },
		{ HEAD "transport: {username: u}\n", EX_CONFIG },
		{ HEAD "transport: {}\n", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct config *c = load(cases[i].yaml);
		struct secret *s = NULL;
		char *err = NULL;
		int rc = secret_open(c, "transport", &s, &err);

		if (rc != cases[i].rc)
			printf("# case %zu: %s\n", i, err ? err : "(no error)");
		CHECK_INT(rc, cases[i].rc);
		free(err);
		secret_free(s);
		config_free(c);
	}
}

static void
command(void)
{
	struct config *c = load(HEAD "transport: {username: u, auth: oauthbearer,"
		" token_command: [/bin/printf, \"tok-1\\r\\nnext\\n\"]}\n");
	struct secret *s = NULL;
	char *err = NULL, *v = NULL;

	CHECK_INT(secret_open(c, "transport", &s, &err), 0);
	CHECK_STR(secret_mechanism(s), "OAUTHBEARER");
	CHECK_INT(secret_kind(s), SECRET_BEARER);
	CHECK_INT(secret_get(s, false, &v, &err), 0);
	CHECK_STR(v, "tok-1");
	free(v);
	/* kept: not run again, until refused */
	CHECK_INT(secret_get(s, false, &v, &err), 0);
	free(v);
	CHECK_INT(secret_fetches(s), 1);
	CHECK_INT(secret_get(s, true, &v, &err), 0);
	free(v);
	CHECK_INT(secret_fetches(s), 2);
	secret_free(s);
	config_free(c);

	c = load(HEAD "transport: {username: u, password_command: [/bin/false]}\n");
	CHECK_INT(secret_open(c, "transport", &s, &err), 0);
	CHECK_INT(secret_get(s, false, &v, &err), EX_NOPERM);
	CHECK(err && strstr(err, "`/bin/false` exited with status 1"));
	free(err);
	secret_free(s);
	config_free(c);
}

int
main(void)
{
	RUN(sasl);
	RUN(json);
	RUN(rules);
	RUN(command);
	return 0;
}
