# WireGuard mode with a real client: wireguard-go + wg in a client namespace,
# configured from the configuration snare prints, reach an origin through
# snare's WireGuard server and userspace network stack.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip wireguard "needs root (network namespaces, wireguard-go)"
	exit 0
fi
command -v wireguard-go >/dev/null && command -v wg >/dev/null || { skip wireguard "wireguard-go/wg not installed"; exit 0; }
A=snare-wgc-$$ B=snare-wgs-$$
cleanup_ns() { ip netns pids "$A" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add wa-$$ netns "$A" type veth peer name wb-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.207.0.2/24 dev wa-$$; $XA ip link set wa-$$ up
$XB ip addr add 10.207.0.1/24 dev wb-$$; $XB ip link set wb-$$ up
$XB ip addr add 10.208.0.5/32 dev lo
$XB ip -6 addr add fd08::5/128 dev lo
$XB python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8080 --bind 10.208.0.5 >"$T/o1.log" 2>&1 &
PIDS+=($!)
$XB python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8081 --bind fd08::5 >"$T/o6.log" 2>&1 &
PIDS+=($!)
wait_for "$T/o1.log" ready 10 && wait_for "$T/o6.log" ready 10 || { notok origin "no origin"; exit 1; }

CONF=$T/conf LOG=$T/snare-wg.log KEYS=$T/wg-keys.json
$XB "$SNARE_BIN" --mode "wireguard:$KEYS@10.207.0.1:51820" --set confdir="$CONF" \
	--set dns_name_servers=127.0.0.1:1 >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "WireGuard server listening at 10.207.0.1:51820." 15 && ok wg-listening-line ||
	{ notok wg-listening-line "$(cat "$LOG")"; exit 1; }
# stdout is no terminal: the client configuration (with its private key)
# goes to a 0600 file in the conf dir, named in the log (test_files.sh has
# the terminal case).
WGC=$CONF/wireguard-client.conf
wait_for "$LOG" "written to $WGC" 5 && [ "$(stat -c %a "$WGC")" = 600 ] && ok wg-client-config-file ||
	notok wg-client-config-file "$(cat "$LOG")"
[ "$(stat -c %a "$KEYS")" = 600 ] && ok wg-keyfile-0600 || notok wg-keyfile-0600 "$(stat -c %a "$KEYS")"
grep -q '"server_key"' "$KEYS" && grep -q '"client_key"' "$KEYS" && ok wg-keyfile-json || notok wg-keyfile-json "$(cat "$KEYS")"
priv=$(grep -m1 '^PrivateKey' "$WGC" | sed 's/^[A-Za-z]* = //')
pub=$(grep -m1 '^PublicKey' "$WGC" | sed 's/^[A-Za-z]* = //')
endpoint=$(grep -m1 '^Endpoint' "$WGC" | sed 's/^[A-Za-z]* = //')
grep -m1 '^AllowedIPs' "$WGC" | grep -q '::/0' && ok wg-allowedips-ipv6 || notok wg-allowedips-ipv6 "$(grep AllowedIPs "$WGC")"
[ "$endpoint" = 10.207.0.1:51820 ] && ok wg-endpoint || notok wg-endpoint "$endpoint"
grep -q "DNS = 10.0.0.53" "$WGC" && grep -q "Address = 10.0.0.1/32, fd00:736e:6172::1/128" "$WGC" &&
	ok wg-client-config || notok wg-client-config "$(grep -A8 Interface "$WGC")"
# The key is in the file, neither it nor its label in the log.
[ -n "$priv" ] && ! grep -qF -e "$priv" -e PrivateKey "$LOG" && ok wg-private-key-not-logged ||
	notok wg-private-key-not-logged "key '$priv'; $(grep -F -e PrivateKey -e "${priv:-PrivateKey}" "$LOG")"

# The client: wireguard-go configured from what snare printed.
printf '%s' "$priv" >"$T/client.key"
$XA env WG_PROCESS_FOREGROUND=1 wireguard-go wgc0 >"$T/wggo.log" 2>&1 &
PIDS+=($!)
sleep 1
$XA wg set wgc0 private-key "$T/client.key" peer "$pub" endpoint "$endpoint" allowed-ips 0.0.0.0/0,::/0 \
	persistent-keepalive 25 || { notok wg-client "wg set failed: $(cat "$T/wggo.log")"; exit 1; }
$XA ip addr add 10.0.0.1/32 dev wgc0
$XA ip -6 addr add fd00:736e:6172::1/128 dev wgc0 nodad
$XA ip link set wgc0 up
$XA ip route add 10.208.0.0/24 dev wgc0
$XA ip route add 10.0.0.53/32 dev wgc0
$XA ip -6 route add fd08::/64 dev wgc0
out=$($XA curl -sS --max-time 15 http://10.208.0.5:8080/hello)
[ "$out" = hello ] && ok wg-http-through-tunnel || notok wg-http-through-tunnel "$out; $(tail -5 "$LOG")"
grep -q "GET http://10.208.0.5:8080/hello" "$LOG" && ok wg-flow-line || notok wg-flow-line "$(tail -3 "$LOG")"
$XA curl -sS --max-time 20 http://10.208.0.5:8080/size/2097152 | sha256sum | cut -d' ' -f1 >"$T/got"
python3 -c 'import hashlib
n=2097152; pat=bytes((k*7+3)%251 for k in range(n)); print(hashlib.sha256(pat).hexdigest())' >"$T/want"
cmp -s "$T/got" "$T/want" && ok wg-2MiB-intact || notok wg-2MiB-intact "$(cat "$T/got")"
$XA ping -c 1 -W 3 10.208.0.5 >/dev/null 2>&1 && ok wg-icmp-echo || notok wg-icmp-echo "no reply"
out=$($XA curl -sS --max-time 10 "http://[fd08::5]:8081/hello")
[ "$out" = hello ] && ok wg-ipv6-inside-tunnel || notok wg-ipv6-inside-tunnel "$out"
out=$($XA dig +short +time=3 +tries=1 @10.0.0.53 localhost A)
[ "$out" = 127.0.0.1 ] && ok wg-dns-10.0.0.53 || notok wg-dns-10.0.0.53 "$out"
$XA wg show wgc0 latest-handshakes | awk '{exit !($2 > 0)}' && ok wg-handshake-done || notok wg-handshake-done "$($XA wg show)"
# snare's UDP socket is bound while it runs and released after SIGTERM.
wg_bound() { $XB ss -Hlun 'sport = :51820' | grep -q 10.207.0.1:51820; }
rc=-1
present_then_absent wg-port-released-on-exit 5 wg_bound 'kill -TERM $SPID; wait $SPID; rc=$?'
[ $rc -eq 0 ] && ok wg-clean-exit || notok wg-clean-exit "rc=$rc"

# The key file is reused: same server public key on the next start.
$XB "$SNARE_BIN" --mode "wireguard:$KEYS@10.207.0.1:0" --set confdir="$CONF" >"$T/wg2.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$T/wg2.log" "written to $WGC" 10
pub2=$(grep -m1 '^PublicKey' "$WGC" | sed 's/^[A-Za-z]* = //')
[ "$pub2" = "$pub" ] && ok wg-keyfile-reused || notok wg-keyfile-reused "$pub2 vs $pub"
kill -TERM $SPID; wait $SPID
echo '{"server_key": "nonsense"' >"$T/bad.json"
out=$("$SNARE_BIN" --mode "wireguard:$T/bad.json@127.0.0.1:0" --set confdir="$CONF" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "Invalid configuration file ($T/bad.json)" && ok wg-corrupt-keyfile-error ||
	notok wg-corrupt-keyfile-error "$out"
