/* cmd_collect.c - infolettre collect MONTH: what the month's issue holds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "content.h"
#include "markdown.h"

/* A field of tab-separated output: tabs, line breaks and other control
 * characters become spaces, so that a record stays one line of fields. */
static void
put_field(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

int
cmd_collect(struct ctx *ctx, int argc, char **argv)
{
	bool strict = false;
	const char *pos[1] = { NULL };
	const struct opt opts[] = {
		{ "--strict", &strict, NULL },
		{ NULL, NULL, NULL },
	};
	struct month m;
	struct items items;
	struct diags warn = { NULL, 0, 0 };
	char *err = NULL;
	int rc;

	if ((rc = cmd_parse(ctx, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	if ((rc = cmd_month(pos[0], &m)) != 0)
		return rc;
	rc = content_collect(ctx->cfg, m, &items, &warn, &err);
	diags_print(&warn);
	if (rc) {
		char *s = sanitize(err);
		report("%s", s);
		free(s);
		free(err);
		diags_free(&warn);
		return rc;
	}
	if (strict && warn.n) {
		report("collect: %zu warning%s (--strict makes them errors)",
			warn.n, warn.n > 1 ? "s" : "");
		items_free(&items);
		diags_free(&warn);
		return EX_DATAERR;
	}
	for (size_t i = 0; i < items.n; i++) {
		const struct item *it = &items.v[i];
		char *title = md_inline_text(it->title);

		printf("%s\t%04d-%02d-%02d\t", content_section_name(it->section),
			it->date.year, it->date.month, it->date.day);
		put_field(title);
		putchar('\t');
		put_field(it->url);
		putchar('\t');
		put_field(it->source);
		putchar('\n');
		free(title);
	}
	if (!items.n)
		report("collect: no posts or events for %s", pos[0]);
	items_free(&items);
	diags_free(&warn);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		report("collect: cannot write the listing");
		return EX_IOERR;
	}
	return 0;
}
