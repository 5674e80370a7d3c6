/* owner.c - the store and the secret belong to the user who runs us */
#include "owner.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char *
user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw && pw->pw_name && *pw->pw_name ? xstrdup(pw->pw_name) :
	    xasprintf("%lu", (unsigned long)uid);
}

char *
owner_self(void)
{
	return user_name(geteuid());
}

/* 1 when path exists and belongs to someone else (*uid set), else 0. */
static int
other_owner(const char *path, uid_t *uid)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0;
	*uid = st.st_uid;
	return st.st_uid != geteuid();
}

int
owner_check(const char *db, const char *secret, char **owner, char **err)
{
	const char *suffix[] = { "", "-wal", "-shm" };
	const char *what[5];
	char *paths[5], *self;
	size_t n = 0, i;
	uid_t uid = 0;
	int rc = 0;

	*owner = NULL;
	if (db) {
		what[n] = "the store's folder";
		paths[n++] = path_dirname(db);
		for (i = 0; i < 3; i++) {
			what[n] = "the store";
			paths[n++] = xasprintf("%s%s", db, suffix[i]);
		}
	}
	if (secret) {
		what[n] = "the secret file";
		paths[n++] = xstrdup(secret);
	}
	for (i = 0; i < n && !rc; i++) {
		if (!other_owner(paths[i], &uid))
			continue;
		*owner = user_name(uid);
		self = owner_self();
		rc = fail(err, EX_NOPERM, "%s %s belongs to user %s, not to "
			"%s who runs this", what[i], paths[i], *owner, self);
		free(self);
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	return rc;
}
