/* codec.h - hex, base64 and percent-encoding, each written once */
#ifndef INFOLETTRE_CODEC_H
#define INFOLETTRE_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The value of the hex digit c (either case), or -1. */
int codec_hexval(int c);

/* Lowercase hex of data[0..n) into out: 2n digits and a NUL (out holds
 * 2n + 1 bytes). */
void codec_hex(char *out, const void *data, size_t n);

/* Base64 (RFC 4648, '=' padding, no line breaks) of data[0..n) appended
 * to b. */
void codec_base64_put(struct buf *b, const void *data, size_t n);

/* Decode base64 s[0..n) (RFC 4648 alphabet; blanks and line ends
 * skipped; it ends at the first '=') and append the bytes to out.
 * Returns false, with what came before appended, at a character outside
 * the alphabet. */
bool codec_base64_decode(const char *s, size_t n, struct buf *out);

enum {
	CODEC_PLUS_SPACE = 1, /* '+' is a space (application/x-www-form-urlencoded) */
	CODEC_KEEP_NUL = 2,   /* "%00" decodes to a NUL byte; without it it stays
	                       * as written, so the result is a C string */
};

/* Percent-decode s[0..n) (a '%' not followed by two hex digits stays as
 * it is) and append to out. */
void codec_percent_decode(struct buf *out, const char *s, size_t n,
	int flags);

/* Append s[0..n) to b percent-encoded (uppercase hex): bytes that are
 * ASCII letters or digits, or in keep, stay as they are. */
void codec_percent_put(struct buf *b, const char *s, size_t n,
	const char *keep);

#endif
