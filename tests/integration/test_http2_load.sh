#!/bin/bash
# Many concurrent HTTP/2 streams on many connections through snare, none lost: h2load at several
# -c/-m settings through reverse https:// (h2 to the client) to an h2 origin over TLS
# (tests/tools/h2echo), to an h2c origin, and to an HTTP/1.1 origin (translation), and in
# cleartext with prior knowledge.  Every request must succeed: h2load's clients end at
# different times, so the origin sees connections close while others are busy (an origin
# that let one connection's TLS error leak into another's lost 5-30 % here).  Loopback only.
. "$(dirname "$0")/lib.sh"
H2ECHO=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tools/h2echo

command -v h2load >/dev/null || { skip http2_load "h2load is not installed"; exit 0; }
[ -x "$H2ECHO" ] || { notok http2_load "$H2ECHO is not built"; exit 0; }

origin_cert
ETLS=$(free_port)
EPLAIN=$(free_port)
"$H2ECHO" server --tls "$ORIGIN_CERT" "$T/origin.key" "$ETLS" >"$T/echo-tls.log" 2>&1 &
PIDS+=($!)
"$H2ECHO" server "$EPLAIN" >"$T/echo-plain.log" 2>&1 &
PIDS+=($!)
wait_for "$T/echo-tls.log" listening && wait_for "$T/echo-plain.log" listening ||
	{ notok http2_load_origins "$(cat "$T"/echo-*.log)"; exit 0; }
start_origin || exit 1
H1=$ORIGIN_PORT

# h2load NAME URL ARGS...: every request done with a 2xx.
load() {
	local name=$1 url=$2 n out
	shift 2
	n=$(grep -oE -- '-n [0-9]+' <<<"$*" | grep -oE '[0-9]+')
	out=$(timeout 120 h2load "$@" "$url" 2>&1)
	if grep -q "requests: $n total, $n started, $n done, $n succeeded" <<<"$out" &&
		grep -q "status codes: $n 2xx" <<<"$out"; then
		ok "$name"
	else notok "$name" "$(grep -E '^(requests|status codes):' <<<"$out" | tr '\n' ' ')"; fi
}

# --- an h2 origin over TLS: h2 on both sides
start_snare --mode "reverse:https://localhost:$ETLS@127.0.0.1:0" --set ssl_insecure=true || exit 1
load http2_load_tls_c10_m10 "https://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
load http2_load_tls_c50_m10 "https://127.0.0.1:$SNARE_PORT/hello" -c 50 -m 10 -n 5000
load http2_load_tls_c4_m100 "https://127.0.0.1:$SNARE_PORT/hello" -c 4 -m 100 -n 4000
load http2_load_tls_c8_m20_post "https://127.0.0.1:$SNARE_PORT/echo" -c 8 -m 20 -n 800 \
	-d "$SNARE_ROOT/tests/integration/test_http2_load.sh"
# h2c with prior knowledge to the same listener, same origin
load http2_load_prior_knowledge "http://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
if ! grep -qE 'error|reset' "$SNARE_LOG" && grep -q 'GET https://localhost:'"$ETLS"'/hello HTTP/2.0' \
	"$SNARE_LOG"; then
	ok http2_load_tls_no_errors_logged
else notok http2_load_tls_no_errors_logged "$(grep -E 'error|reset' "$SNARE_LOG" | head -3)"; fi
stop_snare

# --- an h2c origin, and an HTTP/1.1 origin (every stream translated)
start_snare --mode "reverse:http://127.0.0.1:$EPLAIN@127.0.0.1:0" || exit 1
load http2_load_h2c_origin "http://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
# The h2c server speaks first (its SETTINGS, as soon as snare connects, eager):
# the listener is still HTTP, so a TLS client that starts later is
# intercepted, not relayed as raw TCP, and its h2 goes to the server in h2c.
python3 - "$SNARE_PORT" >"$T/late.out" 2>&1 <<'EOF2'
import socket, ssl, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
time.sleep(0.5)  # the server's SETTINGS reach snare before the ClientHello
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
t = ctx.wrap_socket(s, server_hostname="localhost")
print("alpn", t.selected_alpn_protocol())
def lit(n, v):
    n, v = n.encode(), v.encode()
    return bytes([0, len(n)]) + n + bytes([len(v)]) + v
blk = lit(":method", "GET") + lit(":scheme", "https") + lit(":path", "/late") + lit(":authority", "localhost")
t.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\x04\0\0\0\0\0" +
          struct.pack(">I", len(blk))[1:] + bytes([1, 5, 0, 0, 0, 1]) + blk)
buf, body = b"", b""
while b"h2echo" not in body:
    c = t.recv(65536)
    if not c:
        break
    buf += c
    while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
        ln = int.from_bytes(buf[:3], "big")
        if buf[3] == 0:
            body += buf[9:9 + ln]
        buf = buf[9 + ln:]
print(body.decode(errors="replace").strip())
EOF2
if grep -q '^alpn h2$' "$T/late.out" && grep -q '^h2echo GET /late' "$T/late.out"; then
	ok http2_load_server_first_reverse_http_still_http
else notok http2_load_server_first_reverse_http_still_http "$(cat "$T/late.out")"; fi
stop_snare
# A TLS client's streams go to a plain origin in HTTP/1.1 (translated) when
# the origin has not spoken first (lazy: connected after the handshake); an
# h2c-only origin answers that with SETTINGS and GOAWAY, no status line:
# the stream is reset at once instead of waiting for a line end.
start_snare --mode "reverse:http://127.0.0.1:$EPLAIN@127.0.0.1:0" \
	--set connection_strategy=lazy || exit 1
out=$(curl -sS -k --http2 --max-time 15 "https://127.0.0.1:$SNARE_PORT/hello" 2>&1; echo "rc=$?")
if grep -q '^rc=92$' <<<"$out" && grep -q 'PROTOCOL_ERROR' <<<"$out" &&
	wait_for "$SNARE_LOG" "the server's answer is not HTTP/1"; then
	ok http2_load_h2c_only_origin_tls_client_reset
else notok http2_load_h2c_only_origin_tls_client_reset "$out"; fi
stop_snare
start_snare --mode "reverse:http://127.0.0.1:$H1@127.0.0.1:0" || exit 1
load http2_load_h1_origin "https://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
load http2_load_h1_origin_prior_knowledge "http://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
stop_snare
