/* ics.h - calendar entries (iCalendar, RFC 5545) for the events */
#ifndef INFOLETTRE_ICS_H
#define INFOLETTRE_ICS_H

#include <stdbool.h>

#include "date.h"

struct ics_event {
	const char *title;       /* plain text */
	const char *url;         /* the event's page: URL, and in DESCRIPTION */
	const char *location;    /* may be NULL */
	const char *description; /* plain text, may be NULL */
	struct date start, end;  /* local time (the process's TZ); a date
	                          * alone is an all-day event */
	bool has_end;            /* else one hour (timed) or the same day */
};

/*
 * A VCALENDAR (METHOD:PUBLISH) holding one VEVENT per event: CRLF line
 * ends, lines folded at 75 octets between UTF-8 characters, text escaped
 * as RFC 5545 says. Timed events are written in tzid (newsletter.timezone,
 * the process's TZ) with a VTIMEZONE made from the system's zone data for
 * the years concerned, or in UTC when tzid is "UTC"; all-day ones as
 * VALUE=DATE (DTEND the day after the last). UID: a hash of the URL and
 * the start, the same on every run; DTSTAMP: stamp (seconds since the
 * epoch, SOURCE_DATE_EPOCH's). The caller frees it.
 */
char *ics_calendar(const struct ics_event *v, size_t n, const char *tzid,
	long long stamp);

#endif
