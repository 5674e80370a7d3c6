/* buf.h - the growable byte buffer used for everything built piece by piece */
#ifndef INFOLETTRE_BUF_H
#define INFOLETTRE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable buffer. data is always NUL-terminated once anything was put
 * (len excludes the NUL). Zero-initialise with BUF_INIT. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for n more bytes. Never fails (xrealloc exits on OOM). */
void buf_grow(struct buf *b, size_t n);
/* Append n bytes of s. */
void buf_put(struct buf *b, const void *s, size_t n);
/* Append the NUL-terminated string s. */
void buf_puts(struct buf *b, const char *s);
/* Append one byte. */
void buf_putc(struct buf *b, int c);
/* Append printf-formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Return the contents as a NUL-terminated string the caller must free
 * (an empty string if nothing was put); the buffer is left empty. */
char *buf_detach(struct buf *b);
/* Free the contents; the buffer is left empty and reusable. */
void buf_free(struct buf *b);
/* The contents as a string ("" if empty); owned by the buffer. */
const char *buf_str(const struct buf *b);

#endif
