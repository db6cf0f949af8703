# Local capture mode: `snare --mode local:NAME` captures the connections of
# processes named NAME (a copy of curl named snaretest-curl, so nothing else
# on the host is touched), through the eBPF redirector and snare's userspace
# network stack, to an origin in another namespace.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip local "needs root (eBPF, TUN devices, namespaces)"
	exit 0
fi
if [ ! -s "${SNARE_BUILD:-build/check}/bpf/redirect.skel.h" ]; then
	skip local "snare-redirector was built without its eBPF programs (no kernel BTF?)"
	exit 0
fi
B=snare-lcb-$$ C=snare-lcc-$$
cleanup_ns() { ip netns del "$B" 2>/dev/null; ip netns del "$C" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$B" && ip netns add "$C" || { notok netns "cannot create namespaces"; exit 1; }
XB="ip netns exec $B" XC="ip netns exec $C"
ip link add lb-$$ netns "$B" type veth peer name lc-$$ netns "$C"
$XB ip link set lo up; $XC ip link set lo up
$XB ip addr add 10.209.0.1/24 dev lb-$$; $XB ip link set lb-$$ up
$XC ip addr add 10.209.0.5/24 dev lc-$$; $XC ip link set lc-$$ up
$XC python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8080 --bind 10.209.0.5 >"$T/o1.log" 2>&1 &
PIDS+=($!)
wait_for "$T/o1.log" ready 10 || { notok origin "no origin"; exit 1; }
$XC socat UDP-RECVFROM:5005,bind=10.209.0.5,fork EXEC:cat &
PIDS+=($!)
mkdir -p "$T/bin"
cp "$(command -v curl)" "$T/bin/snaretest-curl"
cp "$(command -v socat)" "$T/bin/snaretest-socat"

LOG=$T/snare-local.log
# `ip netns exec` remounts /sys for the namespace: mount the cgroup2 hierarchy
# again in that private mount namespace so the redirector finds its root.
$XB sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$0" "$@"' \
	"$SNARE_BIN" --mode local:snaretest-curl,snaretest-socat --set confdir="$T/conf" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "Local redirector started." 20 && ok local-started-line || { notok local-started-line "$(cat "$LOG")"; exit 1; }
out=$($XB "$T/bin/snaretest-curl" -sS --max-time 10 http://10.209.0.5:8080/hello)
[ "$out" = hello ] && ok local-captured-request-served || notok local-captured-request-served "$out"
wait_for "$LOG" "GET http://10.209.0.5:8080/hello" 5 && ok local-flow-line || notok local-flow-line "$(tail -4 "$LOG")"
grep -q "client connect (snaretest-curl, pid [0-9]*)" "$LOG" && ok local-connection-names-process ||
	notok local-connection-names-process "$(grep 'client connect' "$LOG" | head -2)"
n=$(grep -c "GET http://10.209.0.5:8080/" "$LOG")
out=$($XB curl -sS --max-time 10 http://10.209.0.5:8080/hello)
sleep 0.3
[ "$out" = hello ] && [ "$(grep -c "GET http://10.209.0.5:8080/" "$LOG")" -eq "$n" ] &&
	ok local-other-processes-untouched || notok local-other-processes-untouched "$out"
# Unconnected (sendto) then connected: both sockets get their port late.
out=$(echo ping | $XB "$T/bin/snaretest-socat" -T3 - UDP-SENDTO:10.209.0.5:5005)
out+=$(echo ping | $XB "$T/bin/snaretest-socat" -T3 - UDP-CONNECT:10.209.0.5:5005)
sleep 0.3
[ "$(grep -c "UDP flow from snaretest-socat (pid [0-9]*) to 10.209.0.5:5005" "$LOG")" -eq 2 ] &&
	ok local-udp-flow-names-process || notok local-udp-flow-names-process "$out $(grep UDP "$LOG")"

# What this snare set up: its snare-redirector (with the program ids of its
# bpf_links on the cgroup2 root), the TUN in B and B's IPv6 rule.  Absences
# after the stop only count once all of it was seen.
CG2=$(findmnt -n -o TARGET -t cgroup2 | head -1)
watch_redirector() {
	RPID=$(pgrep -P "$1" -x snare-redirecto)
	PROGS=$(bpf_link_progs "${RPID:-0}" | tr '\n' ' ')
	LDEV=$($XB ip -o link show | grep -oE '^[0-9]+: snare[0-9]+' | cut -d' ' -f2 | head -1)
	KIDS=$(descendants "$1" | tr '\n' ' ')
}
local_rule() { $XB ip -6 rule show | grep -qE "^14280:.* oif ${LDEV:-none}( |\$)"; }
local_dev() { $XB ip link show "${LDEV:-none}" >/dev/null 2>&1; }
local_all_there() {
	[ -n "$RPID" ] && pid_alive "$RPID" && [ "$(echo $PROGS | wc -w)" -eq 3 ] &&
		[ "$(progs_attached "$CG2" $PROGS)" -eq 3 ] && local_dev && local_rule
}
local_any_left() {
	[ "$(progs_attached "$CG2" $PROGS)" -gt 0 ] || local_dev || local_rule || any_alive $KIDS
}
local_state() {
	echo "redirector ${RPID:-none}, progs $PROGS attached: $(progs_attached "$CG2" $PROGS), dev ${LDEV:-none}:" \
		"$(local_dev && echo there), rule: $(local_rule && echo there), alive: $(for p in $KIDS; do pid_alive $p && echo $p; done)"
}
# stop_local NAME SIGNAL: all there, SIGNAL to snare, then nothing left.
stop_local() {
	watch_redirector $SPID
	if ! local_all_there; then
		notok "$1" "not there before the stop: $(local_state)"
		kill -9 $SPID
		wait $SPID 2>/dev/null
		return 1
	fi
	kill "-$2" $SPID
	wait $SPID 2>/dev/null
	rc=$?
	if absent_within 5 local_any_left; then ok "$1"; else notok "$1" "left after SIG$2: $(local_state)"; fi
}
stop_local local-programs-device-rule-removed TERM
[ $rc -eq 0 ] && ok local-clean-exit || notok local-clean-exit "rc=$rc"
out=$($XB "$T/bin/snaretest-curl" -sS --max-time 5 http://10.209.0.5:8080/hello)
[ "$out" = hello ] && ok local-after-exit-direct || notok local-after-exit-direct "$out"

# kill -9 of snare: the redirector sees its channel close and undoes; no
# process of snare's is left.
LOG=$T/snare-local2.log
$XB sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$0" "$@"' \
	"$SNARE_BIN" --mode local:snaretest-curl --set confdir="$T/conf" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
if wait_for "$LOG" "Local redirector started." 20; then
	sleep 0.5
	stop_local local-kill-9-nothing-left 9
else
	notok local-kill-9-nothing-left "did not start: $(tail -3 "$LOG")"
fi
out=$($XB "$T/bin/snaretest-curl" -sS --max-time 5 http://10.209.0.5:8080/hello)
[ "$out" = hello ] && ok local-after-kill-9-direct || notok local-after-kill-9-direct "$out"
