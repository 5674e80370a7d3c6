#!/bin/bash
# t_relay.sh - sending through an organisation's relay, the real thing: a
# Postfix of its own (postfix -c DIR) on loopback, its submission port with
# STARTTLS required (smtpd_tls_security_level=encrypt) and SASL AUTH
# through Dovecot (started unprivileged, as for the IMAP tests), relaying
# to Postfix's smtp-sink. A wrong password is 77 and sends nothing; an
# untrusted certificate or a port without STARTTLS is a configuration
# error (78) at once, nothing marked deferred; a send of a few hundred
# subscribers arrives exactly once, while a backup of the store is taken.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"
. "$ROOT/tests/imap/dovecot.sh"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
I=$INFOLETTRE
N=300

if [ ! -x /usr/lib/postfix/sbin/master ]; then
	fail "postfix" "not installed (Debian package postfix)"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	# postfix -c DIR runs its daemons as the postfix user
	fail "postfix" "this test runs as root (a Postfix of its own needs it)"
	exit 1
fi

# --- Dovecot for SASL, smtp-sink beyond the relay ---------------------------------
AUTH=$TMP/dovecot/auth-postfix
dovecot_start "service auth {" "  unix_listener $AUTH {" "    mode = 0666" "  }" "}" ||
	{ fail "dovecot starts" "$(cat "$TMP/dovecot/stdout" 2>/dev/null)"; exit 1; }
sink_start "$TMP/sink" || { fail "smtp-sink starts" "$(cat "$SINK_OUT")"; exit 1; }

# --- the relay -----------------------------------------------------------------------------
PF=$TMP/postfix
mkdir -p "$PF/queue" "$PF/data"
cert_make "$PF/tls"
# a certificate trusted (the same CA file) but for another name
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$PF/tls/other.key" -out "$PF/tls/other.pem" -days 2 \
	-subj /CN=relay.example.org -addext "subjectAltName=DNS:relay.example.org" 2>/dev/null
cat "$PF/tls/cert.pem" "$PF/tls/other.pem" > "$PF/tls/cas.pem"
SUB=$(free_port)   # submission: STARTTLS required, AUTH
CLEAR=$(free_port) # no STARTTLS offered
OTHER=$(free_port) # STARTTLS with the certificate of another name
cat > "$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $TMP
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_cert_file = $PF/tls/cert.pem
smtpd_tls_key_file = $PF/tls/key.pem
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_sasl_type = dovecot
smtpd_sasl_path = $AUTH
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
smtpd_tls_security_level = encrypt
EOF
# Debian's master.cf without chroot, smtpd on our ports only
awk '/^[^# \t]/ && NF >= 8 { $5 = "n" } { print }' /etc/postfix/master.cf |
	sed -E '/^smtp +inet/d' > "$PF/master.cf"
cat >> "$PF/master.cf" <<EOF
127.0.0.1:$SUB inet n - n - - smtpd
127.0.0.1:$CLEAR inet n - n - - smtpd
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=no
  -o smtpd_tls_auth_only=no
127.0.0.1:$OTHER inet n - n - - smtpd
  -o smtpd_tls_cert_file=$PF/tls/other.pem
  -o smtpd_tls_key_file=$PF/tls/other.key
EOF
chmod o+x "$TMP"
postfix -c "$PF" set-permissions create-missing > "$TMP/pf.setup" 2>&1
if ! postfix -c "$PF" check > "$TMP/pf.check" 2>&1; then
	fail "postfix check" "$(cat "$TMP/pf.check" "$PF/maillog" 2>/dev/null | tail -5)"
	exit 1
fi
postfix -c "$PF" start-fg > "$TMP/pf.out" 2>&1 &
PF_SCRIPT=$!
if ! wait_listen "$SUB" || ! wait_listen "$CLEAR" || ! wait_listen "$OTHER"; then
	fail "postfix starts" "$(tail -5 "$PF/maillog" 2>/dev/null)"
	kill "$(cat "$PF/queue/pid/master.pid" 2>/dev/null)" "$PF_SCRIPT" 2>/dev/null
	exit 1
fi
# stopped by PID: the master (which stops its children), then the script
PIDS+=("$(tr -d ' ' < "$PF/queue/pid/master.pid")" "$PF_SCRIPT")
ok "postfix starts (submission with STARTTLS and Dovecot SASL)"

# --- the list, the issue, the configuration ----------------------------------------
D=$TMP/list
mkdir -p "$D/issues"
cp -R "$ROOT/issues/2026-06" "$D/issues/"
printf '%s' "$DOVE_PASS" > "$D/smtp.password"
printf 'wrong %s' "$DOVE_PASS" > "$D/bad.password"
chmod 600 "$D/smtp.password" "$D/bad.password"
# conf NAME URL [transport lines...]: a configuration for the list's store
# (site_conf, retries: 3, retry_delay: 1); echoes its file
conf() {
	local f=$D/$1.yaml url=$2
	shift 2
	site_conf "$url" "retries: 3" "retry_delay: 1" "$@" > "$f"
	echo "$f"
}
GOOD=$(conf good "smtp://127.0.0.1:$SUB" "ca_file: $PF/tls/cert.pem" \
	"username: $DOVE_USER" "password_file: $D/smtp.password" "concurrency: 4")
{
	echo "email,name"
	for k in $(seq "$N"); do echo "r$k@example.net,Reader $k"; done
} > "$TMP/list.csv"
"$I" -c "$GOOD" subscribers import "$TMP/list.csv" > /dev/null
journal() { "$I" -c "$GOOD" status 2026-06 | tr '\t\n' '= ' | sed 's/ $//'; }
# the recipients of the messages smtp-sink got (Postfix adds ORCPT=…)
mailed() { cat "$TMP"/sink/* 2>/dev/null | tr -d '\r' | sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p'; }

# --- a wrong password: 77, nothing sent ------------------------------------------------
C=$(conf badpw "smtp://127.0.0.1:$SUB" "ca_file: $PF/tls/cert.pem" \
	"username: $DOVE_USER" "password_file: $D/bad.password")
expect_status "wrong password: 77" 77 "$I" -c "$C" send 2026-06
expect_grep "wrong password: says so" 'authentication failed' "$TMP/err"
expect_nogrep "wrong password: never printed" "$DOVE_PASS" "$TMP/err"
expect "wrong password: nothing sent" "sent=0" "$(journal | cut -d' ' -f1)"
expect "wrong password: nothing reached the relay" "" "$(mailed)"
BEFORE=$(journal)

# --- configuration problems: 78 at once, nothing deferred ------------------------------
# config_case NAME CONF PATTERN: the send exits 78 within 3 s, says PATTERN,
# hands nothing over, and leaves the journal as it was
config_case() {
	local start end
	start=$(date +%s.%N)
	expect_status "$1: 78" 78 "$I" -c "$2" send 2026-06
	end=$(date +%s.%N)
	expect_grep "$1: says what to do" "$3" "$TMP/err"
	if $PY -c "import sys; sys.exit(not ($end - $start < 3))"; then
		ok "$1: no retry for seconds"
	else
		fail "$1: no retry for seconds" "took $($PY -c "print(round($end - $start, 1))") s"
	fi
	expect "$1: nothing marked deferred" "$BEFORE" "$(journal)"
	expect "$1: nothing handed over" "" "$(mailed)"
}
C=$(conf noca "smtp://127.0.0.1:$SUB" "username: $DOVE_USER" "password_file: $D/smtp.password")
config_case "untrusted certificate" "$C" \
	"the server's certificate is not trusted .*set transport.ca_file"
C=$(conf name "smtp://127.0.0.1:$OTHER" "ca_file: $PF/tls/cas.pem" \
	"username: $DOVE_USER" "password_file: $D/smtp.password")
config_case "certificate of another name" "$C" \
	"not trusted \\(.*relay.example.org.*\\).*a host name the certificate names"
C=$(conf clear "smtp://127.0.0.1:$CLEAR")
config_case "no STARTTLS offered" "$C" \
	"does not offer STARTTLS .*transport.starttls"
C=$(conf clear-to "smtp://127.0.0.1:$CLEAR")
expect_status "no STARTTLS, a test copy: 78" 78 "$I" -c "$C" send 2026-06 --to me@example.net

# --- the real send: each subscriber mailed exactly once ----------------------------------
"$I" -c "$GOOD" send 2026-06 > "$TMP/send.out" 2> "$TMP/send.err" &
send_pid=$!
# a backup of the store while the send writes to it (subscribers/README.md)
sleep 0.5
if sqlite3 "$D/subs/subscribers.db" ".backup $TMP/backup.db" 2> "$TMP/backup.err"; then
	expect "backup during the send: a sound copy" ok \
		"$(sqlite3 "$TMP/backup.db" 'PRAGMA integrity_check' 2>&1)"
	n=$(sqlite3 "$TMP/backup.db" 'SELECT count(*) FROM subscribers' 2>&1)
	expect "backup during the send: every subscriber" "$N" "$n"
else
	fail "backup during the send" "$(cat "$TMP/backup.err")"
fi
wait "$send_pid"
rc=$?
expect "send through the relay: 0" "0 " "$rc $(grep -v '^infolettre: 2026-06: ' "$TMP/send.err")"
expect "send through the relay: the journal" \
	"sent=$N pending=0 deferred=0 failed=0 skipped=0" "$(journal)"
for i in $(seq 300); do
	[ "$(mailed | wc -l)" -ge "$N" ] && break
	sleep 0.1
done
sleep 1 # anything more would show now
mailed | sort > "$TMP/mailed"
sort -u "$TMP/mailed" > "$TMP/mailed.uniq"
seq "$N" | sed 's/^/r/; s/$/@example.net/' | sort > "$TMP/want"
expect_same "every subscriber reached through the relay" "$TMP/want" "$TMP/mailed.uniq"
expect "nobody mailed twice" "$N" "$(wc -l < "$TMP/mailed")"
expect "the relay's queue is empty" "" \
	"$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" -type f)"
expect_grep "the relay saw AUTH over TLS" 'sasl_method=PLAIN, sasl_username=reader' "$PF/maillog"
# the messages, as they arrived beyond the relay, parse without defects
f=$(ls "$TMP"/sink/* | head -1)
$PY - "$f" > "$TMP/parse" 2>&1 <<'EOF'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
bad = [d for p in msg.walk() for d in p.defects]
print("defects", len(bad), bad)
print("subject", bool(msg["Subject"]))
EOF
expect_grep "a relayed message parses without defects" '^defects 0 ' "$TMP/parse"
expect "sending again mails nobody" "0" \
	"$("$I" -c "$GOOD" send 2026-06 2>/dev/null | sed -n 's/^send 2026-06: \([0-9]*\) sent.*/\1/p')"

# --- the progress line when nothing goes: no estimate --------------------------------------
PORT=$(free_port)
C=$(conf down "smtp://127.0.0.1:$PORT" "starttls: false")
"$I" -c "$C" subscribers add late@example.net > /dev/null
expect_status "server down: 69" 69 "$I" -c "$C" send 2026-06
expect_grep "server down: a progress line" '^infolettre: 2026-06: 0/1 sent, 0/s, ' "$TMP/err"
expect_grep "server down: no time left promised" \
	'^infolettre: 2026-06: 0/1 sent, 0/s, time left unknown, ' "$TMP/err"
