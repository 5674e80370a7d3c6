/* cmd_subscribers.c - infolettre subscribers add|remove|list|show|import|export */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "csvimport.h"
#include "util.h"
#include "store.h"
#include "token.h"

/* Print a module's error and free it; returns rc. */
/* "2026-06-03T10:00:00Z" */
static void
iso_time(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", t);
}

/* A field of tab-separated output: tabs and line breaks become spaces,
 * other control characters and invalid UTF-8 '?'. */
static void
put_field(FILE *f, const char *s)
{
	char *clean;

	if (!s)
		return;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			goto slow;
	fputs(s, f);
	return;
slow:
	clean = xstrdup(s);
	for (char *p = clean; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	s = clean;
	clean = sanitize(s);
	fputs(clean, f);
	free(clean);
	free((char *)s);
}

/* "unsubscribed since 2026-06-03T10:00:00Z (one-click)", or "forgotten"
 * when the address is not in the list. The caller frees it. */
static char *
describe(struct store *st, const char *email)
{
	struct subscriber s;
	char *err = NULL, *r, *reason, t[32];

	if (store_find(st, email, &s, &err) != 0) {
		free(err);
		return xstrdup("forgotten (in the suppression table)");
	}
	iso_time(s.status_time, t);
	reason = sanitize(s.reason);
	r = xasprintf("%s since %s (%s)", store_status_name(s.status), t,
		reason);
	free(reason);
	store_subscriber_free(&s);
	return r;
}

static int
flush_stdout(const char *what)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		report("subscribers %s: cannot write the output", what);
		return EX_IOERR;
	}
	return 0;
}

static int
sub_add(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *name = NULL, *source = NULL,
	    *consent = NULL;
	bool resubscribe = false;
	const struct opt opts[] = {
		{ "--name", NULL, &name },
		{ "--source", NULL, &source },
		{ "--consent", NULL, &consent },
		{ "--resubscribe", &resubscribe, NULL },
		{ NULL, NULL, NULL },
	};
	struct store_evidence ev = { "admin", NULL, NULL, NULL, NULL,
		"subscribers add --resubscribe" };
	struct store *st;
	char *err = NULL, *email;
	long long id = 0;
	int rc, outcome;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	rc = store_add(st, pos[0], name, source ? source : "cli", resubscribe,
		&ev, &outcome, &id, &err);
	/* the consent text goes with a consent given now */
	if (rc == 0 && consent && id > 0 && outcome != STORE_UNCHANGED)
		rc = store_set_consent(st, id, consent, &err);
	if (rc) {
		store_close(st);
		return cmd_error(NULL, rc, err);
	}
	email = sanitize(pos[0]);
	switch (outcome) {
	case STORE_ADDED:
		printf("added %s\n", email);
		break;
	case STORE_UPDATED:
		printf("updated %s\n", email);
		break;
	case STORE_UNCHANGED:
		printf("%s is already subscribed\n", email);
		break;
	case STORE_SUPPRESSED: {
		char *d = describe(st, pos[0]);

		report("subscribers add: %s is %s; left alone (--resubscribe "
			"subscribes it again)", email, d);
		free(d);
		rc = EX_DATAERR;
		break;
	}
	}
	store_close(st);
	free(email);
	return rc ? rc : flush_stdout("add");
}

static int
sub_remove(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	bool forget = false;
	const struct opt opts[] = {
		{ "--forget", &forget, NULL },
		{ NULL, NULL, NULL },
	};
	struct store_evidence ev = { "admin", NULL, NULL, NULL, NULL,
		"subscribers remove" };
	struct store *st;
	char *err = NULL, *email;
	bool existed = false;
	int rc, outcome = STORE_UNCHANGED;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	if (forget)
		rc = store_forget(st, pos[0], &existed, &err);
	else
		rc = store_remove(st, pos[0], &ev, &outcome, &err);
	if (rc) {
		store_close(st);
		return cmd_error(NULL, rc, err);
	}
	email = sanitize(pos[0]);
	if (forget) {
		printf(existed ? "forgot %s (its row and history are deleted; "
			"the address stays suppressed)\n" : "%s was not in the "
			"list; it is suppressed\n", email);
	} else if (outcome == STORE_UPDATED) {
		printf("unsubscribed %s\n", email);
	} else if (outcome == STORE_ADDED) {
		printf("%s was not in the list; recorded as unsubscribed\n",
			email);
	} else {
		char *d = describe(st, pos[0]);

		printf("%s is already %s\n", email, d);
		free(d);
	}
	store_close(st);
	free(email);
	return flush_stdout("remove");
}

static int
print_line(void *ctx, const struct subscriber *s)
{
	char since[32];

	(void)ctx;
	iso_time(s->status_time, since);
	put_field(stdout, s->email);
	putchar('\t');
	put_field(stdout, s->name);
	printf("\t%s\t%s\n", store_status_name(s->status), since);
	return ferror(stdout) ? EX_IOERR : 0;
}

static int
sub_list(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *status = NULL;
	const struct opt opts[] = {
		{ "--status", NULL, &status },
		{ NULL, NULL, NULL },
	};
	struct store *st;
	char *err = NULL;
	int rc, want = -1;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
		return rc;
	if (status && (want = store_status_parse(status)) < 0) {
		report("subscribers list: no status \"%s\" (active, "
			"unsubscribed, bounced, pending)", status);
		return EX_USAGE;
	}
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	rc = store_list(st, want, print_line, NULL, &err);
	store_close(st);
	if (rc == EX_IOERR && !err)
		return flush_stdout("list");
	if (rc)
		return cmd_error(NULL, rc, err);
	return flush_stdout("list");
}

static int
print_change(void *ctx, const struct store_audit *a)
{
	const char *names[] = { "message-id", "token", "status-code", "issue",
		"detail" };
	const char *vals[] = { a->message_id, a->token, a->status_code,
		a->issue, a->detail };
	char when[32];
	bool first = true;

	(void)ctx;
	iso_time(a->time, when);
	printf("change\t%s\t%s\t%s\t", when, a->old_status >= 0 ?
		store_status_name(a->old_status) : "-",
		store_status_name(a->new_status));
	put_field(stdout, a->channel);
	putchar('\t');
	for (int i = 0; i < 5; i++) {
		char *v;

		if (!vals[i] || !*vals[i])
			continue;
		v = sanitize(vals[i]);
		printf("%s%s=", first ? "" : " ", names[i]);
		put_field(stdout, v);
		free(v);
		first = false;
	}
	if (first)
		putchar('-');
	putchar('\n');
	return 0;
}

static int
sub_show(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct subscriber s;
	struct store *st;
	char *err = NULL, t[32];
	bool supp = false;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	rc = store_find(st, pos[0], &s, &err);
	if (rc == EX_NOUSER) {
		char *e = sanitize(pos[0]);

		free(err);
		err = NULL;
		rc = store_suppressed(st, pos[0], &supp, &err);
		store_close(st);
		if (rc) {
			free(e);
			return cmd_error(NULL, rc, err);
		}
		report("subscribers show: %s is not in the list%s", e,
			supp ? " (it was forgotten and stays suppressed)" : "");
		free(e);
		return EX_DATAERR;
	}
	if (rc) {
		store_close(st);
		return cmd_error(NULL, rc, err);
	}
	printf("email\t");
	put_field(stdout, s.email);
	printf("\nname\t");
	put_field(stdout, s.name);
	iso_time(s.status_time, t);
	printf("\nstatus\t%s\nsince\t%s\nreason\t", store_status_name(s.status),
		t);
	put_field(stdout, s.reason);
	iso_time(s.created, t);
	printf("\ncreated\t%s\nsource\t", t);
	put_field(stdout, s.source);
	iso_time(s.consent_time, t);
	printf("\nconsent\t%s\nconsent_text\t", t);
	put_field(stdout, s.consent_text);
	if (s.confirmed) {
		iso_time(s.confirmed, t);
		printf("\nconfirmed\t%s\nconfirmed_by\t", t);
		put_field(stdout, s.confirm_channel);
	} else {
		printf("\nconfirmed\t-\nconfirmed_by\t-");
	}
	printf("\nid\t%lld\n", s.id);
	rc = store_history(st, s.id, print_change, NULL, &err);
	store_subscriber_free(&s);
	store_close(st);
	if (rc)
		return cmd_error(NULL, rc, err);
	return flush_stdout("show");
}

static void
print_bad(void *ctx, const char *file, long line, const char *msg)
{
	(void)ctx;
	report_at(file, (int)line, 0, "%s", msg);
}

static int
sub_import(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *source = NULL, *consent = NULL;
	struct csvimport_opts o = { false, false, NULL, NULL };
	const struct opt opts[] = {
		{ "--resubscribe", &o.resubscribe, NULL },
		{ "--skip-invalid", &o.skip_invalid, NULL },
		{ "--source", NULL, &source },
		{ "--consent", NULL, &consent },
		{ NULL, NULL, NULL },
	};
	struct csvimport_stats stats;
	struct store *st;
	char *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	o.source = source;
	o.consent = consent;
	/* a missing file is said before anything is created */
	if (strcmp(pos[0], "-") != 0 && access(pos[0], R_OK) != 0) {
		char *p = sanitize(pos[0]);

		report("%s: %s", p, strerror(errno));
		free(p);
		return EX_NOINPUT;
	}
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	rc = csvimport_run(st, pos[0], &o, print_bad, NULL, &stats, &err);
	store_close(st);
	if (rc)
		return cmd_error(NULL, rc, err);
	printf("import: %ld added, %ld updated, %ld unchanged, %ld suppressed "
		"(left alone), %ld rejected\n", stats.added, stats.updated,
		stats.unchanged, stats.suppressed, stats.rejected);
	if (stats.not_utf8)
		report("%s: %ld rejected row%s not UTF-8: " CSVIMPORT_UTF8_ADVICE,
			pos[0], stats.not_utf8, stats.not_utf8 > 1 ?
			"s are" : " is");
	return flush_stdout("import");
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote, a
 * line break or blanks at its ends. One a spreadsheet would take for a
 * formula gets a leading quote and is quoted (csvimport_needs_guard). */
static void
csv_field(FILE *f, const char *s)
{
	size_t n = strlen(s);
	bool guard = csvimport_needs_guard(s);

	if (guard || strpbrk(s, ",\"\r\n;") ||
	    (n && (s[0] == ' ' || s[n - 1] == ' '))) {
		putc('"', f);
		if (guard)
			putc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				putc('"', f);
			putc(*s, f);
		}
		putc('"', f);
	} else {
		fputs(s, f);
	}
}

static int
export_line(void *ctx, const struct subscriber *s)
{
	FILE *f = ctx;
	char since[32], created[32], consent[32];

	iso_time(s->status_time, since);
	iso_time(s->created, created);
	iso_time(s->consent_time, consent);
	csv_field(f, s->email);
	putc(',', f);
	csv_field(f, s->name);
	putc(',', f);
	csv_field(f, store_status_name(s->status));
	putc(',', f);
	csv_field(f, since);
	putc(',', f);
	csv_field(f, s->reason);
	putc(',', f);
	csv_field(f, created);
	putc(',', f);
	csv_field(f, s->source);
	putc(',', f);
	csv_field(f, consent);
	putc(',', f);
	csv_field(f, s->consent_text);
	putc(',', f);
	if (s->confirmed) {
		iso_time(s->confirmed, consent);
		csv_field(f, consent);
	}
	putc(',', f);
	csv_field(f, s->confirm_channel);
	fputs("\r\n", f);
	return ferror(f) ? EX_IOERR : 0;
}

static int
sub_export(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct store *st;
	char *err = NULL, *tmp = NULL, *p;
	FILE *f = stdout;
	int rc, fd, e = 0;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 1)) != 0)
		return rc;
	if (pos[0] && strcmp(pos[0], "-") == 0)
		pos[0] = NULL;
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	if (pos[0]) {
		/* personal data: written 0600, under a name nobody else can
		 * have made, in place only when complete */
		fd = file_create_temp(pos[0], 0600, &tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			e = errno;
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			store_close(st);
			p = sanitize(pos[0]);
			report("%s: cannot create: %s", p, strerror(e));
			free(p);
			free(tmp);
			return EX_CANTCREAT;
		}
	}
	fputs("email,name,status,since,reason,created,source,consent,"
	    "consent_text,confirmed,confirmed_by\r\n", f);
	rc = store_list(st, -1, export_line, f, &err);
	store_close(st);
	if (rc && err)
		cmd_error(NULL, rc, err);
	if (!pos[0])
		return rc ? rc : flush_stdout("export");
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
		e = errno ? errno : EIO;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!rc && !e && rename(tmp, pos[0]) != 0)
		e = errno;
	if (!rc && !e)
		e = file_sync_dir(pos[0]);
	if (rc || e)
		unlink(tmp);
	free(tmp);
	if (e) {
		p = sanitize(pos[0]);
		report("%s: cannot write: %s", p, strerror(e));
		free(p);
		return EX_IOERR;
	}
	return rc;
}

/* Erase the subscription requests never confirmed. */
static int
sub_purge(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct store *st;
	char *err = NULL;
	long long erased = 0;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
		return rc;
	if ((rc = cmd_open_store(ctx, NULL, &st)) != 0)
		return rc;
	rc = store_optin_purge(st, (long long)time(NULL),
		ctx->cfg->subscribe.pending_days * 86400LL, &erased, &err);
	store_close(st);
	if (rc)
		return cmd_error("subscribers purge", rc, err);
	printf("purge: %lld pending subscriber%s erased, never confirmed in "
		"%ld days\n", erased, erased == 1 ? "" : "s",
		ctx->cfg->subscribe.pending_days);
	return flush_stdout("purge");
}

static const struct {
	const char *name;
	int (*run)(struct ctx *, int, char **);
} subs[] = {
	{ "add", sub_add }, { "remove", sub_remove }, { "list", sub_list },
	{ "show", sub_show }, { "import", sub_import }, { "export", sub_export },
	{ "purge", sub_purge },
};

int
cmd_subscribers(struct ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		report("subscribers: which one? add, remove, list, show, import, "
			"export or purge");
		cmd_usage(ctx->cmd, true);
		return EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cmd_usage(ctx->cmd, false);
		return 0;
	}
	report("subscribers: no subcommand \"%s\" (add, remove, list, show, "
		"import, export, purge)", argv[1]);
	cmd_usage(ctx->cmd, true);
	return EX_USAGE;
}
