/* transport_priv.h - what transport.c shares with the maildir and SMTP
 * transports; not for other modules */
#ifndef INFOLETTRE_TRANSPORT_PRIV_H
#define INFOLETTRE_TRANSPORT_PRIV_H

#include "transport.h"

struct transport_ops {
	bool (*ready)(struct transport *t);
	void (*submit)(struct transport *t, struct tmsg *m);
	size_t (*run)(struct transport *t, int timeout_ms);
	/* Wait for what is in flight, then free t and everything it holds. */
	void (*close)(struct transport *t);
};

/* The part every transport starts with; transport.c fills done and ctx
 * after the open function returns. */
struct transport {
	const struct transport_ops *ops;
	transport_done_fn done;
	void *ctx;
	char *describe; /* owned, freed by the implementation's close */
	char *warning;  /* owned or NULL */
	char *config_error; /* owned or NULL: see transport_config_error */
	bool unreachable, auth_failed;
	size_t connections;
};

/* Is s usable as an envelope address: not empty, printable ASCII, no
 * angle brackets (which could smuggle SMTP commands or header lines), a
 * space only inside a valid address's quoted local part? */
bool transport_addr_ok(const char *s);

/* "maildir:PATH": path is what follows the colon. Returns 0 or EX_CONFIG /
 * EX_CANTCREAT with *err. */
int transport_maildir_open(const struct config *c, const char *path,
	struct transport **out, char **err);

/* smtp:// and smtps:// URLs. Returns 0 or EX_CONFIG / EX_NOPERM with *err. */
int transport_smtp_open(const struct config *c, struct transport **out,
	char **err);

#endif
