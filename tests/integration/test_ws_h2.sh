#!/bin/bash
# WebSocket over HTTP/2 (RFC 8441) through snare reverse https:// (h2 to the
# client): snare offers SETTINGS_ENABLE_CONNECT_PROTOCOL (in a SETTINGS frame
# after its first) once its server side is known to carry WebSockets; a
# python3-h2 client's extended CONNECT (:protocol websocket) reaches an HTTP/1.1
# WebSocket echo origin as an Upgrade (origin.py /ws) and an h2 echo origin
# that takes extended CONNECT (wsh2origin.py) as an extended CONNECT; the
# messages come back echoed (one larger than the h2 windows) and are recorded
# in the HTTP/2.0 flow, in flow lines and in the flow file (-r).  Another
# :protocol is answered 501.  With an h2 origin without the setting the client
# is not offered it (a browser then opens an HTTP/1.1 WebSocket), and an
# extended CONNECT sent anyway is reset.  Seven WebSockets to the HTTP/1.1
# origin leave room in its connection pool for a GET on the same connection.
# Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import h2.connection' 2>/dev/null; then
	skip ws_h2 "python3-h2 missing (scripts/deps.sh test)"
	exit 0
fi
CLIENT="$SNARE_ROOT/tests/integration/wsh2client.py"
ORIGIN_H2="$SNARE_ROOT/tests/integration/wsh2origin.py"

# wsh2 ARGS...: the client's output through snare (stderr included)
wsh2() { timeout 30 "$PY" "$CLIENT" --port "$SNARE_PORT" "$@" 2>&1; }

# echoed NAME OUT: the two texts, the large binary and the close came back
echoed() {
	if grep -qx 'enable_connect_protocol=1' <<<"$2" && grep -qx 'status 200' <<<"$2" &&
		grep -qx hello <<<"$2" && grep -qx world <<<"$2" &&
		grep -qx 'binary 300000 ok' <<<"$2" && grep -qx 'closed 1000' <<<"$2"; then
		ok "$1"
	else notok "$1" "$2 $(tail -5 "$SNARE_LOG")"; fi
}

# recorded NAME: the flow lines show the CONNECT flow and its six messages
recorded() {
	if wait_for "$SNARE_LOG" "<- WebSocket binary message <-" 10 &&
		grep -q "CONNECT .* HTTP/2.0" "$SNARE_LOG" &&
		[ "$(grep -c -- '-> WebSocket text message ->' "$SNARE_LOG")" -eq 2 ] &&
		[ "$(grep -c -- '<- WebSocket text message <-' "$SNARE_LOG")" -eq 2 ] &&
		grep -q -- '-> WebSocket binary message ->' "$SNARE_LOG"; then
		ok "$1"
	else notok "$1" "$(tail -12 "$SNARE_LOG")"; fi
}

# ---- an HTTP/1.1 origin: the extended CONNECT becomes an Upgrade ----
start_origin --tls || exit 1
FLOWS=$T/ws_h2.flows
# lazy: snare offers the client h2 before it knows the server (eager mirrors
# the server's ALPN, and this origin speaks HTTP/1.1 only)
start_snare --mode "reverse:https://127.0.0.1:$ORIGIN_PORT@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy -w "$FLOWS" || exit 1
out=$(wsh2 --send hello --send world --big 300000)
echoed ws_h2_h1_origin_echo "$out"
recorded ws_h2_h1_origin_flow
if grep -q -- '<< HTTP/2.0 200' "$SNARE_LOG"; then
	ok ws_h2_h1_origin_101_as_200
else notok ws_h2_h1_origin_101_as_200 "$(grep -A1 CONNECT "$SNARE_LOG")"; fi
out=$(wsh2 --protocol chat --send nothing)
if grep -qx 'enable_connect_protocol=1' <<<"$out" && grep -qx 'status 501' <<<"$out"; then
	ok ws_h2_other_protocol_501
else notok ws_h2_other_protocol_501 "$out"; fi
# more WebSockets than H1POOL_MAX (6): each holds its own server connection,
# and a GET on the same client connection still gets one
out=$(wsh2 --count 7 --get /hello)
if [ "$(grep -c '^open [0-6] 200$' <<<"$out")" -eq 7 ] && grep -qx 'get 200' <<<"$out"; then
	ok ws_h2_seven_websockets_then_get
else notok ws_h2_seven_websockets_then_get "$out $(tail -5 "$SNARE_LOG")"; fi
stop_snare
if "$SNARE_BIN" -n -r "$FLOWS" >"$T/r.out" 2>&1 && grep -q 'CONNECT .* HTTP/2.0' "$T/r.out" &&
	[ "$(grep -c 'WebSocket text message' "$T/r.out")" -eq 4 ] &&
	[ "$(grep -c 'WebSocket binary message' "$T/r.out")" -eq 2 ]; then
	ok ws_h2_flow_file
else notok ws_h2_flow_file "$(cat "$T/r.out")"; fi

# ---- scripts: examples/websocket_rewrite.lua's websocket_message drops the
# client's "debug" and turns the server's "hello" into HELLO, and
# websocket_start/end run, as on HTTP/1 ----
cat >"$T/ws_events.lua" <<'LUA'
function websocket_start(flow) print("websocket_start seen " .. flow.request.http_version) end
function websocket_end(flow) print("websocket_end seen") end
LUA
start_snare --mode "reverse:https://127.0.0.1:$ORIGIN_PORT@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy -s "$SNARE_ROOT/examples/websocket_rewrite.lua" \
	-s "$T/ws_events.lua" || exit 1
out=$(wsh2 --send debug --send "say hello" --big 300000)
if grep -qx 'say HELLO' <<<"$out" && ! grep -q debug <<<"$out" &&
	grep -qx 'binary 300000 ok' <<<"$out" && grep -qx 'closed 1000' <<<"$out"; then
	ok ws_h2_script_websocket_message
else notok ws_h2_script_websocket_message "$out $(tail -5 "$SNARE_LOG")"; fi
if wait_for "$SNARE_LOG" "websocket_end seen" 10 &&
	grep -q "websocket_start seen HTTP/2.0" "$SNARE_LOG"; then
	ok ws_h2_script_websocket_start_end
else notok ws_h2_script_websocket_start_end "$(grep seen "$SNARE_LOG")"; fi
stop_snare

# ---- h2 origins: with the setting the client is offered it and the CONNECT
# goes on; without it the client is not offered it (the CONNECT it sends
# anyway is reset by snare's HTTP/2 layer, and never reaches the origin); an
# origin whose SETTINGS come after the client's CONNECT reached snare: the
# stream waits for them (eager: snare is connected before the client) ----
for kind in extended no-extended late-settings; do
	OP=$(free_port)
	OL=$T/wsh2origin-$kind.log
	"$PY" -u "$ORIGIN_H2" "$OP" "$ORIGIN_CERT" "$T/origin.key" "--$kind" >"$OL" 2>&1 &
	PIDS+=($!)
	wait_for "$OL" listening 10 || { notok "ws_h2_origin_$kind" "$(cat "$OL")"; continue; }
	start_snare --mode "reverse:https://127.0.0.1:$OP@127.0.0.1:0" --set ssl_insecure=true \
		--set connection_strategy=eager || exit 1
	out=$(wsh2 --send hello --send world --big 300000)
	if [ "$kind" = extended ]; then
		echoed ws_h2_h2_origin_echo "$out"
		recorded ws_h2_h2_origin_flow
		if grep -q '^connect /ws websocket' "$OL"; then
			ok ws_h2_h2_origin_saw_extended_connect
		else notok ws_h2_h2_origin_saw_extended_connect "$(cat "$OL")"; fi
	elif [ "$kind" = late-settings ]; then
		echoed ws_h2_h2_origin_late_settings "$out"
	elif grep -qx 'enable_connect_protocol=0' <<<"$out" && grep -q '^reset ' <<<"$out" &&
		! grep -q '^connect ' "$OL"; then
		ok ws_h2_h2_origin_without_setting_not_offered
	else notok ws_h2_h2_origin_without_setting_not_offered "$out $(cat "$OL")"; fi
	stop_snare
done

# ---- headless Chromium: a page over h2 opens new WebSocket("wss://...") on
# the same origin.  With SETTINGS_ENABLE_CONNECT_PROTOCOL offered it uses
# the page's h2 connection (an HTTP/2.0 CONNECT flow), not a new HTTP/1.1
# connection; the h2 origin takes extended CONNECT too.
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
	skip ws_h2_chromium "chromium is not installed"
	exit 0
fi
cat >"$T/page.html" <<'HTML'
<!doctype html><html><head><title>ws over h2</title></head><body><pre id="r">waiting</pre>
<script>
var r = document.getElementById("r"), ws = new WebSocket("wss://" + location.host + "/ws");
ws.onopen = function () { ws.send("hello-from-chromium"); };
ws.onmessage = function (e) { r.textContent = "echo " + e.data; ws.close(1000); };
ws.onerror = function () { r.textContent = "websocket error"; };
</script></body></html>
HTML
OP=$(free_port)
OL=$T/wsh2origin-page.log
"$PY" -u "$ORIGIN_H2" "$OP" "$ORIGIN_CERT" "$T/origin.key" --extended --page "$T/page.html" >"$OL" 2>&1 &
PIDS+=($!)
wait_for "$OL" listening 10 || { notok ws_h2_chromium_origin "$(cat "$OL")"; exit 0; }
start_snare --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=eager || exit 1
. "$(dirname "$0")/lib_chromium.sh"
chromium_trust_ca "$SNARE_CONF/snare-ca-cert.pem" "$T/home-ws" ||
	{ notok ws_h2_chromium_trust_ca "certutil failed"; exit 0; }
# virtual time runs on while the WebSocket waits for the network: on a
# loaded machine a try can end before the echo came; up to three tries
for try in 1 2 3; do
	out=$(HOME=$T/home-ws timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$T/chrome-ws$try" \
		--virtual-time-budget=30000 \
		--dump-dom "https://localhost:$SNARE_PORT/page.html" 2>/dev/null)
	grep -q 'echo hello-from-chromium' <<<"$out" && break
done
if grep -q 'echo hello-from-chromium' <<<"$out" &&
	wait_for "$SNARE_LOG" "-> WebSocket text message ->" 10 &&
	grep -q 'CONNECT .* HTTP/2.0' "$SNARE_LOG" && grep -q '^connect /ws websocket' "$OL"; then
	ok ws_h2_chromium_over_h2
	grep -E 'CONNECT|WebSocket' "$SNARE_LOG" | sed 's/^/# chromium: /'
else
	notok ws_h2_chromium_over_h2 "page: $(grep -o 'id="r">[^<]*' <<<"$out"); \
$(grep -E 'HTTP/|WebSocket' "$SNARE_LOG" | head -8)"
fi
stop_snare
