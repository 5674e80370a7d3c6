/* date.h - the dates content files really hold, placed in the newsletter's zone */
#ifndef INFOLETTRE_DATE_H
#define INFOLETTRE_DATE_H

#include <stdbool.h>
#include <time.h>

/* A calendar date (and time of day when known) in the local zone, that is
 * the process's TZ, which config_load sets to newsletter.timezone. */
struct date {
	int year, month, day; /* month 1..12 */
	int hour, min;        /* meaningful when has_time */
	bool has_time;
	int wday;             /* 0 = Sunday */
};

/* Parse "2026-06-16", "2026-06-16T14:00[:00[.000]]" (local time),
 * "…Z", "…+01:00", "…+0100", "…+01", "… -5" (YAML's one-digit hour; all
 * converted to local time), with a space allowed instead of 'T'.
 * Surrounding blanks are ignored. Returns true and fills *d, or false when
 * s is not one of these or not a real day and time. */
bool date_parse(const char *s, struct date *d);

/* Is y-m-d a day of the proleptic Gregorian calendar? */
bool date_valid_ymd(int y, int m, int d);
/* Days since 1970-01-01 of y-m-d (negative before). */
long date_days(int y, int m, int d);
/* Order two dates: by day, then a date without time before one with. */
int date_cmp(const struct date *a, const struct date *b);
/* Fill d (date only) from days since 1970-01-01. */
void date_from_days(long days, struct date *d);

/* A month "YYYY-MM". */
struct month {
	int year, month;
};
/* Parse "YYYY-MM" (1..9999, 01..12); false when malformed. */
bool month_parse(const char *s, struct month *m);
/* The month after m. */
struct month month_next(struct month m);
/* Does d fall in m? */
bool month_has(struct month m, const struct date *d);

#endif
