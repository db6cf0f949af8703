#!/bin/bash
# Bodies in the request and response hooks on HTTP/2 streams
# (snare-scripting(7)): curl --http2 through regular mode to an h2 origin
# (nghttpd).  The request hook sees a small POST body and replaces it (the
# origin receives the new length, Content-Length fixed); the response hook
# sees a small response body and replaces it (curl gets the new body and
# Content-Length); bodies above stream_large_bodies (here 32k) stream, the
# hooks seeing content nil, and arrive whole.  Loopback only.
. "$(dirname "$0")/lib.sh"

for tool in nghttpd curl; do
	command -v "$tool" >/dev/null || { skip scripts-h2-body "$tool is not installed"; exit 0; }
done
origin_cert
mkdir -p "$T/www"
echo "small h2 body" >"$T/www/small.txt"
head -c 200000 /dev/zero | tr '\0' 'b' >"$T/www/big.txt"
start_nghttpd "$T/nghttpd-body.log" || { notok scripts-h2-body-origin "nghttpd did not start"; exit 0; }

cat >"$T/h2body.lua" <<'LUA'
function request(flow)
	local c = flow.request.content
	print("h2body rq " .. flow.request.path .. " " .. (c and ("len=" .. #c .. " " .. c:sub(1, 12)) or "nil"))
	if flow.request.path == "/small.txt" and c then
		flow.request.content = "replaced request body of 34 bytes!"
	end
end
function response(flow)
	local c = flow.response.content
	print("h2body rs " .. flow.request.path .. " " .. (c and ("len=" .. #c) or "nil"))
	if flow.request.path == "/small.txt" and c then
		flow.response.text = "rewritten: " .. c
	end
end
LUA
chmod 644 "$T/h2body.lua"
start_snare --mode regular@127.0.0.1:0 --set "ssl_verify_upstream_trusted_ca=$ORIGIN_CERT" \
	--set stream_large_bodies=32k -s "$T/h2body.lua" || { notok scripts-h2-body-start "$(cat "$SNARE_LOG")"; exit 0; }
CA=$SNARE_CONF/snare-ca-cert.pem
h2curl() { proxy_curl --cacert "$CA" --http2 "$@"; }

# ---- small bodies: seen and replaced both ways ----
out=$(h2curl -D "$T/h1.hdr" -w '\nversion=%{http_version}\n' --data-binary 'client body h2' \
	"https://localhost:$NGX/small.txt" 2>&1)
if grep -q '^version=2$' <<<"$out" && grep -qx 'rewritten: small h2 body' <<<"$out"; then
	ok scripts-h2-body-response-rewritten
else
	notok scripts-h2-body-response-rewritten "$out"
fi
grep -qi '^content-length: 25' "$T/h1.hdr" && ok scripts-h2-body-response-length ||
	notok scripts-h2-body-response-length "$(cat "$T/h1.hdr")"
wait_for "$SNARE_LOG" 'h2body rs /small.txt len=14' 5 && ok scripts-h2-body-response-seen ||
	notok scripts-h2-body-response-seen "$(grep h2body "$SNARE_LOG")"
grep -q 'h2body rq /small.txt len=14 client body' "$SNARE_LOG" && ok scripts-h2-body-request-seen ||
	notok scripts-h2-body-request-seen "$(grep h2body "$SNARE_LOG")"
# the origin got the hook's body: 34 bytes, and a Content-Length of 34
if grep -q 'content-length: 34' "$T/nghttpd-body.log" &&
	grep -q 'recv DATA frame <length=34' "$T/nghttpd-body.log"; then
	ok scripts-h2-body-request-replaced
else
	notok scripts-h2-body-request-replaced "$(grep -iE 'content-length|DATA' "$T/nghttpd-body.log" | head)"
fi

# ---- above stream_large_bodies: the hooks see nil, the bodies stream whole ----
head -c 100000 /dev/zero | tr '\0' 'a' >"$T/up.bin"
out=$(h2curl -o "$T/big.out" -w '%{http_version} %{http_code}' --data-binary @"$T/up.bin" \
	"https://localhost:$NGX/big.txt" 2>&1)
if [ "$out" = "2 200" ] && [ "$(stat -c %s "$T/big.out")" = 200000 ] &&
	wait_for "$SNARE_LOG" 'h2body rs /big.txt nil' 5 && grep -q 'h2body rq /big.txt nil' "$SNARE_LOG"; then
	ok scripts-h2-body-large-streams
else
	notok scripts-h2-body-large-streams "$out $(stat -c %s "$T/big.out"): $(grep h2body "$SNARE_LOG")"
fi
# the origin received the 100000 request bytes
n=$(grep -o 'recv DATA frame <length=[0-9]*' "$T/nghttpd-body.log" | grep -o '[0-9]*$' |
	awk '{s+=$1} END {print s}')
[ "$n" = $((100000 + 34)) ] && ok scripts-h2-body-large-request-whole ||
	notok scripts-h2-body-large-request-whole "origin got $n bytes of DATA"

# ---- a GET (no body) still works and the hooks see an empty content ----
out=$(h2curl "https://localhost:$NGX/small.txt" 2>&1)
[ "$out" = "rewritten: small h2 body" ] && ok scripts-h2-body-get || notok scripts-h2-body-get "$out"
stop_snare
