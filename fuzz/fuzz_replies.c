/* fuzz_replies.c - libFuzzer target for the reply classifier: no crash, no
 * leak, no hang on any input, and what it returns is printable: the class
 * is one of enum reply_class, DETAIL, the subject and the addresses are non-empty (or
 * "-") valid UTF-8 without control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replies.h"
#include "util.h"

static int
printable(const char *s, int may_be_empty)
{
	if (!s)
		return 0;
	if (!*s && !may_be_empty)
		return 0;
	if (!utf8_valid(s, strlen(s), NULL))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replies_opts o = {
		"infolettre-unsubscribe@ssphub.example.fr",
		"infolettre-bounces@ssphub.example.fr",
		NULL,
		0,
	};
	struct reply r;
	enum reply_class c;
	char *a;

	/* the last byte picks a small size limit now and then, to reach the
	 * cut-off paths */
	if (size > 1 && data[size - 1] == 0xFF)
		o.max_size = size / 2 + 1;
	if (size > 1 && data[size - 1] == 0xFE)
		o.msgid_domain = "ssphub.example.fr";
	c = replies_classify((const char *)data, size, &o, &r);
	if (c != r.cls || c < REPLY_MALFORMED || c > REPLY_CLASS_LAST)
		abort();
	if (!printable(r.detail, 0) || !printable(r.subject, 1) ||
	    (r.from && !printable(r.from, 0)) ||
	    (r.from_name && !printable(r.from_name, 1)) ||
	    (r.date && !printable(r.date, 1)) ||
	    (r.message_id && !printable(r.message_id, 1)))
		abort();
	for (size_t i = 0; i < r.ntokens; i++)
		if (strlen(r.tokens[i].token) !=
		    (r.tokens[i].kind == REPLY_TOKEN_SUBSCRIBE ?
		    TOKEN_CONFIRM_LEN : TOKEN_LEN))
			abort();
	a = replies_addresses(&r);
	if (!printable(a, 0) || strchr(a, '\t'))
		abort();
	if (r.cls == REPLY_UNSUBSCRIBE && r.proof && !r.ntokens)
		abort();
	free(a);
	reply_free(&r);
	return 0;
}
