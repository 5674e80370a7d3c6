/* token.c - per-subscriber HMAC tokens and the list's secret */
#include "token.h"


#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "util.h"

#define ID_CHARS 6                       /* 30 bits of id */
#define MAC_CHARS (TOKEN_LEN - ID_CHARS) /* 26 chars: 130 bits of MAC */
#define SECRET_BYTES 32
#define SECRET_MIN 16
#define SECRET_MAX 4096

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int
b32_value(int c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* The address as the MAC covers it: its key (addr_key: the domain in
 * A-labels, lowercased), so that a token survives a change of case or of
 * the domain's form; an address that is not valid, with its domain's
 * ASCII lowercased. */
static char *
address_key(const char *email)
{
	char key[ADDR_MAX + 1], *k, *at;

	if (addr_key(email, key) == 0)
		return xstrdup(key);
	k = xstrdup(email);
	at = strrchr(k, '@');
	for (char *p = at; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return k;
}

static void
mac(const unsigned char *secret, size_t secret_len, const void *msg,
	size_t len, unsigned char out[32])
{
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, secret_len, msg, len,
	    out) < 0)
		die(EX_SOFTWARE, "HMAC-SHA256 is not available in GnuTLS");
}

void
token_make(const unsigned char *secret, size_t secret_len, long long id,
	const char *email, char out[TOKEN_LEN + 1])
{
	struct buf msg = BUF_INIT;
	unsigned char d[32];
	char *key;

	if (id < 1 || id > TOKEN_MAX_ID)
		die(EX_SOFTWARE, "subscriber id %lld out of the token's range", id);
	for (int i = 0; i < 8; i++)
		buf_putc(&msg, (int)(((unsigned long long)id >> (56 - 8 * i)) & 0xff));
	key = address_key(email);
	buf_puts(&msg, key);
	free(key);
	mac(secret, secret_len, msg.data, msg.len, d);
	buf_free(&msg);

	for (int i = 0; i < ID_CHARS; i++)
		out[i] = b32[(id >> (5 * (ID_CHARS - 1 - i))) & 31];
	/* the first 130 bits of the MAC, 5 at a time, most significant first */
	for (int i = 0; i < MAC_CHARS; i++) {
		int bit = 5 * i, v = 0;

		for (int j = 0; j < 5; j++, bit++)
			v = v << 1 | ((d[bit / 8] >> (7 - bit % 8)) & 1);
		out[ID_CHARS + i] = b32[v];
	}
	out[TOKEN_LEN] = '\0';
	explicit_bzero(d, sizeof(d));
}

long long
token_id(const char *token)
{
	long long id = 0;

	if (!token || strlen(token) != TOKEN_LEN)
		return -1;
	for (int i = 0; i < TOKEN_LEN; i++)
		if (b32_value((unsigned char)token[i]) < 0)
			return -1;
	for (int i = 0; i < ID_CHARS; i++)
		id = id << 5 | b32_value((unsigned char)token[i]);
	return id >= 1 ? id : -1;
}

bool
token_check(const unsigned char *secret, size_t secret_len, long long id,
	const char *email, const char *token)
{
	char want[TOKEN_LEN + 1];
	unsigned diff = 0;

	if (id < 1 || id > TOKEN_MAX_ID || token_id(token) != id)
		return false;
	token_make(secret, secret_len, id, email, want);
	/* the MAC part is compared in constant time; case is folded first */
	for (int i = 0; i < TOKEN_LEN; i++) {
		unsigned c = (unsigned char)token[i];

		c |= (c >= 'A' && c <= 'Z') ? 0x20 : 0;
		diff |= c ^ (unsigned char)want[i];
	}
	explicit_bzero(want, sizeof(want));
	return diff == 0;
}

/* The first n*5 bits of d as n base32 characters into out. */
static void
b32_bits(const unsigned char *d, int n, char *out)
{
	for (int i = 0; i < n; i++) {
		int bit = 5 * i, v = 0;

		for (int j = 0; j < 5; j++, bit++)
			v = v << 1 | ((d[bit / 8] >> (7 - bit % 8)) & 1);
		out[i] = b32[v];
	}
}

#define CONFIRM_PURPOSE "infolettre-confirm"
#define DAY_CHARS 4

void
token_confirm_make(const unsigned char *secret, size_t secret_len,
	long long id, const char *email, long expires,
	char out[TOKEN_CONFIRM_LEN + 1])
{
	struct buf msg = BUF_INIT;
	unsigned char d[32];
	char *key;

	if (id < 1 || id > TOKEN_MAX_ID || expires < 0 || expires >= 1L << 20)
		die(EX_SOFTWARE, "confirmation token out of range (id %lld, "
			"day %ld)", id, expires);
	buf_put(&msg, CONFIRM_PURPOSE, sizeof(CONFIRM_PURPOSE));
	for (int i = 0; i < 8; i++)
		buf_putc(&msg, (int)(((unsigned long long)id >> (56 - 8 * i)) & 0xff));
	for (int i = 0; i < 4; i++)
		buf_putc(&msg, (int)(((unsigned long)expires >> (24 - 8 * i)) & 0xff));
	key = address_key(email);
	buf_puts(&msg, key);
	free(key);
	mac(secret, secret_len, msg.data, msg.len, d);
	buf_free(&msg);
	for (int i = 0; i < ID_CHARS; i++)
		out[i] = b32[(id >> (5 * (ID_CHARS - 1 - i))) & 31];
	for (int i = 0; i < DAY_CHARS; i++)
		out[ID_CHARS + i] = b32[(expires >> (5 * (DAY_CHARS - 1 - i))) & 31];
	b32_bits(d, MAC_CHARS, out + ID_CHARS + DAY_CHARS);
	out[TOKEN_CONFIRM_LEN] = '\0';
	explicit_bzero(d, sizeof(d));
}

bool
token_confirm_parse(const char *token, long long *id, long *expires)
{
	long long v = 0;
	long day = 0;

	*id = -1;
	*expires = -1;
	if (!token || strlen(token) != TOKEN_CONFIRM_LEN)
		return false;
	for (int i = 0; i < TOKEN_CONFIRM_LEN; i++)
		if (b32_value((unsigned char)token[i]) < 0)
			return false;
	for (int i = 0; i < ID_CHARS; i++)
		v = v << 5 | b32_value((unsigned char)token[i]);
	for (int i = 0; i < DAY_CHARS; i++)
		day = day << 5 | b32_value((unsigned char)token[ID_CHARS + i]);
	if (v < 1)
		return false;
	*id = v;
	*expires = day;
	return true;
}

bool
token_confirm_check(const unsigned char *secret, size_t secret_len,
	long long id, const char *email, const char *token)
{
	char want[TOKEN_CONFIRM_LEN + 1];
	long long tid;
	long day;
	unsigned diff = 0;

	if (!token_confirm_parse(token, &tid, &day) || tid != id ||
	    id > TOKEN_MAX_ID)
		return false;
	token_confirm_make(secret, secret_len, id, email, day, want);
	for (int i = 0; i < TOKEN_CONFIRM_LEN; i++) {
		unsigned c = (unsigned char)token[i];

		c |= (c >= 'A' && c <= 'Z') ? 0x20 : 0;
		diff |= c ^ (unsigned char)want[i];
	}
	explicit_bzero(want, sizeof(want));
	return diff == 0;
}

#define STAMP_PURPOSE "infolettre-form"
#define STAMP_MAC_CHARS 16

static void
stamp_mac(const unsigned char *secret, size_t secret_len, const char *secs,
	size_t n, char out[STAMP_MAC_CHARS])
{
	struct buf msg = BUF_INIT;
	unsigned char d[32];

	buf_put(&msg, STAMP_PURPOSE, sizeof(STAMP_PURPOSE));
	buf_put(&msg, secs, n);
	mac(secret, secret_len, msg.data, msg.len, d);
	buf_free(&msg);
	b32_bits(d, STAMP_MAC_CHARS, out);
	explicit_bzero(d, sizeof(d));
}

void
token_stamp_make(const unsigned char *secret, size_t secret_len,
	long long when, char out[TOKEN_STAMP_MAX])
{
	int n = snprintf(out, TOKEN_STAMP_MAX, "%lld.", when);

	stamp_mac(secret, secret_len, out, (size_t)n - 1, out + n);
	out[n + STAMP_MAC_CHARS] = '\0';
}

long long
token_stamp_check(const unsigned char *secret, size_t secret_len,
	const char *stamp)
{
	const char *dot = stamp ? strchr(stamp, '.') : NULL;
	char want[STAMP_MAC_CHARS];
	unsigned diff = 0;
	long long v = 0;

	if (!dot || dot == stamp || dot - stamp > 12 ||
	    strlen(dot + 1) != STAMP_MAC_CHARS)
		return -1;
	for (const char *p = stamp; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	stamp_mac(secret, secret_len, stamp, (size_t)(dot - stamp), want);
	for (int i = 0; i < STAMP_MAC_CHARS; i++)
		diff |= (unsigned char)dot[1 + i] ^ (unsigned char)want[i];
	return diff == 0 ? v : -1;
}

void
token_hash(const unsigned char *secret, size_t secret_len, const char *label,
	const char *data, char out[TOKEN_HASH_LEN + 1])
{
	struct buf msg = BUF_INIT;
	unsigned char d[32];

	buf_puts(&msg, label);
	buf_putc(&msg, '\0');
	buf_puts(&msg, data);
	mac(secret, secret_len, msg.data, msg.len, d);
	buf_free(&msg);
	codec_hex(out, d, sizeof(d));
	explicit_bzero(d, sizeof(d));
}

/* mkdir -p: the folders of dir that do not exist are made with mode. */
static int
mkdir_parents(const char *dir, int mode)
{
	struct stat st;
	char *p, *s;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	s = xstrdup(dir);
	for (p = s + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, (mode_t)mode) < 0 && errno != EEXIST) {
			free(s);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(s, (mode_t)mode) < 0 && errno != EEXIST) {
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

/* Make the secret file: written under a temporary name, then linked into
 * place so that two first uses at once agree on one secret. */
static int
secret_create(const char *path, char **err)
{
	unsigned char r[SECRET_BYTES];
	char text[2 * SECRET_BYTES + 1];
	char *dir, *tmp;
	int fd, e = 0;

	dir = path_dirname(path);
	if (mkdir_parents(dir, 0700) != 0) {
		e = errno;
		fail(err, EX_CANTCREAT, "%s: cannot create the folder: %s", dir,
			strerror(e));
		free(dir);
		return EX_CANTCREAT;
	}
	free(dir);
	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		return fail(err, EX_OSERR, "%s: no random bytes from the system",
			path);
	codec_hex(text, r, sizeof(r));
	text[2 * SECRET_BYTES] = '\n';
	explicit_bzero(r, sizeof(r));

	/* mode 0600 from its creation, under a name nobody else can have
	 * made or pointed elsewhere */
	fd = file_create_temp(path, 0600, &tmp);
	if (fd < 0) {
		e = errno;
	} else {
		errno = 0;
		if (write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
		    fsync(fd) < 0)
			e = errno ? errno : EIO;
		if (close(fd) < 0 && !e)
			e = errno;
		/* link fails when another process made the file first: its
		 * secret is the one. Where hard links are not supported,
		 * rename: a file is never seen half-written. */
		if (!e && link(tmp, path) < 0 && errno != EEXIST &&
		    !((errno == EPERM || errno == ENOTSUP) &&
		    rename(tmp, path) == 0))
			e = errno;
		unlink(tmp);
		if (!e)
			e = file_sync_dir(path);
	}
	explicit_bzero(text, sizeof(text));
	free(tmp);
	if (e)
		return fail(err, EX_CANTCREAT, "%s: cannot create the secret "
			"file: %s", path, strerror(e));
	return 0;
}

int
token_secret(const char *path, unsigned char **secret, size_t *len,
	char **err)
{
	struct stat st;
	unsigned char *data;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	*secret = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = secret_create(path, err)) != 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return fail(err, errno == EACCES ? EX_NOPERM : EX_NOINPUT,
			"%s: cannot read the secret file: %s", path,
			strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, EX_CONFIG, "%s: the secret file is not a "
			"regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, EX_NOPERM, "%s: the secret file is readable "
			"by group or others (mode %03o); run: chmod 600 %s", path,
			(unsigned)(st.st_mode & 0777), path);
	}
	data = xmalloc(SECRET_MAX + 1);
	while (got <= SECRET_MAX &&
	    (n = read(fd, data + got, SECRET_MAX + 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			close(fd);
			explicit_bzero(data, SECRET_MAX + 1);
			free(data);
			return fail(err, EX_IOERR, "%s: %s", path, strerror(rc));
		}
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && (data[got - 1] == '\n' || data[got - 1] == '\r' ||
	    data[got - 1] == ' ' || data[got - 1] == '\t'))
		got--;
	if (got < SECRET_MIN || got > SECRET_MAX) {
		explicit_bzero(data, SECRET_MAX + 1);
		free(data);
		return fail(err, EX_CONFIG, "%s: the secret must be %d to %d "
			"bytes (remove the file to have a new one made; every "
			"token issued so far then stops working)", path,
			SECRET_MIN, SECRET_MAX);
	}
	*secret = data;
	*len = got;
	return 0;
}
