#!/bin/bash
# tests/bench/summary.sh DIR NAME...: the table `make bench` ends with: for
# each bench's log DIR/NAME.log, each line that states a target, as
# "bench | figure | verdict" (met, MISSED, or "did not run").
dir=$1
shift
printf '\n%-14s %-8s %s\n' "bench" "verdict" "figure (target)"
printf '%-14s %-8s %s\n' "-----" "-------" "---------------"
# the totals count the rows of the table, nothing else: a bench's own
# closing line ("bench-send: 2 target(s) MISSED") is not a target
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for b in "$@"; do
	log=$dir/$b.log
	if [ ! -s "$log" ] || grep -q 'did not run' "$log"; then
		printf '%-14s %-8s %s\n' "$b" "FAILED" "$(tail -1 "$log" 2>/dev/null)"
		continue
	fi
	grep -E '\(target[^)]*\).*(met|MISSED)$|target \(.*\): (met|MISSED)$' "$log" |
	while IFS= read -r line; do
		v=met
		case $line in *MISSED) v=MISSED ;; esac
		fig=$(printf '%s' "$line" | sed -E 's/ (met|MISSED)$//; s/: (met|MISSED)$//' | cut -c1-110)
		printf '%-14s %-8s %s\n' "$b" "$v" "$fig"
	done
done | tee "$rows"
n=$(grep -cE '^[^ ]+ +(met|MISSED) ' "$rows" || true)
m=$(grep -cE '^[^ ]+ +MISSED ' "$rows" || true)
f=$(grep -cE '^[^ ]+ +FAILED ' "$rows" || true)
printf '\n%d targets: %d met, %d MISSED' "$n" "$((n - m))" "$m"
[ "$f" -eq 0 ] || printf '; %d bench(es) did not run' "$f"
printf '\n'
