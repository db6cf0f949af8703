#!/bin/bash
# QUIC in local mode (`--mode local:NAME`): a copy of quicpeer named snaretest-qp, captured by
# name through the eBPF redirector, speaks HTTP/3 and raw QUIC to servers in another namespace:
# both are intercepted (the client sees snare's leaf), the HTTP/3 flow names the server and the
# flows name the captured process. A tls_clienthello script sees the QUIC hello's SNI and ALPN;
# its ignore_connection relays that client's QUIC as UDP (the client then reaches the server
# with the server's own certificate); its response hook changes the intercepted HTTP/3
# response's body and a header. Root only; names and addresses unique to this test.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if ! need_root; then
	skip quic-local "needs root (eBPF, TUN devices, namespaces)"
	exit 0
fi
if [ ! -s "${SNARE_BUILD:-build/check}/bpf/redirect.skel.h" ]; then
	skip quic-local "snare-redirector was built without its eBPF programs (no kernel BTF?)"
	exit 0
fi
if [ ! -x "$QP" ]; then
	notok quic-local-quicpeer-built "$QP missing"
	exit 0
fi
B=snare-qlb-$$ C=snare-qlc-$$
cleanup_ns() { ip netns del "$B" 2>/dev/null; ip netns del "$C" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$B" && ip netns add "$C" || { notok netns "cannot create namespaces"; exit 1; }
XB="ip netns exec $B" XC="ip netns exec $C"
ip link add qlb-$$ netns "$B" type veth peer name qlc-$$ netns "$C"
$XB ip link set lo up; $XC ip link set lo up
$XB ip addr add 10.237.0.1/24 dev qlb-$$; $XB ip link set qlb-$$ up
$XC ip addr add 10.237.0.5/24 dev qlc-$$; $XC ip link set qlc-$$ up

quic_test_certs DNS:quic.test,DNS:passed.test
$XC "$QP" server 10.237.0.5:4433 "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok quic-local-server "$(cat "$T/qs.log")"; exit 1; }
mkdir -p "$T/bin"
cp "$QP" "$T/bin/snaretest-qp"

cat >"$T/hello.lua" <<'LUA'
function tls_clienthello(data)
	local h = data.client_hello
	print("quic-local hello sni=" .. tostring(h.sni) .. " alpn=" .. table.concat(h.alpn_protocols, ","))
	if h.sni == "passed.test" then
		data.ignore_connection = true
	end
end
function response(flow)
	flow.response.headers:set("x-local-hooked", flow.response.http_version)
	flow.response.content = flow.response.content .. "changed by the response hook\n"
end
LUA

LOG=$T/snare.log CONF=$T/conf
$XB sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$0" "$@"' \
	"$SNARE_BIN" --mode local:snaretest-qp --set confdir="$CONF" -s "$T/hello.lua" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -w "$T/flows" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "Local redirector started." 20 || { notok quic-local-started "$(cat "$LOG")"; exit 1; }
SCA=$CONF/snare-ca-cert.pem
wait_for "$SCA" "BEGIN CERTIFICATE" 10 || notok quic-local-ca-written "$(ls "$CONF")"

out=$($XB "$T/bin/snaretest-qp" get 10.237.0.5:4433 https://quic.test/local-h3 --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /local-h3" && ok quic-local-h3-intercepted ||
	notok quic-local-h3-intercepted "$out $(tail -5 "$LOG")"
echo "$out" | grep -qx "x-local-hooked HTTP/3" && echo "$out" | grep -qx "changed by the response hook" &&
	ok quic-local-h3-response-hook || notok quic-local-h3-response-hook "$out"
out=$($XB "$T/bin/snaretest-qp" raw 10.237.0.5:4433 quic.test --cafile "$SCA" 2>&1)
echo "$out" | grep -q "^datagram: ping-dgram$" && ok quic-local-raw-intercepted ||
	notok quic-local-raw-intercepted "$out"
grep -q "UDP flow from snaretest-qp (pid [0-9]*) to 10.237.0.5:4433" "$LOG" &&
	ok quic-local-process-logged || notok quic-local-process-logged "$(grep UDP "$LOG")"
wait_for "$LOG" "quic-local hello sni=quic.test alpn=h3" 5 && ok quic-local-hook-sees-hello ||
	notok quic-local-hook-sees-hello "$(grep quic-local "$LOG")"

# The script passes passed.test through: snare's leaf would not do (the client trusts the
# origin's CA only), the origin's own does.
out=$($XB "$T/bin/snaretest-qp" get 10.237.0.5:4433 https://passed.test/passed --cafile "$T/ca.pem" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /passed" && ok quic-local-hook-ignore-relays-udp ||
	notok quic-local-hook-ignore-relays-udp "$out $(tail -5 "$LOG")"
grep -q "QUIC to passed.test relayed as UDP (tls_clienthello: ignore_connection)" "$LOG" &&
	ok quic-local-hook-ignore-logged || notok quic-local-hook-ignore-logged "$(tail -5 "$LOG")"

kill -TERM $SPID
wait $SPID
grep -q "GET https://quic.test:4433/local-h3 HTTP/3" "$LOG" && ok quic-local-h3-flow-names-server ||
	notok quic-local-h3-flow-names-server "$(grep -- "HTTP/3\|->" "$LOG" | head -20)"
! grep -q "GET https://passed.test" "$LOG" && ok quic-local-ignored-no-h3-flow ||
	notok quic-local-ignored-no-h3-flow "$(grep passed.test "$LOG")"

# The flows in the file: type, the client's process name, the request's path and version.
PYTHONPATH="$SNARE_ROOT/tests/integration" python3 - "$T/flows" >"$T/flowlist" <<'PY'
import sys
from flowfile import fields, records

for f in records(sys.argv[1]):
    client = fields(f[4][0]) if 4 in f else {}
    proc = client.get(12, [b"-"])[0].decode()
    req = fields(f[8][0]) if 8 in f else {}
    print(f.get(2, [0])[0], proc, req.get(5, [b"-"])[0].decode(), req.get(6, [b"-"])[0].decode())
PY
grep -q "^0 snaretest-qp /local-h3 HTTP/3$" "$T/flowlist" && ok quic-local-h3-flow-names-process ||
	notok quic-local-h3-flow-names-process "$(cat "$T/flowlist")"
# Raw QUIC: stream flows (TCP-like) with the process.
grep -q "^1 snaretest-qp - -$" "$T/flowlist" && ok quic-local-stream-flow-names-process ||
	notok quic-local-stream-flow-names-process "$(cat "$T/flowlist")"
