/* secret.c - passwords and OAuth2 bearer tokens: from a file, the
 * environment, a command, or an OAuth2 token endpoint */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "codec.h"
#include "util.h"

/* The most a command or the token endpoint may answer. */
#define ANSWER_MAX 65536

struct secret {
	enum secret_kind kind;
	char section[16];
	const char *mech;           /* static */
	const struct config_oauth2 *oa; /* the configuration's (outlives us) */
	const struct strlist *cmd;  /* password_command or token_command */
	const char *file, *env;     /* password_file, password_env */
	pthread_mutex_t mu;
	char *cached;               /* the secret, or NULL */
	time_t expires;             /* a token's, 0: until refused */
	long fetches;
};

static void
wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static bool
has_oauth2(const struct config_oauth2 *o)
{
	return *o->token_url || *o->client_id || *o->client_secret_file ||
	    *o->scope || *o->refresh_token_file || *o->ca_file;
}

int
secret_open(const struct config *c, const char *section, struct secret **out,
	char **err)
{
	bool tr = strcmp(section, "transport") == 0;
	const char *user = tr ? c->transport.username : c->inbox.username;
	const char *auth = tr ? c->transport.auth : c->inbox.auth;
	const char *file = tr ? c->transport.password_file :
	    c->inbox.password_file;
	const char *env = tr ? c->transport.password_env : c->inbox.password_env;
	const struct strlist *pc = tr ? &c->transport.password_command :
	    &c->inbox.password_command;
	const struct strlist *tc = tr ? &c->transport.token_command :
	    &c->inbox.token_command;
	const struct config_oauth2 *oa = tr ? &c->transport.oauth2 :
	    &c->inbox.oauth2;
	bool bearer = strcmp(auth, "xoauth2") == 0 ||
	    strcmp(auth, "oauthbearer") == 0;
	int npw = (*file != 0) + (*env != 0) + (pc->n > 0);
	struct secret *s;

	*out = NULL;
	if (!*user) {
		if (npw || tc->n || has_oauth2(oa))
			return fail(err, EX_CONFIG, "%s: a password or a token "
				"is given but %s.username is empty", section,
				section);
		if (bearer)
			return fail(err, EX_CONFIG, "%s.auth: %s needs "
				"%s.username (the mailbox signing in)", section,
				auth, section);
		return 0;
	}
	if (bearer) {
		if (npw)
			return fail(err, EX_CONFIG, "%s.auth is %s: a token "
				"signs in, not password_file, password_env or "
				"password_command", section, auth);
		if ((tc->n > 0) + has_oauth2(oa) != 1)
			return fail(err, EX_CONFIG, "%s.auth is %s: give "
				"either %s.token_command or an %s.oauth2 block",
				section, auth, section, section);
		if (has_oauth2(oa)) {
			if (!*oa->token_url || !*oa->client_id)
				return fail(err, EX_CONFIG, "%s.oauth2: "
					"token_url and client_id are required",
					section);
			if (strncmp(oa->token_url, "https://", 8) != 0)
				return fail(err, EX_CONFIG, "%s.oauth2.token_url:"
					" \"%s\" is not an https:// URL", section,
					oa->token_url);
			if (!*oa->client_secret_file && !*oa->refresh_token_file)
				return fail(err, EX_CONFIG, "%s.oauth2: give "
					"client_secret_file (client credentials) "
					"or refresh_token_file (a refresh token), "
					"or both", section);
		}
	} else {
		if (tc->n || has_oauth2(oa))
			return fail(err, EX_CONFIG, "%s.auth is %s: a password "
				"signs in; set %s.auth to xoauth2 or oauthbearer "
				"for a token", section, auth, section);
		if (npw > 1)
			return fail(err, EX_CONFIG, "%s: give one of "
				"password_file, password_env and "
				"password_command", section);
		if (npw == 0)
			return fail(err, EX_CONFIG, "%s.username is set: "
				"%s.password_file, %s.password_env or "
				"%s.password_command must give the password",
				section, section, section, section);
	}
	s = xcalloc(1, sizeof *s);
	snprintf(s->section, sizeof s->section, "%s", section);
	s->kind = bearer ? SECRET_BEARER : SECRET_PASSWORD;
	s->mech = strcmp(auth, "xoauth2") == 0 ? "XOAUTH2" :
	    strcmp(auth, "oauthbearer") == 0 ? "OAUTHBEARER" :
	    strcmp(auth, "login") == 0 ? "LOGIN" : NULL;
	s->oa = has_oauth2(oa) ? oa : NULL;
	s->cmd = bearer ? (tc->n ? tc : NULL) : (pc->n ? pc : NULL);
	s->file = file;
	s->env = env;
	pthread_mutex_init(&s->mu, NULL);
	*out = s;
	return 0;
}

enum secret_kind
secret_kind(const struct secret *s)
{
	return s->kind;
}

const char *
secret_mechanism(const struct secret *s)
{
	return s->mech;
}

long
secret_fetches(const struct secret *s)
{
	return s->fetches;
}

/* The command as the configuration gives it, for errors (no secret is
 * ever in it: it is the configuration's). */
static char *
command_text(const struct strlist *cmd)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < cmd->n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", cmd->v[i]);
	return buf_detach(&b);
}

/* Run cmd without a shell: its first line of standard output (CR LF or
 * LF dropped), its standard error passed through, at most
 * SECRET_COMMAND_TIMEOUT seconds. */
static int
run_command(const struct secret *s, char **out, char **err)
{
	const char *key = s->kind == SECRET_BEARER ? "token_command" :
	    "password_command";
	char *text = command_text(s->cmd), *argv0 = s->cmd->v[0];
	struct buf b = BUF_INIT;
	char **argv;
	int fds[2], status = 0, rc = 0;
	double until;
	pid_t pid;
	size_t nl;
	bool timed_out = false;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		rc = fail(err, EX_OSERR, "%s.%s: pipe: %s", s->section, key,
			strerror(errno));
		goto done;
	}
	argv = xcalloc(s->cmd->n + 1, sizeof *argv);
	for (size_t i = 0; i < s->cmd->n; i++)
		argv[i] = s->cmd->v[i];
	if ((pid = fork()) < 0) {
		rc = fail(err, EX_OSERR, "%s.%s: fork: %s", s->section, key,
			strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(argv);
		goto done;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		/* the command starts as from a shell: default dispositions,
		 * nothing blocked (the sending threads may block some) */
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv0, argv);
		fprintf(stderr, "infolettre: %s.%s: %s: %s\n", s->section, key,
			argv0, strerror(errno));
		_exit(127);
	}
	free(argv);
	close(fds[1]);
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		until = (double)ts.tv_sec + SECRET_COMMAND_TIMEOUT;
	}
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		struct timespec ts;
		char chunk[4096];
		ssize_t n;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		left = (int)((until - (double)ts.tv_sec) * 1000);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&p, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents == 0)
			continue;
		n = read(fds[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len < ANSWER_MAX)
			buf_put(&b, chunk, (size_t)n);
		explicit_bzero(chunk, sizeof chunk);
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		rc = fail(err, EX_NOPERM, "%s.%s: `%s` gave no answer within "
			"%d s", s->section, key, text, SECRET_COMMAND_TIMEOUT);
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			rc = fail(err, EX_NOPERM, "%s.%s: `%s` exited with "
				"status %d", s->section, key, text,
				WEXITSTATUS(status));
		else
			rc = fail(err, EX_NOPERM, "%s.%s: `%s` was killed by "
				"signal %d", s->section, key, text,
				WTERMSIG(status));
		goto done;
	}
	nl = 0;
	while (nl < b.len && b.data[nl] != '\n')
		nl++;
	if (nl > 0 && b.data[nl - 1] == '\r')
		nl--;
	if (nl == 0 || memchr(b.data, '\0', nl)) {
		rc = fail(err, EX_NOPERM, "%s.%s: `%s` printed no %s on its "
			"first line", s->section, key, text,
			s->kind == SECRET_BEARER ? "token" : "password");
		goto done;
	}
	*out = xmalloc(nl + 1);
	memcpy(*out, b.data, nl);
	(*out)[nl] = '\0';
done:
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	free(text);
	return rc;
}

/* ---- a minimal JSON reader: the members of one object ---- */

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string at p (at its '"'): decoded into b when not NULL; returns what
 * follows, or NULL when malformed. */
static const char *
json_string(const char *p, struct buf *b)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			if (b)
				buf_putc(b, (int)c);
			continue;
		}
		c = (unsigned char)*p++;
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned u = 0;

			for (int i = 0; i < 4; i++) {
				int h = hexval((unsigned char)*p++);

				if (h < 0)
					return NULL;
				u = u << 4 | (unsigned)h;
			}
			if (b) {
				/* UTF-8; a surrogate becomes U+FFFD */
				if (u >= 0xd800 && u <= 0xdfff)
					u = 0xfffd;
				if (u < 0x80) {
					buf_putc(b, (int)u);
				} else if (u < 0x800) {
					buf_putc(b, (int)(0xc0 | u >> 6));
					buf_putc(b, (int)(0x80 | (u & 0x3f)));
				} else {
					buf_putc(b, (int)(0xe0 | u >> 12));
					buf_putc(b, (int)(0x80 | ((u >> 6) & 0x3f)));
					buf_putc(b, (int)(0x80 | (u & 0x3f)));
				}
			}
			continue;
		}
		default:
			return NULL;
		}
		if (b)
			buf_putc(b, (int)c);
	}
}

/* Skip a value at p; its text (a string decoded, a scalar as written)
 * into b when not NULL and it is a scalar. Returns what follows or NULL. */
static const char *
json_value(const char *p, struct buf *b, int depth)
{
	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '"')
		return json_string(p, b);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (!(p = json_string(ws(p), NULL)))
					return NULL;
				p = ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = json_value(p, NULL, depth + 1)))
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	{
		const char *s = p;

		while (*p && strchr("+-.0123456789eEtruefalsn", *p))
			p++;
		if (p == s)
			return NULL;
		if (b)
			buf_put(b, s, (size_t)(p - s));
		return p;
	}
}

char *
secret_json_get(const char *text, const char *key)
{
	struct buf k = BUF_INIT, v = BUF_INIT;
	const char *p = ws(text);

	if (*p++ != '{')
		return NULL;
	p = ws(p);
	if (*p == '}')
		return NULL;
	for (;;) {
		buf_reset(&k);
		if (!(p = json_string(ws(p), &k)))
			break;
		p = ws(p);
		if (*p++ != ':')
			break;
		if (strcmp(buf_str(&k), key) == 0) {
			buf_reset(&v);
			if (!json_value(p, &v, 0))
				break;
			buf_free(&k);
			return buf_detach(&v);
		}
		if (!(p = json_value(p, NULL, 0)))
			break;
		p = ws(p);
		if (*p++ != ',')
			break;
	}
	buf_free(&k);
	buf_free(&v);
	return NULL;
}

/* ---- the OAuth2 client (RFC 6749 4.4 and 6) ---- */

static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	if (b->len + size * n > ANSWER_MAX)
		return 0;
	buf_put(b, data, size * n);
	return size * n;
}

static void
form_field(struct buf *f, CURL *e, const char *name, const char *value)
{
	char *v = curl_easy_escape(e, value, 0);

	if (!v)
		die(EX_OSERR, "out of memory");
	buf_printf(f, "%s%s=%s", f->len ? "&" : "", name, v);
	explicit_bzero(v, strlen(v));
	curl_free(v);
}

/* Ask the token endpoint for a token; a rotated refresh token is written
 * back. s->mu held. */
static int
oauth_fetch(struct secret *s, char **out, long *expires_in, char **err)
{
	const struct config_oauth2 *oa = s->oa;
	char *csecret = NULL, *refresh = NULL, *key, *tok = NULL, *exp = NULL,
	    *rot = NULL;
	struct buf form = BUF_INIT, body = BUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	CURL *e;
	int rc = 0;

	*out = NULL;
	*expires_in = 0;
	if (*oa->client_secret_file) {
		key = xasprintf("%s.oauth2.client_secret_file", s->section);
		rc = config_secret_file(key, oa->client_secret_file, &csecret,
			err);
		free(key);
		if (rc)
			return rc;
	}
	if (*oa->refresh_token_file) {
		key = xasprintf("%s.oauth2.refresh_token_file", s->section);
		rc = config_secret_file(key, oa->refresh_token_file, &refresh,
			err);
		free(key);
		if (rc) {
			wipe(&csecret);
			return rc;
		}
	}
	if (!(e = curl_easy_init()))
		die(EX_OSERR, "out of memory");
	form_field(&form, e, "grant_type", refresh ? "refresh_token" :
		"client_credentials");
	if (refresh)
		form_field(&form, e, "refresh_token", refresh);
	form_field(&form, e, "client_id", oa->client_id);
	if (csecret)
		form_field(&form, e, "client_secret", csecret);
	if (*oa->scope)
		form_field(&form, e, "scope", oa->scope);
	curl_easy_setopt(e, CURLOPT_URL, oa->token_url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*oa->ca_file) {
		curl_easy_setopt(e, CURLOPT_CAINFO, oa->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)SECRET_COMMAND_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.data);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form.len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "infolettre");
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	s->fetches++;
	explicit_bzero(form.data, form.len);
	buf_free(&form);
	buf_putc(&body, '\0');
	body.len--;
	if (cc != CURLE_OK) {
		char *why = sanitize(errbuf[0] ? errbuf : curl_easy_strerror(cc));

		rc = fail(err, cc == CURLE_PEER_FAILED_VERIFICATION ||
			cc == CURLE_SSL_CACERT_BADFILE ? EX_CONFIG :
			EX_UNAVAILABLE, "%s.oauth2: the token endpoint %s: %s%s",
			s->section, oa->token_url, why,
			cc == CURLE_PEER_FAILED_VERIFICATION ?
			" (its certificate is not trusted: oauth2.ca_file)" : "");
		free(why);
		goto out;
	}
	if (status != 200) {
		char *code = secret_json_get(buf_str(&body), "error");
		char *desc = secret_json_get(buf_str(&body),
			"error_description");
		char *c2 = code ? sanitize(code) : NULL;
		char *d2 = desc ? sanitize(desc) : NULL;

		if (d2 && strlen(d2) > 200)
			d2[200] = '\0';
		rc = fail(err, status >= 500 ? EX_TEMPFAIL : EX_NOPERM,
			"%s.oauth2: the token endpoint %s answered %ld%s%s%s%s",
			s->section, oa->token_url, status, c2 ? ": " : "",
			c2 ? c2 : "", d2 ? " — " : "", d2 ? d2 : "");
		free(code);
		free(desc);
		free(c2);
		free(d2);
		goto out;
	}
	tok = secret_json_get(buf_str(&body), "access_token");
	exp = secret_json_get(buf_str(&body), "expires_in");
	rot = secret_json_get(buf_str(&body), "refresh_token");
	if (!tok || !*tok || strpbrk(tok, "\r\n\x01")) {
		rc = fail(err, EX_NOPERM, "%s.oauth2: the token endpoint %s "
			"answered without an access_token", s->section,
			oa->token_url);
		goto out;
	}
	*expires_in = exp ? strtol(exp, NULL, 10) : 0;
	if (rot && *rot && refresh && strcmp(rot, refresh) != 0) {
		/* a rotated refresh token: the old one is spent */
		struct buf line = BUF_INIT;

		buf_printf(&line, "%s\n", rot);
		if (write_file_atomic(oa->refresh_token_file, line.data,
		    line.len, 0600) != 0) {
			int e2 = errno;

			explicit_bzero(line.data, line.len);
			buf_free(&line);
			rc = fail(err, EX_CANTCREAT, "%s.oauth2.refresh_token_file:"
				" %s: cannot write the new refresh token: %s",
				s->section, oa->refresh_token_file,
				strerror(e2));
			goto out;
		}
		explicit_bzero(line.data, line.len);
		buf_free(&line);
	}
	*out = tok;
	tok = NULL;
out:
	if (body.data)
		explicit_bzero(body.data, body.len);
	buf_free(&body);
	wipe(&csecret);
	wipe(&refresh);
	wipe(&tok);
	wipe(&rot);
	free(exp);
	return rc;
}

int
secret_get(struct secret *s, bool fresh, char **out, char **err)
{
	time_t now = time(NULL);
	long expires_in = 0;
	char *v = NULL;
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->cached && !fresh &&
	    (s->expires == 0 || now < s->expires - SECRET_TOKEN_MARGIN)) {
		*out = xstrdup(s->cached);
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	wipe(&s->cached);
	s->expires = 0;
	if (s->cmd) {
		rc = run_command(s, &v, err);
		s->fetches++;
	} else if (s->oa) {
		rc = oauth_fetch(s, &v, &expires_in, err);
		if (rc == 0 && expires_in > 0)
			s->expires = now + expires_in;
	} else if (!fresh || s->kind == SECRET_PASSWORD) {
		rc = config_password(s->section, s->file ? s->file : "",
			s->env ? s->env : "", &v, err);
	}
	if (rc == 0) {
		s->cached = v;
		*out = xstrdup(v);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
secret_free(struct secret *s)
{
	if (!s)
		return;
	wipe(&s->cached);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

char *
secret_sasl_response(const char *mechanism, const char *user,
	const char *host, const char *port, const char *token)
{
	struct buf raw = BUF_INIT, b64 = BUF_INIT;

	if (strcmp(mechanism, "OAUTHBEARER") == 0) {
		/* RFC 7628 3.1: a GS2 header naming the user, then
		 * key=value pairs, each ended by ^A */
		buf_puts(&raw, "n,a=");
		for (const char *p = user; *p; p++) {
			if (*p == ',')
				buf_puts(&raw, "=2C");
			else if (*p == '=')
				buf_puts(&raw, "=3D");
			else
				buf_putc(&raw, *p);
		}
		buf_printf(&raw, ",\001host=%s\001port=%s\001auth=Bearer %s"
			"\001\001", host, port, token);
	} else {
		buf_printf(&raw, "user=%s\001auth=Bearer %s\001\001", user,
			token);
	}
	codec_base64_put(&b64, raw.data, raw.len);
	explicit_bzero(raw.data, raw.len);
	buf_free(&raw);
	return buf_detach(&b64);
}
