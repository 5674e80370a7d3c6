/* frontmatter.h - the YAML block between "---" lines at the top of a file */
#ifndef INFOLETTRE_FRONTMATTER_H
#define INFOLETTRE_FRONTMATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "util.h"

struct fm {
	yaml_document_t doc;
	bool loaded;      /* doc holds a parsed document */
	size_t body_off;  /* offset of the body in the data */
	int body_line;    /* 1-based line where the body starts */
	int line_off;     /* add to a YAML mark's line to get the file's line */
};

/*
 * Split data (len bytes, NUL-terminated) into front matter and body and
 * parse the front matter with libyaml. Returns 0, or EX_DATAERR after adding
 * one diagnostic naming file (and line, column) to d: no front matter, TOML
 * front matter, an unclosed block, a YAML error, a top level that is not a
 * mapping. On success the caller calls fm_free.
 */
int fm_parse(const char *file, const char *data, size_t len, struct fm *fm,
	struct diags *d);
void fm_free(struct fm *fm);

/* The node for a top-level key, NULL when absent. */
yaml_node_t *fm_node(struct fm *fm, const char *key);
/* The text of a top-level scalar key; NULL when absent, null or not a
 * scalar. Owned by fm. */
const char *fm_str(struct fm *fm, const char *key);
/* The first of several keys that is present (e.g. "description",
 * "summary"). */
const char *fm_str_any(struct fm *fm, const char *const *keys);
/* A key's value as a list of strings: a scalar gives one, a list gives its
 * scalar items; adds copies to out. */
void fm_strings(struct fm *fm, const char *key, struct strlist *out);
/* The mapping value of key's sub-key (image: {filename: x}). */
const char *fm_sub_str(struct fm *fm, const char *key, const char *sub);
/* 1-based line and column of a key's value in the file (0 when absent). */
void fm_where(struct fm *fm, const char *key, int *line, int *col);

#endif
