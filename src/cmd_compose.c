/* cmd_compose.c - infolettre new MONTH, infolettre compose MONTH */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "compose.h"
#include "preview.h"

int
cmd_new(struct ctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	const struct opt opts[] = { { NULL, NULL, NULL } };
	struct month m;
	char *path = NULL, *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_month(pos[0], &m)) != 0)
		return rc;
	if ((rc = issue_new(ctx->cfg, pos[0], &path, &err)) != 0)
		return cmd_error(NULL, rc, err);
	printf("%s\n", path);
	free(path);
	return 0;
}

int
cmd_compose(struct ctx *ctx, int argc, char **argv)
{
	bool strict = false, preview = false;
	const char *pos[1] = { NULL };
	const struct opt opts[] = {
		{ "--strict", &strict, NULL },
		{ "--preview", &preview, NULL },
		{ NULL, NULL, NULL },
	};
	struct month m;
	struct composed cp;
	struct diags warn = { NULL, 0, 0 };
	char *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_month(pos[0], &m)) != 0)
		return rc;
	rc = compose_build(ctx->cfg, pos[0], &cp, &warn, &err);
	diags_print(&warn);
	if (rc) {
		diags_free(&warn);
		return cmd_error(NULL, rc, err);
	}
	if (strict && warn.n) {
		report("compose: %zu warning%s (--strict makes them errors); "
			"nothing written", warn.n, warn.n > 1 ? "s" : "");
		compose_free(&cp);
		diags_free(&warn);
		return EX_DATAERR;
	}
	rc = compose_write(&cp, &err);
	if (!rc)
		printf("%s/newsletter.html\n%s/newsletter.txt\n"
			"%s/newsletter.eml\n%s/web.html\n", cp.issue.dir,
			cp.issue.dir, cp.issue.dir, cp.issue.dir);
	/* what compose did that is no fault: on standard output, after
	 * the files (a picture scaled down, the message's size) */
	for (size_t i = 0; !rc && i < cp.notes.n; i++) {
		const struct diag *dg = &cp.notes.v[i];

		if (dg->line)
			printf("%s:%d: %s\n", dg->file, dg->line, dg->msg);
		else
			printf("%s: %s\n", dg->file ? dg->file : "compose",
				dg->msg);
	}
	/* the files above are written whatever becomes of the pictures */
	if (!rc && preview) {
		fflush(stdout);
		if ((rc = preview_write(&cp, &err)) == 0)
			printf("%s/%s\n%s/%s\n", cp.issue.dir, PREVIEW_DESKTOP,
				cp.issue.dir, PREVIEW_MOBILE);
		else {
			char *why = err;
			err = xasprintf("compose: --preview: %s", why);
			free(why);
		}
	}
	compose_free(&cp);
	diags_free(&warn);
	return rc ? cmd_error(NULL, rc, err) : 0;
}
