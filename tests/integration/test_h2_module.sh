#!/bin/bash
# The h2 module against real HTTP/2 peers, through tests/tools/h2echo (a server and a client
# built from daemon/h2): nghttp, curl (the negotiated version checked) and h2load drive it as a
# server, over TLS with ALPN h2 and over cleartext with prior knowledge; as a client it fetches
# from nghttpd (cleartext and TLS) and from nginx with http2. Loopback only; no root needed.
. "$(dirname "$0")/lib.sh"
H2ECHO=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tools/h2echo

for tool in nghttp nghttpd h2load curl nginx; do
	command -v "$tool" >/dev/null || { skip h2_module "$tool is not installed"; exit 0; }
done
[ -x "$H2ECHO" ] || { notok h2_module "$H2ECHO is not built"; exit 0; }

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
	local i
	for i in $(seq 1 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

origin_cert
mkdir -p "$T/docroot"
echo "h2 module docroot" >"$T/docroot/index.html"
head -c 1000000 /dev/urandom >"$T/docroot/big.bin"
head -c 3000000 /dev/urandom >"$T/up.bin"

# --- h2echo as the server
PLAIN=$(free_port)
"$H2ECHO" server "$PLAIN" >"$T/echo-plain.log" 2>&1 &
PIDS+=($!)
TLSP=$(free_port)
"$H2ECHO" server --tls "$ORIGIN_CERT" "$T/origin.key" "$TLSP" >"$T/echo-tls.log" 2>&1 &
PIDS+=($!)
wait_for "$T/echo-plain.log" listening && wait_for "$T/echo-tls.log" listening ||
	{ notok h2echo_server_start "$(cat "$T"/echo-*.log)"; exit 0; }

out=$(nghttp -v "http://127.0.0.1:$PLAIN/hello" 2>&1)
if grep -q '^h2echo GET /hello' <<<"$out" && grep -q 'x-h2echo-received: 0' <<<"$out"; then
	ok nghttp_cleartext_server
else notok nghttp_cleartext_server "$out"; fi

# nghttp does not verify the certificate; ALPN h2 is all it needs.
out=$(nghttp -v "https://localhost:$TLSP/tls" 2>&1)
if grep -q '^h2echo GET /tls' <<<"$out" && grep -q 'recv (stream_id=[0-9]*) :status: 200' <<<"$out" &&
	grep -q 'negotiated protocol: h2' <<<"$out"; then
	ok nghttp_tls_server
else notok nghttp_tls_server "$out"; fi

out=$(curl -sS --max-time 20 --http2-prior-knowledge -w '\nversion=%{http_version}' \
	"http://127.0.0.1:$PLAIN/prior")
if grep -q '^h2echo GET /prior' <<<"$out" && grep -q '^version=2$' <<<"$out"; then
	ok curl_prior_knowledge_h2
else notok curl_prior_knowledge_h2 "$out"; fi

out=$(curl -sS --max-time 20 --cacert "$ORIGIN_CERT" --http2 -w '\nversion=%{http_version}' \
	"https://localhost:$TLSP/alpn")
if grep -q '^h2echo GET /alpn' <<<"$out" && grep -q '^version=2$' <<<"$out"; then
	ok curl_alpn_h2
else notok curl_alpn_h2 "$out"; fi

# 3 MB up and back: more than the stream (64 KiB) and connection (1 MiB) windows.
v=$(curl -sS --max-time 60 --cacert "$ORIGIN_CERT" --http2 --data-binary @"$T/up.bin" \
	-o "$T/back.bin" -w '%{http_version} %{http_code}' "https://localhost:$TLSP/up")
if [ "$v" = "2 200" ] && cmp -s "$T/up.bin" "$T/back.bin"; then ok curl_post_echo_3mb
else notok curl_post_echo_3mb "curl said '$v'; bodies differ or missing"; fi

for url in "http://127.0.0.1:$PLAIN/load" "https://127.0.0.1:$TLSP/bytes/1024"; do
	name=h2load_$([[ $url == https* ]] && echo tls || echo cleartext)
	out=$(h2load -n 1000 -c 10 -m 10 "$url" 2>&1)
	if grep -q 'requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed' \
		<<<"$out" && grep -q 'status codes: 1000 2xx' <<<"$out" &&
		grep -q 'Application protocol: h2' <<<"$out"; then ok "$name"
	else notok "$name" "$(grep -E 'requests:|status codes|protocol' <<<"$out")"; fi
done

# 100 concurrent streams on each connection: the server's SETTINGS_MAX_CONCURRENT_STREAMS.
out=$(h2load -n 2000 -c 2 -m 100 "http://127.0.0.1:$PLAIN/bytes/100" 2>&1)
if grep -q 'requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed' <<<"$out" &&
	grep -q 'status codes: 2000 2xx' <<<"$out"; then ok h2load_100_streams
else notok h2load_100_streams "$(grep -E 'requests:|status codes' <<<"$out")"; fi

# --- h2echo as the client
NPLAIN=$(free_port)
nghttpd --no-tls -d "$T/docroot" "$NPLAIN" >"$T/nghttpd-plain.log" 2>&1 &
PIDS+=($!)
NTLS=$(free_port)
nghttpd -d "$T/docroot" "$NTLS" "$T/origin.key" "$ORIGIN_CERT" >"$T/nghttpd-tls.log" 2>&1 &
PIDS+=($!)
wait_port "$NPLAIN" && wait_port "$NTLS" || { notok nghttpd_start "$(cat "$T"/nghttpd-*.log)"; }

# client_check NAME WANT_BYTES ARGS...: every response 200 with WANT_BYTES bytes.
client_check() {
	local name=$1 want=$2 n out
	shift 2
	out=$("$H2ECHO" client "$@" 2>&1)
	n=$(grep -c "status 200 bytes $want trailers .* close NO_ERROR" <<<"$out")
	if grep -q '^done ok \([0-9]*\) of \1$' <<<"$out" && [ "$n" -gt 0 ]; then ok "$name"
	else notok "$name" "$out"; fi
}
client_check h2client_nghttpd_cleartext 18 -n 10 127.0.0.1 "$NPLAIN" /index.html
client_check h2client_nghttpd_tls 1000000 --tls --ca "$ORIGIN_CERT" -n 3 localhost "$NTLS" /big.bin
out=$("$H2ECHO" client --tls --ca "$ORIGIN_CERT" --post 200000 --trailers -n 2 localhost "$TLSP" /up 2>&1)
if [ "$(grep -c 'trailer [0-9]* x-h2echo-received: 200000' <<<"$out")" = 2 ] &&
	grep -q '^done ok 2 of 2$' <<<"$out"; then ok h2client_post_trailers_to_h2echo
else notok h2client_post_trailers_to_h2echo "$out"; fi

# nginx with http2, over TLS and over cleartext (prior knowledge).
NG_TLS=$(free_port)
NG_PLAIN=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log $T/nginx/access.log;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$NG_TLS ssl http2;
		listen 127.0.0.1:$NG_PLAIN http2;
		ssl_certificate $ORIGIN_CERT;
		ssl_certificate_key $T/origin.key;
		root $T/docroot;
	}
}
CONF
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" >"$T/nginx/out.log" 2>&1 &
PIDS+=($!)
if wait_port "$NG_TLS" && wait_port "$NG_PLAIN"; then
	client_check h2client_nginx_tls 1000000 --tls --ca "$ORIGIN_CERT" -n 4 localhost "$NG_TLS" /big.bin
	client_check h2client_nginx_cleartext 18 -n 20 127.0.0.1 "$NG_PLAIN" /index.html
	n=$(grep -c '"GET /[a-z.]* HTTP/2.0" 200' "$T/nginx/access.log")
	if [ "$n" = 24 ]; then ok nginx_logged_h2_requests
	else notok nginx_logged_h2_requests "nginx logged $n HTTP/2.0 requests, not 24"; fi
else
	notok nginx_start "$(cat "$T/nginx/error.log" "$T/nginx/out.log" 2>/dev/null)"
fi

# No flood was reported on any of these connections (the unit tests make one happen).
if grep -q '^listening' "$T/echo-plain.log" && ! grep -q '^abuse' "$T"/echo-*.log; then
	ok h2echo_no_abuse_reported
else notok h2echo_no_abuse_reported "$(cat "$T"/echo-*.log)"; fi

# A Rapid Reset over a real socket: the client cancels every request as it sends it; the
# server closes with GOAWAY ENHANCE_YOUR_CALM and reports it once (after the first 200).
RR=$(free_port)
"$H2ECHO" server "$RR" >"$T/echo-rr.log" 2>&1 &
PIDS+=($!)
if wait_for "$T/echo-rr.log" listening; then
	"$H2ECHO" client --reset -n 1000 127.0.0.1 "$RR" / >"$T/rr-client.log" 2>&1
	rc=$?
	if wait_for "$T/echo-rr.log" 'goaway sent ENHANCE_YOUR_CALM' &&
		[ "$(grep -c '^abuse rapid reset$' "$T/echo-rr.log")" = 1 ] && [ "$rc" != 0 ]; then
		ok rapid_reset_goaway_once
	else notok rapid_reset_goaway_once "client rc $rc; server: $(cat "$T/echo-rr.log")"; fi
else
	notok rapid_reset_goaway_once "$(cat "$T/echo-rr.log")"
fi
