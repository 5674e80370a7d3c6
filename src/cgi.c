/* cgi.c - CGI/1.1 requests: the method, forms, the response headers */
#include "cgi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "util.h"

#define BOUNDARY_MAX 70 /* RFC 2046 */

int
cgi_method(const char *s)
{
	if (!s)
		return CGI_OTHER;
	if (strcmp(s, "GET") == 0)
		return CGI_GET;
	if (strcmp(s, "HEAD") == 0)
		return CGI_HEAD;
	if (strcmp(s, "POST") == 0)
		return CGI_POST;
	return CGI_OTHER;
}

int
cgi_content_length(const char *s, size_t max, size_t *len)
{
	size_t n = 0;

	*len = 0;
	if (!s || !*s)
		return 411;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 400;
		/* stop counting once over max: any longer number is too */
		if (n <= max)
			n = n * 10 + (size_t)(*p - '0');
	}
	if (n > max)
		return 413;
	*len = n;
	return 0;
}

void
cgi_form_free(struct cgi_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

static bool
field_is(const struct cgi_field *fl, const char *name)
{
	size_t n = strlen(name);

	return fl->name_len == n && memcmp(fl->name, name, n) == 0;
}

const struct cgi_field *
cgi_form_get(const struct cgi_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (field_is(&f->v[i], name))
			return &f->v[i];
	return NULL;
}

/* Append a field that takes name and value (NUL-terminated, with their
 * lengths). */
static void
form_add(struct cgi_form *f, char *name, size_t nlen, char *value,
	size_t vlen)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	f->v[f->n].name = name;
	f->v[f->n].name_len = nlen;
	f->v[f->n].value = value;
	f->v[f->n].value_len = vlen;
	f->n++;
}

static char *
copy(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);

	memcpy(o, s, n);
	o[n] = '\0';
	return o;
}

/* s[0..n) percent-decoded, '+' a space; sets *out_len. */
static char *
decode(const char *s, size_t n, size_t *out_len)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "");
	codec_percent_decode(&b, s, n, CODEC_PLUS_SPACE | CODEC_KEEP_NUL);
	*out_len = b.len;
	return buf_detach(&b);
}

void
cgi_parse_urlencoded(const char *s, size_t len, struct cgi_form *f)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end, *eq;
		size_t nlen, vlen;
		char *name, *value;

		if (fe > p) {
			eq = memchr(p, '=', (size_t)(fe - p));
			name = decode(p, (size_t)((eq ? eq : fe) - p), &nlen);
			if (eq)
				value = decode(eq + 1, (size_t)(fe - eq - 1),
					&vlen);
			else
				value = copy("", vlen = 0);
			form_add(f, name, nlen, value, vlen);
		}
		p = amp ? amp + 1 : end;
	}
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Does the header value [p, end) have the media type (or disposition
 * type) want before its parameters? */
static bool
type_is(const char *p, const char *end, const char *want)
{
	const char *e;
	size_t n = strlen(want);

	p = skip_blanks(p, end);
	for (e = p; e < end && *e != ';' && *e != ' ' && *e != '\t'; e++)
		;
	return (size_t)(e - p) == n && strncasecmp(p, want, n) == 0;
}

/*
 * The parameter name of the header value [p, end) ("type; a=b; c="d e""),
 * unquoted (backslash escapes undone), or NULL when it is missing or its
 * quoted string is not closed. The caller frees it.
 */
static char *
param(const char *p, const char *end, const char *name)
{
	size_t nlen = strlen(name);

	/* skip the type, then one parameter at a time */
	while (p < end && *p != ';') {
		if (*p == '"')
			return NULL; /* no quotes in a type */
		p++;
	}
	while (p < end) {
		const char *a, *ae;
		struct buf v = BUF_INIT;
		bool match;

		p = skip_blanks(p + 1, end); /* past ';' */
		for (a = p; p < end && *p != '=' && *p != ';'; p++)
			;
		for (ae = p; ae > a && (ae[-1] == ' ' || ae[-1] == '\t'); ae--)
			;
		match = (size_t)(ae - a) == nlen && strncasecmp(a, name,
			nlen) == 0;
		if (p >= end || *p == ';')
			continue; /* a parameter without value */
		p = skip_blanks(p + 1, end); /* past '=' */
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				buf_putc(&v, *p);
			}
			if (p >= end) {
				buf_free(&v);
				return NULL;
			}
			p++; /* the closing quote */
		} else {
			for (; p < end && *p != ';' && *p != ' ' && *p != '\t';
			    p++)
				buf_putc(&v, *p);
		}
		if (match)
			return buf_detach(&v);
		buf_free(&v);
		while (p < end && *p != ';')
			p++;
	}
	return NULL;
}

/* At p (a "--BOUNDARY" just matched ends at p): 1 for a delimiter line
 * (optional blanks, then a line end; *next is after it), 2 for the
 * closing delimiter ("--"), 0 when it is neither. */
static int
delimiter_end(const char *p, const char *end, const char **next)
{
	if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
		*next = p + 2;
		return 2;
	}
	p = skip_blanks(p, end);
	if (p < end && *p == '\n') {
		*next = p + 1;
		return 1;
	}
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
		*next = p + 2;
		return 1;
	}
	return 0;
}

/* The next "LF--BOUNDARY" that is a delimiter, from p: sets *content_end
 * (before its CRLF or LF) and *next (after the delimiter line); returns
 * delimiter_end's kind, or 0 when there is none. */
static int
next_delimiter(const char *p, const char *end, const char *dash,
	size_t dlen, const char **content_end, const char **next)
{
	const char *start = p;

	while (p < end) {
		const char *m = memmem(p, (size_t)(end - p), dash, dlen);
		int kind;

		if (!m)
			return 0;
		if (m > start && m[-1] == '\n' &&
		    (kind = delimiter_end(m + dlen, end, next)) != 0) {
			*content_end = m - 1;
			if (*content_end > start && (*content_end)[-1] == '\r')
				(*content_end)--;
			return kind;
		}
		p = m + 1;
	}
	return 0;
}

/* One part [p, end): its headers, a blank line, its content. Returns 0
 * (the field added to f when it is a named form-data part) or -1 when the
 * headers do not end with a blank line. */
static int
part(const char *p, const char *end, struct cgi_form *f)
{
	struct buf disp = BUF_INIT;
	bool in_disp = false;
	const char *content = NULL;
	char *name;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le;

		if (!nl)
			break; /* a header line without its line end */
		le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (le == p) {
			content = nl + 1;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			if (in_disp)
				buf_put(&disp, p, (size_t)(le - p));
		} else {
			in_disp = (size_t)(le - p) > 20 &&
			    strncasecmp(p, "Content-Disposition:", 20) == 0;
			if (in_disp) {
				buf_reset(&disp);
				buf_put(&disp, p + 20, (size_t)(le - p - 20));
			}
		}
		p = nl + 1;
	}
	/* the blank line after the headers may be the delimiter's own line
	 * break: an empty content */
	if (!content && p == end)
		content = end;
	if (!content) {
		buf_free(&disp);
		return -1;
	}
	if (disp.len && type_is(disp.data, disp.data + disp.len, "form-data") &&
	    (name = param(disp.data, disp.data + disp.len, "name")) != NULL)
		form_add(f, name, strlen(name), copy(content,
			(size_t)(end - content)), (size_t)(end - content));
	buf_free(&disp);
	return 0;
}

int
cgi_parse_multipart(const char *content_type, const char *body, size_t len,
	struct cgi_form *f, char **err)
{
	struct cgi_form tmp = CGI_FORM_INIT;
	const char *end = body + len, *p, *next = NULL, *cend = NULL;
	char *b, *dash;
	size_t blen, dlen;
	int kind;

	if (!content_type || !(b = param(content_type, content_type +
	    strlen(content_type), "boundary")))
		return fail(err, EX_DATAERR, "multipart body without a "
			"boundary");
	blen = strlen(b);
	if (blen == 0 || blen > BOUNDARY_MAX) {
		free(b);
		return fail(err, EX_DATAERR, "multipart boundary of %zu "
			"characters (1 to %d)", blen, BOUNDARY_MAX);
	}
	dash = xasprintf("--%s", b);
	dlen = blen + 2;
	free(b);

	/* the first delimiter: at the start, or after a preamble */
	kind = 0;
	if (len >= dlen && memcmp(body, dash, dlen) == 0)
		kind = delimiter_end(body + dlen, end, &next);
	if (!kind)
		kind = next_delimiter(body, end, dash, dlen, &cend, &next);
	if (!kind) {
		free(dash);
		return fail(err, EX_DATAERR, "multipart body without its first "
			"boundary");
	}
	while (kind == 1) {
		p = next;
		kind = next_delimiter(p, end, dash, dlen, &cend, &next);
		if (!kind) {
			free(dash);
			cgi_form_free(&tmp);
			return fail(err, EX_DATAERR, "multipart body cut short: "
				"no closing boundary");
		}
		if (part(p, cend, &tmp) != 0) {
			free(dash);
			cgi_form_free(&tmp);
			return fail(err, EX_DATAERR, "multipart part without "
				"the blank line after its headers");
		}
	}
	free(dash);
	for (size_t i = 0; i < tmp.n; i++)
		form_add(f, tmp.v[i].name, tmp.v[i].name_len, tmp.v[i].value,
			tmp.v[i].value_len);
	free(tmp.v);
	return 0;
}

int
cgi_parse_body(const char *content_type, const char *body, size_t len,
	struct cgi_form *f, char **err)
{
	const char *end;

	if (len == 0)
		return 0;
	if (!content_type)
		return fail(err, EX_PROTOCOL, "a request body without a "
			"content type");
	end = content_type + strlen(content_type);
	if (type_is(content_type, end, "application/x-www-form-urlencoded")) {
		cgi_parse_urlencoded(body, len, f);
		return 0;
	}
	if (type_is(content_type, end, "multipart/form-data"))
		return cgi_parse_multipart(content_type, body, len, f, err);
	return fail(err, EX_PROTOCOL, "a request body of an unsupported "
		"content type");
}

/* The one value of the fields "t" of body and query, or NULL when there
 * is none or two disagree. */
static const struct cgi_field *
token_of(const struct cgi_form *body, const struct cgi_form *query)
{
	const struct cgi_form *forms[2] = { body, query };
	const struct cgi_field *t = NULL;

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; forms[k] && i < forms[k]->n; i++) {
			const struct cgi_field *fl = &forms[k]->v[i];

			if (!field_is(fl, "t"))
				continue;
			if (!t)
				t = fl;
			else if (t->value_len != fl->value_len ||
			    memcmp(t->value, fl->value, t->value_len) != 0)
				return NULL;
		}
	}
	return t;
}

int
cgi_action(int method, const struct cgi_form *query,
	const struct cgi_form *body, const struct cgi_field **token)
{
	int action = CGI_SHOW;

	*token = token_of(body, query);
	if (method != CGI_POST || !body)
		return CGI_SHOW;
	for (size_t i = 0; i < body->n; i++) {
		const struct cgi_field *fl = &body->v[i];

		if (field_is(fl, "List-Unsubscribe") && fl->value_len == 9 &&
		    strncasecmp(fl->value, "One-Click", 9) == 0)
			return CGI_ONE_CLICK;
		if (field_is(fl, "confirm"))
			action = CGI_CONFIRM;
	}
	return action;
}

char *
cgi_mask_address(const char *email)
{
	const char *at = strrchr(email, '@'), *l = email;
	size_t n = 1;
	unsigned char c;

	if (!at || at == email)
		return xstrdup("***");
	if (*l == '"' && at - l > 2)
		l++;
	c = (unsigned char)*l;
	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	if (n > (size_t)(at - l))
		n = 1;
	return xasprintf("%.*s***%s", (int)n, l, at);
}

const char *
cgi_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void
cgi_headers(struct buf *b, int status, size_t content_length)
{
	buf_printf(b, "Status: %d %s\r\n", status, cgi_reason(status));
	buf_printf(b, "Content-Type: text/html; charset=utf-8\r\n"
		"Content-Length: %zu\r\n"
		"Cache-Control: no-store\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"X-Frame-Options: DENY\r\n"
		"Referrer-Policy: no-referrer\r\n"
		"Content-Security-Policy: default-src 'none'; "
		"style-src 'unsafe-inline'; form-action 'self'; "
		"frame-ancestors 'none'; base-uri 'none'\r\n", content_length);
	if (status == 405)
		buf_puts(b, "Allow: GET, POST, HEAD\r\n");
	if (status == 503)
		buf_puts(b, "Retry-After: 60\r\n");
	buf_puts(b, "\r\n");
}
