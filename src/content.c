/* content.c - the site's content files → the month's items */
#include "content.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "frontmatter.h"
#include "siteurl.h"
#include "markdown.h"

/* Content files are pages of text; anything larger is a mistake. */
#define MAX_CONTENT_SIZE (8u << 20)
#define MAX_DEPTH 32

const char *
content_section_name(enum section s)
{
	switch (s) {
	case SECTION_POST: return "post";
	case SECTION_EVENT_MONTH: return "event-month";
	case SECTION_EVENT_NEXT: return "event-next";
	}
	return "?";
}

void
item_free(struct item *it)
{
	free(it->source);
	free(it->path);
	free(it->url);
	free(it->title);
	free(it->subtitle);
	free(it->description);
	free(it->location);
	free(it->image);
	strlist_free(&it->authors);
	strlist_free(&it->categories);
	memset(it, 0, sizeof(*it));
}

void
items_free(struct items *l)
{
	for (size_t i = 0; i < l->n; i++)
		item_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static bool
is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
		strcmp(s, "TRUE") == 0 || strcmp(s, "yes") == 0 ||
		strcmp(s, "on") == 0);
}

/* Where an item falls for the scan's month: which section it goes in, or
 * false when it is none of the month's. */
struct window {
	struct month month, next;
	bool events;
};

static bool
place(const struct window *w, const struct date *d, enum section *sec)
{
	if (month_has(w->month, d))
		*sec = w->events ? SECTION_EVENT_MONTH : SECTION_POST;
	else if (w->events && month_has(w->next, d))
		*sec = SECTION_EVENT_NEXT;
	else
		return false;
	return true;
}

/* content_read, and when w is not NULL, also 1 for an item outside w
 * (nothing is copied for it). */
static int
read_item(const struct config *c, const char *file, const char *source,
	const char *data, size_t len, struct item *it, struct diags *warn,
	const struct window *w)
{
	static const char *const desc_keys[] = { "description", "summary", NULL };
	static const char *const end_keys[] = { "date_end", "end_date",
		"enddate", "end", NULL };
	static const char *const place_keys[] = { "location", "address",
		NULL };
	struct fm fm;
	size_t bad;
	const char *title, *date, *end, *image;
	int line, col;

	memset(it, 0, sizeof(*it));
	if (!utf8_valid(data, len, &bad)) {
		line = 1, col = 1;
		for (size_t i = 0; i < bad; i++) {
			if (data[i] == '\n')
				line++, col = 1;
			else if (((unsigned char)data[i] & 0xc0) != 0x80)
				col++;
		}
		diags_add(warn, file, line, col, "%s; file left out",
			data[bad] ? "invalid UTF-8" : "a NUL byte");
		return -1;
	}
	if (fm_parse(file, data, len, &fm, warn))
		return -1;
	if (is_true(fm_str(&fm, "draft"))) {
		fm_free(&fm);
		return 1;
	}
	title = fm_str(&fm, "title");
	if (!title || !*title) {
		yaml_node_t *n = fm_node(&fm, "title");

		fm_where(&fm, "title", &line, &col);
		diags_add(warn, file, line, col, "%s; file left out", !n ?
			"no title" : n->type == YAML_SCALAR_NODE ?
			"the title is empty" : "the title is not a single value");
		fm_free(&fm);
		return -1;
	}
	date = fm_str(&fm, "date");
	if (!date) {
		fm_where(&fm, "date", &line, &col);
		diags_add(warn, file, line, col, "%s; file left out", line ?
			"date is not a single value" : "no date");
		fm_free(&fm);
		return -1;
	}
	if (!date_parse(date, &it->date)) {
		char *s = sanitize(date);
		fm_where(&fm, "date", &line, &col);
		diags_add(warn, file, line, col, "date \"%s\" cannot be placed "
			"in the calendar; file left out", s);
		free(s);
		fm_free(&fm);
		return -1;
	}
	if (w && !place(w, &it->date, &it->section)) {
		fm_free(&fm);
		return 1;
	}
	end = fm_str_any(&fm, end_keys);
	if (end) {
		if (date_parse(end, &it->date_end)) {
			it->has_end = true;
		} else {
			char *s = sanitize(end);
			const char *k = "date_end";

			for (size_t i = 0; end_keys[i]; i++)
				if (fm_str(&fm, end_keys[i])) {
					k = end_keys[i];
					break;
				}
			fm_where(&fm, k, &line, &col);
			diags_add(warn, file, line, col, "end date \"%s\" is not a "
				"date; ignored", s);
			free(s);
		}
	}
	it->source = xstrdup(source);
	it->path = xstrdup(file);
	it->url = siteurl_page(c->site.base_url, source, fm_str(&fm, "slug"),
		fm_str(&fm, "url"));
	it->title = xstrdup(title);
	it->subtitle = dup_or_null(fm_str(&fm, "subtitle"));
	it->description = dup_or_null(fm_str_any(&fm, desc_keys));
	fm_where(&fm, fm_str(&fm, "description") ? "description" : "summary",
		&it->description_line, &col);
	it->location = dup_or_null(fm_str_any(&fm, place_keys));
	image = fm_str(&fm, "image");
	if (!image)
		image = fm_sub_str(&fm, "image", "filename");
	it->image = dup_or_null(image);
	fm_where(&fm, "image", &it->image_line, &it->image_col);
	fm_strings(&fm, "authors", &it->authors);
	if (!it->authors.n)
		fm_strings(&fm, "author", &it->authors);
	fm_strings(&fm, "categories", &it->categories);
	fm_strings(&fm, "tags", &it->categories);
	fm_free(&fm);
	return 0;
}

int
content_read(const struct config *c, const char *file, const char *source,
	const char *data, size_t len, struct item *it, struct diags *warn)
{
	return read_item(c, file, source, data, len, it, warn, NULL);
}

/*
 * The scan holds only what the month keeps: folders are read as a stream
 * (no list of names is kept), so memory does not grow with the files of
 * other months. readdir's order is the file system's: the items are sorted
 * at the end, and so are the warnings.
 */
struct scan {
	const struct config *c;
	struct window w;
	struct items *out;
	struct diags *warn;
	char *root_real;  /* site.root's real path: no content outside */
	dev_t devs[MAX_DEPTH];
	ino_t inos[MAX_DEPTH];
	int depth;
	struct buf data; /* reused for every file */
};

static void
add_item(struct scan *s, struct item *it)
{
	if (s->out->n == s->out->cap) {
		s->out->cap = s->out->cap ? s->out->cap * 2 : 16;
		s->out->v = xreallocarray(s->out->v, s->out->cap, sizeof(*it));
	}
	s->out->v[s->out->n++] = *it;
}

static char *
join_source(const char *source, const char *name)
{
	return source[0] ? xasprintf("%s/%s", source, name) : xstrdup(name);
}

/* Read the file name in the folder dfd into s->data (NUL-terminated).
 * Returns 0 or an errno value: EFBIG when larger than MAX_CONTENT_SIZE,
 * ENODEV when not a regular file. */
static int
slurp(struct scan *s, int dfd, const char *name)
{
	struct buf *b = &s->data;
	struct stat st;
	ssize_t r;
	size_t want;
	int fd, e = 0;

	/* O_NONBLOCK: a FIFO must not stop the scan */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = ENODEV;
		goto out;
	}
	if ((unsigned long long)st.st_size > MAX_CONTENT_SIZE) {
		e = EFBIG;
		goto out;
	}
	buf_reset(b);
	buf_grow(b, (size_t)st.st_size + 2);
	for (;;) {
		if (b->cap - b->len < 2)
			buf_grow(b, 4096);
		want = b->cap - b->len - 1;
		r = read(fd, b->data + b->len, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto out;
		}
		b->len += (size_t)r;
		if (b->len > MAX_CONTENT_SIZE) {
			e = EFBIG;
			goto out;
		}
		/* a short read of a regular file is its end */
		if (r == 0 || (size_t)r < want)
			break;
	}
	b->data[b->len] = '\0';
out:
	close(fd);
	return e;
}

static void
read_one(struct scan *s, int dfd, const char *path, const char *source,
	const char *name)
{
	struct item it;
	char *file = path_join(path, name), *src;
	int e, rc;

	e = slurp(s, dfd, name);
	if (e == EFBIG) {
		diags_add(s->warn, file, 0, 0, "larger than %u MB; file left out",
			MAX_CONTENT_SIZE >> 20);
	} else if (e == ENODEV) {
		diags_add(s->warn, file, 0, 0, "not a regular file; left out");
	} else if (e == ELOOP) {
		diags_add(s->warn, file, 0, 0, "symlink loop; file left out");
	} else if (e) {
		diags_add(s->warn, file, 0, 0, "cannot read: %s; file left out",
			strerror(e));
	} else {
		src = join_source(source, name);
		rc = read_item(s->c, file, src, s->data.data, s->data.len, &it,
			s->warn, &s->w);
		if (rc == 0)
			add_item(s, &it);
		free(src);
	}
	free(file);
}

/* Is the folder that a symlink at link leads to one that holds the link
 * (its own folder or above)? Then following it never ends. */
static bool
link_loops(const char *dir, const char *link)
{
	char *rd = realpath(dir, NULL), *rt = realpath(link, NULL);
	bool loop = false;

	if (rd && rt) {
		size_t n = strlen(rt);
		loop = strncmp(rd, rt, n) == 0 &&
			(rd[n] == '\0' || rd[n] == '/' || strcmp(rt, "/") == 0);
	}
	free(rd);
	free(rt);
	return loop;
}

/* Is the real path of path (a symbolic link) under site.root's? Content
 * never comes from outside the site, whatever its links say. */
static bool
inside(const struct scan *s, const char *path)
{
	char *r = realpath(path, NULL);
	size_t n;
	bool in;

	if (!r || !s->root_real)
		return false;
	n = strlen(s->root_real);
	in = strncmp(r, s->root_real, n) == 0 && (r[n] == '/' || r[n] == '\0' ||
		strcmp(s->root_real, "/") == 0);
	free(r);
	return in;
}

/* Is there a file "stem.LANG.ext" beside this plain one? */
static bool
has_variant(int dfd, const char *name, const struct siteurl_name *cn,
	const char *want)
{
	struct stat st;
	char *v = xasprintf("%.*s.%s%s", (int)cn->stem, name, want, cn->ext);
	bool yes = fstatat(dfd, v, &st, 0) == 0;

	free(v);
	return yes;
}

/*
 * Scan the folder at path (source: the same path relative to site.root).
 * top: it is a configured folder, never a page bundle; its index page is
 * the section's listing. In a Quarto tree, names starting with '_' are
 * not pages (Quarto renders none of them); in Hugo's content/ only
 * _index.* is (the section page).
 */
static void
scan_dir(struct scan *s, const char *path, const char *source, bool top)
{
	const char *want = s->c->newsletter.language;
	bool hugo = siteurl_is_hugo(source) || strcmp(source, "content") == 0;
	bool bundle = false, variants = false;
	struct dirent *de;
	struct stat st;
	struct siteurl_name cn;
	DIR *d;
	int dfd;

	if (s->depth >= MAX_DEPTH) {
		diags_add(s->warn, path, 0, 0, "folders nested deeper than %d; "
			"left out", MAX_DEPTH);
		return;
	}
	if ((d = opendir(path)) == NULL) {
		diags_add(s->warn, path, 0, 0, "%s; folder left out",
			errno == ELOOP ? "symlink loop" : strerror(errno));
		return;
	}
	dfd = dirfd(d);
	if (fstat(dfd, &st) < 0) {
		diags_add(s->warn, path, 0, 0, "%s; folder left out",
			strerror(errno));
		closedir(d);
		return;
	}
	for (int i = 0; i < s->depth; i++)
		if (s->devs[i] == st.st_dev && s->inos[i] == st.st_ino) {
			diags_add(s->warn, path, 0, 0, "symlink loop (a folder "
				"inside itself); left out");
			closedir(d);
			return;
		}
	s->devs[s->depth] = st.st_dev;
	s->inos[s->depth] = st.st_ino;
	s->depth++;

	/* First pass: is this folder a page bundle, does it hold pages in
	 * the newsletter's language beside plain ones? */
	while ((de = readdir(d)) != NULL) {
		siteurl_split_name(de->d_name, strlen(de->d_name), &cn);
		if (!cn.ext || de->d_name[0] == '.')
			continue;
		if (siteurl_is_index(de->d_name, &cn))
			bundle = true;
		if (siteurl_lang_is(&cn, want))
			variants = true;
	}
	if (top)
		bundle = false;
	rewinddir(d);

	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		unsigned char type = de->d_type;
		bool link = type == DT_LNK;

		if (name[0] == '.' || (name[0] == '_' && !hugo))
			continue;
		siteurl_split_name(name, strlen(name), &cn);
		if (type == DT_UNKNOWN)
			link = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISLNK(st.st_mode);
		if (type == DT_LNK || type == DT_UNKNOWN) {
			if (fstatat(dfd, name, &st, 0) < 0) {
				char *p = path_join(path, name);
				if (errno == ELOOP)
					diags_add(s->warn, p, 0, 0,
						"symlink loop; left out");
				else if (cn.ext)
					diags_add(s->warn, p, 0, 0, "cannot "
						"read: %s; file left out",
						strerror(errno));
				free(p);
				continue;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR :
				S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			char *p, *src;

			if (bundle)
				continue; /* a bundle's folders hold its resources */
			p = path_join(path, name);
			if (link && !inside(s, p)) {
				diags_add(s->warn, p, 0, 0, "leaves the site (a "
					"symbolic link leading out of it); left out");
			} else if (link && link_loops(path, p)) {
				diags_add(s->warn, p, 0, 0, "symlink loop (a link "
					"to a folder that holds it); left out");
			} else {
				src = join_source(source, name);
				scan_dir(s, p, src, false);
				free(src);
			}
			free(p);
			continue;
		}
		if (!cn.ext)
			continue;
		if (cn.stem == 6 && memcmp(name, "_index", 6) == 0)
			continue; /* a section page */
		if (bundle && !siteurl_is_index(name, &cn))
			continue;
		if (top && siteurl_is_index(name, &cn))
			continue; /* the section's listing page */
		if (cn.lang ? !siteurl_lang_is(&cn, want) :
		    variants && has_variant(dfd, name, &cn, want))
			continue; /* the other language's variant */
		if (link) {
			char *p = path_join(path, name);
			bool in = inside(s, p);
			if (!in)
				diags_add(s->warn, p, 0, 0, "leaves the site (a "
					"symbolic link leading out of it); file left "
					"out");
			free(p);
			if (!in)
				continue;
		}
		read_one(s, dfd, path, source, name);
	}
	s->depth--;
	closedir(d);
}

/* Items sort by date, then by their title as printed (Markdown removed),
 * then by source so that the order is total. */
struct keyed {
	struct item it;
	char *key;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int r = date_cmp(&x->it.date, &y->it.date);

	if (r)
		return r;
	if ((r = strcmp(x->key, y->key)) != 0)
		return r;
	return strcmp(x->it.source, y->it.source);
}

static void
sort_items(struct items *l)
{
	struct keyed *k;

	if (l->n == 0)
		return;
	k = xcalloc(l->n, sizeof(*k));
	for (size_t i = 0; i < l->n; i++) {
		k[i].it = l->v[i];
		k[i].key = md_inline_text(l->v[i].title);
	}
	qsort(k, l->n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < l->n; i++) {
		l->v[i] = k[i].it;
		free(k[i].key);
	}
	free(k);
}

static int
cmp_diags(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int r = strcmp(x->file ? x->file : "", y->file ? y->file : "");

	if (r)
		return r;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

/* ---- Quarto listing files ---- */

/* The scalar under key in the mapping node m, or NULL. */
static const char *
map_str(yaml_document_t *doc, yaml_node_t *m, const char *key,
	yaml_node_t **where)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0 && v &&
		    v->type == YAML_SCALAR_NODE) {
			if (where)
				*where = v;
			return (char *)v->data.scalar.value;
		}
	}
	return NULL;
}

static const char *
map_any(yaml_document_t *doc, yaml_node_t *m, const char *const *keys,
	yaml_node_t **where)
{
	const char *v;

	for (size_t i = 0; keys[i]; i++)
		if ((v = map_str(doc, m, keys[i], where)) != NULL)
			return v;
	return NULL;
}

/* A Quarto listing (a YAML list of items with path or href, title, date,
 * description, image, categories…) named in site.posts or site.events:
 * each item collected like a page, its URL from path or href (absolute as
 * written; relative, as a content file's page under site.base_url). */
static void
scan_listing(struct scan *s, const char *file, const char *source)
{
	static const char *const url_keys[] = { "href", "path", NULL };
	static const char *const end_keys[] = { "date_end", "end_date",
		"enddate", "end", NULL };
	static const char *const desc_keys[] = { "description", "summary",
		NULL };
	static const char *const place_keys[] = { "location", "address",
		NULL };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char *data = NULL;
	size_t len = 0;
	int e;

	if ((e = read_file(file, 16L << 20, &data, &len)) != 0) {
		diags_add(s->warn, file, 0, 0, "%s; left out", strerror(e));
		return;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		diags_add(s->warn, file, (int)parser.problem_mark.line + 1,
			(int)parser.problem_mark.column + 1, "%s; listing left "
			"out", parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		free(data);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_SEQUENCE_NODE) {
		diags_add(s->warn, file, root ? (int)root->start_mark.line + 1 : 1,
			root ? (int)root->start_mark.column + 1 : 1, "a listing "
			"is a list of items; listing left out");
		goto out;
	}
	for (yaml_node_item_t *ip = root->data.sequence.items.start;
	    ip < root->data.sequence.items.top; ip++) {
		yaml_node_t *m = yaml_document_get_node(&doc, *ip), *at = NULL;
		const char *title, *date, *url, *end;
		struct item it;
		int line, col;

		if (!m || m->type != YAML_MAPPING_NODE)
			continue;
		line = (int)m->start_mark.line + 1;
		col = (int)m->start_mark.column + 1;
		memset(&it, 0, sizeof(it));
		if (is_true(map_str(&doc, m, "draft", NULL)))
			continue;
		title = map_str(&doc, m, "title", NULL);
		url = map_any(&doc, m, url_keys, NULL);
		if (!title || !*title || !url || !*url) {
			diags_add(s->warn, file, line, col, "an item without "
				"%s; left out", !title || !*title ? "title" :
				"path or href");
			continue;
		}
		date = map_str(&doc, m, "date", &at);
		if (!date || !date_parse(date, &it.date)) {
			diags_add(s->warn, file, at ? (int)at->start_mark.line + 1 :
				line, at ? (int)at->start_mark.column + 1 : col,
				"%s; item left out", date ? "date cannot be placed "
				"in the calendar" : "no date");
			continue;
		}
		if (!place(&s->w, &it.date, &it.section))
			continue;
		if ((end = map_any(&doc, m, end_keys, NULL)) != NULL &&
		    date_parse(end, &it.date_end))
			it.has_end = true;
		it.source = xstrdup(source);
		it.path = xstrdup(file);
		it.url = siteurl_has_scheme(url) ? xstrdup(url) :
			siteurl_page(s->c->site.base_url, url[0] == '/' ?
			url + 1 : url, NULL, NULL);
		it.title = xstrdup(title);
		it.description = map_any(&doc, m, desc_keys, &at) ?
			xstrdup(map_any(&doc, m, desc_keys, &at)) : NULL;
		it.description_line = it.description ?
			(int)at->start_mark.line + 1 : 0;
		it.location = map_any(&doc, m, place_keys, NULL) ?
			xstrdup(map_any(&doc, m, place_keys, NULL)) : NULL;
		if (map_str(&doc, m, "image", &at)) {
			it.image = xstrdup(map_str(&doc, m, "image", NULL));
			it.image_line = (int)at->start_mark.line + 1;
			it.image_col = (int)at->start_mark.column + 1;
		}
		add_item(s, &it);
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(data);
}

static bool
listing_name(const char *p)
{
	size_t n = strlen(p);

	return (n > 4 && strcmp(p + n - 4, ".yml") == 0) ||
	    (n > 5 && strcmp(p + n - 5, ".yaml") == 0);
}

int
content_collect(const struct config *c, struct month month,
	struct items *out, struct diags *warn, char **err)
{
	struct scan s;
	struct stat st;
	size_t first = warn->n;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	if (stat(c->site.root, &st) < 0)
		return fail(err, EX_NOINPUT, "%s: site.root: %s", c->site.root,
			strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, EX_NOINPUT, "%s: site.root is not a folder",
			c->site.root);
	s.c = c;
	s.w.month = month;
	s.w.next = month_next(month);
	s.out = out;
	s.warn = warn;
	s.root_real = realpath(c->site.root, NULL);
	for (int pass = 0; pass < 2; pass++) {
		const struct strlist *dirs = pass ? &c->site.events : &c->site.posts;
		s.w.events = pass == 1;
		for (size_t i = 0; i < dirs->n; i++) {
			char *src = xstrdup(dirs->v[i]), *p;
			size_t n = strlen(src);

			while (n > 0 && src[n - 1] == '/')
				src[--n] = '\0';
			if (strcmp(src, ".") == 0)
				src[0] = '\0';
			p = src[0] ? path_join(c->site.root, src) :
				xstrdup(c->site.root);
			if (listing_name(p) && stat(p, &st) == 0 &&
			    S_ISREG(st.st_mode) && inside(&s, p))
				scan_listing(&s, p, src);
			else if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
				diags_add(warn, p, 0, 0, "configured in site.%s "
					"but not a folder or a listing file",
					pass ? "events" : "posts");
			else if (!inside(&s, p))
				diags_add(warn, p, 0, 0, "configured in site.%s "
					"but not in the site (%s); left out",
					pass ? "events" : "posts", c->site.root);
			else
				scan_dir(&s, p, src, true);
			free(p);
			free(src);
		}
	}
	buf_free(&s.data);
	free(s.root_real);
	sort_items(out);
	if (warn->n > first)
		qsort(warn->v + first, warn->n - first, sizeof(*warn->v),
			cmp_diags);
	return 0;
}
