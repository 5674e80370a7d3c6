# tests/deploy/web.sh - the deployment recipes run for real (sourced after
# tests/lib.sh): the data's owner, fcgiwrap running as that owner behind
# nginx, a lighttpd of its own, and the checks every recipe must pass.
# Each server listens on 127.0.0.1 only and its PID goes into PIDS.
#
#	deploy_owner USER	the data's owner: USER when root (a system
#				user, as infolettre would be), else ourselves;
#				sets OWNER, OWNER_GROUP, WEB_USER, WEB_GROUP
#	as_owner CMD...		run CMD as OWNER (exec: the PID stays CMD's)
#	fcgiwrap_start SOCKET	fcgiwrap as OWNER on SOCKET, which the web
#				server's group may use (as the socket unit does)
#	nginx_start SNIPPET	nginx with SNIPPET in the server block of
#				127.0.0.1:NGINX_PORT; logs in NGINX_DIR
#	lighttpd_start CONF LINES...	lighttpd -D with CONF then LINES
#				(overrides, "key := value"); sets LIGHTTPD_PORT
#	outbox_token DIR EMAIL	the token of EMAIL's message in the Maildir DIR
#	endpoint_checks NAME URL TOKEN STATE-FN	the checks of one recipe

deploy_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		OWNER=$1
		OWNER_GROUP=$(id -gn "$1")
		WEB_USER=www-data
		WEB_GROUP=www-data
		# the servers' users reach what the test made under $TMP
		chmod o+x "$TMP"
	else
		OWNER=$(id -un)
		OWNER_GROUP=$(id -gn)
		WEB_USER=$OWNER
		WEB_GROUP=$OWNER_GROUP
	fi
}

as_owner() {
	if [ "$(id -un)" = "$OWNER" ]; then
		"$@"
	else
		setpriv --reuid="$OWNER" --regid="$OWNER_GROUP" --init-groups -- "$@"
	fi
}

# wait_file FILE: until it exists (10 s at most)
wait_file() {
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

fcgiwrap_start() {
	mkdir -p "$(dirname "$1")"
	chown "$OWNER:$OWNER_GROUP" "$(dirname "$1")"
	chmod 755 "$(dirname "$1")"
	rm -f "$1"
	as_owner /usr/sbin/fcgiwrap -c 4 -s "unix:$1" > "$TMP/fcgiwrap.out" 2>&1 &
	FCGI_PID=$!
	PIDS+=("$FCGI_PID")
	wait_file "$1" || return 1
	# FCGI_PID is the subshell of as_owner; fcgiwrap runs under it and its
	# 4 children outlive a parent stopped by SIGTERM: all five are stopped
	# by their own PIDs (found by the socket, which is this test's own)
	local i procs=()
	for i in $(seq 50); do
		mapfile -t procs < <(pgrep -f -x "/usr/sbin/fcgiwrap -c 4 -s unix:$1")
		[ "${#procs[@]}" -ge 5 ] && break
		sleep 0.1
	done
	PIDS+=("${procs[@]}")
	# what infolettre-fcgiwrap.socket does: SocketGroup=, SocketMode=0660
	chgrp "$WEB_GROUP" "$1" && chmod 660 "$1"
}

nginx_start() {
	local user=""
	NGINX_DIR=$TMP/nginx
	NGINX_PORT=$(free_port)
	mkdir -p "$NGINX_DIR"
	cp /etc/nginx/fastcgi_params "$NGINX_DIR/"
	[ "$(id -u)" -eq 0 ] && user="user $WEB_USER $WEB_GROUP;"
	cat > "$NGINX_DIR/nginx.conf" <<CONF
daemon off;
$user
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log notice;
worker_processes 1;
events { worker_connections 128; }
http {
    access_log $NGINX_DIR/access.log;
    client_body_temp_path $NGINX_DIR/body;
    fastcgi_temp_path $NGINX_DIR/fastcgi;
    proxy_temp_path $NGINX_DIR/proxy;
    uwsgi_temp_path $NGINX_DIR/uwsgi;
    scgi_temp_path $NGINX_DIR/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        include $1;
    }
}
CONF
	/usr/sbin/nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" \
		> "$NGINX_DIR/out" 2>&1 &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	wait_port "$NGINX_PORT"
}

lighttpd_start() {
	local conf=$1 line
	shift
	LIGHTTPD_DIR=$TMP/lighttpd
	LIGHTTPD_PORT=$(free_port)
	mkdir -p "$LIGHTTPD_DIR"
	# its logs are opened once it runs as the owner
	chown "$OWNER:$OWNER_GROUP" "$LIGHTTPD_DIR"
	{
		cat "$conf"
		echo "server.port := $LIGHTTPD_PORT"
		for line in "$@"; do echo "$line"; done
	} > "$LIGHTTPD_DIR/lighttpd.conf"
	/usr/sbin/lighttpd -D -f "$LIGHTTPD_DIR/lighttpd.conf" \
		> "$LIGHTTPD_DIR/out" 2>&1 &
	LIGHTTPD_PID=$!
	PIDS+=("$LIGHTTPD_PID")
	wait_port "$LIGHTTPD_PORT"
}

outbox_token() {
	grep -lE "^Delivered-To: $2[[:space:]]*\$" "$1"/new/* | head -1 |
		xargs sed -n 's/^List-Unsubscribe: <[^>]*?t=\([a-z2-7]*\)>.*/\1/p' | head -1
}

# http NAME CURL-ARGS...: status code in CODE, body in $TMP/body
http() {
	shift
	CODE=$(curl -s --max-time 30 -o "$TMP/body" -w '%{http_code}' "$@")
}

# endpoint_checks NAME URL TOKEN STATE: STATE is a command printing the
# subscriber's "STATUS REASON"; the subscriber must be active at first.
endpoint_checks() {
	local n=$1 url=$2 t=$3 state=$4 forged before
	before=$($state)
	expect "$n: the subscriber is active" active "${before%% *}"
	http get "$url?t=$t"
	expect "$n: GET: 200" 200 "$CODE"
	expect_grep "$n: GET: the confirmation page" 'Me désinscrire' "$TMP/body"
	expect "$n: GET changes nothing" "$before" "$($state)"
	http head -I "$url?t=$t"
	expect "$n: HEAD: 200" 200 "$CODE"
	expect "$n: HEAD changes nothing" "$before" "$($state)"
	forged=$($PY -c 'import random; print("".join(random.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(32)))')
	http forged --data-raw 'List-Unsubscribe=One-Click' "$url?t=$forged"
	expect "$n: forged token: 400" 400 "$CODE"
	expect_grep "$n: forged token: the endpoint's page" 'Lien non valide' "$TMP/body"
	expect_grep "$n: forged token: what to do instead" \
		'répondez à l&#39;un de ses messages avec le mot « désinscription »' "$TMP/body"
	expect_nogrep "$n: forged token: no message to answer on a web page" \
		'répondez à ce message' "$TMP/body"
	# the one-click body plus padding: too large, refused unread
	for size in 9000 40000 1048576; do
		{ printf 'List-Unsubscribe=One-Click&x='; head -c "$size" /dev/zero | tr '\0' a; } > "$TMP/big"
		http big -H 'Content-Type: application/x-www-form-urlencoded' \
			--data-binary @"$TMP/big" "$url?t=$t"
		expect "$n: a body of $size bytes: 413" 413 "$CODE"
		expect "$n: a body of $size bytes changes nothing" "$before" "$($state)"
		[ "$size" = 9000 ] && expect_grep \
			"$n: 9000 bytes: the endpoint's own 413 page" 'Requête refusée' "$TMP/body"
	done
	http one-click --data-raw 'List-Unsubscribe=One-Click' "$url?t=$t"
	expect "$n: one-click POST: 200" 200 "$CODE"
	expect_grep "$n: one-click POST: the page says so" 'Désinscription confirmée' "$TMP/body"
	expect "$n: one-click POST unsubscribes" "unsubscribed one-click" "$($state)"
}
