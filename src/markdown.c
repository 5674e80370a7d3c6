/* markdown.c - the cmark-gfm tree of cleaned Markdown; its HTML and text renderers */
#include "markdown.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "labels.h"
#include "md_priv.h"
#include "mdclean.h"
#include "sitefile.h"
#include "siteurl.h"
#include "strmap.h"
#include "util.h"

#define IMG_MAX 560      /* widest image in the 600 px layout */
#define DROPPED ((void *)UINTPTR_MAX) /* user data of a dropped link/image */

static const char st_p[] = "margin:0 0 16px 0;line-height:1.5;";
static const char st_h[] = "margin:24px 0 12px 0;line-height:1.3;font-weight:bold;";
static const int h_size[] = { 0, 26, 22, 19, 17, 15, 14 };
static const char st_a[] = "color:#1a5fb4;text-decoration:underline;";
static const char st_list[] = "margin:0 0 16px 0;padding:0 0 0 24px;";
static const char st_li[] = "margin:0 0 4px 0;line-height:1.5;";
static const char st_quote[] = "margin:0 0 16px 0;padding:0 0 0 12px;"
	"border-left:4px solid #d0d7de;color:#57606a;";
static const char st_pre[] = "margin:0 0 16px 0;padding:12px;"
	"background-color:#f6f8fa;font-family:Menlo,Consolas,'Courier New',"
	"monospace;font-size:13px;line-height:1.4;white-space:pre-wrap;"
	"word-wrap:break-word;";
static const char st_code[] = "font-family:Menlo,Consolas,'Courier New',"
	"monospace;font-size:90%;background-color:#f6f8fa;padding:1px 4px;";
static const char st_table[] = "border-collapse:collapse;margin:0 0 16px 0;";
static const char st_cell[] = "border:1px solid #d0d7de;padding:6px 10px;"
	"vertical-align:top;";
static const char st_th[] = "background-color:#f6f8fa;font-weight:bold;";
static const char st_hr[] = "border:0;border-top:1px solid #d0d7de;"
	"margin:24px 0;";
static const char st_img[] = "max-width:100%;height:auto;border:0;";
static const char st_sup[] = "font-size:75%;line-height:0;"
	"vertical-align:super;";
static const char st_notes[] = "margin:24px 0 0 0;padding:12px 0 0 0;"
	"border-top:1px solid #d0d7de;font-size:14px;color:#444444;";
/* the callouts' left edges, as Quarto colours them */
static const struct { const char *kind, *edge, *bg; } callout_colours[] = {
	{ "note", "#0758e5", "#f2f6fe" }, { "tip", "#00a047", "#f2faf6" },
	{ "warning", "#ff9100", "#fff9f2" }, { "important", "#cc1914", "#fcf3f3" },
	{ "caution", "#fc5300", "#fff6f2" },
};

bool
md_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---------------------------------------------------------------------
 * The tree.
 */

static cmark_node *
parse(const char *s, size_t n)
{
	static const char *const exts[] = { "table", "strikethrough", "autolink" };
	cmark_parser *p;
	cmark_node *doc;

	cmark_gfm_core_extensions_ensure_registered();
	p = cmark_parser_new(CMARK_OPT_DEFAULT | CMARK_OPT_FOOTNOTES);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
		if (e)
			cmark_parser_attach_syntax_extension(p, e);
	}
	cmark_parser_feed(p, s, n);
	doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	return doc;
}


/* The extension node types are registered at run time: know them by name. */
enum kind
md_ext_kind(cmark_node *n)
{
	const char *t;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_DOCUMENT: case CMARK_NODE_BLOCK_QUOTE:
	case CMARK_NODE_LIST: case CMARK_NODE_ITEM: case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_HTML_BLOCK: case CMARK_NODE_PARAGRAPH:
	case CMARK_NODE_HEADING: case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_TEXT: case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK: case CMARK_NODE_CODE:
	case CMARK_NODE_HTML_INLINE: case CMARK_NODE_EMPH:
	case CMARK_NODE_STRONG: case CMARK_NODE_LINK: case CMARK_NODE_IMAGE:
		return K_CORE;
	default:
		break;
	}
	t = cmark_node_get_type_string(n);
	if (strcmp(t, "table") == 0)
		return K_TABLE;
	if (strcmp(t, "table_row") == 0 || strcmp(t, "table_header") == 0)
		return K_ROW;
	if (strcmp(t, "table_cell") == 0)
		return K_CELL;
	if (strcmp(t, "strikethrough") == 0)
		return K_STRIKE;
	return K_OTHER;
}

const char *
md_str_or_empty(const char *s)
{
	return s ? s : "";
}

/* <br>, <br/>, <br /> */
bool
md_is_br(const char *s)
{
	s = md_str_or_empty(s);
	return str_casecmp(s, "<br>") == 0 || str_casecmp(s, "<br/>") == 0 ||
		str_casecmp(s, "<br />") == 0;
}

/* The plain text of a node's inline content, blanks collapsed. */
char *
md_plain_text(cmark_node *node)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	struct buf b = BUF_INIT;
	bool space = false;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *s;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			for (s = md_str_or_empty(cmark_node_get_literal(n)); *s; s++) {
				if ((unsigned char)*s <= ' ' || *s == 0x7f) {
					space = true;
					continue;
				}
				if (space && b.len)
					buf_putc(&b, ' ');
				space = false;
				buf_putc(&b, *s);
			}
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			space = true;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return buf_detach(&b);
}

/* ---------------------------------------------------------------------
 * URLs: resolution, safety, local files, lint.
 */



static char *
resolve(const struct ctx *x, const char *u)
{
	const char *base = md_str_or_empty(x->o->base_url);
	char *r, *page;

	if (u[0] == '#' && x->o->source) {
		/* a mail has no anchors: go to the page's */
		page = siteurl_page(base, x->o->source, NULL, NULL);
		r = xasprintf("%s%s", page, u);
		free(page);
		return r;
	}
	if (str_starts(u, "//"))
		return xasprintf("https:%s", u);
	return siteurl_resolve(base, md_str_or_empty(x->o->source), u);
}

static int
line_of(const struct ctx *x, cmark_node *n)
{
	int l = 0, first = x->o->first_line > 0 ? x->o->first_line : 1;

	for (; n && (l = cmark_node_get_start_line(n)) <= 0;
	     n = cmark_node_parent(n))
		;
	return first + (l > 0 ? l : 1) - 1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* The pixel width written in a PNG, GIF, JPEG or WebP file's header, or 0. */
static int
file_width(const char *path)
{
	enum { HEAD = 65536 };
	unsigned char *h = xmalloc(HEAD);
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(h, 1, HEAD, f) : 0;
	long w = 0;

	if (f)
		fclose(f);
	if (n >= 24 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	    memcmp(h + 12, "IHDR", 4) == 0) {
		w = (long)be32(h + 16);
	} else if (n >= 10 && (memcmp(h, "GIF87a", 6) == 0 ||
	    memcmp(h, "GIF89a", 6) == 0)) {
		w = h[6] | h[7] << 8;
	} else if (n >= 30 && memcmp(h, "RIFF", 4) == 0 &&
	    memcmp(h + 8, "WEBP", 4) == 0) {
		if (memcmp(h + 12, "VP8X", 4) == 0)
			w = 1 + (h[24] | h[25] << 8 | h[26] << 16);
		else if (memcmp(h + 12, "VP8L", 4) == 0)
			w = 1 + (h[21] | (h[22] & 0x3f) << 8);
		else if (memcmp(h + 12, "VP8 ", 4) == 0)
			w = (h[26] | h[27] << 8) & 0x3fff;
	} else if (n >= 4 && h[0] == 0xff && h[1] == 0xd8) {
		size_t p = 2;
		while (p + 9 < n && h[p] == 0xff) {
			unsigned m = h[p + 1];
			if (m == 0xff) {
				p++;
			} else if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
				p += 2;
			} else if (m >= 0xc0 && m <= 0xcf && m != 0xc4 &&
			    m != 0xc8 && m != 0xcc) {
				w = h[p + 7] << 8 | h[p + 8];
				break;
			} else {
				p += 2 + (size_t)(h[p + 2] << 8 | h[p + 3]);
			}
		}
	}
	free(h);
	return w > 0 && w < INT_MAX ? (int)w : 0;
}

static void
prepare_link(struct ctx *x, cmark_node *n)
{
	const char *u = md_str_or_empty(cmark_node_get_url(n));
	const char *last;
	char *r, *f;
	size_t i;
	int st;

	if (!*u || !siteurl_safe(u)) {
		cmark_node_set_user_data(n, DROPPED);
		return;
	}
	/* a root-relative link is a page URL unless it names a file */
	last = strrchr(u, '/');
	if (x->sf.root_real && siteurl_is_path(u) && strcspn(u, "?#") > 0 &&
	    (u[0] != '/' || strchr(last, '.'))) {
		if ((i = strmap_find(&x->linted, u)) != SIZE_MAX) {
			st = (int)x->linted.val[i];
		} else {
			st = sitefile_find(&x->sf, x->o->source, u,
				SITEFILE_PAGE, &f, NULL);
			free(f);
			strmap_add(&x->linted, u, (size_t)st);
			if (st == SITEFILE_MISSING && x->warn)
				diags_add(x->warn, x->o->file, line_of(x, n), 0,
					"link to a file that does not exist: %s", u);
			else if (st != SITEFILE_OK && st != SITEFILE_MISSING &&
			    x->refused)
				diags_add(x->refused, x->o->file, line_of(x, n),
					0, "link \"%s\" %s; left out", u,
					sitefile_why(st));
		}
		if (st != SITEFILE_OK && st != SITEFILE_MISSING) {
			cmark_node_set_user_data(n, DROPPED);
			return;
		}
	}
	r = resolve(x, u);
	cmark_node_set_url(n, r);
	free(r);
}

static void
prepare_image(struct ctx *x, cmark_node *n)
{
	const char *u = md_str_or_empty(cmark_node_get_url(n));
	struct md_doc *d = x->doc;
	struct md_image *img;
	char *alt = md_plain_text(n), *r, *local = NULL;
	bool in_local = false;
	size_t i;
	int st;

	if (!*alt && x->warn)
		diags_add(x->warn, x->o->file, line_of(x, n), 0,
			"image without alt text: %s", *u ? u : "(no URL)");
	if (!*u || !siteurl_safe(u) || strmap_find(&x->dropped, u) !=
	    SIZE_MAX) {
		cmark_node_set_user_data(n, DROPPED);
		free(alt);
		return;
	}
	r = resolve(x, u);
	if (!siteurl_is_http(r)) {
		cmark_node_set_user_data(n, DROPPED);
		free(alt);
		free(r);
		return;
	}
	if ((i = strmap_find(&x->images, u)) != SIZE_MAX) {
		cmark_node_set_user_data(n, (void *)(uintptr_t)(i + 1));
		free(alt);
		free(r);
		return;
	}
	if (siteurl_is_path(u) && x->sf.root_real) {
		st = sitefile_find(&x->sf, x->o->source, u, SITEFILE_IMAGE,
			&local, &in_local);
		if (st != SITEFILE_OK && st != SITEFILE_MISSING) {
			/* refused: left out, its alt text kept */
			strmap_add(&x->dropped, u, 0);
			if (x->refused)
				diags_add(x->refused, x->o->file, line_of(x, n),
					0, "image \"%s\" %s; left out", u,
					sitefile_why(st));
			cmark_node_set_user_data(n, DROPPED);
			free(alt);
			free(r);
			return;
		}
		if (st == SITEFILE_MISSING && x->warn)
			diags_add(x->warn, x->o->file, line_of(x, n), 0,
				"image file does not exist: %s", u);
		if (in_local && x->o->local_url) {
			/* beside issue.md: published beside the issue's page */
			const char *v = u, *base = x->o->local_url;
			const char *slash = strrchr(base, '/');
			while (str_starts(v, "./"))
				v += 2;
			free(r);
			r = xasprintf("%.*s%s", slash ? (int)(slash - base + 1) :
				0, base, v);
		}
	}
	if (d->nimages == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		d->images = xreallocarray(d->images, x->cap, sizeof(*d->images));
	}
	img = &d->images[d->nimages];
	img->src = xstrdup(u);
	img->url = r;
	img->alt = alt;
	img->local = local;
	img->line = line_of(x, n);
	i = strmap_find(&x->widths, u);
	img->width = i != SIZE_MAX ? (int)x->widths.val[i] :
		local ? file_width(local) : 0;
	if (img->width <= 0 || img->width > IMG_MAX)
		img->width = IMG_MAX;
	strmap_add(&x->images, u, d->nimages);
	cmark_node_set_user_data(n, (void *)(uintptr_t)(++d->nimages));
}

/* Resolve every link and image, drop the unsafe ones, lint, collect the
 * images. */
static void
prepare(struct ctx *x, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (cmark_node_get_type(n) == CMARK_NODE_LINK)
			prepare_link(x, n);
		else if (cmark_node_get_type(n) == CMARK_NODE_IMAGE)
			prepare_image(x, n);
	}
	cmark_iter_free(it);
}

const struct md_image *
md_image_of(const struct ctx *x, cmark_node *n)
{
	void *u = cmark_node_get_user_data(n);

	if (!u || u == DROPPED)
		return NULL;
	return &x->doc->images[(uintptr_t)u - 1];
}

bool
md_dropped(cmark_node *n)
{
	return cmark_node_get_user_data(n) == DROPPED;
}

/* Footnotes: numbered in the order of their first reference (cmark-gfm
 * moves the definitions to the end of the document in that order and
 * drops the ones never referenced). */
static void
number_notes(struct ctx *x, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *label;

		if (ev != CMARK_EVENT_ENTER ||
		    cmark_node_get_type(n) != CMARK_NODE_FOOTNOTE_REFERENCE)
			continue;
		label = md_str_or_empty(cmark_node_get_literal(n));
		if (strmap_find(&x->notes, label) == SIZE_MAX)
			strmap_add(&x->notes, label, 0);
	}
	cmark_iter_free(it);
}

size_t
md_note_number(const struct ctx *x, cmark_node *n)
{
	size_t i;

	if (cmark_node_get_type(n) == CMARK_NODE_FOOTNOTE_DEFINITION) {
		/* the definitions come last, in the order of reference */
		i = 1;
		for (cmark_node *p = cmark_node_previous(n); p &&
		    cmark_node_get_type(p) == CMARK_NODE_FOOTNOTE_DEFINITION;
		    p = cmark_node_previous(p))
			i++;
		return i <= x->notes.n ? i : 0;
	}
	i = strmap_find(&x->notes, md_str_or_empty(cmark_node_get_literal(n)));
	return i == SIZE_MAX ? 0 : i + 1;
}

static const char *const callout_kinds[] = { "note", "tip", "warning",
	"important", "caution" };

/* The block quotes mdclean.c wrote for callouts: the marker heading
 * "###### [!callout-KIND] Title" taken out, a first "## Title" heading taken as
 * the title when the marker has none. */
static void
find_callouts(struct ctx *x, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	cmark_node **quotes = NULL;
	size_t nq = 0, cap = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		cmark_node *h;

		/* only the quotes mdclean.c opened with a marker heading */
		if (ev == CMARK_EVENT_ENTER &&
		    cmark_node_get_type(n) == CMARK_NODE_BLOCK_QUOTE &&
		    (h = cmark_node_first_child(n)) != NULL &&
		    cmark_node_get_type(h) == CMARK_NODE_HEADING &&
		    cmark_node_first_child(h) &&
		    str_starts(md_str_or_empty(cmark_node_get_literal(
		    cmark_node_first_child(h))), "[!callout-")) {
			if (nq == cap) {
				cap = cap ? cap * 2 : 8;
				quotes = xreallocarray(quotes, cap,
					sizeof(*quotes));
			}
			quotes[nq++] = n;
		}
	}
	cmark_iter_free(it);
	for (size_t q = 0; q < nq; q++) {
		cmark_node *para = cmark_node_first_child(quotes[q]), *t, *h;
		const char *lit, *k, *end;
		struct callout *c;
		char *text;

		if (!para || cmark_node_get_type(para) != CMARK_NODE_HEADING ||
		    !(t = cmark_node_first_child(para)) ||
		    cmark_node_get_type(t) != CMARK_NODE_TEXT)
			continue;
		lit = md_str_or_empty(cmark_node_get_literal(t));
		if (!str_starts(lit, "[!callout-") ||
		    !(end = strchr(lit, ']')))
			continue;
		k = lit + 10;
		if (x->ncallouts == x->callouts_cap) {
			x->callouts_cap = x->callouts_cap ?
				x->callouts_cap * 2 : 4;
			x->callouts = xreallocarray(x->callouts,
				x->callouts_cap, sizeof(*x->callouts));
		}
		c = &x->callouts[x->ncallouts++];
		memset(c, 0, sizeof(*c));
		snprintf(c->kind, sizeof(c->kind), "note");
		for (size_t i = 0; i < sizeof(callout_kinds) /
		    sizeof(callout_kinds[0]); i++)
			if ((size_t)(end - k) == strlen(callout_kinds[i]) &&
			    strncmp(k, callout_kinds[i], (size_t)(end - k)) == 0)
				snprintf(c->kind, sizeof(c->kind), "%s",
					callout_kinds[i]);
		text = md_plain_text(para);
		end = strchr(text, ']');
		k = end ? end + 1 : text + strlen(text);
		while (*k == ' ')
			k++;
		if (*k)
			c->title = xstrdup(k);
		free(text);
		cmark_node_free(para); /* unlinks it */
		h = cmark_node_first_child(quotes[q]);
		if (!c->title && h &&
		    cmark_node_get_type(h) == CMARK_NODE_HEADING) {
			c->title = md_plain_text(h);
			cmark_node_free(h);
		}
		cmark_node_set_user_data(quotes[q],
			(void *)(uintptr_t)x->ncallouts);
	}
	free(quotes);
}

const struct callout *
md_callout_of(const struct ctx *x, cmark_node *n)
{
	uintptr_t i;

	if (cmark_node_get_type(n) != CMARK_NODE_BLOCK_QUOTE)
		return NULL;
	i = (uintptr_t)cmark_node_get_user_data(n);
	return i && i <= x->ncallouts ? &x->callouts[i - 1] : NULL;
}

const char *
md_callout_title(const struct ctx *x, const struct callout *c)
{
	char key[32];

	if (c->title && *c->title)
		return c->title;
	snprintf(key, sizeof(key), "CALLOUT_%s", c->kind);
	for (char *p = key; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 'a' - 'A';
	return label(x->o->lang, key);
}

/* ---------------------------------------------------------------------
 * HTML for mail clients.
 */

/* Text as HTML: markup characters escaped, control characters dropped. */
static void
put_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default:
			if ((c >= ' ' && c != 0x7f) || c == '\n' || c == '\t')
				buf_putc(b, c);
		}
	}
}

/* A URL as an attribute value: percent-encoded where a URL may not hold
 * the byte, escaped where HTML would read it. */
static void
put_url(struct buf *b, const char *u)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *u; u++) {
		unsigned char c = (unsigned char)*u;
		if (c == '&')
			buf_puts(b, "&amp;");
		else if (c == '\'')
			buf_puts(b, "&#39;");
		else if (c <= ' ' || c >= 0x7f || strchr("\"<>\\^`{|}", c))
			buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
		else
			buf_putc(b, c);
	}
}

static void
html_image(const struct ctx *x, cmark_node *n, struct buf *b)
{
	const struct md_image *img = md_image_of(x, n);
	const char *src = NULL, *title = cmark_node_get_title(n);
	char *alt = md_plain_text(n);

	if (!img) {
		put_esc(b, alt);
		free(alt);
		return;
	}
	if (x->o->image_src)
		src = x->o->image_src(x->o->image_ctx, img);
	buf_puts(b, "<img src=\"");
	put_url(b, src ? src : img->url);
	buf_puts(b, "\" alt=\"");
	put_esc(b, alt);
	buf_printf(b, "\" width=\"%d\"", img->width);
	if (title && *title) {
		buf_puts(b, " title=\"");
		put_esc(b, title);
		buf_putc(b, '"');
	}
	buf_printf(b, " style=\"%s\">", st_img);
	free(alt);
}

/* The inline content of node as HTML. */
static void
html_inline(const struct ctx *x, cmark_node *node, struct buf *b)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;
		const char *title;

		if (n == node)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
			put_esc(b, md_str_or_empty(cmark_node_get_literal(n)));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_puts(b, "<br>\n");
			break;
		case CMARK_NODE_CODE:
			buf_printf(b, "<code style=\"%s\">", st_code);
			put_esc(b, md_str_or_empty(cmark_node_get_literal(n)));
			buf_puts(b, "</code>");
			break;
		case CMARK_NODE_HTML_INLINE:
			if (md_is_br(cmark_node_get_literal(n)))
				buf_puts(b, "<br>");
			break;
		case CMARK_NODE_EMPH:
			buf_puts(b, enter ? "<em>" : "</em>");
			break;
		case CMARK_NODE_STRONG:
			buf_puts(b, enter ? "<strong>" : "</strong>");
			break;
		case CMARK_NODE_LINK:
			if (md_dropped(n))
				break;
			if (!enter) {
				buf_puts(b, "</a>");
				break;
			}
			buf_puts(b, "<a href=\"");
			put_url(b, md_str_or_empty(cmark_node_get_url(n)));
			buf_putc(b, '"');
			if ((title = cmark_node_get_title(n)) && *title) {
				buf_puts(b, " title=\"");
				put_esc(b, title);
				buf_putc(b, '"');
			}
			buf_printf(b, " style=\"%s\">", st_a);
			break;
		case CMARK_NODE_IMAGE:
			html_image(x, n, b);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		case CMARK_NODE_FOOTNOTE_REFERENCE:
			if (enter && md_note_number(x, n))
				buf_printf(b, "<sup style=\"%s\"><a href=\"#fn%zu\" "
					"id=\"fnref%zu\" style=\"%s\">%zu</a></sup>",
					st_sup, md_note_number(x, n),
					md_note_number(x, n), st_a,
					md_note_number(x, n));
			break;
		default:
			if (md_ext_kind(n) == K_STRIKE)
				buf_puts(b, enter ? "<del>" : "</del>");
			break;
		}
	}
	cmark_iter_free(it);
}

static bool
only_blanks(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!md_blank(b->data[i]) && b->data[i] != '\n')
			return false;
	return true;
}

bool
md_in_tight_list(cmark_node *n)
{
	cmark_node *item = cmark_node_parent(n), *list;

	if (!item || cmark_node_get_type(item) != CMARK_NODE_ITEM)
		return false;
	list = cmark_node_parent(item);
	return list && cmark_node_get_list_tight(list);
}

static const char *
cell_align(cmark_node *table, int col)
{
	uint8_t *al = cmark_gfm_extensions_get_table_alignments(table);
	int ncols = cmark_gfm_extensions_get_table_columns(table);

	if (!al || col >= ncols)
		return "left";
	return al[col] == 'r' ? "right" : al[col] == 'c' ? "center" : "left";
}

static void
html_table(const struct ctx *x, cmark_node *table, struct buf *b)
{
	buf_printf(b, "<table cellpadding=\"0\" cellspacing=\"0\" "
		"style=\"%s\">\n", st_table);
	for (cmark_node *row = cmark_node_first_child(table); row;
	     row = cmark_node_next(row)) {
		bool head = cmark_gfm_extensions_get_table_row_is_header(row);
		int col = 0;

		if (md_ext_kind(row) != K_ROW)
			continue;
		buf_puts(b, "<tr>");
		for (cmark_node *cell = cmark_node_first_child(row); cell;
		     cell = cmark_node_next(cell), col++) {
			buf_printf(b, "<%s style=\"%stext-align:%s;%s\">",
				head ? "th" : "td", st_cell,
				cell_align(table, col), head ? st_th : "");
			html_inline(x, cell, b);
			buf_puts(b, head ? "</th>" : "</td>");
		}
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</table>\n");
}

/* A callout: a one-cell table with a coloured left edge and a title row,
 * styled inline as every block of the mail. */
static void
html_callout(const struct ctx *x, cmark_node *n, bool enter, struct buf *b)
{
	const struct callout *c = md_callout_of(x, n);
	const char *edge = "#0758e5", *bg = "#f2f6fe";

	if (!enter) {
		buf_puts(b, "</td></tr>\n</table>\n");
		return;
	}
	for (size_t i = 0; i < sizeof(callout_colours) /
	    sizeof(callout_colours[0]); i++)
		if (strcmp(c->kind, callout_colours[i].kind) == 0) {
			edge = callout_colours[i].edge;
			bg = callout_colours[i].bg;
		}
	buf_printf(b, "<table role=\"presentation\" width=\"100%%\" "
		"cellpadding=\"0\" cellspacing=\"0\" style=\"width:100%%;"
		"border-collapse:separate;margin:16px 0;border:1px solid #d0d7de;"
		"border-left:5px solid %s;border-radius:4px;\">\n"
		"<tr><td style=\"padding:8px 12px;background-color:%s;"
		"font-weight:bold;font-size:15px;color:#222222;\">", edge, bg);
	put_esc(b, md_callout_title(x, c));
	buf_puts(b, "</td></tr>\n<tr><td style=\"padding:4px 12px 0 12px;\">\n");
}

/* A footnote: the first opens the "Notes" list at the end. */
static void
html_note(const struct ctx *x, cmark_node *n, bool enter, struct buf *b)
{
	cmark_node *prev = cmark_node_previous(n), *next = cmark_node_next(n);
	bool first = !prev ||
	    cmark_node_get_type(prev) != CMARK_NODE_FOOTNOTE_DEFINITION;
	bool last = !next ||
	    cmark_node_get_type(next) != CMARK_NODE_FOOTNOTE_DEFINITION;

	if (enter) {
		if (first) {
			buf_printf(b, "<div style=\"%s\">\n<p style=\"%s"
				"font-weight:bold;\">", st_notes, st_p);
			put_esc(b, label(x->o->lang, "NOTES"));
			buf_printf(b, "</p>\n<ol style=\"%s\">\n", st_list);
		}
		buf_printf(b, "<li id=\"fn%zu\" style=\"%s\">", md_note_number(x, n),
			st_li);
		return;
	}
	buf_puts(b, "</li>\n");
	if (last)
		buf_puts(b, "</ol>\n</div>\n");
}

static char *
render_html(const struct ctx *x, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	int depth = 0; /* open containers, the ones past NEST_MAX unwritten */

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER, show;
		const char *lit;
		int level;
		size_t len;

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_BLOCK_QUOTE:
		case CMARK_NODE_LIST:
		case CMARK_NODE_ITEM:
			show = (enter ? ++depth : depth--) <= NEST_MAX;
			if (!show)
				break;
			if (md_callout_of(x, n))
				html_callout(x, n, enter, &b);
			else if (cmark_node_get_type(n) == CMARK_NODE_BLOCK_QUOTE)
				buf_printf(&b, enter ? "<blockquote style=\"%s\">\n" :
					"</blockquote>\n", st_quote);
			else if (cmark_node_get_type(n) == CMARK_NODE_ITEM)
				buf_printf(&b, enter ? "<li style=\"%s\">" :
					"</li>\n", st_li);
			else if (cmark_node_get_list_type(n) == CMARK_BULLET_LIST)
				buf_printf(&b, enter ? "<ul style=\"%s\">\n" :
					"</ul>\n", st_list);
			else if (!enter)
				buf_puts(&b, "</ol>\n");
			else if (cmark_node_get_list_start(n) != 1)
				buf_printf(&b, "<ol start=\"%d\" style=\"%s\">\n",
					cmark_node_get_list_start(n), st_list);
			else
				buf_printf(&b, "<ol style=\"%s\">\n", st_list);
			break;
		case CMARK_NODE_PARAGRAPH:
			buf_reset(&tmp);
			html_inline(x, n, &tmp);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			if (only_blanks(&tmp))
				break;
			if (md_in_tight_list(n))
				buf_printf(&b, "%s\n", buf_str(&tmp));
			else
				buf_printf(&b, "<p style=\"%s\">%s</p>\n", st_p,
					buf_str(&tmp));
			break;
		case CMARK_NODE_HEADING:
			buf_reset(&tmp);
			html_inline(x, n, &tmp);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			if (only_blanks(&tmp))
				break;
			level = cmark_node_get_heading_level(n) +
				x->o->heading_shift;
			level = level < 1 ? 1 : level > 6 ? 6 : level;
			buf_printf(&b, "<h%d style=\"%sfont-size:%dpx;\">%s</h%d>\n",
				level, st_h, h_size[level], buf_str(&tmp), level);
			break;
		case CMARK_NODE_CODE_BLOCK:
			lit = md_str_or_empty(cmark_node_get_literal(n));
			len = strlen(lit);
			if (len && lit[len - 1] == '\n')
				len--;
			buf_printf(&b, "<pre style=\"%s\"><code>", st_pre);
			{
				char *code = xstrndup(lit, len);
				put_esc(&b, code);
				free(code);
			}
			buf_puts(&b, "</code></pre>\n");
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			buf_printf(&b, "<hr style=\"%s\">\n", st_hr);
			break;
		case CMARK_NODE_FOOTNOTE_DEFINITION:
			html_note(x, n, enter, &b);
			break;
		default:
			if (enter && md_ext_kind(n) == K_TABLE) {
				html_table(x, n, &b);
				cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			}
			/* raw HTML blocks say nothing */
			break;
		}
	}
	cmark_iter_free(it);
	buf_free(&tmp);
	return buf_detach(&b);
}

/* ---------------------------------------------------------------------
 * The entry points.
 */

int
md_render(const char *md, const struct md_opts *o, struct md_doc *out,
	struct diags *warn)
{
	static const struct md_opts none;
	struct ctx x;
	struct buf cleaned = BUF_INIT;
	cmark_node *doc;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.o = o ? o : &none;
	x.warn = warn;
	x.refused = x.o->refused ? x.o->refused : warn;
	x.doc = out;
	sitefile_init(&x.sf, x.o->site_root, x.o->local_dir);
	md_clean_widths(md ? md : "", &cleaned, &x.widths);
	doc = parse(buf_str(&cleaned), cleaned.len);
	buf_free(&cleaned);
	prepare(&x, doc);
	number_notes(&x, doc);
	find_callouts(&x, doc);
	out->html = render_html(&x, doc);
	out->text = md_render_text(&x, doc);
	cmark_node_free(doc);
	for (size_t i = 0; i < x.ncallouts; i++)
		free(x.callouts[i].title);
	free(x.callouts);
	strmap_free(&x.notes);
	strmap_free(&x.widths);
	strmap_free(&x.images);
	strmap_free(&x.linted);
	strmap_free(&x.dropped);
	sitefile_free(&x.sf);
	return 0;
}

void
md_doc_free(struct md_doc *d)
{
	free(d->html);
	free(d->text);
	for (size_t i = 0; i < d->nimages; i++) {
		free(d->images[i].src);
		free(d->images[i].url);
		free(d->images[i].alt);
		free(d->images[i].local);
	}
	free(d->images);
	memset(d, 0, sizeof(*d));
}

/*
 * A title or a description parsed as inline Markdown: site syntax cleaned,
 * leading blanks gone and a leading block marker escaped, so that "1. Foo"
 * or "# Foo" stay text instead of becoming a list or a heading.
 */
static cmark_node *
inline_parse(const char *text)
{
	struct buf b = BUF_INIT, cleaned = BUF_INIT;
	size_t k = 0, esc = SIZE_MAX;
	const char *md;
	cmark_node *doc;

	md_clean_widths(text, &cleaned, NULL);
	md = buf_str(&cleaned);
	while (*md == ' ' || *md == '\t' || *md == '\n' || *md == '\r')
		md++;
	if (md[0] == '#') {
		while (md[k] == '#')
			k++;
		if (k <= 6 && (md_blank(md[k]) || !md[k]))
			esc = 0;
	} else if (md[0] && strchr("-+*", md[0]) && (md_blank(md[1]) || !md[1])) {
		esc = 0;
	} else if (md[0] == '>' || str_starts(md, "```") ||
	    str_starts(md, "~~~") || str_starts(md, "---") ||
	    str_starts(md, "***") || str_starts(md, "___")) {
		esc = 0;
	} else {
		while (k < 9 && md[k] >= '0' && md[k] <= '9')
			k++;
		if (k && (md[k] == '.' || md[k] == ')') &&
		    (md_blank(md[k + 1]) || !md[k + 1]))
			esc = k;
	}
	if (esc != SIZE_MAX) {
		buf_put(&b, md, esc);
		buf_putc(&b, '\\');
		md += esc;
	}
	buf_puts(&b, md);
	doc = parse(buf_str(&b), b.len);
	buf_free(&b);
	buf_free(&cleaned);
	return doc;
}

static void
put_collapsed(struct buf *b, const char *s, bool *space, bool html)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				*space = true;
			continue;
		}
		if (*space && b->len)
			buf_putc(b, ' ');
		*space = false;
		if (html && strchr("&<>\"", c)) {
			char one[2] = { (char)c, '\0' };
			put_esc(b, one);
		} else {
			buf_putc(b, c);
		}
	}
}

char *
md_inline_text(const char *md)
{
	cmark_node *doc = inline_parse(md);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	struct buf b = BUF_INIT;
	bool space = false;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			put_collapsed(&b, md_str_or_empty(cmark_node_get_literal(n)),
				&space, false);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			space = true;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return buf_detach(&b);
}

char *
md_inline_html(const char *md)
{
	cmark_node *doc = inline_parse(md);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	struct buf b = BUF_INIT;
	bool space = false;
	const char *tag;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;

		tag = NULL;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
			if (enter)
				put_collapsed(&b, md_str_or_empty(
					cmark_node_get_literal(n)), &space, true);
			break;
		case CMARK_NODE_CODE:
			if (space && b.len)
				buf_putc(&b, ' ');
			space = false;
			buf_printf(&b, "<code style=\"%s\">", st_code);
			put_collapsed(&b, md_str_or_empty(cmark_node_get_literal(n)),
				&space, true);
			buf_puts(&b, "</code>");
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			space = true;
			break;
		case CMARK_NODE_EMPH:
			tag = "em";
			break;
		case CMARK_NODE_STRONG:
			tag = "strong";
			break;
		default:
			if (md_ext_kind(n) == K_STRIKE)
				tag = "del";
			break;
		}
		if (!tag)
			continue;
		if (enter) {
			/* the blank before an opening tag goes before it */
			if (space && b.len)
				buf_putc(&b, ' ');
			space = false;
			buf_printf(&b, "<%s>", tag);
		} else {
			buf_printf(&b, "</%s>", tag);
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return buf_detach(&b);
}
