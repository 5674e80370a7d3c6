/* inbox.h - the inbox: IMAP (libetpan) and Maildir readers behind one
 * interface */
#ifndef INFOLETTRE_INBOX_H
#define INFOLETTRE_INBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * A handled message carries the keyword INBOX_KEYWORD and the \Seen flag
 * (and is moved to inbox.handled_folder when that is set); nothing is ever
 * deleted. Only messages without the keyword are read, so a message left
 * unmarked (a person writing to the team) is read again by the next run.
 *
 * IMAP: the keyword is an IMAP keyword. Messages are fetched with
 * BODY.PEEK (reading does not set \Seen), at most inbox.max_size + 1
 * bytes each.
 *
 * Maildir: the keyword is a lowercase Maildir flag letter, the one the
 * Maildir's "dovecot-keywords" file gives INBOX_KEYWORD (the file is made,
 * or the keyword added to it, at the first run that marks anything), so
 * that Dovecot serving the same Maildir shows the same keyword. Unhandled
 * are every file of new/ and the files of cur/ without that letter. A
 * handled file moves from new/ to cur/ with the flags "S" and the letter
 * (":2,Sa"); with inbox.handled_folder it moves to the Maildir++ folder
 * .FOLDER/cur/ of the Maildir instead.
 */
#define INBOX_KEYWORD "$Infolettre"

struct inbox;

/* A message read from the inbox; owned by the inbox. */
struct inbox_msg {
	const char *ref;  /* "UID 42", "new/1780000000.M1P2.host": names the
	                   * message in output; safe to print */
	const char *data; /* its first bytes, at most max_size + 1 of them */
	size_t len;
	size_t size;      /* its whole size (RFC822.SIZE, the file's size) */
};

/*
 * Open the inbox of c->inbox.url: "maildir:PATH" (relative to the
 * configuration's folder), "imaps://HOST[:PORT]/FOLDER" (TLS from the
 * start, port 993) or "imap://HOST[:PORT]/FOLDER" (STARTTLS, port 143;
 * without TLS only when inbox.starttls is false, and then no LOGIN is
 * ever sent: the server must greet with PREAUTH). FOLDER defaults to
 * INBOX. Certificates are verified against the system's CAs, or
 * inbox.ca_file alone when it is set; the host name (or IP address) must
 * match. The password comes from inbox.password_file (mode 0600 or
 * stricter) or inbox.password_env, never from the URL.
 * With readonly (a dry run) nothing in the inbox changes: the IMAP folder
 * is opened with EXAMINE, no Maildir file is written, and inbox_mark
 * must not be called.
 * The IMAP session is set up here (connect, TLS, LOGIN, SELECT, SEARCH).
 * Returns 0 and *out (close with inbox_close), or with *err:
 * EX_CONFIG (bad URL or settings, unknown folder), EX_NOPERM (password
 * file readable by others, login refused), EX_UNAVAILABLE (the server
 * cannot be reached: connection, TLS, certificate, greeting, no STARTTLS),
 * EX_NOINPUT (no such Maildir), EX_IOERR.
 */
int inbox_open(const struct config *c, bool readonly, struct inbox **out,
	char **err);

/*
 * The next unhandled message, oldest first: 0 with *m set (valid until
 * the next call or inbox_close), 0 with *m NULL at the end, or
 * EX_TEMPFAIL (the connection broke: run again) / EX_IOERR with *err.
 */
int inbox_next(struct inbox *ib, const struct inbox_msg **m, char **err);

/*
 * Mark the message inbox_next returned last as handled (see above).
 * Returns 0, or EX_TEMPFAIL / EX_IOERR with *err (the message stays
 * unhandled and is read again next time).
 */
int inbox_mark(struct inbox *ib, char **err);

/* The warning the command prints on every run, before opening, or NULL:
 * set when inbox.starttls is false on imap:// (the inbox travels in
 * clear). The caller frees it. */
char *inbox_warning(const struct config *c);

/* Log out and free (NULL is fine). */
void inbox_close(struct inbox *ib);

#endif
