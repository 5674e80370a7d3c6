#!/bin/bash
# t_cgi.sh - the unsubscribe endpoint (infolettre cgi) behind a real web
# server: lighttpd with mod_cgi on 127.0.0.1, requests made with curl.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

TOOL=$BUILD/tests/tools/cgi_mail
CURL=(curl -s --max-time 60)

if ! command -v lighttpd > /dev/null; then
	fail "lighttpd" "not installed (Debian package lighttpd)"
	exit 1
fi

PORT=$(free_port)
URL=http://127.0.0.1:$PORT/desinscription
SITE=$TMP/list
mkdir -p "$SITE" "$TMP/www" "$TMP/cgi-bin"
CONF=$SITE/infolettre.yaml
cat > "$CONF" <<EOF
newsletter:
  title: "Liste <script>alert(1)</script> & co"
  from: "Test <news@example.org>"
  list_id: "test.example.org"
  language: fr
  timezone: Europe/Paris
site:
  root: "$ROOT/tests/site"
  base_url: "https://ssphub.netlify.app/"
  posts: ["blog", "content/post"]
  events: ["event", "content/event"]
unsubscribe:
  url: "$URL"
  mailto: "infolettre-unsubscribe@example.org"
subscribers:
  database: "subs/subscribers.db"
  secret_file: "subs/secret.key"
issues: "issues"
templates: "$ROOT/templates"
EOF
il() { "$INFOLETTRE" -c "$CONF" "$@"; }
# state EMAIL: the status; status EMAIL: "STATUS REASON" (the channel)
state() { il subscribers show "$1" | awk -F'\t' '$1 == "status" { print $2 }'; }
status() {
	il subscribers show "$1" | awk -F'\t' '$1 == "status" { s = $2 }
		$1 == "reason" { r = $2 } END { print s, r }'
}
# token EMAIL
token() { "$TOOL" "$CONF" tokens | awk -F'\t' -v e="$1" '$1 == e { print $2 }'; }

for a in anne bruno chloe denis emma felix gaelle; do
	il subscribers add "$a@example.org" > /dev/null
done
expect "tokens made" 7 "$("$TOOL" "$CONF" tokens | grep -cE $'\t[a-z2-7]{32}$')"

# The binary under its CGI name: main dispatches on argv[0].
ln -s "$INFOLETTRE" "$TMP/cgi-bin/infolettre-unsubscribe.cgi"
env_pass="\"INFOLETTRE_CONFIG\" => \"$CONF\""
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && env_pass+=", \"$v\" => \"${!v}\""
done
cat > "$TMP/lighttpd.conf" <<EOF
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.modules = ( "mod_alias", "mod_cgi", "mod_setenv" )
server.errorlog = "$TMP/lighttpd.err"
server.breakagelog = "$TMP/cgi.err"
server.max-request-size = 4096
alias.url = ( "/desinscription" => "$TMP/cgi-bin/infolettre-unsubscribe.cgi" )
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( $env_pass )
EOF
lighttpd -D -f "$TMP/lighttpd.conf" > "$TMP/lighttpd.out" 2>&1 &
PIDS+=($!)
if ! wait_port "$PORT"; then
	fail "lighttpd starts" "$(cat "$TMP/lighttpd.out" "$TMP/lighttpd.err" 2>/dev/null)"
	exit 1
fi
info "lighttpd listens on 127.0.0.1:$PORT"

# req NAME CURL-ARGS...: the response's headers in $TMP/h, body in $TMP/b,
# status code in $CODE
req() {
	shift
	CODE=$("${CURL[@]}" -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@")
}
header() { tr -d '\r' < "$TMP/h" | awk -v h="$1" 'tolower($0) ~ "^" tolower(h) ": " { sub(/^[^:]*: /, ""); print; exit }'; }

A=$(token anne@example.org)
B=$(token bruno@example.org)
C=$(token chloe@example.org)
D=$(token denis@example.org)

# --- GET and HEAD change nothing -------------------------------------------
req get "$URL?t=$A"
expect "GET: 200" 200 "$CODE"
expect "GET: Content-Type" "text/html; charset=utf-8" "$(header Content-Type)"
expect "GET: Cache-Control" "no-store" "$(header Cache-Control)"
expect "GET: nosniff" "nosniff" "$(header X-Content-Type-Options)"
expect "GET: Referrer-Policy" "no-referrer" "$(header Referrer-Policy)"
expect "GET: X-Frame-Options" "DENY" "$(header X-Frame-Options)"
csp=$(header Content-Security-Policy)
case "$csp" in
*"default-src 'none'"*script-src*|*script-src*) fail "GET: CSP forbids scripts" "$csp" ;;
*"default-src 'none'"*) ok "GET: CSP forbids scripts" ;;
*) fail "GET: CSP forbids scripts" "[$csp]" ;;
esac
expect_grep "GET: masked address" '>Désinscrire l&#39;adresse a\*\*\*@example\.org de' "$TMP/b"
expect_nogrep "GET: no full address" 'anne@' "$TMP/b"
expect_grep "GET: French page" '<html lang="fr">' "$TMP/b"
expect_grep "GET: the form posts to this script with the token" \
	"<form method=\"post\" action=\"/desinscription\\?t=$A\">" "$TMP/b"
expect_grep "GET: the token in a hidden field" \
	"<input type=\"hidden\" name=\"t\" value=\"$A\">" "$TMP/b"
cp "$TMP/b" "$TMP/confirm.html"
# every output escaped: the list title holds <script>
expect_grep "title escaped" 'Liste &lt;script&gt;alert\(1\)&lt;/script&gt; &amp; co' "$TMP/b"
expect_nogrep "no script element" '<script' "$TMP/b"
expect "GET leaves the subscriber active" "active" "$(state anne@example.org)"

req head -I "$URL?t=$A"
expect "HEAD: 200" 200 "$CODE"
expect "HEAD: Cache-Control" "no-store" "$(header Cache-Control)"
# nothing after the headers, on the wire
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'HEAD /desinscription?t=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$A" >&5
timeout 10 cat <&5 > "$TMP/raw"
exec 5<&-
expect "HEAD: 200 on the wire" "HTTP/1.0 200 OK" "$(head -1 "$TMP/raw" | tr -d '\r')"
expect "HEAD: no body on the wire" "" "$(sed '1,/^\r$/d' "$TMP/raw")"
expect "HEAD leaves the subscriber active" "active" "$(state anne@example.org)"

# --- one-click POST (RFC 8058), urlencoded and multipart --------------------
req post-urlencoded --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$A"
expect "one-click urlencoded: 200" 200 "$CODE"
expect "one-click: no redirect" "" "$(header Location)"
expect "one-click urlencoded: unsubscribed" "unsubscribed one-click" \
	"$(status anne@example.org)"
expect_grep "one-click: the page says so" 'Désinscription confirmée' "$TMP/b"
il subscribers show anne@example.org > "$TMP/show"
expect_grep "one-click: the audit records the token" \
	$'^change\t.*\tactive\tunsubscribed\tone-click\ttoken='"$A"'$' "$TMP/show"

req post-multipart -F 'List-Unsubscribe=One-Click' "$URL?t=$B"
expect "one-click multipart: 200" 200 "$CODE"
expect "one-click multipart: unsubscribed" "unsubscribed one-click" \
	"$(status bruno@example.org)"

# --- the page's own form -----------------------------------------------------
req get "$URL?t=$C"
# submit exactly what the page's form says: its action and its fields
form=$($PY - "$TMP/b" <<'EOF'
import html.parser, sys, urllib.parse
class P(html.parser.HTMLParser):
    action, fields = None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            P.action = a.get("action")
        if tag == "input":
            P.fields.append((a["name"], a.get("value", "")))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(P.action)
print(urllib.parse.urlencode(P.fields))
EOF
)
action=$(sed -n 1p <<<"$form")
fields=$(sed -n 2p <<<"$form")
expect "form: action" "/desinscription?t=$C" "$action"
expect "form: fields" "t=$C&confirm=1" "$fields"
expect "form: GET changed nothing" "active" "$(state chloe@example.org)"
req form --data-raw "$fields" "http://127.0.0.1:$PORT$action"
expect "form POST: 200" 200 "$CODE"
expect "form POST: unsubscribed by the web channel" "unsubscribed web" \
	"$(status chloe@example.org)"
# the token in the body only
E=$(token emma@example.org)
req form-body-token --data-raw "confirm=1&t=$E" "$URL"
expect "form POST, token in the body: unsubscribed" "200 unsubscribed web" \
	"$CODE $(status emma@example.org)"

# --- forged, changed, unknown, malformed tokens: 400, no change -------------
forged=$($PY -c 'import random; print("".join(random.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(32)))')
last=${D: -1}
[ "$last" = a ] && repl=b || repl=a
changed=${D:0:31}$repl
unknown=aaaxyz${D:6}
first= bad=
for t in "$forged" "$changed" "$unknown" "${D:0:31}" "$D$D" "${D^^}x" ""; do
	req bad --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$t"
	if [ "$CODE" != 400 ]; then
		bad+="token [$t]: $CODE, not 400; "
		continue
	fi
	# the same plain page for every one: no hint of who exists
	if [ -z "$first" ]; then
		first=$(md5sum < "$TMP/b")
	elif [ "$first" != "$(md5sum < "$TMP/b")" ]; then
		bad+="token [$t]: another page: $(head -c 200 "$TMP/b"); "
	fi
done
expect "bad tokens: 400, one page for all" "" "$bad"
expect_grep "400: plain page" 'Lien non valide' "$TMP/b"
expect_nogrep "400: no address" '@example' "$TMP/b"
req bad-get "$URL?t=$changed"
expect "GET of a changed token: 400" 400 "$CODE"
req no-token "$URL"
expect "no token: 400" 400 "$CODE"
expect "bad tokens change nothing" "active" "$(state denis@example.org)"
# a token in upper case is the same token (mail systems fold case)
req upper -I "$URL?t=${D^^}"
expect "token in upper case: 200" 200 "$CODE"
# two tokens that disagree: 400
req two --data-raw "t=$D&confirm=1" "$URL?t=$A"
expect "two different tokens: 400, no change" "400 active" \
	"$CODE $(state denis@example.org)"

# --- already unsubscribed: the same 200, no new audit row -------------------
n=$(il subscribers show anne@example.org | grep -c '^change')
req again --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$A"
expect "already unsubscribed: 200" 200 "$CODE"
expect_grep "already unsubscribed: the same page" 'Désinscription confirmée' "$TMP/b"
expect "already unsubscribed: no new audit row" "$n" \
	"$(il subscribers show anne@example.org | grep -c '^change')"
req again-get "$URL?t=$A"
expect "already unsubscribed, GET: 200" 200 "$CODE"
expect_grep "already unsubscribed, GET: says so" 'ne recevra plus' "$TMP/b"

# --- methods, lengths, types --------------------------------------------------
for m in PUT DELETE OPTIONS PATCH; do
	req "$m" -X "$m" --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$D"
	expect "$m: 405" 405 "$CODE"
	expect "$m: Allow" "GET, POST, HEAD" "$(header Allow)"
done
expect "other methods change nothing" "active" "$(state denis@example.org)"
req text-plain -H 'Content-Type: text/plain' --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$D"
expect "text/plain body: 415, no change" "415 active" \
	"$CODE $(state denis@example.org)"
req bad-multipart -H 'Content-Type: multipart/form-data; boundary=zz' \
	--data-raw $'--zz\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click' "$URL?t=$D"
expect "truncated multipart: 400, no change" "400 active" \
	"$CODE $(state denis@example.org)"

head -c 1048576 /dev/zero | tr '\0' 'a' > "$TMP/big"
start=$(date +%s)
req big -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary @"$TMP/big" "$URL?t=$D"
expect "1 MB body: 413" 413 "$CODE"
expect "1 MB body: no change" "active" "$(state denis@example.org)"
# 9000 bytes pass lighttpd's limit (4 MB here) and meet the CGI's own cap
head -c 9000 /dev/zero | tr '\0' 'a' > "$TMP/9k"
req 9k -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary @"$TMP/9k" "$URL?t=$D"
expect "9000-byte body: 413 from the CGI" 413 "$CODE"
expect_grep "413: the CGI's page" 'Requête refusée' "$TMP/b"

# The CGI itself: a large CONTENT_LENGTH is refused before reading anything
# (the offset of its standard input is still 0), a missing one is 411.
cgi() {
	env -i PATH="$PATH" INFOLETTRE_CONFIG="$CONF" "${SAN_ENV[@]}" \
		GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME=/desinscription "$@" \
		"$INFOLETTRE" cgi
}
exec 3< "$TMP/big"
cgi REQUEST_METHOD=POST QUERY_STRING="t=$D" CONTENT_LENGTH=1048576 \
	CONTENT_TYPE=application/x-www-form-urlencoded <&3 > "$TMP/out" 2> "$TMP/err"
expect "direct: 413" "Status: 413 Content Too Large" "$(head -1 "$TMP/out" | tr -d '\r')"
expect "direct: nothing of the body read" "pos:	0" "$(grep '^pos:' /proc/$$/fdinfo/3)"
exec 3<&-
cgi REQUEST_METHOD=POST QUERY_STRING="t=$D" < /dev/null > "$TMP/out" 2> "$TMP/err"
expect "direct: no CONTENT_LENGTH: 411" "Status: 411 Length Required" \
	"$(head -1 "$TMP/out" | tr -d '\r')"
printf 'List-Unsub' | cgi REQUEST_METHOD=POST QUERY_STRING="t=$D" CONTENT_LENGTH=26 \
	CONTENT_TYPE=application/x-www-form-urlencoded > "$TMP/out" 2> "$TMP/err"
expect "direct: a body shorter than CONTENT_LENGTH: 400" "Status: 400 Bad Request" \
	"$(head -1 "$TMP/out" | tr -d '\r')"
# a GET or HEAD with a one-click body (lighttpd refuses such a GET itself)
printf 'List-Unsubscribe=One-Click' | cgi REQUEST_METHOD=GET QUERY_STRING="t=$D" \
	CONTENT_LENGTH=26 CONTENT_TYPE=application/x-www-form-urlencoded > "$TMP/out" 2> "$TMP/err"
expect "direct: GET with a one-click body: 200" "Status: 200 OK" "$(head -1 "$TMP/out" | tr -d '\r')"
printf 'List-Unsubscribe=One-Click' | cgi REQUEST_METHOD=HEAD QUERY_STRING="t=$D" \
	CONTENT_LENGTH=26 CONTENT_TYPE=application/x-www-form-urlencoded > "$TMP/out" 2> "$TMP/err"
expect "direct: HEAD: 200" "Status: 200 OK" "$(head -1 "$TMP/out" | tr -d '\r')"
expect "direct: HEAD: headers only" "" "$(sed '1,/^\r$/d' "$TMP/out")"
expect_grep "direct: HEAD: the length of the page" '^Content-Length: [1-9][0-9]*' "$TMP/out"
expect "direct: no change" "active" "$(state denis@example.org)"
expect_status "without a web server: usage error" 64 "$INFOLETTRE" cgi
expect_grep "without a web server: says why" 'REQUEST_METHOD is not set' "$TMP/err"
expect_status "help cgi" 0 "$INFOLETTRE" help cgi

# --- English ------------------------------------------------------------------
sed -e 's/language: fr/language: en/' -e "s|subs/|$SITE/subs/|" "$CONF" > "$TMP/en.yaml"
F=$(token felix@example.org)
env -i "${SAN_ENV[@]}" INFOLETTRE_CONFIG="$TMP/en.yaml" REQUEST_METHOD=GET QUERY_STRING="t=$F" \
	SCRIPT_NAME=/desinscription "$INFOLETTRE" cgi > "$TMP/out" 2> "$TMP/err"
expect_grep "English: the page" '<html lang="en">' "$TMP/out"
expect_grep "English: the button" '<button type="submit">Unsubscribe me</button>' "$TMP/out"
expect_grep "English: the masked address" 'Unsubscribe f\*\*\*@example.org from' "$TMP/out"

# --- errors of the database or the secret: 503, logged without secrets -------
secret=$(tr -d '\n' < "$SITE/subs/secret.key")
sed "s|subs/subscribers.db|$TMP/nowhere/subscribers.db|; s|subs/secret.key|$SITE/subs/secret.key|" \
	"$CONF" > "$TMP/nodb.yaml"
env -i "${SAN_ENV[@]}" INFOLETTRE_CONFIG="$TMP/nodb.yaml" REQUEST_METHOD=GET QUERY_STRING="t=$F" \
	"$INFOLETTRE" cgi > "$TMP/out" 2> "$TMP/err"
expect "missing database: 503" "Status: 503 Service Unavailable" "$(head -1 "$TMP/out" | tr -d '\r')"
expect_grep "missing database: Retry-After" '^Retry-After: ' "$TMP/out"
expect_grep "missing database: logged" 'infolettre: cgi: database: .*nowhere/subscribers.db' "$TMP/err"
expect "missing database: not created" no "$([ -e "$TMP/nowhere" ] && echo yes || echo no)"
cp -p "$SITE/subs/secret.key" "$TMP/open.key"
chmod 644 "$TMP/open.key"
sed "s|subs/secret.key|$TMP/open.key|; s|subs/subscribers.db|$SITE/subs/subscribers.db|" \
	"$CONF" > "$TMP/open.yaml"
env -i "${SAN_ENV[@]}" INFOLETTRE_CONFIG="$TMP/open.yaml" REQUEST_METHOD=POST QUERY_STRING="t=$F" \
	CONTENT_LENGTH=26 CONTENT_TYPE=application/x-www-form-urlencoded "$INFOLETTRE" cgi \
	<<<'List-Unsubscribe=One-Click' > "$TMP/out" 2> "$TMP/err"
expect "secret readable by others: 503" "Status: 503 Service Unavailable" \
	"$(head -1 "$TMP/out" | tr -d '\r')"
expect_grep "secret readable by others: logged" 'cgi: secret: .*readable by group or others' "$TMP/err"
expect_nogrep "the log holds no secret" "$secret" "$TMP/err"
expect_nogrep "the page holds no secret" "$secret" "$TMP/out"
expect "secret error: no change" "active" "$(state felix@example.org)"
env -i "${SAN_ENV[@]}" INFOLETTRE_CONFIG="$TMP/none.yaml" REQUEST_METHOD=GET QUERY_STRING="t=$F" \
	"$INFOLETTRE" cgi > "$TMP/out" 2> "$TMP/err"
expect "no configuration: 503" "Status: 503 Service Unavailable" "$(head -1 "$TMP/out" | tr -d '\r')"
expect_grep "no configuration: a page all the same" 'Service unavailable' "$TMP/out"
expect_grep "no configuration: logged" 'cgi: configuration: ' "$TMP/err"
# through the server, the CGI's stderr reaches its error log
mv "$SITE/subs/secret.key" "$SITE/subs/secret.key.away"
req no-secret "$URL?t=$F"
mv "$SITE/subs/secret.key.away" "$SITE/subs/secret.key"
expect "missing secret through lighttpd: 503" 503 "$CODE"
expect_grep "missing secret: in the server's CGI log" 'infolettre: cgi: secret: .*secret.key: No such file' "$TMP/cgi.err"
expect "missing secret: not recreated" "$secret" "$(tr -d '\n' < "$SITE/subs/secret.key")"

# --- the headers of a real message, end to end --------------------------------
il new 2026-06 > /dev/null
if "$TOOL" "$CONF" message 2026-06 gaelle@example.org > "$TMP/g.eml" 2> "$TMP/err"; then
	ok "message for a subscriber"
	$PY - "$TMP/g.eml" "$URL" > "$TMP/e2e" 2>&1 <<'EOF'
import email, email.policy, re, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
bad = [d for p in msg.walk() for d in p.defects]
print("defects", len(bad), bad)
lu = str(msg["List-Unsubscribe"])
m = re.fullmatch(r"<([^>]+)>, <mailto:([^>]+)>", lu)
print("list-unsubscribe", "ok" if m else "bad: " + lu)
url, mailto = m.group(1), m.group(2)
print("url", url)
tok = url.split("?t=")[1]
print("mailto", mailto == "infolettre-unsubscribe+%s@example.org?subject=unsubscribe" % tok)
print("post", str(msg["List-Unsubscribe-Post"]))
html = msg.get_body(("html",)).get_content()
text = msg.get_body(("plain",)).get_content()
print("footer-html", ('href="%s"' % url.replace("&", "&amp;")) in html)
print("footer-text", url in text)
EOF
	expect_grep "message: parses without defects" '^defects 0 ' "$TMP/e2e"
	expect_grep "message: List-Unsubscribe has the URL and the mailto" '^list-unsubscribe ok$' "$TMP/e2e"
	G=$(token gaelle@example.org)
	expect_grep "message: the URL carries the subscriber's token" "^url $URL\\?t=$G\$" "$TMP/e2e"
	expect_grep "message: the mailto carries it too" '^mailto True$' "$TMP/e2e"
	expect_grep "message: List-Unsubscribe-Post" '^post List-Unsubscribe=One-Click$' "$TMP/e2e"
	expect_grep "message: the HTML footer links to it" '^footer-html True$' "$TMP/e2e"
	expect_grep "message: the text footer too" '^footer-text True$' "$TMP/e2e"
	# what a mail provider does with those headers (RFC 8058)
	lurl=$(sed -n 's/^url //p' "$TMP/e2e")
	post=$(sed -n 's/^post //p' "$TMP/e2e")
	req e2e --data-raw "$post" "$lurl"
	expect "message: one-click POST to its URL: 200" 200 "$CODE"
	expect "message: the subscriber is unsubscribed" "unsubscribed one-click" \
		"$(status gaelle@example.org)"
else
	fail "message for a subscriber" "$(cat "$TMP/err")"
fi

# --- 200 subscribers, 20 clicks at a time, with another writer -----------------
{
	echo "email,name"
	for i in $(seq 1 200); do echo "load$i@example.org,Load $i"; done
	for i in $(seq 1 10); do echo "early$i@example.org,Early $i"; done
} > "$TMP/load.csv"
il subscribers import "$TMP/load.csv" > /dev/null
"$TOOL" "$CONF" tokens > "$TMP/tokens"
grep '^load' "$TMP/tokens" | cut -f2 > "$TMP/load.tokens"
expect "load: 200 tokens" 200 "$(wc -l < "$TMP/load.tokens")"
# some leave before the issue is sent
for t in $(grep '^early' "$TMP/tokens" | cut -f2); do
	"${CURL[@]}" -o /dev/null --data-raw 'List-Unsubscribe=One-Click' "$URL?t=$t"
done
expect "early leavers unsubscribed" 10 \
	"$(il subscribers list --status unsubscribed | grep -c '^early')"

if "$INFOLETTRE" help send > /dev/null 2>&1; then
	# infolettre send against smtp-sink on the same database
	. "$ROOT/tests/smtp/servers.sh"
	sink_start "$TMP/sink"
	sed "s|^issues:|transport:\n  url: \"smtp://127.0.0.1:$SINK_PORT\"\n  starttls: false\n  rate: 100\nissues:|" \
		"$CONF" > "$SITE/send.yaml"
	"$INFOLETTRE" -c "$SITE/send.yaml" compose 2026-06 > /dev/null 2>&1
	"$INFOLETTRE" -c "$SITE/send.yaml" send 2026-06 > "$TMP/send.out" 2>&1 &
	other=$!
	other_name="send"
else
	# no send command yet: a writer adding subscribers on the same database
	( i=0; while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		"$INFOLETTRE" -c "$CONF" subscribers add "writer$i@example.org" \
			> /dev/null 2>> "$TMP/writer.err" || echo "add $i failed" >> "$TMP/writer.err"
	done; echo "$i" > "$TMP/writer.count" ) &
	other=$!
	other_name="writer"
fi
PIDS+=("$other")
start=$(date +%s)
xargs -P 20 -I{} "${CURL[@]}" -o /dev/null -w '%{http_code}\n' \
	--data-raw 'List-Unsubscribe=One-Click' "$URL?t={}" \
	< "$TMP/load.tokens" > "$TMP/codes"
took=$(( $(date +%s) - start ))
expect "load: 200 answers of 200" 200 "$(grep -c '^200$' "$TMP/codes")"
expect "load: all 200 unsubscribed" 200 \
	"$(il subscribers list --status unsubscribed | grep -c '^load')"
expect "load: by one-click" "unsubscribed one-click" "$(status load57@example.org)"
if [ "$other_name" = send ]; then
	wait "$other"
	rc=$?
	expect "send finishes beside the clicks" 0 "$rc"
	# who got a message, who was skipped for having left when their
	# message was built, who was sent one according to the journal
	cat "$TMP"/sink/* 2>/dev/null | tr -d '\r' |
		sed -n 's/^X-Rcpt-Args: <\(.*\)>$/\1/p' | sort > "$TMP/mailed"
	journal() {
		sqlite3 "$SITE/subs/subscribers.db" "SELECT s.email FROM deliveries d
			JOIN subscribers s ON s.id = d.subscriber
			WHERE d.issue = '2026-06' AND d.state = '$1'" | sort
	}
	journal sent > "$TMP/sent"
	journal skipped > "$TMP/skipped"
	expect "send: every sent message reached the server" "" \
		"$(comm -3 "$TMP/sent" "$TMP/mailed" | head -3)"
	# A subscriber who left before the send planned its deliveries has no
	# delivery at all; one who left later is skipped; none is mailed
	# without the journal saying sent.
	expect "send: nobody mailed without a sent record" "" \
		"$(comm -13 "$TMP/sent" "$TMP/mailed" | head -3)"
	expect "send: no mail to whoever had left when their message was built" \
		"" "$(comm -12 "$TMP/skipped" "$TMP/mailed" | head -3)"
	expect "send: no mail to the early leavers" "" "$(grep '^early' "$TMP/mailed")"
	n=$(wc -l < "$TMP/sent")
	[ "$n" -gt 0 ] && ok "send ran during the load ($n sent, $(wc -l < "$TMP/skipped") skipped, clicks ${took}s)" \
		|| fail "send ran during the load" "nothing sent: $(cat "$TMP/send.out")"
else
	touch "$TMP/stop"
	wait "$other"
	expect "writer: every add succeeded beside the clicks" "" \
		"$(cat "$TMP/writer.err" 2>/dev/null)"
	n=$(cat "$TMP/writer.count")
	expect "writer: its subscribers are there" "$n" \
		"$(il subscribers list | grep -c '^writer')"
	[ "$n" -gt 0 ] && ok "writer ran during the load ($n adds, ${took}s)" \
		|| fail "writer ran during the load" "no add"
fi

# Nothing went wrong in any CGI run (sanitizers report on stderr, which
# lighttpd writes to its error log).
expect_nogrep "server error log: no CGI failure" \
	'AddressSanitizer|LeakSanitizer|runtime error|Premature|cgi.*(died|exit)' "$TMP/lighttpd.err"
expect_nogrep "CGI log: no sanitizer report" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$TMP/cgi.err"
