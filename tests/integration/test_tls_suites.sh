# The suites snare's client-facing TLS and DTLS accept, with openssl
# s_client (no testssl needed): TLS 1.2 and DTLS 1.2 take an ECDHE AEAD
# suite and refuse a CBC one, and snare's order wins over the client's.
# reverse:https in front of a TLS origin, reverse:udp (DTLS detected and
# terminated) in front of a socat UDP echo.  Loopback only.
. "$(dirname "$0")/lib.sh"

start_origin --tls >/dev/null || exit 1
UECHO=$(free_port)
socat UDP-RECVFROM:"$UECHO",bind=127.0.0.1,fork EXEC:cat &
PIDS+=($!)

# hs NAME ARGS...: one s_client handshake (then EOF); the negotiated suite
# ("none" when there was none) in $SUITE.
hs() {
	local out=$T/$1.out
	shift
	(sleep 1) | timeout 8 openssl s_client -connect "127.0.0.1:$PORT" "$@" >"$out" 2>&1
	SUITE=$(grep -m1 -oE 'Cipher is [A-Z0-9-]+' "$out" | awk '{print $3}')
	[ -n "$SUITE" ] && [ "$SUITE" != "(NONE)" ] || SUITE=none
}
# suites KIND VERSION: accepted AEAD, refused CBC, our order.
suites() {
	local k=$1 v=$2
	hs "$k-gcm" "$v" -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	if [ "$SUITE" != ECDHE-ECDSA-AES128-GCM-SHA256 ]; then
		notok "$k-aead-accepted" "$SUITE $(tail -3 "$T/$k-gcm.out")"
		return
	fi
	ok "$k-aead-accepted"
	hs "$k-cbc" "$v" -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384
	[ "$SUITE" = none ] && ok "$k-cbc-refused" || notok "$k-cbc-refused" "negotiated $SUITE"
	hs "$k-order" "$v" -cipher ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256
	[ "$SUITE" = ECDHE-ECDSA-AES128-GCM-SHA256 ] && ok "$k-server-order" ||
		notok "$k-server-order" "negotiated $SUITE (the client's first)"
}

start_snare --mode "reverse:https://127.0.0.1:$ORIGIN_PORT@127.0.0.1:0" --set ssl_insecure=true || exit 1
PORT=$SNARE_PORT
suites tls -tls1_2
stop_snare

start_snare --mode "reverse:udp://127.0.0.1:$UECHO@127.0.0.1:0" || exit 1
PORT=$SNARE_PORT
suites dtls -dtls1_2
stop_snare
