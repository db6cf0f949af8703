# HTTP/2 in the modes test_http2 does not cover, each as its man page documents it, with
# nghttpd (h2 only: a client that got HTTP/1.1 from snare fails against it) as the origin in a
# server namespace:
#   - transparent on a router: client -> router running snare (transparent_interfaces = its
#     client side, rules from snare-netfilter) -> server;
#   - WireGuard: wireguard-go in a client namespace, configured from the file snare writes;
#   - local capture: a copy of curl named snaretest-h2c, through the eBPF redirector.
# Each: curl --http2 negotiates h2 with snare (checked in curl), the body arrives, and snare's
# flow line says HTTP/2.0 with the server's address.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip http2-modes "needs root (network namespaces, nftables, TUN, eBPF)"
	exit 0
fi
command -v nghttpd >/dev/null || { skip http2-modes "nghttpd not installed"; exit 0; }
CN=snare-h2mc-$$ RN=snare-h2mr-$$ SN=snare-h2ms-$$
cleanup_ns() {
	local n
	for n in "$CN" "$RN" "$SN"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	cleanup
	for n in "$CN" "$RN" "$SN"; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup_ns EXIT
ip netns add "$CN" && ip netns add "$RN" && ip netns add "$SN" ||
	{ notok netns "cannot create namespaces"; exit 1; }
CX="ip netns exec $CN" RX="ip netns exec $RN" SX="ip netns exec $SN"
IC=h2mc$$ IRC=h2mrc$$ IRS=h2mrs$$ IS=h2ms$$
ip link add "$IC" netns "$CN" type veth peer name "$IRC" netns "$RN"
ip link add "$IS" netns "$SN" type veth peer name "$IRS" netns "$RN"
$CX ip link set lo up; $RX ip link set lo up; $SX ip link set lo up
$CX ip addr add 10.221.1.2/24 dev "$IC"; $CX ip link set "$IC" up
$RX ip addr add 10.221.1.1/24 dev "$IRC"; $RX ip link set "$IRC" up
$RX ip addr add 10.221.2.1/24 dev "$IRS"; $RX ip link set "$IRS" up
$SX ip addr add 10.221.2.2/24 dev "$IS"; $SX ip link set "$IS" up
$CX ip route add default via 10.221.1.1
$SX ip route add default via 10.221.2.1
$RX sysctl -qw net.ipv4.ip_forward=1
SRV=10.221.2.2
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.crt" -days 2 \
	-subj "/CN=$SRV" -addext "subjectAltName=IP:$SRV" 2>/dev/null
mkdir -p "$T/www"
echo "h2 origin docroot" >"$T/www/index.html"
$SX nghttpd -a "$SRV" -d "$T/www" 443 "$T/srv.key" "$T/srv.crt" >"$T/nghttpd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do $SX ss -Hltn "sport = :443" | grep -q . && break; sleep 0.1; done

# h2_get LABEL NSEXEC CACERT LOG [CURL]: curl --http2 from NSEXEC; checks version, body, flow
h2_get() {
	local label=$1 nx=$2 ca=$3 log=$4 curl=${5:-curl} out
	for _ in $(seq 1 100); do [ -s "$ca" ] && break; sleep 0.05; done
	out=$($nx "$curl" -sS --max-time 20 --http2 --cacert "$ca" -w '\nversion=%{http_version}' \
		"https://$SRV/index.html" 2>&1)
	if grep -q '^h2 origin docroot$' <<<"$out" && grep -q '^version=2$' <<<"$out" &&
		wait_for "$log" "GET https://$SRV\\(:443\\)\\{0,1\\}/index.html HTTP/2.0" 5; then
		ok "$label"
	else notok "$label" "$out $(tail -5 "$log")"; fi
}

# The origin answers only h2: HTTP/1.1 from a client fails, so a downgrade would be seen.
out=$($CX curl -sS --max-time 10 -k --http1.1 "https://$SRV/index.html" 2>&1)
$CX curl -sS --max-time 10 -k --http2 "https://$SRV/index.html" 2>&1 | grep -q '^h2 origin docroot$' &&
	! grep -q '^h2 origin docroot$' <<<"$out" && ok origin-speaks-h2-only ||
	notok origin-speaks-h2-only "h1 answer: $out"

# ---- transparent, on the router (snare-modes(7)) -----------------------------------------
RLOG=$T/router.log
$RX "$SNARE_BIN" --mode transparent@18620 --set confdir="$T/rconf" \
	--set ssl_verify_upstream_trusted_ca="$T/srv.crt" --set transparent_interfaces="$IRC" \
	--set transparent_ports=443 >"$RLOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
if wait_for "$RLOG" "Transparent Proxy listening at" 15; then
	h2_get transparent-router-curl-http2 "$CX" "$T/rconf/snare-ca-cert.pem" "$RLOG"
else
	notok transparent-router-curl-http2 "snare did not start: $(tail -3 "$RLOG")"
fi
kill -TERM $SPID 2>/dev/null
wait $SPID 2>/dev/null

# ---- WireGuard: snare on the router, wireguard-go in the client namespace ---------------
if command -v wireguard-go >/dev/null && command -v wg >/dev/null; then
	WLOG=$T/wg.log KEYS=$T/wg-keys.json
	$RX "$SNARE_BIN" --mode "wireguard:$KEYS@10.221.1.1:51821" --set confdir="$T/wconf" \
		--set ssl_verify_upstream_trusted_ca="$T/srv.crt" \
		--set dns_name_servers=127.0.0.1:1 >"$WLOG" 2>&1 &
	SPID=$!
	PIDS+=($SPID)
	WGC=$T/wconf/wireguard-client.conf
	if wait_for "$WLOG" "written to $WGC" 15; then
		priv=$(grep -m1 '^PrivateKey' "$WGC" | sed 's/^[A-Za-z]* = //')
		pub=$(grep -m1 '^PublicKey' "$WGC" | sed 's/^[A-Za-z]* = //')
		endpoint=$(grep -m1 '^Endpoint' "$WGC" | sed 's/^[A-Za-z]* = //')
		printf '%s' "$priv" >"$T/client.key"
		$CX env WG_PROCESS_FOREGROUND=1 wireguard-go wgh2$$ >"$T/wggo.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 1 50); do $CX ip link show wgh2$$ >/dev/null 2>&1 && break; sleep 0.1; done
		$CX wg set wgh2$$ private-key "$T/client.key" peer "$pub" endpoint "$endpoint" \
			allowed-ips 10.221.2.0/24 persistent-keepalive 25
		$CX ip addr add 10.0.0.1/32 dev wgh2$$
		$CX ip link set wgh2$$ up
		$CX ip route replace 10.221.2.0/24 dev wgh2$$
		h2_get wireguard-curl-http2 "$CX" "$T/wconf/snare-ca-cert.pem" "$WLOG"
		$CX ip route replace 10.221.2.0/24 via 10.221.1.1
	else
		notok wireguard-curl-http2 "snare did not start: $(tail -3 "$WLOG")"
	fi
	kill -TERM $SPID 2>/dev/null
	wait $SPID 2>/dev/null
else
	skip wireguard-curl-http2 "wireguard-go/wg not installed"
fi

# ---- local capture: a curl copy named snaretest-h2c in the client namespace ----------
if [ ! -s "${SNARE_BUILD:-build/check}/bpf/redirect.skel.h" ]; then
	skip local-curl-http2 "snare-redirector was built without its eBPF programs"
	exit 0
fi
mkdir -p "$T/bin"
cp "$(command -v curl)" "$T/bin/snaretest-h2c"
LLOG=$T/local.log
$CX sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$0" "$@"' \
	"$SNARE_BIN" --mode local:snaretest-h2c --set confdir="$T/lconf" \
	--set ssl_verify_upstream_trusted_ca="$T/srv.crt" >"$LLOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
if wait_for "$LLOG" "Local redirector started." 20; then
	h2_get local-curl-http2 "$CX" "$T/lconf/snare-ca-cert.pem" "$LLOG" "$T/bin/snaretest-h2c"
	grep -q "client connect (snaretest-h2c, pid [0-9]*)" "$LLOG" && ok local-h2-names-process ||
		notok local-h2-names-process "$(grep 'client connect' "$LLOG" | head -2)"
else
	notok local-curl-http2 "snare did not start: $(tail -3 "$LLOG")"
fi
kill -TERM $SPID 2>/dev/null
wait $SPID 2>/dev/null
