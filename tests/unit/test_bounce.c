/* test_bounce.c - the bounce policy: what a failure counts as, when the
 * count marks a subscriber bounced, the status code of an SMTP answer. */
#include "bounce.h"
#include "unit.h"

static void
kinds(void)
{
	/* a specific code decides */
	CHECK_INT(bounce_kind(true, "5.1.1", "Recipient address rejected"),
		BOUNCE_PERMANENT);
	CHECK_INT(bounce_kind(true, "5.2.1", NULL), BOUNCE_PERMANENT);
	CHECK_INT(bounce_kind(true, "5.7.1", "user unknown"), BOUNCE_TRANSIENT);
	CHECK_INT(bounce_kind(true, "5.2.2", "Mailbox full"), BOUNCE_TRANSIENT);
	CHECK_INT(bounce_kind(true, "5.6.0", "Message rejected"),
		BOUNCE_TRANSIENT);
	/* a transient failure is transient whatever it says */
	CHECK_INT(bounce_kind(false, "4.1.1", "user unknown"),
		BOUNCE_TRANSIENT);
	/* no code or a generic one: the words */
	CHECK_INT(bounce_kind(true, "5.0.0", "550 No Such User Here"),
		BOUNCE_PERMANENT);
	CHECK_INT(bounce_kind(true, "", "554 delivery error: dd This user "
		"doesn't have a yahoo.com account"), BOUNCE_PERMANENT);
	CHECK_INT(bounce_kind(true, NULL, "554 Relay access denied"),
		BOUNCE_TRANSIENT);
	CHECK_INT(bounce_kind(true, "5.0.0", "550 rejected: spam"),
		BOUNCE_TRANSIENT);
	/* "failed" and nothing else */
	CHECK_INT(bounce_kind(true, NULL, NULL), BOUNCE_PERMANENT);
	CHECK_INT(bounce_kind(true, "5.0.0", ""), BOUNCE_PERMANENT);
}

static void
thresholds(void)
{
	struct bounce_policy p = { 1, 3 }, q = { 2, 0 };

	CHECK(bounce_marks(&p, BOUNCE_PERMANENT, 1));
	CHECK(!bounce_marks(&p, BOUNCE_TRANSIENT, 2));
	CHECK(bounce_marks(&p, BOUNCE_TRANSIENT, 3));
	CHECK(!bounce_marks(&q, BOUNCE_PERMANENT, 1));
	CHECK(bounce_marks(&q, BOUNCE_PERMANENT, 2));
	CHECK_INT(bounce_threshold(&q, BOUNCE_TRANSIENT), 1);
}

static void
status_codes(void)
{
	char sc[16];

	bounce_status_code("550 5.1.1 <a@b>: User unknown", sc);
	CHECK_STR(sc, "5.1.1");
	bounce_status_code("554 5.7.1", sc);
	CHECK_STR(sc, "5.7.1");
	bounce_status_code("550 User unknown", sc);
	CHECK_STR(sc, "");
	bounce_status_code("550 5.1. x", sc);
	CHECK_STR(sc, "");
	bounce_status_code(NULL, sc);
	CHECK_STR(sc, "");
}

int
main(void)
{
	RUN(kinds);
	RUN(thresholds);
	RUN(status_codes);
	return 0;
}
