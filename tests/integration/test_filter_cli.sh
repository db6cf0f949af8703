# Filter expressions on the command line and the HAR export, with real curl
# through regular mode: unfiltered, every flow is printed; with "~u /json"
# only that one is printed, written with -w and kept for hardump; -r FILE
# with a filter prints (and copies with -w) the matching flows; an invalid
# expression exits 1 with one line naming it; the HAR files pass the HAR 1.2
# schema (the npm package har-validator, tests/har/) and hold the expected
# entries, bodies decoded (gzip) or base64 (binary).
. "$(dirname "$0")/lib.sh"

VALIDATE=$SNARE_ROOT/tests/har/validate.js
port=$(free_port)
python3 -u "$SNARE_ROOT/tests/integration/filter_origin.py" --port "$port" >"$T/origin.log" 2>&1 &
PIDS+=($!)
wait_for "$T/origin.log" ready 10 || { notok origin "did not start: $(cat "$T/origin.log")"; exit 1; }
O=http://127.0.0.1:$port

# four requests, one at a time
traffic() {
	proxy_curl -o /dev/null "$O/plain" &&
		proxy_curl -o /dev/null -d 'a=1&b=x%20y' "$O/form?q=1" &&
		proxy_curl -o /dev/null "$O/binary" &&
		proxy_curl -o /dev/null --compressed "$O/json"
}
lines_with() { grep -c -- "$2" "$1"; }

# ---- unfiltered: every flow printed (and all of them written with -w)
start_snare --mode regular@127.0.0.1:0 -w "$T/all.bin" || { notok unfiltered "snare did not start"; exit 1; }
traffic || notok unfiltered-traffic "curl failed"
wait_for "$SNARE_LOG" "GET $O/json" 10
stop_snare
if [ "$(lines_with "$SNARE_LOG" "GET $O/plain")" = 1 ] && [ "$(lines_with "$SNARE_LOG" "GET $O/json")" = 1 ] &&
	grep -q "POST $O/form" "$SNARE_LOG"; then
	ok unfiltered-prints-every-flow
else
	notok unfiltered-prints-every-flow "$(cat "$SNARE_LOG")"
fi

# ---- a filter on the command line: only /json printed, written and kept for HAR
start_snare --mode regular@127.0.0.1:0 -w "$T/json.bin" --set hardump="$T/live.har" "~u" "/json" ||
	{ notok filtered "snare did not start"; exit 1; }
traffic || notok filtered-traffic "curl failed"
wait_for "$SNARE_LOG" "GET $O/json" 10
stop_snare
if grep -q "GET $O/json" "$SNARE_LOG" && ! grep -q "$O/plain\|$O/form\|$O/binary" "$SNARE_LOG"; then
	ok filter-prints-only-matching
else
	notok filter-prints-only-matching "$(cat "$SNARE_LOG")"
fi
"$SNARE_BIN" -n -r "$T/json.bin" >"$T/json-read.log" 2>&1
[ "$(grep -c "$O/" "$T/json-read.log")" = 1 ] && grep -q "GET $O/json" "$T/json-read.log" &&
	ok filter-limits-w-file || notok filter-limits-w-file "$(cat "$T/json-read.log")"

# ---- hardump alone (no flow lines, no -w) still gets the flows built
start_snare --mode regular@127.0.0.1:0 --flow-detail 0 --set hardump="$T/quiet.har" ||
	{ notok hardump-quiet "snare did not start"; exit 1; }
proxy_curl -o /dev/null --compressed "$O/json" || notok hardump-quiet-traffic "curl failed"
wait_for "$SNARE_LOG" "client disconnect" 10 # after the flow, on the same channel
stop_snare
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["log"]["entries"]; assert [x["request"]["url"] for x in e] == [sys.argv[2]], e' \
	"$T/quiet.har" "$O/json" 2>"$T/quiet.err" && ! grep -q "$O/json" "$SNARE_LOG" &&
	ok hardump-without-flow-output || notok hardump-without-flow-output "$(cat "$T/quiet.err" "$SNARE_LOG")"

# ---- -r with a filter (and -w: the matching flows are copied)
"$SNARE_BIN" -n -r "$T/all.bin" >"$T/r-all.log" 2>&1
"$SNARE_BIN" -n -r "$T/all.bin" -w "$T/post.bin" "~m POST" >"$T/r-post.log" 2>&1
rc=$?
if [ "$(grep -c "$O/" "$T/r-all.log")" = 4 ] && [ $rc = 0 ] &&
	[ "$(grep -c "$O/" "$T/r-post.log")" = 1 ] && grep -q "POST $O/form" "$T/r-post.log"; then
	ok r-with-filter
else
	notok r-with-filter "rc $rc: $(cat "$T/r-all.log" "$T/r-post.log")"
fi
"$SNARE_BIN" -n -r "$T/post.bin" >"$T/r-copy.log" 2>&1
[ "$(grep -c "$O/" "$T/r-copy.log")" = 1 ] && grep -q "POST $O/form" "$T/r-copy.log" &&
	ok r-filter-w-copies-matching || notok r-filter-w-copies-matching "$(cat "$T/r-copy.log")"
"$SNARE_BIN" -n -r "$T/all.bin" --set dumper_filter='~c 404 | ~t octet' >"$T/r-dumper.log" 2>&1
[ "$(grep -c "$O/" "$T/r-dumper.log")" = 1 ] && grep -q "GET $O/binary" "$T/r-dumper.log" &&
	ok dumper-filter-option || notok dumper-filter-option "$(cat "$T/r-dumper.log")"

# ---- invalid expressions: exit 1, one line naming the token and column
bad_filter() { # NAME WANT ARGS...
	local name=$1 want=$2 rc
	shift 2
	timeout 30 "$SNARE_BIN" -n "$@" >"$T/$name.log" 2>&1
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$T/$name.log")" = 1 ] && grep -qF -- "$want" "$T/$name.log"; then
		ok "$name"
	else
		notok "$name" "rc $rc: $(cat "$T/$name.log")"
	fi
}
bad_filter invalid-filter-exits-1 "snare: Invalid filter expression: ~nope: unknown operator at column 8" \
	"~d x & ~nope"
bad_filter invalid-filter-unclosed "(: not closed at column 1" "(~q" "|" "~s"
bad_filter invalid-filter-option "Invalid filter expression: ~c: needs a number at column 1" \
	--set save_stream_filter=~c
bad_filter invalid-filter-with-r "Invalid filter expression" -r "$T/all.bin" "~m" "("
[ -s "$T/invalid-filter-with-r.log" ] && ! grep -q "$O/" "$T/invalid-filter-with-r.log" &&
	ok invalid-filter-prints-no-flows || notok invalid-filter-prints-no-flows "$(cat "$T/invalid-filter-with-r.log")"

# ---- HAR: -r FILE --set hardump=OUT.har, and the live one written on exit
"$SNARE_BIN" -n -r "$T/all.bin" --set hardump="$T/r.har" >"$T/r-har.log" 2>&1
[ -s "$T/r.har" ] && [ -s "$T/live.har" ] && [ "$(stat -c %a "$T/r.har")" = 600 ] && ok hardump-written ||
	notok hardump-written "$(cat "$T/r-har.log"; ls -l "$T")"
if [ -f "$SNARE_ROOT/tests/har/node_modules/har-validator/package.json" ] && command -v node >/dev/null; then
	node "$VALIDATE" "$T/r.har" "$T/live.har" >"$T/validate.log" 2>&1 &&
		ok har-validator-accepts || notok har-validator-accepts "$(cat "$T/validate.log")"
	# the validator can fail: an entry without its "time" is refused
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["log"]["entries"][0]["time"]; json.dump(d, open(sys.argv[2], "w"))' \
		"$T/r.har" "$T/broken.har"
	node "$VALIDATE" "$T/broken.har" >"$T/validate-broken.log" 2>&1 &&
		notok har-validator-refuses-broken "accepted" || ok har-validator-refuses-broken
else
	skip har-validator-accepts "tests/har/node_modules missing (scripts/deps.sh test installs it)"
fi
python3 - "$T/r.har" "$T/live.har" "$O" >"$T/har-check.log" 2>&1 <<'PY' && ok har-entries || notok har-entries "$(cat "$T/har-check.log")"
import base64, json, sys
r = json.load(open(sys.argv[1]))["log"]["entries"]
live = json.load(open(sys.argv[2]))["log"]["entries"]
o = sys.argv[3]
by = {e["request"]["url"]: e for e in r}
assert sorted(by) == sorted([o + "/plain", o + "/form?q=1", o + "/binary", o + "/json"]), sorted(by)
j = by[o + "/json"]["response"]
assert j["status"] == 200 and j["content"]["mimeType"] == "application/json", j
assert json.loads(j["content"]["text"]) == {"greeting": "hello from gzip"}, j["content"]
assert "encoding" not in j["content"] and j["content"]["size"] == len(j["content"]["text"]), j
assert {"name": "sid", "value": "abc"} in j["cookies"], j["cookies"]
b = by[o + "/binary"]["response"]["content"]
assert b["encoding"] == "base64" and base64.b64decode(b["text"]) == bytes(range(256)), b
p = by[o + "/form?q=1"]["request"]
assert p["method"] == "POST" and p["queryString"] == [{"name": "q", "value": "1"}], p
assert p["postData"]["text"] == "a=1&b=x%20y", p["postData"]
assert {"name": "b", "value": "x y"} in p["postData"]["params"], p["postData"]
assert by[o + "/form?q=1"]["response"]["status"] == 201
for e in r:
    assert e["startedDateTime"].endswith("Z") and e["serverIPAddress"] == "127.0.0.1", e
    assert e["request"]["httpVersion"] == "HTTP/1.1" and e["time"] >= 0, e
assert [e["request"]["url"] for e in live] == [o + "/json"], [e["request"]["url"] for e in live]
print("har entries as expected")
PY
