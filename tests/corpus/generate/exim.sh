#!/bin/bash
# Generate real Exim 4 bounces and delay warnings on loopback, like
# postfix.sh: Debian's exim4-daemon-light, unpacked from its .deb into a
# private folder (it cannot be installed beside Postfix), runs with its own
# configuration (exim.conf.in) in a private mount namespace where the
# Debian-exim user exists; it refuses unknown local users, full mailboxes,
# a refused domain, and relays remote.example.org to remote_smtpd.py.
# The reports land in a Maildir and are copied to ../gen-exim-*.eml.
# Run as root; needs libidn12 (exim's library) installed. Not run by CI: the captured messages are committed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
D=$(mktemp -d /tmp/corpus-exim.XXXXXX)
R=$D/root
chmod 755 "$D"
mkdir -p "$D/deb" "$R"
(cd "$D/deb" && apt-get download exim4-daemon-light exim4-base >/dev/null 2>&1)
for p in "$D"/deb/*.deb; do dpkg -x "$p" "$R"; done
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); RPORT=$(free_port); CPORT=$(free_port)
mkdir -p "$D/spool" "$D/log" "$D/mail/bounces"
chown -R nobody:nogroup "$D/spool" "$D/log" "$D/mail"
sed -e "s|@D@|$D|g; s|@PORT@|$PORT|; s|@RPORT@|$RPORT|; s|@CPORT@|$CPORT|" "$HERE/exim.conf.in" > "$D/exim.conf"
cp /etc/passwd "$D/passwd"; cp /etc/group "$D/group"
echo "Debian-exim:x:65534:65534::/nonexistent:/usr/sbin/nologin" >> "$D/passwd"
echo "Debian-exim:x:65534:" >> "$D/group"
# a mailbox already over its 2K quota
head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1s/^/From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n/' > "$D/mail/full"
chown nobody:nogroup "$D/mail/full"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
"$HERE/remote_smtpd.py" "$RPORT" mx.remote.example.org & PIDS+=($!)
unshare -m sh -c "mount --bind $D/passwd /etc/passwd && mount --bind $D/group /etc/group &&
	mount --bind $R/usr/sbin /usr/sbin && exec /usr/sbin/exim4 -C $D/exim.conf -bdf -q1s" & PIDS+=($!)
sleep 2

S="$HERE/submit.py"
send() { "$S" "$PORT" "bounces+$1@lists.example.net" "$2" "${3:-}" "${4:-}" 2>/dev/null || echo "submit $1 failed" >&2; }
send local-unknown ghost@example.net FULL
send local-unknown-hdrs ghost@example.net HDRS "FAILURE"
send local-two-unknown "ghost1@example.net,ghost2@example.net"
send local-quota full@example.net "" "FAILURE,DELAY"
send local-refused-domain user@refused.example.org
send conn-refused user@closed.example.org
for k in unknown nosuchuser unavailable notexist disabled full relay policy nocode moved \
	gmailnouser yahoonouser o365nouser outlooknouser mailrunouser yandexnouser gmxnouser mimecastnouser spam \
	comcastnouser icloudnouser zohonouser o365blocked o365edge gmaildisabled gmailinactive \
	orangenouser gmxnotfound protonnouser sfrnouser barracudanouser disabledmailbox quotaexceeded hostunknown toobig; do
	send "remote-$k" "$k.person@remote.example.org"
done
send remote-content "content.person@remote.example.org"
send remote-mixed "unknown.anna@remote.example.org,full.bob@remote.example.org,ok.carl@remote.example.org"
for k in overquota greylist tempfail gmailquota ratelimit yahoodeferred relaytemp mailboxbusy; do
	send "remote-$k" "$k.person@remote.example.org"
done
send remote-mixed-temp "unknown.dora@remote.example.org,greylist.eve@remote.example.org"
send remote-dsn-delay "tempfail.fred@remote.example.org" HDRS "FAILURE,DELAY"
sleep 45
n=0
declare -A seen
for f in $(ls -tr "$D"/mail/bounces/new/*); do
	tok=$(sed -n 's/^Envelope-to: bounces+\([^@]*\)@.*/\1/p' "$f" | head -1)
	subj=$(grep -m1 '^Subject:' "$f")
	case "$subj" in
	*"Warning: message"*|*[Dd]elay*) name="gen-exim-$tok-delay.eml" ;;
	*) name="gen-exim-$tok.eml" ;;
	esac
	i=2
	while [ -n "${seen[$name]:-}" ]; do
		name="${name%.eml}"; name="${name%-[0-9]}-$i.eml"; i=$((i + 1))
	done
	seen[$name]=1
	cp "$f" "$OUT/$name"
	n=$((n + 1))
done
echo "exim: $n reports written to $OUT" >&2
