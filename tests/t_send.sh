#!/bin/bash
# t_send.sh - infolettre send and status (src/send.c, src/cmd_send.c)
# against Postfix's smtp-sink, the scripted fault server
# (tests/smtp/fault_server.py), a port with nothing listening, and the
# default Maildir transport. Every store, configuration and issue is a copy
# in $TMP.
# time limit: 400 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
I=$INFOLETTRE


# subscribers CONF N: import uN@example.net, n = 1..N, with names (some
# not ASCII, some empty) from a generated CSV.
subscribers() {
	$PY - "$2" > "$TMP/subs.csv" <<'EOF'
import sys
n = int(sys.argv[1])
names = ["Zoé Ünal", "Jean Dupont", "", "Li Wei", "Ève \"E\" Durand"]
print("email,name")
for k in range(1, n + 1):
    name = names[k % len(names)]
    print('u%d@example.net,"%s"' % (k, name.replace('"', '""')))
EOF
	"$I" -c "$1" subscribers import "$TMP/subs.csv" > /dev/null
}

# status CONF: the status lines joined with spaces
status() {
	"$I" -c "$1" status 2026-06 | tr '\t\n' '= ' | sed 's/ $//'
}

# accepted FILE: "ADDR COUNT" for each recipient in the fault server's log
accepted() {
	$PY - "$1" <<'EOF'
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1]):
    for r in json.loads(line)["rcpt"]:
        c[r] += 1
for r in sorted(c):
    print(r, c[r])
EOF
}

# fault_conf FILE PORT DIR JSON-EXTRA: a fault server script
fault_conf() {
	$PY - "$@" <<'EOF'
import json, sys
path, port, d, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
cfg = {"port": port, "accepted": d + "/accepted.jsonl",
       "events": d + "/events.jsonl"}
cfg.update(json.loads(extra))
json.dump(cfg, open(path, "w"))
EOF
}

# --- 1. smtp-sink: 500 subscribers, each their own message --------------

sink_start "$TMP/dump"
C=$(send_setup sink "smtp://127.0.0.1:$SINK_PORT")
subscribers "$C" 500
expect_status send_sink_500 0 "$I" -c "$C" send 2026-06
cp "$TMP/out" "$TMP/sink.out1"
cp "$TMP/err" "$TMP/sink.err1"
expect_grep send_sink_summary '^send 2026-06: 500 sent, 0 deferred, 0 failed, 0 skipped' "$TMP/sink.out1"
expect_grep send_starttls_warning 'transport.starttls is false' "$TMP/sink.err1"
expect_grep send_composed_missing_files 'composed' "$TMP/sink.err1"
for f in newsletter.html newsletter.txt newsletter.eml web.html; do
	[ -s "$TMP/sink/issues/2026-06/$f" ] || fail send_compose_writes "$f missing"
done
# the composed files are the same as compose's
mkdir -p "$TMP/sink2"
cp -R "$TMP/sink/issues" "$TMP/sink2/" && rm -f "$TMP/sink2/issues/2026-06/"*.eml
sed "s|issues: \"issues\"|issues: \"$TMP/sink2/issues\"|" "$C" > "$TMP/sink2.yaml"
"$I" -c "$TMP/sink2.yaml" compose 2026-06 > /dev/null 2>&1
expect_same send_composed_like_compose "$TMP/sink2/issues/2026-06/newsletter.eml" \
	"$TMP/sink/issues/2026-06/newsletter.eml"

# Every dump: parsed without defect; To, the envelope recipient, the
# Message-ID, both List-Unsubscribe forms, the text part's link and the
# envelope sender agree on one address and one token, and the token is
# that address's: recomputed here from the secret file (HMAC-SHA256 over
# the id and the address, as token.h says).
$PY - "$TMP/dump" "$TMP/sink/subs/secret.key" > "$TMP/sink.check" <<'EOF'
import base64, email, email.policy, hashlib, hmac, os, re, sys
d, keyfile = sys.argv[1], sys.argv[2]
secret = open(keyfile, "rb").read().rstrip(b" \t\r\n")
B32 = "abcdefghijklmnopqrstuvwxyz234567"
def token(i, addr):
    local, dom = addr.rsplit("@", 1)
    msg = i.to_bytes(8, "big") + (local + "@" + dom.lower()).encode()
    mac = hmac.new(secret, msg, hashlib.sha256).digest()
    bits = "".join("{:08b}".format(b) for b in mac)[:130]
    idpart = "".join(B32[(i >> (5 * (5 - k))) & 31] for k in range(6))
    return idpart + "".join(B32[int(bits[k:k + 5], 2)] for k in range(0, 130, 5))
bad, seen = [], {}
for name in sorted(os.listdir(d)):
    raw = open(os.path.join(d, name), "rb").read()
    head, _, rest = raw.partition(b"\nReceived: ")
    env = dict(l.split(": ", 1) for l in head.decode().split("\n") if ": " in l)
    body = rest.split(b"\n", 1)[1]
    while body.startswith(b"\t"):
        body = body.split(b"\n", 1)[1]
    body = body[:-1]  # smtp-sink ends each dump with an empty line
    m = email.message_from_bytes(body, policy=email.policy.default)
    if m.defects or any(p.defects for p in m.walk()):
        bad.append(name + ": defects")
    to = m["To"].addresses[0].addr_spec
    rcpt = env["X-Rcpt-Args"].strip("<>")
    sender = env["X-Mail-Args"].strip("<>")
    tok = re.fullmatch(r"<2026-06\.([a-z2-7]{32})@ssphub\.example\.fr>", m["Message-ID"]).group(1)
    lu = str(m["List-Unsubscribe"])
    want = {"rcpt": rcpt == to,
            "sender": sender == "infolettre-bounces+%s@ssphub.example.fr" % tok,
            "url": "desinscription?t=%s>" % tok in lu,
            "mailto": "infolettre-unsubscribe+%s@ssphub.example.fr" % tok in lu,
            "text": ("t=" + tok) in m.get_body(("plain",)).get_content(),
            "subject": m["Subject"].startswith("Infolettre du SSP Hub")}
    for k, v in want.items():
        if not v:
            bad.append("%s: %s differs" % (name, k))
    i = 0
    for c in tok[:6]:
        i = i * 32 + B32.index(c)
    if token(i, to) != tok:
        bad.append("%s: the token is not %s's" % (name, to))
    seen[to] = seen.get(to, 0) + 1
    print("id", to, i, tok)
want = {"u%d@example.net" % k for k in range(1, 501)}
if set(seen) != want:
    bad.append("recipients differ: %d distinct" % len(seen))
if any(c != 1 for c in seen.values()):
    bad.append("someone got it twice")
print("result", "; ".join(bad[:5]) if bad else "ok")
EOF
expect send_sink_500_messages 500 "$(ls "$TMP/dump" | wc -l)"
expect send_sink_each_own_token "result ok" "$(grep '^result' "$TMP/sink.check")"
# the ids the tokens name are the store's
for a in u1@example.net u250@example.net u500@example.net; do
	want=$("$I" -c "$C" subscribers show "$a" | awk -F'\t' '$1 == "id" { print $2 }')
	got=$(awk -v a="$a" '$1 == "id" && $2 == a { print $3 }' "$TMP/sink.check")
	expect "send_token_id_$a" "$want" "$got"
done
expect send_status_500 "sent=500 pending=0 deferred=0 failed=0 skipped=0" "$(status "$C")"
expect_status send_again_nothing 0 "$I" -c "$C" send 2026-06
expect_grep send_again_summary '^send 2026-06: 0 sent' "$TMP/out"
expect_nogrep send_again_not_composed 'composed' "$TMP/err"
expect send_again_no_message 500 "$(ls "$TMP/dump" | wc -l)"

# --to: one test copy, subject marked, nothing recorded; a subscriber's
# copy carries their own token (the one their real message carried, checked
# above against the secret) in the Message-ID and both List-Unsubscribe
# forms, another address the sample token
rm -f "$TMP/dump"/*
expect_status send_to_subscriber 0 "$I" -c "$C" send 2026-06 --to u7@example.net
expect_status send_to_other 0 "$I" -c "$C" send 2026-06 --to "someone@example.com"
expect send_to_two_messages 2 "$(ls "$TMP/dump" | wc -l)"
got=$($PY - "$TMP/dump" "$TMP/sink.check" <<'EOF'
import email, email.policy, os, re, sys
# each subscriber's token, as checked above (recomputed from the secret)
toks = {l.split()[1]: l.split()[3] for l in open(sys.argv[2]) if l.startswith("id ")}
out = []
for name in sorted(os.listdir(sys.argv[1])):
    raw = open(os.path.join(sys.argv[1], name), "rb").read()
    body = raw.split(b"\nReceived: ", 1)[1].split(b"\n", 1)[1]
    while body.startswith(b"\t"):
        body = body.split(b"\n", 1)[1]
    m = email.message_from_bytes(body[:-1], policy=email.policy.default)
    assert not m.defects and not any(p.defects for p in m.walk())
    tok = re.search(r"\.([a-z2-7]{32})@", m["Message-ID"]).group(1)
    to = m["To"].addresses[0].addr_spec
    lu = str(m["List-Unsubscribe"])
    own = (to in toks and tok == toks[to] and "t=%s>" % tok in lu and
           "+%s@" % tok in lu)
    out.append("%s %s %s" % (to, m["Subject"].split(" ")[0], "own" if own else tok))
print(";".join(sorted(out)))
EOF
)
expect send_to_copies "someone@example.com [ESSAI] placeholdertokenplaceholdertoken;u7@example.net [ESSAI] own" "$got"
expect send_to_records_nothing "sent=500 pending=0 deferred=0 failed=0 skipped=0" "$(status "$C")"
expect_status send_to_invalid 64 "$I" -c "$C" send 2026-06 --to "not an address"

# --- 1b. addresses: what the store accepts, send delivers (addr.h) -------
# An internationalised domain goes out in A-labels (RCPT and To); a quoted
# local part as written; a non-ASCII local part is refused at add and at
# import (with the CSV's line), before anything is stored.
C=$(send_setup idn "smtp://127.0.0.1:$SINK_PORT")
expect_status addr_add_utf8_local_refused 65 "$I" -c "$C" subscribers add 'zoé@bücher.example'
expect_grep addr_add_utf8_local_says 'SMTPUTF8' "$TMP/err"
printf 'email,name\nzoe@bücher.example,Zoé\n"""a@b""@example.org",Quoted\nzoé@example.org,Accent\n' > "$TMP/idn.csv"
expect_status addr_import_refused 65 "$I" -c "$C" subscribers import "$TMP/idn.csv"
expect_grep addr_import_line 'idn.csv:4: "zoé@example.org" is not a valid address: a non-ASCII character before @' "$TMP/err"
expect addr_import_nothing "" "$("$I" -c "$C" subscribers list 2>/dev/null)"
sed -i '$d' "$TMP/idn.csv"
expect_status addr_import 0 "$I" -c "$C" subscribers import "$TMP/idn.csv"
expect_status addr_add_quoted_space 0 "$I" -c "$C" subscribers add '"jean dupont"@example.org'
expect_status addr_add_same_key 0 "$I" -c "$C" subscribers add 'zoe@XN--BCHER-KVA.example'
expect_grep addr_same_key_is_known 'already subscribed' "$TMP/out"
rm -rf "$TMP/dump"/*
expect_status addr_send 0 "$I" -c "$C" send 2026-06
expect_grep addr_send_summary '^send 2026-06: 3 sent, 0 deferred, 0 failed' "$TMP/out"
$PY - "$TMP/dump" > "$TMP/idn.check" <<'EOF'
import email, email.policy, os, sys
d = sys.argv[1]
got = []
for name in sorted(os.listdir(d)):
    raw = open(os.path.join(d, name), "rb").read()
    head, _, rest = raw.partition(b"\nReceived: ")
    env = dict(l.split(": ", 1) for l in head.decode().split("\n") if ": " in l)
    body = rest.split(b"\n", 1)[1]
    while body.startswith(b"\t"):
        body = body.split(b"\n", 1)[1]
    m = email.message_from_bytes(body[:-1], policy=email.policy.default)
    defects = bool(m.defects or any(p.defects for p in m.walk()))
    to = m["To"].addresses[0].addr_spec
    got.append("%s|%s|%s" % (env["X-Rcpt-Args"], to, "defects" if defects else "clean"))
print("\n".join(sorted(got)))
EOF
expect addr_sent_forms "$(printf '%s\n' '<"a@b"@example.org>|"a@b"@example.org|clean' '<"jean dupont"@example.org>|"jean dupont"@example.org|clean' '<zoe@xn--bcher-kva.example>|zoe@xn--bcher-kva.example|clean')" \
	"$(cat "$TMP/idn.check")"

# --- 4. --limit, subscribers who left, a dry run, two sends at once -----

rm -f "$TMP/dump"/*
C=$(send_setup limit "smtp://127.0.0.1:$SINK_PORT")
subscribers "$C" 30
"$I" -c "$C" subscribers remove u3@example.net > /dev/null
expect_status send_limit 0 "$I" -c "$C" send 2026-06 --limit 5
expect_grep send_limit_summary '^send 2026-06: 5 sent' "$TMP/out"
expect send_limit_5_messages 5 "$(ls "$TMP/dump" | wc -l)"
expect send_limit_status "sent=5 pending=24 deferred=0 failed=0 skipped=0" "$(status "$C")"
# u9 (the last id: ids follow the order of the keys) leaves between the
# runs, after the first run planned it
"$I" -c "$C" subscribers remove u9@example.net > /dev/null
expect_status send_limit_rest 0 "$I" -c "$C" send 2026-06
expect send_limit_rest_status "sent=28 pending=0 deferred=0 failed=0 skipped=1" "$(status "$C")"
got=$(grep -h '^X-Rcpt-Args:' "$TMP/dump"/* | sort | uniq -c | awk '$1 != 1' | wc -l)
expect send_limit_each_once 0 "$got"
expect send_limit_28_messages 28 "$(ls "$TMP/dump" | wc -l)"
expect send_left_before_not_mailed 0 "$(grep -l '^X-Rcpt-Args: <u3@example.net>' "$TMP/dump"/* | wc -l)"
expect send_left_during_not_mailed 0 "$(grep -l '^X-Rcpt-Args: <u9@example.net>' "$TMP/dump"/* | wc -l)"

# --dry-run: builds every message, connects to nothing (nothing listens
# there), records nothing, writes no file
DEAD=$(free_port)
C=$(send_setup dry "smtp://127.0.0.1:$DEAD")
subscribers "$C" 40
"$I" -c "$C" subscribers remove u5@example.net > /dev/null
expect_status send_dry_run 0 "$I" -c "$C" send 2026-06 --dry-run
expect_grep send_dry_counts 'would send 39 messages' "$TMP/out"
expect_grep send_dry_built 'built 39 personalised messages' "$TMP/out"
expect_grep send_dry_first '^first recipients: (u[0-9]+@example\.net, ){4}u[0-9]+@example\.net$' "$TMP/out"
expect send_dry_records_nothing "sent=0 pending=0 deferred=0 failed=0 skipped=0" "$(status "$C")"
expect send_dry_writes_nothing 1 "$(ls "$TMP/dry/issues/2026-06" | wc -l)"
expect_status send_dry_limit 0 "$I" -c "$C" send 2026-06 --dry-run --limit 7
expect_grep send_dry_limit_counts 'would send 7 messages' "$TMP/out"
# one message is one message
expect_status send_dry_one 0 "$I" -c "$C" send 2026-06 --dry-run --limit 1
expect_grep send_dry_one_singular 'would send 1 message \(' "$TMP/out"
expect_grep send_dry_one_built 'built 1 personalised message of ' "$TMP/out"

# unreachable: exit 69, nothing sent, everything left pending or deferred
expect_status send_unreachable 69 "$I" -c "$C" send 2026-06
expect_grep send_unreachable_says 'cannot be reached' "$TMP/err"
got=$("$I" -c "$C" status 2026-06 | awk -F'\t' '$1 == "pending" || $1 == "deferred" { n += $2 } $1 == "sent" { s = $2 } END { print s, n }')
expect send_unreachable_left "0 39" "$got"
expect_status send_limit_bad 64 "$I" -c "$C" send 2026-06 --limit 0
expect_status send_bad_month 64 "$I" -c "$C" send 2026-13
expect_status status_bad_month 64 "$I" -c "$C" status june

# two sends of one issue at once: the second refuses with 75
mkdir -p "$TMP/two"
fault_conf "$TMP/two/fault.json" "$(free_port)" "$TMP/two" \
	'{"stall": 3, "rcpt": {"u1@example.net": ["stall"]}}'
fault_start "$TMP/two/fault.json"
C=$(send_setup two "smtp://127.0.0.1:$FAULT_PORT" "concurrency: 1")
subscribers "$C" 5
"$I" -c "$C" send 2026-06 > "$TMP/two/first.out" 2>&1 &
first=$!
for i in $(seq 100); do
	grep -q '"stall"' "$TMP/two/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
expect_status send_concurrent_refused 75 "$I" -c "$C" send 2026-06
expect_grep send_concurrent_says 'being sent by process' "$TMP/err"
# u4 leaves while the send waits for the server: not mailed
"$I" -c "$C" subscribers remove u4@example.net > /dev/null
wait "$first"
expect send_first_finishes 0 $?
expect send_concurrent_status "sent=4 pending=0 deferred=0 failed=0 skipped=1" "$(status "$C")"
expect send_concurrent_once "$(printf 'u1@example.net 1\nu2@example.net 1\nu3@example.net 1\nu5@example.net 1')" \
	"$(accepted "$TMP/two/accepted.jsonl")"

# each message is dated when it is built, just before it goes: a send
# held up by its server (here 2 s on u2) does not date the later messages
# with its start (a send lasting hours would score DATE_IN_PAST_*)
mkdir -p "$TMP/dated"
fault_conf "$TMP/dated/fault.json" "$(free_port)" "$TMP/dated" \
	"{\"stall\": 2, \"dump\": \"$TMP/dated/msgs\", \"rcpt\": {\"u2@example.net\": [\"stall\"]}}"
fault_start "$TMP/dated/fault.json"
C=$(send_setup dated "smtp://127.0.0.1:$FAULT_PORT" "concurrency: 1")
subscribers "$C" 8
t0=$(date +%s)
expect_status send_dated 0 env -u SOURCE_DATE_EPOCH "$I" -c "$C" send 2026-06
t1=$(date +%s)
got=$($PY - "$TMP/dated/msgs" "$t0" "$t1" <<'EOF'
import email, email.policy, email.utils, glob, sys
d, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dates = {}
for path in glob.glob(d + "/*.eml"):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    assert not m.defects, (path, m.defects)
    when = email.utils.parsedate_to_datetime(str(m["Date"])).timestamp()
    dates[str(m["To"].addresses[0].addr_spec)] = when
assert len(dates) == 8, sorted(dates)
assert all(t0 <= w <= t1 for w in dates.values()), (t0, t1, dates)
first, last = dates["u1@example.net"], dates["u8@example.net"]
print("later" if last - first >= 1 else "same: %s" % sorted(dates.items()))
EOF
)
expect send_dates_each_message later "$got"
kill "$FAULT_PID"; wait "$FAULT_PID" 2> /dev/null

# --- 2. the fault server --------------------------------------------------

# One run through 421 at greeting, 451 and 452 on RCPT, 550 5.1.1, 554 at
# the end of data, stalls on RCPT and at the end of data, a connection
# dropped in the middle of DATA: everything deliverable arrives once, the
# 5xx are failed, u5 is bounced, the run ends with 0.
mkdir -p "$TMP/f1"
fault_conf "$TMP/f1/fault.json" "$(free_port)" "$TMP/f1" '{
  "stall": 3,
  "greeting": ["421 4.3.2 Service not available, closing channel"],
  "rcpt": {"u3@example.net": ["451 4.3.0 Try again later"],
           "u4@example.net": ["452 4.2.2 Mailbox full", "452 4.2.2 Still full"],
           "u5@example.net": "550 5.1.1 <u5@example.net>: Recipient address rejected: User unknown",
           "u6@example.net": ["stall"]},
  "data": {"u7@example.net": "554 5.6.0 Message rejected",
           "u8@example.net": ["drop"],
           "u9@example.net": ["stall"]}}'
fault_start "$TMP/f1/fault.json"
C=$(send_setup f1 "smtp://127.0.0.1:$FAULT_PORT" "timeout_command: 1" "timeout_data: 1")
subscribers "$C" 12
expect_status send_faults_run 0 "$I" -c "$C" send 2026-06
cp "$TMP/out" "$TMP/f1/out"
want=$(for k in 1 2 3 4 6 8 9 10 11 12; do echo "u$k@example.net 1"; done | sort)
expect send_faults_each_once "$want" "$(accepted "$TMP/f1/accepted.jsonl")"
# every scripted fault did happen
got=$($PY - "$TMP/f1/events.jsonl" <<'EOF2'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
seen = {(e["event"], e.get("at"), e.get("rcpt")) for e in ev}
want = [("reply", "greeting", None), ("reply", "rcpt", "u3@example.net"),
        ("reply", "rcpt", "u4@example.net"), ("reply", "rcpt", "u5@example.net"),
        ("stall", "rcpt", "u6@example.net"), ("reply", "data", "u7@example.net"),
        ("drop", "data", "u8@example.net"), ("stall", "data", "u9@example.net")]
print(" ".join("%s/%s/%s" % w for w in want if w not in seen) or "all")
EOF2
)
expect send_faults_all_happened all "$got"
expect send_faults_status "sent=10 pending=0 deferred=0 failed=2 skipped=0" "$(status "$C")"
expect_grep send_faults_bounced_summary '; 1 subscriber marked bounced$' "$TMP/f1/out"
"$I" -c "$C" status 2026-06 --failed > "$TMP/f1/failed"
expect send_faults_failed_list "$(printf 'failed\tu5@example.net\t550 5.1.1 <u5@example.net>: Recipient address rejected: User unknown\nfailed\tu7@example.net\t554 5.6.0 Message rejected')" \
	"$(cat "$TMP/f1/failed")"
"$I" -c "$C" subscribers show u5@example.net > "$TMP/f1/u5"
expect_grep send_faults_u5_bounced '^status	bounced' "$TMP/f1/u5"
expect_grep send_faults_u5_evidence '^change	.*	active	bounced	bounce	message-id=2026-06\.[a-z2-7]{32}@ssphub\.example\.fr token=[a-z2-7]{32} status-code=5\.1\.1 issue=2026-06 detail=.*550 5\.1\.1' "$TMP/f1/u5"
"$I" -c "$C" subscribers show u7@example.net > "$TMP/f1/u7"
expect_grep send_faults_u7_active '^status	active' "$TMP/f1/u7"
# the journal's sent answers are the server's: "queued as N" is the Nth
# accepted message, and it went to that subscriber
got=$(sqlite3 "$TMP/f1/subs/subscribers.db" "SELECT s.email || ' ' || d.answer FROM deliveries d JOIN subscribers s ON s.id = d.subscriber WHERE d.state = 'sent'" |
	$PY -c '
import json, sys
acc = {json.loads(l)["n"]: json.loads(l)["rcpt"] for l in open(sys.argv[1])}
bad = [l for l in sys.stdin if acc.get(int(l.split()[-1])) != [l.split()[0]]]
print(len(bad))' "$TMP/f1/accepted.jsonl")
expect send_faults_journal_agrees 0 "$got"

# send honours replies.bounce_threshold: with 2, one unknown-user answer
# is counted and the subscriber stays active; the next issue's bounces it
mkdir -p "$TMP/thr"
fault_conf "$TMP/thr/fault.json" "$(free_port)" "$TMP/thr" '{
  "rcpt": {"u2@example.net": "550 5.1.1 <u2@example.net>: User unknown"}}'
fault_start "$TMP/thr/fault.json"
C=$(send_setup thr "smtp://127.0.0.1:$FAULT_PORT")
printf 'replies:\n  bounce_threshold: 2\n' >> "$C"
subscribers "$C" 3
cp -R "$TMP/thr/issues/2026-06" "$TMP/thr/issues/2026-07"
sed -i 's/^date: 2026-06/date: 2026-07/' "$TMP/thr/issues/2026-07/issue.md"
expect_status send_threshold_first 0 "$I" -c "$C" send 2026-06
expect send_threshold_counted "active 1" \
	"$(sqlite3 "$TMP/thr/subs/subscribers.db" "SELECT s.status || ' ' || count(b.subscriber) FROM subscribers s JOIN bounces b ON b.subscriber = s.id WHERE s.email = 'u2@example.net'")"
expect_status send_threshold_second 0 "$I" -c "$C" send 2026-07
expect send_threshold_reached "bounced 2" \
	"$(sqlite3 "$TMP/thr/subs/subscribers.db" "SELECT s.status || ' ' || count(b.subscriber) FROM subscribers s JOIN bounces b ON b.subscriber = s.id WHERE s.email = 'u2@example.net'")"
"$I" -c "$C" subscribers show u2@example.net > "$TMP/thr/u2"
expect_grep send_threshold_evidence '^change	.*	active	bounced	bounce	.*issue=2026-07 detail=.*permanent bounce 2 of 2' "$TMP/thr/u2"

# Deferred beyond the run's retries: 75, and the next run finishes (0)
mkdir -p "$TMP/f2"
fault_conf "$TMP/f2/fault.json" "$(free_port)" "$TMP/f2" '{
  "rcpt": {"u2@example.net": ["451 4.7.1 Greylisted 1", "451 4.7.1 Greylisted 2",
                              "451 4.7.1 Greylisted 3", "451 4.7.1 Greylisted 4",
                              "451 4.7.1 Greylisted 5"]}}'
fault_start "$TMP/f2/fault.json"
C=$(send_setup f2 "smtp://127.0.0.1:$FAULT_PORT" "retry_delay: 0.1")
subscribers "$C" 6
# the bounce policy (bounce.h): 5.1.1 is the address, 5.6.0 the message
expect send_faults_bounce_records "u5@example.net 5.1.1 permanent;u7@example.net 5.6.0 transient" \
	"$(sqlite3 "$TMP/f1/subs/subscribers.db" "SELECT group_concat(s.email || ' ' || b.status_code || ' ' || b.kind, ';') FROM (SELECT * FROM bounces ORDER BY subscriber) b JOIN subscribers s ON s.id = b.subscriber WHERE b.issue = '2026-06'")"

expect_status send_deferred_75 75 "$I" -c "$C" send 2026-06
expect_grep send_deferred_says 'deferred' "$TMP/err"
expect send_deferred_status "sent=5 pending=0 deferred=1 failed=0 skipped=0" "$(status "$C")"
expect send_deferred_listed "$(printf 'deferred\tu2@example.net\t451 4.7.1 Greylisted 4')" \
	"$("$I" -c "$C" status 2026-06 --failed)"
expect_status send_deferred_then_0 0 "$I" -c "$C" send 2026-06
expect send_deferred_final "sent=6 pending=0 deferred=0 failed=0 skipped=0" "$(status "$C")"
want=$(for k in 1 2 3 4 5 6; do echo "u$k@example.net 1"; done)
expect send_deferred_each_once "$want" "$(accepted "$TMP/f2/accepted.jsonl")"

# A server that answers 421 to every greeting: 69, nothing sent
mkdir -p "$TMP/f3"
fault_conf "$TMP/f3/fault.json" "$(free_port)" "$TMP/f3" \
	"{\"greeting\": [$(for i in $(seq 40); do printf '"421 4.3.2 Go away",'; done) \"ok\"]}"
fault_start "$TMP/f3/fault.json"
C=$(send_setup f3 "smtp://127.0.0.1:$FAULT_PORT" "retries: 2" "retry_delay: 0.1")
subscribers "$C" 20
expect_status send_421_always_69 69 "$I" -c "$C" send 2026-06
got=$(grep -c '"connect"' "$TMP/f3/events.jsonl")
[ "$got" -le 12 ] && ok send_421_backs_off || fail send_421_backs_off "$got connections for 20 messages"

# STARTTLS with AUTH: a wrong password is 77 and sends nothing; the right
# one sends everything (and no warning about clear text)
mkdir -p "$TMP/auth"
cert_make "$TMP/auth/tls"
printf 'wrong-Pa55\n' > "$TMP/auth/bad"
printf 's3cret-Pa55\n' > "$TMP/auth/good"
chmod 600 "$TMP/auth/bad" "$TMP/auth/good"
fault_conf "$TMP/auth/fault.json" "$(free_port)" "$TMP/auth" "{
  \"tls\": {\"cert\": \"$TMP/auth/tls/cert.pem\", \"key\": \"$TMP/auth/tls/key.pem\"},
  \"require_starttls\": true, \"auth\": {\"user\": \"news\", \"password\": \"s3cret-Pa55\"}}"
fault_start "$TMP/auth/fault.json"
C=$(send_setup auth "smtp://127.0.0.1:$FAULT_PORT" "starttls: true" \
	"ca_file: $TMP/auth/tls/cert.pem" "username: news" \
	"password_file: $TMP/auth/bad" "retry_delay: 0.1")
subscribers "$C" 8
expect_status send_auth_failed_77 77 "$I" -c "$C" send 2026-06
expect_grep send_auth_failed_says 'authentication failed' "$TMP/err"
expect_nogrep send_auth_no_secret 'Pa55' "$TMP/err"
expect send_auth_nothing_accepted 0 "$(cat "$TMP/auth/accepted.jsonl" 2>/dev/null | wc -l)"
got=$("$I" -c "$C" status 2026-06 | awk -F'\t' '$1 == "pending" || $1 == "deferred" { n += $2 } $1 == "sent" { s = $2 } END { print s, n }')
expect send_auth_nothing_sent "0 8" "$got"
sed -i "s|password_file: .*|password_file: $TMP/auth/good|" "$C"
expect_status send_auth_ok 0 "$I" -c "$C" send 2026-06
expect_nogrep send_auth_no_cleartext_warning 'starttls is false' "$TMP/err"
expect send_auth_all_sent "sent=8 pending=0 deferred=0 failed=0 skipped=0" "$(status "$C")"

# --- 5. the default Maildir transport with the sample configuration -------

mkdir -p "$TMP/md"
cp -R "$ROOT/issues" "$TMP/md/"
sed -e "s|root: \"tests/site\"|root: \"$ROOT/tests/site\"|" \
	-e "s|^issues: .*|issues: \"issues\"\ntemplates: \"$ROOT/templates\"|" \
	"$ROOT/infolettre.yaml" > "$TMP/md/infolettre.yaml"
(cd "$TMP/md" && subscribers infolettre.yaml 25)
expect_status send_maildir 0 sh -c "cd '$TMP/md' && exec '$I' send 2026-06"
expect send_maildir_25_files 25 "$(ls "$TMP/md/outbox/new" | wc -l)"
got=$($PY - "$TMP/md/outbox/new" <<'EOF'
import email, email.policy, os, sys
d = sys.argv[1]
bad, seen = [], set()
for n in os.listdir(d):
    m = email.message_from_bytes(open(os.path.join(d, n), "rb").read(),
                                 policy=email.policy.default)
    if m.defects or any(p.defects for p in m.walk()):
        bad.append(n + ": defects")
    to = m["To"].addresses[0].addr_spec
    if m["Delivered-To"] != to:
        bad.append(n + ": Delivered-To is not To")
    seen.add(to)
if seen != {"u%d@example.net" % k for k in range(1, 26)}:
    bad.append("recipients differ")
print("; ".join(bad[:5]) if bad else "ok")
EOF
)
expect send_maildir_messages ok "$got"
expect send_maildir_status "sent=25 pending=0 deferred=0 failed=0 skipped=0" \
	"$(status "$TMP/md/infolettre.yaml")"
expect_status send_maildir_again 0 sh -c "cd '$TMP/md' && exec '$I' send 2026-06"
expect send_maildir_still_25 25 "$(ls "$TMP/md/outbox/new" | wc -l)"
