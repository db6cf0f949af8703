# Host settings a helper changes outlive a kill -9 of the helper itself
# only until the next helper starts (root only).  snare-tun, started by the
# tiny coordinator of build/.../tests/test_privsep_helper --driver in a
# network namespace this test creates, sets net.ipv4.conf.all.rp_filter to
# 0 (raising the others first) and records the old values in
# /run/snare/rp_filter.<namespace> before it changes them.  After kill -9 of
# the helper the values stay changed; the next snare-tun puts them back at
# start-up, or, when somebody changed one since, refuses to start with a
# line naming the file and the fix.  Two helpers in one namespace share the
# record: the values go back when the last one closes.  A helper that cannot write the record
# (file capability, not root) refuses to change them at all.  The host's own
# values are only read.
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}
DRIVER=$B/tests/test_privsep_helper
NS=snare-hstate-$$

if ! need_root; then
	skip helper-state "not root"
	exit 0
fi
if [ ! -x "$DRIVER" ] || [ ! -x "$B/snare-tun" ] || [ ! -c /dev/net/tun ]; then
	skip helper-state "no driver, snare-tun or /dev/net/tun in $B"
	exit 0
fi
if ! ip netns add "$NS" 2>/dev/null; then
	skip helper-state "cannot create a network namespace"
	exit 0
fi
STATE=
trap 'cleanup; ip netns del "$NS" 2>/dev/null; [ -n "$STATE" ] && rm -f "$STATE"' EXIT

nsx() { ip netns exec "$NS" "$@"; }
conf() { nsx cat "/proc/sys/net/ipv4/conf/$1/$2" 2>/dev/null; }
exists() { nsx ip link show dev "$1" >/dev/null 2>&1; }
globals() { echo "all=$(conf all rp_filter) default=$(conf default rp_filter) hs0=$(conf hs0 rp_filter) hs1=$(conf hs1 rp_filter)"; }
BEFORE="all=1 default=0 hs0=0 hs1=2"
RUNNING="all=0 default=1 hs0=1 hs1=2"
host_before=$(sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter | tr '\n' ' ')

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
	HELPER_PID=
	cmd launch tun && [ "$ANSWER" = ok ] && read -t 5 -r line <&"${DRV[0]}" &&
		HELPER_PID=${line#pid }
}
stop_driver() {
	[ -n "${DRV[1]:-}" ] && eval "exec ${DRV[1]}>&-" 2>/dev/null
	wait "$DPID" 2>/dev/null
}
# The record a helper with pid $1 wrote (its header names it).
record_of() { grep -l "(pid $1) changed these IPv4 rp_filter" /run/snare/rp_filter.* 2>/dev/null | head -1; }
# A running helper changes the values and dies by kill -9 with a device up;
# the driver then drops the device and stops.  RECORD is the file it left.
changed_then_killed() {
	RECORD=
	start_driver && launch && cmd tun "$1" 0 || return 1
	[ "$ANSWER" = "ok tun $1" ] && [ "$(globals)" = "$RUNNING" ] || return 1
	RECORD=$(record_of "$HELPER_PID")
	[ -n "$RECORD" ] || return 1
	kill -9 "$HELPER_PID"
	absent_within 2 pid_alive "$HELPER_PID" || return 1
	cmd tun-close
	cmd close
	stop_driver
	! exists "$1"
}

nsx ip link set lo up
nsx ip link add hs0 type veth peer name hs1 && nsx ip link set hs0 up
nsx sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.lo.rp_filter=0 net.ipv4.conf.hs0.rp_filter=0 net.ipv4.conf.hs1.rp_filter=2
if [ "$(globals)" != "$BEFORE" ]; then
	skip helper-state "cannot set up the namespace's sysctls: $(globals)"
	exit 0
fi

# --- the record: written before the change, root's, 0600 ---------------------------
if changed_then_killed hst0; then
	STATE=$RECORD
	mode=$(stat -c '%U %a %F' "$RECORD")
	dir=$(stat -c '%U %a' /run/snare)
	if [ "$mode" = "root 600 regular file" ] && [ "$dir" = "root 700" ] &&
		grep -qx 'all 0 1 0' "$RECORD" && grep -qx 'default 0 0 1' "$RECORD" &&
		grep -qE '^hs0 [0-9]+ 0 1$' "$RECORD" && ! grep -q '^hs1 ' "$RECORD"; then
		ok helper-state-recorded
	else
		notok helper-state-recorded "$mode / $dir / $(cat "$RECORD")"
	fi
	# The kill left the host setting changed (no helper, no device).
	g=$(globals)
	[ "$g" = "$RUNNING" ] && ok helper-state-dirty-after-kill9 || notok helper-state-dirty-after-kill9 "$g"
else
	notok helper-state-recorded "setup: $ANSWER $(globals) record=$RECORD $(tail -3 "$T/driver.log")"
	notok helper-state-dirty-after-kill9 "setup failed"
fi

# --- the next helper restores them at start-up ----------------------------------------
if [ "$(globals)" = "$RUNNING" ] && [ -s "$STATE" ]; then
	start_driver && launch
	g=$(globals)
	if [ -n "$HELPER_PID" ] && [ "$g" = "$BEFORE" ] && [ ! -s "$STATE" ] &&
		grep -qE "restored [0-9]+ rp_filter values a killed snare helper had changed \($STATE\)" "$T/driver.log"; then
		ok helper-state-restored-by-next-start
	else
		notok helper-state-restored-by-next-start "$ANSWER $g $(tail -3 "$T/driver.log")"
	fi
	# It works as usual afterwards, and a normal close restores too.
	cmd tun hst1 0
	a=$ANSWER g=$(globals)
	cmd close
	stop_driver
	if [ "$a" = "ok tun hst1" ] && [ "$g" = "$RUNNING" ] && [ "$(globals)" = "$BEFORE" ] && [ ! -s "$STATE" ]; then
		ok helper-state-next-start-works
	else
		notok helper-state-next-start-works "$a / $g / $(globals)"
	fi
else
	notok helper-state-restored-by-next-start "nothing to restore: $(globals)"
	notok helper-state-next-start-works "nothing to restore"
fi

# --- changed since: the next helper refuses, naming the file and the fix ---------------
if changed_then_killed hst2 && [ "$RECORD" = "$STATE" ]; then
	nsx sysctl -qw net.ipv4.conf.all.rp_filter=2 # an administrator's change
	start_driver
	launch
	stop_driver
	g=$(globals)
	want="$STATE: a snare helper that was killed changed net.ipv4.conf.all.rp_filter from 1 to 0 and it is 2 now: set the values listed there as they should be, then remove the file"
	if [ -z "$HELPER_PID" ] && grep -qF "$want" "$T/driver.log" &&
		[ "$g" = "all=2 default=1 hs0=1 hs1=2" ] && [ -s "$STATE" ]; then
		ok helper-state-refuses-changed-since
	else
		notok helper-state-refuses-changed-since "pid=$HELPER_PID $g $(tail -2 "$T/driver.log")"
	fi
	# The fix the message names: set the values, remove the file.
	while read -r name _ old _; do
		nsx sysctl -qw "net.ipv4.conf.$name.rp_filter=$old"
	done < <(grep -v '^#' "$STATE")
	rm -f "$STATE"
	start_driver && launch && cmd tun hst3 0
	a=$ANSWER
	cmd close
	stop_driver
	[ "$a" = "ok tun hst3" ] && [ "$(globals)" = "$BEFORE" ] && ok helper-state-fix-works ||
		notok helper-state-fix-works "$a $(globals) $(tail -2 "$T/driver.log")"
else
	notok helper-state-refuses-changed-since "setup: $ANSWER $(globals) record=$RECORD"
	notok helper-state-fix-works "setup failed"
fi


# --- two helpers in one namespace: the last one out restores -----------------------------
# A second driver on FIFOs (one coproc at a time in bash).
mkfifo "$T/b.in" "$T/b.out"
nsx "$DRIVER" --driver <"$T/b.in" >"$T/b.out" 2>>"$T/driver.log" &
BPID=$!
PIDS+=("$BPID")
exec {BW}>"$T/b.in" {BR}<"$T/b.out"
bcmd() { BANSWER=""; echo "$*" >&"$BW" && read -t 20 -r BANSWER <&"$BR"; }
read -t 10 -r line <&"$BR"
start_driver && launch && cmd tun hsa0 0
a=$ANSWER
bcmd launch tun && [ "$BANSWER" = ok ] && read -t 5 -r line <&"$BR" && bcmd tun hsb0 0
if [ "$a" = "ok tun hsa0" ] && [ "$BANSWER" = "ok tun hsb0" ] && [ "$(globals)" = "$RUNNING" ]; then
	cmd close
	stop_driver
	g=$(globals)
	if ! exists hsa0 && exists hsb0 && [ "$g" = "$RUNNING" ]; then
		ok helper-state-shared-kept-for-the-other
	else
		notok helper-state-shared-kept-for-the-other "$g $(nsx ip -o link show | tr '\n' ' ')"
	fi
	bcmd close
	g=$(globals)
	[ "$BANSWER" = "ok closed" ] && [ "$g" = "$BEFORE" ] && [ ! -s "$STATE" ] &&
		ok helper-state-shared-last-restores || notok helper-state-shared-last-restores "$BANSWER $g"
else
	notok helper-state-shared-kept-for-the-other "setup: $a / $BANSWER / $(globals)"
	notok helper-state-shared-last-restores "setup failed"
	cmd close
	stop_driver
	bcmd close
fi
exec {BW}>&- {BR}<&-
wait "$BPID" 2>/dev/null

# --- no record possible (file capability, not root): no change at all -------------------
FC=$T/fc
mkdir -p "$FC/tests" && chmod 755 "$FC" "$FC/tests"
cp "$B/snare-tun" "$FC/" && cp "$DRIVER" "$FC/tests/"
# Distributions make /dev/net/tun 0666; where it is not, a 0666 node of the
# same device is bound over it in a mount namespace of the driver's own.
mknod "$T/tun" c 10 200 2>/dev/null && chmod 666 "$T/tun"
# unpriv_tun DEV: as nobody, launch snare-tun and ask for DEV; the answers.
unpriv_tun() {
	printf 'launch tun\ntun %s 0\nclose\n' "$1" |
		nsx unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /dev/net/tun &&
			exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" --driver' \
			sh "$T/tun" "$FC/tests/test_privsep_helper" 2>>"$T/unpriv.log" | tr '\n' ' '
}
if ! command -v setcap >/dev/null || ! setcap cap_net_admin+ep "$FC/snare-tun"; then
	skip helper-state-unrecorded-refused "setcap unavailable"
elif [ ! -c "$T/tun" ] || ! command -v unshare >/dev/null; then
	skip helper-state-unrecorded-refused "cannot make a TUN device node or unshare"
elif [ "$(globals)" != "$BEFORE" ]; then
	notok helper-state-unrecorded-refused "not the starting values: $(globals)"
else
	out=$(unpriv_tun hsu0)
	g=$(globals)
	case $out in
	"ready ok pid "*" err -121 snare-tun: cannot create TUN device hsu0: Permission denied ok closed ")
		if [ "$g" = "$BEFORE" ] && ! exists hsu0 &&
			grep -q 'net.ipv4.conf.all.rp_filter is 1 and must be 0 for a TUN device, but the old values cannot be recorded: no access to /run/snare (Permission denied); run snare as root or through sudo, or set net.ipv4.conf.all.rp_filter=0 first' "$T/unpriv.log"; then
			ok helper-state-unrecorded-refused
		else
			notok helper-state-unrecorded-refused "$g $(tail -2 "$T/unpriv.log")"
		fi
		;;
	*) notok helper-state-unrecorded-refused "$out $(tail -2 "$T/unpriv.log")" ;;
	esac
	# The fix it names: with all/rp_filter at 0 the same helper works.
	nsx sysctl -qw net.ipv4.conf.all.rp_filter=0
	out=$(unpriv_tun hsu1)
	case $out in
	"ready ok pid "*" ok tun hsu1 ok closed ") ok helper-state-unrecorded-all-zero-works ;;
	*) notok helper-state-unrecorded-all-zero-works "$out $(tail -2 "$T/unpriv.log")" ;;
	esac
	nsx sysctl -qw net.ipv4.conf.all.rp_filter=1
fi

[ "$(sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter | tr '\n' ' ')" = "$host_before" ] &&
	ok helper-state-host-untouched || notok helper-state-host-untouched "the host's rp_filter changed"
