/* compose.c - the month's items and the editorial → the newsletter's files
 *
 * One concern, over ~1,200 lines because an issue has many parts that all
 * end in the same four files; in order: dates and months in words, the
 * issue's own file (issue.md, Quarto keys), its pictures (embedded,
 * scaled down), the template dictionaries (items, calendar links, labels),
 * the lint, the steps of compose_build (render_begin, render_editorial,
 * render_calendar, render_bodies, render_message), writing the files all
 * or nothing, and "new". The words are in labels.c, the Markdown in
 * markdown.c, the message in mime.c, the calendar in ics.c. */
#include "compose.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "content.h"
#include "dkim.h"
#include "frontmatter.h"
#include "ics.h"
#include "labels.h"
#include "markdown.h"
#include "picture.h"
#include "sitefile.h"
#include "siteurl.h"
#include "template.h"

#define HTML_CLIP_SIZE (100 * 1024) /* Gmail clips at about 102 KB */
#define SUBJECT_MAX 78
#define TEXT_WIDTH 72

static const char *
month_name(const char *lang, int month)
{
	char key[16];

	snprintf(key, sizeof(key), "MONTH_%d", (month - 1) % 12 + 1);
	return label(lang, key);
}

const char *
compose_month_name(const char *lang, int month)
{
	return month_name(lang, month);
}

static void
put_day(struct buf *b, const char *lang, const struct date *d, bool year)
{
	char wkey[16], day[16];
	char *s;

	snprintf(wkey, sizeof(wkey), "WDAY_%d", d->wday);
	snprintf(day, sizeof(day), "%d", d->day);
	s = label_fill(lang, d->day == 1 ? "DAY_FIRST" : "DAY", "weekday",
		label(lang, wkey), "day", day, "month",
		month_name(lang, d->month), (char *)NULL);
	buf_puts(b, s);
	free(s);
	if (year)
		buf_printf(b, " %d", d->year);
}

static void
put_time(struct buf *b, const char *lang, const struct date *d)
{
	char hour[16], minute[16];
	char *s;

	snprintf(hour, sizeof(hour), "%d", d->hour);
	snprintf(minute, sizeof(minute), "%02d", d->min);
	s = label_fill(lang, d->min ? "TIME" : "TIME_ON_THE_HOUR", "hour",
		hour, "minute", minute, (char *)NULL);
	buf_puts(b, s);
	free(s);
}

char *
compose_date_label(const char *lang, const struct date *d,
	const struct date *end)
{
	struct buf b = BUF_INIT;
	bool same_day = end && end->year == d->year && end->month == d->month &&
		end->day == d->day;

	put_day(&b, lang, d, true);
	if (d->has_time) {
		buf_puts(&b, ", ");
		put_time(&b, lang, d);
	}
	if (end && same_day) {
		if (end->has_time && (!d->has_time || date_cmp(end, d) > 0)) {
			buf_puts(&b, " – ");
			put_time(&b, lang, end);
		}
	} else if (end && date_cmp(end, d) > 0) {
		buf_puts(&b, " – ");
		put_day(&b, lang, end, true);
		if (end->has_time) {
			buf_puts(&b, ", ");
			put_time(&b, lang, end);
		}
	}
	return buf_detach(&b);
}

/* Display width of UTF-8 text: one column per character. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static char *
rule(const char *s, char c)
{
	size_t n = width(s);
	char *r = xmalloc(n + 1);

	memset(r, c, n);
	r[n] = '\0';
	return r;
}

/* A header-bound value: runs of CR, LF and tabs become one space. */
static char *
one_line(const char *s)
{
	struct buf b = BUF_INIT;
	bool space = false;

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n' || *s == '\t') {
			space = true;
			continue;
		}
		if (space && b.len)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, *s);
	}
	return buf_detach(&b);
}

/* The text of a scalar, refusing one that holds a NUL byte. */
static int
scalar_text(struct fm *fm, const char *file, const char *key, char **out,
	char **err)
{
	yaml_node_t *n = fm_node(fm, key);
	int line, col;

	*out = NULL;
	if (!n || !fm_str(fm, key))
		return 0;
	if (strlen((char *)n->data.scalar.value) != n->data.scalar.length) {
		fm_where(fm, key, &line, &col);
		return fail(err, EX_DATAERR, "%s:%d:%d: %s holds a NUL byte",
			file, line, col, key);
	}
	*out = one_line((char *)n->data.scalar.value);
	return 0;
}

/* *out, when it is NULL or empty, from Quarto's key (Markdown reduced to
 * text). */
static int
quarto_text(struct fm *fm, const char *file, const char *key, char **out,
	char **err)
{
	char *v = NULL;
	int rc;

	if (*out && **out)
		return 0;
	if ((rc = scalar_text(fm, file, key, &v, err)) != 0 || !v)
		return rc;
	free(*out);
	*out = md_inline_text(v);
	free(v);
	return 0;
}

static char *
issue_dir(const struct config *c, const char *month)
{
	return path_join(c->issues, month);
}

int
issue_load(const struct config *c, const char *month, struct issue *is,
	char **err)
{
	struct diags d = { NULL, 0, 0 };
	struct fm fm;
	char *data = NULL, *s = NULL;
	size_t len = 0, bad;
	struct month m;
	int e, rc;

	memset(is, 0, sizeof(*is));
	if (!month_parse(month, &m))
		return fail(err, EX_USAGE, "\"%s\" is not a month", month);
	is->month = xstrdup(month);
	is->dir = issue_dir(c, month);
	is->path = path_join(is->dir, "issue.md");
	e = read_file(is->path, 1 << 20, &data, &len);
	if (e) {
		rc = fail(err, e == ENOENT ? EX_NOINPUT : EX_DATAERR,
			"%s: %s%s", is->path, strerror(e), e == ENOENT ?
			" (run \"infolettre new MONTH\" first)" : "");
		issue_free(is);
		return rc;
	}
	if (!utf8_valid(data, len, &bad)) {
		rc = fail(err, EX_DATAERR, "%s: invalid UTF-8 at byte %zu",
			is->path, bad);
		goto out;
	}
	if (fm_parse(is->path, data, len, &fm, &d)) {
		const struct diag *g = &d.v[0];
		rc = fail(err, EX_DATAERR, "%s:%d:%d: %s", g->file, g->line,
			g->col, g->msg);
		diags_free(&d);
		goto out;
	}
	if ((rc = scalar_text(&fm, is->path, "subject", &is->subject, err)) ||
	    (rc = scalar_text(&fm, is->path, "preheader", &is->preheader, err)))
		goto outfm;
	/* a page copied from a Quarto site: its title and description stand
	 * for the subject and the preheader (subject and preheader win),
	 * their Markdown made text; Quarto's other keys (format, authors,
	 * categories, image…) mean nothing here and are passed over */
	if ((rc = quarto_text(&fm, is->path, "title", &is->subject, err)) ||
	    (rc = quarto_text(&fm, is->path, "description", &is->preheader,
	    err)))
		goto outfm;
	if ((s = (char *)fm_str(&fm, "number")) != NULL) {
		char *end;
		errno = 0;
		is->number = strtol(s, &end, 10);
		if (errno || *end || is->number < 0) {
			int line, col;
			fm_where(&fm, "number", &line, &col);
			rc = fail(err, EX_DATAERR, "%s:%d:%d: number \"%s\" is "
				"not a whole number", is->path, line, col, s);
			goto outfm;
		}
	}
	if ((s = (char *)fm_str(&fm, "date")) != NULL) {
		if (!date_parse(s, &is->date)) {
			int line, col;
			fm_where(&fm, "date", &line, &col);
			rc = fail(err, EX_DATAERR, "%s:%d:%d: date \"%s\" is not "
				"a date", is->path, line, col, s);
			goto outfm;
		}
		is->has_date = true;
	}
	if (!is->subject || !*is->subject) {
		free(is->subject);
		is->subject = xasprintf("%s — %s %d", c->newsletter.title,
			compose_month_name(c->newsletter.language, m.month), m.year);
	}
	if (!is->preheader)
		is->preheader = xstrdup("");
	is->published = fm_str(&fm, "published") &&
	    (strcmp(fm_str(&fm, "published"), "true") == 0 ||
	    strcmp(fm_str(&fm, "published"), "yes") == 0);
	is->editorial = xstrdup(data + fm.body_off);
	is->editorial_line = fm.body_line;
	rc = 0;
outfm:
	fm_free(&fm);
out:
	free(data);
	if (rc)
		issue_free(is);
	return rc;
}

void
issue_free(struct issue *is)
{
	free(is->month);
	free(is->dir);
	free(is->path);
	free(is->subject);
	free(is->preheader);
	free(is->editorial);
	memset(is, 0, sizeof(*is));
}

/* --- images ------------------------------------------------------------ */

struct images {
	const struct config *c;
	const char *month;
	const char *domain;
	struct compose_image *v;
	size_t n, cap;
	struct strlist srcs; /* "cid:…" strings handed out */
	struct diags *warn;  /* what stays too big */
	struct diags *notes; /* what was scaled down */
	struct diags *errors; /* pictures that cannot be decoded */
	const char *file;    /* the editorial's file, for its pictures */
};

#define PICTURE_WIDTH 1200        /* twice the mail's column */
#define PICTURE_READ_MAX (64L << 20) /* bigger files are linked */
/* Pixels a picture may have (a 200-megapixel phone photo, a scan of an A3
 * page at 600 dpi): more is a decompression bomb or a file made for print,
 * refused before it is decoded. */
#define PICTURE_PIXELS_MAX 200000000LL

/* "1,489" */
static void
put_thousands(struct buf *b, long v)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%ld", v);

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf_putc(b, ',');
		buf_putc(b, d[i]);
	}
}

/* "620 KB" */
static void
put_kb(struct buf *b, size_t len)
{
	put_thousands(b, (long)((len + 512) / 1024));
	buf_puts(b, " KB");
}

/* "1,489×827" */
static void
put_dims(struct buf *b, int w, int h)
{
	put_thousands(b, w);
	buf_puts(b, "\u00d7");
	put_thousands(b, h);
}

/* The size of the picture in data (name, at file:line) from its header,
 * in *w and *h: true, or an error at file:line when libvips does not know
 * it or it is over PICTURE_PIXELS_MAX. */
static bool
sized(struct images *im, const char *data, size_t len, const char *name,
	const char *file, int line, int *w, int *h)
{
	struct buf size = BUF_INIT;
	char *err = NULL;

	if (picture_dims(data, len, w, h, &err) != 0) {
		diags_add(im->errors, file, line, 0, "%s: the picture cannot "
			"be decoded (%s)", name, err);
		free(err);
		return false;
	}
	if ((long long)*w * *h <= PICTURE_PIXELS_MAX)
		return true;
	put_dims(&size, *w, *h);
	diags_add(im->errors, file, line, 0, "%s: %s pixels, over the %lld "
		"million a picture may have: scale it down before adding it",
		name, buf_str(&size), PICTURE_PIXELS_MAX / 1000000);
	buf_free(&size);
	return false;
}

/* The cid of the image at real (a path sitefile_find returned; named at
 * file:line) when it can be embedded, else NULL (linked by its URL
 * instead: SVG and other types mail clients show badly, a file too big to
 * read). A PNG, JPEG or WebP wider than PICTURE_WIDTH or heavier than
 * compose.image_max_size is scaled down and re-encoded (picture.h), and
 * the lint says so; a GIF over the limit is linked; a picture that cannot
 * be decoded, or over PICTURE_PIXELS_MAX, is an error at file:line. */
static const char *
embed(struct images *im, const char *real, const char *file, int line)
{
	const char *type, *name = strrchr(real, '/') ? strrchr(real, '/') + 1 :
	    real;
	char *data = NULL, *err = NULL, *fit;
	size_t len = 0, fitlen, max = im->c->compose.image_max_size < 0 ? 0 :
	    (size_t)im->c->compose.image_max_size;
	int w = 0, h = 0, fw, fh;

	/* one part per file, however the content spelled its path */
	for (size_t i = 0; i < im->n; i++)
		if (strcmp(im->v[i].path, real) == 0)
			return im->srcs.v[i];
	if (sitefile_read_image(real, PICTURE_READ_MAX, &type, &data, &len) !=
	    SITEFILE_OK)
		return NULL;
	if (strcmp(type, "image/gif") == 0) {
		if (len > max) {
			free(data);
			return NULL;
		}
	} else if (!sized(im, data, len, name, file, line, &w, &h)) {
		free(data);
		return NULL;
	} else if (w > PICTURE_WIDTH || len > max) {
		struct buf note = BUF_INIT;

		/* every pixel decoded on the way: a damaged file fails here */
		if (picture_fit(data, len, type, PICTURE_WIDTH, &fit, &fitlen,
		    &fw, &fh, &err) != 0) {
			diags_add(im->errors, file, line, 0, "%s: the picture "
				"cannot be decoded and scaled down (%s)", name,
				err);
			free(err);
			free(data);
			return NULL;
		}
		if (w <= PICTURE_WIDTH && fitlen >= len) {
			/* re-encoding made it no smaller: the original */
			free(fit);
			diags_add(im->warn, file, line, 0, "%s: %s, over "
				"compose.image_max_size, embedded as it is",
				name, "cannot be made smaller");
			goto keep;
		}
		buf_printf(&note, "%s: ", name);
		put_dims(&note, w, h);
		buf_puts(&note, ", ");
		put_kb(&note, len);
		buf_puts(&note, " \u2192 ");
		put_dims(&note, fw, fh);
		buf_puts(&note, ", ");
		put_kb(&note, fitlen);
		if (fitlen > max)
			diags_add(im->warn, file, line, 0, "%s: %zu KB once "
				"scaled down, still over compose.image_max_size",
				name, (fitlen + 512) / 1024);
		diags_add(im->notes, file, line, 0, "%s", buf_str(&note));
		buf_free(&note);
		free(data);
		data = fit;
		len = fitlen;
	} else if (picture_check(data, len, &err) != 0) {
		diags_add(im->errors, file, line, 0, "%s: the picture cannot "
			"be decoded (%s)", name, err);
		free(err);
		free(data);
		return NULL;
	}
keep:
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 4;
		im->v = xreallocarray(im->v, im->cap, sizeof(*im->v));
	}
	struct compose_image *ci = &im->v[im->n++];
	ci->path = xstrdup(real);
	ci->cid = xasprintf("img%zu.%s@%s", im->n, im->month, im->domain);
	ci->content_type = xstrdup(type);
	ci->data = data;
	ci->len = len;
	strlist_push(&im->srcs, xasprintf("cid:%s", ci->cid));
	return im->srcs.v[im->n - 1];
}

static const char *
md_image_cid(void *ctx, const struct md_image *img)
{
	struct images *im = ctx;

	return img->local ? embed(im, img->local, im->file, img->line) : NULL;
}

/* --- rendering --------------------------------------------------------- */

/* s escaped for an HTML attribute value. */
static char *
html_attr(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(&b, "&amp;"); break;
		case '<': buf_puts(&b, "&lt;"); break;
		case '>': buf_puts(&b, "&gt;"); break;
		case '"': buf_puts(&b, "&#34;"); break;
		case '\'': buf_puts(&b, "&#39;"); break;
		default: buf_putc(&b, *s);
		}
	}
	return buf_detach(&b);
}

/* Indent every non-empty line of text by two spaces. */
static char *
indent(const char *text)
{
	struct buf b = BUF_INIT;
	bool bol = true;

	for (const char *p = text; *p; p++) {
		if (bol && *p != '\n')
			buf_puts(&b, "  ");
		buf_putc(&b, *p);
		bol = *p == '\n';
	}
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return buf_detach(&b);
}

enum target { FOR_MAIL, FOR_PREVIEW, FOR_WEB };

struct render {
	const struct config *c;
	struct composed *cp;
	struct diags *warn;
	const char *month;   /* "2026-06" */
	struct month m;
	struct md_doc mail_ed, web_ed; /* the editorial for mail, for web */
	struct diags picture_errors;   /* pictures that cannot be decoded */
	char *from_addr;     /* newsletter.from's address */
	char **cal_urls;     /* per item: its calendar's URL, or NULL */
	char *mailto;        /* unsubscribe.mailto+SLOT, or NULL */
	struct sitefile sf;  /* where front matter may name files */
	struct items items;
	struct images im;
	const char *lang;
	char *month_label;
	char *archive;
	char *unsub_url; /* with the slot */
	const char *slot_file; /* the first content file holding slot text */
};

/* value comes from content (file): refused when it holds the slot's
 * text, in any case (compose_build says so). */
static void
from_content(struct render *r, const char *file, const char *value)
{
	if (value && !r->slot_file && strcasestr(value, MIME_SLOT_PREFIX))
		r->slot_file = file;
}

/* The front matter's image: a safe http(s) URL, or a file of the site
 * that sitefile_find allows (embedded in the mail); what is refused is
 * left out, said once (with the mail's dictionary). */
static void
thumb_dict(struct render *r, struct tpl_dict *d, const struct item *it,
	enum target t)
{
	struct tpl_dict *th;
	char *url, *real = NULL, *s;
	const char *src = NULL;
	int st = SITEFILE_MISSING;

	url = sitefile_image_url(r->c->site.base_url, it->source, it->image);
	if (!url) {
		if (t == FOR_MAIL)
			diags_add(r->warn, it->path, it->image_line,
				it->image_col, "image \"%s\" is not a URL an "
				"image may have (http or https, or a file of "
				"the site); left out", it->image);
		return;
	}
	if (siteurl_is_path(it->image))
		st = sitefile_find(&r->sf, it->source, it->image,
			SITEFILE_IMAGE, &real, NULL);
	if (st != SITEFILE_OK && st != SITEFILE_MISSING) {
		if (t == FOR_MAIL)
			diags_add(r->warn, it->path, it->image_line,
				it->image_col, "image \"%s\" %s; left out",
				it->image, sitefile_why(st));
		free(url);
		return;
	}
	th = tpl_add(d, "THUMB");
	if (t == FOR_MAIL && real)
		src = embed(&r->im, real, it->path, it->image_line);
	/* the template writes it with :none (ctemplate's URL filter
	 * would turn cid: into "#"), so escape it here */
	s = html_attr(src ? src : url);
	from_content(r, it->path, s);
	tpl_set(th, "IMAGE_SRC", s);
	free(s);
	tpl_set(th, "IMAGE_URL", url);
	s = md_inline_text(it->title);
	tpl_set(th, "IMAGE_ALT", s);
	free(s);
	free(real);
	free(url);
}

static void
item_dict(struct render *r, struct tpl_dict *d, const struct item *it,
	enum target t)
{
	char *s;
	struct md_opts o;
	struct md_doc doc;
	struct diags quiet = { NULL, 0, 0 };

	from_content(r, it->path, it->title);
	from_content(r, it->path, it->subtitle);
	from_content(r, it->path, it->description);
	from_content(r, it->path, it->location);
	from_content(r, it->path, it->image);
	from_content(r, it->path, it->url);
	s = md_inline_html(it->title);
	from_content(r, it->path, s);
	tpl_set(d, "ITEM_TITLE_HTML", s);
	free(s);
	s = md_inline_text(it->title);
	from_content(r, it->path, s);
	tpl_set(d, "ITEM_TITLE_TEXT", s);
	free(s);
	tpl_set(d, "URL", it->url);
	{
		struct tpl_dict *w = tpl_add(d, "WHEN");
		s = compose_date_label(r->lang, &it->date,
			it->has_end ? &it->date_end : NULL);
		tpl_set(w, "DATE_LABEL", s);
		free(s);
		if (it->location && *it->location) {
			struct tpl_dict *where = tpl_add(w, "WHERE");
			tpl_set(where, "LOCATION", it->location);
		}
		if (r->cal_urls && r->cal_urls[it - r->items.v])
			tpl_set(tpl_add(d, "CALENDAR"), "CALENDAR_URL",
				r->cal_urls[it - r->items.v]);
	}
	if (it->description && *it->description) {
		struct tpl_dict *dd = tpl_add(d, "DESCRIPTION");
		memset(&o, 0, sizeof(o));
		o.base_url = r->c->site.base_url;
		o.site_root = r->c->site.root;
		o.source = it->source;
		o.file = it->path;
		o.first_line = it->description_line > 0 ? it->description_line : 1;
		o.heading_shift = 3;
		o.wrap = TEXT_WIDTH - 2; /* indented by two */
		/* its lint is not the editors' business here, but what is
		 * left out is, once */
		o.refused = t == FOR_MAIL ? r->warn : NULL;
		md_render(it->description, &o, &doc, &quiet);
		from_content(r, it->path, doc.html);
		from_content(r, it->path, doc.text);
		tpl_set(dd, "DESCRIPTION_HTML", doc.html);
		s = indent(doc.text);
		tpl_set(dd, "DESCRIPTION_TEXT", s);
		free(s);
		md_doc_free(&doc);
	}
	diags_free(&quiet);
	if (it->image && *it->image)
		thumb_dict(r, d, it, t);
}

static const char *
section_heading(const char *lang, enum section s)
{
	switch (s) {
	case SECTION_EVENT_MONTH: return label(lang, "EVENTS_MONTH");
	case SECTION_EVENT_NEXT: return label(lang, "EVENTS_NEXT");
	case SECTION_POST: return label(lang, "POSTS");
	}
	return "";
}

/* Fill the dictionary shared by the three templates. */
static struct tpl_dict *
make_dict(struct render *r, enum target t, const char *editorial_html,
	const char *editorial_text)
{
	static const enum section order[] = { SECTION_EVENT_MONTH,
		SECTION_EVENT_NEXT, SECTION_POST };
	const struct issue *is = &r->cp->issue;
	struct tpl_dict *d = tpl_dict_new();
	char *s;

	tpl_set(d, "LANG", r->lang);
	tpl_set(d, "TITLE", r->c->newsletter.title);
	s = rule(r->c->newsletter.title, '=');
	tpl_set(d, "TITLE_RULE", s);
	free(s);
	from_content(r, is->path, is->subject);
	from_content(r, is->path, is->preheader);
	from_content(r, is->path, is->editorial);
	from_content(r, is->path, editorial_html);
	from_content(r, is->path, editorial_text);
	tpl_set(d, "SUBJECT", is->subject);
	tpl_set(d, "PREHEADER", is->preheader);
	tpl_set(d, "MONTH_LABEL", r->month_label);
	if (is->number) {
		char number[32];

		snprintf(number, sizeof(number), "%ld", is->number);
		s = label_fill(r->lang, "ISSUE_NUMBER", "number", number,
			"month", r->month_label, (char *)NULL);
	} else
		s = label_fill(r->lang, "ISSUE", "month", r->month_label,
			(char *)NULL);
	tpl_set(d, "ISSUE_LABEL", s);
	free(s);
	s = label_fill(r->lang, t == FOR_WEB ? "WEB_FOOTER" : "FOOTER",
		"title", r->c->newsletter.title, "month", r->month_label,
		(char *)NULL);
	tpl_set(d, "FOOTER_NOTE", s);
	free(s);
	labels_set(d, r->lang);
	if (t != FOR_WEB)
		tpl_set(d, "UNSUBSCRIBE_URL", r->unsub_url);
	if (r->archive && t != FOR_WEB)
		tpl_set(tpl_add(d, "ARCHIVE"), "ARCHIVE_URL", r->archive);
	if (editorial_html && *editorial_html) {
		struct tpl_dict *e = tpl_add(d, "EDITORIAL");
		size_t n = strlen(editorial_text);
		while (n && editorial_text[n - 1] == '\n')
			n--;
		s = xstrndup(editorial_text, n);
		tpl_set(e, "EDITORIAL_HTML", editorial_html);
		tpl_set(e, "EDITORIAL_TEXT", s);
		free(s);
	}
	for (size_t k = 0; k < sizeof(order) / sizeof(*order); k++) {
		struct tpl_dict *sec = NULL;
		for (size_t i = 0; i < r->items.n; i++) {
			const struct item *it = &r->items.v[i];
			if (it->section != order[k])
				continue;
			if (!sec) {
				const char *h = section_heading(r->lang, order[k]);
				sec = tpl_add(d, "SECTION");
				tpl_set(sec, "HEADING", h);
				s = rule(h, '-');
				tpl_set(sec, "HEADING_RULE", s);
				free(s);
			}
			item_dict(r, tpl_add(sec, "ITEM"), it, t);
		}
	}
	return d;
}

static int
expand(struct render *r, const char *name, const struct tpl_dict *d,
	char **out, char **err)
{
	char *path = path_join(r->c->templates, name);
	int rc = tpl_expand(path, d, out, err);

	free(path);
	/* no templates folder at all: say where they were looked for */
	if (rc == EX_NOINPUT && config_templates(r->c, NULL) != 0) {
		free(*err);
		*err = NULL;
		rc = config_templates(r->c, err);
	}
	return rc;
}

/* Replace every slot in s with token; the caller frees. */
static char *
fill_slots(const char *s, const char *slot, const char *token)
{
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(s, slot)) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_puts(&b, token);
		s = p + TOKEN_LEN;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

/* The Date of the messages send makes: SOURCE_DATE_EPOCH, else now. Not
 * the issue's date: spam filters score a Date hours or days away from the
 * receiving relay's clock (SpamAssassin's DATE_IN_PAST_* and
 * DATE_IN_FUTURE_*, 1 to 3.4 points), and a test copy goes out days
 * before the planned send date. */
long long
compose_send_date(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (sde && *sde)
		return strtoll(sde, NULL, 10);
	return (long long)time(NULL);
}

/* The Date of newsletter.eml: the issue's date when issue.md gives one
 * (9:00 local time unless it says), else SOURCE_DATE_EPOCH, else now, so
 * that a composed issue is byte-identical from run to run. */
static long long
preview_date(const struct issue *is)
{
	if (is->has_date) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = is->date.year - 1900;
		tm.tm_mon = is->date.month - 1;
		tm.tm_mday = is->date.day;
		tm.tm_hour = is->date.has_time ? is->date.hour : 9;
		tm.tm_min = is->date.min;
		tm.tm_isdst = -1;
		return (long long)mktime(&tm);
	}
	return compose_send_date();
}

static void
lint(struct render *r, struct diags *warn)
{
	const struct issue *is = &r->cp->issue;
	size_t w = width(is->subject);

	if (w > SUBJECT_MAX)
		diags_add(warn, is->path, 0, 0, "subject is %zu characters "
			"long (more than %d are cut by mail clients)", w,
			SUBJECT_MAX);
	if (strlen(r->cp->html) > HTML_CLIP_SIZE)
		diags_add(warn, is->path, 0, 0, "the HTML part is %zu KB; "
			"Gmail clips messages over about 102 KB",
			strlen(r->cp->html) / 1024);
	bool editorial = false;
	for (const char *p = is->editorial; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			editorial = true;
	if (!r->items.n && !editorial)
		diags_add(warn, is->path, 0, 0, "the issue has no items and "
			"no editorial");
	/* the line of the stub that `new` wrote, in either language */
	for (size_t k = 0; labels_languages[k]; k++) {
		const char *stub = label(labels_languages[k],
			"EDITORIAL_STUB");
		const char *nl = strchr(stub, '\n');
		char *line;
		const char *at;

		while (nl && nl[1] == '\n')
			nl++;
		line = xstrndup(nl + 1, strcspn(nl + 1, "\n"));
		if ((at = strstr(is->editorial, line)) != NULL) {
			int n = is->editorial_line;
			for (const char *p = is->editorial; p < at; p++)
				n += *p == '\n';
			diags_add(warn, is->path, n, 1, "the editorial is still "
				"the stub that \"infolettre new\" wrote (\"%s\"): "
				"write it, or remove that line", line);
			free(line);
			break;
		}
		free(line);
	}
	for (size_t i = 0; i < r->items.n; i++)
		if (!r->items.v[i].description || !*r->items.v[i].description)
			diags_add(warn, r->items.v[i].path, 0, 0, "no "
				"description (summary) to show in the newsletter");
}

static char *
hex_sha256(const char *a, const char *b)
{
	unsigned char h[32];
	char *out = xmalloc(65);
	gnutls_hash_hd_t hd;

	gnutls_hash_init(&hd, GNUTLS_DIG_SHA256);
	gnutls_hash(hd, a, strlen(a));
	gnutls_hash(hd, "\0", 1);
	gnutls_hash(hd, b, strlen(b));
	gnutls_hash_deinit(hd, h);
	codec_hex(out, h, sizeof(h));
	return out;
}

/* The error for content at file holding the slot's text, with the line
 * and column where the file holds it (it may only appear once rendered,
 * from an HTML entity). */
static int
slot_refused(const char *file, char **err)
{
	char *data = NULL;
	size_t len = 0;
	const char *p = NULL;
	int line = 1, col = 1, rc;

	if (read_file(file, 16 << 20, &data, &len) == 0)
		p = strcasestr(data, MIME_SLOT_PREFIX);
	for (const char *q = data; p && q < p; q++) {
		if (*q == '\n')
			line++, col = 1;
		else if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	}
	if (p)
		rc = fail(err, EX_DATAERR, "%s:%d:%d: holds \"%s\", the text "
			"of the slot where each subscriber's token goes; refused "
			"(it would send every subscriber's token where it points)",
			file, line, col, MIME_SLOT_PREFIX);
	else
		rc = fail(err, EX_DATAERR, "%s: holds \"%s\" once rendered, "
			"the text of the slot where each subscriber's token goes; "
			"refused (it would send every subscriber's token where it "
			"points)", file, MIME_SLOT_PREFIX);
	free(data);
	return rc;
}

/* The name of an event's calendar file: its page's folder (a page
 * bundle) or file name, in [a-z0-9-], then ".ics". */
static char *
ics_name(const struct item *it)
{
	const char *src = it->source, *slash = strrchr(src, '/'), *b, *e;
	struct buf n = BUF_INIT;

	b = slash ? slash + 1 : src;
	e = strchr(b, '.') ? strchr(b, '.') : b + strlen(b);
	if (str_starts(b, "index.") || str_starts(b, "_index.")) {
		/* the folder's name */
		const char *d = slash ? slash : src;

		e = d;
		for (b = d; b > src && b[-1] != '/'; b--)
			;
	}
	for (const char *p = b; p < e; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		buf_putc(&n, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ?
			c : '-');
	}
	if (!n.len)
		buf_puts(&n, "evenement");
	buf_puts(&n, ".ics");
	return buf_detach(&n);
}

/* Step 2b: the events as calendar entries (compose.calendar): one
 * calendar for the message, one per event beside web.html, linked from
 * each event at the archive's address. */
static void
render_calendar(struct render *r)
{
	struct composed *out = r->cp;
	struct ics_event *ev;
	const char *base = r->archive, *slash;
	size_t n = 0;
	char *tz = getenv("TZ") && *getenv("TZ") ? getenv("TZ") : "UTC";

	r->cal_urls = xcalloc(r->items.n ? r->items.n : 1, sizeof(char *));
	if (!r->c->compose.calendar)
		return;
	ev = xcalloc(r->items.n ? r->items.n : 1, sizeof(*ev));
	out->ics = xcalloc(r->items.n ? r->items.n : 1, sizeof(*out->ics));
	for (size_t i = 0; i < r->items.n; i++) {
		const struct item *it = &r->items.v[i];
		struct ics_event *e = &ev[n];
		char *name;

		if (it->section != SECTION_EVENT_MONTH &&
		    it->section != SECTION_EVENT_NEXT)
			continue;
		e->title = md_inline_text(it->title);
		e->url = it->url;
		e->location = it->location;
		e->description = it->description ?
			md_inline_text(it->description) : NULL;
		e->start = it->date;
		e->end = it->date_end;
		e->has_end = it->has_end;
		name = ics_name(it);
		/* two pages with one name: the second gets its number */
		for (size_t k = 0; k < out->nics; k++)
			if (strcmp(out->ics[k].name, name) == 0) {
				char *two = xasprintf("%.*s-%zu.ics",
					(int)(strlen(name) - 4), name, i + 1);
				free(name);
				name = two;
				break;
			}
		out->ics[out->nics].name = name;
		out->ics[out->nics].data = ics_calendar(e, 1,
			strcmp(tz, "UTC0") == 0 ? "UTC" : tz, out->date);
		out->nics++;
		if (base && (slash = strrchr(base, '/')) != NULL)
			r->cal_urls[i] = xasprintf("%.*s%s",
				(int)(slash - base + 1), base, name);
		n++;
	}
	if (n) {
		out->calendar = ics_calendar(ev, n, strcmp(tz, "UTC0") == 0 ?
			"UTC" : tz, out->date);
		out->calendar_name = xasprintf("%s-%s.ics",
			strcmp(labels_lang(r->lang), "en") == 0 ? "events" :
			"evenements", r->month);
	}
	for (size_t i = 0; i < n; i++) {
		free((char *)ev[i].title);
		free((char *)ev[i].description);
	}
	free(ev);
}

/* Step 1: the issue's file, the labels, the URLs and the slot. */
static int
render_begin(struct render *r, const struct config *c, const char *month,
	struct composed *out, struct diags *warn, char **err)
{
	const char *at;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(r, 0, sizeof(*r));
	if (!month_parse(month, &r->m))
		return fail(err, EX_USAGE, "\"%s\" is not a month", month);
	if ((rc = issue_load(c, month, &out->issue, err)) != 0)
		return rc;
	r->c = c;
	r->cp = out;
	r->warn = warn;
	r->month = month;
	sitefile_init(&r->sf, c->site.root, NULL);
	r->lang = c->newsletter.language;
	r->month_label = xasprintf("%s %d", month_name(r->lang, r->m.month),
		r->m.year);
	r->archive = config_archive_url(c, month);
	r->from_addr = addr_of(c->newsletter.from);
	at = strrchr(r->from_addr, '@');
	r->im.c = c;
	r->im.month = month;
	r->im.warn = warn;
	r->im.notes = &out->notes;
	r->im.errors = &r->picture_errors;
	r->im.file = out->issue.path;
	r->im.domain = at ? at + 1 : "localhost";
	if (mime_slot_new(out->slot) != 0)
		return fail(err, EX_OSERR, "no random bytes from GnuTLS for "
			"the token slot");
	if (c->unsubscribe.url[0])
		r->unsub_url = xasprintf("%s%s%s", c->unsubscribe.url,
			strchr(c->unsubscribe.url, '?') ? "&t=" : "?t=",
			out->slot);
	else
		r->unsub_url = xasprintf("mailto:%s?subject=unsubscribe",
			c->unsubscribe.mailto[0] ? c->unsubscribe.mailto :
			r->from_addr);
	if (c->unsubscribe.mailto[0])
		r->mailto = addr_plus(c->unsubscribe.mailto, out->slot);
	return 0;
}

/* Step 2: the editorial, once with embedded images (for the mail), once
 * with URLs (for the preview and the web page). */
static void
render_editorial(struct render *r)
{
	struct diags again = { NULL, 0, 0 }; /* reported once, the first time */
	const struct issue *is = &r->cp->issue;
	struct md_opts o;

	memset(&o, 0, sizeof(o));
	o.base_url = r->c->site.base_url;
	o.site_root = r->c->site.root;
	o.file = is->path;
	o.first_line = is->editorial_line;
	o.heading_shift = 1;
	o.local_dir = is->dir;
	o.local_url = r->archive;
	o.image_src = md_image_cid;
	o.image_ctx = &r->im;
	o.lang = r->lang;
	md_render(is->editorial, &o, &r->mail_ed, r->warn);
	o.image_src = NULL;
	md_render(is->editorial, &o, &r->web_ed, &again);
	diags_free(&again);
}

/* Step 3: the templates expanded: the mail's HTML and text, the preview,
 * the web page; then the checks of what came out. */
static int
render_bodies(struct render *r, char **err)
{
	struct composed *out = r->cp;
	char *preview_raw = NULL;
	struct tpl_dict *d;
	int rc;

	d = make_dict(r, FOR_MAIL, r->mail_ed.html, r->mail_ed.text);
	if (r->slot_file) {
		tpl_dict_free(d);
		return slot_refused(r->slot_file, err);
	}
	rc = expand(r, "newsletter.html.tpl", d, &out->html, err);
	if (!rc)
		rc = expand(r, "newsletter.txt.tpl", d, &out->text, err);
	tpl_dict_free(d);
	if (rc)
		return rc;
	d = make_dict(r, FOR_PREVIEW, r->web_ed.html, r->web_ed.text);
	rc = expand(r, "newsletter.html.tpl", d, &preview_raw, err);
	tpl_dict_free(d);
	if (rc)
		return rc;
	d = make_dict(r, FOR_WEB, r->web_ed.html, r->web_ed.text);
	rc = expand(r, "web.html.tpl", d, &out->web, err);
	tpl_dict_free(d);
	if (rc) {
		free(preview_raw);
		return rc;
	}
	out->html_preview = fill_slots(preview_raw, out->slot,
		COMPOSE_SAMPLE_TOKEN);
	out->text_preview = fill_slots(out->text, out->slot,
		COMPOSE_SAMPLE_TOKEN);
	free(preview_raw);
	lint(r, r->warn);
	return 0;
}

/* Step 4: the message template (mime_build), and the sample recipient's
 * message, signed as send signs. */
static int
render_message(struct render *r, char **err)
{
	const struct config *c = r->c;
	struct composed *out = r->cp;
	struct mime_recipient sample = { COMPOSE_SAMPLE_NAME,
		COMPOSE_SAMPLE_EMAIL, COMPOSE_SAMPLE_TOKEN, 0 };
	struct mime_msg *sample_msg = NULL;
	struct mime_image *mi;
	struct mime_input in;
	struct mime_attachment cal;
	struct buf eml = BUF_INIT;
	char *seed, *h, *t;
	int rc;

	out->images = r->im.v;
	out->nimages = r->im.n;
	r->im.v = NULL;
	mi = xcalloc(out->nimages ? out->nimages : 1, sizeof(*mi));
	for (size_t i = 0; i < out->nimages; i++) {
		const char *slash = strrchr(out->images[i].path, '/');

		mi[i].cid = out->images[i].cid;
		mi[i].content_type = out->images[i].content_type;
		mi[i].filename = slash ? slash + 1 : out->images[i].path;
		mi[i].data = out->images[i].data;
		mi[i].len = out->images[i].len;
	}
	/* the bodies as with the fixed slot: the same seed, so the same
	 * boundaries, whatever this run's slot */
	h = fill_slots(out->html, out->slot, MIME_SLOT_TOKEN);
	t = fill_slots(out->text, out->slot, MIME_SLOT_TOKEN);
	seed = hex_sha256(h, t);
	free(h);
	free(t);
	out->date = compose_send_date();
	memset(&in, 0, sizeof(in));
	in.from = c->newsletter.from;
	in.reply_to = c->newsletter.reply_to;
	in.subject = out->issue.subject;
	in.list_title = c->newsletter.title;
	in.list_id = c->newsletter.list_id;
	in.archive_url = r->archive;
	in.unsub_url = c->unsubscribe.url[0] ? r->unsub_url : NULL;
	in.unsub_mailto = r->mailto;
	in.msgid_domain = r->im.domain;
	in.issue_id = r->month;
	in.html = out->html;
	in.text = out->text;
	in.images = mi;
	in.nimages = out->nimages;
	in.date = out->date;
	in.seed = seed;
	in.slot = out->slot;
	if (out->calendar) {
		cal.filename = out->calendar_name;
		cal.content_type = "text/calendar; method=PUBLISH";
		cal.data = out->calendar;
		cal.len = strlen(out->calendar);
		in.attachments = &cal;
		in.nattachments = 1;
	}
	rc = mime_build(&in, &out->msg, err);
	/* the sample's message, dated like the issue */
	in.date = preview_date(&out->issue);
	if (!rc)
		rc = mime_build(&in, &sample_msg, err);
	if (!rc)
		rc = mime_fill(sample_msg, &sample, &eml, err);
	/* DKIM (with a dkim section): signed as send signs */
	if (!rc)
		rc = dkim_sign_configured(c, &eml, err);
	if (!rc)
		out->eml = buf_detach(&eml);
	buf_free(&eml);
	if (sample_msg)
		mime_msg_free(sample_msg);
	free(seed);
	free(mi);
	return rc;
}

static void
render_free(struct render *r)
{
	md_doc_free(&r->mail_ed);
	md_doc_free(&r->web_ed);
	for (size_t i = 0; r->cal_urls && i < r->items.n; i++)
		free(r->cal_urls[i]);
	free(r->cal_urls);
	items_free(&r->items);
	sitefile_free(&r->sf);
	for (size_t i = 0; i < r->im.n && r->im.v; i++) {
		free(r->im.v[i].path);
		free(r->im.v[i].cid);
		free(r->im.v[i].content_type);
		free(r->im.v[i].data);
	}
	free(r->im.v);
	strlist_free(&r->im.srcs);
	diags_free(&r->picture_errors);
	free(r->month_label);
	free(r->archive);
	free(r->unsub_url);
	free(r->mailto);
	free(r->from_addr);
}

/* The size of the message a subscriber gets, said every time, warned
 * about over compose.message_max_size (Gmail clips, slow mobiles). */
static void
message_size(struct render *r)
{
	struct composed *out = r->cp;
	size_t len = strlen(out->eml), bytes = 0;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < out->nimages; i++)
		bytes += out->images[i].len;
	buf_puts(&b, "newsletter.eml: ");
	put_kb(&b, len);
	if (out->nimages) {
		buf_printf(&b, ", %zu picture%s embedded (", out->nimages,
			out->nimages > 1 ? "s" : "");
		put_kb(&b, bytes);
		buf_putc(&b, ')');
	}
	diags_add(&out->notes, out->issue.path, 0, 0, "%s", buf_str(&b));
	if (r->c->compose.message_max_size > 0 &&
	    len > (size_t)r->c->compose.message_max_size)
		diags_add(r->warn, out->issue.path, 0, 0, "the message is %zu "
			"KB, over compose.message_max_size (%ld KB): fewer or "
			"smaller pictures", (len + 512) / 1024,
			r->c->compose.message_max_size / 1024);
	buf_free(&b);
}

int
compose_build(const struct config *c, const char *month,
	struct composed *out, struct diags *warn, char **err)
{
	struct render r;
	int rc;

	if ((rc = render_begin(&r, c, month, out, warn, err)) == 0 &&
	    (rc = content_collect(c, r.m, &r.items, warn, err)) == 0) {
		render_editorial(&r);
		out->date = compose_send_date();
		render_calendar(&r);
		rc = render_bodies(&r, err);
		if (rc == 0 && r.picture_errors.n) {
			/* a picture that cannot be decoded is no attachment */
			const struct diag *dg = &r.picture_errors.v[0];

			rc = fail(err, EX_DATAERR, "%s:%d: %s%s", dg->file,
				dg->line, dg->msg, r.picture_errors.n > 1 ?
				" (and other pictures)" : "");
		}
		if (rc == 0)
			rc = render_message(&r, err);
		if (rc == 0)
			message_size(&r);
	}
	render_free(&r);
	if (rc)
		compose_free(out);
	return rc;
}

void
compose_free(struct composed *cp)
{
	issue_free(&cp->issue);
	free(cp->html);
	free(cp->text);
	free(cp->html_preview);
	free(cp->text_preview);
	free(cp->web);
	free(cp->eml);
	for (size_t i = 0; i < cp->nimages; i++) {
		free(cp->images[i].path);
		free(cp->images[i].cid);
		free(cp->images[i].content_type);
		free(cp->images[i].data);
	}
	free(cp->images);
	if (cp->msg)
		mime_msg_free(cp->msg);
	diags_free(&cp->notes);
	free(cp->calendar);
	free(cp->calendar_name);
	for (size_t i = 0; i < cp->nics; i++) {
		free(cp->ics[i].name);
		free(cp->ics[i].data);
	}
	free(cp->ics);
	memset(cp, 0, sizeof(*cp));
}

int
compose_write(const struct composed *cp, char **err)
{
	size_t n = 4 + (cp->calendar ? 1 : 0) + cp->nics;
	const char **names = xcalloc(n, sizeof(*names));
	const char **data = xcalloc(n, sizeof(*data));
	char **tmp = xcalloc(n, sizeof(*tmp)), **final = xcalloc(n,
	    sizeof(*final));
	size_t k = 4;
	int rc = 0, e;

	names[0] = "newsletter.html";
	names[1] = "newsletter.txt";
	names[2] = "newsletter.eml";
	names[3] = "web.html";
	data[0] = cp->html_preview;
	data[1] = cp->text_preview;
	data[2] = cp->eml;
	data[3] = cp->web;
	if (cp->calendar) {
		names[k] = cp->calendar_name;
		data[k++] = cp->calendar;
	}
	for (size_t i = 0; i < cp->nics; i++, k++) {
		names[k] = cp->ics[i].name;
		data[k] = cp->ics[i].data;
	}
	/* every temporary file first; renames only when all are there */
	for (size_t i = 0; i < n && !rc; i++) {
		final[i] = path_join(cp->issue.dir, names[i]);
		e = file_write_temp(final[i], data[i], strlen(data[i]), 0644,
			&tmp[i]);
		if (e)
			rc = fail(err, EX_CANTCREAT, "%s: %s", final[i],
				strerror(e));
	}
	for (size_t i = 0; i < n && !rc; i++)
		if (rename(tmp[i], final[i]) < 0)
			rc = fail(err, EX_CANTCREAT, "%s: %s", final[i],
				strerror(errno));
	if (!rc && (e = file_sync_dir(final[0])) != 0)
		rc = fail(err, EX_CANTCREAT, "%s: %s", cp->issue.dir,
			strerror(e));
	for (size_t i = 0; i < n; i++) {
		if (rc && tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
		free(final[i]);
	}
	free(names);
	free(data);
	free(tmp);
	free(final);
	return rc;
}

/* The number of the latest issue before month, 0 when there is none. */
static long
previous_number(const struct config *c, const char *month)
{
	struct month m, best = { 0, 0 };
	long number = 0;
	char *path;

	/* scan back month by month for up to 10 years: issues folders are
	 * named YYYY-MM, so no directory listing is needed */
	if (!month_parse(month, &m))
		return 0;
	for (int i = 0; i < 120; i++) {
		struct issue is;
		char name[16];

		if (--m.month < 1) {
			m.month = 12;
			m.year--;
		}
		if (m.year < 1)
			break;
		snprintf(name, sizeof(name), "%04d-%02d", m.year, m.month);
		path = xasprintf("%s/%s/issue.md", c->issues, name);
		if (access(path, F_OK) == 0 && issue_load(c, name, &is, NULL) == 0) {
			number = is.number;
			best = m;
			issue_free(&is);
		}
		free(path);
		if (best.year)
			break;
	}
	return number;
}

/* A YAML double-quoted scalar. */
static void
put_yaml_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

int
issue_new(const struct config *c, const char *month, char **path, char **err)
{
	const char *lang = c->newsletter.language;
	struct month m;
	struct buf b = BUF_INIT;
	char *dir, *file, *subject = NULL;
	long number;
	int e, fd;

	if (!month_parse(month, &m))
		return fail(err, EX_USAGE, "\"%s\" is not a month", month);
	dir = issue_dir(c, month);
	file = path_join(dir, "issue.md");
	if (mkdir(c->issues, 0755) < 0 && errno != EEXIST) {
		e = fail(err, EX_CANTCREAT, "%s: %s", c->issues, strerror(errno));
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		e = fail(err, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		goto out;
	}
	number = previous_number(c, month) + 1;
	subject = xasprintf("%s — %s %d", c->newsletter.title,
		month_name(lang, m.month), m.year);
	buf_printf(&b, "---\nnumber: %ld\nsubject: ", number);
	put_yaml_string(&b, subject);
	buf_puts(&b, "\npreheader: ");
	put_yaml_string(&b, label(lang, "PREHEADER_STUB"));
	buf_printf(&b, "\ndate: %04d-%02d-01\n---\n\n%s", m.year, m.month,
		label(lang, "EDITORIAL_STUB"));
	/* O_EXCL: never overwrite an issue someone is writing */
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = fail(err, EX_CANTCREAT, "%s: %s", file, errno == EEXIST ?
			"already exists; not overwritten" : strerror(errno));
		goto out;
	}
	if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		e = fail(err, EX_CANTCREAT, "%s: %s", file, strerror(errno));
		close(fd);
		unlink(file);
		goto out;
	}
	close(fd);
	*path = file;
	file = NULL;
	e = 0;
out:
	buf_free(&b);
	free(subject);
	free(dir);
	free(file);
	return e;
}
