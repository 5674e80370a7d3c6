#!/bin/bash
# infolettre collect: the sample site against committed listings, relative
# paths, language variants, and the bad site: every bad file left out with
# one warning naming it, --strict, an empty month.
# time limit: 120 s
. "$(dirname "$0")/lib.sh"
EXP=$ROOT/tests/expected

# sorted NAME FILE: lines ordered by DATE, then TITLE when DATE is equal
sorted() {
	if $PY - "$2" <<'PY'; then ok "$1"; else fail "$1" "not sorted: $(cat "$2")"; fi
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
sys.exit(0 if all(len(r) == 5 for r in rows) and
         [(r[1], r[2]) for r in rows] == sorted((r[1], r[2]) for r in rows) else 1)
PY
}

# --- the sample site, French (the root infolettre.yaml) ---
cd "$ROOT"
expect_status "collect sample site" 0 "$INFOLETTRE" -c infolettre.yaml collect 2026-06
expect_same "collect sample site listing" "$EXP/collect-2026-06.tsv" "$TMP/out"
expect "collect sample site: no warnings" "" "$(cat "$TMP/err")"
sorted "collect sample site sorted by date then title" "$TMP/out"
expect_grep "collect: French variant index.qmd used" \
	$'^post\t2026-06-22\tLes grands modèles de langage au service de la codification\thttps://ssphub.netlify.app/blog/2026-06-llm/\tblog/2026-06-llm/index.qmd$' "$TMP/out"
expect_nogrep "collect: English variant left out" 'index\.en\.qmd' "$TMP/out"
expect_nogrep "collect: draft and section pages left out" 'brouillon|_index' "$TMP/out"
expect_grep "collect: 23:30 UTC on June 30 is July 1 in Paris" \
	$'^event-next\t2026-07-01\tAfterwork du réseau\t' "$TMP/out"
expect_grep "collect: Markdown removed from titles" \
	$'\tJournées data science & open-source\t' "$TMP/out"
expect_status "collect --strict on a clean site" 0 "$INFOLETTRE" -c infolettre.yaml collect --strict 2026-06
expect_same "collect --strict listing" "$EXP/collect-2026-06.tsv" "$TMP/out"

# --- relative paths resolve against the configuration file's folder ---
mkdir -p "$TMP/elsewhere/deeper"
cd "$TMP/elsewhere/deeper"
expect_status "collect from another folder (-c absolute)" 0 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect 2026-06
expect_same "collect from another folder: same listing" "$EXP/collect-2026-06.tsv" "$TMP/out"
ln -s "$ROOT" "$TMP/elsewhere/repo"
expect_status "collect from another folder (-c relative)" 0 "$INFOLETTRE" -c ../repo/infolettre.yaml collect 2026-06
expect_same "collect -c relative: same listing" "$EXP/collect-2026-06.tsv" "$TMP/out"
expect_status "collect via INFOLETTRE_CONFIG" 0 env INFOLETTRE_CONFIG="$ROOT/infolettre.yaml" "$INFOLETTRE" collect 2026-06
expect_same "collect via INFOLETTRE_CONFIG: same listing" "$EXP/collect-2026-06.tsv" "$TMP/out"
cd "$ROOT"

# --- the same site in English: the index.en.qmd variant is used ---
mkdir -p "$TMP/en"
sed -e 's/^  language: fr$/  language: en/' \
	-e "s|^  root: \"tests/site\"$|  root: \"$ROOT/tests/site\"|" infolettre.yaml > "$TMP/en/infolettre.yaml"
expect_status "collect English" 0 "$INFOLETTRE" -c "$TMP/en/infolettre.yaml" collect 2026-06
expect_same "collect English listing" "$EXP/collect-2026-06-en.tsv" "$TMP/out"
expect_grep "collect English: index.en.qmd used" \
	$'^post\t2026-06-22\tLarge language models for automatic coding\thttps://ssphub.netlify.app/blog/2026-06-llm/index.en.html\tblog/2026-06-llm/index.en.qmd$' "$TMP/out"
expect_nogrep "collect English: French variant left out" $'\tblog/2026-06-llm/index.qmd$' "$TMP/out"

# --- an empty month: nothing on stdout, said on stderr, exit 0 ---
expect_status "collect empty month" 0 "$INFOLETTRE" -c infolettre.yaml collect 2031-02
expect "collect empty month prints nothing" "" "$(cat "$TMP/out")"
expect_grep "collect empty month says so" '^infolettre: collect: no posts or events for 2031-02$' "$TMP/err"

# --- bad MONTH, missing site root ---
expect_status "collect bad month" 64 "$INFOLETTRE" -c infolettre.yaml collect 2026-13
expect_grep "collect bad month message" 'not a month' "$TMP/err"
sed "s|^  root: \"tests/site\"$|  root: \"nowhere\"|" infolettre.yaml > "$TMP/noroot.yaml"
expect_status "collect missing site.root" 66 "$INFOLETTRE" -c "$TMP/noroot.yaml" collect 2026-06
expect_grep "collect missing site.root names it" "^infolettre: $TMP/nowhere: site.root: No such file" "$TMP/err"

# --- the bad site ---
# What git cannot hold is made here, in a copy. The unreadable file: root
# reads everything, so as root the runs happen as nobody (setpriv).
chmod 755 "$TMP"
mkdir "$TMP/bin"
cp "$INFOLETTRE" "$TMP/bin/infolettre"
cp -r "$ROOT/tests/badsite" "$TMP/badsite"
SITE=$TMP/badsite/site
mkdir "$SITE/blog/2026-06-enorme"
{
	printf -- '---\ntitle: "Énorme"\ndate: 2026-06-12\n---\n'
	yes "Une ligne du corps d'un fichier de 50 Mo, bien trop gros pour un billet." | head -c 52428800
} > "$SITE/blog/2026-06-enorme/index.qmd"
ln -s . "$SITE/blog/boucle"                 # a folder link to the folder holding it
ln -s .. "$SITE/content/post/parent"        # a folder link to the folder above
ln -s moi-meme.qmd "$SITE/blog/moi-meme.qmd" # a file link to itself
mkfifo "$SITE/blog/tube.qmd"
printf -- '---\ntitle: "Secret"\ndate: 2026-06-19\n---\n' > "$SITE/content/post/2026-06-secret.md"
mkdir "$SITE/blog/2026-06-ferme"
printf -- '---\ntitle: "Fermé"\ndate: 2026-06-20\n---\n' > "$SITE/blog/2026-06-ferme/index.qmd"
chmod -R a+rX "$TMP/badsite"
chmod 000 "$SITE/content/post/2026-06-secret.md" "$SITE/blog/2026-06-ferme"

as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	else
		"$@"
	fi
}
if as_user cat "$SITE/content/post/2026-06-secret.md" >/dev/null 2>&1; then
	fail "bad site: unreadable file" "the file can still be read"
fi

cd "$TMP/badsite"
expect_status "collect bad site" 0 as_user "$TMP/bin/infolettre" -c "$TMP/badsite/infolettre.yaml" collect 2026-06
expect_same "collect bad site listing" "$EXP/collect-badsite.tsv" "$TMP/out"
sorted "collect bad site sorted by date then title" "$TMP/out"
cp "$TMP/err" "$TMP/bad.err"

# FILE  the warning that names it (after "FILE")
BAD=(
	"blog/2026-06-yaml-casse/index.qmd|:4:23: YAML error: mapping values are not allowed in this context$"
	"blog/2026-06-sans-fin/index.qmd|:1:1: front matter is never closed"
	"blog/2026-06-latin1/index.qmd|:2:13: invalid UTF-8; file left out$"
	"blog/2026-06-last-modified/index.qmd|:3:7: date \"last-modified\" cannot be placed in the calendar; file left out$"
	"blog/2026-06-sans-date/index.qmd|: no date; file left out$"
	"blog/2026-06-liste/index.qmd|:2:1: front matter is not a mapping"
	"content/post/2026-06-sans-titre.md|: no title; file left out$"
	"content/post/2026-06-toml.md|:1:1: TOML front matter \(\+\+\+\) is not read; only YAML front matter \(---\) is$"
	"blog/2026-06-enorme/index.qmd|: larger than 8 MB; file left out$"
	"blog/boucle|: symlink loop"
	"content/post/parent|: symlink loop"
	"blog/moi-meme.qmd|: symlink loop"
	"blog/tube.qmd|: not a regular file"
	"content/post/2026-06-secret.md|: cannot read: Permission denied; file left out$"
	"blog/2026-06-ferme|: Permission denied; folder left out$"
)
for b in "${BAD[@]}"; do
	f=${b%%|*} msg=${b#*|}
	n=$(grep -cF "infolettre: $SITE/$f:" "$TMP/bad.err")
	expect "bad site: one warning for $f" 1 "$n"
	expect_grep "bad site: warning for $f says why" "^infolettre: $SITE/$f$msg" "$TMP/bad.err"
done
expect "bad site: no other warnings" "${#BAD[@]}" "$(wc -l < "$TMP/bad.err")"
for good in 2026-06-été 2026-06-bilingue 2026-06-brouillon 2026-06-hugo 2026-06-crlf \
	2026-06-bundle 2026-06-analyse 2026-06-atelier 2026-06-seminaire 2026-07-conference _index _partiel blog/index.qmd; do
	expect_nogrep "bad site: no warning for $good" "$good" "$TMP/bad.err"
done
expect_nogrep "bad site: bad files left out" 'casse|sans-|latin1|last-modified|liste|toml|enorme|boucle|parent|moi-meme|tube|secret|ferme' "$TMP/out"

expect_status "collect --strict on the bad site" 65 as_user "$TMP/bin/infolettre" -c "$TMP/badsite/infolettre.yaml" collect --strict 2026-06
expect "collect --strict prints no listing" "" "$(cat "$TMP/out")"
expect_grep "collect --strict tells the warnings" "^infolettre: collect: ${#BAD[@]} warnings \(--strict makes them errors\)$" "$TMP/err"
expect_grep "collect --strict still names the files" "^infolettre: $SITE/blog/2026-06-sans-date/index.qmd: no date" "$TMP/err"

# The bad files are bad in every month; a month with no items says so.
expect_status "collect bad site, empty month" 0 as_user "$TMP/bin/infolettre" -c "$TMP/badsite/infolettre.yaml" collect 2031-02
expect "collect bad site, empty month prints nothing" "" "$(cat "$TMP/out")"
expect_grep "collect bad site, empty month says so" '^infolettre: collect: no posts or events for 2031-02$' "$TMP/err"
expect "collect bad site, empty month: the same warnings" "$((${#BAD[@]} + 1))" "$(wc -l < "$TMP/err")"
chmod 755 "$SITE/blog/2026-06-ferme" # so that the clean-up can remove it
