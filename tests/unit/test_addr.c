/* test_addr.c - the one address grammar (addr.h): what is accepted, the
 * wire form, the key, the domain, plus-addressing, "Name <addr>". */
#include <stdlib.h>

#include "addr.h"
#include "unit.h"

static void
grammar(void)
{
	static const char *const good[] = {
		"jean@insee.fr", "Jean.Dupont+news@Insee.FR", "a@b.co",
		"\"a@b\"@example.org", "\"jean dupont\"@example.org",
		"\"a\\\"b\"@example.org", "zoe@bücher.example",
		"x@xn--bcher-kva.example", "{}!#$%&*/=?^`|~@example.org",
		"a@société.example", NULL,
	};
	static const char *const bad[] = {
		"", "plain", "@example.org", "a@", "a@localhost",
		"a b@example.org", "zoé@bücher.example", "zoé@example.org",
		"\"zoé\"@example.org", "\"a<b\"@example.org", "\"a\"b@example.org",
		"\"a\rb\"@example.org", "a@[192.0.2.1]", "a@bü-.example",
		"a@example..org", "a@exa mple.org", "\xff@example.org", NULL,
	};

	for (int i = 0; good[i]; i++) {
		CHECK(addr_valid(good[i]));
		if (!addr_valid(good[i]))
			printf("# refused %s: %s\n", good[i],
			    addr_error(good[i], strlen(good[i])));
	}
	for (int i = 0; bad[i]; i++) {
		CHECK(!addr_valid(bad[i]));
		if (addr_valid(bad[i]))
			printf("# accepted %s\n", bad[i]);
	}
	CHECK(strstr(addr_error("zoé@example.org", 16), "SMTPUTF8") != NULL);
}

static void
wire_and_key(void)
{
	char key[ADDR_MAX + 1], *w;

	w = addr_wire("Zoe@Bücher.Example");
	CHECK_STR(w, "Zoe@xn--bcher-kva.example");
	free(w);
	w = addr_wire("Jean@Insee.FR");
	CHECK_STR(w, "Jean@Insee.FR"); /* an ASCII domain as written */
	free(w);
	w = addr_wire("\"a@b\"@example.org");
	CHECK_STR(w, "\"a@b\"@example.org");
	free(w);
	CHECK(addr_wire("zoé@example.org") == NULL);

	CHECK_INT(addr_key("Jean@Insee.FR", key), 0);
	CHECK_STR(key, "Jean@insee.fr");
	CHECK_INT(addr_key("zoe@BÜCHER.example", key), 0);
	CHECK_STR(key, "zoe@xn--bcher-kva.example");
	CHECK_INT(addr_key("zoe@xn--BCHER-kva.example", key), 0);
	CHECK_STR(key, "zoe@xn--bcher-kva.example");
	CHECK_INT(addr_key("nope", key), -1);
	CHECK_STR(key, "");
}

static void
parts(void)
{
	char *s;

	CHECK_STR(addr_domain("\"a@b\"@example.org"), "example.org");
	CHECK_STR(addr_domain("nope"), "");
	s = addr_plus("infolettre-bounces@ssphub.example.fr", "abc");
	CHECK_STR(s, "infolettre-bounces+abc@ssphub.example.fr");
	free(s);
	s = addr_of("SSP Hub <infolettre@ssphub.example.fr>");
	CHECK_STR(s, "infolettre@ssphub.example.fr");
	free(s);
	s = addr_of("  infolettre@ssphub.example.fr ");
	CHECK_STR(s, "infolettre@ssphub.example.fr");
	free(s);
	CHECK(addr_ascii("a@b.c"));
	CHECK(!addr_ascii("é@b.c"));
}

int
main(void)
{
	RUN(grammar);
	RUN(wire_and_key);
	RUN(parts);
	return 0;
}
