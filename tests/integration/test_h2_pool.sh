# The h2 upstream pool (h2_pool.c): an HTTP/2 client connection with no
# stream open gives its h2 server connection (socket, TLS and h2 session) to
# a per-worker pool, and the next stream of any client connection to that
# server takes it back.  An h2 origin (python3-h2) answers every request
# with the number of the connection it came on, so the tests see which
# server connection carried what: a second client connection reuses the
# first one's; an idle client connection releases its server side and its
# next request takes one back; a GOAWAY or a close from the origin while
# pooled drops the connection (the next request goes over a new one, no
# error); a client that goes away with a stream open resets only that
# stream; upstream_keepalive=0 pools nothing.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import h2.connection' 2>/dev/null; then
	skip h2-pool "python3-h2 missing (scripts/deps.sh test)"
	exit 0
fi
origin_cert
cat >"$T/h2_origin.py" <<'PY'
import socket, ssl, sys, threading, time
import h2.config, h2.connection, h2.events
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
ctx.set_alpn_protocols(["h2"])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
print("listening", flush=True)
def serve(c, num):
    try:
        c = ctx.wrap_socket(c, server_side=True)
    except Exception as e:
        print("tls failed", num, e, flush=True); return
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False,
                                                                header_encoding="utf-8"))
    lock = threading.Lock()
    with lock:
        conn.initiate_connection(); c.sendall(conn.data_to_send())
    def later(what, delay):
        time.sleep(delay)
        with lock:
            if what == "goaway":
                conn.close_connection(); c.sendall(conn.data_to_send())
            else:
                c.shutdown(socket.SHUT_RDWR)
        print(what, num, flush=True)
    streams = {}  # stream id -> [path, body bytes received]
    def respond(sid, path, got):
        if path == "/slow":
            time.sleep(2)
        body = ("conn %d %s%s\n" % (num, path, " %d" % got if got else "")).encode()
        with lock:
            try:
                conn.send_headers(sid, [(":status", "200"), ("content-length", str(len(body)))])
                conn.send_data(sid, body, end_stream=True)
                c.sendall(conn.data_to_send())
            except Exception as e:
                print("not answered", num, path, type(e).__name__, flush=True); return
        print("answered", num, path, flush=True)
        if path in ("/goaway-later", "/close-later"):
            threading.Thread(target=later, args=(path[1:-6], 0.5), daemon=True).start()
        if path == "/goaway-soon":
            threading.Thread(target=later, args=("goaway", 0.05), daemon=True).start()
    while True:
        try:
            data = c.recv(65536)
        except Exception:
            data = b""
        if not data:
            print("closed", num, flush=True); return
        with lock:
            try:
                evs = conn.receive_data(data); c.sendall(conn.data_to_send())
            except Exception as e:
                print("error", num, e, flush=True); return
        for ev in evs:
            if isinstance(ev, h2.events.RequestReceived):
                path = dict(ev.headers)[":path"]
                print("request", num, path, flush=True)
                streams[ev.stream_id] = [path, 0]
            elif isinstance(ev, h2.events.DataReceived):
                streams[ev.stream_id][1] += len(ev.data)
                with lock:
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    c.sendall(conn.data_to_send())
            elif isinstance(ev, h2.events.StreamEnded):
                path, got = streams.pop(ev.stream_id)
                threading.Thread(target=respond, args=(ev.stream_id, path, got),
                                 daemon=True).start()
            elif isinstance(ev, h2.events.StreamReset):
                print("reset", num, ev.stream_id, flush=True)
n = 0
while True:
    c, a = s.accept()
    n += 1
    print("accept", n, flush=True)
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
OP=$(free_port)
OL=$T/h2-origin.log
"$PY" -u "$T/h2_origin.py" "$OP" "$ORIGIN_CERT" "$T/origin.key" >"$OL" 2>&1 &
PIDS+=($!)
wait_for "$OL" listening 10 || { notok h2-pool-origin "$(cat "$OL")"; exit 1; }
accepts() { grep -c '^accept ' "$OL"; }
# kept N: until snare has put N h2 server connections into the pool
kept() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c 'HTTP/2 server connection .* kept for reuse' "$SNARE_LOG")" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# h2get PATH [CURL ARGS]: the body (or the error) of one h2 request through snare
h2get() {
	curl -sS --http2 -k --max-time 10 "https://127.0.0.1:$SNARE_PORT$1" "${@:2}" 2>&1
}

# ---- lazy: a new client connection takes the pooled server connection ----
start_snare --set workers=1 --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set connection_strategy=lazy -v || exit 1
a=$(h2get /a)
kept 1
b=$(h2get /b)
if [ "$a" = "conn 1 /a" ] && [ "$b" = "conn 1 /b" ] && [ "$(accepts)" = 1 ]; then
	ok h2-pool-second-client-reuses-server-connection
else notok h2-pool-second-client-reuses-server-connection "[$a] [$b] $(cat "$OL")"; fi
grep -q "HTTP/2 server connection to localhost:$OP taken from the pool" "$SNARE_LOG" &&
	ok h2-pool-taken-logged || notok h2-pool-taken-logged "$(grep -i pool "$SNARE_LOG")"
grep -q "GET https://localhost:$OP/b HTTP/2.0" "$SNARE_LOG" && ok h2-pool-flow-line ||
	notok h2-pool-flow-line "$(tail -5 "$SNARE_LOG")"

# dropped_while_pooled NAME WHAT N: connection N carries /WHAT-later, goes to
# the pool, then the origin sends WHAT on it (goaway: a GOAWAY; close: a close
# without one): snare drops it, and the next client gets its answer over a
# new connection, N + 1, with no error.
dropped_while_pooled() {
	local name=$1 what=$2 n=$3 k d a b
	k=$(grep -c 'HTTP/2 server connection .* kept for reuse' "$SNARE_LOG")
	d=$(grep -c 'closed, GOAWAY or an error while idle' "$SNARE_LOG")
	a=$(h2get "/$what-later")
	kept $((k + 1))
	wait_for "$OL" "^$what $n" 10
	for _ in $(seq 1 200); do
		[ "$(grep -c 'closed, GOAWAY or an error while idle' "$SNARE_LOG")" -gt "$d" ] && break
		sleep 0.05
	done
	b=$(h2get /after-$what)
	if [ "$a" = "conn $n /$what-later" ] && [ "$b" = "conn $((n + 1)) /after-$what" ]; then
		ok "$name"
	else notok "$name" "[$a] [$b] $(tail -5 "$OL") $(grep -i pool "$SNARE_LOG" | tail -3)"; fi
}
kept 2
dropped_while_pooled h2-pool-goaway-while-pooled goaway 1
dropped_while_pooled h2-pool-close-while-pooled close 2

# A client goes away with a stream open: only that stream is reset (CANCEL)
# on the server connection, which is shared (h2_shared.c) and goes on: the
# next client's request goes over the same one.
kept 6
g=$(h2get /slow --max-time 1)
wait_for "$OL" "^reset 3 " 10
h=$(h2get /h)
if [ "$h" = "conn 3 /h" ] && grep -q "^reset 3 " "$OL" && ! grep -q "^closed 3" "$OL"; then
	ok h2-pool-client-gone-with-stream-open
else notok h2-pool-client-gone-with-stream-open "[$g] [$h] $(tail -6 "$OL")"; fi
# upstream_keepalive_timeout is checked by test_upstream_pool for both pools' timer code
stop_snare

# ---- eager (the default): an idle client connection releases its server side ----
n0=$(accepts)
start_snare --set workers=1 --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	-v || exit 1
"$PY" "$SNARE_ROOT/bench/h2idle.py" 127.0.0.1 "$SNARE_PORT" /idle 1 1.5 >"$T/idle.out" 2>&1
port=$(grep -m1 -oE '127\.0\.0\.1:[0-9]+\] HTTP/2 server connection .* kept' "$SNARE_LOG" | cut -d] -f1)
first_keep=$(grep -n "\[$port\] HTTP/2 server connection .* kept" "$SNARE_LOG" | head -1 | cut -d: -f1)
take=$(grep -n "\[$port\] HTTP/2 server connection .* taken from the pool" "$SNARE_LOG" | head -1 | cut -d: -f1)
if grep -q "answered 1 1" "$T/idle.out" && [ -n "$first_keep" ] && [ -n "$take" ] &&
	[ "$first_keep" -lt "$take" ] && [ "$(accepts)" = $((n0 + 1)) ] &&
	[ "$(grep -c '^answered .* /idle' "$OL")" = 2 ]; then
	ok h2-pool-idle-client-releases-and-takes-back
else notok h2-pool-idle-client-releases-and-takes-back "$(cat "$T/idle.out") [$port $first_keep $take] $(grep -i 'HTTP/2 server' "$SNARE_LOG")"; fi
# A second client connection, still eager: the first one's server connection
# is pooled (released while idle, given back again when that client closed),
# so the accept does not connect; the ClientHello offers h2, the client gets
# it at once, and its stream goes over that same server connection.
kept 2
v=$(curl -sS --http2 -k --max-time 10 -o "$T/eager2.body" -w '%{http_version}' \
	"https://127.0.0.1:$SNARE_PORT/eager2" 2>&1)
if [ "$v" = 2 ] && [ "$(cat "$T/eager2.body")" = "conn $((n0 + 1)) /eager2" ] &&
	[ "$(accepts)" = $((n0 + 1)) ] &&
	grep -q "HTTP/2 server connection to localhost:$OP pooled: client answered at once (h2)" \
		"$SNARE_LOG" &&
	[ "$(grep -c "HTTP/2 server connection to localhost:$OP taken from the pool" "$SNARE_LOG")" = 2 ]; then
	ok h2-pool-eager-second-client-takes-pooled-h2
else notok h2-pool-eager-second-client-takes-pooled-h2 "[$v] [$(cat "$T/eager2.body")] n0=$n0 $(tail -4 "$OL") $(grep -iE 'HTTP/2 server|pool' "$SNARE_LOG")"; fi
stop_snare

# ---- a request body sent after the release waits (unconsumed) and follows ----
# 100 KiB, above the stream's 64 KiB window: it moves only as snare forwards it
cat >"$T/post_after_idle.py" <<'PY'
import socket, ssl, sys, time
import h2.config, h2.connection, h2.events
# PORT FILE PATTERN N PATH1 METHOD2 PATH2 BODYLEN: PATH1, then once FILE holds
# PATTERN N times, METHOD2 PATH2 with a body of BODYLEN bytes, on one connection
port, log, pattern, want = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
path1, method2, path2, blen = sys.argv[5], sys.argv[6], sys.argv[7], int(sys.argv[8])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
c.initiate_connection(); s.sendall(c.data_to_send())
s.settimeout(10)
def exchange(method, path, body=b""):
    sid = c.get_next_available_stream_id()
    hs = [(":method", method), (":scheme", "https"), (":authority", "localhost"), (":path", path)]
    if body:
        hs.append(("content-length", str(len(body))))
    c.send_headers(sid, hs, end_stream=not body)
    off, resp, status = 0, b"", None
    while True:
        while off < len(body):
            n = min(c.local_flow_control_window(sid), c.max_outbound_frame_size, len(body) - off)
            if n <= 0:
                break
            c.send_data(sid, body[off:off + n], end_stream=off + n == len(body)); off += n
        s.sendall(c.data_to_send())
        data = s.recv(65536)
        if not data:
            return "closed"
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived):
                resp += ev.data
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                s.sendall(c.data_to_send())
                return "%s %s" % (status, resp.decode().strip())
            elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                return "reset %r" % ev
        s.sendall(c.data_to_send())
print("first", exchange("GET", path1), flush=True)
while open(log).read().count(pattern) < want:
    time.sleep(0.05)
print("second", exchange(method2, path2, (bytes(range(256)) * (blen // 256 + 1))[:blen]), flush=True)
PY
n0=$(accepts)
start_snare --set workers=1 --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	-v || exit 1
timeout 30 "$PY" "$T/post_after_idle.py" "$SNARE_PORT" "$SNARE_LOG" "kept for reuse" 1 /first \
	POST /upload 102400 >"$T/post.out" 2>&1
if grep -q "^first 200 conn $((n0 + 1)) /first" "$T/post.out" &&
	grep -q "^second 200 conn $((n0 + 1)) /upload 102400" "$T/post.out" &&
	grep -q "taken from the pool" "$SNARE_LOG"; then
	ok h2-pool-body-after-release-follows
else notok h2-pool-body-after-release-follows "$(cat "$T/post.out") $(tail -3 "$OL")"; fi

# A server's GOAWAY on a connection in use, with no stream open: the client
# connection goes on, its next request over another server connection (a
# new one: the connection its first request went over, the one pooled when
# the client above closed, is gone).
timeout 30 "$PY" "$T/post_after_idle.py" "$SNARE_PORT" "$OL" "goaway " \
	$(($(grep -c '^goaway ' "$OL") + 1)) /goaway-soon \
	GET /after-goaway 0 >"$T/goaway.out" 2>&1
gn=$(sed -n 's|^first 200 conn \([0-9]*\) /goaway-soon$|\1|p' "$T/goaway.out")
if [ -n "$gn" ] && grep -qE "^second 200 conn [0-9]+ /after-goaway" "$T/goaway.out" &&
	! grep -q "^second 200 conn $gn " "$T/goaway.out" &&
	grep -q "HTTP/2 server connection ended; the next stream connects again" "$SNARE_LOG"; then
	ok h2-server-goaway-client-goes-on
else notok h2-server-goaway-client-goes-on "$(cat "$T/goaway.out") $(tail -4 "$OL")"; fi
stop_snare

# ---- the pooled connection is gone when the idle client comes back: it connects again ----
# (upstream_keepalive_timeout=1 closes it while the client holds still for 2.5 s;
# the new connection offers h2 again although the ClientHello is gone by then)
n0=$(accepts)
start_snare --set workers=1 --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_keepalive_timeout=1 -v || exit 1
"$PY" "$SNARE_ROOT/bench/h2idle.py" 127.0.0.1 "$SNARE_PORT" /again 1 2.5 >"$T/again.out" 2>&1
if grep -q "answered 1 1" "$T/again.out" && grep -q "upstream_keepalive_timeout" "$SNARE_LOG" &&
	grep -q "HTTP/2 server side released: connecting again" "$SNARE_LOG" &&
	[ "$(accepts)" = $((n0 + 2)) ] && grep -q "^answered $((n0 + 2)) /again" "$OL" &&
	[ "$(grep -c "GET https://localhost:$OP/again HTTP/2.0" "$SNARE_LOG")" = 2 ]; then
	ok h2-pool-timeout-then-connects-again-h2
else notok h2-pool-timeout-then-connects-again-h2 "$(cat "$T/again.out") $(tail -4 "$OL") $(grep -iE 'pool|again|GET' "$SNARE_LOG")"; fi
stop_snare

# ---- upstream_keepalive=0: nothing is pooled, every client connection its own ----
n0=$(accepts)
start_snare --set workers=1 --mode "reverse:https://localhost:$OP@127.0.0.1:0" --set ssl_insecure=true \
	--set upstream_keepalive=0 --set connection_strategy=lazy -v || exit 1
"$PY" "$SNARE_ROOT/bench/h2idle.py" 127.0.0.1 "$SNARE_PORT" /off 1 1 >"$T/idle0.out" 2>&1
a=$(h2get /off2)
if grep -q "answered 1 1" "$T/idle0.out" && [ "$a" = "conn $((n0 + 2)) /off2" ] &&
	! grep -q "HTTP/2 server connection .* kept for reuse" "$SNARE_LOG"; then
	ok h2-pool-off
else notok h2-pool-off "$(cat "$T/idle0.out") [$a] n0=$n0 $(grep -i 'HTTP/2 server' "$SNARE_LOG")"; fi
stop_snare
