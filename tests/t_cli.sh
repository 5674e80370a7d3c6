#!/bin/bash
# The command line: --version, help, --help without a configuration,
# unknown commands and options, bad arguments, a missing configuration.
# time limit: 120 s
. "$(dirname "$0")/lib.sh"
unset INFOLETTRE_CONFIG
mkdir "$TMP/empty"
cd "$TMP/empty" # no infolettre.yaml here

expect_status "--version" 0 "$INFOLETTRE" --version
expect_grep "--version prints the version" '^infolettre [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out"

expect_status "help" 0 "$INFOLETTRE" help
expect_grep "help: usage line" '^usage: infolettre \[-c FILE\] COMMAND \[ARGS\]$' "$TMP/out"
expect_grep "help lists collect" '^  collect +list what the month' "$TMP/out"
expect_grep "help lists help" '^  help +' "$TMP/out"
cp "$TMP/out" "$TMP/help.out"
expect_status "--help" 0 "$INFOLETTRE" --help
expect_same "--help is help" "$TMP/help.out" "$TMP/out"

# every command the help lists has its own help, without a configuration
for c in $(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/help.out"); do
	expect_status "help $c" 0 "$INFOLETTRE" help "$c"
	expect_grep "help $c: usage" "^usage: infolettre $c" "$TMP/out"
	cp "$TMP/out" "$TMP/one.out"
	expect_status "$c --help (no configuration)" 0 "$INFOLETTRE" "$c" --help
	expect_same "$c --help is help $c" "$TMP/one.out" "$TMP/out"
done
expect_status "help collect" 0 "$INFOLETTRE" help collect
expect "help collect text" "usage: infolettre collect MONTH [--strict]
list what the month's issue will hold (no side effects)" "$(cat "$TMP/out")"
expect_status "collect -h (no configuration)" 0 "$INFOLETTRE" collect -h
expect_status "collect 2026-06 --help (no configuration)" 0 "$INFOLETTRE" collect 2026-06 --help
expect_grep "collect --help: usage" '^usage: infolettre collect MONTH' "$TMP/out"

# usage errors: 64, the valid choices on stderr, nothing on stdout
expect_status "no command" 64 "$INFOLETTRE"
expect_grep "no command: usage" '^usage: infolettre' "$TMP/err"
expect_status "unknown command" 64 "$INFOLETTRE" frobnicate
expect_grep "unknown command named" '^infolettre: unknown command "frobnicate"; the commands are:$' "$TMP/err"
expect_grep "unknown command lists collect" '^  collect ' "$TMP/err"
expect_grep "unknown command lists help" '^  help ' "$TMP/err"
expect "unknown command: nothing on stdout" "" "$(cat "$TMP/out")"
expect_status "help unknown command" 64 "$INFOLETTRE" help frobnicate
expect_grep "help unknown command lists collect" '^  collect ' "$TMP/err"
expect_status "unknown global option" 64 "$INFOLETTRE" --frob collect 2026-06
expect_grep "unknown global option lists the valid ones" \
	'^infolettre: unknown option "--frob" \(valid: -c FILE, --config FILE, --help, --version\)$' "$TMP/err"
expect_status "unknown collect option (no configuration)" 64 "$INFOLETTRE" collect --frob 2026-06
expect_grep "unknown collect option lists the valid ones" \
	'^infolettre: collect: unknown option "--frob" \(valid: --strict, --help\)$' "$TMP/err"
expect_status "unknown collect option (with configuration)" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect 2026-06 --frob
expect_grep "unknown collect option: usage" '^usage: infolettre collect MONTH \[--strict\]$' "$TMP/err"
expect_status "a flag given a value" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect --strict=yes 2026-06
expect_status "-c without FILE" 64 "$INFOLETTRE" -c
expect_status "collect without MONTH" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect
expect_grep "collect without MONTH says so" '^infolettre: collect: missing argument$' "$TMP/err"
expect_status "collect with two MONTHs" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect 2026-06 2026-07
for m in 2026-13 2026-00 26-06 2026-6 2026-06-01 juin ""; do
	expect_status "collect bad MONTH [$m]" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect "$m"
	expect_grep "collect bad MONTH [$m] says why" 'is not a month \(expected YYYY-MM' "$TMP/err"
	expect "collect bad MONTH [$m]: nothing on stdout" "" "$(cat "$TMP/out")"
done
expect_status "-- ends the options" 64 "$INFOLETTRE" -c "$ROOT/infolettre.yaml" collect -- --strict
expect_grep "-- ends the options: --strict is a MONTH" '"--strict" is not a month' "$TMP/err"
# text from the command line is printed without control characters
expect_status "unknown command with an escape" 64 "$INFOLETTRE" $'frob\e[31mnicate'
expect_nogrep "the escape is not printed" $'\e' "$TMP/err"

# a missing configuration: 66, naming the file
expect_status "missing ./infolettre.yaml" 66 "$INFOLETTRE" collect 2026-06
expect_grep "missing ./infolettre.yaml named" '^infolettre: infolettre.yaml: no configuration file' "$TMP/err"
expect_status "missing -c FILE" 66 "$INFOLETTRE" -c "$TMP/nope.yaml" collect 2026-06
expect_grep "missing -c FILE named" "^infolettre: $TMP/nope.yaml: no configuration file" "$TMP/err"
expect_status "missing --config=FILE" 66 "$INFOLETTRE" --config="$TMP/nope2.yaml" collect 2026-06
expect_grep "missing --config=FILE named" "^infolettre: $TMP/nope2.yaml: " "$TMP/err"
expect_status "missing INFOLETTRE_CONFIG" 66 env INFOLETTRE_CONFIG="$TMP/nope3.yaml" "$INFOLETTRE" collect 2026-06
expect_grep "missing INFOLETTRE_CONFIG named" "^infolettre: $TMP/nope3.yaml: " "$TMP/err"
expect_status "a folder as configuration" 78 "$INFOLETTRE" -c "$TMP" collect 2026-06
expect_status "--config FILE works" 0 "$INFOLETTRE" --config "$ROOT/infolettre.yaml" collect 2026-06
expect_status "--config=FILE works" 0 "$INFOLETTRE" --config="$ROOT/infolettre.yaml" collect 2026-06
