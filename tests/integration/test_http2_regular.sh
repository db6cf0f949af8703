#!/bin/bash
# Cleartext HTTP/2 with prior knowledge sent straight to a regular-mode
# listener: the client treats snare as the server and names the real one in
# :authority (nghttp -H ':authority: ...', curl --http2-prior-knowledge with
# Host, h2load -H ':authority: ...').  snare forwards it as h2c to an h2c
# server (tests/tools/h2echo) or translated to HTTP/1.1 (origin.py), records
# HTTP/2.0 flows, answers 407 on h2 under proxyauth (and keeps the
# credentials from the server), 502 for itself, 421 for a second server on
# the same connection, and still serves HTTP/1 proxy requests on the port.
# A client that waits for snare's SETTINGS before its first request
# (python3-h2) is served; mitm.it is answered by snare; CONNECT gets 502.
# Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"
H2ECHO=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tools/h2echo

for tool in nghttp h2load curl; do
	command -v "$tool" >/dev/null || { skip http2_regular "$tool is not installed"; exit 0; }
done
[ -x "$H2ECHO" ] || { notok http2_regular "$H2ECHO is not built"; exit 0; }

EPLAIN=$(free_port)
"$H2ECHO" server "$EPLAIN" >"$T/echo-plain.log" 2>&1 &
PIDS+=($!)
wait_for "$T/echo-plain.log" listening || { notok http2_regular_origin "$(cat "$T/echo-plain.log")"; exit 0; }
start_origin || exit 1
H1=$ORIGIN_PORT
start_origin || exit 1
H1B=$ORIGIN_PORT

start_snare --mode "regular@127.0.0.1:0" --set flow_detail=1 || exit 1
P=$SNARE_PORT

# --- an h2c server: h2 on both sides
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/hello" -H ":authority: 127.0.0.1:$EPLAIN" 2>&1)
if grep -q '^h2echo GET /hello' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$EPLAIN/hello HTTP/2.0"; then
	ok http2_regular_nghttp_h2c_server
else notok http2_regular_nghttp_h2c_server "$out $(tail -5 "$SNARE_LOG")"; fi

# --- an HTTP/1.1 server: probed in h2c, then translated
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/hello" -H ":authority: 127.0.0.1:$H1" 2>&1)
if grep -q '^hello$' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET http://127.0.0.1:$H1/hello HTTP/2.0" &&
	grep -q 'server does not speak h2c: HTTP/1.1 to it' "$SNARE_LOG"; then
	ok http2_regular_nghttp_h1_server
else notok http2_regular_nghttp_h1_server "$out $(tail -5 "$SNARE_LOG")"; fi

out=$(timeout 20 curl -sS --http2-prior-knowledge -H "Host: 127.0.0.1:$H1" \
	-w '\nversion=%{http_version}\n' "http://127.0.0.1:$P/chunked" 2>&1)
if grep -q '^version=2$' <<<"$out" && grep -q '^gamma$' <<<"$out"; then
	ok http2_regular_curl_prior_knowledge
else notok http2_regular_curl_prior_knowledge "$out"; fi

out=$(timeout 60 h2load -c 4 -m 10 -n 400 -H ":authority: 127.0.0.1:$H1" \
	"http://127.0.0.1:$P/hello" 2>&1)
if grep -q 'requests: 400 total, 400 started, 400 done, 400 succeeded' <<<"$out" &&
	grep -q 'status codes: 400 2xx' <<<"$out"; then
	ok http2_regular_h2load
else notok http2_regular_h2load "$(grep -E '^(requests|status codes):' <<<"$out")"; fi

# --- a client that waits for the server's SETTINGS before its first request
# (RFC 9113 3.4: the server's preface is sent first): python3-h2 writes the
# preface, reads until snare's SETTINGS are in and ACKs them, then sends two
# requests on the connection (an ACK snare did not expect would end it).
PY=/usr/bin/python3 # Debian's, with python3-h2
WAITC="$PY $(dirname "$0")/h2_wait_client.py"
if $PY -c 'import h2' 2>/dev/null; then
	out=$(timeout 30 $WAITC "$P" http "127.0.0.1:$H1" "$T/wait" /hello /hello 2>&1)
	if grep -q '^settings received before the first request' <<<"$out" &&
		grep -q '^setting 2 0$' <<<"$out" && grep -q '^setting 3 100$' <<<"$out" &&
		[ "$(grep -c '^:status: 200' <<<"$out")" = 2 ] &&
		[ "$(cat "$T/wait.1" "$T/wait.2" 2>/dev/null)" = "$(printf 'hello\nhello')" ]; then
		ok http2_regular_client_waits_for_settings
	else notok http2_regular_client_waits_for_settings "$out $(tail -5 "$SNARE_LOG")"; fi

	# --- mitm.it answered by snare itself, as on HTTP/1: same pages, same
	# content types, the CA files byte for byte; no server is asked
	out=$(timeout 30 $WAITC "$P" http mitm.it "$T/mitm" /cert/pem /cert/p12 / /nope 2>&1)
	if [ "$(grep -c '^:status: 200' <<<"$out")" = 3 ] && grep -q '^:status: 404' <<<"$out" &&
		cmp -s "$T/mitm.1" "$SNARE_CONF/snare-ca-cert.pem" &&
		cmp -s "$T/mitm.2" "$SNARE_CONF/snare-ca-cert.p12" &&
		grep -q '^content-type: application/x-x509-ca-cert$' <<<"$out" &&
		grep -q '^content-type: application/x-pkcs12$' <<<"$out" &&
		grep -q '^content-disposition: attachment; filename=snare-ca-cert.p12$' <<<"$out" &&
		grep -q "Install snare" "$T/mitm.3" && grep -q 'No such page' "$T/mitm.4" &&
		wait_for "$SNARE_LOG" "GET http://mitm.it/cert/pem HTTP/2.0" &&
		! grep -q 'server connect mitm.it' "$SNARE_LOG"; then
		ok http2_regular_mitm_it
	else notok http2_regular_mitm_it "$out $(tail -5 "$SNARE_LOG")"; fi

	# --- CONNECT over h2 (RFC 9113 8.5) is not supported: a clear 502, also
	# on a connection already bound to a server (never sent on to it)
	out=$(timeout 30 $WAITC "$P" http "127.0.0.1:$H1" "$T/conn" CONNECT 2>&1)
	out2=$(timeout 30 $WAITC "$P" http "127.0.0.1:$H1" "$T/conn2" /hello CONNECT 2>&1)
	if grep -q '^:status: 502' <<<"$out" && grep -q 'CONNECT over HTTP/2 is not supported' "$T/conn.1" &&
		grep -q '^:status: 200' <<<"$out2" && grep -q '^:status: 502' <<<"$out2" &&
		grep -q 'CONNECT over HTTP/2 is not supported' "$T/conn2.2"; then
		ok http2_regular_connect_502
	else notok http2_regular_connect_502 "$out / $out2"; fi
else
	skip http2_regular_client_waits_for_settings "python3-h2 is not installed"
fi

# --- snare itself named as the server: refused as on HTTP/1
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/hello" 2>&1)
if grep -q ':status: 502' <<<"$out" && grep -q 'Request destination unknown' <<<"$out"; then
	ok http2_regular_self_refused
else notok http2_regular_self_refused "$out"; fi

# --- a second server on the same connection: 421, the first still answered.
# HEADERS by hand (HPACK literals without indexing); the answers are read
# from the DATA frames, which are not compressed.
python3 - "$P" "127.0.0.1:$H1" "127.0.0.1:$H1B" >"$T/two.out" 2>&1 <<'EOF'
import socket, struct, sys
port, a1, a2 = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def lit(n, v):
    n, v = n.encode(), v.encode()
    return bytes([0, len(n)]) + n + bytes([len(v)]) + v
def headers(sid, auth):
    blk = lit(":method", "GET") + lit(":scheme", "http") + lit(":path", "/hello") + lit(":authority", auth)
    return struct.pack(">I", len(blk))[1:] + bytes([1, 5]) + struct.pack(">I", sid) + blk
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\x04\0\0\0\0\0" + headers(1, a1) + headers(3, a2))
buf, data, ended = b"", {1: b"", 3: b""}, set()
while len(ended) < 2:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 9:
        ln = int.from_bytes(buf[:3], "big"); typ, fl = buf[3], buf[4]
        sid = int.from_bytes(buf[5:9], "big") & 0x7fffffff
        if len(buf) < 9 + ln:
            break
        if typ == 4 and not fl & 1:
            s.sendall(b"\0\0\0\x04\x01\0\0\0\0")
        if typ == 0 and sid in data:
            data[sid] += buf[9:9 + ln]
        if typ in (0, 1) and fl & 1 and sid in data:
            ended.add(sid)
        buf = buf[9 + ln:]
print("stream1:", data[1].decode(errors="replace").strip())
print("stream3:", data[3].decode(errors="replace").strip())
EOF
if grep -q '^stream1: hello$' "$T/two.out" &&
	grep -q "^stream3: This HTTP/2 connection goes to 127.0.0.1:$H1; open another one for 127.0.0.1:$H1B" \
		"$T/two.out" && wait_for "$SNARE_LOG" '<< HTTP/2.0 421'; then
	ok http2_regular_second_server_421
else notok http2_regular_second_server_421 "$(cat "$T/two.out")"; fi

# --- HTTP/1 on the same port as before
if [ "$(proxy_curl "http://127.0.0.1:$H1/hello")" = hello ]; then
	ok http2_regular_http1_still_served
else notok http2_regular_http1_still_served "$(proxy_curl "http://127.0.0.1:$H1/hello" 2>&1)"; fi
stop_snare

# --- proxyauth: 407 on h2 without or with wrong credentials; the right ones
# pass and do not reach the server
start_snare --mode "regular@127.0.0.1:0" --set proxyauth=h2user:h2pass --set flow_detail=1 || exit 1
P=$SNARE_PORT
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/hello" -H ":authority: 127.0.0.1:$H1" 2>&1)
bad=$(timeout 20 nghttp -v "http://127.0.0.1:$P/hello" -H ":authority: 127.0.0.1:$H1" \
	-H "proxy-authorization: Basic $(printf h2user:nope | base64)" 2>&1)
if grep -q ':status: 407' <<<"$out" && grep -q 'proxy-authenticate: Basic realm="snare"' <<<"$out" &&
	grep -q ':status: 407' <<<"$bad"; then
	ok http2_regular_proxyauth_407
else notok http2_regular_proxyauth_407 "$out / $bad"; fi
out=$(timeout 20 nghttp "http://127.0.0.1:$P/headers" -H ":authority: 127.0.0.1:$H1" \
	-H "proxy-authorization: Basic $(printf h2user:h2pass | base64)" -H 'x-h2-regular: 1' 2>&1)
if grep -qi 'x-h2-regular' <<<"$out" && ! grep -qi 'proxy-authorization' <<<"$out"; then
	ok http2_regular_proxyauth_passes
else notok http2_regular_proxyauth_passes "$out"; fi
if ! grep -q "server connect 127.0.0.1:$H1" <(head -n "$(grep -n 'proxy authentication failed' \
	"$SNARE_LOG" | head -1 | cut -d: -f1)" "$SNARE_LOG") && grep -q "server connect 127.0.0.1:$H1" "$SNARE_LOG"; then
	ok http2_regular_refused_before_connecting
else notok http2_regular_refused_before_connecting "$(grep -E 'server connect|authentication' "$SNARE_LOG")"; fi
stop_snare

# --- :scheme https: snare goes to the server in TLS and checks its
# certificate against the name in :authority (SNI too): an h2/TLS origin
# whose certificate names another host is refused (502), one whose
# certificate names localhost is answered.  Both are trusted through
# ssl_verify_upstream_trusted_ca, so only the name check tells them apart.
mkdir -p "$T/www" && echo h2tls-index >"$T/www/index.html"
origin_cert
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.crt" -days 2 \
	-subj "/CN=other.test/O=snare test origin" -addext "subjectAltName=DNS:other.test" 2>/dev/null
cat "$ORIGIN_CERT" "$T/other.crt" >"$T/both-ca.crt"
start_nghttpd "$T/nghttpd-good.log" || { notok http2_regular_https_origin "nghttpd did not start"; exit 0; }
NGOOD=$NGX
NOTHER=$(free_port)
nghttpd -d "$T/www" "$NOTHER" "$T/other.key" "$T/other.crt" >"$T/nghttpd-other.log" 2>&1 &
PIDS+=($!)
wait_port "$NOTHER" || { notok http2_regular_https_origin "nghttpd did not start"; exit 0; }
start_snare --mode "regular@127.0.0.1:0" --set flow_detail=1 \
	--set ssl_verify_upstream_trusted_ca="$T/both-ca.crt" || exit 1
P=$SNARE_PORT
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/index.html" -H ':scheme: https' \
	-H ":authority: localhost:$NGOOD" 2>&1)
if grep -q '^h2tls-index$' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NGOOD/index.html HTTP/2.0"; then
	ok http2_regular_https_name_matches
else notok http2_regular_https_name_matches "$out $(tail -5 "$SNARE_LOG")"; fi
out=$(timeout 20 nghttp -v "http://127.0.0.1:$P/index.html" -H ':scheme: https' \
	-H ":authority: localhost:$NOTHER" 2>&1)
if grep -q ':status: 502' <<<"$out" && ! grep -q '^h2tls-index$' <<<"$out" &&
	wait_for "$SNARE_LOG" 'Server TLS handshake failed. hostname mismatch'; then
	ok http2_regular_https_name_mismatch_502
else notok http2_regular_https_name_mismatch_502 "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare
