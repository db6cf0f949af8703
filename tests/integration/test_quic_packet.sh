# QUIC in a packet mode (TUN): a client namespace routes through a veth into the namespace
# where snare runs and the QUIC servers live; the client's QUIC (gtlsclient, quicpeer) to any
# UDP port is intercepted: the client sees a leaf from snare's CA (its own server's CA fails), h3
# becomes HTTP/3 flows with the server's name, raw QUIC stream flows; a server that refuses QUIC
# gets the client a connection close; a host in ignore_hosts is relayed as UDP, still reached
# over QUIC and leaves no flow; a malformed Initial is logged and relayed. Root only; names and
# addresses unique to this test.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if ! need_root; then
	skip quic-packet "needs root (network namespaces, TUN devices)"
	exit 0
fi
if [ ! -x "$QP" ]; then
	notok quicpeer-built "$QP missing"
	exit 0
fi
A=snare-qpc-$$ B=snare-qps-$$
cleanup_ns() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add qa-$$ netns "$A" type veth peer name qb-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.217.0.2/24 dev qa-$$; $XA ip link set qa-$$ up
$XB ip addr add 10.217.0.1/24 dev qb-$$; $XB ip link set qb-$$ up
$XA ip route add default via 10.217.0.1
$XB sysctl -qw net.ipv4.ip_forward=1
# The servers live in B on 10.218.0.5.
$XB ip addr add 10.218.0.5/32 dev lo

# A CA and a leaf for quic.test, for the QUIC servers.
# localhost too: gtlsclient names it when given an address, and snare checks the name.
quic_test_certs DNS:quic.test,DNS:localhost

# Our QUIC peer's server on UDP 4433 (HTTP/3 and raw QUIC), gtlsserver on 7443.
$XB "$QP" server 10.218.0.5:4433 "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok quicpeer-server "$(cat "$T/qs.log")"; exit 1; }
HAVE_GS=0
if command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null; then
	mkdir -p "$T/htdocs" "$T/dl" && echo "hello from gtlsserver" >"$T/htdocs/page.txt"
	$XB gtlsserver -q -d "$T/htdocs" 10.218.0.5 7443 "$T/leaf.key" "$T/leaf.pem" >"$T/gs.log" 2>&1 &
	PIDS+=($!)
	HAVE_GS=1
fi
# A server snare does not trust (a self-signed leaf) on UDP 4434.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/self.key" \
	-out "$T/self.pem" -days 2 -subj "/CN=quic.test" -addext "subjectAltName=DNS:quic.test" 2>/dev/null
$XB "$QP" server 10.218.0.5:4434 "$T/self.pem" "$T/self.key" >"$T/qs2.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs2.log" "server: listening" 10 || notok quicpeer-server-untrusted "$(cat "$T/qs2.log")"
$XB socat UDP-RECVFROM:5017,bind=10.218.0.5,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
$XB socat UDP-RECVFROM:5018,bind=10.218.0.5,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)

CONF=$T/conf LOG=$T/snare.log
$XB "$SNARE_BIN" --mode tun:snareqp0 --set confdir="$CONF" --set 'ignore_hosts=^ignored\.test' \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "TUN interface started." 15 || { notok tun-start "$(cat "$LOG")"; exit 1; }
$XB ip rule add pref 10 iif qb-$$ to 10.218.0.0/24 lookup 217
$XB ip rule del pref 0 lookup local
$XB ip rule add pref 100 lookup local
$XB ip route add default dev snareqp0 table 217

# quicpeer's HTTP/3 and raw QUIC, verified against snare's CA: intercepted.
SCA=$CONF/snare-ca-cert.pem
wait_for "$SCA" "BEGIN CERTIFICATE" 10 || notok snare-ca-written "$(ls "$CONF")"
out=$($XA "$QP" get 10.218.0.5:4433 https://quic.test/through-tun --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /through-tun" && ok quic-h3-intercepted-through-tun ||
	notok quic-h3-intercepted-through-tun "$out"
# The client's :authority reaches the server unchanged.
echo "$out" | grep -qx "x-quicpeer-authority quic.test" && ok quic-h3-authority-kept ||
	notok quic-h3-authority-kept "$out"
# The origin's own CA does not verify what the client is served now.
out=$(timeout 20 $XA "$QP" get 10.218.0.5:4433 https://quic.test/own-ca --cafile "$T/ca.pem" 2>&1)
! echo "$out" | grep -q "hello from quicpeer" && ok quic-h3-origin-ca-refused ||
	notok quic-h3-origin-ca-refused "$out"
out=$($XA "$QP" raw 10.218.0.5:4433 quic.test --cafile "$SCA" 2>&1)
echo "$out" | grep -q "^datagram: ping-dgram$" && ok quic-raw-intercepted-through-tun ||
	notok quic-raw-intercepted-through-tun "$out"
# Nothing listens on UDP 4439: snare's connection is refused (ICMP) and the client's is closed
# with CONNECTION_REFUSED (quicpeer gives up after 10 s without it).
out=$(timeout 20 $XA "$QP" get 10.218.0.5:4439 https://quic.test/refused --cafile "$SCA" 2>&1)
rc=$?
echo "$out" | grep -q "client: closed transport code 0x2 " && ok quic-refused-server-closes-client ||
	notok quic-refused-server-closes-client "rc=$rc $out"
wait_for "$LOG" "the server refused the connection" 5 && ok quic-refused-server-logged ||
	notok quic-refused-server-logged "$(tail -5 "$LOG")"
# The untrusted server: its handshake with snare fails, the client's connection is closed.
out=$(timeout 20 $XA "$QP" get 10.218.0.5:4434 https://quic.test/untrusted --cafile "$SCA" 2>&1)
rc=$?
echo "$out" | grep -q "client: closed transport code 0x1[0-9a-f][0-9a-f]" &&
	! echo "$out" | grep -q "hello from" && ok quic-untrusted-server-closes-client ||
	notok quic-untrusted-server-closes-client "rc=$rc $out"
wait_for "$LOG" "intercepted http3: the server closed the QUIC connection" 5 &&
	ok quic-untrusted-server-logged || notok quic-untrusted-server-logged "$(tail -5 "$LOG")"
# The ignored host: still reached over QUIC (-k: the leaf does not name it).
out=$($XA "$QP" get 10.218.0.5:4433 https://ignored.test/ignored -k 2>&1)
echo "$out" | grep -qx "hello from quicpeer /ignored" && ok quic-ignored-host-relayed ||
	notok quic-ignored-host-relayed "$out"
if [ $HAVE_GS = 1 ]; then
	got=""
	for _ in 1 2 3 4 5; do # until gtlsserver listens (it prints nothing with -q)
		timeout 10 $XA gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 10.218.0.5 7443 \
			https://quic.test:7443/page.txt >"$T/gc.log" 2>&1
		got=$(cat "$T/dl/page.txt" 2>/dev/null) && [ -n "$got" ] && break
	done
	[ "$got" = "hello from gtlsserver" ] && ok gtlsclient-gtlsserver-through-tun ||
		notok gtlsclient-gtlsserver-through-tun "$got $(cat "$T/gc.log")"
else
	skip gtlsclient-gtlsserver-through-tun "ngtcp2-client/-server not installed"
fi
# A datagram with a QUIC v1 long header but nonsense after it: logged, still relayed (echoed).
out=$($XA python3 -c 'import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(bytes([0xc0,0,0,0,1,8])+b"12345678"+bytes([0,0xff,0xff])+b"x"*1200, ("10.218.0.5", 5017))
print("echoed" if len(s.recv(2000)) > 1200 else "short")' 2>&1)
[ "$out" = echoed ] && ok quic-malformed-initial-relayed || notok quic-malformed-initial-relayed "$out"
# An unknown QUIC version (a long header, version 0x1a2a3a4a): relayed as UDP, not intercepted.
out=$($XA python3 -c 'import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(bytes([0xc0,0x1a,0x2a,0x3a,0x4a,8])+b"12345678"+bytes([0])+b"y"*1200, ("10.218.0.5", 5018))
print("echoed" if len(s.recv(2000)) > 1200 else "short")' 2>&1)
[ "$out" = echoed ] && ok quic-unknown-version-relayed || notok quic-unknown-version-relayed "$out"
wait_for "$LOG" "malformed QUIC Initial" 5 && ok quic-malformed-initial-logged ||
	notok quic-malformed-initial-logged "$(tail -5 "$LOG")"

# A flood of Initials from 100 source ports that never finish (tests/tools/quicflood): past a
# few pending handshakes the intercepted clients are sent a Retry, from the server's address;
# a real client, which answers it, is still served.
QF=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicflood
if [ -x "$QF" ]; then
	flood=$($XA "$QF" 10.218.0.5:4433 100 quic.test 2>&1)
	read -r _ sent _ retry _ <<<"$flood"
	[ "${sent:-0}" = 100 ] && [ "${retry:-0}" -ge 50 ] && ok quic-intercept-flood-retry ||
		notok quic-intercept-flood-retry "$flood"
	wait_for "$LOG" "new clients are sent a Retry" 5 && ok quic-intercept-flood-retry-logged ||
		notok quic-intercept-flood-retry-logged "$(tail -5 "$LOG")"
	out=$($XA "$QP" get 10.218.0.5:4433 https://quic.test/after-flood --cafile "$SCA" 2>&1)
	echo "$out" | grep -qx "hello from quicpeer /after-flood" && ok quic-intercept-served-after-retry ||
		notok quic-intercept-served-after-retry "$out $(tail -5 "$LOG")"
else
	notok quic-intercept-flood-retry "$QF missing"
fi

# UDP flows are written when they end: at the latest when snare stops.
kill -TERM $SPID
wait $SPID
grep -q "GET https://quic.test:4433/through-tun HTTP/3" "$LOG" && ok quic-h3-flow-names-server ||
	notok quic-h3-flow-names-server "$(grep -- "HTTP/3\|->" "$LOG" | head -20)"
# Raw QUIC: each stream a flow naming the server, both directions.
grep -q -- "-> QUIC -> 10.218.0.5:4433 quic.test$" "$LOG" &&
	grep -q -- "<- QUIC <- 10.218.0.5:4433 quic.test$" "$LOG" && ok quic-raw-stream-flows ||
	notok quic-raw-stream-flows "$(grep -- "->" "$LOG" | head -20)"
if [ $HAVE_GS = 1 ]; then
	# gtlsclient sends "localhost" as its server name when given an IP address.
	grep -q "GET https://localhost:7443/page.txt HTTP/3" "$LOG" && ok quic-flow-gtlsclient-names-server ||
		notok quic-flow-gtlsclient-names-server "$(grep -- "HTTP/3\|->" "$LOG" | head -20)"
fi
# Present above (the same server), absent for the ignored host.
! grep -q "ignored.test" "$LOG" && ok quic-ignored-host-no-flow ||
	notok quic-ignored-host-no-flow "$(grep ignored.test "$LOG")"
grep -q -- "-> udp -> 10.218.0.5:5018$" "$LOG" && ok quic-unknown-version-udp-flow ||
	notok quic-unknown-version-udp-flow "$(grep -- "->" "$LOG" | head -20)"
grep -q -- "-> udp -> 10.218.0.5:5017$" "$LOG" && ok quic-malformed-stays-udp-flow ||
	notok quic-malformed-stays-udp-flow "$(grep -- "->" "$LOG" | head -20)"
