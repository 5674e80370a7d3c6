/* test_token.c - tokens: layout, round trip, forgery, the secret file */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "token.h"
#include "util.h"

static const unsigned char K[] = "0123456789abcdef0123456789abcdef";
#define KLEN 32

static bool
only_base32(const char *t)
{
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '2' && *t <= '7')))
			return false;
	return true;
}

/* Values computed independently with Python's hmac module. */
static void
known_vectors(void)
{
	char t[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1];

	token_make(K, KLEN, 1, "Jean@Insee.fr", t);
	CHECK_STR(t, "aaaaabdhp44um55akg4bfizfhc457kjy");
	token_make(K, KLEN, 123456789, "zoé@exemple.fr", t);
	CHECK_STR(t, "dvxtivfcvopoycmg4oi4f3ll7bmr62f7");
	token_hash(K, KLEN, "suppress", "jean@insee.fr", h);
	CHECK_STR(h, "13fbc42bc2eb9cf37a00cea93d1056a3d4dc41d981e417b0dc0c939e84315935");
}

static void
round_trip(void)
{
	char t[TOKEN_LEN + 1];
	long long ids[] = { 1, 2, 31, 32, 1000000, TOKEN_MAX_ID };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		token_make(K, KLEN, ids[i], "a.b@example.org", t);
		CHECK_INT(strlen(t), TOKEN_LEN);
		CHECK(only_base32(t));
		CHECK_INT(token_id(t), ids[i]);
		CHECK(token_check(K, KLEN, ids[i], "a.b@example.org", t));
	}
}

static void
one_character_changed(void)
{
	char t[TOKEN_LEN + 1], u[TOKEN_LEN + 1];

	token_make(K, KLEN, 4242, "marie@insee.fr", t);
	for (int i = 0; i < TOKEN_LEN; i++) {
		memcpy(u, t, sizeof(u));
		u[i] = u[i] == 'a' ? 'b' : 'a';
		CHECK(!token_check(K, KLEN, 4242, "marie@insee.fr", u));
	}
	/* truncated, too long, characters outside base32 */
	memcpy(u, t, sizeof(u));
	u[TOKEN_LEN - 1] = '\0';
	CHECK(!token_check(K, KLEN, 4242, "marie@insee.fr", u));
	CHECK_INT(token_id(u), -1);
	memcpy(u, t, sizeof(u));
	u[5] = '1';
	CHECK_INT(token_id(u), -1);
	CHECK_INT(token_id("aaaaaa" "aaaaaaaaaaaaaaaaaaaaaaaaaa"), -1); /* id 0 */
	CHECK(!token_check(K, KLEN, 4242, "marie@insee.fr", ""));
	CHECK_INT(token_id(NULL), -1);
}

static void
other_subscriber_and_list(void)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	static const unsigned char K2[] = "another list's secret, 32 bytes!";

	token_make(K, KLEN, 1, "alice@example.org", a);
	token_make(K, KLEN, 2, "bob@example.org", b);
	CHECK(strcmp(a, b) != 0);
	CHECK(!token_check(K, KLEN, 1, "alice@example.org", b));
	CHECK(!token_check(K, KLEN, 2, "alice@example.org", b));
	CHECK(!token_check(K, KLEN, 2, "bob@example.org", a));
	/* the same id with another address is another subscriber */
	CHECK(!token_check(K, KLEN, 1, "mallory@example.org", a));
	/* another list */
	CHECK(!token_check(K2, 32, 1, "alice@example.org", a));
}

static void
case_folding(void)
{
	char t[TOKEN_LEN + 1], up[TOKEN_LEN + 1];

	token_make(K, KLEN, 77, "Jean@Insee.fr", t);
	/* the domain's case may change, the local part's may not */
	CHECK(token_check(K, KLEN, 77, "Jean@insee.FR", t));
	CHECK(!token_check(K, KLEN, 77, "jean@insee.fr", t));
	/* a mail system that upper-cases the local part */
	for (int i = 0; i <= TOKEN_LEN; i++)
		up[i] = t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32 : t[i];
	CHECK_INT(token_id(up), 77);
	CHECK(token_check(K, KLEN, 77, "Jean@Insee.fr", up));
}

static void
hash_labels(void)
{
	char a[TOKEN_HASH_LEN + 1], b[TOKEN_HASH_LEN + 1];

	token_hash(K, KLEN, "suppress", "x@example.org", a);
	token_hash(K, KLEN, "suppres", "sx@example.org", b);
	CHECK(strcmp(a, b) != 0);
	token_hash(K, KLEN, "suppress", "x@example.org", b);
	CHECK_STR(a, b);
}

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/test_token.XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	return xstrdup(tmpl);
}

static void
secret_file(void)
{
	char *dir = tmpdir(), *path = xasprintf("%s/sub/dir/secret.key", dir);
	unsigned char *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	char *err = NULL, *cmd;
	struct stat st;

	CHECK_INT(token_secret(path, &s1, &l1, &err), 0);
	CHECK_INT(l1, 64);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* read again: the same secret */
	CHECK_INT(token_secret(path, &s2, &l2, &err), 0);
	CHECK(l1 == l2 && s1 && s2 && memcmp(s1, s2, l1) == 0);
	free(s2);
	s2 = NULL;
	/* readable by others, by the group: refused */
	chmod(path, 0644);
	CHECK_INT(token_secret(path, &s2, &l2, &err), EX_NOPERM);
	CHECK(s2 == NULL);
	CHECK(err && strstr(err, "chmod 600"));
	chmod(path, 0640);
	CHECK_INT(token_secret(path, &s2, &l2, &err), EX_NOPERM);
	chmod(path, 0600);
	CHECK_INT(token_secret(path, &s2, &l2, &err), 0);
	free(s2);
	s2 = NULL;
	/* too short to be a key */
	CHECK_INT(write_file_atomic(path, "short\n", 6, 0600), 0);
	CHECK_INT(token_secret(path, &s2, &l2, &err), EX_CONFIG);
	free(err);
	free(s1);
	cmd = xasprintf("rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
	free(cmd);
	free(path);
	free(dir);
}

/* Confirmation tokens and form stamps: vectors computed independently
 * with Python's hmac module; a purpose of their own. */
static void
confirm_tokens(void)
{
	char c[TOKEN_CONFIRM_LEN + 1], u[TOKEN_LEN + 1], s[TOKEN_STAMP_MAX];
	long long id;
	long day;

	token_confirm_make(K, KLEN, 1, "Jean@Insee.fr", 20820, c);
	CHECK_STR(c, "aaaaabaukuz46asquaiwuxaw5ozwnzbjyfe4");
	token_confirm_make(K, KLEN, 123456789, "zoé@exemple.fr", 1048575, c);
	CHECK_STR(c, "dvxtiv7777iktncp7dtjgg4fjlznst63spkx");
	CHECK(only_base32(c));
	CHECK(token_confirm_parse(c, &id, &day));
	CHECK_INT(id, 123456789);
	CHECK_INT(day, 1048575);
	CHECK(token_confirm_check(K, KLEN, 123456789, "zoé@exemple.fr", c));
	CHECK(!token_confirm_check(K, KLEN, 123456789, "zoe@exemple.fr", c));
	CHECK(!token_confirm_check(K, KLEN, 123456788, "zoé@exemple.fr", c));
	/* another expiry day in the token: its MAC no longer holds */
	c[9] = c[9] == 'a' ? 'b' : 'a';
	CHECK(!token_confirm_check(K, KLEN, 123456789, "zoé@exemple.fr", c));
	/* the unsubscribe token of the same subscriber is not one */
	token_make(K, KLEN, 1, "jean@insee.fr", u);
	CHECK(!token_confirm_parse(u, &id, &day));
	CHECK(!token_confirm_check(K, KLEN, 1, "jean@insee.fr", u));
	token_confirm_make(K, KLEN, 1, "jean@insee.fr", 20820, c);
	CHECK_INT(token_id(c), -1);
	CHECK(!token_check(K, KLEN, 1, "jean@insee.fr", c));
	/* upper case is the same token */
	for (char *p = c; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	CHECK(token_confirm_check(K, KLEN, 1, "jean@insee.fr", c));

	token_stamp_make(K, KLEN, 1780000000, s);
	CHECK_STR(s, "1780000000.5u7kxmkb45nhs66u");
	CHECK_INT(token_stamp_check(K, KLEN, s), 1780000000);
	s[3] = '1';
	CHECK_INT(token_stamp_check(K, KLEN, s), -1);
	CHECK_INT(token_stamp_check(K, KLEN, "1780000000"), -1);
	CHECK_INT(token_stamp_check(K, KLEN, ".5u7kxmkb45nhs66u"), -1);
	CHECK_INT(token_stamp_check(K, KLEN, NULL), -1);
}

int
main(void)
{
	RUN(confirm_tokens);
	RUN(known_vectors);
	RUN(round_trip);
	RUN(one_character_changed);
	RUN(other_subscriber_and_list);
	RUN(case_folding);
	RUN(hash_labels);
	RUN(secret_file);
	return 0;
}
