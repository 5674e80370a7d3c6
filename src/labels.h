/* labels.h - the words a reader sees (headings, links, dates, the
 * unsubscribe pages, the confirmation request), one table per language in
 * labels.c. A text may hold placeholders, "{title}", that label_fill
 * replaces; every language has the same keys and, for each key, the same
 * placeholders (tests/unit/test_labels.c checks both, and that every
 * {{L_KEY}} a template uses is a key). */
#ifndef INFOLETTRE_LABELS_H
#define INFOLETTRE_LABELS_H

#include <stdbool.h>

/* The language the labels of newsletter.language are in: "en" for "en",
 * "fr" for anything else (the default). */
const char *labels_lang(const char *lang);

/* The text of key in lang (see labels_lang); dies with EX_SOFTWARE for a
 * key no table has (a programming error, never input). */
const char *label(const char *lang, const char *key);

/* Is key defined in lang's own table? */
bool label_exists(const char *lang, const char *key);

/* label(lang, key) with each "{name}" replaced by its value; the
 * arguments after key are name, value pairs ending with NULL. A
 * placeholder without a value dies with EX_SOFTWARE. Caller frees. */
char *label_fill(const char *lang, const char *key, ...);

/* The languages, NULL-terminated ("fr" first: the reference). */
extern const char *const labels_languages[];

/* Call fn for each key of lang's table, in order. */
void labels_each(const char *lang,
	void (*fn)(void *arg, const char *key, const char *text), void *arg);

/* Set {{L_KEY}} in d to each label of lang (the texts as written,
 * placeholders included). */
struct tpl_dict;
void labels_set(struct tpl_dict *d, const char *lang);

#endif
