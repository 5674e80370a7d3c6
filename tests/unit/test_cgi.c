/* test_cgi.c - CGI request parsing: methods, lengths, forms, multipart */
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "unit.h"
#include "util.h"

/* The value of field i of f, and that its name is name. */
static const char *
field(const struct cgi_form *f, size_t i, const char *name)
{
	if (i >= f->n || strcmp(f->v[i].name, name) != 0 ||
	    f->v[i].name_len != strlen(name))
		return "(no such field)";
	return f->v[i].value;
}

static void
methods(void)
{
	CHECK_INT(cgi_method("GET"), CGI_GET);
	CHECK_INT(cgi_method("HEAD"), CGI_HEAD);
	CHECK_INT(cgi_method("POST"), CGI_POST);
	CHECK_INT(cgi_method("get"), CGI_OTHER);
	CHECK_INT(cgi_method("PUT"), CGI_OTHER);
	CHECK_INT(cgi_method("DELETE"), CGI_OTHER);
	CHECK_INT(cgi_method(""), CGI_OTHER);
	CHECK_INT(cgi_method(NULL), CGI_OTHER);
}

static void
content_length(void)
{
	size_t n = 99;

	CHECK_INT(cgi_content_length(NULL, 8192, &n), 411);
	CHECK_INT(cgi_content_length("", 8192, &n), 411);
	CHECK_INT(cgi_content_length("abc", 8192, &n), 400);
	CHECK_INT(cgi_content_length("-1", 8192, &n), 400);
	CHECK_INT(cgi_content_length("12 ", 8192, &n), 400);
	CHECK_INT(cgi_content_length("8193", 8192, &n), 413);
	CHECK_INT(cgi_content_length("1048576", 8192, &n), 413);
	CHECK_INT(cgi_content_length("99999999999999999999999999999", 8192,
	    &n), 413);
	CHECK_INT(cgi_content_length("8192", 8192, &n), 0);
	CHECK_INT(n, 8192);
	CHECK_INT(cgi_content_length("0", 8192, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(cgi_content_length("0026", 8192, &n), 0);
	CHECK_INT(n, 26);
}

static void
urlencoded(void)
{
	struct cgi_form f = CGI_FORM_INIT;
	const char *q = "t=abc&x=a+b%20c&pct=%41%4a%4A%2B&bad=%zz%4&end=%";

	cgi_parse_urlencoded(q, strlen(q), &f);
	CHECK_INT(f.n, 5);
	CHECK_STR(field(&f, 0, "t"), "abc");
	CHECK_STR(field(&f, 1, "x"), "a b c");
	CHECK_STR(field(&f, 2, "pct"), "AJJ+");
	CHECK_STR(field(&f, 3, "bad"), "%zz%4");
	CHECK_STR(field(&f, 4, "end"), "%");
	CHECK_STR(cgi_form_get(&f, "x")->value, "a b c");
	CHECK(cgi_form_get(&f, "nope") == NULL);
	CHECK(cgi_form_get(&f, "") == NULL);
	cgi_form_free(&f);
	CHECK_INT(f.n, 0);
	CHECK(f.v == NULL);
}

static void
urlencoded_edges(void)
{
	struct cgi_form f = CGI_FORM_INIT;
	const char *q = "&&a=1&a=2&flag&=v&k=b=c&&na%6De=%00x&&";

	cgi_parse_urlencoded(q, strlen(q), &f);
	CHECK_INT(f.n, 6);
	/* duplicate keys are kept in order; get returns the first */
	CHECK_STR(field(&f, 0, "a"), "1");
	CHECK_STR(field(&f, 1, "a"), "2");
	CHECK_STR(cgi_form_get(&f, "a")->value, "1");
	/* no '=': an empty value */
	CHECK_STR(field(&f, 2, "flag"), "");
	CHECK_INT(f.v[2].value_len, 0);
	CHECK_STR(field(&f, 3, ""), "v");
	/* only the first '=' separates */
	CHECK_STR(field(&f, 4, "k"), "b=c");
	/* names are decoded; a NUL byte is kept, with its length */
	CHECK_INT(f.v[5].value_len, 2);
	CHECK(f.v[5].value[0] == '\0' && f.v[5].value[1] == 'x');
	CHECK(cgi_form_get(&f, "name") == &f.v[5]);
	cgi_form_free(&f);

	/* only len bytes are read */
	cgi_parse_urlencoded("a=12345", 4, &f);
	CHECK_INT(f.n, 1);
	CHECK_STR(field(&f, 0, "a"), "12");
	cgi_form_free(&f);
	cgi_parse_urlencoded("", 0, &f);
	CHECK_INT(f.n, 0);
	/* a name with a NUL does not match the shorter name */
	cgi_parse_urlencoded("t%00x=1", 7, &f);
	CHECK_INT(f.n, 1);
	CHECK(cgi_form_get(&f, "t") == NULL);
	cgi_form_free(&f);
}

/* Parse body with content type ct; returns the status, f filled. */
static int
mp(const char *ct, const char *body, struct cgi_form *f)
{
	char *err = NULL;
	int rc = cgi_parse_multipart(ct, body, strlen(body), f, &err);

	CHECK((rc == 0) == (err == NULL));
	free(err);
	return rc;
}

static void
multipart(void)
{
	struct cgi_form f = CGI_FORM_INIT;

	/* what curl -F sends, CRLF */
	CHECK_INT(mp("multipart/form-data; boundary=------------------------"
	    "d74496d66958873e",
	    "--------------------------d74496d66958873e\r\n"
	    "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
	    "\r\n"
	    "One-Click\r\n"
	    "--------------------------d74496d66958873e--\r\n", &f), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(field(&f, 0, "List-Unsubscribe"), "One-Click");
	cgi_form_free(&f);

	/* LF only, a quoted boundary with a space, a preamble, an
	 * epilogue, a part without a name, a file, an empty value */
	CHECK_INT(mp("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"",
	    "preamble\n--a b:c\n"
	    "content-disposition: form-data; name=t\n\nabc\n"
	    "--a b:c\n"
	    "Content-Type: text/plain\n\nno name\n"
	    "--a b:c\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\n"
	    "Content-Type: text/plain\n\nline 1\nline 2\n"
	    "--a b:c\n"
	    "Content-Disposition: form-data; name=\"empty\"\n\n\n"
	    "--a b:c--\nepilogue\n--a b:c\nnot a part\n", &f), 0);
	CHECK_INT(f.n, 3);
	CHECK_STR(field(&f, 0, "t"), "abc");
	CHECK_STR(field(&f, 1, "f"), "line 1\nline 2");
	CHECK_STR(field(&f, 2, "empty"), "");
	cgi_form_free(&f);

	/* the delimiter's line break ends the headers: an empty value;
	 * transport padding after a boundary; no CRLF after the close */
	CHECK_INT(mp("multipart/form-data; boundary=XyZ",
	    "--XyZ  \r\nContent-Disposition: form-data; name=\"confirm\"\r\n"
	    "\r\n--XyZ--", &f), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(field(&f, 0, "confirm"), "");
	cgi_form_free(&f);

	/* the boundary inside content, not at a line start, is content;
	 * at a line start but followed by more, too */
	CHECK_INT(mp("multipart/form-data; boundary=b",
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x--b y\r\n--bz\r\n--b\r\n"
	    "Content-Disposition: form-data;\r\n name=\"q\\\"t\"\r\n\r\n"
	    "2\r\n--b--\r\n", &f), 0);
	CHECK_INT(f.n, 2);
	CHECK_STR(field(&f, 0, "a"), "x--b y\r\n--bz");
	/* a folded header, a name with an escaped quote */
	CHECK_STR(field(&f, 1, "q\"t"), "2");
	cgi_form_free(&f);

	/* a close delimiter alone: no fields */
	CHECK_INT(mp("multipart/form-data; boundary=b", "--b--\r\n", &f), 0);
	CHECK_INT(f.n, 0);
}

static void
multipart_malformed(void)
{
	struct cgi_form f = CGI_FORM_INIT;
	char long_b[128];

	cgi_parse_urlencoded("keep=1", 6, &f);
	/* no boundary, an empty or unclosed one, one too long */
	CHECK_INT(mp("multipart/form-data", "--b\r\n\r\nx\r\n--b--", &f),
	    EX_DATAERR);
	CHECK_INT(mp(NULL, "--b\r\n\r\nx\r\n--b--", &f), EX_DATAERR);
	CHECK_INT(mp("multipart/form-data; boundary=\"\"",
	    "--\r\n\r\nx\r\n----", &f), EX_DATAERR);
	CHECK_INT(mp("multipart/form-data; boundary=\"b",
	    "--b\r\n\r\nx\r\n--b--", &f), EX_DATAERR);
	memset(long_b, 'b', 71);
	memcpy(long_b, "multipart/form-data; boundary=", 30);
	long_b[30 + 71] = '\0';
	CHECK_INT(mp(long_b, "--b--", &f), EX_DATAERR);
	/* no first delimiter */
	CHECK_INT(mp("multipart/form-data; boundary=b", "hello", &f),
	    EX_DATAERR);
	CHECK_INT(mp("multipart/form-data; boundary=b", "", &f), EX_DATAERR);
	/* truncated: cut inside a part, or before the close delimiter */
	CHECK_INT(mp("multipart/form-data; boundary=b",
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nOne-Cl", &f),
	    EX_DATAERR);
	CHECK_INT(mp("multipart/form-data; boundary=b",
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	    "--b\r\nContent-Disposition: form-data; name=c\r\n\r\n2\r\n", &f),
	    EX_DATAERR);
	CHECK_INT(mp("multipart/form-data; boundary=b",
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--", &f),
	    EX_DATAERR);
	/* headers without their blank line */
	CHECK_INT(mp("multipart/form-data; boundary=b",
	    "--b\r\nContent-Disposition: form-data; name=a\r\n--b--\r\n", &f),
	    EX_DATAERR);
	/* a failed parse leaves the form as it was */
	CHECK_INT(f.n, 1);
	CHECK_STR(field(&f, 0, "keep"), "1");
	cgi_form_free(&f);
}

static void
bodies(void)
{
	struct cgi_form f = CGI_FORM_INIT;
	const char *b = "List-Unsubscribe=One-Click";
	char *err = NULL;

	CHECK_INT(cgi_parse_body("application/x-www-form-urlencoded", b,
	    strlen(b), &f, &err), 0);
	CHECK_STR(field(&f, 0, "List-Unsubscribe"), "One-Click");
	cgi_form_free(&f);
	CHECK_INT(cgi_parse_body("Application/X-WWW-Form-Urlencoded; "
	    "charset=UTF-8", b, strlen(b), &f, &err), 0);
	CHECK_INT(f.n, 1);
	cgi_form_free(&f);
	/* an empty body has no fields, whatever its type */
	CHECK_INT(cgi_parse_body(NULL, "", 0, &f, &err), 0);
	CHECK_INT(cgi_parse_body("text/plain", "", 0, &f, &err), 0);
	CHECK_INT(f.n, 0);
	CHECK_INT(cgi_parse_body(NULL, b, strlen(b), &f, &err), EX_PROTOCOL);
	CHECK(err != NULL);
	free(err);
	err = NULL;
	CHECK_INT(cgi_parse_body("text/plain", b, strlen(b), &f, &err),
	    EX_PROTOCOL);
	free(err);
	err = NULL;
	CHECK_INT(cgi_parse_body("application/x-www-form-urlencodedx", b,
	    strlen(b), &f, &err), EX_PROTOCOL);
	free(err);
	err = NULL;
	b = "--z\r\nContent-Disposition: form-data; name=List-Unsubscribe"
	    "\r\n\r\nOne-Click\r\n--z--\r\n";
	CHECK_INT(cgi_parse_body("multipart/form-data; boundary=z", b,
	    strlen(b), &f, &err), 0);
	CHECK_STR(field(&f, 0, "List-Unsubscribe"), "One-Click");
	cgi_form_free(&f);
	CHECK_INT(cgi_parse_body("multipart/form-data; boundary=z", "junk", 4,
	    &f, &err), EX_DATAERR);
	free(err);
	CHECK_INT(f.n, 0);
}

static void
actions(void)
{
	struct cgi_form q = CGI_FORM_INIT, b = CGI_FORM_INIT;
	const struct cgi_field *t;

	cgi_parse_urlencoded("t=tok", 5, &q);
	CHECK_INT(cgi_action(CGI_GET, &q, NULL, &t), CGI_SHOW);
	CHECK(t != NULL && strcmp(t->value, "tok") == 0);
	cgi_parse_urlencoded("List-Unsubscribe=One-Click", 26, &b);
	/* a GET never unsubscribes, whatever it carries */
	CHECK_INT(cgi_action(CGI_GET, &q, &b, &t), CGI_SHOW);
	CHECK_INT(cgi_action(CGI_HEAD, &q, &b, &t), CGI_SHOW);
	/* a one-click POST: the token in the query string */
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_ONE_CLICK);
	CHECK(t != NULL && strcmp(t->value, "tok") == 0);
	cgi_form_free(&b);
	cgi_parse_urlencoded("List-Unsubscribe=one-click", 26, &b);
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_ONE_CLICK);
	cgi_form_free(&b);
	cgi_parse_urlencoded("List-Unsubscribe=Two-Clicks", 27, &b);
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_SHOW);
	cgi_form_free(&b);
	/* the page's form: the token in the body and the query, the same */
	cgi_parse_urlencoded("t=tok&confirm=1", 15, &b);
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_CONFIRM);
	CHECK(t != NULL && strcmp(t->value, "tok") == 0);
	CHECK_INT(cgi_action(CGI_POST, NULL, &b, &t), CGI_CONFIRM);
	CHECK(t != NULL);
	cgi_form_free(&b);
	/* both: one-click wins */
	cgi_parse_urlencoded("confirm=1&List-Unsubscribe=One-Click", 36, &b);
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_ONE_CLICK);
	cgi_form_free(&b);
	/* two tokens that disagree: none */
	cgi_parse_urlencoded("t=other&confirm=1", 17, &b);
	CHECK_INT(cgi_action(CGI_POST, &q, &b, &t), CGI_CONFIRM);
	CHECK(t == NULL);
	cgi_form_free(&b);
	cgi_parse_urlencoded("t=tok&t=tok2", 12, &b);
	CHECK_INT(cgi_action(CGI_POST, NULL, &b, &t), CGI_SHOW);
	CHECK(t == NULL);
	cgi_form_free(&b);
	/* no token at all */
	CHECK_INT(cgi_action(CGI_POST, NULL, NULL, &t), CGI_SHOW);
	CHECK(t == NULL);
	cgi_form_free(&q);
}

static void
masking(void)
{
	char *s;

	CHECK_STR(s = cgi_mask_address("jean@insee.fr"), "j***@insee.fr");
	free(s);
	CHECK_STR(s = cgi_mask_address("j@insee.fr"), "j***@insee.fr");
	free(s);
	CHECK_STR(s = cgi_mask_address("élodie@exemple.fr"),
	    "é***@exemple.fr");
	free(s);
	CHECK_STR(s = cgi_mask_address("\"a@b\"@exemple.fr"),
	    "a***@exemple.fr");
	free(s);
	CHECK_STR(s = cgi_mask_address("@exemple.fr"), "***");
	free(s);
	CHECK_STR(s = cgi_mask_address("nobody"), "***");
	free(s);
}

static void
headers(void)
{
	struct buf b = BUF_INIT;

	cgi_headers(&b, 200, 42);
	CHECK(str_starts(buf_str(&b), "Status: 200 OK\r\n"));
	CHECK(strstr(buf_str(&b), "\r\nContent-Type: text/html; "
	    "charset=utf-8\r\n") != NULL);
	CHECK(strstr(buf_str(&b), "\r\nContent-Length: 42\r\n") != NULL);
	CHECK(strstr(buf_str(&b), "\r\nCache-Control: no-store\r\n") != NULL);
	CHECK(strstr(buf_str(&b), "\r\nX-Content-Type-Options: nosniff\r\n"));
	CHECK(strstr(buf_str(&b), "\r\nX-Frame-Options: DENY\r\n"));
	CHECK(strstr(buf_str(&b), "\r\nReferrer-Policy: no-referrer\r\n"));
	CHECK(strstr(buf_str(&b), "Content-Security-Policy: default-src "
	    "'none';") != NULL);
	CHECK(strstr(buf_str(&b), "script-src") == NULL);
	CHECK(strstr(buf_str(&b), "Allow:") == NULL);
	CHECK(str_ends(buf_str(&b), "\r\n\r\n"));
	buf_reset(&b);
	cgi_headers(&b, 405, 0);
	CHECK(str_starts(buf_str(&b), "Status: 405 Method Not Allowed\r\n"));
	CHECK(strstr(buf_str(&b), "\r\nAllow: GET, POST, HEAD\r\n") != NULL);
	buf_reset(&b);
	cgi_headers(&b, 503, 0);
	CHECK(strstr(buf_str(&b), "\r\nRetry-After: ") != NULL);
	buf_free(&b);
	CHECK_STR(cgi_reason(413), "Content Too Large");
	CHECK_STR(cgi_reason(411), "Length Required");
	CHECK_STR(cgi_reason(400), "Bad Request");
}

int
main(void)
{
	RUN(methods);
	RUN(content_length);
	RUN(urlencoded);
	RUN(urlencoded_edges);
	RUN(multipart);
	RUN(multipart_malformed);
	RUN(bodies);
	RUN(actions);
	RUN(masking);
	RUN(headers);
	return 0;
}
