/* dkim.h - DKIM signatures (RFC 6376): rsa-sha256 and ed25519-sha256
 * (RFC 8463), relaxed/relaxed, with GnuTLS */
#ifndef INFOLETTRE_DKIM_H
#define INFOLETTRE_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

/*
 * What is signed: h= lists From, Reply-To, To, Subject, Date, Message-ID,
 * MIME-Version, Content-Type, List-Id, List-Unsubscribe,
 * List-Unsubscribe-Post and List-Archive, each as many times as the
 * message holds it; From, Reply-To, Subject and the List-* headers once
 * more (over-signed), so that a header of those names added on the way
 * breaks the signature. No l=: the whole body is signed.
 *
 * t= is the message's Date when that is not later than the signing time
 * ($SOURCE_DATE_EPOCH when set, else the clock), and left out when it is
 * (a signature from the future is ignored by some verifiers); a message
 * without a readable Date gets the signing time. So the same message and
 * key always give the same bytes (RSA PKCS#1 v1.5 and Ed25519 signatures
 * are deterministic).
 */

/* The signing keys of a configuration (one, or two during a rollover). */
struct dkim;

/* Does c have a dkim section (domain, selector or key_file given)? */
bool dkim_configured(const struct config *c);

/*
 * Load the key(s) of c's dkim section: dkim.key_file with dkim.selector
 * and dkim.algorithm, and when dkim.key_file2 or dkim.selector2 is given,
 * the second key too (both signatures are added). The domain is
 * dkim.domain, else the domain of newsletter.from. Returns 0 and sets *out
 * (NULL, with 0, when there is no dkim section; free with dkim_free), or
 * with *err: EX_NOPERM (a key file readable by group or others, or not
 * readable by us), EX_NOINPUT (no key file), EX_CONFIG (selector or key
 * file missing, a bad selector or domain, a file that is not a PEM private
 * key, a key that is not of the algorithm, an RSA key under 1024 bits).
 */
int dkim_open(const struct config *c, struct dkim **out, char **err);

/*
 * Add a key to d (d from dkim_new, or dkim_open's). The same errors as
 * dkim_open; what is named in them is what-prefixed ("dkim.key_file").
 */
struct dkim *dkim_new(void);
int dkim_add_key(struct dkim *d, const char *what, const char *domain,
	const char *selector, const char *algorithm, const char *key_file,
	char **err);

/*
 * Sign msg in place: a complete message with CRLF line ends, as it will
 * be sent. One DKIM-Signature header per key is put before its first
 * header (the first key's on top). d keeps scratch space and a body-hash
 * cache between calls: one d must not be used by two threads at once.
 * Returns 0, or with *err (msg unchanged): EX_DATAERR for a message
 * without a From header or with a header line that has no colon,
 * EX_SOFTWARE when GnuTLS cannot sign.
 */
int dkim_sign(struct dkim *d, struct buf *msg, char **err);

/* Sign msg with the keys of c's dkim section (loaded for this one
 * message); nothing is done without a dkim section. dkim_open's and
 * dkim_sign's errors. */
int dkim_sign_configured(const struct config *c, struct buf *msg,
	char **err);

/* How many keys d holds. */
size_t dkim_nkeys(const struct dkim *d);

/*
 * The DNS record of key i of d: "SELECTOR._domainkey.DOMAIN IN TXT
 * "v=DKIM1; k=rsa; p=…"" on one line, the text split into strings of at
 * most 255 bytes. The caller frees it.
 */
char *dkim_record(const struct dkim *d, size_t i);

void dkim_free(struct dkim *d);

/* Is s a DNS name of letters, digits, hyphens and dots, as a domain or a
 * selector must be (a selector may have dots too: RFC 6376 3.1)? */
bool dkim_name_ok(const char *s);

/*
 * Make a new private key for algorithm ("rsa-sha256": RSA 2048 bits, or
 * "ed25519-sha256") and write it to path as PEM (PKCS #8), mode 0600.
 * Refuses to overwrite: EX_CANTCREAT when path exists or cannot be
 * written; EX_USAGE for an unknown algorithm; EX_SOFTWARE when GnuTLS
 * fails.
 */
int dkim_keygen(const char *algorithm, const char *path, char **err);

/*
 * Relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4), appended to out.
 * dkim_canon_header: one header field (name, colon, value with its
 * folding; a final CRLF is optional) → "name:value\r\n", name lowercased,
 * unfolded, WSP runs made one SP, WSP around the colon and at the end
 * removed. dkim_canon_body: WSP at line ends removed, WSP runs made one
 * SP, empty lines at the end removed, a CRLF added to a last line without
 * one; an empty body stays empty.
 */
void dkim_canon_header(struct buf *out, const char *field, size_t len);
void dkim_canon_body(struct buf *out, const char *body, size_t len);

#endif
