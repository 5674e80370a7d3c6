# tests/smtp/servers.sh - start the SMTP servers of the tests (sourced after
# tests/lib.sh). Each server listens on a free port of 127.0.0.1 and its PID
# goes into PIDS, so that lib.sh stops it at exit.

# wait_listen PORT: until something listens on 127.0.0.1:PORT (10 s at most),
# read from /proc/net/tcp so that no test connection reaches the server.
wait_listen() {
	local hex i
	hex=$(printf ':%04X' "$1")
	for i in $(seq 100); do
		awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			END { exit !f }' /proc/net/tcp && return 0
		sleep 0.1
	done
	return 1
}

# sink_start DUMPDIR [smtp-sink options...]: Postfix's smtp-sink, each
# message dumped to a file in DUMPDIR ("-" for none). As root smtp-sink must
# drop to "nobody", which then needs to reach DUMPDIR. Sets SINK_PORT,
# SINK_PID and SINK_OUT (its -c counters).
sink_start() {
	local dir=$1 user=() dump=()
	shift
	if [ "$(id -u)" -eq 0 ]; then
		user=(-u nobody)
		chmod o+x "$TMP"
	fi
	if [ "$dir" != "-" ]; then
		mkdir -p "$dir"
		chmod 0777 "$dir"
		dump=(-d "$dir/%M.")
	fi
	SINK_PORT=$(free_port)
	SINK_OUT=$TMP/sink.$SINK_PORT.out
	/usr/sbin/smtp-sink "${user[@]}" -c "${dump[@]}" "$@" \
		"127.0.0.1:$SINK_PORT" 128 > "$SINK_OUT" 2>&1 &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	wait_listen "$SINK_PORT"
}

# sink_count NAME: the last value of smtp-sink's counter NAME (sess, quit,
# mesg) in SINK_OUT; sessions are counted when they end.
sink_count() {
	tr '\r' '\n' < "$SINK_OUT" | grep -o "$1=[0-9]*" | tail -1 | cut -d= -f2
}

# fault_start CONFIG.json: tests/smtp/fault_server.py with that script (its
# "port" key says where). Sets FAULT_PORT and FAULT_PID.
fault_start() {
	local log i
	FAULT_PORT=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$1")
	log=$TMP/fault.$FAULT_PORT.log
	$PY "$ROOT/tests/smtp/fault_server.py" "$1" > "$log" 2>&1 &
	FAULT_PID=$!
	PIDS+=("$FAULT_PID")
	for i in $(seq 100); do
		grep -q '^listening' "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# cert_make DIR: a self-signed certificate for 127.0.0.1 and localhost,
# DIR/cert.pem and DIR/key.pem.
cert_make() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 \
		-subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
}

# site_conf URL [transport lines...]: on stdout, a configuration for the
# sample site (tests/site), its store in subs/ and its issues in issues/
# (relative to the file), sending to URL with the LINES under transport.
site_conf() {
	local url=$1 line
	shift
	cat <<-EOF
	newsletter:
	  title: "Infolettre du SSP Hub"
	  from: "SSP Hub <infolettre@ssphub.example.fr>"
	  reply_to: "infolettre@ssphub.example.fr"
	  list_id: "infolettre.ssphub.example.fr"
	  language: fr
	  timezone: Europe/Paris
	site:
	  root: "$ROOT/tests/site"
	  base_url: "https://ssphub.netlify.app/"
	  posts: ["blog", "content/post"]
	  events: ["event", "content/event"]
	  archive_url: "https://ssphub.netlify.app/infolettre/{month}/"
	unsubscribe:
	  url: "https://ssphub.example.fr/desinscription"
	  mailto: "infolettre-unsubscribe@ssphub.example.fr"
	  bounce: "infolettre-bounces@ssphub.example.fr"
	subscribers:
	  database: "subs/subscribers.db"
	  secret_file: "subs/secret.key"
	issues: "issues"
	templates: "$ROOT/templates"
	transport:
	  url: "$url"
	EOF
	for line in "$@"; do printf '  %s\n' "$line"; done
}

# send_setup NAME URL [transport lines...]: $TMP/NAME with site_conf's
# configuration (starttls: false, concurrency: 4, retries: 3 and
# retry_delay: 0.2 unless LINES set them), a copy of issues/2026-06
# (without its composed files) and an empty store; echoes the
# configuration file.
send_setup() {
	local dir=$TMP/$1 url=$2 line
	local -a lines=()
	shift 2
	mkdir -p "$dir/issues"
	cp -R "$ROOT/issues/2026-06" "$dir/issues/"
	rm -f "$dir/issues/2026-06/"*.html "$dir/issues/2026-06/"*.txt \
		"$dir/issues/2026-06/"*.eml "$dir/issues/2026-06/"*.ics
	# defaults for what the caller does not give
	for line in "starttls: false" "concurrency: 4" "retries: 3" \
	    "retry_delay: 0.2"; do
		printf '%s\n' "$@" | grep -q "^${line%%:*}:" || lines+=("$line")
	done
	site_conf "$url" "${lines[@]}" "$@" > "$dir/conf.yaml"
	echo "$dir/conf.yaml"
}
