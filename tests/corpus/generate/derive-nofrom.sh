#!/bin/bash
# DSNs without a From line (the issue saw them in public collections; no
# Debian MTA writes one): copies of three captured reports, unchanged except
# that the From field (and its continuation lines) of the report's own header
# is removed. Writes ../derived-nofrom-MTA.eml; run after the generators.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
for mta in postfix exim sendmail; do
	src="$OUT/gen-$mta-remote-unknown.eml"
	[ -f "$src" ] || { echo "derive-nofrom: no $src" >&2; exit 1; }
	awk 'BEGIN { head = 1 }
		head && /^\r?$/ { head = 0 }
		head && /^From:/ { skip = 1; next }
		head && skip && /^[ \t]/ { next }
		{ skip = 0; print }' "$src" > "$OUT/derived-nofrom-$mta.eml"
done
