#!/bin/bash
# compose and new: golden issues, the message parsed by Python's email
# package, lint, atomic writes, header injection, broken templates.
# time limit: 120 s
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1780000000
CHECK="$PY $ROOT/tests/tools/check_newsletter.py"

# A copy of the repository's layout in $TMP: the committed issues are the
# golden files; render them there and compare byte for byte.
mkrepo() {
	local d=$1
	mkdir -p "$d/issues" "$d/tests"
	cp "$ROOT/infolettre.yaml" "$d/"
	ln -s "$ROOT/tests/site" "$d/tests/site"
	ln -s "$ROOT/templates" "$d/templates"
	cp "$ROOT/tests/hugo.yaml" "$d/tests/"
}
R=$TMP/repo
mkrepo "$R"
for spec in "infolettre.yaml 2026-06" "tests/hugo.yaml 2026-07"; do
	set -- $spec
	cfg=$1 month=$2
	mkdir -p "$R/issues/$month"
	cp "$ROOT/issues/$month/issue.md" "$R/issues/$month/"
	expect_status "compose $month" 0 "$INFOLETTRE" -c "$R/$cfg" compose "$month"
	for f in newsletter.html newsletter.txt newsletter.eml web.html; do
		expect_same "golden $month/$f" "$ROOT/issues/$month/$f" "$R/issues/$month/$f"
	done
	# the calendars (issue 17): the message's and one per event
	for f in "$ROOT/issues/$month/"*.ics; do
		[ -e "$f" ] || continue
		expect_same "golden $month/$(basename "$f")" "$f" "$R/issues/$month/$(basename "$f")"
	done
	"$INFOLETTRE" -c "$R/$cfg" collect "$month" > "$TMP/collect-$month.tsv" 2>/dev/null
	subject=$(sed -n 's/^subject: "\(.*\)"$/\1/p' "$R/issues/$month/issue.md")
	$CHECK "$month" "$R/issues/$month" "$subject" "$TMP/collect-$month.tsv"
	# a second run gives the same bytes
	cp -r "$R/issues/$month" "$TMP/first-$month"
	"$INFOLETTRE" -c "$R/$cfg" compose "$month" >/dev/null 2> "$TMP/err.again"
	again="exit $?"
	for f in newsletter.html newsletter.txt newsletter.eml web.html; do
		cmp -s "$TMP/first-$month/$f" "$R/issues/$month/$f" || again+=", $f differs"
	done
	[ "$again" = "exit 0" ] || again+="; stderr: $(head -c 300 "$TMP/err.again")"
	expect "compose $month twice: exit 0, identical" "exit 0" "$again"
done

# Site syntax never leaks: shortcodes, attributes, fenced divs, comments.
for f in newsletter.txt newsletter.html web.html; do
	expect_nogrep "no site syntax in 2026-06/$f" '\{\{<|\{width=|^:::|<!--|\{\.callout' "$R/issues/2026-06/$f"
	expect_nogrep "no site syntax in 2026-07/$f" '\{\{<|\{width=|^:::|<!--' "$R/issues/2026-07/$f"
done
expect_grep "shortcode text kept" 'organisés par le SSP' "$R/issues/2026-06/newsletter.txt"
expect_grep "French date label" 'mardi 16 juin 2026, 9 h 30' "$R/issues/2026-06/newsletter.txt"
expect_grep "« À venir »" '^À venir$' "$R/issues/2026-06/newsletter.txt"
expect_grep "1er juillet" 'mercredi 1er juillet 2026' "$R/issues/2026-06/newsletter.txt"
expect_grep "English labels" '^Coming up$' "$R/issues/2026-07/newsletter.txt"
expect_grep "English date" 'Thursday 9 July 2026, 9:00 – Friday 10 July 2026, 17:00' "$R/issues/2026-07/newsletter.txt"
expect_grep "relative link resolved" 'https://ssphub.netlify.app/event/2026-06-jdos/' "$R/issues/2026-06/newsletter.txt"
expect_grep "embedded image" 'cid:img1.2026-06@ssphub.example.fr' "$R/issues/2026-06/newsletter.eml"
expect_grep "preview uses image URLs" 'src="https://ssphub.netlify.app/blog/2026-06-parquet/featured.png"' "$R/issues/2026-06/newsletter.html"
expect_grep "table in HTML" '<table' "$R/issues/2026-06/web.html"
expect_grep "strikethrough" '<del|line-through' "$R/issues/2026-06/newsletter.html"

# Lint, --strict, and all-or-nothing writes.
L=$TMP/lint
mkrepo "$L"
mkdir -p "$L/issues/2026-06"
long=$(printf 'x%.0s' $(seq 90))
cat > "$L/issues/2026-06/issue.md" <<EOT
---
subject: "A subject that is far too long for any mail client to show: $long"
---

![](blog/2026-06-parquet/missing.png)

See [this page](blog/nowhere/index.qmd).
EOT
expect_status "lint: warnings but written" 0 "$INFOLETTRE" -c "$L/infolettre.yaml" compose 2026-06
expect_grep "lint: long subject" 'subject is [0-9]+ characters' "$TMP/err"
expect_grep "lint: image without alt" 'issue.md:5(:[0-9]+)?: .*alt' "$TMP/err"
expect_grep "lint: missing image file" 'missing.png' "$TMP/err"
expect_grep "lint: link to missing file" 'nowhere' "$TMP/err"
expect_grep "missing image linked by URL" 'blog/2026-06-parquet/missing.png' "$L/issues/2026-06/newsletter.html"
rm -f "$L/issues/2026-06/newsletter."* "$L/issues/2026-06/web.html" "$L/issues/2026-06/"*.ics
expect_status "lint --strict: exit 65" 65 "$INFOLETTRE" -c "$L/infolettre.yaml" compose 2026-06 --strict
expect "lint --strict: nothing written" "issue.md" "$(ls "$L/issues/2026-06")"

# An empty issue, an item without description, an enormous description.
E=$TMP/empty
mkrepo "$E"
mkdir -p "$E/issues/2031-01"
printf -- '---\nsubject: "Vide"\n---\n' > "$E/issues/2031-01/issue.md"
expect_status "empty issue composes" 0 "$INFOLETTRE" -c "$E/infolettre.yaml" compose 2031-01
expect_grep "lint: empty issue" 'no items and no editorial' "$TMP/err"
B=$TMP/big
mkrepo "$B"
rm "$B/tests/site"
mkdir -p "$B/tests/site/blog/big" "$B/tests/site/blog/nodesc" "$B/issues/2026-06"
{ printf -- '---\ntitle: "Énorme"\ndate: 2026-06-05\ndescription: "'
  for i in $(seq 3000); do printf 'Une phrase assez longue pour remplir la description numéro %d. ' "$i"; done
  printf '"\n---\n'; } > "$B/tests/site/blog/big/index.qmd"
printf -- '---\ntitle: "Sans description"\ndate: 2026-06-06\n---\n' > "$B/tests/site/blog/nodesc/index.qmd"
printf -- '---\nsubject: "Gros"\n---\nÉdito.\n' > "$B/issues/2026-06/issue.md"
expect_status "enormous description composes" 0 "$INFOLETTRE" -c "$B/infolettre.yaml" compose 2026-06
expect_grep "lint: HTML over 100 KB" 'Gmail clips' "$TMP/err"
expect_grep "lint: item without description" 'nodesc/index.qmd: no description' "$TMP/err"
$PY - "$B/issues/2026-06/newsletter.eml" <<'PYEOF' > "$TMP/big.out"
import email, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
d = list(m.defects) + [x for p in m.walk() for x in p.defects]
print("defects", len(d))
PYEOF
expect "enormous description: no defects" "defects 0" "$(cat "$TMP/big.out")"

# All or nothing: a file that cannot be replaced leaves every output as it was.
A=$TMP/atomic
mkrepo "$A"
mkdir -p "$A/issues/2026-06"
cp "$ROOT/issues/2026-06/issue.md" "$A/issues/2026-06/"
"$INFOLETTRE" -c "$A/infolettre.yaml" compose 2026-06 >/dev/null 2>&1
sum_before=$(cd "$A/issues/2026-06" && cat newsletter.* web.html | md5sum)
echo "Édito changé." >> "$A/issues/2026-06/issue.md"
# newsletter.eml (19 KB), the third file, cannot be written under a 16 KB
# file size limit; the temporary names are mkstemp's, so none can be
# blocked in advance
expect_status "unwritable output: exit 73" 73 bash -c 'ulimit -f 16; trap "" XFSZ; exec "$0" "$@"' \
	"$INFOLETTRE" -c "$A/infolettre.yaml" compose 2026-06
sum_after=$(cd "$A/issues/2026-06" && cat newsletter.* web.html | md5sum)
expect "unwritable output: nothing replaced" "$sum_before" "$sum_after"
expect "unwritable output: no temporary files left" "" "$(cd "$A/issues/2026-06" && ls -A | grep -vxE 'issue\.md|newsletter\.(html|txt|eml)|web\.html|[a-z0-9-]+\.ics')"

# Header injection: CR/LF folded into one line; NUL refused.
H=$TMP/inject
mkrepo "$H"
mkdir -p "$H/issues/2026-06"
printf -- '---\nsubject: "Juin\\r\\nBcc: victim@example.com"\npreheader: "x\\ny"\n---\nTexte.\n' > "$H/issues/2026-06/issue.md"
expect_status "CR LF in subject: composes" 0 "$INFOLETTRE" -c "$H/infolettre.yaml" compose 2026-06
expect_nogrep "CR LF in subject: no Bcc header" '^Bcc:' "$H/issues/2026-06/newsletter.eml"
expect_grep "CR LF in subject: one line" '^Subject: Juin Bcc: victim@example.com' "$H/issues/2026-06/newsletter.eml"
printf -- '---\nsubject: "Juin\\0Bcc"\n---\nTexte.\n' > "$H/issues/2026-06/issue.md"
expect_status "NUL in subject: exit 65" 65 "$INFOLETTRE" -c "$H/infolettre.yaml" compose 2026-06
expect_grep "NUL in subject: names the place" 'issue.md:2:[0-9]+: subject holds a NUL' "$TMP/err"
printf -- '---\ntitle: "Titre\\r\\nX-Evil: 1"\ndate: 2026-06-07\ndescription: "d"\n---\n' > "$TMP/evil.qmd"
rm "$H/tests/site"; mkdir -p "$H/tests/site/blog/evil"; cp "$TMP/evil.qmd" "$H/tests/site/blog/evil/index.qmd"
printf -- '---\nsubject: "Juin"\n---\nTexte.\n' > "$H/issues/2026-06/issue.md"
expect_status "CR LF in a title: composes" 0 "$INFOLETTRE" -c "$H/infolettre.yaml" compose 2026-06
expect_nogrep "CR LF in a title: no header" '^X-Evil' "$H/issues/2026-06/newsletter.eml"

# A broken template names the template file and line; exit 65.
T=$TMP/tpl
mkrepo "$T"
rm "$T/templates"; cp -r "$ROOT/templates" "$T/templates"
mkdir -p "$T/issues/2026-06"; cp "$ROOT/issues/2026-06/issue.md" "$T/issues/2026-06/"
sed -i '5s/$/{{#UNCLOSED}}/' "$T/templates/newsletter.html.tpl"
expect_status "broken template: exit 65" 65 "$INFOLETTRE" -c "$T/infolettre.yaml" compose 2026-06
expect_grep "broken template: file and line" 'newsletter.html.tpl:[0-9]+:' "$TMP/err"
expect "broken template: nothing written" "issue.md" "$(ls "$T/issues/2026-06")"
rm "$T/templates/web.html.tpl"
cp "$ROOT/templates/newsletter.html.tpl" "$T/templates/"
expect_status "missing template: exit 66" 66 "$INFOLETTRE" -c "$T/infolettre.yaml" compose 2026-06

# No issue.md: exit 66 and a hint.
expect_status "no issue.md: exit 66" 66 "$INFOLETTRE" -c "$T/infolettre.yaml" compose 2030-01
expect_grep "no issue.md: hint" 'infolettre new' "$TMP/err"

# new: numbering, no overwrite, language.
N=$TMP/new
mkrepo "$N"
mkdir -p "$N/issues/2026-04"
printf -- '---\nnumber: 7\n---\n' > "$N/issues/2026-04/issue.md"
expect_status "new: scaffolds" 0 "$INFOLETTRE" -c "$N/infolettre.yaml" new 2026-06
expect_grep "new: number is previous + 1" '^number: 8$' "$N/issues/2026-06/issue.md"
expect_grep "new: subject" '^subject: "Infolettre du SSP Hub — juin 2026"$' "$N/issues/2026-06/issue.md"
expect_grep "new: French stub" 'Bonjour' "$N/issues/2026-06/issue.md"
expect_grep "new: date" '^date: 2026-06-01$' "$N/issues/2026-06/issue.md"
echo "mon édito" >> "$N/issues/2026-06/issue.md"
expect_status "new: refuses to overwrite" 73 "$INFOLETTRE" -c "$N/infolettre.yaml" new 2026-06
expect_grep "new: kept the editorial" 'mon édito' "$N/issues/2026-06/issue.md"
expect_status "new: scaffold composes" 0 "$INFOLETTRE" -c "$N/infolettre.yaml" compose 2026-06
expect_grep "compose: warns while the editorial is the stub" \
	"issue.md:10:1: the editorial is still the stub that \"infolettre new\" wrote \\(\"Écrivez ici l'éditorial du mois.\"\\)" "$TMP/err"
expect_status "compose --strict: the stub is an error" 65 \
	"$INFOLETTRE" -c "$N/infolettre.yaml" compose --strict 2026-06
sed -i "/^Écrivez ici l'éditorial du mois.$/d" "$N/issues/2026-06/issue.md"
expect_status "compose: the editorial written" 0 "$INFOLETTRE" -c "$N/infolettre.yaml" compose --strict 2026-06
expect_nogrep "compose: no stub warning once it is written" 'stub' "$TMP/err"
expect_status "new: English" 0 "$INFOLETTRE" -c "$N/tests/hugo.yaml" new 2026-09
expect_grep "new: English stub" 'Hello everyone' "$N/issues/2026-09/issue.md"
expect_status "compose: the English stub" 0 "$INFOLETTRE" -c "$N/tests/hugo.yaml" compose 2026-09
expect_grep "compose: warns about the English stub too" \
	"the editorial is still the stub .*Write this month's editorial here" "$TMP/err"
expect_grep "new: numbered after the latest issue" '^number: 9$' "$N/issues/2026-09/issue.md"
rm -rf "$N/issues"
expect_status "new: first issue" 0 "$INFOLETTRE" -c "$N/infolettre.yaml" new 2026-10
expect_grep "new: first issue is number 1" '^number: 1$' "$N/issues/2026-10/issue.md"
expect_status "new: bad month" 64 "$INFOLETTRE" -c "$N/infolettre.yaml" new 2026-6
