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
stop_snare
start_snare --mode "reverse:http://127.0.0.1:$H1@127.0.0.1:0" || exit 1
load http2_load_h1_origin "https://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
load http2_load_h1_origin_prior_knowledge "http://127.0.0.1:$SNARE_PORT/hello" -c 10 -m 10 -n 1000
stop_snare
