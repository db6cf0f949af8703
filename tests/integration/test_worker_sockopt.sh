# The worker's seccomp list decides socket options too (test builds only):
# SIGUSR2 makes every worker do something forbidden; worker 0 sets TCP_ULP
# (the kernel TLS upper-layer protocol) on a TCP socket, worker 1 calls
# acct().  Both must die by SIGSYS, get replaced, and snare keep serving.
. "$(dirname "$0")/lib.sh"

start_origin || exit 1
start_snare --mode regular@127.0.0.1:0 --set workers=2 || { notok worker-sockopt-start "snare did not start"; exit 1; }
sleep 0.5
# Presence first: a request through the workers works.
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ORIGIN_PORT/hello")
if [ "$code" != 200 ]; then
	notok worker-sockopt-serves-before "got $code"
	exit 1
fi
kill -USR2 "$SNARE_PID"
if wait_for "$SNARE_LOG" "worker 0: test trigger: setsockopt(TCP_ULP)" 5 &&
	wait_for "$SNARE_LOG" "worker 0 killed by signal 31" 5 &&
	! grep -q "forbidden syscall was allowed" "$SNARE_LOG"; then
	ok worker-tcp-ulp-killed-by-filter
else
	notok worker-tcp-ulp-killed-by-filter "$(grep -E 'worker 0|allowed' "$SNARE_LOG" | tail -4)"
fi
wait_for "$SNARE_LOG" "worker 1 killed by signal 31" 5 && ok worker-acct-killed-by-filter ||
	notok worker-acct-killed-by-filter "$(grep -E 'worker 1' "$SNARE_LOG" | tail -3)"
wait_for "$SNARE_LOG" "worker 0 restarted" 5
wait_for "$SNARE_LOG" "worker 1 restarted" 5
code=$(proxy_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ORIGIN_PORT/hello")
[ "$code" = 200 ] && ok worker-sockopt-serves-after || notok worker-sockopt-serves-after "got $code"
stop_snare
