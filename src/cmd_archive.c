/* cmd_archive.c - infolettre archive [--out DIR] [--all]; infolettre check
 * [MONTH...] [--golden]: the archive, and one command for a site's CI */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "archive.h"
#include "cmd.h"
#include "compose.h"
#include "store.h"
#include "util.h"

extern char **environ;

/* Was month sent? The journal of the store, when there is one. */
static bool
was_sent(void *ctx, const char *month)
{
	long counts[DLV_NSTATES];
	char *err = NULL;

	if (!ctx || store_delivery_counts(ctx, month, counts, &err) != 0) {
		free(err);
		return false;
	}
	return counts[DLV_SENT] > 0;
}

int
cmd_archive(struct ctx *ctx, int argc, char **argv)
{
	const char *out = NULL;
	bool all = false;
	const struct opt opts[] = { { "--out", NULL, &out },
		{ "--all", &all, NULL }, { NULL, NULL, NULL } };
	const char *pos[1] = { NULL };
	struct archive_opts o;
	struct store *st = NULL;
	struct diags warn = { NULL, 0, 0 };
	char *err = NULL, *def = NULL;
	int rc, n = 0;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 0)) != 0)
		return rc;
	memset(&o, 0, sizeof(o));
	if (!out) {
		/* archive/ beside the configuration */
		const char *cfg = ctx->cfg->path ? ctx->cfg->path : "infolettre.yaml";
		const char *slash = strrchr(cfg, '/');

		def = slash ? xasprintf("%.*s/archive", (int)(slash - cfg), cfg) :
			xstrdup("archive");
		out = def;
	}
	/* the journal says what was sent; no store yet: nothing was */
	if (access(ctx->cfg->subscribers.database, F_OK) == 0 &&
	    (rc = cmd_open_store(ctx, NULL, &st)) != 0) {
		free(def);
		return rc;
	}
	o.out = out;
	o.all = all;
	o.sent = was_sent;
	o.sent_ctx = st;
	o.feed_entries = ctx->cfg->archive.feed_entries;
	rc = archive_build(ctx->cfg, &o, &warn, &n, &err);
	diags_print(&warn);
	diags_free(&warn);
	if (st)
		store_close(st);
	if (rc) {
		free(def);
		return cmd_error("archive", rc, err);
	}
	printf("%s: %d issue%s, index.html, feed.xml\n", out, n,
		n == 1 ? "" : "s");
	free(def);
	return 0;
}

/* diff -u of a committed file and what compose makes now. */
static bool
golden_same(const char *committed, const char *now, const char *label)
{
	char *data = NULL, *tmp = NULL;
	size_t len = 0;
	pid_t pid;
	int st, e;

	if (read_file(committed, 64L << 20, &data, &len) == 0 &&
	    len == strlen(now) && memcmp(data, now, len) == 0) {
		free(data);
		return true;
	}
	free(data);
	if (access(committed, F_OK) != 0) {
		printf("%s: no committed file\n", label);
		return false;
	}
	printf("%s: differs from the committed file\n", label);
	fflush(stdout);
	if ((e = file_write_temp(committed, now, strlen(now), 0600, &tmp)) == 0) {
		char *args[] = { "diff", "-u", (char *)committed, tmp, NULL };

		if (posix_spawnp(&pid, "diff", NULL, NULL, args, environ) == 0)
			waitpid(pid, &st, 0);
		unlink(tmp);
	}
	free(tmp);
	return false;
}

int
cmd_check(struct ctx *ctx, int argc, char **argv)
{
	bool golden = false;
	const struct opt opts[] = { { "--golden", &golden, NULL },
		{ NULL, NULL, NULL } };
	const char *pos[64] = { NULL };
	char **months = NULL, *err = NULL, *dir;
	struct archive_opts o;
	size_t bad = 0, n = 0;
	int rc, count;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 0, 64)) != 0)
		return rc;
	if (pos[0]) {
		for (n = 0; pos[n]; n++) {
			struct month m;

			if ((rc = cmd_month(pos[n], &m)) != 0)
				return rc;
		}
		months = xcalloc(n + 1, sizeof(*months));
		for (size_t i = 0; i < n; i++)
			months[i] = xstrdup(pos[i]);
	} else {
		months = archive_months(ctx->cfg);
		for (n = 0; months[n]; n++)
			;
	}
	for (size_t i = 0; months[i]; i++) {
		struct diags warn = { NULL, 0, 0 };
		struct composed cp;

		rc = compose_build(ctx->cfg, months[i], &cp, &warn, &err);
		diags_print(&warn);
		bad += warn.n;
		diags_free(&warn);
		if (rc) {
			cmd_error(months[i], rc, err);
			err = NULL;
			bad++;
			continue;
		}
		if (golden) {
			static const char *const names[] = { "newsletter.html",
				"newsletter.txt", "newsletter.eml", "web.html" };
			const char *now[] = { cp.html_preview, cp.text_preview,
				cp.eml, cp.web };

			for (int k = 0; k < 4; k++) {
				char *path = path_join(cp.issue.dir, names[k]);

				if (!golden_same(path, now[k], path))
					bad++;
				free(path);
			}
			for (size_t k = 0; k < cp.nics; k++) {
				char *path = path_join(cp.issue.dir, cp.ics[k].name);

				if (!golden_same(path, cp.ics[k].data, path))
					bad++;
				free(path);
			}
		}
		compose_free(&cp);
	}
	/* the archive, every issue, into a folder of its own */
	dir = xstrdup("/tmp/infolettre-check.XXXXXX");
	if (getenv("TMPDIR") && *getenv("TMPDIR")) {
		free(dir);
		dir = xasprintf("%s/infolettre-check.XXXXXX", getenv("TMPDIR"));
	}
	if (!mkdtemp(dir)) {
		report("check: %s: %s", dir, strerror(errno));
		free(dir);
		archive_months_free(months);
		return EX_CANTCREAT;
	}
	{
		struct diags warn = { NULL, 0, 0 };
		char *out = path_join(dir, "archive");

		memset(&o, 0, sizeof(o));
		o.out = out;
		o.all = true;
		o.feed_entries = ctx->cfg->archive.feed_entries;
		rc = archive_build(ctx->cfg, &o, &warn, &count, &err);
		diags_free(&warn); /* said above, issue by issue */
		if (rc) {
			cmd_error("check: archive", rc, err);
			bad++;
		}
		if (access(out, F_OK) == 0) {
			char *args[] = { "rm", "-rf", out, NULL };
			pid_t pid;
			int st;

			if (posix_spawnp(&pid, "rm", NULL, NULL, args,
			    environ) == 0)
				waitpid(pid, &st, 0);
		}
		rmdir(dir);
		free(out);
	}
	free(dir);
	archive_months_free(months);
	if (bad) {
		report("check: %zu problem%s in %zu issue%s", bad,
			bad == 1 ? "" : "s", n, n == 1 ? "" : "s");
		return EX_DATAERR;
	}
	printf("check: %zu issue%s composed strictly, the archive built\n", n,
		n == 1 ? "" : "s");
	return 0;
}
