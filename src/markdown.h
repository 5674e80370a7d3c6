/* markdown.h - site syntax cleaned, cmark-gfm tree, HTML and text renderers */
#ifndef INFOLETTRE_MARKDOWN_H
#define INFOLETTRE_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* An image the Markdown refers to. */
struct md_image {
	char *src;   /* as written */
	char *url;   /* absolute URL (resolved against the page) */
	char *alt;   /* "" when none was written */
	char *local; /* the real path of the local file it names, when
	              * sitefile_find found it (under the site's root, or
	              * the editorial's folder), else NULL */
	int line;    /* where it is written (the document's file) */
	int width;   /* the width the HTML gives it, in pixels (at most 560):
	              * a {width=…} attribute, else the local file's own width,
	              * else 560 */
};

/* Lets the caller choose what an <img src> becomes (e.g. "cid:…" for an
 * embedded image). Returns a string owned by the caller's ctx, or NULL to
 * use img->url. */
typedef const char *(*md_image_src_fn)(void *ctx, const struct md_image *img);

struct md_opts {
	const char *base_url;  /* site.base_url, ends with '/' */
	const char *site_root; /* to find local images and linked files
	                        * (sitefile.h: never outside it) */
	const char *local_dir; /* the editorial's folder (issues/MONTH):
	                        * relative images are looked for there
	                        * first; NULL for pages */
	const char *local_url; /* the URL of local_dir once published (the
	                        * archive page's), for images found there;
	                        * NULL: resolved as the site's */
	const char *source;    /* the page's path relative to the site root,
	                        * links resolve against it (NULL: the root) */
	const char *file;      /* the file to name in diagnostics */
	int first_line;        /* line of the Markdown's first line in file */
	int heading_shift;     /* added to heading levels (1 → h2 …), max h6 */
	md_image_src_fn image_src;
	void *image_ctx;
	int wrap;              /* columns of the plain text (0: 72), e.g. 70
	                        * for text the caller indents by two */
	struct diags *refused; /* where a file left out is said (one
	                        * diagnostic each); NULL: with the lint */
	const char *lang;      /* newsletter.language: the default titles of
	                        * callouts, the "Notes" heading */
};

struct md_doc {
	char *html;  /* mail-safe HTML fragment, every style inline */
	char *text;  /* plain text, wrapped at 72, links as [n] references
	              * listed at the end */
	struct md_image *images;
	size_t nimages;
};

/*
 * Render a Markdown document (a page body or the editorial): site syntax
 * removed (md_clean), parsed by cmark-gfm with the table, strikethrough and
 * autolink extensions, links and images resolved to absolute URLs, raw HTML
 * and javascript:/vbscript:/data:/file: URLs dropped (their text kept;
 * <br> kept as a line break). Local files are found by sitefile_find: an
 * image or a link that leaves the site (".." above its root, a symbolic
 * link leading out) and an image whose bytes are not PNG, JPEG, GIF or
 * WebP are dropped too, each said once in o->refused (else warn) with
 * o->file and the line. out->images lists each distinct image once,
 * in order of appearance; o->image_src is asked for each <img>. Lint
 * findings (an image without alt text, a relative link or image to a file
 * that does not exist under o->site_root) are added to warn (may be NULL)
 * with o->file and the line. Returns 0 (it cannot fail on any input); the
 * caller frees *out with md_doc_free.
 */
int md_render(const char *md, const struct md_opts *o, struct md_doc *out,
	struct diags *warn);
void md_doc_free(struct md_doc *d);

/* The Markdown with site syntax that is not Markdown removed: Hugo
 * shortcodes ({{< abbr … text="SSP" >}} → SSP, {{< figure src=… >}} → an
 * image, {{< youtube ID >}} → a link, paired ones keep their inner text,
 * others dropped), Pandoc attributes ({width=600}, [text]{.class} → text,
 * "# Title {#id}"), fenced div lines (:::), HTML comments, executable or
 * raw code chunks (```{r}, ```{ojs}, ```{=html}); fenced code blocks and
 * code spans are left as they are. Line count is kept so diagnostics keep
 * their lines; CR LF becomes LF, other control characters go. Never fails,
 * linear in the input. The caller frees it. */
char *md_clean(const char *md);

/* The plain text of a line of inline Markdown ("Journées *open-source* "
 * → "Journées open-source"): markup removed, blanks collapsed to one
 * space, trimmed. The caller frees it. */
char *md_inline_text(const char *md);

/* The same line as safe inline HTML (emphasis, strong, strikethrough and
 * code kept, links reduced to their text, raw HTML dropped, text escaped),
 * for titles. The caller frees it. */
char *md_inline_html(const char *md);

#endif
