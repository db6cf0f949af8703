# QUIC seen in WireGuard mode: wireguard-go in a client namespace, configured from the file
# snare writes, sends quicpeer's QUIC through snare's WireGuard server to a QUIC server in
# snare's namespace; it is relayed, and the flow says QUIC with the server name. Root only.
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
	--set dns_name_servers=127.0.0.1:1 >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
WGC=$CONF/wireguard-client.conf
wait_for "$LOG" "written to $WGC" 15 || { notok wg-start "$(cat "$LOG")"; exit 1; }
priv=$(grep -m1 '^PrivateKey' "$WGC" | sed 's/^[A-Za-z]* = //')
pub=$(grep -m1 '^PublicKey' "$WGC" | sed 's/^[A-Za-z]* = //')
endpoint=$(grep -m1 '^Endpoint' "$WGC" | sed 's/^[A-Za-z]* = //')
printf '%s' "$priv" >"$T/client.key"
$XA env WG_PROCESS_FOREGROUND=1 wireguard-go wgq0 >"$T/wggo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do $XA ip link show wgq0 >/dev/null 2>&1 && break; sleep 0.1; done
$XA wg set wgq0 private-key "$T/client.key" peer "$pub" endpoint "$endpoint" allowed-ips 0.0.0.0/0 \
	persistent-keepalive 25 || { notok wg-client "wg set failed: $(cat "$T/wggo.log")"; exit 1; }
$XA ip addr add 10.0.0.1/32 dev wgq0
$XA ip link set wgq0 up
$XA ip route add 10.220.0.0/24 dev wgq0

out=$($XA "$QP" get 10.220.0.5:4433 https://quic.test/through-wg --cafile "$T/ca.pem" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /through-wg" && ok quic-h3-relayed-through-wireguard ||
	notok quic-h3-relayed-through-wireguard "$out $(tail -5 "$LOG")"
kill -TERM $SPID
wait $SPID
grep -q -- "-> QUIC -> 10.220.0.5:4433 quic.test$" "$LOG" && ok quic-wireguard-flow-names-server ||
	notok quic-wireguard-flow-names-server "$(grep -- "->" "$LOG" | head)"
