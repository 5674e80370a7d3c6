#!/bin/bash
# t_subscribers.sh - the subscriber store, its commands, CSV import/export.
# time limit: 400 s
. "$(dirname "$0")/lib.sh"

FIX=$ROOT/tests/fixtures/csv
SQLITE=sqlite3

# A configuration whose store lives in $TMP/$1.
setup() {
	local d=$TMP/$1
	mkdir -p "$d"
	cat > "$d/infolettre.yaml" <<-EOF
	newsletter:
	  title: "Test"
	  from: "Test <news@example.org>"
	  list_id: "test.example.org"
	site:
	  root: "."
	  base_url: "https://example.org/"
	unsubscribe:
	  url: "https://example.org/unsubscribe"
	subscribers:
	  database: "subs/subscribers.db"
	  secret_file: "subs/secret.key"
	EOF
	CONF=$d/infolettre.yaml
	DB=$d/subs/subscribers.db
}
il() { "$INFOLETTRE" -c "$CONF" "$@"; }
# The list without the SINCE column, which holds the time of the run.
listing() { il subscribers list "$@" | cut -f1-3; }
mode() { stat -c %a "$1"; }

# --- creation: modes, WAL, schema version ---------------------------------
setup create
expect_status "list on a new store" 0 il subscribers list
expect "new store lists nothing" "" "$(cat "$TMP/out")"
expect "database mode" 600 "$(mode "$DB")"
expect "secret mode" 600 "$(mode "$TMP/create/subs/secret.key")"
expect "store folder mode" 700 "$(mode "$TMP/create/subs")"
expect "journal is WAL" wal "$($SQLITE "$DB" 'PRAGMA journal_mode')"
expect "schema version" 4 "$($SQLITE "$DB" 'PRAGMA user_version')"
expect "secret is 64 hex digits" 1 \
	"$(grep -cE '^[0-9a-f]{64}$' "$TMP/create/subs/secret.key")"
# the -wal and -shm files while another connection holds them open
( $SQLITE "$DB" "BEGIN; SELECT count(*) FROM subscribers;" \
	".shell $INFOLETTRE -c $CONF subscribers add held@example.org >/dev/null" \
	".shell stat -c '%n %a' $DB-wal $DB-shm" "COMMIT;" ) > "$TMP/walmodes" 2>&1
expect "-wal and -shm are 0600" "2" "$(grep -c ' 600$' "$TMP/walmodes")"

# --- migration from an older schema ----------------------------------------
setup migrate
mkdir -p "$TMP/migrate/subs"
$SQLITE "$DB" <<'EOF'
CREATE TABLE subscribers (
 id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 1073741823),
 email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
 name TEXT NOT NULL DEFAULT '',
 status TEXT NOT NULL CHECK (status = 'active' OR
  status = 'unsubscribed' OR status = 'bounced' OR status = 'pending'),
 created INTEGER NOT NULL, source TEXT NOT NULL DEFAULT '',
 status_time INTEGER NOT NULL, status_reason TEXT NOT NULL DEFAULT '');
CREATE TABLE audit (
 id INTEGER PRIMARY KEY,
 subscriber INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
 time INTEGER NOT NULL, old_status TEXT, new_status TEXT NOT NULL,
 channel TEXT NOT NULL, message_id TEXT, token TEXT, status_code TEXT);
CREATE INDEX audit_subscriber ON audit(subscriber);
INSERT INTO subscribers VALUES
 (1, 'Old@Example.org', 'Old@example.org', 'Old Timer', 'active',
  1700000000, 'v1 import', 1700000000, 'import'),
 (2, 'left@example.org', 'left@example.org', '', 'unsubscribed',
  1700000000, 'v1', 1700100000, 'one-click');
INSERT INTO audit VALUES (1, 2, 1700100000, 'active', 'unsubscribed',
 'one-click', NULL, 'abcdefghijklmnopqrstuvwxyz234567', NULL);
PRAGMA user_version = 1;
EOF
chmod 600 "$DB"
expect_status "v1 store opens" 0 il subscribers list
expect "v1 rows kept" "$(printf 'Old@Example.org\tOld Timer\tactive\t2023-11-14T22:13:20Z\nleft@example.org\t\tunsubscribed\t2023-11-16T02:00:00Z')" \
	"$(cat "$TMP/out")"
expect "migrated to version 4" 4 "$($SQLITE "$DB" 'PRAGMA user_version')"
expect "consent time filled in" 1700000000 \
	"$($SQLITE "$DB" 'SELECT consent_time FROM subscribers WHERE id = 1')"
expect "new tables made" "bounces deliveries send_locks suppression" \
	"$($SQLITE "$DB" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('bounces', 'deliveries', 'send_locks', 'suppression') ORDER BY name)")"
il subscribers show left@example.org > "$TMP/show" 2>&1
expect_grep "v1 history shown" \
	$'^change\t2023-11-16T02:00:00Z\tactive\tunsubscribed\tone-click\ttoken=abcdef' "$TMP/show"
echo "left@example.org" > "$TMP/left.csv"
il subscribers import "$TMP/left.csv" > "$TMP/out" 2>&1
expect_grep "migrated store keeps suppression" "0 added.*1 suppressed" "$TMP/out"

# an empty file is a new store; a database of something else is refused
setup empty
mkdir -p "$TMP/empty/subs" && : > "$DB" && chmod 600 "$DB"
expect_status "empty file becomes a store" 0 il subscribers add e@example.org
expect "empty file migrated" 4 "$($SQLITE "$DB" 'PRAGMA user_version')"
setup foreign
mkdir -p "$TMP/foreign/subs"
$SQLITE "$DB" 'CREATE TABLE notes (x TEXT)'
expect_status "foreign database refused" 65 il subscribers list
expect_grep "foreign database named" "not an infolettre database" "$TMP/err"
setup newer
mkdir -p "$TMP/newer/subs"
$SQLITE "$DB" 'PRAGMA user_version = 42'
expect_status "newer schema refused" 65 il subscribers list

# --- the secret -------------------------------------------------------------
setup secret
il subscribers list > /dev/null
chmod 644 "$TMP/secret/subs/secret.key"
expect_status "world-readable secret refused" 77 il subscribers list
expect_grep "secret refusal says why" "readable by group or others" "$TMP/err"
chmod 640 "$TMP/secret/subs/secret.key"
expect_status "group-readable secret refused" 77 il subscribers add x@example.org
chmod 600 "$TMP/secret/subs/secret.key"
expect_status "private secret accepted" 0 il subscribers list

# --- add, remove, show, list ------------------------------------------------
setup cmds
expect_status "add Jean@Insee.fr" 0 il subscribers add Jean@Insee.fr --name "Jean Dupont"
expect_status "add Jean@insee.fr" 0 il subscribers add Jean@insee.fr
expect_grep "domain case is the same person" "already subscribed" "$TMP/out"
expect_status "add jean@insee.fr" 0 il subscribers add jean@insee.fr --name "jean"
expect "local part case is another person" \
	"$(printf 'Jean@Insee.fr\tJean Dupont\tactive\njean@insee.fr\tjean\tactive')" \
	"$(listing)"
il subscribers list | head -1 > "$TMP/line"
expect_grep "SINCE is an ISO date-time in UTC" \
	$'^Jean@Insee.fr\tJean Dupont\tactive\t[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$TMP/line"
expect_status "invalid address refused" 65 il subscribers add "not an address"
expect_status "address without a dot in the domain" 65 il subscribers add a@localhost
# addr.h: what the store accepts, send can deliver (t_send.sh sends it)
expect_status "IDN domain accepted" 0 il subscribers add "zoe@bücher.example"
expect_status "UTF-8 local part refused (no SMTPUTF8)" 65 \
	il subscribers add "zoé@bücher.example"
expect_grep "UTF-8 local part: the reason" "SMTPUTF8" "$TMP/err"
expect_status "remove" 0 il subscribers remove Jean@INSEE.fr
expect_status "remove unknown address" 0 il subscribers remove ghost@example.org
expect_grep "unknown address recorded" "recorded as unsubscribed" "$TMP/out"
il subscribers show ghost@example.org > "$TMP/show" 2>&1
expect_grep "recorded with its reason" \
	$'^change\t[0-9T:Z-]+\t-\tunsubscribed\tadmin\tdetail=subscribers remove$' "$TMP/show"
expect "statuses after remove" \
	"$(printf 'Jean@Insee.fr\tJean Dupont\tunsubscribed\nghost@example.org\t\tunsubscribed')" \
	"$(listing --status unsubscribed)"
expect_status "list --status with an unknown status" 64 il subscribers list --status gone
expect_status "add of an unsubscribed address" 65 il subscribers add Jean@insee.fr
expect_grep "add says how to resubscribe" "resubscribe" "$TMP/err"
expect_grep "add says since when and why" \
	"is unsubscribed since [0-9T:Z-]+ \(admin\)" "$TMP/err"
expect_status "show" 0 il subscribers show Jean@insee.fr
expect_grep "show gives the status" $'^status\tunsubscribed$' "$TMP/out"
expect_grep "show gives the history" \
	$'^change\t[0-9T:Z-]+\tactive\tunsubscribed\tadmin\t' "$TMP/out"
expect_status "show of an unknown address" 65 il subscribers show nobody@example.org
expect_status "add --resubscribe" 0 il subscribers add Jean@insee.fr --resubscribe
expect "resubscribed" "Jean@Insee.fr	Jean Dupont	active" \
	"$(listing --status active | head -1)"
expect_status "unknown subcommand" 64 il subscribers frobnicate
expect_status "help subscribers" 0 "$INFOLETTRE" help subscribers
expect_grep "help lists the subcommands" "subscribers import FILE.csv" "$TMP/out"

# --- CSV forms ----------------------------------------------------------------
for f in comma-lf excel-fr grist listmonk-import listmonk-export courriel \
	headerless duplicates; do
	setup "csv-$f"
	expect_status "import $f" 0 il subscribers import "$FIX/$f.csv"
	listing > "$TMP/got"
	expect_same "import $f: subscribers" "$FIX/$f.expected" "$TMP/got"
done
setup csv-dup
il subscribers import "$FIX/duplicates.csv" > "$TMP/out" 2>&1
expect "duplicates merge" \
	"import: 2 added, 1 updated, 1 unchanged, 0 suppressed (left alone), 0 rejected" \
	"$(cat "$TMP/out")"
expect_status "the same file again changes nothing" 0 \
	il subscribers import "$FIX/duplicates.csv"
expect_grep "second import: all unchanged" "0 added, 0 updated, 4 unchanged" "$TMP/out"
setup csv-stdin
expect_status "import from standard input" 0 \
	il subscribers import - < "$FIX/comma-lf.csv"
expect_same "stdin import" "$FIX/comma-lf.expected" <(listing)

# bad rows: every one named by its first line, nothing imported
setup csv-invalid
expect_status "invalid rows: exit 65" 65 il subscribers import "$FIX/invalid.csv"
expect "every bad row named by line" "3 6 8 9" \
	"$(grep -oE 'invalid\.csv:[0-9]+:' "$TMP/err" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
expect_grep "the count of bad rows" "4 invalid rows; nothing imported" "$TMP/err"
expect "nothing imported" "" "$(listing)"
expect_status "--skip-invalid" 0 il subscribers import "$FIX/invalid.csv" --skip-invalid
expect_grep "--skip-invalid summary" "3 added, 0 updated, 0 unchanged, 0 suppressed \(left alone\), 4 rejected" "$TMP/out"
expect_grep "--skip-invalid still names the rows" "invalid\.csv:6:" "$TMP/err"
expect "--skip-invalid imports the good rows" \
	"$(printf 'good@example.org\tGood\tactive\nmulti@example.org\ttwo lines\tactive\nok2@example.org\tfine\tactive')" \
	"$(listing)"

# the same Excel export saved as "CSV (séparateur: point-virgule)", in
# Windows-1252, and as "Texte Unicode", in UTF-16: refused, saying which
# format to save instead. Its header "Pr\xe9nom" would not be understood
# and the first names lost: the first row not UTF-8 stops the import, even
# with --skip-invalid
setup csv-cp1252
tail -c +4 "$FIX/excel-fr.csv" | iconv -f UTF-8 -t CP1252//TRANSLIT > "$TMP/excel-cp1252.csv"
expect_status "Windows-1252: exit 65" 65 il subscribers import "$TMP/excel-cp1252.csv"
expect_grep "Windows-1252: the first row, what to do" \
	'cp1252\.csv:1: the first row is not UTF-8; nothing imported: save it as "CSV UTF-8" \(Excel.s "CSV \(séparateur: point-virgule\)" is Windows-1252' "$TMP/err"
expect_status "Windows-1252, --skip-invalid: exit 65" 65 il subscribers import --skip-invalid "$TMP/excel-cp1252.csv"
expect "Windows-1252: nothing imported" "" "$(listing)"
# a header without accents: each row with one is named, then the advice
{ printf 'Adresse e-mail;Prenom;Nom;Service\r\n'; tail -n +2 "$TMP/excel-cp1252.csv"; } > "$TMP/rows-cp1252.csv"
expect_status "Windows-1252 rows: exit 65" 65 il subscribers import "$TMP/rows-cp1252.csv"
expect "Windows-1252 rows: each row with an accent named" "3 5 6" \
	"$(grep -oE 'cp1252\.csv:[0-9]+: the name is not valid UTF-8' "$TMP/err" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
expect_grep "Windows-1252 rows: what to do" \
	'rows-cp1252\.csv: 3 invalid rows, 3 of them not UTF-8; nothing imported: save it as "CSV UTF-8"' "$TMP/err"
expect "Windows-1252 rows: nothing imported" "" "$(listing)"
expect_status "Windows-1252 rows, --skip-invalid" 0 il subscribers import --skip-invalid "$TMP/rows-cp1252.csv"
expect_grep "Windows-1252 rows, --skip-invalid: the count" "1 added, .* 3 rejected" "$TMP/out"
expect_grep "Windows-1252 rows, --skip-invalid: what to do" \
	'rows-cp1252\.csv: 3 rejected rows are not UTF-8: save it as "CSV UTF-8"' "$TMP/err"
expect "Windows-1252 rows, --skip-invalid: the row without an accent" \
	"$(printf 'jean.dupont@insee.fr\tJean Dupont\tactive')" "$(listing)"
setup csv-utf16
tail -c +4 "$FIX/excel-fr.csv" | iconv -f UTF-8 -t UTF-16 > "$TMP/excel-unicode.txt"
expect "UTF-16: the file begins with its byte order mark" "fffe" "$(head -c 2 "$TMP/excel-unicode.txt" | od -An -tx1 | tr -d ' ')"
expect_status "UTF-16: exit 65" 65 il subscribers import "$TMP/excel-unicode.txt"
expect_grep "UTF-16: what to do" \
	'excel-unicode\.txt: UTF-16 text \(Excel.s "Unicode text"\?\), not UTF-8: save it as "CSV UTF-8"' "$TMP/err"
expect "UTF-16: nothing imported" "" "$(listing)"

# a 1,000-row file with one bad row imports nothing and names its line
setup csv-1000
$PY - "$TMP/big.csv" <<'EOF'
import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("email;nom\r\n")
    for i in range(1, 1001):
        # a quoted name with a line break every 100 rows moves the lines
        name = f'"Personne\r\n{i}"' if i % 100 == 0 else f"Personne {i}"
        addr = "bad.address.example.org" if i == 777 else f"p{i}@example.org"
        f.write(f"{addr};{name}\r\n")
EOF
expect_status "1,000 rows, one bad: exit 65" 65 il subscribers import "$TMP/big.csv"
expect "the bad row's line is named" "big.csv:785:" \
	"$(grep -oE 'big\.csv:[0-9]+:' "$TMP/err")"
expect "one bad row reported" 1 "$(grep -c 'not a valid address' "$TMP/err")"
expect "1,000 rows: nothing imported" 0 "$(listing | wc -l)"
sed -i 's/^bad\.address\.example\.org;/p777@example.org;/' "$TMP/big.csv"
expect_status "1,000 rows once fixed" 0 il subscribers import "$TMP/big.csv"
expect "1,000 rows imported" 1000 "$(listing | wc -l)"

# --- a bulk import: rollback journal when alone, WAL otherwise ---------------
# Alone on the store, an import runs in rollback journal mode (pages written
# once) and puts the store back in WAL mode; with another connection open
# it stays in WAL mode and does not wait for it.
setup bulk
bigcsv() { # FILE ROWS PREFIX
	$PY - "$@" <<'EOF'
import sys
path, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("email,name\n")
    for i in range(n):
        f.write(f"{prefix}{(i * 7919) % n}@example.org,Person {i}\n")
EOF
}
bigcsv "$TMP/bulk/a.csv" 2000 a
expect_status "bulk import alone" 0 il subscribers import "$TMP/bulk/a.csv"
expect "bulk import: back in WAL mode" wal "$($SQLITE "$DB" 'PRAGMA journal_mode')"
expect "bulk import: no journal left" "" "$(ls "$TMP/bulk/subs" | grep -- -journal)"
expect "bulk import: store intact" ok "$($SQLITE "$DB" 'PRAGMA integrity_check')"
# a reader's open transaction: the import commits in WAL mode beside it,
# and the reader's snapshot does not move until it ends
bigcsv "$TMP/bulk/b.csv" 2000 b
$SQLITE "$DB" "BEGIN; SELECT count(*) FROM subscribers;" \
	".shell $INFOLETTRE -c $CONF subscribers import $TMP/bulk/b.csv > $TMP/bulk/b.out 2>&1; echo \$? > $TMP/bulk/b.rc" \
	"SELECT count(*) FROM subscribers;" "COMMIT;" \
	"SELECT count(*) FROM subscribers;" > "$TMP/bulk/held" 2>&1
expect "import beside an open reader: exit 0" 0 "$(cat "$TMP/bulk/b.rc")"
expect "import beside an open reader: all added" \
	"import: 2000 added, 0 updated, 0 unchanged, 0 suppressed (left alone), 0 rejected" \
	"$(cat "$TMP/bulk/b.out")"
expect "the reader's snapshot holds until it ends" "$(printf '2000\n2000\n4000')" \
	"$(cat "$TMP/bulk/held")"
expect "still WAL after an import beside a reader" wal \
	"$($SQLITE "$DB" 'PRAGMA journal_mode')"
# a process opening the store during a bulk import waits for it
bigcsv "$TMP/bulk/c.csv" 400000 c
journal_seen() { # wait for the import's rollback journal, up to 20 s
	local i
	for i in $(seq 1 4000); do
		# its mode now: the journal may be gone by the time we look again
		JMODE=$(stat -c %a "$DB-journal" 2> /dev/null) && return 0
		kill -0 "$1" 2> /dev/null || return 1
		sleep 0.005
	done
	return 1
}
"$INFOLETTRE" -c "$CONF" subscribers import "$TMP/bulk/c.csv" > "$TMP/bulk/c.out" 2>&1 &
ipid=$!; PIDS+=($ipid)
if journal_seen $ipid; then seen=yes; else seen=no; fi
expect "a bulk import writes a rollback journal" yes "$seen"
expect_status "an add during a bulk import waits and succeeds" 0 \
	il subscribers add late@example.org
wait $ipid; irc=$?
expect "the bulk import succeeds too" 0 "$irc"
expect "both are in the store" 404001 "$($SQLITE "$DB" 'SELECT count(*) FROM subscribers')"
expect "WAL mode after both" wal "$($SQLITE "$DB" 'PRAGMA journal_mode')"
# killed in the middle: the next opening rolls the import back
bigcsv "$TMP/bulk/d.csv" 400000 d
"$INFOLETTRE" -c "$CONF" subscribers import "$TMP/bulk/d.csv" > /dev/null 2>&1 &
ipid=$!; PIDS+=($ipid)
if journal_seen $ipid; then seen=yes; else seen=no; fi
kill -KILL $ipid 2> /dev/null; wait $ipid 2> /dev/null
expect "killed during the bulk import" yes "$seen"
expect "the rollback journal is 0600" 600 "$JMODE"
expect "killed import: nothing of it stays" 404001 \
	"$(il subscribers list | wc -l)"
expect "killed import: back in WAL mode" wal "$($SQLITE "$DB" 'PRAGMA journal_mode')"
expect "killed import: store intact" ok "$($SQLITE "$DB" 'PRAGMA integrity_check')"
expect_status "the import again" 0 il subscribers import "$TMP/bulk/d.csv"
expect_grep "the import again: all added" "import: 400000 added" "$TMP/out"
rm -f "$TMP"/bulk/*.csv

# line numbers with every line ending: a lone CR (old Mac files), and a
# CRLF or a CR that a 64 KiB read block cuts after its CR
setup csv-cr
printf 'email,name\ra@example.org,A\rbad.example.org,B\rc@example.org,"C\rD"\rbad2,E\r' \
	> "$TMP/cr.csv"
expect_status "CR line endings, bad rows: exit 65" 65 il subscribers import "$TMP/cr.csv"
expect "CR line endings: bad rows named by line" "3 6" \
	"$(grep -oE 'cr\.csv:[0-9]+:' "$TMP/err" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
expect_status "CR line endings, --skip-invalid" 0 il subscribers import "$TMP/cr.csv" --skip-invalid
expect "CR line endings: rows and the CR in a quoted name" \
	"$(printf 'a@example.org\tA\tactive\nc@example.org\tC D\tactive')" "$(listing)"
for eol in crlf cr; do
	$PY - "$TMP/split-$eol.csv" "$eol" > "$TMP/split-$eol.want" <<'EOF'
import sys
path, eol = sys.argv[1], {"crlf": "\r\n", "cr": "\r"}[sys.argv[2]]
block = 64 * 1024
out = "email,name" + eol
i = 0
while True:
    row = f"p{i}@example.org,Person {i}"
    # pad the name of the row that reaches the block's end so that its
    # CR is the block's last byte
    if len(out) + len(row) + len(eol) > block - 40:
        row += "x" * (block - 1 - len(out) - len(row))
        out += row + eol
        break
    out += row + eol
    i += 1
assert out[block - 1] == "\r"
bad = [len(out)]
out += "not.an.address" + eol
for j in range(50):
    out += f"q{j}@example.org,Q" + eol
bad.append(len(out))
out += "still@bad" + eol
open(path, "w", newline="").write(out)
# the expected lines, counted independently: Python's splitlines
print(" ".join(str(len(out[:b].splitlines()) + 1) for b in bad))
EOF
	expect_status "$eol cut by a block: exit 65" 65 il subscribers import "$TMP/split-$eol.csv"
	expect "$eol cut by a block: bad rows named by line" "$(cat "$TMP/split-$eol.want")" \
		"$(grep -oE "split-$eol\.csv:[0-9]+:" "$TMP/err" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
done

# a quote that is never closed
setup csv-unclosed
printf 'email,name\na@example.org,A\nb@example.org,"B\nc@example.org,C\n' > "$TMP/unclosed.csv"
expect_status "unclosed quote: exit 65" 65 il subscribers import "$TMP/unclosed.csv"
expect_grep "unclosed quote named" "unclosed\.csv:3: a quoted field is not closed" "$TMP/err"
printf 'name,other\nA,B\n' > "$TMP/noemail.csv"
expect_status "no address column: exit 65" 65 il subscribers import "$TMP/noemail.csv"
expect_grep "no address column said" "noemail\.csv:1: no address column" "$TMP/err"
printf '\xef\xbb\xbf' > "$TMP/bomonly.csv"
expect_status "empty file: exit 65" 65 il subscribers import "$TMP/bomonly.csv"
printf 'email,name\nlatin@example.org,Andr\xe9\n' > "$TMP/latin1.csv"
expect_status "a Latin-1 name is refused" 65 il subscribers import "$TMP/latin1.csv"
expect_grep "Latin-1 refusal says UTF-8" "csv:2: the name is not valid UTF-8" "$TMP/err"
expect_status "missing file: exit 66" 66 il subscribers import "$TMP/nope.csv"

# pathological input: a field of 2 MiB (a quote never closed in a big
# file), a header of thousands of columns, bytes that are not text
$PY -c 'import sys; sys.stdout.write("email,name\na@example.org,\"" + "x" * (2 << 20) + "\n")' > "$TMP/huge.csv"
expect_status "a 2 MiB field: exit 65" 65 il subscribers import "$TMP/huge.csv"
expect_grep "a 2 MiB field is named" "huge\.csv:2: a field longer than 1 MiB" "$TMP/err"
$PY -c 'print(",".join("c%d" % i for i in range(5000)))' > "$TMP/wide.csv"
expect_status "5,000 columns: exit 65" 65 il subscribers import "$TMP/wide.csv"
expect_grep "5,000 columns said" "more than 1000 columns" "$TMP/err"
head -c 200000 /dev/urandom > "$TMP/random.csv"
il subscribers import "$TMP/random.csv" > /dev/null 2> "$TMP/err"
rc=$?
if [ $rc -eq 65 ] || [ $rc -eq 0 ]; then ok "random bytes: refused cleanly"; else
	fail "random bytes: refused cleanly" "exit $rc: $(head -c 300 "$TMP/err")"; fi
expect "random bytes: nothing imported" 0 "$(listing | wc -l)"

# --- suppression: unsubscribed, bounced and forgotten stay out ----------------
setup supp
il subscribers add stay@example.org > /dev/null
il subscribers add left@example.org > /dev/null
il subscribers add Forget.Me@Example.org --name "To Forget" > /dev/null
il subscribers remove left@example.org > /dev/null
expect_status "remove --forget" 0 il subscribers remove Forget.Me@example.ORG --forget
expect "forgotten row gone" 0 "$($SQLITE "$DB" "SELECT count(*) FROM subscribers WHERE email_key = 'Forget.Me@example.org'")"
expect "forgotten history gone" 0 "$($SQLITE "$DB" "SELECT count(*) FROM audit a LEFT JOIN subscribers s ON s.id = a.subscriber WHERE s.id IS NULL")"
expect "no address in the suppression table" 0 \
	"$($SQLITE "$DB" "SELECT count(*) FROM suppression WHERE hash LIKE '%@%' OR hash LIKE '%forget%'")"
expect "one suppression hash" 1 "$($SQLITE "$DB" "SELECT count(*) FROM suppression WHERE length(hash) = 64")"
expect_status "show of a forgotten address" 65 il subscribers show Forget.Me@example.org
expect_grep "show says forgotten" "forgotten" "$TMP/err"
printf 'email,name\nForget.Me@EXAMPLE.org,Back\nleft@example.org,Left\nstay@example.org,Stay\nnew@example.org,New\n' > "$TMP/again.csv"
expect_status "re-import after forget" 0 il subscribers import "$TMP/again.csv"
expect "re-import summary" \
	"import: 1 added, 1 updated, 0 unchanged, 2 suppressed (left alone), 0 rejected" \
	"$(cat "$TMP/out")"
expect "suppression survives --forget and re-import" \
	"$(printf 'left@example.org\t\tunsubscribed\nnew@example.org\tNew\tactive\nstay@example.org\tStay\tactive')" \
	"$(listing)"
expect_status "re-import --resubscribe" 0 il subscribers import "$TMP/again.csv" --resubscribe
expect_grep "resubscribe summary" "1 added, 1 updated, 2 unchanged, 0 suppressed" "$TMP/out"
expect "--resubscribe brings them back" \
	"$(printf 'Forget.Me@EXAMPLE.org\tBack\tactive\nleft@example.org\tLeft\tactive\nnew@example.org\tNew\tactive\nstay@example.org\tStay\tactive')" \
	"$(listing)"

# --- SQL metacharacters and emoji: stored and exported verbatim ----------------
setup meta
expect_status "import metacharacters" 0 il subscribers import "$FIX/metachars.csv"
expect_status "add metacharacters" 0 il subscribers add "x@example.org" \
	--name "Robert'); DROP TABLE subscribers;-- 🦆"
expect "table still there" 3 "$($SQLITE "$DB" 'SELECT count(*) FROM subscribers')"
expect "names stored verbatim" \
	"$(printf 'Zoë 🎉 "quoted" 🚀\n'"'"'); DROP TABLE subscribers;--\nRobert'"'"'); DROP TABLE subscribers;-- 🦆')" \
	"$(listing | cut -f2)"
expect_status "export to a file" 0 il subscribers export "$TMP/meta/out.csv"
expect "export file mode" 600 "$(mode "$TMP/meta/out.csv")"
expect "no temporary file left" "out.csv" "$(ls "$TMP/meta" | grep out)"
$PY - "$TMP/meta/out.csv" > "$TMP/parsed" <<'EOF'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "CRLF"
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
print(",".join(rows[0]))
for r in rows[1:]:
    print(r[0] + "|" + r[1] + "|" + r[2])
EOF
expect "export parses as RFC 4180" \
	"$(printf 'email,name,status,since,reason,created,source,consent,consent_text,confirmed,confirmed_by\nemoji@example.org|Zoë 🎉 "quoted" 🚀|active\no'"'"'brien@example.org|'"'"'); DROP TABLE subscribers;--|active\nx@example.org|Robert'"'"'); DROP TABLE subscribers;-- 🦆|active')" \
	"$(cat "$TMP/parsed")"
il subscribers export > "$TMP/stdout.csv"
expect_same "export to stdout is the same" "$TMP/meta/out.csv" "$TMP/stdout.csv"
expect_status "export into a missing folder: exit 73" 73 \
	il subscribers export "$TMP/meta/no/such/dir/out.csv"
# round trip: the export imports into a new store as it was
il subscribers remove x@example.org > /dev/null
il subscribers export "$TMP/meta/round.csv"
listing > "$TMP/before"
setup meta2
expect_status "export imports back" 0 il subscribers import "$TMP/meta/round.csv"
expect_same "round trip keeps addresses, names, statuses" "$TMP/before" <(listing)

# --- concurrent writers and a reader ---------------------------------------------
setup conc
il subscribers list > /dev/null
writer() { # NAME: add NAME1..60, then remove the even ones
	local i rc=0
	for i in $(seq 1 60); do
		il subscribers add "$1$i@example.org" --name "$1 $i" > /dev/null || rc=1
	done
	for i in $(seq 2 2 60); do
		il subscribers remove "$1$i@example.org" > /dev/null || rc=1
	done
	return $rc
}
reader() {
	local rc=0
	while [ ! -e "$TMP/conc/stop" ]; do
		il subscribers list > /dev/null || rc=1
		il subscribers export > /dev/null || rc=1
	done
	return $rc
}
reader 2> "$TMP/conc/r.err" & rpid=$!; PIDS+=($rpid)
writer a 2> "$TMP/conc/a.err" & apid=$!; PIDS+=($apid)
writer b 2> "$TMP/conc/b.err" & bpid=$!; PIDS+=($bpid)
wait $apid; arc=$?
wait $bpid; brc=$?
touch "$TMP/conc/stop"
wait $rpid; rrc=$?
expect "concurrent writers succeed" "0 0" "$arc $brc"
expect "concurrent reader succeeds" 0 "$rrc"
cat "$TMP"/conc/*.err > "$TMP/conc/all.err"
expect_nogrep "no database is locked" "locked|busy" "$TMP/conc/all.err"
expect "nothing lost: active" 60 "$(listing --status active | wc -l)"
expect "nothing lost: unsubscribed" 60 "$(listing --status unsubscribed | wc -l)"
expect "audit rows of the removals" 60 "$($SQLITE "$DB" 'SELECT count(*) FROM audit')"

# several processes creating one store at once
setup race
for i in 1 2 3 4; do il subscribers add "r$i@example.org" > /dev/null 2>> "$TMP/race.err" & done
wait
expect "concurrent creation: all added" 4 "$(listing | wc -l)"
expect "concurrent creation: no errors" "" "$(cat "$TMP/race.err")"
