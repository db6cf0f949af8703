# case h2 (issue 17, point 5), sourced by bench/run.sh: HTTP/2 to the client, h2load -c 50 -m 10
# on 1 KiB responses through snare reverse:https against nginx as a TLS-terminating h2 reverse
# proxy (upstream keep-alive pool, HTTP/1.1 to the origin: nginx cannot speak h2 upstream) and
# mitmdump in reverse mode.  nginx keeps up to 1,024 idle upstream connections here (64 in the
# HTTP/1 cases): with 500 streams in flight a smaller pool closes most of them after each
# response and pays a TLS handshake per request.  The origin gets a second TLS port that also speaks h2
# (H2_ORIGIN_PORT): snare and mitmdump are pointed at it by default (BENCH_H2_UPSTREAM=h2), so
# the h2 stream goes end to end; BENCH_H2_UPSTREAM=h1 points them at the HTTP/1.1-only port as
# nginx is, which needs snare's h2->h1 translation.  Also one row of idle h2 client
# connections' memory (bench/h2idle.py: N connections, one request each, then held idle).
# mitmdump runs here with --set connection_strategy=lazy: with its default (eager) mitmproxy
# 8.1 in reverse:https mode answers an h2 offer with HTTP/1.1 although the origin speaks h2.
# Eager, ReverseProxy opens the server connection before reading the client's ClientHello
# (proxy/layers/modes.py, DestinationKnown.finish_start), and ServerTLSLayer.start_handshake
# (proxy/layers/tls.py) only waits for the ClientHello when its child layer is already a
# ClientTLSLayer, which it is not yet (still a NextLayer), so it starts TLS to the origin at
# once; tls_start_server (addons/tlsconfig.py) then has no client ALPN offers to mirror and
# offers none, the origin settles on no protocol (alpn b""), and alpn_select_callback
# (addons/tlsconfig.py: "server_alpn == b''" -> NO_OVERLAPPING_PROTOCOLS) mirrors that to the
# client, which falls back to HTTP/1.1.  Lazy, the server connection opens after the
# ClientHello (tls_clienthello sets establish_server_tls_first because upstream_cert is on),
# with the client's offers (h2, http/1.1), so the origin picks h2 and so does the client.
# Knobs: BENCH_H2_CONNS (50) BENCH_H2_STREAMS (10) BENCH_H2_UPSTREAM (h2)
#   BENCH_H2_IDLE_CONNS (500)

H2_CONNS=${BENCH_H2_CONNS:-50}
H2_STREAMS=${BENCH_H2_STREAMS:-10}
H2_UPSTREAM=${BENCH_H2_UPSTREAM:-h2}
H2_IDLE_CONNS=${BENCH_H2_IDLE_CONNS:-500}
H2_ORIGIN_PORT=$((OS + 1))
P_NGINX_H2=$((P_SNARE + 6))

# the h2 origin port and nginx-rev-h2's configuration; called once from case_h2
make_h2_peers() {
	grep -q "listen $LO:$H2_ORIGIN_PORT" "$TMP/origin.conf" && return 0
	sed -i "s|^\t\tlisten $LO:$OS ssl backlog=4096;|&\n\t\tlisten $LO:$H2_ORIGIN_PORT ssl http2 backlog=4096;|" \
		"$TMP/origin.conf"
	nginx -s reload -c "$TMP/origin.conf" -p "$TMP/nginx" 2> "$TMP/nginx-reload.log" ||
		die "nginx reload: $(cat "$TMP/nginx-reload.log")"
	for _ in $(seq 50); do port_busy "$H2_ORIGIN_PORT" && break; sleep 0.1; done
	port_busy "$H2_ORIGIN_PORT" || die "origin did not listen on $H2_ORIGIN_PORT (h2)"
	sed -e "s|listen $LO:$P_NGINX ssl backlog=4096;|listen $LO:$P_NGINX_H2 ssl http2 backlog=4096;|" \
		-e "s|$TMP/nginx/rev.pid|$TMP/nginx/rev-h2.pid|" -e "s|rev.err|rev-h2.err|" \
		-e "s|keepalive 64;|keepalive 1024;|" \
		"$TMP/nginx-rev.conf" > "$TMP/nginx-rev-h2.conf"
}

# h2_upstream_port: the origin port snare and mitmdump forward to in case h2
h2_upstream_port() { [ "$H2_UPSTREAM" = h1 ] && echo "$OS" || echo "$H2_ORIGIN_PORT"; }

# load_args_h2 NAME: h2load through NAME (bench/h2load.sh maps run_load's -d to -D)
load_args_h2() {
	local name=$1 port=${PROXY_PORT:-}
	[ "$name" = direct ] && port=$H2_ORIGIN_PORT
	LOAD=("$BENCH/h2load.sh" -c "$H2_CONNS" -m "$H2_STREAMS" -t 1 "https://$LO:$port/1k.bin")
	[ "${H2_PROTO:-2}" = 2 ] || LOAD+=(--h1)
}

# parse_h2load OUT: "completed rate errors" from h2load's summary
parse_h2load() {
	awk '/^finished in / {gsub(/,/, ""); r = $4}
	     /^requests: / {gsub(/,/, ""); ok = $8; e = $10 + $12 + $14}
	     /^status codes: / {gsub(/,/, ""); e += $7 + $9 + $11}
	     END {if (r == "") exit 1; printf "%d %s %d\n", ok, r, e}' "$1"
}

# h2_verify NAME: one request through NAME must reach the origin; sets H2_PROTO to what curl
# negotiated offering h2 ("2" or "1.1"): only mitmdump may answer with HTTP/1.1 (then h2load
# runs with --h1 against it, and the table says so): it does with BENCH_H2_UPSTREAM=h1 (it
# mirrors the origin's ALPN), or with a mitmproxy that ignores connection_strategy=lazy
h2_verify() {
	local name=$1 port=${PROXY_PORT:-} out
	[ "$name" = direct ] && port=$H2_ORIGIN_PORT
	out=$(curl -sk --http2 -m 10 -D - -o /dev/null "https://$LO:$port/1k.bin") || true
	H2_PROTO=$(printf '%s\n' "$out" | awk '/^HTTP\// {sub(/HTTP\//, "", $1); print $1; exit}')
	if ! printf '%s\n' "$out" | grep -qi '^x-origin: snare-bench-origin' ||
		{ [ "$H2_PROTO" != 2 ] && [ "$name" != mitmdump ]; }; then
		log "curl --http2 through $name answered:"
		log "${out:-<nothing>}"
		[ "$name" != direct ] && tail -20 "$TMP/$name.log" >&2
		die "h2 verification of $name did not reach the origin over h2"
	fi
}

# h2_idle NAME PID: H2_IDLE_CONNS h2 client connections (bench/h2idle.py), one request each,
# then held idle; KiB of PSS per connection into TMP/res/h2idle.NAME ("KIB ANSWERED/HELD")
h2_idle() {
	local name=$1 pid=$2 out=$TMP/load.h2idle.$1 p0 p1 hp ok ans asked
	read -r _ p0 _ _ < <(loadgen python3 "$BENCH/proctree.py" mem "$pid")
	loadgen "$BENCH/h2idle.py" "$LO" "$PROXY_PORT" /1k.bin "$H2_IDLE_CONNS" "$IDLE_HOLD" \
		> "$out" 2>&1 &
	hp=$!
	wait_line "$out" ready 150 || { cat "$out" >&2; die "$name: idle h2 connections not set up"; }
	sleep 2
	read -r _ p1 _ _ < <(loadgen python3 "$BENCH/proctree.py" mem "$pid")
	wait "$hp" || true
	read -r _ ok _ < <(grep '^ready ' "$out")
	read -r _ ans asked < <(grep '^answered ' "$out") || { ans=-; asked=-; }
	[ "$ok" -gt 0 ] || { cat "$out" >&2; die "$name: no idle h2 connection succeeded"; }
	echo "$(per_conn "$p0" "$p1" "$ok") $ans/$asked" > "$TMP/res/h2idle.$name"
	log "  case h2 idle $name: $ok held, PSS $p0 -> $p1 KiB, answered after the hold $ans/$asked"
}

case_h2() {
	local peers=(direct snare nginx-rev-h2 mitmdump) name n up s n_ rps cpu
	H2_H1_PEERS=""
	command -v h2load > /dev/null || die "h2load missing: scripts/deps.sh bench"
	make_h2_peers
	up=$(h2_upstream_port)
	mkdir -p "$TMP/res"
	REVERSE=1
	REV_PORT=$up
	MITM_SETS=(--set connection_strategy=lazy)
	for name in "${peers[@]}"; do
		wanted "$name" || continue
		n=$H2_CONNS
		CONNS_OF[h2$name]="${n}x$H2_STREAMS"
		log "case h2: $name ($n connections x $H2_STREAMS streams)"
		if [ "$name" = direct ]; then
			h2_verify direct
			measure h2 direct - "$n"
			continue
		fi
		start_proxy "$name"
		h2_verify "$name"
		[ "$H2_PROTO" = 2 ] || H2_H1_PEERS+=" $name"
		measure h2 "$name" "$PROXY_PID" "$n"
		stop_bg "$PROXY_PID"
		[ "$name" = mitmdump ] && continue
		# the idle row on a fresh process: the load run's heap would hide it
		start_proxy "$name"
		h2_verify "$name"
		h2_idle "$name" "$PROXY_PID"
		stop_bg "$PROXY_PID"
	done
	REV_PORT=$OS
	MITM_SETS=()
	emit ""
	emit "== case h2: HTTP/2 to the client, 1 KiB, h2load -c $H2_CONNS -m $H2_STREAMS" \
		"(snare and mitmdump forward to the origin's $H2_UPSTREAM port; nginx-rev-h2 over" \
		"HTTP/1.1 keep-alive) =="
	table h2 req/s "CPU ms/1k req" "${peers[@]}"
	[ -n "$H2_H1_PEERS" ] && emit "  answered HTTP/1.1 to an h2 offer, so loaded with h2load --h1" \
		"(-m = pipelined requests):$H2_H1_PEERS"
	ratios h2 1 "req/s" snare/direct snare/nginx-rev-h2 snare/mitmdump
	ratios h2 2 "proxy CPU per request (peer/snare, above 1 = snare cheaper)" \
		nginx-rev-h2/snare mitmdump/snare
	for name in snare nginx-rev-h2; do
		[ -s "$TMP/res/h2idle.$name" ] &&
			emit "  idle h2 client connections ($H2_IDLE_CONNS, one request each), $name:" \
				"KiB PSS per connection, answered after the hold:" \
				"$(cat "$TMP/res/h2idle.$name")"
	done
	s=$(med h2 snare 1) n_=$(med h2 nginx-rev-h2 1)
	target "req/s snare/nginx-rev-h2 (issue 17)" "$(xratio "$s" "$n_")" ">=" 1.0
	rps=$(xratio "$(med h2 snare 2)" "$(med h2 nginx-rev-h2 2)")
	target "CPU per request snare/nginx-rev-h2 (issue 17)" "$rps" "<=" 1.0
	target "req/s snare/mitmdump (issue 17)" "$(xratio "$s" "$(med h2 mitmdump 1)")" ">=" 50
	cpu=-
	[ -s "$TMP/res/h2idle.snare" ] && read -r cpu _ < "$TMP/res/h2idle.snare"
	target "KiB PSS per idle h2 client connection, snare (issue 17)" "$cpu" "<=" 32
}
