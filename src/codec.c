/* codec.c - hex, base64 and percent-encoding, each written once */
#include "codec.h"

#include <string.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
codec_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
codec_hex(char *out, const void *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
codec_base64_put(struct buf *b, const void *data, size_t n)
{
	const unsigned char *s = data;

	buf_grow(b, (n + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		buf_putc(b, b64[v >> 18]);
		buf_putc(b, b64[(v >> 12) & 63]);
		buf_putc(b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		buf_putc(b, i + 2 < n ? b64[v & 63] : '=');
	}
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

bool
codec_base64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if ((v = b64val((unsigned char)s[i])) < 0)
			return false;
		acc = ((acc << 6) | (unsigned)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf_putc(out, (int)((acc >> bits) & 0xff));
		}
	}
	return true;
}

void
codec_percent_decode(struct buf *out, const char *s, size_t n, int flags)
{
	buf_grow(out, n);
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+' && (flags & CODEC_PLUS_SPACE)) {
			buf_putc(out, ' ');
		} else if (s[i] == '%' && i + 2 < n &&
		    (hi = codec_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = codec_hexval((unsigned char)s[i + 2])) >= 0 &&
		    ((hi | lo) || (flags & CODEC_KEEP_NUL))) {
			buf_putc(out, hi << 4 | lo);
			i += 2;
		} else {
			buf_putc(out, s[i]);
		}
	}
}

void
codec_percent_put(struct buf *b, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr(keep, c))) {
			buf_putc(b, c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}
