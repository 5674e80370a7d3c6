/* subscribe.h - the double opt-in: the subscribe form, the confirmation
 * message with its token, and what the configuration says of them. The
 * web side (infolettre cgi) and the mail side (infolettre replies) both
 * come here; the store keeps the requests (store_optin_*). */
#ifndef INFOLETTRE_SUBSCRIBE_H
#define INFOLETTRE_SUBSCRIBE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "store.h"

/* The limits of c's subscribe section, for store_optin_request; the
 * consent text recorded is "VERSION: SENTENCE" (caller frees
 * lim->consent_text with free((char *)…)). */
void subscribe_limits(const struct config *c, struct store_optin_limits *lim);

/* The consent sentence shown beside the button: subscribe.consent_text,
 * or the list language's default. Caller frees. */
char *subscribe_consent(const struct config *c);

/*
 * The form as HTML (templates/subscribe-form.html.tpl): a plain <form>
 * posting to action, with the email and name fields (values given, may be
 * NULL), the honeypot field, the signed time (token_stamp_make of now),
 * the consent sentence and the button; error, when not NULL, is said
 * above the fields. Returns 0 and *html (caller frees), or EX_CONFIG /
 * EX_SOFTWARE with *err.
 */
int subscribe_form(const struct config *c, const unsigned char *secret,
	size_t secret_len, long long now, const char *action,
	const char *email, const char *name, const char *error, char **html,
	char **err);

/* The confirmation link of token: subscribe.url with c=TOKEN. Caller
 * frees. */
char *subscribe_link(const struct config *c, const char *token);

/*
 * The confirmation message to subscriber (id, email), made at now:
 * From newsletter.from, To email, Reply-To newsletter.reply_to (or From),
 * Message-ID <subscribe-UNIQUE.CTOKEN@domain>, Auto-Submitted:
 * auto-generated, multipart/alternative text (labels) and HTML
 * (templates/subscribe-mail.html.tpl), the link (subscribe_link) and
 * "or simply reply"; the token expires subscribe.confirm_days after now.
 * Appends it to out. Returns 0, or a status with *err.
 */
int subscribe_message(const struct config *c, const unsigned char *secret,
	size_t secret_len, long long id, const char *email, long long now,
	struct buf *out, char **err);

/*
 * Send the confirmation message of request o (store_optin_request said
 * o->send) to email through the configured transport, at once. When it
 * could not go (deferred, refused, the transport cannot open), the
 * request is counted unsent (store_optin_unsend) and the status says why
 * (EX_TEMPFAIL, EX_UNAVAILABLE, the transport's); *err says it without
 * any secret.
 */
int subscribe_send(const struct config *c, struct store *st,
	const unsigned char *secret, size_t secret_len, const char *email,
	const struct store_optin *o, long long now, char **err);

#endif
