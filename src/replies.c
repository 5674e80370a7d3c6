/* replies.c - classification of one message: bounce, auto-reply,
 * unsubscribe request, other, malformed */
#include "replies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

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
#define MAX_DEPTH 24        /* MIME nesting looked into */
#define MAX_PARTS 256       /* MIME parts looked at */
#define MAX_PARENS 32       /* comment nesting in a header (libetpan recurses) */
#define MAX_TEXT (256 * 1024) /* encoded bytes of a text part looked at */
#define MAX_RCPTS 64
#define MAX_TOKENS 32
#define FRESH_LINES 5       /* "the first non-quoted lines" */
#define SUBJECT_MAX 300     /* bytes of a subject kept */

/* ---- small string helpers ---- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive (ASCII) comparison of s[0..n) with the string t. */
static bool
eq_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	if (n != tl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
			return false;
	return true;
}

static bool
starts_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	return n >= tl && eq_ci(s, tl, t);
}

/* Where t (lowercase) occurs in s[0..n), ignoring ASCII case; NULL if not. */
static const char *
find_ci(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t);

	if (tl == 0 || n < tl)
		return NULL;
	for (size_t i = 0; i + tl <= n; i++) {
		if (lower((unsigned char)s[i]) != t[0])
			continue;
		if (eq_ci(s + i, tl, t))
			return s + i;
	}
	return NULL;
}

/* Trim ASCII white space from both ends of s[0..*n); returns the start. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n && is_space((unsigned char)s[0])) {
		s++;
		(*n)--;
	}
	while (*n && is_space((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* A token: TOKEN_LEN characters of [a-z2-7] in any case. */
static bool
is_token_char(int c)
{
	c = lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

static bool
is_token(const char *s, size_t n)
{
	if (n != TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Text from outside made printable: line breaks and tabs become spaces,
 * runs of white space one space, NUL, control characters and invalid UTF-8
 * '?'; trimmed; at most max bytes (cut at a character boundary, "…" added).
 */
static char *
clean(const char *s, size_t n, size_t max)
{
	struct buf b = BUF_INIT;
	bool sp = false;
	char *out;

	s = trim(s, &n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c)) {
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

/*
 * Fold text for matching: ASCII lowercased, the accented Latin letters
 * of U+00C0..U+00FF and œ/Œ to their base letters, no-break spaces to
 * spaces, typographic apostrophes to '\''. Other bytes are copied.
 */
static const char *const latin1_fold[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", /* U+00C0 */
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "x",
	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", /* U+00E0 */
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "/",
	"o", "u", "u", "u", "u", "y", "th", "y",
};

static void
fold(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_grow(out, n + 1);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0xC3 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0xBF) {
			buf_puts(out, latin1_fold[p[i + 1] - 0x80]);
			i++;
		} else if (p[i] == 0xC5 && i + 1 < n &&
		    (p[i + 1] == 0x92 || p[i + 1] == 0x93)) {
			buf_puts(out, "oe");
			i++;
		} else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) {
			buf_putc(out, ' ');
			i++;
		} else if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0x99 || p[i + 2] == 0x98)) {
			buf_putc(out, '\'');
			i += 2;
		} else if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
		    p[i + 2] == 0xAF) {
			buf_putc(out, ' ');
			i += 2;
		} else {
			buf_putc(out, lower(p[i]));
		}
	}
	buf_put(out, "", 0);
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
static char *
decode_words(const char *s, size_t n)
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

struct field {
	const char *name, *raw, *val;
	size_t namelen, rawlen, vallen;
};

struct header {
	struct field *v;
	size_t n, cap;
	size_t end;      /* where the body starts */
	size_t bad;      /* lines that are neither fields nor continuations */
	bool first_bad;  /* the first line is not a field */
	bool nul;        /* a NUL byte in the header */
};

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
static void
header_split(const char *p, size_t len, struct header *h)
{
	size_t pos = 0;
	struct field *cur = NULL;
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

static const struct field *
header_get(const struct header *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (eq_ci(h->v[i].name, h->v[i].namelen, name))
			return &h->v[i];
	return NULL;
}

/* A field's value unfolded and trimmed (caller frees). */
static char *
field_value(const struct field *f)
{
	struct buf b = BUF_INIT;
	size_t n = f->vallen;
	const char *s = trim(f->val, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			buf_putc(&b, s[i] ? s[i] : ' ');
	return buf_detach(&b);
}

/* libetpan recurses into nested comments: refuse deep nesting. */
static bool
parens_ok(const char *s, size_t n)
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
static struct mailimf_fields *
imf_parse(const struct field *f)
{
	struct buf b = BUF_INIT;
	struct mailimf_fields *fs = NULL;
	size_t idx = 0;

	if (!parens_ok(f->val, f->vallen))
		return NULL;
	put_nonul(&b, f->raw, f->rawlen);
	if (b.data[b.len - 1] != '\n')
		buf_puts(&b, "\r\n");
	if (mailimf_fields_parse(b.data, b.len, &idx, &fs) != MAILIMF_NO_ERROR)
		fs = NULL;
	buf_free(&b);
	return fs;
}

static struct mailimf_field *
imf_first(struct mailimf_fields *fs)
{
	clistiter *c = fs ? clist_begin(fs->fld_list) : NULL;

	return c ? clist_content(c) : NULL;
}

/* ---- addresses ---- */

/* An addr-spec we can use: local@domain, printable, no spaces or commas.
 * Returns a copy with the domain lowercased, or NULL. */
static char *
addr_norm(const char *s, size_t n)
{
	const char *at;
	char *out;

	s = trim(s, &n);
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
		*d = (char)lower((unsigned char)*d);
	return out;
}

/* The addresses of an address list value (To, Cc, Delivered-To…):
 * libetpan's parse, or the <…> and a@b words of the raw value. */
static void
addr_list(const char *val, size_t vallen, struct strlist *out)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	char *v = xstrndup(val, vallen);

	for (char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (parens_ok(v, strlen(v)) &&
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
					addr_norm(mb->mb_addr_spec,
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
					addr_norm(mb->mb_addr_spec,
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
			char *s = n ? addr_norm(p, n) : NULL;

			if (s)
				strlist_push(out, s);
			p += n;
			if (*p)
				p++;
		}
	}
	free(v);
}

/* The local part of an address before '+' and '@' (lowercased) into out. */
static void
local_base(const char *addr, char *out, size_t outsz)
{
	size_t n = addr ? strcspn(addr, "+@") : 0;

	if (n >= outsz)
		n = outsz - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)lower((unsigned char)addr[i]);
	out[n] = '\0';
}

/* ---- tokens ---- */

static void
token_add(struct reply *r, const char *tok, enum reply_token_kind kind,
	enum reply_where where, const char *issue)
{
	struct reply_token *t;

	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == kind && r->tokens[i].where == where &&
		    strncasecmp(r->tokens[i].token, tok, TOKEN_LEN) == 0)
			return;
	if (r->ntokens >= MAX_TOKENS)
		return;
	r->tokens = xreallocarray(r->tokens, r->ntokens + 1, sizeof *r->tokens);
	t = &r->tokens[r->ntokens++];
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < TOKEN_LEN; i++)
		t->token[i] = (char)lower((unsigned char)tok[i]);
	t->kind = kind;
	t->where = where;
	if (issue)
		snprintf(t->issue, sizeof t->issue, "%s", issue);
}

/* The token of that kind found in the most telling place (To before
 * Delivered-To, In-Reply-To before References). */
static const struct reply_token *
token_find(const struct reply *r, enum reply_token_kind kind)
{
	const struct reply_token *best = NULL;

	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == kind &&
		    (!best || r->tokens[i].where < best->where))
			best = &r->tokens[i];
	return best;
}

/*
 * Our Message-IDs: <YYYY-MM.TOKEN@domain> for an issue,
 * <confirm-UNIQUE.TOKEN@domain> for a confirmation request. id is without
 * the angle brackets. Adds the token and returns true when it is one.
 */
static bool
msgid_token(struct reply *r, const char *id, size_t n, const char *domain,
	enum reply_where where)
{
	const char *at = memchr(id, '@', n), *dot = NULL;
	size_t ln;

	if (!at)
		return false;
	if (domain && *domain &&
	    !eq_ci(at + 1, n - (size_t)(at + 1 - id), domain))
		return false;
	for (const char *p = id; p < at; p++)
		if (*p == '.')
			dot = p;
	if (!dot || !is_token(dot + 1, (size_t)(at - dot - 1)))
		return false;
	ln = (size_t)(dot - id);
	if (ln == 7 && is_digit(id[0]) && is_digit(id[1]) && is_digit(id[2]) &&
	    is_digit(id[3]) && id[4] == '-' && is_digit(id[5]) &&
	    is_digit(id[6])) {
		char issue[8];

		memcpy(issue, id, 7);
		issue[7] = '\0';
		token_add(r, dot + 1, REPLY_TOKEN_ISSUE, where, issue);
		return true;
	}
	if (starts_ci(id, ln, REPLIES_CONFIRM_MSGID_PREFIX)) {
		token_add(r, dot + 1, REPLY_TOKEN_CONFIRM, where, NULL);
		return true;
	}
	return false;
}

/* Every <…> of s[0..n) looked at as one of our Message-IDs. */
static void
msgids_scan(struct reply *r, const char *s, size_t n, const char *domain,
	enum reply_where where)
{
	for (size_t i = 0; i < n; i++) {
		const char *end;

		if (s[i] != '<')
			continue;
		end = memchr(s + i + 1, '>', n - i - 1 < 300 ? n - i - 1 : 300);
		if (!end)
			continue;
		msgid_token(r, s + i + 1, (size_t)(end - s - i - 1), domain,
			where);
		i = (size_t)(end - s);
	}
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
			int c = lower((unsigned char)h[j]), d;

			if (is_digit(c))
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
	for (k = j; k < n && k - j < 10 && is_alnum((unsigned char)h[k]); k++)
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
		for (int q = 0; q < o->quote && q < MAX_DEPTH; q++)
			buf_puts(o->b, "> ");
		o->bol = false;
	} else if (o->space) {
		buf_putc(o->b, ' ');
	}
	o->space = false;
}

char *
replies_html_text(const char *h, size_t n)
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
		    (is_alnum((unsigned char)h[i + 1]) || h[i + 1] == '/' ||
		    h[i + 1] == '!' || h[i + 1] == '?')) {
			char name[16];
			size_t j = i + 1, nl = 0;
			bool closing = false;
			char q = 0;

			if (h[j] == '/') {
				closing = true;
				j++;
			}
			while (j < n && is_alnum((unsigned char)h[j])) {
				if (nl < sizeof name - 1)
					name[nl++] = (char)lower((unsigned char)h[j]);
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
				e = find_ci(h + i, n - i, end);
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
		} else if (is_space(c)) {
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

/* ---- the reply's own words ---- */

/* The line s[0..n) folded into f (reset first). */
static void
fold_line(const char *s, size_t n, struct buf *f)
{
	buf_reset(f);
	fold(s, n, f);
	while (f->len && is_space((unsigned char)f->data[f->len - 1]))
		f->data[--f->len] = '\0';
}

static bool
ends_with(const struct buf *f, const char *t)
{
	size_t tl = strlen(t);

	return f->len >= tl && memcmp(f->data + f->len - tl, t, tl) == 0;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The separators that start a quoted or forwarded message. */
static const char *const separators[] = {
	"-----original message-----", "----- original message -----",
	"-----message d'origine-----", "----- message d'origine -----",
	"-------- message original --------",
	"-------- original message --------",
	"---------- forwarded message ---------",
	"-------- message transfere --------", "-------- message transfere",
	"---------- message transfere ---------",
	"debut du message reexpedie", "begin forwarded message",
	"________________________________",
	NULL,
};

static bool
attribution_end(const struct buf *f)
{
	return ends_with(f, "a ecrit :") || ends_with(f, "a ecrit:") ||
		ends_with(f, "wrote:") || ends_with(f, "wrote :") ||
		ends_with(f, "schrieb:") || ends_with(f, "geschrieben:");
}

static bool
header_block_line(const char *l)
{
	static const char *const names[] = {
		"envoye :", "envoye:", "sent:", "date :", "date:", "a :", "a:",
		"to:", "objet :", "objet:", "subject:", "cc :", "cc:", NULL,
	};

	for (size_t i = 0; names[i]; i++)
		if (strncmp(l, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/*
 * Does a reply header start at the line folded in f (the next lines folded
 * in f1 and f2)? Returns 0 if not; 1 or 2 for an attribution ("Le … a
 * écrit :", "On … wrote:") over that many lines; 3 for a separator or an
 * Outlook "De : … Envoyé : …" block.
 */
static int
reply_header(const struct buf *f, const struct buf *f1, const struct buf *f2)
{
	const char *l = skip_ws(buf_str(f));

	for (size_t i = 0; separators[i]; i++)
		if (strncmp(l, separators[i], strlen(separators[i])) == 0)
			return 3;
	if (strncmp(l, "le ", 3) == 0 || strncmp(l, "on ", 3) == 0 ||
	    strncmp(l, "am ", 3) == 0) {
		if (attribution_end(f))
			return 1;
		if (f1->len && attribution_end(f1))
			return 2;
		return 0;
	}
	if ((strncmp(l, "de :", 4) == 0 || strncmp(l, "de:", 3) == 0 ||
	    strncmp(l, "from:", 5) == 0 || strncmp(l, "from :", 6) == 0) &&
	    (header_block_line(skip_ws(buf_str(f1))) ||
	    header_block_line(skip_ws(buf_str(f2)))))
		return 3;
	return 0;
}

/* Line n of text: [*s, *e) (without the line end); false past the end. */
struct lines {
	const char *p, *end;
};

static bool
next_line(struct lines *it, const char **s, size_t *n)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*n = (size_t)((nl ? nl : it->end) - it->p);
	it->p = nl ? nl + 1 : it->end;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	return true;
}

char *
replies_fresh_text(const char *text, size_t maxlines)
{
	struct buf out = BUF_INIT, f = BUF_INIT, f1 = BUF_INIT, f2 = BUF_INIT;
	struct lines it = { text, text + strlen(text) };
	const char *s, *s1 = NULL, *s2 = NULL;
	size_t n, n1 = 0, n2 = 0, count = 0, skip = 0;
	bool have, have1, have2;
	int kind;

	buf_puts(&out, "");
	have = next_line(&it, &s, &n);
	have1 = have && next_line(&it, &s1, &n1);
	have2 = have1 && next_line(&it, &s2, &n2);
	while (have && count < maxlines) {
		size_t tn = n;
		const char *t = trim(s, &tn);

		fold_line(s, n, &f);
		fold_line(have1 ? s1 : "", have1 ? n1 : 0, &f1);
		fold_line(have2 ? s2 : "", have2 ? n2 : 0, &f2);
		/* "-- " is the signature separator; some clients drop the space */
		if ((n == 3 && memcmp(s, "-- ", 3) == 0) ||
		    (n == 2 && memcmp(s, "--", 2) == 0))
			break;
		/* an attribution before any word of the reply: the reply is
		 * below the quote */
		if (!skip && (kind = reply_header(&f, &f1, &f2)) != 0) {
			if (count > 0 || kind == 3)
				break;
			skip = (size_t)kind;
		}
		if (skip)
			skip--;
		else if (tn && t[0] != '>') {
			buf_put(&out, t, tn);
			buf_putc(&out, '\n');
			count++;
		}
		s = s1;
		n = n1;
		have = have1;
		s1 = s2;
		n1 = n2;
		have1 = have2;
		have2 = have1 && next_line(&it, &s2, &n2);
	}
	buf_free(&f);
	buf_free(&f1);
	buf_free(&f2);
	return buf_detach(&out);
}

/* ---- keywords ---- */

static const struct {
	const char *stem;
	const char *name;
} stems[] = {
	{ "unsubscrib", "unsubscribe" },
	{ "desinscri", "désinscription" },
	{ "desincri", "désinscription" },
	{ "desabonn", "désabonnement" },
	{ "retirez-moi", "retirez-moi" },
	{ "retirez moi", "retirez-moi" },
	{ "remove me", "remove me" },
};

/* Words that may follow "stop" in a line that only says stop. */
static const char *const polite[] = {
	"svp", "stp", "merci", "please", "pls", "thanks", "thank", "you",
	"s", "il", "vous", "plait", "te", "thx", NULL,
};

static bool
only_stop(const char *s, size_t n)
{
	size_t i = 0, words = 0;

	while (i < n) {
		size_t w;

		while (i < n && !is_alnum((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		for (w = i; w < n && is_alnum((unsigned char)s[w]); w++)
			;
		if (words == 0) {
			if (w - i != 4 || memcmp(s + i, "stop", 4) != 0)
				return false;
		} else {
			size_t k;

			for (k = 0; polite[k]; k++)
				if (w - i == strlen(polite[k]) &&
				    memcmp(s + i, polite[k], w - i) == 0)
					break;
			if (!polite[k])
				return false;
		}
		if (++words > 6)
			return false;
		i = w;
	}
	return words > 0;
}

/* The keyword in one folded line, or NULL. */
static const char *
line_keyword(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof stems / sizeof stems[0]; k++) {
		const char *st = stems[k].stem;
		size_t sl = strlen(st);

		for (size_t i = 0; i + sl <= n; i++)
			if (memcmp(s + i, st, sl) == 0 &&
			    (i == 0 || !is_alnum((unsigned char)s[i - 1])))
				return stems[k].name;
	}
	return only_stop(s, n) ? "stop" : NULL;
}

/* Skip the reply and forward prefixes of a folded subject. */
static const char *
skip_prefixes(const char *s)
{
	static const char *const pre[] = {
		"re", "fwd", "fw", "tr", "aw", "wg", "ref", "antw", "sv", "vs",
		"rif", "r", NULL,
	};
	bool again = true;

	while (again) {
		again = false;
		s = skip_ws(s);
		if (*s == '[') {
			const char *e = strchr(s, ']');

			if (e && e - s < 40) {
				s = e + 1;
				again = true;
				continue;
			}
		}
		for (size_t i = 0; pre[i]; i++) {
			size_t l = strlen(pre[i]);
			const char *p = s + l;

			if (strncmp(s, pre[i], l) != 0)
				continue;
			if (*p == '[' || *p == '(') {
				while (*p && *p != ']' && *p != ')')
					p++;
				if (*p)
					p++;
			}
			p = skip_ws(p);
			if (*p == ':') {
				s = p + 1;
				again = true;
				break;
			}
		}
	}
	return s;
}

const char *
replies_keyword(const char *s, bool subject)
{
	struct buf f = BUF_INIT;
	const char *kw = NULL;

	fold(s, strlen(s), &f);
	if (subject) {
		const char *p = skip_prefixes(f.data);

		kw = line_keyword(p, strlen(p));
	} else {
		struct lines it = { f.data, f.data + f.len };
		const char *l;
		size_t n;

		while (!kw && next_line(&it, &l, &n))
			kw = line_keyword(l, n);
	}
	buf_free(&f);
	return kw;
}

/* ---- delivery status notifications ---- */

/* An RFC 3463 status code at s: "5.1.1" (class 2, 4 or 5; subject and
 * detail 1 to 3 digits) not inside a longer number. Returns its length. */
static size_t
status_at(const char *s, size_t n, size_t i)
{
	size_t j = i, d;

	if (i > 0 && (is_digit((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return 0;
	if (j >= n || (s[j] != '2' && s[j] != '4' && s[j] != '5'))
		return 0;
	j++;
	for (int part = 0; part < 2; part++) {
		if (j >= n || s[j] != '.')
			return 0;
		j++;
		for (d = 0; j < n && is_digit((unsigned char)s[j]) && d < 4;
		    j++, d++)
			;
		if (d == 0 || d > 3)
			return 0;
	}
	if (j < n && (is_digit((unsigned char)s[j]) ||
	    (s[j] == '.' && j + 1 < n && is_digit((unsigned char)s[j + 1]))))
		return 0;
	return j - i;
}

/* The first status code in s[0..n) into out (size 16); false if none. */
static bool
find_status(const char *s, size_t n, char out[16])
{
	for (size_t i = 0; i < n; i++) {
		size_t l = status_at(s, n, i);

		if (l) {
			memcpy(out, s + i, l);
			out[l] = '\0';
			return true;
		}
	}
	return false;
}

static struct reply_recipient *
rcpt_add(struct reply *r, char *addr)
{
	struct reply_recipient *rc;

	r->rcpts = xreallocarray(r->rcpts, r->nrcpts + 1, sizeof *r->rcpts);
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof *rc);
	rc->address = addr;
	return rc;
}

/* The address of "rfc822; addr" (or of a bare address), or NULL. */
static char *
dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi) {
		if (!starts_ci(v, (size_t)(semi - v), "rfc822") &&
		    !starts_ci(v, (size_t)(semi - v), "utf-8"))
			return NULL;
		v = semi + 1;
	}
	return addr_norm(v, strlen(v));
}

struct dsn_block {
	char *final, *original, *action, *status, *diag;
};

static void
dsn_flush(struct dsn_block *b, struct reply *r, size_t *added)
{
	char *addr = NULL;

	if (b->final)
		addr = dsn_addr(b->final);
	if (!addr && b->original)
		addr = dsn_addr(b->original);
	if ((b->final || b->original) && r->nrcpts < MAX_RCPTS) {
		struct reply_recipient *rc = rcpt_add(r, addr);
		char code = 0;

		addr = NULL;
		if (b->status && find_status(b->status, strlen(b->status),
		    rc->status))
			code = rc->status[0];
		if (b->action) {
			size_t an = strcspn(b->action, " \t(;");

			rc->action = clean(b->action, an, 20);
			for (char *p = rc->action; *p; p++)
				*p = (char)lower((unsigned char)*p);
		}
		if (b->diag)
			rc->diagnostic = clean(b->diag, strlen(b->diag), 200);
		if (code == '5' || code == '4') {
			rc->failed = true;
			rc->permanent = code == '5';
		} else if (!code && rc->action) {
			rc->failed = strcmp(rc->action, "failed") == 0 ||
				strcmp(rc->action, "delayed") == 0;
			rc->permanent = strcmp(rc->action, "failed") == 0;
		}
		(*added)++;
	}
	free(addr);
	free(b->final);
	free(b->original);
	free(b->action);
	free(b->status);
	free(b->diag);
	memset(b, 0, sizeof *b);
}

size_t
replies_parse_dsn(const char *s, size_t len, struct reply *r)
{
	struct lines it = { s, s + len };
	struct dsn_block b = { NULL, NULL, NULL, NULL, NULL };
	char **cur = NULL;
	const char *l;
	size_t n, added = 0;

	while (next_line(&it, &l, &n)) {
		size_t tn = n;
		const char *colon;
		char **slot = NULL;

		trim(l, &tn);
		if (tn == 0) {
			dsn_flush(&b, r, &added);
			cur = NULL;
			continue;
		}
		if ((l[0] == ' ' || l[0] == '\t') && cur) {
			if (strlen(*cur) < 1000) {
				char *v = xasprintf("%s %.*s", *cur, (int)tn,
					trim(l, &n));
				free(*cur);
				*cur = v;
			}
			continue;
		}
		cur = NULL;
		if (!(colon = memchr(l, ':', n)))
			continue;
		if (eq_ci(l, (size_t)(colon - l), "Final-Recipient"))
			slot = &b.final;
		else if (eq_ci(l, (size_t)(colon - l), "Original-Recipient"))
			slot = &b.original;
		else if (eq_ci(l, (size_t)(colon - l), "Action"))
			slot = &b.action;
		else if (eq_ci(l, (size_t)(colon - l), "Status"))
			slot = &b.status;
		else if (eq_ci(l, (size_t)(colon - l), "Diagnostic-Code"))
			slot = &b.diag;
		if (!slot)
			continue;
		if (*slot) /* a second Final-Recipient: a block without blank line */
			if (slot == &b.final) {
				dsn_flush(&b, r, &added);
			}
		if (!*slot) {
			size_t vn = n - (size_t)(colon + 1 - l);
			const char *v = trim(colon + 1, &vn);

			*slot = xstrndup(v, vn);
			cur = slot;
		}
	}
	dsn_flush(&b, r, &added);
	return added;
}

/* ---- the MIME walk ---- */

struct leaf {
	char type[24], subtype[40], charset[40];
	int enc;          /* MAILMIME_MECHANISM_* */
	bool attachment;
	bool in_message;  /* inside a message/rfc822: a quoted or returned one */
	const char *body;
	size_t len;
};

struct walk {
	struct leaf *v;
	size_t n, cap;
	size_t parts;
	bool report;           /* the message is a multipart/report */
	char report_type[32];
	const char *returned;  /* the header of a returned message, if any */
	size_t returnedlen;
	bool limited;          /* a limit was hit: stop walking */
	bool deep, wide;       /* which one */
};

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
		out[i] = (char)lower((unsigned char)s[i]);
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
part_info(const struct header *h, bool digest, struct part_info *pi)
{
	const struct field *f;

	memset(pi, 0, sizeof *pi);
	snprintf(pi->type, sizeof pi->type, "%s", digest ? "message" : "text");
	snprintf(pi->subtype, sizeof pi->subtype, "%s",
		digest ? "rfc822" : "plain");
	pi->enc = MAILMIME_MECHANISM_7BIT;
	if ((f = header_get(h, "Content-Type")) &&
	    parens_ok(f->val, f->vallen)) {
		char *v = field_value(f);
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
	if ((f = header_get(h, "Content-Transfer-Encoding"))) {
		char *v = field_value(f);
		size_t n = strcspn(v, " \t;(");

		if (eq_ci(v, n, "base64"))
			pi->enc = MAILMIME_MECHANISM_BASE64;
		else if (eq_ci(v, n, "quoted-printable"))
			pi->enc = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
		else if (eq_ci(v, n, "8bit"))
			pi->enc = MAILMIME_MECHANISM_8BIT;
		else if (eq_ci(v, n, "binary"))
			pi->enc = MAILMIME_MECHANISM_BINARY;
		free(v);
	}
	if ((f = header_get(h, "Content-Disposition"))) {
		char *v = field_value(f);

		pi->attachment = starts_ci(v, strlen(v), "attachment");
		free(v);
	}
}

static void walk_part(struct walk *w, const char *p, size_t len, int depth,
	bool in_msg, bool digest, const struct header *top);

/* The parts of a multipart body, split at the lines "--boundary". */
static void
walk_multipart(struct walk *w, const char *p, size_t len, const char *bd,
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
			while (k < ll && is_space((unsigned char)line[k]))
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
walk_part(struct walk *w, const char *p, size_t len, int depth, bool in_msg,
	bool digest, const struct header *top)
{
	struct header own;
	const struct header *h = top;
	struct part_info pi;
	const char *body;
	size_t blen;

	if (depth > MAX_DEPTH || w->parts >= MAX_PARTS) {
		w->limited = true;
		if (depth > MAX_DEPTH)
			w->deep = true;
		else
			w->wide = true;
		return;
	}
	w->parts++;
	if (!h) {
		header_split(p, len, &own);
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
			struct header inner;

			header_split(body, blen, &inner);
			w->returned = body;
			w->returnedlen = inner.end;
			free(inner.v);
		}
		walk_part(w, body, blen, depth + 1, true, false, NULL);
	} else {
		struct leaf *l;

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
static char *
leaf_text(const struct leaf *l, bool html)
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
		char *t = replies_html_text(b.data, b.len);

		buf_free(&b);
		return t;
	}
	return buf_detach(&b);
}

/* The text of the message: its first text/plain part, else its first
 * text/html made text; not an attachment, not in a quoted message. */
static char *
message_text(const struct walk *w)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < w->n; i++) {
			const struct leaf *l = &w->v[i];

			if (l->in_message || l->attachment ||
			    strcmp(l->type, "text") != 0)
				continue;
			if (pass == 0 && strcmp(l->subtype, "plain") == 0)
				return leaf_text(l, false);
			if (pass == 1 && strcmp(l->subtype, "html") == 0)
				return leaf_text(l, true);
		}
	return xstrdup("");
}

/* ---- classification ---- */

struct msg {
	const struct replies_opts *o;
	char unsub[128], bounce[128];  /* local parts, lowercased */
	struct header h;
	struct walk w;
	char *text;                    /* the message's text, UTF-8 */
	bool to_unsub;                 /* sent to the unsubscribe address */
	bool rp_empty;                 /* Return-Path: <> */
	char *auto_why;                /* the automatic-reply marker found */
	struct strlist failed;         /* X-Failed-Recipients */
	struct buf fsubj;              /* the subject folded for matching */
	struct buf detail;
};

static const char *
msg_text(struct msg *m)
{
	if (!m->text)
		m->text = message_text(&m->w);
	return m->text;
}

static void
set_auto(struct msg *m, const char *name, const char *value)
{
	if (!m->auto_why)
		m->auto_why = clean(value, strlen(value), 40);
	if (name) {
		char *v = m->auto_why;

		m->auto_why = xasprintf("%s: %s", name, v);
		free(v);
	}
}

/* The addresses a message was sent to: tokens and "to the unsubscribe
 * address". */
static void
recipients_scan(struct msg *m, struct reply *r, const struct field *f,
	enum reply_where where)
{
	struct strlist l = { NULL, 0, 0 };

	addr_list(f->val, f->vallen, &l);
	for (size_t i = 0; i < l.n; i++) {
		char base[128];
		const char *plus = strchr(l.v[i], '+');
		const char *at = strrchr(l.v[i], '@');

		local_base(l.v[i], base, sizeof base);
		if (m->unsub[0] && strcmp(base, m->unsub) == 0) {
			m->to_unsub = true;
			if (plus && plus < at &&
			    is_token(plus + 1, (size_t)(at - plus - 1)))
				token_add(r, plus + 1, REPLY_TOKEN_UNSUBSCRIBE,
					where, NULL);
		} else if (m->bounce[0] && strcmp(base, m->bounce) == 0 &&
		    plus && plus < at &&
		    is_token(plus + 1, (size_t)(at - plus - 1))) {
			token_add(r, plus + 1, REPLY_TOKEN_BOUNCE, where, NULL);
		}
	}
	strlist_free(&l);
}

static void
msgid_list(struct msg *m, struct reply *r, const struct field *f,
	enum reply_where where)
{
	struct mailimf_fields *fs = imf_parse(f);
	struct mailimf_field *x = imf_first(fs);
	clist *ids = NULL;
	const char *dom = m->o ? m->o->msgid_domain : NULL;

	if (x && x->fld_type == MAILIMF_FIELD_IN_REPLY_TO)
		ids = x->fld_data.fld_in_reply_to->mid_list;
	else if (x && x->fld_type == MAILIMF_FIELD_REFERENCES)
		ids = x->fld_data.fld_references->mid_list;
	if (ids) {
		for (clistiter *c = clist_begin(ids); c; c = clist_next(c)) {
			const char *id = clist_content(c);

			msgid_token(r, id, strlen(id), dom, where);
		}
	} else {
		msgids_scan(r, f->val, f->vallen, dom, where);
	}
	if (fs)
		mailimf_fields_free(fs);
}

static void
from_field(struct reply *r, const struct field *f)
{
	struct mailimf_fields *fs = imf_parse(f);
	struct mailimf_field *x = imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_FROM &&
	    x->fld_data.fld_from->frm_mb_list) {
		clistiter *c = clist_begin(
			x->fld_data.fld_from->frm_mb_list->mb_list);
		struct mailimf_mailbox *mb = c ? clist_content(c) : NULL;

		if (mb && mb->mb_addr_spec) {
			r->from = addr_norm(mb->mb_addr_spec,
				strlen(mb->mb_addr_spec));
			if (mb->mb_display_name) {
				char *d = decode_words(mb->mb_display_name,
					strlen(mb->mb_display_name));
				r->from_name = clean(d, strlen(d), 100);
				free(d);
			}
		}
	} else {
		struct strlist l = { NULL, 0, 0 };

		addr_list(f->val, f->vallen, &l);
		if (l.n) {
			r->from = l.v[0];
			l.v[0] = NULL;
		}
		strlist_free(&l);
	}
	if (fs)
		mailimf_fields_free(fs);
}

static void
date_field(struct reply *r, const struct field *f)
{
	struct mailimf_fields *fs = imf_parse(f);
	struct mailimf_field *x = imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_ORIG_DATE) {
		const struct mailimf_date_time *d =
			x->fld_data.fld_orig_date->dt_date_time;
		int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;

		if (d->dt_year >= 1900 && d->dt_year <= 9999 &&
		    d->dt_month >= 1 && d->dt_month <= 12 && d->dt_day >= 1 &&
		    d->dt_day <= 31 && d->dt_hour >= 0 && d->dt_hour < 24 &&
		    d->dt_min >= 0 && d->dt_min < 60 && d->dt_sec >= 0 &&
		    d->dt_sec <= 60 && z < 10000)
			r->date = xasprintf("%04d-%02d-%02d %02d:%02d:%02d %c%04d",
				d->dt_year, d->dt_month, d->dt_day, d->dt_hour,
				d->dt_min, d->dt_sec,
				d->dt_zone < 0 ? '-' : '+', z);
	}
	if (!r->date)
		r->date = clean(f->val, f->vallen, 60);
	if (fs)
		mailimf_fields_free(fs);
}

static void
message_id_field(struct reply *r, const struct field *f)
{
	struct mailimf_fields *fs = imf_parse(f);
	struct mailimf_field *x = imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_MESSAGE_ID &&
	    x->fld_data.fld_message_id->mid_value) {
		const char *v = x->fld_data.fld_message_id->mid_value;

		r->message_id = clean(v, strlen(v), 250);
	} else {
		size_t n = f->vallen;
		const char *v = trim(f->val, &n);

		if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
			v++;
			n -= 2;
		}
		if (n)
			r->message_id = clean(v, n, 250);
	}
	if (fs)
		mailimf_fields_free(fs);
}

/* The auto-reply subjects (folded). */
static const char *const auto_subjects[] = {
	"reponse automatique", "absence du bureau", "absent du bureau",
	"absente du bureau", "absent(e) du bureau", "message d'absence",
	"out of office", "out of the office", "automatic reply",
	"auto-reply", "autoreply", "auto reply", "auto-response",
	"automatische antwort", "abwesenheitsnotiz", "respuesta automatica",
	"risposta automatica", "vacation reply", "away from the office",
	NULL,
};

static void
header_scan(struct msg *m, struct reply *r)
{
	const struct header *h = &m->h;
	bool seen_from = false;

	for (size_t i = 0; i < h->n; i++) {
		const struct field *f = &h->v[i];
		const char *nm = f->name;
		size_t nl = f->namelen;

		if (eq_ci(nm, nl, "From")) {
			if (!seen_from)
				from_field(r, f);
			seen_from = true;
		} else if (eq_ci(nm, nl, "Subject") && !r->subject) {
			char *s = decode_words(f->val, f->vallen);

			r->subject = clean(s, strlen(s), SUBJECT_MAX);
			free(s);
		} else if (eq_ci(nm, nl, "Date") && !r->date) {
			date_field(r, f);
		} else if (eq_ci(nm, nl, "Message-ID") && !r->message_id) {
			message_id_field(r, f);
		} else if (eq_ci(nm, nl, "To")) {
			recipients_scan(m, r, f, REPLY_IN_TO);
		} else if (eq_ci(nm, nl, "Cc")) {
			recipients_scan(m, r, f, REPLY_IN_CC);
		} else if (eq_ci(nm, nl, "Delivered-To")) {
			recipients_scan(m, r, f, REPLY_IN_DELIVERED_TO);
		} else if (eq_ci(nm, nl, "X-Original-To")) {
			recipients_scan(m, r, f, REPLY_IN_X_ORIGINAL_TO);
		} else if (eq_ci(nm, nl, "In-Reply-To")) {
			msgid_list(m, r, f, REPLY_IN_IN_REPLY_TO);
		} else if (eq_ci(nm, nl, "References")) {
			msgid_list(m, r, f, REPLY_IN_REFERENCES);
		} else if (eq_ci(nm, nl, "X-Failed-Recipients")) {
			addr_list(f->val, f->vallen, &m->failed);
		} else if (eq_ci(nm, nl, "Return-Path")) {
			size_t n = f->vallen, in;
			const char *v = trim(f->val, &n);

			in = n >= 2 ? n - 2 : 0;
			if (n >= 2 && v[0] == '<' && v[n - 1] == '>' &&
			    (trim(v + 1, &in), in == 0))
				m->rp_empty = true;
		} else if (!m->auto_why) {
			char *v = field_value(f);
			size_t vn = strcspn(v, " \t;(");

			if (eq_ci(nm, nl, "Auto-Submitted")) {
				if (vn && !eq_ci(v, vn, "no"))
					set_auto(m, "Auto-Submitted", v);
			} else if (eq_ci(nm, nl, "X-Autoreply") ||
			    eq_ci(nm, nl, "X-Autorespond") ||
			    eq_ci(nm, nl, "X-Autoresponder")) {
				if (vn && !eq_ci(v, vn, "no") &&
				    !eq_ci(v, vn, "false") && !eq_ci(v, vn, "0")) {
					char *name = xstrndup(nm, nl);

					set_auto(m, name, v);
					free(name);
				}
			} else if (eq_ci(nm, nl, "Precedence")) {
				if (eq_ci(v, vn, "auto_reply") ||
				    eq_ci(v, vn, "auto-reply") ||
				    eq_ci(v, vn, "bulk") || eq_ci(v, vn, "junk") ||
				    eq_ci(v, vn, "list"))
					set_auto(m, "Precedence", v);
			} else if (eq_ci(nm, nl, "X-Auto-Response-Suppress")) {
				set_auto(m, "X-Auto-Response-Suppress",
					*v ? v : "(empty)");
			}
			free(v);
		}
	}
	if (!r->subject)
		r->subject = xstrdup("");
}

/* ---- bounces by their text ---- */

static const char *const bounce_subjects[] = {
	"undelivered mail", "returned mail", "mail delivery failed",
	"delivery status notification", "undeliverable", "undelivered",
	"failure notice", "delivery failure", "delivery failed",
	"non remis", "non distribuable", "remise impossible",
	"unzustellbar", "could not send message", "delayed mail",
	"delivery delayed", "has been delayed", "returned to sender",
	"could not be delivered", "nondeliverable", "mail system error",
	NULL,
};

static const char *const bounce_phrases[] = {
	"could not be delivered", "couldn't be delivered", "could not deliver",
	"wasn't delivered", "was not delivered", "wasn't able to deliver",
	"unable to deliver", "delivery has failed", "delivery to the following",
	"following address(es) failed", "permanent fatal error",
	"permanent error", "this is the mail system at host",
	"qmail-send program", "has not yet been delivered",
	"delivery incomplete", "remote server returned",
	"message not delivered", "n'a pas pu etre remis",
	"n'a pas pu etre distribue", "la remise a echoue", "non remis",
	"mail delivery failed", "undeliverable", "user unknown",
	"no such user", "mailbox unavailable", "address not found",
	"unable to deliver your message", "delivery status notification",
	"is over quota", "mailbox is full", "mailbox full",
	NULL,
};

static const char *const transient_phrases[] = {
	"not yet been delivered", "this is not an error", "will retry",
	"will continue", "still being retried", "temporary failure",
	"temporarily", "temporary error", "delivery incomplete", "delayed",
	"try again later", "retrying",
	NULL,
};

static const char *const permanent_phrases[] = {
	"permanent", "given up", "user unknown", "does not exist",
	"no such user", "address not found", "couldn't be found",
	"unknown user", "wasn't delivered", "could not be delivered",
	"delivery has failed", "failed", "rejected",
	NULL,
};

static bool
any_of(const char *s, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (find_ci(s, n, list[i]))
			return true;
	return false;
}

/* The flavour of a bounce text, for DETAIL. */
static const char *
bounce_flavour(const char *f, size_t n, const struct reply *r)
{
	if (find_ci(f, n, "this is the mail system at host"))
		return "Postfix";
	if (find_ci(f, n, "created automatically by mail delivery software"))
		return "Exim";
	if (find_ci(f, n, "qmail-send program"))
		return "qmail";
	if (find_ci(f, n, "delivery has failed to these recipients") ||
	    find_ci(f, n, "remote server returned") ||
	    find_ci(f, n, "diagnostic information for administrators"))
		return "Exchange";
	if (find_ci(f, n, "sorry, we were unable to deliver your message"))
		return "Yahoo";
	if (r->from_name && strcmp(r->from_name, "Mail Delivery Subsystem") == 0)
		return "Gmail";
	if (find_ci(f, n, "the following addresses had permanent fatal errors"))
		return "Sendmail";
	return NULL;
}

/* Where the copy of the original message starts in a bounce's text. */
static size_t
bounce_explanation_len(const char *t, size_t n)
{
	static const char *const marks[] = {
		"this is a copy of the message", "below this line is a copy",
		"original message headers", "original message follows",
		"enclosed are the original headers", "----- original message",
		"-----original message", "------ original message",
		NULL,
	};
	struct lines it = { t, t + n };
	const char *l;
	size_t ln;

	while (next_line(&it, &l, &ln)) {
		for (size_t i = 0; marks[i]; i++)
			if (find_ci(l, ln, marks[i]))
				return (size_t)(l - t);
		if (starts_ci(l, ln, "Received:") ||
		    starts_ci(l, ln, "Return-Path:") ||
		    starts_ci(l, ln, "DKIM-Signature:"))
			return (size_t)(l - t);
	}
	return n;
}

static bool
own_address(const struct msg *m, const char *addr)
{
	char base[128];

	local_base(addr, base, sizeof base);
	return (m->unsub[0] && strcmp(base, m->unsub) == 0) ||
		(m->bounce[0] && strcmp(base, m->bounce) == 0) ||
		strcmp(base, "mailer-daemon") == 0 ||
		strcmp(base, "postmaster") == 0;
}

/* The recipients named by a bounce's text: "<a@b>:" lines (Postfix,
 * qmail, Yahoo) and lines holding one address alone (Exim, Exchange). */
static void
text_recipients(struct msg *m, struct reply *r, const char *t, size_t n,
	const char *status, const char *diag)
{
	struct lines it = { t, t + n };
	const char *l;
	size_t ln;

	while (next_line(&it, &l, &ln) && r->nrcpts < MAX_RCPTS) {
		size_t tn = ln;
		const char *s = trim(l, &tn);
		char *addr = NULL;

		if (tn > 2 && s[0] == '<') {
			const char *e = memchr(s, '>', tn);

			if (e && ((size_t)(e - s) + 1 == tn || e[1] == ':'))
				addr = addr_norm(s + 1, (size_t)(e - s - 1));
		} else if (tn && !memchr(s, ' ', tn) && !memchr(s, '\t', tn)) {
			addr = addr_norm(s, tn);
		}
		if (!addr)
			continue;
		if (own_address(m, addr)) {
			free(addr);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < r->nrcpts; i++)
			if (r->rcpts[i].address &&
			    strcmp(r->rcpts[i].address, addr) == 0)
				dup = true;
		if (dup) {
			free(addr);
			continue;
		}
		struct reply_recipient *rc = rcpt_add(r, addr);

		snprintf(rc->status, sizeof rc->status, "%s", status);
		rc->diagnostic = diag ? xstrdup(diag) : NULL;
	}
}

/* The line of t holding p, cleaned (caller frees). */
static char *
line_around(const char *t, size_t n, const char *p)
{
	const char *s = p, *e = p;

	while (s > t && s[-1] != '\n')
		s--;
	while (e < t + n && *e != '\n')
		e++;
	return clean(s, (size_t)(e - s), 160);
}

/* An SMTP reply code (4xx, 5xx) in t: returns its first digit, or 0. */
static char
smtp_code(const char *t, size_t n, const char **at)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if ((t[i] == '4' || t[i] == '5') && is_digit((unsigned char)t[i + 1]) &&
		    is_digit((unsigned char)t[i + 2]) &&
		    (i == 0 || t[i - 1] == ' ' || t[i - 1] == ':' ||
		    t[i - 1] == '\n' || t[i - 1] == '(' || t[i - 1] == '\'') &&
		    (i + 3 == n || t[i + 3] == ' ' || t[i + 3] == '-')) {
			*at = t + i;
			return t[i];
		}
	return 0;
}

/* Is the message a bounce by its text? Then fill the recipients and say
 * whether it is permanent. */
static bool
bounce_by_text(struct msg *m, struct reply *r, bool *permanent)
{
	const char *t;
	size_t tn;
	char local[128], status[16] = "";
	const char *at = NULL, *fl;
	char *diag = NULL;
	struct buf ft = BUF_INIT;
	bool daemon, subj, body;
	char code;

	local_base(r->from, local, sizeof local);
	daemon = m->rp_empty || strncmp(local, "mailer-daemon", 13) == 0 ||
		strncmp(local, "mailer_daemon", 13) == 0 ||
		strcmp(local, "postmaster") == 0 ||
		(r->from_name && (find_ci(r->from_name, strlen(r->from_name),
		"mail delivery") || find_ci(r->from_name,
		strlen(r->from_name), "mailer-daemon")));
	subj = any_of(m->fsubj.data, m->fsubj.len, bounce_subjects);
	if (!m->failed.n && !daemon && !subj)
		return false;
	t = msg_text(m);
	tn = bounce_explanation_len(t, strlen(t));
	fold(t, tn, &ft);
	body = any_of(ft.data, ft.len, bounce_phrases);
	if (!m->failed.n && !(daemon && (subj || body)) && !(subj && body)) {
		buf_free(&ft);
		return false;
	}

	if (find_status(t, tn, status)) {
		at = find_ci(t, tn, status);
		code = status[0];
	} else {
		code = smtp_code(t, tn, &at);
	}
	if (at)
		diag = line_around(t, tn, at);
	if (code == '5' || code == '4')
		*permanent = code == '5';
	else if (any_of(ft.data, ft.len, transient_phrases) ||
	    any_of(m->fsubj.data, m->fsubj.len, transient_phrases))
		*permanent = false;
	else
		*permanent = any_of(ft.data, ft.len, permanent_phrases);

	for (size_t i = 0; i < m->failed.n && r->nrcpts < MAX_RCPTS; i++) {
		struct reply_recipient *rc = rcpt_add(r, xstrdup(m->failed.v[i]));

		snprintf(rc->status, sizeof rc->status, "%s", status);
		rc->diagnostic = diag ? xstrdup(diag) : NULL;
	}
	if (!m->failed.n)
		text_recipients(m, r, t, tn, status, diag);
	for (size_t i = 0; i < r->nrcpts; i++) {
		r->rcpts[i].failed = true;
		r->rcpts[i].permanent = *permanent;
	}

	fl = bounce_flavour(ft.data, ft.len, r);
	buf_printf(&m->detail, "%s%sbounce text", fl ? fl : "", fl ? " " : "");
	if (status[0])
		buf_printf(&m->detail, ": %s", status);
	else if (code)
		buf_printf(&m->detail, ": SMTP %.3s", at);
	buf_printf(&m->detail, " (%s)", *permanent ? "permanent" : "transient");
	free(diag);
	buf_free(&ft);
	return true;
}

/* ---- putting it together ---- */

static void
tokens_detail(struct msg *m, const struct reply *r, enum reply_token_kind kind)
{
	const struct reply_token *t = token_find(r, kind);

	if (!t)
		return;
	buf_printf(&m->detail, "; token in %s", replies_where_name(t->where));
	if (t->issue[0])
		buf_printf(&m->detail, " (issue %s)", t->issue);
}

/* The returned message's Message-ID in a bounce: which issue bounced. */
static void
returned_tokens(struct msg *m, struct reply *r)
{
	const char *dom = m->o ? m->o->msgid_domain : NULL;

	if (m->w.returned) {
		struct header h;

		header_split(m->w.returned, m->w.returnedlen, &h);
		for (size_t i = 0; i < h.n; i++)
			if (eq_ci(h.v[i].name, h.v[i].namelen, "Message-ID"))
				msgids_scan(r, h.v[i].val, h.v[i].vallen, dom,
					REPLY_IN_RETURNED);
		free(h.v);
	} else {
		const char *t = msg_text(m);
		struct lines it = { t, t + strlen(t) };
		const char *l;
		size_t n;

		while (next_line(&it, &l, &n))
			if (starts_ci(l, n, "Message-ID:"))
				msgids_scan(r, l, n, dom, REPLY_IN_RETURNED);
	}
}

static bool
classify_dsn(struct msg *m, struct reply *r)
{
	const struct leaf *st = NULL;
	size_t added;
	char *body;
	bool perm = false, fail = false;

	for (size_t i = 0; i < m->w.n && !st; i++)
		if (!m->w.v[i].in_message &&
		    strcmp(m->w.v[i].type, "message") == 0 &&
		    (strcmp(m->w.v[i].subtype, "delivery-status") == 0 ||
		    strcmp(m->w.v[i].subtype, "global-delivery-status") == 0))
			st = &m->w.v[i];
	if (!st)
		return false;
	body = leaf_text(st, false);
	added = replies_parse_dsn(body, strlen(body), r);
	free(body);
	if (!added)
		return false;
	for (size_t i = 0; i < r->nrcpts; i++) {
		fail |= r->rcpts[i].failed;
		perm |= r->rcpts[i].failed && r->rcpts[i].permanent;
	}
	if (!fail) {
		r->cls = REPLY_AUTO_REPLY;
		buf_printf(&m->detail, "delivery report without failure (%s)",
			r->rcpts[0].action ? r->rcpts[0].action : "no action");
		return true;
	}
	r->cls = perm ? REPLY_BOUNCE_PERMANENT : REPLY_BOUNCE_TRANSIENT;
	buf_puts(&m->detail, "DSN");
	for (size_t i = 0, shown = 0; i < r->nrcpts && shown < 3; i++) {
		const struct reply_recipient *rc = &r->rcpts[i];

		if (!rc->failed)
			continue;
		buf_printf(&m->detail, "%s %s%s%s", shown ? "," : ":",
			rc->status[0] ? rc->status : "",
			rc->status[0] && rc->action ? " " : "",
			rc->action ? rc->action : "");
		shown++;
	}
	return true;
}

static void
classify_unsubscribe(struct msg *m, struct reply *r)
{
	const struct reply_token *t;
	const char *kw = replies_keyword(r->subject, true);
	const char *kwwhere = "subject";

	if ((t = token_find(r, REPLY_TOKEN_UNSUBSCRIBE))) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->proof = true;
		r->keyword = kw;
		buf_printf(&m->detail, "token in %s",
			replies_where_name(t->where));
		return;
	}
	if (!(t = token_find(r, REPLY_TOKEN_CONFIRM))) {
		/* the marker of a confirmation request quoted in the body */
		const char *text = msg_text(m), *p = text;
		const char *end = text + strlen(text);
		size_t ml = strlen(REPLIES_CONFIRM_MARKER);

		while ((p = find_ci(p, (size_t)(end - p), REPLIES_CONFIRM_MARKER))) {
			if ((p == text || !is_alnum((unsigned char)p[-1])) &&
			    (size_t)(end - p) >= ml + TOKEN_LEN &&
			    is_token(p + ml, TOKEN_LEN) &&
			    !is_alnum((unsigned char)p[ml + TOKEN_LEN])) {
				token_add(r, p + ml, REPLY_TOKEN_CONFIRM,
					REPLY_IN_BODY, NULL);
				break;
			}
			p += ml;
		}
		t = token_find(r, REPLY_TOKEN_CONFIRM);
	}
	if (t) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->proof = true;
		r->keyword = kw;
		buf_printf(&m->detail, "confirmation: token in %s",
			replies_where_name(t->where));
		return;
	}
	if (!kw) {
		char *fresh = replies_fresh_text(msg_text(m), FRESH_LINES);

		kw = replies_keyword(fresh, false);
		kwwhere = "text";
		free(fresh);
	}
	if (kw) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->keyword = kw;
		t = token_find(r, REPLY_TOKEN_ISSUE);
		if (t && (t->where == REPLY_IN_IN_REPLY_TO ||
		    t->where == REPLY_IN_REFERENCES)) {
			r->proof = true;
			buf_printf(&m->detail, "asks \"%s\" in %s; token in %s "
				"(issue %s)", kw, kwwhere,
				replies_where_name(t->where), t->issue);
		} else {
			buf_printf(&m->detail, "asks \"%s\" in %s; no token: "
				"From must confirm", kw, kwwhere);
		}
		return;
	}
	if (m->to_unsub) {
		r->cls = REPLY_UNSUBSCRIBE;
		buf_puts(&m->detail, "sent to the unsubscribe address without "
			"a valid token: From must confirm");
	}
}

static void
malformed(struct reply *r, const char *why)
{
	r->cls = REPLY_MALFORMED;
	free(r->detail);
	r->detail = xasprintf("not a message: %s", why);
	if (!r->subject)
		r->subject = xstrdup("");
}

enum reply_class
replies_classify(const char *data, size_t len, const struct replies_opts *o,
	struct reply *r)
{
	struct msg m;
	size_t max = o && o->max_size ? o->max_size : REPLIES_MAX_SIZE;
	size_t skip = 0;
	bool perm;

	memset(r, 0, sizeof *r);
	memset(&m, 0, sizeof m);
	m.o = o;
	r->cls = REPLY_OTHER;
	if (len > max) {
		len = max;
		r->truncated = true;
	}
	if (o) {
		local_base(o->unsub_mailto, m.unsub, sizeof m.unsub);
		local_base(o->bounce, m.bounce, sizeof m.bounce);
	}
	/* an mbox "From " line before the header */
	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		skip = nl ? (size_t)(nl - data) + 1 : len;
	}
	data += skip;
	len -= skip;
	if (len == 0 || (len <= 2 && (data[0] == '\r' || data[0] == '\n'))) {
		malformed(r, "empty");
		return r->cls;
	}
	header_split(data, len, &m.h);
	if (m.h.first_bad || m.h.n == 0) {
		malformed(r, "no header section");
	} else if (m.h.nul) {
		malformed(r, "NUL byte in the header");
	} else if (m.h.bad > m.h.n) {
		malformed(r, "more broken lines than fields in the header");
	} else if (!header_get(&m.h, "From")) {
		malformed(r, "no From header");
	}
	if (r->cls == REPLY_MALFORMED) {
		free(m.h.v);
		return r->cls;
	}

	header_scan(&m, r);
	fold(r->subject, strlen(r->subject), &m.fsubj);
	walk_part(&m.w, data, len, 0, false, false, &m.h);

	if (classify_dsn(&m, r)) {
		if (r->cls != REPLY_AUTO_REPLY) {
			returned_tokens(&m, r);
			tokens_detail(&m, r, REPLY_TOKEN_BOUNCE);
			tokens_detail(&m, r, REPLY_TOKEN_ISSUE);
		}
	} else if (bounce_by_text(&m, r, &perm)) {
		r->cls = perm ? REPLY_BOUNCE_PERMANENT : REPLY_BOUNCE_TRANSIENT;
		returned_tokens(&m, r);
		tokens_detail(&m, r, REPLY_TOKEN_BOUNCE);
		tokens_detail(&m, r, REPLY_TOKEN_ISSUE);
	} else {
		/* not a bounce: what the text above set is dropped */
		for (size_t i = 0; i < r->nrcpts; i++) {
			free(r->rcpts[i].address);
			free(r->rcpts[i].action);
			free(r->rcpts[i].diagnostic);
		}
		r->nrcpts = 0;
		buf_reset(&m.detail);
		if (m.auto_why || m.rp_empty ||
		    any_of(m.fsubj.data, m.fsubj.len, auto_subjects)) {
			r->cls = REPLY_AUTO_REPLY;
			if (m.auto_why)
				buf_puts(&m.detail, m.auto_why);
			else if (m.rp_empty)
				buf_puts(&m.detail, "empty Return-Path without "
					"a delivery report");
			else
				buf_printf(&m.detail, "subject \"%s\"",
					r->subject);
		} else {
			classify_unsubscribe(&m, r);
			if (r->cls == REPLY_OTHER) {
				const struct reply_token *t =
					token_find(r, REPLY_TOKEN_ISSUE);

				if (t)
					buf_printf(&m.detail, "reply to issue %s, ",
						t->issue);
				if (r->subject[0])
					buf_printf(&m.detail, "subject \"%s\"",
						r->subject);
				else
					buf_puts(&m.detail, "no subject");
			}
		}
	}
	if (r->cls == REPLY_UNSUBSCRIBE && r->proof)
		buf_puts(&m.detail, " (not yet checked against the store)");
	if (r->cls == REPLY_UNSUBSCRIBE && !r->from)
		buf_puts(&m.detail, "; no usable From address");
	if (r->truncated)
		buf_printf(&m.detail, "; only the first %zu bytes read", max);
	if (m.w.deep)
		buf_printf(&m.detail, "; MIME structure over %d levels, partly "
			"read", MAX_DEPTH);
	else if (m.w.wide)
		buf_printf(&m.detail, "; over %d MIME parts, partly read",
			MAX_PARTS);
	r->detail = clean(buf_str(&m.detail), m.detail.len, 400);

	buf_free(&m.detail);
	buf_free(&m.fsubj);
	free(m.h.v);
	free(m.w.v);
	free(m.text);
	free(m.auto_why);
	strlist_free(&m.failed);
	return r->cls;
}

void
reply_free(struct reply *r)
{
	if (!r)
		return;
	free(r->message_id);
	free(r->from);
	free(r->from_name);
	free(r->subject);
	free(r->date);
	free(r->tokens);
	for (size_t i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].action);
		free(r->rcpts[i].diagnostic);
	}
	free(r->rcpts);
	free(r->detail);
	memset(r, 0, sizeof *r);
}

const char *
replies_class_name(enum reply_class c)
{
	switch (c) {
	case REPLY_MALFORMED: return "malformed";
	case REPLY_OTHER: return "other";
	case REPLY_AUTO_REPLY: return "auto-reply";
	case REPLY_UNSUBSCRIBE: return "unsubscribe";
	case REPLY_BOUNCE_PERMANENT: return "bounce-permanent";
	case REPLY_BOUNCE_TRANSIENT: return "bounce-transient";
	}
	return "other";
}

const char *
replies_where_name(enum reply_where w)
{
	switch (w) {
	case REPLY_IN_TO: return "To";
	case REPLY_IN_CC: return "Cc";
	case REPLY_IN_DELIVERED_TO: return "Delivered-To";
	case REPLY_IN_X_ORIGINAL_TO: return "X-Original-To";
	case REPLY_IN_IN_REPLY_TO: return "In-Reply-To";
	case REPLY_IN_REFERENCES: return "References";
	case REPLY_IN_BODY: return "body";
	case REPLY_IN_RETURNED: return "returned message";
	}
	return "?";
}

char *
replies_addresses(const struct reply *r)
{
	struct buf b = BUF_INIT;

	if (r->cls == REPLY_UNSUBSCRIBE && r->from) {
		buf_puts(&b, r->from);
	} else if (r->cls == REPLY_BOUNCE_PERMANENT ||
	    r->cls == REPLY_BOUNCE_TRANSIENT) {
		for (size_t i = 0; i < r->nrcpts; i++) {
			const char *a = r->rcpts[i].address;
			bool seen = false;

			if (!a || !r->rcpts[i].failed)
				continue;
			for (size_t j = 0; j < i; j++)
				if (r->rcpts[j].address && r->rcpts[j].failed &&
				    strcmp(r->rcpts[j].address, a) == 0)
					seen = true;
			if (seen)
				continue;
			if (b.len)
				buf_putc(&b, ',');
			buf_puts(&b, a);
		}
	}
	if (!b.len)
		buf_puts(&b, "-");
	return buf_detach(&b);
}
