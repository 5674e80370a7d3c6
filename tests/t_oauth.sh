#!/bin/bash
# t_oauth.sh - signing in where passwords are retired (issue 20), with real
# parts on 127.0.0.1: the fault-injecting SMTP server offering AUTH
# XOAUTH2 and OAUTHBEARER and answering as Gmail and Office 365 do; a
# token_command and a password_command; the built-in OAuth2 client against
# a token endpoint over HTTPS with a CA of the test's own (client
# credentials, refresh token rotated); Dovecot with an oauth2 passdb asking
# a local introspection endpoint, for replies over IMAP. Nothing secret may
# appear in any output, log or command line.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"
. "$ROOT/tests/imap/dovecot.sh"

W=$TMP/w
mkdir -p "$W" "$TMP/st"
cert_make "$TMP/tls"
CA=$TMP/tls/cert.pem
USER_ADDR=news@example.org

# --- the token endpoint (HTTPS) and the introspection endpoint (HTTP) ---------
ST=$TMP/st
printf 'cs-Secret-Value-0001\n' > "$ST/client_secret"
printf 'https://outlook.office365.com/.default\n' > "$ST/scope"
printf 'rt-initial-0000\n' > "$ST/refresh_token"
printf 'ya29-static-good-0003 ya29-fresh-0002\n' > "$ST/static"
HTTPS_PORT=$(free_port)
INTRO_PORT=$(free_port)
$PY "$ROOT/tests/tools/oauth_server.py" "$ST" "$HTTPS_PORT" "$CA" "$TMP/tls/key.pem" "$INTRO_PORT" > "$TMP/oauth.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do grep -q '^listening' "$TMP/oauth.log" && break; sleep 0.1; done
grep -q '^listening' "$TMP/oauth.log" || { fail "token endpoint starts" "$(cat "$TMP/oauth.log")"; exit 1; }
info "token endpoint https://127.0.0.1:$HTTPS_PORT/token, introspection :$INTRO_PORT"

# --- the SMTP server: XOAUTH2 and OAUTHBEARER only -------------------------------
PORT=$(free_port)
cat > "$TMP/fault.json" <<EOF
{"port": $PORT, "accepted": "$TMP/accepted.jsonl", "events": "$TMP/events.jsonl",
 "tls": {"cert": "$CA", "key": "$TMP/tls/key.pem"}, "require_starttls": true,
 "oauth": {"user": "$USER_ADDR", "tokens": ["ya29-fresh-0002", "ya29-static-good-0003"],
           "tokens_file": "$ST/issued"}}
EOF
fault_start "$TMP/fault.json" || { fail "fault server starts" "$(cat "$TMP"/fault.*.log)"; exit 1; }
info "SMTP server with XOAUTH2 and OAUTHBEARER on 127.0.0.1:$PORT"

# The token commands: each run counted; the token on the first line.
cat > "$W/expiring.sh" <<'EOF'
#!/bin/sh
# the first token it gives has expired; the next one is good
n=$(($(cat "$0.count" 2>/dev/null || echo 0) + 1)); echo $n > "$0.count"
if [ $n -eq 1 ]; then echo ya29-expired-0001; else echo ya29-fresh-0002; fi
EOF
cat > "$W/good.sh" <<'EOF'
#!/bin/sh
n=$(($(cat "$0.count" 2>/dev/null || echo 0) + 1)); echo $n > "$0.count"
printf 'ya29-static-good-0003\r\nsecond line ignored\n'
EOF
cat > "$W/wrong.sh" <<'EOF'
#!/bin/sh
n=$(($(cat "$0.count" 2>/dev/null || echo 0) + 1)); echo $n > "$0.count"
echo ya29-wrong-0004
EOF
cat > "$W/failing.sh" <<'EOF'
#!/bin/sh
echo "failing.sh: the vault is locked" >&2
exit 3
EOF
cat > "$W/empty.sh" <<'EOF'
#!/bin/sh
echo
EOF
chmod 755 "$W"/*.sh

# conf NAME AUTH-LINES...: a configuration sending through the server
conf() {
	local name=$1
	shift
	mkdir -p "$W/$name"
	{
		cat <<EOF
newsletter:
  title: "Infolettre OAuth"
  from: "SSP Hub <$USER_ADDR>"
  language: fr
site:
  root: "$ROOT/tests/site"
  base_url: "https://ssphub.netlify.app/"
  posts: ["blog", "content/post"]
  events: ["event", "content/event"]
unsubscribe:
  url: "https://ssphub.example.fr/desinscription"
transport:
  url: "smtp://127.0.0.1:$PORT"
  ca_file: "$CA"
  username: "$USER_ADDR"
  concurrency: 4
  retries: 0
EOF
		for l in "$@"; do echo "  $l"; done
		cat <<EOF
subscribers:
  database: "subs/subscribers.db"
  secret_file: "subs/secret.key"
issues: "$W/issues"
templates: "$ROOT/templates"
EOF
	} > "$W/$name/infolettre.yaml"
	for i in 1 2 3 4 5 6; do
		"$INFOLETTRE" -c "$W/$name/infolettre.yaml" subscribers add "p$i@example.org" > /dev/null
	done
}
IL() { local n=$1; shift; "$INFOLETTRE" -c "$W/$n/infolettre.yaml" "$@" > "$TMP/out.$n" 2> "$TMP/err.$n"; }
accepted() { [ -f "$TMP/accepted.jsonl" ] && wc -l < "$TMP/accepted.jsonl" || echo 0; }
sent() { "$INFOLETTRE" -c "$W/$1/infolettre.yaml" status 2026-06 | awk -F'\t' '$1 == "sent" { print $2 }'; }

conf expiring "auth: xoauth2" "token_command: [\"$W/expiring.sh\"]"
mkdir -p "$W/issues"
"$INFOLETTRE" -c "$W/expiring/infolettre.yaml" new 2026-06 > /dev/null 2>&1
"$INFOLETTRE" -c "$W/expiring/infolettre.yaml" compose 2026-06 > /dev/null 2>&1

# Every command line of the machine, sampled while the tests run: no token
# or secret may ever be in one.
# Only this test's processes (those with its mark in their environment):
# other jobs on the machine may grep for the same strings.
export OAUTH_TEST_MARK=$TMP
$PY - "$TMP" > "$TMP/cmdlines" 2>/dev/null <<'PY' &
import glob, sys, time
mark = ("OAUTH_TEST_MARK=" + sys.argv[1]).encode()
while True:
    for d in glob.glob("/proc/[0-9]*"):
        try:
            if mark not in open(d + "/environ", "rb").read().split(b"\0"):
                continue
            line = open(d + "/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        sys.stdout.write(line.decode("utf-8", "replace") + "\n")
    sys.stdout.flush()
    time.sleep(0.05)
PY
SAMPLER=$!
PIDS+=($SAMPLER)

# --- XOAUTH2 with a token that expired: one new token, the send goes on ---------------
n0=$(accepted)
expect_status "expired token: send exit 0" 0 IL expiring send 2026-06
expect "expired token: every message accepted" 6 $(( $(accepted) - n0 ))
expect "expired token: all sent" 6 "$(sent expiring)"
expect "expired token: the token_command ran twice (once more when refused)" 2 "$(cat "$W/expiring.sh.count")"
expect_grep "expired token: the server refused it the providers' way" '"mech": "XOAUTH2", "ok": false' "$TMP/events.jsonl"

# --- a good token: the command runs once for the whole send -------------------------
conf good "auth: xoauth2" "token_command: [\"$W/good.sh\"]"
n0=$(accepted)
expect_status "good token: send exit 0" 0 IL good send 2026-06
expect "good token: six accepted" 6 $(( $(accepted) - n0 ))
expect "good token: one token_command run per send" 1 "$(cat "$W/good.sh.count")"

# --- OAUTHBEARER (RFC 7628) -----------------------------------------------------
conf bearer "auth: oauthbearer" "token_command: [\"$W/good.sh\"]"
n0=$(accepted)
expect_status "OAUTHBEARER: send exit 0" 0 IL bearer send 2026-06
expect "OAUTHBEARER: six accepted" 6 $(( $(accepted) - n0 ))
expect_grep "OAUTHBEARER: the mechanism used" '"mech": "OAUTHBEARER", "ok": true' "$TMP/events.jsonl"

# --- a wrong token: exit 77, nothing marked sent -------------------------------------
conf wrong "auth: xoauth2" "token_command: [\"$W/wrong.sh\"]"
n0=$(accepted)
expect_status "wrong token: exit 77" 77 IL wrong send 2026-06
expect "wrong token: nothing accepted" 0 $(( $(accepted) - n0 ))
expect "wrong token: nothing marked sent" "0" "$(sent wrong)"
expect "wrong token: asked again once, then stopped" 2 "$(cat "$W/wrong.sh.count")"
expect_grep "wrong token: says the server refused it" 'authentication failed' "$TMP/err.wrong"

# --- a token_command that fails, or answers nothing: 77, naming the command ----------
conf failing "auth: xoauth2" "token_command: [\"$W/failing.sh\", \"--account\", \"news\"]"
expect_status "failing command: exit 77" 77 IL failing send 2026-06
expect_grep "failing command: names it and its status" "transport\.token_command: \`$W/failing\.sh --account news\` exited with status 3" "$TMP/err.failing"
expect_grep "failing command: its stderr passed through" '^failing\.sh: the vault is locked$' "$TMP/err.failing"
conf empty "auth: xoauth2" "token_command: [\"$W/empty.sh\"]"
expect_status "empty answer: exit 77" 77 IL empty send 2026-06
expect_grep "empty answer: said" 'printed no token on its first line' "$TMP/err.empty"
conf nocmd "auth: xoauth2" "token_command: [\"$W/no-such-command\"]"
expect_status "missing command: exit 77" 77 IL nocmd send 2026-06
conf both "auth: xoauth2" "token_command: [\"$W/good.sh\"]" "password_file: /dev/null"
expect_status "a token and a password: exit 78" 78 IL both send 2026-06
expect_grep "a token and a password: said" 'a token signs in, not password_file' "$TMP/err.both"

# --- password_command for a plain password (pass, secret-tool) ------------------------
PPORT=$(free_port)
cat > "$TMP/pw.json" <<EOF
{"port": $PPORT, "accepted": "$TMP/pw-accepted.jsonl",
 "tls": {"cert": "$CA", "key": "$TMP/tls/key.pem"}, "require_starttls": true,
 "auth": {"user": "$USER_ADDR", "password": "pw-From-Vault-0005"}}
EOF
fault_start "$TMP/pw.json" || fail "password server starts" "$(cat "$TMP"/fault.$PPORT.log)"
printf '#!/bin/sh\necho pw-From-Vault-0005\n' > "$W/pass.sh"
chmod 755 "$W/pass.sh"
conf pwcmd "password_command: [\"$W/pass.sh\"]"
sed -i "s|smtp://127.0.0.1:$PORT|smtp://127.0.0.1:$PPORT|" "$W/pwcmd/infolettre.yaml"
expect_status "password_command: send exit 0" 0 IL pwcmd send 2026-06
expect "password_command: six accepted" 6 "$(wc -l < "$TMP/pw-accepted.jsonl")"

# --- the built-in client: client credentials, the token kept across messages ---------------
printf 'cs-Secret-Value-0001\n' > "$W/client_secret"
chmod 600 "$W/client_secret"
OA=("oauth2:" "  token_url: \"https://127.0.0.1:$HTTPS_PORT/token\"" "  client_id: infolettre"
	"  scope: \"https://outlook.office365.com/.default\"" "  ca_file: \"$CA\"")
conf cc "auth: xoauth2" "${OA[@]}" "  client_secret_file: \"$W/client_secret\""
rm -f "$ST/requests"
n0=$(accepted)
expect_status "client credentials: send exit 0" 0 IL cc send 2026-06
expect "client credentials: six accepted" 6 $(( $(accepted) - n0 ))
expect "client credentials: one request to the endpoint for six messages" 1 "$(cat "$ST/requests")"

# a token about to expire (30 s: within the minute of margin) is
# replaced before each message rather than offered to be refused
echo 30 > "$ST/expires_in"
conf ccshort "auth: xoauth2" "${OA[@]}" "  client_secret_file: \"$W/client_secret\""
rm -f "$ST/requests"
n0=$(accepted)
e0=$(wc -l < "$TMP/events.jsonl")
expect_status "short-lived tokens: send exit 0" 0 IL ccshort send 2026-06
expect "short-lived tokens: six accepted" 6 $(( $(accepted) - n0 ))
expect "short-lived tokens: a new one before each message (1 + 6 requests)" 7 "$(cat "$ST/requests")"
tail -n +$((e0 + 1)) "$TMP/events.jsonl" > "$TMP/events.short"
expect_grep "short-lived tokens: the server was asked" '"mech": "XOAUTH2", "ok": true' "$TMP/events.short"
expect_nogrep "short-lived tokens: none refused" '"ok": false' "$TMP/events.short"
rm -f "$ST/expires_in"

# a client secret others may read: refused
chmod 644 "$W/client_secret"
conf ccperm "auth: xoauth2" "${OA[@]}" "  client_secret_file: \"$W/client_secret\""
expect_status "client secret readable by others: exit 77" 77 IL ccperm send 2026-06
expect_grep "client secret readable by others: said" 'client_secret_file: .*mode 0644' "$TMP/err.ccperm"
chmod 600 "$W/client_secret"
# a wrong client secret: the endpoint's 401, named
printf 'not-the-secret\n' > "$W/bad_secret"
chmod 600 "$W/bad_secret"
conf ccbad "auth: xoauth2" "${OA[@]}" "  client_secret_file: \"$W/bad_secret\""
expect_status "wrong client secret: exit 77" 77 IL ccbad send 2026-06
expect_grep "wrong client secret: names the endpoint and its answer" \
	"transport\.oauth2: the token endpoint https://127\.0\.0\.1:$HTTPS_PORT/token answered 401: invalid_client" "$TMP/err.ccbad"
# the endpoint's certificate not trusted: no ca_file
conf ccca "auth: xoauth2" "oauth2:" "  token_url: \"https://127.0.0.1:$HTTPS_PORT/token\"" \
	"  client_id: infolettre" "  client_secret_file: \"$W/client_secret\""
expect_status "untrusted endpoint: exit 78" 78 IL ccca send 2026-06
expect_grep "untrusted endpoint: says ca_file" 'oauth2\.ca_file' "$TMP/err.ccca"
conf cchttp "auth: xoauth2" "oauth2:" "  token_url: \"http://127.0.0.1:$INTRO_PORT/token\"" \
	"  client_id: infolettre" "  client_secret_file: \"$W/client_secret\""
expect_status "a token_url over http: exit 78" 78 IL cchttp send 2026-06

# --- the refresh-token grant: the rotated token written back, mode 0600 ---------------------
printf 'rt-initial-0000\n' > "$W/refresh_token"
chmod 600 "$W/refresh_token"
conf rt "auth: oauthbearer" "${OA[@]}" "  refresh_token_file: \"$W/refresh_token\""
n0=$(accepted)
expect_status "refresh token: send exit 0" 0 IL rt send 2026-06
expect "refresh token: six accepted" 6 $(( $(accepted) - n0 ))
expect "refresh token: the rotated one written back" "rt-rotated-0001" "$(cat "$W/refresh_token")"
expect "refresh token: mode 0600" 600 "$(stat -c %a "$W/refresh_token")"
expect "refresh token: no temporary file left" "refresh_token" "$(ls "$W" | grep refresh)"
# the spent one again: 400 invalid_grant
printf 'rt-initial-0000\n' > "$W/refresh_token"
expect_status "a spent refresh token: exit 77" 77 IL rt send 2026-06
expect_grep "a spent refresh token: the endpoint's answer" 'answered 400: invalid_grant' "$TMP/err.rt"

# --- IMAP: Dovecot's oauth2 passdb, asking the introspection endpoint -------------------------
cat > "$TMP/dovecot-oauth2.conf.ext" <<EOF
introspection_url = http://127.0.0.1:$INTRO_PORT/introspect
introspection_mode = post
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
EOF
if ! dovecot_start "auth_mechanisms = plain login xoauth2 oauthbearer" \
	"passdb {" "  driver = oauth2" "  mechanisms = xoauth2 oauthbearer" \
	"  args = $TMP/dovecot-oauth2.conf.ext" "}"; then
	fail "dovecot starts" "$(cat "$DOVE_DIR/stdout" "$DOVE_DIR/dovecot.log" 2>/dev/null | tail -20)"
	exit 1
fi
info "dovecot with an oauth2 passdb on 127.0.0.1:$DOVE_PORT"
msg() {
	printf 'From: Jeanne <jeanne@example.fr>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.fr>\r\nDate: Sat, 05 Dec 2026 10:00:00 +0100\r\n\r\nBonjour\r\n' \
		"$USER_ADDR" "$2" "$1" > "$TMP/m.$1"
	dovecot_drop "$TMP/m.$1" "1780000000.$1.test"
}
# imapconf NAME AUTH-LINES...
imapconf() {
	local name=$1
	shift
	conf "$name"
	sed -i "/^inbox:/,\$d" "$W/$name/infolettre.yaml"
	sed -i '/^subscribers:/,$d' "$W/$name/infolettre.yaml"
	{
		echo "inbox:"
		echo "  url: \"imap://127.0.0.1:$DOVE_PORT/INBOX\""
		echo "  ca_file: \"$DOVE_CA\""
		echo "  username: reader"
		for l in "$@"; do echo "  $l"; done
		cat <<EOF
subscribers:
  database: "subs/subscribers.db"
  secret_file: "subs/secret.key"
issues: "$W/issues"
templates: "$ROOT/templates"
EOF
	} >> "$W/$name/infolettre.yaml"
}
msg one "Question sur le prochain numéro"
printf '#!/bin/sh\necho ya29-static-good-0003\n' > "$W/imap-token.sh"
chmod 755 "$W/imap-token.sh"
imapconf imx "auth: xoauth2" "token_command: [\"$W/imap-token.sh\"]"
expect_status "IMAP XOAUTH2 (token_command): replies exit 0" 0 IL imx replies
expect_grep "IMAP XOAUTH2: the message read" 'Question sur le prochain' "$TMP/out.imx"
imapconf imo "auth: oauthbearer" "token_command: [\"$W/imap-token.sh\"]"
expect_status "IMAP OAUTHBEARER (token_command): replies exit 0" 0 IL imo replies
imapconf imc "auth: xoauth2" "${OA[@]}" "  client_secret_file: \"$W/client_secret\""
expect_status "IMAP XOAUTH2 (built-in client): replies exit 0" 0 IL imc replies
rm -f "$W/expiring.sh.count"
imapconf ime "auth: xoauth2" "token_command: [\"$W/expiring.sh\"]"
expect_status "IMAP with an expired token: replies exit 0" 0 IL ime replies
expect "IMAP with an expired token: one new token" 2 "$(cat "$W/expiring.sh.count")"
printf '#!/bin/sh\necho ya29-wrong-0004\n' > "$W/imap-wrong.sh"
chmod 755 "$W/imap-wrong.sh"
imapconf imw "auth: oauthbearer" "token_command: [\"$W/imap-wrong.sh\"]"
expect_status "IMAP with a wrong token: exit 77" 77 IL imw replies
expect_grep "IMAP with a wrong token: said" 'AUTHENTICATE OAUTHBEARER as reader refused' "$TMP/err.imw"
imapconf imwx "auth: xoauth2" "token_command: [\"$W/imap-wrong.sh\"]"
expect_status "IMAP XOAUTH2 with a wrong token: exit 77" 77 IL imwx replies
imapconf impw "auth: xoauth2" "token_command: [\"$W/imap-token.sh\"]"
sed -i "s|imap://127.0.0.1:$DOVE_PORT/INBOX|imap://127.0.0.1:$DOVE_PORT/INBOX|; s|^  ca_file: \"$DOVE_CA\"|  ca_file: \"$DOVE_CA\"\n  starttls: false|" "$W/impw/infolettre.yaml"
expect_status "IMAP: never AUTHENTICATE without TLS (78)" 78 IL impw replies

# --- nothing secret anywhere ---------------------------------------------------------------
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
leaks=""
for secret in ya29-expired-0001 ya29-fresh-0002 ya29-static-good-0003 ya29-wrong-0004 \
	cs-Secret-Value-0001 not-the-secret rt-initial-0000 rt-rotated-0001 at-0001 at-0002 \
	pw-From-Vault-0005; do
	for f in "$TMP"/out.* "$TMP"/err.* "$TMP/events.jsonl" "$TMP"/fault.*.log "$TMP/oauth.log" \
		"$DOVE_DIR/dovecot.log" "$TMP/cmdlines"; do
		[ -f "$f" ] && grep -qF -- "$secret" "$f" && leaks+=" $secret in ${f#$TMP/}"
	done
done
expect "no token, secret or password in any output, log or command line" "" "$leaks"
expect_grep "the command lines were sampled" 'infolettre' "$TMP/cmdlines"
