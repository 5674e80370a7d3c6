/* test_config.c - infolettre.yaml: values, defaults, and errors with places */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static char dir[64], file[128];

#define MINIMAL "newsletter:\n  title: T\n  from: \"A <a@example.org>\"\n" \
	"site:\n  root: site\n  base_url: https://example.org\n"

static int
load(const char *yaml, struct config **c, char **err)
{
	FILE *f = fopen(file, "w");

	fputs(yaml, f);
	fclose(f);
	free(*err);
	*err = NULL;
	*c = NULL;
	return config_load(file, c, err);
}

/* The error of loading yaml, without the file name: "LINE:COL: message". */
static const char *
error_of(const char *yaml)
{
	static char out[1024];
	struct config *c;
	char *err = NULL;
	int rc = load(yaml, &c, &err);

	if (rc != EX_CONFIG) {
		snprintf(out, sizeof(out), "status %d", rc);
		config_free(c);
	} else if (!err || !str_starts(err, file) || err[strlen(file)] != ':') {
		snprintf(out, sizeof(out), "error does not name the file: %s",
			err ? err : "(null)");
	} else {
		snprintf(out, sizeof(out), "%s", err + strlen(file) + 1);
	}
	free(err);
	return out;
}

static void
test_minimal(void)
{
	struct config *c;
	char *err = NULL, *p;

	CHECK_INT(load(MINIMAL, &c, &err), 0);
	if (!c)
		return;
	CHECK_STR(c->newsletter.title, "T");
	CHECK_STR(c->newsletter.language, "fr");
	CHECK_STR(c->newsletter.timezone, "Europe/Paris");
	CHECK_STR(getenv("TZ"), "Europe/Paris");
	CHECK_STR(c->newsletter.list_id, "infolettre.example.org");
	CHECK_STR(c->site.base_url, "https://example.org/");
	/* relative paths resolve against the file's folder */
	p = xasprintf("%s/site", dir);
	CHECK_STR(c->site.root, p);
	free(p);
	p = xasprintf("%s/issues", dir);
	CHECK_STR(c->issues, p);
	free(p);
	p = xasprintf("%s/subscribers/subscribers.db", dir);
	CHECK_STR(c->subscribers.database, p);
	free(p);
	CHECK_INT(c->site.posts.n, 1);
	CHECK_STR(c->site.posts.v[0], "post");
	CHECK_INT(c->transport.concurrency, 4);
	CHECK(c->transport.starttls);
	CHECK(config_archive_url(c, "2026-06") == NULL);
	config_free(c);
}

static void
test_full(void)
{
	struct config *c;
	char *err = NULL, *s;

	CHECK_INT(load("newsletter:\n  title: T\n  from: a@example.org\n"
		"  language: en\n  timezone: UTC\n  list_id: ~\n"
		"site:\n  root: /srv/site\n  base_url: \"https://example.org/x/\"\n"
		"  posts: [blog, project]\n  events: event\n"
		"  archive_url: https://example.org/{month}/{month}.html\n"
		"transport:\n  concurrency: 64\n  rate: 2.5\n  starttls: no\n"
		"inbox:\n"
		"issues: ../issues\n", &c, &err), 0);
	if (!c) {
		printf("# %s\n", err);
		free(err);
		return;
	}
	CHECK_STR(c->newsletter.language, "en");
	CHECK_STR(getenv("TZ"), "UTC0");
	CHECK_STR(c->newsletter.list_id, "infolettre.example.org");
	CHECK_STR(c->site.root, "/srv/site");
	CHECK_STR(c->site.base_url, "https://example.org/x/");
	CHECK_INT(c->site.posts.n, 2);
	CHECK_STR(c->site.posts.v[1], "project");
	CHECK_INT(c->site.events.n, 1);
	CHECK_STR(c->site.events.v[0], "event");
	CHECK_INT(c->transport.concurrency, 64);
	CHECK(c->transport.rate == 2.5);
	CHECK(!c->transport.starttls);
	s = config_archive_url(c, "2026-06");
	CHECK_STR(s, "https://example.org/2026-06/2026-06.html");
	free(s);
	config_free(c);
	config_free(NULL);
}

static void
test_errors(void)
{
	CHECK_STR(error_of(MINIMAL "  posts: [blog\n"),
		"8:1: YAML error: did not find expected ',' or ']' while "
		"parsing a flow sequence started at 7:10");
	CHECK_STR(error_of("newsletter:\n  title: T\n   from: x\n"),
		"3:8: YAML error: mapping values are not allowed in this context");
	CHECK_STR(error_of(MINIMAL "  colour: blue\n"),
		"7:3: unknown key \"site.colour\" (valid under site: root, "
		"base_url, posts, events, archive_url)");
	CHECK(str_starts(error_of(MINIMAL "sender: x\n"),
		"7:1: unknown key \"sender\" (valid at top level: newsletter, "
		"site, unsubscribe, transport, inbox, subscribers, "));
	CHECK_STR(error_of(MINIMAL "transport:\n  url: [a, b]\n"),
		"8:8: transport.url: expected a string, found a list");
	CHECK_STR(error_of(MINIMAL "transport:\n  concurrency: {a: 1}\n"),
		"8:16: transport.concurrency: expected an integer, found a mapping");
	CHECK_STR(error_of(MINIMAL "transport:\n  concurrency: 0\n"),
		"8:16: transport.concurrency: 0 is out of range 1..64");
	CHECK_STR(error_of(MINIMAL "transport:\n  concurrency: 1000\n"),
		"8:16: transport.concurrency: 1000 is out of range 1..64");
	CHECK_STR(error_of(MINIMAL "transport:\n  concurrency: four\n"),
		"8:16: transport.concurrency: \"four\" is not an integer");
	CHECK_STR(error_of(MINIMAL "transport:\n  starttls: maybe\n"),
		"8:13: transport.starttls: \"maybe\" is not true or false");
	CHECK_STR(error_of(MINIMAL "transport:\n  rate: -1\n"),
		"8:9: transport.rate: \"-1\" is not a number >= 0");
	CHECK_STR(error_of(MINIMAL "  posts: [blog, [x]]\n"),
		"7:17: site.posts: each item must be a string");
	CHECK_STR(error_of(MINIMAL "  root: again\n"),
		"7:3: site.root: key given twice");
	CHECK_STR(error_of("# a comment\nnewsletter:\n  title: T\n"
		"site:\n  root: s\n  base_url: https://e.org/\n"),
		"2:1: missing required key \"newsletter.from\"");
	CHECK_STR(error_of(MINIMAL "newsletter:\n  language: de\n"),
		"7:1: newsletter: key given twice");
	CHECK_STR(error_of("newsletter:\n  title: T\n  from: a@e.org\n"
		"  language: de\nsite:\n  root: s\n  base_url: https://e.org/\n"),
		"4:13: newsletter.language: \"de\" is not one of fr|en");
	CHECK_STR(error_of("newsletter:\n  title: T\n  from: a@e.org\n"
		"  timezone: Europe/Pariss\nsite:\n  root: s\n"
		"  base_url: https://e.org/\n"),
		"4:13: newsletter.timezone: unknown time zone \"Europe/Pariss\" "
		"(is the tzdata package installed?)");
	CHECK_STR(error_of("newsletter:\n  title: T\n  from: a@e.org\n"
		"  timezone: zone.tab\nsite:\n  root: s\n"
		"  base_url: https://e.org/\n"),
		"4:13: newsletter.timezone: unknown time zone \"zone.tab\" "
		"(is the tzdata package installed?)");
	CHECK_STR(error_of("newsletter:\n  title: T\n  from: a@e.org\n"
		"site:\n  root: s\n  base_url: ftp://e.org/\n"),
		"6:13: site.base_url: \"ftp://e.org/\" is not an http(s) URL");
	CHECK_STR(error_of("newsletter:\n  title: ~\n  from: a@e.org\n"
		"site:\n  root: s\n  base_url: https://e.org/\n"),
		"2:10: newsletter.title: a value is required");
	CHECK_STR(error_of("newsletter:\n  title: T\n  from: a@e.org\n"
		"site:\n  root:\n  base_url: https://e.org/\n"),
		"5:8: site.root: a value is required");
	CHECK_STR(error_of("newsletter:\n  title: \"\"\n  from: a@e.org\n"
		"site:\n  root: s\n  base_url: https://e.org/\n"),
		"2:10: newsletter.title: a value is required");
	CHECK_STR(error_of("- a\n- b\n"),
		"1:1: expected a mapping, found a list");
	CHECK_STR(error_of("newsletter: [a]\n"),
		"1:13: newsletter: expected a mapping, found a list");
	CHECK_STR(error_of("newsletter:\n  ? [a]\n  : b\n"),
		"2:5: keys must be strings");
	CHECK(strstr(error_of(""), "the file is empty") != NULL);
	CHECK(strstr(error_of("# nothing\n"), "the file is empty") != NULL);
	CHECK(strstr(error_of("newsletter:\n  title: \"\xff\"\n"),
		"not valid UTF-8") != NULL);
}

static void
test_missing(void)
{
	struct config *c = NULL;
	char *err = NULL, *p = xasprintf("%s/nope.yaml", dir);

	CHECK_INT(config_load(p, &c, &err), EX_NOINPUT);
	CHECK(c == NULL);
	CHECK(err && str_starts(err, p));
	free(err);
	free(p);
	err = NULL;
	CHECK_INT(config_load(dir, &c, &err), EX_CONFIG); /* a folder */
	free(err);
}

static void
test_locate(void)
{
	unsetenv("INFOLETTRE_CONFIG");
	CHECK_STR(config_locate(NULL), "infolettre.yaml");
	CHECK_STR(config_locate("x.yaml"), "x.yaml");
	setenv("INFOLETTRE_CONFIG", "/etc/infolettre.yaml", 1);
	CHECK_STR(config_locate(NULL), "/etc/infolettre.yaml");
	CHECK_STR(config_locate(""), "/etc/infolettre.yaml");
	CHECK_STR(config_locate("x.yaml"), "x.yaml");
	setenv("INFOLETTRE_CONFIG", "", 1);
	CHECK_STR(config_locate(NULL), "infolettre.yaml");
	unsetenv("INFOLETTRE_CONFIG");
}

int
main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	snprintf(file, sizeof(file), "%s/infolettre.yaml", dir);
	RUN(test_minimal);
	RUN(test_full);
	RUN(test_errors);
	RUN(test_missing);
	RUN(test_locate);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}
