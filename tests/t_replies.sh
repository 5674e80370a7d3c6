#!/bin/bash
# t_replies.sh - infolettre replies [--dry-run]: the inbox read over IMAP
# from a real Dovecot (STARTTLS and imaps, certificates verified), and from
# a Maildir; messages carrying real tokens act on a real store; the
# keywords Dovecot reports afterwards; a second run changes nothing; the
# confirmation flow end to end; bounce thresholds; what must never act
# (auto-replies naming colleagues, bounces quoting our message); refusals
# (no CA, no STARTTLS, cleartext LOGIN, bad passwords) and exit statuses.
# time limit: 600 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/imap/dovecot.sh"

FIX=$ROOT/tests/fixtures/replies
FIX2=$ROOT/tests/fixtures/inbox
CGI_MAIL=$BUILD/tests/tools/cgi_mail
if [ ! -x "$CGI_MAIL" ]; then
	fail replies_tools "$CGI_MAIL is not built (make units)"
	exit 0
fi

# conf NAME INBOX-URL [LINES...]: $W/NAME.yaml; those of one $W share a
# store and the outbox $W/outbox; LINES follow "inbox:\n  url: …" verbatim.
conf() {
	local name=$1 url=$2 line
	shift 2
	mkdir -p "$W"
	{
		cat <<EOF
newsletter:
  title: "Infolettre du SSP Hub"
  from: "SSP Hub <infolettre@ssphub.example.fr>"
  reply_to: "infolettre@ssphub.example.fr"
  list_id: "infolettre.ssphub.example.fr"
  language: fr
site:
  root: site
  base_url: "https://ssphub.example.fr/"
unsubscribe:
  url: "https://ssphub.example.fr/desinscription"
  mailto: "infolettre-unsubscribe@ssphub.example.fr"
  bounce: "infolettre-bounces@ssphub.example.fr"
transport:
  url: "${TRANSPORT:-maildir:outbox}"
subscribers:
  database: "subscribers/subscribers.db"
  secret_file: "subscribers/secret.key"
inbox:
  url: "$url"
EOF
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$W/$name.yaml"
}
IL() { local c=$1; shift; "$INFOLETTRE" -c "$W/$c.yaml" "$@"; }

# SC: the configuration whose store the checks read
field() { # EMAIL FIELD: a line of "subscribers show"
	IL "$SC" subscribers show "$1" 2>/dev/null | awk -F'\t' -v f="$2" '$1 == f { print $2 }'
}
status_of() { field "$1" status; }
reason_of() { field "$1" reason; }
last_change() { IL "$SC" subscribers show "$1" 2>/dev/null | grep '^change' | tail -1; }
snapshot() { # the whole store as the commands show it
	IL "$SC" subscribers list
	IL "$SC" subscribers list | cut -f1 | while read -r e; do
		IL "$SC" subscribers show "$e"
	done
}
outbox_count() { ls "$W/outbox/new" 2>/dev/null | wc -l; }

# setup_store LABEL: in $W, the subscribers imported into a new store
# (through the configuration $SC) and their real tokens in $W/tokens.
setup_store() {
	mkdir -p "$W/site"
	printf '%s\n' email,name "jeanne.morel@example.fr,Jeanne Morel" \
		"marc.roux@example.org,Marc Roux" "jean.dupont@example.fr,Jean Dupont" \
		"jean.dupont@example.org,Jean Dupont" "marie.leroy@example.com,Marie Leroy" \
		"eric.fontaine@example.net,Eric Fontaine" \
		"sophie.durand@example.fr,Sophie Durand" "paul.martin@example.com,Paul Martin" \
		"michel.garnier@example.com,Michel Garnier" "lea.moreau@example.com,Léa Moreau" \
		"camille.robin@example.com,Camille Robin" "julie.faure@example.org,Julie Faure" \
		"hugo.lambert@example.com,Hugo Lambert" > "$W/subs.csv"
	expect_status "$1: import the subscribers" 0 IL "$SC" subscribers import "$W/subs.csv"
	"$CGI_MAIL" "$W/$SC.yaml" tokens > "$W/tokens"
	expect "$1: a token per subscriber" 13 "$(wc -l < "$W/tokens")"
}
tok() { awk -F'\t' -v e="$1" '$1 == e { print $2 }' "$W/tokens"; }

# mkmsg SRC DEST EMAIL [alter]: the fixture with EMAIL's real token in place
# of its sample tokens (one character changed with "alter").
mkmsg() {
	$PY - "$1" "$2" "$(tok "$3")" "${4:-}" <<'PY'
import re, sys
src, dst, tok, alter = sys.argv[1:5]
if alter:
    tok = tok[:20] + ("b" if tok[20] != "b" else "c") + tok[21:]
data = open(src, "rb").read()
# sample tokens in capitals (a mail system folding case) stay in capitals
data = re.sub(rb"aaaaaaaaaaa[a-z2-7]{21}",
    lambda m: (tok.upper() if m.group(0).isupper() else tok).encode(),
    data, flags=re.I)
open(dst, "wb").write(data)
PY
}

# core_messages DIR: the thirteen messages of the main run, DIR/01 to
# DIR/13, carrying the real tokens of $W's store.
core_messages() {
	local M=$1
	mkdir -p "$M"
	mkmsg "$FIX/unsub-token-mailto.eml" "$M/01" jeanne.morel@example.fr
	mkmsg "$FIX/unsub-token-altered.eml" "$M/02" marc.roux@example.org alter
	mkmsg "$FIX/unsub-in-reply-to-issue.eml" "$M/03" jean.dupont@example.fr
	mkmsg "$FIX/dsn-postfix-5.1.1.eml" "$M/04" jean.dupont@example.org
	mkmsg "$FIX/dsn-postfix-4.2.2.eml" "$M/05" marie.leroy@example.com
	mkmsg "$FIX/bounce-exim-5.1.1-quotes-original.eml" "$M/06" eric.fontaine@example.net
	mkmsg "$FIX2/ooo-colleague.eml" "$M/07" sophie.durand@example.fr
	mkmsg "$FIX2/ooo-colleague-en.eml" "$M/08" paul.martin@example.com
	cp "$FIX/other-question.eml" "$M/09"
	cp "$FIX/unsub-keyword-uppercase-accented.eml" "$M/10"
	cp "$FIX/unsub-keyword-base64.eml" "$M/11"
	cp "$FIX/malformed-no-from.eml" "$M/12"
	# over inbox.max_size: the token is in the header, the rest is never read
	$PY - "$M/13" "$(tok lea.moreau@example.com)" <<'PY'
import sys
body = ("Merci de me retirer de la liste.\n" + ("x" * 75 + "\n") * 2700)
open(sys.argv[1], "w").write(
    "From: Lea Moreau <lea.moreau@example.com>\n"
    "To: infolettre-unsubscribe+%s@ssphub.example.fr\n"
    "Subject: unsubscribe\nDate: Wed, 03 Jun 2026 10:00:00 +0200\n"
    "Message-ID: <big-13@example.com>\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n\n" % sys.argv[2] + body)
PY
}

# check_core LABEL OUT: the store and the output OUT after the main run.
check_core() {
	local L=$1 OUT=$2
	expect "$L: tokened unsubscribe: unsubscribed" unsubscribed "$(status_of jeanne.morel@example.fr)"
	expect "$L: tokened unsubscribe: channel list-unsubscribe-mailto" \
		list-unsubscribe-mailto "$(reason_of jeanne.morel@example.fr)"
	expect_grep "$L: tokened unsubscribe: evidence in the history" \
		"message-id=unsub-1@example\.fr token=$(tok jeanne.morel@example.fr)" \
		<(last_change jeanne.morel@example.fr)
	expect "$L: altered token: nobody unsubscribed" active "$(status_of marc.roux@example.org)"
	expect_grep "$L: altered token: reported" \
		'refused, invalid token: jeanne\.morel@example\.fr; the token in To names no subscriber' "$OUT"
	expect "$L: reply to an issue asking to leave: unsubscribed" unsubscribed \
		"$(status_of jean.dupont@example.fr)"
	expect "$L: reply to an issue: channel reply" reply "$(reason_of jean.dupont@example.fr)"
	expect_grep "$L: reply to an issue: Message-ID, token and issue recorded" \
		"message-id=reply-5@example\.fr token=$(tok jean.dupont@example.fr) issue=2026-06" \
		<(last_change jean.dupont@example.fr)
	expect "$L: 5.1.1 bounce: bounced at threshold 1" bounced "$(status_of jean.dupont@example.org)"
	expect "$L: 5.1.1 bounce: channel bounce" bounce "$(reason_of jean.dupont@example.org)"
	expect_grep "$L: 5.1.1 bounce: status code as evidence" \
		'status-code=5\.1\.1 issue=2026-06' <(last_change jean.dupont@example.org)
	expect "$L: 4.2.2 bounce once: still active" active "$(status_of marie.leroy@example.com)"
	expect_grep "$L: 4.2.2 bounce: counted" \
		'bounce counted for marie\.leroy@example\.com; transient bounce 4\.2\.2, 1 of 3' "$OUT"
	expect "$L: bounce quoting our message (unsubscribe link inside): bounced" bounced \
		"$(status_of eric.fontaine@example.net)"
	expect "$L: bounce quoting our message: not unsubscribed" bounce \
		"$(reason_of eric.fontaine@example.net)"
	expect "$L: out-of-office naming a colleague: sender unchanged" active \
		"$(status_of sophie.durand@example.fr)"
	expect "$L: out-of-office naming a colleague: colleague unchanged" active \
		"$(status_of paul.martin@example.com)"
	# Paul's own auto-reply (message 08) carries his real token in To: that
	# message left no trace in the store (the status check above cannot
	# tell it from message 07, which names him)
	expect_nogrep "$L: auto-reply to the tokened unsubscribe address: nothing recorded" \
		'ooo-colleague-2@example\.com' <(snapshot)
	expect "$L: keyword reply without proof: nothing changed" active \
		"$(status_of michel.garnier@example.com)"
	expect "$L: keyword reply without proof: one confirmation request sent" 1 "$(outbox_count)"
	expect_grep "$L: keyword reply from a non-subscriber: ignored" \
		'ignored, not subscribed: elise\.chevalier@example\.fr' "$OUT"
	expect "$L: keyword reply from a non-subscriber: not added" "" \
		"$(IL "$SC" subscribers list | grep elise)"
	expect "$L: message over max_size: classified from its first bytes" unsubscribed \
		"$(status_of lea.moreau@example.com)"
	expect_grep "$L: summary: unsubscribe" '^unsubscribe: 6 \(3 unsubscribed, 1 asked for confirmation, 1 refused \(invalid token\), 1 ignored \(not subscribed\)\)$' "$OUT"
	expect_grep "$L: summary: bounce-permanent" '^bounce-permanent: 2 \(2 bounced\)$' "$OUT"
	expect_grep "$L: summary: bounce-transient" '^bounce-transient: 1 \(1 counted, below the threshold\)$' "$OUT"
	expect_grep "$L: summary: auto-reply" '^auto-reply: 2 \(2 no action\)$' "$OUT"
	expect_grep "$L: summary: other" '^other: 1 \(left unread for the editors\)$' "$OUT"
	expect_grep "$L: summary: malformed" '^malformed: 1 \(1 no action\)$' "$OUT"
	expect_grep "$L: the other message listed: sender, subject, date" \
		$'^\tPauline Simon <pauline\\.simon@example\\.fr>\tQuestion sur l.atelier Quarto\t2026-06-02 17:20:00 \\+0200$' "$OUT"
}

# ===================== a Maildir inbox =====================
# First, so that it runs whether Dovecot starts or not.
W=$TMP/w2
SC=md
MD=$W/inbox
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
conf md "maildir:inbox" "  max_size: 65536" "replies:" "  transient_threshold: 3"
setup_store maildir
M=$TMP/msgs2
core_messages "$M"
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13; do
	cp "$M/$i" "$MD/new/17800000$i.M$i.test"
done
snapshot > "$TMP/md-store.0"
ls -R "$MD" > "$TMP/md.0"
expect_status "maildir: dry run" 0 IL md replies --dry-run
expect_grep "maildir: dry run: would unsubscribe by token" \
	'^new/1780000001\.M01\.test: would unsubscribe jeanne\.morel@example\.fr;' "$TMP/out"
ls -R "$MD" > "$TMP/md.dry"
snapshot > "$TMP/md-store.dry"
expect_same "maildir: dry run moves nothing" "$TMP/md.0" "$TMP/md.dry"
expect_same "maildir: dry run changes no subscriber" "$TMP/md-store.0" "$TMP/md-store.dry"
expect_status "replies on a Maildir" 0 IL md replies
cp "$TMP/out" "$TMP/md-run1.out"
expect "maildir: nothing on stderr" "" "$(cat "$TMP/err")"
check_core maildir "$TMP/md-run1.out"
expect "maildir: the other message stays in new/" "1780000009.M09.test" "$(ls "$MD/new")"
expect "maildir: the handled ones are in cur/ with S and the keyword letter" 12 \
	"$(ls "$MD/cur" | grep -c '^17800000[01][0-9]\.M[01][0-9]\.test:2,Sa$')"
expect "maildir: dovecot-keywords names the letter" '0 $Infolettre' "$(cat "$MD/dovecot-keywords")"
ls -R "$MD" > "$TMP/md.1"
snapshot > "$TMP/md-store.1"
expect_status "maildir: second run" 0 IL md replies
ls -R "$MD" > "$TMP/md.2"
snapshot > "$TMP/md-store.2"
expect_same "maildir: second run moves nothing" "$TMP/md.1" "$TMP/md.2"
expect_same "maildir: second run changes no subscriber" "$TMP/md-store.1" "$TMP/md-store.2"

# --- bounce thresholds, unverified: accept, locks, handled_folder ---
# 4.2.2 for marie (issue 2026-06 counted by the main run) on other issues
for n in 1 2 3; do
	issue=2026-0$((5 + n))
	sed -e "s/2026-06\./$issue./" \
		-e "s/<20260602070140\.4F1A22C0A1@/<dsn-$n.4F1A22C0A1@/" \
		"$FIX/dsn-postfix-4.2.2.eml" > "$M/t$n.in"
	mkmsg "$M/t$n.in" "$M/t$n" marie.leroy@example.com
done
cp "$M/t1" "$MD/new/1780001001.M1.test"
expect_status "maildir: 4.2.2 again for the same issue" 0 IL md replies
expect_grep "maildir: the same issue counts once" \
	'transient bounce 4\.2\.2, 1 of 3, issue 2026-06' "$TMP/out"
expect "maildir: still active" active "$(status_of marie.leroy@example.com)"
expect "maildir: handled file moved to cur/ with S and the keyword letter" \
	1 "$(ls "$MD/cur" | grep -c '^1780001001\.M1\.test:2,Sa$')"
cp "$M/t2" "$MD/new/1780001002.M1.test"
expect_status "maildir: 4.2.2 on a second issue" 0 IL md replies
expect "maildir: two issues, still active" active "$(status_of marie.leroy@example.com)"
cp "$M/t3" "$MD/new/1780001003.M1.test"
expect_status "maildir: 4.2.2 on a third issue" 0 IL md replies
expect "maildir: 4.2.2 on three different issues: bounced" bounced "$(status_of marie.leroy@example.com)"
expect_grep "maildir: the third bounce is the evidence" \
	'status-code=4\.2\.2 issue=2026-08' <(last_change marie.leroy@example.com)
# a DSN quoting our message, an other message, a keyword reply accepted
mkmsg "$FIX/dsn-exchange-5.1.1-quotes-original.eml" "$MD/new/1780001004.M1.test" paul.martin@example.com
cp "$FIX/other-question.eml" "$MD/new/1780001005.M1.test"
cp "$FIX/unsub-keyword-stop-quoted.eml" "$MD/new/1780001006.M1.test"
conf md-accept "maildir:inbox" "replies:" "  unverified: accept"
expect_status "maildir: replies.unverified: accept" 0 IL md-accept replies
expect "DSN quoting our message: bounced" bounced "$(status_of paul.martin@example.com)"
expect "DSN quoting our message: not unsubscribed" bounce "$(reason_of paul.martin@example.com)"
expect "unverified: accept: unsubscribed at once" unsubscribed "$(status_of julie.faure@example.org)"
expect "unverified: accept: channel reply-unverified" reply-unverified \
	"$(reason_of julie.faure@example.org)"
expect "unverified: accept: no confirmation request" 1 "$(outbox_count)"
expect "maildir: the other messages stay in new/" "1780000009.M09.test 1780001005.M1.test" \
	"$(ls "$MD/new" | tr '\n' ' ' | sed 's/ $//')"

# --dry-run on a Maildir, a bounce waiting: no file moves
mkmsg "$FIX/dsn-gmail-4.2.2.eml" "$MD/new/1780001007.M1.test" hugo.lambert@example.com
ls -R "$MD" > "$TMP/md.3"
expect_status "maildir: dry run with a bounce" 0 IL md replies --dry-run
expect_grep "maildir: dry run says what it would do" \
	'would count a bounce of hugo\.lambert@example\.com' "$TMP/out"
ls -R "$MD" > "$TMP/md.4"
expect_same "maildir: dry run with a bounce moves nothing" "$TMP/md.3" "$TMP/md.4"

# a locked store: 75, the message stays unhandled for the next run
$PY - "$W/subscribers/subscribers.db" > "$TMP/lock.out" 2>&1 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(120)
PY
LOCK_PID=$!
PIDS+=("$LOCK_PID")
for i in $(seq 50); do grep -q locked "$TMP/lock.out" && break; sleep 0.1; done
expect_status "store locked: 75" 75 IL md replies
expect_grep "store locked: said" "run again" "$TMP/err"
expect "store locked: the bounce stays unhandled" 1 \
	"$(ls "$MD/new" | grep -c 1780001007)"
kill "$LOCK_PID"
wait "$LOCK_PID" 2>/dev/null
expect_status "store free again: handled" 0 IL md replies
expect "store free again: counted" active "$(status_of hugo.lambert@example.com)"
expect "store free again: marked" 0 "$(ls "$MD/new" | grep -c 1780001007)"

# a confirmation request the transport defers: 75, tried again next time
# (this subscriber was asked earlier in this script: forget that request,
# replies.confirm_interval is tested below)
$PY -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM confirm_requests"); c.commit()' "$W/subscribers/subscribers.db"
cp "$FIX/unsub-keyword-uppercase-accented.eml" "$MD/new/1780001009.M1.test"
TRANSPORT="smtp://127.0.0.1:$(free_port)" conf md-smtp "maildir:inbox"
before=$(outbox_count)
expect_status "confirmation request deferred: 75" 75 IL md-smtp replies
expect_grep "confirmation request deferred: said" "deferred" "$TMP/err"
expect "confirmation request deferred: the request stays unhandled" 1 \
	"$(ls "$MD/new" | grep -c 1780001009)"
expect_status "confirmation request, the transport back: sent" 0 IL md replies
expect "confirmation request, the transport back: one more in the outbox" \
	$((before + 1)) "$(outbox_count)"
expect "confirmation request, the transport back: marked" 0 \
	"$(ls "$MD/new" | grep -c 1780001009)"

# inbox.handled_folder in a Maildir: the Maildir++ folder .NAME
mkmsg "$FIX/unsub-token-mailto.eml" "$MD/new/1780001008.M1.test" sophie.durand@example.fr
conf md-moved "maildir:inbox" "  handled_folder: Handled"
expect_status "maildir handled_folder: run" 0 IL md-moved replies
expect "maildir handled_folder: acted on" unsubscribed "$(status_of sophie.durand@example.fr)"
expect "maildir handled_folder: moved to .Handled/cur/" "1780001008.M1.test:2,Sa" \
	"$(ls "$MD/.Handled/cur")"

# --- usage ---
expect_status "replies with an unknown subcommand: usage" 64 IL md replies frobnicate
expect_status "replies with an extra argument: usage" 64 IL md replies --dry-run extra
expect_status "replies --bogus: usage" 64 IL md replies --bogus
conf missing "maildir:no-such-inbox"
expect_status "missing Maildir: 66" 66 IL missing replies
conf badurl "pop3://example.org/"
expect_status "unknown inbox scheme: 78" 78 IL badurl replies
conf userurl "imaps://reader:secret@127.0.0.1/INBOX"
expect_status "credentials in the URL: 78" 78 IL userurl replies
expect_nogrep "credentials in the URL: not echoed" "secret" "$TMP/err"

# ===================== IMAP: a real Dovecot =====================
# Dovecot failing to start is a failure, and ends the test.
W=$TMP/w
SC=imap
conf imap "maildir:none"
setup_store imap
if ! dovecot_start; then
	fail "dovecot starts" "$(cat "$DOVE_DIR/stdout" "$DOVE_DIR/dovecot.log" 2>/dev/null | tail -20)"
	exit 1
fi
info "dovecot listens on 127.0.0.1:$DOVE_PORT (STARTTLS) and :$DOVE_SPORT (imaps)"
printf '%s\n' "$DOVE_PASS" > "$W/imap.pw"
chmod 600 "$W/imap.pw"
conf imap "imap://127.0.0.1:$DOVE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA" "  max_size: 65536"
M=$TMP/msgs
core_messages "$M"
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13; do
	dovecot_drop "$M/$i" "17800000$i.M$i.test"
done
snapshot > "$TMP/store.0"

# --- --dry-run: says what it would do, changes nothing ---
expect_status "dry run over IMAP" 0 IL imap replies --dry-run
cp "$TMP/out" "$TMP/dry.out"
expect_grep "dry run: would unsubscribe by token" \
	'^UID [0-9]+: would unsubscribe jeanne\.morel@example\.fr;' "$TMP/dry.out"
expect_grep "dry run: would mark bounced" \
	'would mark bounced jean\.dupont@example\.org' "$TMP/dry.out"
expect_grep "dry run: would ask for confirmation" \
	'would ask for confirmation: michel\.garnier@example\.com' "$TMP/dry.out"
expect_grep "dry run: says so" '^dry run: nothing was changed' "$TMP/dry.out"
snapshot > "$TMP/store.dry"
expect_same "dry run: the store is unchanged" "$TMP/store.0" "$TMP/store.dry"
expect "dry run: no confirmation request sent" 0 "$(outbox_count)"
expect "dry run: no keyword, nothing seen" "" \
	"$(dovecot_flags | awk '$2 != "-"')"

# --- the run ---
expect_status "replies over IMAP (STARTTLS, ca_file)" 0 IL imap replies
cp "$TMP/out" "$TMP/run1.out"
expect "imap: nothing on stderr" "" "$(cat "$TMP/err")"
check_core imap "$TMP/run1.out"
body_bytes=$(grep -o 'body_bytes=[0-9]*' "$DOVE_DIR/dovecot.log" | cut -d= -f2 | sort -n | tail -1)
if [ "${body_bytes:-0}" -gt 0 ] && [ "$body_bytes" -lt 150000 ]; then
	ok "imap: message over max_size: fetched partially ($body_bytes body bytes in the largest session)"
else
	fail "imap: message over max_size: fetched partially" "body_bytes=$body_bytes"
fi
dovecot_flags > "$TMP/flags.1"
expect "handled messages carry \$Infolettre and \\Seen; the other one nothing" \
	"q-17@example.fr -" "$(grep -v ' \$Infolettre \\Seen$' "$TMP/flags.1")"
expect "every message is still there (nothing deleted)" 13 "$(wc -l < "$TMP/flags.1")"

# --- the second run changes nothing ---
snapshot > "$TMP/store.1"
expect_status "second run" 0 IL imap replies
expect_grep "second run: nothing to handle but the other message" \
	'^unsubscribe: 0$' "$TMP/out"
expect "second run: only the summary and the other message" 0 \
	"$(grep -c '^UID' "$TMP/out")"
snapshot > "$TMP/store.2"
expect_same "second run: the store is unchanged" "$TMP/store.1" "$TMP/store.2"
dovecot_flags > "$TMP/flags.2"
expect_same "second run: the keywords are unchanged" "$TMP/flags.1" "$TMP/flags.2"
expect "second run: no new confirmation request" 1 "$(outbox_count)"

# --- the confirmation request: its format, then the subscriber's reply ---
CONFIRM=$(ls "$W/outbox/new/"*)
$PY - "$CONFIRM" "$(tok michel.garnier@example.com)" > "$TMP/confirm.check" 2>&1 <<'PY'
import email, email.policy, re, sys
raw = open(sys.argv[1], "rb").read()
tok = sys.argv[2]
bad = []
if any(b > 127 for b in raw): bad.append("not 7-bit")
if re.search(rb"(?<!\r)\n", raw): bad.append("bare LF")
if any(len(l) > 998 for l in raw.split(b"\r\n")): bad.append("line over 998")
m = email.message_from_bytes(raw, policy=email.policy.default)
defects = [d for p in m.walk() for d in p.defects]
if defects: bad.append("defects %r" % defects)
want = {
    "To": "michel.garnier@example.com",
    "Reply-To": "infolettre-unsubscribe+%s@ssphub.example.fr" % tok,
    "Subject": "Confirmez votre d\u00e9sinscription / Confirm your unsubscription",
    "From": "SSP Hub <infolettre@ssphub.example.fr>",
    "In-Reply-To": "<kw-9@example.com>",
    "Auto-Submitted": "auto-replied",
}
for k, v in want.items():
    if str(m[k]) != v: bad.append("%s is %r" % (k, str(m[k])))
if not re.fullmatch(r"<confirm-[0-9a-z-]*\.%s@ssphub\.example\.fr>" % tok, str(m["Message-ID"])):
    bad.append("Message-ID %s" % m["Message-ID"])
body = m.get_content()
if ("R\u00e9f\u00e9rence : confirm-%s" % tok) not in body.splitlines():
    bad.append("no reference line")
if "r\u00e9pondez \u00e0 ce message pour confirmer" not in body:
    bad.append("no 'reply to confirm' words")
print("\n".join(bad))
PY
expect "confirmation request: format (parsed by Python's email package)" "" "$(cat "$TMP/confirm.check")"
# the subscriber answers it with a mail client: Re:, quoted, threaded
$PY - "$CONFIRM" "$M/20" <<'PY'
import email, email.policy, sys
from email.message import EmailMessage
o = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
r = EmailMessage()
r["From"] = "Michel Garnier <michel.garnier@example.com>"
r["To"] = o["Reply-To"]
r["Subject"] = "Re: " + str(o["Subject"])
r["Date"] = "Thu, 04 Jun 2026 08:00:00 +0200"
r["Message-ID"] = "<confirm-answer-20@example.com>"
r["In-Reply-To"] = o["Message-ID"]
r["References"] = o["Message-ID"]
r.set_content("Oui, je confirme.\n\n" +
    "".join("> " + l + "\n" for l in o.get_content().splitlines()))
# as mail clients write it: long Message-IDs stay whole on their line
open(sys.argv[2], "wb").write(
    r.as_bytes(policy=email.policy.SMTP.clone(max_line_length=0)))
PY
dovecot_drop "$M/20" 1780000020.M20.test
expect_status "the answer to the confirmation request is read" 0 IL imap replies
expect "confirmation answered: unsubscribed" unsubscribed "$(status_of michel.garnier@example.com)"
expect "confirmation answered: channel reply-confirmed" reply-confirmed \
	"$(reason_of michel.garnier@example.com)"
expect_grep "confirmation answered: evidence" \
	"message-id=confirm-answer-20@example\.com token=$(tok michel.garnier@example.com)" \
	<(last_change michel.garnier@example.com)
expect "confirmation answered: no new request" 1 "$(outbox_count)"

# --- imaps://, and refusals while a message waits ---
mkmsg "$FIX/unsub-token-x-original-to.eml" "$M/21" marc.roux@example.org
dovecot_drop "$M/21" 1780000021.M21.test
conf noca "imap://127.0.0.1:$DOVE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw"
expect_status "STARTTLS without inbox.ca_file: the self-signed certificate is refused (69)" 69 \
	IL noca replies
expect_grep "refused certificate: said" "certificate is not trusted" "$TMP/err"
conf noca-s "imaps://127.0.0.1:$DOVE_SPORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw"
expect_status "imaps without inbox.ca_file: refused (69)" 69 IL noca-s replies
expect_grep "imaps refused: said" "certificate is not trusted" "$TMP/err"
expect "refused: the waiting message is not marked" "unsub-4@example.org -" \
	"$(dovecot_flags | grep '^unsub-4@')"
expect "refused: nothing changed" active "$(status_of marc.roux@example.org)"
conf imaps "imaps://127.0.0.1:$DOVE_SPORT/INBOX" "  username: $DOVE_USER" \
	"  password_env: INBOX_TEST_PASSWORD" "  ca_file: $DOVE_CA"
export INBOX_TEST_PASSWORD=$DOVE_PASS
expect_status "replies over imaps:// (password from the environment)" 0 \
	IL imaps replies
expect "imaps: tokened unsubscribe (X-Original-To)" unsubscribed "$(status_of marc.roux@example.org)"
expect "imaps: marked" "unsub-4@example.org \$Infolettre \\Seen" \
	"$(dovecot_flags | grep '^unsub-4@')"

# --- authentication and reachability ---
printf 'wrong\n' > "$W/bad.pw"
chmod 600 "$W/bad.pw"
conf badpw "imap://127.0.0.1:$DOVE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: bad.pw" "  ca_file: $DOVE_CA"
expect_status "wrong password: 77" 77 IL badpw replies
expect_grep "wrong password: the server's answer" "login refused" "$TMP/err"
expect_nogrep "wrong password: never printed" "wrong" "$TMP/err"
chmod 644 "$W/imap.pw"
expect_status "password file readable by others: 77" 77 IL imap replies
expect_grep "password file readable by others: said" "chmod 600" "$TMP/err"
expect_nogrep "password never printed" "s3cret" "$TMP/err"
chmod 600 "$W/imap.pw"
conf down "imap://127.0.0.1:$(free_port)/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA"
expect_status "no server listening: 69" 69 IL down replies
expect_grep "no server listening: said" "cannot connect" "$TMP/err"
conf nofolder "imaps://127.0.0.1:$DOVE_SPORT/Nowhere" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA"
expect_status "unknown folder: 78" 78 IL nofolder replies

# cleartext: LOGIN is never sent without TLS
conf clear "imap://127.0.0.1:$DOVE_PORT/INBOX" "  starttls: false" \
	"  username: $DOVE_USER" "  password_file: imap.pw"
expect_status "starttls: false with a username: refused (78)" 78 IL clear replies
expect_grep "starttls: false: the warning" "warning: inbox.starttls is false" "$TMP/err"
expect_grep "starttls: false: LOGIN refused in clear" "refusing to send LOGIN" "$TMP/err"
conf clear2 "imap://127.0.0.1:$DOVE_PORT/INBOX" "  starttls: false"
expect_status "starttls: false, no username, the server wants a login: 77" 77 IL clear2 replies
expect_grep "starttls: false: the warning again" "warning: inbox.starttls is false" "$TMP/err"

# a server without STARTTLS: refused before any LOGIN
FAKE_PORT=$(free_port)
# fake_imap PORT GREETING LOG: a server that greets, then answers BAD
fake_imap() {
	$PY - "$1" "$2" > "$3" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    f = c.makefile("rwb")
    f.write(sys.argv[2].encode() + b"\r\n"); f.flush()
    for line in f:
        print("C:", line.decode(errors="replace").rstrip(), flush=True)
        tag = line.split(b" ")[0]
        if b"LOGOUT" in line.upper():
            f.write(b"* BYE\r\n" + tag + b" OK bye\r\n"); f.flush(); break
        f.write(tag + b" BAD no such command\r\n"); f.flush()
    c.close()
PY
	PIDS+=($!)
	dove_wait_listen "$1"
}
fake_imap "$FAKE_PORT" "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here" "$TMP/fake.log"
conf notls "imap://127.0.0.1:$FAKE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA"
expect_status "a server without STARTTLS: refused (69)" 69 IL notls replies
expect_grep "no STARTTLS: said" "STARTTLS refused" "$TMP/err"
expect_nogrep "no STARTTLS: no LOGIN was sent" "LOGIN|AUTHENTICATE|s3cret" "$TMP/fake.log"
expect_grep "no STARTTLS: STARTTLS was asked" "STARTTLS" "$TMP/fake.log"
BYE_PORT=$(free_port)
fake_imap "$BYE_PORT" "* BYE too busy" "$TMP/bye.log"
conf bye "imap://127.0.0.1:$BYE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA"
expect_status "a server that greets with BYE: 69" 69 IL bye replies
expect_grep "BYE greeting: said" "no IMAP greeting" "$TMP/err"

# --- inbox.handled_folder over IMAP: moved (a UTF-8 name), never deleted ---
mkmsg "$FIX/bounce-yahoo.eml" "$M/22" camille.robin@example.com
dovecot_drop "$M/22" 1780000022.M22.test
conf moved "imap://127.0.0.1:$DOVE_PORT/INBOX" "  username: $DOVE_USER" \
	"  password_file: imap.pw" "  ca_file: $DOVE_CA" "  handled_folder: Traités"
expect_status "handled_folder: run" 0 IL moved replies
expect "handled_folder: the bounce acted on" bounced "$(status_of camille.robin@example.com)"
yahoo_id=$(grep -i '^Message-ID:' "$M/22" | sed 's/.*<\(.*\)>.*/\1/')
expect "handled_folder: gone from INBOX" "" "$(dovecot_flags | grep -F "$yahoo_id")"
expect "handled_folder: in Traités (modified UTF-7), keyword set" \
	"$yahoo_id \$Infolettre \\Seen" "$(dovecot_flags 'Trait&AOk-s')"
expect "handled_folder: the other message stays in INBOX" "q-17@example.fr -" \
	"$(dovecot_flags | grep '^q-17@')"

dovecot_stop
