/* inbox_priv.h - what inbox.c shares with the IMAP and Maildir readers;
 * not for other modules */
#ifndef INFOLETTRE_INBOX_PRIV_H
#define INFOLETTRE_INBOX_PRIV_H

#include "inbox.h"

struct inbox_ops {
	int (*next)(struct inbox *ib, const struct inbox_msg **m, char **err);
	int (*mark)(struct inbox *ib, char **err);
	/* Log out, then free ib and everything it holds. */
	void (*close)(struct inbox *ib);
};

/* The part every reader starts with. */
struct inbox {
	const struct inbox_ops *ops;
	char *describe; /* owned, freed by the reader's close */
};

/* "maildir:PATH": path is what follows the colon. */
int inbox_maildir_open(const struct config *c, const char *path,
	bool readonly, struct inbox **out, char **err);

/* imap:// and imaps:// URLs. */
int inbox_imap_open(const struct config *c, bool readonly,
	struct inbox **out, char **err);

#endif
