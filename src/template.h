/* template.h - Google ctemplate behind a C interface (template.cc) */
#ifndef INFOLETTRE_TEMPLATE_H
#define INFOLETTRE_TEMPLATE_H

#ifdef __cplusplus
extern "C" {
#endif

/* A dictionary of values and sections for one expansion. */
struct tpl_dict;

/* A new empty dictionary; free the root with tpl_dict_free. */
struct tpl_dict *tpl_dict_new(void);
/* Set {{NAME}} to value (copied; NULL is ""). Escaping is the
 * template's business (AUTOESCAPE pragma or modifiers); pass raw text. */
void tpl_set(struct tpl_dict *d, const char *name, const char *value);
/* Show {{#SECTION}} once. */
void tpl_show(struct tpl_dict *d, const char *section);
/* Add one repetition of {{#SECTION}} and return its dictionary, owned by
 * d (never freed by the caller). */
struct tpl_dict *tpl_add(struct tpl_dict *d, const char *section);
/* Free a root dictionary and everything added to it. */
void tpl_dict_free(struct tpl_dict *d);

/*
 * Expand the template file at path with d. On success returns 0 and sets
 * *out (caller frees). Returns EX_NOINPUT when the file is missing or
 * unreadable and EX_DATAERR on a template syntax error, with *err
 * "PATH:LINE: reason" (ctemplate's own message, which it prints to stderr,
 * is captured; ctemplate gives no line, so LINE is found by parsing
 * successive prefixes of the file). An error while expanding (an include
 * that fails) is EX_DATAERR "PATH: reason".
 *
 * The file is read afresh on every call (no cache survives it), so an
 * edited template takes effect at once. Blank lines: a name ending in
 * ".txt.tpl" is expanded as written (DO_NOT_STRIP: the text mail's layout
 * is its blank lines); any other template with STRIP_BLANK_LINES.
 * Auto-escaping is the template's choice: {{%AUTOESCAPE context="HTML"}}
 * as its first line.
 */
int tpl_expand(const char *path, const struct tpl_dict *d, char **out,
	char **err);

#ifdef __cplusplus
}
#endif

#endif
