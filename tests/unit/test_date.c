/* test_date.c - the dates content files really hold */
#include <stdlib.h>
#include <time.h>

#include "date.h"
#include "unit.h"

static void
zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* Parse s and return "YYYY-MM-DD" or "YYYY-MM-DD HH:MM", or "invalid". */
static const char *
fmt(const char *s)
{
	static char out[32];
	struct date d;

	if (!date_parse(s, &d))
		return "invalid";
	if (d.has_time)
		snprintf(out, sizeof(out), "%04d-%02d-%02d %02d:%02d",
			d.year, d.month, d.day, d.hour, d.min);
	else
		snprintf(out, sizeof(out), "%04d-%02d-%02d", d.year, d.month,
			d.day);
	return out;
}

static void
test_plain_forms(void)
{
	zone("Europe/Paris");
	CHECK_STR(fmt("2026-06-16"), "2026-06-16");
	CHECK_STR(fmt("  2026-06-16\t"), "2026-06-16");
	CHECK_STR(fmt("2026-06-16T14:00"), "2026-06-16 14:00");
	CHECK_STR(fmt("2026-06-16T14:00:59"), "2026-06-16 14:00");
	CHECK_STR(fmt("2026-06-16 14:05:00"), "2026-06-16 14:05");
	CHECK_STR(fmt("2026-06-16t14:05:00"), "2026-06-16 14:05");
	CHECK_STR(fmt("2026-06-16T14:05:00.123456"), "2026-06-16 14:05");
	CHECK_STR(fmt("2026-06-16T14:05:00,5"), "2026-06-16 14:05");
	CHECK_STR(fmt("2026-06-16T9:05:00"), "2026-06-16 09:05");
}

/* A date with a zone is placed in the local zone (TZ). */
static void
test_zones(void)
{
	zone("Europe/Paris");
	CHECK_STR(fmt("2023-02-10T00:00:00Z"), "2023-02-10 01:00");
	CHECK_STR(fmt("2024-02-29T15:00:00+01:00"), "2024-02-29 15:00");
	CHECK_STR(fmt("2024-02-29T15:00:00+0100"), "2024-02-29 15:00");
	CHECK_STR(fmt("2024-02-29T15:00:00+01"), "2024-02-29 15:00");
	CHECK_STR(fmt("2026-06-16T09:30:00+02:00"), "2026-06-16 09:30");
	CHECK_STR(fmt("2026-06-16T09:30:00.250-04:00"), "2026-06-16 15:30");
	CHECK_STR(fmt("2026-06-16 09:30:00 +02:00"), "2026-06-16 09:30");
	CHECK_STR(fmt("2001-12-14 21:59:43.10 -5"), "2001-12-15 03:59");
	CHECK_STR(fmt("2026-06-16T12:00:00 UTC"), "2026-06-16 14:00");
	CHECK_STR(fmt("2026-06-16T12:00:00z"), "2026-06-16 14:00");
	/* 23:30 UTC on June 30 is July 1 in Paris (summer time, +2) */
	CHECK_STR(fmt("2026-06-30T23:30:00Z"), "2026-07-01 01:30");
	/* and 22:30 UTC on December 31 is January 1 (winter time, +1) */
	CHECK_STR(fmt("2025-12-31T23:30:00Z"), "2026-01-01 00:30");
	CHECK_STR(fmt("2025-12-31T22:59:59Z"), "2025-12-31 23:59");
	/* the same instants seen from other zones */
	zone("UTC0");
	CHECK_STR(fmt("2026-06-30T23:30:00Z"), "2026-06-30 23:30");
	CHECK_STR(fmt("2026-07-01T01:30:00+02:00"), "2026-06-30 23:30");
	zone("America/New_York");
	CHECK_STR(fmt("2026-07-01T01:30:00+02:00"), "2026-06-30 19:30");
	CHECK_STR(fmt("2026-03-01T03:00:00Z"), "2026-02-28 22:00");
	zone("Pacific/Kiritimati"); /* UTC+14 */
	CHECK_STR(fmt("2026-06-30T10:00:00Z"), "2026-07-01 00:00");
	/* a date without a zone stays as written, whatever TZ is */
	CHECK_STR(fmt("2026-06-30T23:30:00"), "2026-06-30 23:30");
	CHECK_STR(fmt("2026-06-30"), "2026-06-30");
	zone("Europe/Paris");
}

static void
test_leap_days(void)
{
	zone("Europe/Paris");
	CHECK_STR(fmt("2024-02-29"), "2024-02-29");
	CHECK_STR(fmt("2000-02-29"), "2000-02-29");
	CHECK_STR(fmt("2023-02-29"), "invalid");
	CHECK_STR(fmt("1900-02-29"), "invalid");
	CHECK_STR(fmt("2100-02-29"), "invalid");
	CHECK_STR(fmt("2024-02-30"), "invalid");
	CHECK(date_valid_ymd(2024, 2, 29));
	CHECK(date_valid_ymd(2000, 2, 29));
	CHECK(!date_valid_ymd(2023, 2, 29));
	CHECK(!date_valid_ymd(1900, 2, 29));
	/* a leap day reached through a zone */
	CHECK_STR(fmt("2024-02-28T23:30:00Z"), "2024-02-29 00:30");
	CHECK_STR(fmt("2023-02-28T23:30:00Z"), "2023-03-01 00:30");
}

static void
test_month_ends(void)
{
	zone("Europe/Paris");
	CHECK_STR(fmt("2026-01-31"), "2026-01-31");
	CHECK_STR(fmt("2026-04-30"), "2026-04-30");
	CHECK_STR(fmt("2026-04-31"), "invalid");
	CHECK_STR(fmt("2026-06-31"), "invalid");
	CHECK_STR(fmt("2026-12-31"), "2026-12-31");
	CHECK_STR(fmt("2026-00-10"), "invalid");
	CHECK_STR(fmt("2026-06-00"), "invalid");
}

static void
test_garbage(void)
{
	zone("Europe/Paris");
	CHECK_STR(fmt("last-modified"), "invalid");
	CHECK_STR(fmt("today"), "invalid");
	CHECK_STR(fmt(""), "invalid");
	CHECK_STR(fmt("2026-13-01"), "invalid");
	CHECK_STR(fmt("2026-06-16T25:00"), "invalid");
	CHECK_STR(fmt("2026-06-16T23:60"), "invalid");
	CHECK_STR(fmt("2026-06-16T23:59:61"), "invalid");
	CHECK_STR(fmt("2026-06-16T14"), "invalid");
	CHECK_STR(fmt("2026-06-16T14:00:00+15:00"), "invalid");
	CHECK_STR(fmt("2026-06-16T14:00:00+01:61"), "invalid");
	CHECK_STR(fmt("2026-06-16T14:00:00."), "invalid");
	CHECK_STR(fmt("2026-06-16T14:00:00Zjunk"), "invalid");
	CHECK_STR(fmt("2026-6-16"), "invalid");
	CHECK_STR(fmt("26-06-16"), "invalid");
	CHECK_STR(fmt("2026/06/16"), "invalid");
	CHECK_STR(fmt("16/06/2026"), "invalid");
	CHECK_STR(fmt("2026-06-16 foo"), "invalid");
	CHECK_STR(fmt("0000-01-01"), "invalid");
	CHECK_STR(fmt("２０２６-06-16"), "invalid");
}

static void
test_days(void)
{
	struct date d;

	CHECK_INT(date_days(1970, 1, 1), 0);
	CHECK_INT(date_days(2000, 3, 1), 11017);
	CHECK_INT(date_days(1969, 12, 31), -1);
	date_from_days(date_days(2024, 2, 29), &d);
	CHECK_INT(d.year, 2024);
	CHECK_INT(d.month, 2);
	CHECK_INT(d.day, 29);
	CHECK_INT(d.wday, 4); /* a Thursday */
	date_from_days(date_days(2026, 6, 16), &d);
	CHECK_INT(d.wday, 2); /* a Tuesday */
	/* every day of four centuries round-trips */
	for (long z = date_days(1900, 1, 1); z < date_days(2300, 1, 1); z++) {
		date_from_days(z, &d);
		if (date_days(d.year, d.month, d.day) != z ||
		    !date_valid_ymd(d.year, d.month, d.day)) {
			CHECK_INT(date_days(d.year, d.month, d.day), z);
			break;
		}
	}
}

static void
test_cmp(void)
{
	struct date a, b;

	zone("Europe/Paris");
	CHECK(date_parse("2026-06-16", &a) && date_parse("2026-06-16T08:00", &b));
	CHECK(date_cmp(&a, &b) < 0); /* the day without a time first */
	CHECK(date_cmp(&b, &a) > 0);
	CHECK(date_parse("2026-06-16T09:00", &a));
	CHECK(date_cmp(&a, &b) > 0);
	CHECK(date_parse("2026-06-16T08:00:00+02:00", &a));
	CHECK_INT(date_cmp(&a, &b), 0);
	CHECK(date_parse("2026-06-15T23:59", &a));
	CHECK(date_cmp(&a, &b) < 0);
}

static void
test_months(void)
{
	struct month m, n;
	struct date d;

	CHECK(month_parse("2026-06", &m));
	CHECK_INT(m.year, 2026);
	CHECK_INT(m.month, 6);
	n = month_next(m);
	CHECK_INT(n.year, 2026);
	CHECK_INT(n.month, 7);
	CHECK(month_parse("2026-12", &m));
	n = month_next(m);
	CHECK_INT(n.year, 2027);
	CHECK_INT(n.month, 1);
	CHECK(!month_parse("2026-13", &m));
	CHECK(!month_parse("2026-00", &m));
	CHECK(!month_parse("2026-6", &m));
	CHECK(!month_parse("2026-06-01", &m));
	CHECK(!month_parse("juin", &m));
	CHECK(!month_parse("", &m));
	CHECK(!month_parse("0000-01", &m));

	zone("Europe/Paris");
	CHECK(month_parse("2026-06", &m));
	CHECK(date_parse("2026-06-01", &d) && month_has(m, &d));
	CHECK(date_parse("2026-06-30T23:59", &d) && month_has(m, &d));
	CHECK(date_parse("2026-07-01", &d) && !month_has(m, &d));
	CHECK(date_parse("2026-05-31", &d) && !month_has(m, &d));
	CHECK(date_parse("2025-06-15", &d) && !month_has(m, &d));
	/* in UTC still June, in Paris already July */
	CHECK(date_parse("2026-06-30T22:30:00Z", &d) && !month_has(m, &d));
	CHECK(month_has(month_next(m), &d));
	/* in UTC May, in Paris June */
	CHECK(date_parse("2026-05-31T22:30:00Z", &d) && month_has(m, &d));
}

int
main(void)
{
	RUN(test_plain_forms);
	RUN(test_zones);
	RUN(test_leap_days);
	RUN(test_month_ends);
	RUN(test_garbage);
	RUN(test_days);
	RUN(test_cmp);
	RUN(test_months);
	return 0;
}
