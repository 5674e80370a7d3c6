/* cmd_send.c - infolettre send MONTH, infolettre status MONTH */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "send.h"
#include "store.h"

static volatile sig_atomic_t interrupted;

/* The first Ctrl-C lets what is in flight finish and be recorded; a
 * second one kills. */
static void
on_signal(int sig)
{
	interrupted = 1;
	signal(sig, SIG_DFL);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "2 h 05 min", "3 min 07 s", "12 s" */
static void
duration(char *out, size_t n, double sec)
{
	long s = (long)(sec + 0.5);

	if (s >= 3600)
		snprintf(out, n, "%ld h %02ld min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, n, "%ld min %02ld s", s / 60, s % 60);
	else
		snprintf(out, n, "%ld s", s);
}

/* The progress line: redrawn on a terminal at most four times a second,
 * else a log line every five seconds. */
struct meter {
	const char *month;
	bool tty, dry, drawn;
	double last;
};

static void
meter_line(const struct meter *m, const struct send_stats *st, char *out,
	size_t n)
{
	/* the estimate counts the messages the server took or refused: a
	 * deferred one is still to do, and while the server takes none there
	 * is no estimate */
	long reached = st->sent + st->failed;
	long todo = st->total - reached - st->skipped;
	double rate = st->elapsed > 0 ? (double)st->sent / st->elapsed : 0;
	double prate = st->elapsed > 0 ? (double)reached / st->elapsed : 0;
	char left[48];

	if (m->dry) {
		snprintf(out, n, "%s (dry run): %ld %s built, %.0f/s",
			m->month, st->handed, plural(st->handed, "message",
			"messages"), st->elapsed > 0 ?
			(double)st->handed / st->elapsed : 0);
		return;
	}
	if (prate > 0 && todo > 0) {
		char d[32];
		duration(d, sizeof(d), (double)todo / prate);
		snprintf(left, sizeof(left), "%s left", d);
	} else {
		snprintf(left, sizeof(left), todo > 0 ? "time left unknown" :
		    "finishing");
	}
	snprintf(out, n, "%s: %ld/%ld sent, %.0f/s, %s, %ld deferred, "
		"%ld failed", m->month, st->sent, st->total, rate, left,
		st->deferred, st->failed);
}

static void
meter_show(void *ctx, const struct send_stats *st)
{
	struct meter *m = ctx;
	double now = mono();
	char line[256];

	if (now - m->last < (m->tty ? 0.25 : 5.0))
		return;
	m->last = now;
	meter_line(m, st, line, sizeof(line));
	if (m->tty) {
		fprintf(stderr, "\r\033[K%s", line);
		m->drawn = true;
	} else {
		fprintf(stderr, "infolettre: %s\n", line);
	}
	fflush(stderr);
}

static void
meter_clear(struct meter *m)
{
	if (m->drawn)
		fputs("\r\033[K", stderr);
	m->drawn = false;
}

static char *
clean(const char *s)
{
	return sanitize(s ? s : "");
}

static int
test_summary(const char *month, const char *to, bool dry,
	const struct send_stats *st)
{
	char *addr = clean(to), *answer = clean(st->last_answer);
	int rc = 0;

	if (dry) {
		printf("test copy of %s to %s (dry run): built, %zu bytes; "
			"nothing sent\n", month, addr, st->bytes);
	} else if (st->sent) {
		printf("test copy of %s sent to %s: %s\n", month, addr, answer);
	} else if (st->config_error) {
		report("send %s --to %s: not sent: %s", month, addr, answer);
		rc = EX_CONFIG;
	} else if (st->auth_failed) {
		report("send %s --to %s: authentication failed: %s", month, addr,
			answer);
		rc = EX_NOPERM;
	} else if (st->failed) {
		report("send %s --to %s: refused: %s", month, addr, answer);
		rc = EX_UNAVAILABLE;
	} else if (st->deferred) {
		report("send %s --to %s: not delivered (%s)%s", month, addr,
			answer, st->unreachable ? "" : "; try again later");
		rc = st->unreachable ? EX_UNAVAILABLE : EX_TEMPFAIL;
	} else {
		report("send %s --to %s: interrupted", month, addr);
		rc = EX_TEMPFAIL;
	}
	free(addr);
	free(answer);
	return rc;
}

static void
dry_summary(const char *month, const struct send_stats *st)
{
	char *a;

	printf("send %s (dry run): would send %ld %s (%ld planned "
		"earlier, %ld to subscribers not planned yet); %ld not active "
		"would be skipped; %ld already sent\n", month, st->handed,
		plural(st->handed, "message", "messages"),
		st->handed - st->planned, st->planned, st->skipped,
		st->journal[DLV_SENT]);
	if (st->failed) {
		a = clean(st->last_answer);
		printf("%ld %s cannot be built (%s)\n", st->failed,
			plural(st->failed, "message", "messages"), a);
		free(a);
	}
	printf("built %ld personalised %s of %zu bytes in %.2f s "
		"(%.0f messages/s); nothing sent, nothing recorded\n",
		st->handed, plural(st->handed, "message", "messages"),
		st->bytes, st->elapsed, st->elapsed > 0 ?
		(double)st->handed / st->elapsed : 0);
	if (st->limited)
		printf("stopped at --limit %ld\n", st->handed);
	for (int i = 0; i < SEND_EXAMPLES && st->examples[i]; i++) {
		a = clean(st->examples[i]);
		printf("%s%s", i ? ", " : "first recipients: ", a);
		free(a);
	}
	if (st->examples[0])
		printf("\n");
}

/* The summary, and the exit status: 0 when everything is sent or failed
 * for good (or left pending by --limit), 75 while some are deferred or
 * left pending otherwise, 69 when the server could not be reached at all,
 * 77 when it refused the credentials, 78 when the configuration keeps
 * the messages from going (an untrusted certificate, no STARTTLS). */
static int
summary(const char *month, const struct send_stats *st)
{
	const long *j = st->journal;
	char *answer = clean(st->last_answer);
	int rc = 0;

	printf("send %s: %ld sent, %ld deferred, %ld failed, %ld skipped in "
		"%.1f s (%.0f messages/s)", month, st->sent, st->deferred,
		st->failed, st->skipped, st->elapsed, st->elapsed > 0 ?
		(double)st->sent / st->elapsed : 0);
	if (st->bounced)
		printf("; %ld %s marked bounced", st->bounced,
			plural(st->bounced, "subscriber", "subscribers"));
	printf("\njournal: %ld sent, %ld pending, %ld deferred, %ld failed, "
		"%ld skipped\n", j[DLV_SENT], j[DLV_PENDING], j[DLV_DEFERRED],
		j[DLV_FAILED], j[DLV_SKIPPED]);
	if (st->limited)
		printf("stopped after --limit messages; %ld pending left for the "
			"next run\n", j[DLV_PENDING]);
	if (st->config_error) {
		report("send %s: %s; %ld %s left for a run with the "
			"configuration mended", month, answer,
			j[DLV_PENDING] + j[DLV_DEFERRED],
			plural(j[DLV_PENDING] + j[DLV_DEFERRED], "message",
			"messages"));
		rc = EX_CONFIG;
	} else if (st->auth_failed) {
		report("send %s: authentication failed: %s", month, answer);
		rc = EX_NOPERM;
	} else if (st->unreachable && st->sent == 0) {
		report("send %s: the server cannot be reached (%s); nothing "
			"was sent", month, answer);
		rc = EX_UNAVAILABLE;
	} else if (st->gave_up) {
		report("send %s: the server stopped answering (%s); %ld "
			"%s left for the next run", month, answer,
			j[DLV_PENDING] + j[DLV_DEFERRED],
			plural(j[DLV_PENDING] + j[DLV_DEFERRED], "message",
			"messages"));
		rc = EX_TEMPFAIL;
	} else if (st->interrupted) {
		report("send %s: interrupted; run it again to finish", month);
		rc = EX_TEMPFAIL;
	} else if (j[DLV_DEFERRED] > 0 || (j[DLV_PENDING] > 0 &&
	    !st->limited)) {
		report("send %s: %ld %s deferred (last answer: %s); run "
			"it again later to retry %s", month,
			j[DLV_DEFERRED] + j[DLV_PENDING],
			plural(j[DLV_DEFERRED] + j[DLV_PENDING], "message",
			"messages"), answer, j[DLV_DEFERRED] + j[DLV_PENDING] == 1 ?
			"it" : "them");
		rc = EX_TEMPFAIL;
	}
	free(answer);
	return rc;
}

int
cmd_send(struct ctx *ctx, int argc, char **argv)
{
	bool dry = false;
	const char *pos[1] = { NULL }, *to = NULL, *limit = NULL;
	const struct opt opts[] = {
		{ "--dry-run", &dry, NULL },
		{ "--to", NULL, &to },
		{ "--limit", NULL, &limit },
		{ NULL, NULL, NULL },
	};
	struct send_opts so;
	struct send_stats st;
	struct send *s = NULL;
	struct diags warn = { NULL, 0, 0 };
	struct meter m;
	struct month mo;
	char *err = NULL, *end;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_month(pos[0], &mo)) != 0)
		return rc;
	memset(&so, 0, sizeof(so));
	if (limit) {
		errno = 0;
		so.limit = strtol(limit, &end, 10);
		if (errno || end == limit || *end || so.limit < 1) {
			char *l = sanitize(limit);
			report("send: --limit wants a number of messages >= 1, "
				"not \"%s\"", l);
			free(l);
			return EX_USAGE;
		}
	}
	memset(&m, 0, sizeof(m));
	m.month = pos[0];
	m.tty = isatty(2);
	m.dry = dry;
	m.last = mono();
	so.month = pos[0];
	so.to = to;
	so.dry_run = dry;
	so.stop = &interrupted;
	so.progress = meter_show;
	so.progress_ctx = &m;

	if ((rc = cmd_owner(ctx)) != 0)
		return rc;
	rc = send_open(ctx->cfg, &so, &s, &warn, &err);
	diags_print(&warn);
	diags_free(&warn);
	if (rc) {
		if (rc == EX_USAGE) {
			char *a = sanitize(to);
			report("send: --to: %s", err ? err : a);
			free(a);
			free(err);
			return rc;
		}
		return cmd_error(NULL, rc, err);
	}
	if (send_warning(s))
		report("%s", send_warning(s));
	if (send_composed(s))
		report("%s: the issue's files were missing or out of date: "
			"composed", pos[0]);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = send_run(s, &st, &err);
	meter_clear(&m);
	send_close(s);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (rc) {
		send_stats_free(&st);
		return cmd_error(NULL, rc, err);
	}
	if (to)
		rc = test_summary(pos[0], to, dry, &st);
	else if (dry)
		dry_summary(pos[0], &st);
	else
		rc = summary(pos[0], &st);
	send_stats_free(&st);
	return rc;
}

static int
print_failed(void *ctx, const struct delivery *d)
{
	char *email = sanitize(d->email);
	char *answer = sanitize(d->answer ? d->answer : "-");

	(void)ctx;
	printf("%s\t%s\t%s\n", store_delivery_name(d->state), email, answer);
	free(email);
	free(answer);
	return 0;
}

int
cmd_status(struct ctx *ctx, int argc, char **argv)
{
	static const int order[] = { DLV_SENT, DLV_PENDING, DLV_DEFERRED,
		DLV_FAILED, DLV_SKIPPED };
	bool failed = false;
	const char *pos[1] = { NULL };
	const struct opt opts[] = {
		{ "--failed", &failed, NULL },
		{ NULL, NULL, NULL },
	};
	long counts[DLV_NSTATES];
	struct month mo;
	char *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_month(pos[0], &mo)) != 0)
		return rc;
	if ((rc = cmd_owner(ctx)) != 0)
		return rc;
	if (failed)
		rc = send_each_failed(ctx->cfg, pos[0], print_failed, NULL, &err);
	else if ((rc = send_status(ctx->cfg, pos[0], counts, &err)) == 0)
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			printf("%s\t%ld\n", store_delivery_name(order[i]),
				counts[order[i]]);
	return rc ? cmd_error(NULL, rc, err) : 0;
}
