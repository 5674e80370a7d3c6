/* date.c - date parsing with time zones, by integer arithmetic */
#include "date.h"

#include <ctype.h>
#include <string.h>

bool
date_valid_ymd(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Howard Hinnant's days_from_civil. */
long
date_days(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
date_from_days(long z, struct date *d)
{
	long era, doe, yoe, y, doy, mp;

	memset(d, 0, sizeof(*d));
	d->wday = (int)(((z + 4) % 7 + 7) % 7);
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (int)(y + (d->month <= 2));
}

static bool digits(const char **s, int n, int *out);

/* Read one or two digits (YAML allows "9:30" and a "-5" offset). */
static bool
digits12(const char **s, int *out)
{
	if (!isdigit((unsigned char)**s))
		return false;
	if (isdigit((unsigned char)(*s)[1]))
		return digits(s, 2, out);
	return digits(s, 1, out);
}

/* Read exactly n digits. */
static bool
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

bool
date_parse(const char *s, struct date *d)
{
	int y, mo, da, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
	bool has_time = false, has_zone = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) ||
	    *s++ != '-' || !digits(&s, 2, &da))
		return false;
	if (!date_valid_ymd(y, mo, da))
		return false;
	if ((*s == 'T' || *s == 't' || *s == ' ') && isdigit((unsigned char)s[1])) {
		s++;
		if (!digits12(&s, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return false;
		if (*s == ':') {
			s++;
			if (!digits(&s, 2, &se))
				return false;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return false;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (h > 23 || mi > 59 || se > 60)
			return false;
		has_time = true;
		if (*s == ' ')
			s++;
		if (*s == 'Z' || *s == 'z') {
			s++;
			has_zone = true;
		} else if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0) {
			s += 3;
			has_zone = true;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!digits12(&s, &oh))
				return false;
			if (*s == ':')
				s++;
			if (isdigit((unsigned char)*s) && !digits(&s, 2, &om))
				return false;
			if (oh > 14 || om > 59)
				return false;
			has_zone = true;
		}
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s)
		return false;

	if (has_zone) {
		/* to UTC, then to the local zone */
		long long t = (long long)date_days(y, mo, da) * 86400 +
			h * 3600 + mi * 60 + se -
			(long long)sign * (oh * 3600 + om * 60);
		time_t tt = (time_t)t;
		struct tm tm;

		if (!localtime_r(&tt, &tm))
			return false;
		y = tm.tm_year + 1900;
		mo = tm.tm_mon + 1;
		da = tm.tm_mday;
		h = tm.tm_hour;
		mi = tm.tm_min;
	}
	date_from_days(date_days(y, mo, da), d);
	d->has_time = has_time;
	d->hour = has_time ? h : 0;
	d->min = has_time ? mi : 0;
	return true;
}

int
date_cmp(const struct date *a, const struct date *b)
{
	long da = date_days(a->year, a->month, a->day);
	long db = date_days(b->year, b->month, b->day);
	int ta = a->has_time ? a->hour * 60 + a->min : -1;
	int tb = b->has_time ? b->hour * 60 + b->min : -1;

	if (da != db)
		return da < db ? -1 : 1;
	return (ta > tb) - (ta < tb);
}

bool
month_parse(const char *s, struct month *m)
{
	int y, mo;

	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s)
		return false;
	if (y < 1 || mo < 1 || mo > 12)
		return false;
	m->year = y;
	m->month = mo;
	return true;
}

struct month
month_next(struct month m)
{
	if (++m.month > 12) {
		m.month = 1;
		m.year++;
	}
	return m;
}

bool
month_has(struct month m, const struct date *d)
{
	return d->year == m.year && d->month == m.month;
}
