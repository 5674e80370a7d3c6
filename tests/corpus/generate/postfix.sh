#!/bin/bash
# Generate real Postfix bounces and delay warnings on loopback: a private
# Postfix instance (postfix -c DIR) delivers to virtual mailboxes of
# example.net, relays remote.example.org to remote_smtpd.py (which refuses
# recipients the way real servers do), refuses or defers whole domains, and
# writes its reports to bounces@lists.example.net, whose Maildir we copy
# into ../gen-postfix-*.eml. Run as root; needs postfix and python3-aiosmtpd.
# Not run by CI: the captured messages are committed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
D=$(mktemp -d /tmp/corpus-postfix.XXXXXX)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); RPORT=$(free_port); CPORT=$(free_port)
PIDS=()
cleanup() {
	postfix -c "$D" stop >/dev/null 2>&1 || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

mkdir -p "$D/mail/lists.example.net" "$D/mail/example.net"
chown -R 65534:65534 "$D/mail"
# master.cf: Debian's, without chroot, and smtpd on our port only
sed -E -e 's/^smtp( +)inet/127.0.0.1:'"$PORT"'\1inet/' /etc/postfix/master.cf |
	awk '/^[^# \t]/ && NF >= 8 { $5 = "n" } { print }' > "$D/master.cf"
cat > "$D/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
maillog_file = $D/maillog
maillog_file_prefixes = /tmp
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.net
mydomain = example.net
myorigin = example.net
mydestination =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_reject_unlisted_recipient = no
recipient_delimiter = +
virtual_mailbox_domains = example.net lists.example.net
virtual_mailbox_base = $D/mail
virtual_mailbox_maps = texthash:$D/vmailbox
virtual_alias_maps = texthash:$D/valias
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 4000
message_size_limit = 4000
transport_maps = texthash:$D/transport
smtp_connect_timeout = 2s
delay_warning_time = 4s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 3s
maximal_queue_lifetime = 14s
bounce_queue_lifetime = 14s
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtputf8_enable = no
CF
cat > "$D/vmailbox" <<CF
bounces@lists.example.net lists.example.net/bounces/
alice@example.net example.net/alice/
full@example.net example.net/full
CF
cat > "$D/valias" <<CF
CF
cat > "$D/transport" <<CF
remote.example.org smtp:[127.0.0.1]:$RPORT
closed.example.org smtp:[127.0.0.1]:$CPORT
refused.example.org error:5.7.1 Mail for this domain is refused by the administrator
gone.example.org error:This domain no longer accepts mail
suspended.example.org retry:4.3.2 Mailbox server temporarily suspended for maintenance
CF
# a mailbox file already at its size limit: the next delivery fails (EFBIG)
head -c 3990 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1s/^/From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n/' > "$D/mail/example.net/full"
chown 65534:65534 "$D/mail/example.net/full"

"$HERE/remote_smtpd.py" "$RPORT" mx.remote.example.org & PIDS+=($!)
mkdir -p "$D/queue" "$D/data"
script -qec "postfix -c $D set-permissions create-missing" /dev/null && script -qec "postfix -c $D check" /dev/null
script -qec "postfix -c $D start" /dev/null
sleep 2

S="$HERE/submit.py"
send() { "$S" "$PORT" "bounces+$1@lists.example.net" "$2" "${3:-}" "${4:-}" "${5:-Infolettre du SSP Hub - juin 2026}" || echo "submit $1 failed" >&2; }
send local-unknown nobody-here@example.net FULL
send local-unknown-hdrs ghost@example.net HDRS
send local-two-unknown "ghost1@example.net,ghost2@example.net"
send local-quota full@example.net
send local-refused-domain user@refused.example.org
send local-gone-domain user@gone.example.org
send local-suspended user@suspended.example.org FULL "FAILURE,DELAY"
send conn-refused user@closed.example.org "" "FAILURE,DELAY"
for k in unknown nosuchuser unavailable notexist disabled full relay policy nocode moved \
	gmailnouser yahoonouser o365nouser outlooknouser mailrunouser yandexnouser gmxnouser mimecastnouser spam \
	comcastnouser icloudnouser zohonouser o365blocked o365edge gmaildisabled gmailinactive \
	orangenouser gmxnotfound protonnouser sfrnouser barracudanouser disabledmailbox quotaexceeded hostunknown toobig; do
	send "remote-$k" "$k.person@remote.example.org"
done
send remote-content "content.person@remote.example.org"
send remote-mixed "unknown.anna@remote.example.org,full.bob@remote.example.org,ok.carl@remote.example.org"
for k in overquota greylist tempfail gmailquota ratelimit yahoodeferred relaytemp mailboxbusy; do
	send "remote-$k" "$k.person@remote.example.org" "" "FAILURE,DELAY"
done
send remote-mixed-temp "unknown.dora@remote.example.org,greylist.eve@remote.example.org" HDRS "FAILURE,DELAY"
send remote-delay-only "tempfail.fred@remote.example.org" "" "DELAY"
# a message over the size limit is refused at SMTP time: no bounce; send
# it with the sendmail command so that Postfix itself reports it
"$S" "$PORT" "bounces+remote-notify-never@lists.example.net" "unknown.gil@remote.example.org" "" NEVER
# wait for the expiry bounces of the deferred ones
sleep 40
postqueue -c "$D" -p || true
n=0
declare -A seen
for f in $(ls -tr "$D"/mail/lists.example.net/bounces/new/*); do
	[ -f "$f" ] || continue
	tok=$(sed -n 's/^Delivered-To: bounces+\([^@]*\)@.*/\1/p' "$f" | head -1)
	subj=$(grep -m1 '^Subject:' "$f")
	case "$subj" in
	*Delayed*) name="gen-postfix-$tok-delay.eml" ;;
	*) name="gen-postfix-$tok.eml" ;;
	esac
	i=2
	while [ -e "$OUT/$name" ] && [ -n "${seen[$name]:-}" ]; do
		name="${name%.eml}"; name="${name%-[0-9]}-$i.eml"; i=$((i + 1))
	done
	seen[$name]=1
	cp "$f" "$OUT/$name"
	n=$((n + 1))
done
echo "postfix: $n reports written to $OUT" >&2
cp "$D/maillog" "$OUT/generate/postfix.maillog.last" 2>/dev/null || true
