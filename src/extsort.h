/* extsort.h - records sorted by key in bounded memory (an external sort) */
#ifndef INFOLETTRE_EXTSORT_H
#define INFOLETTRE_EXTSORT_H

#include <stddef.h>

/*
 * Records (a key and a value, byte strings) are added in any order and
 * read back ordered by key: bytewise, a key before its extensions, and
 * records of one key in the order they were added. At most about mem
 * bytes of records are held in memory; beyond that, sorted runs go to an
 * unlinked temporary file in $TMPDIR (else /tmp) and are merged when
 * read, so memory does not grow with the number of records.
 *
 * Functions return 0 or a sysexits status with *err set (an allocated
 * message): EX_CANTCREAT when the temporary file cannot be made,
 * EX_IOERR when it cannot be written or read back.
 */
struct extsort;

/* A new sorter (free with extsort_free); mem below 64 KiB counts as
 * 64 KiB. */
struct extsort *extsort_new(size_t mem);
/* Add a record; key and val are copied. A record over 1 GiB dies. */
int extsort_add(struct extsort *x, const void *key, size_t klen,
	const void *val, size_t vlen, char **err);
/* No more records: get ready to read them. */
int extsort_sort(struct extsort *x, char **err);
/* The next record, after extsort_sort: sets *key (NULL at the end),
 * *klen, *val and *vlen, valid until the next call. */
int extsort_next(struct extsort *x, const char **key, size_t *klen,
	const char **val, size_t *vlen, char **err);
/* How many records were added. */
size_t extsort_count(const struct extsort *x);
/* Free x and close its temporary file (NULL is fine). */
void extsort_free(struct extsort *x);

#endif
