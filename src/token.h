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

/*
 * A confirmation token (double opt-in) is TOKEN_CONFIRM_LEN characters of
 * the same base32: 6 of the subscriber's id, 4 of the day it expires
 * (days since 1970-01-01, 20 bits), then the first 130 bits of
 * HMAC-SHA256(secret, "infolettre-confirm" NUL || id as 8 bytes
 * big-endian || expiry day as 4 bytes big-endian || address key). Its
 * purpose is in the MAC and its length differs, so an unsubscribe token
 * never stands for a confirmation token nor the reverse.
 */
#define TOKEN_CONFIRM_LEN 36

/* Make the confirmation token of (id, email) that expires at the end of
 * day expires (days since the epoch, 0..2^20-1). */
void token_confirm_make(const unsigned char *secret, size_t secret_len,
	long long id, const char *email, long expires,
	char out[TOKEN_CONFIRM_LEN + 1]);

/* The id and expiry day a confirmation token names (without checking its
 * MAC): true, or false when it is malformed. Case-insensitive. */
bool token_confirm_parse(const char *token, long long *id, long *expires);

/* Is token the confirmation token of (id, email) with the expiry day it
 * names? Constant time in the MAC; the expiry is the caller's to compare. */
bool token_confirm_check(const unsigned char *secret, size_t secret_len,
	long long id, const char *email, const char *token);

/*
 * A signed time for a form (no server state): "SECONDS.MAC", the MAC
 * 16 base32 characters of HMAC-SHA256(secret, "infolettre-form" NUL ||
 * SECONDS). token_stamp_check returns the time it holds, or -1 when it is
 * malformed or forged.
 */
#define TOKEN_STAMP_MAX 40
void token_stamp_make(const unsigned char *secret, size_t secret_len,
	long long when, char out[TOKEN_STAMP_MAX]);
long long token_stamp_check(const unsigned char *secret, size_t secret_len,
	const char *stamp);

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
