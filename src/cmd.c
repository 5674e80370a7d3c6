/* cmd.c - what every command shares: its usage line, option parsing, the
 * MONTH argument. Apart from main.c so that the commands link without the
 * command table (the unit tests link every object but main.o). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "date.h"
#include "owner.h"
#include "store.h"
#include "token.h"
#include "util.h"

void
cmd_usage(const struct command *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	fprintf(f, "usage: infolettre %s %s\n%s\n", cmd->name, cmd->usage,
		cmd->summary);
}

/* "--strict, --help" */
static char *
valid_opts(const struct opt *opts)
{
	struct buf b = BUF_INIT;

	for (const struct opt *o = opts; o->name; o++)
		buf_printf(&b, "%s%s", o->name, o->flag ? ", " : " VALUE, ");
	buf_puts(&b, "--help");
	return buf_detach(&b);
}

static int
load_config(struct ctx *ctx)
{
	char *err = NULL, *s;
	int rc;

	rc = config_load(config_locate(ctx->config_path), &ctx->cfg, &err);
	if (rc) {
		s = sanitize(err ? err : "cannot load the configuration");
		report("%s", s);
		free(s);
		free(err);
	}
	return rc;
}

int
cmd_parse(struct ctx *ctx, int argc, char **argv,
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
			char *valid = valid_opts(opts);
			char *s = xstrndup(a, len), *safe = sanitize(s);
			report("%s: unknown option \"%s\" (valid: %s)",
				ctx->cmd->name, safe, valid);
			cmd_usage(ctx->cmd, true);
			free(valid);
			free(s);
			free(safe);
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
	if ((ctx->cmd->flags & NEED_CONFIG) && !ctx->cfg)
		return load_config(ctx);
	return 0;
}

int
cmd_month(const char *arg, struct month *m)
{
	if (!month_parse(arg, m)) {
		char *s = sanitize(arg);
		report("\"%s\" is not a month (expected YYYY-MM, e.g. 2026-06)",
			s);
		free(s);
		return EX_USAGE;
	}
	return 0;
}

/* s as one shell word */
static void
put_word(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789@%+=:,./_-", *p))
			break;
	if (*s && !*p) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (p = s; *p; p++)
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	buf_putc(b, '\'');
}

int
cmd_owner(const struct ctx *ctx)
{
	struct buf line = BUF_INIT;
	char *owner = NULL, *err = NULL, *s, *l;
	int rc;

	rc = owner_check(ctx->cfg->subscribers.database,
		ctx->cfg->subscribers.secret_file, &owner, &err);
	if (rc == 0)
		return 0;
	buf_printf(&line, "sudo -u %s infolettre -c ", owner);
	put_word(&line, ctx->cfg->path);
	for (int i = 0; i < ctx->argc; i++) {
		buf_putc(&line, ' ');
		put_word(&line, ctx->argv[i]);
	}
	s = sanitize(err);
	l = sanitize(buf_str(&line));
	report("%s: one user owns the list's data; run the command as %s:\n"
		"    %s", s, owner, l);
	free(s);
	free(l);
	free(err);
	free(owner);
	buf_free(&line);
	return rc;
}

int
cmd_error(const char *prefix, int rc, char *err)
{
	char *s = sanitize(err ? err : "failed");

	if (prefix)
		report("%s: %s", prefix, s);
	else
		report("%s", s);
	free(s);
	free(err);
	return rc;
}

int
cmd_open_store(const struct ctx *ctx, const char *prefix, struct store **st)
{
	unsigned char *secret = NULL;
	size_t len = 0;
	char *err = NULL;
	int rc;

	if ((rc = cmd_owner(ctx)) != 0)
		return rc;
	if ((rc = token_secret(ctx->cfg->subscribers.secret_file, &secret,
	    &len, &err)) != 0)
		return cmd_error(prefix, rc, err);
	rc = store_open(ctx->cfg->subscribers.database, secret, len, st, &err);
	explicit_bzero(secret, len);
	free(secret);
	return rc ? cmd_error(prefix, rc, err) : 0;
}
