#!/bin/bash
# t_browser.sh - every test issue in a real browser (headless Chromium
# driven by chromedriver, offline): newsletter.html and the message's HTML
# part at 375 px and 800 px (no horizontal scrolling, images loaded or
# with alt text, the unsubscribe link visible), a bad page that these
# checks catch, and compose --preview: its PNG files, how they look, what
# it says when Chromium is missing or dies, nothing left behind.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"
CHECK="$PY $ROOT/tests/tools/browser_check.py"

for p in "${CHROMIUM:-/usr/bin/chromium}" "${CHROMEDRIVER:-/usr/bin/chromedriver}"; do
	if [ ! -x "$p" ]; then
		fail t_browser "$p is not installed (tests/deps.sh: chromium chromium-driver)"
		exit 1
	fi
done

# The golden issues, each with the URL its unsubscribe links start with.
ISSUES="2026-06 https://ssphub.example.fr/desinscription infolettre.yaml
2026-07 https://ssphub.example.org/unsubscribe tests/hugo.yaml"

while read -r month unsub cfg; do
	$CHECK --json "$TMP/measure-$month.json" "$month" "$unsub" \
		"$ROOT/issues/$month/newsletter.html" \
		"$ROOT/issues/$month/newsletter.eml"
done <<< "$ISSUES"
# the issue written the editors' way (tests/t_editors.sh): its pictures
# (one scaled down), callouts and footnotes at 375 and 800 px
$CHECK --json "$TMP/measure-editors.json" 2026-09 https://ssphub.example.fr/desinscription \
	"$ROOT/tests/editors/issues/2026-09/newsletter.html" \
	"$ROOT/tests/editors/issues/2026-09/newsletter.eml"

# The archive (infolettre archive) of the sample issues and of the issue
# written the editors' way: its index and every issue page at 375 and
# 800 px, its links to the pages and to the Atom feed, and a screenshot of
# the index that is not blank.
for a in "sample infolettre.yaml" "editors tests/editors/infolettre.yaml"; do
	set -- $a
	if "$INFOLETTRE" -c "$ROOT/$2" archive --all --out "$TMP/archive-$1" > "$TMP/archive-$1.out" 2>&1; then
		$CHECK archive "$TMP/archive-$1" "$TMP/archive-$1.png"
		# a grid over its top half: text and headings bring colours
		pts=$(for y in $(seq 20 6 400); do for x in $(seq 20 6 780); do printf '%d,%d ' "$x" "$y"; done; done)
		colours=$($CHECK png "$TMP/archive-$1.png" $pts |
			cut -d' ' -f3- | tr ' ' '\n' | sort -u | wc -l)
		if [ "$colours" -ge 8 ]; then ok "archive $1: the screenshot is not blank ($colours colours)"
		else fail "archive $1: the screenshot is not blank" "$colours colours"; fi
		expect "archive $1: the screenshot is 800 px wide" 800 "$($CHECK png "$TMP/archive-$1.png" | cut -d' ' -f1)"
	else
		fail "archive $1: infolettre archive" "$(cat "$TMP/archive-$1.out")"
	fi
done

# The checks can fail: a page too wide for a phone (no viewport meta, a
# fixed 600 px table), an image that cannot load and has no alt text, an
# unsubscribe link that is not displayed.
cat > "$TMP/bad.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bad</title></head>
<body><table width="600" style="width:600px"><tr><td>
<img src="https://images.example.org/x.png" width="120" height="80">
<p>Text</p><a href="https://example.org/unsubscribe?t=x" style="display:none">Unsubscribe</a>
</td></tr></table></body></html>
EOF
$CHECK bad https://example.org/unsubscribe "$TMP/bad.html" > "$TMP/bad.out" 2>&1
expect_grep "browser check catches horizontal scrolling at 375 px" \
	'^FAIL bad bad.html 375px: a horizontal scroll' "$TMP/bad.out"
expect_grep "browser check catches an image without alt text" \
	'^FAIL bad bad.html 375px: 1 images, 0 loaded, 0 with alt' "$TMP/bad.out"
expect_grep "browser check catches a hidden unsubscribe link" \
	'^FAIL bad bad.html 375px: unsubscribe link .*(hidden|empty box)' "$TMP/bad.out"

# compose --preview in a copy of the repository's layout; its temporary
# folders go under $TMP/tmpdir, which must be empty afterwards.
R=$TMP/repo
mkdir -p "$R/issues" "$R/tests" "$TMP/tmpdir"
cp "$ROOT/infolettre.yaml" "$R/"
cp "$ROOT/tests/hugo.yaml" "$R/tests/"
ln -s "$ROOT/tests/site" "$R/tests/site"
ln -s "$ROOT/templates" "$R/templates"

# png_px FILE X,Y...: "WIDTH HEIGHT #rrggbb..."
png_px() { $CHECK png "$@" 2>&1; }

while read -r month unsub cfg; do
	d=$R/issues/$month
	mkdir -p "$d"
	cp "$ROOT/issues/$month/issue.md" "$d/"
	expect_status "compose $month --preview" 0 env TMPDIR="$TMP/tmpdir" \
		"$INFOLETTRE" -c "$R/$cfg" compose "$month" --preview
	expect_grep "compose $month --preview: names the pictures" \
		'preview-mobile\.png$' "$TMP/out"
	for f in newsletter.html newsletter.eml preview-desktop.png preview-mobile.png; do
		[ -s "$d/$f" ] && ok "compose $month --preview: $f written" ||
			fail "compose $month --preview: $f written" "no $d/$f"
	done
	# the page's height at each width, as the browser check measured it
	read -r hm hd < <($PY -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(m["newsletter.eml 375"]["scrollHeight"], m["newsletter.eml 800"]["scrollHeight"])' \
		"$TMP/measure-$month.json")
	# mobile: the blue header band inside the grey margin of the page
	set -- $(png_px "$d/preview-mobile.png" 187,30 2,5)
	expect "$month preview-mobile.png: 375 px wide" 375 "${1:-}"
	expect "$month preview-mobile.png: the whole page (${hm:-?} px)" "${hm:-}" "${2:-}"
	expect "$month preview-mobile.png: header band at the top" "#1d4e89" "${3:-}"
	expect "$month preview-mobile.png: page background at the edge" "#f3f4f6" "${4:-}"
	# desktop: the 600 px column in the middle, grey on both sides
	set -- $(png_px "$d/preview-desktop.png" 400,30 50,30 750,30)
	expect "$month preview-desktop.png: 800 px wide" 800 "${1:-}"
	if [ -n "${2:-}" ] && [ -n "${hd:-}" ] && [ "$2" -ge $((hd * 9 / 10)) ] &&
	    [ "$2" -le $((hd * 11 / 10)) ]; then
		ok "$month preview-desktop.png: the whole page ($2 px, measured $hd)"
	else
		fail "$month preview-desktop.png: the whole page" "height ${2:-?}, page $hd"
	fi
	expect "$month preview-desktop.png: header band in the column" "#1d4e89" "${3:-}"
	expect "$month preview-desktop.png: background left of the column" "#f3f4f6" "${4:-}"
	expect "$month preview-desktop.png: background right of the column" "#f3f4f6" "${5:-}"
done <<< "$ISSUES"

left=$(find "$TMP/tmpdir" -mindepth 1 | head -3)
expect "compose --preview: its temporary folder removed" "" "$left"
# a process still holding the profile (a zombie's command line is empty)
running=$(for f in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' < "$f" | grep -F "$TMP/tmpdir/infolettre-preview"
done 2> /dev/null | head -3)
expect "compose --preview: no Chromium left running" "" "$running"

# No Chromium: the files are written, the pictures are not, and the
# message says how to install it (exit 69, EX_UNAVAILABLE).
d=$R/issues/2026-06
rm -f "$d"/newsletter.* "$d"/web.html "$d"/preview-*.png
expect_status "--preview without Chromium (CHROMIUM): exit 69" 69 env \
	CHROMIUM="$TMP/no-such-chromium" "$INFOLETTRE" -c "$R/infolettre.yaml" \
	compose 2026-06 --preview
expect_grep "--preview without Chromium: how to install it" \
	'apt-get install chromium' "$TMP/err"
[ -s "$d/newsletter.eml" ] && [ -s "$d/web.html" ] && [ ! -e "$d/preview-mobile.png" ] &&
	ok "--preview without Chromium: the issue's files written anyway" ||
	fail "--preview without Chromium: the issue's files written anyway" "$(ls "$d")"
expect_status "--preview, no chromium on PATH: exit 69" 69 env -u CHROMIUM \
	PATH=/nonexistent "$INFOLETTRE" -c "$R/infolettre.yaml" compose 2026-06 --preview
expect_grep "--preview, no chromium on PATH: how to install it" \
	'chromium not found.*apt-get install chromium' "$TMP/err"

# A Chromium that dies at once: an error, not a hang or a crash.
printf '#!/bin/sh\nexit 3\n' > "$TMP/dying-chromium"
chmod +x "$TMP/dying-chromium"
expect_status "--preview, Chromium dies: exit 69" 69 env \
	CHROMIUM="$TMP/dying-chromium" TMPDIR="$TMP/tmpdir" "$INFOLETTRE" \
	-c "$R/infolettre.yaml" compose 2026-06 --preview
expect_grep "--preview, Chromium dies: said so" 'Chromium exited' "$TMP/err"
left=$(find "$TMP/tmpdir" -mindepth 1 | head -3)
expect "--preview, Chromium dies: temporary folder removed" "" "$left"
