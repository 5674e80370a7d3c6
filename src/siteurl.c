/* siteurl.c - content files to page URLs; links resolved against pages
 *
 * One home for how the site's files map to its URLs: the names of content
 * files (stem, language, extension), the page URL of each (Hugo and
 * Quarto), the resolution of a link written in a page, path
 * normalisation, and the URL schemes content may use. content.c (which
 * pages exist), sitefile.c (which files content may read) and markdown.c
 * (the links it renders) all ask here.
 */
#include "siteurl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "util.h"

/* Percent-encode a path for a URL, keeping '/' and what is already
 * encoded. */
#define put_path(b, s, n) codec_percent_put(b, s, n, "-._~/!$&'()*+,;=:@%")

static const char *const content_exts[] = { ".md", ".markdown", ".qmd", NULL };


void
siteurl_split_name(const char *name, size_t n, struct siteurl_name *cn)
{
	const char *s;
	size_t l, i;

	memset(cn, 0, sizeof(*cn));
	for (i = 0; content_exts[i]; i++) {
		l = strlen(content_exts[i]);
		if (n > l && memcmp(name + n - l, content_exts[i], l) == 0) {
			cn->ext = content_exts[i];
			n -= l;
			break;
		}
	}
	cn->stem = n;
	/* a language suffix: ".en", ".fr", ".pt-br", ".zh_cn" */
	for (i = n; i > 0 && name[i - 1] != '.'; i--)
		;
	if (i < 2)
		return;
	s = name + i;
	l = n - i;
	if (l != 2 && !(l == 5 && (s[2] == '-' || s[2] == '_')))
		return;
	if (s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
		return;
	cn->lang = s;
	cn->langlen = l;
	cn->stem = i - 1;
}

bool
siteurl_lang_is(const struct siteurl_name *cn, const char *want)
{
	return cn->lang && strlen(want) == cn->langlen &&
		memcmp(cn->lang, want, cn->langlen) == 0;
}

bool
siteurl_is_index(const char *name, const struct siteurl_name *cn)
{
	return cn->ext && cn->stem == 5 && memcmp(name, "index", 5) == 0;
}

/* Hugo keeps its pages under content/; anything else is read as Quarto. */
bool
siteurl_is_hugo(const char *source)
{
	return str_starts(source, "content/");
}

char *
siteurl_page(const char *base_url, const char *source, const char *slug,
	const char *url)
{
	struct buf b = BUF_INIT;
	const char *rel = source, *slash, *name;
	struct siteurl_name cn;
	bool hugo = siteurl_is_hugo(source);
	size_t dirlen;

	if (url && *url) {
		if (str_starts(url, "http://") || str_starts(url, "https://"))
			return xstrdup(url);
		buf_puts(&b, base_url);
		while (*url == '/')
			url++;
		put_path(&b, url, strlen(url));
		return buf_detach(&b);
	}
	if (hugo)
		rel += 8;
	slash = strrchr(rel, '/');
	name = slash ? slash + 1 : rel;
	dirlen = slash ? (size_t)(slash - rel) : 0;
	siteurl_split_name(name, strlen(name), &cn);

	buf_puts(&b, base_url);
	if (hugo && cn.lang) {
		buf_put(&b, cn.lang, cn.langlen);
		buf_putc(&b, '/');
	}
	if (siteurl_is_index(name, &cn)) {
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
		if (!hugo && cn.lang) {
			buf_puts(&b, "index.");
			buf_put(&b, cn.lang, cn.langlen);
			buf_puts(&b, ".html");
		}
		return buf_detach(&b);
	}
	if (dirlen) {
		put_path(&b, rel, dirlen);
		buf_putc(&b, '/');
	}
	if (slug && *slug)
		put_path(&b, slug, strlen(slug));
	else
		put_path(&b, name, cn.stem);
	if (hugo) {
		buf_putc(&b, '/');
	} else {
		if (cn.lang) {
			buf_putc(&b, '.');
			buf_put(&b, cn.lang, cn.langlen);
		}
		buf_puts(&b, ".html");
	}
	return buf_detach(&b);
}

char *
siteurl_resolve(const char *base_url, const char *source, const char *link)
{
	struct buf joined = BUF_INIT, norm = BUF_INIT, b = BUF_INIT;
	const char *p, *r, *slash;
	struct siteurl_name cn;
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
	siteurl_split_name(path, n, &cn);
	if (path[0] == '/') {
		buf_puts(&joined, path + 1);
	} else {
		slash = strrchr(source, '/');
		if (slash)
			buf_put(&joined, source, (size_t)(slash - source) + 1);
		/* A Hugo page that is not a bundle (content/post/x.md) is
		 * served as post/x/: a browser resolves its links there. Links
		 * to other content files are still written from the file. */
		if (!cn.ext && siteurl_is_hugo(source)) {
			const char *name = slash ? slash + 1 : source;
			struct siteurl_name sn;
			siteurl_split_name(name, strlen(name), &sn);
			if (sn.ext && !siteurl_is_index(name, &sn)) {
				buf_put(&joined, name, sn.stem);
				buf_putc(&joined, '/');
			}
		}
		buf_puts(&joined, path);
	}
	siteurl_normalise(buf_str(&joined), &norm);
	r = buf_str(&norm);
	if (cn.ext && norm.len) {
		url = siteurl_page(base_url, r, NULL, NULL);
		buf_puts(&b, url);
		free(url);
	} else {
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

/* "a/b/../c/./d" → "a/c/d" into out. Returns false when ".." goes above
 * the top (it is then dropped, so out stays under the top). */
bool
siteurl_normalise(const char *path, struct buf *out)
{
	const char *s = path;
	bool inside = true;

	buf_reset(out);
	buf_puts(out, "");
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *last = out->len ? memrchr(out->data, '/', out->len)
				: NULL;
			if (!out->len)
				inside = false;
			out->len = last ? (size_t)(last - out->data) : 0;
			out->data[out->len] = '\0';
		} else {
			if (out->len)
				buf_putc(out, '/');
			buf_put(out, s, n);
		}
		s = e ? e + 1 : s + n;
	}
	return inside;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

bool
siteurl_has_scheme(const char *u)
{
	const char *p = u;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while (is_alnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	return *p == ':';
}

bool
siteurl_safe(const char *u)
{
	static const char *const bad[] = { "javascript", "vbscript", "data",
		"file", NULL };
	char scheme[16];
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		if (*p <= ' ' || *p == 0x7f)
			continue;
		if (*p == ':') {
			scheme[k] = '\0';
			for (int i = 0; bad[i]; i++)
				if (strcmp(scheme, bad[i]) == 0)
					return false;
			return true;
		}
		if (!is_alnum(*p) && !strchr("+-.", *p))
			return true;
		if (k == sizeof(scheme) - 1)
			return true;
		scheme[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	return true;
}

bool
siteurl_is_path(const char *u)
{
	return !siteurl_has_scheme(u) && !str_starts(u, "//") && u[0] != '#' &&
		u[0] != '?' && u[0] != '\0';
}

bool
siteurl_is_http(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
		strncasecmp(u, "https://", 8) == 0;
}
