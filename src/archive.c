/* archive.c - every published issue as a static folder (archive.h) */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "compose.h"
#include "labels.h"

static int
cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static int
cmp_asc(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_month_name(const char *s)
{
	struct month m;

	return strlen(s) == 7 && month_parse(s, &m);
}

char **
archive_months(const struct config *c)
{
	DIR *d = opendir(c->issues);
	struct dirent *e;
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	while (d && (e = readdir(d)) != NULL) {
		char *md;

		if (!is_month_name(e->d_name))
			continue;
		md = xasprintf("%s/%s/issue.md", c->issues, e->d_name);
		if (access(md, R_OK) == 0) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrdup(e->d_name);
			v[n] = NULL;
		}
		free(md);
	}
	if (d)
		closedir(d);
	qsort(v, n, sizeof(*v), cmp_desc);
	return v;
}

void
archive_months_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* s escaped for HTML or XML text and attributes. */
static void
put_esc(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
}

/* Every occurrence of from in s replaced by to (caller frees). */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	size_t fl = strlen(from);
	const char *p;

	if (!fl)
		return xstrdup(s);
	while ((p = strstr(s, from)) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_puts(&b, to);
		s = p + fl;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

static int
write_file(const char *dir, const char *name, const char *data, size_t len,
	char **err)
{
	char *path = path_join(dir, name);
	FILE *f = fopen(path, "wbx");
	int rc = 0;

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		rc = fail(err, EX_CANTCREAT, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
	}
	free(path);
	return rc;
}

static int
copy_file(const char *from, const char *dir, const char *name, char **err)
{
	char *data = NULL;
	size_t len = 0;
	int e = read_file(from, 256L << 20, &data, &len), rc;

	if (e)
		return fail(err, EX_NOINPUT, "%s: %s", from, strerror(e));
	rc = write_file(dir, name, data, len, err);
	free(data);
	return rc;
}

static bool
picture_name(const char *n)
{
	static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".gif",
		".webp", ".svg" };
	const char *dot = strrchr(n, '.');

	if (!dot || n[0] == '.')
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(dot, ext[i]) == 0)
			return true;
	return false;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The archive's own address: site.archive_url without its "{month}/"
 * part, or NULL. */
static char *
archive_base(const struct config *c)
{
	const char *u = c->site.archive_url, *m;

	if (!u || !*u)
		return NULL;
	if ((m = strstr(u, "{month}")) != NULL)
		return xstrndup(u, (size_t)(m - u));
	return xstrdup(u);
}

/* The body of a page (between <body> and </body>), for the feed. */
static char *
page_body(const char *html)
{
	const char *b = strstr(html, "<body>"), *e = strstr(html, "</body>");

	if (!b || !e || e < b)
		return xstrdup(html);
	return xstrndup(b + 6, (size_t)(e - b - 6));
}

struct entry {
	char *month, *subject, *preheader, *label, *thumb, *body, *updated;
	long number;
};

int
archive_build(const struct config *c, const struct archive_opts *o,
	struct diags *warn, int *count, char **err)
{
	char **months = archive_months(c), *tmp = NULL, *old = NULL;
	char *base = archive_base(c);
	struct entry *ev = NULL;
	size_t n = 0;
	struct buf b = BUF_INIT;
	int rc = 0;

	*count = 0;
	tmp = xasprintf("%s.tmp.XXXXXX", o->out);
	if (!mkdtemp(tmp)) {
		rc = fail(err, EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (size_t i = 0; months[i] && !rc; i++) {
		struct composed cp;
		struct issue is;
		char *dir, *page_url, *rel_base = NULL, *html;
		const char *slash;
		DIR *d;
		struct dirent *de;
		struct entry *e;

		if (issue_load(c, months[i], &is, err) != 0) {
			rc = EX_DATAERR;
			break;
		}
		if (!o->all && !is.published && !(o->sent &&
		    o->sent(o->sent_ctx, months[i]))) {
			issue_free(&is);
			continue;
		}
		issue_free(&is);
		if ((rc = compose_build(c, months[i], &cp, warn, err)) != 0)
			break;
		dir = path_join(tmp, months[i]);
		if (mkdir(dir, 0755) != 0) {
			rc = fail(err, EX_CANTCREAT, "%s: %s", dir,
				strerror(errno));
			free(dir);
			compose_free(&cp);
			break;
		}
		/* the issue's own address made relative inside the archive */
		page_url = config_archive_url(c, months[i]);
		if (page_url && (slash = strrchr(page_url, '/')) != NULL)
			rel_base = xstrndup(page_url, (size_t)(slash - page_url + 1));
		html = rel_base ? replace_all(cp.web, rel_base, "") :
			xstrdup(cp.web);
		rc = write_file(dir, "index.html", html, strlen(html), err);
		for (size_t k = 0; k < cp.nics && !rc; k++)
			rc = write_file(dir, cp.ics[k].name, cp.ics[k].data,
				strlen(cp.ics[k].data), err);
		ev = xreallocarray(ev, n + 1, sizeof(*ev));
		e = &ev[n++];
		memset(e, 0, sizeof(*e));
		e->month = xstrdup(months[i]);
		e->subject = xstrdup(cp.issue.subject);
		e->preheader = xstrdup(cp.issue.preheader);
		e->number = cp.issue.number;
		e->label = compose_date_label(c->newsletter.language,
			&cp.issue.date, NULL);
		if (!cp.issue.has_date) {
			free(e->label);
			e->label = xstrdup(months[i]);
		}
		e->updated = cp.issue.has_date ? xasprintf("%04d-%02d-%02dT00:00:00Z",
			cp.issue.date.year, cp.issue.date.month,
			cp.issue.date.day) : xasprintf("%s-01T00:00:00Z", months[i]);
		e->body = page_body(html);
		/* the pictures beside issue.md */
		if ((d = opendir(cp.issue.dir)) != NULL) {
			char **names = NULL;
			size_t nn = 0;

			while ((de = readdir(d)) != NULL)
				if (picture_name(de->d_name)) {
					names = xreallocarray(names, nn + 1,
						sizeof(*names));
					names[nn++] = xstrdup(de->d_name);
				}
			closedir(d);
			if (nn)
				qsort(names, nn, sizeof(*names), cmp_asc);
			for (size_t k = 0; k < nn; k++) {
				char *from = path_join(cp.issue.dir, names[k]);

				if (!rc)
					rc = copy_file(from, dir, names[k], err);
				if (!e->thumb)
					e->thumb = xasprintf("%s/%s", months[i],
						names[k]);
				free(from);
				free(names[k]);
			}
			free(names);
		}
		free(html);
		free(rel_base);
		free(page_url);
		free(dir);
		compose_free(&cp);
	}
	if (rc)
		goto out;

	/* index.html, newest first */
	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		"content=\"width=device-width, initial-scale=1\">\n<title>",
		labels_lang(c->newsletter.language));
	put_esc(&b, c->newsletter.title);
	buf_puts(&b, "</title>\n<link rel=\"alternate\" type=\"application/"
		"atom+xml\" href=\"feed.xml\">\n<style>\nbody { margin: 0; "
		"background: #f3f4f6; color: #1f2937; font: 16px/1.5 Arial, "
		"Helvetica, sans-serif; }\nmain { max-width: 640px; margin: 0 "
		"auto; background: #fff; padding: 8px 24px 24px; }\nh1 { color: "
		"#1d4e89; }\nli { list-style: none; margin: 0 0 20px; overflow: "
		"hidden; }\nli img { float: left; width: 96px; height: auto; "
		"margin: 0 12px 0 0; }\n.when { margin: 0; font-size: 14px; "
		"color: #4b5563; }\nul { padding: 0; }\n</style>\n</head>\n"
		"<body>\n<main>\n<h1>");
	put_esc(&b, c->newsletter.title);
	buf_puts(&b, "</h1>\n<ul>\n");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "<li>");
		if (ev[i].thumb) {
			buf_puts(&b, "<img src=\"");
			put_esc(&b, ev[i].thumb);
			buf_puts(&b, "\" alt=\"\" width=\"96\">");
		}
		buf_printf(&b, "<a href=\"%s/index.html\">", ev[i].month);
		put_esc(&b, ev[i].subject);
		buf_puts(&b, "</a>\n<p class=\"when\">");
		if (ev[i].number) {
			char num[32], *s;

			snprintf(num, sizeof(num), "%ld", ev[i].number);
			s = label_fill(c->newsletter.language, "ISSUE_NUMBER",
				"number", num, "month", ev[i].label,
				(char *)NULL);
			put_esc(&b, s);
			free(s);
		} else
			put_esc(&b, ev[i].label);
		buf_puts(&b, "</p>\n");
		if (*ev[i].preheader) {
			buf_puts(&b, "<p>");
			put_esc(&b, ev[i].preheader);
			buf_puts(&b, "</p>\n");
		}
		buf_puts(&b, "</li>\n");
	}
	buf_puts(&b, "</ul>\n</main>\n</body>\n</html>\n");
	if ((rc = write_file(tmp, "index.html", b.data, b.len, err)) != 0)
		goto out;

	/* feed.xml: Atom, the last feed_entries issues */
	buf_reset(&b);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>");
	put_esc(&b, c->newsletter.title);
	buf_puts(&b, "</title>\n<id>");
	if (base)
		put_esc(&b, base);
	else
		buf_printf(&b, "urn:infolettre:%s", c->newsletter.list_id);
	buf_puts(&b, "</id>\n");
	if (base) {
		buf_puts(&b, "<link rel=\"alternate\" type=\"text/html\" href=\"");
		put_esc(&b, base);
		buf_puts(&b, "\"/>\n<link rel=\"self\" href=\"");
		put_esc(&b, base);
		buf_puts(&b, "feed.xml\"/>\n");
	}
	buf_printf(&b, "<updated>%s</updated>\n<author><name>",
		n ? ev[0].updated : "1970-01-01T00:00:00Z");
	put_esc(&b, c->newsletter.title);
	buf_puts(&b, "</name></author>\n");
	for (size_t i = 0; i < n && (long)i < o->feed_entries; i++) {
		char *url = config_archive_url(c, ev[i].month);

		buf_puts(&b, "<entry>\n<title>");
		put_esc(&b, ev[i].subject);
		buf_puts(&b, "</title>\n<id>");
		if (url)
			put_esc(&b, url);
		else
			buf_printf(&b, "urn:infolettre:%s:%s",
				c->newsletter.list_id, ev[i].month);
		buf_puts(&b, "</id>\n<link rel=\"alternate\" type=\"text/html\" "
			"href=\"");
		if (url)
			put_esc(&b, url);
		else
			buf_printf(&b, "%s/index.html", ev[i].month);
		buf_printf(&b, "\"/>\n<updated>%s</updated>\n", ev[i].updated);
		if (*ev[i].preheader) {
			buf_puts(&b, "<summary>");
			put_esc(&b, ev[i].preheader);
			buf_puts(&b, "</summary>\n");
		}
		buf_puts(&b, "<content type=\"html\">");
		put_esc(&b, ev[i].body);
		buf_puts(&b, "</content>\n</entry>\n");
		free(url);
	}
	buf_puts(&b, "</feed>\n");
	if ((rc = write_file(tmp, "feed.xml", b.data, b.len, err)) != 0)
		goto out;

	/* into place: the old archive aside, the new one in, the old gone */
	if (access(o->out, F_OK) == 0) {
		old = xasprintf("%s.old.XXXXXX", o->out);
		if (!mkdtemp(old) || rmdir(old) != 0 || rename(o->out, old) != 0) {
			rc = fail(err, EX_CANTCREAT, "%s: %s", o->out,
				strerror(errno));
			goto out;
		}
	}
	if (rename(tmp, o->out) != 0) {
		rc = fail(err, EX_CANTCREAT, "%s: %s", o->out, strerror(errno));
		if (old)
			rename(old, o->out);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (old)
		rm_tree(old);
	*count = (int)n;
out:
	if (tmp) {
		rm_tree(tmp);
		free(tmp);
	}
	free(old);
	for (size_t i = 0; i < n; i++) {
		free(ev[i].month);
		free(ev[i].subject);
		free(ev[i].preheader);
		free(ev[i].label);
		free(ev[i].thumb);
		free(ev[i].body);
		free(ev[i].updated);
	}
	free(ev);
	free(base);
	buf_free(&b);
	archive_months_free(months);
	return rc;
}
