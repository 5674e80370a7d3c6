/* mdclean.c - site syntax that is not Markdown, cleaned before cmark reads it
 *
 * Hugo shortcodes, Pandoc/Quarto attributes and spans, fenced divs, HTML
 * comments and executable chunks (see md_clean in markdown.h). One pass
 * over the text, a line at a time for fences and fenced divs, a byte at a
 * time for the rest. Every scan that looks ahead is bounded (by the line,
 * by ATTR_MAX, or by the next shortcode opener), so that no input makes it
 * quadratic; it has its own fuzz target and pathological tests.
 */
#include "mdclean.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "util.h"

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
#define DELETED '\001'   /* a byte md_clean removes at the end */

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

#define DIVS_MAX 32     /* fenced divs open at once that are tracked */
#define CALLOUTS_MAX 4  /* callouts drawn inside one another */

/* Is the line at k a fenced div's line (":::"), outside a code fence? */
static bool
in_fence_div_line(const char *s, size_t k, size_t e, bool in_fence)
{
	return !in_fence && e - k >= 3 && strncmp(s + k, ":::", 3) == 0;
}

/* The attributes of a fenced div's opening line (after the colons):
 * "{.callout-tip title="…" collapse="true"}" or "callout-tip". True for a
 * Quarto callout: its kind (note when unknown) and title (allocated, or
 * NULL). */
static bool
div_callout(const char *a, size_t n, char kind[16], char **title)
{
	static const char *const kinds[] = { "note", "tip", "warning",
		"important", "caution" };
	const char *p = memmem(a, n, "callout-", 8), *t;
	size_t kn = 0;

	*title = NULL;
	if (!p || (p > a && p[-1] != '.' && !blank(p[-1]) && p[-1] != '{'))
		return false;
	p += 8;
	while (p + kn < a + n && ((p[kn] >= 'a' && p[kn] <= 'z') || p[kn] == '-'))
		kn++;
	snprintf(kind, 16, "note");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kn == strlen(kinds[i]) && strncmp(p, kinds[i], kn) == 0)
			snprintf(kind, 16, "%s", kinds[i]);
	if ((t = memmem(a, n, "title=", 6)) != NULL) {
		const char *v = t + 6, *end;
		char q = *v == '"' || *v == '\'' ? *v : 0;

		if (q) {
			v++;
			end = memchr(v, q, (size_t)(a + n - v));
		} else {
			end = v;
			while (end < a + n && !blank(*end) && *end != '}')
				end++;
		}
		if (end && end > v)
			*title = xstrndup(v, (size_t)(end - v));
	}
	return true;
}

void
md_clean_widths(const char *md, struct buf *out, struct strmap *widths)
{
	struct buf in = BUF_INIT;
	struct cleaner c;
	bool in_fence = false, drop = false;
	bool divs[DIVS_MAX];       /* the open fenced divs: callouts? */
	int ndivs = 0, ncall = 0;
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
		if (ncall > 0 && !in_fence_div_line(s, k, e, in_fence))
			for (int d = 0; d < ncall; d++)
				buf_puts(&c.out, "> ");
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
			/* a fenced div line; what it encloses stays; a
			 * Quarto callout becomes a block quote opened by
			 * "[!callout-KIND] Title" (markdown.c draws it) */
			char kind[16], *title = NULL;
			size_t q = k;

			buf_put(&c.out, s + i, k - i);
			while (q < e && s[q] == ':')
				q++;
			while (q < e && blank(s[q]))
				q++;
			if (q == e) {
				/* the end of the innermost div */
				if (ndivs > 0 && divs[--ndivs])
					ncall--;
			} else {
				bool callout = div_callout(s + q, e - q, kind,
				    &title) && ndivs < DIVS_MAX &&
				    ncall < CALLOUTS_MAX;

				if (ndivs < DIVS_MAX)
					divs[ndivs++] = callout;
				if (callout) {
					for (int d = 0; d < ncall; d++)
						buf_puts(&c.out, "> ");
					/* a heading: one line, the line
					 * numbers stay */
					buf_printf(&c.out, "> ###### [!callout-%s]"
						"%s%s", kind, title ? " " : "",
						title ? title : "");
					ncall++;
				}
				free(title);
			}
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

	md_clean_widths(md, &b, NULL);
	return buf_detach(&b);
}
