/* main.c - the command table, global options and dispatch */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "date.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

static int cmd_help(struct ctx *ctx, int argc, char **argv);

/* Every command; help is printed from this table. */
static const struct command commands[] = {
	{ "collect", cmd_collect, NEED_CONFIG, "MONTH [--strict]",
	  "list what the month's issue will hold (no side effects)" },
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

void
cmd_usage(const struct command *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	fprintf(f, "usage: infolettre %s %s\n%s\n", cmd->name, cmd->usage,
		cmd->summary);
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
		report("help: unknown command \"%s\"; the commands are:", pos[0]);
		print_commands(stderr);
		return EX_USAGE;
	}
	cmd_usage(c, false);
	return 0;
}

int
cmd_parse(const struct ctx *ctx, int argc, char **argv,
	const struct opt *opts, const char **pos, int minpos, int maxpos)
{
	int np = 0;
	bool dashdash = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			cmd_usage(ctx->cmd, false);
			exit(0);
		}
		if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
			if (np >= maxpos) {
				report("%s: unexpected argument \"%s\"",
					ctx->cmd->name, a);
				cmd_usage(ctx->cmd, true);
				return EX_USAGE;
			}
			pos[np++] = a;
			continue;
		}
		/* --name=value or --name value */
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o->name; o++)
			if (strlen(o->name) == len && strncmp(o->name, a, len) == 0)
				break;
		if (!o->name) {
			report("%s: unknown option \"%.*s\"", ctx->cmd->name,
				(int)len, a);
			cmd_usage(ctx->cmd, true);
			return EX_USAGE;
		}
		if (o->flag) {
			if (eq) {
				report("%s: option %s takes no value",
					ctx->cmd->name, o->name);
				return EX_USAGE;
			}
			*o->flag = true;
		} else if (eq) {
			*o->arg = eq + 1;
		} else if (i + 1 < argc) {
			*o->arg = argv[++i];
		} else {
			report("%s: option %s needs a value", ctx->cmd->name,
				o->name);
			cmd_usage(ctx->cmd, true);
			return EX_USAGE;
		}
	}
	if (np < minpos) {
		report("%s: missing argument", ctx->cmd->name);
		cmd_usage(ctx->cmd, true);
		return EX_USAGE;
	}
	return 0;
}

int
cmd_month(const char *arg, struct month *m)
{
	if (!month_parse(arg, m)) {
		report("\"%s\" is not a month (expected YYYY-MM, e.g. 2026-06)",
			arg);
		return EX_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctx ctx = { NULL, NULL, NULL };
	int i = 1, rc;

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
			report("unknown option \"%s\" (valid: -c FILE, --config "
				"FILE, --help, --version)", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	ctx.cmd = find_command(argv[i]);
	if (!ctx.cmd) {
		report("unknown command \"%s\"; the commands are:", argv[i]);
		print_commands(stderr);
		return EX_USAGE;
	}
	if (ctx.cmd->flags & NEED_CONFIG) {
		/* --help must work without a configuration */
		for (int j = i + 1; j < argc && strcmp(argv[j], "--"); j++)
			if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
				cmd_usage(ctx.cmd, false);
				return 0;
			}
		char *err = NULL;
		rc = config_load(config_locate(ctx.config_path), &ctx.cfg, &err);
		if (rc) {
			char *s = sanitize(err);
			report("%s", s);
			free(s);
			free(err);
			return rc;
		}
	}
	rc = ctx.cmd->run(&ctx, argc - i, argv + i);
	config_free(ctx.cfg);
	return rc;
}
