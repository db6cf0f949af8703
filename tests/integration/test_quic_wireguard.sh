# QUIC in WireGuard mode: wireguard-go in a client namespace, configured from the file snare
# writes, sends quicpeer's QUIC through snare's WireGuard server to a QUIC server in snare's
# namespace; it is intercepted (the client sees snare's CA, its own server's CA fails) and the
# flows say HTTP/3 with the server's name, or name it per raw QUIC stream; a host in
# ignore_hosts is relayed as UDP, still reached over QUIC and leaves no flow. Root only.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if ! need_root; then
	skip quic-wireguard "needs root (network namespaces, wireguard-go)"
	exit 0
fi
command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
	{ skip quic-wireguard "wireguard-go/wg not installed"; exit 0; }
[ -x "$QP" ] || { notok quicpeer-built "$QP missing"; exit 0; }
A=snare-qwc-$$ B=snare-qws-$$
cleanup_ns() { ip netns pids "$A" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add qwa-$$ netns "$A" type veth peer name qwb-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.219.0.2/24 dev qwa-$$; $XA ip link set qwa-$$ up
$XB ip addr add 10.219.0.1/24 dev qwb-$$; $XB ip link set qwb-$$ up
$XB ip addr add 10.220.0.5/32 dev lo

quic_test_certs DNS:quic.test
$XB "$QP" server 10.220.0.5:4433 "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok quicpeer-server "$(cat "$T/qs.log")"; exit 1; }

CONF=$T/conf LOG=$T/snare-wg.log KEYS=$T/wg-keys.json
$XB "$SNARE_BIN" --mode "wireguard:$KEYS@10.219.0.1:51820" --set confdir="$CONF" \
	--set dns_name_servers=127.0.0.1:1 --set ssl_verify_upstream_trusted_ca="$T/ca.pem" \
	--set 'ignore_hosts=^ignored\.test' >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
WGC=$CONF/wireguard-client.conf
wait_for "$LOG" "written to $WGC" 15 || { notok wg-start "$(cat "$LOG")"; exit 1; }
wg_client "$A" wgq0 "$WGC" || { notok wg-client "wg set failed: $(cat "$T/wgq0-wggo.log")"; exit 1; }
$XA ip route add 10.220.0.0/24 dev wgq0

SCA=$CONF/snare-ca-cert.pem
wait_for "$SCA" "BEGIN CERTIFICATE" 10 || notok snare-ca-written "$(ls "$CONF")"
out=$($XA "$QP" get 10.220.0.5:4433 https://quic.test/through-wg --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /through-wg" && ok quic-h3-intercepted-through-wireguard ||
	notok quic-h3-intercepted-through-wireguard "$out $(tail -5 "$LOG")"
out=$(timeout 20 $XA "$QP" get 10.220.0.5:4433 https://quic.test/own-ca --cafile "$T/ca.pem" 2>&1)
! echo "$out" | grep -q "hello from quicpeer" && ok quic-wireguard-origin-ca-refused ||
	notok quic-wireguard-origin-ca-refused "$out"
out=$($XA "$QP" raw 10.220.0.5:4433 quic.test --cafile "$SCA" 2>&1)
echo "$out" | grep -q "^datagram: ping-dgram$" && ok quic-raw-intercepted-through-wireguard ||
	notok quic-raw-intercepted-through-wireguard "$out"
out=$($XA "$QP" get 10.220.0.5:4433 https://ignored.test/ignored -k 2>&1)
echo "$out" | grep -qx "hello from quicpeer /ignored" && ok quic-wireguard-ignored-host-relayed ||
	notok quic-wireguard-ignored-host-relayed "$out"
kill -TERM $SPID
wait $SPID
grep -q "GET https://quic.test:4433/through-wg HTTP/3" "$LOG" && ok quic-wireguard-h3-flow-names-server ||
	notok quic-wireguard-h3-flow-names-server "$(grep -- "HTTP/3\|->" "$LOG" | head)"
grep -q -- "-> QUIC -> 10.220.0.5:4433 quic.test$" "$LOG" && ok quic-wireguard-raw-stream-flows ||
	notok quic-wireguard-raw-stream-flows "$(grep -- "->" "$LOG" | head)"
! grep -q "ignored.test" "$LOG" && ok quic-wireguard-ignored-host-no-flow ||
	notok quic-wireguard-ignored-host-no-flow "$(grep ignored.test "$LOG")"
