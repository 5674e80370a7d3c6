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

/* One content line, folded at FOLD octets between UTF-8 characters. */
static void
line(struct buf *b, const char *s)
{
	size_t col = 0, n = strlen(s);

	for (size_t i = 0; i < n; ) {
		size_t c = 1;

		while (i + c < n && ((unsigned char)s[i + c] & 0xc0) == 0x80)
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

/* The zone's offsets over the years y0..y1, from the system's zone data:
 * one STANDARD or DAYLIGHT per change (no RRULE: each change as it is). */
static void
vtimezone(struct buf *b, const char *tzid, int y0, int y1)
{
	struct tm tm, prev;
	time_t t, end;
	bool any = false;
	char from[16], to[16], v[96];

	line(b, "BEGIN:VTIMEZONE");
	snprintf(v, sizeof(v), "TZID:%s", tzid);
	line(b, v);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y0 - 1900;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	tm.tm_year = y1 + 1 - 1900;
	tm.tm_mon = 0;
	tm.tm_mday = 1;
	tm.tm_hour = 0;
	tm.tm_isdst = -1;
	end = mktime(&tm);
	t -= t % 3600;
	localtime_r(&t, &prev);
	for (t += 3600; t <= end; t += 3600) {
		localtime_r(&t, &tm);
		if (tm.tm_gmtoff == prev.tm_gmtoff) {
			prev = tm;
			continue;
		}
		/* the onset, as the clock showed it just before */
		{
			time_t wall = t + prev.tm_gmtoff;
			struct tm w;

			gmtime_r(&wall, &w);
			line(b, tm.tm_isdst ? "BEGIN:DAYLIGHT" : "BEGIN:STANDARD");
			snprintf(v, sizeof(v), "DTSTART:%04d%02d%02dT%02d%02d%02d",
				w.tm_year + 1900, w.tm_mon + 1, w.tm_mday,
				w.tm_hour, w.tm_min, w.tm_sec);
			line(b, v);
		}
		offset(from, prev.tm_gmtoff);
		offset(to, tm.tm_gmtoff);
		snprintf(v, sizeof(v), "TZOFFSETFROM:%s", from);
		line(b, v);
		snprintf(v, sizeof(v), "TZOFFSETTO:%s", to);
		line(b, v);
		if (tm.tm_zone && *tm.tm_zone) {
			snprintf(v, sizeof(v), "TZNAME:%s", tm.tm_zone);
			line(b, v);
		}
		line(b, tm.tm_isdst ? "END:DAYLIGHT" : "END:STANDARD");
		any = true;
		prev = tm;
	}
	if (!any) {
		/* no change in those years: the one offset */
		offset(to, prev.tm_gmtoff);
		line(b, "BEGIN:STANDARD");
		line(b, "DTSTART:19700101T000000");
		snprintf(v, sizeof(v), "TZOFFSETFROM:%s", to);
		line(b, v);
		snprintf(v, sizeof(v), "TZOFFSETTO:%s", to);
		line(b, v);
		line(b, "END:STANDARD");
	}
	line(b, "END:VTIMEZONE");
}

char *
ics_calendar(const struct ics_event *v, size_t n, const char *tzid,
	long long stamp)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	int y0 = 9999, y1 = 0;
	bool timed = false, utc = strcmp(tzid, "UTC") == 0;
	time_t st = (time_t)stamp;
	struct tm tm;
	char p[128];

	line(&b, "BEGIN:VCALENDAR");
	line(&b, "VERSION:2.0");
	line(&b, "PRODID:-//infolettre//infolettre " VERSION "//FR");
	line(&b, "CALSCALE:GREGORIAN");
	line(&b, "METHOD:PUBLISH");
	for (size_t i = 0; i < n; i++)
		if (v[i].start.has_time) {
			timed = true;
			if (v[i].start.year < y0)
				y0 = v[i].start.year;
			if (v[i].start.year > y1)
				y1 = v[i].start.year;
			if (v[i].has_end && v[i].end.year > y1)
				y1 = v[i].end.year;
		}
	if (timed && !utc)
		vtimezone(&b, tzid, y0, y1);
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
			time_t t0 = local_time(&e->start, 0), t1;

			if (e->has_end && e->end.has_time)
				t1 = local_time(&e->end, 0);
			else if (e->has_end) {
				/* an end day without a time: the start's time */
				struct date d = e->end;

				d.hour = e->start.hour;
				d.min = e->start.min;
				t1 = local_time(&d, 0);
			} else
				t1 = local_time(&e->start, 1);
			if (t1 <= t0)
				t1 = local_time(&e->start, 1);
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
		buf_reset(&s);
		buf_printf(&s, "URL:%s", e->url);
		line(&b, buf_str(&s));
		line(&b, "END:VEVENT");
	}
	line(&b, "END:VCALENDAR");
	buf_free(&s);
	return buf_detach(&b);
}
