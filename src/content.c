/* content.c - the site's content files → the month's items */
#include "content.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "frontmatter.h"

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

static const char *const content_exts[] = { ".md", ".markdown", ".qmd", NULL };

static const char *
content_ext(const char *name)
{
	for (int i = 0; content_exts[i]; i++)
		if (str_ends(name, content_exts[i]))
			return content_exts[i];
	return NULL;
}

/* The language suffix of a stem ("index.en" → "en"), or NULL. */
static const char *
lang_suffix(const char *stem, size_t n)
{
	const char *dot = NULL;

	for (size_t i = n; i > 0; i--)
		if (stem[i - 1] == '.') {
			dot = stem + i - 1;
			break;
		}
	if (!dot)
		return NULL;
	size_t l = n - (size_t)(dot - stem) - 1;
	const char *s = dot + 1;
	if (l != 2 && !(l == 5 && (s[2] == '-' || s[2] == '_')))
		return NULL;
	if (s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
		return NULL;
	return s;
}

/* Percent-encode a path for a URL, keeping '/'. */
static void
put_path(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/!$&'()*+,;=:@%", c)) {
			buf_putc(b, c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

char *
content_url(const char *base_url, const char *source, const char *slug,
	const char *url)
{
	struct buf b = BUF_INIT;
	const char *rel = source, *slash, *name, *ext, *lang;
	bool hugo = false;
	size_t dirlen, stemlen;

	if (url && *url) {
		if (str_starts(url, "http://") || str_starts(url, "https://"))
			return xstrdup(url);
		buf_puts(&b, base_url);
		while (*url == '/')
			url++;
		put_path(&b, url, strlen(url));
		return buf_detach(&b);
	}
	if (str_starts(rel, "content/")) {
		hugo = true;
		rel += 8;
	}
	slash = strrchr(rel, '/');
	name = slash ? slash + 1 : rel;
	dirlen = slash ? (size_t)(slash - rel) : 0;
	ext = content_ext(name);
	stemlen = ext ? strlen(name) - strlen(ext) : strlen(name);
	lang = lang_suffix(name, stemlen);
	if (lang)
		stemlen -= strlen(lang) + 1;

	buf_puts(&b, base_url);
	if (hugo && lang) {
		buf_puts(&b, lang);
		buf_putc(&b, '/');
	}
	if (stemlen == 5 && memcmp(name, "index", 5) == 0) {
		/* a page bundle: the folder is the page */
		if (dirlen) {
			if (slug && *slug) {
				const char *ps = memrchr(rel, '/', dirlen);
				size_t keep = ps ? (size_t)(ps - rel) + 1 : 0;
				put_path(&b, rel, keep);
				put_path(&b, slug, strlen(slug));
			} else {
				put_path(&b, rel, dirlen);
			}
			buf_putc(&b, '/');
		}
		if (!hugo && lang)
			buf_printf(&b, "index.%s.html", lang);
		return buf_detach(&b);
	}
	if (dirlen) {
		put_path(&b, rel, dirlen);
		buf_putc(&b, '/');
	}
	if (slug && *slug)
		put_path(&b, slug, strlen(slug));
	else
		put_path(&b, name, stemlen);
	if (hugo)
		buf_putc(&b, '/');
	else if (lang)
		buf_printf(&b, ".%s.html", lang);
	else
		buf_puts(&b, ".html");
	return buf_detach(&b);
}

/* Normalise "a/b/../c/./d" into out; ".." above the top is dropped. */
static void
normalise(const char *path, struct buf *out)
{
	const char *s = path;

	buf_reset(out);
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if ((n == 1 && s[0] == '.') || n == 0) {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *last = out->len ? memrchr(out->data, '/', out->len) : NULL;
			out->len = last ? (size_t)(last - out->data) : 0;
			if (out->data)
				out->data[out->len] = '\0';
		} else {
			if (out->len)
				buf_putc(out, '/');
			buf_put(out, s, n);
		}
		s = e ? e + 1 : s + n;
	}
}

char *
content_resolve(const char *base_url, const char *source, const char *link)
{
	struct buf joined = BUF_INIT, norm = BUF_INIT, b = BUF_INIT;
	const char *p;
	size_t n;
	char *path, *url;

	/* absolute URLs (any scheme), fragments, protocol-relative */
	for (p = link; *p && (strchr("+-.", *p) ||
	     (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	     (*p >= '0' && *p <= '9')); p++)
		;
	if ((*p == ':' && p > link) || link[0] == '#' ||
	    str_starts(link, "//") || !*link)
		return xstrdup(link);

	n = strcspn(link, "?#");
	path = xstrndup(link, n);
	if (path[0] == '/') {
		buf_puts(&joined, path + 1);
	} else {
		const char *slash = strrchr(source, '/');
		if (slash) {
			buf_put(&joined, source, (size_t)(slash - source) + 1);
		}
		buf_puts(&joined, path);
	}
	normalise(buf_str(&joined), &norm);
	if (content_ext(buf_str(&norm))) {
		url = content_url(base_url, buf_str(&norm), NULL, NULL);
		buf_puts(&b, url);
		free(url);
	} else {
		const char *r = buf_str(&norm);
		buf_puts(&b, base_url);
		if (str_starts(r, "content/"))
			r += 8;
		put_path(&b, r, strlen(r));
		if (n && link[n - 1] == '/' && norm.len)
			buf_putc(&b, '/');
	}
	buf_puts(&b, link + n);
	free(path);
	buf_free(&joined);
	buf_free(&norm);
	return buf_detach(&b);
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

int
content_read(const struct config *c, const char *file, const char *source,
	const char *data, size_t len, struct item *it, struct diags *warn)
{
	static const char *const desc_keys[] = { "description", "summary", NULL };
	static const char *const end_keys[] = { "date_end", "end_date", NULL };
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
		diags_add(warn, file, line, col, "invalid UTF-8; file left out");
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
		diags_add(warn, file, 0, 0, "no title; file left out");
		fm_free(&fm);
		return -1;
	}
	date = fm_str(&fm, "date");
	if (!date) {
		diags_add(warn, file, 0, 0, "no date; file left out");
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
	end = fm_str_any(&fm, end_keys);
	if (end) {
		if (date_parse(end, &it->date_end)) {
			it->has_end = true;
		} else {
			char *s = sanitize(end);
			const char *k = fm_str(&fm, "date_end") ? "date_end" : "end_date";
			fm_where(&fm, k, &line, &col);
			diags_add(warn, file, line, col, "end date \"%s\" is not a "
				"date; ignored", s);
			free(s);
		}
	}
	it->source = xstrdup(source);
	it->path = xstrdup(file);
	it->url = content_url(c->site.base_url, source, fm_str(&fm, "slug"),
		fm_str(&fm, "url"));
	it->title = xstrdup(title);
	it->subtitle = dup_or_null(fm_str(&fm, "subtitle"));
	it->description = dup_or_null(fm_str_any(&fm, desc_keys));
	it->location = dup_or_null(fm_str(&fm, "location"));
	image = fm_str(&fm, "image");
	if (!image)
		image = fm_sub_str(&fm, "image", "filename");
	it->image = dup_or_null(image);
	fm_strings(&fm, "authors", &it->authors);
	if (!it->authors.n)
		fm_strings(&fm, "author", &it->authors);
	fm_strings(&fm, "categories", &it->categories);
	fm_strings(&fm, "tags", &it->categories);
	fm_free(&fm);
	return 0;
}

struct scan {
	const struct config *c;
	struct month month, next;
	struct items *out;
	struct diags *warn;
	const char *root;
	bool events;
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

static void
read_one(struct scan *s, const char *path, const char *source)
{
	struct item it;
	char *data = NULL;
	size_t len = 0;
	int e, rc;

	e = read_file(path, MAX_CONTENT_SIZE, &data, &len);
	if (e == EFBIG) {
		diags_add(s->warn, path, 0, 0, "larger than %u MB; file left out",
			MAX_CONTENT_SIZE >> 20);
		return;
	}
	if (e) {
		diags_add(s->warn, path, 0, 0, "cannot read: %s; file left out",
			strerror(e));
		return;
	}
	rc = content_read(s->c, path, source, data, len, &it, s->warn);
	free(data);
	if (rc != 0)
		return;
	if (!s->events && month_has(s->month, &it.date)) {
		it.section = SECTION_POST;
	} else if (s->events && month_has(s->month, &it.date)) {
		it.section = SECTION_EVENT_MONTH;
	} else if (s->events && month_has(s->next, &it.date)) {
		it.section = SECTION_EVENT_NEXT;
	} else {
		item_free(&it);
		return;
	}
	add_item(s, &it);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stem of a content file name without extension and language:
 * "index.en.qmd" → "index"; sets *lang. */
static size_t
stem_of(const char *name, const char **lang)
{
	const char *ext = content_ext(name);
	size_t n = strlen(name) - (ext ? strlen(ext) : 0);

	*lang = lang_suffix(name, n);
	if (*lang)
		n -= strlen(*lang) + 1;
	return n;
}

/* Among the variants of one page (same stem) in names[lo..hi), the one to
 * read for language lang: the exact variant, else the one with no
 * language suffix, else none. */
static const char *
pick_variant(char **names, size_t lo, size_t hi, const char *want)
{
	const char *plain = NULL, *lang;

	for (size_t i = lo; i < hi; i++) {
		size_t n = stem_of(names[i], &lang);
		(void)n;
		if (lang && strncmp(lang, want, strlen(want)) == 0 &&
		    (lang[strlen(want)] == '\0'))
			return names[i];
		if (!lang && !plain)
			plain = names[i];
	}
	return plain;
}

static void scan_dir(struct scan *s, const char *path, const char *source);

static bool
same_stem(const char *a, const char *b)
{
	const char *la, *lb;
	size_t na = stem_of(a, &la), nb = stem_of(b, &lb);

	return na == nb && memcmp(a, b, na) == 0;
}

static void
scan_dir(struct scan *s, const char *path, const char *source)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **files = NULL;
	size_t n = 0, cap = 0, nf = 0;
	bool bundle = false;

	if (stat(path, &st) < 0) {
		diags_add(s->warn, path, 0, 0, "%s", errno == ELOOP ?
			"symlink loop; left out" : strerror(errno));
		return;
	}
	for (int i = 0; i < s->depth; i++)
		if (s->devs[i] == st.st_dev && s->inos[i] == st.st_ino) {
			diags_add(s->warn, path, 0, 0, "symlink loop (a folder "
				"inside itself); left out");
			return;
		}
	if (s->depth >= MAX_DEPTH) {
		diags_add(s->warn, path, 0, 0, "folders nested deeper than %d; "
			"left out", MAX_DEPTH);
		return;
	}
	d = opendir(path);
	if (!d) {
		diags_add(s->warn, path, 0, 0, "cannot open folder: %s",
			strerror(errno));
		return;
	}
	s->devs[s->depth] = st.st_dev;
	s->inos[s->depth] = st.st_ino;
	s->depth++;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);

	/* Is this folder a page bundle (holds index.md / index.qmd)? */
	for (size_t i = 0; i < n; i++) {
		const char *lang;
		size_t sl = stem_of(names[i], &lang);
		if (content_ext(names[i]) && sl == 5 &&
		    memcmp(names[i], "index", 5) == 0)
			bundle = true;
	}
	files = xcalloc(n ? n : 1, sizeof(*files));
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(path, names[i]);
		char *src = source[0] ? xasprintf("%s/%s", source, names[i]) :
					xstrdup(names[i]);
		int r = stat(p, &st);

		if (r < 0 && errno == ELOOP) {
			diags_add(s->warn, p, 0, 0, "symlink loop; left out");
		} else if (r < 0) {
			if (content_ext(names[i]))
				diags_add(s->warn, p, 0, 0, "cannot read: %s; "
					"file left out", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (!bundle)
				scan_dir(s, p, src);
		} else if (content_ext(names[i]) && names[i][0] != '_') {
			const char *lang;
			size_t sl = stem_of(names[i], &lang);
			bool idx = sl == 5 && memcmp(names[i], "index", 5) == 0;
			if (!bundle || idx)
				files[nf++] = names[i];
		}
		free(p);
		free(src);
	}
	/* Group the language variants of one page and read the right one. */
	for (size_t i = 0; i < nf;) {
		size_t j = i + 1;
		const char *pick;

		while (j < nf && same_stem(files[i], files[j]))
			j++;
		/* sorted order puts "x.en.md" after "x.md" but "x-y.md"
		 * may fall between: gather every file with the same stem */
		for (size_t k = j; k < nf; k++)
			if (same_stem(files[i], files[k])) {
				const char *t = files[k];
				memmove(files + j + 1, files + j,
					(k - j) * sizeof(*files));
				files[j++] = (char *)t;
			}
		pick = pick_variant(files, i, j, s->c->newsletter.language);
		if (pick) {
			char *p = path_join(path, pick);
			char *src = source[0] ? xasprintf("%s/%s", source, pick) :
						xstrdup(pick);
			read_one(s, p, src);
			free(p);
			free(src);
		}
		i = j;
	}
	s->depth--;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(files);
}

static int
cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int r = date_cmp(&x->date, &y->date);

	if (r)
		return r;
	if ((r = strcmp(x->title, y->title)) != 0)
		return r;
	return strcmp(x->source, y->source);
}

int
content_collect(const struct config *c, struct month month,
	struct items *out, struct diags *warn, char **err)
{
	struct scan s;
	struct stat st;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	if (stat(c->site.root, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, EX_NOINPUT, "%s: site.root is not a folder: %s",
			c->site.root, errno ? strerror(errno) : "not a folder");
	s.c = c;
	s.month = month;
	s.next = month_next(month);
	s.out = out;
	s.warn = warn;
	s.root = c->site.root;
	for (int pass = 0; pass < 2; pass++) {
		const struct strlist *dirs = pass ? &c->site.events : &c->site.posts;
		s.events = pass == 1;
		for (size_t i = 0; i < dirs->n; i++) {
			char *p = path_join(c->site.root, dirs->v[i]);
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
				diags_add(warn, p, 0, 0, "configured in site.%s "
					"but not a folder", pass ? "events" : "posts");
			else
				scan_dir(&s, p, dirs->v[i]);
			free(p);
		}
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_items);
	return 0;
}
