# Privileged helpers (root only): snare-netfilter started by a tiny
# coordinator (the --driver mode of build/.../tests/test_privsep_helper) in a
# network namespace this test creates.  Rules appear in `inet snare` and
# nowhere else, redirect real connections, and vanish on close, on kill -9
# of the coordinator or of the helper, on SIGTERM and after a violation;
# privileged ports come back as working fds.  The host's tables are only read.
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}
DRIVER=$B/tests/test_privsep_helper
NS=snare-it-$$

if ! need_root; then
	skip helpers "not root"
	exit 0
fi
if [ ! -x "$DRIVER" ] || [ ! -x "$B/snare-netfilter" ] || ! command -v nft >/dev/null; then
	skip helpers "no driver, helper or nft in $B"
	exit 0
fi
if ! ip netns add "$NS" 2>/dev/null; then
	skip helpers "cannot create a network namespace"
	exit 0
fi
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT

nsx() { ip netns exec "$NS" "$@"; }
ours() { nsx nft list table inet snare 2>/dev/null; }
# gone_within SECONDS: true once `inet snare` does not exist.
gone_within() {
	local i
	for i in $(seq 1 $(($1 * 20))); do
		ours >/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# The driver: one command per line, one answer line each (pid after launch).
start_driver() {
	coproc DRV { exec ip netns exec "$NS" "$DRIVER" --driver 2>>"$T/driver.log"; }
	DPID=$DRV_PID # bash unsets DRV_PID when the coprocess ends
	PIDS+=("$DPID")
	read -t 10 -r line <&"${DRV[0]}" && [ "$line" = ready ]
}
cmd() {
	ANSWER=""
	echo "$*" >&"${DRV[1]}" && read -t 20 -r ANSWER <&"${DRV[0]}"
}
launch() {
	cmd launch && [ "$ANSWER" = ok ] && read -t 5 -r line <&"${DRV[0]}" &&
		HELPER_PID=${line#pid }
}
stop_driver() {
	[ -n "${DRV[1]:-}" ] && eval "exec ${DRV[1]}>&-" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

nsx ip link set lo up
nsx nft add table inet other
nsx nft add chain inet other keep '{ type filter hook input priority 0; }'
other_before=$(nsx nft list table inet other)
host_before=$(nft list ruleset 2>&1)

# --- launch, confinement, a redirect, close --------------------------------------
start_driver || { notok driver-start "$(cat "$T/driver.log")"; exit 1; }
if launch; then ok helper-launch; else notok helper-launch "$ANSWER $(tail -3 "$T/driver.log")"; exit 1; fi

st=/proc/$HELPER_PID/status
if grep -qE '^Seccomp:\s+2' "$st" && grep -qE '^NoNewPrivs:\s+1' "$st" &&
	grep -qE '^CapEff:\s+0000000000001400' "$st" && grep -qE '^CapPrm:\s+0000000000001400' "$st"; then
	ok helper-confined
else
	notok helper-confined "$(grep -E 'Seccomp|NoNewPrivs|Cap' "$st" | tr '\n' ' ')"
fi

cmd redirect 18555 18556
table=$(ours)
if [ "$ANSWER" = ok ] && grep -q 'tcp dport @ports_1 redirect to :18556' <<<"$table" &&
	grep -q 'elements = { 18555 }' <<<"$table" && grep -q 'priority dstnat' <<<"$table"; then
	ok redirect-installed
else
	notok redirect-installed "$ANSWER / $table"
fi
tables=$(nsx nft list tables | tr '\n' ' ')
if [ "$tables" = "table inet other table inet snare " ] &&
	[ "$(nsx nft list table inet other)" = "$other_before" ]; then
	ok nothing-else-changed
else
	notok nothing-else-changed "$tables"
fi

# Locally generated traffic of another uid is redirected; ours (root, the
# driver's uid) is not.
cmd redirect-local 18555 18556
# The listener stays up (one line per accepted connection), so a root
# connection wrongly redirected would succeed and be counted.
nsx python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18556)); s.listen(4); s.settimeout(20)
print("ready", flush=True)
while True:
    c, a = s.accept(); print("accepted", flush=True); c.close()' >"$T/listener.log" 2>&1 &
LISTENER=$!
PIDS+=($LISTENER)
wait_for "$T/listener.log" ready 5
accepted() { grep -c '^accepted' "$T/listener.log"; }
# accepted_reaches N: the listener has logged N connections (within 2 s).
accepted_reaches() { for _ in $(seq 1 40); do [ "$(accepted)" -ge "$1" ] && return 0; sleep 0.05; done; return 1; }
if nsx setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/18555' 2>/dev/null && wait_for "$T/listener.log" accepted 5; then
	ok redirect-works-for-other-uid
else
	notok redirect-works-for-other-uid "$ANSWER $(cat "$T/listener.log")"
fi
# Presence first: the rule is there and the listener answers root directly.
n=$(accepted)
if ! ours | grep -q 'type nat hook output'; then
	notok own-uid-not-redirected "no local redirect rule to test against: $(ours)"
elif ! nsx bash -c 'exec 3<>/dev/tcp/127.0.0.1/18556' 2>/dev/null || ! accepted_reaches $((n + 1)); then
	notok own-uid-not-redirected "the listener on 18556 does not answer root: $(cat "$T/listener.log")"
elif nsx bash -c 'exec 3<>/dev/tcp/127.0.0.1/18555' 2>/dev/null || { sleep 0.2; [ "$(accepted)" -ne $((n + 1)) ]; }; then
	notok own-uid-not-redirected "root's connection to 18555 was redirected"
else
	ok own-uid-not-redirected
fi
kill "$LISTENER" 2>/dev/null

cmd bind udp 127.0.0.1 853
a1=$ANSWER
cmd bind tcp 127.0.0.1 853
if [ "$a1" = "ok fd type=udp port=853" ] && [ "$ANSWER" = "ok fd type=tcp port=853" ]; then
	ok bind-853-udp-tcp
else
	notok bind-853-udp-tcp "$a1 / $ANSWER"
fi

# Each absence below is only tested after the table (and the helper) was seen.
if ours >/dev/null; then
	cmd undo
	if [ "$ANSWER" = ok ] && gone_within 1; then ok undo-request; else notok undo-request "$ANSWER"; fi
else
	notok undo-request "no table before the undo"
fi
cmd redirect 18555 18556
if [ "$ANSWER" = ok ] && ours >/dev/null && pid_alive "$HELPER_PID"; then
	cmd close
	if [ "$ANSWER" = "ok closed" ] && gone_within 1 && absent_within 1 pid_alive "$HELPER_PID"; then
		ok close-removes-table
	else
		notok close-removes-table "$ANSWER $(ours)"
	fi
else
	notok close-removes-table "no table or helper before the close: $ANSWER"
	cmd close
fi
stop_driver

# --- kill -9 of the coordinator ---------------------------------------------------
start_driver && launch && cmd redirect 18555 18556
if [ "$ANSWER" = ok ] && ours >/dev/null && pid_alive "$HELPER_PID"; then
	kill -9 "$DPID"
	if gone_within 1 && absent_within 2 pid_alive "$HELPER_PID"; then ok coordinator-kill9-removes-table; else
		notok coordinator-kill9-removes-table "helper $(pid_alive "$HELPER_PID" && echo alive); $(ours)"; fi
	wait "$DPID" 2>/dev/null
else
	notok coordinator-kill9-removes-table "setup: $ANSWER"
fi

# --- kill -9 and SIGTERM of the helper --------------------------------------------
start_driver && launch && cmd redirect 18555 18556
if ! ours >/dev/null; then
	notok helper-kill9-removes-table "no table before kill -9: $ANSWER"
elif ! ours | grep -q 'flags owner'; then
	skip helper-kill9-removes-table "kernel without NFT_TABLE_F_OWNER"
else
	kill -9 "$HELPER_PID"
	if gone_within 1; then ok helper-kill9-removes-table; else
		notok helper-kill9-removes-table "$(ours)"; fi
fi
cmd close
stop_driver
start_driver && launch && cmd redirect 18555 18556
if ! ours >/dev/null; then
	notok sigterm-undoes "no table before SIGTERM: $ANSWER"
else
	kill -TERM "$HELPER_PID"
	if gone_within 1 && grep -q 'signal 15: undoing' "$T/driver.log"; then ok sigterm-undoes; else
		notok sigterm-undoes "$(ours) $(tail -2 "$T/driver.log")"; fi
fi
cmd close
stop_driver

# --- violations: the helper undoes and exits ------------------------------------------
start_driver && launch && cmd redirect 18555 18556
ours >/dev/null && had=table || had="no table before the violation"
cmd raw-ports 65530 10
if [ "$had" = table ] && [ "$ANSWER" = "ok hung up status=1" ] && gone_within 1; then
	ok port-over-65535-kills-helper
else
	notok port-over-65535-kills-helper "$had; $ANSWER $(ours)"
fi
cmd close
stop_driver
start_driver && launch && cmd redirect 18555 18556
ours >/dev/null && had=table || had="no table before the violation"
cmd raw-ports 2000 70
if [ "$had" = table ] && [ "$ANSWER" = "ok hung up status=1" ] && gone_within 1; then
	ok 70-ports-kill-helper
else
	notok 70-ports-kill-helper "$had; $ANSWER $(ours)"
fi
grep -q 'protocol violation' "$T/driver.log" && ok violation-logged || notok violation-logged "no log"
cmd close
stop_driver

# --- an unprivileged coordinator: file capabilities (sudo: test_terminal.sh) ------
# A copy laid out like a build tree: <dir>/snare-netfilter, <dir>/tests/driver.
FC=$T/fc
mkdir -p "$FC/tests" && chmod 755 "$FC" "$FC/tests"
cp "$B/snare-netfilter" "$FC/" && cp "$DRIVER" "$FC/tests/"
# run_unprivileged NAME: launch, redirect, bind 80 as nobody; the table must
# be seen before the close and be gone after it.
run_unprivileged() {
	local out seen=$T/table-seen.$RANDOM
	out=$({
		printf 'launch\nredirect 18555 18556\nbind tcp 127.0.0.1 80\n'
		for _ in $(seq 1 100); do ours >/dev/null && { touch "$seen"; break; }; sleep 0.05; done
		printf 'close\n'
	} | nsx setpriv --reuid=65534 --regid=65534 --clear-groups "$FC/tests/test_privsep_helper" \
		--driver 2>>"$T/driver.log" | tr '\n' ' ')
	[ -f "$seen" ] || { echo "no table before the close: $out"; return 1; }
	case $out in
	"ready ok pid "*" ok ok fd type=tcp port=80 ok closed ") gone_within 1 ;;
	*) echo "$out"; return 1 ;;
	esac
}
if ! command -v setcap >/dev/null || ! setcap cap_net_admin,cap_net_bind_service+ep "$FC/snare-netfilter"; then
	skip file-capabilities "setcap unavailable"
elif out=$(run_unprivileged); then
	ok file-capabilities-direct-start
else
	notok file-capabilities-direct-start "$out $(tail -3 "$T/driver.log")"
fi

[ "$(nsx nft list table inet other)" = "$other_before" ] && ok other-table-intact ||
	notok other-table-intact "$(nsx nft list table inet other)"
[ "$(nft list ruleset 2>&1)" = "$host_before" ] && ok host-ruleset-unchanged ||
	notok host-ruleset-unchanged "the host's ruleset changed"
