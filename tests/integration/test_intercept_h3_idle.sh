#!/bin/bash
# Intercept on HTTP/3 and the QUIC idle timeout (quic_idle_timeout=5), through snare-web in
# reverse:http3:// mode in front of quicpeer, with quicpeer clients that send nothing while they
# wait (no PING): an idle connection with nothing held is closed at the timeout (the client
# sees its idle close, snare logs it); a request and a response held for 12 s, longer than the
# timeout, keep both the client's and the server's connection alive meanwhile (snare sends the
# PINGs), reach the client intact once resumed over the same server connection, and the idle
# timeout applies again once nothing is held (the same clients' connections then close idle);
# a server that goes away while a request is held: its connection ends, the resumed request
# goes over a new one to the restarted server.
# The test lasts longer than the timeout on purpose. Loopback only; ports picked free per run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hold.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
[ -x "$QP" ] || { notok icpt-h3idle-quicpeer-built "$QP missing"; exit 0; }
unset DISPLAY WAYLAND_DISPLAY # never open a browser
quic_test_certs DNS:quic.test,IP:127.0.0.1
QS_PORT=$(udp_port)
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok icpt-h3idle-origin "$(cat "$T/qs.log")"; exit 0; }

mkdir -p "$T/web"
echo '<!doctype html><title>snare h3 idle test</title>' >"$T/web/index.html"
ln -s "$SNARE_BIN" "$T/snare-web"
WLOG=$T/icpt-h3idle-web.log JAR=$T/icpt-h3idle.jar PPORT=$(udp_port)
"$T/snare-web" --set confdir="$T/conf" --set web_port=0 --set web_static="$T/web" \
	--set workers=1 --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:$PPORT" \
	--set quic_idle_timeout=5 --set intercept='(~q & ~u /qhold) | (~s & ~u /shold)' \
	--set "ssl_verify_upstream_trusted_ca=$T/ca.pem" >"$WLOG" 2>&1 &
PIDS+=($!)
web_session icpt-h3idle || exit 0
SCA=$T/conf/snare-ca-cert.pem
IDLE="reverse http3: the client's QUIC connection was quiet for the idle timeout"
GONE="reverse http3: the QUIC connection to the server ended"
# qlinger PATH: a GET that waits up to 60 s and keeps its quiet connection until it closes.
qlinger() { timeout 90 "$QP" get "127.0.0.1:$PPORT" "https://quic.test$1" --cafile "$SCA" --wait 60 --linger; }
# client_addr PATTERN: the [client] of the last log line matching PATTERN.
client_addr() { grep "$1" "$WLOG" | tail -1 | grep -oE '\]\[[0-9.:]+\]' | tr -d ']['; }

# ---- nothing held: an idle connection is closed at the timeout ----
qlinger /free >"$T/free.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -qx "hello from quicpeer /free" "$T/free.out" &&
	grep -q "client: closed transport code 0x0 ERR_IDLE_CLOSE" "$T/free.out" &&
	wait_for "$WLOG" "$IDLE" 10; then
	ok icpt-h3idle-idle-closed-unheld
else
	notok icpt-h3idle-idle-closed-unheld "rc=$rc: $(cat "$T/free.out") $(tail -5 "$WLOG")"
fi

# ---- a request and a response held for 12 s, past the 5 s timeout ----
qlinger /qhold >"$T/qhold.out" 2>&1 &
C1=$!
wait_held 1 || notok icpt-h3idle-request-held "$(tail -5 "$WLOG")"
qlinger /shold >"$T/shold.out" 2>&1 &
C2=$!
if wait_held 2; then ok icpt-h3idle-both-held; else notok icpt-h3idle-both-held "held=$(held) $(tail -5 "$WLOG")"; fi
A1=$(client_addr "intercept: HTTP/3 request held")
A2=$(client_addr "intercept: HTTP/3 response held")
sleep 12 # the hold itself: more than twice the idle timeout, with both clients quiet
if [ "$(held)" = 2 ] && kill -0 $C1 2>/dev/null && kill -0 $C2 2>/dev/null &&
	[ -n "$A1" ] && [ -n "$A2" ] && ! grep -q "\[$A1\] $IDLE\|\[$A2\] $IDLE" "$WLOG" &&
	! grep -q "\[$A1\] $GONE\|\[$A2\] $GONE" "$WLOG"; then
	ok icpt-h3idle-kept-alive-while-held
else
	notok icpt-h3idle-kept-alive-while-held "held=$(held) A1=$A1 A2=$A2: $(tail -8 "$WLOG")"
fi
for id in $(api "/api/flows?limit=500" | jq_ '" ".join(f["id"] for f in d["flows"] if f["intercepted"])'); do
	change POST "/api/flows/$id/resume" >/dev/null
done
wait $C1
rc1=$?
wait $C2
rc2=$?
[ $rc1 = 0 ] && grep -qx ":status 200" "$T/qhold.out" && grep -qx "hello from quicpeer /qhold" "$T/qhold.out" &&
	grep -qx "trailer x-quicpeer: done" "$T/qhold.out" && ok icpt-h3idle-request-resumed-intact ||
	notok icpt-h3idle-request-resumed-intact "rc=$rc1: $(cat "$T/qhold.out")"
[ $rc2 = 0 ] && grep -qx ":status 200" "$T/shold.out" && grep -qx "hello from quicpeer /shold" "$T/shold.out" &&
	grep -qx "trailer x-quicpeer: done" "$T/shold.out" && ok icpt-h3idle-response-resumed-intact ||
	notok icpt-h3idle-response-resumed-intact "rc=$rc2: $(cat "$T/shold.out")"
# the server's connection carried both: none was lost to the timeout, none made anew
! grep -q "a new QUIC connection to the server" "$WLOG" &&
	grep -q "GET https://127.0.0.1:$QS_PORT/qhold HTTP/3" "$WLOG" && ok icpt-h3idle-same-server-connection ||
	notok icpt-h3idle-same-server-connection "$(grep -i quic "$WLOG" | tail -5)"
# nothing held any more: the idle timeout applies again to both clients' connections
grep -q "ERR_IDLE_CLOSE" "$T/qhold.out" && grep -q "ERR_IDLE_CLOSE" "$T/shold.out" &&
	wait_for "$WLOG" "\[$A1\] $IDLE" 10 && wait_for "$WLOG" "\[$A2\] $IDLE" 10 &&
	ok icpt-h3idle-idle-again-after-resume ||
	notok icpt-h3idle-idle-again-after-resume "$(tail -3 "$T/qhold.out") $(tail -5 "$WLOG")"
wait_held 0 || notok icpt-h3idle-released "held=$(held)"

# ---- the server goes away while a request is held: its connection ends (the PINGs go
# unanswered until the timeout), and the resumed request goes to the restarted server over a
# new connection ----
qlinger /qhold-gone >"$T/gone.out" 2>&1 &
C3=$!
if wait_held 1; then
	A3=$(client_addr "intercept: HTTP/3 request held")
	kill "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null
	if wait_for "$WLOG" "\[$A3\] $GONE" 20; then
		"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs2.log" 2>&1 &
		PIDS+=($!)
		wait_for "$T/qs2.log" "server: listening" 10
		change POST "/api/flows/$(held_id)/resume" >/dev/null
		wait $C3
		rc=$?
		[ $rc = 0 ] && grep -qx "hello from quicpeer /qhold-gone" "$T/gone.out" &&
			grep -q "\[$A3\] reverse http3: a new QUIC connection to the server" "$WLOG" &&
			ok icpt-h3idle-server-gone-reconnects ||
			notok icpt-h3idle-server-gone-reconnects "rc=$rc: $(cat "$T/gone.out") $(tail -5 "$WLOG")"
	else
		notok icpt-h3idle-server-gone-reconnects "the server's connection did not end: $(tail -5 "$WLOG")"
	fi
else
	notok icpt-h3idle-server-gone-reconnects "not held: $(tail -5 "$WLOG")"
fi
! grep -q 'Sanitizer\|runtime error' "$WLOG" && ok icpt-h3idle-log-clean ||
	notok icpt-h3idle-log-clean "$(grep -A5 'Sanitizer\|runtime error' "$WLOG" | head -20)"
