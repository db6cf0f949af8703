#!/bin/bash
# HTTP/2 through snare: ALPN h2 on both sides of an intercepted connection
# (regular mode with CONNECT, reverse https), every stream recorded as an
# HTTP/2.0 flow.  Clients: curl --http2 (the negotiated version checked on
# both sides), nghttp, h2load (10 connections x 10 concurrent streams) and
# tests/tools/h2echo (a 3 MB upload through flow control, trailers, a reset
# stream); origins: nghttpd and h2echo.  --set http2=false gives HTTP/1.1.
# Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"
H2ECHO=${SNARE_BUILD:-$(dirname "$SNARE_BIN")}/tools/h2echo

for tool in nghttp nghttpd h2load curl; do
	command -v "$tool" >/dev/null || { skip http2 "$tool is not installed"; exit 0; }
done
[ -x "$H2ECHO" ] || { notok http2 "$H2ECHO is not built"; exit 0; }

origin_cert
mkdir -p "$T/www"
echo "http2 docroot" >"$T/www/index.html"
start_nghttpd "$T/nghttpd.log" || { notok http2_origins "nghttpd did not start: $(tail -3 "$T/nghttpd.log")"; exit 0; }
# h2echo takes a free port itself (port 0) and names it.
"$H2ECHO" server --tls "$ORIGIN_CERT" "$T/origin.key" 0 >"$T/echo.log" 2>&1 &
PIDS+=($!)
wait_for "$T/echo.log" "^listening [1-9]" 20 || { notok http2_origins "h2echo did not start: $(tail -3 "$T/echo.log")"; exit 0; }
ECHO=$(grep -m1 -oE '^listening [0-9]+' "$T/echo.log" | grep -oE '[0-9]+$')

# --- regular mode: curl --http2 through CONNECT
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
CA=$SNARE_CONF/snare-ca-cert.pem
out=$(proxy_curl --cacert "$CA" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
if grep -q '^http2 docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0" &&
	wait_for "$SNARE_LOG" '<< HTTP/2.0 200'; then
	ok regular_curl_http2
else notok regular_curl_http2 "$out $(tail -5 "$SNARE_LOG")"; fi
# A second connection to the same server: its leaf is known now, but the
# client must still wait for the server's ALPN (h2) rather than be answered
# first with HTTP/1.1.
out=$(proxy_curl --cacert "$CA" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
grep -q '^version=2$' <<<"$out" && ok regular_curl_http2_second_connection ||
	notok regular_curl_http2_second_connection "$out"

# Trailers from the server reach the client (h2echo ends every response with one).
out=$(proxy_curl --cacert "$CA" --http2 -D - "https://localhost:$ECHO/trailer" 2>&1)
if grep -q '^h2echo GET /trailer' <<<"$out" && grep -qi '^x-h2echo-received: 0' <<<"$out"; then
	ok regular_response_trailers
else notok regular_response_trailers "$out"; fi
stop_snare

# --- an HTTP/1.1-only origin: the server refuses h2, so the client is not offered it
start_origin --tls || exit 1
H1=$ORIGIN_PORT
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$H1/hello" 2>&1)
if grep -q '^version=1.1$' <<<"$out" && wait_for "$SNARE_LOG" "GET https://localhost:$H1/hello" &&
	wait_for "$SNARE_LOG" '<< 200'; then
	ok h1_origin_keeps_http11
else notok h1_origin_keeps_http11 "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- http2=false: an h2-capable client and server speak HTTP/1.1 through snare
# (h2echo and nghttpd speak only h2, so the HTTP/1.1 origin answers; the
# option is seen to matter on the curl side: offered h2, given 1.1.)
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set http2=false || exit 1
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
if grep -q '^version=1.1$' <<<"$out" && wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html" &&
	! grep -q 'HTTP/2.0' "$SNARE_LOG"; then
	ok http2_false_gives_http11
else notok http2_false_gives_http11 "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- upstream mode: snare in front of another snare (regular), h2 on every hop
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
INNER_PORT=$SNARE_PORT INNER_LOG=$SNARE_LOG INNER_PID=$SNARE_PID
start_snare --mode "upstream:http://127.0.0.1:$INNER_PORT@127.0.0.1:0" --set ssl_insecure=true || exit 1
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
if grep -q '^http2 docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0" &&
	wait_for "$INNER_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0"; then
	ok upstream_curl_http2_both_hops
else notok upstream_curl_http2_both_hops "$out $(tail -3 "$SNARE_LOG") $(tail -3 "$INNER_LOG")"; fi
stop_snare
SNARE_PID=$INNER_PID
stop_snare

# --- SOCKS5: the tunnel shares the interception path, ALPN included
start_snare --mode socks5@127.0.0.1:0 --set ssl_insecure=true || exit 1
out=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$SNARE_PORT" \
	--cacert "$SNARE_CONF/snare-ca-cert.pem" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
if grep -q '^http2 docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0"; then
	ok socks5_curl_http2
else notok socks5_curl_http2 "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- Upgrade: h2c is not passed on (reverse http://): the exchange stays HTTP/1.1
start_origin || exit 1
start_snare --mode "reverse:http://127.0.0.1:$ORIGIN_PORT@127.0.0.1:0" || exit 1
out=$(curl -sS --max-time 20 --http2 -w '\nversion=%{http_version}' \
	"http://127.0.0.1:$SNARE_PORT/headers" 2>&1)
sent=$(curl -sS --max-time 20 --http2 -v "http://127.0.0.1:$SNARE_PORT/headers" 2>&1)
if grep -qi '^> upgrade: h2c' <<<"$sent" && grep -q '^version=1.1$' <<<"$out" &&
	grep -qi '^host:' <<<"$out" && ! grep -qi 'h2c\|http2-settings' <<<"$out"; then
	ok h2c_upgrade_stripped
else notok h2c_upgrade_stripped "$out"; fi
stop_snare

# --- reverse https to nghttpd: nghttp and h2load
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true || exit 1
before=$(grep -c ":authority: localhost:$NGX" "$T/nghttpd.log")
out=$(nghttp -v "https://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
if grep -q 'negotiated protocol: h2' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
	grep -q '^http2 docroot' <<<"$out" && wait_for "$SNARE_LOG" 'HTTP/2.0'; then
	ok reverse_nghttp
else notok reverse_nghttp "$out"; fi
# The server is given the target as :authority, not snare's address.
after=$(grep -c ":authority: localhost:$NGX" "$T/nghttpd.log")
if grep -q ":authority: 127.0.0.1:$SNARE_PORT" <<<"$out" && [ "$after" -gt "$before" ] &&
	! grep -q ":authority: 127.0.0.1:$SNARE_PORT" "$T/nghttpd.log"; then
	ok reverse_authority_is_target
else notok reverse_authority_is_target "before $before after $after"; fi

out=$(h2load -c 10 -m 10 -n 100 "https://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
if grep -q 'requests: 100 total, 100 started, 100 done, 100 succeeded' <<<"$out" &&
	grep -q 'status codes: 100 2xx' <<<"$out"; then
	ok reverse_h2load_100_streams
else notok reverse_h2load_100_streams "$(grep -E 'requests|status' <<<"$out")"; fi
stop_snare

# --- body_size_limit per stream: the large response is reset, the next stream is fine
head -c 200000 /dev/urandom >"$T/www/big.bin"
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true \
	--set body_size_limit=50k || exit 1
curl -sk --max-time 20 --http2 -o /dev/null "https://127.0.0.1:$SNARE_PORT/big.bin"
rc=$?
code=$(curl -sk --max-time 20 --http2 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$SNARE_PORT/index.html")
if [ "$rc" -ne 0 ] && [ "$code" = 200 ] &&
	wait_for "$SNARE_LOG" "Response body exceeds snare's body_size_limit"; then
	ok body_size_limit_per_stream
else notok body_size_limit_per_stream "curl rc $rc, then $code; $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- reverse https to h2echo: an upload through flow control, client trailers, a reset
start_snare --mode "reverse:https://localhost:$ECHO@127.0.0.1:0" --set ssl_insecure=true \
	--set flow_detail=2 || exit 1
out=$(timeout 60 "$H2ECHO" client --tls --post 3000000 --trailers 127.0.0.1 "$SNARE_PORT" /up 2>&1)
if grep -q 'x-h2echo-received: 3000000' <<<"$out" && grep -q 'status 200' <<<"$out"; then
	ok reverse_upload_3mb_flow_control
else notok reverse_upload_3mb_flow_control "$out"; fi
# The client's trailer is recorded in the flow (flow_detail 2 prints them).
if wait_for "$SNARE_LOG" 'x-client-trailer'; then
	ok client_trailer_recorded
else notok client_trailer_recorded "$(tail -20 "$SNARE_LOG")"; fi

# h2echo sends the request, its RST_STREAM and GOAWAY at once and closes: a
# connection torn down before snare read those bytes records nothing, so
# up to three tries.
for _ in 1 2 3; do
	timeout 20 "$H2ECHO" client --tls --reset -n 1 127.0.0.1 "$SNARE_PORT" /gone >"$T/reset.log" 2>&1
	wait_for "$SNARE_LOG" 'client reset the stream (CANCEL)' 2 && break
done
if grep -q 'client reset the stream (CANCEL)' "$SNARE_LOG"; then
	ok client_reset_mapped
else notok client_reset_mapped "$(cat "$T/reset.log") $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- Chromium through regular mode: a page with 50 subresources, all over h2
# (the page's resource timing reports each one's nextHopProtocol).  Only the
# images are counted: Chromium's own /favicon.ico request may end before onload.
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
	skip browser_h2_page "chromium is not installed"
else
	mkdir -p "$T/www/img"
	for i in $(seq 1 50); do printf 'GIF89a\1\0\1\0\0\0\0;' >"$T/www/img/$i.gif"; done
	{
		echo '<!doctype html><html><head><title>h2 page</title></head><body>'
		for i in $(seq 1 50); do echo "<img src=\"img/$i.gif\">"; done
		echo '<pre id="r">waiting</pre><script>'
		echo 'window.onload = function () {'
		echo '  var e = performance.getEntriesByType("resource").filter(function (x) {'
		echo '    return x.initiatorType === "img"; }), h2 = 0;'
		echo '  e.forEach(function (x) { if (x.nextHopProtocol === "h2") h2++; });'
		echo '  document.getElementById("r").textContent = "resources " + e.length + " h2 " + h2;'
		echo '};</script></body></html>'
	} >"$T/www/page.html"
	start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
	. "$(dirname "$0")/lib_chromium.sh"
	chromium_trust_ca "$SNARE_CONF/snare-ca-cert.pem" "$T/home-h2" ||
		notok browser_h2_trust_ca "certutil failed"
	out=$(HOME=$T/home-h2 timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$T/chrome-h2" \
		--proxy-server="http://127.0.0.1:$SNARE_PORT" --proxy-bypass-list="<-loopback>" \
		--virtual-time-budget=10000 \
		--dump-dom "https://localhost:$NGX/page.html" 2>/dev/null)
	n=$(grep -c "GET https://localhost:$NGX/img/[0-9]*.gif HTTP/2.0" "$SNARE_LOG")
	if grep -q 'resources 50 h2 50' <<<"$out" && [ "$n" -eq 50 ]; then
		ok browser_h2_page_50_resources
	else notok browser_h2_page_50_resources "$(grep -o 'resources.*' <<<"$out") flows $n"; fi
	stop_snare
fi

# --- a packet mode (tun, root only): the client's packets reach snare's
# netstack; the interception, ALPN included, is the same.
if ! need_root || ! command -v ip >/dev/null; then
	skip tun_h2 "needs root (network namespaces, TUN devices)"
else
	A=snare-h2c-$$ B=snare-h2s-$$
	tun_cleanup() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; }
	trap 'tun_cleanup; cleanup' EXIT
	ip netns add "$A" && ip netns add "$B"
	XA="ip netns exec $A" XB="ip netns exec $B"
	ip link add h2a-$$ netns "$A" type veth peer name h2b-$$ netns "$B"
	$XA ip link set lo up
	$XB ip link set lo up
	$XA ip addr add 10.215.0.2/24 dev h2a-$$
	$XA ip link set h2a-$$ up
	$XB ip addr add 10.215.0.1/24 dev h2b-$$
	$XB ip link set h2b-$$ up
	$XA ip route add default via 10.215.0.1
	$XB sysctl -qw net.ipv4.ip_forward=1
	$XB ip addr add 10.216.0.5/32 dev lo
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tun.key" -out "$T/tun.crt" -days 2 \
		-subj "/CN=10.216.0.5" -addext "subjectAltName=IP:10.216.0.5" 2>/dev/null
	$XB nghttpd -a 10.216.0.5 -d "$T/www" 8443 "$T/tun.key" "$T/tun.crt" >"$T/tun-nghttpd.log" 2>&1 &
	PIDS+=($!)
	TLOG=$T/snare-tun-h2.log
	$XB "$SNARE_BIN" --mode tun:snh2tun0 --set confdir="$T/tunconf" \
		--set ssl_verify_upstream_trusted_ca="$T/tun.crt" >"$TLOG" 2>&1 &
	PIDS+=($!)
	if wait_for "$TLOG" "TUN interface started." 15; then
		$XB ip rule add pref 10 iif h2b-$$ to 10.216.0.0/24 lookup 215
		$XB ip rule del pref 0 lookup local
		$XB ip rule add pref 100 lookup local
		$XB ip route add default dev snh2tun0 table 215
		out=$($XA curl -sS --max-time 20 --http2 --cacert "$T/tunconf/snare-ca-cert.pem" \
			-w '\nversion=%{http_version}' https://10.216.0.5:8443/index.html 2>&1)
		if grep -q '^http2 docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
			wait_for "$TLOG" 'GET https://10.216.0.5:8443/index.html HTTP/2.0'; then
			ok tun_curl_http2
		else notok tun_curl_http2 "$out $(tail -5 "$TLOG")"; fi
	else
		notok tun_curl_http2 "snare did not start: $(tail -3 "$TLOG")"
	fi
fi

# --- gRPC (python3-grpcio, generic handlers with bytes): unary, server-streaming,
# client-streaming and bidi calls and an error status, through regular mode
# (grpc.http_proxy) and reverse mode; grpc-status / grpc-message trailers intact.
GRPC_PY=/usr/bin/python3
if ! "$GRPC_PY" -c 'import grpc' 2>/dev/null; then
	skip grpc "python3-grpcio is not installed"
	exit 0
fi
GRPC=$(free_port)
"$GRPC_PY" -u "$SNARE_ROOT/tests/integration/grpc_h2.py" serve "$GRPC" "$ORIGIN_CERT" \
	"$T/origin.key" >"$T/grpc.log" 2>&1 &
PIDS+=($!)
wait_for "$T/grpc.log" ready 20 || { notok grpc_server "$(cat "$T/grpc.log")"; exit 0; }

# grpc_check NAME OUTPUT: every call kind answered as the server says.
grpc_check() {
	local name=$1 out=$2
	if grep -q '^unary unary:hi trailer t1$' <<<"$out" &&
		grep -q '^server_stream 5 part4:s$' <<<"$out" &&
		grep -q '^client_stream total:60$' <<<"$out" &&
		grep -q '^bidi echo:x,echo:y,echo:z$' <<<"$out" &&
		grep -q '^fail PERMISSION_DENIED denied by the test$' <<<"$out"; then
		ok "$name"
	else notok "$name" "$out"; fi
}

start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true -w "$T/h2flows.bin" || exit 1
out=$(timeout 60 "$GRPC_PY" "$SNARE_ROOT/tests/integration/grpc_h2.py" call "localhost:$GRPC" \
	"$SNARE_CONF/snare-ca-cert.pem" --proxy "http://127.0.0.1:$SNARE_PORT" 2>&1)
grpc_check grpc_regular_mode "$out"
if wait_for "$SNARE_LOG" "POST https://localhost:$GRPC/snaretest.Echo/Bidi HTTP/2.0"; then
	ok grpc_regular_flows_http2
else notok grpc_regular_flows_http2 "$(tail -5 "$SNARE_LOG")"; fi
stop_snare
# The flow file keeps the version and the trailers: -r shows them again.
out=$("$SNARE_BIN" -n -r "$T/h2flows.bin" --set confdir="$T/rconf" --set flow_detail=2 2>&1)
if grep -q "POST https://localhost:$GRPC/snaretest.Echo/Unary HTTP/2.0" <<<"$out" &&
	grep -q '<< HTTP/2.0 200' <<<"$out" && grep -q 'x-test-trailer: t1' <<<"$out"; then
	ok flow_file_http2_read_back
else notok flow_file_http2_read_back "$(head -20 <<<"$out")"; fi

start_snare --mode "reverse:https://localhost:$GRPC@127.0.0.1:0" --set ssl_insecure=true \
	--set flow_detail=2 || exit 1
out=$(timeout 60 "$GRPC_PY" "$SNARE_ROOT/tests/integration/grpc_h2.py" call \
	"127.0.0.1:$SNARE_PORT" "$SNARE_CONF/snare-ca-cert.pem" --name localhost 2>&1)
grpc_check grpc_reverse_mode "$out"
if wait_for "$SNARE_LOG" 'grpc-status: 7' && grep -q 'grpc-message: denied by the test' "$SNARE_LOG"; then
	ok grpc_status_trailers_recorded
else notok grpc_status_trailers_recorded "$(tail -30 "$SNARE_LOG")"; fi
stop_snare
