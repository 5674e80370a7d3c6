/* markdown.c - site syntax cleaned, cmark-gfm tree, HTML and text renderers */
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
#include "sitefile.h"
#include "siteurl.h"
#include "util.h"

#define WRAP 72          /* columns of the plain text */
#define WRAP_MIN 20      /* narrowest text left by deep nesting */
#define IMG_MAX 560      /* widest image in the 600 px layout */
#define ATTR_MAX 512     /* longest {…} attribute block looked at */
#define SPAN_MAX 32      /* longest backtick run taken as a code span */
/* cmark-gfm 0.29.0.gfm.6 walks all open brackets at each link and all
 * cells of a row at each cell: past these counts, '[' and '|' are escaped
 * (literal text then, as they are in any real page at such counts) so
 * that no input is quadratic. */
#define BRACKETS_MAX 256 /* open '[' in a paragraph */
#define PIPES_MAX 64     /* '|' on a line: table columns */
/* Its autolink extension reads to the next blank at each "://". */
#define URLS_MAX 16      /* "://" in a run of non-blanks */
#define SC_ARGS 16       /* shortcode arguments looked at */
#define NEST_MAX 24      /* containers rendered nested; deeper ones flatten */
#define DELETED '\001'   /* a byte md_clean removes at the end */
#define GLUE '\001'      /* a space the text wrapper never breaks */
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

/* ---------------------------------------------------------------------
 * A map of strings to numbers (open addressing), for reference numbers,
 * images and widths, which pathological inputs can have by the thousand.
 */

struct strmap {
	char **key;
	size_t *val;
	size_t n, cap;
	size_t *slot; /* index + 1 of a key, 0 when empty */
	size_t nslot;
};

static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static size_t *
strmap_slot(const struct strmap *m, const char *k)
{
	size_t mask = m->nslot - 1, h = hash(k) & mask;

	while (m->slot[h] && strcmp(m->key[m->slot[h] - 1], k) != 0)
		h = (h + 1) & mask;
	return &m->slot[h];
}

/* The index of k, or SIZE_MAX. */
static size_t
strmap_find(const struct strmap *m, const char *k)
{
	size_t *s;

	if (!m->nslot)
		return SIZE_MAX;
	s = strmap_slot(m, k);
	return *s ? *s - 1 : SIZE_MAX;
}

/* Add k (copied) with value v unless it is there; return its index. */
static size_t
strmap_add(struct strmap *m, const char *k, size_t v)
{
	size_t *s;

	if ((m->n + 1) * 2 > m->nslot) {
		m->nslot = m->nslot ? m->nslot * 2 : 64;
		free(m->slot);
		m->slot = xcalloc(m->nslot, sizeof(*m->slot));
		for (size_t i = 0; i < m->n; i++)
			*strmap_slot(m, m->key[i]) = i + 1;
	}
	s = strmap_slot(m, k);
	if (*s)
		return *s - 1;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->key = xreallocarray(m->key, m->cap, sizeof(*m->key));
		m->val = xreallocarray(m->val, m->cap, sizeof(*m->val));
	}
	m->key[m->n] = xstrdup(k);
	m->val[m->n] = v;
	*s = ++m->n;
	return m->n - 1;
}

static void
strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->key[i]);
	free(m->key);
	free(m->val);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------------
 * Site syntax. One pass over the text, a line at a time for fences and
 * fenced divs, a byte at a time for the rest. Every scan that looks ahead
 * is bounded (by the line, by ATTR_MAX, or by the next shortcode opener),
 * so that no input makes it quadratic.
 */

struct cleaner {
	const char *s;
	size_t n, i;
	struct buf out;
	size_t *br;               /* output offsets of open '[' */
	size_t nbr;
	size_t over;              /* '[' escaped past BRACKETS_MAX, open */
	size_t pipes;             /* '|' on the line so far */
	size_t urls;              /* "://" since the last blank */
	size_t last_open, last_close; /* the last "[…]" closed, in out */
	bool have_close;
	bool in_comment, deleted;
	size_t span_fail[SPAN_MAX + 1]; /* line end where a run had no match */
	struct strmap *widths;    /* image src → {width=…} in pixels */
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
eol(const char *s, size_t i, size_t n)
{
	const char *e = memchr(s + i, '\n', n - i);

	return e ? (size_t)(e - s) : n;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static bool
attr_char(char c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == ':' || c == '.';
}

/* "600", "600px" → 600; anything else 0. */
static int
parse_px(const char *s, size_t n)
{
	long v = 0;
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9' && v < 100000)
		v = v * 10 + (s[i++] - '0');
	if (i == 0 || (i < n && !(n - i == 2 && memcmp(s + i, "px", 2) == 0)))
		return 0;
	return (int)v;
}

/*
 * The length of the Pandoc attribute block at s ("{#id .class key=val}"),
 * '}' included, or 0 when s does not hold one. *width (when not NULL)
 * receives a width=N in pixels.
 */
static size_t
attr_block(const char *s, size_t n, int *width)
{
	size_t p = 1, lim = n < ATTR_MAX ? n : ATTR_MAX, q;
	int ntok = 0;

	if (n < 2 || s[0] != '{')
		return 0;
	for (;;) {
		while (p < lim && blank(s[p]))
			p++;
		if (p >= lim || s[p] == '\n')
			return 0;
		if (s[p] == '}')
			return ntok ? p + 1 : 0;
		if (s[p] == '#' || s[p] == '.' || s[p] == '=') {
			for (q = p + 1; q < lim && attr_char(s[q]); q++)
				;
			if (q == p + 1)
				return 0;
			p = q;
		} else if (s[p] == '-' && p + 1 < lim &&
		    (blank(s[p + 1]) || s[p + 1] == '}')) {
			p++;
		} else if (is_alnum(s[p]) || s[p] == '_') {
			size_t k0 = p, k1, v0, v1;

			for (q = p; q < lim && attr_char(s[q]); q++)
				;
			if (q >= lim || s[q] != '=')
				return 0;
			k1 = q++;
			if (q < lim && (s[q] == '"' || s[q] == '\'')) {
				char quote = s[q];
				v0 = ++q;
				while (q < lim && s[q] != quote && s[q] != '\n')
					q += s[q] == '\\' ? 2 : 1;
				if (q >= lim || s[q] != quote)
					return 0;
				v1 = q++;
			} else {
				v0 = q;
				while (q < lim && !blank(s[q]) && s[q] != '}' &&
				    s[q] != '\n' && s[q] != '"' && s[q] != '\'')
					q++;
				v1 = q;
			}
			if (width && k1 - k0 == 5 && memcmp(s + k0, "width", 5) == 0)
				*width = parse_px(s + v0, v1 - v0);
			p = q;
		} else {
			return 0;
		}
		ntok++;
		if (p < lim && !blank(s[p]) && s[p] != '}')
			return 0;
	}
}

/* Past the blanks and blockquote markers that start a line. */
static size_t
line_prefix(const char *s, size_t i, size_t e)
{
	while (i < e && (blank(s[i]) || s[i] == '>'))
		i++;
	return i;
}

/* Is s[k..e) an opening code fence? Sets its character and length. */
static bool
fence_open(const char *s, size_t k, size_t e, char *ch, size_t *len)
{
	size_t r = k;

	if (k >= e || (s[k] != '`' && s[k] != '~'))
		return false;
	while (r < e && s[r] == s[k])
		r++;
	if (r - k < 3)
		return false;
	if (s[k] == '`' && memchr(s + r, '`', e - r))
		return false;
	*ch = s[k];
	*len = r - k;
	return true;
}

static bool
fence_close(const char *s, size_t k, size_t e, char ch, size_t len)
{
	size_t r = k;

	while (r < e && s[r] == ch)
		r++;
	if (r - k < len)
		return false;
	while (r < e && blank(s[r]))
		r++;
	return r == e;
}

/* Where an ATX heading line's trailing "{#id}" starts (blanks before it
 * included), or SIZE_MAX. */
static size_t
heading_cut(const char *s, size_t k, size_t e)
{
	size_t p = k, h = 0, r, lo;

	while (p < e && s[p] == '#' && h < 7)
		p++, h++;
	if (h == 0 || h > 6 || (p < e && !blank(s[p])))
		return SIZE_MAX;
	for (r = e; r > p && blank(s[r - 1]); r--)
		;
	if (r == p || s[r - 1] != '}')
		return SIZE_MAX;
	lo = r - p > ATTR_MAX ? r - ATTR_MAX : p;
	for (size_t b = r - 1; b > lo; b--) {
		if (s[b] != '{')
			continue;
		if (!blank(s[b - 1]) || attr_block(s + b, e - b, NULL) != r - b)
			return SIZE_MAX;
		while (b > p && blank(s[b - 1]))
			b--;
		return b;
	}
	return SIZE_MAX;
}

static void
put_newlines(struct buf *b, const char *s, size_t n)
{
	for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s)));
	     p++)
		buf_putc(b, '\n');
}

struct sc_arg {
	const char *key; /* NULL for a positional argument */
	size_t klen;
	char *val;
};

/* The value of the named argument, or of the positional one at pos
 * (-1: none), or NULL. */
static const char *
sc_get(const struct sc_arg *a, int na, const char *key, int pos)
{
	int k = 0;

	for (int i = 0; i < na; i++)
		if (a[i].key && strlen(key) == a[i].klen &&
		    memcmp(a[i].key, key, a[i].klen) == 0)
			return a[i].val;
	for (int i = 0; i < na; i++)
		if (!a[i].key && k++ == pos)
			return a[i].val;
	return NULL;
}

/* Read one argument value at s[*p] ("…", `…` or bare) into an allocated
 * string, on one line: the shortcode's newlines are written apart. */
static char *
sc_value(const char *s, size_t *p, size_t e)
{
	struct buf b = BUF_INIT;
	size_t q = *p;

	if (s[q] == '"' || s[q] == '`') {
		char quote = s[q++];
		while (q < e && s[q] != quote) {
			if (quote == '"' && s[q] == '\\' && q + 1 < e)
				q++;
			buf_putc(&b, s[q] == '\n' ? ' ' : s[q]);
			q++;
		}
		if (q < e)
			q++;
	} else {
		while (q < e && !blank(s[q]) && s[q] != '\n')
			buf_putc(&b, s[q++]);
	}
	*p = q;
	return buf_detach(&b);
}

static int
sc_parse(const char *s, size_t p, size_t e, struct sc_arg *a)
{
	int na = 0;

	while (p < e && na < SC_ARGS) {
		size_t q;

		while (p < e && (blank(s[p]) || s[p] == '\n'))
			p++;
		if (p >= e)
			break;
		a[na].key = NULL;
		a[na].klen = 0;
		for (q = p; q < e && (attr_char(s[q])); q++)
			;
		if (q > p && q < e && s[q] == '=') {
			a[na].key = s + p;
			a[na].klen = q - p;
			p = q + 1;
		}
		a[na++].val = sc_value(s, &p, e);
	}
	return na;
}

/* Write s as the text of a Markdown image description. */
static void
put_md_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			buf_putc(b, ' ');
		else if (strchr("[]\\", *s))
			buf_putc(b, '\\'), buf_putc(b, *s);
		else
			buf_putc(b, *s);
	}
}

/* Is s a plain http(s) URL with nothing that would end an autolink? */
static bool
autolinkable(const char *s)
{
	if (!str_starts(s, "https://") && !str_starts(s, "http://"))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>')
			return false;
	return true;
}

static bool
video_id(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void
sc_replace(struct cleaner *c, const char *name, size_t nlen,
	const struct sc_arg *a, int na)
{
	struct buf *b = &c->out;
	const char *v;

#define IS(x) (nlen == sizeof(x) - 1 && memcmp(name, x, nlen) == 0)
	if (IS("abbr")) {
		if ((v = sc_get(a, na, "text", 1)))
			buf_puts(b, v);
	} else if (IS("figure")) {
		const char *src = sc_get(a, na, "src", 0), *alt;
		struct buf dest = BUF_INIT;
		int px;

		if (!src || !*src)
			return;
		if (!(alt = sc_get(a, na, "alt", -1)) &&
		    !(alt = sc_get(a, na, "caption", -1)) &&
		    !(alt = sc_get(a, na, "title", -1)))
			alt = "";
		for (const char *p = src; *p; p++)
			if (*p == ' ')
				buf_puts(&dest, "%20");
			else if ((unsigned char)*p > ' ')
				buf_putc(&dest, *p);
		buf_puts(b, "![");
		put_md_text(b, alt);
		buf_puts(b, "](");
		for (const char *p = buf_str(&dest); *p; p++) {
			if (strchr("()<>\\", *p))
				buf_putc(b, '\\');
			buf_putc(b, *p);
		}
		buf_putc(b, ')');
		v = sc_get(a, na, "width", -1);
		if (v && c->widths && (px = parse_px(v, strlen(v))) > 0)
			strmap_add(c->widths, buf_str(&dest), (size_t)px);
		buf_free(&dest);
	} else if (IS("youtube")) {
		if (!(v = sc_get(a, na, "id", -1)))
			v = sc_get(a, na, "", 0);
		if (video_id(v))
			buf_printf(b, "<https://www.youtube.com/watch?v=%s>", v);
	} else if (IS("vimeo")) {
		if (!(v = sc_get(a, na, "id", -1)))
			v = sc_get(a, na, "", 0);
		if (video_id(v))
			buf_printf(b, "<https://vimeo.com/%s>", v);
	} else if (IS("video")) {
		static const char embed[] = "https://www.youtube.com/embed/";
		if (!(v = sc_get(a, na, "src", -1)))
			v = sc_get(a, na, "", 0);
		if (v && str_starts(v, embed) && video_id(v + strlen(embed)))
			buf_printf(b, "<https://www.youtube.com/watch?v=%s>",
				v + strlen(embed));
		else if (v && autolinkable(v))
			buf_printf(b, "<%s>", v);
	} else if (IS("ref") || IS("relref")) {
		/* Hugo looks these up under content/ */
		if (!(v = sc_get(a, na, "path", -1)))
			v = sc_get(a, na, "", 0);
		if (v && *v && !strpbrk(v, " \t\n()<>")) {
			if (v[0] == '/' && !str_starts(v, "/content/"))
				buf_puts(b, "/content");
			buf_puts(b, v);
		}
	} else if (IS("kbd")) {
		if ((v = sc_get(a, na, "", 0)))
			buf_puts(b, v);
	}
	/* include, meta, var, pagebreak, callout, notice, … say nothing */
#undef IS
}

/* At "{{<" or "{{%": replace the shortcode, keeping its newlines. */
static void
shortcode(struct cleaner *c)
{
	const char *s = c->s;
	size_t start = c->i, n = c->n, q, end = SIZE_MAX, p, e;
	char kind = s[start + 2], close = kind == '<' ? '>' : '%', quote = 0;
	struct sc_arg a[SC_ARGS];
	int na;

	/* The scan stops at the next opener, so scans never overlap. */
	for (q = start + 3; q < n; q++) {
		char ch = s[q];
		if (ch == '{' && q + 2 < n && s[q + 1] == '{' &&
		    (s[q + 2] == '<' || s[q + 2] == '%'))
			break;
		if (ch == '\n' && q + 1 < n && s[q + 1] == '\n')
			break;
		if (quote) {
			if (ch == quote && s[q - 1] != '\\')
				quote = 0;
		} else if (ch == '"' || ch == '`') {
			quote = ch;
		} else if (ch == close && q + 2 < n && s[q + 1] == '}' &&
		    s[q + 2] == '}') {
			end = q;
			break;
		}
	}
	if (end == SIZE_MAX) {
		/* unterminated: the rest of its line goes */
		c->i = eol(s, start, n);
		return;
	}
	c->i = end + 3;
	p = start + 3;
	e = end;
	while (p < e && (blank(s[p]) || s[p] == '\n'))
		p++;
	while (e > p && (blank(s[e - 1]) || s[e - 1] == '\n'))
		e--;
	if (e - p >= 4 && s[p] == '/' && s[p + 1] == '*' && s[e - 1] == '/' &&
	    s[e - 2] == '*') {
		/* a shortcode commented out is how Hugo shows one literally */
		buf_printf(&c->out, "{{%c", kind);
		buf_put(&c->out, s + p + 2, e - p - 4);
		buf_printf(&c->out, "%c}}", close);
		/* the inner newlines are written already */
		put_newlines(&c->out, s + start, p + 2 - start);
		put_newlines(&c->out, s + e - 2, end + 3 - (e - 2));
		return;
	}
	if (p < e && s[p] == '/') {
		/* the end of a paired shortcode: its inner text stays */
		put_newlines(&c->out, s + start, end + 3 - start);
		return;
	}
	if (e > p && s[e - 1] == '/')
		e--;
	for (q = p; q < e && !blank(s[q]) && s[q] != '\n'; q++)
		;
	na = sc_parse(s, q, e, a);
	sc_replace(c, s + p, q - p, a, na);
	for (int i = 0; i < na; i++)
		free(a[i].val);
	put_newlines(&c->out, s + start, end + 3 - start);
}

/* At a run of backticks: copy a code span whole, or the run as text. */
static void
code_span(struct cleaner *c)
{
	const char *s = c->s;
	size_t i = c->i, run = 0, e = eol(s, i, c->n), j;

	while (i + run < e && s[i + run] == '`')
		run++;
	if (run <= SPAN_MAX && c->span_fail[run] != e) {
		for (j = i + run; j < e; ) {
			size_t r = 0;
			if (s[j] != '`') {
				j++;
				continue;
			}
			while (j + r < e && s[j + r] == '`')
				r++;
			if (r == run) {
				buf_put(&c->out, s + i, j + r - i);
				c->i = j + r;
				/* `x`{.r} */
				c->i += attr_block(s + c->i, c->n - c->i, NULL);
				return;
			}
			j += r;
		}
		c->span_fail[run] = e;
	}
	buf_put(&c->out, s + i, run);
	c->i += run;
}

static void
close_bracket(struct cleaner *c)
{
	size_t open, len;

	if (c->over) {
		/* it closes an escaped '[' */
		c->over--;
		c->have_close = false;
		buf_putc(&c->out, ']');
		c->i++;
		return;
	}
	open = c->nbr ? c->br[--c->nbr] : SIZE_MAX;

	c->last_open = open;
	c->last_close = c->out.len;
	c->have_close = true;
	buf_putc(&c->out, ']');
	c->i++;
	if (open != SIZE_MAX &&
	    (len = attr_block(c->s + c->i, c->n - c->i, NULL)) > 0) {
		/* [text]{.smallcaps} → text */
		c->out.data[open] = DELETED;
		c->deleted = true;
		c->out.data[--c->out.len] = '\0';
		c->have_close = false;
		c->i += len;
	}
}

/* After "![alt](dest)" came "{width=N}": remember N for dest. */
static void
record_width(struct cleaner *c, int px)
{
	const char *o = c->out.data;
	size_t d, e = c->out.len - 1, k;
	struct buf src = BUF_INIT;

	if (!c->widths || !c->have_close || c->last_open == SIZE_MAX ||
	    c->last_open == 0 || o[c->last_open - 1] != '!' ||
	    c->last_close + 2 > e || o[c->last_close + 1] != '(')
		return;
	c->have_close = false; /* one {…} per image: no scan twice */
	for (d = c->last_close + 2; d < e && blank(o[d]); d++)
		;
	if (d < e && o[d] == '<') {
		for (k = ++d; k < e && o[k] != '>'; k++)
			;
	} else {
		for (k = d; k < e && !blank(o[k]) && o[k] != '\n'; k++)
			;
	}
	for (size_t i = d; i < k; i++) {
		if (o[i] == '\\' && i + 1 < k && strchr("()<>\\", o[i + 1]))
			i++;
		buf_putc(&src, o[i]);
	}
	if (src.len)
		strmap_add(c->widths, buf_str(&src), (size_t)px);
	buf_free(&src);
}

/* Inline constructs from c->i to the end of its line (the newline
 * included); past stop the line is dropped. Comments and shortcodes may
 * carry the scan over newlines. */
static void
scan_inline(struct cleaner *c, size_t stop)
{
	const char *s = c->s;

	while (c->i < c->n) {
		size_t i = c->i;
		char ch = s[i];

		if (c->in_comment) {
			const char *end = memmem(s + i, c->n - i, "-->", 3);
			size_t to = end ? (size_t)(end - s) + 3 : c->n;
			put_newlines(&c->out, s + i, to - i);
			c->in_comment = !end;
			c->i = to;
			continue;
		}
		if (ch == '\n') {
			buf_putc(&c->out, '\n');
			c->i++;
			c->pipes = c->urls = 0;
			return;
		}
		if (i >= stop) {
			c->i = eol(s, i, c->n);
			continue;
		}
		if (ch == '\\' && i + 1 < c->n && s[i + 1] != '\n') {
			buf_put(&c->out, s + i, 2);
			c->i += 2;
		} else if (ch == '<' && strncmp(s + i, "<!--", 4) == 0) {
			c->in_comment = true;
			c->i += 4;
		} else if (ch == '{' && s[i + 1] == '{' &&
		    (s[i + 2] == '<' || s[i + 2] == '%')) {
			shortcode(c);
		} else if (ch == '`') {
			code_span(c);
		} else if (ch == '[') {
			if (c->nbr < BRACKETS_MAX && !c->over) {
				c->br[c->nbr++] = c->out.len;
			} else {
				buf_putc(&c->out, '\\');
				c->over++;
			}
			buf_putc(&c->out, '[');
			c->i++;
		} else if (ch == '|') {
			if (++c->pipes > PIPES_MAX)
				buf_putc(&c->out, '\\');
			buf_putc(&c->out, '|');
			c->i++;
		} else if (ch == ']') {
			close_bracket(c);
		} else if (ch == ')' && s[i + 1] == '{') {
			int px = 0;
			size_t len = attr_block(s + i + 1, c->n - i - 1, &px);
			buf_putc(&c->out, ')');
			if (px > 0)
				record_width(c, px);
			c->i += 1 + len;
		} else {
			if (blank(ch))
				c->urls = 0;
			else if (ch == ':' && s[i + 1] == '/' && s[i + 2] == '/' &&
			    ++c->urls > URLS_MAX)
				buf_putc(&c->out, '\\');
			buf_putc(&c->out, ch);
			c->i++;
		}
	}
}

/* CRLF and CR become LF; other control characters go (they have no place
 * in mail, and DELETED and GLUE are then free to mark bytes). */
static void
normalise_input(const char *md, struct buf *b)
{
	for (const char *p = md; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\r') {
			if (p[1] != '\n')
				buf_putc(b, '\n');
		} else if ((ch >= ' ' && ch != 0x7f) || ch == '\t' ||
		    ch == '\n') {
			buf_putc(b, ch);
		}
	}
}

static void
clean(const char *md, struct buf *out, struct strmap *widths)
{
	struct buf in = BUF_INIT;
	struct cleaner c;
	bool in_fence = false, drop = false;
	char fch = 0;
	size_t flen = 0;

	memset(&c, 0, sizeof(c));
	normalise_input(md, &in);
	c.s = buf_str(&in);
	c.n = in.len;
	c.widths = widths;
	c.br = xreallocarray(NULL, BRACKETS_MAX, sizeof(*c.br));
	for (size_t i = 0; i <= SPAN_MAX; i++)
		c.span_fail[i] = SIZE_MAX;

	while (c.i < c.n) {
		const char *s = c.s;
		size_t i = c.i, e = eol(s, i, c.n), k;
		char ch;
		size_t len;

		if ((i > 0 && s[i - 1] != '\n') || c.in_comment) {
			scan_inline(&c, SIZE_MAX);
			continue;
		}
		k = line_prefix(s, i, e);
		c.pipes = 0;
		if (in_fence) {
			if (fence_close(s, k, e, fch, flen)) {
				in_fence = false;
				if (!drop)
					buf_put(&c.out, s + i, e - i);
			} else if (!drop) {
				buf_put(&c.out, s + i, e - i);
			}
		} else if (fence_open(s, k, e, &ch, &len)) {
			size_t info = k + len;
			while (info < e && blank(s[info]))
				info++;
			in_fence = true;
			fch = ch;
			flen = len;
			/* ```{r}, ```{ojs}, ```{=html}: run or raw, not shown;
			 * ```{.python} is shown as python */
			drop = info + 1 < e && s[info] == '{' &&
				(is_alnum(s[info + 1]) || s[info + 1] == '=');
			if (!drop && info < e && s[info] == '{') {
				const char *dot = NULL;
				for (size_t j = info + 1; j < e && s[j] != '}'; j++)
					if (s[j] == '.' && (blank(s[j - 1]) || s[j - 1] == '{')) {
						dot = s + j + 1;
						break;
					}
				buf_put(&c.out, s + i, k + len - i);
				while (dot && dot < s + e && attr_char(*dot))
					buf_putc(&c.out, *dot++);
			} else if (!drop) {
				buf_put(&c.out, s + i, e - i);
			}
		} else if (e - k >= 3 && strncmp(s + k, ":::", 3) == 0) {
			/* a fenced div line; what it encloses stays */
			buf_put(&c.out, s + i, k - i);
		} else {
			if (k == e)
				c.nbr = c.over = 0; /* a blank line ends the paragraph */
			scan_inline(&c, heading_cut(s, k, e));
			continue;
		}
		c.i = e < c.n ? e + 1 : e;
		if (e < c.n)
			buf_putc(&c.out, '\n');
	}
	if (c.deleted) {
		size_t w = 0;
		for (size_t r = 0; r < c.out.len; r++)
			if (c.out.data[r] != DELETED)
				c.out.data[w++] = c.out.data[r];
		c.out.len = w;
		c.out.data[w] = '\0';
	}
	free(c.br);
	buf_free(&in);
	*out = c.out;
}

char *
md_clean(const char *md)
{
	struct buf b = BUF_INIT;

	clean(md, &b, NULL);
	return buf_detach(&b);
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
	p = cmark_parser_new(CMARK_OPT_DEFAULT);
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

enum kind { K_CORE, K_TABLE, K_ROW, K_CELL, K_STRIKE, K_OTHER };

/* The extension node types are registered at run time: know them by name. */
static enum kind
ext_kind(cmark_node *n)
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

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/* <br>, <br/>, <br /> */
static bool
is_br(const char *s)
{
	s = str_or_empty(s);
	return str_casecmp(s, "<br>") == 0 || str_casecmp(s, "<br/>") == 0 ||
		str_casecmp(s, "<br />") == 0;
}

/* The plain text of a node's inline content, blanks collapsed. */
static char *
plain_text(cmark_node *node)
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
			for (s = str_or_empty(cmark_node_get_literal(n)); *s; s++) {
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
};


static char *
resolve(const struct ctx *x, const char *u)
{
	const char *base = str_or_empty(x->o->base_url);
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
	return siteurl_resolve(base, str_or_empty(x->o->source), u);
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
	const char *u = str_or_empty(cmark_node_get_url(n));
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
	const char *u = str_or_empty(cmark_node_get_url(n));
	struct md_doc *d = x->doc;
	struct md_image *img;
	char *alt = plain_text(n), *r, *local = NULL;
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

static const struct md_image *
image_of(const struct ctx *x, cmark_node *n)
{
	void *u = cmark_node_get_user_data(n);

	if (!u || u == DROPPED)
		return NULL;
	return &x->doc->images[(uintptr_t)u - 1];
}

static bool
dropped(cmark_node *n)
{
	return cmark_node_get_user_data(n) == DROPPED;
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
	const struct md_image *img = image_of(x, n);
	const char *src = NULL, *title = cmark_node_get_title(n);
	char *alt = plain_text(n);

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
			put_esc(b, str_or_empty(cmark_node_get_literal(n)));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_puts(b, "<br>\n");
			break;
		case CMARK_NODE_CODE:
			buf_printf(b, "<code style=\"%s\">", st_code);
			put_esc(b, str_or_empty(cmark_node_get_literal(n)));
			buf_puts(b, "</code>");
			break;
		case CMARK_NODE_HTML_INLINE:
			if (is_br(cmark_node_get_literal(n)))
				buf_puts(b, "<br>");
			break;
		case CMARK_NODE_EMPH:
			buf_puts(b, enter ? "<em>" : "</em>");
			break;
		case CMARK_NODE_STRONG:
			buf_puts(b, enter ? "<strong>" : "</strong>");
			break;
		case CMARK_NODE_LINK:
			if (dropped(n))
				break;
			if (!enter) {
				buf_puts(b, "</a>");
				break;
			}
			buf_puts(b, "<a href=\"");
			put_url(b, str_or_empty(cmark_node_get_url(n)));
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
		default:
			if (ext_kind(n) == K_STRIKE)
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
		if (!blank(b->data[i]) && b->data[i] != '\n')
			return false;
	return true;
}

static bool
in_tight_list(cmark_node *n)
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

		if (ext_kind(row) != K_ROW)
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
			if (cmark_node_get_type(n) == CMARK_NODE_BLOCK_QUOTE)
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
			if (in_tight_list(n))
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
			lit = str_or_empty(cmark_node_get_literal(n));
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
		default:
			if (enter && ext_kind(n) == K_TABLE) {
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
 * Plain text.
 */

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
	if (in_tight_list(n))
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
		if (blank(s[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && !blank(s[j]) && s[j] != '\n'; j++)
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

static size_t
ref_number(struct txt *t, const char *url)
{
	return strmap_add(&t->refs, url, 0) + 1;
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
			put_plain(b, str_or_empty(cmark_node_get_literal(n)));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_HTML_INLINE:
			if (is_br(cmark_node_get_literal(n)))
				buf_putc(b, '\n');
			break;
		case CMARK_NODE_EMPH:
		case CMARK_NODE_STRONG:
			buf_putc(b, '*');
			break;
		case CMARK_NODE_LINK:
			if (ev != CMARK_EVENT_ENTER || dropped(n))
				break;
			url = str_or_empty(cmark_node_get_url(n));
			plain = plain_text(n);
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
			plain = plain_text(n);
			buf_puts(b, *plain ? "[image: " : "[image");
			put_plain(b, plain);
			buf_putc(b, ']');
			if (!t->in_link && (img = image_of(t->x, n)))
				buf_printf(b, "%c[%zu]", GLUE,
					ref_number(t, img->url));
			free(plain);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		default:
			if (ext_kind(n) == K_STRIKE)
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
		if (blank(b.data[i]) || b.data[i] == '\n') {
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
	wrap(tmp->data ? tmp->data : "", tmp->len, avail(t), wrapped);
}

static char *
render_text(const struct ctx *x, cmark_node *doc)
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
			if (enter) {
				t_begin(&t, n);
				t_push(&t, "> ", "> ");
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
			lit = str_or_empty(cmark_node_get_literal(n));
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
			if (enter && ext_kind(n) == K_TABLE) {
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
			buf_printf(&t.out, "[%zu] %s\n", i + 1, t.refs.key[i]);
	}
	strmap_free(&t.refs);
	buf_free(&tmp);
	buf_free(&wrapped);
	return buf_detach(&t.out);
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
	clean(md ? md : "", &cleaned, &x.widths);
	doc = parse(buf_str(&cleaned), cleaned.len);
	buf_free(&cleaned);
	prepare(&x, doc);
	out->html = render_html(&x, doc);
	out->text = render_text(&x, doc);
	cmark_node_free(doc);
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

	clean(text, &cleaned, NULL);
	md = buf_str(&cleaned);
	while (*md == ' ' || *md == '\t' || *md == '\n' || *md == '\r')
		md++;
	if (md[0] == '#') {
		while (md[k] == '#')
			k++;
		if (k <= 6 && (blank(md[k]) || !md[k]))
			esc = 0;
	} else if (md[0] && strchr("-+*", md[0]) && (blank(md[1]) || !md[1])) {
		esc = 0;
	} else if (md[0] == '>' || str_starts(md, "```") ||
	    str_starts(md, "~~~") || str_starts(md, "---") ||
	    str_starts(md, "***") || str_starts(md, "___")) {
		esc = 0;
	} else {
		while (k < 9 && md[k] >= '0' && md[k] <= '9')
			k++;
		if (k && (md[k] == '.' || md[k] == ')') &&
		    (blank(md[k + 1]) || !md[k + 1]))
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
			put_collapsed(&b, str_or_empty(cmark_node_get_literal(n)),
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
				put_collapsed(&b, str_or_empty(
					cmark_node_get_literal(n)), &space, true);
			break;
		case CMARK_NODE_CODE:
			if (space && b.len)
				buf_putc(&b, ' ');
			space = false;
			buf_printf(&b, "<code style=\"%s\">", st_code);
			put_collapsed(&b, str_or_empty(cmark_node_get_literal(n)),
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
			if (ext_kind(n) == K_STRIKE)
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
