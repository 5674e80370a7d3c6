# tests/imap/dovecot.sh - a Dovecot IMAP server for the tests (sourced after
# tests/lib.sh): its own configuration, passwd-file user, Maildir and
# self-signed certificate under $TMP, listening on 127.0.0.1 only, in the
# foreground (-F) so that its PID (in PIDS) stops it at exit.
#
#	dovecot_start [EXTRA CONFIG LINES...]
#		sets DOVE_DIR, DOVE_MAIL (the user's Maildir), DOVE_PORT
#		(IMAP with STARTTLS), DOVE_SPORT (imaps), DOVE_PID, DOVE_CA
#		(the certificate to trust), DOVE_USER, DOVE_PASS
#	dovecot_stop
#	dovecot_drop FILE NAME	put a message into the Maildir's new/
#	dovecot_flags		"NAME FLAGS" per message, read over IMAP
#				(STARTTLS, the same CA): NAME is the
#				message's Message-ID, FLAGS sorted
#
# As root, Dovecot's login processes must run as an unprivileged user
# (dovenull, from the dovecot-core package) and the mail user cannot be
# root: the Maildir belongs to "nobody" then. Otherwise everything runs as
# the current user.

# dove_wait_listen PORT: until something listens on 127.0.0.1:PORT (10 s),
# read from /proc/net/tcp so that no connection reaches the server.
dove_wait_listen() {
	local hex i
	hex=$(printf ':%04X' "$1")
	for i in $(seq 100); do
		awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			END { exit !f }' /proc/net/tcp && return 0
		sleep 0.1
	done
	return 1
}

dovecot_start() {
	local line uid gid iuser igroup luser
	DOVE_DIR=$TMP/dovecot
	DOVE_MAIL=$DOVE_DIR/mail
	DOVE_USER=reader
	DOVE_PASS='s3cret "pass"'
	mkdir -p "$DOVE_DIR/run" "$DOVE_DIR/state" "$DOVE_DIR/home" \
		"$DOVE_MAIL/new" "$DOVE_MAIL/cur" "$DOVE_MAIL/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$DOVE_DIR/key.pem" -out "$DOVE_DIR/cert.pem" \
		-days 2 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
	DOVE_CA=$DOVE_DIR/cert.pem
	if [ "$(id -u)" -eq 0 ]; then
		uid=$(id -u nobody); gid=$(id -g nobody)
		iuser=dovecot; igroup=dovecot; luser=dovenull
		# the login processes reach the sockets under base_dir
		chmod o+x "$TMP" "$DOVE_DIR"
		chown -R "$uid:$gid" "$DOVE_MAIL" "$DOVE_DIR/home"
	else
		uid=$(id -u); gid=$(id -g)
		iuser=$(id -un); igroup=$(id -gn); luser=$(id -un)
	fi
	DOVE_UID=$uid; DOVE_GID=$gid
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$DOVE_USER" "$DOVE_PASS" \
		"$uid" "$gid" "$DOVE_DIR/home" > "$DOVE_DIR/passwd"
	DOVE_PORT=$(free_port)
	DOVE_SPORT=$(free_port)
	while [ "$DOVE_SPORT" = "$DOVE_PORT" ]; do DOVE_SPORT=$(free_port); done
	{
		cat <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $DOVE_DIR/run
state_dir = $DOVE_DIR/state
instance_name = infolettre-test-$$
default_internal_user = $iuser
default_internal_group = $igroup
default_login_user = $luser
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:$DOVE_MAIL
ssl = yes
ssl_cert = <$DOVE_DIR/cert.pem
ssl_key = <$DOVE_DIR/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
log_path = $DOVE_DIR/dovecot.log
passdb {
  driver = passwd-file
  args = $DOVE_DIR/passwd
}
userdb {
  driver = passwd-file
  args = $DOVE_DIR/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVE_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVE_SPORT
  }
}
service anvil {
  chroot =
}
CONF
		for line in "$@"; do echo "$line"; done
	} > "$DOVE_DIR/dovecot.conf"
	/usr/sbin/dovecot -c "$DOVE_DIR/dovecot.conf" -F \
		> "$DOVE_DIR/stdout" 2>&1 &
	DOVE_PID=$!
	PIDS+=("$DOVE_PID")
	dove_wait_listen "$DOVE_PORT" && dove_wait_listen "$DOVE_SPORT"
}

dovecot_stop() {
	[ -n "${DOVE_PID:-}" ] || return 0
	kill "$DOVE_PID" 2>/dev/null
	wait "$DOVE_PID" 2>/dev/null
	DOVE_PID=
}

dovecot_drop() {
	cp "$1" "$DOVE_MAIL/new/$2"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$DOVE_UID:$DOVE_GID" "$DOVE_MAIL/new/$2"
	fi
}

# dovecot_flags [FOLDER]: one line per message of FOLDER (INBOX), sorted:
# its Message-ID (or "uid:N"), then its flags sorted.
dovecot_flags() {
	$PY - "$DOVE_PORT" "$DOVE_CA" "$DOVE_USER" "$DOVE_PASS" "${1:-INBOX}" <<'PY'
import email, email.policy, imaplib, re, ssl, sys
port, ca, user, pw, folder = sys.argv[1:6]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.starttls(ssl_context=ssl.create_default_context(cafile=ca))
m.login(user, pw)
typ, _ = m.select('"%s"' % folder, readonly=True)
if typ != "OK":
    print("no folder", folder); sys.exit(0)
typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
out = []
for item in data:
    if not isinstance(item, tuple):
        continue
    meta, hdr = item
    flags = re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split()
    uid = re.search(rb"UID (\d+)", meta).group(1).decode()
    mid = email.message_from_bytes(hdr, policy=email.policy.default)["Message-ID"]
    name = str(mid).strip("<> ") if mid else "uid:" + uid
    out.append("%s %s" % (name, " ".join(sorted(f for f in flags if f != "\\Recent")) or "-"))
print("\n".join(sorted(out)))
m.logout()
PY
}
