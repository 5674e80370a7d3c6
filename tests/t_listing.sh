#!/bin/bash
# t_listing.sh - Quarto listing files as content: a site.events or
# site.posts entry naming a YAML listing; each item collected like a page
# (the month's window, dates, ends, places, descriptions), its URL from
# path or href (absolute as written, relative as a content file's page);
# a broken listing said at its file, line and column.
# time limit: 120 s
. "$(dirname "$0")/lib.sh"

S=$TMP/site
mkdir -p "$S/site/listings" "$S/site/blog/2026-06-x" "$S/issues/2026-06"
cat > "$S/site/listings/events.yml" <<'E2'
# the events of the site, as a Quarto listing
- path: evenements/2026-06-jdos/index.qmd
  title: "Journées *data science*"
  date: 2026-06-16
  date_end: 2026-06-17
  location: Montrouge
  description: "Deux jours de présentations."
  categories: [data science]
- href: https://www.insee.fr/fr/information/seminaire
  title: "Séminaire externe"
  date: 2026-07-02T14:00:00+02:00
  address: "88 avenue Verdier"
- path: evenements/ancien/index.qmd
  title: "Trop ancien"
  date: 2026-03-01
- title: "Sans adresse"
  date: 2026-06-20
- path: x.qmd
  title: "Date illisible"
  date: bientôt
E2
cat > "$S/site/blog/2026-06-x/index.qmd" <<'E2'
---
title: "Un billet"
date: 2026-06-10
---
E2
cat > "$S/issues/2026-06/issue.md" <<'E2'
---
subject: "Juin"
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
  posts: ["blog"]
  events: ["listings/events.yml"]
issues: "issues"
templates: "$ROOT/templates"
E2
"$INFOLETTRE" -c "$S/infolettre.yaml" collect 2026-06 > "$TMP/collect.tsv" 2> "$TMP/collect.err"
expect "listing: the events of the window, with their URLs" \
	"$(printf '%s\n' 'event-month https://example.org/evenements/2026-06-jdos/' 'event-next https://www.insee.fr/fr/information/seminaire')" \
	"$(awk -F'\t' '$1 ~ /^event/ { for (i = 1; i <= NF; i++) if ($i ~ /^https?:/) { print $1, $i; break } }' "$TMP/collect.tsv")"
expect_grep "listing: posts still from their folder" 'https://example.org/blog/2026-06-x/' "$TMP/collect.tsv"
expect_grep "listing: an item without path or href, said at its line" 'events\.yml:16:3: an item without path or href; left out' "$TMP/collect.err"
expect_grep "listing: an unreadable date, said at its line" 'events\.yml:20:9: date cannot be placed in the calendar; item left out' "$TMP/collect.err"
expect_status "listing: compose" 0 "$INFOLETTRE" -c "$S/infolettre.yaml" compose 2026-06
H=$S/issues/2026-06/newsletter.html
expect_grep "listing: the title's Markdown" 'Journées <em>data science</em>' "$H"
expect_grep "listing: date_end and location" 'mardi 16 juin 2026 – mercredi 17 juin 2026 · Montrouge' "$H"
expect_grep "listing: address as the place" '88 avenue Verdier' "$H"
expect_grep "listing: the description" 'Deux jours de présentations' "$H"
# a broken listing: file, line and column
printf -- '- title: "ok"\n  date: 2026-06-01\n  path: [unclosed\n' > "$S/site/listings/events.yml"
"$INFOLETTRE" -c "$S/infolettre.yaml" collect 2026-06 > /dev/null 2> "$TMP/broken.err"
expect_grep "a broken listing: said at file:line:col" 'events\.yml:[0-9]+:[0-9]+: .*listing left out' "$TMP/broken.err"
expect_status "a broken listing: compose --strict refuses" 65 "$INFOLETTRE" -c "$S/infolettre.yaml" compose 2026-06 --strict
