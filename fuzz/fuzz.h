/* fuzz.h - what the libFuzzer targets share */
#ifndef INFOLETTRE_FUZZ_H
#define INFOLETTRE_FUZZ_H

#include <stdint.h>
#include <string.h>

#include "xalloc.h"

/* The next field of the input *p..end: up to a NUL, or its end; *p moves
 * past it. The caller frees it. */
static inline char *
fuzz_field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	const uint8_t *stop = nul ? nul : end;
	char *s = xstrndup((const char *)*p, (size_t)(stop - *p));

	*p = nul ? nul + 1 : end;
	return s;
}

#endif
