# tests/lib.sh - helpers for the shell tests (sourced).
# Every check prints "ok NAME" or "FAIL NAME: why".
set -u
: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${INFOLETTRE:=$ROOT/infolettre}"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/infolettre-test.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }

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

# expect_grep NAME PATTERN FILE
expect_grep() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else
		fail "$1" "no line matching [$2] in $3: $(head -c 600 "$3")"
	fi
}

# expect_nogrep NAME PATTERN FILE
expect_nogrep() {
	if grep -Eq -- "$2" "$3"; then
		fail "$1" "unexpected line matching [$2]: $(grep -E -m3 -- "$2" "$3")"
	else ok "$1"; fi
}

# expect_same NAME WANTFILE GOTFILE
expect_same() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		fail "$1" "$(diff -u "$2" "$3" | head -40)"
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
