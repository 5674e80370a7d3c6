/* cgi.h - CGI/1.1 requests (RFC 3875): the method, the query string, the
 * form body (urlencoded or multipart), and the response header block.
 * Pure functions: no environment, no I/O. */
#ifndef INFOLETTRE_CGI_H
#define INFOLETTRE_CGI_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The largest request body read; a larger one is refused unread. */
#define CGI_BODY_MAX 8192

enum cgi_method { CGI_GET, CGI_HEAD, CGI_POST, CGI_OTHER };

/* The method named s (case-sensitive, as HTTP's); CGI_OTHER for any other
 * or NULL. */
int cgi_method(const char *s);

/*
 * Check a CONTENT_LENGTH value s (NULL when the server gave none) before
 * reading a body of at most max bytes. Returns 0 and sets *len, or the
 * HTTP status to answer: 411 when s is NULL or empty, 400 when it is not
 * a decimal number, 413 when it is over max.
 */
int cgi_content_length(const char *s, size_t max, size_t *len);

/* One field of a form. name and value are decoded and NUL-terminated but
 * may hold NUL bytes: their lengths say where they end. */
struct cgi_field {
	char *name, *value;
	size_t name_len, value_len;
};

/* The fields of a query string or a body, in order; duplicates kept. */
struct cgi_form {
	struct cgi_field *v;
	size_t n, cap;
};

#define CGI_FORM_INIT { NULL, 0, 0 }

/* Free the fields of f (not f itself) and empty it. */
void cgi_form_free(struct cgi_form *f);

/* The first field of f named name (compared byte for byte, whole), or
 * NULL. Borrowed from f. */
const struct cgi_field *cgi_form_get(const struct cgi_form *f,
	const char *name);

/*
 * Append the fields of application/x-www-form-urlencoded text s[0..len)
 * (a query string or a body) to f. '&' separates fields and the first '='
 * a name from its value (a field without '=' has the value ""); '+' is a
 * space and %XX the byte XX (hex digits in either case); a '%' not
 * followed by two hex digits stays as it is; empty fields are skipped.
 * Never fails.
 */
void cgi_parse_urlencoded(const char *s, size_t len, struct cgi_form *f);

/*
 * Append the fields of a multipart/form-data body (RFC 7578) to f:
 * content_type is the request's, whose boundary parameter (a token or a
 * quoted string, 1 to 70 characters) separates the parts. Line ends may
 * be CRLF or LF; a preamble and an epilogue are ignored. Each part with
 * Content-Disposition: form-data and a name becomes a field whose value
 * is the part's content (a file's too); other parts are skipped. Returns
 * 0, or EX_DATAERR with *err (and f as it was) when the boundary is
 * missing or invalid, the first delimiter or the closing one is missing
 * (a truncated body), or a part lacks the blank line after its headers.
 */
int cgi_parse_multipart(const char *content_type, const char *body,
	size_t len, struct cgi_form *f, char **err);

/*
 * Append the fields of a request body to f according to content_type
 * (its media type compared case-insensitively, parameters allowed):
 * application/x-www-form-urlencoded or multipart/form-data. An empty
 * body has no fields whatever its type. Returns 0; EX_DATAERR with *err
 * for a malformed multipart body; EX_PROTOCOL with *err for a non-empty
 * body of another type or of none (the caller answers 415).
 */
int cgi_parse_body(const char *content_type, const char *body, size_t len,
	struct cgi_form *f, char **err);

/* What an unsubscribe request asks. */
enum cgi_action {
	CGI_SHOW,      /* the confirmation page: changes nothing */
	CGI_ONE_CLICK, /* RFC 8058: List-Unsubscribe=One-Click in the body */
	CGI_CONFIRM    /* the confirmation page's own form: confirm=… */
};

/*
 * Decide what a request asks from its method and the fields of its query
 * string and body: for POST, CGI_ONE_CLICK when the body has a field
 * List-Unsubscribe whose value is One-Click (ASCII case-insensitive),
 * else CGI_CONFIRM when it has a field confirm, else CGI_SHOW; CGI_SHOW
 * for every other method. *token is set to the token field "t" (of the
 * body or of the query string; borrowed), or NULL when there is none or
 * when two "t" fields disagree.
 */
int cgi_action(int method, const struct cgi_form *query,
	const struct cgi_form *body, const struct cgi_field **token);

/* An address as the pages show it: the first character of the local part
 * (a whole UTF-8 character), "***", then '@' and the domain:
 * "jean@insee.fr" -> "j***@insee.fr"; "***" alone when there is no '@'
 * or the local part is empty. The caller frees it. */
char *cgi_mask_address(const char *email);

/* The reason phrase of an HTTP status ("Bad Request"); "Error" for one
 * this program does not send. Static. */
const char *cgi_reason(int status);

/*
 * Append the CGI response header block, with its closing blank line, to
 * b: Status, Content-Type text/html in UTF-8, Content-Length, headers
 * that forbid caching, sniffing, framing, referrers and any script
 * (Content-Security-Policy), Allow for 405, Retry-After for 503. CRLF
 * line ends.
 */
void cgi_headers(struct buf *b, int status, size_t content_length);

#endif
