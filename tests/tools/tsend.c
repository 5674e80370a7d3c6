/* tsend.c - drive a transport from the command line, for the tests:
 *
 *	tsend [-q] [-n COUNT] [-f FROM] CONFIG FILE RCPT [FILE RCPT]...
 *
 * opens transport.url of CONFIG and sends each FILE (an .eml; bare LF line
 * ends become CRLF) to RCPT, COUNT times when -n is given, "{}" in RCPT and
 * FROM replaced by the message number 1..COUNT. Prints one line per
 * outcome, "RCPT sent|deferred|failed CODE REPLY" (-q: none), then on
 * stderr the warning of the transport if any and a summary:
 * "tsend: N messages in S s (R/s): S sent, D deferred, F failed,
 * C connections[, unreachable][, auth failed][, config error]". Exit status: the one of
 * transport_open when it fails, 64 on usage errors, else 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "transport.h"
#include "util.h"

static const char *state_name[] = { "sent", "deferred", "failed" };

struct count {
	size_t n[3];
	bool quiet;
};

static void
done(void *ctx, struct tmsg *m, enum tresult r, int code, const char *reply)
{
	struct count *c = ctx;

	c->n[r]++;
	if (!c->quiet)
		printf("%s %s %d %s\n", m->rcpt, state_name[r], code, reply);
}

/* s with "{}" replaced by the number i; the caller frees it. */
static char *
expand(const char *s, size_t i)
{
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(s, "{}")) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_printf(&b, "%zu", i);
		s = p + 2;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

static char *
load(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char *data;
	size_t n;
	int e;

	if ((e = read_file(path, 64 << 20, &data, &n)) != 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(e));
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, data[i]);
	}
	free(data);
	*len = b.len;
	return buf_detach(&b);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *from = "bounces+{}@example.org";
	long count = 0;
	struct count c = { { 0, 0, 0 }, false };
	struct config *cf = NULL;
	struct transport *t = NULL;
	struct tmsg *msgs;
	char **datas, *err = NULL;
	size_t nmsg = 0, npairs, total;
	double t0, dt;
	int ch, rc;

	while ((ch = getopt(argc, argv, "qn:f:")) != -1) {
		switch (ch) {
		case 'q':
			c.quiet = true;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'f':
			from = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || (argc - 1) % 2 != 0 || count < 0)
		goto usage;
	npairs = (size_t)(argc - 1) / 2;
	total = npairs * (size_t)(count ? count : 1);

	if ((rc = config_load(argv[0], &cf, &err)) != 0) {
		report("%s", err);
		free(err);
		return rc;
	}
	datas = xcalloc(npairs, sizeof(*datas));
	msgs = xcalloc(total, sizeof(*msgs));
	for (size_t p = 0; p < npairs; p++) {
		size_t len;
		datas[p] = load(argv[1 + 2 * p], &len);
		for (long k = 1; k <= (count ? count : 1); k++) {
			struct tmsg *m = &msgs[nmsg++];
			m->mail_from = count ? expand(from, (size_t)k) :
				expand(from, nmsg);
			m->rcpt = count ? expand(argv[2 + 2 * p], (size_t)k) :
				xstrdup(argv[2 + 2 * p]);
			m->data = datas[p];
			m->len = len;
		}
	}

	if ((rc = transport_open(cf, done, &c, &t, &err)) != 0) {
		report("%s", err);
		free(err);
		goto out;
	}
	if (transport_warning(t))
		report("warning: %s", transport_warning(t));
	t0 = now();
	for (size_t i = 0; i < nmsg; i++) {
		while (!transport_ready(t))
			transport_run(t, 1000);
		transport_submit(t, &msgs[i]);
	}
	while (transport_run(t, 1000) > 0)
		;
	dt = now() - t0;
	fflush(stdout);
	fprintf(stderr, "tsend: %zu messages in %.2f s (%.0f/s): %zu sent, "
		"%zu deferred, %zu failed, %zu connections%s%s%s\n", nmsg, dt,
		dt > 0 ? (double)nmsg / dt : 0.0, c.n[T_SENT], c.n[T_DEFERRED],
		c.n[T_FAILED], transport_connections(t),
		transport_unreachable(t) ? ", unreachable" : "",
		transport_auth_failed(t) ? ", auth failed" : "",
		transport_config_error(t) ? ", config error" : "");
	transport_close(t);
out:
	for (size_t i = 0; i < nmsg; i++) {
		free((char *)msgs[i].mail_from);
		free((char *)msgs[i].rcpt);
	}
	for (size_t p = 0; p < npairs; p++)
		free(datas[p]);
	free(datas);
	free(msgs);
	config_free(cf);
	return rc;
usage:
	fprintf(stderr, "usage: tsend [-q] [-n COUNT] [-f FROM] CONFIG FILE "
		"RCPT [FILE RCPT]...\n");
	return EX_USAGE;
}
