#!/bin/bash
# infolettre.yaml errors: exit 78 and "infolettre: FILE:LINE:COL: reason";
# where the configuration is found (-c, INFOLETTRE_CONFIG, ./infolettre.yaml).
# time limit: 120 s
. "$(dirname "$0")/lib.sh"
unset INFOLETTRE_CONFIG

# cfg NAME: write $TMP/NAME.yaml from stdin
cfg() { cat > "$TMP/$1.yaml"; }
HEAD='newsletter:
  title: "Infolettre"
  from: "SSP Hub <infolettre@example.org>"'
SITE="site:
  root: \"$ROOT/tests/site\"
  base_url: \"https://ssphub.netlify.app/\"
  posts: [blog, content/post]
  events: [event, content/event]"

# bad NAME LINE:COL MESSAGE-REGEX: collect with $TMP/NAME.yaml exits 78
# with one error line at that place, and prints nothing on stdout
bad() {
	expect_status "config $1: exit 78" 78 "$INFOLETTRE" -c "$TMP/$1.yaml" collect 2026-06
	expect_grep "config $1: $2" "^infolettre: $TMP/$1.yaml:$2: $3" "$TMP/err"
	expect "config $1: one line on stderr" 1 "$(wc -l < "$TMP/err")"
	expect "config $1: nothing on stdout" "" "$(cat "$TMP/out")"
}

printf '%s\n%s\n' "$HEAD" "$SITE" | cfg good
expect_status "config good" 0 "$INFOLETTRE" -c "$TMP/good.yaml" collect 2026-06
expect_grep "config good: the site is read" $'^post\t2026-06-10\t' "$TMP/out"

printf '%s\nsite:\n  root: "r"\n  posts: [blog, content/post\n  events: [event]\n' "$HEAD" | cfg syntax
bad syntax 7:9 "YAML error: did not find expected ',' or ']' while parsing a flow sequence started at 6:10$"
printf '%s\n%s\n  archive_url: "https://x.org/{month}/\n' "$HEAD" "$SITE" | cfg syntax-quote
bad syntax-quote 10:1 'YAML error: found unexpected end of stream while scanning a quoted scalar started at 9:16$'
printf '%s\n  tittle: "x"\n%s\n' "$HEAD" "$SITE" | cfg unknown
bad unknown 4:3 'unknown key "newsletter.tittle" \(valid under newsletter: title, from, reply_to, list_id, language, timezone\)$'
printf '%s\n%s\ncolour: blue\n' "$HEAD" "$SITE" | cfg unknown-top
bad unknown-top 9:1 'unknown key "colour" \(valid at top level: newsletter, site, '
printf '%s\n  reply_to: [a@example.org, b@example.org]\n%s\n' "$HEAD" "$SITE" | cfg list-for-string
bad list-for-string 4:13 'newsletter.reply_to: expected a string, found a list$'
printf '%s\n%s\ntransport:\n  concurrency:\n    max: 4\n' "$HEAD" "$SITE" | cfg map-for-int
bad map-for-int 11:5 'transport.concurrency: expected an integer, found a mapping$'
printf '%s\n%s\ntransport:\n  concurrency: 500\n' "$HEAD" "$SITE" | cfg range
bad range 10:16 'transport.concurrency: 500 is out of range 1..64$'
printf '%s\n%s\ntransport:\n  concurrency: beaucoup\n' "$HEAD" "$SITE" | cfg not-int
bad not-int 10:16 'transport.concurrency: "beaucoup" is not an integer$'
printf 'newsletter:\n  title: "x"\n%s\n' "$SITE" | cfg missing
bad missing 1:1 'missing required key "newsletter.from"$'
printf '%s\n' "$HEAD" | cfg missing-site
bad missing-site 1:1 'missing required key "site.root"$'
printf '%s\n  timezone: Europe/Montrouge\n%s\n' "$HEAD" "$SITE" | cfg zone
bad zone 4:13 'newsletter.timezone: unknown time zone "Europe/Montrouge"'
printf '%s\n  language: de\n%s\n' "$HEAD" "$SITE" | cfg language
bad language 4:13 'newsletter.language: "de" is not one of fr\|en$'
printf '%s\n%s\n  root: "ailleurs"\n' "$HEAD" "$SITE" | cfg twice
bad twice 9:3 'site.root: key given twice$'
printf '%s\n  from: "x@example.org"\n%s\n' "$HEAD" "$SITE" | cfg twice-from
bad twice-from 4:3 'newsletter.from: key given twice$'
printf '\n' | cfg empty
expect_status "config empty: exit 78" 78 "$INFOLETTRE" -c "$TMP/empty.yaml" collect 2026-06
expect_grep "config empty: says so" "^infolettre: $TMP/empty.yaml: the file is empty" "$TMP/err"

# the time zone is the one configured: the 23:30 UTC event of June 30
# is on July 1 in Paris, on June 30 in New York
printf '%s\n  timezone: America/New_York\n%s\n' "$HEAD" "$SITE" | cfg newyork
expect_status "config timezone New York" 0 "$INFOLETTRE" -c "$TMP/newyork.yaml" collect 2026-06
expect_grep "config timezone New York: June 30" $'^event-month\t2026-06-30\tAfterwork du réseau\t' "$TMP/out"
expect_status "config timezone Paris" 0 env TZ=America/New_York "$INFOLETTRE" -c "$TMP/good.yaml" collect 2026-06
expect_grep "config timezone Paris whatever TZ is: July 1" $'^event-next\t2026-07-01\tAfterwork du réseau\t' "$TMP/out"

# where the configuration is found: -c, else INFOLETTRE_CONFIG, else ./
mkdir -p "$TMP/cwd"
printf '%s\n%s\n' "$HEAD" "$SITE" | sed 's/title: "Infolettre"/title: [cwd]/' > "$TMP/cwd/infolettre.yaml"
cd "$TMP/cwd"
expect_status "./infolettre.yaml is read" 78 "$INFOLETTRE" collect 2026-06
expect_grep "./infolettre.yaml is the one read" '^infolettre: infolettre.yaml:2:10: newsletter.title: expected a string, found a list' "$TMP/err"
expect_status "INFOLETTRE_CONFIG honoured" 0 env INFOLETTRE_CONFIG="$TMP/good.yaml" "$INFOLETTRE" collect 2026-06
expect_grep "INFOLETTRE_CONFIG: the site is read" $'^post\t2026-06-10\t' "$TMP/out"
expect_status "INFOLETTRE_CONFIG names its file" 78 env INFOLETTRE_CONFIG="$TMP/range.yaml" "$INFOLETTRE" collect 2026-06
expect_grep "INFOLETTRE_CONFIG file is the one read" "^infolettre: $TMP/range.yaml:10:16: " "$TMP/err"
expect_status "-c overrides INFOLETTRE_CONFIG" 0 env INFOLETTRE_CONFIG="$TMP/range.yaml" "$INFOLETTRE" -c "$TMP/good.yaml" collect 2026-06
expect_status "-c overrides INFOLETTRE_CONFIG (bad -c)" 78 env INFOLETTRE_CONFIG="$TMP/good.yaml" "$INFOLETTRE" -c "$TMP/zone.yaml" collect 2026-06
expect_grep "-c file is the one read" "^infolettre: $TMP/zone.yaml:4:13: " "$TMP/err"
expect_status "empty INFOLETTRE_CONFIG means ./infolettre.yaml" 78 env INFOLETTRE_CONFIG= "$INFOLETTRE" collect 2026-06
expect_grep "empty INFOLETTRE_CONFIG: ./infolettre.yaml read" '^infolettre: infolettre.yaml:2:10: ' "$TMP/err"

# relative paths are relative to the file's folder, not to the cwd
mkdir -p "$TMP/conf/sub"
printf '%s\nsite:\n  root: "../../site-copy"\n  base_url: "https://x.org"\n  posts: [blog]\n  events: [event]\n' "$HEAD" > "$TMP/conf/sub/infolettre.yaml"
cp -r "$ROOT/tests/site" "$TMP/site-copy"
cd /
expect_status "relative site.root" 0 "$INFOLETTRE" -c "$TMP/conf/sub/infolettre.yaml" collect 2026-06
expect_grep "relative site.root: the copy is read" $'^post\t2026-06-10\t[^\t]*\thttps://x.org/blog/2026-06-parquet/\tblog/2026-06-parquet/index.qmd$' "$TMP/out"
