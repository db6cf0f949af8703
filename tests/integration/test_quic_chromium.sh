# A real QUIC client in the packet modes: headless Chromium in a client namespace, QUIC forced
# for the origin (--origin-to-force-quic-on) and snare's CA trusted by its SPKI, loads a page
# from caddy (h3 enabled) in the server namespace through snare's TUN mode, then through its
# WireGuard mode (wireguard-go in the client namespace): the page loads over h3 (its resource
# timing says so), snare's flows say HTTP/3 with the server's name, and a script's response hook
# changed the page on its way (the hooks apply to intercepted HTTP/3). Root only; names and
# addresses unique to this test.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip quic-chromium "needs root (network namespaces, TUN devices)"
	exit 0
fi
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[ -n "$BROWSER" ] || { skip quic-chromium "chromium is not installed"; exit 0; }
command -v caddy >/dev/null || { skip quic-chromium "caddy is not installed"; exit 0; }
A=snare-qcc-$$ B=snare-qcs-$$
cleanup_ns() { ip netns pids "$A" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add qca-$$ netns "$A" type veth peer name qcb-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.223.0.2/24 dev qca-$$; $XA ip link set qca-$$ up
$XB ip addr add 10.223.0.1/24 dev qcb-$$; $XB ip link set qcb-$$ up
$XA ip route add default via 10.223.0.1
$XB sysctl -qw net.ipv4.ip_forward=1
$XB ip addr add 10.224.0.5/32 dev lo

quic_test_certs DNS:quic.test
mkdir -p "$T/www"
printf 'GIF89a\1\0\1\0\0\0\0;' >"$T/www/dot.gif"
cat >"$T/www/page.html" <<'HTML'
<!doctype html><html><head><title>h3 page</title></head><body><img src="dot.gif">
<pre id="r">waiting</pre><script>
window.onload = function () {
  var n = performance.getEntriesByType("navigation")[0];
  var r = performance.getEntriesByType("resource").map(function (x) { return x.nextHopProtocol; });
  document.getElementById("r").textContent = "nav " + n.nextHopProtocol + " res " + r.join(",");
};</script></body></html>
HTML
cat >"$T/Caddyfile" <<CADDY
{
	admin off
	auto_https disable_redirects
	default_sni quic.test
	servers {
		protocols h1 h2 h3
	}
}
https://:443 {
	bind 10.224.0.5
	tls $T/leaf.pem $T/leaf.key
	root * $T/www
	file_server
}
CADDY
$XB env XDG_DATA_HOME="$T/caddy-data" XDG_CONFIG_HOME="$T/caddy-config" HOME="$T" \
	caddy run --config "$T/Caddyfile" --adapter caddyfile >"$T/caddy.log" 2>&1 &
PIDS+=($!)
wait_for "$T/caddy.log" "enabling HTTP/3 listener" 20 || { notok caddy-start "$(tail -5 "$T/caddy.log")"; exit 1; }

cat >"$T/h3rewrite.lua" <<'LUA'
function response(flow)
	if flow.request.path == "/page.html" then
		flow.response.content = flow.response.content .. "<p>rewritten by a snare script over " ..
			flow.response.http_version .. "</p>\n"
	end
end
LUA
chmod 644 "$T/h3rewrite.lua"
CONF=$T/conf LOG=$T/snare.log
$XB "$SNARE_BIN" --mode tun:snareqc0 --set confdir="$CONF" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -s "$T/h3rewrite.lua" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "TUN interface started." 15 || { notok tun-start "$(cat "$LOG")"; exit 1; }
$XB ip rule add pref 10 iif qcb-$$ to 10.224.0.0/24 lookup 223
$XB ip rule del pref 0 lookup local
$XB ip rule add pref 100 lookup local
$XB ip route add default dev snareqc0 table 223
SCA=$CONF/snare-ca-cert.pem
wait_for "$SCA" "BEGIN CERTIFICATE" 10 || { notok snare-ca-written "$(ls "$CONF")"; exit 1; }
SPKI=$(openssl x509 -in "$SCA" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

browse() { # $1: the mode's name in the results, $2: snare's log
	local out
	out=$(timeout 90 $XA "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/chrome-$1" --origin-to-force-quic-on=quic.test:443 \
		--host-resolver-rules="MAP quic.test 10.224.0.5" \
		--ignore-certificate-errors-spki-list="$SPKI" --virtual-time-budget=10000 \
		--dump-dom "https://quic.test/page.html" 2>"$T/chrome-$1.log")
	grep -q 'nav h3 res h3' <<<"$out" && ok "quic-chromium-page-over-h3-through-$1" ||
		notok "quic-chromium-page-over-h3-through-$1" \
			"$(grep -o 'nav.*' <<<"$out") $(tail -3 "$T/chrome-$1.log") $(tail -5 "$2")"
	grep -q 'rewritten by a snare script over HTTP/3' <<<"$out" && ok "quic-chromium-script-rewrote-page-$1" ||
		notok "quic-chromium-script-rewrote-page-$1" "$(tail -c 300 <<<"$out") $(tail -5 "$2")"
	wait_for "$2" "GET https://quic.test/page.html HTTP/3" 5 &&
		ok "quic-chromium-h3-flow-names-server-$1" ||
		notok "quic-chromium-h3-flow-names-server-$1" "$(grep -- "HTTP\|->" "$2" | head)"
	grep -q "GET https://quic.test/dot.gif HTTP/3" "$2" && ok "quic-chromium-subresource-h3-flow-$1" ||
		notok "quic-chromium-subresource-h3-flow-$1" "$(grep -- "HTTP\|->" "$2" | head)"
}
browse tun "$LOG"
kill -TERM $SPID
wait $SPID

# The same page through WireGuard.
if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
	skip quic-chromium-wireguard "wireguard-go/wg not installed"
	exit 0
fi
LOG=$T/snare-wg.log KEYS=$T/wg-keys.json
$XB "$SNARE_BIN" --mode "wireguard:$KEYS@10.223.0.1:51824" --set confdir="$CONF" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -s "$T/h3rewrite.lua" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
WGC=$CONF/wireguard-client.conf
wait_for "$LOG" "written to $WGC" 15 || { notok wg-start "$(cat "$LOG")"; exit 1; }
wg_client "$A" wgqc0 "$WGC" || { notok wg-client "wg set failed: $(cat "$T/wgqc0-wggo.log")"; exit 1; }
$XA ip route add 10.224.0.0/24 dev wgqc0
browse wireguard "$LOG"
