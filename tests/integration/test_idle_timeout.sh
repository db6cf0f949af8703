# tcp_timeout is idle time: with a short tcp_timeout, connections that keep
# moving bytes (a raw CONNECT tunnel, a WebSocket, a slow download plain and
# intercepted HTTPS, a slow upload, a TCP flow through tun mode's network stack, a SOCKS5 connection
# whose UDP association relays datagrams) outlive it several times over, and
# a connection that goes quiet is closed after it.  A UDP
# flow through tun mode keeps its relay socket while datagrams pass for
# longer than the UDP idle limit (20 s), and gets a new one after 20 s of
# silence.
. "$(dirname "$0")/lib.sh"

TO=2        # tcp_timeout, seconds
N=13        # messages / bytes, one every 0.5 s: 6 s of activity, 3 timeouts
PEER="python3 -u $SNARE_ROOT/tests/integration/idle_peer.py"
WS="python3 -u $SNARE_ROOT/tests/integration/wsclient.py"

# expect NAME FILE PATTERN: ok when the finished output FILE has PATTERN.
expect() {
	if grep -q -- "$3" "$2"; then ok "$1"; else notok "$1" "$(tr '\n' ' ' <"$2" | head -c 300)"; fi
}

start_origin || { notok origin "no origin"; exit 1; }
ECHO_PORT=$(free_port)
socat TCP-LISTEN:"$ECHO_PORT",bind=127.0.0.1,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
DRIP_PORT=$(free_port)
$PEER drip-server --port "$DRIP_PORT" >"$T/drip.log" 2>&1 &
PIDS+=($!)
wait_for "$T/drip.log" ready 10 || { notok drip-origin "$(cat "$T/drip.log")"; exit 1; }
origin_cert
DRIPS_PORT=$(free_port)
$PEER drip-server --port "$DRIPS_PORT" --tls "$ORIGIN_CERT" "$T/origin.key" >"$T/drips.log" 2>&1 &
PIDS+=($!)
wait_for "$T/drips.log" ready 10 || { notok drip-tls-origin "$(cat "$T/drips.log")"; exit 1; }
UECHO_PORT=$(free_port)
$PEER udp-echo --port "$UECHO_PORT" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $ECHO_PORT), 1)" 2>/dev/null && break
	sleep 0.05
done

start_snare --mode regular@127.0.0.1:0 --mode socks5@127.0.0.1:0 --set tcp_timeout=$TO \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
P=127.0.0.1:$SNARE_PORT
SOCKS_PORT=$(grep -oE 'SOCKS v5 proxy listening at [^ ]*:[0-9]+' "$SNARE_LOG" | grep -oE '[0-9]+$')

# Everything at once: each runs for about 3 timeouts.
$PEER tunnel --proxy "$P" --target "127.0.0.1:$ECHO_PORT" --interval 0.5 --count $N >"$T/tunnel.out" 2>&1 &
w1=$!
args=()
for i in $(seq 1 $N); do args+=(--send "m$i"); done
$WS --proxy "$P" --url "ws://127.0.0.1:$ORIGIN_PORT/ws" --interval 0.5 "${args[@]}" >"$T/ws.out" 2>&1 &
w2=$!
curl -sS --max-time 30 -x "http://$P" -o "$T/drip.body" -w '%{http_code} %{size_download}\n' \
	"http://127.0.0.1:$DRIP_PORT/drip/$N/500" >"$T/download.out" 2>&1 &
w3=$!
curl -sS --max-time 30 -x "http://$P" --cacert "$SNARE_CONF/snare-ca-cert.pem" -o "$T/drips.body" \
	-w '%{http_code} %{size_download}\n' "https://localhost:$DRIPS_PORT/drip/$N/500" \
	>"$T/download-tls.out" 2>&1 &
w7=$!
$PEER upload --proxy "$P" --url "http://127.0.0.1:$DRIP_PORT/slow" --interval 0.5 --count $N \
	>"$T/upload.out" 2>&1 &
w4=$!
$PEER idle --proxy "$P" --target "127.0.0.1:$ECHO_PORT" --wait 20 >"$T/idle.out" 2>&1 &
w5=$!
$PEER socks-udp --proxy "127.0.0.1:$SOCKS_PORT" --target "127.0.0.1:$UECHO_PORT" --interval 0.5 \
	--count $N >"$T/socks-udp.out" 2>&1 &
w6=$!
wait $w1 $w2 $w3 $w4 $w5 $w6 $w7

expect active-tunnel-outlives-timeout "$T/tunnel.out" "^echoed $N$"
expect active-websocket-outlives-timeout "$T/ws.out" "^m$N$"
expect active-websocket-closes-cleanly "$T/ws.out" "^closed 1000$"
expect slow-download-outlives-timeout "$T/download.out" "^200 $N$"
expect slow-intercepted-https-download-outlives-timeout "$T/download-tls.out" "^200 $N$"
expect slow-upload-outlives-timeout "$T/upload.out" "^$N$"
expect socks5-udp-association-outlives-timeout "$T/socks-udp.out" "^relayed $N$"
expect idle-tunnel-open-first "$T/idle.out" "^open$"
expect idle-tunnel-closed-after-timeout "$T/idle.out" "^closed$"
if grep -q "Closing connection due to inactivity" "$SNARE_LOG"; then
	ok idle-close-logged
else
	notok idle-close-logged "$(tail -5 "$SNARE_LOG")"
fi
stop_snare
grep -q "ERROR: AddressSanitizer\|runtime error" "$SNARE_LOG" && notok sanitizers "see log" || ok sanitizers

# The same through tun mode's userspace network stack: a client namespace
# routes into the namespace running snare, whose TUN takes the packets.
if ! need_root; then
	skip idle-timeout-tun "needs root (network namespaces, TUN devices)"
	exit 0
fi
A=snare-idlc-$$ B=snare-idls-$$
cleanup_ns() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok tun-netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add ia-$$ netns "$A" type veth peer name ib-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.231.0.2/24 dev ia-$$; $XA ip link set ia-$$ up
$XB ip addr add 10.231.0.1/24 dev ib-$$; $XB ip link set ib-$$ up
$XA ip route add default via 10.231.0.1
$XB sysctl -qw net.ipv4.ip_forward=1
$XB ip addr add 10.232.0.5/32 dev lo
$XB socat TCP-LISTEN:7100,bind=10.232.0.5,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
$XB $PEER udp-echo --bind 10.232.0.5 --port 7101 >/dev/null 2>&1 &
PIDS+=($!)
LOG=$T/snare-tun.log
$XB "$SNARE_BIN" --mode tun:snareidl0 --set confdir="$T/conf-tun" --set tcp_timeout=$TO >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "TUN interface started." 15 || { notok tun-start "$(cat "$LOG")"; exit 1; }
# Forwarded packets for the origin go into the TUN (the local table after us).
$XB ip rule add pref 10 iif ib-$$ to 10.232.0.0/24 lookup 231
$XB ip rule del pref 0 lookup local
$XB ip rule add pref 100 lookup local
$XB ip route add default dev snareidl0 table 231

$XA $PEER tunnel --target 10.232.0.5:7100 --interval 0.5 --count $N >"$T/tun-active.out" 2>&1 &
w1=$!
$XA $PEER idle --target 10.232.0.5:7100 --wait 20 >"$T/tun-idle.out" 2>&1 &
w2=$!
# UDP: a datagram every second for 24 s; and two datagrams 23 s apart.
$XA $PEER udp --target 10.232.0.5:7101 --interval 1 --count 25 >"$T/udp-active.out" 2>&1 &
w3=$!
$XA $PEER udp --target 10.232.0.5:7101 --interval 23 --count 2 >"$T/udp-idle.out" 2>&1 &
w4=$!
wait $w1 $w2
expect tun-active-flow-outlives-timeout "$T/tun-active.out" "^echoed $N$"
expect tun-idle-flow-open-first "$T/tun-idle.out" "^open$"
expect tun-idle-flow-closed-after-timeout "$T/tun-idle.out" "^closed$"
if grep -q "Closing connection due to inactivity" "$LOG"; then
	ok tun-idle-close-logged
else
	notok tun-idle-close-logged "$(tail -5 "$LOG")"
fi
wait $w3 $w4
# "ports P P ... P": every datagram went out through the same relay socket.
if read -r w first rest <"$T/udp-active.out" && [ "$w" = ports ] && [ -n "$first" ] &&
	[ "$(echo "$first $rest" | tr ' ' '\n' | sort -u | wc -l)" -eq 1 ] &&
	[ "$(echo "$first $rest" | wc -w)" -eq 25 ]; then
	ok tun-udp-active-flow-outlives-idle-limit
else
	notok tun-udp-active-flow-outlives-idle-limit "$(cat "$T/udp-active.out")"
fi
if read -r w a b <"$T/udp-idle.out" && [ "$w" = ports ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
	ok tun-udp-idle-flow-ends-after-idle-limit
else
	notok tun-udp-idle-flow-ends-after-idle-limit "$(cat "$T/udp-idle.out")"
fi
kill -TERM "$SPID" 2>/dev/null
wait "$SPID"
grep -q "ERROR: AddressSanitizer\|runtime error" "$LOG" && notok tun-sanitizers "see log" || ok tun-sanitizers
