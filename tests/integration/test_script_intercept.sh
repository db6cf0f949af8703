#!/bin/bash
# flow:intercept() in a script (snare-scripting(7)), HTTP/1 through regular
# mode with curl, resumed, edited and killed through snare-web's API as
# intercept-filter matches are: a GET held at its request hook (curl waits,
# the API lists it intercepted), a POST held after its body reached the
# request hook, a flow intercepted then resumed in the same hook passes, a
# response held at its response hook with its body and edited, a held
# request killed.  No intercept filter is set.  Loopback only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_hold.sh"

unset DISPLAY WAYLAND_DISPLAY # never open a browser
mkdir -p "$T/web"
echo '<!doctype html><title>snare script intercept test</title>' >"$T/web/index.html"
ln -s "$SNARE_BIN" "$T/snare-web"
cat >"$T/sicpt.lua" <<'LUA'
function request(flow)
	local p = flow.request.path
	if p:find("hold=", 1, true) then flow:intercept() end
	if p:find("undo", 1, true) then
		flow:intercept()
		flow:resume()
		print("sicpt undo intercepted=" .. tostring(flow.intercepted))
	end
end
function response(flow)
	if flow.request.path:find("rhold", 1, true) then flow:intercept() end
end
LUA
chmod 644 "$T/sicpt.lua"

start_origin || exit 1
O=http://127.0.0.1:$ORIGIN_PORT
WLOG=$T/sicpt-web.log JAR=$T/sicpt.jar PPORT=$(free_port)
"$T/snare-web" --set confdir="$T/conf" --set web_port=0 --set web_static="$T/web" \
	--set workers=1 --mode "regular@127.0.0.1:$PPORT" -s "$T/sicpt.lua" >"$WLOG" 2>&1 &
PIDS+=($!)
wait_for "$WLOG" "Web server listening at" 20 || { notok sicpt-web-start "$(cat "$WLOG")"; exit 0; }
wait_for "$WLOG" "listening at" 10
B=http://127.0.0.1:$(grep -m1 -oE 'http://[0-9.]+:[0-9]+' "$WLOG" | grep -oE '[0-9]+$')
curl -s -o /dev/null -c "$JAR" "$B/?token=$(grep -m1 -oE 'token=[0-9a-f]+' "$WLOG" | cut -d= -f2)"
CSRF=$(api /api/state | jq_ 'd["csrf"]')
pcurl() { exec curl -sS --max-time 60 -x "http://127.0.0.1:$PPORT" "$@"; }

# ---- a GET intercepted at its request hook, resumed ----
pcurl "$O/hello?hold=get" >"$T/s1.out" 2>&1 &
C1=$!
if wait_held 1; then ok sicpt-get-held; else notok sicpt-get-held "$(tail -5 "$WLOG")"; fi
kill -0 $C1 2>/dev/null && ok sicpt-get-curl-waits || notok sicpt-get-curl-waits "$(cat "$T/s1.out")"
ID=$(held_id)
api "/api/flows/$ID" | jq_ 'd["intercepted"] == "request"' | grep -q True &&
	ok sicpt-get-shown-intercepted || notok sicpt-get-shown-intercepted "$(api "/api/flows/$ID")"
res=$(change POST "/api/flows/$ID/resume")
[ "$(echo "$res" | tail -1)" = 200 ] || notok sicpt-get-resume "$res"
wait $C1
rc=$?
[ $rc = 0 ] && [ "$(cat "$T/s1.out")" = hello ] && ok sicpt-get-resumed ||
	notok sicpt-get-resumed "rc=$rc: $(cat "$T/s1.out")"
wait_held 0 || notok sicpt-get-released "held=$(held)"

# ---- a POST: held once its body reached the request hook, edited, resumed ----
pcurl -d 'script held body' "$O/echo?hold=post" >"$T/s2.out" 2>&1 &
C2=$!
if wait_held 1; then
	ID=$(held_id)
	api "/api/flows/$ID/request/content" | grep -qx 'script held body' &&
		ok sicpt-post-held-with-body || notok sicpt-post-held-with-body "$(api "/api/flows/$ID")"
	edit_resume "$ID" '{"request": {"content": "edited after intercept"}}'
	wait $C2
	[ "$(cat "$T/s2.out")" = "edited after intercept" ] && ok sicpt-post-edited ||
		notok sicpt-post-edited "$(cat "$T/s2.out")"
else
	notok sicpt-post-held-with-body "not held: $(tail -5 "$WLOG")"
fi
wait_held 0

# ---- intercepted, then resumed in the same hook: passes (after the held ones) ----
n=$(grep -c 'intercept: request held' "$WLOG")
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$PPORT" "$O/hello?undo")
[ "$n" = 2 ] && [ "$out" = hello ] && [ "$(grep -c 'intercept: request held' "$WLOG")" = 2 ] &&
	grep -q 'sicpt undo intercepted=false' "$WLOG" && ok sicpt-resume-in-hook-passes ||
	notok sicpt-resume-in-hook-passes "n=$n out=$out: $(tail -3 "$WLOG")"

# ---- a response intercepted at its response hook with its body, edited ----
pcurl -i "$O/hello?rhold" >"$T/s3.out" 2>&1 &
C3=$!
if wait_held 1; then
	ID=$(held_id)
	flow=$(api "/api/flows/$ID")
	echo "$flow" | jq_ 'd["intercepted"] == "response" and d["status"] == 200' | grep -q True &&
		api "/api/flows/$ID/response/content" | grep -qx hello &&
		ok sicpt-response-held || notok sicpt-response-held "$flow"
	kill -0 $C3 2>/dev/null && ok sicpt-response-curl-waits || notok sicpt-response-curl-waits "$(cat "$T/s3.out")"
	edit_resume "$ID" '{"response": {"status_code": 203, "content": "edited response"}}'
	wait $C3
	head -1 "$T/s3.out" | grep -q ' 203' && tail -1 "$T/s3.out" | grep -qx 'edited response' &&
		ok sicpt-response-edited || notok sicpt-response-edited "$(cat "$T/s3.out")"
else
	notok sicpt-response-held "not held: $(tail -5 "$WLOG")"
fi
wait_held 0

# ---- a held request killed: curl gets an error ----
pcurl "$O/hello?hold=kill" >"$T/s4.out" 2>&1 &
C4=$!
if wait_held 1; then
	change POST "/api/flows/$(held_id)/kill" >/dev/null
	wait $C4
	rc=$?
	[ $rc != 0 ] && ! grep -q '^hello' "$T/s4.out" && wait_held 0 && ok sicpt-kill ||
		notok sicpt-kill "rc=$rc: $(cat "$T/s4.out")"
else
	notok sicpt-kill "not held"
fi
