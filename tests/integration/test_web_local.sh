# snare-web in local capture mode, in a real browser: snare-web --mode
# local:NAME in a namespace (as test_local.sh: the eBPF redirector captures
# processes named NAME, here a copy of curl), headless Chromium on the page
# in the same namespace (tests/web/local.test.js) runs the curl copy and
# sees its process name and pid in the list's Process column.  Root only.
. "$(dirname "$0")/lib.sh"

WEBT=$SNARE_ROOT/tests/web
BROWSER=${CHROMIUM:-$(command -v chromium || true)}
if ! need_root; then skip web-local "needs root (eBPF, TUN devices, namespaces)"; exit 0; fi
if [ ! -s "${SNARE_BUILD:-build/check}/bpf/redirect.skel.h" ]; then
	skip web-local "snare-redirector was built without its eBPF programs (no kernel BTF?)"
	exit 0
fi
if [ -z "$BROWSER" ]; then skip web-local "chromium is not installed"; exit 0; fi
if ! command -v node >/dev/null || [ ! -d "$WEBT/node_modules/playwright-core" ]; then
	skip web-local "node or tests/web/node_modules is missing (tests/web/install.sh)"
	exit 0
fi
SHOTS=${SNARE_BUILD:-$SNARE_ROOT/build/check}/test-logs/web-local
rm -rf "$SHOTS" && mkdir -p "$SHOTS"

B=snare-wlb-$$ C=snare-wlc-$$
cleanup_ns() { ip netns del "$B" 2>/dev/null; ip netns del "$C" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$B" && ip netns add "$C" || { notok netns "cannot create namespaces"; exit 1; }
XB="ip netns exec $B" XC="ip netns exec $C"
ip link add wlb-$$ netns "$B" type veth peer name wlc-$$ netns "$C"
$XB ip link set lo up; $XC ip link set lo up
$XB ip addr add 10.211.0.1/24 dev wlb-$$; $XB ip link set wlb-$$ up
$XC ip addr add 10.211.0.5/24 dev wlc-$$; $XC ip link set wlc-$$ up
$XC python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8080 --bind 10.211.0.5 >"$T/o.log" 2>&1 &
PIDS+=($!)
wait_for "$T/o.log" ready 10 || { notok origin "no origin"; exit 1; }
mkdir -p "$T/bin"
cp "$(command -v curl)" "$T/bin/snaretest-wcurl" # 15 bytes: the whole process name

LOG=$T/snare-web-local.log
WEB_PORT=$(free_port)
$XB sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$0" "$@"' \
	"$SNARE_BIN" --mode local:snaretest-wcurl --set confdir="$T/conf" --set web=true \
	--set web_host=127.0.0.1 --set web_port="$WEB_PORT" --set web_open_browser=false \
	--set web_static="$SNARE_ROOT/web" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "Local redirector started." 20 && wait_for "$LOG" "Web server listening at" 20 ||
	{ notok web-local-started "$(tail -5 "$LOG")"; exit 1; }
ok web-local-started
WEB_URL=$(grep -m1 -oE 'Web server listening at http://[^ ]+' "$LOG" | awk '{print $NF}')
$XB env WEB_URL="$WEB_URL" SHOTS="$SHOTS" CHROMIUM="$BROWSER" CURL="$T/bin/snaretest-wcurl" \
	TARGET=http://10.211.0.5:8080/hello timeout 120 node "$WEBT/local.test.js" 2>"$SHOTS/local.test.stderr" || true
grep -q "client connect (snaretest-wcurl, pid [0-9]*)" "$LOG" && ok web-local-log-names-process ||
	notok web-local-log-names-process "$(grep 'client connect' "$LOG" | head -2)"
cp "$LOG" "$SHOTS/"
kill "$SPID"
wait "$SPID" 2>/dev/null
exit 0
