/* config.h - infolettre.yaml read into a struct, with file:line:col errors */
#ifndef INFOLETTRE_CONFIG_H
#define INFOLETTRE_CONFIG_H

#include <stdbool.h>

#include "util.h"

/* How a section (transport, inbox) signs in. */
struct config_oauth2 {
	char *token_url, *client_id, *client_secret_file, *scope;
	char *refresh_token_file, *ca_file;
};

struct config {
	char *path; /* the configuration file as found */
	char *dir;  /* its folder: relative paths resolve against it */

	struct {
		char *title, *from, *reply_to, *list_id;
		char *language; /* "fr" or "en" */
		char *timezone;
	} newsletter;
	struct {
		char *root; /* resolved path */
		char *base_url; /* always ends with '/' */
		struct strlist posts, events;
		char *archive_url; /* may hold "{month}" */
	} site;
	struct {
		char *url, *mailto, *bounce;
	} unsubscribe;
	struct {
		char *url;
		char *username, *password_file, *password_env;
		char *auth; /* plain, login, xoauth2, oauthbearer */
		struct strlist password_command, token_command; /* argv */
		struct config_oauth2 oauth2;
		bool starttls;
		char *ca_file;
		long concurrency;
		double rate;
		long max_per_connection;
		long timeout_connect, timeout_greeting, timeout_command,
			timeout_data;
		long retries;       /* send: attempts after the first, per run */
		double retry_delay; /* send: seconds before the first retry,
		                     * doubled for each next one */
	} transport;
	struct {
		char *url;
		char *username, *password_file, *password_env;
		char *auth;
		struct strlist password_command, token_command;
		struct config_oauth2 oauth2;
		bool starttls;
		char *ca_file;
		char *handled_folder; /* "" = keep in place, set a keyword */
		long max_size;
	} inbox;
	struct {
		char *database, *secret_file;
	} subscribers;
	struct {
		long image_max_size;
		bool calendar;    /* the events as calendar entries */
		long message_max_size;
	} compose;
	struct {
		long feed_entries; /* the Atom feed's last N issues */
	} archive;
	struct {
		char *unverified; /* "confirm" or "accept" */
		long bounce_threshold, transient_threshold;
		long confirm_interval;    /* days between confirmation
		                          * requests to one subscriber */
		char *unproven_bounces;   /* "ignore" or "act" */
	} replies;
	struct {
		char *url;           /* the form's endpoint: infolettre cgi's
		                      * subscribe route ("" = no form) */
		long confirm_days;   /* a confirmation token's life */
		long pending_days;   /* then a request never confirmed is
		                      * erased */
		long resend_hours;   /* one confirmation message per address
		                      * per this */
		long hourly_cap;     /* confirmation messages per hour */
		long min_seconds;    /* a form posted sooner is a robot's */
		char *consent_text;  /* "" = the language's default sentence */
		char *consent_version; /* recorded with each consent */
	} subscribe;
	struct {
		char *domain, *selector, *key_file, *algorithm;
		char *selector2, *key_file2, *algorithm2;
	} dkim;
	char *issues;    /* resolved path */
	char *templates; /* resolved path */
	/* No templates key and no templates found: every folder looked at,
	 * ", "-separated (templates then holds the last one); else NULL. */
	char *templates_tried;
};

/* Which file to read: opt (from -c) if given, else $INFOLETTRE_CONFIG,
 * else "./infolettre.yaml". Returns a static or borrowed string. */
const char *config_locate(const char *opt);

/* Read and check the configuration file at path. On success *out holds a
 * new config the caller frees with config_free. On failure returns
 * EX_CONFIG (or EX_NOINPUT when the file does not exist) and *err says
 * "FILE:LINE:COL: reason". Also sets TZ to newsletter.timezone. */
int config_load(const char *path, struct config **out, char **err);

/*
 * Is c->templates a folder of templates? With no templates key, config_load
 * takes the first of these folders that holds newsletter.html.tpl: the
 * configuration's folder's templates/, the running binary's folder's
 * templates/ (a build in a checkout), ../share/infolettre/templates from
 * the binary's folder (an installed binary, whatever its PREFIX), then
 * the compiled-in DATADIR/templates. Returns 0, or EX_NOINPUT with *err
 * naming every place looked at (or the configured folder) and how to fix
 * it.
 */
int config_templates(const struct config *c, char **err);

/* Free a configuration from config_load (NULL is fine). */
void config_free(struct config *c);

/* The archive URL for month "YYYY-MM" ({month} replaced); caller frees.
 * NULL when no archive_url is configured. */
char *config_archive_url(const struct config *c, const char *month);

/*
 * The password of a section ("transport", "inbox") from its password_file
 * (a regular file of mode 0600 or stricter holding one line; one trailing
 * newline dropped) or from the environment variable its password_env
 * names; never from the configuration itself. Returns 0 and sets *out
 * (the caller wipes and frees it), EX_NOPERM for a file others may read,
 * else EX_CONFIG; *err never holds the password.
 */
int config_password(const char *section, const char *file, const char *env,
	char **out, char **err);

/* The one line of a secret file (mode 0600 or stricter, a regular file;
 * one trailing newline dropped) named by configuration key key, for
 * errors: 0 and *out (the caller wipes and frees it), EX_NOPERM for a
 * file others may read, else EX_CONFIG. */
int config_secret_file(const char *key, const char *file, char **out,
	char **err);

#endif
