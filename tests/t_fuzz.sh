#!/bin/bash
# The libFuzzer targets (fuzz/fuzz_*.c: Markdown pre-processing, reply
# classification, the CGI's form parsing, …) built with clang and run for a
# bounded number of inputs each, seeded from their corpus: what `make fuzz`
# does, with fewer runs, so that CI runs every fuzz target every time.
# time limit: 900 s
. "$(dirname "$0")/lib.sh"
RUNS=${FUZZ_CHECK_RUNS:-4000}
FB=${BUILD:-$ROOT/build}/fuzzcheck
if ! make -s -C "$ROOT" BUILD="$FB" fuzz-build > "$TMP/build.log" 2>&1; then
	fail "fuzz targets build" "$(tail -20 "$TMP/build.log")"
	exit 0
fi
info "fuzz targets built with clang"
for src in "$ROOT"/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	corpus=$TMP/corpus-$n
	mkdir -p "$corpus"
	[ -d "$ROOT/fuzz/corpus/$n" ] && cp -RL "$ROOT/fuzz/corpus/$n/." "$corpus/"
	dict=()
	[ -f "$ROOT/fuzz/$n.dict" ] && dict=(-dict="$ROOT/fuzz/$n.dict")
	if "$FB/fuzz/$n" -runs="$RUNS" -max_total_time=120 -timeout=10 \
		-artifact_prefix="$TMP/$n-" "${dict[@]}" "$corpus" > "$TMP/$n.log" 2>&1; then
		ok "fuzz $n: $RUNS inputs"
	else
		fail "fuzz $n" "$(grep -E 'ERROR|SUMMARY|Test unit written' "$TMP/$n.log" | head -5)"
	fi
done
