/* fuzz_mime.c - libFuzzer target for the message writer (mime.h): the
 * subject, the From, the list title, the bodies and the recipient's name
 * come from the input (any bytes). No crash, no leak, no hang, and on any
 * input: mime_build refuses only what it documents (a header value with a
 * control character or not UTF-8, a body not UTF-8, an address that is
 * not one); whatever it writes is 7-bit, CRLF, without a line over 998,
 * and its header has exactly the fields mime_build names, each once, so
 * that no text of the input can add a field (Bcc:); the Subject, unfolded
 * and read by libetpan's RFC 2047 decoder, is the subject. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "mime.h"
#include "msg.h"
#include "util.h"

#define TOKEN "abcdefghijklmnopqrstuvwxyz234567"

static const char *const fields[] = {
	"From", "Reply-To", "Subject", "Message-ID", "MIME-Version", "List-Id",
	"List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive",
	"Precedence", "Content-Type", "To", "Date",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Text mime_build takes in a header: UTF-8 without controls but tab. */
static bool
header_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return utf8_valid(s, strlen(s), NULL);
}

/* A name the From can carry quoted: no '"', '\\', '<' or '>' (the
 * configuration's forms; anything else may read as another address). */
static bool
quotable(const char *s)
{
	return header_text(s) && !strpbrk(s, "\"\\<>");
}

/* The header of m (up to the empty line): its fields each once, as
 * listed, continuation lines starting with a blank. */
static void
check_header(const char *m, size_t len)
{
	int seen[NFIELDS] = { 0 };
	const char *l = m, *end = m + len;

	for (;;) {
		const char *crlf = memmem(l, (size_t)(end - l), "\r\n", 2);
		size_t i;

		if (!crlf)
			abort();
		if (crlf == l)
			break;
		if (*l == ' ' || *l == '\t') {
			if (l == m)
				abort();
			l = crlf + 2;
			continue;
		}
		for (i = 0; i < NFIELDS; i++) {
			size_t n = strlen(fields[i]);
			if ((size_t)(crlf - l) > n && strncmp(l, fields[i], n) == 0 &&
			    l[n] == ':')
				break;
		}
		if (i == NFIELDS || seen[i]++)
			abort();
		l = crlf + 2;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (!seen[i] && strcmp(fields[i], "List-Unsubscribe-Post") != 0 &&
		    strcmp(fields[i], "Reply-To") != 0)
			abort();
}

/* The Subject's value, unfolded (each CRLF before a blank removed). */
static char *
subject_of(const char *m)
{
	const char *s = strstr(m, "\r\nSubject:");
	struct buf b = BUF_INIT;

	if (!s)
		abort();
	for (s += strlen("\r\nSubject:"); *s == ' '; s++)
		;
	for (; *s; s++) {
		if (s[0] == '\r' && s[1] == '\n') {
			if (s[2] != ' ' && s[2] != '\t')
				break;
			s++;
			continue;
		}
		buf_putc(&b, *s);
	}
	buf_putc(&b, '\0');
	return buf_detach(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *subject, *from_name, *title, *to_name, *text, *html, *from;
	struct mime_input in;
	struct mime_recipient r;
	struct mime_msg *m = NULL;
	struct buf out = BUF_INIT;
	char *err = NULL;
	int rc;

	if (size > 4096)
		return 0;
	subject = fuzz_field(&p, end);
	from_name = fuzz_field(&p, end);
	title = fuzz_field(&p, end);
	to_name = fuzz_field(&p, end);
	text = fuzz_field(&p, end);
	html = fuzz_field(&p, end);
	from = xasprintf("\"%s\" <infolettre@ssphub.example.fr>", from_name);

	memset(&in, 0, sizeof(in));
	in.from = from;
	in.reply_to = size & 1 ? "infolettre@ssphub.example.fr" : NULL;
	in.subject = subject;
	in.list_title = title;
	in.list_id = "infolettre.ssphub.example.fr";
	in.archive_url = "https://ssphub.example.fr/infolettre/2026-06/";
	in.unsub_url = size & 2 ? "https://ssphub.example.fr/d?t="
	    MIME_SLOT_TOKEN : NULL;
	in.unsub_mailto = "infolettre-unsubscribe+" MIME_SLOT_TOKEN
	    "@ssphub.example.fr";
	in.msgid_domain = "ssphub.example.fr";
	in.issue_id = "2026-06";
	in.text = text;
	in.html = html;
	in.date = 1781596800;
	in.seed = "fuzz";

	rc = mime_build(&in, &m, &err);
	if (rc != 0) {
		/* refused: only what mime_build documents */
		if (header_text(subject) && quotable(from_name) &&
		    header_text(title) && utf8_valid(text, strlen(text), NULL) &&
		    utf8_valid(html, strlen(html), NULL))
			abort();
		free(err);
		goto done;
	}
	r.name = to_name;
	r.email = "jean.dupont@example.fr";
	r.token = TOKEN;
	r.date = 0;
	rc = mime_fill(m, &r, &out, &err);
	if (rc != 0) {
		if (header_text(to_name))
			abort();
		free(err);
		goto done;
	}

	/* 7-bit, CRLF only, no line over 998 */
	for (size_t i = 0, start = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];
		if (c == 0 || c >= 0x80 || (c == '\r' && (i + 1 == out.len ||
		    out.data[i + 1] != '\n')) || (c == '\n' &&
		    (i == 0 || out.data[i - 1] != '\r')))
			abort();
		if (c == '\n') {
			if (i - 1 - start > 998)
				abort();
			start = i + 1;
		}
	}
	check_header(out.data, out.len);
	{
		char *raw = subject_of(out.data);
		char *got = msg_decode_words(raw, strlen(raw));
		if (!got || strcmp(got, subject) != 0)
			abort();
		free(got);
		free(raw);
	}
done:
	buf_free(&out);
	mime_msg_free(m);
	free(subject);
	free(from_name);
	free(title);
	free(to_name);
	free(text);
	free(html);
	free(from);
	return 0;
}
