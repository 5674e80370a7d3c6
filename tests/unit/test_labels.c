/* test_labels.c - every language has every label, with the same
 * placeholders; every {{L_KEY}} of a template is a label; dates and
 * placeholders come out as a reader expects. */
#include <dirent.h>
#include <stdlib.h>

#include "buf.h"
#include "compose.h"
#include "date.h"
#include "labels.h"
#include "util.h"
#include "unit.h"

/* The "{name}" placeholders of s, sorted, one per line. */
static char *
placeholders(const char *s)
{
	struct buf b = BUF_INIT;
	const char *close;

	for (; (s = strchr(s, '{')) != NULL; s = close + 1) {
		if (!(close = strchr(s, '}')))
			break;
		buf_put(&b, s, (size_t)(close - s + 1));
		buf_putc(&b, '\n');
	}
	/* sort the lines: insertion into a fresh buffer */
	char *all = buf_detach(&b), *line, *save = NULL;
	char *lines[64];
	size_t n = 0;
	for (line = strtok_r(all, "\n", &save); line && n < 64;
	    line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0;
		    j--) {
			char *t = lines[j];
			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s\n", lines[i]);
	free(all);
	return buf_detach(&b);
}

struct walk {
	const char *lang;
	size_t n;
};

static void
same_as_reference(void *arg, const char *key, const char *text)
{
	struct walk *w = arg;
	char *mine, *ref;

	w->n++;
	/* the reference (fr) has the key, with the same placeholders */
	CHECK(label_exists("fr", key));
	if (!label_exists("fr", key)) {
		printf("# %s: %s is not in fr\n", w->lang, key);
		return;
	}
	mine = placeholders(text);
	ref = placeholders(label("fr", key));
	CHECK_STR(mine, ref);
	free(mine);
	free(ref);
}

static void
count(void *arg, const char *key, const char *text)
{
	(void)key;
	(void)text;
	((struct walk *)arg)->n++;
}

static void
every_language_has_every_label(void)
{
	struct walk ref = { "fr", 0 };

	labels_each("fr", count, &ref);
	CHECK(ref.n > 40);
	for (size_t i = 0; labels_languages[i]; i++) {
		struct walk w = { labels_languages[i], 0 };

		labels_each(w.lang, same_as_reference, &w);
		CHECK_INT(w.n, ref.n); /* and no key missing */
	}
}

/* Every {{L_KEY...}} in every file of templates/ is a label of every
 * language. */
static void
every_template_label_is_defined(void)
{
	const char *root = getenv("ROOT");
	char *dir = xasprintf("%s/templates", root ? root : ".");
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t used = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d)) != NULL) {
		char *path, *text, *p;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (read_file(path, 1 << 20, &text, &len) != 0) {
			free(path);
			continue;
		}
		for (p = text; (p = strstr(p, "{{L_")) != NULL; p += 4) {
			size_t n = strspn(p + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_");
			char *key = xstrndup(p + 4, n);

			used++;
			for (size_t i = 0; labels_languages[i]; i++) {
				CHECK(label_exists(labels_languages[i], key));
				if (!label_exists(labels_languages[i], key))
					printf("# %s: L_%s is not a label in "
					    "%s\n", path, key,
					    labels_languages[i]);
			}
			free(key);
		}
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	CHECK(used >= 4);
	free(dir);
}

static void
fill_and_dates(void)
{
	struct date d = { 0 }, end = { 0 };
	char *s;

	s = label_fill("fr", "ISSUE_NUMBER", "number", "7", "month",
		"juin 2026", (char *)NULL);
	CHECK_STR(s, "Numéro 7 · juin 2026");
	free(s);
	s = label_fill("en", "FOOTER", "title", "SSP Hub", "month", "x",
		(char *)NULL);
	CHECK_STR(s, "You receive “SSP Hub” because you subscribed to it.");
	free(s);
	CHECK_STR(labels_lang("de"), "fr");
	CHECK_STR(labels_lang(NULL), "fr");
	CHECK_STR(labels_lang("en"), "en");
	CHECK_STR(compose_month_name("fr", 8), "août");
	CHECK_STR(compose_month_name("en", 12), "December");

	d.year = 2026; d.month = 6; d.day = 1; d.wday = 1;
	d.has_time = true; d.hour = 14; d.min = 0;
	end = d;
	end.hour = 16; end.min = 30;
	s = compose_date_label("fr", &d, &end);
	CHECK_STR(s, "lundi 1er juin 2026, 14 h – 16 h 30");
	free(s);
	s = compose_date_label("en", &d, &end);
	CHECK_STR(s, "Monday 1 June 2026, 14:00 – 16:30");
	free(s);
}

int
main(void)
{
	RUN(every_language_has_every_label);
	RUN(every_template_label_is_defined);
	RUN(fill_and_dates);
	return 0;
}
