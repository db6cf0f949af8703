#!/bin/bash
# More HTTP/2 through snare, each with a real peer:
#   - the secure web proxy (TLS to regular mode) with h2 inside the tunnel (curl);
#   - nginx with http2 as the origin through regular and reverse https (curl, nghttp), its
#     access log's $server_protocol checked;
#   - a Rapid Reset and a CONTINUATION flood (tests/integration/h2more_peer.py, python3-h2)
#     answered GOAWAY ENHANCE_YOUR_CALM and logged once, while a download on another
#     connection completes intact;
#   - client trailers reaching an h2 origin and, chunked, an HTTP/1.1 origin;
#   - the request's header order at the origin and in the flow;
#   - stream_large_bodies: the client gets the whole body, the flow file keeps none;
#   - the server's RST_STREAM and GOAWAY mapped to the client (RFC 9113 6.8: a stream above
#     the GOAWAY's last stream id was not processed: REFUSED_STREAM, so the client may retry,
#     and a retried stream starts afresh);
#   - an origin that answers early and goes away while the client still uploads;
#   - an h2c probe refused when an HTTP/1.1 client's connection connects again.
# Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
PEER=$SNARE_ROOT/tests/integration/h2more_peer.py

for tool in nghttp nginx curl; do
	command -v "$tool" >/dev/null || { skip http2_more "$tool is not installed"; exit 0; }
done
"$PY" -c 'import h2, hpack' 2>/dev/null || { skip http2_more "python3-h2 is not installed"; exit 0; }

origin_cert
mkdir -p "$T/h2m-www" "$T/h2m-nginx"
echo "h2more docroot" >"$T/h2m-www/index.html"
head -c 4000000 /dev/urandom >"$T/h2m-www/big.bin"
BIG_SUM=$(sha256sum <"$T/h2m-www/big.bin" | cut -d' ' -f1)

# nginx with http2 over TLS; its access log names the protocol of each request.
NG=$(free_port)
cat >"$T/h2m-nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/h2m-nginx/nginx.pid;
error_log $T/h2m-nginx/error.log;
events { worker_connections 256; }
http {
	log_format proto '\$server_protocol \$request_method \$uri \$status';
	access_log $T/h2m-nginx/access.log proto;
	client_body_temp_path $T/h2m-nginx/body;
	proxy_temp_path $T/h2m-nginx/proxy;
	fastcgi_temp_path $T/h2m-nginx/fastcgi;
	uwsgi_temp_path $T/h2m-nginx/uwsgi;
	scgi_temp_path $T/h2m-nginx/scgi;
	server {
		listen 127.0.0.1:$NG ssl http2;
		ssl_certificate $ORIGIN_CERT;
		ssl_certificate_key $T/origin.key;
		root $T/h2m-www;
	}
}
CONF
nginx -p "$T/h2m-nginx" -c "$T/h2m-nginx/nginx.conf" -e "$T/h2m-nginx/error.log" >"$T/h2m-nginx/out.log" 2>&1 &
PIDS+=($!)
ACCESS=$T/h2m-nginx/access.log
H2O=$(free_port)
"$PY" -u "$PEER" h2origin "$H2O" "$ORIGIN_CERT" "$T/origin.key" >"$T/h2m-h2o.log" 2>&1 &
PIDS+=($!)
H1O=$(free_port)
"$PY" -u "$PEER" h1origin "$H1O" >"$T/h2m-h1o.log" 2>&1 &
PIDS+=($!)
if ! wait_port "$NG" || ! wait_for "$T/h2m-h2o.log" ready || ! wait_for "$T/h2m-h1o.log" ready; then
	notok http2_more_origins "$(cat "$T/h2m-nginx/error.log" "$T"/h2m-h*.log 2>/dev/null)"
	exit 0
fi
# nginx_h2 PATH: how many HTTP/2.0 GETs of PATH nginx answered 200.
nginx_h2() { grep -c "^HTTP/2.0 GET $1 200\$" "$ACCESS"; }

# ---- regular mode: the secure web proxy with h2 in the tunnel, and plain CONNECT
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
CA=$SNARE_CONF/snare-ca-cert.pem
n0=$(nginx_h2 /index.html)
out=$(curl -sS --max-time 20 --proxy "https://127.0.0.1:$SNARE_PORT" --proxy-cacert "$CA" \
	--cacert "$CA" --http2 -w '\nversion=%{http_version}' "https://localhost:$NG/index.html" 2>&1)
if grep -q '^h2more docroot$' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
	wait_for "$SNARE_LOG" "GET https://localhost:$NG/index.html HTTP/2.0" &&
	[ "$(nginx_h2 /index.html)" -eq $((n0 + 1)) ]; then
	ok secure_web_proxy_h2_in_tunnel
else notok secure_web_proxy_h2_in_tunnel "$out; nginx $(tail -2 "$ACCESS"); $(tail -3 "$SNARE_LOG")"; fi
n0=$(nginx_h2 /index.html)
out=$(proxy_curl --cacert "$CA" --http2 -w '\nversion=%{http_version}\n' \
	"https://localhost:$NG/index.html" "https://localhost:$NG/index.html" 2>&1)
if [ "$(grep -c '^h2more docroot$' <<<"$out")" -eq 2 ] && [ "$(grep -c '^version=2$' <<<"$out")" -eq 2 ] &&
	[ "$(nginx_h2 /index.html)" -eq $((n0 + 2)) ]; then
	ok regular_nginx_origin_h2
else notok regular_nginx_origin_h2 "$out; nginx $(tail -2 "$ACCESS")"; fi
stop_snare

# ---- reverse https to nginx: nghttp, floods, stream_large_bodies
start_snare --mode "reverse:https://localhost:$NG@127.0.0.1:0" --set ssl_insecure=true \
	--set stream_large_bodies=1m -w "$T/h2m-nginx.flows" || exit 1
RLOG=$SNARE_LOG
n0=$(nginx_h2 /index.html)
out=$(nghttp -v "https://127.0.0.1:$SNARE_PORT/index.html" 2>&1)
if grep -q 'negotiated protocol: h2' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
	grep -q '^h2more docroot$' <<<"$out" && [ "$(nginx_h2 /index.html)" -eq $((n0 + 1)) ]; then
	ok reverse_nghttp_nginx_origin_h2
else notok reverse_nghttp_nginx_origin_h2 "$(tail -5 <<<"$out"); nginx $(tail -2 "$ACCESS")"; fi

# A slow download on its own connection, under way before the floods start.
curl -sk --max-time 120 --http2 --limit-rate 500k -o "$T/h2m-par.bin" \
	-w '%{http_version} %{http_code}\n' "https://127.0.0.1:$SNARE_PORT/big.bin" >"$T/h2m-par.out" 2>&1 &
PAR=$!
for _ in $(seq 1 200); do [ -s "$T/h2m-par.bin" ] && break; sleep 0.05; done
par_at_flood=$(stat -c %s "$T/h2m-par.bin" 2>/dev/null || echo 0)
if [ "$par_at_flood" -gt 0 ] && [ "$par_at_flood" -lt 4000000 ]; then
	ok flood_parallel_download_under_way
else notok flood_parallel_download_under_way "$par_at_flood bytes when the floods start"; fi

# flood KIND MESSAGE: the client is told ENHANCE_YOUR_CALM (11) and snare says MESSAGE once.
flood() {
	local out
	out=$(timeout 30 "$PY" "$PEER" flood "$1" 127.0.0.1 "$SNARE_PORT" 2>&1)
	if grep -q '^goaway 11 ' <<<"$out"; then ok "flood_${1}_goaway_enhance_your_calm"
	else notok "flood_${1}_goaway_enhance_your_calm" "$out"; fi
	if wait_for "$RLOG" "$2" 5 && sleep 0.5 && [ "$(grep -c "$2" "$RLOG")" -eq 1 ]; then
		ok "flood_${1}_logged_once"
	else notok "flood_${1}_logged_once" "$(grep -c "$2" "$RLOG") lines: $(tail -3 "$RLOG")"; fi
}
flood rapid "rapid reset"
flood continuation "CONTINUATION flood"
wait "$PAR"
if [ "$(sha256sum <"$T/h2m-par.bin" | cut -d' ' -f1)" = "$BIG_SUM" ] &&
	grep -q '^2 200$' "$T/h2m-par.out"; then
	ok flood_parallel_download_intact
else notok flood_parallel_download_intact "$(cat "$T/h2m-par.out") $(stat -c %s "$T/h2m-par.bin")"; fi

# stream_large_bodies: that 4 MB response was streamed (the client got it whole: above) and
# its flow keeps no body; the small one keeps its body.
stop_snare
flows=$(cd "$SNARE_ROOT/tests/integration" && PYTHONDONTWRITEBYTECODE=1 "$PY" - "$T/h2m-nginx.flows" <<'EOF'
import sys
from flowfile import fields, records
for f in records(sys.argv[1]):
    req, resp = fields(f[8][0]), fields(f[9][0]) if 9 in f else {}
    print(req[5][0].decode(), req[6][0].decode(), "content", len(resp.get(5, [b""])[0]),
          "length", resp.get(6, [0])[0], "streamed", resp.get(7, [0])[0])
EOF
)
if grep -q '^/index.html HTTP/2.0 content 15 length 15 streamed 0$' <<<"$flows" &&
	grep -q '^/big.bin HTTP/2.0 content 0 length [0-9]* streamed 1$' <<<"$flows"; then
	ok stream_large_bodies_h2_flow_has_no_body
else notok stream_large_bodies_h2_flow_has_no_body "$flows"; fi

# ---- reverse https to the python3-h2 origin: trailers, header order, resets, GOAWAY
start_snare --mode "reverse:https://localhost:$H2O@127.0.0.1:0" --set ssl_insecure=true \
	--set flow_detail=2 || exit 1
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /report --header x-zulu=1 \
	--header x-alpha=2 --header x-mike=3 --trailer x-client-trailer=h2-to-h2 2>&1)
if grep -q '^status 200$' <<<"$out" && grep -q '^t x-client-trailer: h2-to-h2$' <<<"$out"; then
	ok client_trailer_h2_origin
else notok client_trailer_h2_origin "$out"; fi
order=$(grep -oE '^h x-(zulu|alpha|mike)' <<<"$out" | tr '\n' ' ')
if [ "$order" = "h x-zulu h x-alpha h x-mike " ]; then ok header_order_at_origin
else notok header_order_at_origin "$order"; fi
wait_for "$SNARE_LOG" 'x-client-trailer' 5
order=$(grep -oE '^ *x-(zulu|alpha|mike):' "$SNARE_LOG" | tr -d ' ' | tr '\n' ' ')
if [ "$order" = "x-zulu: x-alpha: x-mike: " ]; then ok header_order_in_flow
else notok header_order_in_flow "$order"; fi

out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /refuse 2>&1)
if grep -q '^reset 7$' <<<"$out"; then ok server_refused_stream_mapped
else notok server_refused_stream_mapped "$out $(tail -3 "$SNARE_LOG")"; fi
# A server GOAWAY (RFC 9113 6.8): the failed server connection ends its streams only; the
# client's connection goes on.
# The stream above the GOAWAY's last stream id was not processed: REFUSED_STREAM, no head, so
# the client may retry it.
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /goaway-early 2>&1)
if grep -q '^reset 7$' <<<"$out" && ! grep -q '^status' <<<"$out"; then
	ok server_goaway_unprocessed_refused
else notok server_goaway_unprocessed_refused "$out $(tail -3 "$SNARE_LOG")"; fi
# The flow of that stream has no response and says why.
wait_for "$SNARE_LOG" "POST https://localhost:$H2O/goaway-early HTTP/2.0" 5
flow=$(sed -n "\#POST https://localhost:$H2O/goaway-early HTTP/2.0#,\#^\[#p" "$SNARE_LOG")
if grep -q '^ *<< [A-Za-z]' <<<"$flow" && ! grep -q '<< HTTP/2.0 [0-9]' <<<"$flow"; then
	ok server_goaway_unprocessed_flow_error
else notok server_goaway_unprocessed_flow_error "$flow"; fi
# GOAWAY INTERNAL_ERROR with the stream at its last stream id, after the head and 5 bytes: it
# was processed; the client gets both, then the stream ends with the GOAWAY's error
# (RST_STREAM INTERNAL_ERROR, or a GOAWAY with that code).
# The client's connection outlives its server connection: a new stream on it is answered
# (over a new server connection).
# goaway_late DATA CODE GOES_ON: those three assertions' names.
goaway_late() {
	local out
	out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /goaway-late --again /plain 2>&1)
	if grep -q '^status 200$' <<<"$out" && grep -q '^part$' <<<"$out"; then ok "$1"
	else notok "$1" "$out"; fi
	if grep -qE '^(reset|goaway) 2( |$)' <<<"$out"; then ok "$2"
	else notok "$2" "want INTERNAL_ERROR (2) after the data: $out"; fi
	if grep -q '^again status 200$' <<<"$out" && grep -q '^again h2more$' <<<"$out"; then ok "$3"
	else notok "$3" "$out"; fi
}
goaway_late server_goaway_processed_head_and_data server_goaway_processed_error_code \
	server_goaway_client_goes_on
wait_for "$SNARE_LOG" "POST https://localhost:$H2O/goaway-late HTTP/2.0" 5
flow=$(sed -n "\#POST https://localhost:$H2O/goaway-late HTTP/2.0#,\#^\[#p" "$SNARE_LOG")
if grep -q '<< HTTP/2.0 200' <<<"$flow" && grep -q '<< GOAWAY received: INTERNAL_ERROR' <<<"$flow"; then
	ok server_goaway_processed_flow_error
else notok server_goaway_processed_flow_error "$flow"; fi
# A request without a body retried after a GOAWAY left it unprocessed starts afresh: when its second server
# connection closes after the head and 5 bytes, the client gets both, then CANCEL (8), not
# the first connection's REFUSED_STREAM (7).
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /goaway-once --method GET 2>&1)
if grep -q '^status 200$' <<<"$out" && grep -q '^part$' <<<"$out" && grep -q '^reset 8$' <<<"$out"; then
	ok server_goaway_retried_stream_fresh_state
else notok server_goaway_retried_stream_fresh_state "$out $(tail -3 "$SNARE_LOG")"; fi
stop_snare

# The same with the client's own server connection (upstream_keepalive=0: none is shared).
start_snare --mode "reverse:https://localhost:$H2O@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_keepalive=0 || exit 1
goaway_late server_goaway_own_connection_head_and_data server_goaway_own_connection_error_code \
	server_goaway_own_connection_client_goes_on
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /goaway-early --again /plain 2>&1)
if grep -q '^reset 7$' <<<"$out" && grep -q '^again h2more$' <<<"$out"; then
	ok server_goaway_own_connection_unprocessed_refused
else notok server_goaway_own_connection_unprocessed_refused "$out"; fi
# The origin answers 413 at the head of an 8 MB upload and goes away (GOAWAY, close) while the
# client still sends: the client gets the answer, what it sends after is taken and dropped
# (it finishes), the worker lives on, and a new connection is answered.
out=$(timeout 60 "$PY" "$PEER" upload 127.0.0.1 "$SNARE_PORT" /early-413 8000000 2>&1)
if grep -q '^status 413$' <<<"$out" && grep -q '^too large$' <<<"$out" && grep -q '^end$' <<<"$out"; then
	ok server_gone_under_upload_early_answer
else notok server_gone_under_upload_early_answer "$out $(tail -5 "$SNARE_LOG")"; fi
if grep -q '^uploaded 8000000$' <<<"$out"; then ok server_gone_under_upload_client_finishes
else notok server_gone_under_upload_client_finishes "$out"; fi
if wait_for "$SNARE_LOG" "POST https://localhost:$H2O/early-413 HTTP/2.0" 10 &&
	! grep -qE 'worker [0-9]+ (killed by signal|exited with status)|AddressSanitizer|runtime error' "$SNARE_LOG"; then
	ok server_gone_under_upload_worker_lives
else notok server_gone_under_upload_worker_lives "$(grep -E -A5 'worker [0-9]+ |Sanitizer|runtime error' "$SNARE_LOG" | head -20)"; fi
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /plain 2>&1)
if grep -q '^status 200$' <<<"$out" && grep -q '^h2more$' <<<"$out"; then
	ok server_gone_under_upload_next_connection
else notok server_gone_under_upload_next_connection "$out"; fi
stop_snare

# ---- an HTTP/1.1 origin (reverse http://, the TLS client answered h2): chunked trailers
start_snare --mode "reverse:http://127.0.0.1:$H1O@127.0.0.1:0" || exit 1
out=$(timeout 20 "$PY" "$PEER" client 127.0.0.1 "$SNARE_PORT" /trailers \
	--trailer x-client-trailer=h2-to-h1 2>&1)
if grep -q '^status 200$' <<<"$out" && grep -qi '^t x-client-trailer: h2-to-h1$' <<<"$out" &&
	grep -q 'request trailers 1' "$T/h2m-h1o.log"; then
	ok client_trailer_h1_origin_chunked
else notok client_trailer_h1_origin_chunked "$out $(cat "$T/h2m-h1o.log")"; fi
stop_snare

# ---- an HTTP/1.1 client, reverse http:// with http2_origin: the origin spoke h2c on the
# first connection and went away; the next request (after the server side's idle release)
# connects again, and its h2c probe is refused: that request goes in HTTP/1.1 (an h1 pool),
# it does not hang in a layer that lost it.
HC=$(free_port)
"$PY" -u "$PEER" h2conce "$HC" >"$T/h2m-h2conce.log" 2>&1 &
PIDS+=($!)
wait_for "$T/h2m-h2conce.log" ready || { notok h2c_refused_on_reconnect "no origin"; exit 0; }
start_snare --mode "reverse:http://127.0.0.1:$HC@127.0.0.1:0" --set http2_origin=true || exit 1
out=$(timeout 30 "$PY" "$PEER" h1get 127.0.0.1 "$SNARE_PORT" /first /second 2>&1)
if [ "$(grep -c '^code 200$' <<<"$out")" -eq 2 ] && grep -q '^h2c$' <<<"$out" &&
	grep -q '^h1$' <<<"$out" && grep -q 'h2c preface refused' "$T/h2m-h2conce.log"; then
	ok h2c_refused_on_reconnect_request_answered
else notok h2c_refused_on_reconnect_request_answered "$out; $(cat "$T/h2m-h2conce.log"); $(tail -5 "$SNARE_LOG")"; fi
stop_snare
