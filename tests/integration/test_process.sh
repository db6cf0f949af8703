# The process model: roles in ps (coordinator -> spawner -> ca, workers),
# worker replacement after kill -9, the seccomp filter killing a forbidden
# syscall (in a worker, and execve in the coordinator), clean SIGTERM, the
# listening line for port 0, and -w / -r.
. "$(dirname "$0")/lib.sh"

start_snare --mode regular@127.0.0.1:0 --set workers=2 || { notok start "snare did not start"; exit 1; }
if [ -n "$SNARE_PORT" ] && [ "$SNARE_PORT" -ne 0 ] &&
	grep -q "HTTP(S) proxy listening at 127.0.0.1:$SNARE_PORT." "$SNARE_LOG"; then
	ok listening-line-real-port; else notok listening-line-real-port "$(head -3 "$SNARE_LOG")"; fi

sleep 0.5
# The ca and the workers are the spawner's children, the spawner the coordinator's.
spawner_of() { pgrep -P "$1" -f -- "--role spawner"; }
SPAWNER=$(spawner_of "$SNARE_PID")
roles=$(ps -o args= --ppid "${SPAWNER:-0}")
nca=$(echo "$roles" | grep -c -- "--role ca")
nwk=$(echo "$roles" | grep -c -- "--role worker")
nsp=$(ps -o args= --ppid "$SNARE_PID" | grep -c -- "--role spawner")
if [ "$nsp" -eq 1 ] && [ "$nca" -eq 1 ] && [ "$nwk" -eq 2 ]; then ok roles-in-ps; else
	notok roles-in-ps "$(ps -o pid=,ppid=,args= --ppid "$SNARE_PID,${SPAWNER:-0}")"; fi

if need_root; then
	u=$(ps -o user= -p "$SNARE_PID" | tr -d ' ')
	[ "$u" = nobody ] && ok coordinator-dropped-to-nobody || notok coordinator-dropped-to-nobody "runs as $u"
	# The four children are listed (spawner, ca, two workers), none as root.
	kids_ps=$(ps -o user=,args= --ppid "$SNARE_PID,${SPAWNER:-0}")
	bad=$(echo "$kids_ps" | grep -v '^nobody' || true)
	[ "$(echo "$kids_ps" | grep -c .)" -eq 4 ] && [ -z "$bad" ] && ok children-unprivileged ||
		notok children-unprivileged "$kids_ps"
else
	skip coordinator-dropped-to-nobody "not root"
fi
seccomp_ok=1
nproc=0
for p in $(pgrep -P "${SPAWNER:-0}") $SPAWNER $SNARE_PID; do
	nproc=$((nproc + 1))
	grep -qE '^Seccomp:\s+2' /proc/"$p"/status || seccomp_ok=0
	grep -qE '^NoNewPrivs:\s+1' /proc/"$p"/status || seccomp_ok=0
done
[ $seccomp_ok -eq 1 ] && [ $nproc -eq 5 ] && ok every-process-seccomp-filtered ||
	notok every-process-seccomp-filtered "$nproc processes; see /proc/*/status"

victim=$(pgrep -P "$SPAWNER" -f -- "--role worker" | head -1)
if [ -n "$victim" ] && pid_alive "$victim"; then
	kill -9 "$victim"
	sleep 1
	now=$(pgrep -P "$SPAWNER" -f -- "--role worker" | wc -l)
	if [ "$now" -eq 2 ] && absent_within 2 pid_alive "$victim" && grep -q "killed by signal 9" "$SNARE_LOG" &&
		grep -q "restarted" "$SNARE_LOG"; then
		ok worker-replaced-after-kill; else notok worker-replaced-after-kill "$now workers; $(tail -3 "$SNARE_LOG")"; fi
else
	notok worker-replaced-after-kill "no worker to kill: '$victim'"
fi

start_origin
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ORIGIN_PORT/hello")
[ "$code" = 200 ] && ok serves-after-restart || notok serves-after-restart "got $code"

# Test builds only: SIGUSR2 makes every worker call a forbidden syscall.
if grep -q SNARE_TEST_HOOKS <(strings "$SNARE_BIN") || true; then
	kill -USR2 "$SNARE_PID"
	if wait_for "$SNARE_LOG" "signal 31" 5; then ok forbidden-syscall-killed-by-filter; else
		notok forbidden-syscall-killed-by-filter "$(tail -5 "$SNARE_LOG")"; fi
	grep -q "forbidden syscall was allowed" "$SNARE_LOG" && notok filter-not-bypassed "allowed" || ok filter-not-bypassed
	sleep 1.5
fi

# Presence first: the spawner, the ca and both workers run (the workers the
# filter killed above may still be restarting), the port accepts.
for _ in $(seq 1 50); do
	kids=$(pgrep -P "$SNARE_PID,$SPAWNER" | tr '\n' ' ')
	[ "$(echo $kids | wc -w)" -eq 4 ] && break
	sleep 0.1
done
before=""
for p in $kids; do pid_alive "$p" && before="$before $p"; done
(exec 3<>/dev/tcp/127.0.0.1/"$SNARE_PORT") 2>/dev/null && accepting=1 || accepting=0
stop_snare
left=""
absent_within 3 any_alive $kids
for p in $kids; do pid_alive "$p" && left="$left $p"; done
if [ "$(echo $before | wc -w)" -ne 4 ]; then notok sigterm-exit-0-nothing-left "not 4 processes before the stop: $before"
elif [ "$SNARE_RC" -eq 0 ] && [ -z "$left" ]; then ok sigterm-exit-0-nothing-left; else
	notok sigterm-exit-0-nothing-left "rc=$SNARE_RC left:$left"; fi
grep -q "HTTP(S) proxy at 127.0.0.1:$SNARE_PORT stopped." "$SNARE_LOG" && ok stop-line || notok stop-line "$(tail -2 "$SNARE_LOG")"
if [ $accepting -ne 1 ]; then notok socket-closed "not accepting before the stop either"
elif (exec 3<>/dev/tcp/127.0.0.1/"$SNARE_PORT") 2>/dev/null; then notok socket-closed "still accepting"; else ok socket-closed; fi

# -w then -r prints the same flows.
start_snare --mode regular@127.0.0.1:0 -w "$T/flows.bin"
proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/size/2048"
sleep 0.3
stop_snare
FIRST_LOG=$SNARE_LOG
# A 600 KiB body (more than one IPC frame) is kept whole in the flow file.
start_snare --mode regular@127.0.0.1:0 -w "$T/big.bin"
proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/size/614400"
sleep 0.3
stop_snare
big=$(stat -c %s "$T/big.bin")
[ "$big" -gt 614400 ] && ok flow-file-keeps-large-body || notok flow-file-keeps-large-body "$big bytes"
"$SNARE_BIN" -n -r "$T/big.bin" | grep -q "<< 200 OK 600k" && ok large-body-flow-readable || notok large-body-flow-readable "$("$SNARE_BIN" -n -r "$T/big.bin")"
grep -E '^(127|  | <<)' "$FIRST_LOG" | grep -E 'GET|<<' >"$T/live.txt"
"$SNARE_BIN" -n -r "$T/flows.bin" >"$T/read.txt" 2>&1
if [ -s "$T/live.txt" ] && diff <(grep -E 'GET|<<' "$T/read.txt") "$T/live.txt" >/dev/null &&
	[ "$(grep -c GET "$T/read.txt")" -eq 2 ]; then ok write-then-read-same-flows; else
	notok write-then-read-same-flows "$(cat "$T/read.txt")"; fi
start_snare --mode regular@127.0.0.1:0 -w "+$T/flows.bin"
proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
sleep 0.3
stop_snare
n=$("$SNARE_BIN" -n -r "$T/flows.bin" | grep -c GET)
[ "$n" -eq 3 ] && ok append-flows || notok append-flows "$n flows"

# SIGHUP re-reads the configuration file; a broken file keeps the old one.
printf 'flow_detail: 1\n' >"$T/conf.yaml"
chmod 644 "$T/conf.yaml"
start_snare --mode regular@127.0.0.1:0 --conf "$T/conf.yaml"
printf 'flow_detail: 2\n' >"$T/conf.yaml"
kill -HUP "$SNARE_PID"
wait_for "$SNARE_LOG" "configuration reloaded" 5 && ok sighup-reload || notok sighup-reload "$(tail -3 "$SNARE_LOG")"
sleep 0.5
proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
wait_for "$SNARE_LOG" "    User-Agent: curl" 3 && ok sighup-new-flow-detail-applies || notok sighup-new-flow-detail-applies "$(tail -5 "$SNARE_LOG")"
printf 'flow_detail: [\n' >"$T/conf.yaml"
kill -HUP "$SNARE_PID"
wait_for "$SNARE_LOG" "reload failed: $T/conf.yaml:2" 5 && ok sighup-bad-file-kept-old || notok sighup-bad-file-kept-old "$(tail -3 "$SNARE_LOG")"
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ORIGIN_PORT/hello")
[ "$code" = 200 ] && ok sighup-still-serving || notok sighup-still-serving "$code"
stop_snare
[ "$SNARE_RC" -eq 0 ] && ok sighup-then-clean-exit || notok sighup-then-clean-exit "rc=$SNARE_RC"

# SIGHUP opens the files named by options again: a changed htpasswd applies,
# a missing one keeps the old configuration.  (--conf: as root, snare drops
# to nobody, which cannot re-read the default config.yaml in its 0700 conf
# dir; snare.conf(5) says so.)
htp() { printf '%s:{SHA}%s\n' "$1" "$(printf '%s' "$2" | openssl sha1 -binary | base64)" >"$T/htpasswd"; }
htp sam pw1
chmod 644 "$T/htpasswd"
printf 'flow_detail: 1\n' >"$T/conf.yaml"
start_snare --mode regular@127.0.0.1:0 --conf "$T/conf.yaml" --set proxyauth="@$T/htpasswd"
authed() { proxy_curl -o /dev/null -w '%{http_code}' --proxy-user "sam:$1" "http://127.0.0.1:$ORIGIN_PORT/hello"; }
[ "$(authed pw1)" = 200 ] && ok htpasswd-before-reload || notok htpasswd-before-reload "$(authed pw1)"
htp sam pw2
kill -HUP "$SNARE_PID"
wait_for "$SNARE_LOG" "configuration reloaded" 5
for _ in $(seq 1 40); do [ "$(authed pw2)" = 200 ] && break; sleep 0.1; done
[ "$(authed pw2)" = 200 ] && [ "$(authed pw1)" = 407 ] && ok sighup-reopens-htpasswd ||
	notok sighup-reopens-htpasswd "pw2 $(authed pw2), pw1 $(authed pw1)"
rm -f "$T/htpasswd"
kill -HUP "$SNARE_PID"
wait_for "$SNARE_LOG" "reload failed: cannot read the proxyauth file" 5 && [ "$(authed pw2)" = 200 ] &&
	ok sighup-missing-file-kept-old || notok sighup-missing-file-kept-old "$(tail -2 "$SNARE_LOG")"
stop_snare

# Started as root with the confdir closed to the user snare drops to (as
# /root/.snare is): the spawner keeps CAP_DAC_READ_SEARCH permitted, never
# effective, so a reload still reads config.yaml there; the workers it
# starts get no capability.
if need_root; then
	start_snare --mode regular@127.0.0.1:0
	chmod 700 "$SNARE_CONF"
	printf 'flow_detail: 2\n' >"$SNARE_CONF/config.yaml"
	chmod 600 "$SNARE_CONF/config.yaml"
	SPAWNER=$(spawner_of "$SNARE_PID")
	WK=$(ps -o pid=,args= --ppid "${SPAWNER:-0}" | awk '/--role worker/ {print $1; exit}')
	st=/proc/${SPAWNER:-0}/status
	if grep -qE '^CapPrm:\s+0000000000000004' "$st" && grep -qE '^CapEff:\s+0+$' "$st" &&
		grep -qE '^CapInh:\s+0+$' "$st"; then
		ok spawner-keeps-read-search-permitted-only
	else notok spawner-keeps-read-search-permitted-only "$(grep Cap "$st" 2>&1 | tr '\n' ' ')"; fi
	if [ -n "$WK" ] && grep -qE '^CapPrm:\s+0+$' /proc/"$WK"/status &&
		grep -qE '^CapEff:\s+0+$' /proc/"$WK"/status; then ok worker-gets-no-capability
	else notok worker-gets-no-capability "worker ${WK:-none}: $(grep Cap /proc/"${WK:-0}"/status 2>&1 | tr '\n' ' ')"; fi
	if runuser -u nobody -- cat "$SNARE_CONF/config.yaml" >/dev/null 2>&1; then
		notok confdir-closed-to-nobody "nobody can read it; the next check proves nothing"
	else ok confdir-closed-to-nobody; fi
	kill -HUP "$SNARE_PID"
	wait_for "$SNARE_LOG" "configuration reloaded" 5 && ok sighup-reload-root-only-confdir ||
		notok sighup-reload-root-only-confdir "$(tail -3 "$SNARE_LOG")"
	sleep 0.5
	proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
	wait_for "$SNARE_LOG" "    User-Agent: curl" 3 && ok root-only-confdir-reload-applies ||
		notok root-only-confdir-reload-applies "$(tail -5 "$SNARE_LOG")"
	stop_snare
else
	skip sighup-reload-root-only-confdir "not root"
fi

# Test builds only: SIGUSR1 makes the coordinator call execve, which its
# filter must answer with SIGSYS; the spawner, the ca and the workers go too.
start_snare --mode regular@127.0.0.1:0 --set workers=2
sleep 0.5
SPAWNER=$(spawner_of "$SNARE_PID")
kids="$SPAWNER $(pgrep -P "${SPAWNER:-0}" | tr '\n' ' ')"
alive_before=0
for p in $kids; do pid_alive "$p" && alive_before=$((alive_before + 1)); done
kill -USR1 "$SNARE_PID"
wait "$SNARE_PID"
SNARE_RC=$?
# Nobody waits for them now: allow 3 s (zombies awaiting init count as gone).
alive() { [ -e /proc/"$1" ] && ! grep -qE '^State:\s+Z' /proc/"$1"/status 2>/dev/null; }
for _ in $(seq 1 30); do
	left=""
	for p in $kids; do alive "$p" && left="$left $p"; done
	[ -z "$left" ] && break
	sleep 0.1
done
if [ "$SNARE_RC" -eq 159 ] && ! grep -q "forbidden syscall was allowed" "$SNARE_LOG"; then
	ok coordinator-execve-killed-by-filter; else
	notok coordinator-execve-killed-by-filter "rc=$SNARE_RC $(tail -2 "$SNARE_LOG")"; fi
if [ -n "$SPAWNER" ] && [ "$(echo $kids | wc -w)" -eq 4 ] && [ $alive_before -eq 4 ] && [ -z "$left" ]; then
	ok coordinator-killed-nothing-left; else notok coordinator-killed-nothing-left "kids $kids left:$left"; fi
