/* ics.c - calendar entries (RFC 5545) for the events (ics.h) */
#include "ics.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "util.h"

#define FOLD 75 /* octets a line holds, CRLF apart */

/* One content line, folded at FOLD octets between UTF-8 characters (of
 * four octets at most: a longer run of continuation octets, not UTF-8,
 * is cut anywhere). */
static void
line(struct buf *b, const char *s)
{
	size_t col = 0, n = strlen(s);

	for (size_t i = 0; i < n; ) {
		size_t c = 1;

		while (c < 4 && i + c < n &&
		    ((unsigned char)s[i + c] & 0xc0) == 0x80)
			c++;
		if (col + c > FOLD) {
			buf_puts(b, "\r\n ");
			col = 1;
		}
		buf_put(b, s + i, c);
		col += c;
		i += c;
	}
	buf_puts(b, "\r\n");
}

/* name:TEXT, escaped (backslash, semicolon, comma, line breaks). */
static void
text_prop(struct buf *b, const char *name, const char *s)
{
	struct buf v = BUF_INIT;

	buf_printf(&v, "%s:", name);
	for (; *s; s++) {
		switch (*s) {
		case '\\': buf_puts(&v, "\\\\"); break;
		case ';': buf_puts(&v, "\\;"); break;
		case ',': buf_puts(&v, "\\,"); break;
		case '\n': buf_puts(&v, "\\n"); break;
		case '\r': break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				buf_putc(&v, *s);
		}
	}
	line(b, buf_str(&v));
	buf_free(&v);
}

/* name:URI: no control character (a line break would end the property),
 * a blank as %20. */
static void
uri_prop(struct buf *b, const char *name, const char *uri)
{
	struct buf v = BUF_INIT;

	buf_printf(&v, "%s:", name);
	for (; *uri; uri++) {
		if (*uri == ' ')
			buf_puts(&v, "%20");
		else if ((unsigned char)*uri > 0x20 && *uri != 0x7f)
			buf_putc(&v, *uri);
	}
	line(b, buf_str(&v));
	buf_free(&v);
}

static time_t
local_time(const struct date *d, int add_hours)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->year - 1900;
	tm.tm_mon = d->month - 1;
	tm.tm_mday = d->day;
	tm.tm_hour = d->hour + add_hours;
	tm.tm_min = d->min;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* name;TZID=zone:YYYYMMDDTHHMMSS, or name:…Z in UTC. */
static void
time_prop(struct buf *b, const char *name, time_t t, const char *tzid)
{
	struct tm tm;
	char v[128];

	if (strcmp(tzid, "UTC") == 0) {
		gmtime_r(&t, &tm);
		snprintf(v, sizeof(v), "%s:%04d%02d%02dT%02d%02d%02dZ", name,
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec);
	} else {
		localtime_r(&t, &tm);
		snprintf(v, sizeof(v), "%s;TZID=%s:%04d%02d%02dT%02d%02d%02d",
			name, tzid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	line(b, v);
}

static void
date_prop(struct buf *b, const char *name, long days)
{
	struct date d;
	char v[64];

	date_from_days(days, &d);
	snprintf(v, sizeof(v), "%s;VALUE=DATE:%04d%02d%02d", name, d.year,
		d.month, d.day);
	line(b, v);
}

static void
offset(char out[16], long secs)
{
	int a = (int)((secs < 0 ? -secs : secs) % 86400);

	snprintf(out, 16, "%c%02d%02d", secs < 0 ? '-' : '+', a / 3600,
		a / 60 % 60);
}

/* One STANDARD or DAYLIGHT observance: from the offset of *before to that
 * of *after, at the instant t (written as the clock showed it just
 * before). */
static void
observance(struct buf *b, time_t t, const struct tm *before,
	const struct tm *after)
{
	time_t wall = t + before->tm_gmtoff;
	struct tm w;
	char from[16], to[16], v[96];

	gmtime_r(&wall, &w);
	line(b, after->tm_isdst ? "BEGIN:DAYLIGHT" : "BEGIN:STANDARD");
	snprintf(v, sizeof(v), "DTSTART:%04d%02d%02dT%02d%02d%02d",
		w.tm_year + 1900, w.tm_mon + 1, w.tm_mday, w.tm_hour, w.tm_min,
		w.tm_sec);
	line(b, v);
	offset(from, before->tm_gmtoff);
	offset(to, after->tm_gmtoff);
	snprintf(v, sizeof(v), "TZOFFSETFROM:%s", from);
	line(b, v);
	snprintf(v, sizeof(v), "TZOFFSETTO:%s", to);
	line(b, v);
	if (after->tm_zone && *after->tm_zone) {
		snprintf(v, sizeof(v), "TZNAME:%s", after->tm_zone);
		line(b, v);
	}
	line(b, after->tm_isdst ? "END:DAYLIGHT" : "END:STANDARD");
}

/* 1 January of year y, 00:00 local time. */
static time_t
year_start(int y)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The zone's offsets in the years the events' times fall in (years[],
 * sorted, distinct), from the system's zone data. A year that does not
 * follow the one before (the first one too) opens with the offset in
 * effect on its 1 January, so that no time depends on how a client reads
 * the times before the first onset; then one STANDARD or DAYLIGHT per
 * change (no RRULE: each change as it is). Only those years are looked
 * at: an event ending centuries later (a typo in date_end) costs two
 * years, not all the years between. */
static void
vtimezone(struct buf *b, const char *tzid, const int *years, size_t ny)
{
	struct tm tm, prev;
	char v[96];

	line(b, "BEGIN:VTIMEZONE");
	snprintf(v, sizeof(v), "TZID:%s", tzid);
	line(b, v);
	for (size_t k = 0; k < ny; k++) {
		time_t start = year_start(years[k]), t = start,
		    end = year_start(years[k] + 1);

		if (k == 0 || years[k] != years[k - 1] + 1) {
			localtime_r(&start, &prev);
			observance(b, start, &prev, &prev);
		}
		/* changes are looked for on the hour (UTC), from the hour
		 * before the year's start (1969 and before too) */
		t -= (t % 3600 + 3600) % 3600;
		localtime_r(&t, &prev);
		for (t += 3600; t <= end; t += 3600) {
			localtime_r(&t, &tm);
			if (tm.tm_gmtoff != prev.tm_gmtoff)
				observance(b, t, &prev, &tm);
			prev = tm;
		}
	}
	line(b, "END:VTIMEZONE");
}

/* A timed event's start and end instants: the end given, else one hour
 * after the start; an end day without a time takes the start's time. */
static void
event_times(const struct ics_event *e, time_t *t0, time_t *t1)
{
	*t0 = local_time(&e->start, 0);
	if (e->has_end && e->end.has_time)
		*t1 = local_time(&e->end, 0);
	else if (e->has_end) {
		struct date d = e->end;

		d.hour = e->start.hour;
		d.min = e->start.min;
		*t1 = local_time(&d, 0);
	} else
		*t1 = local_time(&e->start, 1);
	if (*t1 <= *t0)
		*t1 = local_time(&e->start, 1);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The VTIMEZONE of the timed events' years, when there are some. */
static void
zone_of(struct buf *b, const struct ics_event *v, size_t n, const char *tzid)
{
	int *years = xmalloc((2 * n + 1) * sizeof(*years));
	size_t ny = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		time_t t[2];
		struct tm tm;

		if (!v[i].start.has_time)
			continue;
		event_times(&v[i], &t[0], &t[1]);
		for (int j = 0; j < 2; j++) {
			localtime_r(&t[j], &tm);
			years[ny++] = tm.tm_year + 1900;
		}
	}
	qsort(years, ny, sizeof(*years), cmp_int);
	for (size_t i = 0; i < ny; i++)
		if (k == 0 || years[i] != years[k - 1])
			years[k++] = years[i];
	if (k)
		vtimezone(b, tzid, years, k);
	free(years);
}

char *
ics_calendar(const struct ics_event *v, size_t n, const char *tzid,
	long long stamp)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	bool utc = strcmp(tzid, "UTC") == 0;
	time_t st = (time_t)stamp;
	struct tm tm;
	char p[128];

	line(&b, "BEGIN:VCALENDAR");
	line(&b, "VERSION:2.0");
	line(&b, "PRODID:-//infolettre//infolettre " VERSION "//FR");
	line(&b, "CALSCALE:GREGORIAN");
	line(&b, "METHOD:PUBLISH");
	if (!utc)
		zone_of(&b, v, n, tzid);
	gmtime_r(&st, &tm);
	for (size_t i = 0; i < n; i++) {
		const struct ics_event *e = &v[i];
		unsigned char h[32];
		char hex[65];

		line(&b, "BEGIN:VEVENT");
		buf_reset(&s);
		buf_printf(&s, "%s\n%04d-%02d-%02dT%02d:%02d", e->url,
			e->start.year, e->start.month, e->start.day,
			e->start.has_time ? e->start.hour : 0,
			e->start.has_time ? e->start.min : 0);
		gnutls_hash_fast(GNUTLS_DIG_SHA256, s.data, s.len, h);
		codec_hex(hex, h, 16);
		snprintf(p, sizeof(p), "UID:%s@infolettre", hex);
		line(&b, p);
		snprintf(p, sizeof(p), "DTSTAMP:%04d%02d%02dT%02d%02d%02dZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec);
		line(&b, p);
		if (e->start.has_time) {
			time_t t0, t1;

			event_times(e, &t0, &t1);
			time_prop(&b, "DTSTART", t0, tzid);
			time_prop(&b, "DTEND", t1, tzid);
		} else {
			long d0 = date_days(e->start.year, e->start.month,
				e->start.day), d1 = d0;

			if (e->has_end)
				d1 = date_days(e->end.year, e->end.month,
					e->end.day);
			if (d1 < d0)
				d1 = d0;
			date_prop(&b, "DTSTART", d0);
			date_prop(&b, "DTEND", d1 + 1);
		}
		text_prop(&b, "SUMMARY", e->title);
		if (e->location && *e->location)
			text_prop(&b, "LOCATION", e->location);
		buf_reset(&s);
		if (e->description && *e->description)
			buf_printf(&s, "%s\n\n", e->description);
		buf_puts(&s, e->url);
		text_prop(&b, "DESCRIPTION", buf_str(&s));
		uri_prop(&b, "URL", e->url);
		line(&b, "END:VEVENT");
	}
	line(&b, "END:VCALENDAR");
	buf_free(&s);
	return buf_detach(&b);
}
