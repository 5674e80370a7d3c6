/* preview.c - the issue's HTML part in headless Chromium, as PNG files */
#include "preview.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "util.h"

#define MAX_HEIGHT 16384 /* Chromium's largest capture */

/* Every run: headless, a fresh profile, and offline: no name resolves
 * and every request goes to a proxy that is not there, so that the
 * preview shows what is in the message and tells nobody it was opened. */
static const char *const flags[] = {
	"--headless", "--no-sandbox", "--disable-gpu",
	"--disable-background-networking", "--disable-component-update",
	"--no-first-run", "--disable-sync", "--disable-quic",
	"--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
	"--disable-breakpad", "--disable-crash-reporter",
	"--host-resolver-rules=MAP * ~NOTFOUND",
	"--proxy-server=127.0.0.1:9",
	"--remote-debugging-pipe",
};

static const struct shot {
	const char *name;
	int width;
	bool mobile; /* a phone's viewport: <meta name="viewport"> applies */
} shots[] = {
	{ PREVIEW_MOBILE, PREVIEW_MOBILE_WIDTH, true },
	{ PREVIEW_DESKTOP, PREVIEW_DESKTOP_WIDTH, false },
};

/* The page's height once it has loaded; -1 while the navigation has not
 * replaced about:blank yet. */
static const char height_js[] =
	"new Promise(function(r){if(location.protocol!=='file:'){r(-1);return}"
	"function h(){r(document.documentElement.scrollHeight)}"
	"if(document.readyState==='complete')h();"
	"else addEventListener('load',h)})";

/* One Chromium driven over --remote-debugging-pipe: JSON messages, each
 * ended by a NUL byte, written to its fd 3 and read from its fd 4. */
struct cdp {
	pid_t pid;
	int to, from;
	struct buf in; /* bytes read and not consumed yet */
	int id;
	struct timespec end; /* CLOCK_MONOTONIC */
};

/* --- JSON, just enough to read Chromium's answers ----------------------- */

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* The end of the JSON value at p, or NULL when it is cut or malformed. */
static const char *
skip(const char *p)
{
	int depth = 0;

	p = ws(p);
	if (*p != '"' && *p != '{' && *p != '[') {
		const char *s = p;
		while (*p && !strchr(",}] \t\r\n", *p))
			p++;
		return p > s ? p : NULL;
	}
	for (;;) {
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (!*p)
					return NULL;
				if (*p == '\\' && !*++p)
					return NULL;
			}
		} else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (!*p)
			return NULL;
		p++;
		if (depth == 0)
			return p;
	}
}

/* The value of key in the JSON object at obj, or NULL. */
static const char *
json_get(const char *obj, const char *key)
{
	size_t n = strlen(key);
	const char *p, *k, *v;
	bool match;

	if (!obj || *(p = ws(obj)) != '{')
		return NULL;
	p = ws(p + 1);
	while (*p == '"') {
		k = p + 1;
		if ((p = skip(p)) == NULL)
			return NULL;
		match = (size_t)(p - 1 - k) == n && strncmp(k, key, n) == 0;
		p = ws(p);
		if (*p != ':')
			return NULL;
		v = ws(p + 1);
		if (match)
			return v;
		if ((p = skip(v)) == NULL)
			return NULL;
		p = ws(p);
		if (*p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* The JSON string at v, unescaped (\uXXXX becomes '?'); the caller frees
 * it. NULL when v is not a string. */
static char *
json_str(const char *v)
{
	struct buf b = BUF_INIT;

	if (!v || *v != '"')
		return NULL;
	for (v++; *v != '"'; v++) {
		if (!*v) {
			buf_free(&b);
			return NULL;
		}
		if (*v != '\\') {
			buf_putc(&b, *v);
			continue;
		}
		switch (*++v) {
		case 'n': buf_putc(&b, '\n'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 'b': buf_putc(&b, '\b'); break;
		case 'f': buf_putc(&b, '\f'); break;
		case 'u':
			for (int i = 0; i < 4 && v[1]; i++)
				v++;
			buf_putc(&b, '?');
			break;
		case '\0':
			buf_free(&b);
			return NULL;
		default: buf_putc(&b, *v); break; /* \" \\ \/ */
		}
	}
	return buf_detach(&b);
}

/* --- base64 and file URLs ----------------------------------------------- */

static char *
file_url(const char *path)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._~-", *p))
			buf_putc(&b, *p);
		else
			buf_printf(&b, "%%%02X", *p);
	return buf_detach(&b);
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(from);
	const char *p;

	while ((p = strstr(s, from)) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_puts(&b, to);
		s = p + n;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

/* The HTML part with the sample's token and the images' files. */
static char *
page_html(const struct composed *cp)
{
	char *html = replace_all(cp->html, cp->slot, COMPOSE_SAMPLE_TOKEN);

	for (size_t i = 0; i < cp->nimages; i++) {
		/* quoted, so that img1 never matches img10 */
		char *from = xasprintf("\"cid:%s\"", cp->images[i].cid);
		char *url = file_url(cp->images[i].path);
		char *to = xasprintf("\"%s\"", url);
		char *next = replace_all(html, from, to);

		free(html);
		html = next;
		free(from);
		free(url);
		free(to);
	}
	return html;
}

/* --- finding and running Chromium --------------------------------------- */

/* The program to run: $CHROMIUM, else chromium on PATH. NULL when there
 * is none; the caller frees it. */
static char *
find_chromium(void)
{
	const char *name = getenv("CHROMIUM"), *path, *p, *colon;

	if (!name || !*name)
		name = "chromium";
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *f = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);
		struct stat st;

		if (access(f, X_OK) == 0 && stat(f, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return f;
		free(f);
		if (!colon)
			return NULL;
	}
}

static long
ms_left(const struct cdp *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(c->end.tv_sec - now.tv_sec) * 1000 +
	    (c->end.tv_nsec - now.tv_nsec) / 1000000;
}

static int
spawn(struct cdp *c, const char *exe, const char *profile, char **err)
{
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	const char *argv[sizeof(flags) / sizeof(flags[0]) + 4];
	char *udd = xasprintf("--user-data-dir=%s", profile);
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, e;
	size_t n = 0;

	argv[n++] = exe;
	for (size_t i = 0; i < nflags; i++)
		argv[n++] = flags[i];
	argv[n++] = udd;
	argv[n++] = "about:blank";
	argv[n] = NULL;
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0 ||
	    (c->pid = fork()) < 0) {
		e = errno;
		for (int i = 0; i < 2; i++) {
			if (to[i] >= 0)
				close(to[i]);
			if (from[i] >= 0)
				close(from[i]);
		}
		free(udd);
		return fail(err, EX_UNAVAILABLE, "cannot start %s: %s", exe,
			strerror(e));
	}
	if (c->pid == 0) {
		/* above 9 first, so that no dup2 below clobbers another */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int nul = null < 0 ? -1 : fcntl(null, F_DUPFD_CLOEXEC, 10);
		int in = fcntl(to[0], F_DUPFD_CLOEXEC, 10);
		int out = fcntl(from[1], F_DUPFD_CLOEXEC, 10);

		if (nul < 0 || in < 0 || out < 0 || dup2(in, 3) < 0 ||
		    dup2(out, 4) < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
		    dup2(nul, 2) < 0)
			_exit(127);
		closefrom(5);
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	setpgid(c->pid, c->pid); /* also here: no race with kill(-pid) */
	close(to[0]);
	close(from[1]);
	c->to = to[1];
	c->from = from[0];
	free(udd);
	return 0;
}

/* Kill Chromium's process group and reap it. */
static void
stop(struct cdp *c, bool gently)
{
	int st;

	if (c->pid <= 0)
		return;
	if (gently) /* it was told Browser.close: give it a moment */
		for (int i = 0; i < 250 && ms_left(c) > 0; i++) {
			if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
				kill(-c->pid, SIGKILL); /* its helpers */
				c->pid = 0;
				return;
			}
			nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
		}
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

/* The next message from Chromium (the caller frees it). */
static int
cdp_read(struct cdp *c, char **msg, char **err)
{
	char *nul;
	ssize_t n;
	long ms;

	while ((nul = c->in.len ? memchr(c->in.data, '\0', c->in.len) :
	    NULL) == NULL) {
		struct pollfd pfd = { c->from, POLLIN, 0 };

		if ((ms = ms_left(c)) <= 0)
			return fail(err, EX_UNAVAILABLE, "Chromium did not "
				"finish within %d s", PREVIEW_TIMEOUT);
		if (poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms) < 0) {
			if (errno == EINTR)
				continue;
			return fail(err, EX_UNAVAILABLE, "poll: %s",
				strerror(errno));
		}
		if (!pfd.revents)
			continue;
		buf_grow(&c->in, 65536);
		n = read(c->from, c->in.data + c->in.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(err, EX_UNAVAILABLE, "Chromium exited "
				"before it answered");
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	}
	size_t k = (size_t)(nul - c->in.data);
	*msg = xstrndup(c->in.data, k);
	memmove(c->in.data, nul + 1, c->in.len - k - 1);
	c->in.len -= k + 1;
	c->in.data[c->in.len] = '\0';
	return 0;
}

/* Send a command (params: a JSON object or NULL) and wait for its answer,
 * skipping events; *reply (the whole message) is freed by the caller. */
static int
cdp_call(struct cdp *c, const char *session, const char *method,
	const char *params, char **reply, char **err)
{
	struct buf b = BUF_INIT;
	int id = ++c->id, rc = 0;
	const char *p;
	ssize_t w;
	char *msg = NULL;

	buf_printf(&b, "{\"id\":%d,", id);
	if (session)
		buf_printf(&b, "\"sessionId\":\"%s\",", session);
	buf_printf(&b, "\"method\":\"%s\",\"params\":%s}", method,
		params ? params : "{}");
	buf_putc(&b, '\0');
	for (p = b.data; p < b.data + b.len && !rc; p += w)
		if ((w = write(c->to, p, (size_t)(b.data + b.len - p))) < 0) {
			if (errno != EINTR)
				rc = fail(err, EX_UNAVAILABLE, "Chromium "
					"exited: %s", strerror(errno));
			w = 0;
		}
	buf_free(&b);
	while (!rc && (rc = cdp_read(c, &msg, err)) == 0) {
		const char *v = json_get(msg, "id"), *e;

		if (!v || strtol(v, NULL, 10) != id) {
			free(msg);
			continue;
		}
		if ((e = json_get(msg, "error")) != NULL) {
			char *s = json_str(json_get(e, "message"));
			rc = fail(err, EX_UNAVAILABLE, "Chromium: %s: %s",
				method, s ? s : "failed");
			free(s);
			free(msg);
			return rc;
		}
		*reply = msg;
		return 0;
	}
	return rc;
}

/* The string at result.KEY of a reply, checked to be a plain token when
 * it goes back into a command; NULL when absent. */
static char *
result_id(const char *reply, const char *key)
{
	char *s = json_str(json_get(json_get(reply, "result"), key));

	if (s && (!*s || strspn(s, "0123456789ABCDEFabcdef-") != strlen(s))) {
		free(s);
		return NULL;
	}
	return s;
}

static int
metrics(struct cdp *c, const char *session, const struct shot *s,
	long height, char **err)
{
	char *params = xasprintf("{\"width\":%d,\"height\":%ld,"
		"\"deviceScaleFactor\":1,\"mobile\":%s}", s->width, height,
		s->mobile ? "true" : "false");
	char *reply = NULL;
	int rc = cdp_call(c, session, "Emulation.setDeviceMetricsOverride",
		params, &reply, err);

	free(params);
	free(reply);
	return rc;
}

/* The page's height, once loaded. */
static int
page_height(struct cdp *c, const char *session, long *height, char **err)
{
	char *params = xasprintf("{\"expression\":\"%s\",\"awaitPromise\":"
		"true,\"returnByValue\":true}", height_js);
	int rc = 0;

	*height = -1;
	while (!rc && *height < 1) {
		char *reply = NULL;
		const char *v;

		rc = cdp_call(c, session, "Runtime.evaluate", params, &reply,
			err);
		v = json_get(json_get(json_get(reply, "result"), "result"),
			"value");
		if (!rc && v)
			*height = strtol(v, NULL, 10);
		free(reply);
		if (!rc && *height < 1)
			nanosleep(&(struct timespec){ 0, 50 * 1000000 }, NULL);
	}
	free(params);
	return rc;
}

/* One screenshot of url, PNG bytes into png. */
static int
shoot(struct cdp *c, const struct shot *s, const char *url, struct buf *png,
	char **err)
{
	char *reply = NULL, *target = NULL, *session = NULL, *params, *data;
	long height;
	int rc;

	rc = cdp_call(c, NULL, "Target.createTarget",
		"{\"url\":\"about:blank\"}", &reply, err);
	if (!rc && (target = result_id(reply, "targetId")) == NULL)
		rc = fail(err, EX_UNAVAILABLE, "Chromium: no target");
	free(reply);
	reply = NULL;
	if (!rc) {
		params = xasprintf("{\"targetId\":\"%s\",\"flatten\":true}",
			target);
		rc = cdp_call(c, NULL, "Target.attachToTarget", params, &reply,
			err);
		free(params);
		if (!rc && (session = result_id(reply, "sessionId")) == NULL)
			rc = fail(err, EX_UNAVAILABLE, "Chromium: no session");
		free(reply);
		reply = NULL;
	}
	if (!rc)
		rc = metrics(c, session, s, 800, err);
	if (!rc) {
		/* url is percent-encoded: nothing to escape for JSON */
		params = xasprintf("{\"url\":\"%s\"}", url);
		rc = cdp_call(c, session, "Page.navigate", params, &reply, err);
		free(params);
		char *why = rc ? NULL :
		    json_str(json_get(json_get(reply, "result"), "errorText"));
		if (why)
			rc = fail(err, EX_UNAVAILABLE, "Chromium: %s: %s", url,
				why);
		free(why);
		free(reply);
		reply = NULL;
	}
	if (!rc)
		rc = page_height(c, session, &height, err);
	/* the viewport as tall as the page: the whole issue in one picture */
	if (!rc)
		rc = metrics(c, session, s, height > MAX_HEIGHT ? MAX_HEIGHT :
			height, err);
	if (!rc)
		rc = cdp_call(c, session, "Page.captureScreenshot",
			"{\"format\":\"png\"}", &reply, err);
	if (!rc) {
		data = json_str(json_get(json_get(reply, "result"), "data"));
		if (!data || !codec_base64_decode(data, strlen(data), png) || png->len < 8 ||
		    memcmp(png->data, "\x89PNG\r\n\x1a\n", 8) != 0)
			rc = fail(err, EX_UNAVAILABLE, "Chromium: no PNG "
				"screenshot");
		free(data);
	}
	free(reply);
	reply = NULL;
	if (target && !rc) {
		params = xasprintf("{\"targetId\":\"%s\"}", target);
		rc = cdp_call(c, NULL, "Target.closeTarget", params, &reply,
			err);
		free(params);
		free(reply);
	}
	free(target);
	free(session);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	remove(path);
	return 0;
}

int
preview_write(const struct composed *cp, char **err)
{
	const size_t nshots = sizeof(shots) / sizeof(shots[0]);
	struct cdp c = { 0, -1, -1, BUF_INIT, 0, { 0, 0 } };
	struct buf png[sizeof(shots) / sizeof(shots[0])];
	struct sigaction ign, old;
	const char *tmpdir = getenv("TMPDIR");
	char *exe, *dir, *page = NULL, *profile = NULL, *html, *url = NULL;
	int rc = 0, e;

	if ((exe = find_chromium()) == NULL)
		return fail(err, EX_UNAVAILABLE, "%s not found: install "
			"Chromium (apt-get install chromium) or set CHROMIUM to "
			"its path", getenv("CHROMIUM") && *getenv("CHROMIUM") ?
			getenv("CHROMIUM") : "chromium");
	dir = xasprintf("%s/infolettre-preview.XXXXXX",
		tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		rc = fail(err, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		free(dir);
		free(exe);
		return rc;
	}
	page = xasprintf("%s/issue.html", dir);
	profile = xasprintf("%s/profile", dir);
	html = page_html(cp);
	if ((e = write_file_atomic(page, html, strlen(html), 0600)) != 0)
		rc = fail(err, EX_CANTCREAT, "%s: %s", page, strerror(e));
	free(html);
	for (size_t i = 0; i < nshots; i++)
		png[i] = (struct buf)BUF_INIT;

	/* a write to a Chromium that died must fail, not kill us */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	clock_gettime(CLOCK_MONOTONIC, &c.end);
	c.end.tv_sec += PREVIEW_TIMEOUT;
	if (!rc)
		rc = spawn(&c, exe, profile, err);
	url = file_url(page);
	for (size_t i = 0; i < nshots && !rc; i++)
		rc = shoot(&c, &shots[i], url, &png[i], err);
	if (c.pid > 0) {
		char *reply = NULL;
		bool closed = !rc && cdp_call(&c, NULL, "Browser.close", NULL,
			&reply, NULL) == 0;
		free(reply);
		stop(&c, closed);
	}
	if (c.to >= 0)
		close(c.to);
	if (c.from >= 0)
		close(c.from);
	sigaction(SIGPIPE, &old, NULL);

	for (size_t i = 0; i < nshots && !rc; i++) {
		char *path = path_join(cp->issue.dir, shots[i].name);
		if ((e = write_file_atomic(path, png[i].data, png[i].len,
		    0644)) != 0)
			rc = fail(err, EX_CANTCREAT, "%s: %s", path,
				strerror(e));
		free(path);
	}
	for (size_t i = 0; i < nshots; i++)
		buf_free(&png[i]);
	buf_free(&c.in);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(url);
	free(page);
	free(profile);
	free(dir);
	free(exe);
	return rc;
}
