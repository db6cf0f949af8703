# Local capture's redirector (root only): snare-redirector started by a tiny
# coordinator (the --driver mode of tests/test_intercept_redirector).  Sockets
# of a process named in the spec are bound to snare's TUN, even from a thread
# that renamed itself; a PID matches every thread of the process; others are
# untouched; a captured connect arrives on the TUN fd; the programs, rule and
# device vanish on close and on kill -9; a second helper while one runs is
# refused and leaves the first's rule, route and programs alone.  The
# programs see the whole host, so the test only names a process called
# "snaretest-curl".
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}
DRIVER=$B/tests/test_intercept_redirector
NAME=snaretest-curl

if ! need_root; then
	skip redirector "not root"
	exit 0
fi
if [ ! -x "$DRIVER" ] || [ ! -x "$B/snare-redirector" ] || ! command -v bpftool >/dev/null; then
	skip redirector "no driver, helper or bpftool in $B"
	exit 0
fi
CG=/sys/fs/cgroup
[ "$(stat -fc %T $CG)" = cgroup2fs ] || CG=/sys/fs/cgroup/unified
PY=$(python3 -c "import os, sys; print(os.path.realpath(sys.executable))")
ln "$PY" "$T/$NAME" 2>/dev/null || cp "$PY" "$T/$NAME"

# bound [PROG] [PRE]: the device a new socket of PROG (default: our copy) is bound to.
bound() {
	"${1:-$T/$NAME}" -c "import socket, ctypes, threading
${2:-}
s = socket.socket()
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b'\0').decode())"
}
# A thread that renames itself ("Socket Thread") and opens the socket.
RENAME="libc = ctypes.CDLL(None)
def t():
    libc.prctl(15, b'Socket Thread')
    assert open('/proc/self/task/%d/comm' % threading.get_native_id()).read().startswith('Socket')
    print(socket.socket().getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b'\0').decode())
th = threading.Thread(target=t); th.start(); th.join()
import sys; sys.exit(0)"

start_driver() {
	coproc DRV { "$DRIVER" --driver 2>>"$T/helper.err"; }
	PIDS+=("$DRV_PID")
	DPID=$DRV_PID
	read -r -t 20 line <&"${DRV[0]}" || line="err no answer"
	[ "${line%% *}" = ok ]
}
# cmd LINE: one driver command; its answer (without "ok ") in REPLY.
cmd() {
	echo "$1" >&"${DRV[1]}"
	read -r -t 20 line <&"${DRV[0]}" || line="err no answer"
	REPLY=${line#* }
	[ "${line%% *}" = ok ]
}
# The programs, device and rule of the helper this test started (other snare
# instances on the host may have their own): PROGS are the program ids of
# its bpf_links, read from /proc while it runs.
watch_helper() {
	cmd pid && HPID=$REPLY && PROGS=$(bpf_link_progs "$HPID" | tr '\n' ' ') && [ -n "$PROGS" ]
}
attached() { [ "$(progs_attached "$CG" $PROGS)" -eq "$(echo $PROGS | wc -w)" ]; }
detached() { [ "$(progs_attached "$CG" $PROGS)" -eq 0 ]; }
dev_exists() { ip link show "$1" >/dev/null 2>&1; }
rule_exists() { ip -6 rule show | grep -qE "^14280:.* oif $1( |\$)"; }
# present DEV: the helper runs, its programs are attached, DEV and its rule exist.
present() { pid_alive "$HPID" && attached && dev_exists "$1" && rule_exists "$1"; }
# gone_within SECONDS DEV: programs detached, the device and its rule deleted.
gone_within() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		if detached && ! dev_exists "$2" && ! rule_exists "$2"; then return 0; fi
		sleep 0.1
	done
	return 1
}
# state DEV: what is there, for a failure message.
state() { echo "progs $PROGS attached: $(progs_attached "$CG" $PROGS); $(ip -o link show "$1" 2>&1 | cut -c1-60); $(ip -6 rule show | grep 14280)"; }

if ! start_driver; then
	if grep -q "built without its eBPF" "$T/helper.err"; then
		skip redirector "snare-redirector built without bpf/build.sh's skeleton"
	else
		notok redirector-start "$(tail -1 "$T/helper.err")"
	fi
	exit 0
fi
cmd tun && DEV=$REPLY || notok redirector-tun "$REPLY"
watch_helper && [ "$(echo $PROGS | wc -w)" -eq 3 ] && attached && ok redirector-attached ||
	notok redirector-attached "helper $HPID, $(state "$DEV")"
check redirector-ipv6-rule sh -c "ip -6 rule show | grep -q 'oif $DEV'"

cmd "set $NAME" && [ "$REPLY" = "Include processes matching \"$NAME\"." ] &&
	ok redirector-set || notok redirector-set "$REPLY"
out=$(bound)
[ "$out" = "$DEV" ] && ok redirector-name-bound || notok redirector-name-bound "got '$out'"
out=$(bound "$PY")
[ -z "$out" ] && ok redirector-others-untouched || notok redirector-others-untouched "got '$out'"
out=$(bound "" "$RENAME")
[ "$out" = "$DEV" ] && ok redirector-renamed-thread || notok redirector-renamed-thread "got '$out'"

# A PID matches the process (tgid): also a socket from one of its threads.
"$PY" -c "import os, socket, threading, time
while not os.path.exists('$T/go'): time.sleep(0.05)
def t():
    print(socket.socket().getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b'\0').decode())
th = threading.Thread(target=t); th.start(); th.join()" >"$T/pid.out" &
ppid=$!
cmd "set $ppid,!$NAME" || notok redirector-set-pid "$REPLY"
touch "$T/go"
wait $ppid
[ "$(cat "$T/pid.out")" = "$DEV" ] && ok redirector-pid-thread || notok redirector-pid-thread "got '$(cat "$T/pid.out")'"
out=$(bound)
[ -z "$out" ] && ok redirector-exclude || notok redirector-exclude "got '$out'"

# A captured connect comes out of snare's TUN fd.
cmd "set $NAME" >/dev/null
"$T/$NAME" -c "import socket
s = socket.socket(); s.setblocking(False)
try: s.connect(('10.254.1.2', 8080))
except BlockingIOError: pass
import time; time.sleep(1)" &
cpid=$!
cmd read && [ "$REPLY" = "4 6 10.254.1.2 8080" ] && ok redirector-packet ||
	notok redirector-packet "$REPLY"
wait "$cpid"

# A second redirector while this one runs is refused, and leaves this one's
# rule, route and programs alone (it must not take them for a crashed
# predecessor's).
out=$(echo quit | "$DRIVER" --driver 2>>"$T/helper.err")
if [ "${out%% *}" = err ] && present "$DEV" && ip -6 route show table 1936613746 | grep -q "dev $DEV "; then
	ok redirector-second-refused-first-intact
else
	notok redirector-second-refused-first-intact "second: $out; first: $(state "$DEV"); $(tail -2 "$T/helper.err")"
fi

# Close: the programs, the rule and the device are there, then all gone.
if present "$DEV"; then
	echo quit >&"${DRV[1]}"
	wait "$DPID" 2>/dev/null
	check redirector-undo-on-close gone_within 5 "$DEV"
	rule_exists "$DEV" && notok redirector-rule-removed "rule left" || ok redirector-rule-removed
else
	notok redirector-undo-on-close "not there before the close: $(state "$DEV")"
	echo quit >&"${DRV[1]}"
	wait "$DPID" 2>/dev/null
fi

# kill -9 of the coordinator: the helper sees EOF and undoes everything.
DEV=
start_driver && cmd tun && DEV=$REPLY && watch_helper
if [ -n "$DEV" ] && present "$DEV"; then
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	check redirector-undo-on-kill9-coordinator gone_within 5 "$DEV"
else
	notok redirector-undo-on-kill9-coordinator "not there before kill -9: $(state "$DEV")"
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
fi

# kill -9 of the helper: its bpf_links die with it; the device lives while
# the coordinator holds its fd and goes with it; the rule stays behind.
DEV=
start_driver && cmd tun && DEV=$REPLY && watch_helper
if [ -n "$DEV" ] && present "$DEV"; then
	kill -9 "$HPID"
	for _ in $(seq 1 50); do detached && break; sleep 0.1; done
	detached && ok redirector-detach-on-kill9-helper || notok redirector-detach-on-kill9-helper "still attached"
	if dev_exists "$DEV"; then
		echo quit >&"${DRV[1]}"
		wait "$DPID" 2>/dev/null
		for _ in $(seq 1 50); do dev_exists "$DEV" || break; sleep 0.1; done
		dev_exists "$DEV" && notok redirector-device-gone-after-kill9 "still there" ||
			ok redirector-device-gone-after-kill9
	else
		notok redirector-device-gone-after-kill9 "gone before the coordinator closed its fd"
		echo quit >&"${DRV[1]}"
		wait "$DPID" 2>/dev/null
	fi
else
	notok redirector-detach-on-kill9-helper "not there before kill -9: $(state "$DEV")"
	echo quit >&"${DRV[1]}"
	wait "$DPID" 2>/dev/null
fi

# The rule the killed helper left is removed by the next one at start-up.
if [ -n "$DEV" ] && rule_exists "$DEV"; then
	start_driver && echo quit >&"${DRV[1]}"
	wait "$DPID" 2>/dev/null
	rule_exists "$DEV" && notok redirector-stale-rule "left in place: $(ip -6 rule show | grep 14280)" ||
		ok redirector-stale-rule
else
	notok redirector-stale-rule "the killed helper left no rule to remove: $(ip -6 rule show | grep 14280)"
fi
