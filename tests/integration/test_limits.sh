# body_size_limit against curl and the test origin: declared and chunked
# request bodies over the limit get a 413, responses over it a 502 (declared
# length) or a reset (chunked, close-delimited: the head already went out),
# with stream_large_bodies in play too; bodies under the limit pass intact
# and snare keeps serving.  A close-delimited origin is served from here.
. "$(dirname "$0")/lib.sh"

LIMIT=65536
start_origin || { notok origin "no origin"; exit 1; }
HTTP_PORT=$ORIGIN_PORT
start_origin --tls || { notok origin-tls "no TLS origin"; exit 1; }
TLS_PORT=$ORIGIN_PORT

# GET /close/N: HTTP/1.1 200 without Content-Length, N pattern bytes, close.
CLOSE_PORT=$(free_port)
cat >"$T/close_origin.py" <<'EOF'
import socket, sys, threading
def pattern(n):
    return bytes((i * 7 + 3) % 251 for i in range(n))
def serve(c):
    with c:
        req = b""
        while b"\r\n\r\n" not in req:
            d = c.recv(4096)
            if not d:
                return
            req += d
        n = int(req.split(b" ")[1].rsplit(b"/", 1)[1])
        c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        body = pattern(n)
        try:
            for i in range(0, n, 16384):
                c.sendall(body[i:i + 16384])
        except OSError:
            pass
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("ready", flush=True)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOF
python3 -u "$T/close_origin.py" "$CLOSE_PORT" >"$T/close_origin.log" 2>&1 &
PIDS+=($!)
wait_for "$T/close_origin.log" ready 10 || { notok close-origin "did not start"; exit 1; }

pattern_sum() { python3 -c "import hashlib,sys; n=int(sys.argv[1]); print(hashlib.sha256(bytes((i*7+3)%251 for i in range(n))).hexdigest())" "$1"; }
head -c 300000 /dev/urandom >"$T/big.bin"
head -c 2000000 /dev/urandom >"$T/huge.bin"
head -c 60000 /dev/urandom >"$T/small.bin"
SMALL_SUM=$(sha256sum <"$T/small.bin" | cut -d' ' -f1)
U=http://127.0.0.1:$HTTP_PORT
UP_CHUNKED=(-H 'Transfer-Encoding: chunked')

# code_is NAME WANT CURL-ARGS...: the status code and that the page names the limit.
code_is() {
	local name=$1 want=$2 code
	shift 2
	code=$(proxy_curl -o "$T/page" -w '%{http_code}' "$@" 2>"$T/err")
	if [ "$code" = "$want" ] && grep -q "body_size_limit" "$T/page"; then ok "$name"; else
		notok "$name" "code $code $(head -c 200 "$T/page" | tr -dc "[:print:]") $(cat "$T/err")"; fi
}
# cut_short NAME URL: curl must fail (reset or truncated) with at most LIMIT bytes.
cut_short() {
	local rc n
	proxy_curl -o "$T/part" "${@:3}" "$2" 2>"$T/err"
	rc=$?
	n=$(stat -c %s "$T/part" 2>/dev/null || echo 0)
	if [ "$rc" -ne 0 ] && [ "$n" -le "$LIMIT" ]; then ok "$1"; else notok "$1" "rc $rc, $n bytes"; fi
}
# intact NAME URL WANT-SUM [CURL-ARGS...]
intact() {
	local got
	got=$(proxy_curl "${@:4}" "$2" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$3" ] && ok "$1" || notok "$1" "sha256 $got"
}
upload_ok() { # NAME CURL-ARGS...: the origin's sha256 of what arrived
	local name=$1 got
	shift
	got=$(proxy_curl "$@" "$U/sha256" | head -1)
	[ "$got" = "$SMALL_SUM" ] && ok "$name" || notok "$name" "$got"
}
hello_ok() {
	local out
	out=$(proxy_curl "$U/hello")
	[ "$out" = hello ] && ok "$1" || notok "$1" "$out"
}
# logged_once PATTERN N: the event log says it N times in all.
logged_count() { grep -c -- "$1" "$SNARE_LOG"; }

start_snare --mode regular@127.0.0.1:0 --set body_size_limit=64k \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || { notok start "snare did not start"; exit 1; }
CA=$SNARE_CONF/snare-ca-cert.pem

code_is declared-request-413 413 --data-binary @"$T/big.bin" "$U/sha256"
code_is chunked-request-413 413 "${UP_CHUNKED[@]}" --data-binary @"$T/big.bin" "$U/sha256"
# No Expect: the body is on its way when the 413 comes; it must still be read.
code_is chunked-request-413-no-expect 413 "${UP_CHUNKED[@]}" -H 'Expect:' \
	--data-binary @"$T/huge.bin" "$U/sha256"
code_is declared-request-413-no-expect 413 -H 'Expect:' --data-binary @"$T/huge.bin" "$U/sha256"
upload_ok under-limit-upload-declared --data-binary @"$T/small.bin"
upload_ok under-limit-upload-chunked "${UP_CHUNKED[@]}" --data-binary @"$T/small.bin"
intact under-limit-response-length "$U/size/60000" "$(pattern_sum 60000)"
intact under-limit-response-chunked "$U/chunked/60000" "$(pattern_sum 60000)"
intact under-limit-response-close "http://127.0.0.1:$CLOSE_PORT/close/60000" "$(pattern_sum 60000)"
intact at-limit-response-chunked "$U/chunked/$LIMIT" "$(pattern_sum $LIMIT)"
code_is response-length-502 502 "$U/size/200000"
cut_short response-chunked-cut "$U/chunked/200000"
cut_short response-close-cut "http://127.0.0.1:$CLOSE_PORT/close/200000"
code_is https-response-length-502 502 --cacert "$CA" "https://localhost:$TLS_PORT/size/200000"
cut_short https-response-chunked-cut "https://localhost:$TLS_PORT/chunked/200000" --cacert "$CA"
code_is https-chunked-request-413 413 --cacert "$CA" "${UP_CHUNKED[@]}" \
	--data-binary @"$T/big.bin" "https://localhost:$TLS_PORT/sha256"
hello_ok served-after-refusals

# A client still sending its body after the 413 is read from, not reset
# (lingering close); one that stays idle is closed after about 2 s.
cat >"$T/linger.py" <<'PYEOF'
import socket, sys, time
port, oport, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST http://127.0.0.1:%d/sha256 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n" % (oport, oport))
chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
for _ in range(6):  # 96 KiB: over the limit
    s.sendall(chunk)
resp = b""
while b"</html>" not in resp:
    d = s.recv(65536)
    if not d:
        break
    resp += d
print(resp.split(b"\r\n", 1)[0].decode(), s.getsockname()[1], flush=True)
if mode == "idle":
    time.sleep(4)
    sys.exit(0)
time.sleep(0.2)
try:
    for _ in range(16):
        s.sendall(chunk)
        time.sleep(0.01)
    s.sendall(b"0\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    print("eof" if s.recv(100) == b"" else "data")
except OSError as e:
    print("error", e.errno)
PYEOF
out=$(timeout 20 python3 "$T/linger.py" "$SNARE_PORT" "$HTTP_PORT" send | tr '\n' ' ')
case "$out" in "HTTP/1.1 413 Payload Too Large "*" eof ") ok request-413-lingers ;;
*) notok request-413-lingers "$out" ;; esac
timeout 20 python3 "$T/linger.py" "$SNARE_PORT" "$HTTP_PORT" idle >"$T/idle.out" &
p1=$!
sleep 3.5
lport=$(awk '{print $NF}' "$T/idle.out")
grep -q "127.0.0.1:$lport\] client disconnect" "$SNARE_LOG" && ok request-413-linger-bounded ||
	notok request-413-linger-bounded "$(cat "$T/idle.out")"
wait $p1

# Other connections go on while one is refused.
proxy_curl "$U/size/60000" -o "$T/par1" --limit-rate 200k &
p1=$!
proxy_curl -o /dev/null "${UP_CHUNKED[@]}" -H 'Expect:' --data-binary @"$T/huge.bin" "$U/sha256" \
	2>/dev/null &
p2=$!
proxy_curl -o /dev/null "$U/chunked/2000000" 2>/dev/null
wait $p1 $p2
[ "$(sha256sum <"$T/par1" | cut -d' ' -f1)" = "$(pattern_sum 60000)" ] &&
	ok concurrent-download-unaffected || notok concurrent-download-unaffected "differs"

sleep 0.3
nreq=$(logged_count "Request body exceeds body_size_limit")
nresp=$(logged_count "Response body exceeds body_size_limit")
[ "$nreq" = 8 ] && [ "$nresp" = 6 ] && ok each-refusal-logged-once ||
	notok each-refusal-logged-once "$nreq request, $nresp response lines"
nflow=$(grep -c "^ << Re.* body exceeds snare's body_size_limit\.$" "$SNARE_LOG")
[ "$nflow" = 14 ] && ok each-refusal-flow-error || notok each-refusal-flow-error "$nflow flows"
grep -q "answered 413, server connection closed" "$SNARE_LOG" && ok chunked-413-closes-server ||
	notok chunked-413-closes-server "no log line"
stop_snare
# No report in a log that is whole (its stop line is there).
if ! grep -q "proxy at 127.0.0.1:$SNARE_PORT stopped\." "$SNARE_LOG"; then
	notok sanitizers "the log has no stop line: $(tail -2 "$SNARE_LOG")"
elif grep -q "ERROR: AddressSanitizer\|runtime error" "$SNARE_LOG"; then
	notok sanitizers "see log"
else
	ok sanitizers
fi

# stream_large_bodies below the limit: bodies are streamed and still bounded.
start_snare --mode regular@127.0.0.1:0 --set body_size_limit=64k --set stream_large_bodies=2k ||
	{ notok start-streaming "snare did not start"; exit 1; }
code_is streaming-chunked-request-413 413 "${UP_CHUNKED[@]}" --data-binary @"$T/big.bin" "$U/sha256"
code_is streaming-response-length-502 502 "$U/size/200000"
cut_short streaming-response-chunked-cut "$U/chunked/200000"
cut_short streaming-response-close-cut "http://127.0.0.1:$CLOSE_PORT/close/200000"
upload_ok streaming-under-limit-upload "${UP_CHUNKED[@]}" --data-binary @"$T/small.bin"
intact streaming-under-limit-response "$U/chunked/60000" "$(pattern_sum 60000)"
hello_ok streaming-served-after-refusals
stop_snare

# No limit: large bodies in both directions pass.
start_snare --mode regular@127.0.0.1:0 || { notok start-nolimit "snare did not start"; exit 1; }
got=$(proxy_curl "${UP_CHUNKED[@]}" --data-binary @"$T/huge.bin" "$U/sha256" | head -1)
[ "$got" = "$(sha256sum <"$T/huge.bin" | cut -d' ' -f1)" ] && ok no-limit-upload || notok no-limit-upload "$got"
intact no-limit-response "$U/chunked/2000000" "$(pattern_sum 2000000)"
stop_snare
