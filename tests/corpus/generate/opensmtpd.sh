#!/bin/bash
# Generate real OpenSMTPD bounces and delay warnings on loopback, like
# postfix.sh: Debian's opensmtpd package, unpacked from its .deb into a
# private folder (it cannot be installed beside Postfix), runs in a private
# mount namespace (its own /var/spool, /run and the opensmtpd/opensmtpq users),
# relays remote.example.org to remote_smtpd.py and closed.example.org to a
# closed port, and delivers its reports to a Maildir copied into
# ../gen-opensmtpd-*.eml. Run as root. Not run by CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
D=$(mktemp -d /tmp/corpus-opensmtpd.XXXXXX)
chmod 755 "$D"
R=$D/root
mkdir -p "$D/deb" "$R" "$D/spool" "$D/run" "$D/mail/bounces" "$D/varlib/opensmtpd/empty"
(cd "$D/deb" && apt-get download opensmtpd >/dev/null 2>&1)
dpkg -x "$D"/deb/opensmtpd_*.deb "$R"
chown -R nobody:nogroup "$D/mail"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); RPORT=$(free_port); CPORT=$(free_port)
cp /etc/passwd "$D/passwd"; cp /etc/group "$D/group"
echo "opensmtpd:x:65530:65530::/nonexistent:/usr/sbin/nologin" >> "$D/passwd"
echo "opensmtpq:x:65531:65531::/nonexistent:/usr/sbin/nologin" >> "$D/passwd"
echo "opensmtpd:x:65530:" >> "$D/group"; echo "opensmtpq:x:65531:" >> "$D/group"
echo "@lists.example.net nobody" > "$D/vusers"
cat > "$D/smtpd.conf" <<CF
queue ttl 16s
bounce warn-interval 4s
smtp max-message-size 100k
table vusers file:$D/vusers
listen on 127.0.0.1 port $PORT hostname mx.example.net
action "bounces" maildir "$D/mail/bounces" virtual <vusers>
action "remote" relay host smtp://127.0.0.1:$RPORT
action "closed" relay host smtp://127.0.0.1:$CPORT
match from any for domain "lists.example.net" action "bounces"
match from any for domain "remote.example.org" action "remote"
match from any for domain "closed.example.org" action "closed"
CF
chmod 644 "$D/smtpd.conf" "$D/vusers"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
"$HERE/remote_smtpd.py" "$RPORT" mx.remote.example.org & PIDS+=($!)
unshare -m sh -c "mount --bind $D/passwd /etc/passwd && mount --bind $D/group /etc/group &&
	mount --bind $D/spool /var/spool && mount --bind $D/run /run &&
	mount --bind $D/varlib /var/lib &&
	mount --bind $R/usr/libexec /usr/libexec 2>/dev/null;
	exec $R/usr/sbin/smtpd -d -f $D/smtpd.conf" > "$D/smtpd.log" 2>&1 & PIDS+=($!)
sleep 3
S="$HERE/submit.py"
send() { "$S" "$PORT" "bounces+$1@lists.example.net" "$2" "${3:-}" "${4:-}" 2>/dev/null || echo "submit $1 failed" >&2; }
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
send conn-refused user@closed.example.org
sleep 40
n=0
declare -A seen
for f in $(ls -tr "$D"/mail/bounces/new/* 2>/dev/null); do
	tok=$(grep -m1 -o 'bounces+[^@]*@lists' "$f" | sed 's/bounces+//; s/@lists//')
	subj=$(grep -m1 '^Subject:' "$f")
	case "$subj" in
	*[Dd]elay*|*[Ww]arning*) name="gen-opensmtpd-$tok-delay.eml" ;;
	*) name="gen-opensmtpd-$tok.eml" ;;
	esac
	i=2
	while [ -n "${seen[$name]:-}" ]; do name="${name%.eml}"; name="${name%-[0-9]}-$i.eml"; i=$((i + 1)); done
	seen[$name]=1
	cp "$f" "$OUT/$name"
	n=$((n + 1))
done
echo "opensmtpd: $n reports written to $OUT" >&2
[ "$n" -gt 0 ] || cat "$D/smtpd.log" >&2
