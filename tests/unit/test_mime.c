/* test_mime.c - the message template: RFC 2047, quoted-printable, base64,
 * structure, slots, determinism, header injection; a fill benchmark.
 * With "--eml DIR" it writes sample messages for tests/t_mime.sh instead:
 * five written by hand and NGENERATED with generated header texts. */
#include <libetpan/libetpan.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mime.h"
#include "unit.h"
#include "util.h"

#define TOKEN "abcdefghijklmnopqrstuvwxyz234567"
#define TOKEN2 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz2"

static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
	'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1,
	0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42,
	0x60, 0x82,
};

static struct mime_image images[2] = {
	{ "img1.2026-06@ssphub.example.fr", "image/png", "logo.png", png,
	  sizeof(png) },
	{ "img2.2026-06@ssphub.example.fr", "image/png", "carte été.png", png,
	  sizeof(png) },
};

static struct mime_input
input(void)
{
	struct mime_input in;

	memset(&in, 0, sizeof(in));
	in.from = "SSP Hub <infolettre@ssphub.example.fr>";
	in.reply_to = "infolettre@ssphub.example.fr";
	in.subject = "Infolettre de juin 2026";
	in.list_title = "Infolettre du SSP Hub";
	in.list_id = "infolettre.ssphub.example.fr";
	in.archive_url = "https://ssphub.netlify.app/infolettre/2026-06/";
	in.unsub_url = "https://ssphub.example.fr/desinscription?t="
	    MIME_SLOT_TOKEN;
	in.unsub_mailto = "infolettre-unsubscribe+" MIME_SLOT_TOKEN
	    "@ssphub.example.fr";
	in.msgid_domain = "ssphub.example.fr";
	in.issue_id = "2026-06";
	in.html = "<p>Bonjour</p>\n<p><img src=\"cid:img1.2026-06@ssphub."
	    "example.fr\" alt=\"logo\"></p>\n<a href=\"https://ssphub.example"
	    ".fr/desinscription?t=" MIME_SLOT_TOKEN "\">se désinscrire</a>\n";
	in.text = "Bonjour à tous\n\nSe désinscrire : https://ssphub.example.fr/"
	    "desinscription?t=" MIME_SLOT_TOKEN "\n";
	in.date = 1781596800; /* 2026-06-16 08:00 UTC */
	in.seed = "seed";
	return in;
}

static const struct mime_recipient camille = { "Camille Exemple",
	"camille@example.fr", TOKEN, 0 };

static void
drop(char **err)
{
	free(*err);
	*err = NULL;
}

/* Build and fill; NULL (and a FAIL) when either refuses. */
static char *
make(const struct mime_input *in, const struct mime_recipient *r,
	size_t *len)
{
	struct mime_msg *m;
	struct buf b = BUF_INIT;
	char *err = NULL;

	if (mime_build(in, &m, &err) != 0) {
		printf("  (mime_build: %s)\n", err);
		drop(&err);
		CHECK(!"mime_build failed");
		return NULL;
	}
	if (mime_fill(m, r, &b, &err) != 0) {
		printf("  (mime_fill: %s)\n", err);
		drop(&err);
		CHECK(!"mime_fill failed");
		mime_msg_free(m);
		return NULL;
	}
	mime_msg_free(m);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

/* 7-bit, CRLF only, no line over 998; header lines (of the message and
 * of each part) over 78 only when they hold one unbreakable word. */
static bool
lines_ok(const char *s, size_t len, bool check_headers)
{
	bool in_header = true;
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0 || c >= 0x80)
			return printf("  (byte %u at %zu)\n", c, i), false;
		if (c == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			return printf("  (lone CR at %zu)\n", i), false;
		if (c != '\n')
			continue;
		if (i == 0 || s[i - 1] != '\r')
			return printf("  (lone LF at %zu)\n", i), false;
		size_t n = i - 1 - start;
		if (n > 998)
			return printf("  (line of %zu at %zu)\n", n, start), false;
		if (n == 0)
			in_header = false;
		else if (s[start] == '-' && s[start + 1] == '-')
			in_header = true; /* a delimiter: part headers follow */
		else if (in_header && check_headers && n > 78) {
			const char *sp = memchr(s + start + 1, ' ', n - 1);
			const char *colon = memchr(s + start, ':', n);
			if (s[start] != ' ' && colon && sp == colon + 1)
				sp = memchr(colon + 2, ' ', (size_t)(s + i - 1 - colon - 2));
			if (sp)
				return printf("  (header line of %zu: %.*s)\n", n,
				    (int)n, s + start), false;
		}
		start = i + 1;
	}
	return true;
}

static char *
crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '\n' && (b.len == 0 || b.data[b.len - 1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, *s);
	}
	return buf_detach(&b);
}

static char *
replace(const char *s, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(s, from)) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_puts(&b, to);
		s = p + strlen(from);
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

/* ---- libetpan as the independent reader ---- */

static const char *
ctype(const struct mailmime *mm, char *out, size_t n)
{
	const struct mailmime_content *ct = mm->mm_content_type;
	const char *main = "?";

	if (!ct)
		return "text/plain";
	if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE)
		main = ct->ct_type->tp_data.tp_composite_type->ct_type ==
		    MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart" : "message";
	else
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: main = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: main = "image"; break;
		default: main = "other";
		}
	snprintf(out, n, "%s/%s", main, ct->ct_subtype);
	return out;
}

static struct mailmime *
child(struct mailmime *mm, int i)
{
	clistiter *it;

	if (mm->mm_type != MAILMIME_MULTIPLE)
		return NULL;
	for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it;
	    it = clist_next(it))
		if (i-- == 0)
			return clist_content(it);
	return NULL;
}

static int
nchildren(struct mailmime *mm)
{
	return mm->mm_type == MAILMIME_MULTIPLE ?
	    clist_count(mm->mm_data.mm_multipart.mm_mp_list) : -1;
}

/* The decoded body of a single part (caller frees). */
static char *
decoded(struct mailmime *mm, size_t *len)
{
	struct mailmime_data *d = mm->mm_data.mm_single;
	size_t idx = 0, n = 0;
	char *res = NULL, *copy;

	if (!d || mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &res, &n) !=
	    MAILIMF_NO_ERROR)
		return NULL;
	copy = xstrndup(res, n);
	mailmime_decoded_part_free(res);
	if (len)
		*len = n;
	return copy;
}

/* RFC 2047 decoding by libetpan (caller frees). */
static char *
ew_decode(const char *s)
{
	size_t idx = 0;
	char *res = NULL, *copy;

	if (mailmime_encoded_phrase_parse("utf-8", s, strlen(s), &idx, "utf-8",
	    &res) != MAILIMF_NO_ERROR)
		return NULL;
	copy = xstrdup(res);
	free(res);
	return copy;
}

/* ---- RFC 2047 ---- */

/* Every encoded-word of h is at most 60 characters and holds whole UTF-8
 * characters; returns how many there are, or -1. */
static int
check_words(const char *h)
{
	int count = 0;
	const char *p = h;

	while (*p) {
		const char *e = p;
		while (*e && *e != ' ' && *e != '\r' && *e != '\n')
			e++;
		size_t n = (size_t)(e - p);
		if (n >= 12 && strncmp(p, "=?UTF-8?", 8) == 0) {
			struct buf raw = BUF_INIT;
			count++;
			if (n > 60 || p[n - 2] != '?' || p[n - 1] != '=')
				return printf("  (word %.*s)\n", (int)n, p), -1;
			if (p[8] == 'Q') {
				for (const char *q = p + 10; q < e - 2; q++) {
					if (*q == '_')
						buf_putc(&raw, ' ');
					else if (*q == '=') {
						char hex[3] = { q[1], q[2], 0 };
						buf_putc(&raw, (int)strtol(hex, NULL, 16));
						q += 2;
					} else
						buf_putc(&raw, *q);
				}
			} else {
				size_t idx = 0, len = 0;
				char *res = NULL;
				mailmime_base64_body_parse(p + 10, n - 12, &idx, &res,
				    &len);
				buf_put(&raw, res, len);
				mailmime_decoded_part_free(res);
			}
			if (!utf8_valid(buf_str(&raw), raw.len, NULL)) {
				printf("  (word cut inside a character: %.*s)\n",
				    (int)n, p);
				buf_free(&raw);
				return -1;
			}
			buf_free(&raw);
		}
		for (const char *q = p; q < e; q++)
			if ((unsigned char)*q >= 0x80 || *q == '\t')
				return printf("  (raw byte in %s)\n", h), -1;
		p = e;
		while (*p == ' ' || *p == '\r' || *p == '\n')
			p++;
	}
	return count;
}

static void
words_roundtrip(const char *s, int min_words)
{
	char *h = mime_encode_words(s), *back;

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(check_words(h) >= min_words);
	back = ew_decode(h);
	CHECK_STR(back, s);
	free(back);
	free(h);
}

static void
words_ascii(void)
{
	char *h;

	CHECK_STR(h = mime_encode_words("Infolettre de juin 2026: data & co"),
	    "Infolettre de juin 2026: data & co");
	free(h);
	CHECK_STR(h = mime_encode_words(""), "");
	free(h);
	/* what a decoder would take for an encoded-word is encoded */
	h = mime_encode_words("a =?UTF-8?Q?x?= b");
	CHECK(h && strstr(h, "=?UTF-8?Q?x?=") == NULL);
	free(h);
	words_roundtrip("a =?UTF-8?Q?x?= b", 1);
	CHECK(mime_encode_words("a\r\nBcc: x@example.org") == NULL);
	CHECK(mime_encode_words("a\nb") == NULL);
	CHECK(mime_encode_words("bad \xff utf-8") == NULL);
}

static void
words_accents(void)
{
	char *h = mime_encode_words("Infolettre de juin « Données » été");

	CHECK(h && str_starts(h, "Infolettre de juin =?UTF-8?"));
	free(h);
	words_roundtrip("Infolettre de juin « Données » été", 1);
	words_roundtrip("À venir", 1);
	words_roundtrip("déjà", 1);
}

static void
words_emoji(void)
{
	words_roundtrip("🎉", 1);
	words_roundtrip("🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳", 3);
	words_roundtrip("Fête 🎉 de l’été 🌞 « spéciale »", 1);
}

static void
words_long(void)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < 12; i++)
		buf_puts(&b, "Les données de l’été : « modèles », déjà publiés ✓ ");
	buf_puts(&b, "fin");
	words_roundtrip(b.data, 10);
	buf_reset(&b);
	/* one long run of multi-byte characters, cut only between them */
	for (int i = 0; i < 50; i++)
		buf_puts(&b, i % 3 ? "é" : "€");
	for (int i = 0; i < 30; i++)
		buf_puts(&b, "😀");
	words_roundtrip(b.data, 4);
	buf_reset(&b);
	/* a plain word too long to fold is encoded, so it can be cut */
	for (int i = 0; i < 30; i++)
		buf_puts(&b, "abcdefghij");
	words_roundtrip(b.data, 5);
	/* spacing that folding would lose */
	words_roundtrip(" leading and  double  spaces, trailing ", 1);
	words_roundtrip("tab\there", 1);
	buf_free(&b);
}

/* ---- the message ---- */

static void
structure(void)
{
	struct mime_input in = input();
	struct mailmime *mm = NULL, *body, *rel;
	char *msg, t[64];
	size_t len, idx = 0, n;

	in.images = images;
	in.nimages = 2;
	msg = make(&in, &camille, &len);
	if (!msg)
		return;
	CHECK(lines_ok(msg, len, true));
	CHECK_INT(mailmime_parse(msg, len, &idx, &mm), MAILIMF_NO_ERROR);
	if (!mm) {
		free(msg);
		return;
	}
	body = mm->mm_type == MAILMIME_MESSAGE ?
	    mm->mm_data.mm_message.mm_msg_mime : mm;
	CHECK(body != NULL);
	if (body) {
		CHECK_STR(ctype(body, t, sizeof(t)), "multipart/alternative");
		CHECK_INT(nchildren(body), 2);
		CHECK_STR(ctype(child(body, 0), t, sizeof(t)), "text/plain");
		rel = child(body, 1);
		CHECK_STR(ctype(rel, t, sizeof(t)), "multipart/related");
		CHECK_INT(nchildren(rel), 3);
		CHECK_STR(ctype(child(rel, 0), t, sizeof(t)), "text/html");
		CHECK_STR(ctype(child(rel, 1), t, sizeof(t)), "image/png");
		CHECK_STR(ctype(child(rel, 2), t, sizeof(t)), "image/png");
		char *img = decoded(child(rel, 2), &n);
		CHECK(img && n == sizeof(png) && memcmp(img, png, n) == 0);
		free(img);
		char *text = decoded(child(body, 0), NULL);
		char *want = replace(in.text, MIME_SLOT_TOKEN, TOKEN);
		char *want_crlf = crlf(want);
		CHECK_STR(text, want_crlf);
		free(text);
		free(want);
		free(want_crlf);
	}
	mailmime_free(mm);
	CHECK(strstr(msg, "\r\nContent-ID: <img2.2026-06@ssphub.example.fr>\r\n"));
	CHECK(strstr(msg, "Content-Type: multipart/related; type=\"text/html\";"));
	CHECK(strstr(msg, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"));
	CHECK(strstr(msg, "filename*=utf-8''carte%20%C3%A9t%C3%A9.png"));
	free(msg);
}

static void
no_images_no_related(void)
{
	struct mime_input in = input();
	struct mailmime *mm = NULL, *body;
	char *msg, t[64];
	size_t len, idx = 0;

	msg = make(&in, &camille, &len);
	if (!msg)
		return;
	CHECK(strstr(msg, "multipart/related") == NULL);
	CHECK_INT(mailmime_parse(msg, len, &idx, &mm), MAILIMF_NO_ERROR);
	if (mm) {
		body = mm->mm_data.mm_message.mm_msg_mime;
		CHECK_INT(nchildren(body), 2);
		CHECK_STR(ctype(child(body, 1), t, sizeof(t)), "text/html");
		mailmime_free(mm);
	}
	free(msg);
}

static void
headers(void)
{
	struct mime_input in = input();
	char *msg = make(&in, &camille, NULL), *id;
	struct mime_msg *m;
	char *err = NULL;

	if (!msg)
		return;
	CHECK(str_starts(msg, "From: SSP Hub <infolettre@ssphub.example.fr>\r\n"
	    "To: Camille Exemple <camille@example.fr>\r\n"
	    "Reply-To: infolettre@ssphub.example.fr\r\n"
	    "Subject: Infolettre de juin 2026\r\n"
	    "Date: Tue, 16 Jun 2026 08:00:00 +0000\r\n"
	    "Message-ID: <2026-06." TOKEN "@ssphub.example.fr>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "List-Id: Infolettre du SSP Hub <infolettre.ssphub.example.fr>\r\n"
	    "List-Unsubscribe: <https://ssphub.example.fr/desinscription?t="
	    TOKEN ">,\r\n <mailto:infolettre-unsubscribe+" TOKEN
	    "@ssphub.example.fr?subject=unsubscribe>\r\n"
	    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
	    "List-Archive: <https://ssphub.netlify.app/infolettre/2026-06/>\r\n"
	    "Precedence: bulk\r\n"
	    "Content-Type: multipart/alternative;"));
	CHECK(strstr(msg, MIME_SLOT_TOKEN) == NULL);
	free(msg);

	/* no URL: no One-Click header; no Reply-To, no archive */
	in.unsub_url = NULL;
	in.reply_to = NULL;
	in.archive_url = "";
	msg = make(&in, &camille, NULL);
	if (msg) {
		CHECK(strstr(msg, "List-Unsubscribe: <mailto:") != NULL);
		CHECK(strstr(msg, "List-Unsubscribe-Post") == NULL);
		CHECK(strstr(msg, "Reply-To") == NULL);
		CHECK(strstr(msg, "List-Archive") == NULL);
	}
	free(msg);

	CHECK_INT(mime_build(&in, &m, &err), 0);
	id = mime_message_id(m, &camille);
	CHECK_STR(id, "2026-06." TOKEN "@ssphub.example.fr");
	free(id);
	struct mime_recipient bad = { NULL, "x@example.fr", "TOOSHORT", 0 };
	CHECK(mime_message_id(m, &bad) == NULL);
	mime_msg_free(m);
}

static void
names(void)
{
	static const struct { const char *name, *want; } v[] = {
		{ "Camille Exemple", "To: Camille Exemple <c@example.fr>\r\n" },
		{ "Dupont, Jean", "To: \"Dupont, Jean\" <c@example.fr>\r\n" },
		{ "Jean \"JD\" D.", "To: \"Jean \\\"JD\\\" D.\" <c@example.fr>\r\n" },
		{ "", "To: c@example.fr\r\n" },
		{ NULL, "To: c@example.fr\r\n" },
		{ "Élodie Lefèvre", "To: =?UTF-8?Q?=C3=89lodie_Lef=C3=A8vre?= "
		    "<c@example.fr>\r\n" },
		/* white space runs read as one space, the ends trimmed */
		{ " \tCamille  \xc2\xa0" "Exemple\xe2\x80\xa8", "To: Camille "
		    "Exemple <c@example.fr>\r\n" },
		{ " \t\xc2\xa0 ", "To: c@example.fr\r\n" },
		/* something like an encoded-word is encoded, not quoted (readers
		 * decode encoded-words inside quotes) */
		{ "=?utf-8?q?Support?=", "To: =?UTF-8?Q?=3D=3Futf-8=3Fq=3FSupport"
		    "=3F=3D?= <c@example.fr>\r\n" },
		{ "(=?x?) Dupont", "To: =?UTF-8?Q?=28=3D=3Fx=3F=29?= Dupont "
		    "<c@example.fr>\r\n" },
	};
	struct mime_input in = input();
	struct mime_msg *m;
	char *err = NULL;

	CHECK_INT(mime_build(&in, &m, &err), 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct mime_recipient r = { v[i].name, "c@example.fr", TOKEN, 0 };
		struct buf b = BUF_INIT;
		CHECK_INT(mime_fill(m, &r, &b, &err), 0);
		CHECK(strstr(buf_str(&b), v[i].want) != NULL);
		if (unit_failed_) {
			printf("  (name %s)\n", v[i].name ? v[i].name : "NULL");
			break;
		}
		buf_free(&b);
	}
	mime_msg_free(m);
}

static void
injection_refused(void)
{
	struct mime_input in = input();
	struct mime_msg *m = NULL;
	char *err = NULL;

	in.subject = "Hello\r\nBcc: victim@example.org";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	CHECK(m == NULL && err && strstr(err, "subject"));
	drop(&err);
	in = input();
	in.list_title = "Title\nBcc: victim@example.org";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	in = input();
	in.from = "Hub\r\nBcc: victim@example.org <a@example.org>";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	in = input();
	in.from = "Hub <a@example.org>\r\nBcc: victim@example.org";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	in = input();
	in.reply_to = "a@example.org\nBcc: victim@example.org";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	in = input();
	in.unsub_url = "https://x.example/?t=a\r\nBcc: v@example.org";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	in = input();
	in.from = "not an address";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	drop(&err);
	CHECK(m == NULL);

	/* the recipient, at fill time: nothing is appended */
	in = input();
	CHECK_INT(mime_build(&in, &m, &err), 0);
	static const struct mime_recipient bad[] = {
		{ "Eve\r\nBcc: victim@example.org", "eve@example.org", TOKEN, 0 },
		{ "Eve\nX: y", "eve@example.org", TOKEN, 0 },
		{ "Eve", "eve@example.org\r\nBcc: victim@example.org", TOKEN, 0 },
		{ "Eve", "eve@example.org>, <victim@example.org", TOKEN, 0 },
		{ "Eve", "not-an-address", TOKEN, 0 },
		{ "Eve", "eve@", TOKEN, 0 },
		{ "Eve", "eve@example.org", "abc", 0 },
		{ "Eve", "eve@example.org", TOKEN "a", 0 },
		{ "Eve", "eve@example.org", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 0 },
		{ "Eve", "eve@example.org", "abcdefghijklmnopqrstuvwxyz012345", 0 },
		{ "Eve", "eve@example.org", NULL, 0 },
		/* the year 10000 */
		{ "Eve", "eve@example.org", TOKEN, 253402300800LL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		CHECK_INT(mime_fill(m, &bad[i], &b, &err), EX_DATAERR);
		CHECK(b.len == 0);
		if (unit_failed_) {
			printf("  (case %zu)\n", i);
			break;
		}
		drop(&err);
	}
	mime_msg_free(m);
}

static void
deterministic(void)
{
	struct mime_input in = input();
	char *a, *b, *c, host[256] = "";
	const char *bd;

	in.images = images;
	in.nimages = 2;
	a = make(&in, &camille, NULL);
	b = make(&in, &camille, NULL);
	CHECK(a && b && strcmp(a, b) == 0);
	in.seed = "another seed";
	c = make(&in, &camille, NULL);
	CHECK(a && c && strcmp(a, c) != 0);
	/* the boundaries changed, nothing else did */
	if (a && c) {
		char *ba = NULL, *bc = NULL;
		bd = strstr(a, "boundary=\"");
		ba = bd ? xstrndup(bd + 10, strcspn(bd + 10, "\"")) : NULL;
		bd = strstr(c, "boundary=\"");
		bc = bd ? xstrndup(bd + 10, strcspn(bd + 10, "\"")) : NULL;
		CHECK(ba && bc && strcmp(ba, bc) != 0);
		CHECK(ba && strlen(ba) >= 20);
		if (ba && bc) {
			char *a2 = replace(a, ba, "B"), *c2 = replace(c, bc, "B");
			char *r1, *r2;
			bd = strstr(a2, "boundary=\"=_rel");
			r1 = bd ? xstrndup(bd + 10, strcspn(bd + 10, "\"")) : NULL;
			bd = strstr(c2, "boundary=\"=_rel");
			r2 = bd ? xstrndup(bd + 10, strcspn(bd + 10, "\"")) : NULL;
			CHECK(r1 && r2);
			if (r1 && r2) {
				char *a3 = replace(a2, r1, "R"), *c3 = replace(c2, r2, "R");
				CHECK_STR(a3, c3);
				free(a3);
				free(c3);
			}
			free(r1);
			free(r2);
			free(a2);
			free(c2);
		}
		free(ba);
		free(bc);
	}
	/* nothing from the machine */
	if (gethostname(host, sizeof(host) - 1) == 0 && strlen(host) >= 6)
		CHECK(a && strstr(a, host) == NULL);
	free(a);
	free(b);
	free(c);
}

/* The encoded text body of msg (the first quoted-printable part). */
static char *
qp_body(const char *msg)
{
	const char *p = strstr(msg, "quoted-printable\r\n\r\n"), *e;

	if (!p)
		return NULL;
	p += strlen("quoted-printable\r\n\r\n");
	e = strstr(p, "\r\n--=_");
	return e ? xstrndup(p, (size_t)(e - p)) : NULL;
}

/* A text ending in the first letters of a slot: written as it is. Reading
 * it went past its end (memcmp of a slot's length), which fuzz_mime found
 * under clang's ASan; that input stays in fuzz/corpus/fuzz_mime, which
 * t_fuzz runs (gcc's ASan here does not see the over-read). */
static void
slot_prefix_at_end(void)
{
	struct mime_input in = input();
	char *text = xstrdup("Bonjour\nTOKENSLOT"), *msg;

	in.text = text;
	msg = make(&in, &camille, NULL);
	CHECK(msg != NULL && strstr(msg, "\r\nTOKENSLOT\r\n") != NULL);
	free(msg);
	free(text);
}

static void
quoted_printable(void)
{
	struct mime_input in = input();
	struct buf t = BUF_INIT;
	struct mailmime *mm = NULL;
	char *msg, *qp;
	size_t len, idx = 0;

	buf_puts(&t, "trailing space \nand tab\t\nequals = sign a=b\r\n"
	    "From the start\n.\n");
	for (int i = 0; i < 300; i++)
		buf_puts(&t, i % 7 ? "é" : "x=");
	buf_puts(&t, "\n");
	for (int i = 0; i < 3000; i++)
		buf_putc(&t, 'a' + i % 26);
	buf_puts(&t, "\nend   ");
	in.text = t.data;
	msg = make(&in, &camille, &len);
	if (!msg)
		return;
	CHECK(lines_ok(msg, len, true));
	qp = qp_body(msg);
	CHECK(qp != NULL);
	for (const char *p = qp, *e; p && *p; p = e + (*e ? 2 : 0)) {
		e = strstr(p, "\r\n");
		if (!e)
			e = p + strlen(p);
		size_t n = (size_t)(e - p);
		CHECK(n <= 76);
		if (n)
			CHECK(p[n - 1] != ' ' && p[n - 1] != '\t');
		for (size_t i = 0; i < n; i++)
			if (p[i] == '=')
				CHECK(i + 1 == n || (i + 2 < n &&
				    strchr("0123456789ABCDEF", p[i + 1]) &&
				    strchr("0123456789ABCDEF", p[i + 2])));
		if (unit_failed_) {
			printf("  (line: %.*s)\n", (int)n, p);
			break;
		}
	}
	CHECK(strstr(qp, "space=20\r\nand tab=09\r\n") != NULL);
	CHECK(strstr(qp, "equals =3D sign a=3Db\r\n=46rom the start\r\n=2E\r\n"));
	CHECK(strstr(qp, "end  =20") != NULL);
	CHECK_INT(mailmime_parse(msg, len, &idx, &mm), MAILIMF_NO_ERROR);
	if (mm) {
		char *text = decoded(child(mm->mm_data.mm_message.mm_msg_mime, 0),
		    NULL);
		char *want = crlf(t.data);
		CHECK_STR(text, want);
		free(text);
		free(want);
		mailmime_free(mm);
	}
	free(qp);
	free(msg);
	buf_free(&t);
}

static void
base64_lines(void)
{
	struct mime_input in = input();
	struct mime_image big = images[0];
	unsigned char *data = xmalloc(10000);
	char *msg, *p;
	size_t len;
	int lines = 0;

	for (int i = 0; i < 10000; i++)
		data[i] = (unsigned char)(i * 31 + 7);
	big.data = data;
	big.len = 10000;
	in.images = &big;
	in.nimages = 1;
	msg = make(&in, &camille, &len);
	p = msg ? strstr(msg, "Content-Transfer-Encoding: base64\r\n") : NULL;
	CHECK(p != NULL);
	if (p)
		p = strstr(p, "\r\n\r\n");
	for (p = p ? p + 4 : NULL; p && strncmp(p, "--", 2) != 0; ) {
		char *e = strstr(p, "\r\n");
		if (!e)
			break;
		CHECK(e - p <= 76);
		if (e - p == 0)
			break;
		lines++;
		p = e + 2;
	}
	CHECK_INT(lines, (10000 + 56) / 57);
	free(msg);
	free(data);
}

/* The marker at every column of a long line and right after encoded
 * characters: never cut by a soft break, always replaced whole. */
static void
slots_never_split(void)
{
	struct mime_input in = input();
	struct mime_msg *m;
	struct buf t = BUF_INIT, h = BUF_INIT, out = BUF_INIT;
	char *err = NULL;
	int count = 0;

	for (int k = 0; k < 160; k++) {
		for (int i = 0; i < k; i++)
			buf_putc(&t, 'a');
		buf_puts(&t, MIME_SLOT_TOKEN);
		buf_puts(&t, k % 3 ? "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n" : "é=\n");
		for (int i = 0; i < k % 25; i++)
			buf_puts(&h, "é");
		buf_puts(&h, "=" MIME_SLOT_TOKEN);
		count++;
	}
	buf_puts(&h, MIME_SLOT_TOKEN MIME_SLOT_TOKEN "\n");
	in.text = t.data;
	in.html = h.data;
	CHECK_INT(mime_build(&in, &m, &err), 0);
	CHECK_INT(mime_fill(m, &camille, &out, &err), 0);
	CHECK(strstr(out.data, MIME_SLOT_TOKEN) == NULL);
	CHECK(strstr(out.data, "TOKENSLOT") == NULL);
	int seen = 0;
	for (const char *p = out.data; (p = strstr(p, TOKEN)) != NULL; p++)
		seen++;
	/* text + html + Message-ID + two in List-Unsubscribe */
	CHECK_INT(seen, 2 * count + 2 + 3);
	CHECK(lines_ok(out.data, out.len, true));
	/* a second fill with another token changes exactly those bytes */
	struct mime_recipient r2 = camille;
	struct buf out2 = BUF_INIT;
	r2.token = TOKEN2;
	CHECK_INT(mime_fill(m, &r2, &out2, &err), 0);
	CHECK_INT(out2.len, out.len);
	char *back = replace(out2.data, TOKEN2, TOKEN);
	CHECK_STR(back, out.data);
	free(back);
	buf_free(&out2);
	buf_free(&out);
	buf_free(&t);
	buf_free(&h);
	mime_msg_free(m);
}

/* A recipient's own Date replaces the template's and changes nothing
 * else; a day of one digit is written so. */
static void
own_date(void)
{
	struct mime_input in = input();
	struct mime_recipient r = camille;
	char *a = make(&in, &camille, NULL), *b;
	const char *da, *db;

	r.date = 1780995845; /* Tue, 9 Jun 2026 09:04:05 +0000 */
	b = make(&in, &r, NULL);
	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	da = strstr(a, "\r\nDate: ");
	db = strstr(b, "\r\nDate: ");
	CHECK(da && str_starts(da, "\r\nDate: Tue, 16 Jun 2026 08:00:00 +0000\r\n"));
	CHECK(db && str_starts(db, "\r\nDate: Tue, 9 Jun 2026 09:04:05 +0000\r\n"));
	/* the same bytes before and after the Date line */
	if (da && db) {
		size_t la = strlen(a), lb = strlen(b), ha = (size_t)(da - a);
		const char *ea = strstr(da + 2, "\r\n"), *eb = strstr(db + 2, "\r\n");

		CHECK(ha == (size_t)(db - b) && memcmp(a, b, ha) == 0);
		CHECK(la - (size_t)(ea - a) == lb - (size_t)(eb - b));
		CHECK(strcmp(ea, eb) == 0);
	}
	free(a);
	free(b);
}

static void
fill_appends(void)
{
	struct mime_input in = input();
	struct mime_msg *m;
	struct buf out = BUF_INIT;
	char *err = NULL, *one;
	size_t n;

	CHECK_INT(mime_build(&in, &m, &err), 0);
	buf_puts(&out, "X-Before: 1\r\n");
	CHECK_INT(mime_fill(m, &camille, &out, &err), 0);
	n = out.len;
	CHECK_INT(mime_fill(m, &camille, &out, &err), 0);
	one = make(&in, &camille, NULL);
	CHECK(one && out.len == 13 + 2 * strlen(one));
	CHECK(one && memcmp(out.data + 13, one, strlen(one)) == 0);
	CHECK(one && memcmp(out.data + n, one, strlen(one)) == 0);
	free(one);
	buf_free(&out);
	mime_msg_free(m);
}

static void
bench_fill(void)
{
	struct mime_input in = input();
	struct mime_msg *m;
	struct buf html = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	char *err = NULL;
	struct timespec t0, t1;
	long n = 0;
	double secs;

	while (html.len < 30000)
		buf_puts(&html, "<tr><td style=\"padding:0 24px;\"><a href=\"https://"
		    "ssphub.netlify.app/blog/article/\">Les données « ouvertes »"
		    "</a> — déjà publiées ?t=" MIME_SLOT_TOKEN "</td></tr>\n");
	while (text.len < 10000)
		buf_puts(&text, "Les données « ouvertes » sont déjà publiées, à "
		    "lire sur https://ssphub.netlify.app/blog/article/\n");
	in.html = html.data;
	in.text = text.data;
	CHECK_INT(mime_build(&in, &m, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++) {
			buf_reset(&out);
			CHECK_INT(mime_fill(m, &camille, &out, &err), 0);
		}
		n += 1000;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (secs < 0.3);
	printf("# mime_fill: %.0f messages/s of %zu bytes\n", (double)n / secs,
	    out.len);
	CHECK(out.len > 40000);
	buf_free(&out);
	buf_free(&html);
	buf_free(&text);
	mime_msg_free(m);
}

/* ---- sample messages for tests/t_mime.sh ---- */

static int
write_str(const char *dir, const char *name, const char *ext, const void *s,
	size_t n)
{
	char *path = xasprintf("%s/%s.%s", dir, name, ext);
	int rc = write_file_atomic(path, s, n, 0644);

	free(path);
	return rc;
}

struct sample {
	const char *name, *subject, *from, *from_name, *to_name, *to_email;
	const char *list_title, *text, *html;
	size_t nimages;
	bool unsub_url;
};

static int
write_sample(const char *dir, const struct sample *v)
{
	struct mime_input in = input();
	struct mime_recipient r = { v->to_name, v->to_email, TOKEN, 0 };
	char *msg, *text, *html;
	size_t len;
	int rc = 0;

	in.subject = v->subject;
	in.from = v->from;
	in.list_title = v->list_title;
	in.text = v->text;
	in.html = v->html;
	in.images = images;
	in.nimages = v->nimages;
	if (!v->unsub_url)
		in.unsub_url = NULL;
	msg = make(&in, &r, &len);
	if (!msg) {
		printf("  (sample %s)\n", v->name);
		return 1;
	}
	text = replace(v->text, MIME_SLOT_TOKEN, TOKEN);
	html = replace(v->html, MIME_SLOT_TOKEN, TOKEN);
	rc |= write_str(dir, v->name, "eml", msg, len);
	rc |= write_str(dir, v->name, "subject", v->subject,
	    strlen(v->subject));
	rc |= write_str(dir, v->name, "from_name", v->from_name,
	    strlen(v->from_name));
	rc |= write_str(dir, v->name, "to_name", v->to_name,
	    strlen(v->to_name));
	rc |= write_str(dir, v->name, "list_title", v->list_title,
	    strlen(v->list_title));
	rc |= write_str(dir, v->name, "text", text, strlen(text));
	rc |= write_str(dir, v->name, "html", html, strlen(html));
	free(msg);
	free(text);
	free(html);
	return rc;
}

/*
 * Generated header texts, the same every run (a fixed seed): pieces an
 * editor or a subscriber could write, and those that trip encoders (a
 * word that looks like an encoded-word, tabs, runs of spaces, quotes and
 * backslashes, specials, combining marks, joiners, right-to-left text,
 * words too long for one encoded-word, U+0085 and U+2028, which some
 * readers take for line ends), joined by one space or none.
 * tests/t_mime.sh reads every gen*.eml back with Python's email package.
 */
#define NGENERATED 300

static const char *const gen_pieces[] = {
	"Infolettre", "de", "juin", "2026", ":", "«", "»", "é", "Données",
	"l’été", "🎉", "👩\u200d👩\u200d👧", "e\xcc\x81", "مرحبا", "統計データ",
	"\t", " ", "  ", "\"", "\\", "(", ")", ",", ";", "<", ">", "@", ".",
	"=?", "?=", "=?utf-8?q?x?=", "=?UTF-8?B?w6k=?=", "_", "?", "=", "'",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"ééééééééééééééééééééééééééééééééééééééééé", "\xc2\xa0", "\xc2\x85",
	"\xe2\x80\xa8", "\xef\xbb\xbf", "-", "SSP", "Hub", "x",
};

static unsigned long long gen_state = 0x9e3779b97f4a7c15ULL;

static unsigned
gen_next(unsigned n)
{
	gen_state ^= gen_state << 13;
	gen_state ^= gen_state >> 7;
	gen_state ^= gen_state << 17;
	return (unsigned)(gen_state % n);
}

/* 1 to max pieces; never empty. */
static char *
gen_text(unsigned max)
{
	struct buf b = BUF_INIT;
	unsigned n = 1 + gen_next(max);

	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && gen_next(4) != 0)
			buf_putc(&b, ' ');
		buf_puts(&b, gen_pieces[gen_next(sizeof(gen_pieces) /
		    sizeof(gen_pieces[0]))]);
	}
	return buf_detach(&b);
}

static int
write_generated(const char *dir)
{
	int rc = 0;

	for (int i = 0; i < NGENERATED && !rc; i++) {
		char *subject = gen_text(16), *from_name = gen_text(6);
		char *to_name = gen_text(6), *title = gen_text(8);
		char *name = xasprintf("gen%03d", i);
		struct buf from = BUF_INIT;

		/* the From of the configuration as a quoted-string */
		buf_putc(&from, '"');
		for (const char *p = from_name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&from, '\\');
			buf_putc(&from, *p);
		}
		buf_puts(&from, "\" <infolettre@ssphub.example.fr>");
		struct sample v = { name, subject, from.data, from_name,
			to_name, "gen@example.fr", title, "Texte\n",
			"<p>Texte</p>\n", 0, true };
		rc |= write_sample(dir, &v);
		free(subject);
		free(from_name);
		free(to_name);
		free(title);
		free(name);
		buf_free(&from);
	}
	return rc;
}

static int
write_samples(const char *dir)
{
	struct buf longtext = BUF_INIT, longsubj = BUF_INIT;
	int rc = 0;

	for (int i = 0; i < 400; i++)
		buf_puts(&longtext, "Une très longue description sans retour à la "
		    "ligne, avec « guillemets » et = signes ; ");
	buf_puts(&longtext, "\nhttps://ssphub.example.fr/desinscription?t="
	    MIME_SLOT_TOKEN "\n");
	for (int i = 0; i < 4; i++)
		buf_puts(&longsubj, "L’infolettre de juin : « Données, modèles et "
		    "visualisation » 🎉 ");
	buf_puts(&longsubj, "fin");

	const struct sample v[] = {
		{ "images", "Infolettre de juin 2026 : « Données ouvertes » 🎉 "
		    "et tout ce qu’il faut savoir avant l’été",
		  "Équipe du SSP Hub <infolettre@ssphub.example.fr>",
		  "Équipe du SSP Hub", "Dupont, Jean", "jean.dupont@example.fr",
		  "Infolettre du SSP Hub",
		  "Bonjour à tous,\n\nÀ lire : https://ssphub.netlify.app/blog/\n"
		  "Se désinscrire : https://ssphub.example.fr/desinscription?t="
		  MIME_SLOT_TOKEN "\n",
		  "<p>Bonjour à tous</p>\n<img src=\"cid:img1.2026-06@ssphub.example"
		  ".fr\" alt=\"logo\" width=\"120\">\n<img src=\"cid:img2.2026-06@"
		  "ssphub.example.fr\" alt=\"carte\" width=\"120\">\n<a href=\"https:"
		  "//ssphub.example.fr/desinscription?t=" MIME_SLOT_TOKEN "\">"
		  "Se désinscrire</a>\n", 2, true },
		{ "noimages", "Monthly newsletter, June 2026",
		  "infolettre@ssphub.example.fr", "", "Camille Exemple",
		  "camille@example.fr", "",
		  "Hello\n", "<p>Hello</p>\n", 0, false },
		{ "quotes", "  two leading,  double  and trailing spaces  ",
		  "\"Hub, SSP \\\"officiel\\\"\" <hub@ssphub.example.fr>",
		  "Hub, SSP \"officiel\"", "Jean \"JD\" Dupont, Jr. (\\o/)",
		  "jd@example.fr", "L'infolettre, « officielle »",
		  "Texte\n", "<p>Texte</p>", 1, true },
		{ "long", longsubj.data,
		  "Service statistique ministériel de l’Agriculture, de "
		  "l’Alimentation et de la Forêt <ssm@ssphub.example.fr>",
		  "Service statistique ministériel de l’Agriculture, de "
		  "l’Alimentation et de la Forêt",
		  "Marie-Thérèse Lefèvre-Bénard de la Roche-Guyon, née Müller",
		  "mtl@example.fr", "Infolettre du réseau des data scientists",
		  longtext.data, longtext.data, 1, true },
		{ "emoji", "🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳🎉🎊🥳",
		  "🎉 Fête 🎉 <fete@ssphub.example.fr>", "🎉 Fête 🎉",
		  "Zoë 🌞", "zoe@example.fr", "🎉", "☀\n", "<p>☀</p>", 0, true },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && !rc; i++)
		rc |= write_sample(dir, &v[i]);
	rc |= write_generated(dir);
	rc |= write_str(dir, "image", "png", png, sizeof(png));
	buf_free(&longtext);
	buf_free(&longsubj);
	return rc != 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--eml") == 0)
		return write_samples(argv[2]);
	RUN(words_ascii);
	RUN(words_accents);
	RUN(words_emoji);
	RUN(words_long);
	RUN(structure);
	RUN(no_images_no_related);
	RUN(headers);
	RUN(names);
	RUN(injection_refused);
	RUN(deterministic);
	RUN(quoted_printable);
	RUN(slot_prefix_at_end);
	RUN(base64_lines);
	RUN(slots_never_split);
	RUN(own_date);
	RUN(fill_appends);
	RUN(bench_fill);
	return 0;
}
