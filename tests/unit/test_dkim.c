/* test_dkim.c - DKIM: relaxed canonicalisation (RFC 6376's examples and
 * the corner cases), keys (generation, file modes, algorithms), the
 * signature header (h=, over-signing, t=, folding, determinism); RSA
 * with libcrypto against GnuTLS, byte for byte; keys whose parts
 * disagree; a signing benchmark.
 * Other modes, for tests/t_dkim.sh:
 *   --messages DIR N ALG:KEYFILE:SELECTOR...   N messages from mime_fill,
 *       each signed with the keys, as DIR/NNN.eml
 *   --canon-body FILE, --canon-header FILE     the relaxed form on stdout
 *   --bench ALG:KEYFILE:SELECTOR               the benchmark alone */
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dkim.h"
#include "dkim_rsa.h"
#include "mime.h"
#include "unit.h"
#include "util.h"

#define DOMAIN "ssphub.example.fr"

static char tmpdir[64];
static char *rsa_key, *ed_key;

static void
drop(char **err)
{
	free(*err);
	*err = NULL;
}

static char *
canon_body(const char *s)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, ""); /* a string even when empty */
	dkim_canon_body(&b, s, strlen(s));
	return buf_detach(&b);
}

static char *
canon_header(const char *s)
{
	struct buf b = BUF_INIT;

	dkim_canon_header(&b, s, strlen(s));
	return buf_detach(&b);
}

#define CHECK_CANON(fn, in, want) do { char *got_ = fn(in); \
	CHECK_STR(got_, want); free(got_); } while (0)

/* RFC 6376 3.4.5 */
static void
canon_rfc_example(void)
{
	CHECK_CANON(canon_header, "A: X\r\n", "a:X\r\n");
	CHECK_CANON(canon_header, "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n");
	CHECK_CANON(canon_body, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n");
}

static void
canon_header_cases(void)
{
	/* the name lowercased, WSP around the colon dropped */
	CHECK_CANON(canon_header, "SUBJECT \t:   Hello  World \t",
	    "subject:Hello World\r\n");
	/* unfolded; the folding whitespace becomes one space */
	CHECK_CANON(canon_header, "To: a@b.example,\r\n  c@d.example\r\n",
	    "to:a@b.example, c@d.example\r\n");
	/* a fold right after the colon */
	CHECK_CANON(canon_header, "List-Id:\r\n <x.example>", "list-id:<x.example>\r\n");
	/* an empty value */
	CHECK_CANON(canon_header, "X-Empty:  \r\n", "x-empty:\r\n");
	CHECK_CANON(canon_header, "X-Empty:", "x-empty:\r\n");
	/* the value keeps its case */
	CHECK_CANON(canon_header, "Message-ID: <AbC@Example>",
	    "message-id:<AbC@Example>\r\n");
}

static void
canon_body_cases(void)
{
	/* an empty body stays empty; only empty lines: empty */
	CHECK_CANON(canon_body, "", "");
	CHECK_CANON(canon_body, "\r\n", "");
	CHECK_CANON(canon_body, "\r\n\r\n\r\n", "");
	CHECK_CANON(canon_body, " \t \r\n\t\r\n", "");
	/* trailing blank lines dropped, the last line keeps its CRLF */
	CHECK_CANON(canon_body, "a\r\n\r\n\r\n", "a\r\n");
	CHECK_CANON(canon_body, "a\r\n \r\n\t \r\n", "a\r\n");
	/* blank lines inside stay, emptied of their WSP */
	CHECK_CANON(canon_body, "a\r\n  \r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n");
	/* a missing final CRLF is added */
	CHECK_CANON(canon_body, "a", "a\r\n");
	CHECK_CANON(canon_body, "a\r\nb", "a\r\nb\r\n");
	/* WSP runs: one space inside, none at the end, one at the start */
	CHECK_CANON(canon_body, "a \t  b\t \r\n", "a b\r\n");
	CHECK_CANON(canon_body, "\t\tx  y \r\n", " x y\r\n");
	CHECK_CANON(canon_body, "x\t\r\n", "x\r\n");
	/* only CRLF ends a line: a bare LF or CR is text */
	CHECK_CANON(canon_body, "a\nb \r\n", "a\nb\r\n");
	CHECK_CANON(canon_body, "a \rb\r\n", "a \rb\r\n");
	CHECK_CANON(canon_body, "a\r\r\n", "a\r\r\n");
	/* a quoted-printable soft break is text like any other */
	CHECK_CANON(canon_body, "abc=\r\ndef\r\n", "abc=\r\ndef\r\n");
}

/* Appending keeps what was there. */
static void
canon_appends(void)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "X");
	dkim_canon_body(&b, "a  b\r\n\r\n", 8);
	CHECK_STR(b.data, "Xa b\r\n");
	dkim_canon_header(&b, "K:  v ", 6);
	CHECK_STR(b.data, "Xa b\r\nk:v\r\n");
	buf_free(&b);
}

/* ---- keys ---- */

static int
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
keygen(void)
{
	char *err = NULL, *again;
	mode_t old = umask(0);

	/* even with umask 0 the key is 0600 */
	CHECK_INT(dkim_keygen("rsa-sha256", rsa_key, &err), 0);
	CHECK_INT(dkim_keygen("ed25519-sha256", ed_key, &err), 0);
	umask(old);
	if (err)
		printf("# %s\n", err);
	drop(&err);
	CHECK_INT(mode_of(rsa_key), 0600);
	CHECK_INT(mode_of(ed_key), 0600);
	/* never overwritten */
	CHECK_INT(dkim_keygen("ed25519-sha256", rsa_key, &err), EX_CANTCREAT);
	CHECK(err && strstr(err, "exists already"));
	drop(&err);
	CHECK_INT(dkim_keygen("dsa-sha1", "/nonexistent/x", &err), EX_USAGE);
	drop(&err);
	again = xasprintf("%s/nodir/k.pem", tmpdir);
	CHECK_INT(dkim_keygen("ed25519-sha256", again, &err), EX_CANTCREAT);
	drop(&err);
	free(again);
}

static void
key_checks(void)
{
	struct dkim *d = dkim_new();
	char *err = NULL, *copy = xasprintf("%s/copy.pem", tmpdir), *rec;
	struct buf pem = BUF_INIT;
	char *data;
	size_t len;

	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s1", "rsa-sha256", rsa_key,
	    &err), 0);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s2", "ed25519-sha256", ed_key,
	    &err), 0);
	CHECK_INT(dkim_nkeys(d), 2);
	rec = dkim_record(d, 0);
	/* RSA-2048: "v=DKIM1; k=rsa; p=" and 392 base64 characters, in
	 * strings of at most 255 */
	CHECK(str_starts(rec, "s1._domainkey." DOMAIN " IN TXT \"v=DKIM1; "
	    "k=rsa; p=MIIBIjAN"));
	CHECK(strstr(rec, "\" \"") != NULL);
	{
		const char *q = strchr(rec, '"');
		while (q) {
			const char *e = strchr(q + 1, '"');
			CHECK(e && e - q - 1 <= 255);
			q = e ? strchr(e + 1, '"') : NULL;
		}
	}
	free(rec);
	rec = dkim_record(d, 1);
	CHECK(str_starts(rec, "s2._domainkey." DOMAIN " IN TXT \"v=DKIM1; "
	    "k=ed25519; p="));
	CHECK_INT(strlen(rec) - strlen("s2._domainkey." DOMAIN " IN TXT "
	    "\"v=DKIM1; k=ed25519; p=\""), 44);
	free(rec);
	dkim_free(d);

	d = dkim_new();
	/* the algorithm must match the key */
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "ed25519-sha256", rsa_key,
	    &err), EX_CONFIG);
	CHECK(err && strstr(err, "not one for ed25519-sha256"));
	drop(&err);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "rsa-sha256", ed_key,
	    &err), EX_CONFIG);
	drop(&err);
	/* a key readable by others is refused */
	CHECK_INT(read_file(ed_key, 1 << 16, &data, &len), 0);
	CHECK_INT(write_file_atomic(copy, data, len, 0644), 0);
	chmod(copy, 0644);
	CHECK_INT(dkim_add_key(d, "dkim.key_file", DOMAIN, "s",
	    "ed25519-sha256", copy, &err), EX_NOPERM);
	CHECK(err && strstr(err, "chmod 600"));
	drop(&err);
	chmod(copy, 0640);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "ed25519-sha256", copy,
	    &err), EX_NOPERM);
	drop(&err);
	chmod(copy, 0600);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "ed25519-sha256", copy,
	    &err), 0);
	/* not a key; no file */
	CHECK_INT(write_file_atomic(copy, "hello\n", 6, 0600), 0);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "ed25519-sha256", copy,
	    &err), EX_CONFIG);
	drop(&err);
	unlink(copy);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s", "ed25519-sha256", copy,
	    &err), EX_NOINPUT);
	drop(&err);
	/* selectors and domains that could inject tags */
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "s; l=1", "ed25519-sha256",
	    ed_key, &err), EX_CONFIG);
	drop(&err);
	CHECK_INT(dkim_add_key(d, "k", "a..b", "s", "ed25519-sha256", ed_key,
	    &err), EX_CONFIG);
	drop(&err);
	CHECK_INT(dkim_add_key(d, "k", DOMAIN, "", "ed25519-sha256", ed_key,
	    &err), EX_CONFIG);
	drop(&err);
	CHECK_INT(dkim_nkeys(d), 1);
	memset(data, 0, len);
	free(data);
	buf_free(&pem);
	free(copy);
	dkim_free(d);
}

/* ---- signing ---- */

static const char plain_msg[] =
    "From: SSP Hub <infolettre@ssphub.example.fr>\r\n"
    "To: Camille <camille@example.fr>\r\n"
    "Subject: Infolettre de juin\r\n"
    "Date: Tue, 16 Jun 2026 08:00:00 +0000\r\n"
    "Message-ID: <2026-06.x@ssphub.example.fr>\r\n"
    "MIME-Version: 1.0\r\n"
    "List-Id: Infolettre <infolettre.ssphub.example.fr>\r\n"
    "List-Unsubscribe: <https://ssphub.example.fr/d?t=abc>,\r\n"
    " <mailto:u+abc@ssphub.example.fr?subject=unsubscribe>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Bonjour  \r\n\r\n";

static struct dkim *
signer(bool rsa, bool ed)
{
	struct dkim *d = dkim_new();
	char *err = NULL;

	if (rsa)
		CHECK_INT(dkim_add_key(d, "k", DOMAIN, "rsa1", "rsa-sha256",
		    rsa_key, &err), 0);
	if (ed)
		CHECK_INT(dkim_add_key(d, "k", DOMAIN, "ed1",
		    "ed25519-sha256", ed_key, &err), 0);
	drop(&err);
	return d;
}

/* The value of tag in the first DKIM-Signature of s, unfolded. */
static char *
tag(const char *s, const char *name)
{
	struct buf b = BUF_INIT;
	const char *p = s, *end = strstr(s, "\r\n\r\n");
	size_t n = strlen(name);

	if (!end)
		end = s + strlen(s);
	while ((p = strstr(p, name)) != NULL && p < end) {
		if ((p[-1] == ' ' || p[-1] == ';') && p[n] == '=')
			break;
		p += n;
	}
	if (!p || p >= end)
		return NULL;
	for (p += n + 1; *p && *p != ';'; p++) {
		if (*p == '\r' && p[1] == '\n' && (p[2] == ' ' ||
		    p[2] == '\t')) {
			p += 2;
			continue;
		}
		if (*p == '\r' && p[1] == '\n')
			break;
		buf_putc(&b, *p);
	}
	return buf_detach(&b);
}

static void
sign_header(void)
{
	struct dkim *d = signer(false, true);
	struct buf m = BUF_INIT;
	char *err = NULL, *h, *bh;
	const char *sep;

	setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
	buf_puts(&m, plain_msg);
	CHECK_INT(dkim_sign(d, &m, &err), 0);
	CHECK(str_starts(m.data, "DKIM-Signature: v=1; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=" DOMAIN ";\r\n s=ed1; t="));
	/* the original follows untouched */
	sep = strstr(m.data, "\r\nFrom: ");
	CHECK(sep && strcmp(sep + 2, plain_msg) == 0);
	h = tag(m.data, "h");
	/* From, Subject and the List-* once more than they appear; Reply-To
	 * and List-Archive (absent) once */
	CHECK_STR(h, "From:From:Reply-To:To:Subject:Subject:Date:Message-ID:"
	    "MIME-Version:Content-Type:List-Id:List-Id:List-Unsubscribe:"
	    "List-Unsubscribe:List-Unsubscribe-Post:List-Unsubscribe-Post:"
	    "List-Archive");
	free(h);
	/* bh= of the canonical body "Bonjour\r\n" */
	bh = tag(m.data, "bh");
	CHECK_STR(bh, "6ChB4GHnZlb8dLjFYfz+IqaTD73X4fQZsXXpGNCJNjQ=");
	free(bh);
	h = tag(m.data, "t");
	CHECK_STR(h, "1781596800"); /* the Date, before the signing time */
	free(h);
	CHECK(tag(m.data, "l") == NULL);
	/* folded at 78 */
	for (const char *p = m.data; p < sep; ) {
		const char *e = strstr(p, "\r\n");
		CHECK(e && e - p <= 78);
		p = e + 2;
	}
	buf_free(&m);
	dkim_free(d);
	drop(&err);
}

/* t=: the Date, unless it is later than the signing time. */
static void
sign_timestamp(void)
{
	struct dkim *d = signer(false, true);
	struct buf m = BUF_INIT;
	char *err = NULL, *t;

	setenv("SOURCE_DATE_EPOCH", "1781596799", 1); /* a second before */
	buf_puts(&m, plain_msg);
	CHECK_INT(dkim_sign(d, &m, &err), 0);
	t = tag(m.data, "t");
	CHECK(t == NULL);
	free(t);
	t = tag(m.data, "bh"); /* tag() itself works */
	CHECK(t != NULL);
	free(t);
	/* without a Date: the signing time */
	buf_reset(&m);
	buf_puts(&m, "From: a@ssphub.example.fr\r\n\r\nx\r\n");
	CHECK_INT(dkim_sign(d, &m, &err), 0);
	t = tag(m.data, "t");
	CHECK_STR(t, "1781596799");
	free(t);
	/* a Date in another zone, with a comment */
	buf_reset(&m);
	buf_puts(&m, "From: a@ssphub.example.fr\r\nDate: Tue, 16 Jun 2026 "
	    "10:00:00 +0200 (CEST)\r\n\r\nx\r\n");
	setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
	CHECK_INT(dkim_sign(d, &m, &err), 0);
	t = tag(m.data, "t");
	CHECK_STR(t, "1781596800");
	free(t);
	buf_free(&m);
	dkim_free(d);
	drop(&err);
}

/* The same message and keys: the same bytes. */
static void
sign_deterministic(void)
{
	struct dkim *d = signer(true, true);
	struct buf a = BUF_INIT, b = BUF_INIT;
	char *err = NULL;

	setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
	buf_puts(&a, plain_msg);
	buf_puts(&b, plain_msg);
	CHECK_INT(dkim_sign(d, &a, &err), 0);
	CHECK_INT(dkim_sign(d, &b, &err), 0);
	CHECK_INT(a.len, b.len);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	/* dual: the RSA signature first, then the Ed25519 one */
	CHECK(str_starts(a.data, "DKIM-Signature: v=1; a=rsa-sha256;"));
	CHECK(strstr(a.data, "\r\nDKIM-Signature: v=1; a=ed25519-sha256;"));
	buf_free(&a);
	buf_free(&b);
	dkim_free(d);
	drop(&err);
}

static void
sign_refused(void)
{
	struct dkim *d = signer(false, true);
	struct buf m = BUF_INIT;
	char *err = NULL;

	buf_puts(&m, "To: a@example.fr\r\n\r\nx\r\n");
	CHECK_INT(dkim_sign(d, &m, &err), EX_DATAERR);
	CHECK_STR(m.data, "To: a@example.fr\r\n\r\nx\r\n");
	drop(&err);
	buf_reset(&m);
	buf_puts(&m, "From: a@example.fr\r\nno colon here\r\n\r\nx\r\n");
	CHECK_INT(dkim_sign(d, &m, &err), EX_DATAERR);
	drop(&err);
	buf_reset(&m);
	buf_puts(&m, " From: a@example.fr\r\n\r\nx\r\n");
	CHECK_INT(dkim_sign(d, &m, &err), EX_DATAERR);
	drop(&err);
	/* a message without a body is signed (the empty body) */
	buf_reset(&m);
	buf_puts(&m, "From: a@example.fr\r\n");
	CHECK_INT(dkim_sign(d, &m, &err), 0);
	{
		char *bh = tag(m.data, "bh");
		/* SHA-256 of nothing */
		CHECK_STR(bh, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
		free(bh);
	}
	/* no key, no signature: NULL is fine */
	buf_reset(&m);
	buf_puts(&m, "x");
	CHECK_INT(dkim_sign(NULL, &m, &err), 0);
	CHECK_STR(m.data, "x");
	buf_free(&m);
	dkim_free(d);
	drop(&err);
}

/* bh= as the whole body canonicalised and hashed gives it. */
static char *
expected_bh(const char *msg)
{
	const char *body = strstr(msg, "\r\n\r\n");
	struct buf c = BUF_INIT, b = BUF_INIT;
	unsigned char h[32];
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	body = body ? body + 4 : msg + strlen(msg);
	buf_puts(&c, "");
	dkim_canon_body(&c, body, strlen(body));
	gnutls_hash_fast(GNUTLS_DIG_SHA256, c.data, c.len, h);
	for (int i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)h[i] << 16 | (i + 1 < 32 ?
		    (unsigned)h[i + 1] << 8 : 0) | (i + 2 < 32 ? h[i + 2] : 0);
		buf_putc(&b, a[v >> 18]);
		buf_putc(&b, a[(v >> 12) & 63]);
		buf_putc(&b, i + 1 < 32 ? a[(v >> 6) & 63] : '=');
		buf_putc(&b, i + 2 < 32 ? a[v & 63] : '=');
	}
	buf_free(&c);
	return buf_detach(&b);
}

/* The body hash kept from one message to the next gives what the whole
 * body gives: bodies that differ in letters (the slots), in whitespace, in
 * line ends, in length, in any order. */
static void
body_cache(void)
{
	struct dkim *d = signer(false, true);
	struct buf base = BUF_INIT, m = BUF_INIT;
	static const char pool[] = "ab \t\r\nZ=";
	char *err = NULL;
	unsigned seed = 12345;

	buf_puts(&base, "From: a@ssphub.example.fr\r\n\r\n");
	for (int i = 0; i < 300; i++)
		buf_printf(&base, "%sline %d of  the body\t=\r\n%s", i % 7 ?
		    "" : "  ", i, i % 11 ? "" : "\r\n \r\n");
	buf_puts(&base, "\r\n\r\n");
	for (int round = 0; round < 400; round++) {
		char *want, *got;
		int n = (int)(seed % 4);

		buf_reset(&m);
		buf_put(&m, base.data, base.len);
		for (int k = 0; k < n; k++) {
			size_t at;
			seed = seed * 1103515245u + 12345u;
			at = 30 + seed % (base.len - 30);
			seed = seed * 1103515245u + 12345u;
			/* mostly letters, as the slots are */
			m.data[at] = round % 3 ? (char)('a' + seed % 26) :
			    pool[seed % (sizeof(pool) - 1)];
		}
		if (round % 50 == 49)
			buf_puts(&m, "tail\r\n");
		want = expected_bh(m.data);
		CHECK_INT(dkim_sign(d, &m, &err), 0);
		got = tag(m.data, "bh");
		CHECK_STR(got, want);
		free(want);
		free(got);
		if (unit_failed_)
			break;
	}
	buf_free(&base);
	buf_free(&m);
	dkim_free(d);
	drop(&err);
}

/* ---- RSA with libcrypto (dkim_rsa.c) ---- */

static gnutls_privkey_t
load_key(const char *path)
{
	gnutls_privkey_t k = NULL;
	gnutls_datum_t d;
	char *data;
	size_t len;

	CHECK_INT(read_file(path, 1 << 16, &data, &len), 0);
	if (unit_failed_)
		return NULL;
	d.data = (unsigned char *)data;
	d.size = (unsigned)len;
	CHECK_INT(gnutls_privkey_init(&k), 0);
	CHECK_INT(gnutls_privkey_import_x509_raw(k, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0), 0);
	free(data);
	if (unit_failed_) {
		gnutls_privkey_deinit(k);
		return NULL;
	}
	return k;
}

/* The bytes GnuTLS makes, for digests one after another (libcrypto's
 * blinding changes with each), and for keys of other sizes. */
static void
rsa_as_gnutls(void)
{
	static const char *const sizes[] = { "1024", "2048", "3072", "4095" };
	char *path = xasprintf("%s/rsa-other.pem", tmpdir);
	unsigned seed = 777;

	for (size_t ks = 0; ks < sizeof(sizes) / sizeof(*sizes); ks++) {
		gnutls_privkey_t k;
		struct dkim_rsa *r;
		char *cmd;

		if (strcmp(sizes[ks], "2048") == 0) {
			k = load_key(rsa_key);
		} else {
			cmd = xasprintf("openssl genpkey -algorithm RSA -pkeyopt "
			    "rsa_keygen_bits:%s -out %s 2>/dev/null", sizes[ks],
			    path);
			CHECK_INT(system(cmd), 0);
			free(cmd);
			k = load_key(path);
		}
		if (!k)
			break;
		r = dkim_rsa_new(k);
		CHECK(r != NULL);
		for (int i = 0; r && i < 40; i++) {
			unsigned char digest[32];
			gnutls_datum_t dd = { digest, sizeof(digest) }, sig;
			struct buf b = BUF_INIT;

			for (size_t j = 0; j < sizeof(digest); j++) {
				seed = seed * 1103515245u + 12345u;
				digest[j] = (unsigned char)(seed >> 16);
			}
			CHECK_INT(dkim_rsa_sign(r, digest, &b), 0);
			CHECK_INT(gnutls_privkey_sign_hash2(k,
			    GNUTLS_SIGN_RSA_SHA256, 0, &dd, &sig), 0);
			CHECK_INT(b.len, sig.size);
			CHECK(b.len == sig.size &&
			    memcmp(b.data, sig.data, b.len) == 0);
			gnutls_free(sig.data);
			buf_free(&b);
			if (unit_failed_)
				break;
		}
		dkim_rsa_free(r);
		gnutls_privkey_deinit(k);
	}
	unlink(path);
	free(path);
}

/* The inconsistent key in a key file: refused when it is read, or every
 * signature an error (GnuTLS's), the message left as it was. */
static void
bad_key_file(const gnutls_datum_t *m, const gnutls_datum_t *e,
	const gnutls_datum_t *d, const gnutls_datum_t *p,
	const gnutls_datum_t *q, const gnutls_datum_t *u,
	const gnutls_datum_t *e1, const gnutls_datum_t *e2)
{
	char *path = xasprintf("%s/rsa-bad.pem", tmpdir), *err = NULL;
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	struct dkim *dk = dkim_new();
	struct buf msg = BUF_INIT;
	int rc;

	CHECK_INT(gnutls_x509_privkey_init(&x), 0);
	if (gnutls_x509_privkey_import_rsa_raw2(x, m, e, d, p, q, u, e1,
	    e2) < 0 || gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM,
	    &pem) < 0) {
		printf("# GnuTLS cannot write the inconsistent key: not "
		    "tried\n");
		goto out;
	}
	CHECK_INT(write_file_atomic(path, pem.data, pem.size, 0600), 0);
	rc = dkim_add_key(dk, "k", DOMAIN, "s", "rsa-sha256", path, &err);
	if (rc != 0) {
		CHECK_INT(rc, EX_CONFIG);
		goto out;
	}
	buf_puts(&msg, plain_msg);
	CHECK_INT(dkim_sign(dk, &msg, &err), EX_SOFTWARE);
	CHECK(err && str_starts(err, "DKIM signature (rsa-sha256): "));
	CHECK_STR(msg.data, plain_msg);
out:
	unlink(path);
	free(path);
	free(err);
	buf_free(&msg);
	dkim_free(dk);
	gnutls_free(pem.data);
	gnutls_x509_privkey_deinit(x);
}

/* A key whose parts do not make one key: no signer (GnuTLS, which then
 * signs, refuses too). GnuTLS makes the CRT values again from d, p and q
 * when it imports them. p changed: n is not pq (dkim_rsa.c's check of the
 * parts, without which libcrypto would sign again with d, unnoticed); d
 * changed: the parts agree, but the probe signature does not verify. */
static void
rsa_inconsistent(void)
{
	static const char which[] = { 'p', 'd' };
	gnutls_privkey_t k = load_key(rsa_key);

	if (!k)
		return;
	for (size_t w = 0; w < sizeof(which); w++) {
		gnutls_datum_t m, e, d, p, q, u, e1, e2;
		gnutls_privkey_t bad = NULL;
		struct dkim_rsa *r;

		printf("# %c changed\n", which[w]);
		CHECK_INT(gnutls_privkey_export_rsa_raw2(k, &m, &e, &d, &p,
		    &q, &u, &e1, &e2, 0), 0);
		if (which[w] == 'p')
			p.data[p.size - 1] ^= 2;
		else
			d.data[d.size - 1] ^= 2;
		CHECK_INT(gnutls_privkey_init(&bad), 0);
		if (gnutls_privkey_import_rsa_raw(bad, &m, &e, &d, &p, &q, &u,
		    &e1, &e2) >= 0) {
			gnutls_datum_t h = { (unsigned char *)"0123456789abcdef"
			    "0123456789abcdef", 32 }, sig = { NULL, 0 };

			r = dkim_rsa_new(bad);
			CHECK(r == NULL);
			dkim_rsa_free(r);
			CHECK(gnutls_privkey_sign_hash2(bad,
			    GNUTLS_SIGN_RSA_SHA256, 0, &h, &sig) < 0);
			gnutls_free(sig.data);
			bad_key_file(&m, &e, &d, &p, &q, &u, &e1, &e2);
		} else {
			printf("# GnuTLS refuses the inconsistent key: not "
			    "tried\n");
		}
		gnutls_privkey_deinit(bad);
		gnutls_free(m.data);
		gnutls_free(e.data);
		gnutls_free(d.data);
		gnutls_free(p.data);
		gnutls_free(q.data);
		gnutls_free(u.data);
		gnutls_free(e1.data);
		gnutls_free(e2.data);
	}
	gnutls_privkey_deinit(k);
}

/* ---- messages from mime_fill ---- */

static struct mime_input
input(struct buf *html, struct buf *text, size_t size)
{
	struct mime_input in;

	memset(&in, 0, sizeof(in));
	in.from = "SSP Hub <infolettre@ssphub.example.fr>";
	in.reply_to = "infolettre@ssphub.example.fr";
	in.subject = "Infolettre du SSP Hub — juin 2026 : Parquet, données "
	    "ouvertes et Journées data science";
	in.list_title = "Infolettre du SSP Hub";
	in.list_id = "infolettre.ssphub.example.fr";
	in.archive_url = "https://ssphub.netlify.app/infolettre/2026-06/";
	in.unsub_url = "https://ssphub.example.fr/desinscription?t="
	    MIME_SLOT_TOKEN;
	in.unsub_mailto = "infolettre-unsubscribe+" MIME_SLOT_TOKEN
	    "@ssphub.example.fr";
	in.msgid_domain = "ssphub.example.fr";
	in.issue_id = "2026-06";
	/* the size of a real issue: items, then a footer with the slots */
	buf_puts(html, "<!DOCTYPE html>\n<html><body>\n<table>\n");
	while (html->len < size * 3 / 4)
		buf_puts(html, "<tr><td style=\"padding:0 24px;\">  <a href=\""
		    "https://ssphub.netlify.app/blog/article/\">Les données "
		    "« ouvertes »</a> — déjà publiées\t</td></tr>   \n");
	buf_puts(html, "</table>\n<p><a href=\"https://ssphub.example.fr/"
	    "desinscription?t=" MIME_SLOT_TOKEN "\">Se désinscrire</a></p>\n"
	    "</body></html>\n\n\n");
	while (text->len < size / 4)
		buf_puts(text, "Les données « ouvertes » sont déjà publiées,  à "
		    "lire sur https://ssphub.netlify.app/blog/article/ \n\n");
	buf_puts(text, "Se désinscrire : https://ssphub.example.fr/"
	    "desinscription?t=" MIME_SLOT_TOKEN "\n");
	in.html = html->data;
	in.text = text->data;
	in.date = 1781596800; /* 2026-06-16 08:00 UTC */
	in.seed = "seed";
	return in;
}

/* "ALG:FILE:SELECTOR" */
static int
add_spec(struct dkim *d, const char *spec)
{
	char *s = xstrdup(spec), *file, *sel, *err = NULL;
	int rc;

	file = strchr(s, ':');
	sel = file ? strrchr(file + 1, ':') : NULL;
	if (!file || !sel) {
		fprintf(stderr, "bad key spec %s\n", spec);
		free(s);
		return 64;
	}
	*file++ = '\0';
	*sel++ = '\0';
	rc = dkim_add_key(d, spec, DOMAIN, sel, s, file, &err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	free(err);
	free(s);
	return rc;
}

static void
token_for(long i, char out[TOKEN_LEN + 1])
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz234567";

	for (int k = 0; k < TOKEN_LEN; k++)
		out[k] = a[(i * 7 + k * (i + 3)) % 32];
	out[TOKEN_LEN] = '\0';
}

static int
write_messages(const char *dir, long n, int nspec, char **spec)
{
	struct buf html = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct mime_input in = input(&html, &text, 20000);
	struct mime_msg *m = NULL;
	struct dkim *d = dkim_new();
	char *err = NULL, tok[TOKEN_LEN + 1], email[64], name[64], *path;
	int rc = 0;

	for (int i = 0; i < nspec && !rc; i++)
		rc = add_spec(d, spec[i]);
	if (!rc && (rc = mime_build(&in, &m, &err)) != 0)
		fprintf(stderr, "%s\n", err);
	for (long i = 0; i < n && !rc; i++) {
		struct mime_recipient r = { name, email, tok, 0 };
		token_for(i, tok);
		snprintf(email, sizeof(email), "abonne%ld@example.fr", i);
		snprintf(name, sizeof(name), "Abonné n° %ld", i);
		buf_reset(&out);
		if ((rc = mime_fill(m, &r, &out, &err)) != 0 ||
		    (rc = dkim_sign(d, &out, &err)) != 0) {
			fprintf(stderr, "%s\n", err);
			break;
		}
		path = xasprintf("%s/%03ld.eml", dir, i);
		if (write_file_atomic(path, out.data, out.len, 0644) != 0)
			rc = 73;
		free(path);
	}
	mime_msg_free(m);
	free(err);
	buf_free(&out);
	buf_free(&html);
	buf_free(&text);
	dkim_free(d);
	return rc;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Messages per second of mime_fill, then of mime_fill and dkim_sign. */
static void
bench_one(struct dkim *d, const char *label)
{
	struct buf html = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct mime_input in = input(&html, &text, 30000);
	struct mime_msg *m;
	char *err = NULL, tok[TOKEN_LEN + 1];
	struct mime_recipient r = { "Camille Exemple", "camille@example.fr",
		tok, 0 };
	double t0, fill = 0, sign = 0;
	long n = 0, k;

	CHECK_INT(mime_build(&in, &m, &err), 0);
	for (int pass = 0; pass < 2; pass++) {
		t0 = now();
		k = 0;
		do {
			for (int i = 0; i < 100; i++, k++) {
				token_for(k, tok);
				buf_reset(&out);
				CHECK_INT(mime_fill(m, &r, &out, &err), 0);
				if (pass)
					CHECK_INT(dkim_sign(d, &out, &err), 0);
			}
		} while (now() - t0 < 0.3);
		if (pass)
			sign = (now() - t0) / (double)k;
		else
			fill = (now() - t0) / (double)k;
		n = k;
	}
	printf("# dkim %s: %zu-byte messages: mime_fill %.1f us, with "
	    "dkim_sign %.1f us (signing %.1f us, %ld runs)\n", label, out.len,
	    fill * 1e6, sign * 1e6, (sign - fill) * 1e6, n);
	mime_msg_free(m);
	buf_free(&out);
	buf_free(&html);
	buf_free(&text);
	free(err);
}

static void
bench_sign(void)
{
	struct dkim *d = signer(false, true);

	bench_one(d, "ed25519-sha256");
	dkim_free(d);
	d = signer(true, false);
	bench_one(d, "rsa-sha256");
	dkim_free(d);
}

static int
canon_file(const char *path, bool body)
{
	struct buf b = BUF_INIT;
	char *data;
	size_t len;

	if (read_file(path, 1 << 26, &data, &len) != 0)
		return 66;
	if (body)
		dkim_canon_body(&b, data, len);
	else
		dkim_canon_header(&b, data, len);
	fwrite(b.data ? b.data : "", 1, b.len, stdout);
	free(data);
	buf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc >= 4 && strcmp(argv[1], "--messages") == 0)
		return write_messages(argv[2], atol(argv[3]), argc - 4, argv + 4);
	if (argc == 3 && strcmp(argv[1], "--canon-body") == 0)
		return canon_file(argv[2], true);
	if (argc == 3 && strcmp(argv[1], "--canon-header") == 0)
		return canon_file(argv[2], false);

	RUN(canon_rfc_example);
	RUN(canon_header_cases);
	RUN(canon_body_cases);
	RUN(canon_appends);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dkim.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL test_dkim: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	rsa_key = xasprintf("%s/rsa.pem", tmpdir);
	ed_key = xasprintf("%s/ed.pem", tmpdir);
	RUN(keygen);
	RUN(key_checks);
	RUN(sign_header);
	RUN(sign_timestamp);
	RUN(sign_deterministic);
	RUN(sign_refused);
	RUN(body_cache);
	RUN(rsa_as_gnutls);
	RUN(rsa_inconsistent);
	if (argc == 2 && strcmp(argv[1], "--bench") == 0)
		RUN(bench_sign);
	unlink(rsa_key);
	unlink(ed_key);
	rc = rmdir(tmpdir);
	if (rc)
		printf("# rmdir %s: %s\n", tmpdir, strerror(errno));
	free(rsa_key);
	free(ed_key);
	return 0;
}
