#!/bin/bash
# WebSocket over HTTP/2 (RFC 8441) through snare reverse https:// (h2 to the
# client): snare advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, a python3-h2
# client's extended CONNECT (:protocol websocket) reaches an HTTP/1.1
# WebSocket echo origin as an Upgrade (origin.py /ws) and an h2 echo origin
# that takes extended CONNECT (wsh2origin.py) as an extended CONNECT; the
# messages come back echoed (one larger than the h2 windows) and are recorded
# in the HTTP/2.0 flow, in flow lines and in the flow file (-r).  Another
# :protocol, and an h2 origin without the setting, are answered 501.
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
stop_snare
if "$SNARE_BIN" -n -r "$FLOWS" >"$T/r.out" 2>&1 && grep -q 'CONNECT .* HTTP/2.0' "$T/r.out" &&
	[ "$(grep -c 'WebSocket text message' "$T/r.out")" -eq 4 ] &&
	[ "$(grep -c 'WebSocket binary message' "$T/r.out")" -eq 2 ]; then
	ok ws_h2_flow_file
else notok ws_h2_flow_file "$(cat "$T/r.out")"; fi

# ---- h2 origins: with the setting the CONNECT goes on, without it 501 ----
for kind in extended no-extended; do
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
	elif grep -qx 'status 501' <<<"$out" && ! grep -q '^connect ' "$OL"; then
		ok ws_h2_h2_origin_without_setting_501
	else notok ws_h2_h2_origin_without_setting_501 "$out $(cat "$OL")"; fi
	stop_snare
done
