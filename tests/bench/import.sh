#!/bin/bash
# make bench-import: import a generated 1,000,000-row CSV with
# `infolettre subscribers import` into a new store and, in the same run,
# load the same file with the sqlite3 shell's `.import` into a bare table.
# One run of each, on the same file. Prints both CPU times (user+sys) and
# wall times and their ratio (target: within 1.5x, judged on CPU time since
# the machine's cores may be shared), two loads for scale (a table with a
# UNIQUE column; the store's own table), and infolettre's peak memory, also
# for a file ten times smaller (memory must not grow with the file). Not a
# test. Environment: INFOLETTRE (the binary), ROWS (1000000).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
ROWS=${ROWS:-1000000}
TMP=$(mktemp -d /tmp/infolettre-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Time and peak RSS of a command, measured from a small C parent (a child
# of Python would inherit Python's resident size as its high-water mark).
# Prints "WALL_SECONDS CPU_SECONDS MAXRSS_KB"; the command's output goes to
# measure.out.
${CC:-cc} -O2 -o "$TMP/measure" "$ROOT/tests/bench/measure.c"

# The file: an address and a name, in no sorted order, a quoted name with
# a comma now and then, as a real export has.
gen() { # ROWS FILE
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import unicodedata
n, path = int(sys.argv[1]), sys.argv[2]
first = ["Jean", "Marie", "Zoé", "François", "Éloïse", "Ahmed", "Léa", "Paul"]
last = ["Dupont", "Martin", "Durand", "Lefèvre", "Nguyen", "Moreau", "Petit"]
domains = ["insee.fr", "Insee.FR", "example.org", "dares.travail.gouv.fr",
           "univ-paris.example", "mail.example.com"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("email,name\r\n")
    for i in range(n):
        k = (i * 7919 + 13) % n  # a permutation: keys arrive unsorted
        fn, ln = first[k % len(first)], last[(k // 8) % len(last)]
        name = '"%s, %s"' % (ln, fn) if k % 10 == 0 else "%s %s" % (fn, ln)
        # the local part in ASCII, as mail systems give them (SMTP
        # cannot carry accents there without SMTPUTF8); accents stay in
        # the name
        local = unicodedata.normalize("NFKD", "%s.%s" % (fn, ln)).encode(
            "ascii", "ignore").decode().lower()
        f.write("%s.%d@%s,%s\r\n" % (local, k, domains[k % len(domains)],
                name))
PY
}

config() { # DIR
	mkdir -p "$1"
	cat > "$1/infolettre.yaml" <<-EOF
	newsletter:
	  title: "Bench"
	  from: "Bench <b@example.org>"
	  list_id: "bench.example.org"
	site:
	  root: "."
	  base_url: "https://example.org/"
	unsubscribe:
	  url: "https://example.org/u"
	subscribers:
	  database: "subs/subscribers.db"
	  secret_file: "subs/secret.key"
	EOF
}

run() { # LABEL COMMAND... → "WALL CPU KB"
	local r
	if ! r=$(cd "$TMP" && "$TMP/measure" "${@:2}"); then
		echo "bench: $1 failed:" >&2
		cat "$TMP/measure.out" >&2
		exit 1
	fi
	echo "$r"
}

fresh_store() { rm -rf "$TMP/a/subs"; }
fresh_bare() { rm -f "$TMP/bare.db"; }
fresh_unique() {
	rm -f "$TMP/unique.db"
	sqlite3 "$TMP/unique.db" 'CREATE TABLE t (email TEXT UNIQUE, name TEXT)'
}
# the store's own schema, empty, as infolettre makes it
fresh_schema() {
	rm -rf "$TMP/s/subs"
	"$INFOLETTRE" -c "$TMP/s/infolettre.yaml" subscribers list > /dev/null
}

# one run, into a new store or database: "WALL CPU KB"
once() { # LABEL SETUP-FUNCTION COMMAND...
	"$2"
	run "$1" "${@:3}"
}

SMALL=$((ROWS / 10))
gen "$ROWS" "$TMP/big.csv"
gen "$SMALL" "$TMP/small.csv"
MB=$(du -m "$TMP/big.csv" | cut -f1)
echo "file: $ROWS rows, $MB MB, the same for every load; one run of each;" \
	"$(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"

config "$TMP/a"
read -r wi ci ri < <(once infolettre fresh_store "$INFOLETTRE" \
	-c "$TMP/a/infolettre.yaml" subscribers import "$TMP/big.csv")
summary=$(cat "$TMP/measure.out")
read -r ws cs _ < <(once sqlite3 fresh_bare /usr/bin/sqlite3 "$TMP/bare.db" \
	".import --csv $TMP/big.csv t")
loaded=$(sqlite3 "$TMP/bare.db" 'SELECT count(*) FROM t')
read -r wu cu _ < <(once sqlite3-unique fresh_unique /usr/bin/sqlite3 \
	"$TMP/unique.db" ".import --csv --skip 1 $TMP/big.csv t")
# what the sqlite3 shell needs to put the same rows into the store's table
# (WAL, synchronous FULL, the unique key index): staged, then inserted in
# key order; the address stands for its key, for scale only
config "$TMP/s"
cat > "$TMP/schema.sql" <<SQL
PRAGMA synchronous = FULL;
PRAGMA cache_size = -4096;
BEGIN IMMEDIATE;
CREATE TEMP TABLE f (email TEXT, name TEXT);
.import --csv --skip 1 --schema temp $TMP/big.csv f
INSERT INTO subscribers (email, email_key, name, status, created, source,
 consent_time, status_time, status_reason)
 SELECT email, email, name, 'active', 1, 'import', 1, 1, 'import'
 FROM temp.f ORDER BY email;
COMMIT;
SQL
read -r wk ck _ < <(once sqlite3-schema fresh_schema /usr/bin/sqlite3 \
	"$TMP/s/subs/subscribers.db" ".read $TMP/schema.sql")
inschema=$(sqlite3 "$TMP/s/subs/subscribers.db" 'SELECT count(*) FROM subscribers')
config "$TMP/b"
read -r _ _ rs < <(run infolettre-small "$INFOLETTRE" \
	-c "$TMP/b/infolettre.yaml" subscribers import "$TMP/small.csv")

echo "infolettre: $summary"
echo "sqlite3 .import: $loaded rows into a bare table; $inschema into the store's table"
/usr/bin/python3 - "$wi" "$ci" "$ws" "$cs" "$wu" "$cu" "$wk" "$ck" "$ri" \
	"$rs" "$ROWS" "$SMALL" <<'PY'
import sys
wi, ci, ws, cs, wu, cu, wk, ck = map(float, sys.argv[1:9])
ri, rs, rows, small = map(int, sys.argv[9:13])
print("infolettre subscribers import: %.2f s CPU (user+sys), %.2f s wall, "
      "%.0f rows/s" % (ci, wi, rows / wi))
print("sqlite3 .import, bare table:    %.2f s CPU (user+sys), %.2f s wall"
      % (cs, ws))
print("ratio: %.2f x in CPU time (%.2f x in wall time) (target: within "
      "1.5 x in CPU time, as the cores may be shared) %s"
      % (ci / cs, wi / ws, "met" if ci / cs <= 1.5 else "MISSED"))
print("for scale, sqlite3 .import into a table with a UNIQUE email column, "
      "rows in file order: %.2f s CPU, %.2f s wall" % (cu, wu))
print("for scale, sqlite3 loading the rows into the store's own table, "
      "staged then in key order: %.2f s CPU, %.2f s wall" % (ck, wk))
print("peak memory (max RSS): %d rows: %d KB; %d rows: %d KB (%+d KB)"
      % (rows, ri, small, rs, ri - rs))
PY
