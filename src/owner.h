/* owner.h - one owner for the data: the subscriber store and the list's
 * secret belong to the user every command and the web endpoint run as */
#ifndef INFOLETTRE_OWNER_H
#define INFOLETTRE_OWNER_H

/*
 * Do the store at db (with its -wal and -shm files and its folder) and the
 * secret file (the file alone: it may sit in a folder of the system's),
 * as far as they exist, belong to the process's effective user? Another
 * user's store would be left with files this process creates (the -wal
 * and -shm files of a WAL database), which its owner cannot then open.
 * Returns 0, or EX_NOPERM with *err ("PATH belongs to user NAME, not to
 * USER who runs this") and *owner (the owner's name, or its uid when it
 * has none; the caller frees it). Either of db and secret may be NULL.
 */
int owner_check(const char *db, const char *secret, char **owner,
	char **err);

/* The name of the process's effective user (or its uid); caller frees. */
char *owner_self(void);

#endif
