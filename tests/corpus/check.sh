#!/bin/bash
# The real-world corpus against `infolettre replies classify`: every message
# listed in expected.tsv is classified (with the repository's sample
# configuration, as tests/t_replies_classify.sh does), its class and
# addresses compared with the expected ones, the misses listed, then the
# counts per family (families.tsv) and per expected class, and a last line
#   corpus: X/Y right (P%)
# A message is right when its class is the expected one and its addresses
# are exactly the expected ones (compared lowercase, in any order; `-` for
# none). Exit status 1 when under 98% right or when any expected address is
# missing from what the program found; 2 when the corpus itself is broken.
#
# Usage: tests/corpus/check.sh            (INFOLETTRE=path/to/binary to choose)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
CONF=${CONF:-$ROOT/infolettre.yaml}
MIN_PERCENT=${MIN_PERCENT:-98}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -x "$INFOLETTRE" ] || { echo "check.sh: no binary at $INFOLETTRE (make all first)" >&2; exit 2; }
cd "$HERE" || exit 2

# the corpus is consistent: every message listed once, with a family, and
# every .eml listed
cut -f1 expected.tsv | sort > "$TMP/listed"
ls -- *.eml | sort > "$TMP/present"
if ! cmp -s "$TMP/listed" "$TMP/present"; then
	echo "check.sh: expected.tsv and the .eml files differ:" >&2
	diff "$TMP/listed" "$TMP/present" >&2
	exit 2
fi
if [ -n "$(uniq -d "$TMP/listed")" ]; then
	echo "check.sh: expected.tsv lists a file twice" >&2
	exit 2
fi
cut -f1 families.tsv | sort > "$TMP/families"
if ! cmp -s "$TMP/listed" "$TMP/families"; then
	echo "check.sh: families.tsv and expected.tsv differ:" >&2
	diff "$TMP/listed" "$TMP/families" >&2
	exit 2
fi

# classify, one file a call: a crash or a refusal on one message must not
# hide the others
: > "$TMP/got"
while IFS=$'\t' read -r file _; do
	if out=$("$INFOLETTRE" -c "$CONF" replies classify "$file" 2> "$TMP/err"); then
		printf '%s\n' "$out" | head -n 1 >> "$TMP/got"
	else
		status=$?
		printf '%s\t(exit %s)\t-\t%s\n' "$file" "$status" \
			"$(head -c 200 "$TMP/err" | tr '\t\n' '  ')" >> "$TMP/got"
	fi
done < expected.tsv

awk -F'\t' -v min="$MIN_PERCENT" '
function norm(list,    n, a, i, j, t, out) {
	list = tolower(list)
	if (list == "" || list == "-") return "-"
	n = split(list, a, /[ ,]+/)
	# insertion sort: the lists are short
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	out = ""
	for (i = 1; i <= n; i++) if (a[i] != "" && (i == 1 || a[i] != a[i - 1])) out = out (out == "" ? "" : ",") a[i]
	return out == "" ? "-" : out
}
FILENAME == ARGV[1] { family[$1] = $2; next }
FILENAME == ARGV[2] { gclass[$1] = $2; gaddr[$1] = $3; gdetail[$1] = $4; next }
{
	f = $1; want = $2; waddr = norm($3)
	total++; fam = family[f]; ftotal[fam]++; ctotal[want]++
	have = gclass[f]; haddr = norm(gaddr[f])
	if (have == want && haddr == waddr) { right++; fright[fam]++; cright[want]++; next }
	why = ""
	if (have != want) why = "class"
	missing = 0
	if (waddr != "-") {
		n = split(waddr, w, ",")
		for (i = 1; i <= n; i++) if (index("," haddr ",", "," w[i] ",") == 0) { missing++; lost++ }
	}
	if (missing) why = why (why == "" ? "" : "+") "missing address"
	else if (haddr != waddr) why = why (why == "" ? "" : "+") (waddr == "-" ? "extra address" : "other addresses")
	if (!(why in kind)) nkinds++
	kind[why]++
	printf "MISS %s [%s] %s: expected %s %s, got %s %s (%s)\n", f, fam, why, want, waddr, have, haddr, gdetail[f]
}
END {
	print ""
	print "per family (right/total):"
	for (fam in ftotal) printf "  %-28s %3d/%-3d\n", fam, fright[fam], ftotal[fam] | "sort"
	close("sort")
	print "per expected class (right/total):"
	for (c in ctotal) printf "  %-28s %3d/%-3d\n", c, cright[c], ctotal[c] | "sort"
	close("sort")
	if (nkinds) {
		print "misses by kind:"
		for (k in kind) printf "  %-28s %3d\n", k, kind[k] | "sort"
		close("sort")
	}
	pct = total ? 100 * right / total : 0
	printf "corpus: %d/%d right (%.1f%%)\n", right, total, pct
	if (pct < min || lost > 0) exit 1
}' families.tsv "$TMP/got" expected.tsv
