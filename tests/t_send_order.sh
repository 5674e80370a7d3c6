#!/bin/bash
# t_send_order.sh - the journal's promise seen in the system calls: each
# outcome is synced to disk before the connection that carried it starts
# another message. infolettre send runs under strace (concurrency 4, to
# smtp-sink, unsigned and with DKIM signing threads); for every connection
# thread, between the reply to its end of data ("250 2.0.0") and its next
# MAIL FROM there must be an fdatasync or fsync that began after that
# reply came in and ended before the MAIL FROM went out. Group commit
# (outcomes of several connections in one sync) is fine and counted.
# time limit: 240 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/smtp/servers.sh"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
I=$INFOLETTRE
N=${ORDER_SUBSCRIBERS:-300}

if ! command -v strace > /dev/null; then
	fail send_order_strace "strace is not installed (tests/deps.sh installs it)"
	exit 0
fi

sink_start -
reader_csv "$TMP/subs.csv" "$N" o

# setup NAME: $TMP/NAME, the sample site and June issue to smtp-sink,
# with the N subscribers
setup() {
	"$I" -c "$(send_setup "$1" "smtp://127.0.0.1:$SINK_PORT")" \
		subscribers import "$TMP/subs.csv" > /dev/null
}

# check NAME DIR: send under strace, then read the trace
check() {
	local name=$1 d=$2
	# LeakSanitizer cannot run under ptrace (make asan): the leaks of a
	# send are t_send's to find
	(cd "$d" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=fdatasync,fsync,sendto,recvfrom \
		-e signal=none -s 16 -o "$d/trace" \
		"$I" -c conf.yaml send 2026-06 > "$d/out" 2>&1)
	expect_grep "${name}_all_sent" "^journal: $N sent, 0 pending" "$d/out"
	$PY - "$d/trace" > "$d/verdict" <<-'EOF'
	import re, sys
	# strace -f: "TID name(args) = R", or a call cut in two:
	# "TID name(args <unfinished ...>" then "TID <... name resumed>...= R"
	line_re = re.compile(r'^(\d+)\s+(?:<\.\.\. (\w+) resumed>(.*)|(\w+)\((.*))$')
	open_calls = {}      # tid -> (name, args, index it began)
	syncs = []           # (index began, index ended)
	starts = outcomes = unsynced = 0
	events = []          # (kind, tid, index, args): sends as they begin,
	                     # outcomes as their reply came in
	for i, line in enumerate(open(sys.argv[1], errors="replace")):
	    m = line_re.match(line.rstrip("\n"))
	    if not m:
	        continue
	    tid = int(m.group(1))
	    if m.group(2):                      # resumed: the call ends here
	        name, args, began_at = open_calls.pop(tid)
	        rest, ended_at = m.group(3), i
	    else:
	        name, args = m.group(4), m.group(5)
	        if name == "sendto":            # a start is when it begins
	            events.append(("send", tid, i, args))
	        if args.endswith("<unfinished ...>"):
	            open_calls[tid] = (name, args, i)
	            continue
	        rest, began_at, ended_at = "", i, i
	    if name in ("fdatasync", "fsync"):
	        syncs.append((began_at, ended_at))
	    elif name == "recvfrom":
	        # the data read: in the resumed half when the call was cut
	        if re.search(r'"250 2\.0\.0', rest or args):
	            events.append(("outcome", tid, ended_at, ""))
	last = {}
	for kind, tid, i, args in sorted(events, key=lambda e: e[2]):
	    if kind == "outcome":
	        outcomes += 1
	        last[tid] = i
	    elif "MAIL FROM" in args:
	        starts += 1
	        p = last.pop(tid, None)
	        if p is not None and not any(p < b and e < i for b, e in syncs):
	            unsynced += 1
	print("outcomes", outcomes)
	print("starts", starts)
	print("unsynced", unsynced)
	print("syncs", len(syncs))
	EOF
	read -r _ outcomes < <(grep '^outcomes' "$d/verdict")
	read -r _ syncs < <(grep '^syncs' "$d/verdict")
	expect "${name}_outcomes_seen" "outcomes $N" "$(grep '^outcomes' "$d/verdict")"
	expect "${name}_starts_seen" "starts $N" "$(grep '^starts' "$d/verdict")"
	expect "${name}_synced_before_next" "unsynced 0" "$(grep '^unsynced' "$d/verdict")"
	info "$name: $outcomes outcomes, $syncs syncs under strace"
}

setup u
check send_order "$TMP/u"

setup k
"$I" -c "$TMP/k/conf.yaml" dkim keygen --algorithm ed25519-sha256 \
	--selector order --out "$TMP/k/dkim.key" > /dev/null 2>&1
printf 'dkim:\n  selector: order\n  key_file: "dkim.key"\n  algorithm: ed25519-sha256\n' \
	>> "$TMP/k/conf.yaml"
check send_order_signed "$TMP/k"
