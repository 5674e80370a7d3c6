/* secret.h - what a section (transport, inbox) signs in with: a password
 * (password_file, password_env, password_command) or an OAuth2 bearer
 * token (token_command, or the built-in client of an oauth2 block), per
 * its auth key. Secrets stay in memory, are wiped when dropped, and never
 * appear in an error. */
#ifndef INFOLETTRE_SECRET_H
#define INFOLETTRE_SECRET_H

#include <stdbool.h>

#include "config.h"

/* How long a command may take to answer, in seconds. */
#define SECRET_COMMAND_TIMEOUT 60

/* A token is used again until this many seconds before it expires. */
#define SECRET_TOKEN_MARGIN 60

enum secret_kind { SECRET_PASSWORD, SECRET_BEARER };

struct secret;

/*
 * Check section's sign-in keys ("transport" or "inbox" of c) and make its
 * source, or *out NULL when the section has no username (no sign-in).
 * Nothing is run or fetched yet. The rules: auth plain or login take the
 * password from exactly one of password_file, password_env and
 * password_command; xoauth2 and oauthbearer take the token from exactly
 * one of token_command and oauth2 (token_url and client_id required; a
 * client_secret_file or a refresh_token_file, each mode 0600); a username
 * is needed for either. EX_CONFIG with *err naming the keys, else 0.
 */
int secret_open(const struct config *c, const char *section,
	struct secret **out, char **err);

/* A password or a bearer token; the SASL mechanism a bearer goes with
 * ("XOAUTH2", "OAUTHBEARER") or, for a password, "LOGIN" when auth is
 * login and NULL for any. */
enum secret_kind secret_kind(const struct secret *s);
const char *secret_mechanism(const struct secret *s);

/*
 * The secret, into *out (the caller wipes and frees it). A password is
 * read or its command run on the first call and kept; a token is kept
 * until SECRET_TOKEN_MARGIN seconds before its expiry (a token_command's
 * until fresh). fresh: the server refused the last one: fetch again (the
 * command run again, the OAuth2 endpoint asked again). Safe to call from
 * several threads. Errors: EX_NOPERM (a command failed or answered
 * nothing, the token endpoint refused: *err names the command or the
 * endpoint, never a secret), EX_CONFIG, EX_UNAVAILABLE (the endpoint
 * cannot be reached), EX_TEMPFAIL (it answered 5xx).
 */
int secret_get(struct secret *s, bool fresh, char **out, char **err);

/* How many times the secret was fetched (a command run, the endpoint
 * asked): for logs and tests. */
long secret_fetches(const struct secret *s);

/* Wipe and free (NULL is fine). */
void secret_free(struct secret *s);

/*
 * The initial client response of a bearer's SASL mechanism, base64
 * encoded (caller frees): XOAUTH2 "user=U^Aauth=Bearer T^A^A";
 * OAUTHBEARER (RFC 7628) "n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A".
 */
char *secret_sasl_response(const char *mechanism, const char *user,
	const char *host, const char *port, const char *token);

/*
 * The string value of key in the top-level JSON object text (RFC 8259;
 * escapes decoded, a number as written), or NULL (caller frees) when it
 * is not there or the text is not an object.
 */
char *secret_json_get(const char *text, const char *key);

#endif
