#!/bin/bash
# The HTTP hooks on HTTP/2 streams (snare-scripting(7)): curl --http2
# through regular mode to an h2 origin (nghttpd): requestheaders changes a
# request header the origin sees, response adds a response header, request
# answers a stream locally and kills another; map_local answers a stream
# from a file.  Loopback only.
. "$(dirname "$0")/lib.sh"

for tool in nghttpd curl; do
	command -v "$tool" >/dev/null || { skip scripts-h2 "$tool is not installed"; exit 0; }
done
origin_cert
mkdir -p "$T/www"
echo "h2 hooks docroot" >"$T/www/index.html"
start_nghttpd "$T/nghttpd.log" || { notok scripts-h2-origin "nghttpd did not start"; exit 0; }

cat >"$T/h2hooks.lua" <<'LUA'
function requestheaders(flow)
	flow.request.headers:set("x-h2-hooked", flow.request.http_version)
	print("h2id rq " .. flow.request.path .. " " .. flow.id)
end
function request(flow)
	if flow.request.path == "/local" then
		flow.response = snare.response(200, {["content-type"] = "text/plain"}, "local h2\n")
	elseif flow.request.path == "/kill" then
		flow:kill()
	end
end
function response(flow)
	flow.response.headers:set("X-Snare", "h2 " .. flow.response.status_code)
	print("h2id rs " .. flow.request.path .. " " .. flow.id)
end
LUA
chmod 644 "$T/h2hooks.lua"
start_snare --mode regular@127.0.0.1:0 --set "ssl_verify_upstream_trusted_ca=$ORIGIN_CERT" \
	-s "$T/h2hooks.lua" -w "$T/h2.flows" || { notok scripts-h2-start "$(cat "$SNARE_LOG")"; exit 0; }
CA=$SNARE_CONF/snare-ca-cert.pem
h2curl() { proxy_curl --cacert "$CA" --http2 "$@"; }

out=$(h2curl -D - -w 'version=%{http_version}\n' "https://localhost:$NGX/index.html" 2>&1)
if grep -q '^version=2$' <<<"$out" && grep -q '^h2 hooks docroot' <<<"$out" &&
	grep -qi '^x-snare: h2 200' <<<"$out"; then
	ok scripts-h2-response-header
else
	notok scripts-h2-response-header "$out"
fi
if wait_for "$T/nghttpd.log" "x-h2-hooked: HTTP/2.0" 5; then
	ok scripts-h2-request-header
else
	notok scripts-h2-request-header "$(grep -i 'x-h2' "$T/nghttpd.log")"
fi

out=$(h2curl -w 'version=%{http_version}\n' "https://localhost:$NGX/local" 2>&1)
if [ "$out" = "local h2
version=2" ]; then ok scripts-h2-local-answer; else notok scripts-h2-local-answer "$out"; fi
if grep -q '/local' "$T/nghttpd.log"; then
	notok scripts-h2-local-answer-not-forwarded "the origin saw /local"
else
	ok scripts-h2-local-answer-not-forwarded
fi

if h2curl -o /dev/null "https://localhost:$NGX/kill" 2>/dev/null; then
	notok scripts-h2-kill "the request succeeded"
else
	ok scripts-h2-kill
fi
out=$(h2curl "https://localhost:$NGX/index.html" 2>&1)
if [ "$out" = "h2 hooks docroot" ]; then ok scripts-h2-still-serving; else notok scripts-h2-still-serving "$out"; fi
for _ in $(seq 1 50); do [ "$(grep -c 'h2id rs /index.html' "$SNARE_LOG")" -ge 2 ] && break; sleep 0.1; done
stop_snare

# flow.id: one per stream, the same at its hooks and in the -w file
ids=$(grep -o 'h2id r[qs] /index.html [0-9a-f-]*' "$SNARE_LOG" | awk '{print $4}')
uniq_ids=$(printf '%s\n' "$ids" | sort -u)
found=0
for id in $uniq_ids; do grep -aq "$id" "$T/h2.flows" && found=$((found + 1)); done
if [ "$(printf '%s\n' "$ids" | wc -l)" = 4 ] && [ "$(printf '%s\n' "$uniq_ids" | wc -l)" = 2 ] && [ "$found" = 2 ]; then
	ok scripts-h2-flow-id
else
	notok scripts-h2-flow-id "found $found; $(grep h2id "$SNARE_LOG")"
fi

# map_local on HTTP/2 streams: the file answers the stream, the origin is not asked.
printf 'mapped over h2\n' >"$T/mapped-h2.txt"
start_snare --mode regular@127.0.0.1:0 --set "ssl_verify_upstream_trusted_ca=$ORIGIN_CERT" \
	--set "map_local=|/mapped-h2\.txt\$|$T/mapped-h2.txt" ||
	{ notok scripts-h2-map-local-start "$(cat "$SNARE_LOG")"; exit 0; }
CA=$SNARE_CONF/snare-ca-cert.pem
out=$(h2curl -w 'version=%{http_version}\n' "https://localhost:$NGX/mapped-h2.txt" 2>&1)
if [ "$out" = "mapped over h2
version=2" ] && ! grep -q '/mapped-h2.txt' "$T/nghttpd.log"; then
	ok scripts-h2-map-local
else
	notok scripts-h2-map-local "$out"
fi
stop_snare
