/* bounce.h - the bounce policy: what a failure reported for a subscriber
 * counts as, and when the count makes the subscriber bounced. One
 * decision for both places that see failures: send (the SMTP answer to
 * RCPT or DATA) and replies (a delivery status notification). */
#ifndef INFOLETTRE_BOUNCE_H
#define INFOLETTRE_BOUNCE_H

#include <stdbool.h>

enum bounce_kind {
	BOUNCE_PERMANENT, /* the address does not exist or is disabled */
	BOUNCE_TRANSIENT, /* anything else: a full mailbox, a message
	                   * refused as spam, a relay's refusal, a delay */
};

/* replies.bounce_threshold and replies.transient_threshold. */
struct bounce_policy {
	long permanent_threshold, transient_threshold;
};

/*
 * What one failure counts as. permanent: the answer was a 5xx or the DSN
 * says "failed". status: the enhanced status code (RFC 3463, "5.1.1"),
 * "" or NULL when none; text: the server's words, or NULL.
 * Permanent when the failure is permanent and says that the address is
 * wrong: a code 5.1.x or 5.2.1 (a specific code decides alone), or, with
 * no code or a generic X.0.0, the usual words of servers ("user
 * unknown", "no such user", "does not exist"…), or nothing at all to go
 * by. Any other failure is transient:
 * 5.7.1 "rejected as spam" or a relay's "relay access denied" say nothing
 * about the address, and must not take a subscriber off the list at once.
 */
enum bounce_kind bounce_kind(bool permanent, const char *status,
	const char *text);

/* Does the count'th bounce of kind (the count store_bounce_add gives:
 * issues that bounced so far, this one included) make the subscriber
 * bounced? Thresholds below 1 count as 1. */
bool bounce_marks(const struct bounce_policy *p, enum bounce_kind kind,
	long count);

/* The threshold of kind under p (at least 1). */
long bounce_threshold(const struct bounce_policy *p, enum bounce_kind kind);

/* The enhanced status code at the start of an SMTP answer's text ("550
 * 5.1.1 …" gives "5.1.1"), or "". */
void bounce_status_code(const char *reply, char out[16]);

#endif
