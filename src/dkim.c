/* dkim.c - DKIM signatures (RFC 6376): rsa-sha256 and ed25519-sha256
 * (RFC 8463), relaxed/relaxed, with GnuTLS (RSA with libcrypto: dkim_rsa.c) */
#include "dkim.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "codec.h"
#include "date.h"
#include "dkim_rsa.h"
#include "util.h"

#define KEY_MAX 65536  /* a PEM private key is a few KB */
#define HDR_LINE 78    /* the DKIM-Signature is folded to this length */
#define TXT_STRING 255 /* the longest character-string of a TXT record */
#define RSA_BITS 2048  /* keygen; RFC 8301 wants at least 1024 to verify */
#define RSA_MIN 1024

enum alg { ALG_RSA, ALG_ED25519 };

struct key {
	enum alg alg;
	char *domain, *selector;
	gnutls_privkey_t priv;
	struct dkim_rsa *rsa; /* RSA: signs with libcrypto (dkim_rsa.c); NULL:
	                       * with GnuTLS */
	char *pub; /* p=: base64 of the SubjectPublicKeyInfo (RSA) or of the
	            * 32-byte public key (Ed25519, RFC 8463 4.2) */
};

/* A header field of the message being signed. */
struct field {
	size_t off, len; /* the field with its folding, without final CRLF */
	size_t namelen;  /* the name, without WSP before the colon */
};

/*
 * The body hash of the shared parts, computed once per issue. Every
 * recipient's message has the body with the token slots filled
 * in: the same length, a few letters apart. The first body signed is kept
 * with its canonical form and where each of its lines starts in both. For
 * the next one the lines that differ are found by comparing bytes; when
 * no differing byte is WSP, CR or LF (on either side) the canonical body
 * is the kept one with those lines canonicalised again in place, and
 * SHA-256 resumes from a copy of its state at the first line that differed
 * (gnutls_hash_copy): only the bytes after the first slot are hashed
 * again, and none is canonicalised again but the changed lines. Any other
 * body (another length, a change in whitespace or line ends) is
 * canonicalised and hashed whole, and is kept instead.
 */
struct bodycache {
	char *raw;            /* the body kept */
	size_t len;
	struct buf canon;     /* its canonical form */
	size_t *lraw, *lcanon; /* where line i starts in raw and in canon,
	                        * as if no empty line were dropped; [n] is
	                        * the end */
	size_t nlines, cap;
	unsigned char hash[32];
	gnutls_hash_hd_t mid; /* SHA-256 of canon up to line mid_line */
	size_t mid_line;
	size_t *changed;      /* scratch: the lines that differ */
	size_t nchanged, capchanged;
	struct buf lines;     /* scratch: their canonical form, in order */
};

struct dkim {
	struct key *keys;
	size_t nkeys;
	struct bodycache bc;
	/* scratch space reused from one message to the next */
	struct field *fields;
	size_t nfields, capfields;
	struct buf canon;   /* the canonical headers being hashed */
	struct buf sigs;    /* the DKIM-Signature headers made */
	struct buf sig;     /* one of them */
};

/* What h= lists, in this order; over: once more than the message holds. */
static const struct {
	const char *name;
	bool over;
} signed_headers[] = {
	{ "From", true },
	{ "Reply-To", true },
	{ "To", false },
	{ "Subject", true },
	{ "Date", false },
	{ "Message-ID", false },
	{ "MIME-Version", false },
	{ "Content-Type", false },
	{ "List-Id", true },
	{ "List-Unsubscribe", true },
	{ "List-Unsubscribe-Post", true },
	{ "List-Archive", true },
};

#define NSIGNED (sizeof(signed_headers) / sizeof(signed_headers[0]))

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ---- canonicalisation ---- */

/* The end of the line that begins at p: after its CRLF, or end. */
static const char *
line_end(const char *p, const char *end)
{
	const char *nl = p;

	for (;;) {
		nl = memchr(nl, '\n', (size_t)(end - nl));
		if (!nl)
			return end;
		if (nl > p && nl[-1] == '\r')
			return nl + 1;
		nl++;
	}
}


void
dkim_canon_header(struct buf *out, const char *field, size_t len)
{
	const unsigned char *p = (const unsigned char *)field;
	const unsigned char *colon = memchr(p, ':', len);
	size_t n = colon ? (size_t)(colon - p) : len, i;
	bool space = false, any = false;

	if (len >= 2 && p[len - 2] == '\r' && p[len - 1] == '\n')
		len -= 2;
	if (n > len)
		n = len;
	buf_grow(out, len + 3);
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	for (i = 0; i < n; i++)
		out->data[out->len++] = (char)lower(p[i]);
	out->data[out->len++] = ':';
	for (i = colon ? (size_t)(colon - p) + 1 : len; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (is_wsp(p[i])) {
			space = true;
			continue;
		}
		if (space && any)
			out->data[out->len++] = ' ';
		space = false;
		any = true;
		out->data[out->len++] = (char)p[i];
	}
	out->data[out->len++] = '\r';
	out->data[out->len++] = '\n';
	out->data[out->len] = '\0';
}

void
dkim_canon_body(struct buf *out, const char *body, size_t len)
{
	const unsigned char *p = (const unsigned char *)body;
	const unsigned char *end = p + len;
	size_t empty = 0; /* empty lines held back: written before the next
	                   * line that is not empty, dropped at the end */
	char *o;

	/* the output is never longer than the input plus one CRLF */
	buf_grow(out, len + 3);
	o = out->data + out->len;
	while (p < end) {
		const unsigned char *next = (const unsigned char *)line_end(
		    (const char *)p, (const char *)end), *le = next;
		bool space = false, text = false;

		/* the line is [p, le) without its CRLF; a bare CR or LF is
		 * text */
		if (le - p >= 2 && le[-1] == '\n' && le[-2] == '\r')
			le -= 2;
		for (const unsigned char *q = p; q < le; q++) {
			if (is_wsp(*q)) {
				space = true;
				continue;
			}
			if (!text) {
				for (; empty > 0; empty--) {
					*o++ = '\r';
					*o++ = '\n';
				}
				text = true;
			}
			if (space)
				*o++ = ' ';
			space = false;
			*o++ = (char)*q;
		}
		if (text) {
			*o++ = '\r';
			*o++ = '\n';
		} else {
			empty++;
		}
		p = next;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

/* ---- the message ---- */

/* Split the header of msg into d->fields; *body is where the body begins
 * (len when there is none). */
static int
parse_header(struct dkim *d, const char *msg, size_t len, size_t *body,
	char **err)
{
	size_t p = 0;

	d->nfields = 0;
	while (p < len) {
		size_t q = p, n;
		const char *colon;

		if (len - p >= 2 && msg[p] == '\r' && msg[p + 1] == '\n') {
			*body = p + 2;
			return 0;
		}
		if (is_wsp((unsigned char)msg[p]))
			return fail(err, EX_DATAERR, "the message begins with "
			    "a folded line");
		/* the field ends at a CRLF not followed by WSP */
		for (;;) {
			const char *nl = memchr(msg + q, '\n', len - q);
			if (!nl) {
				q = len;
				break;
			}
			q = (size_t)(nl - msg) + 1;
			if (q >= len || !is_wsp((unsigned char)msg[q]))
				break;
		}
		n = q - p;
		if (n >= 2 && msg[q - 2] == '\r' && msg[q - 1] == '\n')
			n -= 2;
		colon = memchr(msg + p, ':', n);
		if (!colon)
			return fail(err, EX_DATAERR, "a header line has no "
			    "colon: \"%.40s\"", msg + p);
		if (d->nfields == d->capfields) {
			d->capfields = d->capfields ? 2 * d->capfields : 32;
			d->fields = xreallocarray(d->fields, d->capfields,
			    sizeof(*d->fields));
		}
		d->fields[d->nfields].off = p;
		d->fields[d->nfields].len = n;
		d->fields[d->nfields].namelen = (size_t)(colon - (msg + p));
		while (d->fields[d->nfields].namelen > 0 &&
		    is_wsp((unsigned char)msg[p +
		    d->fields[d->nfields].namelen - 1]))
			d->fields[d->nfields].namelen--;
		d->nfields++;
		p = q;
	}
	*body = len;
	return 0;
}

static bool
name_is(const char *msg, const struct field *f, const char *name)
{
	size_t n = strlen(name);

	if (f->namelen != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)msg[f->off + i]) !=
		    lower((unsigned char)name[i]))
			return false;
	return true;
}

static size_t
count_fields(const struct dkim *d, const char *msg, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nfields; i++)
		if (name_is(msg, &d->fields[i], name))
			n++;
	return n;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* An RFC 5322 date-time ("Tue, 2 Jun 2026 07:00:00 +0000", unfolded;
 * what follows the zone is ignored) in seconds since the epoch. */
static bool
parse_date(const char *s, long long *out)
{
	int day, year, hh, mm, ss = 0, n = 0, m;
	char mon[4], sign;
	unsigned zone;
	const char *p = s, *comma = strchr(s, ',');

	if (comma && comma - s <= 4) /* the day of the week */
		p = comma + 1;
	if (sscanf(p, " %2d %3s %4d %2d:%2d%n", &day, mon, &year, &hh, &mm,
	    &n) != 5 || n == 0)
		return false;
	p += n;
	if (*p == ':') {
		n = 0;
		if (sscanf(p, ":%2d%n", &ss, &n) != 1 || n == 0)
			return false;
		p += n;
	}
	while (is_wsp((unsigned char)*p))
		p++;
	if ((*p == '+' || *p == '-') && sscanf(p, "%c%4u", &sign, &zone) == 2 &&
	    strspn(p + 1, "0123456789") == 4) {
		zone = (zone / 100) * 3600 + (zone % 100) * 60;
	} else if (strncmp(p, "GMT", 3) == 0 || strncmp(p, "UT", 2) == 0) {
		sign = '+';
		zone = 0;
	} else {
		return false;
	}
	for (m = 0; m < 12; m++)
		if (str_casecmp(mon, months[m]) == 0)
			break;
	if (m == 12 || !date_valid_ymd(year, m + 1, day) || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return false;
	*out = (long long)date_days(year, m + 1, day) * 86400 + hh * 3600 +
	    mm * 60 + ss;
	*out += sign == '+' ? -(long long)zone : (long long)zone;
	return true;
}

/* The signing time: $SOURCE_DATE_EPOCH, else the clock. */
static long long
sign_time(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t;

	if (s && *s) {
		errno = 0;
		t = strtoll(s, &end, 10);
		if (!errno && !*end && t >= 0)
			return t;
	}
	return (long long)time(NULL);
}

/* t= (see dkim.h); -1 to leave it out. */
static long long
timestamp(struct dkim *d, const char *msg)
{
	long long now = sign_time(), date;

	for (size_t i = 0; i < d->nfields; i++) {
		const struct field *f = &d->fields[i];
		if (!name_is(msg, f, "Date"))
			continue;
		buf_reset(&d->sig);
		dkim_canon_header(&d->sig, msg + f->off, f->len);
		if (!parse_date(d->sig.data + 5, &date))
			break;
		return date <= now ? date : -1;
	}
	return now;
}

/* ---- folding the DKIM-Signature header ---- */

struct fold {
	struct buf *b;
	size_t col;
};

/* Append a tag or a piece of one; with sp, after a space (a place to
 * fold). Without sp it is folded only when it does not fit. */
static void
fold_put(struct fold *f, const char *s, size_t n, bool sp)
{
	if (f->col + (sp ? 1 : 0) + n > HDR_LINE) {
		buf_puts(f->b, "\r\n ");
		f->col = 1;
	} else if (sp) {
		buf_putc(f->b, ' ');
		f->col++;
	}
	buf_put(f->b, s, n);
	f->col += n;
}

/* Base64 text that may be folded anywhere (RFC 6376 3.5: FWS is allowed
 * in b= and bh=). */
static void
fold_b64(struct fold *f, const char *s, size_t n)
{
	while (n > 0) {
		size_t room = f->col < HDR_LINE ? HDR_LINE - f->col : 0, k;
		if (room == 0) {
			buf_puts(f->b, "\r\n ");
			f->col = 1;
			continue;
		}
		k = n < room ? n : room;
		buf_put(f->b, s, k);
		f->col += k;
		s += k;
		n -= k;
	}
}

/* ---- keys ---- */

static const char *
alg_name(enum alg a)
{
	return a == ALG_RSA ? "rsa-sha256" : "ed25519-sha256";
}

static int
alg_parse(const char *s, enum alg *a)
{
	if (s && strcmp(s, "rsa-sha256") == 0)
		*a = ALG_RSA;
	else if (s && strcmp(s, "ed25519-sha256") == 0)
		*a = ALG_ED25519;
	else
		return -1;
	return 0;
}

bool
dkim_name_ok(const char *s)
{
	size_t label = 0;

	if (!*s || strlen(s) > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
		    || (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[strlen(s) - 1] != '-';
}

static void
key_clear(struct key *k)
{
	if (k->priv)
		gnutls_privkey_deinit(k->priv);
	dkim_rsa_free(k->rsa);
	free(k->domain);
	free(k->selector);
	free(k->pub);
	memset(k, 0, sizeof(*k));
}

/* Read a secret file: a regular file, not readable by group or others. */
static int
read_key_file(const char *what, const char *path, struct buf *out,
	char **err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errno == ENOENT ? EX_NOINPUT : errno ==
		    EACCES ? EX_NOPERM : EX_IOERR, "%s: %s: %s", what, path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, EX_CONFIG, "%s: %s is not a regular file",
		    what, path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, EX_NOPERM, "%s: %s holds a private key and "
		    "is readable by group or others (mode %03o); run: chmod "
		    "600 %s", what, path, (unsigned)(st.st_mode & 0777), path);
	}
	/* all the room at once, read in place: a buffer that grew would
	 * leave copies of the key in freed memory */
	buf_grow(out, KEY_MAX + 2);
	while ((n = read(fd, out->data + out->len, KEY_MAX + 1 - out->len))
	    != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = errno;
			close(fd);
			return fail(err, EX_IOERR, "%s: %s: %s", what, path,
			    strerror((int)n));
		}
		out->len += (size_t)n;
		if (out->len > KEY_MAX) {
			close(fd);
			return fail(err, EX_CONFIG, "%s: %s is too large for a "
			    "private key", what, path);
		}
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
}

/* p= of k's public key. */
static int
public_key(struct key *k, const char *what, char **err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 }, x = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	struct buf b = BUF_INIT;
	int e;

	if ((e = gnutls_pubkey_init(&pub)) < 0 ||
	    (e = gnutls_pubkey_import_privkey(pub, k->priv, 0, 0)) < 0)
		goto bad;
	if (k->alg == ALG_RSA) {
		if ((e = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER,
		    &der)) < 0)
			goto bad;
		codec_base64_put(&b, der.data, der.size);
	} else {
		if ((e = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, NULL,
		    0)) < 0)
			goto bad;
		if (curve != GNUTLS_ECC_CURVE_ED25519 || x.size != 32) {
			e = GNUTLS_E_INVALID_REQUEST;
			goto bad;
		}
		codec_base64_put(&b, x.data, x.size);
	}
	k->pub = buf_detach(&b);
	gnutls_free(der.data);
	gnutls_free(x.data);
	gnutls_pubkey_deinit(pub);
	return 0;
bad:
	gnutls_free(der.data);
	gnutls_free(x.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	return fail(err, EX_SOFTWARE, "%s: the public key cannot be made: %s",
	    what, gnutls_strerror(e));
}

struct dkim *
dkim_new(void)
{
	return xcalloc(1, sizeof(struct dkim));
}

int
dkim_add_key(struct dkim *d, const char *what, const char *domain,
	const char *selector, const char *algorithm, const char *key_file,
	char **err)
{
	struct key k;
	struct buf pem = BUF_INIT;
	gnutls_datum_t datum;
	unsigned bits = 0;
	int e, pk, rc;

	memset(&k, 0, sizeof(k));
	if (alg_parse(algorithm, &k.alg) < 0)
		return fail(err, EX_CONFIG, "%s: unknown algorithm \"%s\" "
		    "(rsa-sha256 or ed25519-sha256)", what,
		    algorithm ? algorithm : "");
	if (!domain || !dkim_name_ok(domain))
		return fail(err, EX_CONFIG, "%s: \"%s\" is not a domain name",
		    what, domain ? domain : "");
	if (!selector || !dkim_name_ok(selector))
		return fail(err, EX_CONFIG, "%s: the selector \"%s\" is not a "
		    "DNS name", what, selector ? selector : "");
	if (!key_file || !*key_file)
		return fail(err, EX_CONFIG, "%s: no key file", what);
	if ((rc = read_key_file(what, key_file, &pem, err)) != 0)
		goto out;
	datum.data = (unsigned char *)pem.data;
	datum.size = (unsigned)pem.len;
	if ((e = gnutls_privkey_init(&k.priv)) < 0) {
		rc = fail(err, EX_SOFTWARE, "%s: %s", what, gnutls_strerror(e));
		goto out;
	}
	if ((e = gnutls_privkey_import_x509_raw(k.priv, &datum,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = fail(err, EX_CONFIG, "%s: %s is not a PEM private key "
		    "without a password: %s", what, key_file,
		    gnutls_strerror(e));
		goto out;
	}
	pk = gnutls_privkey_get_pk_algorithm(k.priv, &bits);
	if ((k.alg == ALG_RSA && pk != GNUTLS_PK_RSA) ||
	    (k.alg == ALG_ED25519 && pk != GNUTLS_PK_EDDSA_ED25519)) {
		rc = fail(err, EX_CONFIG, "%s: %s holds a %s key, not one for "
		    "%s", what, key_file,
		    gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)pk),
		    alg_name(k.alg));
		goto out;
	}
	if (k.alg == ALG_RSA && bits < RSA_MIN) {
		rc = fail(err, EX_CONFIG, "%s: %s is an RSA key of %u bits; "
		    "DKIM needs at least %d (2048 recommended)", what,
		    key_file, bits, RSA_MIN);
		goto out;
	}
	if ((rc = public_key(&k, what, err)) != 0)
		goto out;
	if (k.alg == ALG_RSA)
		k.rsa = dkim_rsa_new(k.priv);
	k.domain = xstrdup(domain);
	k.selector = xstrdup(selector);
	d->keys = xreallocarray(d->keys, d->nkeys + 1, sizeof(*d->keys));
	d->keys[d->nkeys++] = k;
	memset(&k, 0, sizeof(k));
	rc = 0;
out:
	key_clear(&k);
	if (pem.data)
		explicit_bzero(pem.data, pem.cap);
	buf_free(&pem);
	return rc;
}

bool
dkim_configured(const struct config *c)
{
	return *c->dkim.domain || *c->dkim.selector || *c->dkim.key_file ||
	    *c->dkim.selector2 || *c->dkim.key_file2;
}

/* The domain of newsletter.from ("Name <a@b>" or "a@b"); caller frees. */
static char *
from_domain(const char *from)
{
	char *a = addr_of(from), *d = xstrdup(addr_domain(a));

	free(a);
	return d;
}

int
dkim_open(const struct config *c, struct dkim **out, char **err)
{
	struct dkim *d;
	char *domain;
	int rc;

	*out = NULL;
	if (!dkim_configured(c))
		return 0;
	if (!*c->dkim.key_file)
		return fail(err, EX_CONFIG, "%s: dkim.key_file: a value is "
		    "required in a dkim section (make one with: infolettre "
		    "dkim keygen)", c->path);
	if (!*c->dkim.selector)
		return fail(err, EX_CONFIG, "%s: dkim.selector: a value is "
		    "required in a dkim section", c->path);
	if ((*c->dkim.selector2 || *c->dkim.key_file2) &&
	    (!*c->dkim.selector2 || !*c->dkim.key_file2))
		return fail(err, EX_CONFIG, "%s: dkim.selector2 and "
		    "dkim.key_file2 go together", c->path);
	domain = *c->dkim.domain ? xstrdup(c->dkim.domain) :
	    from_domain(c->newsletter.from);
	d = dkim_new();
	rc = dkim_add_key(d, "dkim.key_file", domain, c->dkim.selector,
	    c->dkim.algorithm, c->dkim.key_file, err);
	if (!rc && *c->dkim.key_file2)
		rc = dkim_add_key(d, "dkim.key_file2", domain,
		    c->dkim.selector2, c->dkim.algorithm2, c->dkim.key_file2,
		    err);
	free(domain);
	if (rc) {
		dkim_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

size_t
dkim_nkeys(const struct dkim *d)
{
	return d ? d->nkeys : 0;
}

char *
dkim_record(const struct dkim *d, size_t i)
{
	const struct key *k = &d->keys[i];
	struct buf b = BUF_INIT, txt = BUF_INIT;

	buf_printf(&txt, "v=DKIM1; k=%s; p=%s", k->alg == ALG_RSA ? "rsa" :
	    "ed25519", k->pub);
	buf_printf(&b, "%s._domainkey.%s IN TXT", k->selector, k->domain);
	for (size_t p = 0; p < txt.len; p += TXT_STRING) {
		size_t n = txt.len - p < TXT_STRING ? txt.len - p : TXT_STRING;
		buf_puts(&b, " \"");
		buf_put(&b, txt.data + p, n);
		buf_putc(&b, '"');
	}
	buf_free(&txt);
	return buf_detach(&b);
}

void
dkim_free(struct dkim *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nkeys; i++)
		key_clear(&d->keys[i]);
	free(d->keys);
	free(d->fields);
	free(d->bc.raw);
	buf_free(&d->bc.canon);
	free(d->bc.lraw);
	free(d->bc.lcanon);
	if (d->bc.mid)
		gnutls_hash_deinit(d->bc.mid, NULL);
	free(d->bc.changed);
	buf_free(&d->bc.lines);
	buf_free(&d->canon);
	buf_free(&d->sigs);
	buf_free(&d->sig);
	free(d);
}

int
dkim_keygen(const char *algorithm, const char *path, char **err)
{
	gnutls_privkey_t priv = NULL;
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	enum alg a;
	size_t off = 0;
	int e, fd, rc = 0;

	if (alg_parse(algorithm, &a) < 0)
		return fail(err, EX_USAGE, "unknown algorithm \"%s\" "
		    "(rsa-sha256 or ed25519-sha256)", algorithm ? algorithm :
		    "");
	if ((e = gnutls_privkey_init(&priv)) < 0 ||
	    (e = gnutls_privkey_generate2(priv, a == ALG_RSA ? GNUTLS_PK_RSA :
	    GNUTLS_PK_EDDSA_ED25519, a == ALG_RSA ? RSA_BITS :
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), 0, NULL, 0)) < 0 ||
	    (e = gnutls_privkey_export_x509(priv, &x)) < 0 ||
	    (e = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &pem)) < 0) {
		rc = fail(err, EX_SOFTWARE, "the key cannot be made: %s",
		    gnutls_strerror(e));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		rc = fail(err, EX_CANTCREAT, "%s: %s", path, errno == EEXIST ?
		    "exists already (a key is never overwritten)" :
		    strerror(errno));
		goto out;
	}
	/* the mode asked may have been narrowed by the umask, never widened;
	 * make it exactly 0600 */
	if (fchmod(fd, 0600) < 0)
		goto write_error;
	while (off < pem.size) {
		ssize_t n = write(fd, pem.data + off, pem.size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto write_error;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto write_error;
	if (close(fd) < 0) {
		fd = -1;
		goto write_error;
	}
	goto out;
write_error:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	rc = fail(err, EX_CANTCREAT, "%s: %s", path, strerror(e));
out:
	if (pem.data) {
		explicit_bzero(pem.data, pem.size);
		gnutls_free(pem.data);
	}
	if (x)
		gnutls_x509_privkey_deinit(x);
	if (priv)
		gnutls_privkey_deinit(priv);
	return rc;
}

/* ---- signing ---- */

/* Keep body in the cache: its canonical form, its lines, its hash. */
static int
cache_fill(struct bodycache *bc, const char *body, size_t len, char **err)
{
	const char *p = body, *end = body + len;
	size_t canon_end = 0;
	int e;

	if (bc->mid) {
		gnutls_hash_deinit(bc->mid, NULL);
		bc->mid = NULL;
	}
	free(bc->raw);
	bc->raw = xmalloc(len + 1);
	memcpy(bc->raw, body, len);
	bc->len = len;
	buf_reset(&bc->canon);
	buf_puts(&bc->canon, "");
	bc->nlines = 0;
	for (;;) {
		const char *q = p < end ? line_end(p, end) : end;
		size_t before = bc->canon.len;

		if (bc->nlines + 1 >= bc->cap) {
			bc->cap = bc->cap ? 2 * bc->cap : 256;
			bc->lraw = xreallocarray(bc->lraw, bc->cap,
			    sizeof(*bc->lraw));
			bc->lcanon = xreallocarray(bc->lcanon, bc->cap,
			    sizeof(*bc->lcanon));
		}
		bc->lraw[bc->nlines] = (size_t)(p - body);
		bc->lcanon[bc->nlines] = before;
		if (p == end)
			break;
		bc->nlines++;
		/* a line alone is canonicalised as the body would have it,
		 * but for an empty line, which the body drops only at the end */
		dkim_canon_body(&bc->canon, p, (size_t)(q - p));
		if (bc->canon.len == before)
			buf_puts(&bc->canon, "\r\n");
		else
			canon_end = bc->canon.len;
		p = q;
	}
	bc->canon.len = canon_end;
	bc->canon.data[canon_end] = '\0';
	if ((e = gnutls_hash_fast(GNUTLS_DIG_SHA256, bc->canon.data,
	    bc->canon.len, bc->hash)) < 0) {
		free(bc->raw);
		bc->raw = NULL;
		return fail(err, EX_SOFTWARE, "SHA-256: %s", gnutls_strerror(e));
	}
	return 0;
}

static bool
special(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first offset from i where a and b differ, or n. */
static size_t
mismatch(const char *a, const char *b, size_t i, size_t n)
{
	while (n - i >= 64 && memcmp(a + i, b + i, 64) == 0)
		i += 64;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* The line of the kept body that holds offset off. */
static size_t
line_of(const struct bodycache *bc, size_t off)
{
	size_t lo = 0, hi = bc->nlines; /* lraw[lo] <= off < lraw[hi] */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (bc->lraw[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Find the lines where body differs from the kept one and canonicalise
 * them into bc->lines. False when the kept canonical form cannot be
 * reused. */
static bool
cache_diff(struct bodycache *bc, const char *body, size_t len)
{
	size_t q = 0;

	if (!bc->raw || len != bc->len)
		return false;
	bc->nchanged = 0;
	buf_reset(&bc->lines);
	while ((q = mismatch(bc->raw, body, q, len)) < len) {
		size_t i = line_of(bc, q), e = bc->lraw[i + 1], before;

		for (size_t k = q; k < e; k++)
			if (bc->raw[k] != body[k] && (special((unsigned char)
			    bc->raw[k]) || special((unsigned char)body[k])))
				return false;
		if (bc->nchanged == bc->capchanged) {
			bc->capchanged = bc->capchanged ? 2 * bc->capchanged :
			    16;
			bc->changed = xreallocarray(bc->changed, bc->capchanged,
			    sizeof(*bc->changed));
		}
		bc->changed[bc->nchanged++] = i;
		before = bc->lines.len;
		dkim_canon_body(&bc->lines, body + bc->lraw[i], e - bc->lraw[i]);
		/* the same WSP and line ends: the same length, or a bug */
		if (bc->lines.len - before != bc->lcanon[i + 1] - bc->lcanon[i])
			return false;
		q = e;
	}
	return true;
}

/* SHA-256 of the kept canonical body with the changed lines replaced. */
static int
cache_hash(struct bodycache *bc, unsigned char out[32], char **err)
{
	gnutls_hash_hd_t h = NULL;
	size_t pos = 0, lpos = 0, first;
	int e = 0;

	if (bc->nchanged == 0) {
		memcpy(out, bc->hash, 32);
		return 0;
	}
	first = bc->changed[0];
	if (bc->mid && bc->mid_line <= first &&
	    (h = gnutls_hash_copy(bc->mid)) != NULL) {
		pos = bc->lcanon[bc->mid_line];
	} else {
		if ((e = gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) < 0)
			goto bad;
		pos = bc->lcanon[first];
		if ((e = gnutls_hash(h, bc->canon.data, pos)) < 0)
			goto bad;
		if (bc->mid)
			gnutls_hash_deinit(bc->mid, NULL);
		bc->mid = gnutls_hash_copy(h); /* NULL: no resuming */
		bc->mid_line = first;
	}
	for (size_t k = 0; k < bc->nchanged; k++) {
		size_t i = bc->changed[k], n = bc->lcanon[i + 1] - bc->lcanon[i];
		if ((e = gnutls_hash(h, bc->canon.data + pos,
		    bc->lcanon[i] - pos)) < 0 ||
		    (e = gnutls_hash(h, bc->lines.data + lpos, n)) < 0)
			goto bad;
		lpos += n;
		pos = bc->lcanon[i + 1];
	}
	if ((e = gnutls_hash(h, bc->canon.data + pos, bc->canon.len - pos)) < 0)
		goto bad;
	gnutls_hash_deinit(h, out);
	return 0;
bad:
	if (h)
		gnutls_hash_deinit(h, NULL);
	return fail(err, EX_SOFTWARE, "SHA-256: %s", gnutls_strerror(e));
}

/* bh=: base64 of SHA-256 of the canonical body. */
static int
body_hash(struct dkim *d, const char *body, size_t len, char out[45],
	char **err)
{
	unsigned char h[32];
	struct buf b = BUF_INIT;
	int rc;

	if (cache_diff(&d->bc, body, len))
		rc = cache_hash(&d->bc, h, err);
	else if ((rc = cache_fill(&d->bc, body, len, err)) == 0)
		memcpy(h, d->bc.hash, sizeof(h));
	if (rc)
		return rc;
	codec_base64_put(&b, h, sizeof(h));
	memcpy(out, b.data, 45);
	buf_free(&b);
	return 0;
}

/* The canonical headers h= names, into d->canon; h= itself into hlist. */
static void
signed_fields(struct dkim *d, const char *msg, struct buf *hlist)
{
	buf_reset(&d->canon);
	buf_reset(hlist);
	for (size_t s = 0; s < NSIGNED; s++) {
		const char *name = signed_headers[s].name;
		size_t n = count_fields(d, msg, name), k;

		/* instances are taken from the bottom up (RFC 6376 5.4.2);
		 * the over-signed one names no field: it adds nothing */
		for (size_t i = d->nfields; i-- > 0; ) {
			const struct field *f = &d->fields[i];
			if (!name_is(msg, f, name))
				continue;
			dkim_canon_header(&d->canon, msg + f->off, f->len);
		}
		k = n + (signed_headers[s].over ? 1 : 0);
		for (size_t i = 0; i < k; i++) {
			buf_puts(hlist, name);
			buf_putc(hlist, ':');
		}
	}
	if (hlist->len)
		hlist->data[--hlist->len] = '\0';
}

/* One DKIM-Signature header for key k into d->sig, with its CRLF. */
static int
sign_one(struct dkim *d, const struct key *k, const char *bh, long long t,
	const struct buf *hlist, char **err)
{
	struct fold f = { &d->sig, 0 };
	gnutls_datum_t data, sig = { NULL, 0 };
	unsigned char digest[32];
	struct buf tmp = BUF_INIT, raw = BUF_INIT;
	size_t canon_len = d->canon.len, hstart = 0;
	int e;

	buf_reset(&d->sig);
	buf_puts(&d->sig, "DKIM-Signature:");
	f.col = d->sig.len;
	buf_printf(&tmp, "v=1;");
	fold_put(&f, tmp.data, tmp.len, true);
	buf_reset(&tmp);
	buf_printf(&tmp, "a=%s;", alg_name(k->alg));
	fold_put(&f, tmp.data, tmp.len, true);
	fold_put(&f, "c=relaxed/relaxed;", 18, true);
	buf_reset(&tmp);
	buf_printf(&tmp, "d=%s;", k->domain);
	fold_put(&f, tmp.data, tmp.len, true);
	buf_reset(&tmp);
	buf_printf(&tmp, "s=%s;", k->selector);
	fold_put(&f, tmp.data, tmp.len, true);
	if (t >= 0) {
		buf_reset(&tmp);
		buf_printf(&tmp, "t=%lld;", t);
		fold_put(&f, tmp.data, tmp.len, true);
	}
	/* h=: folded after a colon when a name does not fit */
	for (size_t i = 0; i <= hlist->len; i++) {
		if (i < hlist->len && hlist->data[i] != ':')
			continue;
		buf_reset(&tmp);
		if (hstart == 0)
			buf_puts(&tmp, "h=");
		buf_put(&tmp, hlist->data + hstart, i - hstart + 1);
		if (i == hlist->len)
			tmp.data[tmp.len - 1] = ';';
		fold_put(&f, tmp.data, tmp.len, hstart == 0);
		hstart = i + 1;
	}
	buf_reset(&tmp);
	buf_printf(&tmp, "bh=%s;", bh);
	fold_put(&f, tmp.data, tmp.len, true);
	fold_put(&f, "b=", 2, true);
	buf_free(&tmp);

	/* the header as hashed: canonical, b= empty, no final CRLF */
	dkim_canon_header(&d->canon, d->sig.data, d->sig.len);
	d->canon.len -= 2;
	e = gnutls_hash_fast(GNUTLS_DIG_SHA256, d->canon.data, d->canon.len,
	    digest);
	d->canon.len = canon_len;
	if (e >= 0 && k->rsa) {
		if (dkim_rsa_sign(k->rsa, digest, &raw) != 0)
			e = GNUTLS_E_PK_SIGN_FAILED;
	} else if (e >= 0) {
		data.data = digest;
		data.size = sizeof(digest);
		/* RSA as GnuTLS signs a hash; RFC 8463 3: Ed25519
		 * (PureEdDSA) over the SHA-256 hash as its data */
		if (k->alg == ALG_RSA)
			e = gnutls_privkey_sign_hash2(k->priv,
			    GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig);
		else
			e = gnutls_privkey_sign_data2(k->priv,
			    GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig);
		if (e >= 0)
			buf_put(&raw, sig.data, sig.size);
		gnutls_free(sig.data);
	}
	if (e < 0) {
		buf_free(&raw);
		return fail(err, EX_SOFTWARE, "DKIM signature (%s): %s",
		    alg_name(k->alg), gnutls_strerror(e));
	}
	codec_base64_put(&tmp, raw.data, raw.len);
	buf_free(&raw);
	fold_b64(&f, tmp.data, tmp.len);
	buf_puts(&d->sig, "\r\n");
	buf_free(&tmp);
	return 0;
}

int
dkim_sign(struct dkim *d, struct buf *msg, char **err)
{
	struct buf hlist = BUF_INIT;
	char bh[45];
	size_t body = 0;
	long long t;
	int rc;

	if (!d || d->nkeys == 0)
		return 0;
	if (!msg->data)
		buf_grow(msg, 1);
	if ((rc = parse_header(d, msg->data, msg->len, &body, err)) != 0)
		return rc;
	if (count_fields(d, msg->data, "From") == 0)
		return fail(err, EX_DATAERR, "the message has no From header "
		    "(DKIM signs it always)");
	if ((rc = body_hash(d, msg->data + body, msg->len - body, bh, err)) != 0)
		return rc;
	t = timestamp(d, msg->data);
	signed_fields(d, msg->data, &hlist);
	buf_reset(&d->sigs);
	for (size_t i = 0; i < d->nkeys; i++) {
		if ((rc = sign_one(d, &d->keys[i], bh, t, &hlist, err)) != 0) {
			buf_free(&hlist);
			return rc;
		}
		buf_put(&d->sigs, d->sig.data, d->sig.len);
	}
	buf_free(&hlist);
	buf_grow(msg, d->sigs.len);
	memmove(msg->data + d->sigs.len, msg->data, msg->len + 1);
	memcpy(msg->data, d->sigs.data, d->sigs.len);
	msg->len += d->sigs.len;
	return 0;
}

int
dkim_sign_configured(const struct config *c, struct buf *msg, char **err)
{
	struct dkim *d;
	int rc;

	if ((rc = dkim_open(c, &d, err)) != 0 || !d)
		return rc;
	rc = dkim_sign(d, msg, err);
	dkim_free(d);
	return rc;
}
