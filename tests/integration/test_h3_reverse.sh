# reverse:http3://host:port: snare serves HTTP/3 to the client with a leaf from its CA and speaks
# HTTP/3 to the server, verified against ssl_verify_upstream_trusted_ca; every request is relayed
# and recorded as an HTTP/3 flow. Origins: caddy (file_server, h3 enabled) and quicpeer (which
# answers with the length and hash of a request body); clients: quicpeer, the ngtcp2 example
# client (gtlsclient) and headless Chromium with QUIC forced. Debian's curl has no HTTP/3 (its
# --http3 flag is refused), so it is not used. Loopback only; UDP ports picked free per run.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if [ ! -x "$QP" ]; then
	notok h3r-quicpeer-built "$QP missing"
	exit 0
fi

quic_test_certs DNS:quic.test,IP:127.0.0.1

# quicpeer as an origin (POST bodies come back as length and hash).
QS_PORT=$(udp_port)
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok h3r-quicpeer-server "$(cat "$T/qs.log")"; exit 1; }

start_snare --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" --set upstream_auth=h3user:h3pass \
	--set flow_detail=2 -w "$T/qp.flows" || exit 1
SCA=$SNARE_CONF/snare-ca-cert.pem
QP_SNARE_LOG=$SNARE_LOG QP_SNARE_PID=$SNARE_PID

out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/h3-get --cafile "$SCA" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /h3-get" && echo "$out" | grep -qx "trailer x-quicpeer: done" &&
	ok h3r-get-and-trailers || notok h3r-get-and-trailers "$out $(tail -5 "$SNARE_LOG")"

# :authority names the target; upstream_auth reached the server.
echo "$out" | grep -qx "x-quicpeer-authority 127.0.0.1:$QS_PORT" && ok h3r-authority-rewritten ||
	notok h3r-authority-rewritten "$out"
echo "$out" | grep -qx "x-quicpeer-authorization Basic aDN1c2VyOmgzcGFzcw==" &&
	ok h3r-upstream-auth-sent || notok h3r-upstream-auth-sent "$out"

# The client does not trust the origin's CA: what it got was snare's leaf.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/x --cafile "$T/ca.pem" 2>&1)
[ $? -ne 0 ] && ok h3r-client-sees-snare-leaf || notok h3r-client-sees-snare-leaf "$out"

if command -v gtlsclient >/dev/null; then
	# POST with a 300 KiB body (more than a stream's send buffer): the origin saw every byte.
	head -c 307200 /dev/urandom >"$T/up.bin"
	want=$(python3 -c 'import sys
h=0xcbf29ce484222325
for b in open(sys.argv[1],"rb").read(): h=((h^b)*0x100000001b3)&0xffffffffffffffff
print("%016x" % h)' "$T/up.bin")
	mkdir -p "$T/post"
	timeout 20 gtlsclient -q --exit-on-all-streams-close -m POST -d "$T/up.bin" --download="$T/post" \
		127.0.0.1 "$SNARE_PORT" "https://quic.test/upload" >"$T/gpost.log" 2>&1
	got=$(cat "$T/post/upload" 2>/dev/null)
	[ "$got" = "hello from quicpeer /upload body 307200 bytes fnv $want" ] && ok h3r-gtlsclient-post-body ||
		notok h3r-gtlsclient-post-body "got '$got' want $want $(tail -5 "$T/gpost.log") $(tail -5 "$SNARE_LOG")"
	# keep_host_header keeps the client's :authority.
	start_snare --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:0" \
		--set ssl_verify_upstream_trusted_ca="$T/ca.pem" --set keep_host_header=true || exit 1
	out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/keep --cafile "$SNARE_CONF/snare-ca-cert.pem" 2>&1)
	echo "$out" | grep -qx "x-quicpeer-authority quic.test" && ok h3r-keep-host-header ||
		notok h3r-keep-host-header "$out"
	stop_snare
	# body_size_limit: the same upload through a snare allowing 100 KiB is answered 413.
	start_snare --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:0" \
		--set ssl_verify_upstream_trusted_ca="$T/ca.pem" --set body_size_limit=100k || exit 1
	mkdir -p "$T/post413"
	timeout 20 gtlsclient -q --exit-on-all-streams-close -m POST -d "$T/up.bin" --download="$T/post413" \
		127.0.0.1 "$SNARE_PORT" "https://quic.test/upload" >"$T/gpost413.log" 2>&1
	grep -q "413 Payload Too Large" "$T/post413/upload" 2>/dev/null && ok h3r-body-size-limit-413 ||
		notok h3r-body-size-limit-413 "$(cat "$T/post413/upload" 2>&1) $(tail -5 "$SNARE_LOG")"
	stop_snare
	grep -q "request body exceeds body_size_limit" "$SNARE_LOG" && ok h3r-body-size-limit-flow ||
		notok h3r-body-size-limit-flow "$(tail -5 "$SNARE_LOG")"
else
	skip h3r-gtlsclient-post-body "ngtcp2-client not installed"
fi

# caddy as the origin: a page and 1 MiB, through snare, to quicpeer and gtlsclient.
if command -v caddy >/dev/null; then
	CD_PORT=$(free_port)
	mkdir -p "$T/www" "$T/dl"
	echo "hello from caddy over h3" >"$T/www/hello.txt"
	head -c 1048576 /dev/urandom >"$T/www/big.bin"
	mkdir -p "$T/www/img"
	for i in 1 2 3 4 5; do echo "resource $i" >"$T/www/img/$i.txt"; done
	cat >"$T/www/page.html" <<'PAGE'
<html><body><pre id="r">waiting</pre><script>
var n = 0;
function one() {
	if (++n < 5) return;
	var all = performance.getEntriesByType("resource"), h3 = 0;
	var e = all.filter(function (x) { return x.initiatorType === "fetch"; });
	e.forEach(function (x) { if (x.nextHopProtocol === "h3") h3++; });
	document.getElementById("r").textContent = "fetches " + e.length + " h3 " + h3 +
		" nav " + performance.getEntriesByType("navigation")[0].nextHopProtocol + " entries " +
		all.map(function (x) { return x.initiatorType + ":" + x.name; }).join(" ");
}
for (var i = 1; i <= 5; i++)
	fetch("/img/" + i + ".txt").then(function (r) { return r.text(); }).then(one);
</script></body></html>
PAGE
	cat >"$T/Caddyfile" <<CADDY
{
	admin off
	auto_https disable_redirects
	default_sni quic.test
	servers {
		protocols h1 h2 h3
	}
}
https://:$CD_PORT {
	bind 127.0.0.1
	tls $T/leaf.pem $T/leaf.key
	root * $T/www
	file_server
}
CADDY
	XDG_DATA_HOME=$T/caddy-data XDG_CONFIG_HOME=$T/caddy-config HOME=$T \
		caddy run --config "$T/Caddyfile" --adapter caddyfile >"$T/caddy.log" 2>&1 &
	PIDS+=($!)
	if wait_for "$T/caddy.log" "enabling HTTP/3 listener" 20; then
		start_snare --mode "reverse:http3://127.0.0.1:$CD_PORT@127.0.0.1:0" \
			--set ssl_verify_upstream_trusted_ca="$T/ca.pem" --set stream_large_bodies=256k \
			-w "$T/caddy.flows" || exit 1
		SCA=$SNARE_CONF/snare-ca-cert.pem
		out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/hello.txt --cafile "$SCA" 2>&1)
		echo "$out" | grep -qx "hello from caddy over h3" && echo "$out" | grep -qx "server Caddy" &&
			ok h3r-caddy-get || notok h3r-caddy-get "$out $(tail -5 "$SNARE_LOG")"
		if command -v gtlsclient >/dev/null; then
			timeout 30 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 127.0.0.1 \
				"$SNARE_PORT" "https://quic.test/big.bin" >"$T/gbig.log" 2>&1
			cmp -s "$T/www/big.bin" "$T/dl/big.bin" && ok h3r-caddy-1mib-download ||
				notok h3r-caddy-1mib-download "$(ls -l "$T/dl") $(tail -5 "$T/gbig.log") $(tail -5 "$SNARE_LOG")"
			# 300 requests on one connection: more than the 100 streams either side allows
			# at once, so requests wait for stream credit on both sides; every one completes.
			n=$(timeout 60 gtlsclient --no-quic-dump --no-http-dump --exit-on-all-streams-close \
				-n 300 127.0.0.1 "$SNARE_PORT" "https://quic.test/hello.txt" 2>&1 |
				grep -c "HTTP stream [0-9]* closed with error code 256")
			[ "$n" = 300 ] && ok h3r-300-requests-one-connection ||
				notok h3r-300-requests-one-connection "$n of 300 $(tail -5 "$SNARE_LOG")"
		else
			skip h3r-caddy-1mib-download "ngtcp2-client not installed"
		fi
		# Headless Chromium with QUIC forced for the origin and snare's CA trusted by its key:
		# the page and its five fetches arrive over h3 (resource timing) and are HTTP/3 flows.
		# Only the page's fetches are counted: Chromium also asks for /favicon.ico on its own
		# (an "other" entry), at times before the fifth fetch has ended.
		BROWSER=$(command -v chromium || command -v chromium-browser || true)
		if [ -n "$BROWSER" ]; then
			SPKI=$(openssl x509 -in "$SCA" -pubkey -noout | openssl pkey -pubin -outform der |
				openssl dgst -sha256 -binary | base64)
			out=$(timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run \
				--disable-background-networking --disable-component-update --disable-sync \
				--user-data-dir="$T/chrome-h3" --enable-quic \
				--origin-to-force-quic-on="quic.test:$SNARE_PORT" \
				--host-resolver-rules="MAP quic.test 127.0.0.1" \
				--ignore-certificate-errors-spki-list="$SPKI" --virtual-time-budget=10000 \
				--dump-dom "https://quic.test:$SNARE_PORT/page.html" 2>/dev/null)
			grep -q "fetches 5 h3 5 nav h3" <<<"$out" &&
				wait_for "$SNARE_LOG" "GET https://127.0.0.1:$CD_PORT/img/5.txt HTTP/3" 5 &&
				ok h3r-chromium-page-over-h3 ||
				notok h3r-chromium-page-over-h3 "$(grep -o 'fetches.*' <<<"$out") $(tail -5 "$SNARE_LOG")"
		else
			skip h3r-chromium-page-over-h3 "chromium not installed"
		fi
		stop_snare
		grep -q "GET https://127.0.0.1:$CD_PORT/hello.txt HTTP/3" "$SNARE_LOG" && ok h3r-caddy-flow-line ||
			notok h3r-caddy-flow-line "$(grep -i "http" "$SNARE_LOG" | head)"
		# stream_large_bodies: the 1 MiB flow is in the file, its body is not.
		"$SNARE_BIN" -n -r "$T/caddy.flows" 2>&1 | grep -q "GET https://127.0.0.1:$CD_PORT/big.bin HTTP/3" &&
			[ "$(stat -c %s "$T/caddy.flows")" -lt 262144 ] && ok h3r-stream-large-bodies ||
			notok h3r-stream-large-bodies "$(stat -c %s "$T/caddy.flows") $("$SNARE_BIN" -n -r "$T/caddy.flows" 2>&1 | head -5)"
	else
		notok h3r-caddy-get "caddy did not start: $(cat "$T/caddy.log")"
	fi
else
	skip h3r-caddy-get "caddy not installed"
fi

# The server cannot be reached: the client gets a 502 over HTTP/3, and the flow says why.
DEAD=$(udp_port)
start_snare --mode "reverse:http3://127.0.0.1:$DEAD@127.0.0.1:0" -w "$T/dead.flows" || exit 1
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/dead --cafile "$SNARE_CONF/snare-ca-cert.pem" 2>&1)
echo "$out" | grep -q ":status 502" && echo "$out" | grep -q "Cannot connect to 127.0.0.1:$DEAD" &&
	ok h3r-unreachable-502 || notok h3r-unreachable-502 "$out $(tail -5 "$SNARE_LOG")"
wait_for "$SNARE_LOG" "refused the connection" 5 && ok h3r-unreachable-logged ||
	notok h3r-unreachable-logged "$(tail -5 "$SNARE_LOG")"
stop_snare

SNARE_PID=$QP_SNARE_PID SNARE_LOG=$QP_SNARE_LOG
stop_snare
grep -q "GET https://127.0.0.1:$QS_PORT/h3-get HTTP/3" "$SNARE_LOG" && ok h3r-flow-line-http3 ||
	notok h3r-flow-line-http3 "$(grep -i "http" "$SNARE_LOG" | head)"
# upstream_auth: the request the server got (and the flow shows) carries the credentials.
grep -qi "authorization: Basic aDN1c2VyOmgzcGFzcw==" "$SNARE_LOG" && ok h3r-upstream-auth ||
	notok h3r-upstream-auth "$(grep -i -A8 "h3-get" "$SNARE_LOG" | head -20)"
out=$("$SNARE_BIN" -n -r "$T/qp.flows" 2>&1)
echo "$out" | grep -q "POST https://127.0.0.1:$QS_PORT/upload HTTP/3" &&
	echo "$out" | grep -q "HTTP/3 200" && ok h3r-flow-file || notok h3r-flow-file "$out"
# Every snare of this test ran its workers without a sanitizer report (the logs are there).
ls "$T"/snare.*.log >/dev/null && ! grep -l "Sanitizer\|runtime error" "$T"/snare.*.log &&
	ok h3r-no-sanitizer-reports || notok h3r-no-sanitizer-reports "$(grep -h -A5 "Sanitizer\|runtime error" "$T"/snare.*.log | head -20)"
