/* frontmatter.c - find and parse YAML front matter */
#include "frontmatter.h"

#include <string.h>

/* Is the line at p (up to end of line) exactly the marker, give or take
 * trailing blanks and a CR? */
static bool
is_marker(const char *p, const char *end, const char *marker, const char **next)
{
	size_t n = strlen(marker);
	const char *q;

	if ((size_t)(end - p) < n || memcmp(p, marker, n) != 0)
		return false;
	q = p + n;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	if (q < end && *q != '\n')
		return false;
	*next = q < end ? q + 1 : q;
	return true;
}

int
fm_parse(const char *file, const char *data, size_t len, struct fm *fm,
	struct diags *d)
{
	const char *p = data, *end = data + len, *next, *start, *close = NULL;
	int line = 1;
	yaml_parser_t parser;

	memset(fm, 0, sizeof(*fm));
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (is_marker(p, end, "+++", &next)) {
		diags_add(d, file, 1, 1, "TOML front matter (+++) is not read; "
			"only YAML front matter (---) is");
		return EX_DATAERR;
	}
	if (!is_marker(p, end, "---", &next)) {
		diags_add(d, file, 1, 1, "no front matter (a '---' line must "
			"open the file)");
		return EX_DATAERR;
	}
	start = next;
	line = 2;
	for (p = start; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (is_marker(p, eol, "---", &next) || is_marker(p, eol, "...", &next)) {
			close = p;
			p = nl ? nl + 1 : end;
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (!close) {
		diags_add(d, file, 1, 1, "front matter is never closed (no "
			"'---' line after the opening one)");
		return EX_DATAERR;
	}
	fm->body_off = (size_t)(p - data);
	fm->body_line = line + 1;
	fm->line_off = 2;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)start,
		(size_t)(close - start));
	if (!yaml_parser_load(&parser, &fm->doc)) {
		if (parser.context)
			diags_add(d, file, (int)parser.problem_mark.line +
				fm->line_off, (int)parser.problem_mark.column + 1,
				"YAML error: %s %s started at %d:%d",
				parser.problem ? parser.problem : "syntax error",
				parser.context, (int)parser.context_mark.line +
				fm->line_off, (int)parser.context_mark.column + 1);
		else
			diags_add(d, file, (int)parser.problem_mark.line +
				fm->line_off, (int)parser.problem_mark.column + 1,
				"YAML error: %s",
				parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return EX_DATAERR;
	}
	yaml_parser_delete(&parser);
	fm->loaded = true;
	yaml_node_t *root = yaml_document_get_root_node(&fm->doc);
	if (root && root->type != YAML_MAPPING_NODE) {
		diags_add(d, file, (int)root->start_mark.line + fm->line_off,
			(int)root->start_mark.column + 1,
			"front matter is not a mapping of keys to values");
		fm_free(fm);
		return EX_DATAERR;
	}
	return 0;
}

void
fm_free(struct fm *fm)
{
	if (fm->loaded)
		yaml_document_delete(&fm->doc);
	fm->loaded = false;
}

static yaml_node_t *
pair_lookup(struct fm *fm, yaml_node_t *map, const char *key, yaml_node_t **keynode)
{
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&fm->doc, pair->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0) {
			if (keynode)
				*keynode = k;
			return yaml_document_get_node(&fm->doc, pair->value);
		}
	}
	return NULL;
}

yaml_node_t *
fm_node(struct fm *fm, const char *key)
{
	if (!fm->loaded)
		return NULL;
	return pair_lookup(fm, yaml_document_get_root_node(&fm->doc), key, NULL);
}

static const char *
scalar(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	/* a plain empty or "~"/"null" scalar is YAML's null */
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		const char *v = (const char *)n->data.scalar.value;
		if (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0)
			return NULL;
	}
	return (const char *)n->data.scalar.value;
}

const char *
fm_str(struct fm *fm, const char *key)
{
	return scalar(fm_node(fm, key));
}

const char *
fm_str_any(struct fm *fm, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *v = fm_str(fm, *keys);
		if (v)
			return v;
	}
	return NULL;
}

void
fm_strings(struct fm *fm, const char *key, struct strlist *out)
{
	yaml_node_t *n = fm_node(fm, key);
	yaml_node_item_t *it;
	const char *v;

	if (!n)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		if ((v = scalar(n)) != NULL)
			strlist_push(out, xstrdup(v));
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&fm->doc, *it);
		if ((v = scalar(e)) != NULL)
			strlist_push(out, xstrdup(v));
		else if (e && e->type == YAML_MAPPING_NODE &&
			 (v = scalar(pair_lookup(fm, e, "name", NULL))) != NULL)
			strlist_push(out, xstrdup(v)); /* authors: [{name: …}] */
	}
}

const char *
fm_sub_str(struct fm *fm, const char *key, const char *sub)
{
	return scalar(pair_lookup(fm, fm_node(fm, key), sub, NULL));
}

void
fm_where(struct fm *fm, const char *key, int *line, int *col)
{
	yaml_node_t *n = fm_node(fm, key);

	*line = n ? (int)n->start_mark.line + fm->line_off : 0;
	*col = n ? (int)n->start_mark.column + 1 : 0;
}
