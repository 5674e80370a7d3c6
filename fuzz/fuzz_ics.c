/* fuzz_ics.c - libFuzzer target for the calendar entries (ics.h): up to
 * three events whose dates (years 1 to 9999, with or without a time, with
 * or without an end) and texts (any bytes: title, location, description,
 * URL) come from the input, written in Europe/Paris or UTC. No crash, no
 * leak, no hang, and on any input: CRLF line ends and no other CR or LF;
 * no line over 75 octets; each VEVENT's SUMMARY, unfolded and unescaped,
 * is the title less its control characters; and the calendar's size is
 * bounded by its texts and events, not by the years between the dates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fuzz.h"
#include "ics.h"
#include "util.h"

#define MAX_EVENTS 3

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	return 0;
}

/* A date from 6 bytes of *p: year 1..9999, a real day, a time or not. */
static void
date_of(const uint8_t *p, struct date *d)
{
	int y = (p[0] << 8 | p[1]) % 9999 + 1;

	memset(d, 0, sizeof(*d));
	d->year = y;
	d->month = p[2] % 12 + 1;
	d->day = p[3] % 28 + 1;
	d->has_time = p[4] & 1;
	d->hour = (p[4] >> 1) % 24;
	d->min = p[5] % 60;
}

/* The calendar unfolded: every CRLF followed by a blank removed. */
static char *
unfold(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ') {
			s += 2;
			continue;
		}
		buf_putc(&b, *s);
	}
	return buf_detach(&b);
}

/* What SUMMARY should read back: the title less CR and controls other
 * than LF. */
static char *
expected_title(const char *t)
{
	struct buf b = BUF_INIT;

	for (; *t; t++)
		if (*t == '\n' || ((unsigned char)*t >= 0x20 && *t != 0x7f))
			buf_putc(&b, *t);
	return buf_detach(&b);
}

/* The value of the SUMMARY line at s (after "SUMMARY:"), unescaped. */
static char *
unescape_line(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s && *s != '\r'; s++) {
		if (*s != '\\') {
			buf_putc(&b, *s);
			continue;
		}
		s++;
		if (*s == 'n' || *s == 'N')
			buf_putc(&b, '\n');
		else if (*s == '\\' || *s == ';' || *s == ',')
			buf_putc(&b, *s);
		else
			abort(); /* an escape RFC 5545 does not have */
	}
	return buf_detach(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ics_event ev[MAX_EVENTS];
	char *texts[MAX_EVENTS][4];
	const uint8_t *p = data, *end = data + size;
	size_t n, text_len = 0;
	char *cal, *flat, *at;
	bool utc;

	if (size < 1)
		return 0;
	n = (size_t)(p[0] & 3) % MAX_EVENTS + 1;
	utc = p[0] & 4;
	p++;
	if ((size_t)(end - p) < n * 12)
		return 0;
	for (size_t i = 0; i < n; i++) {
		date_of(p, &ev[i].start);
		date_of(p + 6, &ev[i].end);
		ev[i].has_end = p[11] & 1;
		p += 12;
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 4; k++) {
			texts[i][k] = fuzz_field(&p, end);
			text_len += strlen(texts[i][k]);
		}
		ev[i].title = texts[i][0];
		ev[i].location = texts[i][1];
		ev[i].description = texts[i][2];
		ev[i].url = texts[i][3];
	}

	cal = ics_calendar(ev, n, utc ? "UTC" : "Europe/Paris", 1780000000);

	/* CRLF only, lines of at most 75 octets */
	for (const char *l = cal; *l; ) {
		const char *crlf = strstr(l, "\r\n");

		if (!crlf || (size_t)(crlf - l) > 75 ||
		    memchr(l, '\n', (size_t)(crlf - l)) ||
		    memchr(l, '\r', (size_t)(crlf - l)))
			abort();
		l = crlf + 2;
	}
	/* text escaped (twice its length at most), folded (a CRLF and a
	 * blank per 74 octets), about 600 octets an event, and for the
	 * zone no more than a few changes a year of the events */
	if (strlen(cal) > 1000 + 3 * (2 * text_len + 3 * (text_len + 200)) +
	    n * 600 + 2 * n * 1000)
		abort();
	/* each SUMMARY reads back as its title */
	flat = unfold(cal);
	at = flat;
	for (size_t i = 0; i < n; i++) {
		char *want = expected_title(ev[i].title), *got;

		at = strstr(at, "\r\nSUMMARY:");
		if (!at)
			abort();
		at += strlen("\r\nSUMMARY:");
		got = unescape_line(at);
		if (strcmp(got, want) != 0)
			abort();
		free(got);
		free(want);
	}
	if (strncmp(cal, "BEGIN:VCALENDAR\r\n", 17) != 0 ||
	    strcmp(cal + strlen(cal) - 15, "END:VCALENDAR\r\n") != 0)
		abort();

	free(flat);
	free(cal);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			free(texts[i][k]);
	return 0;
}
