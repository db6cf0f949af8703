# snare-web's page in a real browser: snare in regular mode with the web
# interface on, a local origin serving a gzip'ed JSON body, curl sending
# through snare, and headless Chromium (Debian's) driven by playwright-core
# running tests/web/page.test.js (live rows, reload, sorting, filter, scrolling
# back while rows are asked for, to the end and up again,
# highlight, detail view, curl and raw export, HAR 1.2 export validated by
# har-validator, flow file export and import, the event log).  Access checks
# with curl: the right token first, then a wrong token, no cookie, a foreign
# Host and a missing CSRF token all get 403.  Then WireGuard mode's QR code
# page (tests/web/wireguard.test.js), the QR code read back by zbarimg, and
# 200,000 flows from a file scrolled, sorted and filtered (tests/web/scroll.test.js).  Screenshots and downloads go to
# build/.../test-logs/web-page/.
. "$(dirname "$0")/lib.sh"

WEBT=$SNARE_ROOT/tests/web
BROWSER=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$BROWSER" ]; then skip web-page "chromium is not installed"; exit 0; fi
if ! command -v node >/dev/null; then skip web-page "node is not installed (scripts/deps.sh test)"; exit 0; fi
if [ ! -d "$WEBT/node_modules/playwright-core" ] || [ ! -d "$WEBT/node_modules/har-validator" ]; then
	skip web-page "tests/web/node_modules is missing: run tests/web/install.sh (scripts/deps.sh test does)"
	exit 0
fi
SHOTS=${SNARE_BUILD:-$SNARE_ROOT/build/check}/test-logs/web-page
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
export CHROMIUM=$BROWSER SHOTS

# The origin: /data.json is gzip'ed JSON, /pixel.png an image, /hello and
# /headers plain text.
cat >"$T/web_origin.py" <<'EOF'
import gzip, http.server, json, struct, sys, zlib


def png(w, h):
    """A w x h red RGB PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/data.json":
            body = gzip.compress(json.dumps({"snare": "web page test", "list": [1, 2, 3],
                                             "nested": {"ok": True}}).encode())
            ctype, extra = "application/json", [("Content-Encoding", "gzip")]
        elif path == "/pixel.png":
            body = png(4, 4)
            ctype, extra = "image/png", []
        elif path in ("/hello", "/headers", "/many"):
            body, ctype, extra = path[1:].encode() + b"\n", "text/plain", []
        else:
            body, ctype, extra = b"not found\n", "text/plain", []
        self.send_response(200 if body != b"not found\n" else 404)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
EOF
OPORT=$(free_port)
python3 -u "$T/web_origin.py" "$OPORT" >"$T/web-origin.log" 2>&1 &
PIDS+=($!)
wait_for "$T/web-origin.log" ready 10 || { notok web-origin "$(cat "$T/web-origin.log")"; exit 1; }

# origin.py for a WebSocket (it echoes).
start_origin || exit 1
export WS_ORIGIN=127.0.0.1:$ORIGIN_PORT WSCLIENT=$SNARE_ROOT/tests/integration/wsclient.py

# A flow file from another snare, for the page to import.
start_snare --mode regular@127.0.0.1:0 -w "$T/import.snare" || exit 1
proxy_curl -o /dev/null "http://127.0.0.1:$OPORT/hello?from=file"
wait_for "$SNARE_LOG" "from=file" 10
stop_snare
[ -s "$T/import.snare" ] && ok web-import-file-made || notok web-import-file-made "$(tail -3 "$SNARE_LOG")"

# start_web NAME MODE [ARGS...]: snare with the interface on a free port; sets
# WEB_URL, WEB_PORT, WEB_LOG and WEB_PID.
start_web() {
	local name=$1 mode=$2 log=$T/snare-$1.log
	shift 2
	WEB_PORT=$(free_port)
	"$SNARE_BIN" --mode "$mode" --set confdir="$T/conf-$name" --set web=true --set web_host=127.0.0.1 \
		--set web_port="$WEB_PORT" --set web_open_browser=false --set dns_name_servers=127.0.0.1:1 "$@" \
		>"$log" 2>&1 &
	WEB_PID=$!
	PIDS+=($WEB_PID)
	WEB_LOG=$log
	wait_for "$log" "Web server listening at" 20 || { notok "web-start-$name" "$(tail -5 "$log")"; return 1; }
	WEB_URL=$(grep -m1 -oE 'Web server listening at http://[^ ]+' "$log" | awk '{print $NF}')
	cp "$log" "$SHOTS/snare-$name.log"
	ok "web-start-$name"
}

# A configuration file that goes bad: each SIGHUP then logs an error event
# (the event log's level filter needs events above info).
printf 'flow_detail: 1\n' >"$T/web.yaml"
chmod 644 "$T/web.yaml"
# A TCP echo server, relayed raw (tcp_hosts), and a DNS mode answering from
# the hosts file.
ECHO_PORT=$(free_port) DNS_PORT=$(free_port)
socat TCP-LISTEN:"$ECHO_PORT",bind=127.0.0.1,fork,reuseaddr PIPE >"$T/echo.log" 2>&1 &
PIDS+=($!)
start_web regular regular@127.0.0.1:0 --mode "dns@127.0.0.1:$DNS_PORT" --conf "$T/web.yaml" \
	--set tcp_hosts="^127\.0\.0\.1:$ECHO_PORT\$" || exit 1
wait_for "$WEB_LOG" "proxy listening at" 10
PROXY_PORT=$(grep -m1 -oE 'proxy listening at [^ ]*:[0-9]+' "$WEB_LOG" | grep -oE '[0-9]+$')
echo "# $WEB_URL, proxy port $PROXY_PORT"
case $WEB_URL in
"http://127.0.0.1:$WEB_PORT/?token="*) ok web-start-line ;;
*) notok web-start-line "$WEB_URL" ;;
esac
TOKEN=${WEB_URL##*token=}
[ ${#TOKEN} -eq 64 ] && ok web-token-32-bytes-hex || notok web-token-32-bytes-hex "$TOKEN"
BASE=http://127.0.0.1:$WEB_PORT
CJ=$T/cookies
wcurl() { curl -sS --max-time 10 --noproxy '*' "$@"; }
code() { wcurl -o /dev/null -w '%{http_code}' "$@"; }

# The right token first (so the 403s below are the token's doing).
hdr=$(wcurl -D - -o /dev/null -c "$CJ" "$WEB_URL")
echo "$hdr" | grep -qE '^HTTP/1\.1 302' && echo "$hdr" | grep -qi '^set-cookie: snare_web=.*httponly' &&
	ok web-right-token-cookie || notok web-right-token-cookie "$(echo "$hdr" | head -3 | tr -d '\r')"
# expect_code NAME CODE CURL-ARGS...: the request answers CODE.
expect_code() {
	local name=$1 want=$2 got
	shift 2
	got=$(code "$@")
	if [ "$got" = "$want" ]; then ok "$name"; else notok "$name" "got $got, want $want"; fi
}
expect_code web-cookie-200 200 -b "$CJ" "$BASE/api/state"
expect_code web-wrong-token-403 403 "$BASE/?token=${TOKEN%?}x"
expect_code web-no-cookie-403 403 "$BASE/api/state"
# curl picks cookies by the Host header it sends: give this one by hand, so the
# only difference from web-cookie-200 is the Host.
COOKIE="Cookie: snare_web=$(awk '$6 == "snare_web" {print $7}' "$CJ")"
expect_code web-cookie-by-hand-200 200 -H "$COOKIE" "$BASE/api/state"
expect_code web-foreign-host-403 403 -H "$COOKIE" -H "Host: rebind.example:$WEB_PORT" "$BASE/api/state"
expect_code web-localhost-host-200 200 -H "$COOKIE" -H "Host: localhost:$WEB_PORT" "$BASE/api/state"
CSRF=$(wcurl -b "$CJ" "$BASE/api/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
expect_code web-no-csrf-403 403 -b "$CJ" -X POST --data-binary x "$BASE/api/flows/import"
c=$(code -b "$CJ" -X POST -H "X-CSRF-Token: $CSRF" --data-binary x "$BASE/api/flows/import")
[ "$c" != 403 ] && ok web-csrf-accepted || notok web-csrf-accepted "$c"

printf 'flow_detail: nine\n' >"$T/web.yaml"
kill -HUP "$WEB_PID"
wait_for "$WEB_LOG" "reload failed" 10 && ok web-reload-error-logged || notok web-reload-error-logged "$(tail -2 "$WEB_LOG")"

# The browser part: page.test.js prints its own ok/not ok lines.
TCP_ECHO=127.0.0.1:$ECHO_PORT DNS_PORT=$DNS_PORT SNARE_PID=$WEB_PID IMPORT_FILE=$T/import.snare WEB_URL=$WEB_URL PROXY=http://127.0.0.1:$PROXY_PORT ORIGIN=http://127.0.0.1:$OPORT NODE_PATH=$WEBT/node_modules \
	timeout 300 node "$WEBT/page.test.js" 2>"$SHOTS/page.test.stderr" || true
grep -q . "$SHOTS/page.test.stderr" && sed 's/^/# /' "$SHOTS/page.test.stderr" | head -20
n=$(ls "$SHOTS"/web-*.png 2>/dev/null | wc -l)
[ "$n" -ge 5 ] && ok web-screenshots || notok web-screenshots "$n screenshots in $SHOTS"

# WireGuard mode: the configuration and its QR code on a page.
start_web wg "wireguard:$T/wg-keys.json@127.0.0.1:$(free_port)" || exit 1
WEB_URL=$WEB_URL NODE_PATH=$WEBT/node_modules timeout 120 node "$WEBT/wireguard.test.js" \
	2>"$SHOTS/wireguard.test.stderr" || true
cp "$WEB_LOG" "$SHOTS/snare-wg.log"
# The QR code, as the browser drew it, holds the configuration shown next to it.
if ! command -v zbarimg >/dev/null; then
	skip web-wireguard-qr-decodes "zbarimg (zbar-tools) is not installed"
elif [ ! -s "$SHOTS/web-wireguard-qr.png" ]; then
	notok web-wireguard-qr-decodes "no QR code screenshot"
else
	zbarimg -q --raw "$SHOTS/web-wireguard-qr.png" >"$T/qr.txt" 2>/dev/null
	if cmp -s <(sed -e '$a\' "$T/qr.txt") <(sed -e '$a\' "$SHOTS/web-wireguard.conf"); then
		grep -q '^PrivateKey = ' "$T/qr.txt" && ok web-wireguard-qr-decodes || notok web-wireguard-qr-decodes "no key"
	else
		notok web-wireguard-qr-decodes "$(diff <(cat "$T/qr.txt") "$SHOTS/web-wireguard.conf" | head -3 | tr '\n' ' ')"
	fi
fi

# 200,000 flows read with -r (tests/integration/gen_flows.py): the page
# scrolls through them, sorts and filters (tests/web/scroll.test.js).
BIG=200000
python3 "$SNARE_ROOT/tests/integration/gen_flows.py" "$BIG" "$T/big.snare"
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4" start_web big "regular@127.0.0.1:0" -r "$T/big.snare" \
	--set flow_detail=0 || exit 1
wait_for "$WEB_LOG" "loaded $BIG flows" 180 && ok web-big-loaded || notok web-big-loaded "$(tail -2 "$WEB_LOG")"
FLOWS=$BIG WEB_URL=$WEB_URL timeout 300 node "$WEBT/scroll.test.js" 2>"$SHOTS/scroll.test.stderr" || true
