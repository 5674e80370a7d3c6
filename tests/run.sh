#!/bin/bash
# tests/run.sh - run every test file: the unit test programs
# ($BUILD/tests/test_*), then each tests/t_*.sh script (only those named
# in $TESTS when it is set: TESTS="t_send t_cgi").
#
# A test file prints one line per check, "ok NAME" or "FAIL NAME: why";
# those are counted and nothing else ("# …" lines only inform). As each
# file finishes this prints one line:
#	ok   t_send.sh              84 checks   12.3 s
#	FAIL t_send.sh              84 checks, 1 failed   12.3 s
# then the detail of every failure, then, last, "N passed, N failed".
# VERBOSE=1 also prints each file's own lines, indented, under its line;
# without it, a file's "# figure: …" lines (a score worth seeing on every
# run, such as the reply corpus's) are printed under its line.
# Exit status 1 if anything failed.
#
# Besides its FAIL lines, a file fails (one more failure counted) when it
# prints no check, exits non-zero, runs past its time limit (killed, with
# every process it started: its process group), or when a sanitizer
# reported in any process it started. Every process of a test inherits
# ASAN_OPTIONS and UBSAN_OPTIONS with log_path pointing into that test's
# own folder, which is read after the test; so a report fails the test
# even when it came from a server's child whose stderr nobody reads.
#
# Time limits, generous for a slow 2-CPU machine under ASan: a script
# states its own on a line "# time limit: N s" in its first 20 lines,
# otherwise SCRIPT_LIMIT; the unit programs have UNIT_LIMIT, or theirs in
# the table below. TIME_SCALE (a number, default 1) multiplies them all.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
export INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
export BUILD=${BUILD:-$ROOT/build}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
SCRIPT_LIMIT=300
UNIT_LIMIT=120
declare -A UNIT_LIMITS=(
	[test_import]=240
	[test_markdown_pathological]=300
)
TIME_SCALE=${TIME_SCALE:-1}
BASE_ASAN=${ASAN_OPTIONS:-}
BASE_UBSAN=${UBSAN_OPTIONS:-}
LOGDIR=$(mktemp -d /tmp/infolettre-run.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT
# interrupted (Ctrl-C, a CI's cancel): stop the running test, say so, stop
tpid="" interrupted=""
trap 'interrupted=1; [ -n "$tpid" ] && kill -TERM "$tpid" 2>/dev/null' INT TERM HUP
: > "$LOGDIR/detail"
passed=0
failed=0

# limit_of FILE DEFAULT: the script's own "# time limit: N s", or DEFAULT;
# times TIME_SCALE
limit_of() {
	local n=""
	[ -f "$1" ] && n=$(head -20 "$1" | sed -n 's/^# time limit: \([0-9][0-9]*\) s$/\1/p' | head -1)
	awk -v n="${n:-$2}" -v s="$TIME_SCALE" 'BEGIN { printf "%d\n", n * s + 0.5 }'
}

# run_one NAME LIMIT CMD...
run_one() {
	local name=$1 limit=$2; shift 2
	local out=$LOGDIR/$name.out san=$LOGDIR/san/$name
	local t0 t1 secs rc n_ok n_fail why="" f
	mkdir -p "$san"
	t0=$EPOCHREALTIME
	# in the background, so that an interruption (the trap below) can stop
	# it: timeout passes the signal on to the test's whole process group
	ASAN_OPTIONS="${BASE_ASAN:+$BASE_ASAN:}log_path=$san/asan" \
	UBSAN_OPTIONS="${BASE_UBSAN:+$BASE_UBSAN:}log_path=$san/ubsan" \
		timeout -k 10 "$limit" "$@" > "$out" 2>&1 < /dev/null &
	tpid=$!
	while :; do
		wait "$tpid"
		rc=$?
		kill -0 "$tpid" 2>/dev/null || break
	done
	tpid=""
	t1=$EPOCHREALTIME
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	n_ok=$(grep -c '^ok ' "$out")
	n_fail=$(grep -c '^FAIL ' "$out")
	if [ "$interrupted" ]; then
		why="interrupted"
	elif [ $rc -eq 124 ] || { [ $rc -eq 137 ] &&
	    awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s >= l) }'; }; then
		why="timed out after $limit s (killed)"
	elif [ -n "$(ls -A "$san")" ]; then
		why="a sanitizer reported (in $(ls "$san" | tr '\n' ' ' | sed 's/ $//'))"
	elif [ $((n_ok + n_fail)) -eq 0 ]; then
		why="printed no check (exit $rc)"
	elif [ $rc -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		why="exited $rc"
	fi
	[ -n "$why" ] && n_fail=$((n_fail + 1))
	passed=$((passed + n_ok))
	failed=$((failed + n_fail))
	if [ "$n_fail" -eq 0 ]; then
		printf 'ok   %-30s %4d checks  %6s s\n' "$name" "$n_ok" "$secs"
	else
		printf 'FAIL %-30s %4d checks, %d failed  %6s s\n' "$name" \
			$((n_ok + n_fail)) "$n_fail" "$secs"
	fi
	if [ "${VERBOSE:-}" ]; then
		sed 's/^/    /' "$out"
	else
		# "# figure: …" lines are shown always (the corpus's score)
		sed -n 's/^# figure: /     /p' "$out"
	fi
	[ "$n_fail" -eq 0 ] && return 0
	{
		echo "--- $name"
		# each FAIL line with the lines of its message that follow it
		awk '/^FAIL / { f = 1 } /^(ok|#) / { f = 0 } f' "$out"
		if [ -n "$why" ]; then
			echo "FAIL $name: $why"
			for f in "$san"/*; do
				[ -f "$f" ] || continue
				echo "    $(basename "$f"):"
				# the report up to its summary (not the shadow bytes)
				awk 'NR > 60 { exit } { print } /^SUMMARY/ { exit }' "$f" |
					sed 's/^/    /'
			done
			echo "    last lines of its output:"
			tail -20 "$out" | sed 's/^/    /'
		fi
	} >> "$LOGDIR/detail"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[ "$interrupted" ] && break
	run_one "$n" "$(limit_of "" "${UNIT_LIMITS[$n]:-$UNIT_LIMIT}")" "$t"
done
for t in "$ROOT"/tests/t_*.sh; do
	n=$(basename "$t")
	[ -n "${TESTS:-}" ] && ! grep -qw -- "${n%.sh}" <<<"$TESTS" && continue
	[ "$interrupted" ] && break
	run_one "$n" "$(limit_of "$t" "$SCRIPT_LIMIT")" bash "$t"
done

if [ -s "$LOGDIR/detail" ]; then
	echo
	cat "$LOGDIR/detail"
fi
[ "$interrupted" ] && echo "interrupted: the tests after the last line above did not run"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$interrupted" ]
