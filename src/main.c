/* main.c - the command table, global options and dispatch */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd.h"
#include "date.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

static int cmd_help(struct ctx *ctx, int argc, char **argv);

/* Every command; help is printed from this table. */
static const struct command commands[] = {
	{ "new", cmd_new, NEED_CONFIG, "MONTH",
	  "scaffold issues/MONTH/issue.md" },
	{ "collect", cmd_collect, NEED_CONFIG, "MONTH [--strict]",
	  "list what the month's issue will hold (no side effects)" },
	{ "compose", cmd_compose, NEED_CONFIG, "MONTH [--strict] [--preview]",
	  "render issues/MONTH/*: HTML, text, the message, the archive page; "
	  "--preview: screenshots by headless Chromium" },
	{ "send", cmd_send, NEED_CONFIG, "MONTH [--dry-run] [--to ADDR] [--limit N]",
	  "send the issue to every active subscriber not yet mailed "
	  "(resumable; --to: one test copy)" },
	{ "status", cmd_status, NEED_CONFIG, "MONTH [--failed]",
	  "delivery counts for the issue; --failed: the failed and deferred "
	  "addresses with the server's answer" },
	{ "subscribers", cmd_subscribers, NEED_CONFIG,
	  "add EMAIL [--name NAME] [--source TEXT] [--consent TEXT] "
	  "[--resubscribe]\n"
	  "       infolettre subscribers remove EMAIL [--forget]\n"
	  "       infolettre subscribers list [--status STATUS]\n"
	  "       infolettre subscribers show EMAIL\n"
	  "       infolettre subscribers import FILE.csv [--resubscribe] "
	  "[--skip-invalid] [--source TEXT] [--consent TEXT]\n"
	  "       infolettre subscribers export [FILE.csv]\n"
	  "       infolettre subscribers purge",
	  "manage the subscriber list: add|remove|list|show|import|export|"
	  "purge" },
	{ "replies", cmd_replies, NEED_CONFIG, "[--dry-run] | classify FILE...",
	  "read the inbox, act on unsubscribes and bounces; classify: say "
	  "what each message (.eml, Maildir file, -) is, changing nothing" },
	{ "cgi", cmd_cgi, 0,
	  "(run by a web server, INFOLETTRE_CONFIG in its environment; "
	  "also installed as infolettre-unsubscribe.cgi)",
	  "the unsubscribe and subscribe endpoint, run by a web server "
	  "(CGI/1.1)" },
	{ "form", cmd_form, NEED_CONFIG, "",
	  "print the subscribe form's HTML snippet for the site "
	  "(subscribe.url)" },
	{ "dkim", cmd_dkim, NEED_CONFIG,
	  "keygen [--algorithm rsa-sha256|ed25519-sha256] [--selector S] "
	  "[--out FILE]\n"
	  "       infolettre dkim check",
	  "make a signing key, print the DNS record to publish; check: the "
	  "record the configured keys need" },
	{ "archive", cmd_archive, NEED_CONFIG, "[--out DIR] [--all]",
	  "every sent or published issue as a static folder: a page each, "
	  "an index, an Atom feed" },
	{ "check", cmd_check, NEED_CONFIG, "[MONTH...] [--golden]",
	  "for CI: compose every issue strictly and build the archive; "
	  "--golden: compare with the committed files" },
	{ "help", cmd_help, 0, "[COMMAND]", "show the commands, or one command's usage" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
print_commands(FILE *f)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: infolettre [-c FILE] COMMAND [ARGS]\n"
		"       infolettre help [COMMAND]\n"
		"       infolettre --version\n\ncommands:\n");
	print_commands(f);
}

static int
cmd_help(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	const struct command *c;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 1)) != 0)
		return rc;
	if (!pos[0]) {
		usage(stdout);
		return 0;
	}
	if (!(c = find_command(pos[0]))) {
		char *s = sanitize(pos[0]);
		report("help: unknown command \"%s\"; the commands are:", s);
		print_commands(stderr);
		free(s);
		return EX_USAGE;
	}
	cmd_usage(c, false);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctx ctx = { NULL, NULL, NULL, 0, NULL };
	struct rlimit nocore;
	int i = 1, rc;
	const char *base;

	/* The memory holds the list's secret, DKIM keys and passwords: a
	 * crash must not write them into a core file. */
	if (getrlimit(RLIMIT_CORE, &nocore) == 0) {
		nocore.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &nocore);
	}

	/* Installed as infolettre-unsubscribe.cgi, the binary is the
	 * unsubscribe endpoint; its arguments come from the web server. */
	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	if (strcmp(base, "infolettre-unsubscribe.cgi") == 0 ||
	    strcmp(base, "infolettre-subscribe.cgi") == 0) {
		static char name[] = "cgi";
		char *cgi_argv[] = { name, NULL };

		ctx.cmd = find_command(name);
		rc = ctx.cmd->run(&ctx, 1, cgi_argv);
		config_free(ctx.cfg);
		return rc;
	}
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--version") == 0) {
			printf("infolettre %s\n", VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				report("%s needs a FILE", argv[i]);
				return EX_USAGE;
			}
			ctx.config_path = argv[i + 1];
			i += 2;
		} else if (str_starts(argv[i], "--config=")) {
			ctx.config_path = argv[i] + 9;
			i++;
		} else {
			char *s = sanitize(argv[i]);
			report("unknown option \"%s\" (valid: -c FILE, --config "
				"FILE, --help, --version)", s);
			usage(stderr);
			free(s);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	ctx.cmd = find_command(argv[i]);
	if (!ctx.cmd) {
		char *s = sanitize(argv[i]);
		report("unknown command \"%s\"; the commands are:", s);
		print_commands(stderr);
		free(s);
		return EX_USAGE;
	}
	ctx.argc = argc - i;
	ctx.argv = argv + i;
	rc = ctx.cmd->run(&ctx, argc - i, argv + i);
	config_free(ctx.cfg);
	return rc;
}
