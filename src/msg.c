/* msg.c - reading a message: header fields, charsets, RFC 2047 words,
 * addresses, the MIME walk, HTML made text */
#include "msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/*
 * libetpan parses every header field and MIME header (mailimf_fields_parse,
 * mailmime_content_parse), decodes bodies (mailmime_part_parse), RFC 2047
 * words and charsets (charconv). The walk from part to part is done here
 * rather than by mailmime_parse, which recurses without a limit, is
 * quadratic in the nesting depth and crashes on `boundary=""`
 * (mailmime_extract_boundary copies len - 2 bytes): this walk is linear,
 * bounded in depth and in parts.
 */
#define MAX_PARENS 32       /* comment nesting in a header (libetpan recurses) */
#define MAX_TEXT (256 * 1024) /* encoded bytes of a text part looked at */

/* Case-insensitive (ASCII) comparison of s[0..n) with the string t. */
bool
msg_eq_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	if (n != tl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (msg_lower((unsigned char)s[i]) != msg_lower((unsigned char)t[i]))
			return false;
	return true;
}

bool
msg_starts_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	return n >= tl && msg_eq_ci(s, tl, t);
}

/* Where t (lowercase) occurs in s[0..n), ignoring ASCII case; NULL if not. */
const char *
msg_find_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	if (tl == 0 || n < tl)
		return NULL;
	for (size_t i = 0; i + tl <= n; i++) {
		if (msg_lower((unsigned char)s[i]) != t[0])
			continue;
		if (msg_eq_ci(s + i, tl, t))
			return s + i;
	}
	return NULL;
}

/* Trim ASCII white space from both ends of s[0..*n); returns the start. */
const char *
msg_trim(const char *s, size_t *n)
{
	while (*n && msg_is_space((unsigned char)s[0])) {
		s++;
		(*n)--;
	}
	while (*n && msg_is_space((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/*
 * Text from outside made printable: line breaks and tabs become spaces,
 * runs of white space one space, NUL, control characters and invalid UTF-8
 * '?'; trimmed; at most max bytes (cut at a character boundary, "…" added).
 */
char *
msg_clean(const char *s, size_t n, size_t max)
{
	struct buf b = BUF_INIT;
	bool sp = false;
	char *out;

	s = msg_trim(s, &n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (msg_is_space(c)) {
			sp = true;
			continue;
		}
		if (sp)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, c ? c : '?');
	}
	out = sanitize(buf_str(&b));
	buf_free(&b);
	if (strlen(out) > max) {
		size_t cut = max;

		while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80)
			cut--;
		out[cut] = '\0';
		out = xrealloc(out, cut + sizeof("…"));
		memcpy(out + cut, "…", sizeof("…"));
	}
	return out;
}

/* ---- charsets ---- */

/* Windows-1252's 0x80..0x9F (what "ISO-8859-1" text really holds). */
static const uint16_t cp1252[32] = {
	0x20AC, 0x003F, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x003F, 0x017D, 0x003F,
	0x003F, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x003F, 0x017E, 0x0178,
};

static void
put_utf8(struct buf *b, unsigned long cp)
{
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = '?';
	if (cp < 0x80) {
		buf_putc(b, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(b, 0xC0 | (int)(cp >> 6));
		buf_putc(b, 0x80 | (int)(cp & 0x3F));
	} else if (cp < 0x10000) {
		buf_putc(b, 0xE0 | (int)(cp >> 12));
		buf_putc(b, 0x80 | (int)((cp >> 6) & 0x3F));
		buf_putc(b, 0x80 | (int)(cp & 0x3F));
	} else {
		buf_putc(b, 0xF0 | (int)(cp >> 18));
		buf_putc(b, 0x80 | (int)((cp >> 12) & 0x3F));
		buf_putc(b, 0x80 | (int)((cp >> 6) & 0x3F));
		buf_putc(b, 0x80 | (int)(cp & 0x3F));
	}
}

static void
latin1_to_utf8(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && c < 0xA0)
			put_utf8(out, cp1252[c - 0x80]);
		else if (c == 0)
			buf_putc(out, ' ');
		else
			put_utf8(out, c);
	}
}

/* Append s[0..n) with NUL bytes made spaces. */
static void
put_nonul(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len;

	buf_put(out, s, n);
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '\0')
			out->data[i] = ' ';
}

static bool
charset_is_utf8(const char *cs)
{
	return !*cs || strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0 ||
		strcmp(cs, "us-ascii") == 0 || strcmp(cs, "ascii") == 0;
}

/* Convert s[0..n) from charset cs (lowercase) to UTF-8, appended to out
 * without NUL bytes. Unknown charsets and bad bytes fall back to UTF-8 as
 * is when valid, else Windows-1252. */
static void
to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	char *conv = NULL;
	size_t convlen = 0;

	if (!charset_is_utf8(cs) &&
	    charconv_buffer("utf-8", cs, s, n, &conv, &convlen) ==
	    MAIL_CHARCONV_NO_ERROR) {
		put_nonul(&tmp, conv, convlen);
		charconv_buffer_free(conv);
		if (utf8_valid(tmp.data ? tmp.data : "", tmp.len, NULL)) {
			buf_put(out, tmp.data ? tmp.data : "", tmp.len);
			buf_free(&tmp);
			return;
		}
		buf_reset(&tmp);
	}
	put_nonul(&tmp, s, n);
	if (utf8_valid(tmp.data ? tmp.data : "", tmp.len, NULL))
		buf_put(out, tmp.data ? tmp.data : "", tmp.len);
	else
		latin1_to_utf8(s, n, out);
	buf_free(&tmp);
	buf_put(out, "", 0);
}

/* RFC 2047: a header value decoded to UTF-8 (caller frees), raw 8-bit
 * bytes taken as UTF-8 when valid, else as Latin-1. */
char *
msg_decode_words(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t idx = 0;
	char *out = NULL;
	char *raw = xstrndup(s, n);
	const char *from = utf8_valid(raw, strlen(raw), NULL) ? "utf-8" :
		"iso-8859-1";

	if (mailmime_encoded_phrase_parse(from, raw, strlen(raw), &idx,
	    "utf-8", &out) == MAILIMF_NO_ERROR && out) {
		to_utf8("utf-8", out, strlen(out), &b);
		free(out);
	} else {
		free(out);
		to_utf8(from, raw, strlen(raw), &b);
	}
	free(raw);
	return buf_detach(&b);
}

/* ---- header fields ---- */



static bool
field_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 ||
		    s[i] == ':')
			return false;
	return true;
}

/* Control characters other than tab and escape (ISO-2022) in a line. */
static bool
has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 32 && c != '\t' && c != 27) || c == 127)
			return true;
	}
	return false;
}

/*
 * Split p[0..len) into header fields (a field runs over its continuation
 * lines) and find where the body starts: after the first empty line, or
 * at the end. Lines that are not fields are counted and skipped.
 */
void
msg_header_split(const char *p, size_t len, struct msg_header *h)
{
	size_t pos = 0;
	struct msg_field *cur = NULL;
	bool first = true;

	memset(h, 0, sizeof *h);
	h->end = len;
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t next = nl ? (size_t)(nl - p) + 1 : len;
		size_t ll = (nl ? (size_t)(nl - p) : len) - pos;
		const char *line = p + pos;

		if (ll && line[ll - 1] == '\r')
			ll--;
		if (memchr(line, '\0', ll))
			h->nul = true;
		if (ll == 0) {
			h->end = next;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (cur) {
				cur->rawlen = next - (size_t)(cur->raw - p);
				cur->vallen = next - (size_t)(cur->val - p);
			} else {
				h->bad++;
				if (first)
					h->first_bad = true;
			}
		} else {
			const char *colon = memchr(line, ':', ll);
			size_t nn = colon ? (size_t)(colon - line) : 0;

			while (nn && (line[nn - 1] == ' ' || line[nn - 1] == '\t'))
				nn--;
			if (colon && field_name_ok(line, nn) &&
			    !has_control(line, ll)) {
				if (h->n == h->cap) {
					h->cap = h->cap ? h->cap * 2 : 32;
					h->v = xreallocarray(h->v, h->cap,
						sizeof *h->v);
				}
				cur = &h->v[h->n++];
				cur->name = line;
				cur->namelen = nn;
				cur->raw = line;
				cur->rawlen = next - pos;
				cur->val = colon + 1;
				cur->vallen = next - (size_t)(colon + 1 - p);
			} else {
				cur = NULL;
				h->bad++;
				if (first)
					h->first_bad = true;
			}
		}
		first = false;
		pos = next;
	}
}

const struct msg_field *
msg_header_get(const struct msg_header *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (msg_eq_ci(h->v[i].name, h->v[i].namelen, name))
			return &h->v[i];
	return NULL;
}

/* A field's value unfolded and trimmed (caller frees). */
char *
msg_field_value(const struct msg_field *f)
{
	struct buf b = BUF_INIT;
	size_t n = f->vallen;
	const char *s = msg_trim(f->val, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			buf_putc(&b, s[i] ? s[i] : ' ');
	return buf_detach(&b);
}

/* libetpan recurses into nested comments: refuse deep nesting. */
bool
msg_parens_ok(const char *s, size_t n)
{
	int depth = 0;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '"' && depth == 0) {
			quoted = !quoted;
		} else if (!quoted && s[i] == '(') {
			if (++depth > MAX_PARENS)
				return false;
		} else if (!quoted && s[i] == ')' && depth > 0) {
			depth--;
		}
	}
	return true;
}

/* One field parsed by libetpan (free with mailimf_fields_free), or NULL. */
struct mailimf_fields *
msg_imf_parse(const struct msg_field *f)
{
	struct buf b = BUF_INIT;
	struct mailimf_fields *fs = NULL;
	size_t idx = 0;

	if (!msg_parens_ok(f->val, f->vallen))
		return NULL;
	put_nonul(&b, f->raw, f->rawlen);
	if (b.data[b.len - 1] != '\n')
		buf_puts(&b, "\r\n");
	if (mailimf_fields_parse(b.data, b.len, &idx, &fs) != MAILIMF_NO_ERROR)
		fs = NULL;
	buf_free(&b);
	return fs;
}

struct mailimf_field *
msg_imf_first(struct mailimf_fields *fs)
{
	clistiter *c = fs ? clist_begin(fs->fld_list) : NULL;

	return c ? clist_content(c) : NULL;
}

/* ---- addresses ---- */

/* An addr-spec we can use: local@domain, printable, no spaces or commas.
 * Returns a copy with the domain lowercased, or NULL. */
char *
msg_addr_norm(const char *s, size_t n)
{
	const char *at;
	char *out;

	s = msg_trim(s, &n);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n < 3 || n > 254)
		return NULL;
	at = NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 32 || c == 127 || c == ',' || c == '<' || c == '>' ||
		    c == ';' || c == '"' || c == '(' || c == ')')
			return NULL;
		if (c == '@')
			at = s + i;
	}
	if (!at || at == s || at == s + n - 1 || !utf8_valid(s, n, NULL))
		return NULL;
	out = xstrndup(s, n);
	for (char *d = out + (at - s); *d; d++)
		*d = (char)msg_lower((unsigned char)*d);
	return out;
}

/* The addresses of an address list value (To, Cc, Delivered-To…):
 * libetpan's parse, or the <…> and a@b words of the raw value. */
void
msg_addr_list(const char *val, size_t vallen, struct strlist *out)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	char *v = xstrndup(val, vallen);

	for (char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (msg_parens_ok(v, strlen(v)) &&
	    mailimf_address_list_parse(v, strlen(v), &idx, &al) ==
	    MAILIMF_NO_ERROR) {
		for (clistiter *c = clist_begin(al->ad_list); c;
		    c = clist_next(c)) {
			struct mailimf_address *a = clist_content(c);
			clist *mbs = NULL;

			if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				const struct mailimf_mailbox *mb =
					a->ad_data.ad_mailbox;
				char *s = mb && mb->mb_addr_spec ?
					msg_addr_norm(mb->mb_addr_spec,
					strlen(mb->mb_addr_spec)) : NULL;

				if (s)
					strlist_push(out, s);
				continue;
			}
			if (a->ad_data.ad_group && a->ad_data.ad_group->grp_mb_list)
				mbs = a->ad_data.ad_group->grp_mb_list->mb_list;
			for (clistiter *m = mbs ? clist_begin(mbs) : NULL; m;
			    m = clist_next(m)) {
				struct mailimf_mailbox *mb = clist_content(m);
				char *s = mb->mb_addr_spec ?
					msg_addr_norm(mb->mb_addr_spec,
					strlen(mb->mb_addr_spec)) : NULL;

				if (s)
					strlist_push(out, s);
			}
		}
		mailimf_address_list_free(al);
	} else {
		/* words separated by spaces, commas, angle brackets */
		const char *p = v;

		while (*p) {
			size_t n = strcspn(p, " \t,<>;\"()");
			char *s = n ? msg_addr_norm(p, n) : NULL;

			if (s)
				strlist_push(out, s);
			p += n;
			if (*p)
				p++;
		}
	}
	free(v);
}


/* ---- HTML to text ---- */

static const struct {
	const char *name;
	unsigned cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "eacute", 0xE9 },
	{ "egrave", 0xE8 }, { "ecirc", 0xEA }, { "euml", 0xEB },
	{ "agrave", 0xE0 }, { "acirc", 0xE2 }, { "auml", 0xE4 },
	{ "ccedil", 0xE7 }, { "icirc", 0xEE }, { "iuml", 0xEF },
	{ "ocirc", 0xF4 }, { "ouml", 0xF6 }, { "ugrave", 0xF9 },
	{ "ucirc", 0xFB }, { "uuml", 0xFC }, { "oelig", 0x153 },
	{ "Eacute", 0xC9 }, { "Egrave", 0xC8 }, { "Ecirc", 0xCA },
	{ "Agrave", 0xC0 }, { "Ccedil", 0xC7 }, { "OElig", 0x152 },
	{ "laquo", 0xAB }, { "raquo", 0xBB }, { "rsquo", 0x2019 },
	{ "lsquo", 0x2018 }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
	{ "hellip", 0x2026 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "euro", 0x20AC }, { "copy", 0xA9 }, { "shy", 0 },
};

/* Decode the entity at h[i] == '&' into out; returns the bytes used. */
static size_t
html_entity(const char *h, size_t n, size_t i, struct buf *out)
{
	size_t j = i + 1, k;
	unsigned long cp = 0;

	if (j < n && h[j] == '#') {
		bool hex = j + 1 < n && (h[j + 1] == 'x' || h[j + 1] == 'X');
		size_t digits = 0;

		j += hex ? 2 : 1;
		for (; j < n && digits < 8; j++, digits++) {
			int c = msg_lower((unsigned char)h[j]), d;

			if (msg_is_digit(c))
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (!digits) {
			buf_putc(out, '&');
			return 1;
		}
		if (j < n && h[j] == ';')
			j++;
		if (cp == 0xA0)
			cp = ' ';
		put_utf8(out, cp);
		return j - i;
	}
	for (k = j; k < n && k - j < 10 && msg_is_alnum((unsigned char)h[k]); k++)
		;
	for (size_t e = 0; e < sizeof entities / sizeof entities[0]; e++) {
		size_t el = strlen(entities[e].name);

		if (k - j == el && memcmp(h + j, entities[e].name, el) == 0) {
			if (entities[e].cp)
				put_utf8(out, entities[e].cp);
			return k - i + (k < n && h[k] == ';');
		}
	}
	buf_putc(out, '&');
	return 1;
}

struct html_out {
	struct buf *b;
	int quote;       /* <blockquote> depth */
	bool bol;        /* at the beginning of a line */
	bool space;      /* a space is pending */
};

static void
html_newline(struct html_out *o)
{
	if (!o->bol)
		buf_putc(o->b, '\n');
	o->bol = true;
	o->space = false;
}

static void
html_start_text(struct html_out *o)
{
	if (o->bol) {
		for (int q = 0; q < o->quote && q < MSG_MAX_DEPTH; q++)
			buf_puts(o->b, "> ");
		o->bol = false;
	} else if (o->space) {
		buf_putc(o->b, ' ');
	}
	o->space = false;
}

char *
msg_html_text(const char *h, size_t n)
{
	struct buf b = BUF_INIT;
	struct html_out o = { &b, 0, true, false };
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)h[i];

		if (c == '<' && i + 3 < n && memcmp(h + i, "<!--", 4) == 0) {
			const char *e = NULL;

			for (size_t k = i + 4; k + 2 < n; k++)
				if (memcmp(h + k, "-->", 3) == 0) {
					e = h + k;
					break;
				}
			i = e ? (size_t)(e - h) + 3 : n;
		} else if (c == '<' && i + 1 < n &&
		    (msg_is_alnum((unsigned char)h[i + 1]) || h[i + 1] == '/' ||
		    h[i + 1] == '!' || h[i + 1] == '?')) {
			char name[16];
			size_t j = i + 1, nl = 0;
			bool closing = false;
			char q = 0;

			if (h[j] == '/') {
				closing = true;
				j++;
			}
			while (j < n && msg_is_alnum((unsigned char)h[j])) {
				if (nl < sizeof name - 1)
					name[nl++] = (char)msg_lower((unsigned char)h[j]);
				j++;
			}
			name[nl] = '\0';
			for (; j < n; j++) {
				if (q) {
					if (h[j] == q)
						q = 0;
				} else if (h[j] == '"' || h[j] == '\'') {
					q = h[j];
				} else if (h[j] == '>') {
					break;
				}
			}
			if (j >= n) {
				/* never closed: not a tag */
				html_start_text(&o);
				buf_putc(&b, '<');
				i++;
				continue;
			}
			i = j + 1;
			if (!closing && (strcmp(name, "style") == 0 ||
			    strcmp(name, "script") == 0 ||
			    strcmp(name, "head") == 0 ||
			    strcmp(name, "title") == 0)) {
				char end[20];
				const char *e;

				snprintf(end, sizeof end, "</%s", name);
				e = msg_find_ci(h + i, n - i, end);
				if (!e) {
					i = n;
					break;
				}
				e = memchr(e, '>', n - (size_t)(e - h));
				i = e ? (size_t)(e - h) + 1 : n;
			} else if (strcmp(name, "blockquote") == 0) {
				html_newline(&o);
				if (closing && o.quote > 0)
					o.quote--;
				else if (!closing)
					o.quote++;
			} else if (strcmp(name, "br") == 0 ||
			    strcmp(name, "p") == 0 || strcmp(name, "div") == 0 ||
			    strcmp(name, "tr") == 0 || strcmp(name, "li") == 0 ||
			    strcmp(name, "hr") == 0 || strcmp(name, "table") == 0 ||
			    strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0 ||
			    strcmp(name, "pre") == 0 || strcmp(name, "body") == 0 ||
			    (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' &&
			    !name[2])) {
				html_newline(&o);
			} else if (strcmp(name, "td") == 0 ||
			    strcmp(name, "th") == 0) {
				o.space = true;
			}
		} else if (msg_is_space(c)) {
			if (!o.bol)
				o.space = true;
			i++;
		} else if (c == '&') {
			struct buf e = BUF_INIT;

			i += html_entity(h, n, i, &e);
			if (e.len == 1 && e.data[0] == ' ') {
				if (!o.bol)
					o.space = true;
			} else if (e.len) {
				html_start_text(&o);
				buf_put(&b, e.data, e.len);
			}
			buf_free(&e);
		} else {
			html_start_text(&o);
			buf_putc(&b, c ? c : ' ');
			i++;
		}
	}
	if (!o.bol)
		buf_putc(&b, '\n');
	return buf_detach(&b);
}

/* ---- the MIME walk ---- */



/* A Content-Type parameter, unquoted, into out; false when absent. */
static bool
ct_param(struct mailmime_content *ct, const char *name, char *out,
	size_t outsz)
{
	char *v = mailmime_content_param_get(ct, (char *)name);
	size_t n;

	if (!v)
		return false;
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n >= outsz)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

static void
copy_lower(char *out, size_t outsz, const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < outsz; i++)
		out[i] = (char)msg_lower((unsigned char)s[i]);
	out[i] = '\0';
}

struct part_info {
	char type[24], subtype[40], charset[40], boundary[201];
	char report_type[32];
	int enc;
	bool attachment;
};

/* Content-Type, -Transfer-Encoding and -Disposition of a part's header. */
static void
part_info(const struct msg_header *h, bool digest, struct part_info *pi)
{
	const struct msg_field *f;

	memset(pi, 0, sizeof *pi);
	snprintf(pi->type, sizeof pi->type, "%s", digest ? "message" : "text");
	snprintf(pi->subtype, sizeof pi->subtype, "%s",
		digest ? "rfc822" : "plain");
	pi->enc = MAILMIME_MECHANISM_7BIT;
	if ((f = msg_header_get(h, "Content-Type")) &&
	    msg_parens_ok(f->val, f->vallen)) {
		char *v = msg_field_value(f);
		struct mailmime_content *ct = NULL;
		size_t idx = 0;

		if (mailmime_content_parse(v, strlen(v), &idx, &ct) ==
		    MAILIMF_NO_ERROR && ct) {
			const char *t = "application";
			struct mailmime_type *ty = ct->ct_type;

			if (ty->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
				switch (ty->tp_data.tp_discrete_type->dt_type) {
				case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
				case MAILMIME_DISCRETE_TYPE_IMAGE: t = "image"; break;
				case MAILMIME_DISCRETE_TYPE_AUDIO: t = "audio"; break;
				case MAILMIME_DISCRETE_TYPE_VIDEO: t = "video"; break;
				case MAILMIME_DISCRETE_TYPE_EXTENSION:
					t = ty->tp_data.tp_discrete_type->dt_extension;
					break;
				default: break;
				}
			} else if (ty->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
				switch (ty->tp_data.tp_composite_type->ct_type) {
				case MAILMIME_COMPOSITE_TYPE_MESSAGE: t = "message"; break;
				case MAILMIME_COMPOSITE_TYPE_MULTIPART: t = "multipart"; break;
				default:
					t = ty->tp_data.tp_composite_type->ct_token;
					break;
				}
			}
			copy_lower(pi->type, sizeof pi->type, t ? t : "x");
			copy_lower(pi->subtype, sizeof pi->subtype,
				ct->ct_subtype ? ct->ct_subtype : "x");
			if (ct_param(ct, "charset", pi->charset,
			    sizeof pi->charset))
				copy_lower(pi->charset, sizeof pi->charset,
					pi->charset);
			ct_param(ct, "boundary", pi->boundary,
				sizeof pi->boundary);
			if (ct_param(ct, "report-type", pi->report_type,
			    sizeof pi->report_type))
				copy_lower(pi->report_type,
					sizeof pi->report_type,
					pi->report_type);
			mailmime_content_free(ct);
		}
		free(v);
	}
	if ((f = msg_header_get(h, "Content-Transfer-Encoding"))) {
		char *v = msg_field_value(f);
		size_t n = strcspn(v, " \t;(");

		if (msg_eq_ci(v, n, "base64"))
			pi->enc = MAILMIME_MECHANISM_BASE64;
		else if (msg_eq_ci(v, n, "quoted-printable"))
			pi->enc = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
		else if (msg_eq_ci(v, n, "8bit"))
			pi->enc = MAILMIME_MECHANISM_8BIT;
		else if (msg_eq_ci(v, n, "binary"))
			pi->enc = MAILMIME_MECHANISM_BINARY;
		free(v);
	}
	if ((f = msg_header_get(h, "Content-Disposition"))) {
		char *v = msg_field_value(f);

		pi->attachment = msg_starts_ci(v, strlen(v), "attachment");
		free(v);
	}
}

static void walk_part(struct msg_walk *w, const char *p, size_t len, int depth,
	bool in_msg, bool digest, const struct msg_header *top);

/* The parts of a multipart body, split at the lines "--boundary". */
static void
walk_multipart(struct msg_walk *w, const char *p, size_t len, const char *bd,
	int depth, bool in_msg, bool digest)
{
	size_t bl = strlen(bd), pos = 0, start = 0;
	bool in_part = false;

	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t next = nl ? (size_t)(nl - p) + 1 : len;
		size_t ll = (nl ? (size_t)(nl - p) : len) - pos;
		const char *line = p + pos;

		if (ll >= bl + 2 && line[0] == '-' && line[1] == '-' &&
		    memcmp(line + 2, bd, bl) == 0) {
			size_t k = bl + 2;
			bool close = false;

			if (k + 2 <= ll && line[k] == '-' && line[k + 1] == '-') {
				close = true;
				k += 2;
			}
			while (k < ll && msg_is_space((unsigned char)line[k]))
				k++;
			if (k == ll) {
				if (in_part) {
					size_t end = pos;

					if (end > start && p[end - 1] == '\n')
						end--;
					if (end > start && p[end - 1] == '\r')
						end--;
					walk_part(w, p + start, end - start,
						depth + 1, in_msg, digest, NULL);
				}
				if (close || w->limited)
					return;
				in_part = true;
				start = next;
			}
		}
		pos = next;
	}
	/* no closing delimiter: a truncated message */
	if (in_part && start < len)
		walk_part(w, p + start, len - start, depth + 1, in_msg, digest,
			NULL);
}

static void
walk_part(struct msg_walk *w, const char *p, size_t len, int depth, bool in_msg,
	bool digest, const struct msg_header *top)
{
	struct msg_header own;
	const struct msg_header *h = top;
	struct part_info pi;
	const char *body;
	size_t blen;

	if (depth > MSG_MAX_DEPTH || w->parts >= MSG_MAX_PARTS) {
		w->limited = true;
		if (depth > MSG_MAX_DEPTH)
			w->deep = true;
		else
			w->wide = true;
		return;
	}
	w->parts++;
	if (!h) {
		msg_header_split(p, len, &own);
		h = &own;
	}
	part_info(h, digest, &pi);
	body = p + h->end;
	blen = len - h->end;
	if (strcmp(pi.type, "multipart") == 0 && pi.boundary[0]) {
		if (!in_msg && depth == 0 && strcmp(pi.subtype, "report") == 0) {
			w->report = true;
			snprintf(w->report_type, sizeof w->report_type, "%s",
				pi.report_type);
		}
		walk_multipart(w, body, blen, pi.boundary, depth, in_msg,
			strcmp(pi.subtype, "digest") == 0);
	} else if (strcmp(pi.type, "message") == 0 &&
	    (strcmp(pi.subtype, "rfc822") == 0 ||
	    strcmp(pi.subtype, "global") == 0) &&
	    pi.enc != MAILMIME_MECHANISM_BASE64 &&
	    pi.enc != MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		if (!w->returned && !in_msg) {
			struct msg_header inner;

			msg_header_split(body, blen, &inner);
			w->returned = body;
			w->returnedlen = inner.end;
			free(inner.v);
		}
		walk_part(w, body, blen, depth + 1, true, false, NULL);
	} else {
		struct msg_leaf *l;

		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			w->v = xreallocarray(w->v, w->cap, sizeof *w->v);
		}
		l = &w->v[w->n++];
		memset(l, 0, sizeof *l);
		memcpy(l->type, pi.type, sizeof l->type);
		memcpy(l->subtype, pi.subtype, sizeof l->subtype);
		memcpy(l->charset, pi.charset, sizeof l->charset);
		l->enc = pi.enc;
		l->attachment = pi.attachment;
		l->in_message = in_msg;
		l->body = body;
		l->len = blen;
		if (!w->returned && !in_msg &&
		    strcmp(pi.type, "text") == 0 &&
		    strcmp(pi.subtype, "rfc822-headers") == 0) {
			w->returned = body;
			w->returnedlen = blen;
		}
	}
	if (h == &own)
		free(own.v);
}

/* A leaf's content, transfer-decoded, in UTF-8 (caller frees); HTML made
 * text when html is set. */
char *
msg_leaf_text(const struct msg_leaf *l, bool html)
{
	struct buf b = BUF_INIT, pad = BUF_INIT;
	size_t n = l->len < MAX_TEXT ? l->len : MAX_TEXT;
	char *dec = NULL;
	size_t declen = 0, idx = 0;

	/* libetpan's quoted-printable decoder reads the two bytes after a
	 * final '=': give it a copy with room for them */
	buf_put(&pad, l->body, n);
	buf_put(&pad, "\0\0\0", 3);
	if ((l->enc == MAILMIME_MECHANISM_BASE64 ||
	    l->enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) &&
	    mailmime_part_parse(pad.data, n, &idx, l->enc, &dec, &declen) ==
	    MAILIMF_NO_ERROR) {
		to_utf8(l->charset, dec, declen, &b);
		mmap_string_unref(dec);
		buf_free(&pad);
	} else {
		buf_free(&pad);
		to_utf8(l->charset, l->body, n, &b);
	}
	if (html) {
		char *t = msg_html_text(b.data, b.len);

		buf_free(&b);
		return t;
	}
	return buf_detach(&b);
}

/* The text of the message: its first text/plain part, else its first
 * text/html made text; not an attachment, not in a quoted message. */
char *
msg_walk_text(const struct msg_walk *w)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < w->n; i++) {
			const struct msg_leaf *l = &w->v[i];

			if (l->in_message || l->attachment ||
			    strcmp(l->type, "text") != 0)
				continue;
			if (pass == 0 && strcmp(l->subtype, "plain") == 0)
				return msg_leaf_text(l, false);
			if (pass == 1 && strcmp(l->subtype, "html") == 0)
				return msg_leaf_text(l, true);
		}
	return xstrdup("");
}

void
msg_walk(struct msg_walk *w, const char *p, size_t len,
	const struct msg_header *top)
{
	walk_part(w, p, len, 0, false, false, top);
}

void
msg_walk_free(struct msg_walk *w)
{
	free(w->v);
	memset(w, 0, sizeof(*w));
}
