/* token.h - per-subscriber HMAC tokens */
#ifndef INFOLETTRE_TOKEN_H
#define INFOLETTRE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>


/*
 * A token is TOKEN_LEN characters of lowercase base32 ([a-z2-7]), so it
 * survives mail systems that fold the case of local parts: the
 * subscriber's id, then a truncated HMAC-SHA256 (at least 128 bits) with
 * the list's secret over the id and the address (domain lowercased).
 * Layout: 6 characters of the id (30 bits, most significant first), then
 * the first 130 bits of HMAC-SHA256(secret, id as 8 bytes big-endian ||
 * address) in 26 characters. Ids must be in 1..TOKEN_MAX_ID.
 */

/* The length of a token (and of the slot a message holds in its place). */
#define TOKEN_LEN 32

/* The largest subscriber id a token can name (6 base32 characters). */
#define TOKEN_MAX_ID ((1LL << 30) - 1)

/* Make the token of subscriber id with address email into out (TOKEN_LEN
 * characters and a NUL). An id outside 1..TOKEN_MAX_ID is a programming
 * error (the store never hands one out): it dies with EX_SOFTWARE. */
void token_make(const unsigned char *secret, size_t secret_len, long long id,
	const char *email, char out[TOKEN_LEN + 1]);

/* The subscriber id a token names (without checking it), or -1 when the
 * token is malformed. Case-insensitive. */
long long token_id(const char *token);

/* Is token the valid token of (id, email)? Constant time in the MAC. */
bool token_check(const unsigned char *secret, size_t secret_len,
	long long id, const char *email, const char *token);

/* The length of token_hash's result: 64 lowercase hex digits. */
#define TOKEN_HASH_LEN 64

/* A keyed hash that names data without revealing it: hex of
 * HMAC-SHA256(secret, label || NUL || data), e.g. the suppression entry of
 * a forgotten address (label "suppress", data its normalised form). */
void token_hash(const unsigned char *secret, size_t secret_len,
	const char *label, const char *data, char out[TOKEN_HASH_LEN + 1]);

/* Read the secret from path, creating it (mode 0600, 32 bytes from the
 * system's random source) when it does not exist. Refuses a file readable
 * by group or others: EX_NOPERM. Returns 0 and sets *secret (caller frees)
 * and *len, or a sysexits status with *err.
 * The file holds text: the secret is its bytes without trailing blanks
 * (16 to 4096 bytes, else EX_CONFIG); a new file gets the 32 random bytes
 * as 64 hex digits. Its folder is made (mode 0700) when missing:
 * EX_CANTCREAT when that or the file cannot be made. */
int token_secret(const char *path, unsigned char **secret, size_t *len,
	char **err);

#endif
