/* config.c - infolettre.yaml through libyaml, checked against a key table */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"

#ifndef DATADIR
#define DATADIR "/usr/local/share/infolettre"
#endif

enum ktype { K_STR, K_PATH, K_INT, K_NUM, K_BOOL, K_LIST, K_ENUM };

#define REQUIRED 1

struct key {
	const char *name; /* dotted: "newsletter.title" */
	enum ktype type;
	size_t off;
	int flags;
	const char *def; /* default, as YAML text would give it; NULL = none */
	const char *choices; /* K_ENUM: "fr|en"; K_INT: "min|max" */
};

#define O(f) offsetof(struct config, f)

/* Every key infolettre.yaml may hold. Sections are the prefixes. */
static const struct key keys[] = {
	{ "newsletter.title", K_STR, O(newsletter.title), REQUIRED, NULL, NULL },
	{ "newsletter.from", K_STR, O(newsletter.from), REQUIRED, NULL, NULL },
	{ "newsletter.reply_to", K_STR, O(newsletter.reply_to), 0, "", NULL },
	{ "newsletter.list_id", K_STR, O(newsletter.list_id), 0, "", NULL },
	{ "newsletter.language", K_ENUM, O(newsletter.language), 0, "fr", "fr|en" },
	{ "newsletter.timezone", K_STR, O(newsletter.timezone), 0, "Europe/Paris", NULL },
	{ "site.root", K_PATH, O(site.root), REQUIRED, NULL, NULL },
	{ "site.base_url", K_STR, O(site.base_url), REQUIRED, NULL, NULL },
	{ "site.posts", K_LIST, O(site.posts), 0, "post", NULL },
	{ "site.events", K_LIST, O(site.events), 0, "event", NULL },
	{ "site.archive_url", K_STR, O(site.archive_url), 0, "", NULL },
	{ "unsubscribe.url", K_STR, O(unsubscribe.url), 0, "", NULL },
	{ "unsubscribe.mailto", K_STR, O(unsubscribe.mailto), 0, "", NULL },
	{ "unsubscribe.bounce", K_STR, O(unsubscribe.bounce), 0, "", NULL },
	{ "transport.url", K_STR, O(transport.url), 0, "maildir:outbox", NULL },
	{ "transport.username", K_STR, O(transport.username), 0, "", NULL },
	{ "transport.password_file", K_PATH, O(transport.password_file), 0, "", NULL },
	{ "transport.password_env", K_STR, O(transport.password_env), 0, "", NULL },
	{ "transport.auth", K_ENUM, O(transport.auth), 0, "plain", "plain|login|xoauth2|oauthbearer" },
	{ "transport.password_command", K_LIST, O(transport.password_command), 0, "", NULL },
	{ "transport.token_command", K_LIST, O(transport.token_command), 0, "", NULL },
	{ "transport.oauth2.token_url", K_STR, O(transport.oauth2.token_url), 0, "", NULL },
	{ "transport.oauth2.client_id", K_STR, O(transport.oauth2.client_id), 0, "", NULL },
	{ "transport.oauth2.client_secret_file", K_PATH, O(transport.oauth2.client_secret_file), 0, "", NULL },
	{ "transport.oauth2.scope", K_STR, O(transport.oauth2.scope), 0, "", NULL },
	{ "transport.oauth2.refresh_token_file", K_PATH, O(transport.oauth2.refresh_token_file), 0, "", NULL },
	{ "transport.oauth2.ca_file", K_PATH, O(transport.oauth2.ca_file), 0, "", NULL },
	{ "transport.starttls", K_BOOL, O(transport.starttls), 0, "true", NULL },
	{ "transport.ca_file", K_PATH, O(transport.ca_file), 0, "", NULL },
	{ "transport.concurrency", K_INT, O(transport.concurrency), 0, "4", "1|64" },
	{ "transport.rate", K_NUM, O(transport.rate), 0, "0", NULL },
	{ "transport.max_per_connection", K_INT, O(transport.max_per_connection), 0, "100", "1|1000000" },
	/* RFC 5321 4.5.3.2: greeting 5 min, commands 5 min, end of data 10 min */
	{ "transport.timeout_connect", K_INT, O(transport.timeout_connect), 0, "60", "1|3600" },
	{ "transport.timeout_greeting", K_INT, O(transport.timeout_greeting), 0, "300", "1|3600" },
	{ "transport.timeout_command", K_INT, O(transport.timeout_command), 0, "300", "1|3600" },
	{ "transport.timeout_data", K_INT, O(transport.timeout_data), 0, "600", "1|3600" },
	/* send: a deferred message is tried again after retry_delay seconds,
	 * then twice that, and so on, retries times within one run */
	{ "transport.retries", K_INT, O(transport.retries), 0, "3", "0|20" },
	{ "transport.retry_delay", K_NUM, O(transport.retry_delay), 0, "1", NULL },
	{ "inbox.url", K_STR, O(inbox.url), 0, "maildir:inbox", NULL },
	{ "inbox.username", K_STR, O(inbox.username), 0, "", NULL },
	{ "inbox.password_file", K_PATH, O(inbox.password_file), 0, "", NULL },
	{ "inbox.password_env", K_STR, O(inbox.password_env), 0, "", NULL },
	{ "inbox.auth", K_ENUM, O(inbox.auth), 0, "plain", "plain|login|xoauth2|oauthbearer" },
	{ "inbox.password_command", K_LIST, O(inbox.password_command), 0, "", NULL },
	{ "inbox.token_command", K_LIST, O(inbox.token_command), 0, "", NULL },
	{ "inbox.oauth2.token_url", K_STR, O(inbox.oauth2.token_url), 0, "", NULL },
	{ "inbox.oauth2.client_id", K_STR, O(inbox.oauth2.client_id), 0, "", NULL },
	{ "inbox.oauth2.client_secret_file", K_PATH, O(inbox.oauth2.client_secret_file), 0, "", NULL },
	{ "inbox.oauth2.scope", K_STR, O(inbox.oauth2.scope), 0, "", NULL },
	{ "inbox.oauth2.refresh_token_file", K_PATH, O(inbox.oauth2.refresh_token_file), 0, "", NULL },
	{ "inbox.oauth2.ca_file", K_PATH, O(inbox.oauth2.ca_file), 0, "", NULL },
	{ "inbox.starttls", K_BOOL, O(inbox.starttls), 0, "true", NULL },
	{ "inbox.ca_file", K_PATH, O(inbox.ca_file), 0, "", NULL },
	{ "inbox.handled_folder", K_STR, O(inbox.handled_folder), 0, "", NULL },
	{ "inbox.max_size", K_INT, O(inbox.max_size), 0, "1048576", "1024|1073741824" },
	{ "subscribers.database", K_PATH, O(subscribers.database), 0, "subscribers/subscribers.db", NULL },
	{ "subscribers.secret_file", K_PATH, O(subscribers.secret_file), 0, "subscribers/secret.key", NULL },
	{ "compose.image_max_size", K_INT, O(compose.image_max_size), 0, "204800", "0|104857600" },
	{ "compose.calendar", K_BOOL, O(compose.calendar), 0, "true", NULL },
	{ "compose.message_max_size", K_INT, O(compose.message_max_size), 0, "1048576", "0|1073741824" },
	{ "archive.feed_entries", K_INT, O(archive.feed_entries), 0, "20", "1|1000" },
	{ "replies.unverified", K_ENUM, O(replies.unverified), 0, "confirm", "confirm|accept" },
	{ "replies.bounce_threshold", K_INT, O(replies.bounce_threshold), 0, "1", "1|100" },
	{ "replies.transient_threshold", K_INT, O(replies.transient_threshold), 0, "3", "1|100" },
	{ "replies.confirm_interval", K_INT, O(replies.confirm_interval), 0, "7", "0|365" },
	{ "replies.unproven_bounces", K_ENUM, O(replies.unproven_bounces), 0, "ignore", "ignore|act" },
	{ "subscribe.url", K_STR, O(subscribe.url), 0, "", NULL },
	{ "subscribe.confirm_days", K_INT, O(subscribe.confirm_days), 0, "7", "1|365" },
	{ "subscribe.pending_days", K_INT, O(subscribe.pending_days), 0, "30", "1|3650" },
	{ "subscribe.resend_hours", K_INT, O(subscribe.resend_hours), 0, "24", "1|8760" },
	{ "subscribe.hourly_cap", K_INT, O(subscribe.hourly_cap), 0, "100", "1|1000000" },
	{ "subscribe.min_seconds", K_INT, O(subscribe.min_seconds), 0, "3", "0|3600" },
	{ "subscribe.consent_text", K_STR, O(subscribe.consent_text), 0, "", NULL },
	{ "subscribe.consent_version", K_STR, O(subscribe.consent_version), 0, "1", NULL },
	{ "dkim.domain", K_STR, O(dkim.domain), 0, "", NULL },
	{ "dkim.selector", K_STR, O(dkim.selector), 0, "", NULL },
	{ "dkim.key_file", K_PATH, O(dkim.key_file), 0, "", NULL },
	{ "dkim.algorithm", K_ENUM, O(dkim.algorithm), 0, "rsa-sha256", "rsa-sha256|ed25519-sha256" },
	{ "dkim.selector2", K_STR, O(dkim.selector2), 0, "", NULL },
	{ "dkim.key_file2", K_PATH, O(dkim.key_file2), 0, "", NULL },
	{ "dkim.algorithm2", K_ENUM, O(dkim.algorithm2), 0, "ed25519-sha256", "rsa-sha256|ed25519-sha256" },
	{ "issues", K_PATH, O(issues), 0, "issues", NULL },
	{ "templates", K_PATH, O(templates), 0, "", NULL },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
config_locate(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("INFOLETTRE_CONFIG");
	if (env && *env)
		return env;
	return "infolettre.yaml";
}

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
is_section(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].name, name, n) == 0 && keys[i].name[n] == '.')
			return true;
	return false;
}

/* The valid keys under a section ("" = top level), for error messages. */
static char *
valid_keys(const char *section)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(section);

	for (size_t i = 0; i < NKEYS; i++) {
		const char *k = keys[i].name, *rest, *dot;

		if (n) {
			if (strncmp(k, section, n) != 0 || k[n] != '.')
				continue;
			rest = k + n + 1;
		} else {
			rest = k;
		}
		dot = strchr(rest, '.');
		size_t len = dot ? (size_t)(dot - rest) : strlen(rest);
		/* skip repeats of a section name at top level */
		if (b.len) {
			char *prev = xstrndup(rest, len);
			bool seen = false;
			const char *s = b.data;
			while (s && *s) {
				const char *e = strstr(s, ", ");
				size_t l = e ? (size_t)(e - s) : strlen(s);
				if (l == len && memcmp(s, prev, len) == 0)
					seen = true;
				s = e ? e + 2 : NULL;
			}
			free(prev);
			if (seen)
				continue;
			buf_puts(&b, ", ");
		}
		buf_put(&b, rest, len);
	}
	return buf_detach(&b);
}

struct loader {
	struct config *c;
	const char *file;
	yaml_document_t *doc;
	bool seen[NKEYS]; /* in the file */
	bool set[NKEYS];  /* in the file, and not null */
	yaml_mark_t marks[NKEYS]; /* where each key's value was */
	char *err;
	int status;
};

static int
vlfail(struct loader *l, const yaml_mark_t *mark, const char *fmt,
	va_list ap)
{
	char *m = xvasprintf(fmt, ap);

	free(l->err);
	if (mark)
		l->err = xasprintf("%s:%zu:%zu: %s", l->file, mark->line + 1,
			mark->column + 1, m);
	else
		l->err = xasprintf("%s: %s", l->file, m);
	free(m);
	l->status = EX_CONFIG;
	return EX_CONFIG;
}

static int
lfail(struct loader *l, yaml_node_t *node, const char *fmt, ...)
	PRINTF(3, 4);

static int
lfail(struct loader *l, yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlfail(l, node ? &node->start_mark : NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* An error about the value of a key given in the file (or about the file
 * itself when the key was not given). */
static int
kfail(struct loader *l, const struct key *k, yaml_node_t *root,
	const char *fmt, ...) PRINTF(4, 5);

static int
kfail(struct loader *l, const struct key *k, yaml_node_t *root,
	const char *fmt, ...)
{
	size_t i = (size_t)(k - keys);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlfail(l, l->seen[i] ? &l->marks[i] : root ? &root->start_mark :
		NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static bool
parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "True", "TRUE", "Yes", "YES", "On", "ON" };
	static const char *no[] = { "false", "no", "off", "False", "FALSE", "No", "NO", "Off", "OFF" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (strcmp(s, yes[i]) == 0)
			return *out = true, true;
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (strcmp(s, no[i]) == 0)
			return *out = false, true;
	return false;
}

static bool
choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *s = choices;

	while (s) {
		const char *e = strchr(s, '|');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == n && memcmp(s, v, n) == 0)
			return true;
		s = e ? e + 1 : NULL;
	}
	return false;
}

static const char *
node_kind(yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* Store the scalar text v (from node, or a default when node is NULL). */
static int
store_value(struct loader *l, const struct key *k, yaml_node_t *node,
	const char *v)
{
	char *p = (char *)l->c + k->off;
	char *end;

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		if (k->type == K_ENUM && !choice_ok(k->choices, v))
			return lfail(l, node, "%s: \"%s\" is not one of %s",
				k->name, v, k->choices);
		free(*(char **)p);
		*(char **)p = xstrdup(v);
		break;
	case K_PATH:
		free(*(char **)p);
		*(char **)p = *v ? path_join(l->c->dir, v) : xstrdup("");
		break;
	case K_INT: {
		errno = 0;
		long n = strtol(v, &end, 10);
		long lo = 0, hi = 0;
		if (errno || !*v || *end)
			return lfail(l, node, "%s: \"%s\" is not an integer",
				k->name, v);
		if (k->choices && sscanf(k->choices, "%ld|%ld", &lo, &hi) == 2 &&
		    (n < lo || n > hi))
			return lfail(l, node, "%s: %ld is out of range %ld..%ld",
				k->name, n, lo, hi);
		*(long *)p = n;
		break;
	}
	case K_NUM: {
		errno = 0;
		double d = strtod(v, &end);
		if (errno || !*v || *end || d < 0)
			return lfail(l, node, "%s: \"%s\" is not a number >= 0",
				k->name, v);
		*(double *)p = d;
		break;
	}
	case K_BOOL:
		if (!parse_bool(v, (bool *)p))
			return lfail(l, node, "%s: \"%s\" is not true or false",
				k->name, v);
		break;
	case K_LIST: {
		struct strlist *sl = (struct strlist *)p;
		strlist_free(sl);
		if (*v)
			strlist_push(sl, xstrdup(v));
		break;
	}
	}
	return 0;
}

static int
load_value(struct loader *l, const struct key *k, yaml_node_t *node)
{
	if (k->type == K_LIST && node->type == YAML_SEQUENCE_NODE) {
		struct strlist *sl = (struct strlist *)((char *)l->c + k->off);
		yaml_node_item_t *it;

		strlist_free(sl);
		for (it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(l->doc, *it);
			if (!e || e->type != YAML_SCALAR_NODE)
				return lfail(l, e ? e : node,
					"%s: each item must be a string", k->name);
			strlist_push(sl, xstrdup((char *)e->data.scalar.value));
		}
		l->set[k - keys] = true;
		return 0;
	}
	if (node->type != YAML_SCALAR_NODE)
		return lfail(l, node, "%s: expected %s, found %s", k->name,
			k->type == K_LIST ? "a string or a list of strings" :
			k->type == K_INT ? "an integer" :
			k->type == K_NUM ? "a number" :
			k->type == K_BOOL ? "true or false" : "a string",
			node_kind(node));
	/* an empty plain scalar ("key:") or a null means the default */
	if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		const char *v = (const char *)node->data.scalar.value;
		if (strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		    (!*v && k->type != K_STR && k->type != K_PATH))
			return 0;
	}
	if (strlen((char *)node->data.scalar.value) != node->data.scalar.length)
		return lfail(l, node, "%s: value holds a NUL byte", k->name);
	if (store_value(l, k, node, (char *)node->data.scalar.value))
		return l->status;
	l->set[k - keys] = true;
	return 0;
}

static int
load_mapping(struct loader *l, yaml_node_t *map, const char *prefix)
{
	yaml_node_pair_t *pair;

	if (map->type != YAML_MAPPING_NODE)
		return lfail(l, map, "%s%sexpected a mapping, found %s",
			prefix, *prefix ? ": " : "", node_kind(map));
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(l->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(l->doc, pair->value);
		char *name;
		const struct key *k;
		int rc = 0;

		if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
			return lfail(l, kn ? kn : map, "keys must be strings");
		/* YAML says keys are unique; libyaml does not check */
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start;
		     q < pair; q++) {
			yaml_node_t *qn = yaml_document_get_node(l->doc, q->key);
			if (qn && qn->type == YAML_SCALAR_NODE &&
			    strcmp((char *)qn->data.scalar.value,
			    (char *)kn->data.scalar.value) == 0)
				return lfail(l, kn, "%s%s%s: key given twice",
					prefix, *prefix ? "." : "",
					(char *)kn->data.scalar.value);
		}
		name = *prefix ? xasprintf("%s.%s", prefix,
					 (char *)kn->data.scalar.value) :
				 xstrdup((char *)kn->data.scalar.value);
		if ((k = find_key(name)) != NULL) {
			size_t idx = (size_t)(k - keys);
			if (l->seen[idx]) {
				rc = lfail(l, kn, "%s: key given twice", name);
			} else {
				l->seen[idx] = true;
				l->marks[idx] = vn->start_mark;
				rc = load_value(l, k, vn);
			}
		} else if (is_section(name)) {
			if (vn->type == YAML_SCALAR_NODE &&
			    vn->data.scalar.length == 0)
				rc = 0; /* "section:" with nothing under it */
			else
				rc = load_mapping(l, vn, name);
		} else {
			char *valid = valid_keys(prefix);
			rc = lfail(l, kn, "unknown key \"%s\" (valid%s%s: %s)",
				name, *prefix ? " under " : " at top level",
				prefix, valid);
			free(valid);
		}
		free(name);
		if (rc)
			return rc;
	}
	return 0;
}

/* Is the file a compiled time zone ("zone.tab" is in the same folder)? */
static bool
is_tzif(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	bool ok;

	if (!f)
		return false;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

static bool
holds_templates(const char *dir)
{
	char *f = path_join(dir, "newsletter.html.tpl");
	struct stat st;
	bool ok = stat(f, &st) == 0 && S_ISREG(st.st_mode);

	free(f);
	return ok;
}

/* The templates folder when the configuration names none (see
 * config_templates): the install may have any PREFIX and DESTDIR, so the
 * running binary's own place is looked at before the compiled-in one. */
static void
find_templates(struct config *c)
{
	char exe[4096], *bindir, *prefix, *cand[4];
	struct buf tried = BUF_INIT;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t k = 0, i;

	cand[k++] = path_join(c->dir, "templates");
	if (n > 0 && (size_t)n < sizeof(exe) - 1) {
		exe[n] = '\0';
		bindir = path_dirname(exe);
		prefix = path_dirname(bindir);
		cand[k++] = path_join(bindir, "templates");
		cand[k++] = path_join(prefix, "share/infolettre/templates");
		free(bindir);
		free(prefix);
	}
	cand[k++] = xstrdup(DATADIR "/templates");
	free(c->templates);
	c->templates = NULL;
	for (i = 0; i < k && !c->templates; i++) {
		bool again = false;
		for (size_t j = 0; j < i; j++)
			again = again || strcmp(cand[j], cand[i]) == 0;
		if (holds_templates(cand[i]))
			c->templates = xstrdup(cand[i]);
		else if (!again)
			buf_printf(&tried, "%s%s", tried.len ? ", " : "", cand[i]);
	}
	if (!c->templates) {
		c->templates = xstrdup(cand[k - 1]);
		c->templates_tried = buf_detach(&tried);
	}
	for (i = 0; i < k; i++)
		free(cand[i]);
	buf_free(&tried);
}

int
config_templates(const struct config *c, char **err)
{
	struct stat st;

	if (c->templates_tried)
		return fail(err, EX_NOINPUT, "no templates found (looked for "
			"newsletter.html.tpl in %s): run \"make install\" (or "
			"install the package), or set \"templates:\" in %s to the "
			"folder that holds them", c->templates_tried, c->path);
	if (stat(c->templates, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(err, EX_NOINPUT, "templates: %s: %s (set in %s)",
			c->templates, stat(c->templates, &st) != 0 ?
			strerror(errno) : "not a folder", c->path);
	return 0;
}

static int
finish(struct loader *l, yaml_node_t *root)
{
	struct config *c = l->c;
	size_t n;

	for (size_t i = 0; i < NKEYS; i++) {
		if (l->set[i] && (keys[i].flags & REQUIRED) &&
		    (keys[i].type == K_STR || keys[i].type == K_PATH) &&
		    !**(char **)((char *)c + keys[i].off))
			return kfail(l, &keys[i], root, "%s: a value is required",
				keys[i].name);
		if (l->set[i])
			continue;
		if ((keys[i].flags & REQUIRED) && l->seen[i])
			return kfail(l, &keys[i], root, "%s: a value is required",
				keys[i].name);
		if (keys[i].flags & REQUIRED)
			return lfail(l, root, "missing required key \"%s\"",
				keys[i].name);
		if (keys[i].def && store_value(l, &keys[i], NULL, keys[i].def))
			return l->status;
	}
	if (!str_starts(c->site.base_url, "http://") &&
	    !str_starts(c->site.base_url, "https://"))
		return kfail(l, find_key("site.base_url"), root,
			"site.base_url: \"%s\" is not an http(s) URL",
			c->site.base_url);
	n = strlen(c->site.base_url);
	if (n == 0 || c->site.base_url[n - 1] != '/') {
		char *s = xasprintf("%s/", c->site.base_url);
		free(c->site.base_url);
		c->site.base_url = s;
	}
	if (!c->templates[0])
		find_templates(c);
	if (!c->newsletter.list_id[0]) {
		const char *at = strrchr(c->newsletter.from, '@');
		char *dom = xstrdup(at ? at + 1 : "localhost");
		dom[strcspn(dom, "> \t")] = '\0';
		free(c->newsletter.list_id);
		c->newsletter.list_id = xasprintf("infolettre.%s", dom);
		free(dom);
	}
	/* The zone must exist, or every date would silently be UTC. */
	{
		const char *tz = c->newsletter.timezone;
		const char *tzdir = getenv("TZDIR");
		char *zf;
		struct stat st;
		bool ok;

		if (!*tz || tz[0] == '/' || strstr(tz, ".."))
			ok = false;
		else {
			zf = xasprintf("%s/%s", tzdir && *tzdir ? tzdir :
				"/usr/share/zoneinfo", tz);
			ok = stat(zf, &st) == 0 && S_ISREG(st.st_mode) &&
				is_tzif(zf);
			free(zf);
		}
		if (!ok && strcmp(tz, "UTC") != 0)
			return kfail(l, find_key("newsletter.timezone"), root,
				"newsletter.timezone: unknown time zone \"%s\" "
				"(is the tzdata package installed?)", tz);
		setenv("TZ", strcmp(tz, "UTC") == 0 ? "UTC0" : tz, 1);
		tzset();
	}
	return 0;
}

int
config_load(const char *path, struct config **out, char **err)
{
	struct loader l;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char *data = NULL;
	size_t len = 0;
	int e, rc;

	memset(&l, 0, sizeof(l));
	e = read_file(path, 1 << 20, &data, &len);
	if (e == ENOENT)
		return fail(err, EX_NOINPUT, "%s: no configuration file (use -c "
			"FILE or INFOLETTRE_CONFIG)", path);
	if (e)
		return fail(err, EX_CONFIG, "%s: %s", path, strerror(e));
	if (!utf8_valid(data, len, NULL)) {
		free(data);
		return fail(err, EX_CONFIG, "%s: not valid UTF-8", path);
	}
	l.c = xcalloc(1, sizeof(*l.c));
	l.c->path = xstrdup(path);
	l.c->dir = path_dirname(path);
	l.file = path;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark, cm = parser.context_mark;
		char *where = parser.context ? xasprintf(" %s started at %zu:%zu",
			parser.context, cm.line + 1, cm.column + 1) : xstrdup("");
		fail(err, EX_CONFIG, "%s:%zu:%zu: YAML error: %s%s", path,
			m.line + 1, m.column + 1,
			parser.problem ? parser.problem : "syntax error", where);
		free(where);
		yaml_parser_delete(&parser);
		free(data);
		config_free(l.c);
		return EX_CONFIG;
	}
	yaml_parser_delete(&parser);
	free(data);
	l.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		rc = lfail(&l, NULL, "the file is empty");
	else
		rc = load_mapping(&l, root, "");
	if (!rc)
		rc = finish(&l, root);
	yaml_document_delete(&doc);
	if (rc) {
		if (err) {
			free(*err);
			*err = l.err;
		} else {
			free(l.err);
		}
		config_free(l.c);
		return rc;
	}
	*out = l.c;
	return 0;
}

void
config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		char *p = (char *)c + keys[i].off;
		switch (keys[i].type) {
		case K_STR: case K_ENUM: case K_PATH:
			free(*(char **)p);
			break;
		case K_LIST:
			strlist_free((struct strlist *)p);
			break;
		default:
			break;
		}
	}
	free(c->templates_tried);
	free(c->path);
	free(c->dir);
	free(c);
}

char *
config_archive_url(const struct config *c, const char *month)
{
	const char *s = c->site.archive_url, *p;
	struct buf b = BUF_INIT;

	if (!s || !*s)
		return NULL;
	while ((p = strstr(s, "{month}")) != NULL) {
		buf_put(&b, s, (size_t)(p - s));
		buf_puts(&b, month);
		s = p + 7;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

int
config_secret_file(const char *key, const char *file, char **out,
	char **err)
{
	char buf[4097];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	*out = NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(err, EX_CONFIG, "%s: %s: %s", key, file,
			strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, EX_CONFIG, "%s: %s: not a regular file", key,
			file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, EX_NOPERM, "%s: %s: mode %04o lets others "
			"read the secret; chmod 600 it", key, file,
			(unsigned)(st.st_mode & 07777));
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len == sizeof(buf) - 1) {
		explicit_bzero(buf, sizeof(buf));
		return fail(err, EX_CONFIG, "%s: %s: too long for a secret",
			key, file);
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) || strpbrk(buf, "\r\n")) {
		explicit_bzero(buf, sizeof(buf));
		return fail(err, EX_CONFIG, "%s: %s: empty or not a single line",
			key, file);
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
config_password(const char *section, const char *file, const char *env,
	char **out, char **err)
{
	char *key;
	int rc;

	*out = NULL;
	if (*file && *env)
		return fail(err, EX_CONFIG, "%s: give password_file or "
			"password_env, not both", section);
	if (*env) {
		const char *v = getenv(env);
		if (!v || !*v)
			return fail(err, EX_CONFIG, "%s.password_env: "
				"the environment variable %s is not set", section,
				env);
		*out = xstrdup(v);
		return 0;
	}
	if (!*file)
		return fail(err, EX_CONFIG, "%s.username is set: "
			"%s.password_file, %s.password_env or "
			"%s.password_command must give the password", section,
			section, section, section);
	key = xasprintf("%s.password_file", section);
	rc = config_secret_file(key, file, out, err);
	free(key);
	return rc;
}
