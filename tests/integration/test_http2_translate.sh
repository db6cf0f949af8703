#!/bin/bash
# HTTP/2 clients and HTTP/1.1 servers through snare: every client stream
# becomes an HTTP/1.1 request on a small pool of kept-alive server
# connections (reverse https under the lazy strategy, reverse http:// with a
# TLS client, cleartext h2 with prior knowledge), recorded as HTTP/2.0
# flows.  Clients: curl --http2 / --http2-prior-knowledge, nghttp and
# h2load; origins: tests/integration/origin.py (HTTP/1.1 only) and nghttpd
# --no-tls (h2c).  Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"

for tool in nghttp nghttpd h2load curl; do
	command -v "$tool" >/dev/null || { skip http2_translate "$tool is not installed"; exit 0; }
done

start_origin --tls || exit 1
H1S=$ORIGIN_PORT
start_origin || exit 1
H1=$ORIGIN_PORT

# --- reverse https, lazy: the client is answered h2 before the server is
# known; the server takes http/1.1 only.  Two requests, one server connection.
start_snare --mode "reverse:https://localhost:$H1S@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy --set flow_detail=2 || exit 1
out=$(curl -sS --max-time 20 -k --http2 -w '\nversion=%{http_version}\n' \
	"https://127.0.0.1:$SNARE_PORT/hello" "https://127.0.0.1:$SNARE_PORT/chunked" 2>&1)
if [ "$(grep -c '^version=2$' <<<"$out")" -eq 2 ] && grep -q '^hello$' <<<"$out" &&
	grep -q '^gamma$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$H1S/chunked HTTP/2.0" &&
	grep -q "GET https://localhost:$H1S/hello HTTP/2.0" "$SNARE_LOG" &&
	grep -q '<< HTTP/2.0 200 OK' "$SNARE_LOG"; then
	ok translate_reverse_https_curl_h2
else notok translate_reverse_https_curl_h2 "$out $(tail -5 "$SNARE_LOG")"; fi
if [ "$(grep -c "server connect localhost:$H1S" "$SNARE_LOG")" -eq 1 ]; then
	ok translate_two_requests_one_server_connection
else notok translate_two_requests_one_server_connection "$(grep 'server connect' "$SNARE_LOG")"; fi
# The chunked response's trailer comes back as an HTTP/2 trailer.
if wait_for "$SNARE_LOG" 'x-trailer: done'; then
	ok translate_response_trailer_recorded
else notok translate_response_trailer_recorded "$(tail -20 "$SNARE_LOG")"; fi

# A request body of unknown length goes chunked; a known one with its length.
head -c 300000 /dev/urandom >"$T/up.bin"
want=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
out=$(curl -sS --max-time 30 -k --http2 -X POST -T - "https://127.0.0.1:$SNARE_PORT/sha256" \
	<"$T/up.bin" 2>&1)
out2=$(curl -sS --max-time 30 -k --http2 --data-binary @"$T/up.bin" \
	"https://127.0.0.1:$SNARE_PORT/sha256" 2>&1)
if grep -q "^$want$" <<<"$out" && grep -q '^300000$' <<<"$out" && grep -q "^$want$" <<<"$out2"; then
	ok translate_request_bodies
else notok translate_request_bodies "$out / $out2"; fi

# Large responses, by length and chunked, through the pool's window.
n1=$(curl -sS --max-time 60 -k --http2 "https://127.0.0.1:$SNARE_PORT/size/5000000" | wc -c)
n2=$(curl -sS --max-time 60 -k --http2 "https://127.0.0.1:$SNARE_PORT/chunked/3000000" | wc -c)
if [ "$n1" -eq 5000000 ] && [ "$n2" -eq 3000000 ]; then
	ok translate_large_responses
else notok translate_large_responses "got $n1 and $n2 bytes"; fi

# 100 Continue from the HTTP/1.1 server reaches the HTTP/2 client.
out=$(curl -sS -v --max-time 20 -k --http2 -H 'Expect: 100-continue' --data-binary @"$T/up.bin" \
	"https://127.0.0.1:$SNARE_PORT/sha256" 2>&1)
if grep -q '^< HTTP/2 100' <<<"$out" && grep -q "^$want$" <<<"$out"; then
	ok translate_100_continue_relayed
else notok translate_100_continue_relayed "$(grep -E '^[<>] |^[0-9a-f]{64}' <<<"$out")"; fi

out=$(h2load -c 4 -m 10 -n 400 "https://127.0.0.1:$SNARE_PORT/hello" 2>&1)
if grep -q 'requests: 400 total, 400 started, 400 done, 400 succeeded' <<<"$out" &&
	grep -q 'status codes: 400 2xx' <<<"$out"; then
	ok translate_h2load_400_requests
else notok translate_h2load_400_requests "$(grep -E 'requests|status' <<<"$out")"; fi
# Each h2load connection got at most the pool's size of server connections.
most=$(grep -oE '\]\[127\.0\.0\.1:[0-9]+\] server connect' "$SNARE_LOG" | sort | uniq -c |
	sort -rn | head -1 | awk '{print $1}')
if [ -n "$most" ] && [ "$most" -le 6 ] && [ "$most" -ge 2 ]; then
	ok translate_pool_capped
else notok translate_pool_capped "most server connections per client: $most"; fi
stop_snare

# --- upstream_auth in reverse mode reaches the HTTP/1.1 server in place of the client's.
start_snare --mode "reverse:https://localhost:$H1S@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy --set upstream_auth=user:secret || exit 1
out=$(curl -sS --max-time 20 -k --http2 -H 'Authorization: Basic Y2xpZW50' \
	"https://127.0.0.1:$SNARE_PORT/headers" 2>&1)
if grep -qi '^authorization: Basic dXNlcjpzZWNyZXQ=$' <<<"$out" && ! grep -q Y2xpZW50 <<<"$out"; then
	ok translate_upstream_auth
else notok translate_upstream_auth "$out"; fi
stop_snare

# --- lazy and the server is down: the HTTP/2 client gets a 502 per request.
DEAD=$(free_port)
start_snare --mode "reverse:https://localhost:$DEAD@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy || exit 1
out=$(curl -sS --max-time 20 -k --http2 -w '\ncode=%{http_code} version=%{http_version}' \
	"https://127.0.0.1:$SNARE_PORT/x" 2>&1)
if grep -q '^code=502 version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" 'error establishing server connection'; then
	ok translate_lazy_unreachable_502
else notok translate_lazy_unreachable_502 "$out $(tail -3 "$SNARE_LOG")"; fi
stop_snare

# --- reverse http:// with a TLS client: snare answers the client's ALPN (h2)
# and speaks HTTP/1.1 to the plain origin (eager: connected first).
start_snare --mode "reverse:http://127.0.0.1:$H1@127.0.0.1:0" || exit 1
out=$(curl -sS --max-time 20 -k --http2 -w '\nversion=%{http_version}' \
	"https://127.0.0.1:$SNARE_PORT/hello" 2>&1)
if grep -q '^hello$' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$H1/hello HTTP/2.0"; then
	ok translate_reverse_http_tls_client
else notok translate_reverse_http_tls_client "$out $(tail -5 "$SNARE_LOG")"; fi

# --- cleartext h2 with prior knowledge, translated to the HTTP/1.1 origin
out=$(curl -sS --max-time 20 --http2-prior-knowledge -w '\nversion=%{http_version}' \
	"http://127.0.0.1:$SNARE_PORT/hello" 2>&1)
if grep -q '^hello$' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$H1/hello HTTP/2.0" &&
	grep -q 'server does not speak h2c: HTTP/1.1 to it' "$SNARE_LOG"; then
	ok prior_knowledge_curl_to_h1
else notok prior_knowledge_curl_to_h1 "$out $(tail -5 "$SNARE_LOG")"; fi
out=$(nghttp -v "http://127.0.0.1:$SNARE_PORT/hello" 2>&1)
if grep -q ':status: 200' <<<"$out" && grep -q '^hello$' <<<"$out" &&
	! grep -qi 'upgrade' <<<"$out"; then
	ok prior_knowledge_nghttp_to_h1
else notok prior_knowledge_nghttp_to_h1 "$(tail -20 <<<"$out")"; fi
# An HTTP/1.1 client on the same listener is not taken for HTTP/2.
out=$(curl -sS --max-time 20 --http1.1 -w '\nversion=%{http_version}' \
	"http://127.0.0.1:$SNARE_PORT/hello" 2>&1)
grep -q '^version=1.1$' <<<"$out" && ok prior_knowledge_h1_client_unchanged ||
	notok prior_knowledge_h1_client_unchanged "$out"
stop_snare

# --- http2=false: prior knowledge is not recognised (the preface is not HTTP/1).
start_snare --mode "reverse:http://127.0.0.1:$H1@127.0.0.1:0" --set http2=false || exit 1
curl -sS --max-time 10 --http2-prior-knowledge "http://127.0.0.1:$SNARE_PORT/hello" \
	>"$T/pk-off.out" 2>&1
if ! grep -q '^hello$' "$T/pk-off.out" && ! grep -q 'HTTP/2.0' "$SNARE_LOG"; then
	ok prior_knowledge_off_with_http2_false
else notok prior_knowledge_off_with_http2_false "$(cat "$T/pk-off.out")"; fi
stop_snare

# --- cleartext h2 with prior knowledge to an h2c origin (nghttpd --no-tls):
# the server is asked in h2c too and answers it; the HTTP/1.1 origin above
# was asked the same way and fell back.
mkdir -p "$T/www"
echo "h2c docroot" >"$T/www/index.html"
for _ in 1 2 3; do # a free port can be taken meanwhile: another one then
	NGC=$(free_port)
	nghttpd -v --no-tls -d "$T/www" "$NGC" >"$T/nghttpd-h2c.log" 2>&1 &
	PIDS+=($!)
	wait_port "$NGC" && break
done
wait_port "$NGC" || { notok prior_knowledge_h2c_origin "nghttpd did not start: $(cat "$T/nghttpd-h2c.log")"; exit 0; }
start_snare --mode "reverse:http://127.0.0.1:$NGC@127.0.0.1:0" || exit 1
out=$(curl -sS --max-time 20 --http2-prior-knowledge -w '\nversion=%{http_version}' \
	"http://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
out2=$(nghttp "http://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
if grep -q '^h2c docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	grep -q '^h2c docroot' <<<"$out2" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$NGC/index.html HTTP/2.0" &&
	grep -q ':path: /index.html' "$T/nghttpd-h2c.log" &&
	! grep -q 'does not speak h2c' "$SNARE_LOG"; then
	ok prior_knowledge_h2c_origin
else notok prior_knowledge_h2c_origin "$out / $out2 $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- 103 Early Hints from an HTTP/1.1 server reach the HTTP/2 client before the 200.
HINTS=$(free_port)
python3 -u "$SNARE_ROOT/tests/integration/hints_origin.py" "$HINTS" >"$T/hints.log" 2>&1 &
PIDS+=($!)
wait_for "$T/hints.log" ready 10 || { notok translate_103_early_hints "origin did not start"; exit 0; }
start_snare --mode "reverse:http://127.0.0.1:$HINTS@127.0.0.1:0" || exit 1
out=$(curl -sS -v --max-time 20 -k --http2 "https://127.0.0.1:$SNARE_PORT/page" 2>&1)
if grep -q '^< HTTP/2 103' <<<"$out" && grep -qi '^< link: </style.css>; rel=preload' <<<"$out" &&
	grep -q '^< HTTP/2 200' <<<"$out" && grep -q '^hinted$' <<<"$out" &&
	wait_for "$SNARE_LOG" '<< HTTP/2.0 200'; then
	ok translate_103_early_hints
else notok translate_103_early_hints "$(grep -E '^< |hinted' <<<"$out")"; fi
stop_snare

# --- upstream mode: upstream_auth opens the CONNECT through a proxy that
# wants credentials (another snare with proxyauth), h2 on both hops.
for _ in 1 2 3; do # a free port can be taken meanwhile: another one then
	NGX=$(free_port)
	nghttpd -d "$T/www" "$NGX" "$T/origin.key" "$ORIGIN_CERT" >"$T/nghttpd-tls.log" 2>&1 &
	PIDS+=($!)
	wait_port "$NGX" && break
done
wait_port "$NGX" || { notok upstream_auth_h2 "nghttpd did not start: $(cat "$T/nghttpd-tls.log")"; exit 0; }
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set proxyauth=user:secret || exit 1
INNER_PORT=$SNARE_PORT INNER_LOG=$SNARE_LOG INNER_PID=$SNARE_PID
start_snare --mode "upstream:http://127.0.0.1:$INNER_PORT@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_auth=user:secret || exit 1
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$SNARE_PORT" --cacert "$SNARE_CONF/snare-ca-cert.pem" \
	--http2 -w '\nversion=%{http_version}' "https://localhost:$NGX/index.html" 2>&1)
if grep -q '^h2c docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$INNER_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0"; then
	ok upstream_auth_h2
else notok upstream_auth_h2 "$out $(tail -3 "$SNARE_LOG") $(tail -3 "$INNER_LOG")"; fi
stop_snare
SNARE_PID=$INNER_PID
stop_snare

# --- prior knowledge towards a reverse https origin: the server is offered
# h2 and http/1.1; nghttpd (which speaks only h2) takes h2, the HTTP/1.1
# origin http/1.1.
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true || exit 1
out=$(curl -sS --max-time 20 --http2-prior-knowledge "http://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
stop_snare
start_snare --mode "reverse:https://localhost:$H1S@127.0.0.1:0" --set ssl_insecure=true || exit 1
out2=$(curl -sS --max-time 20 --http2-prior-knowledge "http://127.0.0.1:$SNARE_PORT/hello" 2>&1)
if grep -q '^h2c docroot' <<<"$out" && grep -q '^hello$' <<<"$out2" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$H1S/hello HTTP/2.0"; then
	ok prior_knowledge_to_https_origins
else notok prior_knowledge_to_https_origins "$out / $out2"; fi
stop_snare

# --- lazy towards an h2 server: the layer connects, the server takes h2
# (nghttpd speaks nothing else), both sides HTTP/2.
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy || exit 1
out=$(curl -sS --max-time 20 -k --http2 -w '\nversion=%{http_version}' \
	"https://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
if grep -q '^h2c docroot' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html HTTP/2.0"; then
	ok lazy_h2_server
else notok lazy_h2_server "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare
