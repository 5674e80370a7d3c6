/* test_send_group.c - the group-commit rule of send (send_group_wait):
 * when an outcome waits for another before the journal's commit, and
 * when it must not. */
#include "send.h"
#include "unit.h"

#define FAST 0.0002 /* outcomes 200 us apart: loopback, smtp-sink */

static void
waits_for_company(void)
{
	/* four connections: one outcome in, three still at the server */
	CHECK(send_group_wait(1, 3, 4, FAST, 0));
	CHECK(send_group_wait(1, 2, 4, FAST, SEND_GROUP_MAX / 2));
	/* eight: up to four wait together while four are at the server */
	CHECK(send_group_wait(3, 4, 8, FAST, 0));
}

static void
commits_now(void)
{
	/* nothing to commit */
	CHECK(!send_group_wait(0, 3, 4, FAST, 0));
	/* half the connections wait already */
	CHECK(!send_group_wait(2, 2, 4, FAST, 0));
	CHECK(!send_group_wait(4, 4, 8, FAST, 0));
	/* too few messages left at the server to keep it busy */
	CHECK(!send_group_wait(1, 1, 4, FAST, 0));
	CHECK(!send_group_wait(1, 0, 4, FAST, 0));
	/* one connection, or two: nobody to wait for */
	CHECK(!send_group_wait(1, 0, 1, FAST, 0));
	CHECK(!send_group_wait(1, 1, 2, FAST, 0));
	CHECK(!send_group_wait(1, 0, 0, FAST, 0));
	/* waited long enough */
	CHECK(!send_group_wait(1, 3, 4, FAST, SEND_GROUP_MAX));
	/* outcomes come slowly (a remote server, a slow link): a sync each
	 * costs little beside them, and waiting would idle the connection */
	CHECK(!send_group_wait(1, 3, 4, SEND_GROUP_MAX, 0));
	CHECK(!send_group_wait(1, 3, 4, 0.25, 0));
	/* before any mean is known (send_run starts it at a second) */
	CHECK(!send_group_wait(1, 3, 4, 1.0, 0));
}

int
main(void)
{
	RUN(waits_for_company);
	RUN(commits_now);
	return 0;
}
