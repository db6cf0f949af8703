# Reverse, upstream and SOCKS5 modes with real clients (curl, socat, openssl)
# against local origins; a second snare acts as the upstream proxy.
. "$(dirname "$0")/lib.sh"

start_origin || exit 1
HTTP_PORT=$ORIGIN_PORT
start_origin --tls || exit 1
TLS_PORT=$ORIGIN_PORT
ECHO_PORT=$(free_port)
socat TCP-LISTEN:"$ECHO_PORT",bind=127.0.0.1,fork,reuseaddr EXEC:cat &
PIDS+=($!)
sleep 0.3

# --- reverse ---------------------------------------------------------------
start_snare --mode "reverse:http://127.0.0.1:$HTTP_PORT@127.0.0.1:0" || exit 1
out=$(curl -sS --max-time 10 "http://127.0.0.1:$SNARE_PORT/headers")
echo "$out" | grep -qi "^host: 127.0.0.1:$HTTP_PORT" && ok reverse-http-host-rewritten || notok reverse-http-host-rewritten "$out"
grep -q "reverse proxy to http://127.0.0.1:$HTTP_PORT listening at 127.0.0.1:$SNARE_PORT." "$SNARE_LOG" &&
	ok reverse-listening-line || notok reverse-listening-line "$(head -1 "$SNARE_LOG")"
out=$(curl -sS --max-time 10 -k "https://127.0.0.1:$SNARE_PORT/hello")
[ "$out" = hello ] && ok reverse-http-client-tls-autodetected || notok reverse-http-client-tls-autodetected "$out"
stop_snare

start_snare --mode "reverse:http://127.0.0.1:$HTTP_PORT@127.0.0.1:0" --set keep_host_header=true \
	--set upstream_auth=user:pw
out=$(curl -sS --max-time 10 "http://127.0.0.1:$SNARE_PORT/headers")
echo "$out" | grep -qi "^host: 127.0.0.1:$SNARE_PORT" && ok reverse-keep-host-header || notok reverse-keep-host-header "$out"
echo "$out" | grep -qi "^authorization: Basic dXNlcjpwdw==" && ok reverse-upstream-auth || notok reverse-upstream-auth "$out"
stop_snare

start_snare --mode "reverse:https://localhost:$TLS_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT"
out=$(curl -sS --max-time 10 "http://127.0.0.1:$SNARE_PORT/hello")
[ "$out" = hello ] && ok reverse-https-plain-client || notok reverse-https-plain-client "$out"
out=$(curl -sS --max-time 10 --cacert "$SNARE_CONF/snare-ca-cert.pem" --resolve "localhost:$SNARE_PORT:127.0.0.1" \
	"https://localhost:$SNARE_PORT/headers")
echo "$out" | grep -qi "^host: localhost:$TLS_PORT" && ok reverse-https-tls-client || notok reverse-https-tls-client "$out"
stop_snare

start_snare --mode "reverse:tcp://127.0.0.1:$ECHO_PORT@127.0.0.1:0"
out=$(printf 'ping-raw-tcp\n' | timeout 5 socat -t 2 - TCP:127.0.0.1:"$SNARE_PORT")
[ "$out" = ping-raw-tcp ] && ok reverse-tcp-echo || notok reverse-tcp-echo "$out"
wait_for "$SNARE_LOG" "-> tcp ->" 3 && ok reverse-tcp-flow || notok reverse-tcp-flow "$(tail -3 "$SNARE_LOG")"
stop_snare

start_snare --mode "reverse:tls://localhost:$TLS_PORT@127.0.0.1:0" --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT"
out=$(printf 'GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | timeout 5 socat -t 3 - TCP:127.0.0.1:"$SNARE_PORT")
echo "$out" | grep -q '^hello' && ok reverse-tls-raw || notok reverse-tls-raw "$out"
stop_snare

# reverse udp://: datagrams relayed both ways, recorded as a UDP flow.
UECHO=$(free_port)
socat UDP-RECVFROM:"$UECHO",bind=127.0.0.1,fork EXEC:cat &
PIDS+=($!)
sleep 0.3
start_snare --mode "reverse:udp://127.0.0.1:$UECHO@127.0.0.1:0"
out=$(echo udp-hello | timeout 5 socat -t 2 - UDP:127.0.0.1:"$SNARE_PORT")
[ "$out" = udp-hello ] && ok reverse-udp-echo || notok reverse-udp-echo "$out"
stop_snare
grep -q -- "-> udp ->" "$SNARE_LOG" && ok reverse-udp-flow || notok reverse-udp-flow "$(tail -3 "$SNARE_LOG")"

# reverse dtls://: openssl s_server -dtls1_2 echoes through a fifo (it serves
# one session at a time, so one server per client).  A DTLS client gets
# snare's leaf; a raw UDP client is relayed over DTLS (autodetected).
dtls_echo() {
	local fifo=$T/dtls.$1.fifo
	rm -f "$fifo" && mkfifo "$fifo"
	timeout 60 openssl s_server -dtls1_2 -accept 127.0.0.1:"$1" -cert "$ORIGIN_CERT" \
		-key "$T/origin.key" -quiet <>"$fifo" >"$fifo" 2>/dev/null &
	PIDS+=($!)
}
DECHO=$(free_port)
DECHO2=$(free_port)
dtls_echo "$DECHO"
dtls_echo "$DECHO2"
sleep 0.5
start_snare --mode "reverse:dtls://127.0.0.1:$DECHO@127.0.0.1:0" --set ssl_insecure=true
out=$( (printf 'dtls-hello\n'; sleep 2) |
	timeout 4 openssl s_client -dtls1_2 -connect 127.0.0.1:"$SNARE_PORT" -quiet 2>/dev/null)
[ "$out" = dtls-hello ] && ok reverse-dtls-echo || notok reverse-dtls-echo "$out"
stop_snare
grep -q -- "-> udp ->" "$SNARE_LOG" && ok reverse-dtls-flow || notok reverse-dtls-flow "$(tail -3 "$SNARE_LOG")"
start_snare --mode "reverse:dtls://127.0.0.1:$DECHO2@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT"
out=$(echo udp-over-dtls | timeout 5 socat -t 2 - UDP:127.0.0.1:"$SNARE_PORT")
[ "$out" = udp-over-dtls ] && ok reverse-dtls-raw-client || notok reverse-dtls-raw-client "$out"
stop_snare

# eager: a dead backend closes the client; lazy: a 502 page.
DEAD=$(free_port)
start_snare --mode "reverse:http://127.0.0.1:$DEAD@127.0.0.1:0"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SNARE_PORT/")
[ "$code" = 000 ] && ok reverse-eager-dead-backend-closes || notok reverse-eager-dead-backend-closes "$code"
stop_snare
start_snare --mode "reverse:http://127.0.0.1:$DEAD@127.0.0.1:0" --set connection_strategy=lazy
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SNARE_PORT/")
[ "$code" = 502 ] && ok reverse-lazy-dead-backend-502 || notok reverse-lazy-dead-backend-502 "$code"
stop_snare

# Several reverse instances at once.
start_snare --mode "reverse:http://127.0.0.1:$HTTP_PORT@127.0.0.1:0" --mode "reverse:tcp://127.0.0.1:$ECHO_PORT@127.0.0.1:0"
p2=$(grep -oE "reverse proxy to tcp://[^ ]* listening at 127.0.0.1:[0-9]+" "$SNARE_LOG" | grep -oE '[0-9]+$')
a=$(curl -sS --max-time 5 "http://127.0.0.1:$SNARE_PORT/hello")
b=$(printf 'two\n' | timeout 5 socat -t 2 - TCP:127.0.0.1:"$p2")
[ "$a" = hello ] && [ "$b" = two ] && ok reverse-two-instances || notok reverse-two-instances "$a / $b"
stop_snare

# --- upstream --------------------------------------------------------------
start_snare --mode regular@127.0.0.1:0 --set proxyauth=up:secret --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT"
UP_PORT=$SNARE_PORT UP_PID=$SNARE_PID UP_LOG=$SNARE_LOG UP_CA=$SNARE_CONF/snare-ca-cert.pem
# The upstream snare intercepts too, so this one must trust its CA.
start_snare --mode "upstream:http://127.0.0.1:$UP_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
	--set ssl_verify_upstream_trusted_ca="$UP_CA"
out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/headers")
echo "$out" | grep -qi '^host:' && ! echo "$out" | grep -qi proxy-authorization && ok upstream-plain-http || notok upstream-plain-http "$out"
grep -q "GET http://127.0.0.1:$HTTP_PORT/headers" "$UP_LOG" && ok upstream-absolute-form-at-upstream || notok upstream-absolute-form-at-upstream "$(tail -3 "$UP_LOG")"
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok upstream-https-through-connect || notok upstream-https-through-connect "$out"
stop_snare
start_snare --mode "upstream:http://127.0.0.1:$UP_PORT@127.0.0.1:0" --set upstream_auth=up:wrong
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" -o /dev/null -w '%{http_code}' "https://localhost:$TLS_PORT/hello" 2>&1)
echo "$out" | grep -q 502 && wait_for "$SNARE_LOG" "refused HTTP CONNECT request: 407" &&
	ok upstream-refusal-502-logged || notok upstream-refusal-502-logged "$out"
stop_snare
# upstream:https://: TLS to the upstream proxy (snare's own regular mode
# autodetects it), CONNECT inside that TLS, then TLS to the origin inside.
start_snare --mode "upstream:https://localhost:$UP_PORT@127.0.0.1:0" --set upstream_auth=up:secret \
	--set ssl_verify_upstream_trusted_ca="$UP_CA"
out=$(proxy_curl "http://127.0.0.1:$HTTP_PORT/hello")
[ "$out" = hello ] && ok upstream-https-proxy-plain-http || notok upstream-https-proxy-plain-http "$out"
out=$(proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok upstream-https-proxy-tls-in-tls || notok upstream-https-proxy-tls-in-tls "$out"
stop_snare
kill "$UP_PID"; wait "$UP_PID" 2>/dev/null

# --- socks5 ----------------------------------------------------------------
start_snare --mode socks5@127.0.0.1:0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" \
	--set dns_name_servers="127.0.0.1:$DEAD"
grep -q "SOCKS v5 proxy listening at 127.0.0.1:$SNARE_PORT." "$SNARE_LOG" && ok socks-listening-line || notok socks-listening-line "$(head -1 "$SNARE_LOG")"
out=$(curl -sS --max-time 10 --socks5-hostname 127.0.0.1:"$SNARE_PORT" "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks-domain-http || notok socks-domain-http "$out"
out=$(curl -sS --max-time 10 --socks5 127.0.0.1:"$SNARE_PORT" --cacert "$SNARE_CONF/snare-ca-cert.pem" "https://localhost:$TLS_PORT/hello")
[ "$out" = hello ] && ok socks-ipv4-https-intercepted || notok socks-ipv4-https-intercepted "$out"
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	E6=$(free_port)
	socat TCP6-LISTEN:"$E6",bind=[::1],fork,reuseaddr EXEC:cat &
	PIDS+=($!)
	sleep 0.3
	out=$(python3 - "$SNARE_PORT" "$E6" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x04" + socket.inet_pton(socket.AF_INET6, "::1") + struct.pack("!H", int(sys.argv[2])))
r = s.recv(22); assert r[1] == 0, r
s.sendall(b"\x00\x01ipv6-echo\n"); print(s.recv(100)[2:].decode().strip())
PY
)
	[ "$out" = ipv6-echo ] && ok socks-ipv6-address || notok socks-ipv6-address "$out"
else skip socks-ipv6-address "no IPv6 loopback"; fi
socks_reply() { # hex request after greeting -> reply code byte
	python3 - "$SNARE_PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(bytes.fromhex(sys.argv[2]))
r = s.recv(10)
print(r[1] if len(r) > 1 else "none")
PY
}
[ "$(socks_reply 050200017f0000010050)" = 7 ] && ok socks-unsupported-command-07 || notok socks-unsupported-command-07 "$(socks_reply 050200017f0000010050)"
[ "$(socks_reply 050100097f0000010050)" = 8 ] && ok socks-bad-address-type-08 || notok socks-bad-address-type-08 "$(socks_reply 050100097f0000010050)"
hex=$(printf '%04x' "$DEAD")
[ "$(socks_reply 050100017f000001$hex)" = 5 ] && ok socks-refused-05 || notok socks-refused-05 "$(socks_reply 050100017f000001$hex)"
name=$(printf 'no-such-host.invalid' | xxd -p)
[ "$(socks_reply 0501000314${name}0050)" = 4 ] && ok socks-unreachable-04 || notok socks-unreachable-04 "$(socks_reply 0501000314${name}0050)"
curl -s --max-time 5 -x http://127.0.0.1:"$SNARE_PORT" http://127.0.0.1:"$HTTP_PORT"/ >/dev/null
wait_for "$SNARE_LOG" "Probably not a SOCKS request" 3 && ok socks-http-probe-logged || notok socks-http-probe-logged "$(tail -2 "$SNARE_LOG")"
out=$(curl -sS --max-time 10 --socks5-hostname 127.0.0.1:"$SNARE_PORT" "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks-serves-after-errors || notok socks-serves-after-errors "$out"
stop_snare

# UDP ASSOCIATE (beyond mitmproxy): datagrams relayed with SOCKS headers;
# UDP flows, and DNS flows for port 53 (an echo on 127.0.0.2:53 as "server").
socat UDP-RECVFROM:53,bind=127.0.0.2,fork EXEC:cat 2>/dev/null &
PIDS+=($!)
sleep 0.3
start_snare --mode socks5@127.0.0.1:0
out=$(python3 - "$SNARE_PORT" "$UECHO" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(b"\x05\x01\x00"); assert c.recv(2) == b"\x05\x00"
c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
r = c.recv(10); assert r[1] == 0, r
relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
hdr = b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", int(sys.argv[2]))
u.sendto(hdr + b"udp-through-socks", relay)
d, _ = u.recvfrom(2048); print(d[10:].decode())
q = bytes.fromhex("abcd01000001000000000000076578616d706c6504746573740000010001")
hdr = b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.2") + struct.pack("!H", 53)
u.sendto(hdr + q, relay)
d, _ = u.recvfrom(2048); print("dns-echo" if d[10:] == q else "dns-mismatch")
c.close()
PY
)
echo "$out" | grep -q '^udp-through-socks$' && ok socks-udp-associate || notok socks-udp-associate "$out"
echo "$out" | grep -q '^dns-echo$' && ok socks-udp-dns-relayed || notok socks-udp-dns-relayed "$out"
sleep 0.3
stop_snare
grep -q -- "-> udp ->" "$SNARE_LOG" && ok socks-udp-flow || notok socks-udp-flow "$(tail -4 "$SNARE_LOG")"
grep -q "DNS QUERY (A) example.test" "$SNARE_LOG" && ok socks-udp-dns-flow || notok socks-udp-dns-flow "$(grep DNS "$SNARE_LOG")"

start_snare --mode socks5@127.0.0.1:0 --set proxyauth=sam:pw
out=$(curl -sS --max-time 10 --socks5-hostname 127.0.0.1:"$SNARE_PORT" --proxy-user sam:pw "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks-user-password || notok socks-user-password "$out"
out=$(curl -s --max-time 10 --socks5-hostname 127.0.0.1:"$SNARE_PORT" --proxy-user sam:bad "http://localhost:$HTTP_PORT/hello")
[ -z "$out" ] && ok socks-wrong-password-refused || notok socks-wrong-password-refused "$out"
stop_snare
