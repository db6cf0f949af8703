# Upstream mode chained to real proxies (snare-modes(7), upstream): a recording python
# proxy (what exactly snare sends: request lines, Host, Proxy-Authorization,
# bracketed IPv6, refusals), tinyproxy and squid.  Loopback only.
. "$(dirname "$0")/lib.sh"
REC=$SNARE_ROOT/tests/integration/recproxy.py

# One origin certificate for every TLS origin here (also valid for ::1).
origin_cert IP:::1
start_origin || exit 1
HTTP_PORT=$ORIGIN_PORT
start_origin --tls || exit 1
TLS_PORT=$ORIGIN_PORT
AUTH_B64=$(printf 'up:secret' | base64) # dXA6c2VjcmV0

# start_rec [recproxy args]: sets REC_PORT, REC_LOG.
start_rec() {
	REC_PORT=$(free_port)
	REC_LOG=$T/rec-$REC_PORT.log
	python3 -u "$REC" --port "$REC_PORT" --log "$REC_LOG" "$@" >"$T/rec-$REC_PORT.out" 2>&1 &
	PIDS+=($!)
	wait_for "$T/rec-$REC_PORT.out" ready 10 || { notok recproxy-start "$(cat "$T/rec-$REC_PORT.out")"; exit 1; }
}
# recorded LINE: the request head with this request line was seen.
recorded() { grep -qxF "> $1" "$REC_LOG"; }
# rec_header LINE 'Name: value': that exact header was on that request.
rec_header() { grep -qixF "$1 | $2" "$REC_LOG"; }
# rec_count LINE NAME: how many NAME headers that request carried.
rec_count() { grep -ciF "$1 | $2:" "$REC_LOG"; }
# raw_connect TARGET: the full answer of snare to a hand-written CONNECT.
raw_connect() {
	printf 'CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' "$1" "$1" |
		timeout 10 nc -w 8 127.0.0.1 "$SNARE_PORT" | tr -d '\r'
}

# --- recording upstream, upstream_auth ---------------------------------------
start_rec
start_snare --mode "upstream:http://127.0.0.1:$REC_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
CA=$SNARE_CONF/snare-ca-cert.pem
GETL="GET http://127.0.0.1:$HTTP_PORT/headers HTTP/1.1"
out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/headers")
recorded "$GETL" && ok rec-plain-absolute-form || notok rec-plain-absolute-form "$(cat "$REC_LOG")"
rec_header "$GETL" "Proxy-Authorization: Basic $AUTH_B64" && [ "$(rec_count "$GETL" proxy-authorization)" = 1 ] &&
	ok rec-plain-proxy-authorization || notok rec-plain-proxy-authorization "$(cat "$REC_LOG")"
rec_header "$GETL" "Host: 127.0.0.1:$HTTP_PORT" && ok rec-plain-host || notok rec-plain-host "$(cat "$REC_LOG")"
echo "$out" | grep -qi "^host: 127.0.0.1:$HTTP_PORT" && ok rec-plain-reaches-origin || notok rec-plain-reaches-origin "$out"

CONL="CONNECT localhost:$TLS_PORT HTTP/1.1"
out=$(proxy_curl --cacert "$CA" "https://localhost:$TLS_PORT/headers")
recorded "$CONL" && ok rec-connect-line || notok rec-connect-line "$(cat "$REC_LOG")"
rec_header "$CONL" "Host: localhost:$TLS_PORT" && ok rec-connect-host-header || notok rec-connect-host-header "$(cat "$REC_LOG")"
rec_header "$CONL" "Proxy-Authorization: Basic $AUTH_B64" && [ "$(rec_count "$CONL" proxy-authorization)" = 1 ] &&
	ok rec-connect-proxy-authorization || notok rec-connect-proxy-authorization "$(cat "$REC_LOG")"
# Inside the tunnel (intercepted TLS): the origin sees no credentials at all.
echo "$out" | grep -qi "^host: localhost:$TLS_PORT" && ! echo "$out" | grep -qiE '^(proxy-)?authorization:' &&
	ok rec-tunnel-request-without-auth || notok rec-tunnel-request-without-auth "$out"
! grep -q '^> GET /headers' "$REC_LOG" && ok rec-tunnel-content-not-plain || notok rec-tunnel-content-not-plain "$(cat "$REC_LOG")"

# Two plain requests on one client connection; the upstream closes after each.
: >"$REC_LOG"
out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/hello" "http://127.0.0.1:$HTTP_PORT/hello?two")
[ "$out" = "hello
hello" ] && recorded "GET http://127.0.0.1:$HTTP_PORT/hello?two HTTP/1.1" &&
	ok rec-plain-second-request-after-upstream-close || notok rec-plain-second-request-after-upstream-close "$out"
stop_snare

# snare's own proxyauth credentials are not forwarded; upstream_auth replaces them.
start_snare --mode "upstream:http://127.0.0.1:$REC_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
	--set proxyauth=cli:pw || exit 1
: >"$REC_LOG"
out=$(proxy_curl --proxy-user cli:pw "http://127.0.0.1:$HTTP_PORT/headers")
rec_header "$GETL" "Proxy-Authorization: Basic $AUTH_B64" && [ "$(rec_count "$GETL" proxy-authorization)" = 1 ] &&
	ok rec-client-credentials-replaced || notok rec-client-credentials-replaced "$(cat "$REC_LOG")"
stop_snare

# No upstream_auth: nothing added; http_connect_send_host_header=false: no Host.
start_snare --mode "upstream:http://127.0.0.1:$REC_PORT@127.0.0.1:0" \
	--set http_connect_send_host_header=false --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
: >"$REC_LOG"
proxy_curl "http://127.0.0.1:$HTTP_PORT/headers" >/dev/null
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
recorded "$GETL" && recorded "$CONL" && ! grep -qi 'proxy-authorization' "$REC_LOG" &&
	ok rec-no-upstream-auth-no-header || notok rec-no-upstream-auth-no-header "$(cat "$REC_LOG")"
[ "$out" = hello ] && [ "$(rec_count "$CONL" host)" = 0 ] &&
	ok rec-connect-without-host-header || notok rec-connect-without-host-header "$out / $(cat "$REC_LOG")"
stop_snare

# IPv6 targets: bracketed in CONNECT, Host and the absolute-form URL.
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	P6=$(free_port)
	P6H=$(free_port)
	python3 -u "$SNARE_ROOT/tests/integration/origin.py" --bind ::1 --port "$P6" \
		--tls "$ORIGIN_CERT" "$T/origin.key" >"$T/o6.log" 2>&1 &
	PIDS+=($!)
	python3 -u "$SNARE_ROOT/tests/integration/origin.py" --bind ::1 --port "$P6H" >"$T/o6h.log" 2>&1 &
	PIDS+=($!)
	wait_for "$T/o6.log" ready 10
	wait_for "$T/o6h.log" ready 10
	start_snare --mode "upstream:http://127.0.0.1:$REC_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
		--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
	: >"$REC_LOG"
	out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://[::1]:$P6/hello")
	C6="CONNECT [::1]:$P6 HTTP/1.1"
	[ "$out" = hello ] && recorded "$C6" && rec_header "$C6" "Host: [::1]:$P6" &&
		rec_header "$C6" "Proxy-Authorization: Basic $AUTH_B64" &&
		ok rec-connect-ipv6-bracketed || notok rec-connect-ipv6-bracketed "$out / $(cat "$REC_LOG")"
	out=$(proxy_curl "http://[::1]:$P6H/hello")
	[ "$out" = hello ] && recorded "GET http://[::1]:$P6H/hello HTTP/1.1" &&
		ok rec-plain-ipv6-bracketed || notok rec-plain-ipv6-bracketed "$out / $(cat "$REC_LOG")"
	stop_snare
else
	skip rec-connect-ipv6-bracketed "no IPv6 loopback"
	skip rec-plain-ipv6-bracketed "no IPv6 loopback"
fi

# upstream:https://: TLS to the proxy itself (SNI = its host, ALPN http/1.1);
# plain requests and CONNECT then travel inside that TLS connection.
start_rec --tls "$ORIGIN_CERT" "$T/origin.key"
start_snare --mode "upstream:https://localhost:$REC_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/headers")
host_ok=$(echo "$out" | grep -ci "^host: 127.0.0.1:$HTTP_PORT")
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
grep -qx '# tls sni=localhost alpn=http/1.1' "$REC_LOG" && ! grep -v '^# tls sni=localhost alpn=http/1.1$' "$REC_LOG" | grep -q '^# tls' &&
	ok rec-tls-proxy-sni-alpn || notok rec-tls-proxy-sni-alpn "$(grep '^#' "$REC_LOG")"
[ "$host_ok" = 1 ] && rec_header "$GETL" "Proxy-Authorization: Basic $AUTH_B64" &&
	ok rec-tls-proxy-plain-absolute-form || notok rec-tls-proxy-plain-absolute-form "$(cat "$REC_LOG")"
[ "$out" = hello ] && rec_header "$CONL" "Proxy-Authorization: Basic $AUTH_B64" &&
	ok rec-tls-proxy-connect || notok rec-tls-proxy-connect "$out / $(cat "$REC_LOG")"
stop_snare

# Refusals: a non-2xx answer to CONNECT becomes a 502 naming the status.
for code in 407 403; do
	start_rec --refuse-connect "$code" --refuse-plain "$code"
	start_snare --mode "upstream:http://127.0.0.1:$REC_PORT@127.0.0.1:0" --set upstream_auth=up:secret || exit 1
	out=$(raw_connect "localhost:$TLS_PORT")
	echo "$out" | head -1 | grep -q '^HTTP/1.1 502 ' && echo "$out" | grep -q "refused HTTP CONNECT request: $code" &&
		ok "rec-connect-$code-becomes-502" || notok "rec-connect-$code-becomes-502" "$out"
	wait_for "$SNARE_LOG" "Upstream proxy 127.0.0.1:$REC_PORT refused HTTP CONNECT request: $code" 3 &&
		ok "rec-connect-$code-logged" || notok "rec-connect-$code-logged" "$(tail -3 "$SNARE_LOG")"
	rec_header "$CONL" "Proxy-Authorization: Basic $AUTH_B64" && ok "rec-connect-$code-had-auth" ||
		notok "rec-connect-$code-had-auth" "$(cat "$REC_LOG")"
	# A plain request's answer is the upstream's own response (not a snare error).
	code2=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/hello")
	[ "$code2" = "$code" ] && ok "rec-plain-$code-relayed" || notok "rec-plain-$code-relayed" "$code2"
	stop_snare
done

# --- tinyproxy ----------------------------------------------------------------
if command -v tinyproxy >/dev/null; then
	TP=$T/tinyproxy
	mkdir -p "$TP" && chmod 777 "$TP"
	TP_PORT=$(free_port)
	cat >"$TP/tinyproxy.conf" <<EOF
Port $TP_PORT
Listen 127.0.0.1
Timeout 30
LogFile "$TP/tinyproxy.log"
LogLevel Info
MaxClients 20
Allow 127.0.0.1
BasicAuth up secret
EOF
	tinyproxy -d -c "$TP/tinyproxy.conf" >"$TP/stdout" 2>&1 &
	PIDS+=($!)
	if wait_for "$TP/tinyproxy.log" "Accepting connections" 10; then
		start_snare --mode "upstream:http://127.0.0.1:$TP_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
			--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
		out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/headers")
		echo "$out" | grep -qi "^host: 127.0.0.1:$HTTP_PORT" && ! echo "$out" | grep -qi authorization &&
			ok tinyproxy-plain-http || notok tinyproxy-plain-http "$out"
		wait_for "$TP/tinyproxy.log" "Request (file descriptor [0-9]*): GET http://127.0.0.1:$HTTP_PORT/headers HTTP/1.1" 3 &&
			ok tinyproxy-absolute-form-logged || notok tinyproxy-absolute-form-logged "$(grep Request "$TP/tinyproxy.log")"
		out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
		[ "$out" = hello ] && ok tinyproxy-https-through-connect || notok tinyproxy-https-through-connect "$out"
		wait_for "$TP/tinyproxy.log" "Request (file descriptor [0-9]*): CONNECT localhost:$TLS_PORT HTTP/1.1" 3 &&
			ok tinyproxy-connect-logged || notok tinyproxy-connect-logged "$(grep Request "$TP/tinyproxy.log")"
		out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/hello" "http://127.0.0.1:$HTTP_PORT/hello")
		[ "$out" = "hello
hello" ] && ok tinyproxy-two-requests-one-client-connection || notok tinyproxy-two-requests-one-client-connection "$out"
		stop_snare
		# Without credentials tinyproxy refuses the CONNECT with 407.
		start_snare --mode "upstream:http://127.0.0.1:$TP_PORT@127.0.0.1:0" || exit 1
		out=$(raw_connect "localhost:$TLS_PORT")
		echo "$out" | head -1 | grep -q '^HTTP/1.1 502 ' && echo "$out" | grep -q "refused HTTP CONNECT request: 407" &&
			ok tinyproxy-407-becomes-502 || notok tinyproxy-407-becomes-502 "$out"
		stop_snare
	else
		notok tinyproxy-start "$(cat "$TP/stdout" "$TP/tinyproxy.log" 2>/dev/null | tail -5)"
	fi
else
	skip tinyproxy "tinyproxy is not installed"
fi

# --- squid --------------------------------------------------------------------
# squid drops to its cache_effective_user (proxy on Debian), so its directory
# must belong to that user; -N keeps it in the foreground without SMP/IPC.
if command -v squid >/dev/null; then
	SQ=$T/squid
	mkdir -p "$SQ"
	SQ_USER=proxy
	id "$SQ_USER" >/dev/null 2>&1 || SQ_USER=$(id -un)
	chown "$SQ_USER" "$SQ"
	SQ_PORT=$(free_port)
	cat >"$SQ/squid.conf" <<EOF
http_port 127.0.0.1:$SQ_PORT
cache_effective_user $SQ_USER
acl localhost_src src 127.0.0.0/8
http_access allow localhost_src
http_access deny all
cache deny all
cache_mem 8 MB
access_log stdio:$SQ/access.log
cache_log $SQ/cache.log
cache_store_log none
pid_filename $SQ/squid.pid
coredump_dir $SQ
pinger_enable off
shutdown_lifetime 1 seconds
via on
EOF
	squid -N -f "$SQ/squid.conf" >"$SQ/stdout" 2>&1 &
	SQ_PID=$!
	PIDS+=("$SQ_PID")
	if wait_for "$SQ/cache.log" "Accepting HTTP Socket connections" 30; then
		start_snare --mode "upstream:http://127.0.0.1:$SQ_PORT@127.0.0.1:0" \
			--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
		out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/headers")
		echo "$out" | grep -qi "^via: .*squid" && ok squid-plain-http-via || notok squid-plain-http-via "$out"
		wait_for "$SQ/access.log" "GET http://127.0.0.1:$HTTP_PORT/headers" 5 &&
			ok squid-absolute-form-logged || notok squid-absolute-form-logged "$(cat "$SQ/access.log")"
		out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/headers")
		echo "$out" | grep -qi "^host: localhost:$TLS_PORT" && ! echo "$out" | grep -qi '^via:' &&
			ok squid-https-intercepted-through-tunnel || notok squid-https-intercepted-through-tunnel "$out"
		wait_for "$SQ/access.log" "TCP_TUNNEL/200 .* CONNECT localhost:$TLS_PORT" 10 &&
			ok squid-connect-logged || notok squid-connect-logged "$(cat "$SQ/access.log")"
		stop_snare
		kill -TERM "$SQ_PID" # shutdown_lifetime 1 s: let it go before cleanup's kill -9
		for _ in $(seq 1 40); do kill -0 "$SQ_PID" 2>/dev/null || break; sleep 0.1; done
		wait "$SQ_PID" 2>/dev/null || true
	else
		notok squid-start "$(tail -5 "$SQ/cache.log" "$SQ/stdout" 2>/dev/null)"
	fi
else
	skip squid "squid is not installed"
fi
