#!/bin/bash
# t_editors.sh - an issue written the way the SSP Hub's editors write it
# (tests/editors/issues/2026-09: a Quarto page copied with its pictures
# beside it, one of them 1,489 px wide and heavy; ../../ links to a post
# and to a top-level page; footnotes; every kind of callout; emoji; a
# [text]{.class} span; Quarto's own front matter): composed against the
# sample site, its outputs compared byte for byte with the committed ones,
# the message parsed by Python's email package, the scaled-down picture
# decoded, a second run identical, a picture that cannot be decoded an
# error naming its file and line; a 196-megapixel picture scaled down in
# under 300 MB of memory (it is streamed, not decoded whole: 620 MB
# before), one over 200 megapixels refused before it is decoded; libvips
# loaded only then.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

E=$TMP/editors
mkdir -p "$E/tests/editors/issues/2026-09"
ln -s "$ROOT/tests/site" "$E/tests/site"
ln -s "$ROOT/templates" "$E/templates"
cp "$ROOT/tests/editors/infolettre.yaml" "$E/tests/editors/"
D=$E/tests/editors/issues/2026-09
cp "$ROOT/tests/editors/issues/2026-09/issue.md" \
	"$ROOT/tests/editors/issues/2026-09/"*.png "$D/"
C=$E/tests/editors/infolettre.yaml

# libvips is loaded (dlopen) when a picture is first looked at: the
# binary does not link it; the picture below is scaled down all the same
expect "libvips is not linked" "" \
	"$(ldd "$INFOLETTRE" | grep -o 'libvips[^ ]*')"
expect_status "compose the editors' issue" 0 "$INFOLETTRE" -c "$C" compose 2026-09
cp "$TMP/out" "$TMP/compose.out"
expect_grep "the picture scaled down, said" \
	'issue\.md:21: ville_grand_paris\.png: 1,489×827, 357 KB → 1,200×666, [0-9]+ KB$' "$TMP/compose.out"
expect_grep "the message's size, said" \
	'issue\.md: newsletter\.eml: [0-9,]+ KB, 2 pictures embedded' "$TMP/compose.out"
expect_nogrep "no warning for Quarto's keys or the pictures" '.' "$TMP/err"
for f in newsletter.html newsletter.txt newsletter.eml web.html; do
	expect_same "golden 2026-09/$f" "$ROOT/tests/editors/issues/2026-09/$f" "$D/$f"
done

# the message: no defects, every cid: a part, the big picture decoded at
# 1,200 px, the small one as it was
$PY - "$D" "$ROOT/tests/editors/issues/2026-09" > "$TMP/eml.check" <<'PY'
import email, email.policy, re, struct, sys
d, src = sys.argv[1], sys.argv[2]
m = email.message_from_bytes(open(d + "/newsletter.eml", "rb").read(), policy=email.policy.default)
defects = list(m.defects) + [x for p in m.walk() for x in p.defects]
print("ok message: no defects" if not defects else "FAIL message: no defects: %s" % defects)
html = m.get_body(("html",)).get_content()
cids = set(re.findall(r'src="cid:([^"]+)"', html))
parts = {p["Content-ID"].strip("<>"): p for p in m.walk() if p["Content-ID"]}
print("ok message: every cid: resolves (%d)" % len(cids) if cids and cids <= set(parts)
      else "FAIL message: every cid: resolves: %s / %s" % (cids, set(parts)))
sizes = {}
for cid, p in parts.items():
    data = p.get_payload(decode=True)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        sizes[p.get_filename()] = struct.unpack(">II", data[16:24])
print("ok picture: scaled to 1200x666" if sizes.get("ville_grand_paris.png") == (1200, 666)
      else "FAIL picture: scaled to 1200x666: %s" % sizes)
orig = open(src + "/formations.png", "rb").read()
same = any(p.get_payload(decode=True) == orig for p in parts.values())
print("ok picture: the small one embedded as it is" if same else "FAIL picture: the small one embedded as it is: changed")
subj = str(m["Subject"])
print("ok subject: Quarto's title, emoji kept" if subj == "Infolettre n°27 — septembre 2026 🎒"
      else "FAIL subject: Quarto's title, emoji kept: %r" % subj)
PY
while read -r line; do
	case $line in ok\ *) ok "${line#ok }" ;; *) fail "${line#FAIL }" "" ;; esac
done < "$TMP/eml.check"

# footnotes, callouts, spans: shown, nothing of the syntax left
H=$D/newsletter.html T=$D/newsletter.txt W=$D/web.html
expect "footnotes: two references in the HTML" 2 "$(grep -o '<sup style="[^"]*"><a href="#fn[12]"' "$H" | wc -l)"
expect_grep "footnotes: the Notes list" '<p style="[^"]*font-weight:bold;">Notes</p>' "$H"
expect_grep "footnotes: numbered in order of reference (text)" "l'automne \[1\] sont ouvertes" "$T"
expect_grep "footnotes: the second one (text)" "l'été \[2\]" "$T"
expect_grep "footnotes: listed at the end (text)" '^\[1\] Trois sessions' "$T"
expect_grep "footnotes: in web.html too" 'id="fn2"' "$W"
for title in Note "Le conseil du mois" Inscriptions Important Prudence; do
	expect_grep "callout box: $title" "border-left:5px solid #[0-9a-f]*;[^>]*>\$" "$H"
	expect_grep "callout title: $title" ">$title</td></tr>" "$H"
done
expect "callouts: five boxes" 5 "$(grep -c 'border-left:5px solid' "$H")"
for title in NOTE "LE CONSEIL DU MOIS" INSCRIPTIONS IMPORTANT PRUDENCE; do
	expect_grep "callout in the text part: $title" "^$title\$" "$T"
done
expect_grep "callout body indented in the text part" '^    Les inscriptions ferment le \*15 septembre\*\.$' "$T"
expect_grep "span: its text kept" 'Pensez à DuckDB pour lire' "$T"
for f in "$H" "$T" "$W"; do
	expect_nogrep "no syntax leaks: $(basename "$f")" ':::|\[\^|\{\.|callout-' "$f"
done
expect_grep "web.html: pictures at the archive's address" \
	'src="https://ssphub.netlify.app/infolettre/2026-09/ville_grand_paris.png"' "$W"
expect_grep "links: ../../ to a post" 'href="https://ssphub.netlify.app/blog/2026-06-parquet/"' "$H"
expect_grep "links: ../../ to a top-level page" 'href="https://ssphub.netlify.app/a-propos.html"' "$H"

# a second run: the same bytes
cp -r "$D" "$TMP/first"
"$INFOLETTRE" -c "$C" compose 2026-09 > /dev/null 2>&1
for f in newsletter.html newsletter.txt newsletter.eml web.html; do
	expect_same "second run: $f identical" "$TMP/first/$f" "$D/$f"
done

# a picture that cannot be decoded: an error at its file and line,
# nothing written
B=$TMP/broken
mkdir -p "$B/tests/editors/issues/2026-09"
ln -s "$ROOT/tests/site" "$B/tests/site"
ln -s "$ROOT/templates" "$B/templates"
cp "$C" "$B/tests/editors/"
cp "$ROOT/tests/editors/issues/2026-09/issue.md" "$ROOT/tests/editors/issues/2026-09/ville_grand_paris.png" \
	"$B/tests/editors/issues/2026-09/"
head -c 4000 "$ROOT/tests/editors/issues/2026-09/formations.png" > "$B/tests/editors/issues/2026-09/formations.png"
expect_status "a damaged picture: 65" 65 "$INFOLETTRE" -c "$B/tests/editors/infolettre.yaml" compose 2026-09
expect_grep "a damaged picture: file and line" \
	'issue\.md:27: formations\.png: the picture cannot be decoded' "$TMP/err"
expect_nogrep "a damaged picture: no libvips chatter" 'VIPS' "$TMP/err"
expect "a damaged picture: nothing written" "issue.md" \
	"$(ls "$B/tests/editors/issues/2026-09" | grep -v '\.png$' | tr '\n' ' ' | sed 's/ $//')"

# a damaged picture that is to be scaled down (1,489 px wide, its end
# cut off): decoded on the way to 1,200 px, the error at its line
cp "$ROOT/tests/editors/issues/2026-09/formations.png" "$B/tests/editors/issues/2026-09/"
head -c 360000 "$ROOT/tests/editors/issues/2026-09/ville_grand_paris.png" > "$B/tests/editors/issues/2026-09/ville_grand_paris.png"
expect_status "a damaged picture to scale down: 65" 65 "$INFOLETTRE" -c "$B/tests/editors/infolettre.yaml" compose 2026-09
expect_grep "a damaged picture to scale down: file, line, libvips's reason" \
	'issue\.md:21: ville_grand_paris\.png: the picture cannot be decoded and scaled down \(cannot be decoded or re-encoded: [^?]*read error' "$TMP/err"
expect "a damaged picture to scale down: nothing written" "issue.md" \
	"$(ls "$B/tests/editors/issues/2026-09" | grep -v '\.png$' | tr '\n' ' ' | sed 's/ $//')"
cp "$ROOT/tests/editors/issues/2026-09/ville_grand_paris.png" "$B/tests/editors/issues/2026-09/"

# a picture of 14,000 x 14,000 pixels (588 MB once decoded): streamed
# through libvips, a few lines at a time; the peak memory of compose is
# its resident set (getrusage), ASan's included
$PY "$ROOT/tests/tools/bigpng.py" 14000 14000 "$B/tests/editors/issues/2026-09/formations.png"
rm -f "$B/tests/editors/issues/2026-09/newsletter."*
peak=$($PY -c '
import resource, subprocess, sys
out = open(sys.argv[1], "w")
r = subprocess.run(sys.argv[2:], stdout=out, stderr=out)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
' "$TMP/big.err" "$INFOLETTRE" -c "$B/tests/editors/infolettre.yaml" compose 2026-09)
expect "196 megapixels: composes" 0 "${peak% *}"
info "196 megapixels: compose's peak memory ${peak#* } MB"
if [ "${peak#* }" -lt 300 ]; then ok "196 megapixels: under 300 MB of memory"; else
	fail "196 megapixels: under 300 MB of memory" "${peak#* } MB"; fi
expect_grep "196 megapixels: scaled down, said" \
	'issue\.md:27: formations\.png: 14,000×14,000, [0-9,]+ KB → 1,200×1,200' "$TMP/big.err"
expect "196 megapixels: the message holds it at 1,200 × 1,200" "1200 1200" "$($PY -c '
import email, email.policy, struct, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for p in m.walk():
    if p.get_content_type() == "image/png" and p.get_filename() == "formations.png":
        print(*struct.unpack(">II", p.get_content()[16:24]))
' "$B/tests/editors/issues/2026-09/newsletter.eml")"
# over 200 million pixels: refused from its header, nothing written
$PY "$ROOT/tests/tools/bigpng.py" 20000 10001 "$B/tests/editors/issues/2026-09/formations.png"
rm -f "$B/tests/editors/issues/2026-09/newsletter."* "$B/tests/editors/issues/2026-09/web.html"
expect_status "200,020,000 pixels: 65" 65 "$INFOLETTRE" -c "$B/tests/editors/infolettre.yaml" compose 2026-09
expect_grep "200,020,000 pixels: the file, the line, the size" \
	'issue\.md:27: formations\.png: 20,000×10,001 pixels, over the 200 million a picture may have' "$TMP/err"
expect "200,020,000 pixels: nothing written" "issue.md" \
	"$(ls "$B/tests/editors/issues/2026-09" | grep -v '\.png$' | tr '\n' ' ' | sed 's/ $//')"

# Quarto's front matter: title and description stand for subject and
# preheader (Markdown made text); subject and preheader win when given
Q=$TMP/quarto
mkdir -p "$Q/tests/editors/issues/2026-09"
ln -s "$ROOT/tests/site" "$Q/tests/site"
ln -s "$ROOT/templates" "$Q/templates"
cp "$C" "$Q/tests/editors/"
cp "$ROOT/tests/editors/issues/2026-09/"*.png "$Q/tests/editors/issues/2026-09/"
sed 's/^number: 27$/number: 27\nsubject: "Le sujet choisi"\npreheader: "Le chapeau choisi"/' \
	"$ROOT/tests/editors/issues/2026-09/issue.md" > "$Q/tests/editors/issues/2026-09/issue.md"
expect_status "subject and preheader given: compose" 0 "$INFOLETTRE" -c "$Q/tests/editors/infolettre.yaml" compose 2026-09
expect_grep "subject wins over title" '^Subject: Le sujet choisi' "$Q/tests/editors/issues/2026-09/newsletter.eml"
expect_grep "preheader wins over description" 'Le chapeau choisi' "$Q/tests/editors/issues/2026-09/newsletter.html"
expect_grep "description as preheader, Markdown made text" \
	'>La rentrée du réseau : formations, carte et rendez-vous' "$D/newsletter.html"

# Without installing: the binary built in a checkout, run from another
# folder with a configuration that has no templates: key, finds the
# checkout's templates (beside the binary)
N=$TMP/elsewhere
mkdir -p "$N/issues/2026-06" "$N/tests" "$TMP/cwd" "$TMP/checkout"
# a checkout: the binary with templates/ beside it (the binary under test
# may have been built elsewhere, as make asan does)
cp "$INFOLETTRE" "$TMP/checkout/infolettre"
ln -s "$ROOT/templates" "$TMP/checkout/templates"
grep -v '^templates:' "$ROOT/infolettre.yaml" > "$N/infolettre.yaml"
ln -s "$ROOT/tests/site" "$N/tests/site"
cp "$ROOT/issues/2026-06/issue.md" "$N/issues/2026-06/"
expect_status "another folder, no templates: key: compose" 0 \
	bash -c 'cd "$1" && exec "$2" -c "$3" compose 2026-06' _ "$TMP/cwd" "$TMP/checkout/infolettre" "$N/infolettre.yaml"
expect_same "another folder: the same message as the golden one" \
	"$ROOT/issues/2026-06/newsletter.eml" "$N/issues/2026-06/newsletter.eml"
