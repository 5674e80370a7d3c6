#!/bin/bash
# infolettre replies classify: the fixture corpus against its expected
# listing, standard input, files left untouched, usage and missing files,
# and pathological messages (deep nesting, huge header lines) that must
# complete quickly without a crash.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/replies
CONF=$ROOT/infolettre.yaml
IL() { "$INFOLETTRE" -c "$CONF" "$@"; }

# --- the corpus, exactly as expected.tsv says ---
cd "$FIX"
files=(*.eml)
sha256sum "${files[@]}" > "$TMP/sums.before"
expect_status "classify the corpus" 0 IL replies classify "${files[@]}"
expect_same "classify the corpus: expected.tsv" "$FIX/expected.tsv" "$TMP/out"
expect "classify the corpus: nothing on stderr" "" "$(cat "$TMP/err")"
expect "classify: one line per file" "${#files[@]}" "$(wc -l < "$TMP/out")"
bad=$(awk -F'\t' 'NF != 4 || $2 !~ /^(unsubscribe|bounce-permanent|bounce-transient|complaint|auto-reply|other|malformed|subscribe)$/ || $3 == "" || $4 == ""' "$TMP/out")
expect "classify: four fields, a known class, ADDRESSES and DETAIL set" "" "$bad"
for c in unsubscribe bounce-permanent bounce-transient auto-reply other malformed subscribe; do
	expect_grep "corpus covers $c" $'\t'"$c"$'\t' "$TMP/out"
done
sha256sum "${files[@]}" > "$TMP/sums.after"
expect_same "classify changes no file" "$TMP/sums.before" "$TMP/sums.after"
expect "classify leaves no new file" "$(ls "$FIX" | wc -l)" "$(( ${#files[@]} + 1 ))"

# the well-formed fixtures are real messages for Python's parser too
$PY - "$FIX" > "$TMP/py" 2>&1 <<'PY'
import email, email.policy, glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    if os.path.basename(f).startswith("malformed-"):
        continue
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    defects = [d for p in m.walk() for d in p.defects]
    if defects or not m["From"]:
        print(os.path.basename(f), defects)
PY
expect "fixtures parse without defects in Python's email package" "" "$(cat "$TMP/py")"

# --- standard input: the same line, named "-" ---
: > "$TMP/stdin.tsv"
for f in "${files[@]}"; do
	IL replies classify - < "$f" >> "$TMP/stdin.tsv" 2>> "$TMP/stdin.err"
done
sed 's/^[^\t]*\t/-\t/' "$FIX/expected.tsv" > "$TMP/stdin.want"
expect_same "classify - reads standard input" "$TMP/stdin.want" "$TMP/stdin.tsv"
expect "classify -: nothing on stderr" "" "$(cat "$TMP/stdin.err")"
expect_status "classify - and files together" 0 \
	IL replies classify unsub-token-mailto.eml - other-question.eml < dsn-postfix-5.1.1.eml
expect "classify - and files together: three lines in order" \
	"unsub-token-mailto.eml - other-question.eml" \
	"$(cut -f1 "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
expect_grep "classify - and files together: stdin classified" \
	$'^-\tbounce-permanent\tjean.dupont@example.org\t' "$TMP/out"

# --- a Maildir file, an odd file name, from another folder ---
mkdir -p "$TMP/Maildir/cur" "$TMP/Maildir/new" "$TMP/Maildir/tmp"
cp "$FIX/bounce-yahoo.eml" "$TMP/Maildir/cur/1780000000.M1P2.host:2,S"
cp "$FIX/other-question.eml" "$TMP/tab"$'\t'"name.eml"
cd "$TMP"
expect_status "classify a Maildir file" 0 IL replies classify "Maildir/cur/1780000000.M1P2.host:2,S"
expect_grep "classify a Maildir file: its line" \
	$'^Maildir/cur/1780000000.M1P2.host:2,S\tbounce-permanent\tcamille.robin@example.com\t' "$TMP/out"
expect_status "classify a file name with a tab" 0 IL replies classify "tab"$'\t'"name.eml"
expect_grep "classify a file name with a tab: the tab cannot split the line" \
	$'^tab.name.eml\tother\t-\t' "$TMP/out"

# --- usage and errors ---
expect_status "replies without a subcommand reads the inbox (the sample's is missing: 66)" 66 IL replies
expect_grep "replies without a subcommand names the missing inbox" "no such Maildir" "$TMP/err"
expect_status "replies with an unknown subcommand: usage" 64 IL replies frobnicate
expect_grep "replies unknown subcommand named" 'frobnicate' "$TMP/err"
expect_status "replies --dry-run reads the inbox too (66 here)" 66 IL replies --dry-run
expect_status "replies classify without a file: usage" 64 IL replies classify
expect_status "replies classify --bogus: usage" 64 IL replies classify --bogus x.eml
expect_status "replies --help" 0 IL replies --help
expect_grep "replies --help shows classify" 'classify FILE' "$TMP/out"
expect_status "help replies" 0 "$INFOLETTRE" help replies
expect_status "classify a missing file: 66" 66 \
	IL replies classify "$FIX/other-question.eml" "$TMP/no-such.eml" "$FIX/bounce-yahoo.eml"
expect "classify a missing file: the others are still listed" "2" "$(wc -l < "$TMP/out")"
expect_grep "classify a missing file: named" 'no-such\.eml' "$TMP/err"
expect_status "classify a folder: 66" 66 IL replies classify "$TMP/Maildir"

# --- pathological messages: complete, no crash, in bounded time ---
$PY - "$TMP" <<'PY'
import os, sys
d = sys.argv[1]
hdr = "From: a@example.com\nSubject: x\n"
# 1 MB of nested multiparts, one short boundary per level
with open(os.path.join(d, "nested-1mb.eml"), "w") as f:
    f.write(hdr + "Content-Type: multipart/mixed; boundary=0\n\n")
    i, size = 1, 0
    while size < 1000000:
        s = "--%x\nContent-Type: multipart/mixed; boundary=%x\n\n" % (i - 1, i)
        f.write(s); size += len(s); i += 1
    f.write("--%x\n\nstop\n" % (i - 1))
# 10,000 MIME levels: message/rfc822 in message/rfc822…
with open(os.path.join(d, "levels-10000.eml"), "w") as f:
    f.write(hdr + "Content-Type: message/rfc822\n\n")
    for i in range(10000):
        f.write("From: b@example.com\nContent-Type: message/rfc822\n\n")
    f.write("From: c@example.com\n\nunsubscribe\n")
# …and 10,000 levels of multipart sharing one boundary, closed
with open(os.path.join(d, "levels-10000-closed.eml"), "w") as f:
    f.write(hdr + "Content-Type: multipart/mixed; boundary=b\n\n")
    for i in range(10000):
        f.write("--b\nContent-Type: multipart/mixed; boundary=b\n\n")
    f.write("--b--\n" * 10000)
# a 5 MB header line, and one of 5 MB of nested comments
with open(os.path.join(d, "header-5mb.eml"), "w") as f:
    f.write("From: a@example.com\nSubject: " + "x" * 5000000 + "\n\nstop\n")
with open(os.path.join(d, "comments-5mb.eml"), "w") as f:
    f.write("From: a@example.com\nTo: " + "(" * 5000000 + "\nSubject: stop\n\n")
# 100,000 parts side by side, and 200,000 header fields
with open(os.path.join(d, "parts-100000.eml"), "w") as f:
    f.write(hdr + "Content-Type: multipart/mixed; boundary=p\n\n")
    f.write("--p\n\nx\n" * 100000 + "--p--\n")
with open(os.path.join(d, "fields-200000.eml"), "w") as f:
    f.write("From: a@example.com\n" + "To: infolettre-bounces+aaaaaaaaaaaaohjoh5afcyttqsk2nn6i@example.fr\n" * 200000 + "\nhello\n")
PY
cd "$TMP"
for f in nested-1mb levels-10000 levels-10000-closed header-5mb comments-5mb \
	parts-100000 fields-200000; do
	start=$(date +%s)
	expect_status "pathological $f: completes" 0 timeout 120 "$INFOLETTRE" -c "$CONF" replies classify "$f.eml"
	took=$(( $(date +%s) - start ))
	expect_grep "pathological $f: one line" $'^'"$f"$'.eml\t(other|unsubscribe|malformed)\t' "$TMP/out"
	if [ "$took" -le 30 ]; then ok "pathological $f: in ${took}s"; else
		fail "pathological $f: time" "took ${took}s"; fi
done
IL replies classify nested-1mb.eml levels-10000.eml > "$TMP/deep" 2>&1
expect "pathological nesting: said to be too deep" "2" "$(grep -c 'MIME structure over 24 levels, partly read' "$TMP/deep")"
IL replies classify parts-100000.eml levels-10000-closed.eml > "$TMP/wide" 2>&1
expect "pathological parts: said to be too many" "2" "$(grep -c 'over 256 MIME parts, partly read' "$TMP/wide")"
IL replies classify header-5mb.eml > "$TMP/big" 2>&1
expect_grep "pathological 5 MB header: only the first bytes read" \
	'only the first 1048576 bytes read' "$TMP/big"
