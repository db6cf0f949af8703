#!/bin/bash
# snare's benchmark against its peers (bench/README.md). Runs as the invoking user (root here),
# loopback only: nginx origin + load generators on one core, the proxy under test on another.
# Prints one table per case with medians and ratios; writes them to bench/results/latest.txt.
# Cases 1-4 are forward-proxy ones, r1-r5 reverse https->https ones, s1 the worker scaling one
# (bench/README.md), w1 the web interface one (bench/web.sh), q1 reverse:http3:// (bench/h3.sh); the run
# ends with the rows of issue 19 side by side.
# Knobs (environment): BENCH_SECONDS (10) BENCH_REPS (3) BENCH_WARMUP (2)
#   BENCH_CASES ("1 2 3 4 h1 h2 r1 r2 r3 r4 r5 s1 w1 q1"; "fwd" and "rev" name the two halves;
#   h1 = the cost of Lua hooks, issue 21; h2 = HTTP/2, issue 17 (bench/h2.sh);
#   w1 = the web interface, issue 20; q1 = HTTP/3, issue 18 (bench/h3.sh))
#   BENCH_CONNS (50) BENCH_MITM_CONNS (50) BENCH_HS_CONNS (16) BENCH_REV_LOAD (wrk)
#   BENCH_STIME_CLIENTS (4) BENCH_SCALE_CPUS (all)
#   BENCH_IDLE_CONNS (1000) BENCH_IDLE_PEERS ("snare nginx-rev sslsplit mitmdump")
#   BENCH_LOADGEN_CPU (0) BENCH_PROXY_CPU (1) BENCH_ORIGIN_HTTP_PORT (18080)
#   BENCH_ORIGIN_HTTPS_PORT (18443) BENCH_PROXY_PORT (18090; peers use the next ports)
#   BENCH_ONLY (all targets) SNARE (build/snare) BENCH_KEEP (0)
#   BENCH_WEB_PORT (BENCH_PROXY_PORT + 5) BENCH_WEB_FLOWS (200000) (case w1, bench/web.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
SNARE=${SNARE:-$ROOT/build/snare}
SECS=${BENCH_SECONDS:-10}
REPS=${BENCH_REPS:-3}
WARM=${BENCH_WARMUP:-2}
CASES=${BENCH_CASES:-1 2 3 4 h1 h2 r1 r2 r3 r4 r5 s1 w1 q1}
CASES=${CASES//fwd/1 2 3 4}
CASES=${CASES//rev/r1 r2 r3 r4 r5}
CONNS=${BENCH_CONNS:-50}
MITM_CONNS=${BENCH_MITM_CONNS:-$CONNS}
HS_CONNS=${BENCH_HS_CONNS:-16}
REV_LOAD=${BENCH_REV_LOAD:-wrk}
STIME_CLIENTS=${BENCH_STIME_CLIENTS:-4}
SCALE_CPUS=${BENCH_SCALE_CPUS:-0-$(($(nproc) - 1))}
IDLE_CONNS=${BENCH_IDLE_CONNS:-1000}
IDLE_PEERS=${BENCH_IDLE_PEERS:-snare nginx-rev sslsplit mitmdump}
IDLE_HOLD=5		# seconds the idle connections stay open after they are all set up
ONLY=${BENCH_ONLY:-}	# run only these targets (e.g. "snare nginx-rev"); empty: all
LOADGEN_CPU=${BENCH_LOADGEN_CPU:-0}
PROXY_CPU=${BENCH_PROXY_CPU:-1}
OH=${BENCH_ORIGIN_HTTP_PORT:-18080}
OS=${BENCH_ORIGIN_HTTPS_PORT:-18443}
P_SNARE=${BENCH_PROXY_PORT:-18090}
P_MITM=$((P_SNARE + 1))
P_TINY=$((P_SNARE + 2))
P_NGINX=$((P_SNARE + 3))
P_SSLSPLIT=$((P_SNARE + 4))
HSCLIENT=$ROOT/build/bench/hsclient
RESULTS=$BENCH/results
LO=127.0.0.1
HZ=$(getconf CLK_TCK)

TMP=$(mktemp -d /tmp/snare-bench.XXXXXX)
REPORT=$TMP/report.txt
STARTED=()		# root pids of everything we started (each is a session leader)
STATUS=INCOMPLETE
REVERSE=0		# 1 while a reverse case runs: snare and mitmdump in reverse mode
REV_PORT=$OS		# the origin port they forward to (case h2 may pick its h2 port)
SNARE_SETS=()		# more --set options for snare (case r4 above 4,096 connections)
MITM_SETS=()		# more --set options for mitmdump (case h2: connection_strategy=lazy)

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: FAILED: $*"; exit 1; }
emit() { printf '%s\n' "$*" | tee -a "$REPORT"; }
loadgen() { taskset -c "$LOADGEN_CPU" "$@"; }

# ---- process control ---------------------------------------------------------------------

tree_pids() { loadgen python3 "$BENCH/proctree.py" pids "$1"; }

# stop_tree PID: TERM every process of the tree, KILL what is left after 5 s
stop_tree() {
	local root=$1 p
	for p in $(tree_pids "$root"); do kill "$p" 2>/dev/null || true; done
	for _ in $(seq 50); do
		[ -z "$(tree_pids "$root")" ] && break
		sleep 0.1
	done
	for p in $(tree_pids "$root"); do kill -9 "$p" 2>/dev/null || true; done
	wait "$root" 2>/dev/null || true
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${STARTED[@]}"; do stop_tree "$p"; done
	if [ -s "$REPORT" ]; then
		mkdir -p "$RESULTS"
		{ echo "status: $STATUS"; cat "$REPORT"; } > "$RESULTS/latest.txt"
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$STATUS" != OK ]; then
		log "bench: logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() { ss -Hltn "sport = :$1" | grep -q .; }

# start_bg LOG PORT CPU CMD...: run CMD in its own session pinned to CPU, wait for PORT; sets BG
start_bg() {
	local logf=$1 port=$2 cpu=$3
	shift 3
	port_busy "$port" && die "port $port is already in use (set BENCH_PROXY_PORT / BENCH_ORIGIN_*)"
	setsid taskset -c "$cpu" "$@" > "$logf" 2>&1 < /dev/null &
	BG=$!
	STARTED+=("$BG")
	for _ in $(seq 300); do
		port_busy "$port" && break
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	port_busy "$port" || { cat "$logf" >&2; die "$1 did not listen on $port"; }
	sleep 0.3
}

stop_bg() {
	local root=$1 keep=() p
	stop_tree "$root"
	for p in "${STARTED[@]}"; do [ "$p" != "$root" ] && keep+=("$p"); done
	STARTED=("${keep[@]+"${keep[@]}"}")
}

# ---- origin ----------------------------------------------------------------------------------

make_origin() {
	mkdir -p "$TMP/www" "$TMP/nginx" "$TMP/mitm" "$TMP/snare"
	chmod 755 "$TMP" "$TMP/www"
	head -c 1024 /dev/urandom > "$TMP/www/1k.bin"
	head -c 1048576 /dev/urandom > "$TMP/www/1m.bin"
	chmod 644 "$TMP/www/"*
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$LO" \
		-addext "subjectAltName=IP:$LO,DNS:localhost" \
		-keyout "$TMP/origin.key" -out "$TMP/origin.crt" 2> "$TMP/openssl.log" ||
		die "openssl req: $(cat "$TMP/openssl.log")"
	# sslsplit forges the origin's certificate with a CA of its own (snare and mitmdump
	# make theirs in their confdir)
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=snare bench sslsplit CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$TMP/ca.key" -out "$TMP/ca.crt" 2> "$TMP/openssl.log" ||
		die "openssl req (CA): $(cat "$TMP/openssl.log")"
	cat > "$TMP/origin.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/origin.pid;
error_log $TMP/nginx/origin.err warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
	access_log off;
	sendfile on; tcp_nopush on; tcp_nodelay on;
	keepalive_timeout 300s; keepalive_requests 10000000;
	default_type application/octet-stream;
	client_body_temp_path $TMP/nginx/cb; proxy_temp_path $TMP/nginx/px;
	fastcgi_temp_path $TMP/nginx/fc; uwsgi_temp_path $TMP/nginx/uw; scgi_temp_path $TMP/nginx/sc;
	server {
		listen $LO:$OH backlog=4096;
		listen $LO:$OS ssl backlog=4096;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_certificate $TMP/origin.crt; ssl_certificate_key $TMP/origin.key;
		root $TMP/www;
		add_header X-Origin snare-bench-origin always;
		location = /nginx_status { stub_status; }
	}
}
EOF
}

# core_ticks CPUS: "busy total" clock ticks since boot, summed over CPUS (taskset list: 1, 0-1, 0,2)
core_ticks() {
	awk -v l="$1" 'BEGIN {n = split(l, p, ","); for (i = 1; i <= n; i++) {
			if (split(p[i], r, "-") == 2) for (c = r[1]; c <= r[2]; c++) want["cpu" c] = 1
			else want["cpu" p[i]] = 1 } }
		$1 in want {b += $2+$3+$4+$7+$8; t += $2+$3+$4+$5+$6+$7+$8} END {print b, t}' /proc/stat
}

origin_hits() { curl -s "http://$LO:$OH/nginx_status" | awk 'NR==3 {print $3}'; }

# nginx as a TLS-terminating reverse proxy in front of the origin (the figure snare must match)
make_nginx_reverse() {
	cat > "$TMP/nginx-rev.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/rev.pid;
error_log $TMP/nginx/rev.err warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
	access_log off;
	keepalive_timeout 300s; keepalive_requests 10000000;
	client_body_temp_path $TMP/nginx/rcb; proxy_temp_path $TMP/nginx/rpx;
	fastcgi_temp_path $TMP/nginx/rfc; uwsgi_temp_path $TMP/nginx/ruw; scgi_temp_path $TMP/nginx/rsc;
	upstream origin { server $LO:$OS; keepalive 64; keepalive_requests 10000000; }
	server {
		listen $LO:$P_NGINX ssl backlog=4096;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_certificate $TMP/origin.crt; ssl_certificate_key $TMP/origin.key;
		location / {
			proxy_pass https://origin;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_ssl_session_reuse on;
			proxy_ssl_protocols TLSv1.2 TLSv1.3;
		}
	}
}
EOF
}

make_tinyproxy() {
	cat > "$TMP/tinyproxy.conf" <<EOF
Port $P_TINY
Listen $LO
Timeout 600
MaxClients 2000
LogLevel Critical
Allow $LO
DisableViaHeader Yes
User nobody
Group nogroup
EOF
}

# ---- the proxies under test ------------------------------------------------------------------

# start_proxy NAME: starts it on PROXY_CPU; sets PROXY_PID and PROXY_PORT.  With REVERSE=1,
# snare and mitmdump run as reverse proxies in front of the origin's HTTPS port.
start_proxy() {
	local name=$1 logf=$TMP/$1.log mode=()
	case "$name" in
	snare-hook-empty | snare-hook-header)
		# case h1: one worker with a response hook (empty, or setting a header)
		PROXY_PORT=$P_SNARE
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" "$SNARE" --mode "regular@$LO:$PROXY_PORT" \
			--set workers=1 --set "confdir=$TMP/snare" -s "$BENCH/hook_${name#snare-hook-}.lua" \
			--set "ssl_verify_upstream_trusted_ca=$TMP/origin.crt" -q ;;
	snare | snare-w1 | snare-w2)
		# snare-wN: N workers (scaling case s1, which sets PROXY_CPU to several cores)
		PROXY_PORT=$P_SNARE
		mode=(--mode "regular@$LO:$PROXY_PORT")
		[ "$REVERSE" = 1 ] && mode=(--mode "reverse:https://$LO:$REV_PORT@$LO:$PROXY_PORT")
		local workers=1
		[ "$name" != snare ] && workers=${name#snare-w}
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" "$SNARE" "${mode[@]}" \
			--set "workers=$workers" --set "confdir=$TMP/snare" \
			--set "ssl_verify_upstream_trusted_ca=$TMP/origin.crt" "${SNARE_SETS[@]}" -q ;;
	mitmdump)
		PROXY_PORT=$P_MITM
		[ "$REVERSE" = 1 ] && mode=(--mode "reverse:https://$LO:$REV_PORT")
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" mitmdump -q --listen-host "$LO" \
			-p "$PROXY_PORT" "${mode[@]}" --set "confdir=$TMP/mitm" --ssl-insecure \
			"${MITM_SETS[@]}" ;;
	sslsplit)
		# static destination, plain "ssl" splitting (no HTTP mangling, no logging);
		# it forges the origin's certificate with its CA and drops to user nobody
		PROXY_PORT=$P_SSLSPLIT
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" sslsplit -u nobody \
			-k "$TMP/ca.key" -c "$TMP/ca.crt" ssl "$LO" "$PROXY_PORT" "$LO" "$OS" ;;
	tinyproxy)
		PROXY_PORT=$P_TINY
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" tinyproxy -d -c "$TMP/tinyproxy.conf" ;;
	nginx-rev)
		PROXY_PORT=$P_NGINX
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" nginx -c "$TMP/nginx-rev.conf" \
			-p "$TMP/nginx" ;;
	nginx-rev-ec)
		PROXY_PORT=$P_NGINX
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" nginx -c "$TMP/nginx-rev-ec.conf" \
			-p "$TMP/nginx" ;;
	nginx-rev-h2)
		PROXY_PORT=$P_NGINX_H2
		start_bg "$logf" "$PROXY_PORT" "$PROXY_CPU" nginx -c "$TMP/nginx-rev-h2.conf" \
			-p "$TMP/nginx" ;;
	*) die "unknown proxy $name" ;;
	esac
	PROXY_PID=$BG
}

# verify KIND NAME PATH: one curl along the path the load takes must show the origin's header
verify() {
	local kind=$1 name=$2 path=$3 out
	case "$kind:$name" in
	http:direct) out=$(curl -s -m 10 -D - -o /dev/null "http://$LO:$OH$path") ;;
	http:* | scale:*) out=$(curl -s -m 10 -D - -o /dev/null -x "http://$LO:$PROXY_PORT" \
		"http://$LO:$OH$path") ;;
	https:direct) out=$(curl -sk -m 10 -D - -o /dev/null "https://$LO:$OS$path") ;;
	rev:direct) out=$(curl -sk -m 10 -D - -o /dev/null "https://$LO:$OS$path") ;;
	https:nginx-rev | rev:*)
		out=$(curl -sk -m 10 -D - -o /dev/null "https://$LO:$PROXY_PORT$path") ;;
	https:*) out=$(curl -sk -m 10 -D - -o /dev/null -x "http://$LO:$PROXY_PORT" \
		"https://$LO:$OS$path") ;;
	esac || true
	if ! printf '%s\n' "$out" | grep -qi '^x-origin: snare-bench-origin'; then
		log "curl through $name ($kind $path) answered:"
		log "${out:-<nothing>}"
		[ "$name" != direct ] && tail -20 "$TMP/$name.log" >&2
		die "verification of $name ($kind $path) did not reach the origin"
	fi
}

# ---- load and measurement --------------------------------------------------------------------

# wanted NAME: NAME is among BENCH_ONLY (or BENCH_ONLY is empty)
wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# is_hs CASE: the case counts full handshakes (connections), not requests
is_hs() { [ "$1" = 4 ] || [ "$1" = r3 ] || [ "$1" = r5 ]; }

# load_args_rev CASE NAME CONNS: reverse cases, the load goes straight to the proxy's TLS port
load_args_rev() {
	local c=$1 name=$2 n=$3 path=/1k.bin port=$OS
	[ "$c" = r2 ] && path=/1m.bin
	[ "$name" != direct ] && port=$PROXY_PORT
	if [ "$c" = r3 ]; then
		LOAD=("$HSCLIENT" -c "$n" -m handshake -r "x-origin:" "$LO:$port" "$path")
	elif [ "$c" = r5 ]; then
		LOAD=("$BENCH/stime.sh" -c "$n" "$LO:$port")
	elif [ "$REV_LOAD" = hsclient ]; then
		LOAD=("$HSCLIENT" -c "$n" -m keepalive -r "x-origin:" "$LO:$port" "$path")
	else
		LOAD=(wrk -t1 "-c$n" --timeout 10s "https://$LO:$port$path")
	fi
}

# load_args CASE NAME CONNS: sets LOAD (the client command line, without duration)
load_args() {
	local c=$1 name=$2 n=$3 path=/1k.bin mode=keepalive
	case "$c" in
	h2)
		load_args_h2 "$name"
		return ;;
	r*)
		load_args_rev "$@"
		return ;;
	esac
	[ "$c" = 3 ] && path=/1m.bin
	[ "$c" = 4 ] && mode=handshake
	if [ "$c" = 1 ] || [ "$c" = s1 ]; then
		LOAD=(wrk -t1 "-c$n" --timeout 10s)
		[ "$c" = s1 ] && LOAD=(wrk -t2 "-c$n" --timeout 10s)
		if [ "$name" = direct ]; then
			LOAD+=("http://$LO:$OH/1k.bin")
		else
			LOAD+=(-s "$BENCH/absolute.lua" "http://$LO:$PROXY_PORT" -- "http://$LO:$OH/1k.bin")
		fi
		return
	fi
	LOAD=("$HSCLIENT" -c "$n" -m "$mode" -r "x-origin:")
	case "$name" in
	direct) LOAD+=("$LO:$OS" "$path") ;;
	nginx-rev) LOAD+=("$LO:$PROXY_PORT" "$path") ;;
	*) LOAD+=(-x "$LO:$PROXY_PORT" "$LO:$OS" "$path") ;;
	esac
}

# run_load SECONDS OUT: runs LOAD pinned to the load-generator core
run_load() {
	local d=$1 out=$2
	loadgen "${LOAD[0]}" -d "$d" "${LOAD[@]:1}" > "$out" 2>&1
}

# parse_load OUT: prints "completed rate errors" (completed = requests, or connections in case 4)
parse_load() {
	local f=$1
	if [ "${LOAD[0]}" = "$BENCH/h2load.sh" ]; then
		parse_h2load "$f"
	elif [ "${LOAD[0]}" = wrk ]; then
		awk '/ requests in / {n=$1} /^Requests\/sec:/ {r=$2}
		     /Socket errors:/ {gsub(/,/, ""); e+=$4+$6+$8+$10}
		     /Non-2xx or 3xx responses:/ {e+=$5}
		     END {if (r == "") exit 1; printf "%d %s %d\n", n, r, e}' "$f"
	else
		awk -v hs="$HS_MODE" '/^requests / {
			if (hs) printf "%d %s %d\n", $4, $12, $6; else printf "%d %s %d\n", $2, $10, $6
			ok=1 } END {exit !ok}' "$f"
	fi
}

# measure CASE NAME PID CONNS: warm-up, REPS measured runs; one line per rep in TMP/res/CASE.NAME
measure() {
	local c=$1 name=$2 pid=$3 n=$4 rep out c0 c1 h0 h1 sp peak
	local completed rate err cpu per1k ratio b0 t0 b1 t1 noise
	load_args "$c" "$name" "$n"
	HS_MODE=0
	is_hs "$c" && HS_MODE=1
	run_load "$WARM" "$TMP/load.$c.$name.warm" || true
	mkdir -p "$TMP/res"
	: > "$TMP/res/$c.$name"
	for rep in $(seq "$REPS"); do
		out=$TMP/load.$c.$name.$rep
		h0=$(origin_hits)
		read -r b0 t0 < <(core_ticks "$PROXY_CPU")
		if [ "$pid" != - ]; then
			c0=$(loadgen python3 "$BENCH/proctree.py" cpu "$pid")
			taskset -c "$LOADGEN_CPU" python3 "$BENCH/proctree.py" sample "$pid" "$out.rss" &
			sp=$!
		fi
		run_load "$SECS" "$out" || { cat "$out" >&2; die "load against $name failed"; }
		h1=$(origin_hits)
		read -r b1 t1 < <(core_ticks "$PROXY_CPU")
		cpu=- peak=-
		if [ "$pid" != - ]; then
			c1=$(loadgen python3 "$BENCH/proctree.py" cpu "$pid")
			kill "$sp"
			wait "$sp" || true
			peak=$(cat "$out.rss")
			cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", b - a}')
		fi
		read -r completed rate err < <(parse_load "$out") || { cat "$out" >&2; die "no result"; }
		[ "$completed" -gt 0 ] || { cat "$out" >&2; die "$name completed nothing in case $c"; }
		# CPU per 1000 requests or per handshake (cases 4 and r3), in ms
		per1k=$(awk -v c="$cpu" -v n="$completed" -v hs="$HS_MODE" \
			'BEGIN {if (c == "-") print "-"; else printf "%.2f", c * 1000 * (hs ? 1 : 1000) / n}')
		ratio=$(awk -v a="$h0" -v b="$h1" -v n="$completed" 'BEGIN {printf "%.2f", (b - a - 1) / n}')
		# share of the proxy core used by anything but the proxy (other users of the machine)
		noise=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v c="$cpu" -v hz="$HZ" \
			'BEGIN {o = b - (c == "-" ? 0 : c * hz); if (o < 0) o = 0
			        printf "%.0f", (t > 0 ? 100 * o / t : 0)}')
		echo "$rate $per1k $peak $err $ratio $cpu $completed $noise" >> "$TMP/res/$c.$name"
		log "  case $c $name rep $rep: $completed done, $rate/s, errors $err, proxy cpu ${cpu}s," \
			"peak rss ${peak} KiB, origin/client $ratio, other load on CPU $PROXY_CPU $noise%"
	done
}

# ---- summaries ---------------------------------------------------------------------------------

# med CASE NAME COL: median of column COL over the reps ("-" when absent)
med() {
	local f=$TMP/res/$1.$2
	[ -s "$f" ] || { echo -; return; }
	awk -v k="$3" '{print $k}' "$f" | sort -g | awk '{v[NR]=$1} END {
		if (v[1] == "-") {print "-"; exit}
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m}'
}
range() {
	local f=$TMP/res/$1.$2
	[ -s "$f" ] || { echo -; return; }
	awk '{print $1}' "$f" | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'
}
# ratio A B: A/B as "45.2x" (two decimals below 10), or "n/a"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "n/a"
		else printf (a / b >= 10 ? "%.1fx" : "%.2fx"), a / b}'
}
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN {if (v == "-") print "-"; else printf "%.*f", d, v}'; }
kib2mib() { awk -v v="$1" 'BEGIN {if (v == "-") print "-"; else printf "%.1f", v / 1024}'; }

declare -A CONNS_OF=()
table() {
	local c=$1 unit=$2 cpuhdr=$3 name
	shift 3
	emit "$(printf '%-10s %6s %12s %15s %14s %13s %7s %14s %6s' target conns "$unit" min-max \
		"$cpuhdr" "peak RSS MiB" errors origin/client noise)"
	for name in "$@"; do
		[ -s "$TMP/res/$c.$name" ] || continue
		emit "$(printf '%-10s %6s %12s %15s %14s %13s %7s %14s %5s%%' "$name" \
			"${CONNS_OF[$c$name]}" "$(fmt "$(med "$c" "$name" 1)")" "$(range "$c" "$name")" \
			"$(fmt "$(med "$c" "$name" 2)" 2)" "$(kib2mib "$(med "$c" "$name" 3)")" \
			"$(med "$c" "$name" 4)" "$(med "$c" "$name" 5)" "$(med "$c" "$name" 8)")"
	done
}
ratios() {
	local c=$1 col=$2 what=$3 line="" pair a b
	shift 3
	for pair in "$@"; do
		a=${pair%/*} b=${pair#*/}
		[ -s "$TMP/res/$c.$a" ] && [ -s "$TMP/res/$c.$b" ] || continue
		line+="  $a/$b = $(ratio "$(med "$c" "$a" "$col")" "$(med "$c" "$b" "$col")")"
	done
	[ -n "$line" ] && emit "$what${what:+:}$line"
	return 0
}

# ---- cases ---------------------------------------------------------------------------------------

run_case() {
	local c=$1 kind=https path=/1k.bin name n
	shift
	REVERSE=0
	case "$c" in r*) kind=rev REVERSE=1 ;; esac
	[ "$c" = 1 ] && kind=http
	[ "$c" = s1 ] && kind=scale
	{ [ "$c" = 3 ] || [ "$c" = r2 ]; } && path=/1m.bin
	for name in "$@"; do
		wanted "$name" || continue
		n=$CONNS
		is_hs "$c" && n=$HS_CONNS
		[ "$c" = r5 ] && n=$STIME_CLIENTS
		[ "$name" = mitmdump ] && ! is_hs "$c" && n=$MITM_CONNS
		CONNS_OF[$c$name]=$n
		log "case $c: $name ($n connections)"
		if [ "$name" = direct ]; then
			verify "$kind" direct "$path"
			measure "$c" direct - "$n"
		else
			start_proxy "$name"
			verify "$kind" "$name" "$path"
			measure "$c" "$name" "$PROXY_PID" "$n"
			stop_bg "$PROXY_PID"
		fi
	done
}

case1() {
	local peers=(direct snare mitmdump)
	command -v tinyproxy > /dev/null && peers+=(tinyproxy)
	run_case 1 "${peers[@]}"
	emit ""
	emit "== case 1: plain HTTP forward proxy, 1 KiB, keep-alive (wrk -t1, absolute-form) =="
	table 1 req/s "CPU ms/1k req" "${peers[@]}"
	ratios 1 1 "req/s" snare/direct snare/mitmdump snare/tinyproxy
	command -v tinyproxy > /dev/null || emit "(tinyproxy not installed: apt-get install tinyproxy)"
}

case_tls() {
	local c=$1 title=$2 peers=(direct snare mitmdump nginx-rev)
	run_case "$c" "${peers[@]}"
	emit ""
	emit "== case $c: $title =="
	table "$c" req/s "CPU ms/1k req" "${peers[@]}"
	ratios "$c" 1 "req/s" snare/direct snare/mitmdump snare/nginx-rev
}

# case h1 (issue 21): the cost of Lua hooks on HTTPS 1 KiB (hsclient, CONNECT + TLS)
case_hooks() {
	local peers=(snare snare-hook-empty snare-hook-header) e h
	run_case h1 "${peers[@]}"
	emit ""
	emit "== case h1: HTTPS intercepted, 1 KiB, keep-alive: no script, an empty response hook," \
		"a hook that sets a header (hsclient, CONNECT + TLS) =="
	table h1 req/s "CPU ms/1k req" "${peers[@]}"
	ratios h1 1 "req/s" snare-hook-empty/snare snare-hook-header/snare
	e=$(xratio "$(med h1 snare-hook-empty 1)" "$(med h1 snare 1)")
	h=$(xratio "$(med h1 snare-hook-header 1)" "$(med h1 snare 1)")
	target "req/s with an empty response hook / without" "$e" ">=" 0.90
	target "req/s with a header-setting hook / without" "$h" ">=" 0.85
}

case4() {
	local peers=(direct snare mitmdump nginx-rev)
	run_case 4 "${peers[@]}"
	emit ""
	emit "== case 4: full TLS handshakes (new connection + full handshake + 1 GET, no resumption) =="
	table 4 conn/s "CPU ms/hs" "${peers[@]}"
	ratios 4 1 "handshakes/s" snare/mitmdump snare/nginx-rev
	ratios 4 2 "proxy CPU per handshake (lower is better)" mitmdump/snare nginx-rev/snare
}

case5() {
	local c name line title=0
	for c in 1 2 3 r1 r2; do
		[ -s "$TMP/res/$c.snare" ] || continue
		if [ "$title" = 0 ]; then
			emit ""
			emit "== case 5: proxy CPU per 1k requests, ms" \
				"(lower is better; peer/snare = times snare's CPU) =="
			title=1
		fi
		line=""
		for name in snare mitmdump tinyproxy nginx-rev sslsplit; do
			[ -s "$TMP/res/$c.$name" ] && line+="  $name $(fmt "$(med "$c" "$name" 2)" 2)"
		done
		emit "case $c:$line"
		ratios "$c" 2 "" mitmdump/snare tinyproxy/snare nginx-rev/snare sslsplit/snare
	done
}

# ---- reverse cases (r1-r4) -----------------------------------------------------------------

rev_peers() {
	REV_PEERS=(direct snare nginx-rev)
	if command -v sslsplit > /dev/null; then REV_PEERS+=(sslsplit); fi
	REV_PEERS+=(mitmdump)
}

# target WHAT VALUE OP LIMIT: one line saying whether a target of the issue is met
target() {
	local what=$1 v=$2 op=$3 lim=$4 verdict
	verdict=$(awk -v v="$v" -v op="$op" -v l="$lim" 'BEGIN {
		if (v == "-" || v == "" || l == "-" || l == "") {print "n/a"; exit}
		ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
		print ok ? "met" : "MISSED"}')
	emit "  target: $what $op $lim: $v  $verdict"
}
# xratio A B: A/B as a bare number (for targets), "-" when unknown
xratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b}'
}

case_rev() {
	local c=$1 title=$2 s_rps n_rps s_cpu n_cpu
	rev_peers
	run_case "$c" "${REV_PEERS[@]}"
	emit ""
	emit "== case $c: $title =="
	table "$c" req/s "CPU ms/1k req" "${REV_PEERS[@]}"
	ratios "$c" 1 "req/s" snare/direct snare/nginx-rev snare/sslsplit snare/mitmdump
	ratios "$c" 2 "proxy CPU per request (peer/snare, above 1 = snare cheaper)" \
		nginx-rev/snare sslsplit/snare mitmdump/snare
	s_rps=$(med "$c" snare 1) n_rps=$(med "$c" nginx-rev 1)
	s_cpu=$(med "$c" snare 2) n_cpu=$(med "$c" nginx-rev 2)
	target "req/s snare/nginx-rev" "$(xratio "$s_rps" "$n_rps")" ">=" 1.0
	if [ "$c" = r1 ]; then
		target "CPU per 1k req, snare/nginx-rev (issue 19)" "$(xratio "$s_cpu" "$n_cpu")" \
			"<=" 0.8
		target "req/s snare/mitmdump" "$(xratio "$s_rps" "$(med "$c" mitmdump 1)")" ">=" 50
	else
		target "peak RSS MiB, snare (50 x 1 MiB in flight)" \
			"$(kib2mib "$(med "$c" snare 3)")" "<=" 32
	fi
}

# rev_hs_case CASE TITLE...: a reverse handshake case (r3, r5) against every reverse peer
rev_hs_case() {
	local c=$1
	shift
	rev_peers
	run_case "$c" "${REV_PEERS[@]}"
	emit ""
	emit "$@"
	table "$c" conn/s "CPU ms/hs" "${REV_PEERS[@]}"
	ratios "$c" 1 "handshakes/s" snare/direct snare/nginx-rev snare/sslsplit snare/mitmdump
	ratios "$c" 2 "proxy CPU per handshake (peer/snare, above 1 = snare cheaper)" \
		nginx-rev/snare sslsplit/snare mitmdump/snare
}

case_rev_hs() {
	rev_hs_case r3 "== case r3: reverse https->https, full TLS handshakes" \
		"(new connection + full handshake + 1 GET, no resumption; hsclient) =="
	target "CPU ms per full intercepted handshake, snare" "$(fmt "$(med r3 snare 2)" 2)" \
		"<=" 1.2
}

# wait_line FILE WORD SECONDS: waits until FILE has a line starting with WORD
wait_line() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "^$2 " "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}

# idle_measure NAME PID: N idle connections (full handshake, one GET answered, then nothing);
# memory of the proxy tree before and with them.  One line in TMP/res/r4.NAME
idle_measure() {
	local name=$1 pid=$2 out=$TMP/load.r4.$1 r0 p0 d0 r1 p1 d1 np fds hp ok err drop ans asked
	read -r r0 p0 d0 np < <(loadgen python3 "$BENCH/proctree.py" mem "$pid")
	loadgen "$HSCLIENT" -m idle -c "$IDLE_CONNS" -d "$IDLE_HOLD" -r "x-origin:" \
		"$LO:$PROXY_PORT" /1k.bin > "$out" 2>&1 &
	hp=$!
	wait_line "$out" ready 150 || { cat "$out" >&2; die "$name: idle connections not set up"; }
	sleep 2 # let the proxy settle (buffers trimmed, timers run)
	read -r r1 p1 d1 np < <(loadgen python3 "$BENCH/proctree.py" mem "$pid")
	fds=$(loadgen python3 "$BENCH/proctree.py" fds "$pid")
	wait "$hp" || true
	read -r _ _ ok _ err _ _ < <(grep '^ready ' "$out")
	read -r _ _ _ _ _ drop < <(grep '^idle ' "$out") || drop=-
	# hsclient asks every connection still open once more after the hold
	read -r _ ans _ asked _ < <(grep '^answered ' "$out") || { ans=-; asked=-; }
	[ "$ok" -gt 0 ] || { cat "$out" >&2; die "$name: no idle connection succeeded"; }
	echo "$ok $err $drop $fds $r0 $r1 $p0 $p1 $d0 $d1 $np $ans/$asked" > "$TMP/res/r4.$name"
	log "  case r4 $name: $ok idle ($err failed, $drop dropped), proxy fds $fds," \
		"RSS $r0 -> $r1 KiB, PSS $p0 -> $p1 KiB"
}

case_idle() {
	local name peers=() f ok err drop fds r0 r1 p0 p1 d0 d1 np ans
	for name in $IDLE_PEERS; do
		[ "$name" = sslsplit ] && ! command -v sslsplit > /dev/null && continue
		wanted "$name" && peers+=("$name")
	done
	mkdir -p "$TMP/res"
	REVERSE=1
	# all connections come from one address: above max_connections_per_source's default
	# (4,096) both per-connection caps are turned off (0), so only descriptors limit snare
	[ "$IDLE_CONNS" -gt 4096 ] &&
		SNARE_SETS=(--set max_connections=0 --set max_connections_per_source=0)
	for name in "${peers[@]}"; do
		log "case r4: $name ($IDLE_CONNS idle connections)"
		start_proxy "$name"
		verify rev "$name" /1k.bin # also warms certificate and upstream session caches
		sleep 0.5
		idle_measure "$name" "$PROXY_PID"
		stop_bg "$PROXY_PID"
	done
	SNARE_SETS=()
	emit ""
	emit "== case r4: idle intercepted TLS connections (reverse https->https; full handshake," \
		"one 1 KiB GET, then idle) =="
	emit "$(printf '%-10s %6s %6s %7s %11s %6s %13s %13s %12s %12s %12s' target idle failed \
		dropped answered fds "RSS MiB" "PSS MiB" "KiB/conn RSS" "KiB/conn PSS" \
		"KiB/conn dirty")"
	for name in "${peers[@]}"; do
		f=$TMP/res/r4.$name
		[ -s "$f" ] || continue
		read -r ok err drop fds r0 r1 p0 p1 d0 d1 np ans < "$f"
		emit "$(printf '%-10s %6s %6s %7s %11s %6s %13s %13s %12s %12s %12s' "$name" "$ok" \
			"$err" "$drop" "$ans" "$fds" "$(kib2mib "$r0")->$(kib2mib "$r1")" \
			"$(kib2mib "$p0")->$(kib2mib "$p1")" "$(per_conn "$r0" "$r1" "$ok")" \
			"$(per_conn "$p0" "$p1" "$ok")" "$(per_conn "$d0" "$d1" "$ok")")"
	done
	emit "fds = open descriptors of the proxy tree with the connections idle (2 per connection" \
		"when both sides are held; nginx-rev pools its upstream side, 1 per connection);" \
		"answered = connections that answered one more GET after the hold / those still open"
	[ -s "$TMP/res/r4.snare" ] || return 0
	read -r ok _ _ _ _ _ p0 p1 _ < "$TMP/res/r4.snare"
	target "KiB per idle intercepted connection (both sides, PSS), snare" \
		"$(per_conn "$p0" "$p1" "$ok")" "<=" 16
}

per_conn() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.1f", (b - a) / n}'; }

# ---- issue 19 rows: s_time handshakes (r5), worker scaling (s1), the summary -------------------

# nginx-rev with an ECDSA P-256 certificate, the key type of snare's leaves (leaf_key=ecdsa):
# nginx-rev's RSA-2048 costs the proxy a slower signature and the client a cheaper check, so
# case r5 shows both (like with like is nginx-rev-ec; the issue's goals name nginx-rev)
make_nginx_reverse_ec() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=$LO" -addext "subjectAltName=IP:$LO,DNS:localhost" \
		-keyout "$TMP/rev-ec.key" -out "$TMP/rev-ec.crt" 2> "$TMP/openssl.log" ||
		die "openssl req (EC): $(cat "$TMP/openssl.log")"
	sed -e "s|ssl_certificate $TMP/origin.crt; ssl_certificate_key $TMP/origin.key;|ssl_certificate $TMP/rev-ec.crt; ssl_certificate_key $TMP/rev-ec.key;|" \
		-e "s|$TMP/nginx/rev.pid|$TMP/nginx/rev-ec.pid|" \
		"$TMP/nginx-rev.conf" > "$TMP/nginx-rev-ec.conf"
	grep -q rev-ec.crt "$TMP/nginx-rev-ec.conf" || die "nginx-rev-ec.conf: no EC certificate"
}

# stime_client_ms NAME: median over the reps of the s_time clients' CPU ms per handshake
stime_client_ms() {
	local f
	for f in "$TMP"/load.r5."$1".[0-9]*; do
		if [ -s "$f" ]; then awk '/client_ms_per_hs/ {print $NF}' "$f"; fi
	done | sort -g | awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit}
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

case_stime() {
	local name line=""
	make_nginx_reverse_ec
	rev_peers
	run_case r5 "${REV_PEERS[@]}" nginx-rev-ec
	emit ""
	emit "== case r5: reverse https->https, full TLS handshakes with openssl s_time" \
		"-new ($STIME_CLIENTS clients, handshake only, no request) =="
	table r5 conn/s "CPU ms/hs" "${REV_PEERS[@]}" nginx-rev-ec
	ratios r5 1 "handshakes/s" snare/direct snare/nginx-rev snare/nginx-rev-ec snare/sslsplit \
		snare/mitmdump
	ratios r5 2 "proxy CPU per handshake (peer/snare, above 1 = snare cheaper)" \
		nginx-rev/snare nginx-rev-ec/snare sslsplit/snare mitmdump/snare
	for name in "${REV_PEERS[@]}" nginx-rev-ec; do
		if [ -s "$TMP/res/r5.$name" ]; then line+="  $name $(stime_client_ms "$name")"; fi
	done
	emit "load generator (s_time) CPU ms per handshake, on CPU $LOADGEN_CPU with the origin:$line"
	emit "(the load core limits this case: s_time spends more per handshake than a proxy;" \
		"nginx-rev has an RSA-2048 certificate, nginx-rev-ec and snare ECDSA P-256)"
	target "handshakes/s snare/nginx-rev (issue 19)" \
		"$(xratio "$(med r5 snare 1)" "$(med r5 nginx-rev 1)")" ">=" 1.0
	target "CPU per handshake snare/nginx-rev (issue 19)" \
		"$(xratio "$(med r5 snare 2)" "$(med r5 nginx-rev 2)")" "<=" 1.0
}

# s1: plain HTTP forward proxy (as case 1), snare with 2 workers against 1 worker.  Proxy, wrk
# (-t2) and the origin all float over SCALE_CPUS, so the proxy can never have them to itself.
case_scale() {
	local saved_p=$PROXY_CPU saved_l=$LOADGEN_CPU peers=(snare-w1 snare-w2) name cores
	PROXY_CPU=$SCALE_CPUS LOADGEN_CPU=$SCALE_CPUS
	run_case s1 "${peers[@]}"
	PROXY_CPU=$saved_p LOADGEN_CPU=$saved_l
	emit ""
	emit "== case s1: worker scaling, plain HTTP forward proxy, 1 KiB, keep-alive" \
		"(wrk -t2; proxy, wrk and origin share CPUs $SCALE_CPUS) =="
	table s1 req/s "CPU ms/1k req" "${peers[@]}"
	ratios s1 1 "req/s" snare-w2/snare-w1
	for name in "${peers[@]}"; do
		[ -s "$TMP/res/s1.$name" ] || continue
		cores=$(awk '{c += $6} END {printf "%.2f", c / NR}' "$TMP/res/s1.$name")
		emit "  $name used $(awk -v c="$cores" -v s="$SECS" 'BEGIN {printf "%.2f", c / s}')" \
			"CPUs on average"
	done
	emit "limit: $(nproc) CPUs run the proxy, wrk and the origin together, so 2 workers can" \
		"use only what wrk and the origin leave; the ratio is bounded by that share, not by" \
		"snare (noise here = CPU taken by everything but the proxy, wrk and origin included)"
}

# issue19: the rows of issue 19, each with its peers, from this run's medians
issue19() {
	local s n
	[ -s "$TMP/res/r5.snare" ] || [ -s "$TMP/res/r4.snare" ] || [ -s "$TMP/res/r1.snare" ] ||
		[ -s "$TMP/res/s1.snare-w1" ] || return 0
	emit ""
	emit "== issue 19: the rows in one run (medians; ratio = snare/nginx-rev) =="
	emit "$(printf '%-44s %10s %10s %10s %10s %8s %6s' row snare nginx-rev sslsplit mitmdump ratio \
		noise)"
	row19 "full TLS handshakes/s (s_time -new, r5)" r5 1 0
	row19 "proxy CPU ms per full handshake (r5)" r5 2 2
	row19 "proxy CPU ms per full handshake (hsclient, r3)" r3 2 2
	row19 "proxy CPU ms per 1k HTTPS 1 KiB req (r1)" r1 2 2
	if [ -s "$TMP/res/r4.snare" ]; then
		emit "$(printf '%-44s %10s %10s %10s %10s %8s' "KiB PSS per idle conn ($IDLE_CONNS, r4)" \
			"$(idle_kib snare)" "$(idle_kib nginx-rev)" "$(idle_kib sslsplit)" \
			"$(idle_kib mitmdump)" "$(ratio "$(idle_kib snare)" "$(idle_kib nginx-rev)")")"
	fi
	if [ -s "$TMP/res/s1.snare-w1" ]; then
		s=$(med s1 snare-w2 1) n=$(med s1 snare-w1 1)
		emit "plain HTTP req/s (s1): 2 workers $(fmt "$s"), 1 worker $(fmt "$n")," \
			"2/1 = $(ratio "$s" "$n"), noise $(med s1 snare-w2 8)% (bounded by $(nproc)" \
			"CPUs shared with wrk and the origin: see case s1)"
	fi
	emit "goals: handshakes/s >= 1.0x nginx-rev, CPU/handshake <= nginx-rev," \
		"CPU/1k req <= 0.8x nginx-rev, <= 16 KiB per idle connection with both sides open"
	emit "noise = snare's median share of its CPU taken by other processes (above ~10 %," \
		"rates and CPU figures are unreliable; the memory row is not affected)"
}

# row19 TITLE CASE COL DECIMALS: one summary row
row19() {
	local c=$2 col=$3 d=$4 name vals=()
	[ -s "$TMP/res/$c.snare" ] || return 0
	for name in snare nginx-rev sslsplit mitmdump; do vals+=("$(fmt "$(med "$c" "$name" "$col")" "$d")"); done
	emit "$(printf '%-44s %10s %10s %10s %10s %8s %5s%%' "$1" "${vals[@]}" \
		"$(ratio "$(med "$c" snare "$col")" "$(med "$c" nginx-rev "$col")")" \
		"$(med "$c" snare 8)")"
}

idle_kib() {
	local f=$TMP/res/r4.$1 ok p0 p1
	[ -s "$f" ] || { echo -; return; }
	read -r ok _ _ _ _ _ p0 p1 _ < "$f"
	per_conn "$p0" "$p1" "$ok"
}

header() {
	local rev model tiny=""
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')
	model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
	command -v tinyproxy > /dev/null && tiny=", $(tinyproxy -v 2>&1 | head -1)"
	emit "snare benchmark  $(date -u '+%Y-%m-%d %H:%M:%SZ')  $rev"
	emit "host: $(nproc) CPUs, $model, $(uname -r)"
	emit "pinning: proxy on CPU $PROXY_CPU;" \
		"origin (nginx, 1 worker) and load generator on CPU $LOADGEN_CPU"
	emit "runs: ${WARM}s warm-up, $REPS x ${SECS}s measured, medians; keep-alive conns $CONNS" \
		"(mitmdump $MITM_CONNS), handshake conns $HS_CONNS"
	if command -v sslsplit > /dev/null; then tiny+=", $(sslsplit -V 2>&1 | sed -n 1p)"; fi
	emit "peers: $(mitmdump --version 2> /dev/null | head -1), $(nginx -v 2>&1 | sed 's/.*: //')$tiny"
	emit "direct = load generator straight to the origin;" \
		"nginx-rev = nginx as TLS-terminating reverse proxy (upstream keep-alive pool)"
	emit "reverse cases (r*): snare --mode reverse:https://origin, mitmdump --mode reverse," \
		"sslsplit 'ssl' proxyspec; load $REV_LOAD (r1, r2), hsclient (r3, r4)"
	emit "CPU = utime+stime of the proxy's whole process tree;" \
		"RSS = peak of summed VmRSS, 100 ms samples"
	emit "origin/client = origin's request count / load generator's; noise = share of CPU $PROXY_CPU used" \
		"by other processes (above ~10 % the figures are unreliable)"
}

main() {
	local c
	[ -x "$SNARE" ] || die "$SNARE not built (run make)"
	# test a private copy: a rebuild of build/snare during the run must not change the binary
	cp "$SNARE" "$TMP/snare-under-test"
	SNARE=$TMP/snare-under-test
	for c in wrk nginx mitmdump curl openssl python3 taskset setsid cc; do
		command -v "$c" > /dev/null || die "$c missing: scripts/deps.sh bench"
	done
	[ "$(nproc)" -gt "$PROXY_CPU" ] || die "need CPU $PROXY_CPU for the proxy"
	ulimit -n "$(ulimit -Hn)"
	mkdir -p "$ROOT/build/bench"
	cc -O2 -std=gnu17 -Wall -Wextra -Werror -o "$HSCLIENT" "$BENCH/hsclient.c" -lssl -lcrypto ||
		die "cannot build hsclient"
	make_origin
	make_nginx_reverse
	make_tinyproxy
	start_bg "$TMP/origin.log" "$OS" "$LOADGEN_CPU" nginx -c "$TMP/origin.conf" -p "$TMP/nginx"

	port_busy "$OH" || die "origin did not listen on $OH"
	header
	for c in $CASES; do
		case "$c" in
		1) case1 ;;
		2) case_tls 2 "HTTPS intercepted, 1 KiB, keep-alive (hsclient, CONNECT + TLS)" ;;
		3) case_tls 3 "HTTPS intercepted, 1 MiB, keep-alive (hsclient, CONNECT + TLS)" ;;
		4) case4 ;;
		h1) case_hooks ;;
		r1) case_rev r1 "reverse https->https, 1 KiB, keep-alive ($REV_LOAD -t1)" ;;
		r2) case_rev r2 "reverse https->https, 1 MiB, keep-alive ($REV_LOAD -t1)" ;;
		r3) case_rev_hs ;;
		r4) case_idle ;;
		r5) case_stime ;;
		s1) case_scale ;;
		w1) case_web ;;
		h2) case_h2 ;;
		q1) case_h3 ;;
		*) die "unknown case $c" ;;
		esac
	done
	case5
	issue19
	STATUS=OK
	log "bench: results in $RESULTS/latest.txt"
}

# case w1, the web interface, and case h2, HTTP/2 (use the helpers above)
. "$BENCH/web.sh"
. "$BENCH/h2.sh"
# case q1, reverse:http3://
. "$BENCH/h3.sh"

main "$@"
