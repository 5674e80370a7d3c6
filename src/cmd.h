/* cmd.h - the command layer: the command table and shared option parsing */
#ifndef INFOLETTRE_CMD_H
#define INFOLETTRE_CMD_H

#include <stdbool.h>

#include "config.h"
#include "date.h"

#define NEED_CONFIG 1 /* load the configuration before running */

struct command;

/* What every command gets. */
struct ctx {
	const char *config_path; /* -c FILE, or NULL */
	struct config *cfg;      /* loaded by cmd_parse when the command has
	                          * NEED_CONFIG */
	const struct command *cmd;
	int argc;                /* the command's own arguments, argv[0] its */
	char **argv;             /* name: for the hint of cmd_owner */
};

struct command {
	const char *name;
	int (*run)(struct ctx *ctx, int argc, char **argv);
	int flags;
	const char *usage;   /* arguments, e.g. "MONTH [--strict]" */
	const char *summary; /* one line */
};

/* One option of a command: a flag, or an option with an argument. */
struct opt {
	const char *name; /* "--strict" */
	bool *flag;       /* set for a flag */
	const char **arg; /* set for an option with an argument */
};

/*
 * Parse argv[1..argc) (argv[0] is the command name): options may come
 * anywhere, "--" ends them, "--help" prints the command's usage and exits 0.
 * Positional arguments go to pos[0..maxpos). Then, for a command with
 * NEED_CONFIG, load the configuration into ctx->cfg (so that a usage error
 * is told before a missing configuration). Returns 0, or EX_USAGE after
 * printing what was wrong and the valid options, or config_load's status
 * after printing its error. Every command calls it first.
 */
int cmd_parse(struct ctx *ctx, int argc, char **argv,
	const struct opt *opts, const char **pos, int minpos, int maxpos);

/* Print "usage: infolettre NAME USAGE" and the summary to stdout/stderr. */
void cmd_usage(const struct command *cmd, bool to_stderr);

/*
 * One owner for the data: when the store or the secret of ctx->cfg belongs
 * to another user than the one running the command, print which user owns
 * it and the command line to run instead ("sudo -u OWNER infolettre -c
 * CONFIG ARGS...") and return EX_NOPERM; else 0. Every command that opens
 * the store calls it first.
 */
int cmd_owner(const struct ctx *ctx);

/* Print prefix (when not NULL), ": " and err sanitised ("failed" when
 * NULL) on stderr, free err, return rc: how a command reports a module's
 * error with its exit status. */
int cmd_error(const char *prefix, int rc, char *err);

/* Open the store of ctx->cfg with the list's secret (read, or created
 * when missing), after cmd_owner. On failure the error is printed (after
 * prefix, as cmd_error) and its status returned. */
struct store;
int cmd_open_store(const struct ctx *ctx, const char *prefix,
	struct store **st);

/* Check a MONTH argument ("2026-06"); on error print and return EX_USAGE. */
int cmd_month(const char *arg, struct month *m);

int cmd_collect(struct ctx *ctx, int argc, char **argv);
int cmd_new(struct ctx *ctx, int argc, char **argv);
int cmd_compose(struct ctx *ctx, int argc, char **argv);
int cmd_subscribers(struct ctx *ctx, int argc, char **argv);
int cmd_replies(struct ctx *ctx, int argc, char **argv);
int cmd_send(struct ctx *ctx, int argc, char **argv);
int cmd_status(struct ctx *ctx, int argc, char **argv);
int cmd_cgi(struct ctx *ctx, int argc, char **argv);
int cmd_form(struct ctx *ctx, int argc, char **argv);
int cmd_dkim(struct ctx *ctx, int argc, char **argv);
int cmd_archive(struct ctx *ctx, int argc, char **argv);
int cmd_check(struct ctx *ctx, int argc, char **argv);

#endif
