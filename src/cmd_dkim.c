/* cmd_dkim.c - infolettre dkim keygen|check: make a signing key, print
 * the DNS record to publish */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmd.h"
#include "dkim.h"
#include "util.h"

/* The domain keys are for: dkim.domain, else newsletter.from's. */
static char *
domain_of(const struct config *c)
{
	char *a, *d;

	if (*c->dkim.domain)
		return xstrdup(c->dkim.domain);
	a = addr_of(c->newsletter.from);
	d = xstrdup(addr_domain(a));
	free(a);
	return d;
}

static int
keygen(struct ctx *ctx, int argc, char **argv)
{
	const char *alg = NULL, *sel = NULL, *out = NULL;
	const struct opt opts[] = {
		{ "--algorithm", NULL, &alg },
		{ "--selector", NULL, &sel },
		{ "--out", NULL, &out },
		{ NULL, NULL, NULL },
	};
	struct dkim *d = NULL;
	char *err = NULL, *path = NULL, *domain = NULL, *rec;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (!alg)
		alg = ctx->cfg->dkim.algorithm;
	if (strcmp(alg, "rsa-sha256") != 0 && strcmp(alg, "ed25519-sha256") != 0) {
		char *s = sanitize(alg);
		report("dkim keygen: --algorithm: \"%s\" is not rsa-sha256 or "
			"ed25519-sha256", s);
		free(s);
		return EX_USAGE;
	}
	if (!sel)
		sel = *ctx->cfg->dkim.selector ? ctx->cfg->dkim.selector :
			"infolettre";
	if (out)
		path = xstrdup(out);
	else if (*ctx->cfg->dkim.key_file)
		path = xstrdup(ctx->cfg->dkim.key_file);
	else {
		char *name = xasprintf("dkim-%s.key", sel);
		path = path_join(ctx->cfg->dir, name);
		free(name);
	}
	domain = domain_of(ctx->cfg);
	d = dkim_new();
	if (!dkim_name_ok(sel)) {
		rc = fail(&err, EX_USAGE, "dkim keygen: the selector \"%s\" is "
			"not a DNS name (letters, digits, '-', '.')", sel);
		goto bad;
	}
	if (!dkim_name_ok(domain)) {
		rc = fail(&err, EX_CONFIG, "%s: dkim.domain: \"%s\" is not a "
			"domain name", ctx->cfg->path, domain);
		goto bad;
	}
	if ((rc = dkim_keygen(alg, path, &err)) != 0 ||
	    (rc = dkim_add_key(d, "dkim keygen", domain, sel, alg, path,
	    &err)) != 0)
		goto bad;
	rec = dkim_record(d, 0);
	report("dkim keygen: wrote the %s private key %s (mode 0600); publish "
		"this DNS record, then set dkim.selector: %s and dkim.key_file "
		"in %s", alg, path, sel, ctx->cfg->path);
	printf("%s\n", rec);
	free(rec);
	dkim_free(d);
	free(path);
	free(domain);
	return 0;
bad:
	dkim_free(d);
	free(path);
	free(domain);
	return cmd_error(NULL, rc, err);
}

static int
check(struct ctx *ctx, int argc, char **argv)
{
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct dkim *d = NULL;
	char *err = NULL, *rec;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = dkim_open(ctx->cfg, &d, &err)) != 0)
		return cmd_error(NULL, rc, err);
	if (!d) {
		report("dkim check: %s has no dkim section: messages are not "
			"signed (make a key with: infolettre dkim keygen)",
			ctx->cfg->path);
		return EX_CONFIG;
	}
	for (size_t i = 0; i < dkim_nkeys(d); i++) {
		rec = dkim_record(d, i);
		printf("%s\n", rec);
		free(rec);
	}
	dkim_free(d);
	return 0;
}

int
cmd_dkim(struct ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(ctx, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		cmd_usage(ctx->cmd, false);
		return 0;
	}
	if (argc < 2)
		report("dkim: which one? keygen or check");
	else {
		char *s = sanitize(argv[1]);
		report("dkim: no subcommand \"%s\" (keygen, check)", s);
		free(s);
	}
	cmd_usage(ctx->cmd, true);
	return EX_USAGE;
}
