/* util.h - the error contract, reporting, files and paths, small helpers */
#ifndef INFOLETTRE_UTIL_H
#define INFOLETTRE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sysexits.h>

#include "xalloc.h"

/*
 * The error contract of every module: a function returns 0 on success or a
 * sysexits.h status on failure, and then sets *err (when err is not NULL) to
 * an allocated message the caller prints and frees. fail() does both:
 *	return fail(err, EX_DATAERR, "%s: bad date", path);
 */
int fail(char **err, int status, const char *fmt, ...) PRINTF(3, 4);

/* The one reporting helper of the command layer: "infolettre: message". */
void report(const char *fmt, ...) PRINTF(1, 2);
/* "infolettre: FILE:LINE:COL: message" (line/col left out when 0). */
void report_at(const char *file, int line, int col, const char *fmt, ...)
	PRINTF(4, 5);

/* Return a copy of s (the caller frees it) with control characters and
 * invalid UTF-8 replaced by '?', for printing text that came from outside. */
char *sanitize(const char *s);

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates, no NUL)?
 * On failure, *bad (if not NULL) receives the offset of the first bad byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad);

/* Read a whole file into *data (NUL-terminated, caller frees) and *len,
 * refusing files over max bytes. Returns 0, or an errno value (EFBIG for
 * too large). */
int read_file(const char *path, size_t max, char **data, size_t *len);

/*
 * Files are replaced as a careful Unix tool replaces them: the new content
 * goes into a temporary file beside the target whose name mkstemp makes
 * (".NAME.XXXXXX", created with O_EXCL: never a name another user could
 * guess and pre-create, or point elsewhere with a symbolic link), given
 * its mode with fchmod before any byte is written, fsync'd, then renamed
 * over the target (a symbolic link there is replaced, never followed).
 * mode is reduced by the umask, as open(2) would.
 */

/* Create the temporary file beside path: returns its descriptor
 * (O_CLOEXEC, open for writing) and sets *tmp (caller frees), or -1 with
 * errno set and *tmp NULL. The caller renames or unlinks it. */
int file_create_temp(const char *path, int mode, char **tmp);

/* Write data into a new temporary file beside path and fsync it; *tmp
 * (caller frees) is its name, for the caller to rename into place or
 * unlink. Returns 0, or an errno value (nothing left behind). */
int file_write_temp(const char *path, const void *data, size_t len, int mode,
	char **tmp);

/* fsync the folder holding path, so that a rename in it survives a crash.
 * Returns 0 or an errno value. */
int file_sync_dir(const char *path);

/* Write data to path atomically: file_write_temp, rename, file_sync_dir.
 * Returns 0 or an errno value. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Join a relative path to a folder; an absolute path is returned as is.
 * The caller frees the result. */
char *path_join(const char *dir, const char *rel);
/* The folder part of path ("." when none); the caller frees it. */
char *path_dirname(const char *path);

/* Does s start / end with the given string? */
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* The word for a count of n, "1 message" but "0 messages": one when n
 * is 1 or -1, else many (English; French, which says "0 message", has no
 * counted words in this program's output). */
const char *plural(long n, const char *one, const char *many);
/* ASCII case-insensitive comparison. */
int str_casecmp(const char *a, const char *b);

/* A growable list of owned strings. */
struct strlist {
	char **v;
	size_t n, cap;
};
void strlist_push(struct strlist *l, char *s); /* takes ownership of s */
void strlist_free(struct strlist *l);

/* Diagnostics that modules collect and the command layer prints. */
struct diag {
	char *file; /* may be NULL */
	int line, col; /* 0 when unknown */
	char *msg;
};
struct diags {
	struct diag *v;
	size_t n, cap;
};
void diags_add(struct diags *d, const char *file, int line, int col,
	const char *fmt, ...) PRINTF(5, 6);
/* Print each diagnostic as report_at() does. */
void diags_print(const struct diags *d);
void diags_free(struct diags *d);

#endif
