#!/bin/bash
# Intercept on HTTP/3 flows through snare-web in reverse:http3:// mode in front of quicpeer
# (which answers with the :authority and authorization it got, and the length and hash of a
# request body): a request held (the client waits; another request on a new connection
# completes meanwhile), edited (an edit the worker refuses answers 422; an authorization field
# the origin reports) and resumed; a POST
# held with its body by a script's flow:intercept() and its body edited (gtlsclient); a response
# held and killed (the client gets no response); a client that goes away releases its held
# flow; a request held past the QUIC idle timeout (quic_idle_timeout=5) with Chromium goes to the
# server over the same connection, which snare kept alive. Loopback only; ports picked free per
# run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hold.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
command -v gtlsclient >/dev/null || { skip icpt-h3 "ngtcp2-client is not installed"; exit 0; }
[ -x "$QP" ] || { notok icpt-h3-quicpeer-built "$QP missing"; exit 0; }
unset DISPLAY WAYLAND_DISPLAY # never open a browser
quic_test_certs DNS:quic.test,IP:127.0.0.1
QS_PORT=$(udp_port)
# --no-trailers: headless Chromium's --dump-dom does not end on an HTTP/3 page with trailers
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" --no-trailers >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok icpt-h3-origin "$(cat "$T/qs.log")"; exit 0; }

mkdir -p "$T/web" "$T/dl"
echo '<!doctype html><title>snare h3 intercept test</title>' >"$T/web/index.html"
ln -s "$SNARE_BIN" "$T/snare-web"
cat >"$T/icpt-h3.lua" <<'LUA'
function request(flow)
	if flow.request.path == "/shold" then flow:intercept() end
end
LUA
chmod 644 "$T/icpt-h3.lua"
WLOG=$T/icpt-h3-web.log JAR=$T/icpt-h3.jar PPORT=$(udp_port)
"$T/snare-web" --set confdir="$T/conf" --set web_port=0 --set web_static="$T/web" \
	--set workers=1 --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:$PPORT" \
	--set quic_idle_timeout=5 --set intercept='~q & ~u /hold' --set "ssl_verify_upstream_trusted_ca=$T/ca.pem" \
	-s "$T/icpt-h3.lua" >"$WLOG" 2>&1 &
PIDS+=($!)
web_session icpt-h3 || exit 0
SCA=$T/conf/snare-ca-cert.pem
qget() { exec timeout 60 "$QP" get "127.0.0.1:$PPORT" "https://quic.test$1" --cafile "$SCA"; }

# ---- a request held, edited and resumed; another request goes on meanwhile ----
qget /hold >"$T/hold.out" 2>&1 &
C1=$!
if wait_held 1; then ok icpt-h3-request-held; else notok icpt-h3-request-held "$(tail -5 "$WLOG")"; fi
out=$(timeout 20 "$QP" get "127.0.0.1:$PPORT" https://quic.test/free --cafile "$SCA" 2>&1)
grep -qx "hello from quicpeer /free" <<<"$out" && kill -0 $C1 2>/dev/null &&
	ok icpt-h3-other-request-goes-on || notok icpt-h3-other-request-goes-on "$out"
ID=$(held_id)
flow=$(api "/api/flows/$ID")
echo "$flow" | jq_ 'd["intercepted"] == "request" and d["request"]["http_version"] == "HTTP/3"' |
	grep -q True && ok icpt-h3-flow-shown || notok icpt-h3-flow-shown "$flow"
# an edit the worker refuses (a control in a value): 422, still held
res=$(change PUT "/api/flows/$ID" '{"request": {"headers": [["x-ctl", "a\u0001b"]]}}')
[ "$(echo "$res" | tail -1)" = 422 ] && [ "$(held)" = 1 ] && kill -0 $C1 2>/dev/null &&
	ok icpt-h3-refused-edit-422 || notok icpt-h3-refused-edit-422 "held=$(held): $res"
hdrs=$(echo "$flow" | jq_ 'json.dumps(d["request"]["headers"] + [["authorization", "Basic ZWRpdGVkOmgz"]])')
edit_resume "$ID" "{\"request\": {\"headers\": $hdrs}}"
wait $C1
rc=$?
[ $rc = 0 ] && grep -qx "hello from quicpeer /hold" "$T/hold.out" && ok icpt-h3-resumed ||
	notok icpt-h3-resumed "rc=$rc: $(cat "$T/hold.out")"
grep -qx "x-quicpeer-authorization Basic ZWRpdGVkOmgz" "$T/hold.out" && ok icpt-h3-origin-got-edit ||
	notok icpt-h3-origin-got-edit "$(cat "$T/hold.out")"
wait_held 0 || notok icpt-h3-released "held=$(held)"

# ---- a POST held with its body (a script's flow:intercept()), the body edited ----
printf 'h3 body to edit' >"$T/body.txt"
timeout 60 gtlsclient -q --exit-on-all-streams-close -m POST -d "$T/body.txt" --download="$T/dl" \
	127.0.0.1 "$PPORT" "https://quic.test/shold" >"$T/g.log" 2>&1 &
C4=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID/request/content" | grep -qx 'h3 body to edit' &&
		ok icpt-h3-script-held-with-body || notok icpt-h3-script-held-with-body "$(api "/api/flows/$ID")"
	edit_resume "$ID" '{"request": {"content": "edited h3 body, 29 bytes long"}}'
	wait $C4
	grep -q "hello from quicpeer /shold body 29 bytes" "$T/dl/shold" 2>/dev/null && ok icpt-h3-body-edited ||
		notok icpt-h3-body-edited "$(cat "$T/dl/shold" 2>&1) $(tail -3 "$T/g.log")"
else
	notok icpt-h3-script-held-with-body "not held: $(tail -5 "$WLOG")"
fi
wait_held 0

# ---- a response held and killed ----
change PUT /api/options '{"intercept": "~s & ~u /rhold"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~s & ~u /rhold"' 10
qget /rhold >"$T/r.out" 2>&1 &
C2=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID" | jq_ 'd["intercepted"] == "response" and d["status"] == 200' |
		grep -q True && ok icpt-h3-response-held || notok icpt-h3-response-held "$(api "/api/flows/$ID")"
	change POST "/api/flows/$ID/kill" >/dev/null
	wait $C2
	rc=$?
	[ $rc != 0 ] && ! grep -q 'hello from quicpeer' "$T/r.out" && wait_held 0 &&
		ok icpt-h3-kill || notok icpt-h3-kill "rc=$rc: $(cat "$T/r.out")"
else
	notok icpt-h3-response-held "not held: $(tail -5 "$WLOG")"
fi

# ---- the client goes away: its held flow is released ----
qget /rhold >/dev/null 2>&1 &
C3=$!
client_gone icpt-h3-client-gone $C3
out=$(timeout 20 "$QP" get "127.0.0.1:$PPORT" https://quic.test/free --cafile "$SCA" 2>&1)
grep -qx "hello from quicpeer /free" <<<"$out" && ok icpt-h3-still-serving || notok icpt-h3-still-serving "$out"
grep -q 'intercept: HTTP/3 request held' "$WLOG" && ! grep -q 'Sanitizer\|runtime error' "$WLOG" &&
	ok icpt-h3-log-clean || notok icpt-h3-log-clean "$(grep -A5 'Sanitizer\|runtime error' "$WLOG" | head -20)"

# ---- held past the QUIC idle timeout (quic_idle_timeout=5) with Chromium as the client: snare
# keeps the server's connection alive meanwhile (and Chromium's, which pings by itself while a
# request is open); the resumed request goes over the same server connection, the page reaches
# Chromium and it ends by itself ----
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$BROWSER" ]; then
	change PUT /api/options '{"intercept": "~q & ~u /idle"}' >/dev/null
	wait_for "$WLOG" 'intercept: filter "~q & ~u /idle"' 10
	chromium_h3 "$BROWSER" chrome-idle "$SCA" "$PPORT" "https://quic.test:$PPORT/idle" >"$T/chrome-idle.out" &
	C5=$!
	wait_held 1
	CADDR=$(grep "intercept: HTTP/3 request held" "$WLOG" | tail -1 | grep -oE '\]\[[0-9.:]+\]' | tr -d '][')
	sleep 12 # the hold: more than twice the idle timeout
	if [ -n "$CADDR" ] && [ "$(held)" = 1 ] &&
		! grep -q "\[$CADDR\] reverse http3: the QUIC connection to the server ended" "$WLOG"; then
		change POST "/api/flows/$(held_id)/resume" >/dev/null
		wait $C5 # Chromium ends by itself once it has the page (chromium_h3's timeout: 90 s)
		rc=$?
		[ $rc = 0 ] && grep -q "hello from quicpeer /idle" "$T/chrome-idle.out" &&
			grep -A1 "GET https://127.0.0.1:$QS_PORT/idle HTTP/3" "$WLOG" | grep -q "<< HTTP/3 200" &&
			! grep -q "\[$CADDR\] reverse http3: a new QUIC connection to the server" "$WLOG" &&
			ok icpt-h3-held-past-idle-timeout ||
			notok icpt-h3-held-past-idle-timeout "rc=$rc: $(cat "$T/chrome-idle.out") $(tail -5 "$WLOG")"
	else
		notok icpt-h3-held-past-idle-timeout "not held, or the server's connection ended: $(tail -5 "$WLOG")"
	fi
	kill $C5 2>/dev/null
	wait $C5 2>/dev/null
else
	skip icpt-h3-held-past-idle-timeout "chromium not installed"
fi
! grep -q 'Sanitizer\|runtime error' "$WLOG" && ok icpt-h3-log-clean-at-end ||
	notok icpt-h3-log-clean-at-end "$(grep -A5 'Sanitizer\|runtime error' "$WLOG" | head -20)"
