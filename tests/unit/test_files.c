/* test_files.c - files replaced as a careful Unix tool replaces them: a
 * temporary name nobody can guess (the old FILE.tmp.PID was pre-created or
 * pointed elsewhere by another user), the mode set before any data, the
 * target's symbolic link replaced and never followed, nothing left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "unit.h"
#include "util.h"

static char dir[] = "/tmp/test_files.XXXXXX";

static char *
at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *
slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	if (read_file(path, 1 << 20, &data, &len) != 0)
		return xstrdup("(unreadable)");
	return data;
}

/* The names in dir, sorted, space-separated. */
static char *
names(void)
{
	struct dirent **v;
	struct buf b = BUF_INIT;
	int n = scandir(dir, &v, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			buf_printf(&b, "%s%s", b.len ? " " : "", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return buf_detach(&b);
}

static void
clean(void)
{
	char *cmd = xasprintf("rm -rf '%s'/* '%s'/.[!.]*", dir, dir);

	if (system(cmd) != 0)
		printf("FAIL cleanup\n");
	free(cmd);
}

/* The names the old code used, pre-created by someone else: a symbolic
 * link to a file of the victim's, and a file of the attacker's. */
static void
test_predictable_names(void)
{
	char *path = at("out.txt"), *notes = at("notes"), *bait = at("bait");
	char *old = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *s;
	struct stat st;

	CHECK_INT(write_file_atomic(notes, "mine\n", 5, 0600), 0);
	CHECK_INT(symlink(notes, old), 0);
	CHECK_INT(write_file_atomic(path, "new data\n", 9, 0600), 0);
	s = slurp(notes);
	CHECK_STR(s, "mine\n");
	free(s);
	s = slurp(path);
	CHECK_STR(s, "new data\n");
	free(s);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(old);

	/* a file of someone else's at the old name, open to all */
	CHECK_INT(write_file_atomic(bait, "", 0, 0666), 0);
	chmod(bait, 0666);
	CHECK_INT(rename(bait, old), 0);
	CHECK_INT(write_file_atomic(path, "secret data\n", 12, 0600), 0);
	CHECK(stat(old, &st) == 0 && st.st_size == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(path);
	free(notes);
	free(bait);
	free(old);
	clean();
}

/* A symbolic link at the target itself is replaced, never written
 * through. */
static void
test_link_at_target(void)
{
	char *path = at("out.txt"), *notes = at("notes"), *s;
	struct stat st;

	CHECK_INT(write_file_atomic(notes, "mine\n", 5, 0644), 0);
	CHECK_INT(symlink("notes", path), 0);
	CHECK_INT(write_file_atomic(path, "new\n", 4, 0600), 0);
	s = slurp(notes);
	CHECK_STR(s, "mine\n");
	free(s);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		(st.st_mode & 0777) == 0600);
	free(path);
	free(notes);
	clean();
}

/* The temporary file: beside the target, hidden, unguessable, with its
 * mode (less the umask) before anything is written; nothing is left. */
static void
test_temp(void)
{
	char *path = at("export.csv"), *tmp = NULL, *s;
	struct stat st;
	mode_t old = umask(027);
	int fd;

	fd = file_create_temp(path, 0644, &tmp);
	CHECK(fd >= 0 && tmp);
	if (fd >= 0) {
		CHECK(str_starts(tmp, dir) && strstr(tmp, "/.export.csv."));
		CHECK(fstat(fd, &st) == 0 && st.st_size == 0 &&
			(st.st_mode & 0777) == 0640);
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	umask(077);
	CHECK_INT(write_file_atomic(path, "a\n", 2, 0644), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	umask(022);
	CHECK_INT(write_file_atomic(path, "b\n", 2, 0644), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	umask(old);
	s = names();
	CHECK_STR(s, "export.csv");
	free(s);

	/* a failed rename (the target is a folder) leaves nothing */
	free(path);
	path = at("folder");
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK(write_file_atomic(path, "x", 1, 0644) != 0);
	s = names();
	CHECK_STR(s, "export.csv folder");
	free(s);
	/* nor does a folder that does not exist */
	free(path);
	path = at("nope/x.txt");
	CHECK_INT(write_file_atomic(path, "x", 1, 0644), ENOENT);
	CHECK(file_create_temp(path, 0600, &tmp) < 0 && errno == ENOENT &&
		tmp == NULL);
	free(path);
	clean();
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		printf("FAIL setup: mkdtemp\n");
		return 1;
	}
	RUN(test_predictable_names);
	RUN(test_link_at_target);
	RUN(test_temp);
	rmdir(dir);
	return 0;
}
