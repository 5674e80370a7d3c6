/* cmd_replies.c - infolettre replies [--dry-run]: read the inbox, act on
 * unsubscribes and bounces; replies classify FILE...: what each message is */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "inbox.h"
#include "replies.h"
#include "replies_act.h"
#include "store.h"
#include "token.h"
#include "transport.h"

/* A field of tab-separated output: tabs and line breaks become spaces. */
static void
put_field(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* Read at most max bytes of f into b. Returns 0 or an errno value. */
static int
read_some(FILE *f, size_t max, struct buf *b)
{
	char chunk[65536];
	size_t n;

	while (b->len < max) {
		size_t want = max - b->len < sizeof chunk ?
			max - b->len : sizeof chunk;

		if ((n = fread(chunk, 1, want, f)) == 0)
			break;
		buf_put(b, chunk, n);
	}
	return ferror(f) ? (errno ? errno : EIO) : 0;
}

/* Classify one file ("-": standard input) and print its line. */
static int
classify_one(const char *path, const struct replies_opts *o)
{
	struct buf b = BUF_INIT;
	struct reply r;
	FILE *f;
	char *addrs, *name;
	int e;

	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else if (!(f = fopen(path, "rb"))) {
		e = errno;
		name = sanitize(path);
		report("replies: %s: %s", name, strerror(e));
		free(name);
		return e == ENOENT || e == ENOTDIR ? EX_NOINPUT :
			e == EACCES ? EX_NOPERM : EX_IOERR;
	}
	/* one byte more than the limit tells the classifier it was cut */
	errno = 0;
	e = read_some(f, o->max_size + 1, &b);
	if (f != stdin)
		fclose(f);
	if (e) {
		name = sanitize(path);
		report("replies: %s: %s", name, strerror(e));
		free(name);
		buf_free(&b);
		return e == EISDIR ? EX_NOINPUT : EX_IOERR;
	}
	replies_classify(b.data ? b.data : "", b.len, o, &r);
	addrs = replies_addresses(&r);
	name = sanitize(path);
	put_field(name);
	printf("\t%s\t", replies_class_name(r.cls));
	put_field(addrs);
	putchar('\t');
	put_field(r.detail);
	putchar('\n');
	free(name);
	free(addrs);
	reply_free(&r);
	buf_free(&b);
	return 0;
}

static int
replies_classify_cmd(struct ctx *ctx, int argc, char **argv)
{
	const char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct replies_opts o;
	int rc, worst = 0;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, argc)) != 0) {
		free(pos);
		return rc;
	}
	/* cmd_parse loaded the configuration */
	memset(&o, 0, sizeof o);
	o.unsub_mailto = ctx->cfg->unsubscribe.mailto;
	o.bounce = ctx->cfg->unsubscribe.bounce;
	/* the shape of our Message-IDs is checked, not their domain */
	o.msgid_domain = NULL;
	o.max_size = ctx->cfg->inbox.max_size > 0 ?
		(size_t)ctx->cfg->inbox.max_size : REPLIES_MAX_SIZE;
	for (int i = 0; pos[i]; i++)
		if ((rc = classify_one(pos[i], &o)) != 0 && !worst)
			worst = rc;
	free(pos);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		report("replies: cannot write the listing");
		return EX_IOERR;
	}
	return worst;
}

/* ---- replies [--dry-run] ---- */

#define NCLASSES (REPLY_CLASS_LAST + 1)
#define NACTS (ACT_SUBSCRIBED + 1)

/* The order of the summary. */
static const enum reply_class summary_order[] = { REPLY_SUBSCRIBE,
	REPLY_UNSUBSCRIBE,
	REPLY_BOUNCE_PERMANENT, REPLY_BOUNCE_TRANSIENT, REPLY_COMPLAINT,
	REPLY_AUTO_REPLY, REPLY_OTHER, REPLY_MALFORMED };

struct run {
	struct config *c;
	bool dry;
	struct store *st;
	struct inbox *ib;
	struct transport *tp;
	int tp_failed;      /* why the transport could not be opened, or 0 */
	struct act_opts ao;
	struct replies_opts ro;
	long classes[NCLASSES];
	long acts[NCLASSES][NACTS];
	long unsent[NCLASSES]; /* confirmation requests that could not go */
	struct strlist others;
	unsigned seq;       /* confirmation requests sent in this run */
	/* the outcome of the message handed to the transport */
	bool sent_done;
	enum tresult sent;
	char *sent_reply;
};

static void
on_sent(void *ctx, struct tmsg *m, enum tresult r, int code, const char *reply)
{
	struct run *run = ctx;

	(void)m;
	(void)code;
	run->sent_done = true;
	run->sent = r;
	free(run->sent_reply);
	run->sent_reply = xstrdup(reply ? reply : "");
}

/* Send the confirmation request a asks for. Returns 0 when it went (or
 * the server refused it for good), EX_DATAERR when it cannot be written
 * (an address that cannot go in a header), EX_TEMPFAIL when it must be
 * tried again, or the transport's status. */
static int
send_confirm(struct run *run, const struct reply *r, const struct act *a)
{
	struct buf msg = BUF_INIT;
	struct tmsg tm;
	char unique[48], *msgid = NULL, *from, *err = NULL;
	time_t now = time(NULL);
	struct tm tmv;
	int rc;

	if (run->tp_failed)
		return run->tp_failed;
	if (!run->tp) {
		rc = transport_open(run->c, on_sent, run, &run->tp, &err);
		if (rc) {
			char *s = sanitize(err ? err : "cannot open");

			report("replies: the transport for confirmation "
				"requests: %s", s);
			free(s);
			free(err);
			run->tp_failed = rc;
			return rc;
		}
		if (transport_warning(run->tp))
			report("%s", transport_warning(run->tp));
	}
	gmtime_r(&now, &tmv);
	snprintf(unique, sizeof unique, "%04d%02d%02dt%02d%02d%02d-%u",
		tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour,
		tmv.tm_min, tmv.tm_sec, ++run->seq);
	rc = replies_confirm_message(run->c, a->email, a->token,
		r->message_id, unique, (long long)now, &msg, &msgid, &err);
	if (rc) {
		char *s = sanitize(err ? err : "cannot build it");

		report("replies: confirmation request: %s", s);
		free(s);
		free(err);
		buf_free(&msg);
		return rc;
	}
	from = replies_confirm_sender(run->c, a->token);
	memset(&tm, 0, sizeof tm);
	tm.mail_from = from;
	tm.rcpt = a->email;
	tm.data = msg.data;
	tm.len = msg.len;
	run->sent_done = false;
	while (!transport_ready(run->tp))
		transport_run(run->tp, 1000);
	transport_submit(run->tp, &tm);
	while (!run->sent_done)
		transport_run(run->tp, 1000);
	rc = 0;
	if (run->sent != T_SENT) {
		char *s = sanitize(run->sent_reply ? run->sent_reply : "");

		report("replies: confirmation request to %s %s: %s", a->email,
			run->sent == T_DEFERRED ? "deferred (tried again at "
			"the next run)" : "refused", s);
		free(s);
		rc = run->sent == T_DEFERRED ? EX_TEMPFAIL : 0;
		/* the certificate or STARTTLS: the configuration's to mend */
		if (run->sent == T_DEFERRED && transport_config_error(run->tp))
			rc = EX_CONFIG;
	}
	free(from);
	free(msgid);
	buf_free(&msg);
	return rc;
}

/* "Name <addr>", "addr" or "-": who sent r. The caller frees it. */
static char *
sender(const struct reply *r)
{
	if (r->from_name && *r->from_name && r->from)
		return xasprintf("%s <%s>", r->from_name, r->from);
	if (r->from)
		return xstrdup(r->from);
	if (r->from_name && *r->from_name)
		return xstrdup(r->from_name);
	return xstrdup("-");
}

/* A tab-separated line of the "other" listing, fields made safe. */
static char *
other_line(const struct reply *r)
{
	const char *f[3];
	char *who = sender(r);
	struct buf b = BUF_INIT;

	f[0] = who;
	f[1] = r->subject && *r->subject ? r->subject : "(no subject)";
	f[2] = r->date ? r->date : "-";
	for (int i = 0; i < 3; i++) {
		char *s = sanitize(f[i]);

		if (i)
			buf_putc(&b, '\t');
		for (const char *p = s; *p; p++)
			buf_putc(&b, *p == '\t' ? ' ' : *p);
		free(s);
	}
	free(who);
	return buf_detach(&b);
}

/* Handle one message: classify, act, mark. Returns 0, or the status that
 * ends the run (EX_TEMPFAIL for a locked store), or sets *soft to a
 * status reported at the end while the run goes on. */
static int
one(struct run *run, const struct inbox_msg *m, int *soft)
{
	struct act_list acts = { NULL, 0 };
	struct reply r;
	char *err = NULL;
	bool mark = true;
	int rc = 0;

	replies_classify(m->data, m->len, &run->ro, &r);
	run->classes[r.cls]++;
	if (r.cls == REPLY_OTHER) {
		/* left unread and unmarked for the editors */
		strlist_push(&run->others, other_line(&r));
		reply_free(&r);
		return 0;
	}
	if ((rc = replies_act(run->st, &r, &run->ao, &acts, &err)) != 0) {
		char *s = sanitize(err ? err : "store error");

		report("replies: %s: %s%s", m->ref, s, rc == EX_TEMPFAIL ?
			" (the message stays unhandled: run again)" : "");
		free(s);
		free(err);
		reply_free(&r);
		return rc;
	}
	for (size_t i = 0; i < acts.n; i++) {
		const struct act *a = &acts.v[i];
		int src = 0;

		if (a->what == ACT_CONFIRM && !run->dry &&
		    (src = send_confirm(run, &r, a)) != 0) {
			/* tried again next time, unless it never can be */
			if (src != EX_DATAERR)
				mark = false;
			run->unsent[r.cls]++;
			if (!*soft)
				*soft = src;
			printf("%s: confirmation request to %s not sent; %s\n",
				m->ref, a->email, a->detail);
			continue;
		}
		if (a->what == ACT_CONFIRM && !run->dry) {
			/* one request per replies.confirm_interval */
			if ((rc = store_confirm_sent(run->st, a->id,
			    run->ao.now, &err)) != 0) {
				act_list_free(&acts);
				reply_free(&r);
				return cmd_error("replies", rc, err);
			}
		}
		run->acts[r.cls][a->what]++;
		printf("%s: %s %s; %s\n", m->ref, act_verb(a->what, run->dry),
			a->email ? a->email : "-", a->detail);
	}
	if (acts.n == 0 && r.cls != REPLY_UNSUBSCRIBE &&
	    r.cls != REPLY_BOUNCE_PERMANENT && r.cls != REPLY_BOUNCE_TRANSIENT &&
	    r.cls != REPLY_COMPLAINT && r.cls != REPLY_SUBSCRIBE)
		run->acts[r.cls][ACT_NOTHING]++;
	act_list_free(&acts);
	reply_free(&r);
	if (run->dry || !mark)
		return 0;
	if ((rc = inbox_mark(run->ib, &err)) != 0) {
		char *s = sanitize(err ? err : "cannot mark it");

		report("replies: %s: %s", m->ref, s);
		free(s);
		free(err);
	}
	return rc;
}

static void
summary(const struct run *run)
{
	static const enum act_what order[] = { ACT_SUBSCRIBED,
		ACT_UNSUBSCRIBED, ACT_CONFIRM,
		ACT_HELD, ACT_BOUNCED, ACT_BOUNCE_COUNTED, ACT_ALREADY,
		ACT_REFUSED, ACT_UNPROVEN, ACT_UNKNOWN, ACT_NOTHING };

	for (size_t k = 0; k < sizeof summary_order / sizeof *summary_order;
	    k++) {
		enum reply_class c = summary_order[k];
		bool first = true;

		/* a list without the subscribe form never sees one */
		if (c == REPLY_SUBSCRIBE && !run->classes[c])
			continue;
		printf("%s: %ld", replies_class_name(c), run->classes[c]);
		if (c == REPLY_OTHER && run->classes[c]) {
			printf(" (left unread for the editors)\n");
			continue;
		}
		for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
			long n = run->acts[c][order[i]];

			if (!n)
				continue;
			printf("%s%ld %s", first ? " (" : ", ", n,
				act_label(order[i], run->dry));
			first = false;
		}
		if (run->unsent[c]) {
			printf("%s%ld %s not sent", first ? " (" : ", ",
				run->unsent[c], plural(run->unsent[c],
				"confirmation", "confirmations"));
			first = false;
		}
		printf("%s\n", first ? "" : ")");
	}
	if (run->others.n) {
		printf("other messages, left for the editors (sender, subject, "
			"date):\n");
		for (size_t i = 0; i < run->others.n; i++)
			printf("\t%s\n", run->others.v[i]);
	}
	if (run->dry)
		printf("dry run: nothing was changed, marked or sent\n");
}

static int
replies_run(struct ctx *ctx, int argc, char **argv)
{
	bool dry = false;
	const struct opt opts[] = { { "--dry-run", &dry, NULL },
		{ NULL, NULL, NULL } };
	const char *pos[1] = { NULL };
	struct run run;
	const struct inbox_msg *m;
	char *err = NULL, *warn;
	int rc, soft = 0;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
		return rc;
	if ((rc = cmd_owner(ctx)) != 0)
		return rc;
	memset(&run, 0, sizeof run);
	run.c = ctx->cfg;
	run.dry = dry;
	run.ao.dry_run = dry;
	run.ao.accept_unverified = strcmp(run.c->replies.unverified,
		"accept") == 0;
	run.ao.bounce_threshold = run.c->replies.bounce_threshold;
	run.ao.transient_threshold = run.c->replies.transient_threshold;
	run.ao.confirm_interval = run.c->replies.confirm_interval * 86400LL;
	run.ao.act_unproven = strcmp(run.c->replies.unproven_bounces,
		"act") == 0;
	run.ao.now = (long long)time(NULL);
	run.ro.unsub_mailto = run.c->unsubscribe.mailto;
	run.ro.bounce = run.c->unsubscribe.bounce;
	run.ro.msgid_domain = NULL; /* as classify: the shape is checked */
	run.ro.max_size = run.c->inbox.max_size > 0 ?
		(size_t)run.c->inbox.max_size : REPLIES_MAX_SIZE;
	if ((warn = inbox_warning(run.c)) != NULL) {
		report("warning: %s", warn);
		free(warn);
	}
	/* the inbox first: a wrong inbox.url creates no store */
	if ((rc = inbox_open(run.c, dry, &run.ib, &err)) != 0)
		return cmd_error("replies", rc, err);
	if ((rc = cmd_open_store(ctx, "replies", &run.st)) != 0) {
		inbox_close(run.ib);
		return rc;
	}
	for (;;) {
		if ((rc = inbox_next(run.ib, &m, &err)) != 0) {
			cmd_error("replies", rc, err);
			break;
		}
		if (!m || (rc = one(&run, m, &soft)) != 0)
			break;
	}
	inbox_close(run.ib);
	if (run.tp)
		transport_close(run.tp);
	/* subscription requests never confirmed: erased (after the
	 * inbox, where a late reply may still confirm one) */
	if (rc == 0 && !dry) {
		long long erased = 0;

		if ((rc = store_optin_purge(run.st, run.ao.now,
		    run.c->subscribe.pending_days * 86400LL, &erased,
		    &err)) != 0)
			cmd_error("replies", rc, err);
		else if (erased > 0)
			printf("erased %lld pending subscriber%s never "
				"confirmed (subscribe.pending_days: %ld)\n",
				erased, erased == 1 ? "" : "s",
				run.c->subscribe.pending_days);
	}
	store_close(run.st);
	summary(&run);
	strlist_free(&run.others);
	free(run.sent_reply);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		report("replies: cannot write the summary");
		return EX_IOERR;
	}
	return rc ? rc : soft;
}

int
cmd_replies(struct ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "classify") == 0)
		return replies_classify_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && argv[1][0] != '-') {
		char *s = sanitize(argv[1]);

		report("replies: unknown subcommand \"%s\" (valid: classify, "
			"or no subcommand to read the inbox)", s);
		free(s);
		cmd_usage(ctx->cmd, true);
		return EX_USAGE;
	}
	return replies_run(ctx, argc, argv);
}
