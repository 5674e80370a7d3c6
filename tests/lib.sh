# tests/lib.sh - helpers for the shell tests (sourced).
# Every check prints one line, "ok NAME" or "FAIL NAME: why"; tests/run.sh
# counts those lines and nothing else. A line that only informs (a server
# started, a rate measured) is printed with info: "# TEXT", never with ok.
set -u
: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${INFOLETTRE:=$ROOT/infolettre}"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/infolettre-test.XXXXXX)
PIDS=()
# The sanitizer settings tests/run.sh gives each test (where reports go),
# to pass through "env -i": env -i "${SAN_ENV[@]}" VAR=... CMD...
SAN_ENV=()
for _v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!_v:-}" ] && SAN_ENV+=("$_v=${!_v}")
done
unset _v

# At exit: stop the servers the test started, remove $TMP. Safe under
# "set -e" (a bench): a server stopped by its signal makes "wait" return
# 143, which must not become the script's exit status.
cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
	return $rc
}
trap cleanup EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
# info TEXT: a line for the reader, not a check
info() { echo "# $*"; }

# expect NAME WANT GOT
expect() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		fail "$1" "expected [$2], got [$3]"
	fi
}

# expect_status NAME WANT CMD... (stdout and stderr to $TMP/out, $TMP/err)
expect_status() {
	local name=$1 want=$2; shift 2
	"$@" > "$TMP/out" 2> "$TMP/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else
		fail "$name" "exit $rc, expected $want; stderr: $(head -c 600 "$TMP/err")"
	fi
}

# expect_grep NAME PATTERN FILE: a line of FILE matches
expect_grep() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else
		fail "$1" "no line matching [$2] in $3: $(head -c 600 "$3" 2>&1)"
	fi
}

# expect_nogrep NAME PATTERN FILE: FILE can be read and no line matches
# (a missing or unreadable file fails: it proves nothing)
expect_nogrep() {
	local rc m
	m=$(grep -E -m3 -- "$2" "$3" 2>/dev/null)
	rc=$?
	case $rc in
	0) fail "$1" "unexpected line matching [$2]: $m" ;;
	1) ok "$1" ;;
	*) fail "$1" "cannot read $3" ;;
	esac
}

# expect_same NAME WANTFILE GOTFILE
expect_same() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		fail "$1" "$(diff -u "$2" "$3" 2>&1 | head -40)"
	fi
}

# A free TCP port on 127.0.0.1.
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT: until something listens (10 s at most).
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# reader_csv FILE N PREFIX: a subscriber CSV of N rows,
# PREFIXk@example.net and "Reader k" for k = 1..N
reader_csv() {
	$PY -c 'import sys
print("email,name")
for k in range(1, int(sys.argv[1]) + 1):
    print("%s%d@example.net,Reader %d" % (sys.argv[2], k, k))' "$2" "$3" > "$1"
}
