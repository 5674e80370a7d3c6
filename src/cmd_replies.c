/* cmd_replies.c - infolettre replies classify FILE...: what each message is */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "replies.h"

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

int
cmd_replies(struct ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "classify") == 0)
		return replies_classify_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		cmd_usage(ctx->cmd, false);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		/* TODO(issue 6): reading the inbox (IMAP, Maildir) and acting
		 * on the store come with the subscriber store */
		report("replies: reading the inbox is not available yet; "
			"\"replies classify FILE...\" says what messages are");
	} else {
		char *s = sanitize(argv[1]);

		report("replies: unknown subcommand \"%s\" (valid: classify)", s);
		free(s);
	}
	cmd_usage(ctx->cmd, true);
	return EX_USAGE;
}
