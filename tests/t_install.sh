#!/bin/bash
# t_install.sh - make install with any PREFIX and DESTDIR: the installed
# binary and endpoint find their templates wherever they land; the error
# when there are none; make uninstall removes exactly what install wrote;
# the systemd units pass systemd-analyze verify; the example configuration
# loads.
. "$(dirname "$0")/lib.sh"

# mk TARGET VAR=VALUE...: the Makefile's TARGET with this build's binary
# (nothing is rebuilt: make check has just built it)
mk() {
	make -s -C "$ROOT" --no-print-directory BUILD="$BUILD" BIN="$INFOLETTRE" "$@"
}

STAGE=$TMP/stage
P=/opt/infolettre
if mk install PREFIX=$P DESTDIR="$STAGE" > "$TMP/install.out" 2>&1; then
	ok "install PREFIX=$P DESTDIR=…"
else
	fail "install PREFIX=$P DESTDIR=…" "$(tail -5 "$TMP/install.out")"
	exit 1
fi
(cd "$STAGE" && find . ! -type d | sed 's|^\.||' | sort) > "$TMP/files"
{
	echo "$P/bin/infolettre"
	echo "$P/lib/cgi-bin/infolettre-unsubscribe.cgi"
	for u in infolettre-fcgiwrap.service infolettre-fcgiwrap.socket \
		infolettre-replies.service infolettre-replies.timer; do
		echo "$P/lib/systemd/system/$u"
	done
	for d in infolettre.yaml.example lighttpd.conf nginx.conf subscribers.md; do
		echo "$P/share/doc/infolettre/$d"
	done
	echo "$P/share/infolettre/installed-files"
	for t in "$ROOT"/templates/*.tpl; do
		echo "$P/share/infolettre/templates/$(basename "$t")"
	done
	echo "$P/share/man/man1/infolettre.1"
} | sort > "$TMP/want"
expect_same "install: what lands where" "$TMP/want" "$TMP/files"
expect "install: the endpoint is the binary under its CGI name" \
	"../../bin/infolettre" "$(readlink "$STAGE$P/lib/cgi-bin/infolettre-unsubscribe.cgi")"
expect "install: the example's paths are the install's" \
	"issues: \"/var/lib/infolettre/issues\"" \
	"$(grep '^issues:' "$STAGE$P/share/doc/infolettre/infolettre.yaml.example")"

# --- the installed binary finds the installed templates -----------------------
JOB=$TMP/job
mkdir -p "$JOB"
cp -R "$ROOT/issues" "$JOB/issues"
sed -e "s|root: \"tests/site\"|root: \"$ROOT/tests/site\"|" \
	"$ROOT/infolettre.yaml" > "$JOB/infolettre.yaml"
rm -f "$JOB"/issues/*/newsletter.* "$JOB"/issues/*/web.html
BINP=$STAGE$P/bin/infolettre
"$BINP" -c "$JOB/infolettre.yaml" subscribers add anne@example.org > /dev/null
expect_status "installed binary: compose finds the templates" 0 \
	"$BINP" -c "$JOB/infolettre.yaml" compose 2026-06
expect_same "installed binary: the same newsletter as the checkout's" \
	"$ROOT/issues/2026-06/newsletter.html" "$JOB/issues/2026-06/newsletter.html"
cgi() {
	env -i PATH="$PATH" INFOLETTRE_CONFIG="$JOB/infolettre.yaml" \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		REQUEST_METHOD=GET QUERY_STRING=t=aaaa SCRIPT_NAME=/desinscription \
		"$STAGE$P/lib/cgi-bin/infolettre-unsubscribe.cgi"
}
cgi > "$TMP/out" 2> "$TMP/err"
expect "installed endpoint: its own page for a bad token (templates found)" \
	"Status: 400 Bad Request" "$(head -1 "$TMP/out" | tr -d '\r')"

# templates beside the configuration come first
mkdir "$JOB/templates"
cp "$ROOT"/templates/*.tpl "$JOB/templates/"
sed -i 's/<html lang="{{LANG}}">/<html lang="{{LANG}}" data-local="yes">/' \
	"$JOB/templates/unsubscribe-error.html.tpl"
cgi > "$TMP/out" 2> "$TMP/err"
expect_grep "templates beside the configuration come first" 'data-local="yes"' "$TMP/out"
rm -r "$JOB/templates"

# none anywhere: every place looked at, and how to fix it
mv "$STAGE$P/share/infolettre" "$TMP/away"
expect_status "no templates: compose exits 66" 66 \
	"$BINP" -c "$JOB/infolettre.yaml" compose 2026-06
for place in "$JOB/templates" "$STAGE$P/bin/templates" \
	"$STAGE$P/share/infolettre/templates"; do
	expect_grep "no templates: names $place" "[ (]$place[,)]" "$TMP/err"
done
expect_grep "no templates: names the compiled-in folder" \
	', /[^ ]*/share/infolettre/templates\)' "$TMP/err"
expect_grep "no templates: says how to fix it" \
	'run "make install" \(or install the package\), or set "templates:" in .*job/infolettre.yaml' "$TMP/err"
cgi > "$TMP/out" 2> "$TMP/err"
expect "no templates: the endpoint answers 503" "Status: 503 Service Unavailable" \
	"$(head -1 "$TMP/out" | tr -d '\r')"
expect_grep "no templates: the endpoint logs where it looked" \
	'cgi: template: no templates found \(looked for newsletter.html.tpl in ' "$TMP/err"
mv "$TMP/away" "$STAGE$P/share/infolettre"
printf 'templates: "nowhere"\n' >> "$JOB/infolettre.yaml"
expect_status "templates key naming no folder: 66" 66 \
	"$BINP" -c "$JOB/infolettre.yaml" compose 2026-06
expect_grep "templates key naming no folder: says so" \
	"templates: $JOB/nowhere: No such file or directory \\(set in $JOB/infolettre.yaml\\)" "$TMP/err"
sed -i '$d' "$JOB/infolettre.yaml"

# --- uninstall: exactly what install wrote ---------------------------------------
echo "<!-- ours -->" >> "$STAGE$P/share/infolettre/templates/web.html.tpl"
echo "local notes" > "$STAGE$P/share/doc/infolettre/NOTES"
mkdir -p "$STAGE$P/etc"
echo "keep" > "$STAGE$P/etc/infolettre.yaml"
# a second install over the first: it keeps the record of the folders
mk install PREFIX=$P DESTDIR="$STAGE" > /dev/null 2>&1
echo "<!-- ours -->" >> "$STAGE$P/share/infolettre/templates/web.html.tpl"
if mk uninstall PREFIX=$P DESTDIR="$STAGE" > "$TMP/un.out" 2>&1; then
	ok "uninstall"
else
	fail "uninstall" "$(cat "$TMP/un.out")"
fi
(cd "$STAGE" && find . -mindepth 1 | sed 's|^\.||' | sort) > "$TMP/left"
printf '%s\n' /opt $P $P/etc $P/etc/infolettre.yaml $P/share $P/share/doc \
	$P/share/doc/infolettre $P/share/doc/infolettre/NOTES $P/share/infolettre \
	$P/share/infolettre/templates $P/share/infolettre/templates/web.html.tpl \
	| sort > "$TMP/want"
expect_same "uninstall: only what was changed or added is left" "$TMP/want" "$TMP/left"
expect_grep "uninstall: says what it kept" \
	"kept $P/share/infolettre/templates/web.html.tpl \\(changed since the install\\)" "$TMP/un.out"
expect_status "uninstall again: no record, says so" 2 mk uninstall PREFIX=$P DESTDIR="$STAGE"
expect_grep "uninstall again: names the record" 'installed-files: no record of an install here' "$TMP/err"

# --- the systemd units, and the example configuration, installed for real ------
PFX=$TMP/prefix
if mk install PREFIX="$PFX" STATEDIR="$TMP/state" SYSCONFDIR="$TMP/etc" \
	> "$TMP/install2.out" 2>&1; then
	ok "install PREFIX=$PFX"
else
	fail "install PREFIX=$PFX" "$(tail -5 "$TMP/install2.out")"
fi
U=$PFX/lib/systemd/system
if command -v systemd-analyze > /dev/null; then
	# Documentation=man:infolettre(1) is checked with man(1)
	MANPATH=$PFX/share/man systemd-analyze verify "$U/infolettre-replies.service" "$U/infolettre-replies.timer" \
		"$U/infolettre-fcgiwrap.socket" "$U/infolettre-fcgiwrap.service" \
		> "$TMP/verify" 2>&1
	rc=$?
	expect "systemd-analyze verify: no complaint" "0 " "$rc $(cat "$TMP/verify")"
else
	fail "systemd-analyze verify" "not installed (Debian package systemd)"
fi
for opt in "ProtectSystem=strict" "ReadWritePaths=$TMP/state" "NoNewPrivileges=yes" \
	"PrivateTmp=yes" "User=infolettre" "ExecStart=$PFX/bin/infolettre replies" \
	"Environment=INFOLETTRE_CONFIG=$TMP/etc/infolettre/infolettre.yaml"; do
	expect_grep "replies unit: $opt" "^$opt\$" "$U/infolettre-replies.service"
done
expect_grep "replies timer: daily" '^OnCalendar=daily$' "$U/infolettre-replies.timer"
expect_grep "endpoint socket: for the web server's group only" '^SocketMode=0660$' \
	"$U/infolettre-fcgiwrap.socket"
# the annotated example loads as it is
mkdir -p "$TMP/state/site"
expect_status "the example configuration loads" 0 \
	"$PFX/bin/infolettre" -c "$PFX/share/doc/infolettre/infolettre.yaml.example" collect 2026-06
mk uninstall PREFIX="$PFX" > /dev/null 2>&1
expect "uninstall PREFIX=$PFX: nothing left" "" "$(find "$PFX" 2>/dev/null)"
