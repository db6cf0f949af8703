# The terminal as a person meets it (root only).  A temporary user with a
# password and a temporary sudoers rule for exactly the helpers under test,
# requiring that password; a shell of that user in a tmux pseudo-terminal,
# inside network namespaces this test creates.  In it: sudo's prompt naming
# the helper, the password typed, the TUN device and DNS on port 53 working,
# Ctrl-C undoing everything; three wrong passwords; no terminal at all (su -c)
# and an askpass program instead; a terminal closed under a running snare
# (in the foreground, `snare &`, nohup); SIGHUP reloading a snare that has no
# terminal.  The user and the rule are removed at the end.
. "$(dirname "$0")/lib.sh"

B=${SNARE_BUILD:-$SNARE_ROOT/build/check}
U=snare-term-$$
NS=snare-terms-$$ NC=snare-termc-$$
RULE=/etc/sudoers.d/snare-term-$$
TUN1=stermt$$ TUN2=stermh$$ TUN3=stermn$$ TUN4=sterma$$
PW=pw-$RANDOM-$RANDOM-$RANDOM

if ! need_root; then
	skip terminal "needs root (a user, a sudoers rule, namespaces)"
	exit 0
fi
for c in sudo tmux useradd userdel chpasswd setpriv su visudo dnsmasq dig curl; do
	command -v "$c" >/dev/null || { skip terminal "$c is not installed (scripts/deps.sh test)"; exit 0; }
done
for b in snare snare-tun snare-netfilter; do
	[ -x "$B/$b" ] || { skip terminal "no $B/$b"; exit 0; }
done
if id "$U" >/dev/null 2>&1 || [ -e "$RULE" ]; then
	notok terminal-setup "$U or $RULE exists already"
	exit 1
fi

TM() { tmux -S "$T/tmux.sock" "$@"; }
remove_user() {
	rm -f "$RULE" "$RULE.tmp"
	id "$U" >/dev/null 2>&1 && userdel "$U" 2>/dev/null
	rm -f "/run/sudo/ts/$U" "/var/lib/sudo/ts/$U"
}
finish() {
	TM kill-server 2>/dev/null
	pkill -KILL -u "$U" 2>/dev/null
	remove_user
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NC" 2>/dev/null
	cleanup
}
trap finish EXIT

# --- the user, its home, the binaries it runs and the rule ----------------
H=$T/home
useradd -M -d "$H" -s /bin/bash "$U" || { notok terminal-setup "useradd failed"; exit 1; }
mkdir -p "$H" && chown "$U:" "$H" && chmod 700 "$H"
echo "$U:$PW" | chpasswd || { notok terminal-setup "chpasswd failed"; exit 1; }
as_user() { setpriv --reuid="$U" --regid="$U" --init-groups "$@"; }
# The build folder may sit below a directory the new user cannot enter (a
# 0700 home): then the binaries under test are copied to a root-owned 0755
# directory.  Either way only root can write where the rule points.
BIN=$B
if ! as_user test -x "$B/snare" -a -x "$B/snare-tun" -a -x "$B/snare-netfilter"; then
	BIN=$T/bin
	mkdir -m 755 "$BIN" && cp "$B/snare" "$B/snare-tun" "$B/snare-netfilter" "$BIN/"
fi
printf '%s\n' "Defaults:$U timestamp_timeout=0" \
	"$U ALL=(root) $BIN/snare-tun, $BIN/snare-netfilter" >"$RULE.tmp"
chmod 440 "$RULE.tmp"
if ! visudo -qcf "$RULE.tmp" >/dev/null; then
	rm -f "$RULE.tmp"
	notok terminal-setup "visudo rejects the rule"
	exit 1
fi
mv "$RULE.tmp" "$RULE"
echo "# the binaries under test: $BIN"

# --- namespaces: snare runs in NS, a client in NC routes through it -------
ip netns add "$NS" && ip netns add "$NC" || { notok terminal-setup "cannot create namespaces"; exit 1; }
XS="ip netns exec $NS" XC="ip netns exec $NC"
ip link add stva$$ netns "$NC" type veth peer name stvb$$ netns "$NS"
$XS ip link set lo up
$XC ip link set lo up
$XC ip addr add 10.207.0.2/24 dev stva$$ && $XC ip link set stva$$ up
$XS ip addr add 10.207.0.1/24 dev stvb$$ && $XS ip link set stvb$$ up
$XC ip route add default via 10.207.0.1
$XS sysctl -qw net.ipv4.ip_forward=1
$XS ip addr add 10.208.0.5/32 dev lo
$XS python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8080 --bind 10.208.0.5 >"$T/origin.log" 2>&1 &
PIDS+=($!)
$XS dnsmasq --no-daemon --port=5353 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --address=/example.test/10.1.2.3 >"$T/dnsmasq.log" 2>&1 &
PIDS+=($!)
wait_for "$T/origin.log" ready 10 || { notok terminal-setup "no origin"; exit 1; }
# Forwarded packets for 10.208.0.0/24 go into the TUN device (once it exists).
$XS ip rule add pref 10 iif stvb$$ to 10.208.0.0/24 lookup 207
$XS ip rule del pref 0 lookup local
$XS ip rule add pref 100 lookup local

# --- the user's shell in a pseudo-terminal (inside NS) --------------------
SHELL_CMD="setpriv --reuid=$U --regid=$U --init-groups env -i HOME=$H USER=$U LOGNAME=$U \
PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm PS1='$ ' ASAN_OPTIONS=$ASAN_OPTIONS \
bash --norc --noprofile -i"
new_term() { $XS tmux -S "$T/tmux.sock" -f /dev/null new-session -d -s "$1" -x 230 -y 50 "$SHELL_CMD"; }
# since SESSION MARK: the pane's text from the line MARK on.
since() { TM capture-pane -p -J -S - -t "$1" 2>/dev/null | sed -n "/^$2\$/,\$p"; }
# wait_pane SESSION MARK ERE SECONDS
wait_pane() {
	local i
	for i in $(seq 1 $(($4 * 20))); do
		since "$1" "$2" | grep -qE -- "$3" && return 0
		sleep 0.05
	done
	return 1
}
# count_in SESSION MARK FIXED-STRING
count_in() { since "$1" "$2" | grep -cF -- "$3"; }
type_line() { TM send-keys -t "$1" -l -- "$2" && TM send-keys -t "$1" Enter; }
# run SESSION MARK COMMAND: types COMMAND after a marker, then its status.
run() { type_line "$1" "echo $2; $3; echo rc=\$?"; }
device() { $XS ip link show "$1" >/dev/null 2>&1; }
# helper_procs NAME: pids of sudo and the helper started by it.
helper_procs() { pgrep -f -- "$BIN/snare-$1 --rendezvous"; }
# gone_within SECONDS CMD...: true once CMD fails.
gone_within() {
	local i
	for i in $(seq 1 $(($1 * 20))); do
		"${@:2}" || return 0
		sleep 0.05
	done
	return 1
}
anything_of() { device "$1" || helper_procs "$2" >/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
PROMPT_TUN="[sudo] password for $U to start snare-tun:"
PROMPT_NF="[sudo] password for $U to start snare-netfilter:"

new_term term || { notok terminal-setup "tmux did not start"; exit 1; }
wait_pane term '.*' '^\$ ' 10 || { notok terminal-setup "no shell prompt: $(since term '.*')"; exit 1; }

# 1. tun mode: the prompt, the password, the device and traffic, Ctrl-C.
run term ==tun== "$BIN/snare --mode tun:$TUN1 --set confdir=$H/c"
if wait_pane term ==tun== "^\\[sudo\\] password for $U to start snare-tun: *\$" 30; then
	ok term-sudo-prompt-names-helper
	echo "# the prompt: $(since term ==tun== | grep -F "$PROMPT_TUN")"
else
	notok term-sudo-prompt-names-helper "$(since term ==tun==)"
fi
type_line term "$PW"
up=0
if wait_pane term ==tun== "TUN interface started" 30 && device "$TUN1"; then
	ok term-password-starts-tun
	helper_procs tun >/dev/null && up=1
	$XS ip route replace default dev "$TUN1" table 207
	out=$($XC curl -sS --max-time 10 http://10.208.0.5:8080/hello 2>&1)
	[ "$out" = hello ] && wait_pane term ==tun== "GET http://10.208.0.5:8080/hello" 5 &&
		ok term-tun-traffic || notok term-tun-traffic "$out"
	helper_procs tun >/dev/null && ok term-tun-helper-running || notok term-tun-helper-running "no helper"
else
	notok term-password-starts-tun "$(since term ==tun== | tail -5)"
fi
since term ==tun== | head -8 | sed 's/^/# /'
TM send-keys -t term C-c
if [ $up = 1 ] && wait_pane term ==tun== '^rc=0$' 10 && ! anything_of "$TUN1" tun; then
	ok term-ctrl-c-undoes
else
	notok term-ctrl-c-undoes "$(since term ==tun== | tail -5) $(helper_procs tun | tr '\n' ' ')"
fi

# 2. Three wrong passwords: one line naming the helper, exit 1, nothing left.
run term ==wrong== "$BIN/snare --mode tun:$TUN1 --set confdir=$H/c"
for n in 1 2 3; do
	for _ in $(seq 1 200); do [ "$(count_in term ==wrong== "$PROMPT_TUN")" -ge $n ] && break; sleep 0.05; done
	type_line term "wrong-$n"
done
if wait_pane term ==wrong== '^rc=[0-9]+$' 30; then
	out=$(since term ==wrong==)
	mine=$(echo "$out" | grep -v '^\[sudo\]' | grep -F snare-tun)
	if echo "$out" | grep -q '^rc=1$' && [ "$(echo "$mine" | wc -l)" -eq 1 ] &&
		echo "$mine" | grep -q 'cannot start snare-tun through sudo: sudo exited with status 1'; then
		ok term-wrong-password-one-line-exit-1
	else
		notok term-wrong-password-one-line-exit-1 "$out"
	fi
	echo "$out" | sed 's/^/# /'
else
	notok term-wrong-password-one-line-exit-1 "no exit: $(since term ==wrong== | tail -5)"
fi
! anything_of "$TUN1" tun && [ -z "$(find /tmp -maxdepth 1 -name 'snare-rv.*' -user "$U")" ] &&
	ok term-wrong-password-nothing-left || notok term-wrong-password-nothing-left "$(helper_procs tun)"

# 3. dns@53 as the user: snare-netfilter binds the port after the prompt.
run term ==dns== "$BIN/snare --mode dns@53 --set confdir=$H/c --set dns_name_servers=127.0.0.1:5353"
if wait_pane term ==dns== "^\\[sudo\\] password for $U to start snare-netfilter: *\$" 30; then
	ok term-sudo-prompt-names-netfilter
else
	notok term-sudo-prompt-names-netfilter "$(since term ==dns==)"
fi
type_line term "$PW"
up=0
if wait_pane term ==dns== "listening at" 30; then
	$XS ss -Hlun 'sport = :53' | grep -q . && helper_procs netfilter >/dev/null && up=1
	out=$($XS dig @127.0.0.1 -p 53 +short +time=3 +tries=1 example.test A 2>&1)
	[ "$out" = 10.1.2.3 ] && ok term-dns-port-53-answers || notok term-dns-port-53-answers "$out"
	helper_procs netfilter >/dev/null && ok term-netfilter-helper-running ||
		notok term-netfilter-helper-running "no helper"
else
	notok term-dns-port-53-answers "$(since term ==dns== | tail -5)"
fi
TM send-keys -t term C-c
if [ $up = 1 ] && wait_pane term ==dns== '^rc=0$' 10 && ! helper_procs netfilter >/dev/null &&
	! $XS ss -Hlun 'sport = :53' | grep -q .; then
	ok term-dns-ctrl-c-undoes
else
	notok term-dns-ctrl-c-undoes "$(since term ==dns== | tail -5)"
fi

# 4. No terminal at all (su -c makes a new session): a line that says what to do.
$XS su -s /bin/sh -c "exec $BIN/snare --mode tun:$TUN3 --set confdir=$H/c" "$U" </dev/null >"$T/su.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'cannot start snare-tun through sudo: .*no terminal.*SUDO_ASKPASS' "$T/su.log"; then
	ok term-no-terminal-says-what-to-do
else
	notok term-no-terminal-says-what-to-do "rc=$rc $(cat "$T/su.log")"
fi
sed 's/^/# /' "$T/su.log"
! anything_of "$TUN3" tun && ok term-no-terminal-nothing-left || notok term-no-terminal-nothing-left "left"

# 5. ...and with an askpass program it works without a terminal.
printf '#!/bin/sh\necho %s\n' "$PW" >"$H/askpass" && chmod 700 "$H/askpass" && chown "$U:" "$H/askpass"
$XS su -s /bin/sh -c "SUDO_ASKPASS=$H/askpass exec $BIN/snare --mode tun:$TUN4 --set confdir=$H/c" \
	"$U" </dev/null >"$T/askpass.log" 2>&1 &
SU_PID=$!
PIDS+=("$SU_PID")
if wait_for "$T/askpass.log" "TUN interface started" 30 && device "$TUN4"; then
	ok term-askpass-without-terminal
	kill -TERM "$(pgrep -o -u "$U" -f -- "--mode tun:$TUN4")"
	wait $SU_PID
	gone_within 5 anything_of "$TUN4" tun && ok term-askpass-stop-undoes ||
		notok term-askpass-stop-undoes "still there"
else
	notok term-askpass-without-terminal "$(cat "$T/askpass.log")"
fi

# 6. A terminal closed under a running snare: it stops, the helper undoes.
new_term hup
wait_pane hup '.*' '^\$ ' 10
run hup ==hup== "sh -c 'trap : HUP; $BIN/snare --mode tun:$TUN2 --set confdir=$H/c; echo \$? >$H/hup.rc'"
wait_pane hup ==hup== "^\\[sudo\\] password for $U to start snare-tun: *\$" 30
type_line hup "$PW"
if wait_pane hup ==hup== "TUN interface started" 30 && device "$TUN2" && helper_procs tun >/dev/null; then
	TM kill-session -t hup
	if gone_within 1 anything_of "$TUN2" tun; then ok term-hangup-device-and-helper-gone; else
		notok term-hangup-device-and-helper-gone "$(device "$TUN2" && echo device) $(helper_procs tun | tr '\n' ' ')"
	fi
	wait_for "$H/hup.rc" . 10
	[ "$(cat "$H/hup.rc" 2>/dev/null)" = 0 ] && ok term-hangup-exit-0 ||
		notok term-hangup-exit-0 "status $(cat "$H/hup.rc" 2>/dev/null)"
	pgrep -u "$U" -f -- "--mode tun:$TUN2" >/dev/null && notok term-hangup-snare-gone "still running" ||
		ok term-hangup-snare-gone
else
	notok term-hangup-device-and-helper-gone "did not start: $(since hup ==hup== | tail -5)"
	TM kill-session -t hup 2>/dev/null
fi

# 7. SIGHUP: a reload without a terminal (setsid, stdin from /dev/null, even
# when started from a shell in one) or when SIGHUP was ignored at start
# (nohup), a stop in the foreground of a terminal (`snare &` counts).  No
# helper needed: port 0.
$XS python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8081 --bind 127.0.0.1 >"$T/o2.log" 2>&1 &
PIDS+=($!)
wait_for "$T/o2.log" ready 10
# start_in_term SESSION NAME HOW: snare regular@127.0.0.1:0 with the
# configuration file $H/NAME.yaml and the log $H/NAME.log (LOG), started from
# the pane in the background, HOW being setsid, ignored (SIGHUP ignored, as
# nohup does) or plain (`snare &`); sets PORT and SPID (the coordinator).
start_in_term() {
	local conf=$H/$2.yaml cmd
	LOG=$H/$2.log
	printf 'flow_detail: 1\n' >"$conf" && chown "$U:" "$conf"
	cmd="$BIN/snare --mode regular@127.0.0.1:0 --set confdir=$H/c --conf $conf"
	case $3 in
	setsid) cmd="setsid $cmd </dev/null >$LOG 2>&1 &" ;;
	ignored) cmd="(trap '' HUP; exec $cmd >$LOG 2>&1) &" ;;
	plain) cmd="$cmd >$LOG 2>&1 &" ;;
	esac
	type_line "$1" "echo ==$2==; $cmd"
	if ! wait_for "$LOG" "listening at" 20; then echo "# did not start: $(cat "$LOG")"; return 1; fi
	PORT=$(grep -m1 -oE 'listening at [^ ]*:[0-9]+' "$LOG" | grep -oE '[0-9]+$')
	SPID=$(pgrep -o -u "$U" -f -- "--conf $conf")
	[ -n "$SPID" ]
}
via() { $XS curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$PORT" http://127.0.0.1:8081/hello; }
stop_it() { kill -TERM "$SPID" 2>/dev/null; gone_within 5 alive "$SPID"; }
for how in setsid ignored; do
	if start_in_term term "$how" $how; then
		printf 'flow_detail: 2\n' >"$H/$how.yaml"
		kill -HUP "$SPID"
		if wait_for "$LOG" "configuration reloaded" 10 && [ "$(via)" = 200 ] && alive "$SPID"; then
			ok term-sighup-$how-reloads-still-serving
		else
			notok term-sighup-$how-reloads-still-serving "$(tail -3 "$LOG")"
		fi
		stop_it
	else
		notok term-sighup-$how-reloads-still-serving "did not start"
	fi
done
if start_in_term term plain plain && [ "$(via)" = 200 ]; then
	kill -HUP "$SPID"
	if gone_within 5 alive "$SPID" && ! grep -q "configuration reloaded" "$LOG" &&
		grep -q "SIGHUP (a terminal hangup): stopping" "$LOG"; then
		ok term-sighup-in-terminal-stops
	else
		notok term-sighup-in-terminal-stops "$(tail -3 "$LOG")"
	fi
else
	notok term-sighup-in-terminal-stops "did not start"
fi

# 8. A terminal closed with `snare &` and `nohup snare &` running in it: the
# shell passes the hangup on to its jobs; the first stops, the second
# reloads and stays.
new_term bg
wait_pane bg '.*' '^\$ ' 10
if start_in_term bg bgplain plain && P1=$SPID && L1=$LOG && start_in_term bg bgnohup ignored &&
	[ "$(via)" = 200 ] && alive "$P1"; then
	TM kill-session -t bg
	if gone_within 5 alive "$P1" && grep -q "SIGHUP (a terminal hangup): stopping" "$L1"; then
		ok term-hangup-background-job-stops
	else
		notok term-hangup-background-job-stops "$(tail -3 "$L1")"
	fi
	# The hangup reached it: SIGHUP means reload there.
	if wait_for "$LOG" "configuration reloaded" 10 && alive "$SPID" && [ "$(via)" = 200 ] &&
		! grep -q "stopping" "$LOG"; then
		ok term-hangup-nohup-keeps-running
	else
		notok term-hangup-nohup-keeps-running "$(tail -3 "$LOG")"
	fi
	stop_it
else
	notok term-hangup-background-job-stops "did not start"
	TM kill-session -t bg 2>/dev/null
fi

# --- the user and the rule existed until now ------------------------------
TM kill-server 2>/dev/null
pkill -KILL -u "$U" 2>/dev/null
sleep 0.2
if id "$U" >/dev/null 2>&1 && [ -f "$RULE" ]; then
	remove_user
	if ! id "$U" >/dev/null 2>&1 && [ ! -e "$RULE" ]; then ok term-user-and-rule-removed; else
		notok term-user-and-rule-removed "still there"; fi
else
	notok term-user-and-rule-removed "they were gone before the end"
fi
