# Case q1 of bench/run.sh (sourced by it; uses its helpers): reverse:http3:// against the same
# client talking HTTP/3 to the origin directly.
#   origin: caddy (file_server, h3 on), pinned with the load generator on LOADGEN_CPU;
#   snare: --mode reverse:http3://origin, one worker, on PROXY_CPU;
#   client: gtlsclient (ngtcp2's example client, Debian's ngtcp2-client), one connection:
#     requests: -n N GETs of 1 KiB (up to 100 streams at once), req/s = N / wall time;
#     download: one GET of 100 MiB, MiB/s = 100 / wall time.
# REPS runs each (after one warm-up), medians; snare's CPU (whole tree) and peak RSS over the
# runs; then memory per connection: BENCH_H3_CONNS clients at once, each holding a connection
# busy with requests, snare's RSS at their peak minus its RSS before, per connection.
# Knobs: BENCH_H3_REQS (20000) BENCH_H3_CONNS (20) BENCH_H3_PORT (BENCH_PROXY_PORT + 8).
# Goals (issue 18): req/s >= 0.5x direct, download >= 0.7x direct.

H3_REQS=${BENCH_H3_REQS:-20000}
H3_CONNS=${BENCH_H3_CONNS:-20}
H3_ORIGIN=${BENCH_H3_PORT:-$((P_SNARE + 8))}
H3_PROXY=$((H3_ORIGIN + 1))

udp_busy() { ss -Hlun "sport = :$1" | grep -q .; }

# h3_origin: caddy serving TMP/www (1k.bin, 100m.bin) over h1/h2/h3 with a test leaf
h3_origin() {
	mkdir -p "$TMP/h3"
	head -c 104857600 /dev/urandom > "$TMP/www/100m.bin"
	chmod 644 "$TMP/www/100m.bin"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=h3.bench" -addext "subjectAltName=DNS:h3.bench,IP:$LO" \
		-keyout "$TMP/h3/origin.key" -out "$TMP/h3/origin.crt" 2> "$TMP/openssl.log" ||
		die "openssl req (h3): $(cat "$TMP/openssl.log")"
	cat > "$TMP/h3/Caddyfile" <<EOF
{
	admin off
	auto_https disable_redirects
	default_sni h3.bench
	servers {
		protocols h1 h2 h3
	}
}
https://:$H3_ORIGIN {
	bind $LO
	tls $TMP/h3/origin.crt $TMP/h3/origin.key
	root * $TMP/www
	file_server
}
EOF
	start_bg "$TMP/h3/caddy.log" "$H3_ORIGIN" "$LOADGEN_CPU" env XDG_DATA_HOME="$TMP/h3" \
		XDG_CONFIG_HOME="$TMP/h3" HOME="$TMP/h3" caddy run --config "$TMP/h3/Caddyfile" \
		--adapter caddyfile
	H3_CADDY=$BG
	for _ in $(seq 100); do udp_busy "$H3_ORIGIN" && break; sleep 0.1; done
	udp_busy "$H3_ORIGIN" || die "caddy did not listen on UDP $H3_ORIGIN"
}

h3_snare() {
	setsid taskset -c "$PROXY_CPU" "$SNARE" --mode "reverse:http3://$LO:$H3_ORIGIN@$LO:$H3_PROXY" \
		--set workers=1 --set "confdir=$TMP/snare" \
		--set "ssl_verify_upstream_trusted_ca=$TMP/h3/origin.crt" -q \
		> "$TMP/h3/snare.log" 2>&1 < /dev/null &
	H3_SNARE=$!
	STARTED+=("$H3_SNARE")
	for _ in $(seq 100); do udp_busy "$H3_PROXY" && break; sleep 0.1; done
	udp_busy "$H3_PROXY" || { cat "$TMP/h3/snare.log" >&2; die "snare did not listen on UDP $H3_PROXY"; }
}

# h3_get PORT PATH [ARGS...]: gtlsclient on the load core; prints the wall seconds (fails on error)
h3_get() {
	local port=$1 path=$2 t0 t1
	shift 2
	t0=$(date +%s.%N)
	loadgen gtlsclient -q --exit-on-all-streams-close "$@" "$LO" "$port" \
		"https://h3.bench$path" > "$TMP/h3/client.log" 2>&1 || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}

# h3_verify PORT NAME: one 1 KiB GET with --download must bring the origin's bytes
h3_verify() {
	rm -rf "$TMP/h3/dl"
	mkdir -p "$TMP/h3/dl"
	h3_get "$1" /1k.bin --download="$TMP/h3/dl" > /dev/null &&
		cmp -s "$TMP/www/1k.bin" "$TMP/h3/dl/1k.bin" ||
		die "HTTP/3 verification of $2 failed: $(tail -5 "$TMP/h3/client.log")"
}

# h3_runs NAME PORT KIND: warm-up then REPS runs; one "value seconds" line per run in res/q1.NAME.KIND
h3_runs() {
	local name=$1 port=$2 kind=$3 rep s v path=/1k.bin
	local args=(-n "$H3_REQS")
	[ "$kind" = dl ] && args=() && path=/100m.bin
	h3_get "$port" "$path" "${args[@]+"${args[@]}"}" > /dev/null || die "$name $kind warm-up failed"
	: > "$TMP/res/q1.$name.$kind"
	for rep in $(seq "$REPS"); do
		s=$(h3_get "$port" "$path" "${args[@]+"${args[@]}"}") ||
			die "$name $kind run failed: $(tail -5 "$TMP/h3/client.log")"
		if [ "$kind" = dl ]; then v=$(awk -v s="$s" 'BEGIN {printf "%.1f", 100 / s}')
		else v=$(awk -v s="$s" -v n="$H3_REQS" 'BEGIN {printf "%.0f", n / s}'); fi
		echo "$v $s" >> "$TMP/res/q1.$name.$kind"
	done
}

# h3_conn_mem: snare's RSS with H3_CONNS busy connections at once, minus before, per connection
h3_conn_mem() {
	local r0 peak i pids=()
	r0=$(loadgen python3 "$BENCH/proctree.py" rss "$H3_SNARE")
	taskset -c "$LOADGEN_CPU" python3 "$BENCH/proctree.py" sample "$H3_SNARE" "$TMP/h3/conns.rss" &
	local sp=$!
	for i in $(seq "$H3_CONNS"); do
		loadgen gtlsclient -q --exit-on-all-streams-close -n 3000 "$LO" "$H3_PROXY" \
			"https://h3.bench/1k.bin" > /dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	kill "$sp" 2> /dev/null || true
	wait "$sp" 2> /dev/null || true
	peak=$(cat "$TMP/h3/conns.rss" 2> /dev/null || echo "$r0")
	H3_CONN_KIB=$(awk -v a="$r0" -v b="$peak" -v n="$H3_CONNS" 'BEGIN {printf "%.0f", (b - a) / n}')
	H3_IDLE_KIB=$r0
}

case_h3() {
	local c0 c1 sp rss rq_d rq_s dl_d dl_s
	command -v caddy > /dev/null || die "caddy missing (case q1)"
	command -v gtlsclient > /dev/null || die "gtlsclient missing: ngtcp2-client (case q1)"
	mkdir -p "$TMP/res"
	h3_origin
	h3_verify "$H3_ORIGIN" direct
	h3_runs direct "$H3_ORIGIN" req
	h3_runs direct "$H3_ORIGIN" dl
	h3_snare
	h3_verify "$H3_PROXY" snare
	c0=$(loadgen python3 "$BENCH/proctree.py" cpu "$H3_SNARE")
	taskset -c "$LOADGEN_CPU" python3 "$BENCH/proctree.py" sample "$H3_SNARE" "$TMP/h3/runs.rss" &
	sp=$!
	h3_runs snare "$H3_PROXY" req
	c1=$(loadgen python3 "$BENCH/proctree.py" cpu "$H3_SNARE")
	h3_runs snare "$H3_PROXY" dl
	kill "$sp" 2> /dev/null || true
	wait "$sp" 2> /dev/null || true
	rss=$(cat "$TMP/h3/runs.rss" 2> /dev/null || echo -)
	H3_CPU_1K=$(awk -v a="$c0" -v b="$c1" -v n=$(((REPS + 1) * H3_REQS)) \
		'BEGIN {printf "%.2f", (b - a) * 1e6 / n}')
	h3_conn_mem
	rq_d=$(med q1 direct.req 1) rq_s=$(med q1 snare.req 1)
	dl_d=$(med q1 direct.dl 1) dl_s=$(med q1 snare.dl 1)
	emit ""
	emit "== case q1: reverse:http3:// (caddy origin, gtlsclient, one QUIC connection) =="
	emit "$(printf '%-34s %12s %12s %8s %6s %6s' row direct snare ratio goal ok)"
	h3_row "1 KiB GETs/s ($H3_REQS per run)" "$rq_d" "$rq_s" 0.5
	h3_row "100 MiB download, MiB/s" "$dl_d" "$dl_s" 0.7
	emit "snare: CPU $H3_CPU_1K ms per 1k requests; peak RSS over the runs $(kib2mib "$rss") MiB" \
		"(tree, idle $(kib2mib "$H3_IDLE_KIB") MiB); $H3_CONNS busy connections at once:" \
		"$H3_CONN_KIB KiB each"
	emit "runs (value seconds): direct req $(tr '\n' ';' < "$TMP/res/q1.direct.req")" \
		"snare req $(tr '\n' ';' < "$TMP/res/q1.snare.req")"
	emit "  direct dl $(tr '\n' ';' < "$TMP/res/q1.direct.dl") snare dl $(tr '\n' ';' < "$TMP/res/q1.snare.dl")"
	stop_bg "$H3_SNARE"
	stop_bg "$H3_CADDY"
}

# h3_row LABEL DIRECT SNARE GOAL
h3_row() {
	local r ok
	r=$(xratio "$3" "$2")
	ok=$(awk -v r="$r" -v g="$4" 'BEGIN {print (r != "-" && r + 0 >= g) ? "yes" : "no"}')
	emit "$(printf '%-34s %12s %12s %8s %6s %6s' "$1" "$2" "$3" "${r}x" ">=$4" "$ok")"
}
