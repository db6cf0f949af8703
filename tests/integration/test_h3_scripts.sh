#!/bin/bash
# The HTTP hooks and rewrites on HTTP/3 flows (snare-scripting(7)) through reverse:http3:// in
# front of caddy (HTTP/3 origin): a Lua script changes a request header the origin echoes into
# its body (requestheaders), the response body and a response header (response), answers one
# request locally and kills another; map_local answers a path from a file, block_list another
# with 403, modify_headers adds a response header; flow.id is the same
# at the hooks and in the -w file; a request body the request hook replaces (with quicpeer as the
# origin, which answers with the length and hash of what it got), one within the 64 KiB the hooks
# collect and one larger that streams past them unchanged (a 1 MiB response too). Clients: the ngtcp2 example client (gtlsclient), quicpeer and
# headless Chromium with QUIC forced. Loopback only; ports picked free per run.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
for tool in caddy gtlsclient; do
	command -v "$tool" >/dev/null || { skip h3s "$tool is not installed"; exit 0; }
done
[ -x "$QP" ] || { notok h3s-quicpeer-built "$QP missing"; exit 0; }

quic_test_certs DNS:quic.test,IP:127.0.0.1
CD_PORT=$(free_port)
mkdir -p "$T/www" "$T/local" "$T/dl"
echo "plain h3 file" >"$T/www/plain.txt"
head -c 1048576 /dev/urandom >"$T/www/big.bin"
printf 'mapped from a local file\n' >"$T/local/mapped.txt"
caddy_h3 "$CD_PORT" <<CADDY || { notok h3s-caddy "$(cat "$T/caddy.log")"; exit 0; }
	handle /echo {
		respond "origin saw x-h3-script={http.request.header.X-H3-Script}" 200
	}
	handle {
		root * $T/www
		file_server
	}
CADDY

cat >"$T/h3hooks.lua" <<'LUA'
function requestheaders(flow)
	flow.request.headers:set("x-h3-script", "lua " .. flow.request.http_version)
	print("h3id rq " .. flow.request.path .. " " .. flow.id)
	print("h3cc " .. flow.request.path .. " " .. flow.client_conn.id)
end
function request(flow)
	if flow.request.path == "/local" then
		flow.response = snare.response(200, {["content-type"] = "text/plain"}, "local h3 answer\n")
	elseif flow.request.path == "/kill" then
		flow:kill()
	end
end
function response(flow)
	if flow.request.path == "/echo" then
		flow.response.content = flow.response.content .. " | changed by the response hook\n"
	end
	flow.response.headers:set("x-h3-hooked", flow.response.http_version .. " " .. flow.response.status_code)
	print("h3id rs " .. flow.request.path .. " " .. flow.id)
end
LUA
chmod 644 "$T/h3hooks.lua"
start_snare --mode "reverse:http3://127.0.0.1:$CD_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -s "$T/h3hooks.lua" \
	--set "map_local=|/mapped\.txt\$|$T/local/mapped.txt" --set "block_list=|~u /blocked|403" \
	--set "modify_headers=|~s|x-h3-modified|by modify_headers" -w "$T/h3.flows" || exit 1
SCA=$SNARE_CONF/snare-ca-cert.pem
gtls() { timeout 30 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 127.0.0.1 "$SNARE_PORT" "$@"; }

# Request header (the origin echoes it) and response body, with gtlsclient.
gtls "https://quic.test/echo" >"$T/g-echo.log" 2>&1
got=$(cat "$T/dl/echo" 2>/dev/null)
[ "$got" = "origin saw x-h3-script=lua HTTP/3 | changed by the response hook" ] &&
	ok h3s-request-header-and-response-body ||
	notok h3s-request-header-and-response-body "got '$got' $(tail -3 "$T/g-echo.log") $(tail -5 "$SNARE_LOG")"

# A response header, and the body of a file untouched, with quicpeer.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/plain.txt --cafile "$SCA" 2>&1)
grep -qx "x-h3-hooked HTTP/3 200" <<<"$out" && grep -qx "plain h3 file" <<<"$out" &&
	ok h3s-response-header || notok h3s-response-header "$out"

# A local answer from the request hook: the origin never sees it.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/local --cafile "$SCA" 2>&1)
grep -qx "local h3 answer" <<<"$out" && grep -qx ":status 200" <<<"$out" &&
	ok h3s-local-answer || notok h3s-local-answer "$out"

# flow:kill() resets the stream: no response.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/kill --cafile "$SCA" 2>&1)
! grep -q ":status" <<<"$out" && ok h3s-kill || notok h3s-kill "$out"

# A response larger than the 64 KiB the response hook collects streams on after it, whole.
gtls "https://quic.test/big.bin" >"$T/g-big.log" 2>&1
cmp -s "$T/www/big.bin" "$T/dl/big.bin" && ok h3s-large-response-past-hook ||
	notok h3s-large-response-past-hook "$(ls -l "$T/dl") $(tail -3 "$T/g-big.log")"

# Two requests on one QUIC connection: two flows, one client_conn.id.
gtls "https://quic.test/cc-a.txt" "https://quic.test/cc-b.txt" >"$T/g-cc.log" 2>&1
a=$(grep -o 'h3cc /cc-a.txt [0-9a-f-]*' "$SNARE_LOG" | awk '{print $3}')
b=$(grep -o 'h3cc /cc-b.txt [0-9a-f-]*' "$SNARE_LOG" | awk '{print $3}')
c=$(grep -o 'h3cc /echo [0-9a-f-]*' "$SNARE_LOG" | awk '{print $3}')
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ] && ok h3s-client-conn-id ||
	notok h3s-client-conn-id "a=$a b=$b echo=$c"

# map_local: the file, not the origin (which has no such path).
gtls "https://quic.test/mapped.txt" >"$T/g-map.log" 2>&1
got=$(cat "$T/dl/mapped.txt" 2>/dev/null)
[ "$got" = "mapped from a local file" ] && ok h3s-map-local ||
	notok h3s-map-local "got '$got' $(tail -3 "$T/g-map.log")"

# block_list answers 403 for the origin; modify_headers sets a response header.
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/blocked --cafile "$SCA" 2>&1)
grep -qx ":status 403" <<<"$out" && ok h3s-block-list || notok h3s-block-list "$out"
out=$("$QP" get "127.0.0.1:$SNARE_PORT" https://quic.test/missing.txt --cafile "$SCA" 2>&1)
grep -qx ":status 404" <<<"$out" && grep -qx "x-h3-modified by modify_headers" <<<"$out" && ok h3s-modify-headers || notok h3s-modify-headers "$out"

# Headless Chromium with QUIC forced: the same rewritten body over h3.
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$BROWSER" ]; then
	out=$(chromium_h3 "$BROWSER" chrome-h3s "$SCA" "$SNARE_PORT" "https://quic.test:$SNARE_PORT/echo")
	grep -q "origin saw x-h3-script=lua HTTP/3 | changed by the response hook" <<<"$out" &&
		ok h3s-chromium-rewritten || notok h3s-chromium-rewritten "$out $(tail -5 "$SNARE_LOG")"
else
	skip h3s-chromium-rewritten "chromium not installed"
fi
for _ in $(seq 1 50); do grep -q 'h3id rs /plain.txt' "$SNARE_LOG" && break; sleep 0.1; done
stop_snare

out=$("$SNARE_BIN" -n -r "$T/h3.flows" 2>&1)
grep -q "GET https://127.0.0.1:$CD_PORT/echo HTTP/3" <<<"$out" && ok h3s-flows-recorded ||
	notok h3s-flows-recorded "$out"
# flow.id: one per exchange, the same at its hooks and in the -w file.
ids=$(grep -o 'h3id r[qs] /plain.txt [0-9a-f-]*' "$SNARE_LOG" | awk '{print $4}' | sort -u)
[ "$(printf '%s\n' "$ids" | grep -c .)" = 1 ] && grep -aq "$ids" "$T/h3.flows" && ok h3s-flow-id ||
	notok h3s-flow-id "$(grep h3id "$SNARE_LOG")"
grep -q "Sanitizer\|runtime error" "$SNARE_LOG" &&
	notok h3s-no-sanitizer-reports "$(grep -A5 "Sanitizer\|runtime error" "$SNARE_LOG" | head -20)" ||
	ok h3s-no-sanitizer-reports

# ---- request bodies: collected for the request hook up to 64 KiB, replaced, or streamed ----
QS_PORT=$(udp_port)
"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || { notok h3s-quicpeer-server "$(cat "$T/qs.log")"; exit 0; }
cat >"$T/h3body.lua" <<'LUA'
function request(flow)
	local c = flow.request.content
	print("h3body " .. flow.request.path .. " " .. (c and #c or "nil"))
	if flow.request.path == "/replace" then flow.request.content = "replaced by lua" end
end
LUA
chmod 644 "$T/h3body.lua"
start_snare --mode "reverse:http3://127.0.0.1:$QS_PORT@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" -s "$T/h3body.lua" || exit 1
fnv() { python3 -c 'import sys
h=0xcbf29ce484222325
for b in open(sys.argv[1],"rb").read(): h=((h^b)*0x100000001b3)&0xffffffffffffffff
print("%016x" % h)' "$1"; }
post() { # post PATH FILE
	rm -f "$T/dl/${1#/}"
	timeout 30 gtlsclient -q --exit-on-all-streams-close -m POST -d "$2" --download="$T/dl" \
		127.0.0.1 "$SNARE_PORT" "https://quic.test$1" >"$T/gpost.log" 2>&1
	cat "$T/dl/${1#/}" 2>/dev/null
}
head -c 20480 /dev/urandom >"$T/small.bin"
head -c 307200 /dev/urandom >"$T/big.bin"
printf 'replaced by lua' >"$T/replaced.txt"
got=$(post /replace "$T/small.bin")
[ "$got" = "hello from quicpeer /replace body 15 bytes fnv $(fnv "$T/replaced.txt")" ] &&
	grep -q "h3body /replace 20480" "$SNARE_LOG" && ok h3s-request-body-replaced ||
	notok h3s-request-body-replaced "got '$got' $(grep h3body "$SNARE_LOG") $(tail -3 "$T/gpost.log")"
got=$(post /small "$T/small.bin")
[ "$got" = "hello from quicpeer /small body 20480 bytes fnv $(fnv "$T/small.bin")" ] &&
	grep -q "h3body /small 20480" "$SNARE_LOG" && ok h3s-request-body-collected ||
	notok h3s-request-body-collected "got '$got' $(grep h3body "$SNARE_LOG")"
got=$(post /big "$T/big.bin")
[ "$got" = "hello from quicpeer /big body 307200 bytes fnv $(fnv "$T/big.bin")" ] &&
	grep -q "h3body /big nil" "$SNARE_LOG" && ok h3s-request-body-streamed-past-cap ||
	notok h3s-request-body-streamed-past-cap "got '$got' $(grep h3body "$SNARE_LOG")"
stop_snare
grep -q "Sanitizer\|runtime error" "$SNARE_LOG" &&
	notok h3s-body-no-sanitizer-reports "$(grep -A5 "Sanitizer\|runtime error" "$SNARE_LOG" | head -20)" ||
	ok h3s-body-no-sanitizer-reports
