/* addr.h - e-mail addresses, decided once: the grammar the store accepts
 * and send can deliver (RFC 5321 without SMTPUTF8, internationalised
 * domains), the key that makes an address unique, its domain, its form
 * on the wire (domains as A-labels, libidn2), plus-addressing
 * (bounces+TOKEN@) and the address inside "Name <addr>". */
#ifndef INFOLETTRE_ADDR_H
#define INFOLETTRE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* An address, its wire form and its key are at most 254 bytes. */
#define ADDR_MAX 254

/*
 * Why the n bytes at s are not an address this program can deliver to,
 * or NULL. Accepted: a local part that is a dot-atom or a quoted string
 * of printable ASCII (no '<' or '>'), at most 64 bytes; "@"; a domain of
 * at least two labels, LDH or Unicode (valid IDNA2008 under UTS #46,
 * checked by libidn2), at most 253 bytes as A-labels; at most ADDR_MAX
 * bytes on the wire. Refused: a local part with non-ASCII characters
 * (SMTP cannot carry it without SMTPUTF8), address literals, spaces and
 * control characters outside quotes, invalid UTF-8.
 */
const char *addr_error(const char *s, size_t n);

/* addr_error(s, strlen(s)) == NULL. */
bool addr_valid(const char *s);

/* The form for SMTP and headers: s with its domain in A-labels (an ASCII
 * domain is kept as written). NULL when s is not valid. Caller frees. */
char *addr_wire(const char *s);

/* The key of s into key (ADDR_MAX + 1 bytes): the local part as written
 * (it may be case-sensitive), "@", the domain in A-labels, lowercased;
 * two addresses with one key are one subscriber. -1 (key "") when s is
 * not valid, else 0. */
int addr_key(const char *s, char key[ADDR_MAX + 1]);

/* addr_error() and addr_key() in one pass, for the n bytes at s: why they
 * are not an address (key ""), or NULL with the key in key. */
const char *addr_check_key(const char *s, size_t n, char key[ADDR_MAX + 1]);

/* The domain of s (after its last '@'; a quoted local part may hold
 * '@'), or "" without one. Points into s. */
const char *addr_domain(const char *s);

/* "local+tag@domain" of addr (caller frees). */
char *addr_plus(const char *addr, const char *tag);

/* The address of "Name <addr>", "\"Name\" <addr>" or "addr", trimmed
 * (caller frees). */
char *addr_of(const char *mailbox);

/* Is s all printable ASCII (what a header or SMTP command can hold)? */
bool addr_ascii(const char *s);

#endif
