# Regular mode with real clients (curl, openssl s_client, a WebSocket
# client) against a local origin: plain HTTP, intercepted HTTPS, errors,
# proxyauth, ignore_hosts, chunked and large bodies, mitm.it, key log.
. "$(dirname "$0")/lib.sh"

start_origin || { notok origin "no origin"; exit 1; }
HTTP_PORT=$ORIGIN_PORT
start_origin --tls || { notok origin-tls "no TLS origin"; exit 1; }
TLS_PORT=$ORIGIN_PORT
export SSLKEYLOGFILE=$T/keys.log
start_snare --mode regular@127.0.0.1:0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" ||
	{ notok start "snare did not start"; exit 1; }
unset SSLKEYLOGFILE
CA=$SNARE_CONF/snare-ca-cert.pem

# Plain HTTP, absolute-form.
out=$(proxy_curl -D "$T/h1" "http://127.0.0.1:$HTTP_PORT/hello")
[ "$out" = hello ] && grep -qi '^x-origin: snare-test' "$T/h1" && ok plain-http || notok plain-http "$out"
# Keep-alive: two requests on one client connection, one upstream connection.
# A host name no request above used: the upstream pool would give this
# client their server connection (test_upstream_pool).
n0=$(grep -c "server connect localhost:$HTTP_PORT" "$SNARE_LOG")
proxy_curl -o /dev/null -o /dev/null "http://localhost:$HTTP_PORT/hello" "http://localhost:$HTTP_PORT/size/10"
sleep 0.2
n1=$(grep -c "server connect localhost:$HTTP_PORT" "$SNARE_LOG")
[ $((n1 - n0)) -eq 1 ] && ok upstream-connection-reused || notok upstream-connection-reused "$((n1 - n0)) connects"
# origin-form with a Host header, straight at the proxy.
out=$(printf 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$HTTP_PORT" |
	timeout 5 socat - TCP:127.0.0.1:"$SNARE_PORT")
echo "$out" | grep -q '^hello' && ok origin-form-with-host || notok origin-form-with-host "$out"

# HTTPS through CONNECT, intercepted with snare's CA.
out=$(proxy_curl --cacert "$CA" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok https-intercepted || notok https-intercepted "$out"
out=$(proxy_curl --cacert "$CA" "https://127.0.0.1:$TLS_PORT/headers")
echo "$out" | grep -qi "^host: 127.0.0.1:$TLS_PORT" && ok https-by-ip || notok https-by-ip "$out"
cert=$(echo | timeout 5 openssl s_client -proxy 127.0.0.1:"$SNARE_PORT" -connect localhost:"$TLS_PORT" \
	-servername localhost 2>/dev/null | openssl x509 -noout -issuer -ext subjectAltName 2>/dev/null)
echo "$cert" | grep -q 'issuer=CN = snare' && echo "$cert" | grep -q 'DNS:localhost' &&
	ok s_client-sees-snare-issuer-and-san || notok s_client-sees-snare-issuer-and-san "$cert"
grep -q "GET https://localhost:$TLS_PORT/hello" "$SNARE_LOG" && ok https-flow-line || notok https-flow-line "no flow line"
[ -s "$T/keys.log" ] && grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET\|^CLIENT_RANDOM' "$T/keys.log" &&
	ok sslkeylogfile || notok sslkeylogfile "empty key log"

# A client that does not trust snare's CA: the failure names the host.
proxy_curl -o /dev/null "https://localhost:$TLS_PORT/hello" 2>/dev/null
wait_for "$SNARE_LOG" "does not trust the proxy's certificate for localhost" 3 && ok client-distrust-logged ||
	notok client-distrust-logged "$(tail -3 "$SNARE_LOG")"

# TLS to the proxy itself (a secure web proxy), autodetected; CONNECT inside
# it means TLS inside TLS.
out=$(curl -sS --max-time 10 --proxy "https://127.0.0.1:$SNARE_PORT" --proxy-cacert "$CA" "http://127.0.0.1:$HTTP_PORT/hello")
[ "$out" = hello ] && ok secure-web-proxy-http || notok secure-web-proxy-http "$out"
out=$(curl -sS --max-time 10 --proxy "https://127.0.0.1:$SNARE_PORT" --proxy-cacert "$CA" --cacert "$CA" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok secure-web-proxy-tls-in-tls || notok secure-web-proxy-tls-in-tls "$out"

# Errors.
code=$(proxy_curl -o "$T/502" -w '%{http_code}' "http://127.0.0.1:1/")
[ "$code" = 502 ] && grep -q "Cannot connect to 127.0.0.1:1" "$T/502" && ok closed-port-502 || notok closed-port-502 "$code"
out=$(printf 'GET /hello HTTP/1.1\r\n\r\n' | timeout 5 socat - TCP:127.0.0.1:"$SNARE_PORT")
echo "$out" | grep -q '^HTTP/1.1 400' && echo "$out" | grep -q "HTTP request has no host header, destination unknown." &&
	ok no-host-400 || notok no-host-400 "$out"
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SNARE_PORT/")
[ "$code" = 502 ] && ok self-loop-502 || notok self-loop-502 "$code"
out=$(printf 'GARBAGE\r\n\r\n' | timeout 5 socat - TCP:127.0.0.1:"$SNARE_PORT")
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/hello")
echo "$out" | grep -q '^HTTP/1.1 400' && [ "$code" = 200 ] && ok malformed-400-then-served || notok malformed-400-then-served "$out / $code"
out=$(printf 'POST http://127.0.0.1:%s/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' "$HTTP_PORT" |
	timeout 5 socat - TCP:127.0.0.1:"$SNARE_PORT")
echo "$out" | grep -q '^HTTP/1.1 400' && ok smuggling-cl-te-400 || notok smuggling-cl-te-400 "$out"
big=$(head -c 70000 /dev/zero | tr '\0' a)
code=$(proxy_curl -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$HTTP_PORT/hello")
[ "$code" = 431 ] && ok huge-header-431 || notok huge-header-431 "$code"

# Chunked both ways (trailers kept) and Expect: 100-continue.
out=$(proxy_curl --raw "http://127.0.0.1:$HTTP_PORT/chunked")
echo "$out" | grep -q 'X-Trailer: done' && echo "$out" | grep -q gamma && ok chunked-download-with-trailer || notok chunked-download-with-trailer "$out"
printf 'chunky data\n%.0s' $(seq 1 2000) >"$T/up.txt"
out=$(proxy_curl -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.txt" "http://127.0.0.1:$HTTP_PORT/echo")
[ "$out" = "$(cat "$T/up.txt")" ] && ok chunked-upload || notok chunked-upload "$(echo "$out" | head -c 100)"
out=$(proxy_curl -H 'Expect: 100-continue' --data-binary @"$T/up.txt" "http://127.0.0.1:$HTTP_PORT/echo")
[ "$out" = "$(cat "$T/up.txt")" ] && ok expect-100-continue || notok expect-100-continue "$(echo "$out" | head -c 100)"
out=$(proxy_curl -I "http://127.0.0.1:$HTTP_PORT/size/5000" "http://127.0.0.1:$HTTP_PORT/hello")
[ "$(echo "$out" | grep -c '^HTTP/1.1 200')" -eq 2 ] && echo "$out" | grep -q 'Content-Length: 5000' &&
	ok head-no-body-keepalive || notok head-no-body-keepalive "$out"

# 100 MiB both ways, sha256 compared, through intercepted HTTPS.
proxy_curl --cacert "$CA" "https://localhost:$TLS_PORT/size/104857600" | sha256sum | cut -d' ' -f1 >"$T/dl.sum"
python3 -c 'import hashlib,sys
h=hashlib.sha256(); n=104857600; i=0
pat=bytes((k*7+3)%251 for k in range(251*256))
while i<n:
  off=i%251; blk=(pat[off:]+pat)[:min(65536,n-i)]; h.update(blk); i+=len(blk)
print(h.hexdigest())' >"$T/want.sum"
cmp -s "$T/dl.sum" "$T/want.sum" && ok download-100MiB-sha256 || notok download-100MiB-sha256 "$(cat "$T/dl.sum") vs $(cat "$T/want.sum")"
head -c 104857600 /dev/urandom >"$T/up.bin"
got=$(proxy_curl --cacert "$CA" --data-binary @"$T/up.bin" "https://localhost:$TLS_PORT/sha256" | head -1)
[ "$got" = "$(sha256sum "$T/up.bin" | cut -d' ' -f1)" ] && ok upload-100MiB-sha256 || notok upload-100MiB-sha256 "$got"
rm -f "$T/up.bin"
maxrss=0
for p in $SNARE_PID $(pgrep -P "$SNARE_PID") $(snare_children "$SNARE_PID"); do
	r=$(awk '/^VmHWM/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)
	[ "${r:-0}" -gt $maxrss ] && maxrss=$r
done
echo "# peak RSS of any snare process after 100 MiB each way: ${maxrss} KiB (ASan build)"

# WebSocket echo through the proxy.
out=$(timeout 15 python3 "$SNARE_ROOT/tests/integration/wsclient.py" --proxy 127.0.0.1:"$SNARE_PORT" \
	--url "ws://127.0.0.1:$HTTP_PORT/ws" --send hello --send world 2>&1)
echo "$out" | grep -q '^hello' && echo "$out" | grep -q '^world' && echo "$out" | grep -q 'closed 1000' &&
	ok websocket-echo || notok websocket-echo "$out"
wait_for "$SNARE_LOG" "WebSocket text message" 3 && ok websocket-messages-recorded || notok websocket-messages-recorded "no message lines"

# mitm.it serves the CA files byte for byte.
for f in pem cer p12; do
	proxy_curl -o "$T/mitm.$f" -D "$T/mitm.$f.h" "http://mitm.it/cert/$f"
done
cmp -s "$T/mitm.pem" "$SNARE_CONF/snare-ca-cert.pem" && cmp -s "$T/mitm.cer" "$SNARE_CONF/snare-ca-cert.cer" &&
	cmp -s "$T/mitm.p12" "$SNARE_CONF/snare-ca-cert.p12" && ok mitm.it-downloads-byte-equal || notok mitm.it-downloads-byte-equal "differ"
grep -qi 'content-type: application/x-x509-ca-cert' "$T/mitm.pem.h" && grep -qi 'content-type: application/x-pkcs12' "$T/mitm.p12.h" &&
	grep -qi 'filename=snare-ca-cert.p12' "$T/mitm.p12.h" && ok mitm.it-content-types || notok mitm.it-content-types "$(cat "$T/mitm.p12.h")"
proxy_curl "http://mitm.it/" | grep -q "Install snare" && ok mitm.it-page || notok mitm.it-page "no page"
proxy_curl --cacert "$CA" -o "$T/mitm-tls.pem" "https://mitm.it/cert/pem"
cmp -s "$T/mitm-tls.pem" "$SNARE_CONF/snare-ca-cert.pem" && ok mitm.it-over-https || notok mitm.it-over-https "differs"
stat -c %a "$SNARE_CONF/snare-ca.pem" | grep -q '^600$' && ok ca-key-0600 || notok ca-key-0600 "$(stat -c %a "$SNARE_CONF/snare-ca.pem")"
stop_snare
[ "$SNARE_RC" -eq 0 ] && ok clean-exit || notok clean-exit "rc=$SNARE_RC"

# proxyauth: 407 without credentials, 200 with, never forwarded.
start_snare --mode regular@127.0.0.1:0 --set proxyauth=alice:secret
code=$(proxy_curl -o /dev/null -D "$T/407" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/hello")
[ "$code" = 407 ] && grep -qi 'proxy-authenticate: basic' "$T/407" && ok proxyauth-407 || notok proxyauth-407 "$code"
out=$(proxy_curl -U alice:secret "http://127.0.0.1:$HTTP_PORT/headers")
echo "$out" | grep -qi '^host:' && ! echo "$out" | grep -qi 'proxy-authorization' && ok proxyauth-200-stripped || notok proxyauth-200-stripped "$out"
code=$(proxy_curl -o /dev/null -w '%{http_code}' -U alice:wrong "http://127.0.0.1:$HTTP_PORT/hello")
[ "$code" = 407 ] && ok proxyauth-wrong-password || notok proxyauth-wrong-password "$code"
stop_snare

# proxyauth @htpasswd with bcrypt and SHA-1 entries (the file may be root's own, 0600).
python3 -c '
import crypt, hashlib, base64
print("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))
print("bob:{SHA}" + base64.b64encode(hashlib.sha1(b"pw2").digest()).decode())' 2>/dev/null >"$T/htpasswd"
chmod 600 "$T/htpasswd"
start_snare --mode regular@127.0.0.1:0 --set proxyauth="@$T/htpasswd"
codes=""
for u in alice:s3cret alice:bad bob:pw2 bob:x; do
	codes="$codes $(proxy_curl -o /dev/null -w '%{http_code}' -U "$u" "http://127.0.0.1:$HTTP_PORT/hello")"
done
[ "$codes" = " 200 407 200 407" ] && ok proxyauth-htpasswd-bcrypt-sha1 || notok proxyauth-htpasswd-bcrypt-sha1 "$codes"
stop_snare

# body_size_limit: a declared body above it gets 413 before anything is sent.
start_snare --mode regular@127.0.0.1:0 --set body_size_limit=1k
code=$(proxy_curl -o /dev/null -w '%{http_code}' --data-binary @"$T/up.txt" "http://127.0.0.1:$HTTP_PORT/echo")
[ "$code" = 413 ] && ok body-size-limit-413 || notok body-size-limit-413 "$code"
code=$(proxy_curl -o /dev/null -w '%{http_code}' --data-binary 'small' "http://127.0.0.1:$HTTP_PORT/echo")
[ "$code" = 200 ] && ok body-size-limit-small-ok || notok body-size-limit-small-ok "$code"
stop_snare

# ignore_hosts: the origin's own certificate reaches the client.
start_snare --mode regular@127.0.0.1:0 --set ignore_hosts='^localhost:'
issuer=$(echo | timeout 5 openssl s_client -proxy 127.0.0.1:"$SNARE_PORT" -connect localhost:"$TLS_PORT" \
	-servername localhost 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
echo "$issuer" | grep -q 'snare test origin' && ok ignore-hosts-passthrough || notok ignore-hosts-passthrough "$issuer"
out=$(proxy_curl --cacert "$ORIGIN_CERT" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok ignore-hosts-curl || notok ignore-hosts-curl "$out"
stop_snare

# Untrusted upstream certificate: the handshake fails and the reason is logged.
start_snare --mode regular@127.0.0.1:0
proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" -o /dev/null "https://localhost:$TLS_PORT/hello" 2>/dev/null
wait_for "$SNARE_LOG" "Certificate verify failed" 3 && ok upstream-verify-failure-logged || notok upstream-verify-failure-logged "$(tail -3 "$SNARE_LOG")"
stop_snare

# Issue 16.4: a request head of about 12 KiB written one byte per segment (TCP_NODELAY), and a
# TLS ClientHello after CONNECT written the same way, get normal answers. The worker looks at
# each new byte once instead of parsing everything received so far again on every read.
test_regular_trickled_heads() {
	start_snare --mode regular@127.0.0.1:0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" ||
		return
	out=$(python3 - "$SNARE_PORT" "$HTTP_PORT" "$TLS_PORT" "$SNARE_CONF/snare-ca-cert.pem" <<'PY'
import socket, ssl, sys

proxy, http_port, tls_port, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def trickle(s, data):
    for i in range(len(data)):
        s.sendall(data[i:i + 1])

def read_all(s):
    d = b""
    while True:
        c = s.recv(65536)
        if not c:
            return d
        d += c

s = socket.create_connection(("127.0.0.1", proxy), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
head = "GET http://127.0.0.1:%s/hello HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n" % (http_port, http_port)
head += "".join("X-Trickle-%02d: %s\r\n" % (i, "v" * 180) for i in range(64))
head += "Connection: close\r\n\r\n"
trickle(s, head.encode())
resp = read_all(s)
print("head-bytes", len(head), "status", resp.split(b"\r\n", 1)[0].decode(), "body", resp.split(b"\r\n\r\n", 1)[-1].decode().strip())

s = socket.create_connection(("127.0.0.1", proxy), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost:%s\r\n\r\n" % (tls_port, tls_port)).encode())
r = b""
while b"\r\n\r\n" not in r:
    r += s.recv(4096)
ctx = ssl.create_default_context(cafile=ca)
inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
t = ctx.wrap_bio(inc, outg, server_hostname="localhost")
first = True
while True:
    try:
        t.do_handshake()
        break
    except ssl.SSLWantReadError:
        data = outg.read()
        if first:
            trickle(s, data)  # the ClientHello, a byte per segment
            first = False
        elif data:
            s.sendall(data)
        c = s.recv(65536)
        if not c:
            raise SystemExit("closed during the handshake")
        inc.write(c)
s.sendall(outg.read())
t.write(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
s.sendall(outg.read())
resp = b""
while True:
    try:
        resp += t.read(65536)
    except ssl.SSLWantReadError:
        c = s.recv(65536)
        if not c:
            break
        inc.write(c)
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
        break
    if resp.endswith(b"hello\n"):
        break
print("tls status", resp.split(b"\r\n", 1)[0].decode(), "body", resp.split(b"\r\n\r\n", 1)[-1].decode().strip())
PY
	)
	echo "$out" | grep -qE '^head-bytes 1[0-9]{4} status HTTP/1.1 200 OK body hello$' &&
		ok regular-trickled-request-head || notok regular-trickled-request-head "$out"
	echo "$out" | grep -q '^tls status HTTP/1.1 200 OK body hello$' &&
		ok regular-trickled-client-hello || notok regular-trickled-client-hello "$out"
	stop_snare
}
test_regular_trickled_heads

# Issue 16.7: request lines and Host headers holding terminal escape sequences. Raw ESC is
# refused by the parser (400); C1 controls and invalid UTF-8 the parser lets through are shown
# as \xNN. Nothing raw reaches snare's output.
test_regular_hostile_text() {
	start_snare --mode regular@127.0.0.1:0 || return
	out=$(python3 - "$SNARE_PORT" "$HTTP_PORT" <<'PY'
import socket, sys

proxy, http_port = int(sys.argv[1]), sys.argv[2]

def ask(raw):
    s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
    s.sendall(raw)
    d = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        d += c
    return d.split(b"\r\n", 1)[0].decode("latin-1")

base = ("http://127.0.0.1:%s" % http_port).encode()
print("esc-path", ask(b"GET " + base + b"/\x1b[2J\x1b]0;x\x07 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
print("esc-host", ask(b"GET /hello HTTP/1.1\r\nHost: \x1b[31mevil\r\nConnection: close\r\n\r\n"))
print("c1-path", ask(b"GET " + base + b"/hello?\xc2\x9b31m\x9b2J HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
PY
	)
	sleep 0.3
	raw=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.count(b"\x1b"), d.count(b"\x07"), d.count(b"\x9b"))' "$SNARE_LOG")
	echo "$out" | grep -q '^esc-path HTTP/1.1 400' && echo "$out" | grep -q '^esc-host HTTP/1.1 400' &&
		echo "$out" | grep -q '^c1-path HTTP/1.1 200' &&
		ok regular-hostile-text-answers || notok regular-hostile-text-answers "$out"
	grep -qF '/hello?\xc2\x9b31m\x9b2J' "$SNARE_LOG" && [ "$raw" = "0 0 0" ] &&
		ok regular-hostile-text-escaped-in-output ||
		notok regular-hostile-text-escaped-in-output "ESC/BEL/CSI count $raw; $(grep -a 'GET' "$SNARE_LOG" | tail -2)"
	stop_snare
}
test_regular_hostile_text
