#!/bin/bash
# t_deploy.sh - the deployment the README describes, run for real: an
# install, the data owned by one system user (nobody stands in for
# infolettre when the tests run as root), the unsubscribe endpoint behind
# nginx + fcgiwrap running as that user and behind a lighttpd of its own
# (mod_cgi), each with the recipe as installed; the README shows those
# recipes as they are.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/deploy/web.sh"

for prog in /usr/sbin/nginx /usr/sbin/fcgiwrap /usr/sbin/lighttpd; do
	if [ ! -x "$prog" ]; then
		fail "$(basename "$prog")" "not installed (Debian package $(basename "$prog"))"
		exit 1
	fi
done
deploy_owner nobody

# --- the README's recipes are the installed ones --------------------------------
make -s -C "$ROOT" --no-print-directory dist-files PREFIX=/usr BUILD="$TMP/render"
# readme_block FILE: the fenced block after the line "<!-- dist/FILE -->"
readme_block() {
	awk -v m="<!-- dist/$1 -->" '$0 == m { on = 1; next }
		on == 1 && /^```/ { on = 2; next }
		on == 2 && /^```/ { exit }
		on == 2 { print }' "$ROOT/README.md"
}
for f in nginx.conf lighttpd.conf; do
	readme_block "$f.in" > "$TMP/readme.$f"
	expect_same "README shows dist/$f.in as Debian installs it" \
		"$TMP/render/dist/$f" "$TMP/readme.$f"
done
MANTEXT=$TMP/man.txt
MANWIDTH=200 man -l "$ROOT/infolettre.1" 2>/dev/null > "$MANTEXT"
expect_grep "man page: DEPLOYMENT" '^DEPLOYMENT' "$MANTEXT"
for line in 'client_max_body_size 16k;' \
	'fastcgi_pass unix:/run/infolettre-fcgiwrap.sock;' \
	'server.username = "infolettre"'; do
	expect_grep "man page: $line" "$line" "$MANTEXT"
done

# --- an install, its configuration, the owner's data ---------------------------------
PFX=$TMP/prefix
DATA=$TMP/data
ETC=$TMP/etc
RUN=$TMP/run
if ! make -s -C "$ROOT" --no-print-directory BUILD="$BUILD" BIN="$INFOLETTRE" install \
	PREFIX="$PFX" STATEDIR="$DATA" SYSCONFDIR="$ETC" RUNDIR="$RUN" \
	OWNER="$OWNER" WEBGROUP="$WEB_GROUP" > "$TMP/install.out" 2>&1; then
	fail "install" "$(tail -5 "$TMP/install.out")"
	exit 1
fi
mkdir -p "$ETC/infolettre" "$DATA/subscribers"
cp -R "$ROOT/tests/site" "$DATA/site"
cp -R "$ROOT/issues" "$DATA/issues"
cp "$ROOT/subscribers/sample-subscribers.csv" "$DATA/"
chown -R "$OWNER:$OWNER_GROUP" "$DATA"
chmod 700 "$DATA" "$DATA/subscribers"
CONF=$ETC/infolettre/infolettre.yaml
cat > "$CONF" <<EOF
newsletter:
  title: "Infolettre du SSP Hub"
  from: "SSP Hub <infolettre@ssphub.example.fr>"
  language: fr
site:
  root: "$DATA/site"
  base_url: "https://ssphub.netlify.app/"
  posts: ["blog", "content/post"]
  events: ["event", "content/event"]
unsubscribe:
  url: "https://ssphub.example.fr/desinscription"
  mailto: "infolettre-unsubscribe@ssphub.example.fr"
subscribe:
  url: "https://ssphub.example.fr/inscription"
transport:
  url: "maildir:$DATA/outbox"
inbox:
  url: "maildir:$DATA/inbox"
subscribers:
  database: "$DATA/subscribers/subscribers.db"
  secret_file: "$DATA/subscribers/secret.key"
issues: "$DATA/issues"
EOF
IL=$PFX/bin/infolettre
il() { as_owner "$IL" -c "$CONF" "$@"; }
expect_status "owner: import the sample list" 0 il subscribers import "$DATA/sample-subscribers.csv"
expect_status "owner: send the June issue" 0 il send 2026-06
expect "owner: four messages" 4 "$(ls "$DATA/outbox/new" | wc -l)"
expect "the store is the owner's, 0600" "$OWNER 600" \
	"$(stat -c '%U %a' "$DATA/subscribers/subscribers.db")"
state() { il subscribers show "$1" | awk -F'\t' '$1 == "status" { s = $2 }
	$1 == "reason" { r = $2 } END { print s, r }'; }
A=camille.exemple@example.fr
B=dominique.martin@example.fr
TA=$(outbox_token "$DATA/outbox" "$A")
TB=$(outbox_token "$DATA/outbox" "$B")
expect "tokens from the messages" "32 32" "${#TA} ${#TB}"

if [ "$(id -u)" -eq 0 ]; then
	# another user (root here) is told whom to run as, and changes nothing
	expect_status "another user: 77" 77 "$IL" -c "$CONF" subscribers list
	expect_grep "another user: who owns the data" \
		"belongs to user $OWNER, not to root who runs this" "$TMP/err"
	expect_grep "another user: the command to run" \
		"^    sudo -u $OWNER infolettre -c $CONF subscribers list\$" "$TMP/err"
	expect "another user: no file of root's in the data" "" \
		"$(find "$DATA" -user root)"
	# an endpoint run by the web server's own user: 503, and the log says why
	env -i PATH="$PATH" INFOLETTRE_CONFIG="$CONF" REQUEST_METHOD=GET \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		QUERY_STRING="t=$TA" SCRIPT_NAME=/desinscription \
		"$PFX/lib/cgi-bin/infolettre-unsubscribe.cgi" > "$TMP/out" 2> "$TMP/err"
	expect "endpoint as another user: 503" "Status: 503 Service Unavailable" \
		"$(head -1 "$TMP/out" | tr -d '\r')"
	expect_grep "endpoint as another user: logged" \
		"cgi: ownership: .*belongs to user $OWNER, not to root who runs this: the web server must run this program as $OWNER" "$TMP/err"
	expect "endpoint as another user: no change" "active import" "$(state "$A")"
fi

# --- nginx + fcgiwrap running as the owner ----------------------------------------------
if fcgiwrap_start "$RUN/infolettre-fcgiwrap.sock" &&
    nginx_start "$PFX/share/doc/infolettre/nginx.conf"; then
	ok "nginx + fcgiwrap start"
	endpoint_checks nginx "http://127.0.0.1:$NGINX_PORT/desinscription" "$TA" "state $A"
	http subscribe "http://127.0.0.1:$NGINX_PORT/inscription"
	expect "nginx: the subscribe route: 200" 200 "$CODE"
	expect_grep "nginx: the subscribe route: the form" 'class="infolettre-subscribe" method="post" action="/inscription"' "$TMP/body"
	expect_nogrep "nginx: no sanitizer report, no CGI failure" \
		'AddressSanitizer|LeakSanitizer|runtime error|upstream prematurely' "$NGINX_DIR/error.log"
else
	fail "nginx + fcgiwrap start" "$(cat "$TMP/fcgiwrap.out" "$TMP/nginx/out" "$TMP/nginx/error.log" 2>/dev/null | tail -5)"
fi

# --- a lighttpd of its own, running as the owner (mod_cgi) ----------------------------
env_pass="\"INFOLETTRE_CONFIG\" => \"$CONF\""
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && env_pass+=", \"$v\" => \"${!v}\""
done
if lighttpd_start "$PFX/share/doc/infolettre/lighttpd.conf" \
	"server.groupname := \"$OWNER_GROUP\"" \
	"server.errorlog-use-syslog := \"disable\"" \
	"server.errorlog = \"$TMP/lighttpd/error.log\"" \
	"server.breakagelog = \"$TMP/lighttpd/cgi.log\"" \
	"setenv.add-environment := ( $env_pass )"; then
	ok "lighttpd starts"
	endpoint_checks lighttpd "http://127.0.0.1:$LIGHTTPD_PORT/desinscription" "$TB" "state $B"
	http subscribe "http://127.0.0.1:$LIGHTTPD_PORT/inscription"
	expect "lighttpd: the subscribe route: 200" 200 "$CODE"
	expect_grep "lighttpd: the subscribe route: the form" 'class="infolettre-subscribe" method="post" action="/inscription"' "$TMP/body"
	if [ "$(id -u)" -eq 0 ]; then
		expect "lighttpd runs as the owner" "$OWNER" "$(ps -o user= -p "$LIGHTTPD_PID")"
	fi
	expect_nogrep "lighttpd: no sanitizer report" \
		'AddressSanitizer|LeakSanitizer|runtime error' "$TMP/lighttpd/cgi.log"
else
	fail "lighttpd starts" "$(cat "$TMP/lighttpd/out" 2>/dev/null | tail -5)"
fi

# --- what the daily timer runs, as its unit runs it --------------------------------------
mkdir -p "$DATA/inbox/new" "$DATA/inbox/cur" "$DATA/inbox/tmp"
chown -R "$OWNER:$OWNER_GROUP" "$DATA/inbox"
cmd=$(sed -n 's/^ExecStart=//p' "$PFX/lib/systemd/system/infolettre-replies.service")
envv=$(sed -n 's/^Environment=//p' "$PFX/lib/systemd/system/infolettre-replies.service")
expect_status "the replies unit's command, as the owner" 0 as_owner env "$envv" $cmd
expect "no file of another user's in the data" "" "$(find "$DATA" ! -user "$OWNER")"
