/* md_priv.h - what markdown.c (the tree, URLs, HTML) and mdtext.c (the
 * plain text) share; not for other modules */
#ifndef INFOLETTRE_MD_PRIV_H
#define INFOLETTRE_MD_PRIV_H

#include <cmark-gfm.h>
#include <stdbool.h>

#include "markdown.h"
#include "sitefile.h"
#include "strmap.h"

#define WRAP 72          /* columns of the plain text */
#define WRAP_MIN 20      /* narrowest text left by deep nesting */
#define NEST_MAX 24      /* containers rendered nested; deeper ones flatten */
#define GLUE '\001'      /* a space the text wrapper never breaks */

/* The extension node types are registered at run time: known by name. */
enum kind { K_CORE, K_TABLE, K_ROW, K_CELL, K_STRIKE, K_OTHER };

/* A Quarto callout (::: {.callout-tip}), a block quote in the tree whose
 * user data points at one of these (mdclean.c writes it as a block quote
 * opened by a "###### [!callout-KIND] Title" heading). */
struct callout {
	char kind[16];  /* note, tip, warning, important, caution */
	char *title;    /* its title, or the language's default */
};

/* One rendering. */
struct ctx {
	const struct md_opts *o;
	struct diags *warn;
	struct diags *refused; /* where what is left out is said */
	struct md_doc *doc;
	struct strmap widths;  /* src → width attribute */
	struct strmap images;  /* src → index in doc->images */
	struct strmap linted;  /* links looked for already → their status */
	struct strmap dropped; /* images refused already */
	size_t cap;
	struct sitefile sf;    /* where local files may be */
	struct strmap notes;   /* footnote label → number (1…), in the order
	                        * of first reference */
	struct callout *callouts;
	size_t ncallouts, callouts_cap;
};

/* The number of the footnote a reference or definition node names (its
 * label), or 0. */
size_t md_note_number(const struct ctx *x, cmark_node *n);
/* The title a callout shows: its own, else the language's default. */
const char *md_callout_title(const struct ctx *x, const struct callout *c);
/* The callout a block quote is, or NULL. */
const struct callout *md_callout_of(const struct ctx *x, cmark_node *n);

bool md_blank(char c);
/* Is it a link or image left out (its text kept)? */
bool md_dropped(cmark_node *n);
enum kind md_ext_kind(cmark_node *n);
/* The image an image node stands for (x->doc->images), or NULL. */
const struct md_image *md_image_of(const struct ctx *x, cmark_node *n);
/* Is n in a tight list (no blank lines between its items)? */
bool md_in_tight_list(cmark_node *n);
/* <br>, <br/>, <br /> */
bool md_is_br(const char *s);
/* The plain text of a node's inline content, blanks collapsed; the caller
 * frees it. */
char *md_plain_text(cmark_node *node);
const char *md_str_or_empty(const char *s);
/* The plain text of the document: wrapped, links as [n] references listed
 * at the end. The caller frees it. */
char *md_render_text(const struct ctx *x, cmark_node *doc);

#endif
