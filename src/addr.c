/* addr.c - e-mail addresses (addr.h) */
#include "addr.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* What each byte may be in an address: in a dot-atom (letters, digits,
 * !#$%&'*+-/=?^_`{|}~), in a domain label (letters, digits, -). A table,
 * as an import checks a million addresses in a row. */
enum { ATEXT = 1, LDH = 2 };
#define ALNUM(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || \
	((c) >= 'a' && (c) <= 'z'))
#define SPECIAL(c) ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || \
	(c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || \
	(c) == '/' || (c) == '=' || (c) == '?' || (c) == '^' || (c) == '_' || \
	(c) == '`' || (c) == '{' || (c) == '|' || (c) == '}' || (c) == '~')
#define CLASS(c) ((ALNUM(c) || SPECIAL(c) ? ATEXT : 0) | \
	(ALNUM(c) || (c) == '-' ? LDH : 0))
#define C4(c) CLASS(c), CLASS((c) + 1), CLASS((c) + 2), CLASS((c) + 3)
#define C16(c) C4(c), C4((c) + 4), C4((c) + 8), C4((c) + 12)
#define C64(c) C16(c), C16((c) + 16), C16((c) + 32), C16((c) + 48)
static const unsigned char classes[256] = { C64(0), C64(64) };

static bool
is_atext(unsigned char c)
{
	return classes[c] & ATEXT;
}

static bool
is_ldh(unsigned char c)
{
	return classes[c] & LDH;
}

/* The usual address (ASCII dot-atom, ASCII LDH domain): true only for
 * what the full checks accept. The import's fast path. */
static bool
plain_address(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, label = 0;
	bool dot = false;

	if (n == 0 || n > ADDR_MAX)
		return false;
	/* the local part: no dot first, last or after a dot */
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (is_atext(c))
			continue;
		if (c == '@')
			break;
		if (c != '.' || i == 0 || p[i - 1] == '.')
			return false;
	}
	if (i == 0 || i == n || i > 64 || p[i - 1] == '.')
		return false;
	/* the domain: labels of at most 63 letters, digits and hyphens,
	 * not first or last, and at least one dot */
	for (i++; i < n; i++) {
		unsigned char c = p[i];

		if (is_ldh(c)) {
			if ((c == '-' && label == 0) || ++label > 63)
				return false;
			continue;
		}
		if (c != '.' || label == 0 || p[i - 1] == '-')
			return false;
		dot = true;
		label = 0;
	}
	return dot && label > 0 && p[n - 1] != '-';
}

static const char *
local_part_error(const char *s, size_t n)
{
	if (n == 0)
		return "the part before @ is empty";
	if (n > 64)
		return "the part before @ is longer than 64 bytes";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return "a non-ASCII character before @ (SMTP cannot "
			    "carry it without SMTPUTF8, which this program "
			    "does not use)";
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return "a quoted local part must end with '\"'";
		for (size_t i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\') {
				if (++i >= n - 1)
					return "a '\\' ends the quoted local "
					    "part";
				c = (unsigned char)s[i];
				if (c < 0x20 || c > 0x7e)
					return "a control character in the "
					    "quoted local part";
			} else if (c == '"')
				return "a '\"' inside the quoted local part";
			else if (c == '<' || c == '>')
				return "'<' or '>' inside the quoted local part";
			else if (c < 0x20 || c > 0x7e)
				return "a control character in the quoted local "
				    "part";
		}
		return NULL;
	}
	if (s[0] == '.' || s[n - 1] == '.')
		return "the part before @ starts or ends with a dot";
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return "two dots in a row";
		} else if (!is_atext((unsigned char)s[i]))
			return "a character not allowed before @ (quote the "
			    "local part?)";
	}
	return NULL;
}

/* Why the LDH domain d (n bytes, ASCII) is wrong, or NULL. */
static const char *
ldh_error(const char *d, size_t n)
{
	size_t label = 0;
	bool dot = false;

	if (n > 253)
		return "the domain is longer than 253 bytes";
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)d[i] : '.';

		if (c == '.') {
			if (label == 0)
				return "an empty label in the domain";
			if (d[i - 1] == '-')
				return "a domain label ends with '-'";
			if (label > 63)
				return "a domain label is longer than 63 bytes";
			if (i < n)
				dot = true;
			label = 0;
			continue;
		}
		if (label == 0 && c == '-')
			return "a domain label starts with '-'";
		if (!is_ldh(c))
			return "a character not allowed in the domain";
		label++;
	}
	return dot ? NULL : "the domain has no dot";
}

/* The domain d (n bytes) in A-labels (caller frees), or NULL with *why. */
static char *
a_labels(const char *d, size_t n, const char **why)
{
	char *u = xstrndup(d, n), *out = NULL;
	bool ascii = true;
	int rc;

	*why = NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)d[i] >= 0x80)
			ascii = false;
	if (ascii) {
		if ((*why = ldh_error(u, n)) != NULL) {
			free(u);
			return NULL;
		}
		return u;
	}
	rc = idn2_to_ascii_8z(u, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(u);
	if (rc != IDN2_OK) {
		*why = "the domain is not a valid internationalised domain "
		    "name";
		return NULL;
	}
	u = xstrdup(out);
	idn2_free(out);
	if ((*why = ldh_error(u, strlen(u))) != NULL) {
		free(u);
		return NULL;
	}
	return u;
}

static bool
is_control(const unsigned char *s)
{
	return s[0] < 0x20 || s[0] == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 &&
	    s[1] <= 0x9f);
}

/* Check s (n bytes); when wire is not NULL, set it to the wire form. */
static const char *
check(const char *s, size_t n, char **wire)
{
	const char *at, *why;
	char *dom;
	size_t ln;
	bool quoted;

	if (wire)
		*wire = NULL;
	if (plain_address(s, n)) {
		if (wire)
			*wire = xstrndup(s, n);
		return NULL;
	}
	if (n == 0)
		return "empty";
	if (memchr(s, '\0', n))
		return "a NUL byte";
	if (!utf8_valid(s, n, NULL))
		return "not valid UTF-8";
	quoted = s[0] == '"';
	for (size_t i = 0; i < n; i++) {
		if (is_control((const unsigned char *)s + i))
			return "a control character";
		if (s[i] == ' ' && !quoted)
			return "a space or a control character";
	}
	at = NULL;
	for (size_t i = n; i-- > 0; )
		if (s[i] == '@') {
			at = s + i;
			break;
		}
	if (!at)
		return "no @";
	ln = (size_t)(at - s);
	if ((why = local_part_error(s, ln)) != NULL)
		return why;
	if (n - ln - 1 == 0)
		return "the domain is empty";
	if (at[1] == '[')
		return "address literals ([…]) are not accepted";
	if (!(dom = a_labels(at + 1, n - ln - 1, &why)))
		return why;
	if (ln + 1 + strlen(dom) > ADDR_MAX) {
		free(dom);
		return "longer than 254 bytes";
	}
	if (wire)
		*wire = xasprintf("%.*s@%s", (int)ln, s, dom);
	free(dom);
	return NULL;
}

const char *
addr_error(const char *s, size_t n)
{
	return check(s, n, NULL);
}

bool
addr_valid(const char *s)
{
	return s && check(s, strlen(s), NULL) == NULL;
}

char *
addr_wire(const char *s)
{
	char *w;

	return s && check(s, strlen(s), &w) == NULL ? w : NULL;
}

const char *
addr_check_key(const char *s, size_t n, char key[ADDR_MAX + 1])
{
	const char *why;
	char *w;

	key[0] = '\0';
	if (plain_address(s, n)) {
		memcpy(key, s, n);
		key[n] = '\0';
	} else {
		if ((why = check(s, n, &w)) != NULL)
			return why;
		memcpy(key, w, strlen(w) + 1);
		free(w);
	}
	for (char *p = strrchr(key, '@'); *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return NULL;
}

int
addr_key(const char *s, char key[ADDR_MAX + 1])
{
	return addr_check_key(s, strlen(s), key) ? -1 : 0;
}

const char *
addr_domain(const char *s)
{
	const char *at = strrchr(s, '@');

	return at ? at + 1 : "";
}

char *
addr_plus(const char *addr, const char *tag)
{
	const char *at = strrchr(addr, '@');

	if (!at)
		return xasprintf("%s+%s", addr, tag);
	return xasprintf("%.*s+%s%s", (int)(at - addr), addr, tag, at);
}

char *
addr_of(const char *s)
{
	const char *lt = strrchr(s, '<'), *gt;
	size_t n;

	if (lt && (gt = strchr(lt, '>')) != NULL)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

bool
addr_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}
