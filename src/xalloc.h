/* xalloc.h - allocation that cannot fail, and the end of impossible paths */
#ifndef INFOLETTRE_XALLOC_H
#define INFOLETTRE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <sysexits.h>

#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocation: these report and exit(EX_OSERR) on failure, never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Return a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap);

/* Print "infolettre: message" on stderr and exit with status. Only for
 * impossible conditions and in the command layer. */
_Noreturn void die(int status, const char *fmt, ...) PRINTF(2, 3);

#endif
