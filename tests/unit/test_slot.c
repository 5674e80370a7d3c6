/* test_slot.c - the personal token slot cannot be forged: random for each
 * compose run, never in a file, and text that looks like a slot (the old
 * fixed one, another of the new form) captures no token. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "mime.h"
#include "unit.h"
#include "util.h"

#define TOKEN "abcdefghijklmnopqrstuvwxyz234567"

static struct mime_input
input(const char *slot, const char *html, const char *text)
{
	struct mime_input in;

	memset(&in, 0, sizeof(in));
	in.from = "Test <news@example.org>";
	in.subject = "Juin";
	in.list_title = "Test";
	in.list_id = "test.example.org";
	in.msgid_domain = "example.org";
	in.issue_id = "2026-06";
	in.slot = slot;
	in.html = html;
	in.text = text;
	in.date = 1781596800;
	in.seed = "seed";
	return in;
}

static void
test_new(void)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	CHECK_INT(mime_slot_new(a), 0);
	CHECK_INT(mime_slot_new(b), 0);
	CHECK_INT(strlen(a), TOKEN_LEN);
	CHECK(str_starts(a, MIME_SLOT_PREFIX));
	CHECK(mime_slot_ok(a) && mime_slot_ok(b));
	CHECK(strcmp(a, b) != 0);
	CHECK(strcmp(a, MIME_SLOT_TOKEN) != 0);
	CHECK(mime_slot_ok(MIME_SLOT_TOKEN));
	CHECK(!mime_slot_ok("TOKENSLOTxxxxxxxxxxxxxxxxxxxxxxx"));
	CHECK(!mime_slot_ok("XOKENSLOTXXXXXXXXXXXXXXXXXXXXXXX"));
	CHECK(!mime_slot_ok("TOKENSLOT"));
	CHECK(!mime_slot_ok(NULL));
}

/* A message built with a random slot fills that slot and only it: the old
 * fixed text and another slot of the same form stay as they are. */
static void
test_fill_only_the_slot(void)
{
	char slot[TOKEN_LEN + 1], *html, *text, *err = NULL;
	struct mime_msg *m = NULL;
	struct mime_recipient r = { "Alice", "alice@example.org", TOKEN, 0 };
	struct buf out = BUF_INIT;
	const char *forged = "TOKENSLOTQWERTYUIOPASDFGHJKLZXCV";

	CHECK_INT(mime_slot_new(slot), 0);
	html = xasprintf("<a href=\"https://example.org/u?t=%s\">x</a>\n"
		"<img src=\"https://tracker.example/a?u=%s\">\n"
		"<img src=\"https://tracker.example/b?u=%s\">\n", slot,
		MIME_SLOT_TOKEN, forged);
	text = xasprintf("https://example.org/u?t=%s\n%s %s\n", slot,
		MIME_SLOT_TOKEN, forged);
	struct mime_input in = input(slot, html, text);
	CHECK_INT(mime_build(&in, &m, &err), 0);
	if (m) {
		CHECK_INT(mime_fill(m, &r, &out, &err), 0);
		/* quoted-printable: "=" is "=3D" */
		CHECK(strstr(out.data, "u?t=3D" TOKEN) != NULL);
		CHECK(strstr(out.data, "a?u=3D" MIME_SLOT_TOKEN) != NULL);
		CHECK(strstr(out.data, "b?u=3DTOKENSLOTQWERTYUIOPASDFGHJKLZXCV") !=
			NULL);
		CHECK(strstr(out.data, slot) == NULL);
		/* the token is where the slot was, and nowhere else */
		{
			int n = 0;
			for (const char *p = out.data; (p = strstr(p, TOKEN)); p++)
				n++;
			/* Message-ID, the link in each body */
			CHECK_INT(n, 3);
		}
		mime_msg_free(m);
	}
	buf_free(&out);
	free(err);
	err = NULL;
	/* not a slot */
	in.slot = "tokenslotxxxxxxxxxxxxxxxxxxxxxxx";
	CHECK_INT(mime_build(&in, &m, &err), EX_DATAERR);
	free(err);
	free(html);
	free(text);
}

/* compose: a new slot each run, the same bytes in every file. */
static void
test_compose_runs(void)
{
	struct config *c = NULL;
	struct composed a, b;
	struct diags w = { 0 };
	char *err = NULL;
	char cfg[] = "/tmp/test_slot.XXXXXX";
	char *path, *yaml;
	char cwd[4096];
	const char *root = getenv("ROOT");

	if (!root)
		root = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	setenv("SOURCE_DATE_EPOCH", "1780000000", 1);
	if (!mkdtemp(cfg)) {
		CHECK(!"mkdtemp");
		return;
	}
	path = xasprintf("%s/infolettre.yaml", cfg);
	/* the repository's sample site and issue, read where they are
	 * ($ROOT, else the current folder) */
	yaml = xasprintf("newsletter:\n  title: \"Infolettre du SSP Hub\"\n"
		"  from: \"SSP Hub <infolettre@ssphub.example.fr>\"\n"
		"  list_id: \"infolettre.ssphub.example.fr\"\n"
		"site:\n  root: \"%s/tests/site\"\n"
		"  base_url: \"https://ssphub.netlify.app/\"\n"
		"  posts: [blog]\n  events: [event]\n"
		"unsubscribe:\n  url: \"https://ssphub.example.fr/u\"\n"
		"  mailto: \"unsub@ssphub.example.fr\"\n"
		"issues: \"%s/issues\"\ntemplates: \"%s/templates\"\n",
		root, root, root);
	CHECK_INT(write_file_atomic(path, yaml, strlen(yaml), 0644), 0);
	CHECK_INT(config_load(path, &c, &err), 0);
	if (!c) {
		printf("  %s\n", err ? err : "");
		goto out;
	}
	if (compose_build(c, "2026-06", &a, &w, &err) != 0 ||
	    compose_build(c, "2026-06", &b, &w, &err) != 0) {
		CHECK(!"compose_build");
		printf("  %s\n", err ? err : "");
		config_free(c);
		goto out;
	}
	CHECK(mime_slot_ok(a.slot) && mime_slot_ok(b.slot));
	CHECK(strcmp(a.slot, b.slot) != 0);
	CHECK(strstr(a.html, a.slot) && strstr(a.text, a.slot));
	CHECK_STR(a.eml, b.eml);
	CHECK_STR(a.html_preview, b.html_preview);
	CHECK_STR(a.web, b.web);
	CHECK(!strstr(a.eml, MIME_SLOT_PREFIX) &&
		!strstr(a.html_preview, MIME_SLOT_PREFIX) &&
		!strstr(a.text_preview, MIME_SLOT_PREFIX) &&
		!strstr(a.web, MIME_SLOT_PREFIX));
	compose_free(&a);
	compose_free(&b);
	config_free(c);
out:
	diags_free(&w);
	free(err);
	unlink(path);
	rmdir(cfg);
	free(path);
	free(yaml);
}

int
main(void)
{
	RUN(test_new);
	RUN(test_fill_only_the_slot);
	RUN(test_compose_runs);
	return 0;
}
