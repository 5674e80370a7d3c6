/* mdclean.h - the site-syntax clean-up pass, for markdown.c */
#ifndef INFOLETTRE_MDCLEAN_H
#define INFOLETTRE_MDCLEAN_H

#include "buf.h"
#include "strmap.h"

/* md_clean (markdown.h) into *out (which it initialises; the caller frees
 * it with buf_free), recording in widths (when not NULL) each image
 * source's {width=…} attribute in pixels. */
void md_clean_widths(const char *md, struct buf *out, struct strmap *widths);

#endif
