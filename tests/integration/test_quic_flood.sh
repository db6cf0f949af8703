#!/bin/bash
# Bad input to reverse:http3://: a flood of client Initials from many source ports that never
# finish their handshake (as from spoofed addresses), a datagram that is not QUIC, an Initial cut
# short and one with a bogus Length (tests/tools/quicflood). Above a few pending handshakes snare
# answers new clients with a Retry (a stateless address check) instead of a connection, logs
# that and each kind of bad input once, keeps serving a real client (quicpeer, gtlsclient, both
# answer the Retry) and stays up. Loopback only; UDP ports picked free per run.
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools
QP=$B/quicpeer QF=$B/quicflood
if [ ! -x "$QP" ] || [ ! -x "$QF" ]; then
	notok qflood-tools-built "$QP or $QF missing"
	exit 0
fi

quic_test_certs DNS:quic.test,IP:127.0.0.1
QS_PORT=$(udp_port)
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok qflood-origin "$(cat "$T/qs.log")"; exit 1; }

start_snare --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -w "$T/qf.flows" || exit 1
SCA=$SNARE_CONF/snare-ca-cert.pem

# Before the flood a client is served without a Retry.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/before --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /before" && ok qflood-served-before ||
	notok qflood-served-before "$out $(tail -5 "$SNARE_LOG")"
grep -q "sent a Retry" "$SNARE_LOG" && notok qflood-no-retry-unloaded "$(grep Retry "$SNARE_LOG")" ||
	ok qflood-no-retry-unloaded

flood=$("$QF" "127.0.0.1:$SNARE_PORT" 200 quic.test 2>&1)
echo "flood: $flood"
read -r _ sent _ retry _ other <<<"$flood"
[ "${sent:-0}" = 200 ] && [ "${retry:-0}" -ge 150 ] && ok qflood-retry-answers ||
	notok qflood-retry-answers "$flood"
wait_for "$SNARE_LOG" "new clients are sent a Retry" 10 && ok qflood-retry-logged ||
	notok qflood-retry-logged "$(tail -5 "$SNARE_LOG")"

# During the flood's aftermath (its half-open connections still pending) a real client, which
# must answer the Retry, is served.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/during --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /during" && ok qflood-served-during ||
	notok qflood-served-during "$out $(tail -5 "$SNARE_LOG")"
if command -v gtlsclient >/dev/null; then
	mkdir -p "$T/dl"
	timeout 20 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" \
		127.0.0.1 "$SNARE_PORT" "https://quic.test/gtls" >"$T/gtls.log" 2>&1
	grep -qx "hello from quicpeer /gtls" "$T/dl/gtls" 2>/dev/null && ok qflood-gtlsclient-served ||
		notok qflood-gtlsclient-served "$(tail -5 "$T/gtls.log") $(tail -5 "$SNARE_LOG")"
else
	skip qflood-gtlsclient-served "ngtcp2-client not installed"
fi

# Each kind of bad input: one line, however many came.
for kind in "not a QUIC client Initial" "malformed QUIC Initial"; do
	n=$(grep -c "dropped a.* $kind" "$SNARE_LOG")
	[ "$n" = 1 ] && ok "qflood-logged-once-${kind// /-}" ||
		notok "qflood-logged-once-${kind// /-}" "$n lines"
done
"$QF" "127.0.0.1:$SNARE_PORT" 20 quic.test >/dev/null 2>&1
n=$(grep -c "dropped a.* malformed QUIC Initial" "$SNARE_LOG")
[ "$n" = 1 ] && ok qflood-bad-input-rate-limited || notok qflood-bad-input-rate-limited "$n lines"

kill -0 "$SNARE_PID" 2>/dev/null && ok qflood-process-up || notok qflood-process-up "snare exited"
stop_snare
