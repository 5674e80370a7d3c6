#!/bin/sh
# Install the Debian packages the build and the tests need, once.
set -e
PKGS="gcc g++ make pkg-config tzdata ca-certificates
libcurl4-gnutls-dev libetpan-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
libyaml-dev libctemplate-dev libsqlite3-dev libgnutls28-dev libssl-dev libcsv-dev
libidn2-dev libvips-dev
sqlite3 python3 curl postfix python3-aiosmtpd dovecot-imapd lighttpd
python3-dkim python3-nacl python3-icalendar python3-feedparser tidy spamassassin openssl
clang libclang-rt-14-dev
chromium chromium-driver fonts-liberation
nginx fcgiwrap systemd debhelper lintian strace"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "infolettre: installing:$missing" >&2
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
