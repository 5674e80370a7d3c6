#!/bin/bash
# t_archive.sh - infolettre archive and infolettre check: three issues (two
# sent through the Maildir transport, one draft); the archive lists the
# two, newest first; --all adds the draft; feed.xml parsed by xml.etree and
# python3-feedparser; pictures and .ics beside each page; no subscriber's
# address or token anywhere; every link inside resolves; tidy finds no
# error; check passes on good issues and fails, naming file and line, on a
# missing picture and on a link to a page that does not exist.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

W=$TMP/w
mkdir -p "$W/issues" "$W/tests"
ln -s "$ROOT/tests/site" "$W/tests/site"
ln -s "$ROOT/templates" "$W/templates"
sed -e 's|subscribers/|subs/|' "$ROOT/infolettre.yaml" > "$W/infolettre.yaml"
for m in 2026-06 2026-07 2026-09; do mkdir -p "$W/issues/$m"; done
cp "$ROOT/issues/2026-06/issue.md" "$W/issues/2026-06/"
cp "$ROOT/tests/editors/issues/2026-09/issue.md" "$ROOT/tests/editors/issues/2026-09/"*.png "$W/issues/2026-09/"
printf -- '---\nnumber: 25\nsubject: "Brouillon de juillet"\ndate: 2026-07-01\n---\n\nPas encore prêt.\n' > "$W/issues/2026-07/issue.md"
I() { "$INFOLETTRE" -c "$W/infolettre.yaml" "$@"; }
printf 'email,name\nanne@example.org,Anne\nbruno@example.net,Bruno\n' > "$W/subs.csv"
expect_status "import" 0 I subscribers import "$W/subs.csv"
expect_status "send 2026-06 (Maildir)" 0 I send 2026-06
expect_status "send 2026-09 (Maildir)" 0 I send 2026-09

expect_status "archive" 0 I archive
A=$W/archive
expect_grep "archive: says what it wrote" '2 issues, index.html, feed.xml' "$TMP/out"
expect "archive: the sent issues, not the draft" "2026-06 2026-09" "$(cd "$A" && ls -d 20* | tr '\n' ' ' | sed 's/ $//')"
expect "index: newest first" "2026-09/index.html 2026-06/index.html" \
	"$(grep -o 'href="20[0-9-]*/index.html"' "$A/index.html" | sed 's/href="//; s/"//' | tr '\n' ' ' | sed 's/ $//')"
expect_grep "index: the subjects" 'Infolettre n°27 — septembre 2026' "$A/index.html"
expect_grep "index: a thumbnail for the issue with pictures" 'src="2026-09/formations.png"' "$A/index.html"
for f in ville_grand_paris.png formations.png; do
	[ -s "$A/2026-09/$f" ] && ok "pictures beside the page: $f" || fail "pictures beside the page: $f" "missing"
done
[ -s "$A/2026-06/2026-06-jdos.ics" ] && ok "calendars beside the page" || fail "calendars beside the page" "missing"
expect_grep "pages: pictures linked relatively" 'src="ville_grand_paris.png"' "$A/2026-09/index.html"
tokens=$(awk -F'\t' '{ print $2 }' <("$BUILD/tests/tools/cgi_mail" "$W/infolettre.yaml" tokens 2>/dev/null))
leak=$(for s in anne@example.org bruno@example.net $tokens; do grep -rl -- "$s" "$A"; done | head -3)
expect "no subscriber's address or token in the archive" "" "$leak"

$PY - "$A" > "$TMP/feed.check" <<'PY'
import os, re, sys, xml.etree.ElementTree as ET
import feedparser
a = sys.argv[1]
def res(name, ok, why=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
ns = {"a": "http://www.w3.org/2005/Atom"}
root = ET.parse(os.path.join(a, "feed.xml")).getroot()
entries = root.findall("a:entry", ns)
res("feed.xml: Atom, two entries", root.tag == "{http://www.w3.org/2005/Atom}feed" and len(entries) == 2, len(entries))
f = feedparser.parse(os.path.join(a, "feed.xml"))
res("feedparser: no error", not f.bozo, f.get("bozo_exception"))
res("feedparser: titles", [e.title for e in f.entries] == ["Infolettre n°27 — septembre 2026 🎒", "Infolettre du SSP Hub — juin 2026 : Parquet, LLM et Journées data science"], [e.title for e in f.entries])
res("feedparser: links and ids", all(e.link.startswith("https://ssphub.netlify.app/infolettre/2026-") and e.id == e.link for e in f.entries))
res("feedparser: dates", [e.updated[:10] for e in f.entries] == ["2026-09-01", "2026-06-02"], [e.updated for e in f.entries])
res("feedparser: full content", all("Se désinscrire" not in e.content[0].value and len(e.content[0].value) > 1000 for e in f.entries))
# every relative link inside the archive resolves to a file
bad = []
for d, _, files in os.walk(a):
    for n in files:
        if n.endswith(".html"):
            for u in re.findall(r'(?:href|src)="([^"#]+)"', open(os.path.join(d, n)).read()):
                if "://" in u or u.startswith("mailto:"):
                    continue
                if not os.path.exists(os.path.normpath(os.path.join(d, u))):
                    bad.append((n, u))
res("links inside the archive resolve", not bad, bad[:3])
PY
while read -r line; do
	case $line in ok\ *) ok "${line#ok }" ;; *) fail "${line#FAIL }" "" ;; esac
done < "$TMP/feed.check"
for f in "$A/index.html" "$A/2026-06/index.html" "$A/2026-09/index.html"; do
	errs=$(tidy -q -e "$f" 2>&1 | grep -c 'Error:' || true)
	expect "tidy: no error in ${f#$A/}" 0 "$errs"
done

expect_status "archive --all: the draft too" 0 I archive --all --out "$W/preview"
expect "archive --all: three issues" "2026-06 2026-07 2026-09" "$(cd "$W/preview" && ls -d 20* | tr '\n' ' ' | sed 's/ $//')"
cp "$A/feed.xml" "$TMP/feed1.xml"
I archive > /dev/null 2>&1
expect_same "a second archive: the same feed" "$TMP/feed1.xml" "$A/feed.xml"
expect "no temporary folder left" "" "$(ls "$W" | grep -E 'archive\.(tmp|old)')"

# check, for CI
C=$TMP/c
mkdir -p "$C/issues/2026-06" "$C/tests"
ln -s "$ROOT/tests/site" "$C/tests/site"
ln -s "$ROOT/templates" "$C/templates"
cp "$ROOT/infolettre.yaml" "$C/"
cp "$ROOT/issues/2026-06/"* "$C/issues/2026-06/"
expect_status "check --golden: the golden issue passes" 0 "$INFOLETTRE" -c "$C/infolettre.yaml" check --golden 2026-06
expect_grep "check: says what it did" '^check: 1 issue composed strictly, the archive built$' "$TMP/out"
printf '\n![Une carte](carte-absente.png)\n\nVoir [la page](../../blog/nulle-part/index.qmd).\n' >> "$C/issues/2026-06/issue.md"
expect_status "check: a missing picture and a dead link: 65" 65 "$INFOLETTRE" -c "$C/infolettre.yaml" check 2026-06
expect_grep "check: the missing picture, file and line" 'issue\.md:[0-9]+(:[0-9]+)?: image file does not exist: carte-absente\.png' "$TMP/err"
expect_grep "check: the dead link, file and line" 'issue\.md:[0-9]+(:[0-9]+)?: link to a file that does not exist: \.\./\.\./blog/nulle-part/index\.qmd' "$TMP/err"
expect_status "check --golden: a change is a difference" 65 "$INFOLETTRE" -c "$C/infolettre.yaml" check --golden 2026-06
expect_grep "check --golden: a unified diff" '^\+\+\+ ' "$TMP/out"
