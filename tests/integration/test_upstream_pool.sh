# The upstream pool (upstream_keepalive*): a server connection one client
# connection is done with carries the next client connection's requests.
# An origin that logs every connection it accepts and every close it sees
# counts them: two client connections one after the other, in reverse mode
# (https and http) and through the regular proxy, reach it over one
# connection; one the origin closes while pooled is not used again (no 502);
# upstream_keepalive_timeout closes an idle one; upstream_keepalive caps them.
# One worker throughout: each worker has its own pool.
. "$(dirname "$0")/lib.sh"

origin_cert
cat >"$T/pool_origin.py" <<'PY'
import socket, ssl, sys, threading, time
port, tls = int(sys.argv[1]), sys.argv[2] == "tls"
ctx = None
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
print("listening", flush=True)
def serve(c, peer):
    if ctx:
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except Exception as e:
            print("tls failed", peer, e, flush=True); return
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            try:
                d = c.recv(65536)
            except Exception:
                d = b""
            if not d:
                print("closed", peer, flush=True); c.close(); return
            data += d
        head, _, data = data.partition(b"\r\n\r\n")
        path = head.split(b" ")[1].decode()
        print("request", peer, path, flush=True)
        if path == "/slow":
            time.sleep(1.5)
        body = ("from %d\n" % peer).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        if path == "/bye":  # the origin's own idle timeout, short
            time.sleep(0.3)
            print("origin closes", peer, flush=True)
            c.close(); return
while True:
    c, a = s.accept()
    print("accept", a[1], flush=True)
    threading.Thread(target=serve, args=(c, a[1]), daemon=True).start()
PY
# pool_origin NAME tls|plain: starts an origin; sets OP (its port) and OL (its log)
pool_origin() {
	OP=$(free_port)
	OL=$T/pool-origin-$1.log
	python3 -u "$T/pool_origin.py" "$OP" "$2" "$ORIGIN_CERT" "$T/origin.key" >"$OL" 2>&1 &
	PIDS+=($!)
	wait_for "$OL" listening 10 || { notok "pool-origin-$1" "$(cat "$OL")"; exit 1; }
}
accepts() { grep -c '^accept ' "$OL"; }
# kept N: until snare has put N connections into the pool (a client's close
# is seen a moment after curl exits)
kept() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c 'kept for reuse' "$SNARE_LOG")" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
rev_get() { curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' "$1://127.0.0.1:$SNARE_PORT$2" "${@:3}"; }

# ---- reverse https: reuse, a close while pooled, the idle timeout ----
pool_origin rtls tls
start_snare --set workers=1 --mode "reverse:https://127.0.0.1:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_keepalive_timeout=4 -v || exit 1
a=$(rev_get https /one)
kept 1
b=$(rev_get https /two)
if [ "$a$b" = 200200 ] && [ "$(accepts)" = 1 ] && [ "$(grep -c '^request ' "$OL")" = 2 ]; then
	ok pool-reverse-https-two-clients-one-server-connection
else notok pool-reverse-https-two-clients-one-server-connection "$a $b $(cat "$OL")"; fi
grep -q "taken from the pool" "$SNARE_LOG" && ok pool-reverse-https-taken-logged ||
	notok pool-reverse-https-taken-logged "$(grep -i pool "$SNARE_LOG")"
# The flow of a request on a pooled connection names the server it went to.
grep -q "GET https://127.0.0.1:$OP/two" "$SNARE_LOG" && ok pool-reverse-https-flow-line ||
	notok pool-reverse-https-flow-line "$(tail -5 "$SNARE_LOG")"

# A client idle between two requests holds no server connection: another
# client's request goes over the one it used meanwhile, and its own second
# request still gets its answer.
cat >"$T/idle_client.py" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
def get(path):
    c.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"\n"):
        data += c.recv(4096)
    return data.split(b" ")[1].decode()
print("first", get("/idle-1"), flush=True)
while open(sys.argv[2]).read().count("kept for reuse") < int(sys.argv[3]):
    time.sleep(0.05)
print("second", get("/idle-2"), flush=True)
PY
# the idle client's second request waits until its own connection went to
# the pool (3) and came back from the other client (4)
timeout 20 python3 "$T/idle_client.py" "$SNARE_PORT" "$SNARE_LOG" 4 >"$T/idle.out" 2>&1 &
ic=$!
wait_for "$T/idle.out" "first 200" 10 && kept 3
n0=$(accepts)
b=$(rev_get https /meanwhile --http1.1) # the ALPN offer the idle client made (none: http/1.1)
wait $ic
if [ "$b" = 200 ] && grep -q "second 200" "$T/idle.out" && [ "$(accepts)" = "$n0" ]; then
	ok pool-idle-client-releases-its-server-connection
else notok pool-idle-client-releases-its-server-connection "$b $(cat "$T/idle.out") accepts $n0 -> $(accepts)"; fi

# The origin closes its connection while it waits in the pool: the next
# client still gets its answer, over a new connection.
n0=$(accepts)
kept 5
a=$(rev_get https /bye)
wait_for "$OL" "origin closes" 10
wait_for "$SNARE_LOG" "closed or spoke while idle" 10
b=$(rev_get https /after-close)
if [ "$a$b" = 200200 ] && [ "$(accepts)" = $((n0 + 1)) ]; then
	ok pool-origin-close-while-pooled-no-502
else notok pool-origin-close-while-pooled-no-502 "$a $b accepts $n0 -> $(accepts)"; fi

# upstream_keepalive_timeout (4 s here): the pooled connection is closed.
if wait_for "$SNARE_LOG" "upstream_keepalive_timeout" 15 && wait_for "$OL" "^closed " 5; then
	ok pool-idle-timeout-closes
else notok pool-idle-timeout-closes "$(grep -i pool "$SNARE_LOG" | tail -3) $(tail -3 "$OL")"; fi
stop_snare

# ---- reverse http and the regular proxy's plain HTTP ----
pool_origin plain plain
start_snare --set workers=1 --mode "reverse:http://127.0.0.1:$OP@127.0.0.1:0" -v || exit 1
a=$(rev_get http /p1)
kept 1
b=$(rev_get http /p2)
[ "$a$b" = 200200 ] && [ "$(accepts)" = 1 ] && ok pool-reverse-http-one-server-connection ||
	notok pool-reverse-http-one-server-connection "$a $b $(cat "$OL")"
stop_snare
n0=$(accepts)
start_snare --set workers=1 --mode regular@127.0.0.1:0 -v || exit 1
a=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OP/r1")
kept 1
b=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OP/r2")
[ "$a$b" = 200200 ] && [ "$(accepts)" = $((n0 + 1)) ] && ok pool-regular-plain-one-server-connection ||
	notok pool-regular-plain-one-server-connection "$a $b accepts $n0 -> $(accepts)"
# Another client address: a regular proxy's clients do not share a server
# connection (the pooled one is there, as the check above saw).
kept 2
c=$(proxy_curl --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OP/r3")
[ "$c" = 200 ] && [ "$(accepts)" = $((n0 + 2)) ] && ok pool-regular-other-client-own-connection ||
	notok pool-regular-other-client-own-connection "$c accepts $n0 -> $(accepts)"
stop_snare

# upstream_keepalive=0: no pool, a server connection per client connection.
n0=$(accepts)
start_snare --set workers=1 --mode "reverse:http://127.0.0.1:$OP@127.0.0.1:0" --set upstream_keepalive=0 || exit 1
a=$(rev_get http /n1)
wait_for "$SNARE_LOG" "client disconnect" 5
b=$(rev_get http /n2)
[ "$a$b" = 200200 ] && [ "$(accepts)" = $((n0 + 2)) ] && ok pool-off-two-server-connections ||
	notok pool-off-two-server-connections "$a $b accepts $n0 -> $(accepts)"
stop_snare

# ---- the cap: upstream_keepalive=1 keeps one of two idle connections ----
pool_origin cap tls
start_snare --set workers=1 --mode "reverse:https://127.0.0.1:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_keepalive=1 -v || exit 1
rev_get https /slow >"$T/slow1" &
s1=$!
rev_get https /slow >"$T/slow2" &
s2=$!
wait $s1 $s2
kept 2
if [ "$(cat "$T/slow1" "$T/slow2")" = 200200 ] && [ "$(accepts)" = 2 ] &&
	wait_for "$OL" "^closed " 10 && wait_for "$SNARE_LOG" "upstream_keepalive reached" 5; then
	ok pool-cap-closes-the-extra-connection
else notok pool-cap-closes-the-extra-connection "$(cat "$OL") $(grep -i pool "$SNARE_LOG")"; fi
a=$(rev_get https /after-cap)
[ "$a" = 200 ] && [ "$(accepts)" = 2 ] && [ "$(grep -c '^closed ' "$OL")" = 1 ] &&
	ok pool-cap-keeps-one || notok pool-cap-keeps-one "$a $(cat "$OL")"
stop_snare
