#!/bin/bash
# tests/deb.sh DEB - the Debian package on this machine, as "make check-deb"
# runs it after "make deb" (as root, on a Debian 12 where it may be
# installed and purged): lintian, the install (the infolettre system user,
# /var/lib/infolettre), the units, the sample job run as that user, the
# README's nginx deployment answering a subscriber who leaves while a send
# runs, then the purge. Ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/deploy/web.sh"
. "$ROOT/tests/smtp/servers.sh"

DEB=${1:-}
PASSED=0
FAILED=0
ok() { echo "ok $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
if [ -z "$DEB" ] || [ ! -f "$DEB" ]; then
	fail "the package" "no .deb given (make check-deb builds it)"
	finish; exit
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "root" "installing the package needs root"
	finish; exit
fi

lintian --fail-on error "$DEB" > "$TMP/lintian" 2>&1
expect "lintian: no error" "0 " "$? $(grep '^E: ' "$TMP/lintian")"

if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" > "$TMP/apt" 2>&1; then
	ok "the package installs"
else
	fail "the package installs" "$(tail -5 "$TMP/apt")"
	finish; exit
fi
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd infolettre)
expect "postinst: the infolettre system user" "yes /var/lib/infolettre /usr/sbin/nologin" \
	"$([ "${uid:-1000}" -lt 1000 ] && echo yes || echo no) ${home:-} ${shell:-}"
expect "postinst: its data folder, 0700" "infolettre 700" "$(stat -c '%U %a' /var/lib/infolettre)"
for f in /usr/bin/infolettre /usr/share/man/man1/infolettre.1.gz \
	/usr/share/infolettre/templates/newsletter.html.tpl \
	/usr/share/doc/infolettre/infolettre.yaml.example \
	/usr/share/doc/infolettre/nginx.conf /usr/share/doc/infolettre/lighttpd.conf \
	/lib/systemd/system/infolettre-replies.timer; do
	[ -f "$f" ] && ok "installed: $f" || fail "installed: $f" "missing"
done
expect "installed: the endpoint" "../../bin/infolettre" \
	"$(readlink /usr/lib/cgi-bin/infolettre-unsubscribe.cgi)"
systemd-analyze verify /lib/systemd/system/infolettre-replies.service \
	/lib/systemd/system/infolettre-replies.timer \
	/lib/systemd/system/infolettre-fcgiwrap.socket \
	/lib/systemd/system/infolettre-fcgiwrap.service > "$TMP/verify" 2>&1
expect "units: systemd-analyze verify" "0 " "$? $(cat "$TMP/verify")"

# --- the sample job, as the infolettre user -------------------------------------------
deploy_owner infolettre
J=$TMP/job
mkdir -p "$J"
cp -R "$ROOT/tests/site" "$J/site"
cp -R "$ROOT/issues" "$J/issues"
cp "$ROOT/subscribers/sample-subscribers.csv" "$J/"
mkdir -p /etc/infolettre
CONF=/etc/infolettre/infolettre.yaml
sed -e "s|root: \"tests/site\"|root: \"$J/site\"|" \
	-e "s|\"maildir:outbox\"|\"maildir:$J/outbox\"|" \
	-e "s|\"maildir:inbox\"|\"maildir:$J/inbox\"|" \
	-e "s|\"subscribers/|\"$J/subscribers/|" \
	-e "s|^issues: \"issues\"|issues: \"$J/issues\"|" \
	"$ROOT/infolettre.yaml" > "$CONF"
chown -R infolettre:infolettre "$J"
chmod 700 "$J"
il() { as_owner /usr/bin/infolettre -c "$CONF" "$@"; }
expect_status "job: import the sample list" 0 il subscribers import "$J/sample-subscribers.csv"
expect_status "job: send the June issue (the installed templates)" 0 il send 2026-06
expect "job: four messages" 4 "$(ls "$J/outbox/new" 2>/dev/null | wc -l)"
expect "job: the journal" "sent=4" "$(il status 2026-06 | head -1 | tr '\t' '=')"
expect_status "root is told to run it as infolettre" 77 /usr/bin/infolettre -c "$CONF" status 2026-06
expect_grep "root: the command to run" \
	"^    sudo -u infolettre infolettre -c $CONF status 2026-06\$" "$TMP/err"

# --- the README's nginx deployment, while a send runs -----------------------------------
# the socket infolettre-fcgiwrap.socket would make, in $TMP/run
sed "s|unix:/run/infolettre-fcgiwrap.sock|unix:$TMP/run/fcgi.sock|" \
	/usr/share/doc/infolettre/nginx.conf > "$TMP/nginx-recipe.conf"
if fcgiwrap_start "$TMP/run/fcgi.sock" && nginx_start "$TMP/nginx-recipe.conf"; then
	ok "nginx + fcgiwrap as infolettre start"
	{
		echo "email,name"
		for k in $(seq 200); do echo "late$k@example.net,Late $k"; done
	} > "$J/more.csv"
	chown infolettre "$J/more.csv"
	il subscribers import "$J/more.csv" > /dev/null
	sink_start - || fail "smtp-sink starts" "$(cat "$SINK_OUT")"
	sed -e "s|\"maildir:$J/outbox\"|\"smtp://127.0.0.1:$SINK_PORT\"\n  starttls: false|" \
		-e 's|rate: 0$|rate: 40|' "$CONF" > "$J/sink.yaml"
	chown infolettre "$J/sink.yaml"
	as_owner /usr/bin/infolettre -c "$J/sink.yaml" send 2026-06 \
		> "$TMP/send.out" 2> "$TMP/send.err" &
	send_pid=$!
	sleep 1
	state() { il subscribers show "$1" | awk -F'\t' '$1 == "status" { s = $2 }
		$1 == "reason" { r = $2 } END { print s, r }'; }
	A=camille.exemple@example.fr
	endpoint_checks "nginx, during a send" "http://127.0.0.1:$NGINX_PORT/desinscription" \
		"$(outbox_token "$J/outbox" "$A")" "state $A"
	if kill -0 "$send_pid" 2>/dev/null; then
		ok "the send was still running"
	else
		fail "the send was still running" "it ended before the checks did"
	fi
	wait "$send_pid"
	expect "the send finishes beside the endpoint" "0" "$?"
	expect "the journal after it" "sent=204" "$(il status 2026-06 | head -1 | tr '\t' '=')"
else
	fail "nginx + fcgiwrap as infolettre start" \
		"$(cat "$TMP/fcgiwrap.out" "$TMP/nginx/out" "$TMP/nginx/error.log" 2>/dev/null | tail -5)"
fi
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()

# --- purge -------------------------------------------------------------------------------
rm -f "$CONF"
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq infolettre > "$TMP/purge" 2>&1; then
	ok "the package purges"
else
	fail "the package purges" "$(tail -5 "$TMP/purge")"
fi
left=""
for f in /usr/bin/infolettre /usr/lib/cgi-bin/infolettre-unsubscribe.cgi \
	/usr/share/infolettre /usr/share/doc/infolettre /etc/infolettre \
	/lib/systemd/system/infolettre-replies.service /var/lib/infolettre; do
	[ -e "$f" ] && left="$left $f"
done
expect "purge: nothing of the package left" "" "$left"
finish
