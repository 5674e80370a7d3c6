#!/bin/bash
# t_corpus.sh - the real-world corpus of replies (tests/corpus: bounces
# from dozens of mail-server families, complaints, out-of-office replies,
# list traffic; README.md there says where each comes from) classified by
# `replies classify` and compared with expected.tsv (checked by hand): at
# least 98% right and no expected address missing. The per-family counts
# and every miss are printed as information lines.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

INFOLETTRE=$INFOLETTRE bash "$ROOT/tests/corpus/check.sh" > "$TMP/corpus.out" 2>&1
rc=$?
while IFS= read -r line; do
	info "$line"
done < "$TMP/corpus.out"
figure=$(grep '^corpus: ' "$TMP/corpus.out")
if [ "$rc" -eq 2 ] || [ -z "$figure" ]; then
	fail "corpus: consistent" "$(head -c 400 "$TMP/corpus.out")"
	exit 0
fi
ok "corpus: consistent (every message listed once, with its family)"
echo "# figure: reply $figure, per family in VERBOSE=1 make check"
pct=$(printf '%s\n' "$figure" | sed 's/.*(\([0-9.]*\)%).*/\1/')
if awk -v p="$pct" 'BEGIN { exit !(p >= 98) }'; then
	ok "corpus: at least 98% right ($figure)"
else
	fail "corpus: at least 98% right" "$figure"
fi
if grep -q '^MISS .*missing address' "$TMP/corpus.out"; then
	fail "corpus: every expected address found" \
		"$(grep '^MISS .*missing address' "$TMP/corpus.out" | head -5)"
else
	ok "corpus: every expected address found"
fi
n=$(grep -c . "$ROOT/tests/corpus/expected.tsv")
[ "$n" -ge 300 ] && ok "corpus: at least 300 messages ($n)" || fail "corpus: at least 300 messages" "$n"
c=$(grep -cP '\tcomplaint\t' "$ROOT/tests/corpus/expected.tsv")
[ "$c" -ge 10 ] && ok "corpus: at least 10 complaints ($c)" || fail "corpus: at least 10 complaints" "$c"
a=$(grep -cP '\tauto-reply\t' "$ROOT/tests/corpus/expected.tsv")
[ "$a" -ge 20 ] && ok "corpus: at least 20 automatic replies ($a)" || fail "corpus: at least 20 automatic replies" "$a"
