/* siteurl.h - content files to page URLs; links resolved against pages */
#ifndef INFOLETTRE_SITEURL_H
#define INFOLETTRE_SITEURL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* A content file name taken apart: "index.en.qmd" is the stem "index",
 * the language "en" and the extension ".qmd". Pointers go into the name. */
struct siteurl_name {
	const char *ext;  /* ".md", ".markdown", ".qmd"; NULL: not content */
	size_t stem;      /* length of the stem */
	const char *lang; /* NULL when none */
	size_t langlen;
};

/* Take name[0..n) apart into *sn. Never fails. */
void siteurl_split_name(const char *name, size_t n, struct siteurl_name *sn);
/* Is it a bundle's page ("index" with a content extension)? */
bool siteurl_is_index(const char *name, const struct siteurl_name *sn);
/* Is its language suffix exactly want? */
bool siteurl_lang_is(const struct siteurl_name *sn, const char *want);
/* Is source (relative to the site root) a Hugo page (under content/)?
 * Anything else is read as Quarto. */
bool siteurl_is_hugo(const char *source);

/*
 * The page URL of the content file at source (relative to the site root):
 * Quarto and Hugo bundles give their folder, Hugo files under content/
 * their "pretty" URL, other files their .html page; slug and url front
 * matter honoured (either may be NULL). The caller frees it.
 */
char *siteurl_page(const char *base_url, const char *source, const char *slug,
	const char *url);

/* Resolve a link written in the page at source (relative to the site
 * root) to an absolute URL: absolute URLs and fragments are returned as is,
 * a link to another content file becomes that page's URL, ".." above the
 * root stays at the root. The caller frees it. */
char *siteurl_resolve(const char *base_url, const char *source,
	const char *link);

/* "a/b/../c/./d" → "a/c/d" into out (reset first). Returns false when ".."
 * goes above the top: it is then dropped, so out stays under the top. */
bool siteurl_normalise(const char *path, struct buf *out);

/* Does u start with a URL scheme ("https:", "mailto:")? */
bool siteurl_has_scheme(const char *u);
/* Is u an http: or https: URL (case-insensitive)? */
bool siteurl_is_http(const char *u);
/* May content use URL u? Not with a javascript:, vbscript:, data: or
 * file: scheme (blanks and control characters inside it ignored and case
 * folded, as browsers do). */
bool siteurl_safe(const char *u);
/* Is u a path of the site rather than a URL (no scheme, not "//…", not a
 * fragment or a query alone, not empty)? */
bool siteurl_is_path(const char *u);

#endif
