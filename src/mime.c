/* mime.c - one composed issue → a message template with personal slots */
#include "mime.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "codec.h"
#include "util.h"

/*
 * The message is written here byte by byte rather than with libetpan's
 * mailmime writer: the slots need exact byte offsets, and libetpan would
 * write raw UTF-8 headers (it has no RFC 2047 encoder), random boundaries
 * and a Message-ID with the host name. libetpan writes the base64 of the
 * images (mailmime_base64_write_driver: 76 columns, CRLF).
 *
 * One concern, the bytes of every message the program writes, in four
 * parts: checks (what a header may hold), RFC 2047 (encoded-words and
 * display names), headers (folding, mailboxes, parameters), bodies
 * (quoted-printable, parts); then mime_build, mime_fill and mime_notice.
 */

#define HDR_LINE 78    /* header lines are folded to this length */
#define EW_MAX 60      /* one encoded-word, "=?UTF-8?Q?" and "?=" included */
#define EW_PAYLOAD (EW_MAX - 12)
#define WORD_MAX 60    /* a longer plain word is encoded, so it can be split */
#define QP_LINE 76     /* quoted-printable line, soft-break '=' included */
#define UNIT_MAX 900   /* a URL or address: one header unit, never folded */

enum slot_kind { SLOT_TOKEN, SLOT_TO, SLOT_DATE };

struct slot {
	size_t off;
	enum slot_kind kind;
};

struct mime_msg {
	char slot[TOKEN_LEN + 1]; /* the marker, while building */
	char *data;          /* the message with markers and no To header */
	size_t len;
	struct slot *slots;  /* in increasing offset */
	size_t nslots, cap;
	char *issue_id;
	char *domain;
	long long date;      /* the Date of a recipient without one */
};

static void
slot_add(struct mime_msg *m, size_t off, enum slot_kind kind)
{
	if (m->nslots == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->slots = xreallocarray(m->slots, m->cap, sizeof(*m->slots));
	}
	m->slots[m->nslots].off = off;
	m->slots[m->nslots].kind = kind;
	m->nslots++;
}

int
mime_slot_new(char slot[TOKEN_LEN + 1])
{
	size_t plen = strlen(MIME_SLOT_PREFIX), k = plen;
	unsigned char r[64];

	memcpy(slot, MIME_SLOT_PREFIX, plen);
	while (k < TOKEN_LEN) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, r, sizeof(r)) < 0)
			return -1;
		/* 234 = 9 × 26: no letter more likely than another */
		for (size_t i = 0; i < sizeof(r) && k < TOKEN_LEN; i++)
			if (r[i] < 234)
				slot[k++] = (char)('A' + r[i] % 26);
	}
	slot[TOKEN_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

bool
mime_slot_ok(const char *s)
{
	if (!s || strlen(s) != TOKEN_LEN || !str_starts(s, MIME_SLOT_PREFIX))
		return false;
	for (; *s; s++)
		if (*s < 'A' || *s > 'Z')
			return false;
	return true;
}

/* ---- checks ---- */

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext */
static bool
is_atext(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Text that may go into a header once encoded: UTF-8 without CR, LF,
 * NUL or other control characters (a tab is encoded, not refused). */
static bool
header_safe(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return utf8_valid(s, strlen(s), NULL);
}

static bool
domain_ok(const char *d, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (label == 0 && c == '-')
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && d[n - 1] != '-';
}

/* An address for a header or SMTP: the grammar of addr.h, in its wire
 * form (ASCII). */
static bool
addr_ok(const char *a)
{
	return addr_ascii(a) && addr_valid(a);
}

/* dot-atom text: list ids, the issue id, content ids */
static bool
dot_atom_ok(const char *s, bool at_allowed)
{
	size_t n = strlen(s);

	if (n == 0 || n > 250 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(is_atext(c) || c == '.' || (at_allowed && c == '@')))
			return false;
	}
	return true;
}

/* A URL as it goes between <> in a header. */
static bool
url_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UNIT_MAX || !strchr(s, ':'))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>\"\\", *p))
			return false;
	return true;
}

static bool
ctype_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strlen(s) > 100)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!(is_alnum(*p) || strchr("!#$&-^_.+", *p) ||
		    (const char *)p == slash))
			return false;
	return true;
}

static bool
token_ok(const char *t)
{
	size_t i;

	if (!t)
		return false;
	for (i = 0; i < TOKEN_LEN; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '2' && t[i] <= '7')))
			return false;
	return t[i] == '\0';
}

/* ---- RFC 2047 ---- */

/* Units are the words of a header value, NUL-terminated one after the
 * other in a buf; a header is folded only between units. */
static void
unit_add(struct buf *u, const char *s, size_t n)
{
	buf_put(u, s, n);
	buf_putc(u, '\0');
}

/* Characters a Q encoded-word keeps as they are, even in a phrase. */
static bool
q_literal(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!*+-/", c));
}

static size_t
q_cost(unsigned char c)
{
	return q_literal(c) || c == ' ' ? 1 : 3;
}

static size_t
u8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static void
ew_put(struct buf *u, const char *s, size_t n, bool base64)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_puts(u, base64 ? "=?UTF-8?B?" : "=?UTF-8?Q?");
	if (base64)
		codec_base64_put(u, s, n);
	else
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (q_literal(c))
				buf_putc(u, c);
			else if (c == ' ')
				buf_putc(u, '_');
			else {
				buf_putc(u, '=');
				buf_putc(u, hex[c >> 4]);
				buf_putc(u, hex[c & 15]);
			}
		}
	buf_puts(u, "?=");
	buf_putc(u, '\0');
}

/*
 * s[0..n) (UTF-8) as encoded-words of at most EW_MAX characters, cut
 * between characters only: Q, or B when Q would be twice as long. The
 * whitespace between adjacent encoded-words is not part of the text
 * (RFC 2047 6.2), so spaces inside the run are encoded.
 */
static void
ew_encode(struct buf *u, const char *s, size_t n)
{
	size_t q = 0, start = 0, cost = 0, i = 0;
	bool base64;

	for (i = 0; i < n; i++)
		q += q_cost((unsigned char)s[i]);
	/* Q stays readable, and spam filters frown at needless base64 */
	base64 = q > (n + 2) / 3 * 4 * 2;
	i = 0;
	while (i < n) {
		size_t cl = u8_len((unsigned char)s[i]), cc = 0, next;
		if (cl > n - i)
			cl = n - i;
		for (size_t k = 0; k < cl; k++)
			cc += q_cost((unsigned char)s[i + k]);
		next = base64 ? (i + cl - start + 2) / 3 * 4 : cost + cc;
		if (next > EW_PAYLOAD && i > start) {
			ew_put(u, s + start, i - start, base64);
			start = i;
			cost = 0;
			continue;
		}
		cost = next;
		i += cl;
	}
	ew_put(u, s + start, n - start, base64);
}

enum ctx { CTX_TEXT, CTX_PHRASE };

/* May this space-separated word go into the header as it is? */
static bool
plain_word(const char *s, size_t n, enum ctx ctx)
{
	if (n == 0 || n > WORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e)
			return false;
		if (ctx == CTX_PHRASE && !is_atext(c))
			return false;
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return false; /* would read as an encoded-word */
	}
	return true;
}

struct piece {
	size_t off, len;
	bool plain;
};

/* Split s at single spaces; an empty piece (two spaces, a leading or
 * trailing one) makes its neighbours part of an encoded run, where the
 * spaces are encoded. Returns the number of pieces; *all_plain. */
static size_t
pieces_of(const char *s, enum ctx ctx, struct piece **out, bool *all_plain)
{
	size_t n = strlen(s), np = 1, i, k = 0, start = 0;
	struct piece *v;

	for (i = 0; i < n; i++)
		np += s[i] == ' ';
	v = xcalloc(np, sizeof(*v));
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		v[k].off = start;
		v[k].len = i - start;
		v[k].plain = plain_word(s + start, i - start, ctx);
		k++;
		start = i + 1;
	}
	for (i = 0; i < np; i++)
		if (v[i].len == 0) {
			if (i > 0)
				v[i - 1].plain = false;
			if (i + 1 < np)
				v[i + 1].plain = false;
		}
	*all_plain = true;
	for (i = 0; i < np; i++)
		if (!v[i].plain)
			*all_plain = false;
	*out = v;
	return np;
}

/*
 * The units of s: plain words as they are, and each run of words that
 * need encoding as encoded-words. Between two units stands one space of
 * s, except between the encoded-words of one run, where a decoder drops
 * the white space (RFC 2047 6.2): so the header decodes to s exactly.
 */
static void
encode_words(struct buf *u, const char *s, enum ctx ctx)
{
	struct piece *v;
	bool all_plain;
	size_t np, i = 0;

	if (!*s)
		return;
	np = pieces_of(s, ctx, &v, &all_plain);
	while (i < np) {
		if (v[i].plain) {
			unit_add(u, s + v[i].off, v[i].len);
			i++;
			continue;
		}
		size_t j = i;
		while (j < np && !v[j].plain)
			j++;
		ew_encode(u, s + v[i].off, v[j - 1].off + v[j - 1].len - v[i].off);
		i = j;
	}
	free(v);
}

/* An ASCII display name that needs quoting, as a quoted-string cut into
 * units at single spaces (unfolding gives the same string back). False
 * when a unit would be too long to fold. */
static bool
quote_units(struct buf *u, const char *s)
{
	struct buf q = BUF_INIT;
	size_t unit = 0, n = strlen(s);
	bool ok = true;

	buf_putc(&q, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && i > 0 && s[i - 1] != ' ' && i + 1 < n &&
		    s[i + 1] != ' ') {
			if (q.len - unit > WORD_MAX + 1)
				ok = false;
			buf_putc(&q, '\0');
			unit = q.len;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(&q, '\\');
		buf_putc(&q, s[i]);
	}
	buf_putc(&q, '"');
	if (q.len - unit > WORD_MAX + 2)
		ok = false;
	buf_putc(&q, '\0');
	if (ok)
		buf_put(u, q.data, q.len);
	buf_free(&q);
	return ok;
}

/* The length of the white space character at p (UTF-8): a space, a tab,
 * U+0085, a Unicode space separator (U+00A0, U+1680, U+2000 to U+200A,
 * U+202F, U+205F, U+3000) or U+2028/U+2029; 0 when it is not one. */
static size_t
space_len(const unsigned char *p)
{
	if (*p == ' ' || *p == '\t')
		return 1;
	if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) ||
	    p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;
	if ((p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
		return 3;
	return 0;
}

/*
 * A display name (RFC 5322 phrase), into u; false when it is empty.
 *
 * Runs of white space (space_len: a no-break space too) become one space
 * and the ends are trimmed: a phrase means its words with one space
 * between them (RFC 5322 3.2.2), and readers collapse the runs even
 * inside quotes and encoded-words (Python's email package does, taking
 * any Unicode space for one), so only the collapsed name reads back the
 * same everywhere. An ASCII name that is not all atoms is quoted,
 * unless it holds "=?": many readers (Python, Outlook, Thunderbird)
 * decode an encoded-word even inside a quoted-string, so a name such as
 * "=?utf-8?q?Support?=" is encoded and reads back as written.
 *
 * Python's email package (3.11) keeps the space between two adjacent
 * encoded-words of a phrase where RFC 2047 drops it, so encoded runs are
 * kept apart by plain words: both readings agree except for a run too
 * long for one encoded-word, which follows the RFC.
 */
static bool
encode_phrase(struct buf *u, const char *s)
{
	struct buf n = BUF_INIT;
	struct piece *v;
	bool all_plain, ascii = true;

	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t sp = space_len(p);
		if (sp == 0) {
			buf_putc(&n, *p++);
			continue;
		}
		if (n.len > 0 && n.data[n.len - 1] != ' ')
			buf_putc(&n, ' ');
		p += sp;
	}
	if (n.len > 0 && n.data[n.len - 1] == ' ')
		n.data[--n.len] = '\0';
	if (n.len == 0) {
		buf_free(&n);
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)n.data; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			ascii = false;
	if (ascii && !strstr(n.data, "=?")) {
		pieces_of(n.data, CTX_PHRASE, &v, &all_plain);
		free(v);
		if (!all_plain && quote_units(u, n.data)) {
			buf_free(&n);
			return true;
		}
	}
	encode_words(u, n.data, CTX_PHRASE);
	buf_free(&n);
	return true;
}

char *
mime_encode_words(const char *s)
{
	struct buf u = BUF_INIT, out = BUF_INIT;

	if (!header_safe(s))
		return NULL;
	encode_words(&u, s, CTX_TEXT);
	for (size_t i = 0; i < u.len; i++)
		buf_putc(&out, u.data[i] ? u.data[i] : ' ');
	if (out.len)
		out.data[--out.len] = '\0'; /* the last separator */
	buf_free(&u);
	return buf_detach(&out);
}

/* ---- headers ---- */

struct hdr {
	struct buf *b;
	size_t col;
	bool empty;          /* nothing after "Name:" yet */
	struct mime_msg *m;  /* token slots are recorded here, if not NULL */
};

static void
hdr_begin(struct hdr *h, struct buf *b, struct mime_msg *m, const char *name)
{
	h->b = b;
	h->m = m;
	h->empty = true;
	buf_puts(b, name);
	buf_putc(b, ':');
	h->col = strlen(name) + 1;
}

/* One unit, after a space that becomes a fold when the line is full. */
static void
hdr_unit(struct hdr *h, const char *s, size_t n)
{
	if (!h->empty && h->col + 1 + n > HDR_LINE) {
		buf_put(h->b, "\r\n ", 3);
		h->col = 1;
	} else {
		buf_putc(h->b, ' ');
		h->col++;
	}
	h->empty = false;
	if (h->m) {
		const char *p = s, *end = s + n, *q;
		while ((q = memmem(p, (size_t)(end - p), h->m->slot,
		    TOKEN_LEN)) != NULL) {
			slot_add(h->m, h->b->len + (size_t)(q - s), SLOT_TOKEN);
			p = q + TOKEN_LEN;
		}
	}
	buf_put(h->b, s, n);
	h->col += n;
}

static void
hdr_units(struct hdr *h, const struct buf *u)
{
	for (size_t i = 0; i < u->len; ) {
		size_t n = strlen(u->data + i);
		hdr_unit(h, u->data + i, n);
		i += n + 1;
	}
}

static void
hdr_end(struct hdr *h)
{
	buf_put(h->b, "\r\n", 2);
}

/* A header whose value is a list of units given as strings. */
static void
hdr_line(struct buf *b, struct mime_msg *m, const char *name, ...)
{
	struct hdr h;
	const char *s;
	va_list ap;

	hdr_begin(&h, b, m, name);
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL)
		hdr_unit(&h, s, strlen(s));
	va_end(ap);
	hdr_end(&h);
}

/* "Name: display name <addr>" (or just addr without a name). */
static void
hdr_mailbox(struct buf *b, const char *hname, const char *name,
	const char *addr)
{
	struct buf u = BUF_INIT;
	struct hdr h;

	hdr_begin(&h, b, NULL, hname);
	if (name && encode_phrase(&u, name)) {
		hdr_units(&h, &u);
		buf_reset(&u);
		buf_printf(&u, "<%s>", addr);
		hdr_unit(&h, u.data, u.len);
	} else
		hdr_unit(&h, addr, strlen(addr));
	hdr_end(&h);
	buf_free(&u);
}

/* "Name <addr>", "\"Name\" <addr>" or "addr" from the configuration,
 * split into a display name and an address (both allocated). */
static int
parse_mailbox(const char *what, const char *s, char **name, char **addr,
	char **err)
{
	const char *end, *lt;

	*name = *addr = NULL;
	if (!header_safe(s))
		return fail(err, EX_DATAERR,
		    "%s: contains a line break or a control character", what);
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > s && end[-1] == '>' && (lt = memrchr(s, '<', (size_t)(end - s)))) {
		const char *ne = lt;
		*addr = xstrndup(lt + 1, (size_t)(end - lt - 2));
		while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if (ne - s >= 2 && *s == '"' && ne[-1] == '"') {
			struct buf n = BUF_INIT;
			for (const char *p = s + 1; p < ne - 1; p++) {
				if (*p == '\\' && p + 1 < ne - 1)
					p++;
				buf_putc(&n, *p);
			}
			*name = buf_detach(&n);
		} else
			*name = xstrndup(s, (size_t)(ne - s));
	} else {
		*addr = xstrndup(s, (size_t)(end - s));
		*name = xstrdup("");
	}
	if (!addr_ok(*addr)) {
		int rc = fail(err, EX_DATAERR, "%s: \"%s\" is not an e-mail "
		    "address", what, *addr);
		free(*name);
		free(*addr);
		*name = *addr = NULL;
		return rc;
	}
	return 0;
}

/* A MIME parameter: name="value", or RFC 2231 name*=utf-8''%XX… when
 * the value is not plain ASCII. */
static void
param(struct buf *u, const char *name, const char *value, bool last)
{
	const unsigned char *p;
	bool plain = strlen(value) <= WORD_MAX;

	for (p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			plain = false;
	if (plain)
		buf_printf(u, "%s=\"%s\"", name, value);
	else {
		buf_printf(u, "%s*=utf-8''", name);
		codec_percent_put(u, value, strlen(value), "-._~");
	}
	if (!last)
		buf_putc(u, ';');
	buf_putc(u, '\0');
}

/* ---- bodies ---- */

static bool
line_end(const unsigned char *p)
{
	return *p == '\0' || *p == '\n' || (*p == '\r' && p[1] == '\n');
}

/* May byte *p at column col be written as itself? */
static bool
qp_literal(const unsigned char *p, size_t col)
{
	if (*p == ' ' || *p == '\t')
		return !line_end(p + 1); /* trailing white space is encoded */
	if (*p < 33 || *p > 126 || *p == '=')
		return false;
	/* a line "." ends an SMTP message; "From " is mangled in mboxes */
	if (col == 0 && (*p == '.' || strncmp((const char *)p, "From ", 5) == 0))
		return false;
	return true;
}

/*
 * Quoted-printable (RFC 2045) of the text s: LF or CRLF becomes a CRLF
 * hard break; lines are at most QP_LINE characters with the soft break;
 * each slot (m->slot) is written whole and as itself (a soft break goes
 * before it, never inside), its offset recorded in m. Without m (NULL),
 * there are no slots.
 */
static void
qp_put(struct buf *b, const char *s, struct mime_msg *m)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t col = 0, w;

	while (*p) {
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			buf_put(b, "\r\n", 2);
			col = 0;
			continue;
		}
		/* strncmp: it stops at the end of s, where memcmp would
		 * read TOKEN_LEN bytes past it */
		if (m && *p == (unsigned char)m->slot[0] &&
		    strncmp((const char *)p, m->slot, TOKEN_LEN) == 0) {
			if (col + TOKEN_LEN > QP_LINE - 1) {
				buf_put(b, "=\r\n", 3);
				col = 0;
			}
			slot_add(m, b->len, SLOT_TOKEN);
			buf_put(b, p, TOKEN_LEN);
			col += TOKEN_LEN;
			p += TOKEN_LEN;
			continue;
		}
		w = qp_literal(p, col) ? 1 : 3;
		if (col + w > QP_LINE - 1) {
			buf_put(b, "=\r\n", 3);
			col = 0;
			w = qp_literal(p, col) ? 1 : 3;
		}
		if (w == 1)
			buf_putc(b, *p);
		else {
			buf_putc(b, '=');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
		col += w;
		p++;
	}
}

static int
put_cb(void *data, const char *s, size_t n)
{
	buf_put(data, s, n);
	return 1; /* libetpan takes 0 for a failed write */
}

/* Base64 in lines of 76, without the CRLF of the last line (the
 * delimiter that follows brings its own). */
static void
base64_put(struct buf *b, const void *data, size_t len)
{
	int col = 0;

	if (len == 0)
		return;
	if (mailmime_base64_write_driver(put_cb, b, &col, data, len) !=
	    MAILIMF_NO_ERROR)
		die(EX_SOFTWARE, "libetpan: base64 failed");
	if (b->len >= 2 && b->data[b->len - 2] == '\r' &&
	    b->data[b->len - 1] == '\n') {
		b->len -= 2;
		b->data[b->len] = '\0';
	}
}

/* "=_LABEL_" and 24 hex digits of SHA-256(seed, issue, label): stable
 * for the same input, and "=_" never occurs in quoted-printable or
 * base64, so no body line can look like the delimiter. */
static void
boundary(char out[40], const char *seed, const char *issue, const char *label)
{
	unsigned char h[32];
	struct buf in = BUF_INIT;
	size_t k;

	buf_puts(&in, seed);
	buf_putc(&in, '\0');
	buf_puts(&in, issue);
	buf_putc(&in, '\0');
	buf_puts(&in, label);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in.data, in.len, h) < 0)
		die(EX_SOFTWARE, "gnutls: SHA-256 failed");
	buf_free(&in);
	k = (size_t)snprintf(out, 40, "=_%s_", label);
	if (k + 24 < 40)
		codec_hex(out + k, h, 12);
}

#define DATE_LINE_MAX 48 /* "Date: Wed, 31 Dec 9999 23:59:59 +0000\r\n" */

/* The Date header line of when into out; -1 unless its year has four
 * digits. */
static int
date_line(long long when, char out[DATE_LINE_MAX])
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)when;
	struct tm tm;

	if ((long long)t != when || !gmtime_r(&t, &tm) || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	snprintf(out, DATE_LINE_MAX, "Date: %s, %d %s %04d %02d:%02d:%02d "
	    "+0000\r\n", wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

static int
check_input(const struct mime_input *in, char **err)
{
	static const struct { const char *what; size_t off; bool need; } text[] = {
		{ "subject", offsetof(struct mime_input, subject), true },
		{ "list title", offsetof(struct mime_input, list_title), false },
	};

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		const char *s = *(const char *const *)
		    ((const char *)in + text[i].off);
		if (!s && text[i].need)
			return fail(err, EX_DATAERR, "no %s", text[i].what);
		if (s && !header_safe(s))
			return fail(err, EX_DATAERR, "%s: contains a line break "
			    "or a control character", text[i].what);
	}
	if (in->slot && !mime_slot_ok(in->slot))
		return fail(err, EX_DATAERR, "the token slot is not %d capital "
		    "letters starting with %s", TOKEN_LEN, MIME_SLOT_PREFIX);
	if (!in->html || !in->text)
		return fail(err, EX_DATAERR, "message: no HTML or no text body");
	if (!utf8_valid(in->html, strlen(in->html), NULL) ||
	    !utf8_valid(in->text, strlen(in->text), NULL))
		return fail(err, EX_DATAERR, "message: a body is not UTF-8");
	if (!in->list_id || !dot_atom_ok(in->list_id, false))
		return fail(err, EX_DATAERR, "list id: \"%s\" is not a "
		    "dot-atom", in->list_id ? in->list_id : "");
	if (!in->issue_id || !dot_atom_ok(in->issue_id, false) ||
	    strlen(in->issue_id) > 64)
		return fail(err, EX_DATAERR, "issue id: \"%s\" cannot go in a "
		    "Message-ID", in->issue_id ? in->issue_id : "");
	if (!in->msgid_domain ||
	    !domain_ok(in->msgid_domain, strlen(in->msgid_domain)))
		return fail(err, EX_DATAERR, "Message-ID domain: \"%s\" is not "
		    "a host name", in->msgid_domain ? in->msgid_domain : "");
	if (in->archive_url && *in->archive_url && !url_ok(in->archive_url))
		return fail(err, EX_DATAERR, "archive URL: cannot go in a "
		    "header");
	if (in->unsub_url && *in->unsub_url && !url_ok(in->unsub_url))
		return fail(err, EX_DATAERR, "unsubscribe URL: cannot go in a "
		    "header");
	for (size_t i = 0; i < in->nimages; i++) {
		const struct mime_image *im = &in->images[i];
		if (!im->cid || !dot_atom_ok(im->cid, true))
			return fail(err, EX_DATAERR, "image %zu: bad Content-ID",
			    i + 1);
		if (!im->content_type || !ctype_ok(im->content_type))
			return fail(err, EX_DATAERR, "image %zu: bad content "
			    "type", i + 1);
		if (im->filename && (!header_safe(im->filename) ||
		    strlen(im->filename) > 200))
			return fail(err, EX_DATAERR, "image %zu: bad file name",
			    i + 1);
		if (im->len && !im->data)
			return fail(err, EX_DATAERR, "image %zu: no data", i + 1);
	}
	return 0;
}

static void
part_headers(struct buf *b, const char *ctype)
{
	buf_printf(b, "Content-Type: %s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", ctype);
}

static void
image_part(struct buf *b, const struct mime_image *im)
{
	struct buf u = BUF_INIT, cid = BUF_INIT;
	struct hdr h;
	bool name = im->filename && *im->filename;

	buf_puts(&u, im->content_type);
	if (name) {
		buf_putc(&u, ';');
		buf_putc(&u, '\0');
		param(&u, "name", im->filename, true);
	} else
		buf_putc(&u, '\0');
	hdr_begin(&h, b, NULL, "Content-Type");
	hdr_units(&h, &u);
	hdr_end(&h);
	buf_puts(b, "Content-Transfer-Encoding: base64\r\n");
	buf_printf(&cid, "<%s>", im->cid);
	hdr_line(b, NULL, "Content-ID", cid.data, (char *)NULL);
	buf_reset(&u);
	if (name) {
		unit_add(&u, "inline;", 7);
		param(&u, "filename", im->filename, true);
	} else
		unit_add(&u, "inline", 6);
	hdr_begin(&h, b, NULL, "Content-Disposition");
	hdr_units(&h, &u);
	hdr_end(&h);
	buf_puts(b, "\r\n");
	base64_put(b, im->data, im->len);
	buf_free(&u);
	buf_free(&cid);
}

int
mime_build(const struct mime_input *in, struct mime_msg **out, char **err)
{
	struct mime_msg *m;
	struct buf b = BUF_INIT, u = BUF_INIT, v = BUF_INIT;
	char *from_name = NULL, *from_addr = NULL, *rt_name = NULL,
	    *rt_addr = NULL, *mailto = NULL;
	char alt[40], rel[40], mix[40];
	const char *seed = in->seed ? in->seed : "";
	struct hdr h;
	char date[DATE_LINE_MAX];
	int rc;

	*out = NULL;
	if ((rc = check_input(in, err)) != 0)
		return rc;
	if (!in->from)
		return fail(err, EX_DATAERR, "no From address");
	if ((rc = parse_mailbox("From", in->from, &from_name, &from_addr,
	    err)) != 0)
		return rc;
	if (in->reply_to && *in->reply_to && (rc = parse_mailbox("Reply-To",
	    in->reply_to, &rt_name, &rt_addr, err)) != 0)
		goto done;
	if (in->unsub_mailto && *in->unsub_mailto) {
		const char *a = in->unsub_mailto;
		if (str_starts(a, "mailto:"))
			a += 7;
		if (!addr_ok(a)) {
			rc = fail(err, EX_DATAERR, "unsubscribe address: \"%s\" "
			    "is not an e-mail address", a);
			goto done;
		}
		mailto = xstrdup(a);
	}

	m = xcalloc(1, sizeof(*m));
	memcpy(m->slot, in->slot ? in->slot : MIME_SLOT_TOKEN, TOKEN_LEN + 1);
	m->issue_id = xstrdup(in->issue_id);
	m->domain = xstrdup(in->msgid_domain);
	boundary(alt, seed, in->issue_id, "alt");
	boundary(rel, seed, in->issue_id, "rel");
	boundary(mix, seed, in->issue_id, "mix");

	hdr_mailbox(&b, "From", from_name, from_addr);
	slot_add(m, b.len, SLOT_TO);
	if (rt_addr)
		hdr_mailbox(&b, "Reply-To", rt_name, rt_addr);
	hdr_begin(&h, &b, NULL, "Subject");
	encode_words(&u, in->subject, CTX_TEXT);
	hdr_units(&h, &u);
	hdr_end(&h);
	/* the Date is a slot: send dates each message when it builds it */
	if (date_line(in->date, date) != 0) {
		rc = fail(err, EX_DATAERR, "date %lld is out of range",
		    in->date);
		mime_msg_free(m);
		goto done;
	}
	m->date = in->date;
	slot_add(m, b.len, SLOT_DATE);
	buf_printf(&v, "<%s.%s@%s>", in->issue_id, m->slot,
	    in->msgid_domain);
	hdr_line(&b, m, "Message-ID", v.data, (char *)NULL);
	buf_puts(&b, "MIME-Version: 1.0\r\n");

	buf_reset(&u);
	if (in->list_title)
		encode_phrase(&u, in->list_title);
	buf_reset(&v);
	buf_printf(&v, "<%s>", in->list_id);
	unit_add(&u, v.data, v.len);
	hdr_begin(&h, &b, NULL, "List-Id");
	hdr_units(&h, &u);
	hdr_end(&h);

	buf_reset(&u);
	if (in->unsub_url && *in->unsub_url) {
		buf_reset(&v);
		buf_printf(&v, "<%s>%s", in->unsub_url, mailto ? "," : "");
		unit_add(&u, v.data, v.len);
	}
	if (mailto) {
		buf_reset(&v);
		buf_printf(&v, "<mailto:%s?subject=unsubscribe>", mailto);
		unit_add(&u, v.data, v.len);
	}
	if (u.len) {
		hdr_begin(&h, &b, m, "List-Unsubscribe");
		hdr_units(&h, &u);
		hdr_end(&h);
	}
	if (in->unsub_url && *in->unsub_url)
		buf_puts(&b, "List-Unsubscribe-Post: "
		    "List-Unsubscribe=One-Click\r\n");
	if (in->archive_url && *in->archive_url) {
		buf_reset(&v);
		buf_printf(&v, "<%s>", in->archive_url);
		hdr_line(&b, m, "List-Archive", v.data, (char *)NULL);
	}
	buf_puts(&b, "Precedence: bulk\r\n");
	if (in->nattachments) {
		buf_reset(&v);
		buf_printf(&v, "boundary=\"%s\"", mix);
		hdr_line(&b, NULL, "Content-Type", "multipart/mixed;", v.data,
		    (char *)NULL);
		buf_printf(&b, "\r\n--%s\r\n", mix);
	}
	buf_reset(&v);
	buf_printf(&v, "boundary=\"%s\"", alt);
	hdr_line(&b, NULL, "Content-Type", "multipart/alternative;", v.data,
	    (char *)NULL);
	buf_puts(&b, "\r\n");

	buf_printf(&b, "--%s\r\n", alt);
	part_headers(&b, "text/plain");
	qp_put(&b, in->text, m);
	buf_printf(&b, "\r\n--%s\r\n", alt);
	if (in->nimages) {
		buf_reset(&v);
		buf_printf(&v, "boundary=\"%s\"", rel);
		hdr_line(&b, NULL, "Content-Type", "multipart/related;",
		    "type=\"text/html\";", v.data, (char *)NULL);
		buf_printf(&b, "\r\n--%s\r\n", rel);
	}
	part_headers(&b, "text/html");
	qp_put(&b, in->html, m);
	for (size_t i = 0; i < in->nimages; i++) {
		buf_printf(&b, "\r\n--%s\r\n", rel);
		image_part(&b, &in->images[i]);
	}
	if (in->nimages)
		buf_printf(&b, "\r\n--%s--\r\n", rel);
	buf_printf(&b, "\r\n--%s--\r\n", alt);
	for (size_t i = 0; i < in->nattachments; i++) {
		const struct mime_attachment *at = &in->attachments[i];
		struct buf u2 = BUF_INIT;
		struct hdr h2;

		buf_printf(&b, "\r\n--%s\r\n", mix);
		buf_printf(&u2, "%s;", at->content_type);
		buf_putc(&u2, '\0');
		buf_puts(&u2, "charset=utf-8;");
		buf_putc(&u2, '\0');
		param(&u2, "name", at->filename, true);
		hdr_begin(&h2, &b, NULL, "Content-Type");
		hdr_units(&h2, &u2);
		hdr_end(&h2);
		buf_puts(&b, "Content-Transfer-Encoding: base64\r\n");
		buf_reset(&u2);
		unit_add(&u2, "attachment;", 11);
		param(&u2, "filename", at->filename, true);
		hdr_begin(&h2, &b, NULL, "Content-Disposition");
		hdr_units(&h2, &u2);
		hdr_end(&h2);
		buf_puts(&b, "\r\n");
		base64_put(&b, at->data, at->len);
		buf_free(&u2);
	}
	if (in->nattachments)
		buf_printf(&b, "\r\n--%s--\r\n", mix);

	m->len = b.len;
	m->data = buf_detach(&b);
	*out = m;
	rc = 0;
done:
	buf_free(&b);
	buf_free(&u);
	buf_free(&v);
	free(from_name);
	free(from_addr);
	free(rt_name);
	free(rt_addr);
	free(mailto);
	return rc;
}

int
mime_fill(const struct mime_msg *m, const struct mime_recipient *r,
	struct buf *out, char **err)
{
	char date[DATE_LINE_MAX];
	size_t pos = 0;

	if (!r->email || !addr_ok(r->email))
		return fail(err, EX_DATAERR, "\"%s\" is not an e-mail address",
		    r->email ? r->email : "");
	if (r->name && !header_safe(r->name))
		return fail(err, EX_DATAERR, "%s: the name contains a line "
		    "break or a control character", r->email);
	if (!token_ok(r->token))
		return fail(err, EX_DATAERR, "%s: the token is not %d "
		    "characters of [a-z2-7]", r->email, TOKEN_LEN);
	if (date_line(r->date ? r->date : m->date, date) != 0)
		return fail(err, EX_DATAERR, "%s: date %lld is out of range",
		    r->email, r->date);
	buf_grow(out, m->len + 256);
	for (size_t i = 0; i < m->nslots; i++) {
		const struct slot *s = &m->slots[i];
		buf_put(out, m->data + pos, s->off - pos);
		if (s->kind == SLOT_TOKEN) {
			buf_put(out, r->token, TOKEN_LEN);
			pos = s->off + TOKEN_LEN;
		} else if (s->kind == SLOT_DATE) {
			buf_puts(out, date);
			pos = s->off;
		} else {
			hdr_mailbox(out, "To", r->name, r->email);
			pos = s->off;
		}
	}
	buf_put(out, m->data + pos, m->len - pos);
	return 0;
}

char *
mime_message_id(const struct mime_msg *m, const struct mime_recipient *r)
{
	if (!token_ok(r->token))
		return NULL;
	return xasprintf("%s.%s@%s", m->issue_id, r->token, m->domain);
}

void
mime_msg_free(struct mime_msg *m)
{
	if (!m)
		return;
	free(m->data);
	free(m->slots);
	free(m->issue_id);
	free(m->domain);
	free(m);
}

int
mime_notice(const struct mime_notice *n, struct buf *out, char **err)
{
	struct buf b = BUF_INIT, u = BUF_INIT, v = BUF_INIT;
	char *from_name = NULL, *from_addr = NULL, *rt_name = NULL,
	    *rt_addr = NULL;
	char date[DATE_LINE_MAX];
	struct hdr h;
	int rc;

	if (!n->from || !n->to || !n->subject || !n->message_id || !n->text)
		return fail(err, EX_DATAERR, "notice: a field is missing");
	if (!addr_ok(n->to))
		return fail(err, EX_DATAERR, "\"%s\" is not an address that "
		    "can go in a To header", n->to);
	if (!header_safe(n->subject))
		return fail(err, EX_DATAERR, "subject: contains a line break "
		    "or a control character");
	if (!dot_atom_ok(n->message_id, true))
		return fail(err, EX_DATAERR, "notice: \"%s\" cannot be a "
		    "Message-ID", n->message_id);
	if (!utf8_valid(n->text, strlen(n->text), NULL) ||
	    (n->html && !utf8_valid(n->html, strlen(n->html), NULL)))
		return fail(err, EX_DATAERR, "notice: the text is not UTF-8");
	if (date_line(n->date, date) != 0)
		return fail(err, EX_DATAERR, "date %lld is out of range",
		    n->date);
	if ((rc = parse_mailbox("From", n->from, &from_name, &from_addr,
	    err)) != 0)
		return rc;
	if (n->reply_to && *n->reply_to && (rc = parse_mailbox("Reply-To",
	    n->reply_to, &rt_name, &rt_addr, err)) != 0)
		goto done;

	hdr_mailbox(&b, "From", from_name, from_addr);
	hdr_line(&b, NULL, "To", n->to, (char *)NULL);
	if (rt_addr)
		hdr_mailbox(&b, "Reply-To", rt_name, rt_addr);
	hdr_begin(&h, &b, NULL, "Subject");
	encode_words(&u, n->subject, CTX_TEXT);
	hdr_units(&h, &u);
	hdr_end(&h);
	buf_puts(&b, date);
	buf_printf(&v, "<%s>", n->message_id);
	hdr_line(&b, NULL, "Message-ID", v.data, (char *)NULL);
	if (n->in_reply_to && dot_atom_ok(n->in_reply_to, true) &&
	    strlen(n->in_reply_to) <= 250) {
		buf_reset(&v);
		buf_printf(&v, "<%s>", n->in_reply_to);
		hdr_line(&b, NULL, "In-Reply-To", v.data, (char *)NULL);
		hdr_line(&b, NULL, "References", v.data, (char *)NULL);
	}
	if (n->auto_submitted && *n->auto_submitted)
		hdr_line(&b, NULL, "Auto-Submitted", n->auto_submitted,
		    (char *)NULL);
	buf_puts(&b, "MIME-Version: 1.0\r\n");
	if (n->html) {
		/* the text and the HTML of the same words */
		char alt[40];

		boundary(alt, n->message_id, "notice", "alt");
		buf_printf(&b, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\r\n\r\n--%s\r\n", alt, alt);
		part_headers(&b, "text/plain");
		qp_put(&b, n->text, NULL);
		buf_printf(&b, "\r\n--%s\r\n", alt);
		part_headers(&b, "text/html");
		qp_put(&b, n->html, NULL);
		buf_printf(&b, "\r\n--%s--\r\n", alt);
	} else {
		part_headers(&b, "text/plain");
		qp_put(&b, n->text, NULL);
	}
	if (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2) != 0)
		buf_puts(&b, "\r\n");
	buf_put(out, b.data, b.len);
	rc = 0;
done:
	buf_free(&b);
	buf_free(&u);
	buf_free(&v);
	free(from_name);
	free(from_addr);
	free(rt_name);
	free(rt_addr);
	return rc;
}
