# A server that closes a kept-alive connection just as the next request
# arrives (its idle timeout racing the client): the origin below answers the
# first request on each connection and closes the connection, unanswered,
# when a second one comes.  snare sends such a bodiless request once more on
# a new connection, so the client sees two 200s and the origin two
# connections; a request with a body is not sent twice (502).
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
cat >"$T/origin.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
print("listening", flush=True)
conns = 0
def serve(c):
    data = b""
    for n in range(2):
        while b"\r\n\r\n" not in data:
            d = c.recv(65536)
            if not d:
                c.close(); return
            data += d
        head, _, data = data.partition(b"\r\n\r\n")
        if n == 1:  # the second request on this connection: close, no answer
            print("closed unanswered", flush=True)
            c.close(); return
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n")
while True:
    c, _ = s.accept(); conns += 1
    print("connection", conns, flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 -u "$T/origin.py" "$PORT" >"$T/origin.log" 2>&1 &
PIDS+=($!)
wait_for "$T/origin.log" listening 10 || { notok kept-origin "$(cat "$T/origin.log")"; exit 1; }

start_snare --mode regular@127.0.0.1:0 || exit 1
# Two requests on one client connection: the second goes out on the kept
# server connection, which the origin closes unanswered.
out=$(proxy_curl -w '%{http_code}\n' "http://127.0.0.1:$PORT/a" "http://127.0.0.1:$PORT/b" 2>&1)
if [ "$(grep -c '^200$' <<<"$out")" = 2 ] && wait_for "$T/origin.log" "closed unanswered" &&
	wait_for "$T/origin.log" "connection 2"; then
	ok kept-server-closed-request-sent-again
else notok kept-server-closed-request-sent-again "$out $(cat "$T/origin.log")"; fi

# With a body the request is not repeated: the client gets 502.
out=$(proxy_curl -w '%{http_code}\n' "http://127.0.0.1:$PORT/c" \
	--next -x "http://127.0.0.1:$SNARE_PORT" -d x=1 -w '%{http_code}\n' "http://127.0.0.1:$PORT/d" 2>&1)
grep -q '^502$' <<<"$out" && ok kept-server-closed-post-not-repeated ||
	notok kept-server-closed-post-not-repeated "$out"
stop_snare
