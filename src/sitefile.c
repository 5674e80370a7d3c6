/* sitefile.c - the one way content names a file of the machine or a URL */
#include "sitefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "siteurl.h"
#include "util.h"

#define SNIFF 16 /* bytes enough for the four signatures */

void
sitefile_init(struct sitefile *sf, const char *root, const char *local)
{
	memset(sf, 0, sizeof(*sf));
	if (root && *root) {
		sf->root = xstrdup(root);
		sf->root_real = realpath(root, NULL);
	}
	if (local && *local) {
		sf->local = xstrdup(local);
		sf->local_real = realpath(local, NULL);
	}
}

void
sitefile_free(struct sitefile *sf)
{
	free(sf->root);
	free(sf->root_real);
	free(sf->local);
	free(sf->local_real);
	memset(sf, 0, sizeof(*sf));
}

char *
sitefile_image_url(const char *base_url, const char *source, const char *link)
{
	char *url;

	if (!link || !*link || !siteurl_safe(link))
		return NULL;
	if (str_starts(link, "//"))
		url = xasprintf("https:%s", link);
	else
		url = siteurl_resolve(base_url ? base_url : "",
			source ? source : "", link);
	if (!siteurl_is_http(url)) {
		free(url);
		return NULL;
	}
	return url;
}

const char *
sitefile_image_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');

	if (!dot)
		return NULL;
	if (!str_casecmp(dot, ".png"))
		return "image/png";
	if (!str_casecmp(dot, ".jpg") || !str_casecmp(dot, ".jpeg"))
		return "image/jpeg";
	if (!str_casecmp(dot, ".gif"))
		return "image/gif";
	if (!str_casecmp(dot, ".webp"))
		return "image/webp";
	return NULL;
}

const char *
sitefile_sniff(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

const char *
sitefile_why(int status)
{
	switch (status) {
	case SITEFILE_OUTSIDE:
		return "leaves the site (\"..\" or a symbolic link leading "
			"out of it)";
	case SITEFILE_NOT_IMAGE:
		return "is not a PNG, JPEG, GIF or WebP file (by its first "
			"bytes)";
	case SITEFILE_TOO_LARGE:
		return "is too large";
	case SITEFILE_MISSING:
		return "does not exist";
	}
	return "is refused";
}

static bool
under(const char *real, const char *top)
{
	size_t n;

	if (!top)
		return false;
	n = strlen(top);
	return strncmp(real, top, n) == 0 &&
		(real[n] == '/' || real[n] == '\0' || strcmp(top, "/") == 0);
}

/* Do the first bytes of the file at real say the image type its name
 * says it is? Files whose name says no raster type are not looked at. */
static bool
sniff_ok(const char *real)
{
	unsigned char h[SNIFF];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (!sitefile_image_type(real))
		return true;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	while (got < sizeof(h) && (n = read(fd, h + got, sizeof(h) - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return sitefile_sniff(h, got) != NULL;
}

/* The status of the candidate path. */
static int
check(const struct sitefile *sf, const char *path, enum sitefile_kind kind,
	char **real, bool *in_local)
{
	struct stat st;
	char *r;

	if (stat(path, &st) != 0)
		return SITEFILE_MISSING;
	if (!(r = realpath(path, NULL)))
		return SITEFILE_MISSING;
	if (sf->local_real && under(r, sf->local_real)) {
		if (in_local)
			*in_local = true;
	} else if (!under(r, sf->root_real)) {
		free(r);
		return SITEFILE_OUTSIDE;
	}
	if (!(S_ISREG(st.st_mode) ||
	    (kind == SITEFILE_PAGE && S_ISDIR(st.st_mode)))) {
		free(r);
		return SITEFILE_MISSING;
	}
	if (kind == SITEFILE_IMAGE && !sniff_ok(r)) {
		free(r);
		return SITEFILE_NOT_IMAGE;
	}
	*real = r;
	return SITEFILE_OK;
}

int
sitefile_find(const struct sitefile *sf, const char *source, const char *link,
	enum sitefile_kind kind, char **real, bool *in_local)
{
	static const char *const roots[] = { "", "static/", "content/" };
	static const char *const exts[] = { "", ".md", ".qmd", ".markdown" };
	struct buf dec = BUF_INIT, joined = BUF_INIT, rel = BUF_INIT,
		path = BUF_INIT;
	size_t n = strcspn(link, "?#"), nroots = 1, nexts = 1;
	bool page = kind == SITEFILE_PAGE, absolute = link[0] == '/';
	const char *src = source ? source : "", *slash, *last;
	int st = SITEFILE_MISSING;

	*real = NULL;
	if (in_local)
		*in_local = false;
	if (!sf->root_real || !n || !siteurl_is_path(link))
		return SITEFILE_MISSING;
	buf_puts(&dec, "");
	codec_percent_decode(&dec, link + absolute, n - absolute, 0);

	/* the editorial: beside issue.md first, never above its folder */
	if (!absolute && sf->local_real) {
		if (!siteurl_normalise(buf_str(&dec), &rel) && !page) {
			st = SITEFILE_OUTSIDE;
			goto out;
		}
		buf_printf(&path, "%s/%s", sf->local, buf_str(&rel));
		st = check(sf, buf_str(&path), kind, real, in_local);
		if (st != SITEFILE_MISSING)
			goto out;
	}

	if (absolute)
		nroots = page ? 3 : 2;
	else if ((slash = strrchr(src, '/')))
		buf_put(&joined, src, (size_t)(slash - src) + 1);
	buf_puts(&joined, buf_str(&dec));
	if (!siteurl_normalise(buf_str(&joined), &rel) && !page) {
		st = SITEFILE_OUTSIDE;
		goto out;
	}
	last = strrchr(buf_str(&rel), '/');
	last = last ? last + 1 : buf_str(&rel);
	if (page && !strchr(last, '.'))
		nexts = 4;
	for (size_t r = 0; r < nroots && st == SITEFILE_MISSING; r++)
		for (size_t e = 0; e < nexts && st == SITEFILE_MISSING; e++) {
			buf_reset(&path);
			buf_printf(&path, "%s/%s%s%s", sf->root, roots[r],
				buf_str(&rel), exts[e]);
			st = check(sf, buf_str(&path), kind, real, in_local);
		}
out:
	buf_free(&dec);
	buf_free(&joined);
	buf_free(&rel);
	buf_free(&path);
	return st;
}

int
sitefile_read_image(const char *real, size_t max, const char **type,
	char **data, size_t *len)
{
	struct stat st;
	struct buf b = BUF_INIT;
	ssize_t n;
	int fd;

	*type = NULL;
	*data = NULL;
	*len = 0;
	if (!sitefile_image_type(real))
		return SITEFILE_MISSING;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return SITEFILE_MISSING;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return SITEFILE_MISSING;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		return SITEFILE_TOO_LARGE;
	}
	buf_grow(&b, (size_t)st.st_size + 1);
	for (;;) {
		if (b.cap - b.len < 2)
			buf_grow(&b, 4096);
		n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			buf_free(&b);
			return SITEFILE_MISSING;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > max) {
			close(fd);
			buf_free(&b);
			return SITEFILE_TOO_LARGE;
		}
	}
	close(fd);
	if (!(*type = sitefile_sniff(b.data, b.len))) {
		buf_free(&b);
		return SITEFILE_NOT_IMAGE;
	}
	b.data[b.len] = '\0';
	*len = b.len;
	*data = buf_detach(&b);
	return SITEFILE_OK;
}
