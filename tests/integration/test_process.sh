# The process model: roles in ps, worker replacement after kill -9, the
# seccomp filter killing a forbidden syscall, clean SIGTERM, the listening
# line for port 0, and -w / -r.
. "$(dirname "$0")/lib.sh"

start_snare --mode regular@127.0.0.1:0 --set workers=2 || { notok start "snare did not start"; exit 1; }
if [ -n "$SNARE_PORT" ] && [ "$SNARE_PORT" -ne 0 ] &&
	grep -q "HTTP(S) proxy listening at 127.0.0.1:$SNARE_PORT." "$SNARE_LOG"; then
	ok listening-line-real-port; else notok listening-line-real-port "$(head -3 "$SNARE_LOG")"; fi

sleep 0.5
roles=$(ps -o args= --ppid "$SNARE_PID")
nca=$(echo "$roles" | grep -c -- "--role ca")
nwk=$(echo "$roles" | grep -c -- "--role worker")
if [ "$nca" -eq 1 ] && [ "$nwk" -eq 2 ]; then ok roles-in-ps; else notok roles-in-ps "$roles"; fi

if need_root; then
	u=$(ps -o user= -p "$SNARE_PID" | tr -d ' ')
	[ "$u" = nobody ] && ok coordinator-dropped-to-nobody || notok coordinator-dropped-to-nobody "runs as $u"
	bad=$(ps -o user=,args= --ppid "$SNARE_PID" | grep -v '^nobody' || true)
	[ -z "$bad" ] && ok children-unprivileged || notok children-unprivileged "$bad"
else
	skip coordinator-dropped-to-nobody "not root"
fi
ca=$(pgrep -P "$SNARE_PID" -f -- "--role ca")
if [ -n "$ca" ] && grep -q "^0$" <(cat /proc/"$ca"/status 2>/dev/null | awk '/^NoNewPrivs/ {print 0}') ; then :; fi
seccomp_ok=1
for p in $(pgrep -P "$SNARE_PID") $SNARE_PID; do
	grep -qE '^Seccomp:\s+2' /proc/"$p"/status || seccomp_ok=0
	grep -qE '^NoNewPrivs:\s+1' /proc/"$p"/status || seccomp_ok=0
done
[ $seccomp_ok -eq 1 ] && ok every-process-seccomp-filtered || notok every-process-seccomp-filtered "see /proc/*/status"

victim=$(pgrep -P "$SNARE_PID" -f -- "--role worker" | head -1)
kill -9 "$victim"
sleep 1
now=$(pgrep -P "$SNARE_PID" -f -- "--role worker" | wc -l)
if [ "$now" -eq 2 ] && ! kill -0 "$victim" 2>/dev/null && grep -q "killed by signal 9" "$SNARE_LOG" &&
	grep -q "restarted" "$SNARE_LOG"; then
	ok worker-replaced-after-kill; else notok worker-replaced-after-kill "$now workers; $(tail -3 "$SNARE_LOG")"; fi

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

kids=$(pgrep -P "$SNARE_PID" | tr '\n' ' ')
stop_snare
sleep 0.3
left=""
for p in $kids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
if [ "$SNARE_RC" -eq 0 ] && [ -z "$left" ]; then ok sigterm-exit-0-nothing-left; else
	notok sigterm-exit-0-nothing-left "rc=$SNARE_RC left:$left"; fi
grep -q "HTTP(S) proxy at 127.0.0.1:$SNARE_PORT stopped." "$SNARE_LOG" && ok stop-line || notok stop-line "$(tail -2 "$SNARE_LOG")"
if (exec 3<>/dev/tcp/127.0.0.1/"$SNARE_PORT") 2>/dev/null; then notok socket-closed "still accepting"; else ok socket-closed; fi

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
