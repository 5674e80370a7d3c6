/* sitefile.h - the one way content names a file of the machine or a URL */
#ifndef INFOLETTRE_SITEFILE_H
#define INFOLETTRE_SITEFILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Content (front matter, Markdown bodies and descriptions, the editorial)
 * is written by whoever can change the site, a pull request away from a
 * stranger. Every path it gives goes through sitefile_find: joined to the
 * page's folder (a path starting with '/' to the site's root, then Hugo's
 * static/), percent-decoded, "." and ".." folded; for an image, ".." above
 * the root is refused. The real path (every symbolic link followed) must
 * then be under the site's real root, or, for the editorial, under the
 * issue's own folder: a symbolic link leading out is refused. An image's
 * first bytes must be a PNG, JPEG, GIF or WebP signature. Nothing here
 * prints; the callers say what was left out, once, with file and line.
 */

struct sitefile {
	char *root;       /* site.root as configured */
	char *root_real;  /* its real path; NULL when it has none: then
	                   * nothing is ever found */
	char *local;      /* the editorial's folder (issues/MONTH), or NULL */
	char *local_real;
};

/* Set sf up for the site at root (may be NULL) and, for the editorial,
 * its own folder local (NULL otherwise). Free with sitefile_free. */
void sitefile_init(struct sitefile *sf, const char *root, const char *local);
void sitefile_free(struct sitefile *sf);

enum sitefile_status {
	SITEFILE_OK,        /* found, *real is its real path */
	SITEFILE_MISSING,   /* no such file (nothing to refuse: a URL may
	                     * still name it on the web site) */
	SITEFILE_OUTSIDE,   /* ".." above the root, or a real path outside
	                     * the allowed folders: refused */
	SITEFILE_NOT_IMAGE, /* an image file whose first bytes are not a
	                     * PNG, JPEG, GIF or WebP signature: refused */
	SITEFILE_TOO_LARGE, /* (sitefile_read_image) over the size limit */
};

enum sitefile_kind {
	SITEFILE_IMAGE, /* a regular file; raster images are sniffed */
	SITEFILE_PAGE,  /* a regular file or a folder; also looked for under
	                 * content/, and with .md, .qmd, .markdown when the
	                 * name has no extension; ".." above the root stays
	                 * at the root (a link's URL is all that is made) */
};

/*
 * The file that link (as written in content; "?query" and "#fragment"
 * ignored) names, in the page at source (its path relative to the site's
 * root; NULL or "" for the editorial, whose relative links are looked for
 * in sf->local first). Returns SITEFILE_OK with *real (the caller frees;
 * *in_local, when not NULL, says whether it lies in sf->local),
 * SITEFILE_MISSING, SITEFILE_OUTSIDE or SITEFILE_NOT_IMAGE; *real is NULL
 * then. A link with a URL scheme or starting with "//" or '#' is
 * SITEFILE_MISSING: it is not a file.
 */
int sitefile_find(const struct sitefile *sf, const char *source,
	const char *link, enum sitefile_kind kind, char **real, bool *in_local);

/* Why a status refuses, for "image \"x\" %s; left out". */
const char *sitefile_why(int status);

/* The type a file name's extension says for an image mail clients show
 * inline ("image/png", "image/jpeg", "image/gif", "image/webp"), or NULL
 * (SVG and others are linked, never embedded). */
const char *sitefile_image_type(const char *name);

/* The type data's first bytes say (one of the four above), or NULL. */
const char *sitefile_sniff(const void *data, size_t len);

/*
 * Read the image at real (a path sitefile_find returned), opened without
 * following a symbolic link: a regular file of at most max bytes whose
 * name says a raster type and whose first bytes are one of the four
 * signatures. Returns SITEFILE_OK with *type (the type its bytes say,
 * static), *data (caller frees) and *len; SITEFILE_MISSING (gone,
 * unreadable, not a regular file or not a raster name), SITEFILE_TOO_LARGE
 * or SITEFILE_NOT_IMAGE.
 */
int sitefile_read_image(const char *real, size_t max, const char **type,
	char **data, size_t *len);

/*
 * The absolute URL of an image that content at source names by link
 * (front matter image:): a safe URL, resolved against the page's URL
 * under base_url ("//host/x" becomes https:), that is http or https.
 * NULL when it is not. The caller frees it.
 */
char *sitefile_image_url(const char *base_url, const char *source,
	const char *link);

#endif
