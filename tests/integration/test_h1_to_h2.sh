#!/bin/bash
# HTTP/1.1 clients and HTTP/2-only servers through snare (http2_origin):
# reverse https to nghttpd (h2 only over TLS) and to tests/tools/h2echo,
# reverse http:// to h2echo in h2c with prior knowledge (and to an
# HTTP/1.1-only origin, which gets HTTP/1.1 after the probe).  Each HTTP/1.1
# request becomes a stream of one h2 server connection and is recorded as an
# HTTP/1.1 flow.  Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"
H2ECHO=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tools/h2echo

for tool in nghttpd curl; do
	command -v "$tool" >/dev/null || { skip h1_to_h2 "$tool is not installed"; exit 0; }
done
[ -x "$H2ECHO" ] || { notok h1_to_h2 "$H2ECHO is not built"; exit 0; }

origin_cert
mkdir -p "$T/www"
echo "h1h2 docroot" >"$T/www/index.html"
echo "second file" >"$T/www/two.html"
head -c 3000000 /dev/urandom >"$T/www/big.bin"
for _ in 1 2 3; do # a free port can be taken meanwhile: another one then
	NGX=$(free_port)
	nghttpd -v -d "$T/www" "$NGX" "$T/origin.key" "$ORIGIN_CERT" >"$T/nghttpd.log" 2>&1 &
	PIDS+=($!)
	wait_port "$NGX" && break
done
wait_port "$NGX" || { notok h1_to_h2_nghttpd "nghttpd did not start"; exit 0; }
ECHO_TLS=$(free_port)
"$H2ECHO" server --tls "$ORIGIN_CERT" "$T/origin.key" "$ECHO_TLS" >"$T/echo-tls.log" 2>&1 &
PIDS+=($!)
ECHO_PLAIN=$(free_port)
"$H2ECHO" server "$ECHO_PLAIN" >"$T/echo-plain.log" 2>&1 &
PIDS+=($!)
wait_for "$T/echo-tls.log" listening && wait_for "$T/echo-plain.log" listening ||
	{ notok h1_to_h2_h2echo "$(cat "$T"/echo-*.log)"; exit 0; }

# --- without http2_origin an HTTP/1.1 client cannot reach the h2-only server.
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy || exit 1
code=$(curl -sS --max-time 20 -k --http1.1 -o /dev/null -w '%{http_code}' \
	"https://127.0.0.1:$SNARE_PORT/index.html" 2>/dev/null)
if [ "$code" != 200 ]; then
	ok h1_to_h2_off_fails
else notok h1_to_h2_off_fails "answered $code without http2_origin"; fi
stop_snare

# --- with it: lazy and eager, two requests on one client connection share
# one h2 server connection; the flows are HTTP/1.1.
for strategy in lazy eager; do
	start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true \
		--set connection_strategy=$strategy --set http2_origin=true || exit 1
	out=$(curl -sS --max-time 20 -k --http1.1 -w '\ncode=%{http_code} version=%{http_version}\n' \
		"https://127.0.0.1:$SNARE_PORT/index.html" "https://127.0.0.1:$SNARE_PORT/two.html" 2>&1)
	if [ "$(grep -c '^code=200 version=1.1$' <<<"$out")" -eq 2 ] &&
		grep -q '^h1h2 docroot$' <<<"$out" && grep -q '^second file$' <<<"$out" &&
		wait_for "$SNARE_LOG" "GET https://localhost:$NGX/two.html" &&
		grep -q "GET https://localhost:$NGX/index.html" "$SNARE_LOG"; then
		ok "h1_to_h2_nghttpd_$strategy"
	else notok "h1_to_h2_nghttpd_$strategy" "$out $(tail -5 "$SNARE_LOG")"; fi
	if [ "$(grep -c "server connect localhost:$NGX" "$SNARE_LOG")" -eq 1 ] &&
		! grep -q 'HTTP/2.0' "$SNARE_LOG"; then
		ok "h1_to_h2_one_server_connection_$strategy"
	else notok "h1_to_h2_one_server_connection_$strategy" "$(grep -E 'server connect|translat' "$SNARE_LOG")"; fi
	stop_snare
done

# --- a body larger than the h2 windows comes back whole, and HEAD has none.
start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" --set ssl_insecure=true \
	--set http2_origin=true || exit 1
v=$(curl -sS --max-time 60 -k --http1.1 -o "$T/big.out" -w '%{http_code} %{http_version}' \
	"https://127.0.0.1:$SNARE_PORT/big.bin")
h=$(curl -sS --max-time 20 -k --http1.1 -I "https://127.0.0.1:$SNARE_PORT/big.bin" 2>&1)
if [ "$v" = "200 1.1" ] && cmp -s "$T/www/big.bin" "$T/big.out" &&
	grep -qi '^content-length: 3000000' <<<"$h"; then
	ok h1_to_h2_large_body_and_head
else notok h1_to_h2_large_body_and_head "curl said '$v'; $h"; fi

# A chunked request's trailer reaches the server as an HTTP/2 trailer.
python3 - "$SNARE_PORT" >"$T/trailer-req.out" 2>&1 <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20),
                    server_hostname="localhost")
s.sendall(b"POST /two.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\nx-req-trailer: yes\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.decode(errors="replace"))
PY
if grep -q '^HTTP/1.1 200' "$T/trailer-req.out" && grep -q '^second file' "$T/trailer-req.out" &&
	wait_for "$T/nghttpd.log" 'x-req-trailer: yes'; then
	ok h1_to_h2_request_trailer
else notok h1_to_h2_request_trailer "$(cat "$T/trailer-req.out") $(grep -c HEADERS "$T/nghttpd.log")"; fi
stop_snare

# --- regular mode, CONNECT and TLS interception: the same translation.
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set http2_origin=true || exit 1
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$SNARE_PORT" \
	--cacert "$SNARE_CONF/snare-ca-cert.pem" --http1.1 -w '\ncode=%{http_code} version=%{http_version}' \
	"https://localhost:$NGX/index.html" 2>&1)
if grep -q '^h1h2 docroot$' <<<"$out" && grep -q '^code=200 version=1.1$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGX/index.html"; then
	ok h1_to_h2_regular_connect
else notok h1_to_h2_regular_connect "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- request bodies (by length and chunked) and trailers, to h2echo over TLS.
start_snare --mode "reverse:https://localhost:$ECHO_TLS@127.0.0.1:0" --set ssl_insecure=true \
	--set http2_origin=true || exit 1
head -c 300000 /dev/urandom >"$T/up.bin"
v=$(curl -sS --max-time 30 -k --http1.1 --data-binary @"$T/up.bin" -o "$T/back1.bin" \
	-w '%{http_code} %{http_version}' "https://127.0.0.1:$SNARE_PORT/up")
v2=$(curl -sS --max-time 30 -k --http1.1 -X POST -T - -o "$T/back2.bin" \
	-w '%{http_code} %{http_version}' "https://127.0.0.1:$SNARE_PORT/up" <"$T/up.bin")
if [ "$v" = "200 1.1" ] && [ "$v2" = "200 1.1" ] && cmp -s "$T/up.bin" "$T/back1.bin" &&
	cmp -s "$T/up.bin" "$T/back2.bin" &&
	wait_for "$SNARE_LOG" "POST https://localhost:$ECHO_TLS/up"; then
	ok h1_to_h2_post_bodies
else notok h1_to_h2_post_bodies "curl said '$v' / '$v2' $(tail -5 "$SNARE_LOG")"; fi
# The server's trailer reaches a client that asked for trailers, not another.
curl -sS --max-time 20 -k --http1.1 --raw -H 'TE: trailers' "https://127.0.0.1:$SNARE_PORT/t" \
	>"$T/tr1.out" 2>&1
curl -sS --max-time 20 -k --http1.1 --raw "https://127.0.0.1:$SNARE_PORT/t" >"$T/tr2.out" 2>&1
if grep -q '^x-h2echo-received: 0' "$T/tr1.out" && grep -q '^h2echo GET /t' "$T/tr2.out" &&
	! grep -q 'x-h2echo-received' "$T/tr2.out"; then
	ok h1_to_h2_trailers_when_asked
else notok h1_to_h2_trailers_when_asked "$(cat "$T/tr1.out" "$T/tr2.out")"; fi
stop_snare

# --- an HTTP/1.1-only TLS server declines h2: the requests go to it as they are.
# (Lazy: the first request waits for the handshake that decides.)
start_origin --tls || exit 1
for strategy in lazy eager; do
	start_snare --mode "reverse:https://localhost:$ORIGIN_PORT@127.0.0.1:0" \
		--set ssl_insecure=true --set connection_strategy=$strategy --set http2_origin=true ||
		exit 1
	out=$(curl -sS --max-time 20 -k --http1.1 -w '\ncode=%{http_code}\n' \
		"https://127.0.0.1:$SNARE_PORT/hello" "https://127.0.0.1:$SNARE_PORT/chunked" 2>&1)
	if [ "$(grep -c '^code=200$' <<<"$out")" -eq 2 ] && grep -q '^hello$' <<<"$out" &&
		grep -q '^gamma$' <<<"$out" &&
		wait_for "$SNARE_LOG" "GET https://localhost:$ORIGIN_PORT/chunked" &&
		[ "$(grep -c "server connect localhost:$ORIGIN_PORT" "$SNARE_LOG")" -eq 1 ]; then
		ok "h1_to_h2_h1_server_unchanged_$strategy"
	else notok "h1_to_h2_h1_server_unchanged_$strategy" "$out $(tail -5 "$SNARE_LOG")"; fi
	stop_snare
done

# --- reverse http:// to an h2c server: prior knowledge.
start_snare --mode "reverse:http://127.0.0.1:$ECHO_PLAIN@127.0.0.1:0" --set http2_origin=true ||
	exit 1
out=$(curl -sS --max-time 20 --http1.1 -w '\ncode=%{http_code} version=%{http_version}' \
	"http://127.0.0.1:$SNARE_PORT/clear" 2>&1)
if grep -q '^h2echo GET /clear' <<<"$out" && grep -q '^code=200 version=1.1$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$ECHO_PLAIN/clear"; then
	ok h1_to_h2_h2c_prior_knowledge
else notok h1_to_h2_h2c_prior_knowledge "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare

# --- reverse http:// to an HTTP/1.1-only server: it does not answer the h2c
# preface with SETTINGS, so the request goes to it in HTTP/1.1 on a new
# connection (as a browser would), and so do the next ones of the client
# connection and of later client connections to that worker; a request body
# sent meanwhile arrives whole.
start_origin || exit 1
PLAIN_H1=$ORIGIN_PORT
start_snare --mode "reverse:http://127.0.0.1:$PLAIN_H1@127.0.0.1:0" --set http2_origin=true \
	--set workers=1 || exit 1
head -c 200000 /dev/urandom >"$T/fb.bin"
want=$(sha256sum <"$T/fb.bin" | cut -d' ' -f1)
out=$(curl -sS --max-time 20 --http1.1 -w '\ncode=%{http_code} version=%{http_version}\n' \
	"http://127.0.0.1:$SNARE_PORT/hello" "http://127.0.0.1:$SNARE_PORT/chunked" 2>&1)
body=$(curl -sS --max-time 20 --http1.1 --data-binary @"$T/fb.bin" \
	"http://127.0.0.1:$SNARE_PORT/sha256" 2>&1)
if [ "$(grep -c '^code=200 version=1.1$' <<<"$out")" -eq 2 ] && grep -q '^hello$' <<<"$out" &&
	grep -q '^gamma$' <<<"$out" && grep -q "^$want$" <<<"$body" &&
	wait_for "$SNARE_LOG" "POST http://127.0.0.1:$PLAIN_H1/sha256" &&
	grep -q 'server does not speak h2c: HTTP/1.1 to it' "$SNARE_LOG"; then
	ok h1_to_h2_h2c_fallback_to_http11
else notok h1_to_h2_h2c_fallback_to_http11 "$out / $body / $(tail -5 "$SNARE_LOG")"; fi
# One probe: the second request of the first client connection reused the
# HTTP/1.1 connection, and the worker remembers the server for the next
# client connection (workers=1, so both met the same worker).
if [ "$(grep -c 'server does not speak h2c' "$SNARE_LOG")" -eq 1 ] &&
	! grep -qw '502' "$SNARE_LOG"; then
	ok h1_to_h2_h2c_fallback_probed_once
else notok h1_to_h2_h2c_fallback_probed_once "$(grep -E 'h2c|server connect|502' "$SNARE_LOG")"; fi
stop_snare

# --- two HTTP/1.1-only servers behind two reverse listeners of one worker:
# the worker remembers both (its table has room for several), so requests
# to A, B, A, B on four client connections probe each once.
start_origin || exit 1
PLAIN_A=$ORIGIN_PORT
start_origin || exit 1
PLAIN_B=$ORIGIN_PORT
LA=$(free_port)
LB=$(free_port)
start_snare --mode "reverse:http://127.0.0.1:$PLAIN_A@127.0.0.1:$LA" \
	--mode "reverse:http://127.0.0.1:$PLAIN_B@127.0.0.1:$LB" --set http2_origin=true \
	--set workers=1 || exit 1
wait_for "$SNARE_LOG" "listening at 127.0.0.1:$LB" || true
codes=""
for lp in "$LA" "$LB" "$LA" "$LB"; do
	codes="$codes $(curl -sS --max-time 20 --http1.1 -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$lp/hello" 2>&1)"
done
if [ "$codes" = " 200 200 200 200" ] &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$PLAIN_B/hello" &&
	[ "$(grep -c 'server does not speak h2c' "$SNARE_LOG")" -eq 2 ]; then
	ok h1_to_h2_h2c_fallback_two_servers_remembered
else notok h1_to_h2_h2c_fallback_two_servers_remembered "codes$codes; $(grep -E 'h2c|server connect' "$SNARE_LOG")"; fi
stop_snare

# Every snare above logged, and none reported a sanitizer error.
if [ "$(cat "$T"/snare.*.log | grep -c 'client disconnect')" -gt 0 ] &&
	! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$T"/snare.*.log; then
	ok h1_to_h2_no_sanitizer_reports
else notok h1_to_h2_no_sanitizer_reports "$(grep -hE -A5 'AddressSanitizer|runtime error:' "$T"/snare.*.log | head -20)"; fi
