#!/bin/bash
# t_replies_proof.sh - replies acts only on proof (issue 15): forged
# bounces and complaints change nobody, the same reports carrying a token
# of ours act; forged unsubscribe requests in someone's name give them one
# confirmation request per replies.confirm_interval; a helpdesk's
# acknowledgement never confirms; list traffic and digests are "other";
# replies.unproven_bounces: act opts in to token-less bounces. A Maildir
# inbox and outbox, a real store.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

CGI_MAIL=$BUILD/tests/tools/cgi_mail
CORPUS=$ROOT/tests/corpus
W=$TMP/w
MD=$W/inbox
mkdir -p "$W/site" "$MD/new" "$MD/cur" "$MD/tmp"

conf() { # conf NAME [LINES...]: $W/NAME.yaml, the replies section LINES
	local name=$1
	shift
	{
		cat <<EOF2
newsletter:
  title: "Infolettre du SSP Hub"
  from: "SSP Hub <infolettre@ssphub.example.fr>"
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
  url: "maildir:outbox"
subscribers:
  database: "subscribers/subscribers.db"
  secret_file: "subscribers/secret.key"
inbox:
  url: "maildir:inbox"
replies:
EOF2
		printf '  %s\n' "unverified: confirm" "$@"
	} > "$W/$name.yaml"
}
IL() { local c=$1; shift; "$INFOLETTRE" -c "$W/$c.yaml" "$@"; }
field() { IL base subscribers show "$1" 2>/dev/null | awk -F'\t' -v f="$2" '$1 == f { print $2 }'; }
status_of() { field "$1" status; }
outbox_count() { ls "$W/outbox/new" 2>/dev/null | wc -l; }
tok() { awk -F'\t' -v e="$1" '$1 == e { print $2 }' "$W/tokens"; }
inbox_left() { ls "$MD/new" | wc -l; }

conf base
conf act "unproven_bounces: act"
printf '%s\n' email,name "anne.petit@example.fr,Anne Petit" \
	"bruno.lefevre@example.org,Bruno Lefevre" "chloe.simon@example.com,Chloé Simon" \
	"denis.marchand@example.net,Denis Marchand" "emma.girard@example.fr,Emma Girard" > "$W/subs.csv"
expect_status "import" 0 IL base subscribers import "$W/subs.csv"
"$CGI_MAIL" "$W/base.yaml" tokens > "$W/tokens"
expect "a token per subscriber" 5 "$(wc -l < "$W/tokens")"

# bounce FILE RCPT [MSGID-TOKEN]: a Postfix-style DSN from an outside
# server for RCPT, to the plain bounce address (no token in the envelope);
# with MSGID-TOKEN, the returned message's Message-ID is our issue's.
bounce() {
	local id="<forged.$RANDOM@elsewhere.example>"
	[ -n "${3:-}" ] && id="<2026-06.$3@ssphub.example.fr>"
	cat > "$1" <<EOF2
Return-Path: <>
From: MAILER-DAEMON@mx.elsewhere.example (Mail Delivery System)
To: infolettre-bounces@ssphub.example.fr
Subject: Undelivered Mail Returned to Sender
Date: Thu, 04 Jun 2026 10:00:00 +0200
Message-ID: <dsn.$RANDOM@mx.elsewhere.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system at host mx.elsewhere.example.

<$2>: host mx.elsewhere.example said: 550 5.1.1 User unknown

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.elsewhere.example

Final-Recipient: rfc822; $2
Original-Recipient: rfc822;$2
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <$2>: User unknown

--b1
Content-Type: text/rfc822-headers

From: SSP Hub <infolettre@ssphub.example.fr>
To: $2
Subject: Infolettre du SSP Hub
Message-ID: $id

--b1--
EOF2
}

# --- 1. a forged bounce: nobody changes; with our token: bounced -------
bounce "$MD/new/100.M1.test" anne.petit@example.fr
expect_status "forged bounce: run" 0 IL base replies
expect "forged bounce: the subscriber stays active" active "$(status_of anne.petit@example.fr)"
expect_grep "forged bounce: listed for the editors" \
	'no change, no proof it is ours: anne\.petit@example\.fr; permanent bounce 5\.1\.1.*without a token of ours' "$TMP/out"
expect_grep "forged bounce: summary" '^bounce-permanent: 1 \(1 without proof, nobody changed\)$' "$TMP/out"
bounce "$MD/new/101.M1.test" anne.petit@example.fr "$(tok anne.petit@example.fr)"
expect_status "bounce with our Message-ID: run" 0 IL base replies
expect "bounce with our Message-ID: bounced" bounced "$(status_of anne.petit@example.fr)"
IL base subscribers show anne.petit@example.fr > "$TMP/anne"
expect_grep "bounce with our Message-ID: the evidence" \
	'^change	.*	active	bounced	bounce	.*issue=2026-06' "$TMP/anne"

# opting in: replies.unproven_bounces: act
bounce "$MD/new/102.M1.test" bruno.lefevre@example.org
expect_status "unproven_bounces: act: run" 0 IL act replies
expect "unproven_bounces: act: bounced without a token" bounced "$(status_of bruno.lefevre@example.org)"

# --- 2. complaints (ARF): forged, nobody; with our token, unsubscribed -
arf() { # arf FILE RCPT [TOKEN]: a Yahoo-style feedback report
	local id="<spam.$RANDOM@elsewhere.example>" lu=""
	if [ -n "${3:-}" ]; then
		id="<2026-06.$3@ssphub.example.fr>"
		lu="List-Unsubscribe: <https://ssphub.example.fr/desinscription?t=$3>"
	fi
	cat > "$1" <<EOF2
From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.example>
To: abuse@ssphub.example.fr
Subject: FW: Infolettre
Date: Thu, 04 Jun 2026 11:00:00 +0000
Message-ID: <arf.$RANDOM@arf.mail.yahoo.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="a1"

--a1
Content-Type: text/plain

This is an email abuse report for an email message received from IP
192.0.2.10 on Thu, 04 Jun 2026 10:00:00 +0000.

--a1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Yahoo!-Mail-Feedback/1.0
Version: 1
Original-Rcpt-To: $2

--a1
Content-Type: message/rfc822

From: SSP Hub <infolettre@ssphub.example.fr>
To: $2
Subject: Infolettre du SSP Hub
Message-ID: $id
$lu

Bonjour.

--a1--
EOF2
}
arf "$MD/new/200.M1.test" chloe.simon@example.com
expect_status "forged complaint: run" 0 IL base replies
expect "forged complaint: the subscriber stays active" active "$(status_of chloe.simon@example.com)"
expect_grep "forged complaint: summary" '^complaint: 1 \(1 without proof, nobody changed\)$' "$TMP/out"
arf "$MD/new/201.M1.test" chloe.simon@example.com "$(tok chloe.simon@example.com)"
expect_status "complaint with our token: run" 0 IL base replies
expect "complaint with our token: unsubscribed" unsubscribed "$(status_of chloe.simon@example.com)"
IL base subscribers show chloe.simon@example.com > "$TMP/chloe"
expect_grep "complaint: channel complaint" '^change	.*	active	unsubscribed	complaint	' "$TMP/chloe"
expect_grep "complaint: summary" '^complaint: 1 \(1 unsubscribed\)$' "$TMP/out"
# never mailed again: a later import does not bring the address back
printf '%s\n' email "chloe.simon@example.com" > "$W/again.csv"
IL base subscribers import "$W/again.csv" > /dev/null 2>&1
expect "complaint: an import leaves the address unsubscribed" unsubscribed "$(status_of chloe.simon@example.com)"

# --- 3. ten forged requests in one day: one confirmation request --------
before=$(outbox_count)
for i in $(seq 10); do
	cat > "$MD/new/30$i.M1.test" <<EOF2
From: Denis Marchand <denis.marchand@example.net>
To: infolettre@ssphub.example.fr
Subject: désinscription
Date: Thu, 04 Jun 2026 12:0$((i % 10)):00 +0200
Message-ID: <forged-$i@attacker.example>

désinscription
EOF2
done
expect_status "ten forged requests: run" 0 IL base replies
expect "ten forged requests: one confirmation request" $((before + 1)) "$(outbox_count)"
expect "ten forged requests: still active" active "$(status_of denis.marchand@example.net)"
expect_grep "ten forged requests: summary" \
	'^unsubscribe: 10 \(1 asked for confirmation, 9 confirmation not sent \(one went recently\)\)$' "$TMP/out"
cat > "$MD/new/311.M1.test" <<EOF2
From: Denis Marchand <denis.marchand@example.net>
To: infolettre@ssphub.example.fr
Subject: désinscription
Message-ID: <forged-11@attacker.example>

désinscription
EOF2
conf noint "confirm_interval: 0"
expect_status "confirm_interval: 0: run" 0 IL noint replies
expect "confirm_interval: 0: a request every time" $((before + 2)) "$(outbox_count)"

# --- 4. a helpdesk's acknowledgement never confirms -------------------
req=$(ls -t "$W/outbox/new" | head -1)
ref=$(grep -o 'confirm-[a-z2-7]\{32\}' "$W/outbox/new/$req" | head -1)
rid=$(awk 'tolower($1) == "message-id:" { print $2; exit }' "$W/outbox/new/$req")
cat > "$MD/new/400.M1.test" <<EOF2
From: Support <denis.marchand@example.net>
To: infolettre@ssphub.example.fr
Subject: [Ticket #48213] Accusé de réception : Confirmez votre désinscription
In-Reply-To: $rid
Message-ID: <ticket-48213@helpdesk.example.net>

Nous avons bien reçu votre demande, elle sera traitée sous 48 h.

> Référence : $ref
EOF2
expect_status "helpdesk acknowledgement: run" 0 IL base replies
expect "helpdesk acknowledgement: nothing confirmed" active "$(status_of denis.marchand@example.net)"
expect_grep "helpdesk acknowledgement: an auto-reply" '^auto-reply: 1' "$TMP/out"
# the person's own answer does confirm
cat > "$MD/new/401.M1.test" <<EOF2
From: Denis Marchand <denis.marchand@example.net>
To: infolettre@ssphub.example.fr
Subject: Re: Confirmez votre désinscription
In-Reply-To: $rid
Message-ID: <answer-1@example.net>

Oui.
EOF2
expect_status "the person's answer: run" 0 IL base replies
expect "the person's answer: unsubscribed" unsubscribed "$(status_of denis.marchand@example.net)"

# --- 5. list traffic and digests are other, never requests -----------
cp "$CORPUS/list-mailman2-digest.eml" "$MD/new/500.M1.test"
cp "$CORPUS/list-sympa-message.eml" "$MD/new/501.M1.test"
expect_status "list traffic: run" 0 IL base replies
expect_grep "list traffic: other" '^other: 2 \(left unread for the editors\)$' "$TMP/out"
expect "list traffic: left in the inbox" 2 "$(inbox_left)"
expect "list traffic: nobody changed" active "$(status_of emma.girard@example.fr)"
