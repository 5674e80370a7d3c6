#!/bin/bash
# t_ics.sh - the issue's events as calendar entries (RFC 5545): the golden
# issue's calendars parsed by an independent parser (Debian's
# python3-icalendar) and checked against the events' pages; a 23:30Z event
# is the next day in Paris in the listing and the calendar; an all-day
# two-day event spans two days; a title with commas, semicolons, a
# backslash, emoji and 200 characters folds and unfolds back; an event
# ending in 2999 (a typo in date_end) makes a calendar of a few KB, and
# the VTIMEZONE, read by icalendar's own zone code, gives the zone's
# offsets in January, July and at every time of the events; UIDs stable
# across runs; compose.calendar: false and an issue without events carry
# no calendar.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

R=$TMP/repo
mkdir -p "$R/issues/2026-06" "$R/tests"
cp "$ROOT/infolettre.yaml" "$R/"
ln -s "$ROOT/tests/site" "$R/tests/site"
ln -s "$ROOT/templates" "$R/templates"
cp "$ROOT/issues/2026-06/issue.md" "$R/issues/2026-06/"
expect_status "compose 2026-06" 0 "$INFOLETTRE" -c "$R/infolettre.yaml" compose 2026-06
D=$R/issues/2026-06
"$INFOLETTRE" -c "$R/infolettre.yaml" collect 2026-06 > "$TMP/collect.tsv" 2>/dev/null

$PY - "$D" "$TMP/collect.tsv" > "$TMP/ics.check" <<'PY'
import datetime, email, email.policy, glob, os, sys
import icalendar
d, collect = sys.argv[1], sys.argv[2]
def res(name, ok, why=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
m = email.message_from_bytes(open(d + "/newsletter.eml", "rb").read(), policy=email.policy.default)
defects = list(m.defects) + [x for p in m.walk() for x in p.defects]
res("message: no defects", not defects, defects)
att = [p for p in m.walk() if p.get_content_type() == "text/calendar"]
res("message: one calendar attachment", len(att) == 1, len(att))
if att:
    a = att[0]
    res("attachment: method=PUBLISH", a.get_param("method") == "PUBLISH", a["Content-Type"])
    res("attachment: its name", a.get_filename() == "evenements-2026-06.ics", a.get_filename())
    res("attachment: the file compose wrote", a.get_payload(decode=True) == open(d + "/evenements-2026-06.ics", "rb").read())
cal = icalendar.Calendar.from_ical(open(d + "/evenements-2026-06.ics", "rb").read())
evs = {str(e["URL"]): e for e in cal.walk("VEVENT")}
events = [l.split("\t") for l in open(collect) if l.startswith("event")]
res("one VEVENT per event of the issue (%d)" % len(events), len(evs) == len(events), "%d vs %d" % (len(evs), len(events)))
res("a VTIMEZONE for Europe/Paris", any(str(t["TZID"]) == "Europe/Paris" for t in cal.walk("VTIMEZONE")))
for f in sorted(glob.glob(d + "/*.ics")):
    raw = open(f, "rb").read()
    res("%s: CRLF line ends" % os.path.basename(f), b"\n" not in raw.replace(b"\r\n", b""))
    res("%s: lines of at most 75 octets" % os.path.basename(f), all(len(l) <= 75 for l in raw.split(b"\r\n")))
    c = icalendar.Calendar.from_ical(raw)
    for e in c.walk("VEVENT"):
        u = str(e["URL"])
        same = evs.get(u)
        res("%s: the same event as the attachment's" % os.path.basename(f),
            same is not None and same["UID"] == e["UID"] and same["DTSTART"].dt == e["DTSTART"].dt
            and same["DTEND"].dt == e["DTEND"].dt and str(same["SUMMARY"]) == str(e["SUMMARY"]))
after = evs.get("https://ssphub.netlify.app/event/2026-06-30-afterwork/")
res("23:30Z on 30 June: 1 July in Paris", after is not None and after["DTSTART"].dt.date() == datetime.date(2026, 7, 1)
    and after["DTSTART"].dt.hour == 1 and after["DTSTART"].dt.utcoffset() == datetime.timedelta(hours=2), after and after["DTSTART"].dt)
row = [e for e in events if "afterwork" in e[-1] or "afterwork" in "\t".join(e)]
res("23:30Z on 30 June: 1 July in the listing too", row and "2026-07-01" in "\t".join(row[0]), row)
jd = evs.get("https://ssphub.netlify.app/event/2026-06-jdos/")
res("an event's location, escaped and back", jd is not None and str(jd["LOCATION"]) == "Insee, Montrouge", jd and jd["LOCATION"])
PY
while read -r line; do
	case $line in ok\ *) ok "${line#ok }" ;; *) fail "${line#FAIL }" "" ;; esac
done < "$TMP/ics.check"
expect_grep "the HTML part links each event's calendar" \
	'href="https://ssphub.netlify.app/infolettre/2026-06/2026-06-jdos.ics"[^>]*>Ajouter à mon agenda<' "$D/newsletter.html"
expect_grep "the text part too" '^  Ajouter à mon agenda : https://ssphub.netlify.app/infolettre/2026-06/2026-06-meetup.ics' "$D/newsletter.txt"
cp "$D/evenements-2026-06.ics" "$TMP/first.ics"
"$INFOLETTRE" -c "$R/infolettre.yaml" compose 2026-06 > /dev/null 2>&1
expect_same "a second run: the same calendar (UIDs, DTSTAMP)" "$TMP/first.ics" "$D/evenements-2026-06.ics"

# a site of two events: all-day over two days, and a hard title
S=$TMP/site
mkdir -p "$S/site/event/a" "$S/site/event/b" "$S/issues/2026-06"
cat > "$S/site/event/a/index.md" <<'E2'
---
title: "Journées data science"
date: 2026-06-16
date_end: 2026-06-17
location: "Montrouge"
description: "Deux jours."
---
E2
long="Une phrase française de deux cents caractères, avec des virgules, des points-virgules ; une barre oblique inverse \\\\ et des émojis 🎉📊 pour voir si le pliage des lignes à soixante-quinze octets tient bien le coup."
cat > "$S/site/event/b/index.md" <<E2
---
title: "$long"
date: 2026-06-20T10:00:00+02:00
---
E2
mkdir -p "$S/site/event/c"
cat > "$S/site/event/c/index.md" <<'E2'
---
title: "Atelier"
date: 2026-06-22T14:00:00+02:00
end: 2026-06-22T17:30:00+02:00
address: "88 avenue Verdier, Montrouge"
---
E2
mkdir -p "$S/site/event/d"
cat > "$S/site/event/d/index.md" <<'E2'
---
title: "Séminaire permanent"
date: 2026-06-25T10:00:00+02:00
date_end: 2999-12-31T18:00:00+01:00
---
E2
cat > "$S/issues/2026-06/issue.md" <<'E2'
---
subject: "Calendrier"
---

Texte.
E2
cat > "$S/infolettre.yaml" <<E2
newsletter:
  title: "Test"
  from: "Test <test@example.org>"
  list_id: "test.example.org"
  timezone: Europe/Paris
site:
  root: "site"
  base_url: "https://example.org/"
  events: ["event"]
  archive_url: "https://example.org/archive/{month}/"
issues: "issues"
templates: "$ROOT/templates"
E2
expect_status "two events: compose" 0 "$INFOLETTRE" -c "$S/infolettre.yaml" compose 2026-06
$PY - "$S/issues/2026-06/evenements-2026-06.ics" "$long" > "$TMP/two.check" <<'PY'
import datetime, sys, zoneinfo
import icalendar
raw = open(sys.argv[1], "rb").read()
want = sys.argv[2].replace("\\\\", "\\")
def res(name, ok, why=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
c = icalendar.Calendar.from_ical(raw)
ev = {str(e["URL"]): e for e in c.walk("VEVENT")}
a = ev["https://example.org/event/a/"]
res("all-day: VALUE=DATE", type(a["DTSTART"].dt) is datetime.date, a["DTSTART"].dt)
res("all-day over two days: 16 to 18 (exclusive)", a["DTSTART"].dt == datetime.date(2026, 6, 16) and a["DTEND"].dt == datetime.date(2026, 6, 18), (a["DTSTART"].dt, a["DTEND"].dt))
b = ev["https://example.org/event/b/"]
res("a hard title folds and unfolds back", str(b["SUMMARY"]) == want, repr(str(b["SUMMARY"])))
res("a timed event without end: one hour", b["DTEND"].dt - b["DTSTART"].dt == datetime.timedelta(hours=1))
c3 = ev["https://example.org/event/c/"]
res("end: and address: read", c3["DTEND"].dt.hour == 17 and c3["DTEND"].dt.minute == 30 and str(c3["LOCATION"]) == "88 avenue Verdier, Montrouge", (c3["DTEND"].dt, c3.get("LOCATION")))
res("folded at 75 octets, between UTF-8 characters", all(len(l) <= 75 for l in raw.split(b"\r\n")) and raw.decode("utf-8"))
d4 = ev["https://example.org/event/d/"]
res("an end in 2999: read as such", d4["DTEND"].dt.replace(tzinfo=None) == datetime.datetime(2999, 12, 31, 18, 0), d4["DTEND"].dt)
res("an end in 2999: a calendar of a few KB, not the zone's every year between", len(raw) < 8000, len(raw))
tz = {str(t["TZID"]): t.to_tz() for t in c.walk("VTIMEZONE")}.get("Europe/Paris")
paris = zoneinfo.ZoneInfo("Europe/Paris")
bad = []
for e in c.walk("VEVENT"):
    for k in ("DTSTART", "DTEND"):
        p = e[k]
        if "TZID" not in p.params:
            continue
        n = p.dt.replace(tzinfo=None)
        for w in (n, n.replace(month=1, day=15, hour=12, minute=0), n.replace(month=7, day=1, hour=12, minute=0)):
            if tz is None or tz.localize(w).utcoffset() != w.replace(tzinfo=paris).utcoffset():
                bad.append((str(e["URL"]), k, str(w), tz and tz.localize(w).utcoffset()))
res("the VTIMEZONE's offsets (icalendar's to_tz) are Paris's in January, July and at the events' times", not bad, bad)
PY
while read -r line; do
	case $line in ok\ *) ok "${line#ok }" ;; *) fail "${line#FAIL }" "" ;; esac
done < "$TMP/two.check"

# a zone half an hour off the hour (Asia/Kolkata, +05:30): the year's
# first observance starts on 1 January at 00:00, and the VTIMEZONE gives
# the zone's offsets
sed 's|timezone: Europe/Paris|timezone: Asia/Kolkata|' "$S/infolettre.yaml" > "$S/kolkata.yaml"
expect_status "Asia/Kolkata: compose" 0 "$INFOLETTRE" -c "$S/kolkata.yaml" compose 2026-06
$PY - "$S/issues/2026-06/evenements-2026-06.ics" > "$TMP/kolkata.check" <<'PY'
import sys, zoneinfo
import icalendar
def res(name, ok, why=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
c = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
vtz = [t for t in c.walk("VTIMEZONE") if str(t["TZID"]) == "Asia/Kolkata"]
res("Asia/Kolkata: its VTIMEZONE", len(vtz) == 1, len(vtz))
if vtz:
    first = [o["DTSTART"].dt for o in vtz[0].walk() if o.name in ("STANDARD", "DAYLIGHT")]
    res("Asia/Kolkata: the first observance on 1 January at 00:00", first and str(first[0]) == "2026-01-01 00:00:00", first[:1])
    tz, kol, bad = vtz[0].to_tz(), zoneinfo.ZoneInfo("Asia/Kolkata"), []
    for e in c.walk("VEVENT"):
        p = e["DTSTART"]
        if "TZID" in p.params:
            n = p.dt.replace(tzinfo=None)
            if tz.localize(n).utcoffset() != n.replace(tzinfo=kol).utcoffset():
                bad.append(str(n))
    res("Asia/Kolkata: the events' offsets", not bad, bad)
PY
while read -r line; do
	case $line in ok\ *) ok "${line#ok }" ;; *) fail "${line#FAIL }" "" ;; esac
done < "$TMP/kolkata.check"

# compose.calendar: false: no attachment, no links, no files
printf 'compose:\n  calendar: false\n' >> "$S/infolettre.yaml"
rm -f "$S/issues/2026-06/"*.ics
expect_status "calendar off: compose" 0 "$INFOLETTRE" -c "$S/infolettre.yaml" compose 2026-06
expect_nogrep "calendar off: no attachment" 'text/calendar' "$S/issues/2026-06/newsletter.eml"
expect_nogrep "calendar off: no link" 'agenda' "$S/issues/2026-06/newsletter.html"
expect "calendar off: no .ics file" "" "$(ls "$S/issues/2026-06" | grep '\.ics$')"
# no event (the editors' issue of September): no calendar either
expect_nogrep "no event: no attachment" 'text/calendar' "$ROOT/tests/editors/issues/2026-09/newsletter.eml"
expect "no event: no .ics file" "" "$(ls "$ROOT/tests/editors/issues/2026-09" | grep '\.ics$')"
