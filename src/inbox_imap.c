/* inbox_imap.c - the inbox over IMAP (libetpan), TLS verified by GnuTLS */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "buf.h"
#include "codec.h"
#include "inbox_priv.h"
#include "secret.h"
#include "replies.h"
#include "util.h"

/*
 * Why TLS is done here and not by libetpan: the Debian build of libetpan
 * uses GnuTLS, and there its TLS layer never verifies the server's
 * certificate (mailstream_ssl_set_server_certicate is "not implemented"
 * for GnuTLS and the handshake accepts any certificate). So the
 * connection is a small mailstream_low driver of our own over a socket we
 * connect, which turns into GnuTLS (certificate chain and host name
 * verified during the handshake) for imaps:// at once and for imap://
 * after STARTTLS; libetpan's mailimap then speaks IMAP over it.
 */

#define CONNECT_TIMEOUT_MS 30000
#define IO_TIMEOUT_MS 120000

struct conn {
	int fd;
	gnutls_session_t tls; /* NULL before TLS */
	gnutls_certificate_credentials_t cred;
	int timeout_ms;
	struct buf ahead;     /* read before libetpan (the greeting) */
	size_t ahead_off;
};

struct imap {
	struct inbox base;
	mailimap *imap;
	char *host;
	char *folder, *handled; /* folder names in modified UTF-7 */
	char *folder_name;      /* the folder as configured, cleaned */
	uint16_t port;
	bool implicit_tls, readonly, move, uidplus;
	bool broken;         /* the connection broke: no LOGOUT */
	size_t max;          /* bytes fetched of a message: max_size + 1 */
	uint32_t *uids;
	size_t nuids, next;
	uint32_t cur;        /* the UID inbox_next returned, 0 when none */
	struct buf data;
	struct inbox_msg msg;
	char ref[32];
};

/* ---- the connection: a mailstream_low driver ---- */

static int
wait_io(int fd, short ev, int ms)
{
	struct pollfd p = { fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static ssize_t
conn_recv(struct conn *c, void *buf, size_t n)
{
	for (;;) {
		ssize_t r;

		if (!(c->tls && gnutls_record_check_pending(c->tls) > 0) &&
		    wait_io(c->fd, POLLIN, c->timeout_ms) <= 0)
			return -1;
		if (c->tls) {
			r = gnutls_record_recv(c->tls, buf, n);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
		} else {
			r = recv(c->fd, buf, n, 0);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		/* the end of the stream, or an error (a renegotiation too) */
		return r > 0 ? r : -1;
	}
}

static ssize_t
conn_read(mailstream_low *l, void *buf, size_t n)
{
	struct conn *c = l->data;

	if (c->ahead_off < c->ahead.len) {
		size_t k = c->ahead.len - c->ahead_off;

		if (k > n)
			k = n;
		memcpy(buf, c->ahead.data + c->ahead_off, k);
		c->ahead_off += k;
		return (ssize_t)k;
	}
	return conn_recv(c, buf, n);
}

static ssize_t
conn_write(mailstream_low *l, const void *buf, size_t n)
{
	struct conn *c = l->data;
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r;

		if (wait_io(c->fd, POLLOUT, c->timeout_ms) <= 0)
			return -1;
		if (c->tls) {
			r = gnutls_record_send(c->tls, p + done, n - done);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
		} else {
			r = send(c->fd, p + done, n - done, MSG_NOSIGNAL);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return (ssize_t)n;
}

static int
conn_close(mailstream_low *l)
{
	struct conn *c = l->data;

	if (c->tls)
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return 0;
}

static int
conn_get_fd(mailstream_low *l)
{
	return ((struct conn *)l->data)->fd;
}

static void
conn_destroy(struct conn *c)
{
	if (!c)
		return;
	buf_free(&c->ahead);
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void
conn_free(mailstream_low *l)
{
	conn_destroy(l->data);
	free(l);
}

static struct mailstream_cancel *
conn_get_cancel(mailstream_low *l)
{
	(void)l;
	return NULL;
}

static carray *
conn_get_chain(mailstream_low *l)
{
	(void)l;
	return NULL;
}

static mailstream_low_driver conn_driver = {
	conn_read, conn_write, conn_close, conn_get_fd, conn_free,
	NULL, conn_get_cancel, conn_get_chain, NULL, NULL, NULL,
};

/* ---- connecting ---- */

static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A TCP connection to host:port within CONNECT_TIMEOUT_MS: the socket, or
 * -1 with *err (EX_UNAVAILABLE). */
static int
tcp_connect(const struct imap *im, char **err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, e, last = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", (unsigned)im->port);
	if ((e = getaddrinfo(im->host, port, &hints, &res)) != 0) {
		fail(err, EX_UNAVAILABLE, "%s: cannot resolve %s: %s",
			im->base.describe, im->host, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int flags, soerr = 0, r;
		socklen_t sl = sizeof soerr;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		flags = fcntl(fd, F_GETFL, 0);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r < 0 && errno == EINPROGRESS) {
			int w = wait_io(fd, POLLOUT, CONNECT_TIMEOUT_MS);

			if (w <= 0)
				last = w == 0 ? ETIMEDOUT : errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) < 0)
				last = errno;
			else if (soerr)
				last = soerr;
			else
				r = 0;
		} else if (r < 0) {
			last = errno;
		}
		if (r < 0) {
			close(fd);
			fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, flags);
		set_timeouts(fd, IO_TIMEOUT_MS);
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fail(err, EX_UNAVAILABLE, "%s: cannot connect to %s port %u: "
			"%s", im->base.describe, im->host, (unsigned)im->port,
			strerror(last ? last : ECONNREFUSED));
	return fd;
}

static bool
is_ip_literal(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* TLS on c->fd, the server's certificate verified for im->host. */
static int
tls_start(struct imap *im, struct conn *c, const char *ca_file, char **err)
{
	int r;

	if ((r = gnutls_certificate_allocate_credentials(&c->cred)) < 0)
		return fail(err, EX_SOFTWARE, "GnuTLS: %s", gnutls_strerror(r));
	if (*ca_file) {
		r = gnutls_certificate_set_x509_trust_file(c->cred, ca_file,
			GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return fail(err, EX_CONFIG, "inbox.ca_file: %s: %s",
				ca_file, r < 0 ? gnutls_strerror(r) :
				"no certificate in it");
	} else if ((r = gnutls_certificate_set_x509_system_trust(c->cred))
	    <= 0) {
		return fail(err, EX_CONFIG, "inbox: the system has no CA "
			"certificates to verify %s with (%s); set inbox.ca_file",
			im->host, r < 0 ? gnutls_strerror(r) : "none found");
	}
	if ((r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0) {
		c->tls = NULL;
		return fail(err, EX_SOFTWARE, "GnuTLS: %s", gnutls_strerror(r));
	}
	gnutls_set_default_priority(c->tls);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
	/* no SNI for an address (RFC 6066) */
	if (!is_ip_literal(im->host))
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, im->host,
			strlen(im->host));
	gnutls_session_set_verify_cert(c->tls, im->host, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, IO_TIMEOUT_MS);
	do
		r = gnutls_handshake(c->tls);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		unsigned status = gnutls_session_get_verify_cert_status(c->tls);
		gnutls_datum_t why = { NULL, 0 };
		char *clean;

		gnutls_certificate_verification_status_print(status,
			gnutls_certificate_type_get(c->tls), &why, 0);
		clean = sanitize(why.data ? (const char *)why.data : "");
		r = fail(err, EX_UNAVAILABLE, "%s: the server's certificate "
			"is not trusted: %s%s", im->base.describe, clean,
			*ca_file ? "" : " (inbox.ca_file names the CA of a "
			"private server)");
		free(clean);
		gnutls_free(why.data);
		return r;
	}
	if (r < 0)
		return fail(err, EX_UNAVAILABLE, "%s: TLS handshake failed: %s",
			im->base.describe, gnutls_strerror(r));
	return 0;
}


/* ---- names ---- */

/* UTF-8 → IMAP's modified UTF-7 (RFC 3501 5.1.3); NULL when s is not
 * valid UTF-8 or holds control characters. The caller frees it. */
static char *
mutf7(const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+,";
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	if (!utf8_valid(s, strlen(s), NULL)) {
		return NULL;
	}
	while (*p) {
		unsigned long bits = 0;
		int nbits = 0;

		if (*p < 0x20 || *p == 0x7f) {
			buf_free(&b);
			return NULL;
		}
		if (*p < 0x80) {
			if (*p == '&')
				buf_puts(&b, "&-");
			else
				buf_putc(&b, *p);
			p++;
			continue;
		}
		buf_putc(&b, '&');
		while (*p >= 0x80) {
			unsigned long cp;
			unsigned units[2];
			int n = 0;

			if (*p < 0xe0) {
				cp = (unsigned long)(*p & 0x1f) << 6 |
					(p[1] & 0x3f);
				p += 2;
			} else if (*p < 0xf0) {
				cp = (unsigned long)(*p & 0x0f) << 12 |
					(unsigned long)(p[1] & 0x3f) << 6 |
					(p[2] & 0x3f);
				p += 3;
			} else {
				cp = (unsigned long)(*p & 0x07) << 18 |
					(unsigned long)(p[1] & 0x3f) << 12 |
					(unsigned long)(p[2] & 0x3f) << 6 |
					(p[3] & 0x3f);
				p += 4;
			}
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units[n++] = 0xd800 | (unsigned)(cp >> 10);
				units[n++] = 0xdc00 | (unsigned)(cp & 0x3ff);
			} else {
				units[n++] = (unsigned)cp;
			}
			for (int i = 0; i < n; i++) {
				bits = bits << 16 | units[i];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					buf_putc(&b, b64[(bits >> nbits) & 0x3f]);
				}
			}
		}
		if (nbits > 0)
			buf_putc(&b, b64[(bits << (6 - nbits)) & 0x3f]);
		buf_putc(&b, '-');
	}
	return buf_detach(&b);
}

/* imap[s]://HOST[:PORT][/FOLDER]: no user name or password in it. */
static int
parse_url(struct imap *im, const char *url, char **err)
{
	const char *p, *hend, *slash;
	struct buf folder = BUF_INIT;
	char *clean;
	long port;

	im->implicit_tls = strncasecmp(url, "imaps://", 8) == 0;
	p = url + (im->implicit_tls ? 8 : 7);
	slash = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(slash - p)))
		return fail(err, EX_CONFIG, "inbox.url: no user name or "
			"password in the URL (use inbox.username and "
			"inbox.password_file or inbox.password_env)");
	if (*slash == '?' || *slash == '#')
		return fail(err, EX_CONFIG, "inbox.url: no query or fragment "
			"in an imap URL");
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (!hend)
			goto bad;
		im->host = xstrndup(p + 1, (size_t)(hend - p - 1));
		hend++;
	} else {
		hend = p + strcspn(p, ":/");
		if (hend > slash)
			hend = slash;
		im->host = xstrndup(p, (size_t)(hend - p));
	}
	if (!*im->host)
		goto bad;
	for (const char *h = im->host; *h; h++)
		if ((unsigned char)*h <= ' ' || *h == 0x7f || *h == '/')
			goto bad;
	port = im->implicit_tls ? 993 : 143;
	if (*hend == ':') {
		char *end;

		errno = 0;
		port = strtol(hend + 1, &end, 10);
		if (end == hend + 1 || end != slash || port < 1 || port > 65535)
			goto bad;
	} else if (hend != slash) {
		goto bad;
	}
	im->port = (uint16_t)port;
	if (*slash == '/') {
		for (const char *q = slash + 1; *q; q++) {
			if (*q == '%' && codec_hexval(q[1]) >= 0 && codec_hexval(q[2]) >= 0) {
				buf_putc(&folder, codec_hexval(q[1]) << 4 | codec_hexval(q[2]));
				q += 2;
			} else {
				buf_putc(&folder, *q);
			}
		}
	}
	clean = buf_detach(&folder);
	if (!*clean) {
		free(clean);
		clean = xstrdup("INBOX");
	}
	im->folder = mutf7(clean);
	im->folder_name = sanitize(clean);
	free(clean);
	if (!im->folder)
		return fail(err, EX_CONFIG, "inbox.url: the folder name is not "
			"valid UTF-8 or holds control characters");
	return 0;
bad:
	clean = sanitize(url);
	fail(err, EX_CONFIG, "inbox.url: \"%s\" is not imaps://HOST[:PORT]/"
		"FOLDER or imap://HOST[:PORT]/FOLDER", clean);
	free(clean);
	return EX_CONFIG;
}

/* ---- IMAP ---- */

/* The server's last response text, cleaned and short. The caller frees. */
static char *
server_said(const struct imap *im)
{
	const char *r = im->imap ? im->imap->imap_response : NULL;
	char *s, *clean;

	if (!r || !*r)
		return xstrdup("no answer");
	s = xstrndup(r, strnlen(r, 200));
	clean = sanitize(s);
	free(s);
	return clean;
}

static int
imap_fail(struct imap *im, int status, int r, const char *what, char **err)
{
	char *said;
	int rc;

	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		im->broken = true;
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return fail(err, status, "%s: %s: the connection broke",
			im->base.describe, what);
	said = server_said(im);
	rc = fail(err, status, "%s: %s: the server says: %s",
		im->base.describe, what, said);
	free(said);
	return rc;
}

static bool
has_cap(struct mailimap_capability_data *cap, const char *name)
{
	clistiter *it;

	if (!cap)
		return false;
	for (it = clist_begin(cap->cap_list); it; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);

		if (c->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    c->cap_data.cap_name &&
		    strcasecmp(c->cap_data.cap_name, name) == 0)
			return true;
	}
	return false;
}

/* Can the selected folder keep our keyword? */
static bool
keeps_keyword(const mailimap *imap)
{
	clistiter *it;

	if (!imap->imap_selection_info ||
	    !imap->imap_selection_info->sel_perm_flags)
		return true; /* no PERMANENTFLAGS: all flags are permanent */
	for (it = clist_begin(imap->imap_selection_info->sel_perm_flags); it;
	    it = clist_next(it)) {
		struct mailimap_flag_perm *fp = clist_content(it);

		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return true;
		if (fp->fl_type == MAILIMAP_FLAG_PERM_FLAG && fp->fl_flag &&
		    fp->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    fp->fl_flag->fl_data.fl_keyword &&
		    strcasecmp(fp->fl_flag->fl_data.fl_keyword,
		    INBOX_KEYWORD) == 0)
			return true;
	}
	return false;
}

/*
 * Read the greeting before libetpan does, and keep it for libetpan to read
 * again: libetpan leaks what it parsed of a "* BYE" greeting, so that one
 * is refused here.
 */
static int
greeting_check(struct imap *im, struct conn *c, char **err)
{
	char chunk[1024];

	while (!memchr(buf_str(&c->ahead), '\n', c->ahead.len) &&
	    c->ahead.len < 8192) {
		ssize_t n = conn_recv(c, chunk, sizeof chunk);

		if (n <= 0)
			return fail(err, EX_UNAVAILABLE, "%s: no IMAP greeting: "
				"the connection closed", im->base.describe);
		buf_put(&c->ahead, chunk, (size_t)n);
	}
	if (c->ahead.len >= 5 && strncasecmp(c->ahead.data, "* BYE", 5) == 0) {
		size_t n = strcspn(c->ahead.data, "\r\n");
		char *line = xstrndup(c->ahead.data, n < 200 ? n : 200);
		char *clean = sanitize(line);
		int rc = fail(err, EX_UNAVAILABLE, "%s: no IMAP greeting: the "
			"server refuses the connection: %s", im->base.describe,
			clean);

		free(clean);
		free(line);
		return rc;
	}
	return 0;
}

/* Connect, TLS, log in. */
/* A line of the server's, CR LF dropped, into b: 0, or -1 when the
 * connection ends. */
static int
read_line(struct imap *im, struct buf *b)
{
	char *l = mailimap_read_line(im->imap);
	size_t n;

	if (!l)
		return -1;
	n = strlen(l);
	while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
		n--;
	buf_reset(b);
	buf_put(b, l, n);
	return 0;
}

static int
send_text(struct imap *im, const char *s)
{
	size_t n = strlen(s);

	if (mailstream_write(im->imap->imap_stream, s, n) != (ssize_t)n ||
	    mailstream_flush(im->imap->imap_stream) != 0)
		return -1;
	return 0;
}

/*
 * AUTHENTICATE with a bearer token (XOAUTH2 or OAUTHBEARER), over the
 * TLS stream libetpan reads: the command, the client response after the
 * server's "+", then the tagged answer. A refusal comes as a "+" with a
 * base64 JSON error first, answered with an empty response (XOAUTH2) or
 * ^A (OAUTHBEARER, RFC 7628 3.2.3), then NO. Returns 0 (and the session
 * is authenticated), EX_NOPERM with *refused when the server said NO or
 * BAD, EX_UNAVAILABLE when the connection broke.
 */
static int
sasl_bearer(struct imap *im, const char *mech, const char *user,
	const char *token, bool *refused, char **err)
{
	static const char tag[] = "ilauth";
	struct buf line = BUF_INIT, cmd = BUF_INIT;
	char port[8], *resp;
	bool sent = false;
	int rc = 0;

	*refused = false;
	snprintf(port, sizeof port, "%u", (unsigned)im->port);
	resp = secret_sasl_response(mech, user, im->host, port, token);
	buf_printf(&cmd, "%s AUTHENTICATE %s\r\n", tag, mech);
	if (send_text(im, buf_str(&cmd)) != 0)
		goto broken;
	for (;;) {
		const char *l;

		if (read_line(im, &line) != 0)
			goto broken;
		l = buf_str(&line);
		if (l[0] == '+') {
			if (!sent) {
				buf_reset(&cmd);
				buf_printf(&cmd, "%s\r\n", resp);
				sent = true;
			} else {
				/* the error challenge: end the exchange */
				buf_reset(&cmd);
				buf_puts(&cmd, strcmp(mech, "OAUTHBEARER") == 0 ?
					"AQ==\r\n" : "\r\n");
			}
			rc = send_text(im, buf_str(&cmd));
			explicit_bzero(cmd.data, cmd.len);
			if (rc != 0)
				goto broken;
			continue;
		}
		if (strncmp(l, tag, sizeof tag - 1) != 0 ||
		    l[sizeof tag - 1] != ' ')
			continue; /* untagged: CAPABILITY and the like */
		l += sizeof tag;
		if (strncmp(l, "OK", 2) == 0) {
			im->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
			rc = 0;
		} else {
			char *said = sanitize(l);

			*refused = true;
			rc = fail(err, EX_NOPERM, "%s: AUTHENTICATE %s as %s "
				"refused: %s", im->base.describe, mech, user, said);
			free(said);
		}
		goto out;
	}
broken:
	im->broken = true;
	rc = fail(err, EX_UNAVAILABLE, "%s: the connection broke during "
		"AUTHENTICATE %s", im->base.describe, mech);
out:
	explicit_bzero(resp, strlen(resp));
	free(resp);
	if (cmd.data)
		explicit_bzero(cmd.data, cmd.len);
	buf_free(&cmd);
	buf_free(&line);
	return rc;
}

/* Sign in with the section's secret: LOGIN with a password, AUTHENTICATE
 * with a token (one new token when the first is refused and may have
 * expired). */
static int
sign_in(struct imap *im, struct secret *sec, const char *user, char **err)
{
	char *cred = NULL;
	bool refused = false;
	int r, rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((rc = secret_get(sec, attempt > 0, &cred, err)) != 0)
			return rc;
		if (secret_kind(sec) == SECRET_BEARER) {
			rc = sasl_bearer(im, secret_mechanism(sec), user, cred,
				&refused, err);
		} else if ((r = mailimap_login(im->imap, user, cred)) !=
		    MAILIMAP_NO_ERROR) {
			rc = r == MAILIMAP_ERROR_LOGIN ?
				imap_fail(im, EX_NOPERM, r, "login refused",
				err) : imap_fail(im, EX_UNAVAILABLE, r,
				"login failed", err);
		} else {
			rc = 0;
		}
		explicit_bzero(cred, strlen(cred));
		free(cred);
		cred = NULL;
		if (rc == 0 || !refused || secret_kind(sec) != SECRET_BEARER ||
		    attempt > 0)
			return rc;
		/* refused: once more with a new token (it may have expired) */
		free(*err);
		*err = NULL;
	}
	return rc;
}

static int
session_start(struct imap *im, const struct config *c, char **err)
{
	const char *user = c->inbox.username;
	struct conn *cn = xcalloc(1, sizeof *cn);
	mailstream_low *low;
	mailstream *stream;
	struct secret *sec = NULL;
	int r, rc, greeting;
	bool cleartext = !im->implicit_tls && !c->inbox.starttls;

	cn->fd = -1;
	cn->timeout_ms = IO_TIMEOUT_MS;
	if (cleartext && *user) {
		free(cn);
		return fail(err, EX_CONFIG, "inbox: refusing to send LOGIN "
			"over an unencrypted connection (inbox.starttls is "
			"false and inbox.username is set)");
	}
	if ((rc = secret_open(c, "inbox", &sec, err)) != 0) {
		free(cn);
		return rc;
	}
	if ((cn->fd = tcp_connect(im, err)) < 0) {
		rc = EX_UNAVAILABLE;
		free(cn);
		goto out;
	}
	if (im->implicit_tls && (rc = tls_start(im, cn, c->inbox.ca_file,
	    err)) != 0) {
		conn_destroy(cn);
		goto out;
	}
	if ((rc = greeting_check(im, cn, err)) != 0) {
		conn_destroy(cn);
		goto out;
	}
	if (!(low = mailstream_low_new(cn, &conn_driver)))
		die(EX_OSERR, "out of memory");
	if (!(stream = mailstream_new(low, 8192)))
		die(EX_OSERR, "out of memory");
	/* mailimap owns the stream from here, even when this fails */
	greeting = mailimap_connect(im->imap, stream);
	if (greeting != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    greeting != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		rc = imap_fail(im, EX_UNAVAILABLE, greeting, "no IMAP greeting",
			err);
		im->broken = true; /* no session to log out of */
		goto out;
	}
	if (!im->implicit_tls && c->inbox.starttls) {
		if (greeting == MAILIMAP_NO_ERROR_AUTHENTICATED) {
			/* PREAUTH in clear: STARTTLS is not allowed any more */
			rc = fail(err, EX_UNAVAILABLE, "%s: the server greets "
				"with PREAUTH, so STARTTLS cannot follow; "
				"refusing to read the inbox without TLS",
				im->base.describe);
			goto out;
		}
		if ((r = mailimap_starttls(im->imap)) != MAILIMAP_NO_ERROR) {
			rc = imap_fail(im, EX_UNAVAILABLE, r, "STARTTLS "
				"refused (inbox.starttls: false reads without "
				"TLS)", err);
			goto out;
		}
		/* what came in clear after the answer must not pass for
		 * protected (a STARTTLS injection) */
		low = mailstream_get_low(im->imap->imap_stream);
		cn = low->data;
		if (im->imap->imap_stream->read_buffer_len > 0 ||
		    cn->ahead_off < cn->ahead.len) {
			rc = fail(err, EX_UNAVAILABLE, "%s: data after the "
				"STARTTLS answer; refusing it",
				im->base.describe);
			goto out;
		}
		if ((rc = tls_start(im, cn, c->inbox.ca_file, err)) != 0) {
			im->broken = true;
			goto out;
		}
	}
	if (greeting == MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		if (!*user) {
			rc = fail(err, cleartext ? EX_NOPERM : EX_CONFIG,
				"%s: the server wants a login: set "
				"inbox.username and inbox.password_file or "
				"inbox.password_env%s", im->base.describe,
				cleartext ? " (and use TLS: LOGIN is never sent "
				"in clear)" : "");
			goto out;
		}
		if ((rc = sign_in(im, sec, user, err)) != 0)
			goto out;
	}
	rc = 0;
out:
	secret_free(sec);
	return rc;
}

static int
search_unhandled(struct imap *im, char **err)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *it;
	int r;

	key = mailimap_search_key_new_unkeyword(xstrdup(INBOX_KEYWORD));
	r = mailimap_uid_search(im->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, EX_UNAVAILABLE, r, "SEARCH failed", err);
	im->uids = xcalloc((size_t)clist_count(res) + 1, sizeof *im->uids);
	for (it = clist_begin(res); it; it = clist_next(it)) {
		uint32_t *u = clist_content(it);

		im->uids[im->nuids++] = *u;
	}
	mailimap_search_result_free(res);
	return 0;
}

static int
imap_next(struct inbox *ib, const struct inbox_msg **out, char **err)
{
	struct imap *im = (struct imap *)ib;

	*out = NULL;
	im->cur = 0;
	while (im->next < im->nuids) {
		uint32_t uid = im->uids[im->next++];
		struct mailimap_set *set = mailimap_set_new_single(uid);
		struct mailimap_fetch_type *ft =
			mailimap_fetch_type_new_fetch_att_list_empty();
		struct mailimap_section *sec = mailimap_section_new(NULL);
		clist *res = NULL;
		clistiter *it;
		uint32_t size = 0;
		bool found = false;
		int r;

		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_body_peek_section_partial(sec, 0,
			(uint32_t)im->max));
		r = mailimap_uid_fetch(im->imap, set, ft, &res);
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(im, EX_TEMPFAIL, r, "FETCH failed", err);
		buf_reset(&im->data);
		for (it = clist_begin(res); it; it = clist_next(it)) {
			struct mailimap_msg_att *ma = clist_content(it);
			uint32_t got = 0, sz = 0;
			const char *body = NULL;
			size_t blen = 0;

			for (clistiter *j = clist_begin(ma->att_list); j;
			    j = clist_next(j)) {
				struct mailimap_msg_att_item *item =
					clist_content(j);
				struct mailimap_msg_att_static *st;

				if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
					continue;
				st = item->att_data.att_static;
				if (st->att_type == MAILIMAP_MSG_ATT_UID)
					got = st->att_data.att_uid;
				else if (st->att_type ==
				    MAILIMAP_MSG_ATT_RFC822_SIZE)
					sz = st->att_data.att_rfc822_size;
				else if (st->att_type ==
				    MAILIMAP_MSG_ATT_BODY_SECTION &&
				    st->att_data.att_body_section) {
					body = st->att_data.att_body_section->
						sec_body_part;
					blen = st->att_data.att_body_section->
						sec_length;
				}
			}
			/* other FETCH responses (flag updates) may come */
			if (got != uid || !body)
				continue;
			if (blen > im->max)
				blen = im->max;
			buf_put(&im->data, body, blen);
			size = sz;
			found = true;
		}
		mailimap_fetch_list_free(res);
		if (!found)
			continue; /* expunged meanwhile */
		im->cur = uid;
		snprintf(im->ref, sizeof im->ref, "UID %u", (unsigned)uid);
		im->msg.ref = im->ref;
		im->msg.data = im->data.data ? im->data.data : "";
		im->msg.len = im->data.len;
		im->msg.size = size > im->data.len ? size : im->data.len;
		*out = &im->msg;
		return 0;
	}
	return 0;
}

static int
store_flags(struct imap *im, uint32_t uid, bool deleted, char **err)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	struct mailimap_set *set = mailimap_set_new_single(uid);
	int r;

	if (deleted) {
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	} else {
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
		mailimap_flag_list_add(fl,
			mailimap_flag_new_flag_keyword(xstrdup(INBOX_KEYWORD)));
	}
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(im->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, EX_TEMPFAIL, r, "STORE failed", err);
	return 0;
}

static int
imap_mark(struct inbox *ib, char **err)
{
	struct imap *im = (struct imap *)ib;
	uint32_t uid = im->cur;
	struct mailimap_set *set;
	int rc, r;

	if (!uid || im->readonly)
		return fail(err, EX_SOFTWARE, "inbox: nothing to mark");
	im->cur = 0;
	/* the keyword first: a message copied but not moved is skipped too */
	if ((rc = store_flags(im, uid, false, err)) != 0 || !im->handled)
		return rc;
	set = mailimap_set_new_single(uid);
	if (im->move) {
		r = mailimap_uid_move(im->imap, set, im->handled);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(im, EX_TEMPFAIL, r, "MOVE failed", err);
		return 0;
	}
	r = mailimap_uid_copy(im->imap, set, im->handled);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		return imap_fail(im, EX_TEMPFAIL, r, "COPY failed", err);
	}
	/* without UIDPLUS only this message could not be expunged alone:
	 * it stays, flagged \Deleted, for the editors' client to expunge */
	if ((rc = store_flags(im, uid, true, err)) == 0 && im->uidplus &&
	    (r = mailimap_uid_expunge(im->imap, set)) != MAILIMAP_NO_ERROR)
		rc = imap_fail(im, EX_TEMPFAIL, r, "UID EXPUNGE failed", err);
	mailimap_set_free(set);
	return rc;
}

static void
imap_close(struct inbox *ib)
{
	struct imap *im = (struct imap *)ib;

	if (im->imap) {
		if (im->imap->imap_stream && !im->broken) {
			struct conn *cn =
				mailstream_get_low(im->imap->imap_stream)->data;

			/* a server gone quiet must not hold the run */
			cn->timeout_ms = 5000;
			set_timeouts(cn->fd, 5000);
			mailimap_logout(im->imap);
		}
		mailimap_free(im->imap);
	}
	free(im->folder_name);
	free(im->host);
	free(im->folder);
	free(im->handled);
	free(im->uids);
	buf_free(&im->data);
	free(im->base.describe);
	free(im);
}

static const struct inbox_ops imap_ops = { imap_next, imap_mark, imap_close };

int
inbox_imap_open(const struct config *c, bool readonly, struct inbox **out,
	char **err)
{
	struct imap *im = xcalloc(1, sizeof *im);
	struct mailimap_capability_data *cap = NULL;
	const char *user = c->inbox.username;
	char *user_clean;
	bool cleartext;
	int rc, r;

	*out = NULL;
	im->base.ops = &imap_ops;
	im->readonly = readonly;
	im->max = (c->inbox.max_size > 0 ? (size_t)c->inbox.max_size :
		REPLIES_MAX_SIZE) + 1;
	if ((rc = parse_url(im, c->inbox.url, err)) != 0)
		goto bad;
	cleartext = !im->implicit_tls && !c->inbox.starttls;
	user_clean = sanitize(user);
	im->base.describe = xasprintf("%s://%s%s%s:%u/%s (%s%s%s)",
		im->implicit_tls ? "imaps" : "imap",
		strchr(im->host, ':') ? "[" : "", im->host,
		strchr(im->host, ':') ? "]" : "", (unsigned)im->port,
		im->folder_name,
		im->implicit_tls ? "TLS" : cleartext ? "no TLS" : "STARTTLS",
		*user ? ", LOGIN as " : "", user_clean);
	free(user_clean);
	if (*c->inbox.handled_folder &&
	    !(im->handled = mutf7(c->inbox.handled_folder))) {
		rc = fail(err, EX_CONFIG, "inbox.handled_folder: not valid "
			"UTF-8 or holds control characters");
		goto bad;
	}
	if (!(im->imap = mailimap_new(0, NULL)))
		die(EX_OSERR, "out of memory");
	mailimap_set_timeout(im->imap, IO_TIMEOUT_MS / 1000);
	if ((rc = session_start(im, c, err)) != 0)
		goto bad;
	if ((r = mailimap_capability(im->imap, &cap)) != MAILIMAP_NO_ERROR) {
		rc = imap_fail(im, EX_UNAVAILABLE, r, "CAPABILITY failed", err);
		goto bad;
	}
	im->move = has_cap(cap, "MOVE");
	im->uidplus = has_cap(cap, "UIDPLUS");
	mailimap_capability_data_free(cap);
	if (im->handled && !readonly) {
		/* made when missing; "already exists" is fine */
		r = mailimap_create(im->imap, im->handled);
		if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_CREATE) {
			rc = imap_fail(im, EX_UNAVAILABLE, r, "CREATE failed",
				err);
			goto bad;
		}
	}
	r = readonly ? mailimap_examine(im->imap, im->folder) :
		mailimap_select(im->imap, im->folder);
	if (r != MAILIMAP_NO_ERROR) {
		rc = imap_fail(im, r == MAILIMAP_ERROR_SELECT ||
			r == MAILIMAP_ERROR_EXAMINE ? EX_CONFIG : EX_UNAVAILABLE,
			r, "cannot open the folder", err);
		goto bad;
	}
	if (!readonly && !keeps_keyword(im->imap)) {
		rc = fail(err, EX_CONFIG, "%s: the server cannot keep the "
			"keyword %s in this folder; set inbox.handled_folder",
			im->base.describe, INBOX_KEYWORD);
		goto bad;
	}
	if ((rc = search_unhandled(im, err)) != 0)
		goto bad;
	*out = &im->base;
	return 0;
bad:
	imap_close(&im->base);
	return rc;
}
