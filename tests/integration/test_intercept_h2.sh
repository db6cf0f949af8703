#!/bin/bash
# Intercept on HTTP/2 streams with curl --http2 through snare-web (regular
# mode) to an h2 origin (nghttpd): a request stream held (curl waits; a
# second stream on the same connection completes meanwhile), edited (an
# edit the worker refuses answers 422; a header the origin sees) and resumed; a response stream held and killed
# (curl gets an error); a client that goes away releases its held stream.
# Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hold.sh"

for tool in nghttpd curl; do
	command -v "$tool" >/dev/null || { skip icpt-h2 "$tool is not installed"; exit 0; }
done
unset DISPLAY WAYLAND_DISPLAY # never open a browser
origin_cert
mkdir -p "$T/web" "$T/www"
echo '<!doctype html><title>snare h2 intercept test</title>' >"$T/web/index.html"
echo "held h2 file" >"$T/www/hold.txt"
echo "free h2 file" >"$T/www/free.txt"
echo "response h2 file" >"$T/www/rhold.txt"
ln -s "$SNARE_BIN" "$T/snare-web"
start_nghttpd "$T/nghttpd-icpt.log" || { notok icpt-h2-origin "nghttpd did not start"; exit 0; }

cat >"$T/icpt-h2.lua" <<'LUA'
function request(flow)
	if flow.request.path == "/shold.txt" then flow:intercept() end
end
LUA
chmod 644 "$T/icpt-h2.lua"
echo "script held h2 file" >"$T/www/shold.txt"
WLOG=$T/icpt-h2-web.log JAR=$T/icpt-h2.jar PPORT=$(free_port)
"$T/snare-web" --set confdir="$T/conf" --set web_port=0 --set web_static="$T/web" \
	--set workers=1 --mode "regular@127.0.0.1:$PPORT" --set intercept='~q & ~u /hold' \
	--set "ssl_verify_upstream_trusted_ca=$ORIGIN_CERT" -s "$T/icpt-h2.lua" >"$WLOG" 2>&1 &
PIDS+=($!)
wait_for "$WLOG" "Web server listening at" 20 || { notok icpt-h2-web-start "$(cat "$WLOG")"; exit 0; }
wait_for "$WLOG" "listening at" 10
B=http://127.0.0.1:$(grep -m1 -oE 'http://[0-9.]+:[0-9]+' "$WLOG" | grep -oE '[0-9]+$')
curl -s -o /dev/null -c "$JAR" "$B/?token=$(grep -m1 -oE 'token=[0-9a-f]+' "$WLOG" | cut -d= -f2)"
CSRF=$(api /api/state | jq_ 'd["csrf"]')
for _ in $(seq 1 100); do [ -f "$T/conf/snare-ca-cert.pem" ] && break; sleep 0.05; done
h2curl() { exec curl -sS --max-time 60 --http2 -x "http://127.0.0.1:$PPORT" --cacert "$T/conf/snare-ca-cert.pem" "$@"; }

# ---- a request stream held, edited and resumed; another stream goes on ----
h2curl --parallel --parallel-immediate -w '%{http_version}\n' \
	-o "$T/hold.out" "https://localhost:$NGX/hold.txt" \
	-o "$T/free.out" "https://localhost:$NGX/free.txt" >"$T/p1.out" 2>&1 &
C1=$!
if wait_held 1; then ok icpt-h2-request-held; else notok icpt-h2-request-held "$(tail -5 "$WLOG")"; fi
if wait_for "$T/free.out" "free h2 file" 10 && kill -0 $C1 2>/dev/null; then
	ok icpt-h2-other-stream-goes-on
else
	notok icpt-h2-other-stream-goes-on "free: $(cat "$T/free.out" 2>&1); $(cat "$T/p1.out")"
fi
ID=$(held_id)
flow=$(api "/api/flows/$ID")
echo "$flow" | jq_ 'd["intercepted"] == "request" and d["request"]["http_version"] == "HTTP/2.0"' |
	grep -q True && ok icpt-h2-flow-shown || notok icpt-h2-flow-shown "$flow"
# an edit the worker refuses (a control in a value): 422, still held
res=$(change PUT "/api/flows/$ID" '{"request": {"headers": [["x-ctl", "a\u0001b"]]}}')
[ "$(echo "$res" | tail -1)" = 422 ] && [ "$(held)" = 1 ] && kill -0 $C1 2>/dev/null &&
	ok icpt-h2-refused-edit-422 || notok icpt-h2-refused-edit-422 "held=$(held): $res"
hdrs=$(echo "$flow" | jq_ 'json.dumps(d["request"]["headers"] + [["x-h2-edited", "yes"]])')
edit_resume "$ID" "{\"request\": {\"headers\": $hdrs}}"
wait $C1
rc=$?
[ $rc = 0 ] && [ "$(cat "$T/hold.out")" = "held h2 file" ] && grep -qx 2 "$T/p1.out" &&
	ok icpt-h2-resumed || notok icpt-h2-resumed "rc=$rc: $(cat "$T/hold.out" "$T/p1.out")"
grep -q 'x-h2-edited: yes' "$T/nghttpd-icpt.log" && ok icpt-h2-origin-got-edit ||
	notok icpt-h2-origin-got-edit "$(grep -i x-h2 "$T/nghttpd-icpt.log")"
wait_held 0 || notok icpt-h2-released "held=$(held)"

# ---- a POST stream held with its body (a script's flow:intercept()), the body edited ----
h2curl --data-binary 'h2 body to edit' "https://localhost:$NGX/shold.txt" >"$T/s.out" 2>&1 &
C4=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID/request/content" | grep -qx 'h2 body to edit' &&
		ok icpt-h2-script-held-with-body || notok icpt-h2-script-held-with-body "$(api "/api/flows/$ID")"
	edit_resume "$ID" '{"request": {"content": "edited h2 body, 29 bytes long"}}'
	wait $C4
	[ "$(cat "$T/s.out")" = "script held h2 file" ] && grep -q 'content-length: 29' "$T/nghttpd-icpt.log" &&
		grep -q 'recv DATA frame <length=29' "$T/nghttpd-icpt.log" && ok icpt-h2-body-edited ||
		notok icpt-h2-body-edited "$(cat "$T/s.out"): $(grep -iE 'content-length|DATA' "$T/nghttpd-icpt.log")"
else
	notok icpt-h2-script-held-with-body "not held: $(tail -5 "$WLOG")"
fi
wait_held 0

# ---- a response stream held and killed ----
change PUT /api/options '{"intercept": "~s & ~u /rhold"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~s & ~u /rhold"' 10
h2curl -o "$T/r.out" "https://localhost:$NGX/rhold.txt" >"$T/r.err" 2>&1 &
C2=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID" | jq_ 'd["intercepted"] == "response" and d["status"] == 200' |
		grep -q True && ok icpt-h2-response-held || notok icpt-h2-response-held "$(api "/api/flows/$ID")"
	change POST "/api/flows/$ID/kill" >/dev/null
	wait $C2
	rc=$?
	[ $rc != 0 ] && ! grep -q 'response h2 file' "$T/r.out" 2>/dev/null && wait_held 0 &&
		ok icpt-h2-kill || notok icpt-h2-kill "rc=$rc: $(cat "$T/r.err")"
else
	notok icpt-h2-response-held "not held: $(tail -5 "$WLOG")"
fi

# ---- the client goes away: its held stream is released ----
h2curl -o /dev/null "https://localhost:$NGX/rhold.txt" >/dev/null 2>&1 &
C3=$!
client_gone icpt-h2-client-gone $C3
# still serving
out=$(curl -sS --max-time 20 --http2 -x "http://127.0.0.1:$PPORT" --cacert "$T/conf/snare-ca-cert.pem" \
	"https://localhost:$NGX/free.txt" 2>&1)
[ "$out" = "free h2 file" ] && ok icpt-h2-still-serving || notok icpt-h2-still-serving "$out"
grep -q 'intercept: HTTP/2 request held' "$WLOG" && ! grep -q 'Sanitizer' "$WLOG" &&
	ok icpt-h2-log-clean || notok icpt-h2-log-clean "$(grep -A5 Sanitizer "$WLOG" | head -20)"
