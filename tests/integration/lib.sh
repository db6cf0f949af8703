# Shared helpers for snare's integration tests (sourced).  Each test prints
# "ok NAME", "not ok NAME: why" or "skip NAME: why"; tests/run.sh counts them.
# Only loopback addresses (and namespaces the tests create) are ever used.
set -u
SNARE_BIN=${SNARE_BIN:-$PWD/build/check/snare}
SNARE_ROOT=${SNARE_ROOT:-$PWD}
T=$(mktemp -d /tmp/snare-it.XXXXXX)
chmod 755 "$T"
PIDS=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
skip() { echo "skip $1: $2"; }
# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "command failed: $*"; fi
}
need_root() { [ "$(id -u)" -eq 0 ]; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for FILE PATTERN [SECONDS]
wait_for() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
	local i
	for i in $(seq 1 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# origin_cert [SAN...]: $T/origin.crt and .key for localhost, 127.0.0.1 and
# the extra subjectAltNames given (e.g. DNS:client.test IP:::1); sets ORIGIN_CERT.
origin_cert() {
	local san="DNS:localhost,IP:127.0.0.1" x
	for x in "$@"; do san="$san,$x"; done
	ORIGIN_CERT=$T/origin.crt
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/origin.key" -out "$ORIGIN_CERT" -days 2 \
		-subj "/CN=localhost/O=snare test origin" -addext "subjectAltName=$san" 2>/dev/null
}

# start_origin [--tls]: sets ORIGIN_PORT (and ORIGIN_CERT with --tls; an
# origin_cert made earlier is used).
start_origin() {
	local port log
	port=$(free_port)
	log=$T/origin-$port.log
	if [ "${1:-}" = --tls ]; then
		ORIGIN_CERT=$T/origin.crt
		[ -f "$ORIGIN_CERT" ] || origin_cert
		python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port "$port" \
			--tls "$ORIGIN_CERT" "$T/origin.key" >"$log" 2>&1 &
	else
		python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port "$port" >"$log" 2>&1 &
	fi
	PIDS+=($!)
	wait_for "$log" ready 10 || { echo "origin did not start"; cat "$log"; return 1; }
	ORIGIN_PORT=$port
}

# start_snare ARGS...: starts snare with a fresh conf dir; sets SNARE_PID,
# SNARE_PORT (from the listening line), SNARE_LOG, SNARE_CONF.
start_snare() {
	SNARE_CONF=$T/conf.$RANDOM
	SNARE_LOG=$T/snare.$RANDOM.log
	"$SNARE_BIN" --set confdir="$SNARE_CONF" "$@" >"$SNARE_LOG" 2>&1 &
	SNARE_PID=$!
	PIDS+=($SNARE_PID)
	if ! wait_for "$SNARE_LOG" "listening at" 15; then
		echo "snare did not start:"; cat "$SNARE_LOG"; return 1
	fi
	SNARE_PORT=$(grep -m1 -oE 'listening at [^ ]*:[0-9]+' "$SNARE_LOG" | grep -oE '[0-9]+$')
	wait_for "$SNARE_CONF/snare-ca-cert.pem" "" 10 2>/dev/null || true
	for _ in $(seq 1 40); do [ -f "$SNARE_CONF/snare-ca-cert.pem" ] && break; sleep 0.05; done
}

# stop_snare: SIGTERM, waits; sets SNARE_RC.
stop_snare() {
	kill -TERM "$SNARE_PID" 2>/dev/null
	wait "$SNARE_PID"
	SNARE_RC=$?
}

# The ca and workers are the spawner's children (the spawner is the coordinator's).
snare_children() {
	local s
	s=$(pgrep -P "$1" -f -- '--role spawner' 2>/dev/null)
	pgrep -P "${s:-$1}" 2>/dev/null
}

# worker_of PID: the (first) worker of the snare started as PID.
worker_of() {
	local s
	s=$(pgrep -P "$1" -f -- '--role spawner' 2>/dev/null)
	pgrep -P "${s:-$1}" -f -- '--role worker' 2>/dev/null | head -1
}

proxy_curl() { curl -sS --max-time 20 -x "http://127.0.0.1:$SNARE_PORT" "$@"; }

# one_line_exit1 NAME PATTERN ARGS...: snare with ARGS exits 1 with one
# line of output, matching PATTERN (a bad option or file).
one_line_exit1() {
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$SNARE_BIN" --set confdir="$T/conf-exit1" "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		printf '%s\n' "$out" | grep -q -- "$pat"; then
		ok "$name"
	else
		notok "$name" "rc=$rc output: $out"
	fi
}

# Absence tests must be able to fail: see the thing first, in the same run.
# absent_within SECONDS CMD...: true once CMD fails (polled every 50 ms).
absent_within() {
	local i n=$(($1 * 20))
	shift
	for i in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 || return 0
		sleep 0.05
	done
	return 1
}
# present_then_absent NAME SECONDS PROBE ACTION: PROBE (a command line) must
# succeed, then ACTION (the stop or kill) runs, then PROBE must fail within
# SECONDS.  Both are eval'ed in this shell, so ACTION may set variables.
present_then_absent() {
	if ! eval "$3" >/dev/null 2>&1; then
		notok "$1" "not there before the stop, so its absence would prove nothing: $3"
		return 1
	fi
	eval "$4"
	if absent_within "$2" eval "$3"; then ok "$1"; else
		notok "$1" "still there ${2}s after: $4"; return 1; fi
}
# pid_alive PID: the process exists and is not a zombie awaiting its parent.
pid_alive() { [ -e /proc/"$1" ] && ! grep -qE '^State:\s+Z' /proc/"$1"/status 2>/dev/null; }
# descendants PID: every process below PID, one a line.
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
# any_alive PID...: true while one of them runs.
any_alive() { local p; for p in "$@"; do pid_alive "$p" && return 0; done; return 1; }
# bpf_link_progs PID: the ids of the programs PID's bpf_links attach.
bpf_link_progs() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = anon_inode:bpf_link ] &&
			awk '$1 == "prog_id:" {print $2}' /proc/"$1"/fdinfo/"${f##*/}" 2>/dev/null
	done
}
# progs_attached CGROUP ID...: how many of these program ids CGROUP lists.
progs_attached() {
	local cg=$1
	shift
	bpftool cgroup show "$cg" 2>/dev/null | awk -v ids=" $* " 'NR > 1 && index(ids, " " $1 " ") {n++} END {print n + 0}'
}
# udp_port: a free UDP port on 127.0.0.1.
udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# quic_test_certs SAN: a CA ($T/ca.pem, ca.key) and a leaf for quic.test ($T/leaf.pem,
# leaf.key; EC P-256, as the ca would hand the worker) with subjectAltName SAN.
quic_test_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
		-out "$T/ca.pem" -days 2 -subj "/CN=snare quic test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf.key" \
		-out "$T/leaf.csr" -subj "/CN=quic.test" 2>/dev/null
	printf 'subjectAltName=%s\n' "$1" >"$T/ext"
	openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/leaf.pem" -days 2 -extfile "$T/ext" 2>/dev/null
}
# caddy_h3 PORT: caddy serving HTTP/3 (and h1, h2) on 127.0.0.1:PORT with quic_test_certs' leaf,
# the site's directives read from stdin; fails (with $T/caddy.log) when it does not start.
caddy_h3() {
	{
		printf '{\n\tadmin off\n\tauto_https disable_redirects\n\tdefault_sni quic.test\n'
		printf '\tservers {\n\t\tprotocols h1 h2 h3\n\t}\n}\n'
		printf 'https://:%s {\n\tbind 127.0.0.1\n\ttls %s %s\n' "$1" "$T/leaf.pem" "$T/leaf.key"
		cat
		printf '}\n'
	} >"$T/Caddyfile"
	XDG_DATA_HOME=$T/caddy-data XDG_CONFIG_HOME=$T/caddy-config HOME=$T \
		caddy run --config "$T/Caddyfile" --adapter caddyfile >"$T/caddy.log" 2>&1 &
	PIDS+=($!)
	wait_for "$T/caddy.log" "enabling HTTP/3 listener" 20
}
# chromium_h3 BROWSER PROFILE CA PORT URL: headless Chromium with QUIC forced for quic.test:PORT
# (mapped to 127.0.0.1), trusting CA by its key; prints the page's DOM.
chromium_h3() {
	local spki
	spki=$(openssl x509 -in "$3" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	timeout 90 "$1" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/$2" --enable-quic --origin-to-force-quic-on="quic.test:$4" \
		--host-resolver-rules="MAP quic.test 127.0.0.1" --ignore-certificate-errors-spki-list="$spki" \
		--virtual-time-budget=5000 --dump-dom "$5" 2>/dev/null
}

# wg_client NETNS DEV CONF: wireguard-go in NETNS as DEV, set up from the client configuration
# snare wrote (CONF: its keys and endpoint), address 10.0.0.1/32, up; routes are the caller's.
# Fails (with $T/DEV-wggo.log) when wg cannot configure it.
wg_client() {
	local ns=$1 dev=$2 conf=$3 priv pub endpoint
	priv=$(grep -m1 '^PrivateKey' "$conf" | sed 's/^[A-Za-z]* = //')
	pub=$(grep -m1 '^PublicKey' "$conf" | sed 's/^[A-Za-z]* = //')
	endpoint=$(grep -m1 '^Endpoint' "$conf" | sed 's/^[A-Za-z]* = //')
	printf '%s' "$priv" >"$T/$dev.key"
	ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go "$dev" >"$T/$dev-wggo.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 50); do ip netns exec "$ns" ip link show "$dev" >/dev/null 2>&1 && break; sleep 0.1; done
	ip netns exec "$ns" wg set "$dev" private-key "$T/$dev.key" peer "$pub" endpoint "$endpoint" \
		allowed-ips 0.0.0.0/0 persistent-keepalive 25 || return 1
	ip netns exec "$ns" ip addr add 10.0.0.1/32 dev "$dev" && ip netns exec "$ns" ip link set "$dev" up
}

# start_nghttpd LOG: an h2 origin (nghttpd -v) serving $T/www with
# $T/origin.key and $ORIGIN_CERT (origin_cert first), its log in LOG;
# sets NGX (its port).  False when it does not start.
start_nghttpd() {
	NGX=$(free_port)
	nghttpd -v -d "$T/www" "$NGX" "$T/origin.key" "$ORIGIN_CERT" >"$1" 2>&1 &
	PIDS+=($!)
	wait_port "$NGX"
}
