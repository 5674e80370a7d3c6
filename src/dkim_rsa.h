/* dkim_rsa.h - RSA-SHA256 (PKCS #1 v1.5) signatures for dkim.c, made with
 * OpenSSL's libcrypto */
#ifndef INFOLETTRE_DKIM_RSA_H
#define INFOLETTRE_DKIM_RSA_H

#include <gnutls/abstract.h>

#include "buf.h"

/* A signer of one key: one thread at a time. */
struct dkim_rsa;

/*
 * The signer of priv, an RSA private key, or NULL when the key, as
 * GnuTLS exports it, does not make a signature that verifies (the caller
 * then signs with GnuTLS, as before). The signer holds its own copy of
 * the key; free it with dkim_rsa_free.
 */
struct dkim_rsa *dkim_rsa_new(gnutls_privkey_t priv);

/*
 * Appends to out the signature of digest, a SHA-256 hash: as many bytes
 * as the modulus. Returns 0, or -1 when the signature made does not
 * verify with the public key (a fault while computing; nothing is
 * appended).
 */
int dkim_rsa_sign(struct dkim_rsa *r, const unsigned char digest[32],
	struct buf *out);

/* Frees r, its copy of the key wiped first. NULL is fine. */
void dkim_rsa_free(struct dkim_rsa *r);

#endif
