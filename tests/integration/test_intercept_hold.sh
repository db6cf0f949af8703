#!/bin/bash
# Intercept (--set intercept=FILTER) end to end with curl through snare-web:
# a request is held (curl still waits, the API lists it as intercepted),
# edited through the API (a header added, the body changed: the origin sees
# both; an edit the worker refuses is answered 422 with its reason and
# changes nothing), resumed (curl gets the answer); the filter changed at run time with
# PUT /api/options; a response held and killed (curl gets an error); a
# client that goes away releases its held flow (held 1, then 0); resume all;
# chunked and large bodies held with the head only; HTTPS; a reload sets the
# filter again; client-replayed requests are not held; intercept_timeout resumes unchanged; HTTP/2 streams held, as with
# http2=false; a bad filter stops snare with one line naming
# the option, and the API refuses one with 400.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hold.sh"

unset DISPLAY WAYLAND_DISPLAY # never open a browser
mkdir -p "$T/web"
echo '<!doctype html><title>snare intercept test</title>' >"$T/web/index.html"
ln -s "$SNARE_BIN" "$T/snare-web"

# start_web NAME ARGS...: sets WLOG, WPID, WPORT, PPORT, B, JAR, CSRF.
start_web() {
	WLOG=$T/$1.log JAR=$T/$1.jar PPORT=$(free_port)
	shift
	"$T/snare-web" --set confdir="$T/conf" --set web_port=0 --set web_static="$T/web" \
		--set workers=1 --mode "regular@127.0.0.1:$PPORT" "$@" >"$WLOG" 2>&1 &
	WPID=$!
	PIDS+=($WPID)
	wait_for "$WLOG" "Web server listening at" 20 || { notok icpt-web-start "$(cat "$WLOG")"; exit 1; }
	WPORT=$(grep -m1 -oE 'http://[0-9.]+:[0-9]+' "$WLOG" | grep -oE '[0-9]+$')
	B=http://127.0.0.1:$WPORT
	curl -s -o /dev/null -c "$JAR" "$B/?token=$(grep -m1 -oE 'token=[0-9a-f]+' "$WLOG" | cut -d= -f2)"
	CSRF=$(api /api/state | jq_ 'd["csrf"]')
}
# pcurl ARGS...: curl through the proxy (an exec, so that $! of a
# background pcurl is curl itself).
pcurl() { exec curl -sS --max-time 60 -x "http://127.0.0.1:$PPORT" "$@"; }

start_origin || exit 1
O=http://127.0.0.1:$ORIGIN_PORT

# ---- a bad filter: one line naming the option, exit 1 ----
out=$("$SNARE_BIN" --set confdir="$T/conf" --set intercept='~q &' --mode regular@127.0.0.1:0 2>&1)
rc=$?
[ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "for intercept:" &&
	ok icpt-bad-filter-exits-1 || notok icpt-bad-filter-exits-1 "rc=$rc: $out"

# ---- without the web interface: a warning at start ----
start_snare --set intercept='~q' --mode regular@127.0.0.1:0 || exit 1
grep -q "intercept is set but the web interface is off" "$SNARE_LOG" &&
	ok icpt-no-web-warning || notok icpt-no-web-warning "$(head -3 "$SNARE_LOG")"
stop_snare

# A configuration file the spawner (no longer root) can read again on SIGHUP.
printf 'flow_detail: 1\n' >"$T/icpt.yaml"
chmod 644 "$T/icpt.yaml"
start_web main --set intercept='~q & ~u /echo' --set ssl_insecure=true --conf "$T/icpt.yaml"
wait_for "$WLOG" "listening at" 10
[ "$(api /api/state | jq_ 'd["intercept"]')" = "~q & ~u /echo" ] &&
	ok icpt-state-shows-filter || notok icpt-state-shows-filter "$(api /api/state)"

# ---- a request held, edited, resumed ----
pcurl -d 'original body' -H 'Content-Type: text/plain' "$O/echo" >"$T/c1.out" 2>&1 &
C1=$!
if wait_held 1; then ok icpt-request-held; else notok icpt-request-held "$(cat "$WLOG")"; fi
kill -0 $C1 2>/dev/null && ok icpt-curl-waits || notok icpt-curl-waits "curl ended: $(cat "$T/c1.out")"
ID=$(held_id)
flow=$(api "/api/flows/$ID")
echo "$flow" | jq_ 'd["intercepted"] == "request" and d["response"] is None and d["request"]["method"] == "POST"' |
	grep -q True && ok icpt-flow-shown-held || notok icpt-flow-shown-held "$flow"
api "/api/flows/$ID/request/content" | grep -qx 'original body' &&
	ok icpt-held-body-shown || notok icpt-held-body-shown "$(api "/api/flows/$ID/request/content")"
# Edits the ui passes but the worker refuses (its new head does not parse:
# more fields than max_headers; a value with a control): the API answers
# 422 with the worker's reason, the flow stays held as it was (the page
# is not told the bad edit is in force); a good edit after them is saved.
many=$(python3 -c 'import json; print(json.dumps([["X-N%d" % i, "v"] for i in range(150)]))')
res=$(change PUT "/api/flows/$ID" "{\"request\": {\"headers\": $many}}")
[ "$(echo "$res" | tail -1)" = 422 ] && echo "$res" | grep -q 'more header fields than max_headers' &&
	ok icpt-edit-refused-by-worker-422 || notok icpt-edit-refused-by-worker-422 "$res"
res=$(change PUT "/api/flows/$ID" '{"request": {"headers": [["X-Ctl", "a\u0001b"]]}}')
[ "$(echo "$res" | tail -1)" = 422 ] && echo "$res" | grep -q 'value holds a control' &&
	ok icpt-edit-control-refused-422 || notok icpt-edit-control-refused-422 "$res"
flow=$(api "/api/flows/$ID")
[ "$(held)" = 1 ] && kill -0 $C1 2>/dev/null &&
	echo "$flow" | jq_ 'd["intercepted"] == "request" and not any(h[0].startswith("X-N") or h[0] == "X-Ctl" for h in d["request"]["headers"])' |
	grep -q True && ok icpt-refused-edit-flow-still-held || notok icpt-refused-edit-flow-still-held "held=$(held): $flow"
api "/api/flows/$ID/request/content" | grep -qx 'original body' &&
	ok icpt-refused-edit-body-unchanged || notok icpt-refused-edit-body-unchanged "$(api "/api/flows/$ID/request/content")"
hdrs=$(echo "$flow" | jq_ 'json.dumps(d["request"]["headers"] + [["X-Intercepted", "yes"]])')
res=$(change PUT "/api/flows/$ID" "{\"request\": {\"headers\": $hdrs, \"content\": \"changed by the user\"}}")
[ "$(echo "$res" | tail -1)" = 200 ] && ok icpt-edit-accepted || notok icpt-edit-accepted "$res"
res=$(change PUT "/api/flows/$ID" '{"request": {"headers": [["Bad Name", "x"]]}}')
[ "$(echo "$res" | tail -1)" = 400 ] && ok icpt-edit-bad-header-400 || notok icpt-edit-bad-header-400 "$res"
res=$(change POST "/api/flows/$ID/resume")
[ "$(echo "$res" | tail -1)" = 200 ] && ok icpt-resume-accepted || notok icpt-resume-accepted "$res"
wait $C1
rc=$?
[ $rc = 0 ] && [ "$(cat "$T/c1.out")" = "changed by the user" ] &&
	ok icpt-origin-got-edited-body || notok icpt-origin-got-edited-body "rc=$rc: $(cat "$T/c1.out")"
wait_held 0 && ok icpt-released-after-resume || notok icpt-released-after-resume "held=$(held)"
final=$(api "/api/flows/$ID")
echo "$final" | jq_ 'd["intercepted"] is False and d["status"] == 200' | grep -q True &&
	ok icpt-final-flow-same-id || notok icpt-final-flow-same-id "$final"
res=$(change POST "/api/flows/$ID/resume")
[ "$(echo "$res" | tail -1)" = 409 ] && ok icpt-resume-not-held-409 || notok icpt-resume-not-held-409 "$res"

# ---- the filter changed at run time; a header added reaches the origin ----
res=$(change PUT /api/options '{"intercept": "~q & ~u /headers"}')
[ "$(echo "$res" | tail -1)" = 200 ] && ok icpt-options-set || notok icpt-options-set "$res"
res=$(change PUT /api/options '{"intercept": "~q &"}')
[ "$(echo "$res" | tail -1)" = 400 ] && ok icpt-options-bad-400 || notok icpt-options-bad-400 "$res"
wait_for "$WLOG" 'intercept: filter "~q & ~u /headers"' 10
pcurl "$O/headers" >"$T/c2.out" 2>&1 &
C2=$!
if wait_held 1; then ok icpt-runtime-filter-holds; else notok icpt-runtime-filter-holds "$(tail -5 "$WLOG")"; fi
ID=$(held_id)
hdrs=$(api "/api/flows/$ID" | jq_ 'json.dumps(d["request"]["headers"] + [["X-Intercepted", "yes"]])')
change PUT "/api/flows/$ID" "{\"request\": {\"headers\": $hdrs}}" >/dev/null
change POST "/api/flows/$ID/resume" >/dev/null
wait $C2
grep -qi '^X-Intercepted: yes' "$T/c2.out" && ok icpt-origin-got-added-header ||
	notok icpt-origin-got-added-header "$(cat "$T/c2.out")"

# ---- a response held and killed ----
change PUT /api/options '{"intercept": "~s & ~u /hello"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~s & ~u /hello"' 10
pcurl "$O/hello" >"$T/c3.out" 2>&1 &
C3=$!
if wait_held 1; then ok icpt-response-held; else notok icpt-response-held "$(tail -5 "$WLOG")"; fi
ID=$(held_id)
api "/api/flows/$ID" | jq_ 'd["intercepted"] == "response" and d["status"] == 200' | grep -q True &&
	ok icpt-response-shown-held || notok icpt-response-shown-held "$(api "/api/flows/$ID")"
kill -0 $C3 2>/dev/null && ok icpt-curl-waits-response || notok icpt-curl-waits-response "$(cat "$T/c3.out")"
change POST "/api/flows/$ID/kill" >/dev/null
wait $C3
rc=$?
[ $rc != 0 ] && ! grep -q '^hello' "$T/c3.out" && ok icpt-kill-curl-error ||
	notok icpt-kill-curl-error "rc=$rc: $(cat "$T/c3.out")"
wait_held 0 && ok icpt-released-after-kill || notok icpt-released-after-kill "held=$(held)"

# ---- a held response edited: status and body ----
pcurl -i "$O/hello" >"$T/c4.out" 2>&1 &
C4=$!
wait_held 1
ID=$(held_id)
change PUT "/api/flows/$ID" '{"response": {"status_code": 203, "content": "edited answer"}}' >/dev/null
change POST "/api/flows/$ID/resume" >/dev/null
wait $C4
head -1 "$T/c4.out" | grep -q ' 203' && tail -1 "$T/c4.out" | grep -qx 'edited answer' &&
	ok icpt-response-edited || notok icpt-response-edited "$(cat "$T/c4.out")"

# ---- the client goes away: its held flow is released ----
pcurl "$O/hello" >"$T/c5.out" 2>&1 &
C5=$!
client_gone icpt-client-gone-releases $C5

# ---- resume all ----
pcurl "$O/hello" >"$T/c6.out" 2>&1 &
C6=$!
pcurl "$O/hello" >"$T/c7.out" 2>&1 &
C7=$!
if wait_held 2; then
	change POST /api/flows/resume >/dev/null
	wait $C6
	wait $C7
	grep -qx hello "$T/c6.out" && grep -qx hello "$T/c7.out" && wait_held 0 &&
		ok icpt-resume-all || notok icpt-resume-all "$(cat "$T/c6.out" "$T/c7.out")"
else
	notok icpt-resume-all "two flows were not held: $(held)"
fi

# ---- off: nothing is held ----
change PUT /api/options '{"intercept": ""}' >/dev/null
wait_for "$WLOG" 'intercept: filter off' 10
[ "$(pcurl "$O/hello")" = hello ] && [ "$(held)" = 0 ] && ok icpt-off-passes || notok icpt-off-passes "held=$(held)"

# ---- bodies that are not held: the head is, the body streams after ----
change PUT /api/options '{"intercept": "~s & (~u /chunked | ~u /size/)"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~s & (~u /chunked' 10
pcurl -i "$O/chunked" >"$T/c10.out" 2>&1 &
C10=$!
if wait_held 1; then
	ID=$(held_id)
	flow=$(api "/api/flows/$ID")
	echo "$flow" | jq_ 'd["intercepted"] == "response" and d["response"]["content_streamed"]' |
		grep -q True && ok icpt-chunked-head-held || notok icpt-chunked-head-held "$flow"
	res=$(change PUT "/api/flows/$ID" '{"response": {"content": "not held"}}')
	[ "$(echo "$res" | tail -1)" = 422 ] && echo "$res" | grep -q 'streams after the resume' &&
		ok icpt-streamed-response-edit-refused || notok icpt-streamed-response-edit-refused "$res"
	hdrs=$(echo "$flow" | jq_ 'json.dumps(d["response"]["headers"] + [["X-Edited", "head only"]])')
	change PUT "/api/flows/$ID" "{\"response\": {\"headers\": $hdrs}}" >/dev/null
	change POST "/api/flows/$ID/resume" >/dev/null
	wait $C10
	grep -qi '^X-Edited: head only' "$T/c10.out" && grep -q '^gamma' "$T/c10.out" &&
		ok icpt-chunked-head-edited || notok icpt-chunked-head-edited "$(cat "$T/c10.out")"
else
	notok icpt-chunked-head-held "not held: $(tail -3 "$WLOG")"
fi
pcurl -o "$T/c11.out" "$O/size/300000" 2>"$T/c11.err" &
C11=$!
if wait_held 1; then
	change POST /api/flows/resume >/dev/null
	wait $C11
	[ "$(stat -c %s "$T/c11.out")" = 300000 ] && ok icpt-large-response-after-resume ||
		notok icpt-large-response-after-resume "$(stat -c %s "$T/c11.out") bytes: $(cat "$T/c11.err")"
else
	notok icpt-large-response-after-resume "not held"
fi
change PUT /api/options '{"intercept": "~q & ~u /echo"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~q & ~u /echo"' 10
printf 'chunked upload' >"$T/up.txt"
pcurl -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.txt" "$O/echo" >"$T/c12.out" 2>&1 &
C12=$!
if wait_held 1; then
	ID=$(held_id)
	res=$(change PUT "/api/flows/$ID" '{"request": {"content": "not held, not editable"}}')
	[ "$(echo "$res" | tail -1)" = 422 ] && echo "$res" | grep -q 'streams after the resume' &&
		ok icpt-streamed-body-edit-refused || notok icpt-streamed-body-edit-refused "$res"
	change PUT "/api/flows/$ID" '{"request": {"path": "/echo?edited=1"}}' >/dev/null
	change POST "/api/flows/$ID/resume" >/dev/null
	wait $C12
	[ "$(cat "$T/c12.out")" = "chunked upload" ] &&
		api "/api/flows/$ID" | jq_ 'd["request"]["path"]' | grep -qx '/echo?edited=1' &&
		ok icpt-chunked-request-head-edited || notok icpt-chunked-request-head-edited "$(cat "$T/c12.out")"
else
	notok icpt-chunked-request-head-edited "not held"
fi

# ---- HTTPS (a CONNECT tunnel, TLS intercepted): a held request edited ----
start_origin --tls || exit 1
TLS_PORT=$ORIGIN_PORT
curl -sS --http1.1 --max-time 60 -x "http://127.0.0.1:$PPORT" --cacert "$T/conf/snare-ca-cert.pem" \
	-d 'over tls' "https://localhost:$TLS_PORT/echo" >"$T/c9.out" 2>&1 &
C9=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID" | jq_ 'd["request"]["scheme"]' | grep -qx https &&
		ok icpt-https-held || notok icpt-https-held "$(api "/api/flows/$ID")"
	edit_resume "$ID" '{"request": {"content": "edited over tls"}}'
	wait $C9
	[ "$(cat "$T/c9.out")" = "edited over tls" ] && ok icpt-https-edited ||
		notok icpt-https-edited "$(cat "$T/c9.out")"
else
	notok icpt-https-held "not held: $(tail -3 "$WLOG")"
fi

# ---- a reload (SIGHUP) sets the filter of the command line again; the page is told ----
change PUT /api/options '{"intercept": "~s"}' >/dev/null
wait_for "$WLOG" 'intercept: filter "~s"' 10
[ "$(api /api/state | jq_ 'd["intercept"]')" = "~s" ] || notok icpt-reload-filter "not set first"
kill -HUP "$WPID"
wait_for "$WLOG" "configuration reloaded" 10
for _ in $(seq 1 200); do
	[ "$(api /api/state | jq_ 'd["intercept"]')" = "~q & ~u /echo" ] && break
	sleep 0.05
done
[ "$(api /api/state | jq_ 'd["intercept"]')" = "~q & ~u /echo" ] && ok icpt-reload-filter ||
	notok icpt-reload-filter "$(api /api/state)"

# ---- intercept_timeout resumes unchanged ----
start_web timeout --set intercept='~q' --set intercept_timeout=1
pcurl "$O/hello" >"$T/c8.out" 2>&1 &
C8=$!
wait_for "$WLOG" "intercept: request held" 10 && ok icpt-timeout-held || notok icpt-timeout-held "$(cat "$WLOG")"
wait $C8
grep -qx hello "$T/c8.out" && grep -q "resumed after intercept_timeout" "$WLOG" &&
	ok icpt-timeout-resumes || notok icpt-timeout-resumes "$(cat "$T/c8.out"; tail -5 "$WLOG")"

# ---- replayed flows are not held (client replay), others are ----
start_snare --mode regular@127.0.0.1:0 --set workers=1 -w "$T/rec.flows" || exit 1
proxy_curl "$O/hello" >/dev/null
stop_snare
start_snare --mode regular@127.0.0.1:0 --set workers=1 --set client_replay="$T/rec.flows" \
	--set intercept='~q' --set intercept_timeout=1 || exit 1
[ "$(proxy_curl "$O/hello")" = hello ] && wait_for "$SNARE_LOG" '^\[replay\]: GET' 10 &&
	[ "$(grep -c 'intercept: request held' "$SNARE_LOG")" = 1 ] && ok icpt-replay-not-held ||
	notok icpt-replay-not-held "$(grep -E 'replay|intercept' "$SNARE_LOG")"
stop_snare

# ---- HTTP/2: with http2=false the client speaks HTTP/1.1 to snare and its
# request is held; with http2 it is held as an HTTP/2 stream
# (test_intercept_h2.sh tries those further) ----
if command -v nghttpd >/dev/null; then
	mkdir -p "$T/www"
	echo hi >"$T/www/hello"
	[ -f "$T/origin.crt" ] || origin_cert
	NGX=$(free_port)
	nghttpd -d "$T/www" "$NGX" "$T/origin.key" "$T/origin.crt" >"$T/nghttpd.log" 2>&1 &
	PIDS+=($!)
	wait_port "$NGX"
	for h2 in false true; do
		start_snare --set intercept='~q' --set intercept_timeout=1 --set http2=$h2 \
			--set ssl_insecure=true --mode regular@127.0.0.1:0 || exit 1
		v=$(curl -sS --max-time 30 -x "http://127.0.0.1:$SNARE_PORT" \
			--cacert "$SNARE_CONF/snare-ca-cert.pem" -o /dev/null -w '%{http_version}' \
			"https://localhost:$NGX/hello")
		n=$(grep -c "intercept: request held" "$SNARE_LOG")
		n2=$(grep -c "intercept: HTTP/2 request held" "$SNARE_LOG")
		stop_snare
		if [ $h2 = false ]; then
			[ "$v" = 1.1 ] && [ "$n" = 1 ] && ok icpt-http2-off-held || notok icpt-http2-off-held "v=$v held=$n"
		else
			[ "$v" = 2 ] && [ "$n" = 0 ] && [ "$n2" = 1 ] && ok icpt-h2-stream-held ||
				notok icpt-h2-stream-held "v=$v held=$n h2 held=$n2"
		fi
	done
else
	skip icpt-http2-off-held "nghttpd is not installed"
fi

# ---- a request hook that waits for the body does not bypass intercept ----
# (a script with a `request` hook makes the worker wait for a Content-Length
# body before the hook; the request must still be held afterwards)
start_origin || exit 1 # plain HTTP again (the one above speaks TLS)
cat >"$T/reqhook.lua" <<'LUA'
function request(flow)
	flow.request.headers:set("x-hooked", "1")
end
LUA
start_snare -s "$T/reqhook.lua" --set intercept='~q & ~u /echo' --set intercept_timeout=1 \
	--mode regular@127.0.0.1:0 || exit 1
out=$(curl -sS --max-time 30 -x "http://127.0.0.1:$SNARE_PORT" -d 'body for the hook' \
	-H 'Content-Type: text/plain' "http://127.0.0.1:$ORIGIN_PORT/echo" 2>&1)
n=$(grep -c "intercept: request held" "$SNARE_LOG")
stop_snare
[ "$out" = "body for the hook" ] && [ "$n" = 1 ] && ok icpt-held-after-body-hook ||
	notok icpt-held-after-body-hook "held=$n out=$out"
