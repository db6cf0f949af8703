# Scripts and built-in rewrites applied by the workers (snare-scripting(7)),
# with real curl through regular mode: each HTTP example of examples/ as
# documented, the limits (an infinite loop, a memory bomb and a runtime
# error each leave snare serving, after the hook is shown to run), and each
# rewrite option's effect.
. "$(dirname "$0")/lib.sh"

EX=$SNARE_ROOT/examples
start_origin || { notok scripts-origin "did not start"; exit 1; }
O=http://127.0.0.1:$ORIGIN_PORT

# run_with NAME ARGS...: (re)starts snare with ARGS, in regular mode unless
# ARGS start with --mode.
run_with() {
	local name=$1 mode=(--mode regular@127.0.0.1:0)
	shift
	[ "${1:-}" = --mode ] && mode=()
	[ -n "${SNARE_PID:-}" ] && stop_snare
	if ! start_snare "${mode[@]}" "$@"; then
		notok "$name-start" "$(cat "$SNARE_LOG")"
		return 1
	fi
}

# ---- examples/add_header.lua: a header on every response
if run_with add-header -s "$EX/add_header.lua"; then
	out=$(proxy_curl -D - "$O/hello")
	if printf '%s' "$out" | grep -qi '^x-snare: hello' && printf '%s' "$out" | grep -qi '^x-snare-count: 1' &&
		printf '%s' "$out" | grep -q '^hello'; then
		ok example-add-header
	else
		notok example-add-header "$out"
	fi
fi

# ---- examples/json_body.lua: "admin": false becomes true in a JSON response
if run_with json-body -s "$EX/json_body.lua"; then
	out=$(proxy_curl -H 'content-type: application/json' -d '{"user": "a", "admin": false}' "$O/echo")
	if [ "$out" = '{"user": "a", "admin": true}' ]; then ok example-json-body; else notok example-json-body "$out"; fi
	out=$(proxy_curl -H 'content-type: text/plain' -d '"admin": false' "$O/echo")
	if [ "$out" = '"admin": false' ]; then ok example-json-body-other-type; else notok example-json-body-other-type "$out"; fi
fi

# ---- examples/answer_locally.lua: /hello answered by snare, the rest by the origin
if run_with answer-locally -s "$EX/answer_locally.lua"; then
	out=$(proxy_curl "$O/headers")
	if printf '%s' "$out" | grep -qi '^host:'; then ok example-answer-locally-other; else notok example-answer-locally-other "$out"; fi
	out=$(proxy_curl "$O/hello")
	if [ "$out" = "Hello from snare" ]; then ok example-answer-locally; else notok example-answer-locally "$out"; fi
	out=$(proxy_curl "$O/hello" "$O/hello")
	if [ "$(printf '%s\n' "$out" | grep -c 'Hello from snare')" = 2 ]; then
		ok example-answer-locally-keepalive
	else
		notok example-answer-locally-keepalive "$out"
	fi
fi

# ---- examples/block_host.lua: 403 for ads.example, killed for malware.example
if run_with block-host -s "$EX/block_host.lua" --set "map_remote=|//[a-z]*\\.example:$ORIGIN_PORT/|//127.0.0.1:$ORIGIN_PORT/"; then
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://ok.example:$ORIGIN_PORT/hello")
	if [ "$code" = 200 ]; then ok example-block-host-other; else notok example-block-host-other "code $code"; fi
	out=$(proxy_curl -w ' %{http_code}' "http://ads.example/x")
	if [ "$out" = "blocked by snare
 403" ]; then ok example-block-host-403; else notok example-block-host-403 "$out"; fi
	if proxy_curl -o /dev/null "http://malware.example/x" 2>/dev/null; then
		notok example-block-host-kill "the request succeeded"
	else
		ok example-block-host-kill
	fi
fi

# ---- examples/dns_table.lua in dns mode with dig: names from the table, a
# failed domain, and an upstream (dnsmasq) answer rewritten
if command -v dnsmasq >/dev/null && command -v dig >/dev/null; then
	NSPORT=$(free_port)
	dnsmasq --no-daemon --port="$NSPORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--no-hosts --address=/example.com/10.20.30.40 --address=/other.test/10.20.30.41 \
		>"$T/dnsmasq-scripts.log" 2>&1 &
	PIDS+=($!)
	wait_for "$T/dnsmasq-scripts.log" "started" 10 || true
	[ -n "${SNARE_PID:-}" ] && stop_snare
	if start_snare --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$NSPORT" -s "$EX/dns_table.lua"; then
		SNARE_PID_DNS=$SNARE_PID
		dq() { dig +time=5 +tries=1 @127.0.0.1 -p "$SNARE_PORT" "$@"; }
		out=$(dq +short other.test A)
		if [ "$out" = 10.20.30.41 ]; then ok example-dns-upstream-untouched; else notok example-dns-upstream-untouched "$out"; fi
		out=$(dq +short app.internal.test A)
		if [ "$out" = 10.0.0.10 ]; then ok example-dns-table-a; else notok example-dns-table-a "$out"; fi
		out=$(dq +short app.internal.test AAAA)
		if [ "$out" = fd00::10 ]; then ok example-dns-table-aaaa; else notok example-dns-table-aaaa "$out"; fi
		out=$(dq +short info.internal.test TXT)
		if [ "$out" = '"served by snare"' ]; then ok example-dns-table-txt; else notok example-dns-table-txt "$out"; fi
		out=$(dq +tcp +short www.internal.test A)
		if printf '%s\n' "$out" | grep -qx 'app.internal.test.' && printf '%s\n' "$out" | grep -qx 10.0.0.10; then
			ok example-dns-table-cname-tcp
		else
			notok example-dns-table-cname-tcp "$out"
		fi
		out=$(dq x.blocked A)
		if printf '%s' "$out" | grep -q 'status: NXDOMAIN'; then ok example-dns-fail-nxdomain; else notok example-dns-fail-nxdomain "$out"; fi
		out=$(dq +short example.com A)
		if [ "$out" = 127.0.0.1 ]; then ok example-dns-upstream-rewritten; else notok example-dns-upstream-rewritten "$out"; fi
	fi
else
	skip example-dns "dnsmasq or dig missing"
fi

# ---- examples/tcp_rewrite.lua in reverse:tcp mode with socat against an
# echo server: foo becomes bar towards the server, the echoed bar becomes baz
if command -v socat >/dev/null; then
	EPORT=$(free_port)
	socat "TCP-LISTEN:$EPORT,bind=127.0.0.1,fork,reuseaddr" PIPE >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 50); do ss -ltn | grep -q ":$EPORT " && break; sleep 0.1; done
	[ -n "${SNARE_PID:-}" ] && stop_snare
	if start_snare --mode "reverse:tcp://127.0.0.1:$EPORT@127.0.0.1:0" -s "$EX/tcp_rewrite.lua"; then
		out=$(printf 'hello\n' | socat -t 3 - "TCP:127.0.0.1:$SNARE_PORT")
		if [ "$out" = hello ]; then ok example-tcp-untouched; else notok example-tcp-untouched "$out"; fi
		out=$(printf 'a foo b\n' | socat -t 3 - "TCP:127.0.0.1:$SNARE_PORT")
		if [ "$out" = "a baz b" ]; then ok example-tcp-rewrite; else notok example-tcp-rewrite "$out"; fi
	fi
else
	skip example-tcp "socat missing"
fi

# ---- examples/websocket_rewrite.lua with a WebSocket client through regular
# mode: the client's "debug" is dropped, the server's "hello" becomes HELLO
if run_with websocket -s "$EX/websocket_rewrite.lua"; then
	WSC="python3 $SNARE_ROOT/tests/integration/wsclient.py --proxy 127.0.0.1:$SNARE_PORT --url ws://127.0.0.1:$ORIGIN_PORT/ws"
	out=$(timeout 20 $WSC --send other 2>&1)
	if [ "$(printf '%s\n' "$out" | head -1)" = other ] && printf '%s' "$out" | grep -q 'closed 1000'; then
		ok example-websocket-untouched
	else
		notok example-websocket-untouched "$out"
	fi
	out=$(timeout 20 $WSC --lenient --fire debug --send "say hello" 2>&1)
	if [ "$(printf '%s\n' "$out" | head -1)" = "say HELLO" ] && printf '%s' "$out" | grep -q 'closed 1000'; then
		ok example-websocket-rewrite-and-drop
	else
		notok example-websocket-rewrite-and-drop "$out"
	fi
fi

# ---- lifecycle events of relayed flows and the HTTP error hook, seen in
# the log through print(): tcp_start/tcp_end (socat), websocket_start/end
# (WebSocket client), error (a refused server connection)
cat >"$T/events.lua" <<'LUA'
local M = {}
function M.tcp_start(flow) print("tcp_start seen") end
function M.tcp_end(flow) print("tcp_end seen") end
function M.websocket_start(flow) print("websocket_start seen") end
function M.websocket_end(flow) print("websocket_end seen") end
function M.error(flow) print("error seen: " .. tostring(flow.error)) end
return M
LUA
chmod 644 "$T/events.lua"
if [ -n "${EPORT:-}" ] && run_with events-tcp --mode "reverse:tcp://127.0.0.1:$EPORT@127.0.0.1:0" -s "$T/events.lua"; then
	out=$(printf 'ping\n' | socat -t 3 - "TCP:127.0.0.1:$SNARE_PORT")
	if [ "$out" = ping ] && wait_for "$SNARE_LOG" "tcp_start seen" 5 && wait_for "$SNARE_LOG" "tcp_end seen" 5; then
		ok events-tcp-start-end
	else
		notok events-tcp-start-end "$out $(grep seen "$SNARE_LOG")"
	fi
fi
if run_with events-http -s "$T/events.lua"; then
	out=$(timeout 20 python3 "$SNARE_ROOT/tests/integration/wsclient.py" --proxy "127.0.0.1:$SNARE_PORT" \
		--url "ws://127.0.0.1:$ORIGIN_PORT/ws" --send one 2>&1)
	if [ "$(printf '%s\n' "$out" | head -1)" = one ] && wait_for "$SNARE_LOG" "websocket_start seen" 5 &&
		wait_for "$SNARE_LOG" "websocket_end seen" 5; then
		ok events-websocket-start-end
	else
		notok events-websocket-start-end "$out $(grep seen "$SNARE_LOG")"
	fi
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(free_port)/" 2>/dev/null)
	if [ "$code" = 502 ] && wait_for "$SNARE_LOG" "error seen: Connection refused" 5; then
		ok events-http-error
	else
		notok events-http-error "code $code $(grep seen "$SNARE_LOG")"
	fi
fi

# ---- limits: the hook runs for a good request, then an infinite loop, a
# memory bomb and a runtime error each leave snare serving
cat >"$T/limits.lua" <<'LUA'
function request(flow)
	flow.request.headers:set("x-hooked", "1")
	if flow.request.path == "/headers?loop" then
		while true do end
	elseif flow.request.path == "/headers?bomb" then
		local t = {}
		for i = 1, 1e9 do t[i] = string.rep("x", 1024) .. i end
	elseif flow.request.path == "/headers?error" then
		error("boom")
	end
end
LUA
chmod 644 "$T/limits.lua"
for what in error loop bomb; do
	run_with "limits-$what" -s "$T/limits.lua" || continue
	out=$(proxy_curl "$O/headers")
	if printf '%s' "$out" | grep -qi '^x-hooked: 1'; then ok "limits-$what-hook-ran"; else notok "limits-$what-hook-ran" "$out"; fi
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "$O/headers?$what")
	if [ "$code" = 200 ]; then ok "limits-$what-served"; else notok "limits-$what-served" "code $code"; fi
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "$O/hello")
	if [ "$code" = 200 ]; then ok "limits-$what-still-serving"; else notok "limits-$what-still-serving" "code $code"; fi
	case $what in
	error) pat='limits.lua:9: boom' ;;
	*) pat='limits.lua: disabled: ' ;;
	esac
	if wait_for "$SNARE_LOG" "$pat" 5; then ok "limits-$what-logged"; else notok "limits-$what-logged" "$(grep -i limits.lua "$SNARE_LOG" | head -3)"; fi
done

# ---- the built-in rewrites, each with curl
if run_with rewrites --set "modify_headers=/~q/x-mh/abc" \
	--set "modify_body=/~s & ~u hello/hello/HOWDY" \
	--set "map_remote=|/nothere$|/hello" \
	--set "block_list=/~u blockme/403" --set anticache --set anticomp; then
	out=$(proxy_curl -H 'If-None-Match: "x"' -H 'Accept-Encoding: gzip' "$O/headers")
	if printf '%s' "$out" | grep -qi '^x-mh: abc'; then ok rewrite-modify-headers; else notok rewrite-modify-headers "$out"; fi
	if printf '%s' "$out" | grep -qi '^host:' && ! printf '%s' "$out" | grep -qi '^if-none-match'; then
		ok rewrite-anticache
	else
		notok rewrite-anticache "$out"
	fi
	if printf '%s' "$out" | grep -qi '^accept-encoding: identity'; then ok rewrite-anticomp; else notok rewrite-anticomp "$out"; fi
	out=$(proxy_curl "$O/hello")
	if [ "$out" = HOWDY ]; then ok rewrite-modify-body; else notok rewrite-modify-body "$out"; fi
	out=$(proxy_curl "$O/nothere")
	if [ "$out" = HOWDY ]; then ok rewrite-map-remote; else notok rewrite-map-remote "$out"; fi
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "$O/blockme")
	if [ "$code" = 403 ]; then ok rewrite-block-list; else notok rewrite-block-list "code $code"; fi
fi
# ---- map_local, served by the workers from what the coordinator read: a
# file, a directory (nested file, index.html, a missing file answers 404),
# and no way out of the directory (.., %2e%2e) even with a readable file
# next to it
ML=$T/maplocal-scripts
mkdir -p "$ML/www/sub"
printf 'body{}' >"$ML/www/sub/a.css"
printf '<p>index</p>' >"$ML/www/index.html"
printf 'secret' >"$ML/secret.txt"
printf 'one file' >"$ML/one.txt"
if run_with map-local --set "map_local=|/static/|$ML/www/" --set "map_local=|~u /one\$|/one|$ML/one.txt"; then
	out=$(proxy_curl -D - "$O/static/sub/a.css")
	if printf '%s' "$out" | grep -qi '^content-type: text/css' && printf '%s' "$out" | tail -1 | grep -qx 'body{}'; then
		ok map-local-dir-file
	else
		notok map-local-dir-file "$out"
	fi
	out=$(proxy_curl "$O/static/")
	if [ "$out" = '<p>index</p>' ]; then ok map-local-index; else notok map-local-index "$out"; fi
	out=$(proxy_curl "$O/one")
	if [ "$out" = 'one file' ]; then ok map-local-file; else notok map-local-file "$out"; fi
	code=$(proxy_curl -o /dev/null -w '%{http_code}' "$O/static/nothere.css")
	if [ "$code" = 404 ]; then ok map-local-missing-404; else notok map-local-missing-404 "code $code"; fi
	out=$(proxy_curl -w ' %{http_code}' --path-as-is "$O/static/../secret.txt")
	out2=$(proxy_curl -w ' %{http_code}' --path-as-is "$O/static/%2e%2e/secret.txt")
	if [ "$out" = ' 404' ] && [ "$out2" = ' 404' ]; then ok map-local-no-traversal; else notok map-local-no-traversal "$out / $out2"; fi
	out=$(proxy_curl "$O/hello")
	if [ "$out" = hello ]; then ok map-local-other-untouched; else notok map-local-other-untouched "$out"; fi
fi
# ---- flow.id: the same at every hook of one exchange and in the -w flow
# file; two exchanges on one connection have two ids and one client_conn.id
cat >"$T/ids.lua" <<'LUA'
function requestheaders(flow) print("ids rh " .. flow.id .. " " .. flow.client_conn.id) end
function request(flow) print("ids rq " .. flow.id) end
function response(flow) print("ids rs " .. flow.id .. " " .. flow.client_conn.id) end
LUA
chmod 644 "$T/ids.lua"
if run_with flow-ids -s "$T/ids.lua" -w "$T/ids.flows"; then
	proxy_curl -o /dev/null -o /dev/null "$O/hello" "$O/hello?2"
	wait_for "$SNARE_LOG" "ids rs .* .*" 5 || true
	for _ in $(seq 1 50); do [ "$(grep -c 'ids rs ' "$SNARE_LOG")" -ge 2 ] && break; sleep 0.1; done
	stop_snare
	ids=$(grep -o 'ids r[hqs] [0-9a-f-]*' "$SNARE_LOG" | awk '{print $3}' | uniq)
	cids=$(grep -o 'ids r[hs] [0-9a-f-]* [0-9a-f-]*' "$SNARE_LOG" | awk '{print $4}' | sort -u)
	n=0 infile=0
	for id in $ids; do
		n=$((n + 1))
		grep -aq "$id" "$T/ids.flows" && infile=$((infile + 1))
	done
	if [ "$n" = 2 ] && [ "$(grep -c 'ids r[hqs] ' "$SNARE_LOG")" = 6 ] && [ "$(printf '%s\n' "$cids" | wc -l)" = 1 ]; then
		ok flow-id-stable-across-hooks
	else
		notok flow-id-stable-across-hooks "$(grep 'ids r' "$SNARE_LOG")"
	fi
	if [ "$infile" = 2 ]; then ok flow-id-in-flow-file; else notok flow-id-in-flow-file "$infile of $n ids in the file"; fi
fi
# ---- examples/tls_passthrough.lua: tls_clienthello sees the SNI and ALPN;
# "localhost" passes through with the origin's own certificate, a hello
# without SNI (an IP address) is intercepted with snare's
OP=$ORIGIN_PORT
if start_origin --tls; then
	TPORT=$ORIGIN_PORT
	ORIGIN_PORT=$OP
	if run_with tls-hello -s "$EX/tls_passthrough.lua" --set "ssl_verify_upstream_trusted_ca=$ORIGIN_CERT"; then
		out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://127.0.0.1:$TPORT/hello" 2>&1)
		if [ "$out" = hello ] && wait_for "$SNARE_LOG" "tls_clienthello sni=nil alpn=.*http/1.1" 5; then
			ok tls-clienthello-intercepted
		else
			notok tls-clienthello-intercepted "$out $(grep -i clienthello "$SNARE_LOG")"
		fi
		out=$(proxy_curl --cacert "$ORIGIN_CERT" "https://localhost:$TPORT/hello" 2>&1)
		if [ "$out" = hello ] && wait_for "$SNARE_LOG" "tls_clienthello sni=localhost alpn=" 5; then
			ok tls-clienthello-passthrough
		else
			notok tls-clienthello-passthrough "$out $(grep -i clienthello "$SNARE_LOG")"
		fi
		if proxy_curl -o /dev/null --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TPORT/hello" 2>/dev/null; then
			notok tls-clienthello-passthrough-not-forged "snare's certificate was presented"
		else
			ok tls-clienthello-passthrough-not-forged
		fi
	fi
else
	ORIGIN_PORT=$OP
	notok tls-hello-origin "did not start"
fi

# ---- examples/udp_rewrite.lua in reverse:udp mode against a socat UDP echo
# server: foo becomes bar towards the server, the echoed bar becomes baz, a
# datagram starting "drop" never reaches the server; udp_start and udp_end
# seen with the same flow id as the recorded flow
if command -v socat >/dev/null; then
	UPORT=$(free_port)
	socat "UDP4-RECVFROM:$UPORT,bind=127.0.0.1,fork" EXEC:cat >/dev/null 2>&1 &
	PIDS+=($!)
	if run_with udp-rewrite --mode "reverse:udp://127.0.0.1:$UPORT@127.0.0.1:0" -s "$EX/udp_rewrite.lua" -w "$T/udp.flows"; then
		out=$(printf 'hello' | socat -t 2 - "UDP4:127.0.0.1:$SNARE_PORT")
		if [ "$out" = hello ]; then ok example-udp-untouched; else notok example-udp-untouched "$out"; fi
		out=$(printf 'a foo b' | socat -t 2 - "UDP4:127.0.0.1:$SNARE_PORT")
		if [ "$out" = "a baz b" ]; then ok example-udp-rewrite; else notok example-udp-rewrite "$out"; fi
		out=$(printf 'drop this' | socat -t 2 - "UDP4:127.0.0.1:$SNARE_PORT")
		if [ -z "$out" ]; then ok example-udp-drop; else notok example-udp-drop "$out"; fi
		if wait_for "$SNARE_LOG" "udp_start from 127.0.0.1" 5; then ok example-udp-start; else notok example-udp-start "$(grep udp_ "$SNARE_LOG")"; fi
		stop_snare
		# three flows end; the one whose only datagram was dropped has no
		# message to record
		found=0
		for id in $(grep -o 'udp_end [0-9a-f-]*' "$SNARE_LOG" | awk '{print $2}'); do
			grep -aq "$id" "$T/udp.flows" && found=$((found + 1))
		done
		if [ "$(grep -c 'udp_end ' "$SNARE_LOG")" = 3 ] && [ "$found" = 2 ]; then
			ok example-udp-end-flow-id
		else
			notok example-udp-end-flow-id "$found ids in the file; $(grep udp_ "$SNARE_LOG")"
		fi
	fi
else
	skip example-udp "socat missing"
fi

# ---- dns_error: an upstream that refuses; dig gets SERVFAIL, the hook sees
# the error
if command -v dig >/dev/null; then
	cat >"$T/dnserr.lua" <<'LUA'
function dns_error(flow) print("dns_error " .. flow.request.questions[1].name .. ": " .. tostring(flow.error)) end
LUA
	chmod 644 "$T/dnserr.lua"
	if run_with dns-error --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$(free_port)" -s "$T/dnserr.lua"; then
		out=$(dig +time=5 +tries=1 @127.0.0.1 -p "$SNARE_PORT" fails.test TXT)
		if printf '%s' "$out" | grep -q 'status: SERVFAIL' && wait_for "$SNARE_LOG" "dns_error fails.test: ." 5; then
			ok dns-error-hook
		else
			notok dns-error-hook "$(printf '%s' "$out" | grep status) $(grep dns_error "$SNARE_LOG")"
		fi
	fi
else
	skip dns-error-hook "dig missing"
fi
# ---- examples/request_body.lua: the request hook sees and changes a form
# body (a longer one: Content-Length fixed), twice on one connection; a body
# above stream_large_bodies streams and is not changed
if run_with request-body -s "$EX/request_body.lua" --set stream_large_bodies=1k; then
	out=$(proxy_curl --data 'name=a&role=user' "$O/echo" "$O/echo")
	if [ "$out" = 'name=a&role=adminname=a&role=admin' ]; then ok example-request-body; else notok example-request-body "$out"; fi
	big=$(head -c 2000 /dev/zero | tr '\0' x)
	out=$(proxy_curl --data "role=user&pad=$big" "$O/echo" | head -c 9)
	if [ "$out" = 'role=user' ]; then ok example-request-body-streamed; else notok example-request-body-streamed "$out"; fi
	out=$(proxy_curl -H 'content-type: text/plain' --data 'role=user' "$O/echo")
	if [ "$out" = 'role=user' ]; then ok example-request-body-other-type; else notok example-request-body-other-type "$out"; fi
fi
stop_snare
