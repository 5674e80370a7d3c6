#!/bin/bash
# Run every test: the unit test programs, then each tests/t_*.sh script.
# Each prints "ok NAME" or "FAIL NAME: why" lines; the last line printed
# here is "N passed, N failed". Exit status 1 if anything failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
export INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
export BUILD=${BUILD:-$ROOT/build}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

run_one() {
	local name=$1; shift
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >> "$LOG"
	if ! grep -Eq '^(ok|FAIL) ' <<<"$out"; then
		echo "FAIL $name: printed no result (exit $rc)" >> "$LOG"
		printf '%s\n' "$out" | tail -20 | sed 's/^/    /' >> "$LOG"
	elif [ $rc -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
		echo "FAIL $name: exited $rc" >> "$LOG"
		printf '%s\n' "$out" | tail -20 | sed 's/^/    /' >> "$LOG"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in "$ROOT"/tests/t_*.sh; do
	[ -n "${TESTS:-}" ] && ! grep -q "$(basename "$t" .sh)" <<<"$TESTS" && continue
	run_one "$(basename "$t")" bash "$t"
done

grep -E '^(FAIL|    )' "$LOG"
pass=$(grep -c '^ok ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
[ "${VERBOSE:-}" ] && grep '^ok ' "$LOG"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
