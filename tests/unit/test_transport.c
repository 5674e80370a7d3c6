/* test_transport.c - transport_open's checks, the maildir transport, and
 * what the SMTP transport decides without a server */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "transport.h"
#include "unit.h"
#include "util.h"

static char tmpdir[] = "/tmp/test_transport.XXXXXX";

/* Load a configuration whose transport section holds the given lines. */
static int
load(const char *transport_yaml, struct config **c)
{
	char *path = xasprintf("%s/conf.yaml", tmpdir);
	char *text = xasprintf("newsletter:\n  title: T\n  from: n@example.org\n"
		"site:\n  root: site\n  base_url: https://example.org/\n"
		"transport:\n%s", transport_yaml);
	char *err = NULL;
	int rc;

	write_file_atomic(path, text, strlen(text), 0600);
	rc = config_load(path, c, &err);
	if (rc)
		printf("# config: %s\n", err);
	free(err);
	free(text);
	free(path);
	return rc;
}

struct seen {
	int n;
	enum tresult r[8];
	int code[8];
	char reply[8][256];
};

static void
done(void *ctx, struct tmsg *m, enum tresult r, int code, const char *reply)
{
	struct seen *s = ctx;

	(void)m;
	if (s->n < 8) {
		s->r[s->n] = r;
		s->code[s->n] = code;
		snprintf(s->reply[s->n], sizeof(s->reply[0]), "%s", reply);
	}
	s->n++;
}

/* Open with the transport lines; returns the status, err kept in *errp. */
static int
open_with(const char *yaml, struct seen *s, struct transport **t, char **errp)
{
	struct config *c = NULL;
	int rc;

	*t = NULL;
	if (load(yaml, &c))
		return -1;
	rc = transport_open(c, done, s, t, errp);
	config_free(c);
	return rc;
}

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *
only_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *path = NULL;

	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			free(path);
			path = xasprintf("%s/%s", dir, e->d_name);
		}
	if (d)
		closedir(d);
	return path;
}

static void
test_maildir_delivers(void)
{
	struct seen s = { 0 };
	struct transport *t;
	struct tmsg m = { "bounces+tok@example.org", "reader@example.net",
		"Subject: hi\r\n\r\n.line\r\n", 22, NULL, NULL };
	char *err = NULL, *dir, *file, *data = NULL;
	struct stat st;
	size_t len = 0;

	CHECK_INT(open_with("  url: maildir:md1\n", &s, &t, &err), 0);
	if (!t)
		return;
	dir = xasprintf("%s/md1", tmpdir);
	CHECK(strstr(transport_describe(t), "/md1") != NULL);
	CHECK(transport_warning(t) == NULL);
	CHECK(transport_ready(t));
	transport_submit(t, &m);
	CHECK_INT(s.n, 1); /* synchronous */
	CHECK_INT(s.r[0], T_SENT);
	CHECK(str_starts(s.reply[0], "new/"));
	CHECK_INT(transport_run(t, 0), 0);
	transport_close(t);

	char *sub = xasprintf("%s/tmp", dir);
	CHECK_INT(count_files(sub), 0);
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
	free(sub);
	sub = xasprintf("%s/cur", dir);
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
	free(sub);
	sub = xasprintf("%s/new", dir);
	CHECK_INT(count_files(sub), 1);
	file = only_file(sub);
	CHECK(file && str_ends(file, s.reply[0] + 4));
	CHECK(file && read_file(file, 1 << 20, &data, &len) == 0);
	CHECK_STR(data, "Return-Path: <bounces+tok@example.org>\r\n"
		"Delivered-To: reader@example.net\r\n"
		"Subject: hi\r\n\r\n.line\r\n");
	free(data);
	free(file);
	free(sub);
	free(dir);
	free(err);
}

/* A write the file system refuses (here RLIMIT_FSIZE, as a full disk
 * would) is deferred, and leaves nothing behind. */
static void
test_maildir_write_error_defers(void)
{
	struct seen s = { 0 };
	struct transport *t;
	struct rlimit old, small = { 4096, 0 };
	size_t n = 16384;
	char *big = xmalloc(n), *err = NULL, *sub;
	struct tmsg m = { "b@example.org", "r@example.net", big, n, NULL, NULL };

	memset(big, 'x', n);
	CHECK_INT(open_with("  url: maildir:md2\n", &s, &t, &err), 0);
	if (!t) {
		free(big);
		return;
	}
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	transport_submit(t, &m);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.r[0], T_DEFERRED);
	CHECK(strstr(s.reply[0], "too large") != NULL);
	transport_close(t);
	sub = xasprintf("%s/md2/tmp", tmpdir);
	CHECK_INT(count_files(sub), 0);
	free(sub);
	sub = xasprintf("%s/md2/new", tmpdir);
	CHECK_INT(count_files(sub), 0);
	free(sub);
	free(big);
	free(err);
}

static void
test_maildir_refuses_bad_addresses(void)
{
	struct seen s = { 0 };
	struct transport *t;
	struct tmsg bad_rcpt = { "b@example.org", "r@example.net\r\nX: y",
		"S: x\r\n\r\n", 9, NULL, NULL };
	struct tmsg bad_from = { "b@example.org>", "r@example.net",
		"S: x\r\n\r\n", 9, NULL, NULL };
	char *err = NULL, *sub;

	CHECK_INT(open_with("  url: maildir:md3\n", &s, &t, &err), 0);
	if (!t)
		return;
	transport_submit(t, &bad_rcpt);
	transport_submit(t, &bad_from);
	transport_close(t);
	CHECK_INT(s.n, 2);
	CHECK_INT(s.r[0], T_FAILED);
	CHECK_INT(s.r[1], T_DEFERRED);
	sub = xasprintf("%s/md3/new", tmpdir);
	CHECK_INT(count_files(sub), 0);
	free(sub);
	free(err);
}

static void
test_maildir_cannot_create(void)
{
	struct seen s = { 0 };
	struct transport *t;
	char *err = NULL, *file = xasprintf("%s/plain", tmpdir);

	write_file_atomic(file, "x", 1, 0600);
	CHECK_INT(open_with("  url: maildir:plain/box\n", &s, &t, &err),
		EX_CANTCREAT);
	CHECK(t == NULL);
	CHECK(err && strstr(err, "plain/box") != NULL);
	free(err);
	err = NULL;
	CHECK_INT(open_with("  url: \"maildir:\"\n", &s, &t, &err), EX_CONFIG);
	free(err);
	free(file);
}

static void
test_open_refusals(void)
{
	struct seen s = { 0 };
	struct transport *t;
	char *err = NULL, *pw = xasprintf("%s/pw", tmpdir), *yaml;

	CHECK_INT(open_with("  url: \"ftp://user:hunter2@host/\"\n", &s, &t,
		&err), EX_CONFIG);
	CHECK(err && strstr(err, "\"ftp\"") && !strstr(err, "hunter2"));
	free(err);
	err = NULL;

	CHECK_INT(open_with("  url: \"smtp://user:hunter2@host:587\"\n", &s,
		&t, &err), EX_CONFIG);
	CHECK(err && !strstr(err, "hunter2"));
	free(err);
	err = NULL;

	write_file_atomic(pw, "hunter2\n", 8, 0644);
	chmod(pw, 0644);
	yaml = xasprintf("  url: smtp://127.0.0.1:2525\n  username: u\n"
		"  password_file: %s\n", pw);
	CHECK_INT(open_with(yaml, &s, &t, &err), EX_NOPERM);
	CHECK(err && strstr(err, "0644") && !strstr(err, "hunter2"));
	free(err);
	err = NULL;
	free(yaml);

	chmod(pw, 0600);
	yaml = xasprintf("  url: smtp://127.0.0.1:2525\n  username: u\n"
		"  password_file: %s\n  starttls: false\n", pw);
	CHECK_INT(open_with(yaml, &s, &t, &err), EX_CONFIG);
	CHECK(err && strstr(err, "refusing AUTH"));
	free(err);
	err = NULL;
	free(yaml);

	CHECK_INT(open_with("  url: smtp://127.0.0.1:2525\n  username: u\n"
		"  password_env: TEST_TRANSPORT_UNSET\n", &s, &t, &err),
		EX_CONFIG);
	free(err);
	err = NULL;
	CHECK_INT(open_with("  url: smtp://127.0.0.1:2525\n  username: u\n",
		&s, &t, &err), EX_CONFIG);
	free(err);
	err = NULL;
	CHECK_INT(open_with("  url: smtp://127.0.0.1:2525\n"
		"  password_env: HOME\n", &s, &t, &err), EX_CONFIG);
	free(err);
	err = NULL;

	/* 0600 with a username over STARTTLS: fine, and nothing connects */
	yaml = xasprintf("  url: smtp://127.0.0.1:2525\n  username: u\n"
		"  password_file: %s\n", pw);
	CHECK_INT(open_with(yaml, &s, &t, &err), 0);
	if (t) {
		CHECK_STR(transport_describe(t),
			"smtp://127.0.0.1:2525 (STARTTLS, AUTH as u)");
		CHECK(transport_warning(t) == NULL);
		CHECK_INT(transport_connections(t), 0);
		transport_close(t);
	}
	free(yaml);
	free(err);
	free(pw);
}

static void
test_smtp_describe(void)
{
	struct seen s = { 0 };
	struct transport *t;
	char *err = NULL;

	CHECK_INT(open_with("  url: smtp://127.0.0.1:2525\n  starttls: false\n",
		&s, &t, &err), 0);
	if (t) {
		CHECK_STR(transport_describe(t), "smtp://127.0.0.1:2525 (no TLS)");
		CHECK(transport_warning(t) &&
			strstr(transport_warning(t), "unencrypted"));
		transport_close(t);
	}
	CHECK_INT(open_with("  url: smtps://mail.example.org\n", &s, &t, &err),
		0);
	if (t) {
		CHECK_STR(transport_describe(t),
			"smtps://mail.example.org:465 (TLS)");
		CHECK(transport_warning(t) == NULL);
		transport_close(t);
	}
	free(err);
}

/* A port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &n);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
test_smtp_without_server(void)
{
	struct seen s = { 0 };
	struct transport *t;
	struct tmsg bad = { "b@example.org", "two words@example.net",
		"S: x\r\n\r\n", 9, NULL, NULL };
	struct tmsg good = { "b@example.org", "r@example.net",
		"S: x\r\n\r\n", 9, NULL, NULL };
	char *err = NULL;
	char *yaml = xasprintf("  url: smtp://127.0.0.1:%d\n  starttls: false\n"
		"  concurrency: 2\n", closed_port());

	CHECK_INT(open_with(yaml, &s, &t, &err), 0);
	free(yaml);
	if (!t)
		return;
	CHECK(transport_ready(t));
	transport_submit(t, &bad);
	transport_submit(t, &good);
	while (transport_run(t, 1000) > 0)
		;
	CHECK_INT(s.n, 2);
	for (int i = 0; i < 2 && i < s.n; i++) {
		if (strstr(s.reply[i], "invalid recipient")) {
			CHECK_INT(s.r[i], T_FAILED);
		} else {
			CHECK_INT(s.r[i], T_DEFERRED);
			CHECK_INT(s.code[i], 0);
		}
	}
	CHECK(transport_unreachable(t));
	CHECK(!transport_auth_failed(t));
	CHECK_INT(transport_connections(t), 0);
	transport_close(t);
	free(err);
}

int
main(void)
{
	char *cmd;

	if (!mkdtemp(tmpdir)) {
		printf("FAIL test_transport: mkdtemp\n");
		return 1;
	}
	unsetenv("TEST_TRANSPORT_UNSET");
	RUN(test_maildir_delivers);
	RUN(test_maildir_write_error_defers);
	RUN(test_maildir_refuses_bad_addresses);
	RUN(test_maildir_cannot_create);
	RUN(test_open_refusals);
	RUN(test_smtp_describe);
	RUN(test_smtp_without_server);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return 0;
}
