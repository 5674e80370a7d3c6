#!/bin/bash
# t_transport.sh - the maildir and SMTP transports (src/transport*.c) through
# tests/tools/tsend, against Postfix's smtp-sink, the scripted fault server
# (tests/smtp/fault_server.py) and STARTTLS with a self-signed certificate.
# time limit: 400 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"

TSEND=$BUILD/tests/tools/tsend
if [ ! -x "$TSEND" ]; then
	fail transport_tsend "$TSEND is not built (make units)"
	exit 0
fi

# conf NAME URL [YAML lines for the transport section...]: $TMP/NAME/conf.yaml
conf() {
	local dir=$TMP/$1 url=$2 line
	shift 2
	mkdir -p "$dir"
	{
		printf 'newsletter:\n  title: Test\n  from: "News <news@example.org>"\n'
		printf 'site:\n  root: site\n  base_url: https://example.org/\n'
		printf 'transport:\n  url: "%s"\n' "$url"
		for line in "$@"; do printf '  %s\n' "$line"; done
	} > "$dir/conf.yaml"
	echo "$dir/conf.yaml"
}

# A message with lines that need dot-stuffing, UTF-8 and a long line.
MSG=$TMP/msg.eml
$PY - "$MSG" <<'EOF'
import sys
body = ("Bonjour,\n.\n.leading dot\n..two dots\n. dot space\n"
        "...\n.a.b.\nhttps://example.org/a.b.c/.d\n"
        "caf\u00e9 \u00e0 la une \u2014 \u00e9t\u00e9\n" + "x" * 900 + "\n"
        "\nFin.\n.\n")
msg = ("From: News <news@example.org>\nTo: reader@example.net\n"
       "Subject: =?utf-8?q?Caf=C3=A9?=\nDate: Mon, 01 Jun 2026 10:00:00 +0200\n"
       "Message-ID: <test.1@example.org>\nMIME-Version: 1.0\n"
       "Content-Type: text/plain; charset=utf-8\n"
       "Content-Transfer-Encoding: 8bit\n\n" + body)
open(sys.argv[1], "wb").write(msg.encode())
EOF
# the bytes a server must receive: CRLF line ends
$PY -c 'import sys; d = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n"); open(sys.argv[2], "wb").write(d)' "$MSG" "$TMP/msg.crlf"

# check_dumps NAME DIR N: smtp-sink's dump files in DIR hold exactly the
# recipients u1..uN@example.net once each, every body equal to $MSG and
# parsed by Python's email package without defect.
check_dumps() {
	local out
	out=$($PY - "$2" "$3" "$MSG" <<'EOF'
import email, email.policy, os, sys
d, n, want = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
seen, bad = {}, []
for name in os.listdir(d):
    lines = open(os.path.join(d, name), "rb").read().split(b"\n")
    i, rcpt = 0, []
    while not lines[i].startswith(b"Received:"):
        if lines[i].startswith(b"X-Rcpt-Args: "):
            rcpt.append(lines[i][13:].decode())
        i += 1
    i += 1
    while lines[i].startswith(b"\t"):
        i += 1
    body = b"\n".join(lines[i:])
    # smtp-sink ends each dump with an empty line
    if not body.endswith(b"\n\n") or body[:-1] != want:
        bad.append(name + ": body differs")
    m = email.message_from_bytes(body[:-1], policy=email.policy.default)
    if m.defects or any(p.defects for p in m.walk()):
        bad.append(name + ": defects")
    for r in rcpt:
        seen[r] = seen.get(r, 0) + 1
expect = {"<u%d@example.net>" % k for k in range(1, n + 1)}
if set(seen) != expect:
    bad.append("recipients differ: %d seen" % len(seen))
dup = [r for r, c in seen.items() if c != 1]
if dup:
    bad.append("more than once: %s" % dup[:5])
print("; ".join(bad[:5]) if bad else "ok")
EOF
)
	expect "$1" ok "$out"
}

# count PATTERN FILE: lines matching
count() { grep -Ec -- "$1" "$2"; }

# --- 1. smtp-sink: many messages over few connections ---------------------
sink_start "$TMP/dump"
C=$(conf sink "smtp://127.0.0.1:$SINK_PORT" "starttls: false" "concurrency: 4" \
	"max_per_connection: 1000")
expect_status sink_send 0 "$TSEND" -n 200 "$C" "$MSG" 'u{}@example.net'
expect sink_all_sent 200 "$(count '^u[0-9]+@example.net sent 250 250 ' "$TMP/out")"
expect_grep sink_summary '200 messages .* 200 sent, 0 deferred, 0 failed, 4 connections' "$TMP/err"
expect_grep sink_cleartext_warning 'warning: transport.starttls is false' "$TMP/err"
sleep 0.3
expect sink_sessions 4 "$(sink_count sess)"
expect sink_quits 4 "$(sink_count quit)"
expect sink_messages 200 "$(sink_count mesg)"
check_dumps sink_dumps "$TMP/dump" 200
kill "$SINK_PID"

# max_per_connection: 40 messages, at most 5 per connection, each closed
# with QUIT (the fault server logs the connection of every message)
FP=$(free_port)
printf '{ "port": %s, "accepted": "%s", "events": "%s" }\n' "$FP" \
	"$TMP/perconn.jsonl" "$TMP/perconn.events" > "$TMP/perconn.json"
fault_start "$TMP/perconn.json"
C=$(conf perconn "smtp://127.0.0.1:$FP" "starttls: false" \
	"concurrency: 2" "max_per_connection: 5")
expect_status perconn_send 0 "$TSEND" -q -n 40 "$C" "$MSG" 'u{}@example.net'
expect_grep perconn_summary '40 sent, 0 deferred, 0 failed, (8|9) connections' "$TMP/err"
sleep 0.5
out=$($PY - "$TMP/perconn.jsonl" "$TMP/perconn.events" <<'EOF'
import collections, json, sys
per = collections.Counter(json.loads(l)["conn"] for l in open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
conns = sum(1 for e in ev if e["event"] == "connect")
closes = sum(1 for e in ev if e["event"] == "close")
print(sum(per.values()), max(per.values()), conns == len(per) == closes)
EOF
)
expect perconn_at_most_5 "40 5 True" "$out"
kill "$FAULT_PID"

# rate: 30 messages at 20/s take about 1.5 s whatever the concurrency
sink_start -
C=$(conf rate "smtp://127.0.0.1:$SINK_PORT" "starttls: false" \
	"concurrency: 4" "rate: 20")
start=$(date +%s.%N)
expect_status rate_send 0 "$TSEND" -q -n 30 "$C" "$MSG" 'r{}@example.net'
took=$($PY -c "print(round($(date +%s.%N) - $start, 2))")
if $PY -c "import sys; sys.exit(not (1.3 <= $took <= 4))"; then ok rate_paced; else
	fail rate_paced "30 messages at rate 20 took $took s"
fi
expect_grep rate_summary '30 sent' "$TMP/err"

# no STARTTLS offered while it is required: deferred, unreachable
C=$(conf notls "smtp://127.0.0.1:$SINK_PORT")
expect_status notls_send 0 "$TSEND" "$C" "$MSG" a@example.net
expect_grep notls_deferred '^a@example.net deferred 0 ' "$TMP/out"
expect_grep notls_unreachable 'unreachable' "$TMP/err"
expect_nogrep notls_no_warning 'warning' "$TMP/err"
kill "$SINK_PID"

# nothing listening: deferred, unreachable
PORT=$(free_port)
C=$(conf refused "smtp://127.0.0.1:$PORT" "starttls: false")
expect_status refused_send 0 "$TSEND" "$C" "$MSG" a@example.net
expect_grep refused_deferred '^a@example.net deferred 0 .*(onnect|refused)' "$TMP/out"
expect_grep refused_unreachable '1 deferred.*unreachable' "$TMP/err"

# a SYN that is never answered (full accept queue): timeout_connect
$PY - "$TMP/syn.port" <<'EOF' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", port)); fill.append(c)
time.sleep(0.5)
open(sys.argv[1], "w").write(str(port))
time.sleep(30)
EOF
PIDS+=($!)
for i in $(seq 50); do [ -s "$TMP/syn.port" ] && break; sleep 0.1; done
C=$(conf syn "smtp://127.0.0.1:$(cat "$TMP/syn.port")" "starttls: false" "timeout_connect: 2")
start=$(date +%s)
expect_status syn_send 0 "$TSEND" "$C" "$MSG" a@example.net
took=$(( $(date +%s) - start ))
expect_grep syn_deferred '^a@example.net deferred 0 timeout: not connected after 2 s' "$TMP/out"
expect_grep syn_unreachable 'unreachable' "$TMP/err"
if [ "$took" -le 5 ]; then ok syn_quick; else fail syn_quick "took $took s"; fi

# --- 2. the fault server: each fault maps to its outcome -------------------
FP=$(free_port)
cat > "$TMP/fault.json" <<EOF
{ "port": $FP, "accepted": "$TMP/accepted.jsonl", "events": "$TMP/events.jsonl",
  "dump": "$TMP/fdump", "stall": 5,
  "mail": { "badsender@example.org": "553 5.1.8 Sender address rejected" },
  "rcpt": { "t451@example.net": ["451 4.3.0 Try again later"],
            "t452@example.net": ["452 4.2.2 Mailbox full"],
            "nouser@example.net": "550 5.1.1 <nouser@example.net>: Recipient address rejected: User unknown",
            "slowrcpt@example.net": ["stall"] },
  "data": { "rej@example.net": "554 5.7.1 Message rejected as spam",
            "drop@example.net": ["drop"],
            "slowdata@example.net": ["stall"] } }
EOF
fault_start "$TMP/fault.json"
C=$(conf fault "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 4" \
	"timeout_command: 2" "timeout_data: 2")
expect_status fault_send 0 "$TSEND" "$C" \
	"$MSG" ok1@example.net "$MSG" t451@example.net "$MSG" t452@example.net \
	"$MSG" nouser@example.net "$MSG" rej@example.net "$MSG" drop@example.net \
	"$MSG" slowrcpt@example.net "$MSG" slowdata@example.net \
	"$MSG" ok2@example.net "$MSG" ok3@example.net
cp "$TMP/out" "$TMP/fault.out"
expect_grep fault_ok1 '^ok1@example.net sent 250 250 2.0.0 Ok: queued' "$TMP/fault.out"
expect_grep fault_ok3 '^ok3@example.net sent 250 ' "$TMP/fault.out"
expect_grep fault_451 '^t451@example.net deferred 451 451 4.3.0 Try again later$' "$TMP/fault.out"
expect_grep fault_452 '^t452@example.net deferred 452 452 4.2.2 Mailbox full$' "$TMP/fault.out"
expect_grep fault_550 '^nouser@example.net failed 550 550 5.1.1 <nouser@example.net>: Recipient address rejected: User unknown$' "$TMP/fault.out"
expect_grep fault_554 '^rej@example.net failed 554 554 5.7.1 Message rejected as spam$' "$TMP/fault.out"
expect_grep fault_drop '^drop@example.net deferred 0 connection lost while sending the message: ' "$TMP/fault.out"
expect_grep fault_stall_rcpt '^slowrcpt@example.net deferred 0 timeout: no reply to RCPT TO after 2 s$' "$TMP/fault.out"
expect_grep fault_stall_data '^slowdata@example.net deferred 0 timeout: no reply to the end of data after 2 s$' "$TMP/fault.out"
expect_grep fault_summary '10 messages .* 3 sent, 5 deferred, 2 failed' "$TMP/err"
expect_nogrep fault_reachable 'unreachable|auth failed' "$TMP/err"
# no PIPELINING offered: each command waited for its reply
expect fault_mail_events 10 "$(count '"event": "mail"' "$TMP/events.jsonl")"
expect_nogrep fault_not_pipelined '"pipelined": true' "$TMP/events.jsonl"

# second run: the deferred ones again (their scripts are used up), and a
# sender the server refuses (deferred: the recipient is not at fault)
expect_status fault_retry 0 "$TSEND" "$C" \
	"$MSG" t451@example.net "$MSG" t452@example.net "$MSG" drop@example.net \
	"$MSG" slowrcpt@example.net "$MSG" slowdata@example.net
expect fault_retry_sent 5 "$(count ' sent 250 ' "$TMP/out")"
expect_status fault_badsender 0 "$TSEND" -f badsender@example.org "$C" "$MSG" ok4@example.net
expect_grep fault_553_deferred '^ok4@example.net deferred 553 553 5.1.8 Sender address rejected$' "$TMP/out"

# the server's log: each message it accepted was reported sent, once
sleep 1
out=$($PY - "$TMP/accepted.jsonl" "$TMP/msg.crlf" <<'EOF'
import hashlib, json, sys
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
rows = [json.loads(l) for l in open(sys.argv[1])]
rc = sorted(r["rcpt"][0] for r in rows)
bad = [r["rcpt"] for r in rows if r["sha256"] != want or len(r["rcpt"]) != 1]
print(" ".join(rc), "BAD" if bad else "")
EOF
)
expect fault_accepted "drop@example.net ok1@example.net ok2@example.net ok3@example.net slowdata@example.net slowrcpt@example.net t451@example.net t452@example.net " "$out"
out=$($PY -c '
import email, email.policy, glob, sys
bad = [f for f in glob.glob(sys.argv[1] + "/*.eml")
       if email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default).defects]
print(len(glob.glob(sys.argv[1] + "/*.eml")), bad)' "$TMP/fdump")
expect fault_dumps_parse "8 []" "$out"
kill "$FAULT_PID"

# a reply to the end of data that comes after the timeout must not be read
# as the next message's answer: one connection at a time, stall then fine
FP=$(free_port)
cat > "$TMP/late.json" <<EOF
{ "port": $FP, "accepted": "$TMP/late.jsonl", "events": "$TMP/late.events",
  "stall": 4, "data": { "late@example.net": ["stall"] } }
EOF
fault_start "$TMP/late.json"
C=$(conf late "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 1" \
	"timeout_data: 1")
expect_status late_send 0 "$TSEND" "$C" "$MSG" late@example.net \
	"$MSG" next@example.net
expect_grep late_deferred '^late@example.net deferred 0 timeout: no reply to the end of data after 1 s$' "$TMP/out"
expect_grep late_next_sent '^next@example.net sent 250 250 2.0.0 Ok: queued as 1$' "$TMP/out"
sleep 4
expect late_server_accepted '["next@example.net"] 2' \
	"$($PY -c 'import json, sys; r = [json.loads(l) for l in open(sys.argv[1])]; print(json.dumps(r[0]["rcpt"]) if len(r) == 1 else r, r[0]["conn"])' "$TMP/late.jsonl")"
kill "$FAULT_PID"

# greeting faults, one connection at a time: 421, then silence, then fine
FP=$(free_port)
cat > "$TMP/greet.json" <<EOF
{ "port": $FP, "accepted": "$TMP/greet.jsonl", "events": "$TMP/greet.events",
  "stall": 5, "greeting": ["421 4.3.2 Service not available", "stall", "drop"] }
EOF
fault_start "$TMP/greet.json"
C=$(conf greet "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 1" \
	"timeout_greeting: 2")
expect_status greet_send 0 "$TSEND" "$C" "$MSG" g1@example.net \
	"$MSG" g2@example.net "$MSG" g3@example.net "$MSG" g4@example.net \
	"$MSG" g5@example.net
expect_grep greet_421 '^g1@example.net deferred 421 421 4.3.2 Service not available$' "$TMP/out"
expect_grep greet_stall '^g2@example.net deferred 0 timeout: no greeting after 2 s$' "$TMP/out"
expect_grep greet_drop '^g3@example.net deferred 0 ' "$TMP/out"
expect_grep greet_then_ok '^g4@example.net sent 250 ' "$TMP/out"
expect_grep greet_same_conn '^g5@example.net sent 250 ' "$TMP/out"
expect_grep greet_unreachable '2 sent, 3 deferred, 0 failed, 4 connections, unreachable' "$TMP/err"
sleep 0.5
expect greet_server_conns 4 "$(count '"connect"' "$TMP/greet.events")"
kill "$FAULT_PID"

# connections are reused: 40 messages over concurrency 4, seen by the server
FP=$(free_port)
printf '{ "port": %s, "accepted": "%s", "events": "%s" }\n' "$FP" \
	"$TMP/reuse.jsonl" "$TMP/reuse.events" > "$TMP/reuse.json"
fault_start "$TMP/reuse.json"
C=$(conf reuse "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 4")
expect_status reuse_send 0 "$TSEND" -q -n 40 "$C" "$MSG" 'v{}@example.net'
sleep 0.5
expect reuse_server_conns 4 "$(count '"connect"' "$TMP/reuse.events")"
expect reuse_server_closes 4 "$(count '"close"' "$TMP/reuse.events")"
expect reuse_accepted 40 "$(wc -l < "$TMP/reuse.jsonl")"
kill "$FAULT_PID"

# PIPELINING offered (RFC 2920): MAIL FROM, RCPT TO and DATA in one write,
# SIZE given (RFC 1870, aiosmtpd offers it); a refused recipient ends the
# transaction before the message, and the next one goes on a new connection
FP=$(free_port)
cat > "$TMP/pipe.json" <<EOF
{ "port": $FP, "accepted": "$TMP/pipe.jsonl", "events": "$TMP/pipe.events",
  "dump": "$TMP/pdump", "pipelining": true,
  "rcpt": { "nouser@example.net": "550 5.1.1 User unknown" } }
EOF
fault_start "$TMP/pipe.json"
C=$(conf pipe "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 1")
expect_status pipe_send 0 "$TSEND" "$C" "$MSG" p1@example.net \
	"$MSG" nouser@example.net "$MSG" p2@example.net "$MSG" p3@example.net
expect_grep pipe_p1 '^p1@example.net sent 250 250 2.0.0 Ok: queued as 1$' "$TMP/out"
expect_grep pipe_550 '^nouser@example.net failed 550 550 5.1.1 User unknown$' "$TMP/out"
expect_grep pipe_p3 '^p3@example.net sent 250 250 2.0.0 Ok: queued as 3$' "$TMP/out"
expect_grep pipe_summary '3 sent, 0 deferred, 1 failed, 2 connections' "$TMP/err"
sleep 0.5
expect pipe_pipelined 4 "$(count '"event": "mail".*"pipelined": true' "$TMP/pipe.events")"
out=$($PY - "$TMP/pipe.jsonl" "$TMP/msg.crlf" <<'EOF'
import hashlib, json, sys
data = open(sys.argv[2], "rb").read()
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(r["rcpt"][0] for r in rows),
      all(r["options"] == ["SIZE=%d" % len(data)] for r in rows),
      all(r["sha256"] == hashlib.sha256(data).hexdigest() for r in rows))
EOF
)
expect pipe_accepted_size_bytes "p1@example.net p2@example.net p3@example.net True True" "$out"
kill "$FAULT_PID"

# a server that closes an idle connection (aiosmtpd's 421 after 1 s of
# silence): the next message opens a new one instead of failing
FP=$(free_port)
cat > "$TMP/idle.json" <<EOF
{ "port": $FP, "accepted": "$TMP/idle.jsonl", "events": "$TMP/idle.events",
  "idle_timeout": 1, "pipelining": true }
EOF
fault_start "$TMP/idle.json"
C=$(conf idle "smtp://127.0.0.1:$FP" "starttls: false" "concurrency: 1" \
	"rate: 0.4")
expect_status idle_send 0 "$TSEND" "$C" "$MSG" i1@example.net "$MSG" i2@example.net
expect idle_sent 2 "$(count ' sent 250 ' "$TMP/out")"
expect_grep idle_summary '2 sent, 0 deferred, 0 failed, 2 connections' "$TMP/err"
kill "$FAULT_PID"

# --- 3. TLS and AUTH -------------------------------------------------------
cert_make "$TMP/tls"
printf 's3cret-Pa55\n' > "$TMP/pw"
chmod 600 "$TMP/pw"
FP=$(free_port)
cat > "$TMP/tls.json" <<EOF
{ "port": $FP, "accepted": "$TMP/tls.jsonl", "events": "$TMP/tls.events",
  "tls": { "cert": "$TMP/tls/cert.pem", "key": "$TMP/tls/key.pem" },
  "require_starttls": true, "auth": { "user": "news", "password": "s3cret-Pa55" } }
EOF
fault_start "$TMP/tls.json"
C=$(conf tls_noca "smtp://127.0.0.1:$FP" "username: news" "password_file: $TMP/pw")
expect_status tls_noca_send 0 "$TSEND" "$C" "$MSG" t1@example.net
expect_grep tls_noca_deferred '^t1@example.net deferred 0 ' "$TMP/out"
expect_grep tls_noca_unreachable 'unreachable' "$TMP/err"
cat "$TMP/out" "$TMP/err" > "$TMP/tls.all"

C=$(conf tls_ca "smtp://127.0.0.1:$FP" "username: news" "password_file: $TMP/pw" \
	"ca_file: $TMP/tls/cert.pem")
expect_status tls_ca_send 0 "$TSEND" "$C" "$MSG" t2@example.net
expect_grep tls_ca_sent '^t2@example.net sent 250 ' "$TMP/out"
expect_nogrep tls_ca_reachable 'unreachable|auth failed' "$TMP/err"
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"

printf 'wrong-Pa55' > "$TMP/pwbad"
chmod 400 "$TMP/pwbad"
C=$(conf tls_badpw "smtp://127.0.0.1:$FP" "username: news" "password_file: $TMP/pwbad" \
	"ca_file: $TMP/tls/cert.pem" "timeout_command: 5")
expect_status tls_badpw_send 0 "$TSEND" "$C" "$MSG" t3@example.net
expect_grep tls_badpw_deferred '^t3@example.net deferred 535 ' "$TMP/out"
expect_grep tls_badpw_flag 'auth failed' "$TMP/err"
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"

C=$(conf tls_nouser "smtp://127.0.0.1:$FP" "ca_file: $TMP/tls/cert.pem")
expect_status tls_nouser_send 0 "$TSEND" "$C" "$MSG" t8@example.net
expect_grep tls_nouser_530 '^t8@example.net deferred 530 530 ' "$TMP/out"
expect_grep tls_nouser_flag 'auth failed' "$TMP/err"

export TSEND_PW=s3cret-Pa55
C=$(conf tls_env "smtp://127.0.0.1:$FP" "username: news" "password_env: TSEND_PW" \
	"ca_file: $TMP/tls/cert.pem")
expect_status tls_env_send 0 "$TSEND" "$C" "$MSG" t4@example.net
expect_grep tls_env_sent '^t4@example.net sent 250 ' "$TMP/out"
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"

# refused at open, before any connection
C=$(conf tls_plain "smtp://127.0.0.1:$FP" "starttls: false" "username: news" \
	"password_file: $TMP/pw")
expect_status tls_plain_auth_refused 78 "$TSEND" "$C" "$MSG" t5@example.net
expect_grep tls_plain_auth_message 'refusing AUTH over an unencrypted connection' "$TMP/err"
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"
chmod 644 "$TMP/pw"
C=$(conf tls_mode "smtp://127.0.0.1:$FP" "username: news" "password_file: $TMP/pw" \
	"ca_file: $TMP/tls/cert.pem")
expect_status tls_pwfile_0644 77 "$TSEND" "$C" "$MSG" t6@example.net
expect_grep tls_pwfile_message 'mode 0644' "$TMP/err"
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"
C=$(conf tls_urlpw "smtp://news:s3cret-Pa55@127.0.0.1:$FP")
expect_status tls_url_password 78 "$TSEND" "$C" "$MSG" t7@example.net
cat "$TMP/out" "$TMP/err" >> "$TMP/tls.all"
expect_nogrep tls_no_secret 's3cret|wrong-Pa55' "$TMP/tls.all"
sleep 0.5
expect tls_accepted "t2@example.net t4@example.net" \
	"$($PY -c 'import json, sys; print(" ".join(sorted(json.loads(l)["rcpt"][0] for l in open(sys.argv[1]))))' "$TMP/tls.jsonl")"
expect tls_auth_attempts 3 "$(count '"auth"' "$TMP/tls.events")"
kill "$FAULT_PID"

# smtps://: TLS from the first byte
FP=$(free_port)
cat > "$TMP/smtps.json" <<EOF
{ "port": $FP, "accepted": "$TMP/smtps.jsonl", "implicit_tls": true,
  "events": "$TMP/smtps.events", "pipelining": true,
  "tls": { "cert": "$TMP/tls/cert.pem", "key": "$TMP/tls/key.pem" } }
EOF
fault_start "$TMP/smtps.json"
C=$(conf smtps "smtps://127.0.0.1:$FP" "ca_file: $TMP/tls/cert.pem" "concurrency: 1")
expect_status smtps_send 0 "$TSEND" -n 3 "$C" "$MSG" 's{}@example.net'
expect smtps_sent 3 "$(count ' sent 250 ' "$TMP/out")"
expect_grep smtps_describe_conns '3 sent.*1 connections' "$TMP/err"
# the transactions pipelined over TLS too
expect smtps_pipelined 3 "$(count '"event": "mail".*"pipelined": true' "$TMP/smtps.events")"
C=$(conf smtps_noca "smtps://127.0.0.1:$FP")
expect_status smtps_noca_send 0 "$TSEND" "$C" "$MSG" s9@example.net
expect_grep smtps_noca_deferred '^s9@example.net deferred 0 ' "$TMP/out"
expect_grep smtps_noca_unreachable 'unreachable' "$TMP/err"
kill "$FAULT_PID"

# --- 4. maildir ------------------------------------------------------------
C=$(conf maildir "maildir:out/box")
expect_status maildir_send 0 "$TSEND" -n 10 "$C" "$MSG" 'm{}@example.net'
MD=$TMP/maildir/out/box
expect maildir_sent 10 "$(count '^m[0-9]+@example.net sent 0 new/' "$TMP/out")"
expect maildir_new 10 "$(ls "$MD/new" | wc -l)"
expect maildir_tmp_empty 0 "$(ls -A "$MD/tmp" | wc -l)"
expect maildir_modes "700 700 700" "$(stat -c %a "$MD/tmp" "$MD/new" "$MD/cur" | xargs)"
expect maildir_names 10 "$(ls "$MD/new" | grep -Ec '^[0-9]+\.M[0-9]{6}P[0-9]+Q[0-9]+\.infolettre$')"
expect_nogrep maildir_no_hostname "$(uname -n)" <(ls "$MD/new")
out=$($PY - "$MD/new" "$TMP/msg.crlf" <<'EOF'
import email, email.policy, os, sys
want = open(sys.argv[2], "rb").read()
bad, rcpts = [], set()
for name in os.listdir(sys.argv[1]):
    data = open(os.path.join(sys.argv[1], name), "rb").read()
    head, _, rest = data.partition(b"\r\n")
    head2, _, rest = rest.partition(b"\r\n")
    if not head.startswith(b"Return-Path: <bounces+") or not head2.startswith(b"Delivered-To: m"):
        bad.append(name + ": envelope lines")
    rcpts.add(head2[14:])
    if rest != want:
        bad.append(name + ": bytes differ")
    m = email.message_from_bytes(data, policy=email.policy.default)
    if m.defects or m["Delivered-To"] is None:
        bad.append(name + ": defects")
print("; ".join(bad[:3]) if bad else len(rcpts))
EOF
)
expect maildir_contents 10 "$out"
