#!/bin/bash
# snare-web's intercept controls in a real browser (tests/web/intercept.test.js):
# the filter is set in the page, a curl request through the proxy is shown
# held, a header is added in the page's editor, Resume: curl completes and
# the origin saw the header.  Screenshots go to build/.../test-logs/web-intercept/.
. "$(dirname "$0")/lib.sh"

WEBT=$SNARE_ROOT/tests/web
BROWSER=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$BROWSER" ]; then skip web-icpt "chromium is not installed"; exit 0; fi
if ! command -v node >/dev/null; then skip web-icpt "node is not installed (scripts/deps.sh test)"; exit 0; fi
if [ ! -d "$WEBT/node_modules/playwright-core" ]; then
	skip web-icpt "tests/web/node_modules is missing: run tests/web/install.sh (scripts/deps.sh test does)"
	exit 0
fi
SHOTS=${SNARE_BUILD:-$SNARE_ROOT/build/check}/test-logs/web-intercept
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
export CHROMIUM=$BROWSER SHOTS
unset DISPLAY WAYLAND_DISPLAY

start_origin || exit 1
PPORT=$(free_port)
WLOG=$T/web-icpt.log
"$SNARE_BIN" --mode "regular@127.0.0.1:$PPORT" --set confdir="$T/conf" --set web=true \
	--set web_host=127.0.0.1 --set web_port=0 --set web_open_browser=false \
	--set web_static="$SNARE_ROOT/web" --set workers=1 >"$WLOG" 2>&1 &
PIDS+=($!)
wait_for "$WLOG" "Web server listening at" 20 || { notok web-icpt-start "$(tail -5 "$WLOG")"; exit 1; }
WEB_URL=$(grep -m1 -oE 'http://[^ ]+token=[0-9a-f]+' "$WLOG")

# The curl the page waits for: started once the page set the filter.
GO=$T/go DONE=$T/done
(
	for _ in $(seq 1 600); do [ -f "$GO" ] && break; sleep 0.05; done
	curl -sS --max-time 90 -x "http://127.0.0.1:$PPORT" "http://127.0.0.1:$ORIGIN_PORT/headers" \
		>"$T/curl.out" 2>&1
	echo $? >"$T/curl.rc"
	touch "$DONE"
) &
PIDS+=($!)

GO=$GO DONE=$DONE WEB_URL=$WEB_URL NODE_PATH=$WEBT/node_modules \
	timeout 180 node "$WEBT/intercept.test.js" 2>"$SHOTS/intercept.test.stderr" || true
grep -q . "$SHOTS/intercept.test.stderr" && sed 's/^/# /' "$SHOTS/intercept.test.stderr" | head -20

wait_for "$T/curl.rc" . 30
[ "$(cat "$T/curl.rc" 2>/dev/null)" = 0 ] && grep -qi '^X-From-Page: edited in the browser' "$T/curl.out" &&
	ok web-icpt-curl-completes-with-header ||
	notok web-icpt-curl-completes-with-header "rc=$(cat "$T/curl.rc" 2>/dev/null): $(head -c 300 "$T/curl.out")"
