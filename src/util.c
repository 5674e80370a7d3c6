/* util.c - the error contract, reporting, files and paths, small helpers */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

int
fail(char **err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		free(*err);
		va_start(ap, fmt);
		*err = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return status;
}

void
report(const char *fmt, ...)
{
	va_list ap;

	fputs("infolettre: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
report_at(const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	fputs("infolettre: ", stderr);
	if (file) {
		if (line > 0 && col > 0)
			fprintf(stderr, "%s:%d:%d: ", file, line, col);
		else if (line > 0)
			fprintf(stderr, "%s:%d: ", file, line);
		else
			fprintf(stderr, "%s: ", file);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Length of the UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

bool
utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80 && p[i]) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i);
		if (!k) {
			if (bad)
				*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

char *
sanitize(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	struct buf b = BUF_INIT;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_putc(&b, '?');
			i++;
		} else if (p[i] < 0x80) {
			buf_putc(&b, p[i++]);
		} else if ((k = utf8_seq(p + i, n - i)) != 0) {
			/* C1 controls U+0080..U+009F */
			if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
				buf_putc(&b, '?');
			else
				buf_put(&b, p + i, k);
			i += k;
		} else {
			buf_putc(&b, '?');
			i++;
		}
	}
	return buf_detach(&b);
}

int
read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	struct buf b = BUF_INIT;
	int fd, e;
	ssize_t r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return e;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		close(fd);
		return EFBIG;
	}
	buf_grow(&b, S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096);
	for (;;) {
		if (b.cap - b.len < 2)
			buf_grow(&b, 4096);
		r = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			buf_free(&b);
			return e;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		if (b.len > max) {
			close(fd);
			buf_free(&b);
			return EFBIG;
		}
	}
	close(fd);
	b.data[b.len] = '\0';
	*len = b.len;
	*data = b.data;
	return 0;
}

/* The process's umask, without changing it even for a moment (threads
 * may create files meanwhile): Linux says it in /proc/self/status. */
static mode_t
current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned long m = 022;
	mode_t old;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Umask: %lo", &m) == 1) {
				fclose(f);
				return (mode_t)(m & 0777);
			}
		fclose(f);
	}
	old = umask(022);
	umask(old);
	return old;
}

int
file_create_temp(const char *path, int mode, char **tmp)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	char *t;
	int fd, e;

	*tmp = NULL;
	/* ".NAME.XXXXXX" beside it: hidden, and within NAME_MAX */
	t = xasprintf("%.*s.%.*s.XXXXXX", (int)dirlen, path, 200, base);
	fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(t);
		errno = e;
		return -1;
	}
	if (fchmod(fd, (mode_t)mode & 07777 & ~current_umask()) < 0) {
		e = errno;
		close(fd);
		unlink(t);
		free(t);
		errno = e;
		return -1;
	}
	*tmp = t;
	return fd;
}

int
file_write_temp(const char *path, const void *data, size_t len, int mode,
	char **tmp)
{
	const char *p = data;
	int fd, e = 0;
	ssize_t w;

	*tmp = NULL;
	if ((fd = file_create_temp(path, mode, tmp)) < 0)
		return errno;
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (e) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return e;
}

int
file_sync_dir(const char *path)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = 0;

	free(dir);
	if (fd < 0)
		return errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		e = errno;
	close(fd);
	return e;
}

int
write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	char *tmp;
	int e;

	if ((e = file_write_temp(path, data, len, mode, &tmp)) != 0)
		return e;
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
	} else {
		e = file_sync_dir(path);
	}
	free(tmp);
	return e;
}

char *
path_join(const char *dir, const char *rel)
{
	size_t n;

	if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
		return xstrdup(rel);
	n = strlen(dir);
	if (dir[n - 1] == '/')
		return xasprintf("%s%s", dir, rel);
	return xasprintf("%s/%s", dir, rel);
}

char *
path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *
plural(long n, const char *one, const char *many)
{
	return n == 1 || n == -1 ? one : many;
}

bool
str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int
str_casecmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	do {
		ca = (unsigned char)*a++;
		cb = (unsigned char)*b++;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
	} while (ca && ca == cb);
	return ca - cb;
}

void
strlist_push(struct strlist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void
diags_add(struct diags *d, const char *file, int line, int col,
	const char *fmt, ...)
{
	va_list ap;
	struct diag *g;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->file = file ? xstrdup(file) : NULL;
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	g->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

void
diags_print(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *m = sanitize(d->v[i].msg);
		char *f = d->v[i].file ? sanitize(d->v[i].file) : NULL;

		report_at(f, d->v[i].line, d->v[i].col, "%s", m);
		free(m);
		free(f);
	}
}

void
diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
