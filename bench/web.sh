# Case w1 of bench/run.sh (sourced by it; uses its helpers): the cost of the web interface.
#  1. HTTPS 1 KiB keep-alive through snare as case 2 (hsclient, CONNECT + TLS, same pinning),
#     snare -q, snare with its default flow output, and the latter as snare-web
#     (--set web=true) with a headless Chromium page attached
#     (bench/web_attach.js: logged in with the token, flow list open, taking the live pushes;
#     pinned to the load generator's CPU at nice 19, so that it never shares the proxy's);
#     req/s ratio, proxy CPU per 1k requests both ways, the ui process's CPU, the drops the
#     page heard.
#  2. snare-web -n -r with a generated 200,000-flow file (tests/integration/gen_flows.py): the
#     ui process's RSS and the time of a fresh filter query on /api/flows.  Information only.
# Knobs: BENCH_WEB_PORT (BENCH_PROXY_PORT + 5), BENCH_WEB_FLOWS (200000), CHROMIUM.

WEB_PORT=${BENCH_WEB_PORT:-$((P_SNARE + 5))}
WEB_FLOWS=${BENCH_WEB_FLOWS:-200000}

# web_ui_pid ROOT: the pid of the ui process (--role ui) in ROOT's tree
web_ui_pid() {
	local p
	for p in $(tree_pids "$1"); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null | grep -q -- '--role ui' && echo "$p"
	done
}

# web_start LOG ARGS...: snare with the web interface on WEB_PORT, on PROXY_CPU; sets PROXY_PID,
# WEB_TOKEN.  Waits for the web start-up line (start_bg waits for the port given first).
web_start() {
	local logf=$1 port=$P_SNARE i
	shift
	[[ " $* " == *" -n "* ]] && port=$WEB_PORT
	port_busy "$WEB_PORT" && die "web port $WEB_PORT is in use (set BENCH_WEB_PORT)"
	start_bg "$logf" "$port" "$PROXY_CPU" "$SNARE" --set "confdir=$TMP/snare" \
		--set web=true --set "web_port=$WEB_PORT" --set "web_static=$ROOT/web" \
		--set web_open_browser=false "$@"
	PROXY_PID=$BG
	for i in $(seq 100); do
		grep -q 'Web server listening at' "$logf" && break
		sleep 0.1
	done
	WEB_TOKEN=$(grep -m1 -oE 'token=[0-9a-f]+' "$logf" | cut -d= -f2)
	[ -n "$WEB_TOKEN" ] || { cat "$logf" >&2; die "snare-web printed no token"; }
}

# w1_start NAME: snare-q (run.sh's snare, -q: no flow output, so no flows kept), snare (the
# default flow output, one line per flow to its log) or snare-web (as snare, web=true); sets
# PROXY_PID.  snare and snare-web differ by the interface only.
w1_start() {
	local args=(--mode "regular@$LO:$P_SNARE" --set workers=1
		--set "ssl_verify_upstream_trusted_ca=$TMP/origin.crt")
	PROXY_PORT=$P_SNARE
	case "$1" in
	snare-q) start_proxy snare ;;
	snare) start_bg "$TMP/snare.log" "$P_SNARE" "$PROXY_CPU" "$SNARE" "${args[@]}" \
		--set "confdir=$TMP/snare" ;;
	snare-web) web_start "$TMP/snare-web.log" "${args[@]}" ;;
	esac
	PROXY_PID=$BG
}

# web_attached_measure: case w1's snare-web run, a Chromium page attached while it is measured
web_attached_measure() {
	local out=$TMP/web_attach.out ui u0 u1 t0 t1 apid p
	w1_start snare-web
	verify https snare-web /1k.bin
	ui=$(web_ui_pid "$PROXY_PID")
	[ -n "$ui" ] || die "no ui process under snare-web"
	# The browser (node and the Chromium it starts inherit the pinning) on the load generator's
	# CPU, never the proxy's, at the lowest priority: on a 2-CPU machine it then takes what
	# the load generator leaves instead of slowing the client down (docs/benchmarks.md, w1).
	WEB_URL="http://$LO:$WEB_PORT/?token=$WEB_TOKEN" setsid taskset -c "$LOADGEN_CPU" \
		nice -n 19 node "$BENCH/web_attach.js" > "$out" 2>&1 < /dev/null &
	apid=$!
	STARTED+=("$apid")
	wait_line "$out" ready 60 || { cat "$out" >&2; die "Chromium did not attach to snare-web"; }
	# With autogroup scheduling (each session a group) a task's nice value only counts within its
	# session, and Chromium starts sessions of its own: lower each of the browser's sessions.
	for p in $(tree_pids "$apid"); do echo 19 > "/proc/$p/autogroup" 2> /dev/null || true; done
	u0=$(loadgen python3 "$BENCH/proctree.py" cpu "$ui")
	t0=$(date +%s.%N)
	measure w1 snare-web "$PROXY_PID" "$CONNS"
	u1=$(loadgen python3 "$BENCH/proctree.py" cpu "$ui")
	t1=$(date +%s.%N)
	sleep 2 # the page takes what is still queued for it (and hears of drops)
	kill -USR2 "$apid" 2> /dev/null || true
	wait_line "$out" pushes 20 || log "web_attach.js printed no summary: $(cat "$out")"
	stop_bg "$apid"
	# ui CPU over warm-up and measured runs: seconds, share of one CPU
	WEB_UI_CPU=$(awk -v a="$u0" -v b="$u1" -v s="$t0" -v e="$t1" \
		'BEGIN {printf "%.2f s in %.1f s (%.0f %% of one CPU)", b - a, e - s, 100 * (b - a) / (e - s)}')
	read -r _ WEB_PUSHES _ WEB_EVENTS _ WEB_DROPPED _ WEB_COORD _ WEB_FRAMES _ WEB_LIST \
		< <(grep '^pushes ' "$out") || true
	stop_bg "$PROXY_PID"
}

case_web() {
	local name
	REVERSE=0
	if ! command -v node > /dev/null || [ ! -d "$ROOT/tests/web/node_modules/playwright-core" ]; then
		emit ""
		emit "== case w1: skipped: needs node and tests/web/node_modules (sh tests/web/install.sh) =="
		return 0
	fi
	for name in snare-q snare web-nopage snare-web; do
		CONNS_OF[w1$name]=$CONNS
		log "case w1: $name ($CONNS connections)"
		[ "$name" = snare-web ] && { web_attached_measure; continue; }
		w1_start "${name/web-nopage/snare-web}"
		verify https "$name" /1k.bin
		measure w1 "$name" "$PROXY_PID" "$CONNS"
		stop_bg "$PROXY_PID"
	done
	emit ""
	emit "== case w1: HTTPS intercepted, 1 KiB, keep-alive (hsclient, CONNECT + TLS);" \
		"snare-web = snare + --set web=true with a headless Chromium page on the flow list;" \
		"web-nopage = the same without a page; snare-q = snare -q (no flow output, no flows kept) =="
	table w1 req/s "CPU ms/1k req" snare-q snare web-nopage snare-web
	ratios w1 1 "req/s" snare-web/snare web-nopage/snare snare-web/snare-q
	ratios w1 2 "proxy CPU per request (whole tree, ui included)" snare-web/snare \
		web-nopage/snare snare-web/snare-q
	emit "  ui process CPU (warm-up and runs): $WEB_UI_CPU"
	emit "  page: ${WEB_PUSHES:-?} flow (in ${WEB_FRAMES:-?} batches) and ${WEB_EVENTS:-?} event pushes received, dropped" \
		"${WEB_DROPPED:-?} (sum of the \"dropped\" messages); views the coordinator dropped" \
		"${WEB_COORD:-?}; the list showed: ${WEB_LIST:-?}"
	target "req/s snare-web/snare" "$(xratio "$(med w1 snare-web 1)" "$(med w1 snare 1)")" ">=" 0.9
	web_flows
}

# web_query NAME FILTER: a fresh filtered page of /api/flows, asked again every 50 ms until
# the answer is complete (docs/web-api.md); prints the first answer's time and rows, the time
# until the complete answer, the ui's CPU over it and the matches
web_query() {
	local q t first="" rows=? n c0 c1 t0 ms i
	q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$2")
	c0=$(python3 "$BENCH/proctree.py" cpu "$WEB_UI")
	t0=$(date +%s%N)
	for i in $(seq 1200); do
		t=$(curl -s -o "$TMP/web_q.json" -w '%{time_total}' -b "$TMP/web.jar" \
			"http://$LO:$WEB_PORT/api/flows?filter=$q&limit=100")
		if [ -z "$first" ]; then
			first=$t
			rows=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["flows"]))' \
				"$TMP/web_q.json" 2> /dev/null) || rows=?
		fi
		grep -q '"complete":false' "$TMP/web_q.json" || break
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	c1=$(python3 "$BENCH/proctree.py" cpu "$WEB_UI")
	n=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' \
		"$TMP/web_q.json" 2> /dev/null) || n=?
	emit "$(printf '  %-22s first answer %4.0f ms (%3s rows), complete %5d ms, ui CPU %4.0f ms, %7s match' \
		"$1" "$(awk -v t="$first" 'BEGIN {print t * 1000}')" "$rows" "$ms" \
		"$(awk -v a="$c0" -v b="$c1" 'BEGIN {print (b - a) * 1000}')" "$n")"
}

# web_har_all: /flows.har of every flow (streamed): time, size, the ui's VmHWM after it
web_har_all() {
	local t hwm
	t=$(curl -s -o "$TMP/all.har" -w '%{time_total}' -b "$TMP/web.jar" "http://$LO:$WEB_PORT/flows.har")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$WEB_UI/status" 2> /dev/null) || hwm=-
	emit "$(printf '  %.1f s, %s MB; ui VmHWM (peak RSS) since start %s MiB' "$t" \
		"$(($(stat -c %s "$TMP/all.har") / 1000000))" "$(kib2mib "${hwm:--}")")"
	rm -f "$TMP/all.har"
}

# web_flows: snare-web -n -r with WEB_FLOWS generated flows: ui RSS and filter query times
web_flows() {
	local logf=$TMP/snare-web-r.log ui rss i
	log "case w1: snare-web -r with $WEB_FLOWS flows"
	loadgen python3 "$ROOT/tests/integration/gen_flows.py" "$WEB_FLOWS" "$TMP/flows.snare"
	web_start "$logf" -n -r "$TMP/flows.snare"
	for i in $(seq 1800); do
		grep -q "loaded $WEB_FLOWS flows" "$logf" && break
		sleep 0.1
	done
	grep -q "loaded $WEB_FLOWS flows" "$logf" || { tail -5 "$logf" >&2; die "flows not loaded"; }
	curl -s -o /dev/null -c "$TMP/web.jar" "http://$LO:$WEB_PORT/?token=$WEB_TOKEN"
	ui=$(web_ui_pid "$PROXY_PID")
	WEB_UI=$ui
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$ui/status" 2> /dev/null) || rss=-
	emit ""
	emit "== case w1: snare-web -n -r with $WEB_FLOWS generated flows" \
		"(tests/integration/gen_flows.py; information, not a pass/fail) =="
	emit "  ui process VmRSS after loading: $(kib2mib "${rss:--}") MiB  (goal <= 128 MiB)"
	emit "  fresh filter, /api/flows?filter=...&limit=100 (curl time_total of the first answer," \
		"goal <= 200 ms; then asked every 50 ms until complete):"
	web_query "~d h7.example.com" "~d h7.example.com"
	web_query "~m POST" "~m POST"
	web_query "~c 404" "~c 404"
	web_query "~u /item/12345" "~u /item/12345"
	web_query "~h User-Agent" "~h User-Agent"
	web_query "~hs json" "~hs json"
	web_query "~b 12345" "~b 12345"
	web_query "~bq x" "~bq x"
	web_query "~d h7.example.com & ~h gen" "~d h7.example.com & ~h gen"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$ui/status" 2> /dev/null) || rss=-
	emit "  ui process VmRSS after the queries: $(kib2mib "${rss:--}") MiB; /flows.har of all:"
	web_har_all
	stop_bg "$PROXY_PID"
}
