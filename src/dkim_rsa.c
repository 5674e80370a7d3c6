/*
 * dkim_rsa.c - RSA-SHA256 (PKCS #1 v1.5) signatures with nettle
 *
 * GnuTLS signs through nettle's rsa_pkcs1_sign_tr: the root computed by
 * rsa_sec_compute_root (side-channel silent: GMP's mpn_sec_powm), the
 * message blinded by a fresh random r each time, and the result checked.
 * The fresh blinding needs r's inverse modulo n, computed the
 * side-channel-silent way: that alone costs about as much as the
 * signature. Here the same side-channel-silent root (nettle's
 * rsa_compute_root is rsa_sec_compute_root since nettle 3.5), blinded as
 * RSA implementations classically do it (Kocher 1996; OpenSSL's
 * BN_BLINDING): a random pair (r^e, r^-1) made once per signer and squared
 * after each use, so that blinding costs four multiplications; and every
 * signature checked with the public key before it is used (a fault in
 * the CRT would otherwise give away a factor of n; Boneh, DeMillo and
 * Lipton 1997). The bytes are those GnuTLS makes: a PKCS #1 v1.5
 * signature is the one root of its message.
 */
#include "dkim_rsa.h"

#include <gnutls/crypto.h>
#include <nettle/bignum.h>
#include <nettle/pkcs1.h>
#include <nettle/rsa.h>
#include <nettle/version.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#if NETTLE_VERSION_MAJOR < 3 || \
    (NETTLE_VERSION_MAJOR == 3 && NETTLE_VERSION_MINOR < 5)
#error "nettle 3.5 or later: rsa_compute_root is side-channel silent since"
#endif

#define BLIND_TRIES 8 /* a random r that is not invertible: p or q found */

struct dkim_rsa {
	struct rsa_public_key pub;
	struct rsa_private_key priv; /* p, q and the CRT values; d unset */
	mpz_t blind, unblind;        /* r^e and r^-1 mod n */
};

/* Clears x, its limbs zeroed first. */
static void
wipe(mpz_t x)
{
	size_t n = mpz_size(x);

	if (n > 0)
		explicit_bzero(mpz_limbs_modify(x, (mp_size_t)n),
		    n * sizeof(mp_limb_t));
	mpz_clear(x);
}

/* Frees what gnutls_privkey_export_rsa_raw2 gave, zeroed first. */
static void
datum_wipe(gnutls_datum_t *d)
{
	if (d->data) {
		explicit_bzero(d->data, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* A new random blinding pair. */
static bool
new_blinding(struct dkim_rsa *r)
{
	unsigned char *b = xmalloc(r->pub.size);
	bool ok = false;
	mpz_t x;

	mpz_init(x);
	for (int i = 0; i < BLIND_TRIES && !ok; i++) {
		if (gnutls_rnd(GNUTLS_RND_KEY, b, r->pub.size) < 0)
			break;
		nettle_mpz_set_str_256_u(x, r->pub.size, b);
		mpz_mod(x, x, r->pub.n);
		ok = mpz_cmp_ui(x, 1) > 0 &&
		    mpz_invert(r->unblind, x, r->pub.n) != 0;
	}
	if (ok)
		mpz_powm(r->blind, x, r->pub.e, r->pub.n);
	explicit_bzero(b, r->pub.size);
	free(b);
	wipe(x);
	return ok;
}

struct dkim_rsa *
dkim_rsa_new(gnutls_privkey_t priv)
{
	gnutls_datum_t n = { NULL, 0 }, e = n, p = n, q = n, u = n, e1 = n,
	    e2 = n;
	struct dkim_rsa *r = xcalloc(1, sizeof(*r));
	const unsigned char probe[32] = { 0 };
	struct buf sig = BUF_INIT;
	bool ok;

	rsa_public_key_init(&r->pub);
	rsa_private_key_init(&r->priv);
	mpz_init(r->blind);
	mpz_init(r->unblind);
	ok = gnutls_privkey_export_rsa_raw2(priv, &n, &e, NULL, &p, &q, &u,
	    &e1, &e2, 0) >= 0;
	if (ok) {
		nettle_mpz_set_str_256_u(r->pub.n, n.size, n.data);
		nettle_mpz_set_str_256_u(r->pub.e, e.size, e.data);
		nettle_mpz_set_str_256_u(r->priv.p, p.size, p.data);
		nettle_mpz_set_str_256_u(r->priv.q, q.size, q.data);
		nettle_mpz_set_str_256_u(r->priv.a, e1.size, e1.data);
		nettle_mpz_set_str_256_u(r->priv.b, e2.size, e2.data);
		nettle_mpz_set_str_256_u(r->priv.c, u.size, u.data);
		ok = rsa_public_key_prepare(&r->pub) &&
		    rsa_private_key_prepare(&r->priv) &&
		    r->pub.size == r->priv.size && new_blinding(r);
	}
	datum_wipe(&p);
	datum_wipe(&q);
	datum_wipe(&u);
	datum_wipe(&e1);
	datum_wipe(&e2);
	gnutls_free(n.data);
	gnutls_free(e.data);
	/* one signature that verifies: the parts are those of one key */
	if (!ok || dkim_rsa_sign(r, probe, &sig) != 0) {
		dkim_rsa_free(r);
		r = NULL;
	}
	buf_free(&sig);
	return r;
}

int
dkim_rsa_sign(struct dkim_rsa *r, const unsigned char digest[32],
	struct buf *out)
{
	mpz_t m, s;
	int rc = -1;

	mpz_init(m);
	mpz_init(s);
	if (pkcs1_rsa_sha256_encode_digest(m, r->priv.size, digest)) {
		mpz_mul(m, m, r->blind);
		mpz_mod(m, m, r->pub.n);
		rsa_compute_root(&r->priv, s, m);
		mpz_mul(s, s, r->unblind);
		mpz_mod(s, s, r->pub.n);
		/* the next pair: (r^2)^e and (r^2)^-1 */
		mpz_mul(r->blind, r->blind, r->blind);
		mpz_mod(r->blind, r->blind, r->pub.n);
		mpz_mul(r->unblind, r->unblind, r->unblind);
		mpz_mod(r->unblind, r->unblind, r->pub.n);
		if (rsa_sha256_verify_digest(&r->pub, digest, s)) {
			buf_grow(out, r->pub.size);
			nettle_mpz_get_str_256(r->pub.size,
			    (uint8_t *)out->data + out->len, s);
			out->len += r->pub.size;
			out->data[out->len] = '\0';
			rc = 0;
		}
	}
	mpz_clear(m);
	mpz_clear(s);
	return rc;
}

void
dkim_rsa_free(struct dkim_rsa *r)
{
	if (!r)
		return;
	wipe(r->priv.p);
	wipe(r->priv.q);
	wipe(r->priv.a);
	wipe(r->priv.b);
	wipe(r->priv.c);
	mpz_clear(r->priv.d);
	wipe(r->blind);
	wipe(r->unblind);
	rsa_public_key_clear(&r->pub);
	free(r);
}
