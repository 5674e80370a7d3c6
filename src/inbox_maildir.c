/* inbox_maildir.c - the inbox as a Maildir: new/ and cur/, a keyword flag */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "inbox_priv.h"
#include "replies.h"
#include "util.h"

#define KEYWORDS_FILE "dovecot-keywords"

struct md {
	struct inbox base;
	char *root;        /* the Maildir */
	char *dest;        /* where handled files go: root or root/.FOLDER */
	bool readonly;
	char letter;       /* INBOX_KEYWORD's flag letter; 0: none yet */
	size_t max;        /* bytes read of a message: max_size + 1 */
	struct strlist files; /* "new/NAME", "cur/NAME", sorted */
	size_t next;
	struct buf data;
	struct inbox_msg msg;
	char *ref;
	const char *cur;   /* files.v[next - 1] once read */
};

/* By file name (a Maildir name starts with the delivery time), then by
 * folder. */
static int
cmp_files(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcmp(strchr(x, '/') + 1, strchr(y, '/') + 1);

	return c ? c : strcmp(x, y);
}

/* The flags of a Maildir file name ("…:2,FLAGS"), or "". */
static const char *
name_flags(const char *name)
{
	const char *info = strstr(name, ":2,");

	return info ? info + 3 : "";
}

/*
 * dovecot-keywords: one "INDEX NAME" a line, INDEX 0..25 standing for the
 * flag letters a..z. Sets *letter to INBOX_KEYWORD's letter (0 when it has
 * none) and *used to the indexes taken.
 */
static int
keywords_read(struct md *m, char *letter, bool used[26], struct buf *text,
	char **err)
{
	char *path = path_join(m->root, KEYWORDS_FILE), *data = NULL;
	size_t len = 0;
	int e;

	*letter = 0;
	memset(used, 0, 26 * sizeof *used);
	if ((e = read_file(path, 1 << 20, &data, &len)) != 0) {
		free(path);
		if (e == ENOENT)
			return 0;
		return fail(err, EX_IOERR, "inbox: %s/%s: %s", m->root,
			KEYWORDS_FILE, strerror(e));
	}
	free(path);
	buf_put(text, data, len);
	for (char *line = data, *nl; line && *line; line = nl) {
		char *end;
		long idx;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		errno = 0;
		idx = strtol(line, &end, 10);
		if (end == line || *end != ' ' || idx < 0 || idx > 25)
			continue;
		used[idx] = true;
		if (strcmp(end + 1, INBOX_KEYWORD) == 0)
			*letter = (char)('a' + idx);
	}
	free(data);
	return 0;
}

/* Give INBOX_KEYWORD a letter in dovecot-keywords when it has none. */
static int
keywords_add(struct md *m, char **err)
{
	struct buf text = BUF_INIT;
	bool used[26];
	char *path;
	int rc, i, e;

	if ((rc = keywords_read(m, &m->letter, used, &text, err)) != 0 ||
	    m->letter) {
		buf_free(&text);
		return rc;
	}
	for (i = 0; i < 26 && used[i]; i++)
		;
	if (i == 26) {
		buf_free(&text);
		return fail(err, EX_CONFIG, "inbox: %s/%s: all 26 keyword "
			"letters are taken; none is left for %s", m->root,
			KEYWORDS_FILE, INBOX_KEYWORD);
	}
	if (text.len && text.data[text.len - 1] != '\n')
		buf_putc(&text, '\n');
	buf_printf(&text, "%d %s\n", i, INBOX_KEYWORD);
	path = path_join(m->root, KEYWORDS_FILE);
	e = write_file_atomic(path, text.data, text.len, 0600);
	free(path);
	buf_free(&text);
	if (e)
		return fail(err, EX_IOERR, "inbox: %s/%s: %s", m->root,
			KEYWORDS_FILE, strerror(e));
	m->letter = (char)('a' + i);
	return 0;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The files of root/sub to read: all of new/, those of cur/ without the
 * keyword letter. */
static int
scan(struct md *m, const char *sub, char **err)
{
	char *dir = path_join(m->root, sub);
	struct dirent *de;
	DIR *d;

	if (!(d = opendir(dir))) {
		int e = errno;
		int rc = fail(err, e == ENOENT ? EX_NOINPUT : EX_IOERR,
			"inbox: %s: %s", dir, strerror(e));

		free(dir);
		return rc;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *flags;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK)
			continue;
		if (strcmp(sub, "cur") == 0) {
			flags = name_flags(de->d_name);
			if (m->letter && strchr(flags, m->letter))
				continue;
		}
		strlist_push(&m->files, xasprintf("%s/%s", sub, de->d_name));
	}
	if (errno) {
		int rc = fail(err, EX_IOERR, "inbox: %s: %s", dir,
			strerror(errno));

		closedir(d);
		free(dir);
		return rc;
	}
	closedir(d);
	free(dir);
	return 0;
}

static int
md_next(struct inbox *ib, const struct inbox_msg **out, char **err)
{
	struct md *m = (struct md *)ib;

	*out = NULL;
	m->cur = NULL;
	while (m->next < m->files.n) {
		const char *rel = m->files.v[m->next++];
		char *path = path_join(m->root, rel);
		char chunk[65536];
		struct stat st;
		int fd;

		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && (errno == ENOENT || errno == ELOOP)) {
			/* moved away since the scan (another reader) */
			free(path);
			continue;
		}
		if (fd < 0 || fstat(fd, &st) < 0) {
			int rc = fail(err, EX_IOERR, "inbox: %s: %s", path,
				strerror(errno));

			if (fd >= 0)
				close(fd);
			free(path);
			return rc;
		}
		free(path);
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		buf_reset(&m->data);
		while (m->data.len < m->max) {
			size_t want = m->max - m->data.len;
			ssize_t n = read(fd, chunk, want < sizeof chunk ?
				want : sizeof chunk);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int rc = fail(err, EX_IOERR, "inbox: %s/%s: %s",
					m->root, rel, strerror(errno));

				close(fd);
				return rc;
			}
			if (n == 0)
				break;
			buf_put(&m->data, chunk, (size_t)n);
		}
		close(fd);
		free(m->ref);
		m->ref = sanitize(rel);
		m->cur = rel;
		m->msg.ref = m->ref;
		m->msg.data = m->data.data ? m->data.data : "";
		m->msg.len = m->data.len;
		m->msg.size = (size_t)st.st_size > m->data.len ?
			(size_t)st.st_size : m->data.len;
		*out = &m->msg;
		return 0;
	}
	return 0;
}

/* The flags chars plus add, each once, in ASCII order (as Maildir wants). */
static void
merge_flags(const char *flags, const char *add, char *out, size_t outsz)
{
	bool has[128] = { false };
	size_t n = 0;

	for (const char *p = flags; *p; p++)
		if ((unsigned char)*p < 128 && *p > ' ')
			has[(unsigned char)*p] = true;
	for (const char *p = add; *p; p++)
		has[(unsigned char)*p] = true;
	for (int c = 33; c < 127 && n + 1 < outsz; c++)
		if (has[c] && c != ',')
			out[n++] = (char)c;
	out[n] = '\0';
}

static int
md_mark(struct inbox *ib, char **err)
{
	struct md *m = (struct md *)ib;
	const char *name, *info;
	char flags[96], add[3];
	char *from, *to, *base;
	int rc;

	if (!m->cur || m->readonly)
		return fail(err, EX_SOFTWARE, "inbox: nothing to mark");
	if (!m->letter && (rc = keywords_add(m, err)) != 0)
		return rc;
	name = strchr(m->cur, '/') + 1;
	/* the unique part: before ":2," (or any ':' info) */
	info = strchr(name, ':');
	base = xstrndup(name, info ? (size_t)(info - name) : strlen(name));
	add[0] = 'S';
	add[1] = m->letter;
	add[2] = '\0';
	merge_flags(name_flags(name), add, flags, sizeof flags);
	from = path_join(m->root, m->cur);
	to = xasprintf("%s/cur/%s:2,%s", m->dest, base, flags);
	if (rename(from, to) < 0) {
		rc = errno == ENOENT ? 0 : fail(err, EX_IOERR,
			"inbox: cannot move %s to %s: %s", from, to,
			strerror(errno));
	} else {
		rc = 0;
	}
	m->cur = NULL;
	free(base);
	free(from);
	free(to);
	return rc;
}

static void
md_close(struct inbox *ib)
{
	struct md *m = (struct md *)ib;

	free(m->root);
	free(m->dest);
	strlist_free(&m->files);
	buf_free(&m->data);
	free(m->ref);
	free(m->base.describe);
	free(m);
}

static const struct inbox_ops md_ops = { md_next, md_mark, md_close };

/* A Maildir++ folder below root for handled messages: root/.NAME. */
static int
make_handled(struct md *m, const char *name, char **err)
{
	static const char *const subs[] = { "", "/tmp", "/new", "/cur" };

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || name[0] == '.')
		return fail(err, EX_CONFIG, "inbox.handled_folder: \"%s\" is "
			"not a folder name (for a Maildir: a name without '/', "
			"made as the Maildir++ folder .NAME)", name);
	m->dest = xasprintf("%s/.%s", m->root, name);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		char *p = xasprintf("%s%s", m->dest, subs[i]);

		if (!m->readonly && mkdir(p, 0700) < 0 && errno != EEXIST) {
			int rc = fail(err, EX_CANTCREAT, "inbox: cannot make "
				"%s: %s", p, strerror(errno));

			free(p);
			return rc;
		}
		free(p);
	}
	return 0;
}

int
inbox_maildir_open(const struct config *c, const char *path, bool readonly,
	struct inbox **out, char **err)
{
	struct md *m;
	struct buf ignored = BUF_INIT;
	bool used[26];
	char *sub;
	int rc;

	*out = NULL;
	if (!*path)
		return fail(err, EX_CONFIG, "inbox.url: maildir: needs a "
			"folder (maildir:PATH)");
	m = xcalloc(1, sizeof *m);
	m->base.ops = &md_ops;
	m->root = path_join(c->dir, path);
	m->readonly = readonly;
	m->max = (c->inbox.max_size > 0 ? (size_t)c->inbox.max_size :
		REPLIES_MAX_SIZE) + 1;
	m->base.describe = xasprintf("maildir:%s", m->root);
	if (!is_dir(m->root)) {
		rc = fail(err, EX_NOINPUT, "inbox: %s: no such Maildir "
			"(inbox.url %s)", m->root, c->inbox.url);
		goto bad;
	}
	sub = path_join(m->root, "cur");
	if (!is_dir(sub)) {
		rc = fail(err, EX_NOINPUT, "inbox: %s is not a Maildir (no "
			"cur/ folder)", m->root);
		free(sub);
		goto bad;
	}
	free(sub);
	if (*c->inbox.handled_folder) {
		if ((rc = make_handled(m, c->inbox.handled_folder, err)) != 0)
			goto bad;
	} else {
		m->dest = xstrdup(m->root);
	}
	rc = keywords_read(m, &m->letter, used, &ignored, err);
	buf_free(&ignored);
	if (rc || (rc = scan(m, "new", err)) != 0 ||
	    (rc = scan(m, "cur", err)) != 0)
		goto bad;
	if (m->files.n > 1)
		qsort(m->files.v, m->files.n, sizeof *m->files.v, cmp_files);
	*out = &m->base;
	return 0;
bad:
	md_close(&m->base);
	return rc;
}
