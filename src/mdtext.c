/* mdtext.c - the plain-text part: Markdown's tree as wrapped text
 *
 * Blocks become paragraphs wrapped at WRAP columns (character widths from
 * Unicode's East Asian Width), lists and quotes keep their prefixes,
 * tables are laid out in columns, and each link becomes a [n] reference
 * listed once at the end.
 */
#include "labels.h"
#include "md_priv.h"

#include <cmark-gfm-core-extensions.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/* Columns a code point takes on a terminal-like display. */
static int
cp_width(uint32_t c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* The display width of s[0..n): UTF-8 characters, not bytes. */
static size_t
text_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t w = 0;

	while (p < e) {
		uint32_t c = *p;
		int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
			(c >> 3) == 30 ? 4 : 1;
		if (len > 1) {
			if (e - p < len) {
				len = 1;
			} else {
				c &= 0x3f >> (len - 1);
				for (int i = 1; i < len; i++) {
					if ((p[i] & 0xc0) != 0x80) {
						len = 1;
						break;
					}
					c = c << 6 | (p[i] & 0x3f);
				}
			}
		}
		w += len == 1 ? 1 : (size_t)cp_width(c);
		p += len;
	}
	return w;
}

struct frame {
	char first[24]; /* the prefix of the first line written inside */
	char cont[24];  /* the prefix of the next ones */
	bool pending;
	int number;     /* a list's next item number */
};

struct txt {
	const struct ctx *x;
	struct buf out;
	struct frame f[NEST_MAX];
	int nf, depth;
	bool fresh;     /* nothing written since the container opened */
	struct strmap refs;
	int in_link;
};

static size_t
prefix_width(const struct txt *t)
{
	size_t w = 0;

	for (int i = 0; i < t->nf; i++)
		w += strlen(t->f[i].pending ? t->f[i].first : t->f[i].cont);
	return w;
}

static size_t
avail(const struct txt *t)
{
	size_t w = prefix_width(t), cols = t->x->o->wrap > 0 ?
		(size_t)t->x->o->wrap : WRAP;

	return w + WRAP_MIN > cols ? WRAP_MIN : cols - w;
}

/* One line with the containers' prefixes; GLUE becomes a space. */
static void
t_line(struct txt *t, const char *s, size_t n)
{
	size_t start = t->out.len;

	for (int i = 0; i < t->nf; i++) {
		buf_puts(&t->out, t->f[i].pending ? t->f[i].first : t->f[i].cont);
		t->f[i].pending = false;
	}
	for (size_t i = 0; i < n; i++)
		buf_putc(&t->out, s[i] == GLUE ? ' ' : s[i]);
	while (t->out.len > start && t->out.data[t->out.len - 1] == ' ')
		t->out.len--;
	buf_putc(&t->out, '\n');
	t->fresh = false;
}

static void
t_blank(struct txt *t)
{
	size_t start = t->out.len;

	for (int i = 0; i < t->nf; i++)
		buf_puts(&t->out, t->f[i].cont);
	while (t->out.len > start && t->out.data[t->out.len - 1] == ' ')
		t->out.len--;
	buf_putc(&t->out, '\n');
}

/* Before a block: a blank line unless it is the first in its container
 * or part of a tight list. */
static void
t_begin(struct txt *t, cmark_node *n)
{
	cmark_node *p = cmark_node_parent(n);

	if (t->fresh)
		return;
	if (p && cmark_node_get_type(n) == CMARK_NODE_ITEM &&
	    cmark_node_get_list_tight(p))
		return;
	if (md_in_tight_list(n))
		return;
	t_blank(t);
}

/* Write each line of a wrapped text. Returns the widest. */
static size_t
t_lines(struct txt *t, const char *s)
{
	size_t w = 0;

	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s), lw = text_width(s, n);
		t_line(t, s, n);
		w = lw > w ? lw : w;
		s += n + (e != NULL);
	}
	return w;
}

/*
 * Fill s into lines of at most width columns: blanks break, '\n' forces a
 * break, GLUE never breaks; a word wider than the line (a URL) has a line
 * of its own and is never cut.
 */
static void
wrap(const char *s, size_t n, size_t width, struct buf *out)
{
	size_t i = 0, col = 0;
	bool empty = true;

	while (i < n) {
		size_t j, w;

		if (s[i] == '\n') {
			buf_putc(out, '\n');
			col = 0;
			empty = true;
			i++;
			continue;
		}
		if (md_blank(s[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && !md_blank(s[j]) && s[j] != '\n'; j++)
			;
		w = text_width(s + i, j - i);
		if (!empty && col + 1 + w > width) {
			buf_putc(out, '\n');
			col = 0;
			empty = true;
		}
		if (!empty) {
			buf_putc(out, ' ');
			col++;
		}
		buf_put(out, s + i, j - i);
		col += w;
		empty = false;
		i = j;
	}
	if (!empty)
		buf_putc(out, '\n');
}

static void
put_plain(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\t' || c == '\n' || c == '\r')
			buf_putc(b, ' ');
		else if (c >= ' ' && c != 0x7f)
			buf_putc(b, c);
	}
}

/* French typography: the space before : ; ! ? » and after « never
 * starts a line (it stands for a no-break space). */
static void
glue_french(struct buf *b)
{
	unsigned char *p = (unsigned char *)b->data;

	for (size_t i = 0; i < b->len; i++) {
		if (p[i] != ' ')
			continue;
		if (i + 1 < b->len && strchr(":;!?", p[i + 1]) &&
		    (i + 2 == b->len || p[i + 2] == ' ' || p[i + 2] == '\n'))
			p[i] = GLUE;
		else if (i + 2 < b->len && p[i + 1] == 0xc2 && p[i + 2] == 0xbb)
			p[i] = GLUE;
		else if (i >= 2 && p[i - 2] == 0xc2 && p[i - 1] == 0xab)
			p[i] = GLUE;
	}
}

/* Does the link say its URL already (an autolink)? */
static bool
says_url(const char *text, const char *url)
{
	size_t n = strlen(text);

	if (strcmp(text, url) == 0)
		return true;
	if (str_starts(url, "mailto:") && strcmp(url + 7, text) == 0)
		return true;
	if (str_starts(url, "http://") && strcmp(url + 7, text) == 0)
		return true;
	if (str_starts(url, "https://") && strcmp(url + 8, text) == 0)
		return true;
	return strncmp(text, url, n) == 0 && strcmp(url + n, "/") == 0;
}

/* A link's reference number: after the footnotes', so that every [n]
 * of the text names one entry listed at its end. */
static size_t
ref_number(struct txt *t, const char *url)
{
	return strmap_add(&t->refs, url, 0) + 1 + t->x->notes.n;
}

/* s in capitals: ASCII and the Latin-1 letters (é → É). */
static void
put_upper(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 'a' && *p <= 'z') {
			buf_putc(b, (char)(*p - 'a' + 'A'));
		} else if (*p == 0xc3 && p[1] >= 0xa0 && p[1] <= 0xbe &&
		    p[1] != 0xb7) {
			buf_putc(b, (char)0xc3);
			buf_putc(b, (char)(p[1] - 0x20));
			p++;
		} else {
			buf_putc(b, (char)*p);
		}
	}
}

/* The inline content of node as text: emphasis *x*, strikethrough ~x~,
 * links "text [n]", images "[image: alt] [n]". */
static void
txt_inline(struct txt *t, cmark_node *node, struct buf *b)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const struct md_image *img;
		char *plain;
		const char *url;

		if (n == node)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			put_plain(b, md_str_or_empty(cmark_node_get_literal(n)));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_HTML_INLINE:
			if (md_is_br(cmark_node_get_literal(n)))
				buf_putc(b, '\n');
			break;
		case CMARK_NODE_EMPH:
		case CMARK_NODE_STRONG:
			buf_putc(b, '*');
			break;
		case CMARK_NODE_LINK:
			if (ev != CMARK_EVENT_ENTER || md_dropped(n))
				break;
			url = md_str_or_empty(cmark_node_get_url(n));
			plain = md_plain_text(n);
			if (!*plain || says_url(plain, url)) {
				put_plain(b, *plain ? plain : url);
			} else {
				t->in_link++;
				txt_inline(t, n, b);
				t->in_link--;
				buf_printf(b, "%c[%zu]", GLUE, ref_number(t, url));
			}
			free(plain);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		case CMARK_NODE_IMAGE:
			plain = md_plain_text(n);
			buf_puts(b, *plain ? "[image: " : "[image");
			put_plain(b, plain);
			buf_putc(b, ']');
			if (!t->in_link && (img = md_image_of(t->x, n)))
				buf_printf(b, "%c[%zu]", GLUE,
					ref_number(t, img->url));
			free(plain);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		case CMARK_NODE_FOOTNOTE_REFERENCE:
			if (ev == CMARK_EVENT_ENTER &&
			    md_note_number(t->x, n))
				buf_printf(b, "%c[%zu]", GLUE,
					md_note_number(t->x, n));
			break;
		default:
			if (md_ext_kind(n) == K_STRIKE)
				buf_putc(b, '~');
			break;
		}
	}
	cmark_iter_free(it);
}

/* The text of a cell on one line. */
static char *
cell_text(struct txt *t, cmark_node *cell)
{
	struct buf b = BUF_INIT, c = BUF_INIT;
	bool space = false;

	txt_inline(t, cell, &b);
	for (size_t i = 0; i < b.len; i++) {
		if (md_blank(b.data[i]) || b.data[i] == '\n') {
			space = true;
			continue;
		}
		if (space && c.len)
			buf_putc(&c, ' ');
		space = false;
		buf_putc(&c, b.data[i]);
	}
	buf_free(&b);
	return buf_detach(&c);
}

static void
pad(struct buf *b, size_t n)
{
	while (n--)
		buf_putc(b, ' ');
}

static void
txt_table(struct txt *t, cmark_node *table)
{
	struct strlist cells = { 0 };
	size_t nrows = 0, ncols = 0, *w, total = 0, r, c;
	bool head = false;
	uint8_t *al = cmark_gfm_extensions_get_table_alignments(table);
	size_t nal = cmark_gfm_extensions_get_table_columns(table);
	struct buf line = BUF_INIT, wrapped = BUF_INIT;

	ncols = nal;
	for (cmark_node *row = cmark_node_first_child(table); row;
	     row = cmark_node_next(row), nrows++) {
		size_t k = 0;
		if (nrows == 0)
			head = cmark_gfm_extensions_get_table_row_is_header(row);
		for (cmark_node *cell = cmark_node_first_child(row);
		     cell && k < ncols; cell = cmark_node_next(cell), k++)
			strlist_push(&cells, cell_text(t, cell));
		for (; k < ncols; k++)
			strlist_push(&cells, xstrdup(""));
	}
	if (!ncols || !nrows)
		goto done;
	w = xcalloc(ncols, sizeof(*w));
	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++) {
			const char *s = cells.v[r * ncols + c];
			size_t cw = text_width(s, strlen(s));
			w[c] = cw > w[c] ? cw : w[c];
		}
	for (c = 0; c < ncols; c++) {
		w[c] = w[c] < 3 ? 3 : w[c];
		total += w[c] + (c ? 2 : 0);
	}
	if (total <= avail(t)) {
		for (r = 0; r < nrows; r++) {
			buf_reset(&line);
			for (c = 0; c < ncols; c++) {
				const char *s = cells.v[r * ncols + c];
				size_t sw = text_width(s, strlen(s)), left = 0;
				char a = c < nal && al ? (char)al[c] : 0;
				if (c)
					pad(&line, 2);
				if (a == 'r')
					left = w[c] - sw;
				else if (a == 'c')
					left = (w[c] - sw) / 2;
				pad(&line, left);
				buf_puts(&line, s);
				pad(&line, w[c] - sw - left);
			}
			t_line(t, line.data, line.len);
			if (r == 0 && head) {
				buf_reset(&line);
				for (c = 0; c < ncols; c++) {
					if (c)
						pad(&line, 2);
					for (size_t i = 0; i < w[c]; i++)
						buf_putc(&line, '-');
				}
				t_line(t, line.data, line.len);
			}
		}
	} else {
		/* too wide: one "header: value" line per cell */
		for (r = head ? 1 : 0; r < nrows; r++) {
			if (r > (head ? 1u : 0u))
				t_blank(t);
			for (c = 0; c < ncols; c++) {
				const char *s = cells.v[r * ncols + c];
				const char *h = head ? cells.v[c] : "";
				if (!*s)
					continue;
				buf_reset(&line);
				buf_reset(&wrapped);
				if (*h)
					buf_printf(&line, "%s: ", h);
				buf_puts(&line, s);
				wrap(line.data, line.len, avail(t), &wrapped);
				t_lines(t, buf_str(&wrapped));
			}
		}
	}
	free(w);
done:
	strlist_free(&cells);
	buf_free(&line);
	buf_free(&wrapped);
}

static void
t_push(struct txt *t, const char *first, const char *cont)
{
	struct frame *f;

	if (++t->depth > NEST_MAX)
		return;
	f = &t->f[t->nf++];
	snprintf(f->first, sizeof(f->first), "%s", first);
	snprintf(f->cont, sizeof(f->cont), "%s", cont);
	f->pending = true;
	f->number = 1;
	t->fresh = true;
}

static void
t_pop(struct txt *t)
{
	if (t->depth-- <= NEST_MAX)
		t->nf--;
}

static void
txt_item(struct txt *t, cmark_node *item)
{
	cmark_node *list = cmark_node_parent(item);
	char first[24], cont[24];
	int len;

	if (t->depth >= NEST_MAX) {
		t_push(t, "", "");
		return;
	}
	if (list && cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
		struct frame *lf = &t->f[t->nf - 1];
		len = snprintf(first, sizeof(first), "  %d%c ", lf->number++,
			cmark_node_get_list_delim(list) == CMARK_PAREN_DELIM ?
			')' : '.');
		if (len < 0 || (size_t)len >= sizeof(cont))
			len = sizeof(cont) - 1;
		memset(cont, ' ', (size_t)len);
		cont[len] = '\0';
		t_push(t, first, cont);
	} else {
		t_push(t, "  - ", "    ");
	}
}

static void
txt_block_text(struct txt *t, cmark_node *n, struct buf *tmp,
	struct buf *wrapped)
{
	buf_reset(tmp);
	buf_reset(wrapped);
	txt_inline(t, n, tmp);
	glue_french(tmp);
	wrap(tmp->data ? tmp->data : "", tmp->len, avail(t), wrapped);
}

char *
md_render_text(const struct ctx *x, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	struct txt t;
	struct buf tmp = BUF_INIT, wrapped = BUF_INIT;

	memset(&t, 0, sizeof(t));
	t.x = x;
	t.fresh = true;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;
		const char *lit, *e;
		size_t w;
		int level;

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_BLOCK_QUOTE:
			if (md_callout_of(x, n)) {
				/* a callout: its title in capitals, its text
				 * indented under it */
				if (enter) {
					t_begin(&t, n);
					buf_reset(&tmp);
					put_upper(&tmp, md_callout_title(x,
						md_callout_of(x, n)));
					t_line(&t, tmp.data, tmp.len);
					t_push(&t, "    ", "    ");
					t.fresh = true;
				} else {
					t_pop(&t);
				}
			} else if (enter) {
				t_begin(&t, n);
				t_push(&t, "> ", "> ");
			} else {
				t_pop(&t);
			}
			break;
		case CMARK_NODE_FOOTNOTE_DEFINITION:
			if (enter) {
				cmark_node *prev = cmark_node_previous(n);
				char mark[24];

				if (!prev || cmark_node_get_type(prev) !=
				    CMARK_NODE_FOOTNOTE_DEFINITION) {
					t_begin(&t, n);
					lit = label(x->o->lang, "NOTES");
					t_line(&t, lit, strlen(lit));
					buf_reset(&tmp);
					for (w = strlen(lit); w; w--)
						buf_putc(&tmp, '-');
					t_line(&t, tmp.data, tmp.len);
				}
				t_begin(&t, n);
				snprintf(mark, sizeof(mark), "[%zu] ",
					md_note_number(x, n));
				t_push(&t, mark, "    ");
			} else {
				t_pop(&t);
			}
			break;
		case CMARK_NODE_LIST:
			if (enter) {
				t_begin(&t, n);
				t_push(&t, "", "");
				if (t.depth <= NEST_MAX)
					t.f[t.nf - 1].number =
						cmark_node_get_list_start(n);
			} else {
				t_pop(&t);
			}
			break;
		case CMARK_NODE_ITEM:
			if (enter) {
				t_begin(&t, n);
				txt_item(&t, n);
			} else {
				t_pop(&t);
			}
			break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			txt_block_text(&t, n, &tmp, &wrapped);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			if (!wrapped.len)
				break;
			t_begin(&t, n);
			w = t_lines(&t, buf_str(&wrapped));
			if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
				level = cmark_node_get_heading_level(n) +
					x->o->heading_shift;
				buf_reset(&tmp);
				while (w--)
					buf_putc(&tmp, level <= 1 ? '=' :
						level == 2 ? '-' : '~');
				t_line(&t, tmp.data, tmp.len);
			}
			break;
		case CMARK_NODE_CODE_BLOCK:
			lit = md_str_or_empty(cmark_node_get_literal(n));
			t_begin(&t, n);
			while (*lit) {
				e = strchr(lit, '\n');
				w = e ? (size_t)(e - lit) : strlen(lit);
				buf_reset(&tmp);
				buf_puts(&tmp, "    ");
				buf_put(&tmp, lit, w);
				t_line(&t, tmp.data, tmp.len);
				lit += w + (e != NULL);
			}
			t.fresh = false;
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			t_begin(&t, n);
			buf_reset(&tmp);
			for (w = avail(&t); w; w--)
				buf_putc(&tmp, '-');
			t_line(&t, tmp.data, tmp.len);
			break;
		default:
			if (enter && md_ext_kind(n) == K_TABLE) {
				t_begin(&t, n);
				txt_table(&t, n);
				cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			}
			break;
		}
	}
	cmark_iter_free(it);
	if (t.refs.n) {
		t.nf = 0;
		if (t.out.len)
			buf_putc(&t.out, '\n');
		for (size_t i = 0; i < t.refs.n; i++)
			buf_printf(&t.out, "[%zu] %s\n", i + 1 + x->notes.n,
				t.refs.key[i]);
	}
	strmap_free(&t.refs);
	buf_free(&tmp);
	buf_free(&wrapped);
	return buf_detach(&t.out);
}

