/* transport_maildir.c - one file per message in a Maildir (tmp/, then new/) */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "transport_priv.h"
#include "util.h"

struct maildir {
	struct transport base;
	char *path;
	int tmpfd, newfd; /* the tmp/ and new/ folders */
	long pid;
	unsigned long counter;
};

/* mkdir -p with mode 0700 for what is created. Returns 0 or an errno. */
static int
mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	struct stat st;
	int e = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			e = errno;
		else if (stat(p, &st) < 0)
			e = errno;
		else if (!S_ISDIR(st.st_mode))
			e = ENOTDIR;
		*s = c;
		if (e || c == '\0')
			break;
	}
	free(p);
	return e;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write m into tmp/NAME, fsync, move it to new/NAME and fsync new/: only
 * then is it delivered. Returns 0 or an errno; name receives the file name. */
static int
deliver(struct maildir *md, struct tmsg *m, char *name, size_t size)
{
	struct buf hdr = BUF_INIT;
	struct timespec ts;
	int fd = -1, e = 0, tries;

	/* time.MusecPpidQcounter.infolettre: unique without the host name */
	for (tries = 0; tries < 100; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(name, size, "%lld.M%06ldP%ldQ%lu.infolettre",
			(long long)ts.tv_sec, ts.tv_nsec / 1000, md->pid,
			++md->counter);
		fd = openat(md->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
			O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return errno;
	buf_printf(&hdr, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
		m->mail_from, m->rcpt);
	e = write_all(fd, hdr.data, hdr.len);
	buf_free(&hdr);
	if (!e)
		e = write_all(fd, m->data, m->len);
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e) {
		/* link() never replaces an existing file; rename() is the
		 * fallback for file systems without hard links. */
		if (linkat(md->tmpfd, name, md->newfd, name, 0) == 0)
			unlinkat(md->tmpfd, name, 0);
		else if (errno == EEXIST)
			e = EEXIST;
		else if (renameat(md->tmpfd, name, md->newfd, name) < 0)
			e = errno;
	}
	if (!e && fsync(md->newfd) < 0) {
		e = errno;
		unlinkat(md->newfd, name, 0);
	}
	if (e)
		unlinkat(md->tmpfd, name, 0);
	return e;
}

static bool
md_ready(struct transport *t)
{
	(void)t;
	return true;
}

static void
md_submit(struct transport *t, struct tmsg *m)
{
	struct maildir *md = (struct maildir *)t;
	char name[128], *reply;
	int e;

	if (!transport_addr_ok(m->rcpt)) {
		t->done(t->ctx, m, T_FAILED, 0, "invalid recipient address");
		return;
	}
	if (!transport_addr_ok(m->mail_from)) {
		t->done(t->ctx, m, T_DEFERRED, 0, "invalid sender address");
		return;
	}
	if (m->prepare) {
		char *perr = NULL, *why;

		if (m->prepare(m, &perr) != 0) {
			why = sanitize(perr ? perr : "cannot prepare the message");
			free(perr);
			t->done(t->ctx, m, T_DEFERRED, 0, why);
			free(why);
			return;
		}
	}
	/* Any error, a full disk first, leaves the message to try again. */
	if ((e = deliver(md, m, name, sizeof(name))) != 0) {
		reply = xasprintf("maildir %s: %s", md->path, strerror(e));
		t->done(t->ctx, m, T_DEFERRED, 0, reply);
	} else {
		reply = xasprintf("new/%s", name);
		t->done(t->ctx, m, T_SENT, 0, reply);
	}
	free(reply);
}

static size_t
md_run(struct transport *t, int timeout_ms)
{
	(void)t;
	(void)timeout_ms;
	return 0;
}

static void
md_close(struct transport *t)
{
	struct maildir *md = (struct maildir *)t;

	if (md->tmpfd >= 0)
		close(md->tmpfd);
	if (md->newfd >= 0)
		close(md->newfd);
	free(md->path);
	free(md->base.describe);
	free(md);
}

static const struct transport_ops maildir_ops = {
	md_ready, md_submit, md_run, md_close,
};

int
transport_maildir_open(const struct config *c, const char *path,
	struct transport **out, char **err)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct maildir *md;
	char *dir;
	int e;

	if (!*path)
		return fail(err, EX_CONFIG, "transport.url: \"maildir:\" needs "
			"a folder (maildir:PATH)");
	md = xcalloc(1, sizeof(*md));
	md->base.ops = &maildir_ops;
	md->tmpfd = md->newfd = -1;
	md->pid = (long)getpid();
	md->path = path_join(c->dir, path);
	md->base.describe = xasprintf("maildir:%s", md->path);
	for (size_t i = 0; i < 3; i++) {
		dir = xasprintf("%s/%s", md->path, sub[i]);
		e = mkdirs(dir);
		free(dir);
		if (e) {
			fail(err, EX_CANTCREAT, "%s: cannot create the Maildir: %s",
				md->path, strerror(e));
			md_close(&md->base);
			return EX_CANTCREAT;
		}
	}
	dir = xasprintf("%s/tmp", md->path);
	md->tmpfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	dir = xasprintf("%s/new", md->path);
	md->newfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (md->tmpfd < 0 || md->newfd < 0) {
		fail(err, EX_CANTCREAT, "%s: cannot open the Maildir: %s",
			md->path, strerror(errno));
		md_close(&md->base);
		return EX_CANTCREAT;
	}
	*out = &md->base;
	return 0;
}
