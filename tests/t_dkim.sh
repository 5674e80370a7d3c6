#!/bin/bash
# t_dkim.sh - DKIM (src/dkim.c, src/cmd_dkim.c): dkim keygen and check,
# key file modes, and every signed message (messages of mime_fill, the
# newsletter.eml of compose, what send hands to the Maildir transport, a
# --to test copy) verified by Debian's python3-dkim with a DNS stub that
# answers the test keys' records, for RSA-2048, Ed25519 and both at once;
# one byte changed in the body, the unsubscribe token or
# List-Unsubscribe-Post, or a second Subject or List-Unsubscribe, makes
# verification fail. The relaxed canonicalisation is also compared with
# python3-dkim's own.
# time limit: 180 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
I=$INFOLETTRE
VERIFY="$PY $ROOT/tests/tools/dkim_verify.py"
PROG=$BUILD/tests/test_dkim

if ! $PY -c 'import dkim, nacl.signing' 2>/dev/null; then
	fail t_dkim_python "python3-dkim and python3-nacl are needed (make deps)"
	exit 1
fi

# setup NAME [dkim lines...]: send_setup's $TMP/NAME with the Maildir
# transport, a keys folder, and these lines as the dkim section; echoes
# the configuration file.
setup() {
	local name=$1 conf line
	shift
	conf=$(send_setup "$name" "maildir:outbox")
	mkdir -p "$TMP/$name/keys"
	if [ $# -gt 0 ]; then
		echo "dkim:" >> "$conf"
		for line in "$@"; do printf '  %s\n' "$line" >> "$conf"; done
	fi
	echo "$conf"
}

# verify NAME RECORDS FILE...: every file passes
verify() {
	local name=$1 records=$2
	shift 2
	if $VERIFY --records "$records" "$@" > "$TMP/verify.out" 2>&1; then
		ok "$name"
	else
		fail "$name" "$(grep -v "	pass	" "$TMP/verify.out" | head -5)"
	fi
}

# verify_fails NAME RECORDS FILE: neither signature of the (dual-signed)
# file verifies, and for that reason, not another
verify_fails() {
	if $VERIFY --records "$2" "$3" > "$TMP/verify.out" 2>&1; then
		fail "$1" "it verifies: $(cat "$TMP/verify.out")"
	elif grep -q "	fail	signature 0[ :].*; signature 1[ :]" \
	    "$TMP/verify.out"; then
		ok "$1"
	else
		fail "$1" "$(cat "$TMP/verify.out")"
	fi
}

# ---- keygen and check ----

CONF=$(setup keys)
D=$TMP/keys
expect_status keygen_ed25519 0 "$I" -c "$CONF" dkim keygen \
	--algorithm ed25519-sha256 --selector ed1 --out "$D/keys/ed.pem"
cp "$TMP/out" "$D/ed.rec"
expect keygen_ed25519_mode 600 "$(stat -c %a "$D/keys/ed.pem")"
expect_grep keygen_ed25519_pem '^-----BEGIN PRIVATE KEY-----$' "$D/keys/ed.pem"
expect_grep keygen_ed25519_record \
	'^ed1\._domainkey\.ssphub\.example\.fr IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="$' \
	"$D/ed.rec"
expect keygen_record_one_line 1 "$(wc -l < "$D/ed.rec")"

# RSA: the record is longer than one string can hold
(umask 0; "$I" -c "$CONF" dkim keygen --algorithm rsa-sha256 --selector rsa1 \
	--out "$D/keys/rsa.pem" > "$D/rsa.rec" 2> "$TMP/err")
expect keygen_rsa_status 0 $?
expect keygen_rsa_mode_even_umask_0 600 "$(stat -c %a "$D/keys/rsa.pem")"
expect_grep keygen_rsa_record \
	'^rsa1\._domainkey\.ssphub\.example\.fr IN TXT "v=DKIM1; k=rsa; p=MIIBIjAN[^"]*" "[^"]*"$' \
	"$D/rsa.rec"
expect keygen_rsa_strings_255 ok "$($PY - "$D/rsa.rec" <<'EOF'
import re, sys
s = re.findall(r'"([^"]*)"', open(sys.argv[1]).read())
print("ok" if len(s) == 2 and all(len(x) <= 255 for x in s)
      and len("".join(s)) == len("v=DKIM1; k=rsa; p=") + 392 else s)
EOF
)"
expect_grep keygen_says_where 'wrote the rsa-sha256 private key .*rsa.pem' "$TMP/err"

# never overwritten
cp "$D/keys/ed.pem" "$TMP/ed.copy"
expect_status keygen_refuses_overwrite 73 "$I" -c "$CONF" dkim keygen \
	--algorithm ed25519-sha256 --selector ed1 --out "$D/keys/ed.pem"
expect_grep keygen_refuses_says 'exists already' "$TMP/err"
expect_same keygen_key_unchanged "$TMP/ed.copy" "$D/keys/ed.pem"
expect_status keygen_bad_algorithm 64 "$I" -c "$CONF" dkim keygen \
	--algorithm dsa --out "$D/keys/x.pem"
expect_status keygen_bad_selector 64 "$I" -c "$CONF" dkim keygen \
	--selector 'a;b' --out "$D/keys/x.pem"
expect keygen_bad_nothing_written no "$([ -e "$D/keys/x.pem" ] && echo yes || echo no)"
expect_status dkim_no_subcommand 64 "$I" -c "$CONF" dkim
expect_status dkim_unknown_subcommand 64 "$I" -c "$CONF" dkim sign

# keygen without --out or --selector: the configured selector, the key
# beside the configuration
expect_status keygen_defaults 0 "$I" -c "$CONF" dkim keygen
expect keygen_defaults_file 600 "$(stat -c %a "$D/dkim-infolettre.key" 2>/dev/null)"
expect_grep keygen_defaults_rsa '^infolettre\._domainkey\.ssphub\.example\.fr IN TXT "v=DKIM1; k=rsa; ' "$TMP/out"

# check: the record of the configured key, as keygen printed it
ED=$(setup ed "domain: ssphub.example.fr" "selector: ed1" \
	"key_file: $D/keys/ed.pem" "algorithm: ed25519-sha256")
expect_status check_ed25519 0 "$I" -c "$ED" dkim check
expect_same check_ed25519_matches_keygen "$D/ed.rec" "$TMP/out"
DUAL=$(setup dual "selector: rsa1" "key_file: $D/keys/rsa.pem" \
	"algorithm: rsa-sha256" "selector2: ed1" "key_file2: $D/keys/ed.pem" \
	"algorithm2: ed25519-sha256")
cat "$D/rsa.rec" "$D/ed.rec" > "$TMP/records"
expect_status check_dual 0 "$I" -c "$DUAL" dkim check
expect_same check_dual_both_records "$TMP/records" "$TMP/out"
NODKIM=$(setup nodkim)
expect_status check_no_section 78 "$I" -c "$NODKIM" dkim check
expect_status check_wrong_algorithm 78 "$I" -c "$(setup wrong \
	"selector: ed1" "key_file: $D/keys/ed.pem" "algorithm: rsa-sha256")" dkim check
expect_status check_no_key_file 78 "$I" -c "$(setup nokey "selector: ed1")" dkim check
expect_status check_missing_key 66 "$I" -c "$(setup missing "selector: ed1" \
	"key_file: $D/keys/none.pem" "algorithm: ed25519-sha256")" dkim check

# a key readable by others: refused everywhere (77)
cp -p "$D/keys/ed.pem" "$D/keys/open.pem"
chmod 644 "$D/keys/open.pem"
OPEN=$(setup open "selector: ed1" "key_file: $D/keys/open.pem" \
	"algorithm: ed25519-sha256")
expect_status check_key_0644_refused 77 "$I" -c "$OPEN" dkim check
expect_grep check_key_0644_says 'readable by group or others \(mode 644\); run: chmod 600' "$TMP/err"
chmod 640 "$D/keys/open.pem"
expect_status check_key_0640_refused 77 "$I" -c "$OPEN" dkim check
expect_status compose_key_0640_refused 77 "$I" -c "$OPEN" compose 2026-06
expect_status send_key_0640_refused 77 "$I" -c "$OPEN" send 2026-06

# ---- messages from mime_fill, signed directly ----

mkdir -p "$TMP/fill"
if "$PROG" --messages "$TMP/fill" 12 "rsa-sha256:$D/keys/rsa.pem:rsa1" \
    "ed25519-sha256:$D/keys/ed.pem:ed1" > "$TMP/out" 2>&1; then
	ok fill_messages_written
else
	fail fill_messages_written "$(head -c 600 "$TMP/out")"
fi
verify fill_dual_verify "$TMP/records" "$TMP/fill/"*.eml
expect fill_two_signatures_each 12 "$(grep -c '	pass	2 signatures' "$TMP/verify.out")"

# ---- compose: newsletter.eml signed ----

EML=$TMP/ed/issues/2026-06/newsletter.eml
expect_status compose_ed25519 0 "$I" -c "$ED" compose 2026-06
expect_grep compose_eml_signed '^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=ssphub.example.fr;' "$EML"
verify compose_ed25519_verify "$D/ed.rec" "$EML"
cp "$EML" "$TMP/eml1"
expect_status compose_again 0 "$I" -c "$ED" compose 2026-06
expect_same compose_deterministic "$TMP/eml1" "$EML"
# without the signature, the very message of a configuration without dkim
expect_status compose_nodkim 0 "$I" -c "$NODKIM" compose 2026-06
$PY - "$EML" > "$TMP/unsigned" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(re.sub(rb"\ADKIM-Signature:.*?\r\n(?=[^ \t])", b"",
                               raw, flags=re.S))
EOF
expect_same compose_signature_only_addition \
	"$TMP/nodkim/issues/2026-06/newsletter.eml" "$TMP/unsigned"

RSA=$(setup rsa "selector: rsa1" "key_file: $D/keys/rsa.pem")
expect_status compose_rsa 0 "$I" -c "$RSA" compose 2026-06
verify compose_rsa2048_verify "$D/rsa.rec" "$TMP/rsa/issues/2026-06/newsletter.eml"

# ---- send: every message handed to the transport ----

$PY - > "$TMP/subs.csv" <<'EOF'
names = ["Zoé Ünal", "Jean Dupont", "", "Li Wei", "Ève \"E\" Durand"]
print("email,name")
for k in range(1, 21):
    name = names[k % len(names)]
    print('u%d@example.net,"%s"' % (k, name.replace('"', '""')))
EOF
"$I" -c "$DUAL" subscribers import "$TMP/subs.csv" > /dev/null 2>&1
expect_status send_dual 0 "$I" -c "$DUAL" send 2026-06
OUT=$TMP/dual/outbox/new
expect send_dual_20_messages 20 "$(ls "$OUT" | wc -l)"
verify send_dual_every_message_verifies "$TMP/records" "$OUT"/*
expect send_dual_two_signatures_each 20 "$(grep -c '	pass	2 signatures' "$TMP/verify.out")"
verify compose_dual_verify "$TMP/records" "$TMP/dual/issues/2026-06/newsletter.eml"

# one RSA-only and one Ed25519-only record: each signature alone verifies
# (the other key unknown makes the message fail as a whole)
MSG=$(ls "$OUT"/* | head -1)
expect send_dual_rsa_alone_fails_whole fail "$($VERIFY --records "$D/rsa.rec" "$MSG" | cut -f2)"
$PY - "$MSG" "$D/ed.rec" > "$TMP/alone" <<'EOF'
import re, sys, dkim
raw = open(sys.argv[1], "rb").read()
line = open(sys.argv[2]).read()
name, txt = re.match(r'(\S+) IN TXT (.*)', line).groups()
txt = "".join(re.findall(r'"([^"]*)"', txt)).encode()
d = dkim.DKIM(raw)
# the second signature (Ed25519) verifies with the Ed25519 record alone
print(d.verify(idx=1, dnsfunc=lambda n, timeout=5: txt
               if n.decode().rstrip(".") == name else None))
EOF
expect send_dual_ed25519_alone True "$(cat "$TMP/alone")"

# a test copy: signed after its subject is marked
expect_status send_test_copy 0 "$I" -c "$ED" send 2026-06 --to u3@example.net
T=$(ls "$TMP/ed/outbox/new/"* 2>/dev/null | head -1)
expect_grep send_test_copy_subject '^Subject: \[ESSAI\]' "$T"
verify send_test_copy_verifies "$D/ed.rec" "$T"

# ---- send over SMTP: signed ahead of the connections ----
# With a transport, a built message is signed by a signing thread while
# the connections carry the ones before it; a stop leaves the signed ones
# not yet started pending. smtp-sink waits 1 s before its 354, so that
# SIGTERM comes with messages in flight and others built and signed; the
# second run finishes. Every recipient gets one message, both signatures
# verify.
sink_start "$TMP/sdump" -w 1
SM=$(setup smtp "selector: rsa1" "key_file: $D/keys/rsa.pem" \
	"algorithm: rsa-sha256" "selector2: ed1" "key_file2: $D/keys/ed.pem" \
	"algorithm2: ed25519-sha256")
sed -i "s|url: \"maildir:outbox\"|url: \"smtp://127.0.0.1:$SINK_PORT\"|" "$SM"
$PY -c 'print("email,name")
for k in range(1, 25): print("s%d@example.net,Lecteur %d" % (k, k))' > "$TMP/subs24.csv"
"$I" -c "$SM" subscribers import "$TMP/subs24.csv" > /dev/null 2>&1
"$I" -c "$SM" send 2026-06 > "$TMP/smtp1.out" 2> "$TMP/smtp1.err" &
SPID=$!
PIDS+=("$SPID")
sleep 1.5
kill -TERM "$SPID"
wait "$SPID"
expect send_smtp_stopped_status 75 "$?"
expect_grep send_smtp_stopped_said 'interrupted; run it again' "$TMP/smtp1.err"
"$I" -c "$SM" send 2026-06 status > "$TMP/smtp1.status" 2>&1
sent1=$(ls "$TMP/sdump" | wc -l)
[ "$sent1" -ge 4 ] && [ "$sent1" -lt 24 ] ||
	fail send_smtp_stopped_midway "$sent1 of 24 messages before the stop"
expect_status send_smtp_finish 0 "$I" -c "$SM" send 2026-06
expect send_smtp_24_messages 24 "$(ls "$TMP/sdump" | wc -l)"
# smtp-sink's dump: its X- lines and Received: header, then the message
# with LF line ends and an empty line added at the end
mkdir -p "$TMP/smsg"
$PY - "$TMP/sdump" "$TMP/smsg" <<'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    raw = open(os.path.join(src, name), "rb").read()
    body = raw.partition(b"\nReceived: ")[2].split(b"\n", 1)[1]
    while body.startswith(b"\t"):
        body = body.split(b"\n", 1)[1]
    with open(os.path.join(dst, name + ".eml"), "wb") as f:
        f.write(body[:-1].replace(b"\n", b"\r\n"))
EOF
expect send_smtp_each_recipient_once 24 "$(grep -h '^To:' "$TMP/smsg"/*.eml | sort -u | wc -l)"
verify send_smtp_every_message_verifies "$TMP/records" "$TMP/smsg"/*.eml
expect send_smtp_two_signatures_each 24 "$(grep -c '	pass	2 signatures' "$TMP/verify.out")"
expect send_smtp_one_signature_block_each 24 "$(grep -l '^DKIM-Signature:' "$TMP/smsg"/*.eml | wc -l)"
expect send_smtp_no_double_signing 48 "$(grep -h -c '^DKIM-Signature:' "$TMP/smsg"/*.eml | paste -sd+ | bc)"

# ---- tampering ----

# tamper NAME PYTHON-EXPRESSION-ON-raw: the changed message fails
tamper() {
	$PY - "$MSG" "$TMP/tampered" "$2" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
new = eval(sys.argv[3])
assert new != raw, "nothing changed"
open(sys.argv[2], "wb").write(new)
EOF
	if [ $? -ne 0 ]; then
		fail "$1" "the message could not be changed"
		return
	fi
	verify_fails "$1" "$TMP/records" "$TMP/tampered"
}
verify tamper_control_unchanged "$TMP/records" "$MSG"
# one byte of the body: a letter of the text part
tamper tamper_body_byte_fails \
	'raw[:raw.index(b"\r\n\r\n", raw.index(b"text/plain")) + 10] + bytes([raw[raw.index(b"\r\n\r\n", raw.index(b"text/plain")) + 10] ^ 1]) + raw[raw.index(b"\r\n\r\n", raw.index(b"text/plain")) + 11:]'
# the unsubscribe token in List-Unsubscribe (one letter)
tamper tamper_unsubscribe_token_fails \
	're.sub(rb"(List-Unsubscribe: <[^>]*\?t=)(.)", lambda m: m.group(1) + (b"b" if m.group(2) == b"a" else b"a"), raw, count=1)'
tamper tamper_list_unsubscribe_post_fails \
	'raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: List-Unsubscribe=One-Click ; x")'
# over-signing: a header of a signed name added
tamper tamper_second_subject_fails \
	'raw.replace(b"\r\nFrom:", b"\r\nSubject: Gagnez un iPhone\r\nFrom:", 1)'
tamper tamper_second_list_unsubscribe_fails \
	'raw.replace(b"\r\nFrom:", b"\r\nList-Unsubscribe: <https://evil.example/u>\r\nFrom:", 1)'
tamper tamper_added_reply_to_fails \
	'raw.replace(b"\r\nFrom:", b"\r\nReply-To: x@evil.example\r\nFrom:", 1)'
# what relaxed canonicalisation forgives still verifies: folding and
# WSP changes in a signed header, trailing blank lines
$PY - "$MSG" "$TMP/refolded" <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read()
raw = raw.replace(b"MIME-Version: 1.0", b"MIME-Version:\t 1.0  ", 1)
raw = raw.replace(b"\r\nDate: ", b"\r\nDate:\r\n   ", 1)
open(sys.argv[2], "wb").write(raw + b"\r\n\r\n")
EOF
verify relaxed_refolded_still_verifies "$TMP/records" "$TMP/refolded"

# ---- canonicalisation against python3-dkim's ----

mkdir -p "$TMP/canon"
$PY - "$TMP/canon" "$MSG" <<'EOF'
import os, sys
d, msg = sys.argv[1], open(sys.argv[2], "rb").read()
body = msg[msg.index(b"\r\n\r\n") + 4:]
cases = {
    "message": body,
    "empty": b"",
    "blank": b"\r\n\r\n \t\r\n",
    "wsp": b"  a \t b  \r\n\tc\t\r\n \r\nd\r\n\r\n",
    "bare": b"a\nb \r c\r\n  \n\r\n",
    "rfc": b" C \r\nD \t E\r\n\r\n\r\n",
    "long": (b"x  y\t\r\n" * 5000) + b"\r\n" * 3,
}
for k, v in cases.items():
    open(os.path.join(d, k + ".body"), "wb").write(v)
heads = {
    "h1": b"Subject:  Hello \t World  \r\n",
    "h2": b"List-Unsubscribe : <https://a.example/u?t=x>,\r\n <mailto:u@a.example>\r\n",
    "h3": b"X-Empty:\r\n",
    "h4": b"TO:\r\n\t a@b.example\r\n",
}
for k, v in heads.items():
    open(os.path.join(d, k + ".head"), "wb").write(v)
EOF
bad=""
for f in "$TMP/canon/"*.body; do
	"$PROG" --canon-body "$f" > "$f.c"
	$PY -c 'import sys
from dkim.canonicalization import Relaxed
sys.stdout.buffer.write(Relaxed.canonicalize_body(open(sys.argv[1], "rb").read()))' "$f" > "$f.py"
	cmp -s "$f.c" "$f.py" || bad="$bad $(basename "$f")"
done
for f in "$TMP/canon/"*.head; do
	"$PROG" --canon-header "$f" > "$f.c"
	$PY -c 'import sys
from dkim.canonicalization import Relaxed
raw = open(sys.argv[1], "rb").read()
name, value = raw.split(b":", 1)
[(n, v)] = Relaxed.canonicalize_headers([(name, value)])
sys.stdout.buffer.write(n + b":" + v)' "$f" > "$f.py"
	cmp -s "$f.c" "$f.py" || bad="$bad $(basename "$f")"
done
expect canon_same_as_python3_dkim "" "$bad"
