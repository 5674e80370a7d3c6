#!/bin/bash
# Generate real Sendmail 8 bounces and delay warnings on loopback, like
# postfix.sh: Debian's sendmail-bin, unpacked from its .deb into a private
# folder (it cannot be installed beside Postfix), runs with its own
# configuration built by m4 from sendmail.mc.in. Messages are submitted on
# its command line; unknown local users bounce at once; everything else goes
# to remote_smtpd.py (the smart host), which refuses or defers recipients the
# way real servers do and also catches the reports Sendmail sends back to
# bounces+TOKEN@lists.example.net. They are copied into ../gen-sendmail-*.eml.
# Run as root; needs m4. Not run by CI: the captured messages are committed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
D=$(mktemp -d /tmp/corpus-sendmail.XXXXXX)
R=$D/root
mkdir -p "$D/deb" "$R" "$D/mqueue" "$D/capture"
chmod 700 "$D/mqueue"
(cd "$D/deb" && apt-get download sendmail-bin sendmail-cf sendmail-base >/dev/null 2>&1)
for p in "$D"/deb/*.deb; do dpkg -x "$p" "$R"; done
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); RPORT=$(free_port)
sed -e "s|@D@|$D|g; s|@R@|$R|g; s|@PORT@|$PORT|; s|@RPORT@|$RPORT|" "$HERE/sendmail.mc.in" > "$D/sendmail.mc"
m4 "$D/sendmail.mc" > "$D/sendmail.cf"
echo "example.net" > "$D/local-host-names"
echo "hosts files" > "$D/service.switch"
echo "127.0.0.1 localhost mx.example.net $(hostname)" > "$D/hosts"
# Sendmail wants a qualified name for this host, and asks DNS for it: give it
# one in a private mount namespace (its own /etc/hosts, no name server)
echo "127.0.0.1 mx.example.net localhost $(hostname)" > "$D/etc-hosts"
echo "nameserver 127.0.0.1" > "$D/etc-resolv.conf"
cat > "$D/sm" <<SM
#!/bin/sh
exec unshare -m sh -c 'mount --bind $D/etc-hosts /etc/hosts &&
	mount --bind $D/etc-resolv.conf /etc/resolv.conf &&
	exec $R/usr/libexec/sendmail/sendmail -C $D/sendmail.cf "\$@"' sendmail "\$@"
SM
chmod +x "$D/sm"
SM="$D/sm"
PIDS=()
cleanup() {
	[ -f "$D/sendmail.pid" ] && kill "$(head -1 "$D/sendmail.pid")" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
"$HERE/remote_smtpd.py" "$RPORT" mx.remote.example.org "$D/capture" & PIDS+=($!)
$SM -bd -q2s
sleep 2
send() { # TOKEN RCPTS [NOTIFY] [RET]
	local tok=$1 rcpts=$2 notify=${3:-} ret=${4:-}
	local opts=(-f "bounces+$tok@lists.example.net" -odb -oem)
	[ -n "$notify" ] && opts+=(-N "$notify")
	[ -n "$ret" ] && opts+=(-R "$ret")
	{
		printf 'From: Infolettre <newsletter@lists.example.net>\nTo: %s\n' "${rcpts//,/, }"
		printf 'Subject: Infolettre du SSP Hub - juin 2026\nDate: %s\n' "$(date -R)"
		printf 'Message-ID: <%s.issue-2026-06@lists.example.net>\n' "$tok"
		printf 'List-Unsubscribe: <mailto:unsubscribe+t0k3n@lists.example.net>\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
		printf 'Bonjour,\n\nVoici les nouvelles du mois.\n'
	} | $SM "${opts[@]}" ${rcpts//,/ } || echo "submit $tok failed" >&2
}
send local-unknown ghost@example.net
send local-unknown-hdrs ghost@example.net failure hdrs
send local-two-unknown "ghost1@example.net,ghost2@example.net"
for k in unknown nosuchuser unavailable notexist disabled full relay policy nocode moved \
	gmailnouser yahoonouser o365nouser outlooknouser mailrunouser yandexnouser gmxnouser mimecastnouser spam \
	comcastnouser icloudnouser zohonouser o365blocked o365edge gmaildisabled gmailinactive \
	orangenouser gmxnotfound protonnouser sfrnouser barracudanouser disabledmailbox quotaexceeded hostunknown toobig; do
	send "remote-$k" "$k.person@remote.example.org"
done
send remote-content "content.person@remote.example.org"
send remote-mixed "unknown.anna@remote.example.org,full.bob@remote.example.org,ok.carl@remote.example.org"
for k in overquota greylist tempfail gmailquota yahoodeferred relaytemp mailboxbusy; do
	send "remote-$k" "$k.person@remote.example.org" "failure,delay"
done
send remote-mixed-temp "unknown.dora@remote.example.org,greylist.eve@remote.example.org" "failure,delay"
sleep 45
n=0
for f in $(ls -tr "$D"/capture/*.eml 2>/dev/null); do
	b=$(basename "$f" .eml); tok=${b%.*}
	subj=$(grep -m1 '^Subject:' "$f")
	case "$subj" in
	*Warning*) name="gen-sendmail-$tok-delay" ;;
	*) name="gen-sendmail-$tok" ;;
	esac
	i=2; base=$name
	while [ -e "$D/seen.$name" ]; do name="$base-$i"; i=$((i + 1)); done
	touch "$D/seen.$name"
	cp "$f" "$OUT/$name.eml"
	n=$((n + 1))
done
echo "sendmail: $n reports written to $OUT" >&2
