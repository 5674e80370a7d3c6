#!/bin/bash
# t_send_crash.sh - infolettre send killed with SIGKILL at random moments
# (at least 20 times, concurrency 4) and run again until it is done,
# against the fault server, which logs every message it accepts (just
# before its 250 to the end of data) and takes a little while over each.
# Each subscriber gets the issue at least once; the only repeats are the
# messages in flight at a kill (at most 4 per kill); every delivery the
# journal calls sent is one the server accepted, to that subscriber.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
I=$INFOLETTRE
N=${CRASH_SUBSCRIBERS:-600}
KILLS=${CRASH_KILLS:-20}
D=$TMP/crash
mkdir -p "$D"

PORT=$(free_port)
$PY - "$D/fault.json" "$PORT" "$D" <<'EOF'
import json, sys
json.dump({"port": int(sys.argv[2]), "accepted": sys.argv[3] + "/accepted.jsonl",
           "stall": 0.04, "data": {"*": "stall"}}, open(sys.argv[1], "w"))
EOF
fault_start "$D/fault.json"

send_setup crash "smtp://127.0.0.1:$PORT" "retry_delay: 0.1" > /dev/null
reader_csv "$D/subs.csv" "$N" c
"$I" -c "$D/conf.yaml" subscribers import "$D/subs.csv" > /dev/null

# Kill at random moments: while starting, composing, planning, sending.
kills=0 runs=0 finished=0
while [ "$kills" -lt "$KILLS" ] && [ "$runs" -lt $((KILLS * 3)) ]; do
	runs=$((runs + 1))
	"$I" -c "$D/conf.yaml" send 2026-06 > "$D/run.out" 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((20 + RANDOM % 330)))"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	if grep -q '^journal: .* 0 pending, 0 deferred' "$D/run.out"; then
		finished=1
		break
	fi
done
[ "$kills" -ge "$KILLS" ] && ok send_crash_killed_enough ||
	fail send_crash_killed_enough "only $kills kills in $runs runs (finished early: $finished)"

# Then run it until it says it is done.
before=$("$I" -c "$D/conf.yaml" status 2026-06 | awk -F'\t' '$1 == "sent" { print $2 }')
rc=1
for i in $(seq 10); do
	"$I" -c "$D/conf.yaml" send 2026-06 > "$D/last.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && break
done
expect send_crash_resumed_to_0 0 "$rc"
got=$("$I" -c "$D/conf.yaml" status 2026-06 | tr '\t\n' '= ' | sed 's/ $//')
expect send_crash_status "sent=$N pending=0 deferred=0 failed=0 skipped=0" "$got"

sqlite3 "$D/subs/subscribers.db" "SELECT s.email || ' ' || d.answer FROM \
	deliveries d JOIN subscribers s ON s.id = d.subscriber \
	WHERE d.issue = '2026-06' AND d.state = 'sent'" > "$D/journal"
$PY - "$D/accepted.jsonl" "$D/journal" "$N" "$kills" > "$D/verdict" <<'EOF'
import collections, json, sys
acc, journal, n, kills = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
by_n, count = {}, collections.Counter()
for line in open(acc):
    a = json.loads(line)
    by_n[a["n"]] = a["rcpt"]
    for r in a["rcpt"]:
        count[r] += 1
want = {"c%d@example.net" % k for k in range(1, n + 1)}
missing = sorted(want - set(count))
extra = sorted(set(count) - want)
dups = sum(c - 1 for c in count.values())
bad = []
for line in open(journal):
    email, answer = line.split(" ", 1)
    # "250 2.0.0 Ok: queued as N": the Nth message the server accepted
    k = int(answer.split()[-1])
    if by_n.get(k) != [email]:
        bad.append(email)
print("missing", len(missing), " ".join(missing[:5]))
print("strangers", len(extra))
print("duplicates", dups, "allowed", 4 * kills)
print("journal_not_server", len(bad), " ".join(bad[:5]))
EOF
expect send_crash_everyone_received "missing 0 " "$(grep '^missing' "$D/verdict")"
expect send_crash_no_stranger "strangers 0" "$(grep '^strangers' "$D/verdict")"
read -r _ dups _ allowed < <(grep '^duplicates' "$D/verdict")
[ "$dups" -le "$allowed" ] && ok send_crash_duplicates_within_window ||
	fail send_crash_duplicates_within_window "$dups repeats after $kills kills"
expect send_crash_journal_agrees "journal_not_server 0 " "$(grep '^journal_not_server' "$D/verdict")"
echo "# $kills kills in $runs runs, $before of $N sent by then; $dups messages repeated (at most $allowed allowed)"
