/* strmap.h - a map of strings to numbers (open addressing), for the
 * reference numbers, images and widths of a Markdown document, which
 * pathological inputs can have by the thousand */
#ifndef INFOLETTRE_STRMAP_H
#define INFOLETTRE_STRMAP_H

#include <stddef.h>

/* Zero-initialise; free with strmap_free. Keys are copied. */
struct strmap {
	char **key;   /* key[i] and val[i]: the i-th key added */
	size_t *val;
	size_t n, cap;
	size_t *slot; /* index + 1 of a key, 0 when empty */
	size_t nslot;
};

/* The index of k, or SIZE_MAX when it is not there. */
size_t strmap_find(const struct strmap *m, const char *k);
/* Add k (copied) with value v unless it is there; return its index.
 * Never fails (allocation exits). */
size_t strmap_add(struct strmap *m, const char *k, size_t v);
/* Free the keys and the map; it is left empty and reusable. */
void strmap_free(struct strmap *m);

#endif
