# Slow and idle clients (issue 16 point 5).
#  - header_timeout: a request head or a tunnel's ClientHello trickled one
#    byte at a time is closed after it, however steadily the bytes come; a
#    complete tunnel, busy or quiet, is not; a kept-alive connection waiting
#    for its next request is.
#  - max_connections_per_source: the connections over it from one address
#    are closed at once, one log line for several, while another address is
#    served; a freed place is taken again.
#  - snare started with a soft descriptor limit of 256 and a hard one of
#    1,024 raises the soft one to 1,024 (coordinator and worker).
#  - 2,000 slow clients against a worker limited to 1,024 descriptors: the
#    worker holds what its descriptors allow, new connections take the
#    places of the ones that waited longest, its CPU stays idle while the
#    slow ones trickle, and a normal client is answered at once.  Then its soft
#    limit is lowered under the descriptors it holds: accept() fails with
#    EMFILE, and the worker waits (backoff, no polling) instead of spinning,
#    and serves again once the limit is back.
. "$(dirname "$0")/lib.sh"

SC="python3 -u $SNARE_ROOT/tests/integration/slow_clients.py"

# expect NAME FILE PATTERN: ok when FILE has PATTERN.
expect() {
	if grep -q -- "$3" "$2"; then ok "$1"; else notok "$1" "$(tr '\n' ' ' <"$2" | head -c 300)"; fi
}
# cpu_ticks PID: utime + stime in clock ticks (fields 14 and 15 of stat,
# counted after the command name's closing parenthesis).
cpu_ticks() { sed 's/^.*) //' /proc/"$1"/stat | awk '{print $12 + $13}'; }
# cpu_percent PID SECONDS: the share of one core PID used over SECONDS.
cpu_percent() {
	local a b hz
	hz=$(getconf CLK_TCK)
	a=$(cpu_ticks "$1")
	sleep "$2"
	b=$(cpu_ticks "$1")
	echo $(((b - a) * 100 / (hz * $2)))
}

start_origin || { notok origin "no origin"; exit 1; }
ECHO_PORT=$(free_port)
socat TCP-LISTEN:"$ECHO_PORT",bind=127.0.0.1,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $ECHO_PORT), 1)" 2>/dev/null && break
	sleep 0.05
done

# ---- header_timeout ----
UECHO_PORT=$(free_port)
python3 -u "$SNARE_ROOT/tests/integration/idle_peer.py" udp-echo --port "$UECHO_PORT" >/dev/null 2>&1 &
PIDS+=($!)
start_snare --mode regular@127.0.0.1:0 --mode socks5@127.0.0.1:0 --set header_timeout=2 || exit 1
P=127.0.0.1:$SNARE_PORT
SOCKS_PORT=$(grep -oE 'SOCKS v5 proxy listening at [^ ]*:[0-9]+' "$SNARE_LOG" | grep -oE '[0-9]+$')
$SC trickle --target "$P" --interval 0.5 --duration 12 >"$T/head.out" 2>&1 &
w1=$!
$SC trickle --target "$P" --connect "127.0.0.1:$ECHO_PORT" --tls --interval 0.5 --duration 12 \
	>"$T/hello.out" 2>&1 &
w2=$!
# Busy: a line every 0.5 s for 6 s.  Quiet: nothing for 3 s after the
# CONNECT, then lines 3 s apart (each gap longer than header_timeout).
$SC tunnel --target "$P" --connect "127.0.0.1:$ECHO_PORT" --interval 0.5 --count 13 \
	>"$T/busy.out" 2>&1 &
w3=$!
$SC tunnel --target "$P" --connect "127.0.0.1:$ECHO_PORT" --first-delay 3 --interval 3 --count 3 \
	>"$T/quiet.out" 2>&1 &
w4=$!
$SC keepalive --target "$P" --url "http://127.0.0.1:$ORIGIN_PORT/hello" --wait 12 >"$T/keep.out" 2>&1 &
w5=$!
# A SOCKS5 connection holding a UDP association: its handshake is done.
python3 -u "$SNARE_ROOT/tests/integration/idle_peer.py" socks-udp --proxy "127.0.0.1:$SOCKS_PORT" \
	--target "127.0.0.1:$UECHO_PORT" --interval 0.5 --count 13 >"$T/socks-udp.out" 2>&1 &
w6=$!
wait $w1 $w2 $w3 $w4 $w5 $w6
expect trickled-head-closed-by-header-timeout "$T/head.out" "^closed after"
expect trickled-clienthello-closed-by-header-timeout "$T/hello.out" "^closed after"
expect busy-complete-tunnel-stays "$T/busy.out" "^echoed 13$"
expect quiet-complete-tunnel-stays "$T/quiet.out" "^echoed 3$"
expect socks5-udp-association-stays "$T/socks-udp.out" "^relayed 13$"
expect keepalive-answered-first "$T/keep.out" "^answered$"
expect keepalive-waiting-closed-by-header-timeout "$T/keep.out" "^closed after"
expect header-timeout-logged "$SNARE_LOG" "request head not complete after 2 s (header_timeout)"
expect tls-header-timeout-logged "$SNARE_LOG" "first bytes of the tunnel not complete after 2 s"
check normal-client-answered proxy_curl -f -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
stop_snare
grep -q "ERROR: AddressSanitizer\|runtime error" "$SNARE_LOG" && notok sanitizers "see log" || ok sanitizers

# ---- max_connections_per_source ----
start_snare --mode regular@127.0.0.1:0 --set workers=1 --set max_connections_per_source=5 || exit 1
P=127.0.0.1:$SNARE_PORT
mkfifo "$T/hold.in"
$SC hold --target "$P" --source 127.0.0.2 --count 8 --wait 30 <"$T/hold.in" >"$T/hold.out" 2>&1 &
w1=$!
exec 7>"$T/hold.in"
wait_for "$T/hold.out" "^refused" 15
for _ in $(seq 1 100); do [ "$(wc -l <"$T/hold.out")" -ge 8 ] && break; sleep 0.1; done
n_open=$(grep -c '^open$' "$T/hold.out")
n_ref=$(grep -c '^refused$' "$T/hold.out")
if [ "$n_open" -eq 5 ] && [ "$n_ref" -eq 3 ]; then ok per-source-cap-5-of-8; else
	notok per-source-cap-5-of-8 "open $n_open refused $n_ref"; fi
check other-source-served-meanwhile proxy_curl -f -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"
n_lines=$(grep -c "max_connections_per_source" "$SNARE_LOG")
if [ "$n_lines" -eq 1 ]; then ok per-source-cap-logged-once; else
	notok per-source-cap-logged-once "$n_lines lines"; fi
echo close >&7
wait_for "$T/hold.out" "^closed one" 5
sleep 0.5
echo more >&7
for _ in $(seq 1 50); do [ "$(wc -l <"$T/hold.out")" -ge 10 ] && break; sleep 0.1; done
if [ "$(sed -n 10p "$T/hold.out")" = open ]; then ok per-source-place-freed-is-taken; else
	notok per-source-place-freed-is-taken "$(tr '\n' ' ' <"$T/hold.out")"; fi
echo quit >&7
exec 7>&-
wait $w1
stop_snare
grep -q "ERROR: AddressSanitizer\|runtime error" "$SNARE_LOG" && notok sanitizers-per-source "see log" ||
	ok sanitizers-per-source

# ---- 2,000 slow clients, a worker limited to 1,024 descriptors ----
if ! need_root; then
	skip slow-clients-flood "needs root (raising the test's descriptor limit)"
	exit 0
fi
cat >"$T/snare-1024" <<EOF
#!/bin/sh
exec prlimit --nofile=256:1024 "$SNARE_BIN" "\$@"
EOF
chmod 755 "$T/snare-1024"
REAL_BIN=$SNARE_BIN
SNARE_BIN=$T/snare-1024
start_snare --mode regular@127.0.0.1:0 --set workers=1 || exit 1
SNARE_BIN=$REAL_BIN
P=127.0.0.1:$SNARE_PORT
W=$(worker_of "$SNARE_PID")
# Started with a soft limit of 256 under a hard one of 1,024: raised.
for p in "$SNARE_PID" "$W"; do
	if [ -n "$p" ] && grep -q "^Max open files *1024 *1024" /proc/"$p"/limits; then
		ok "soft-limit-raised-to-hard-$([ "$p" = "$W" ] && echo worker || echo coordinator)"
	else
		notok "soft-limit-raised-to-hard-$([ "$p" = "$W" ] && echo worker || echo coordinator)" \
			"$(grep 'open files' /proc/"${p:-0}"/limits 2>&1)"
	fi
done
# Everything below happens while the slow clients trickle (40 s).
# From ten addresses (one source may hold only half of what the worker takes).
$SC flood --target "$P" --count 2000 --interval 2 --duration 40 \
	--sources "$(seq -s, -f '127.0.0.%g' 2 11)" >"$T/flood.out" 2>&1 &
wf=$!
wait_for "$T/flood.out" "^started" 20
if wait_for "$SNARE_LOG" "client connections, the most it takes" 10; then ok cap-reached-logged; else
	notok cap-reached-logged "$(tail -3 "$SNARE_LOG")"; fi
pct=$(cpu_percent "$W" 3)
echo "# worker CPU while 2,000 slow clients wait: ${pct}% of one core"
if [ "$pct" -lt 20 ]; then ok worker-idle-at-cap; else notok worker-idle-at-cap "${pct}% of one core"; fi
echo "# worker descriptors in use: $(ls /proc/"$W"/fd | wc -l)"
code=$(curl -sS --max-time 10 -x "http://$P" -o /dev/null -w '%{http_code} %{time_total}' \
	"http://127.0.0.1:$ORIGIN_PORT/hello" 2>&1)
echo "# normal client during the flood: $code"
case $code in 200\ *) ok normal-client-answered-during-flood ;;
*) notok normal-client-answered-during-flood "$code" ;; esac
# Every slow client got a connection at some point: the ones waiting
# longest made room for the next (at least a second each).
wait_for "$T/flood.out" "^attempts done" 15
expect all-slow-clients-connected "$T/flood.out" "^attempts done connected=2000 failed=0"
expect oldest-waiting-closed-for-room "$SNARE_LOG" "and the worker is at its connection limit"
pct=$(cpu_percent "$W" 3)
echo "# worker CPU with ~890 slow clients trickling, all others gone: ${pct}% of one core"
if [ "$pct" -lt 20 ]; then ok worker-idle-holding-slow-clients; else
	notok worker-idle-holding-slow-clients "${pct}% of one core"; fi
wait $wf
echo "# flood: $(cat "$T/flood.out" | tail -1)"

# EMFILE: the worker's soft limit below the descriptors it holds.
for _ in $(seq 1 40); do
	[ "$(ls /proc/"$W"/fd | wc -l)" -lt 64 ] && break
	sleep 0.5
done
# As the worker's own user: a process may lower its own kind's soft limit
# (root here may lack CAP_SYS_RESOURCE for another user's process).
as_worker() {
	setpriv --reuid="$(awk '/^Uid:/ {print $2}' /proc/"$W"/status)" \
		--regid="$(awk '/^Gid:/ {print $2}' /proc/"$W"/status)" --clear-groups "$@"
}
as_worker prlimit --pid "$W" --nofile=3:1024
$SC flood --target "$P" --count 50 --interval 2 --duration 15 >"$T/flood2.out" 2>&1 &
wf=$!
if wait_for "$SNARE_LOG" "cannot accept a connection: Too many open files" 10; then
	ok emfile-pause-logged
else
	notok emfile-pause-logged "$(tail -3 "$SNARE_LOG")"
fi
pct=$(cpu_percent "$W" 3)
echo "# worker CPU while accept() says EMFILE: ${pct}% of one core"
if [ "$pct" -lt 20 ]; then ok worker-idle-on-emfile; else notok worker-idle-on-emfile "${pct}% of one core"; fi
as_worker prlimit --pid "$W" --nofile=1024:1024
code=$(curl -sS --max-time 60 -x "http://$P" -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$ORIGIN_PORT/hello" 2>&1)
if [ "$code" = 200 ]; then ok served-again-after-emfile; else notok served-again-after-emfile "$code"; fi
wait $wf
stop_snare
grep -q "ERROR: AddressSanitizer\|runtime error" "$SNARE_LOG" && notok sanitizers-flood "see log" ||
	ok sanitizers-flood
