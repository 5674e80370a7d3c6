#!/bin/bash
# t_subscribe.sh - the double opt-in (issue 16) with real parts: lighttpd
# with mod_cgi serving infolettre cgi's subscribe and unsubscribe routes on
# 127.0.0.1, the form filled and the confirmation button pressed by
# headless Chromium (chromedriver), the confirmation message read from the
# Maildir outbox and parsed with Python's email (policy.default, no
# defects), confirmation by reply through the Maildir inbox and through
# Dovecot, the next send, and the one-click link to leave.
# time limit: 400 s
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/imap/dovecot.sh"

TOOL=$BUILD/tests/tools/cgi_mail
CURL=(curl -s --max-time 60)
FORMTOOL="$PY $ROOT/tests/tools/browser_form.py"

if ! command -v lighttpd > /dev/null; then
	fail "lighttpd" "not installed (Debian package lighttpd)"
	exit 1
fi

PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
SUB=$BASE/inscription
UNSUB=$BASE/desinscription
SITE=$TMP/list
mkdir -p "$SITE" "$TMP/www" "$TMP/cgi-bin"
CONF=$SITE/infolettre.yaml
# conf FILE LANGUAGE [EXTRA SUBSCRIBE LINES...]
conf() {
	local f=$1 lang=$2
	shift 2
	cat > "$f" <<EOF
newsletter:
  title: "Infolettre <du> SSP Hub"
  from: "SSP Hub <news@example.org>"
  list_id: "test.example.org"
  language: $lang
  timezone: Europe/Paris
site:
  root: "$ROOT/tests/site"
  base_url: "https://ssphub.netlify.app/"
  posts: ["blog", "content/post"]
  events: ["event", "content/event"]
unsubscribe:
  url: "$UNSUB"
  mailto: "infolettre-unsubscribe@example.org"
  bounce: "infolettre-bounces@example.org"
transport:
  url: "maildir:outbox"
inbox:
  url: "maildir:inbox"
subscribers:
  database: "subs/subscribers.db"
  secret_file: "subs/secret.key"
subscribe:
  url: "$SUB"
  min_seconds: 2
EOF
	for l in "$@"; do echo "  $l" >> "$f"; done
	cat >> "$f" <<EOF
issues: "issues"
templates: "$ROOT/templates"
EOF
}
conf "$CONF" fr
il() { "$INFOLETTRE" -c "$CONF" "$@"; }
state() { il subscribers show "$1" 2>/dev/null | awk -F'\t' '$1 == "status" { print $2 }'; }
showf() { il subscribers show "$1" | awk -F'\t' -v k="$2" '$1 == k { print $2 }'; }
OUTBOX=$SITE/outbox
# outbox_to ADDR: how many messages the outbox holds for ADDR
outbox_to() { grep -l -x -F "Delivered-To: $1"$'\r' "$OUTBOX"/new/* 2>/dev/null | wc -l; }
outbox_all() { ls "$OUTBOX"/new 2>/dev/null | wc -l; }
# last_to ADDR: the newest message for ADDR
last_to() { grep -l -x -F "Delivered-To: $1"$'\r' "$OUTBOX"/new/* 2>/dev/null | xargs -r ls -t | head -1; }

# --- infolettre form --------------------------------------------------------
expect_status "form: exit 0" 0 il form
il form > "$TMP/snippet.html"
expect_grep "form: posts to subscribe.url" \
	"<form class=\"infolettre-subscribe\" method=\"post\" action=\"$SUB\"" "$TMP/snippet.html"
expect_grep "form: an email field" '<input id="infolettre-email" type="email" name="email"' "$TMP/snippet.html"
expect_grep "form: a name field" 'name="name"' "$TMP/snippet.html"
expect_grep "form: a hidden honeypot" '<p class="infolettre-website" hidden aria-hidden="true">' "$TMP/snippet.html"
expect_grep "form: a signed time" '<input type="hidden" name="ts" value="[0-9]+\.[a-z2-7]{16}">' "$TMP/snippet.html"
expect_grep "form: the consent sentence, escaped" \
	'En vous abonnant, vous acceptez de recevoir « Infolettre &lt;du&gt; SSP Hub »' "$TMP/snippet.html"
expect_nogrep "form: no script" '<script' "$TMP/snippet.html"
$PY - "$TMP/snippet.html" > "$TMP/parse" 2>&1 <<'EOF' && ok "form: parses as HTML" || fail "form: parses as HTML" "$(cat "$TMP/parse")"
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, t, a):
        if t not in ("input", "br"): self.stack.append(t)
    def handle_endtag(self, t):
        assert self.stack and self.stack[-1] == t, (t, self.stack)
        self.stack.pop()
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); p.close()
assert not p.stack, p.stack
EOF
conf "$TMP/nourl.yaml" fr
sed -i '/^  url: "http:\/\/127.0.0.1:[0-9]*\/inscription"$/d' "$TMP/nourl.yaml"
"$INFOLETTRE" -c "$TMP/nourl.yaml" form > "$TMP/out" 2> "$TMP/err"
expect "form without subscribe.url: exit 78" 78 $?
expect_grep "form without subscribe.url: says so" 'subscribe\.url is not set' "$TMP/err"

# A few subscribers already there: active, unsubscribed, bounced.
il subscribers add active@example.org > /dev/null
il subscribers add left@example.org > /dev/null
il subscribers remove left@example.org > /dev/null
expect "setup: left is unsubscribed" unsubscribed "$(state left@example.org)"

# --- the web server ------------------------------------------------------------
ln -s "$INFOLETTRE" "$TMP/cgi-bin/infolettre-unsubscribe.cgi"
env_pass="\"INFOLETTRE_CONFIG\" => \"$CONF\""
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && env_pass+=", \"$v\" => \"${!v}\""
done
cat > "$TMP/lighttpd.conf" <<EOF
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.modules = ( "mod_alias", "mod_cgi", "mod_setenv" )
server.errorlog = "$TMP/lighttpd.err"
server.breakagelog = "$TMP/cgi.err"
server.max-request-size = 16
alias.url = ( "/desinscription" => "$TMP/cgi-bin/infolettre-unsubscribe.cgi",
	"/inscription" => "$TMP/cgi-bin/infolettre-unsubscribe.cgi" )
cgi.assign = ( ".cgi" => "" )
mimetype.assign = ( ".html" => "text/html; charset=utf-8" )
setenv.add-environment = ( $env_pass )
EOF
# the sample site's page that holds the form, as a site would serve it
{
	echo '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Infolettre</title></head><body><h1>Infolettre</h1>'
	cat "$TMP/snippet.html"
	echo '</body></html>'
} > "$TMP/www/index.html"
lighttpd -D -f "$TMP/lighttpd.conf" > "$TMP/lighttpd.out" 2>&1 &
PIDS+=($!)
if ! wait_port "$PORT"; then
	fail "lighttpd starts" "$(cat "$TMP/lighttpd.out" "$TMP/lighttpd.err" 2>/dev/null)"
	exit 1
fi
info "lighttpd listens on 127.0.0.1:$PORT"

# req CURL-ARGS...: headers in $TMP/h, body in $TMP/b, status in $CODE
req() { CODE=$("${CURL[@]}" -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@"); }
header() { tr -d '\r' < "$TMP/h" | awk -v h="$1" 'tolower($0) ~ "^" tolower(h) ": " { sub(/^[^:]*: /, ""); print; exit }'; }

# --- the form page ---------------------------------------------------------------
req "$SUB"
expect "GET form: 200" 200 "$CODE"
expect "GET form: no caching" "no-store" "$(header Cache-Control)"
expect_grep "GET form: French" '<html lang="fr">' "$TMP/b"
expect_grep "GET form: heading" "<h1>S&#39;abonner</h1>" "$TMP/b"
expect_grep "GET form: posts to itself" '<form class="infolettre-subscribe" method="post" action="/inscription"' "$TMP/b"
STAMP=$(grep -oE 'name="ts" value="[^"]*"' "$TMP/b" | sed 's/.*value="//; s/"$//')
expect_grep "GET form: a signed time" '^[0-9]+\.[a-z2-7]{16}$' <(echo "$STAMP")
# post EMAIL [NAME] [MORE CURL ARGS]: the form as a browser posts it, with
# the signed time of the page above (old enough after the sleep below)
post() {
	local e=$1 n=${2:-}
	shift; [ $# -gt 0 ] && shift
	req --data-urlencode "email=$e" --data-urlencode "name=$n" \
		--data-urlencode "website=" --data-urlencode "ts=$STAMP" "$@" "$SUB"
}
sleep 2.2

# --- a new address ---------------------------------------------------------------
post new@example.org "Nouvelle Abonnée"
expect "POST new: 200" 200 "$CODE"
cp "$TMP/b" "$TMP/answer.new"
expect_grep "POST new: the answer says a message is on its way" \
	'Si cette adresse peut être abonnée, un message est en route' "$TMP/b"
expect_nogrep "POST new: the answer does not name the address" 'new@' "$TMP/b"
expect "POST new: pending" pending "$(state new@example.org)"
expect "POST new: one confirmation message" 1 "$(outbox_to new@example.org)"
il subscribers list --status pending > "$TMP/pending"
expect_grep "subscribers list --status pending shows it" $'^new@example.org\tNouvelle Abonnée\tpending\t' "$TMP/pending"
MSG=$(last_to new@example.org)
$PY - "$MSG" "$SUB" > "$TMP/msg" 2>&1 <<'EOF'
import email, email.policy, re, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
def all_defects(p):
    d = list(p.defects)
    for part in p.iter_parts() if p.is_multipart() else []:
        d += all_defects(part)
    return d
assert not all_defects(m), all_defects(m)
for h in ("From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted"):
    print("%s: %s" % (h, m[h]))
print("type:", m.get_content_type())
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
links = re.findall(re.escape(sys.argv[2]) + r"\?c=[a-z2-7]{36}", text)
hlinks = re.findall(re.escape(sys.argv[2]) + r"\?c=[a-z2-7]{36}", html)
print("text links:", len(links), "html links:", len(hlinks), "same:", links[:1] == hlinks[:1])
print("LINK", links[0])
print("reply sentence:", "répondez simplement à ce message" in text.replace("\n", " "))
print("marker:", re.search(r"subscribe-[a-z2-7]{36}", text) is not None)
print("days:", "valable 7 jours" in text)
for line in raw.split(b"\r\n"):
    assert len(line) <= 998
EOF
expect_grep "confirmation: parsed, no defects, From the list" '^From: SSP Hub <news@example.org>$' "$TMP/msg"
expect_grep "confirmation: To the address" '^To: new@example.org$' "$TMP/msg"
expect_grep "confirmation: subject in French" '^Subject: Confirmez votre abonnement à « Infolettre <du> SSP Hub »$' "$TMP/msg"
expect_grep "confirmation: its Message-ID carries the token" '^Message-ID: <subscribe-[0-9t]+\.[a-z2-7]{36}@example\.org>$' "$TMP/msg"
expect_grep "confirmation: Auto-Submitted" '^Auto-Submitted: auto-generated$' "$TMP/msg"
expect_grep "confirmation: multipart like the newsletter" '^type: multipart/alternative$' "$TMP/msg"
expect_grep "confirmation: the link in the text and the HTML" '^text links: 1 html links: 1 same: True$' "$TMP/msg"
expect_grep "confirmation: or simply reply" '^reply sentence: True$' "$TMP/msg"
expect_grep "confirmation: the reference a reply quotes" '^marker: True$' "$TMP/msg"
expect_grep "confirmation: says how long the link holds" '^days: True$' "$TMP/msg"
expect_grep "confirmation: envelope sender, the bounce address" '^Return-Path: <infolettre-bounces@example.org>' "$MSG"
LINK=$(awk '$1 == "LINK" { print $2 }' "$TMP/msg")
CTOK=${LINK##*c=}

# --- the same answer whoever the address is ------------------------------------------
post new@example.org "Nouvelle Abonnée"
cp "$TMP/b" "$TMP/answer.pending"
post active@example.org
cp "$TMP/b" "$TMP/answer.active"
post left@example.org
cp "$TMP/b" "$TMP/answer.left"
post nobody@nowhere.example.net
cp "$TMP/b" "$TMP/answer.unknown"
expect_same "same answer: new and pending" "$TMP/answer.new" "$TMP/answer.pending"
expect_same "same answer: new and active" "$TMP/answer.new" "$TMP/answer.active"
expect_same "same answer: new and unsubscribed" "$TMP/answer.new" "$TMP/answer.left"
expect_same "same answer: new and unknown" "$TMP/answer.new" "$TMP/answer.unknown"
expect "pending again within resend_hours: no second message" 1 "$(outbox_to new@example.org)"
expect "active: no message" 0 "$(outbox_to active@example.org)"
expect "active: still active" active "$(state active@example.org)"
expect "unsubscribed: a confirmation message" 1 "$(outbox_to left@example.org)"
expect "unsubscribed: stays unsubscribed until confirmed" unsubscribed "$(state left@example.org)"

# --- not an address: the form again, with what is wrong ---------------------------------
post "pas une adresse" "X"
expect "malformed address: 400" 400 "$CODE"
expect_grep "malformed address: says so" "Cette adresse électronique n&#39;est pas valide" "$TMP/b"
expect_grep "malformed address: the form again, its value kept" 'value="pas une adresse"' "$TMP/b"
post "zoé@example.org"
expect "non-ASCII local part: 400" 400 "$CODE"

# --- robots -------------------------------------------------------------------
n0=$(outbox_all)
req --data-urlencode "email=bot1@example.org" --data-urlencode "website=http://spam.example" \
	--data-urlencode "ts=$STAMP" "$SUB"
expect "honeypot filled: the same answer" "$(cat "$TMP/answer.new")" "$(cat "$TMP/b")"
expect "honeypot filled: no subscriber" "" "$(state bot1@example.org)"
req "$SUB"
FRESH=$(grep -oE 'name="ts" value="[^"]*"' "$TMP/b" | sed 's/.*value="//; s/"$//')
req --data-urlencode "email=bot2@example.org" --data-urlencode "ts=$FRESH" "$SUB"
expect "too fast: the same answer" "$(cat "$TMP/answer.new")" "$(cat "$TMP/b")"
expect "too fast: no subscriber" "" "$(state bot2@example.org)"
req --data-urlencode "email=bot3@example.org" --data-urlencode "ts=1000000000.aaaaaaaaaaaaaaaa" "$SUB"
expect "forged time: no subscriber" "" "$(state bot3@example.org)"
req --data-urlencode "email=bot4@example.org" "$SUB"
expect "no time at all: no subscriber" "" "$(state bot4@example.org)"
expect "robots: nothing sent" "$n0" "$(outbox_all)"
expect_grep "robots: the server's log says why, without the address" 'subscribe: a post dropped \(honeypot field filled\)' "$TMP/cgi.err"
expect_nogrep "robots: no address in the log" 'bot[0-9]@' "$TMP/cgi.err"
head -c 9000 /dev/zero | tr '\0' a | sed 's/^/email=big%40example.org\&x=/' > "$TMP/big"
req -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$TMP/big" "$SUB"
expect "a body over the cap: 413" 413 "$CODE"
expect "a body over the cap: nobody" "" "$(state big@example.org)"

# --- 50 posts for one address: one message ------------------------------------------
seq 50 | xargs -P 10 -I{} "${CURL[@]}" -o /dev/null --data-urlencode "email=flood@example.org" \
	--data-urlencode "ts=$STAMP" "$SUB"
expect "50 posts for one address: one message" 1 "$(outbox_to flood@example.org)"
expect "50 posts for one address: pending" pending "$(state flood@example.org)"

# --- the confirmation link: GET changes nothing ------------------------------------------
req "$LINK"
expect "GET link: 200" 200 "$CODE"
expect_grep "GET link: a button" '<button type="submit">Confirmer mon abonnement</button>' "$TMP/b"
expect_grep "GET link: the button posts the token" "<input type=\"hidden\" name=\"c\" value=\"$CTOK\">" "$TMP/b"
expect_grep "GET link: masked address" 'n\*\*\*@example\.org' "$TMP/b"
expect_nogrep "GET link: no full address" 'new@example' "$TMP/b"
req -I "$LINK"
expect "HEAD link: 200" 200 "$CODE"
expect "GET and HEAD: still pending" pending "$(state new@example.org)"

# --- forged, expired and crossed tokens: 400, nothing changes ---------------------------
bad=${CTOK:0:20}$( [ "${CTOK:20:1}" = a ] && echo b || echo a )${CTOK:21}
req "$SUB?c=$bad"
expect "forged token: 400" 400 "$CODE"
expect_grep "forged token: says to fill the form again" 'Remplissez à nouveau le formulaire' "$TMP/b"
req --data-urlencode "c=$bad" --data-urlencode "confirm=1" "$SUB"
expect "forged token POST: 400" 400 "$CODE"
OLD=$("$TOOL" "$CONF" confirm-token new@example.org today-1)
req --data-urlencode "c=$OLD" --data-urlencode "confirm=1" "$SUB"
expect "expired token: 400" 400 "$CODE"
TODAY=$("$TOOL" "$CONF" confirm-token new@example.org today)
req "$SUB?c=$TODAY"
expect "a token expiring today still holds (GET)" 200 "$CODE"
UTOK=$("$TOOL" "$CONF" tokens | awk -F'\t' '$1 == "new@example.org" { print $2 }')
req --data-urlencode "c=$UTOK" --data-urlencode "confirm=1" "$SUB"
expect "an unsubscribe token used to confirm: 400" 400 "$CODE"
req --data-urlencode "t=$CTOK" --data-urlencode "confirm=1" "$UNSUB"
expect "a confirmation token used to unsubscribe: 400" 400 "$CODE"
req -d "List-Unsubscribe=One-Click" "$UNSUB?t=$CTOK"
expect "a confirmation token used for one-click: 400" 400 "$CODE"
expect "crossed and forged tokens: still pending" pending "$(state new@example.org)"
AUTOK=$("$TOOL" "$CONF" tokens | awk -F'\t' '$1 == "active@example.org" { print $2 }')
req --data-urlencode "c=$AUTOK" --data-urlencode "confirm=1" "$SUB"
expect "an active subscriber's unsubscribe token on the form: 400" 400 "$CODE"
expect "and it stays active" active "$(state active@example.org)"

# --- the button, pressed in Chromium --------------------------------------------------
for p in "${CHROMIUM:-/usr/bin/chromium}" "${CHROMEDRIVER:-/usr/bin/chromedriver}"; do
	[ -x "$p" ] || { fail "browser" "$p is not installed (tests/deps.sh)"; exit 1; }
done
$FORMTOOL confirm "$LINK" > "$TMP/browser.confirm" 2> "$TMP/browser.err"
expect "Chromium: the link's page" "h1: Confirmer l'abonnement" "$(sed -n 1p "$TMP/browser.confirm")"
expect "Chromium: its button" "button: Confirmer mon abonnement" "$(sed -n 2p "$TMP/browser.confirm")"
expect "Chromium: after the button" "h1: Abonnement confirmé" "$(sed -n 3p "$TMP/browser.confirm")"
expect "confirmed in the browser: active" active "$(state new@example.org)"
expect "consent: source form" form "$(showf new@example.org source)"
expect "consent: confirmed by web" web "$(showf new@example.org confirmed_by)"
expect_grep "consent: the text's version and sentence" '^1: En vous abonnant, vous acceptez' <(showf new@example.org consent_text)
expect_grep "consent: confirmation time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' <(showf new@example.org confirmed)
expect "consent: the name given on the form" "Nouvelle Abonnée" "$(showf new@example.org name)"
il subscribers show new@example.org > "$TMP/show"
expect_grep "history: the request" $'^change\t[^\t]*\t-\tpending\tform' "$TMP/show"
expect_grep "history: the confirmation" $'^change\t[^\t]*\tpending\tactive\tweb' "$TMP/show"
req "$LINK"
expect "the link again: 200" 200 "$CODE"
expect_grep "the link again: already confirmed" 'Abonnement confirmé' "$TMP/b"
expect_grep "the page after: how to leave" 'Se désinscrire' "$TMP/b"

# The whole way in Chromium, from the site's page that holds the snippet
# of "infolettre form" (served by lighttpd as a static file)...
req "$BASE/index.html"; expect "the site page is served" 200 "$CODE"
$FORMTOOL subscribe "$BASE/index.html" web@example.org "Par Le Navigateur" 0 > "$TMP/browser.sub" 2>> "$TMP/browser.err"
expect "Chromium: the site's page" "h1: Infolettre" "$(sed -n 1p "$TMP/browser.sub")"
expect "Chromium: the honeypot is not displayed" "honeypot displayed: no" "$(sed -n 2p "$TMP/browser.sub")"
expect "Chromium: the answer" "h1: Vérifiez votre messagerie" "$(sed -n 3p "$TMP/browser.sub")"
expect "Chromium: pending" pending "$(state web@example.org)"
expect "Chromium: one message" 1 "$(outbox_to web@example.org)"
WLINK=$(grep -ohE "$SUB\?c=[a-z2-7]{36}" "$(last_to web@example.org)" | head -1)
if [ -z "$WLINK" ]; then
	# quoted-printable may fold the link: decode first
	WLINK=$($PY -c 'import email,email.policy,sys,re; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(re.findall(re.escape(sys.argv[2])+r"\?c=[a-z2-7]{36}", m.get_body(("plain",)).get_content())[0])' "$(last_to web@example.org)" "$SUB")
fi
$FORMTOOL confirm "$WLINK" > "$TMP/browser.confirm2" 2>> "$TMP/browser.err"
expect "Chromium: confirmed" "h1: Abonnement confirmé" "$(sed -n 3p "$TMP/browser.confirm2")"
expect "subscribed in the browser from start to end: active" active "$(state web@example.org)"
# ... and from the endpoint's own form page
$FORMTOOL subscribe "$SUB" web2@example.org "" 2.5 > "$TMP/browser.sub2" 2>> "$TMP/browser.err"
expect "Chromium: the endpoint's form page" "h1: S'abonner" "$(sed -n 1p "$TMP/browser.sub2")"
expect "Chromium: its answer" "h1: Vérifiez votre messagerie" "$(sed -n 3p "$TMP/browser.sub2")"
expect "Chromium: pending from the endpoint's page" pending "$(state web2@example.org)"

# --- confirming by reply: the Maildir inbox --------------------------------------------
# reply FILE TO MESSAGE-ID [HEADER LINE] [BODY]
reply() {
	{
		printf 'From: %s\r\nTo: SSP Hub <news@example.org>\r\n' "$2"
		printf 'Subject: Re: Confirmez votre abonnement\r\n'
		printf 'Date: Sat, 05 Dec 2026 10:00:00 +0100\r\n'
		printf 'Message-ID: <reply-%s@mail.example.org>\r\n' "$RANDOM$RANDOM"
		[ -n "$3" ] && printf 'In-Reply-To: <%s>\r\nReferences: <%s>\r\n' "$3" "$3"
		[ -n "${4:-}" ] && printf '%s\r\n' "$4"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
		printf '%s\r\n' "${5:-Oui, je confirme.}"
	} > "$1"
}
msgid_of() { $PY -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(m["Message-ID"].strip("<>"))' "$1"; }
mkdir -p "$SITE/inbox/new" "$SITE/inbox/cur" "$SITE/inbox/tmp"
LEFT_ID=$(msgid_of "$(last_to left@example.org)")
FLOOD_ID=$(msgid_of "$(last_to flood@example.org)")
reply "$SITE/inbox/new/1.auto" flood@example.org "$FLOOD_ID" "Auto-Submitted: auto-replied" "Je suis absent."
il replies > "$TMP/replies.1" 2>&1
expect "an auto-reply never confirms" pending "$(state flood@example.org)"
reply "$SITE/inbox/new/2.reply" "Ex Abonné <left@example.org>" "$LEFT_ID"
il replies > "$TMP/replies.2" 2>&1
expect "a reply confirms: the unsubscribed one is active again" active "$(state left@example.org)"
expect "a reply confirms: by reply" reply "$(showf left@example.org confirmed_by)"
expect_grep "replies says it" 'subscription confirmed: left@example\.org; confirmed by a reply, token in In-Reply-To' "$TMP/replies.2"
expect_grep "replies' summary counts it" '^subscribe: 1 \(1 subscribed\)' "$TMP/replies.2"
il replies classify "$SITE/inbox/cur/"*2.reply* > "$TMP/classify" 2>&1
expect_grep "replies classify: subscribe" $'\tsubscribe\t' "$TMP/classify"
# the reference quoted in the body, no In-Reply-To (a client that drops it)
FTEXT=$($PY -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(m.get_body(("plain",)).get_content())' "$(last_to flood@example.org)" | sed 's/^/> /')
reply "$SITE/inbox/new/3.quoted" flood@example.org "" "" "Oui.
$FTEXT"
il replies > "$TMP/replies.3" 2>&1
expect "the quoted reference confirms" active "$(state flood@example.org)"
expect_grep "the quoted reference: said" 'token in body' "$TMP/replies.3"
# a reply that asks to leave does not confirm
post ask@example.org
ASK_ID=$(msgid_of "$(last_to ask@example.org)")
reply "$SITE/inbox/new/4.stop" ask@example.org "$ASK_ID" "" "Désinscription, merci."
il replies > "$TMP/replies.4" 2>&1
expect "a reply saying désinscription does not confirm" pending "$(state ask@example.org)"
# a forged reference
reply "$SITE/inbox/new/5.forged" ask@example.org "subscribe-20261205t100000.${bad}@example.org"
il replies > "$TMP/replies.5" 2>&1
expect "a forged token in In-Reply-To: not confirmed" pending "$(state ask@example.org)"
expect_grep "a forged token: refused" 'refused, invalid token' "$TMP/replies.5"

# --- confirming by reply: Dovecot over IMAP ----------------------------------------------
if ! dovecot_start; then
	fail "dovecot starts" "$(cat "$DOVE_DIR/stdout" "$DOVE_DIR/dovecot.log" 2>/dev/null | tail -20)"
	exit 1
fi
info "dovecot listens on 127.0.0.1:$DOVE_PORT"
printf '%s\n' "$DOVE_PASS" > "$SITE/imap.pw"
chmod 600 "$SITE/imap.pw"
cp "$CONF" "$TMP/imap.yaml"
sed -i "s|^  url: \"maildir:inbox\"|  url: \"imap://127.0.0.1:$DOVE_PORT/INBOX\"\n  username: $DOVE_USER\n  password_file: $SITE/imap.pw\n  ca_file: $DOVE_CA|" "$TMP/imap.yaml"
sed -i "s|\"subs/|\"$SITE/subs/|; s|\"maildir:outbox\"|\"maildir:$SITE/outbox\"|; s|^issues: \"issues\"|issues: \"$SITE/issues\"|" "$TMP/imap.yaml"
post imap@example.org
IMAP_ID=$(msgid_of "$(last_to imap@example.org)")
reply "$TMP/imap.reply" imap@example.org "$IMAP_ID"
dovecot_drop "$TMP/imap.reply" "1780000001.M1.test"
"$INFOLETTRE" -c "$TMP/imap.yaml" replies > "$TMP/replies.imap" 2>&1
expect "over IMAP: exit 0" 0 $?
expect "over IMAP: the reply confirms" active "$(state imap@example.org)"
expect "over IMAP: by reply" reply "$(showf imap@example.org confirmed_by)"

# --- send: the confirmed ones get the next issue, pending ones never -----------------------
il new 2026-06 > /dev/null 2>&1
il compose 2026-06 > /dev/null 2>&1
expect "compose for the send" 0 $?
post never@example.org
expect "setup: never is pending" pending "$(state never@example.org)"
# a send while forms are posted: pending addresses are never mailed
( for i in $(seq 20); do "${CURL[@]}" -o /dev/null --data-urlencode "email=during$i@example.org" \
	--data-urlencode "ts=$STAMP" "$SUB"; done ) &
POSTER=$!
il send 2026-06 > "$TMP/send.out" 2>&1
expect "send: exit 0" 0 $?
wait "$POSTER"
issue_to() { grep -l -x -F "Delivered-To: $1"$'\r' "$OUTBOX"/new/* 2>/dev/null | xargs -r grep -l '^List-Unsubscribe-Post:' | wc -l; }
expect "send: the one confirmed in the browser gets the issue" 1 "$(issue_to new@example.org)"
expect "send: the one confirmed by reply gets the issue" 1 "$(issue_to left@example.org)"
expect "send: the pending one does not" 0 "$(issue_to never@example.org)"
nd=0
for i in $(seq 20); do nd=$((nd + $(issue_to "during$i@example.org"))); done
expect "send: none of the addresses posted during the send" 0 "$nd"
expect "the posts during the send: pending" pending "$(state during20@example.org)"
expect "the posts during the send: each got its confirmation" 20 "$(grep -l -E $'^Delivered-To: during[0-9]+@example.org\r$' "$OUTBOX"/new/* | wc -l)"
# ... and leaves with the one-click link of that issue
ISSUE=$(grep -l -x -F "Delivered-To: new@example.org"$'\r' "$OUTBOX"/new/* | xargs grep -l '^List-Unsubscribe-Post:' | head -1)
ULINK=$($PY -c 'import email,email.policy,sys,re; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(re.search(r"<(http[^>]*)>", m["List-Unsubscribe"]).group(1))' "$ISSUE")
req -d "List-Unsubscribe=One-Click" "$ULINK"
expect "one-click: 200" 200 "$CODE"
expect "one-click: unsubscribed" unsubscribed "$(state new@example.org)"

# --- consent on record: show, export, import --consent, add --consent ---------------------
il subscribers export > "$TMP/export.csv"
$PY - "$TMP/export.csv" > "$TMP/export.out" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
for r in rows:
    if r["email"] in ("web@example.org", "left@example.org", "active@example.org"):
        print(r["email"], r["source"], r["consent_text"][:20], bool(r["confirmed"]), r["confirmed_by"])
EOF
expect "export: consent columns" "active@example.org cli  False 
left@example.org form 1: En vous abonnant, True reply
web@example.org form 1: En vous abonnant, True web" "$(sort "$TMP/export.out")"
printf 'email,name\nimported@example.org,Imp\n' > "$TMP/in.csv"
il subscribers import "$TMP/in.csv" --consent "salon 2026, formulaire papier v2" > /dev/null
expect "import --consent: recorded" "salon 2026, formulaire papier v2" "$(showf imported@example.org consent_text)"
expect "import: not confirmed by opt-in" "-" "$(showf imported@example.org confirmed)"
il subscribers add added@example.org --consent "oral, JDOS 2026" > /dev/null
expect "add --consent: recorded" "oral, JDOS 2026" "$(showf added@example.org consent_text)"
expect "add: source cli" cli "$(showf added@example.org source)"

# --- a forgotten address subscribes again: only the confirmation brings it back --------------
il subscribers remove gone@example.org --forget > /dev/null 2>&1
il subscribers add gone@example.org > /dev/null 2>&1
expect "forgotten: add refuses it" "" "$(state gone@example.org)"
post gone@example.org
expect "forgotten: the form makes it pending" pending "$(state gone@example.org)"
GLINK=$($PY -c 'import email,email.policy,sys,re; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(re.findall(re.escape(sys.argv[2])+r"\?c=[a-z2-7]{36}", m.get_body(("plain",)).get_content())[0])' "$(last_to gone@example.org)" "$SUB")
req --data-urlencode "confirm=1" "$GLINK"
expect "forgotten: the button confirms" active "$(state gone@example.org)"
il subscribers remove gone@example.org > /dev/null
il subscribers add gone@example.org > /dev/null 2>&1
expect "forgotten then confirmed: no longer suppressed (add --resubscribe not needed after a confirmation)" unsubscribed "$(state gone@example.org)"

# --- never confirmed: erased after pending_days, the log keeps only that --------------------
DB=$SITE/subs/subscribers.db
sqlite3 "$DB" "UPDATE optin SET requested = requested - 40*86400 WHERE subscriber = (SELECT id FROM subscribers WHERE email = 'never@example.org')"
sqlite3 "$DB" "UPDATE subscribers SET status_time = status_time - 40*86400 WHERE email = 'never@example.org'"
n_pending=$(il subscribers list --status pending | wc -l)
il subscribers purge > "$TMP/purge"
expect "purge: says how many" "purge: 1 pending subscriber erased, never confirmed in 30 days" "$(cat "$TMP/purge")"
expect "purge: the old request is gone" "" "$(state never@example.org)"
expect "purge: the recent ones stay" "$((n_pending - 1))" "$(il subscribers list --status pending | wc -l)"
expect "purge: nothing of the address left" 0 "$(sqlite3 "$DB" ".dump" | grep -c 'never@example.org')"
expect "purge: the log keeps that it happened" "pending, never confirmed|1" "$(sqlite3 "$DB" 'SELECT reason, count FROM erasures')"
sqlite3 "$DB" "UPDATE optin SET requested = requested - 40*86400 WHERE subscriber = (SELECT id FROM subscribers WHERE email = 'during1@example.org')"
sqlite3 "$DB" "UPDATE subscribers SET status_time = status_time - 40*86400 WHERE email = 'during1@example.org'"
il replies > "$TMP/replies.purge" 2>&1
expect_grep "replies purges too" '^erased 1 pending subscriber never confirmed' "$TMP/replies.purge"
expect "replies purge: gone" "" "$(state during1@example.org)"

# --- the hourly cap, and English, through the CGI run directly --------------------------------
CAP=$TMP/cap
mkdir -p "$CAP"
conf "$CAP/infolettre.yaml" en "hourly_cap: 3"
"$INFOLETTRE" -c "$CAP/infolettre.yaml" form > "$CAP/form.html"
sleep 2.1
CSTAMP=$(grep -oE 'name="ts" value="[^"]*"' "$CAP/form.html" | sed 's/.*value="//; s/"$//')
cgi() {
	local body=$1
	env -i "${SAN_ENV[@]}" INFOLETTRE_CONFIG="$CAP/infolettre.yaml" REQUEST_METHOD=POST \
		CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#body} \
		SCRIPT_NAME=/inscription PATH="$PATH" "$INFOLETTRE" cgi <<< "$body"
}
for i in 1 2 3 4 5; do
	cgi "email=cap$i%40example.org&ts=$CSTAMP" > "$CAP/answer.$i" 2> "$CAP/err.$i"
done
expect "hourly cap: three messages" 3 "$(ls "$CAP/outbox/new" | wc -l)"
expect "hourly cap: the same answer over the cap" "$(tail -n +2 "$CAP/answer.1")" "$(tail -n +2 "$CAP/answer.5")"
expect_grep "hourly cap: logged" 'subscribe\.hourly_cap \(3\) reached' "$CAP/err.5"
expect_grep "English answer" 'If this address can be subscribed, a message is on its way' "$CAP/answer.1"
expect_grep "English message" '^Subject: Confirm your subscription to =\?utf-8\?|^Subject: Confirm your subscription to' "$(ls -d "$CAP/outbox/new/"* | head -1)"
