/* fuzz_cgi.c - libFuzzer target for the CGI request parsers: the query
 * string and form bodies (urlencoded and multipart), the token and action
 * picked from them, CONTENT_LENGTH and the address mask. The input is a
 * content type, a line feed, then the body; the whole input is also
 * parsed as a query string. No crash, no leak, and every field is
 * NUL-terminated at its length and no longer than the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "util.h"

static void
check_form(const struct cgi_form *f, size_t size)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct cgi_field *fl = &f->v[i];

		if (!fl->name || !fl->value || fl->name_len > size ||
		    fl->value_len > size || fl->name[fl->name_len] != '\0' ||
		    fl->value[fl->value_len] != '\0')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_form query = CGI_FORM_INIT, body = CGI_FORM_INIT;
	const struct cgi_field *t;
	const char *s = (const char *)data, *nl;
	char *ct, *copy, *err = NULL, *mask;
	size_t len, blen;
	int rc, action;

	cgi_parse_urlencoded(s, size, &query);
	check_form(&query, size);

	nl = memchr(s, '\n', size);
	ct = nl ? xstrndup(s, (size_t)(nl - s)) : xstrdup("");
	blen = nl ? size - (size_t)(nl + 1 - s) : size;
	/* the body without a NUL after it: the parsers use lengths only */
	copy = xmalloc(blen ? blen : 1);
	memcpy(copy, nl ? nl + 1 : s, blen);
	rc = cgi_parse_body(ct, copy, blen, &body, &err);
	if ((rc == 0) != (err == NULL) || (rc != 0 && body.n != 0))
		abort();
	free(err);
	err = NULL;
	check_form(&body, size);
	action = cgi_action(CGI_POST, &query, &body, &t);
	if (action < CGI_SHOW || action > CGI_CONFIRM)
		abort();
	if (t && t->value_len > size)
		abort();
	cgi_form_free(&body);

	/* multipart whatever the type says */
	rc = cgi_parse_multipart(ct, copy, blen, &body, &err);
	if ((rc == 0) != (err == NULL))
		abort();
	free(err);
	check_form(&body, size);
	cgi_form_free(&body);
	free(copy);

	(void)cgi_content_length(ct, CGI_BODY_MAX, &len);
	if (len > CGI_BODY_MAX)
		abort();
	mask = cgi_mask_address(ct);
	if (strlen(mask) > strlen(ct) + 3)
		abort();
	free(mask);
	free(ct);
	cgi_form_free(&query);
	return 0;
}
