# reverse:quic://host:port: snare serves QUIC to the client with a leaf from its CA and speaks
# QUIC to the server, verified against ssl_verify_upstream_trusted_ca; every stream is relayed
# both ways and recorded as a flow with directed messages. Clients: quicpeer (raw streams and
# datagrams, HTTP/3 over the relayed streams) and gtlsclient; servers: quicpeer and gtlsserver.
# Loopback only; UDP ports picked free per run.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if [ ! -x "$QP" ]; then
	notok quicpeer-built "$QP missing"
	exit 0
fi

# The origin's CA and a leaf for quic.test and 127.0.0.1.
quic_test_certs DNS:quic.test,IP:127.0.0.1

QS_PORT=$(udp_port)
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok quicpeer-server "$(cat "$T/qs.log")"; exit 1; }

start_snare --mode "reverse:quic://127.0.0.1:$QS_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" || exit 1
SCA=$SNARE_CONF/snare-ca-cert.pem
grep -q "listening at udp://127.0.0.1:$SNARE_PORT\|listening at .*127.0.0.1:$SNARE_PORT" "$SNARE_LOG" &&
	ok quic-reverse-listens || notok quic-reverse-listens "$(head -5 "$SNARE_LOG")"

# Raw QUIC: a bidirectional stream, a unidirectional one each way and a datagram, through snare.
out=$("$QP" raw "127.0.0.1:$SNARE_PORT" quic.test --cafile "$SCA" 2>&1)
echo "$out" | grep -q "^stream 0 fin: ping-bidi$" && ok quic-reverse-bidi-stream ||
	notok quic-reverse-bidi-stream "$out $(tail -5 "$SNARE_LOG")"
echo "$out" | grep -q "^stream [0-9]* fin: echo:ping-uni$" && ok quic-reverse-uni-streams-both-ways ||
	notok quic-reverse-uni-streams-both-ways "$out"
echo "$out" | grep -q "^datagram: ping-dgram$" && ok quic-reverse-datagrams ||
	notok quic-reverse-datagrams "$out"
# HTTP/3 rides on the relayed streams (control, QPACK and request streams).
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/via-snare --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /via-snare" && ok quic-reverse-h3-over-streams ||
	notok quic-reverse-h3-over-streams "$out $(tail -5 "$SNARE_LOG")"
# The client does not trust the origin's CA: what it got was snare's leaf.
out=$("$QP" raw "127.0.0.1:$SNARE_PORT" quic.test --cafile "$T/ca.pem" 2>&1)
[ $? -ne 0 ] && ok quic-reverse-client-sees-snare-leaf || notok quic-reverse-client-sees-snare-leaf "$out"

# Garbage to the listener: dropped, logged once, and snare still serves.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20): s.sendto(b"\xc0\x00\x00\x00\x01\x08" + b"x" * 1300, ("127.0.0.1", int(sys.argv[1])))' "$SNARE_PORT"
out=$("$QP" raw "127.0.0.1:$SNARE_PORT" quic.test --cafile "$SCA" 2>&1)
echo "$out" | grep -q "^datagram: ping-dgram$" && ok quic-reverse-serves-after-garbage ||
	notok quic-reverse-serves-after-garbage "$out"
[ "$(grep -c "reverse quic: dropped" "$SNARE_LOG")" -eq 1 ] && ok quic-reverse-garbage-logged-once ||
	notok quic-reverse-garbage-logged-once "$(grep -c "reverse quic: dropped" "$SNARE_LOG")"

if command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null; then
	GS_PORT=$(udp_port)
	mkdir -p "$T/htdocs" "$T/dl" && echo "hello from gtlsserver" >"$T/htdocs/page.txt"
	gtlsserver -q -d "$T/htdocs" 127.0.0.1 "$GS_PORT" "$T/leaf.key" "$T/leaf.pem" >"$T/gs.log" 2>&1 &
	PIDS+=($!)
	SNARE1_PID=$SNARE_PID SNARE1_LOG=$SNARE_LOG
	start_snare --mode "reverse:quic://127.0.0.1:$GS_PORT@127.0.0.1:0" \
		--set ssl_verify_upstream_trusted_ca="$T/ca.pem" || exit 1
	got=""
	for _ in 1 2 3 4 5; do # until gtlsserver listens (it prints nothing with -q)
		timeout 10 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 127.0.0.1 "$SNARE_PORT" \
			"https://quic.test:$SNARE_PORT/page.txt" >"$T/gc.log" 2>&1
		got=$(cat "$T/dl/page.txt" 2>/dev/null) && [ -n "$got" ] && break
	done
	[ "$got" = "hello from gtlsserver" ] && ok quic-reverse-gtlsclient-gtlsserver ||
		notok quic-reverse-gtlsclient-gtlsserver "$got $(cat "$T/gc.log") $(tail -5 "$SNARE_LOG")"
	stop_snare
	SNARE_PID=$SNARE1_PID SNARE_LOG=$SNARE1_LOG
else
	skip quic-reverse-gtlsclient-gtlsserver "ngtcp2-client/-server not installed"
fi

# A server whose certificate the trust setting refuses: the client's connection is closed
# with the TLS alert's code and the reason is logged.
SNARE1_PID=$SNARE_PID SNARE1_LOG=$SNARE_LOG
start_snare --mode "reverse:quic://127.0.0.1:$QS_PORT@127.0.0.1:0" || exit 1
out=$("$QP" raw "127.0.0.1:$SNARE_PORT" quic.test --cafile "$SNARE_CONF/snare-ca-cert.pem" 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "closed transport code 0x1[0-9a-f][0-9a-f]" &&
	ok quic-reverse-untrusted-server-closes-client || notok quic-reverse-untrusted-server-closes-client "rc=$rc $out"
wait_for "$SNARE_LOG" "the server closed the QUIC connection" 5 && ok quic-reverse-server-failure-logged ||
	notok quic-reverse-server-failure-logged "$(tail -5 "$SNARE_LOG")"
stop_snare
SNARE_PID=$SNARE1_PID SNARE_LOG=$SNARE1_LOG

stop_snare
grep -q -- "-> QUIC -> 127.0.0.1:$QS_PORT quic.test$" "$SNARE_LOG" &&
	grep -q -- "<- QUIC <- 127.0.0.1:$QS_PORT quic.test$" "$SNARE_LOG" && ok quic-reverse-stream-flows ||
	notok quic-reverse-stream-flows "$(grep -- "QUIC\|udp\|tcp" "$SNARE_LOG" | head)"
