# snare-tun (root only), started by a tiny coordinator (the --driver mode of
# build/.../tests/test_privsep_helper) in a network namespace this test
# creates: the device has 169.254.0.1/32, the MTU and snare-helpers(8)'s
# sysctls, packets the kernel routes into it come out of the passed fd, and
# closing the channel, kill -9 of the coordinator or SIGTERM of the helper
# delete it and restore the global rp_filter values.  The host is only read.
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}
DRIVER=$B/tests/test_privsep_helper
NS=snare-tun-$$

if ! need_root; then
	skip tun "not root"
	exit 0
fi
if [ ! -x "$DRIVER" ] || [ ! -x "$B/snare-tun" ] || [ ! -c /dev/net/tun ]; then
	skip tun "no driver, snare-tun or /dev/net/tun in $B"
	exit 0
fi
if ! ip netns add "$NS" 2>/dev/null; then
	skip tun "cannot create a network namespace"
	exit 0
fi
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT

nsx() { ip netns exec "$NS" "$@"; }
conf() { nsx cat "/proc/sys/net/ipv4/conf/$1/$2" 2>/dev/null; }
exists() { nsx ip link show dev "$1" >/dev/null 2>&1; }
# gone_within SECONDS DEV: true once DEV does not exist.
gone_within() {
	local i
	for i in $(seq 1 $(($1 * 20))); do
		exists "$2" || return 0
		sleep 0.05
	done
	return 1
}
# The global values this test starts from (and expects back).
globals() { echo "all=$(conf all rp_filter) default=$(conf default rp_filter) dum0=$(conf dum0 rp_filter) dum1=$(conf dum1 rp_filter)"; }
GLOBALS_BEFORE="all=1 default=0 dum0=0 dum1=2"

start_driver() {
	coproc DRV { exec ip netns exec "$NS" "$DRIVER" --driver 2>>"$T/driver.log"; }
	DPID=$DRV_PID
	PIDS+=("$DPID")
	read -t 10 -r line <&"${DRV[0]}" && [ "$line" = ready ]
}
cmd() {
	ANSWER=""
	echo "$*" >&"${DRV[1]}" && read -t 20 -r ANSWER <&"${DRV[0]}"
}
launch() {
	cmd launch tun && [ "$ANSWER" = ok ] && read -t 5 -r line <&"${DRV[0]}" &&
		HELPER_PID=${line#pid }
}
stop_driver() {
	[ -n "${DRV[1]:-}" ] && eval "exec ${DRV[1]}>&-" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

host_links=$(ip -o link show | awk -F': ' '{print $2}' | sort)
nsx ip link set lo up
# Another interface (a veth pair: not every kernel has dummy).
nsx ip link add dum0 type veth peer name dum1 && nsx ip link set dum0 up
nsx sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.dum0.rp_filter=0 net.ipv4.conf.dum1.rp_filter=2
if [ "$(globals)" != "$GLOBALS_BEFORE" ]; then
	skip tun "cannot set up the namespace's sysctls: $(globals)"
	exit 0
fi

# --- launch, confinement, a named device --------------------------------------------
start_driver || { notok tun-driver-start "$(cat "$T/driver.log")"; exit 1; }
if launch; then ok tun-launch; else notok tun-launch "$ANSWER $(tail -3 "$T/driver.log")"; exit 1; fi
st=/proc/$HELPER_PID/status
if grep -qE '^Seccomp:\s+2' "$st" && grep -qE '^NoNewPrivs:\s+1' "$st" &&
	grep -qE '^CapEff:\s+0000000000001000' "$st" && grep -qE '^CapPrm:\s+0000000000001000' "$st"; then
	ok tun-confined
else
	notok tun-confined "$(grep -E 'Seccomp|NoNewPrivs|Cap' "$st" | tr '\n' ' ')"
fi

cmd tun snaretun0 1400
addr=$(nsx ip addr show dev snaretun0 2>&1)
if [ "$ANSWER" = "ok tun snaretun0" ] && grep -q 'inet 169.254.0.1/32 ' <<<"$addr" &&
	grep -q 'mtu 1400 ' <<<"$addr" && grep -qE '<[^>]*\bUP\b' <<<"$addr"; then
	ok tun-address-mtu-up
else
	notok tun-address-mtu-up "$ANSWER / $addr"
fi
own="$(conf snaretun0 rp_filter) $(conf snaretun0 accept_local) $(conf snaretun0 route_localnet)"
[ "$own" = "0 1 1" ] && ok tun-own-sysctls || notok tun-own-sysctls "rp_filter accept_local route_localnet: $own"
# all/rp_filter was 1: the others are raised to 1 first, then all goes to 0.
g=$(globals)
[ "$g" = "all=0 default=1 dum0=1 dum1=2" ] && ok tun-rp-filter-all || notok tun-rp-filter-all "$g"

# A packet the kernel routes into the device comes out of the fd.
nsx ip route add 169.254.0.2/32 dev snaretun0
nsx bash -c 'echo snare >/dev/udp/169.254.0.2/9' 2>/dev/null
cmd tun-read 169.254.0.2
[ "$ANSWER" = "ok ipv4 proto=17 src=169.254.0.1 dst=169.254.0.2" ] && ok tun-fd-reads-packets ||
	notok tun-fd-reads-packets "$ANSWER"

# The default name and MTU.
cmd tun - 0
if [ "$ANSWER" = "ok tun tun0" ] && nsx ip link show dev tun0 | grep -q 'mtu 1500 '; then
	ok tun-default-name-mtu
else
	notok tun-default-name-mtu "$ANSWER"
fi

# Refusals: an existing device (an Error, the helper lives), a bad name and a
# bad MTU (refused by the client, never sent).
cmd tun dum0 0
a1=$ANSWER
cmd tun a/b 0
a2=$ANSWER
cmd tun mitm%d 100
case "$a1|$a2|$ANSWER" in
"err -121 snare-tun: cannot create TUN device dum0: it exists|err -22 "*"|err -22 "*) ok tun-refusals ;;
*) notok tun-refusals "$a1 / $a2 / $ANSWER" ;;
esac
nsx ip link show dev dum0 | grep -q 'mtu 1500 ' && ok tun-existing-untouched ||
	notok tun-existing-untouched "$(nsx ip link show dev dum0)"

# Closing the channel deletes both devices although the driver still holds
# their fds, and restores the global values.  Absences only count after the
# presences: both devices, the helper and the changed globals, just before.
RUNNING_GLOBALS="all=0 default=1 dum0=1 dum1=2"
if exists snaretun0 && exists tun0 && pid_alive "$HELPER_PID" &&
	[ "$(globals)" = "$RUNNING_GLOBALS" ]; then
	cmd close
	if [ "$ANSWER" = "ok closed" ] && gone_within 1 snaretun0 && gone_within 1 tun0 &&
		absent_within 1 pid_alive "$HELPER_PID"; then
		ok tun-close-deletes
	else
		notok tun-close-deletes "$ANSWER $(nsx ip -o link show | tr '\n' ' ')"
	fi
	g=$(globals)
	[ "$g" = "$GLOBALS_BEFORE" ] && ok tun-close-restores-sysctls || notok tun-close-restores-sysctls "$g"
else
	notok tun-close-deletes "not there before the close: $(globals) $(nsx ip -o link show | tr '\n' ' ')"
	cmd close
fi
cmd tun-close
stop_driver

# --- kill -9 of the coordinator ----------------------------------------------------
start_driver && launch && cmd tun kill0 0
if [ "$ANSWER" = "ok tun kill0" ] && exists kill0 && [ "$(globals)" = "$RUNNING_GLOBALS" ] &&
	pid_alive "$HELPER_PID"; then
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	if gone_within 1 kill0 && [ "$(globals)" = "$GLOBALS_BEFORE" ] && absent_within 2 pid_alive "$HELPER_PID"; then
		ok tun-coordinator-kill9-deletes
	else
		notok tun-coordinator-kill9-deletes "$(globals) $(nsx ip -o link show | tr '\n' ' ')"
	fi
else
	notok tun-coordinator-kill9-deletes "setup: $ANSWER"
fi

# --- SIGTERM and kill -9 of the helper ---------------------------------------------
start_driver && launch && cmd tun term0 0
if [ "$ANSWER" = "ok tun term0" ] && exists term0 && [ "$(globals)" = "$RUNNING_GLOBALS" ]; then
	kill -TERM "$HELPER_PID"
	if gone_within 1 term0 && [ "$(globals)" = "$GLOBALS_BEFORE" ] &&
		grep -q 'signal 15: undoing' "$T/driver.log"; then
		ok tun-sigterm-undoes
	else
		notok tun-sigterm-undoes "$(globals) $(tail -2 "$T/driver.log")"
	fi
else
	notok tun-sigterm-undoes "setup: $ANSWER $(globals)"
fi
cmd close
stop_driver
# SIGKILL leaves the helper no chance; the device is not persistent, so it
# outlives the helper while the coordinator holds its fd, and goes with that
# last fd.
start_driver && launch && cmd tun kill1 0
if [ "$ANSWER" = "ok tun kill1" ] && exists kill1; then
	kill -9 "$HELPER_PID"
	if absent_within 2 pid_alive "$HELPER_PID" && exists kill1 && cmd tun-close &&
		[ "$ANSWER" = ok ] && gone_within 1 kill1; then
		ok tun-helper-kill9-last-fd
	else
		notok tun-helper-kill9-last-fd "$ANSWER $(nsx ip -o link show | tr '\n' ' ')"
	fi
else
	notok tun-helper-kill9-last-fd "setup: $ANSWER"
fi
cmd close
stop_driver

[ "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$host_links" ] && ok tun-host-untouched ||
	notok tun-host-untouched "the host's links changed"
