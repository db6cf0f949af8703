#!/bin/bash
# Replay end to end (snare-replay(7)) with curl and a local origin that logs
# every request it gets: flows recorded with -w; server_replay with the
# origin stopped answers from them (popped in file order, or reused with
# server_replay_reuse; a body sent after its head is waited for), and a
# request without a match is forwarded, killed
# or answered 404 as server_replay_extra / _kill_extra say; an HTTPS flow
# recorded over HTTP/2 (nghttpd) is answered over HTTP/1.1; client_replay
# sends the recorded requests to the origin again, printed and written as
# "[replay]" flows, also with -n (then snare exits when done); the web interface's POST
# /api/flows/ID/replay (cookie and CSRF header) does the same and the list
# marks the new flow, and so do the page's Replay and Replay selected
# buttons in headless Chromium; a missing or corrupt file is one line naming
# it, and exit 1.
. "$(dirname "$0")/lib.sh"

unset DISPLAY WAYLAND_DISPLAY # never open a browser

# A counting origin: GET /count answers "n=N" (N = its requests so far),
# POST /echo echoes the body; each request is logged as "METHOD PATH".
cat >"$T/rp_origin.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

n = 0
log = open(sys.argv[2], "a", buffering=1)

class H(BaseHTTPRequestHandler):
    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global n
        n += 1
        log.write(f"GET {self.path}\n")
        self.answer(f"n={n}".encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        log.write(f"POST {self.path}\n")
        self.answer(body)

    def log_message(self, *a):
        pass

s = HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
PY
OPORT=$(free_port)
start_rp_origin() {
	: >"$T/rp_origin.out"
	python3 -u "$T/rp_origin.py" "$OPORT" "$T/rp_requests.log" >"$T/rp_origin.out" 2>&1 &
	OPID=$!
	PIDS+=($OPID)
	wait_for "$T/rp_origin.out" ready 10 || { notok rp-origin "did not start"; exit 1; }
}
stop_rp_origin() { kill "$OPID" 2>/dev/null; wait "$OPID" 2>/dev/null; }
O=http://127.0.0.1:$OPORT

echo "not a flow file" >"$T/rp_garbage.flows"
one_line_exit1 rp-missing-server-file "server_replay: .*$T/rp_missing.flows" \
	--set server_replay="$T/rp_missing.flows" -p 0
one_line_exit1 rp-garbage-client-file "client_replay: .*$T/rp_garbage.flows" \
	--set client_replay="$T/rp_garbage.flows" -p 0
python3 "$SNARE_ROOT/tests/integration/gen_flows.py" 30000 "$T/rp_big.flows"
one_line_exit1 rp-too-many-flows "server_replay: $T/rp_big.flows: more than 5 MiB" \
	--set server_replay="$T/rp_big.flows" -p 0

# ---- record ----
start_rp_origin
start_snare --mode regular@127.0.0.1:0 --set workers=1 -w "$T/rp_rec.flows" || exit 1
a=$(proxy_curl "$O/count")
b=$(proxy_curl "$O/count")
c=$(proxy_curl -d abc "$O/echo")
proxy_curl "$O/spare" >/dev/null
stop_snare
[ "$a $b $c" = "n=1 n=2 abc" ] && [ -s "$T/rp_rec.flows" ] && ok rp-recorded ||
	notok rp-recorded "answers: $a $b $c"
stop_rp_origin

# ---- server replay, the origin stopped ----
start_snare --mode regular@127.0.0.1:0 --set workers=1 --set server_replay="$T/rp_rec.flows" || exit 1
a=$(proxy_curl "$O/count")
b=$(proxy_curl "$O/count")
c=$(proxy_curl -d abc "$O/echo")
nomatch=$(proxy_curl -s -o /dev/null -w '%{http_code}' "$O/other")
[ "$a $b $c" = "n=1 n=2 abc" ] && ok rp-server-answers || notok rp-server-answers "answers: $a $b $c"
# popped: a third /count has no recorded flow left: forwarded, and the
# stopped origin makes that a 502 (server_replay_extra=forward)
third=$(proxy_curl -s -o /dev/null -w '%{http_code}' "$O/count")
[ "$nomatch" = 502 ] && [ "$third" = 502 ] && ok rp-server-pop-forward ||
	notok rp-server-pop-forward "no match: $nomatch, third /count: $third"
wait_for "$SNARE_LOG" '\[replay\] *<< 200 OK 3b' 10 && ok rp-server-terminal-marked ||
	notok rp-server-terminal-marked "$(cat "$SNARE_LOG")"
stop_snare

start_snare --mode regular@127.0.0.1:0 --set workers=1 --set server_replay="$T/rp_rec.flows" \
	--set server_replay_reuse=true || exit 1
a=$(proxy_curl "$O/count")
b=$(proxy_curl "$O/count")
c=$(proxy_curl "$O/count")
[ "$a $b $c" = "n=1 n=1 n=1" ] && ok rp-server-reuse || notok rp-server-reuse "answers: $a $b $c"
# a body sent after its head (a second write) is waited for, then matched
split=$(python3 - "$SNARE_PORT" "$OPORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(f"POST http://127.0.0.1:{sys.argv[2]}/echo HTTP/1.1\r\nHost: 127.0.0.1:{sys.argv[2]}\r\n"
          "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n"
          "Connection: close\r\n\r\n".encode())
time.sleep(0.3)  # not a timing assert: only makes the body a second write
s.sendall(b"abc")
data = b""
while chunk := s.recv(4096):
    data += chunk
print(data.split(b"\r\n", 1)[0].decode(), data.rsplit(b"\r\n\r\n", 1)[-1].decode())
PY
)
[ "$split" = "HTTP/1.1 200 OK abc" ] && ok rp-server-body-after-head || notok rp-server-body-after-head "$split"
stop_snare

start_snare --mode regular@127.0.0.1:0 --set workers=1 -S "$T/rp_rec.flows" \
	--set server_replay_extra=404 || exit 1
hit=$(proxy_curl "$O/count")
code=$(proxy_curl -s -o /dev/null -w '%{http_code}' "$O/other")
[ "$hit" = n=1 ] && [ "$code" = 404 ] && ok rp-server-extra-404 || notok rp-server-extra-404 "$hit $code"
stop_snare

start_snare --mode regular@127.0.0.1:0 --set workers=1 --set server_replay="$T/rp_rec.flows" \
	--set server_replay_kill_extra=true || exit 1
hit=$(proxy_curl "$O/count")
curl -s --max-time 10 -x "http://127.0.0.1:$SNARE_PORT" -o /dev/null "$O/other"
rc=$?
# curl 52: empty reply (the connection was closed without an answer)
[ "$hit" = n=1 ] && [ "$rc" = 52 ] && ok rp-server-kill-extra || notok rp-server-kill-extra "$hit rc=$rc"
stop_snare

# ---- HTTPS from an HTTP/2 server (nghttpd): recorded over h2, answered over
# HTTP/1.1 from the recording although the file on the server changed ----
if command -v nghttpd >/dev/null; then
	origin_cert
	mkdir -p "$T/rp_h2www"
	echo recorded >"$T/rp_h2www/index.html"
	H2PORT=$(free_port)
	nghttpd -d "$T/rp_h2www" "$H2PORT" "$T/origin.key" "$T/origin.crt" >"$T/rp_nghttpd.log" 2>&1 &
	PIDS+=($!)
	wait_port "$H2PORT"
	start_snare --mode regular@127.0.0.1:0 --set workers=1 -k -w "$T/rp_h2.flows" || exit 1
	rec=$(proxy_curl -k -w ' %{http_version}' "https://127.0.0.1:$H2PORT/index.html")
	stop_snare
	echo changed >"$T/rp_h2www/index.html"
	start_snare --mode regular@127.0.0.1:0 --set workers=1 -k -S "$T/rp_h2.flows" || exit 1
	rep=$(proxy_curl -k -w ' %{http_version}' "https://127.0.0.1:$H2PORT/index.html")
	[ "$rec" = "$(printf 'recorded\n 2')" ] && [ "$rep" = "$(printf 'recorded\n 1.1')" ] &&
		wait_for "$SNARE_LOG" '\[replay\] *<< 200 OK' 10 && ok rp-server-https-h2-recording ||
		notok rp-server-https-h2-recording "recorded: $rec, replayed: $rep"
	stop_snare
else
	skip rp-server-https-h2-recording "nghttpd is not installed"
fi

# ---- client replay ----
start_rp_origin
: >"$T/rp_requests.log"
start_snare --mode regular@127.0.0.1:0 --set workers=1 --set client_replay="$T/rp_rec.flows" \
	-w "$T/rp_client.flows" || exit 1
if wait_for "$T/rp_requests.log" "GET /spare" 15; then
	[ "$(cat "$T/rp_requests.log")" = "$(printf 'GET /count\nGET /count\nPOST /echo\nGET /spare')" ] &&
		ok rp-client-origin-sees-requests || notok rp-client-origin-sees-requests "$(cat "$T/rp_requests.log")"
else
	notok rp-client-origin-sees-requests "$(cat "$T/rp_requests.log")"
fi
wait_for "$SNARE_LOG" '^\[replay\]: GET .*/spare' 10 &&
	[ "$(grep -c '^\[replay\]: ' "$SNARE_LOG")" = 4 ] && ok rp-client-terminal-marked ||
	notok rp-client-terminal-marked "$(cat "$SNARE_LOG")"
# snare keeps serving afterwards (the origin counted 3 GETs of the replay)
[ "$(proxy_curl "$O/count")" = n=4 ] && ok rp-client-keeps-serving || notok rp-client-keeps-serving "no answer"
stop_snare
# without proxy servers (-n) a worker still sends them, and snare exits 0
# once the last is done, as mitmdump does
: >"$T/rp_requests.log"
"$SNARE_BIN" --set confdir="$T/conf-rpn" -n --set workers=1 -C "$T/rp_rec.flows" \
	>"$T/rp_n.log" 2>&1 &
NPID=$!
PIDS+=($NPID)
for _ in $(seq 1 300); do pid_alive "$NPID" || break; sleep 0.1; done
wait "$NPID"
rc=$?
[ "$rc" = 0 ] && [ "$(grep -c '^\[replay\]: ' "$T/rp_n.log")" = 4 ] &&
	grep -q "Client replay finished" "$T/rp_n.log" && ! grep -q "listening at" "$T/rp_n.log" &&
	[ "$(grep -c 'GET /count' "$T/rp_requests.log")" = 2 ] && ok rp-client-without-proxy-exits ||
	notok rp-client-without-proxy-exits "rc=$rc $(cat "$T/rp_n.log")"
# more requests than are handed to the worker at once (32): all are sent,
# each once, and -n still exits when the last is done
start_snare --mode regular@127.0.0.1:0 --set workers=1 -w "$T/rp_many.flows" || exit 1
for i in $(seq 1 40); do proxy_curl -o /dev/null "$O/many/$i"; done
stop_snare
: >"$T/rp_requests.log"
timeout 60 "$SNARE_BIN" --set confdir="$T/conf-rpm" -n --set workers=1 -C "$T/rp_many.flows" \
	>"$T/rp_many.log" 2>&1
rc=$?
n=$(grep -c 'GET /many/' "$T/rp_requests.log")
u=$(grep 'GET /many/' "$T/rp_requests.log" | sort -u | wc -l)
[ "$rc" = 0 ] && [ "$n" = 40 ] && [ "$u" = 40 ] && ok rp-client-many-windowed ||
	notok rp-client-many-windowed "rc=$rc sent=$n unique=$u $(tail -3 "$T/rp_many.log")"
out=$("$SNARE_BIN" -n -r "$T/rp_client.flows" 2>&1)
[ "$(printf '%s\n' "$out" | grep -c '^\[replay\]: ')" = 4 ] && printf '%s\n' "$out" | grep -q '^127.0.0.1' &&
	ok rp-client-flow-file-marked || notok rp-client-flow-file-marked "$out"
# the filter operators ~replayq and ~replay (snare-filters(7))
q=$("$SNARE_BIN" -n -r "$T/rp_client.flows" '~replayq' 2>&1 | grep -c ': [A-Z]* http')
nq=$("$SNARE_BIN" -n -r "$T/rp_client.flows" '!~replay' 2>&1 | grep -c ': [A-Z]* http')
[ "$q" = 4 ] && [ "$nq" = 1 ] && ok rp-filter-replay || notok rp-filter-replay "~replayq: $q, !~replay: $nq"

# ---- the web interface's replay ----
mkdir -p "$T/rp_web"
ln -s "$SNARE_BIN" "$T/snare-web"
PPORT=$(free_port)
WLOG=$T/rp_web.log JAR=$T/rp_web.jar
"$T/snare-web" --set confdir="$T/conf-rpw" --set web_port=0 --set workers=1 \
	--mode "regular@127.0.0.1:$PPORT" >"$WLOG" 2>&1 &
PIDS+=($!)
wait_for "$WLOG" "Web server listening at" 20 || { notok rp-web-start "$(cat "$WLOG")"; exit 1; }
WPORT=$(grep -m1 -oE 'http://[0-9.]+:[0-9]+' "$WLOG" | grep -oE '[0-9]+$')
TOKEN=$(grep -m1 -oE 'token=[0-9a-f]+' "$WLOG" | cut -d= -f2)
B=http://127.0.0.1:$WPORT
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
curl -s -o /dev/null -c "$JAR" "$B/?token=$TOKEN"
CSRF=$(curl -s -b "$JAR" "$B/api/state" | jq_ 'd["csrf"]')
: >"$T/rp_requests.log"
curl -s --max-time 20 -x "http://127.0.0.1:$PPORT" "$O/web" >/dev/null
for _ in $(seq 1 100); do
	[ "$(curl -s -b "$JAR" "$B/api/flows" | jq_ 'd["total"]')" -ge 1 ] && break
	sleep 0.1
done
ID=$(curl -s -b "$JAR" "$B/api/flows" | jq_ 'd["flows"][0]["id"]')
nocsrf=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -X POST "$B/api/flows/$ID/replay")
unknown=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H "X-CSRF-Token: $CSRF" -X POST \
	"$B/api/flows/nope/replay")
withcsrf=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H "X-CSRF-Token: $CSRF" -X POST \
	"$B/api/flows/$ID/replay")
[ "$nocsrf" = 403 ] && [ "$unknown" = 404 ] && [ "$withcsrf" = 200 ] && ok rp-web-replay-api ||
	notok rp-web-replay-api "without CSRF: $nocsrf, unknown id: $unknown, with: $withcsrf"
wait_for "$T/rp_requests.log" "GET /web" 10 && [ "$(grep -c 'GET /web' "$T/rp_requests.log")" = 2 ] &&
	ok rp-web-origin-sees-replay || notok rp-web-origin-sees-replay "$(cat "$T/rp_requests.log")"
for _ in $(seq 1 100); do
	[ "$(curl -s -b "$JAR" "$B/api/flows" | jq_ 'd["total"]')" -ge 2 ] && break
	sleep 0.1
done
curl -s -b "$JAR" "$B/api/flows" |
	jq_ '[f["is_replay"] for f in d["flows"]] == [None, "request"] and d["flows"][1]["status"] == 200' |
	grep -q True && ok rp-web-replay-marked || notok rp-web-replay-marked "$(curl -s -b "$JAR" "$B/api/flows")"

# ---- the page's Replay buttons in headless Chromium (tests/web/replay.test.js) ----
WEBT=$SNARE_ROOT/tests/web
BROWSER=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$BROWSER" ] || ! command -v node >/dev/null || [ ! -d "$WEBT/node_modules/playwright-core" ]; then
	skip rp-web-page "chromium, node or tests/web/node_modules is missing (scripts/deps.sh test)"
	exit 0
fi
SHOTS=${SNARE_BUILD:-$SNARE_ROOT/build/check}/test-logs/web-replay
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
CHROMIUM=$BROWSER SHOTS=$SHOTS ORIGIN_LOG=$T/rp_requests.log PATH_MARK=/web WEB_URL="$B/?token=$TOKEN" \
	NODE_PATH=$WEBT/node_modules timeout 120 node "$WEBT/replay.test.js" 2>"$SHOTS/replay.test.stderr" || true
if grep -q . "$SHOTS/replay.test.stderr"; then sed 's/^/# /' "$SHOTS/replay.test.stderr" | head -20; fi
