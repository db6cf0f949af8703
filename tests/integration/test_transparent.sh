# Transparent mode in a network namespace of our own: nftables redirects the
# namespace's outgoing TCP (except snare's own, by uid) to snare, which finds
# the original destination with SO_ORIGINAL_DST.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip transparent "needs root (network namespaces, nftables)"
	exit 0
fi
NS=snare-tp-$$
cleanup_ns() { ip netns del "$NS" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$NS" || { notok netns "cannot create a namespace"; exit 1; }
NX="ip netns exec $NS"
$NX ip link set lo up
$NX ip addr add 10.203.0.2/32 dev lo

start_in_ns_origin() { # port [--tls]
	$NX python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port "$1" --bind 10.203.0.2 ${2:+--tls "$ORIGIN_CERT" "$T/origin.key"} \
		>"$T/origin-ns-$1.log" 2>&1 &
	PIDS+=($!)
	wait_for "$T/origin-ns-$1.log" ready 10
}
ORIGIN_CERT=$T/origin.crt
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/origin.key" -out "$ORIGIN_CERT" -days 2 \
	-subj "/CN=10.203.0.2" -addext "subjectAltName=IP:10.203.0.2" 2>/dev/null
start_in_ns_origin 8080 || { notok origin "no origin in the namespace"; exit 1; }
start_in_ns_origin 8443 tls || { notok origin-tls "no TLS origin in the namespace"; exit 1; }

PORT=18600
CONF=$T/conf
LOG=$T/snare-tp.log
$NX "$SNARE_BIN" --mode transparent@127.0.0.1:$PORT --set confdir="$CONF" \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "Transparent Proxy listening at 127.0.0.1:$PORT." 10 && ok transparent-listening-line ||
	{ notok transparent-listening-line "$(cat "$LOG")"; exit 1; }
uid=$(id -u nobody)
$NX nft -f - <<EOF2
table ip snaretest {
	chain out {
		type nat hook output priority -100; policy accept;
		meta skuid $uid return
		ip daddr 10.203.0.2 tcp dport { 8080, 8443 } redirect to :$PORT
	}
}
EOF2
sleep 0.3
out=$($NX curl -sS --max-time 10 "http://10.203.0.2:8080/hello")
[ "$out" = hello ] && ok transparent-http || notok transparent-http "$out"
grep -q "GET http://10.203.0.2:8080/hello" "$LOG" && ok transparent-flow-original-destination || notok transparent-flow-original-destination "$(tail -3 "$LOG")"
out=$($NX curl -sS --max-time 10 --cacert "$CONF/snare-ca-cert.pem" "https://10.203.0.2:8443/hello")
[ "$out" = hello ] && ok transparent-https-intercepted || notok transparent-https-intercepted "$out"
issuer=$(echo | $NX timeout 5 openssl s_client -connect 10.203.0.2:8443 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
echo "$issuer" | grep -q "CN = snare" && ok transparent-cert-from-snare || notok transparent-cert-from-snare "$issuer"
out=$(printf 'CONNECT x:1 HTTP/1.1\r\n\r\n' | $NX timeout 5 socat -t 2 - TCP:10.203.0.2:8080)
echo "$out" | grep -q "^HTTP/1.1 400" && ok transparent-connect-400 || notok transparent-connect-400 "$out"
# Not redirected: a direct connection to snare's port is refused politely.
$NX curl -s --max-time 5 "http://127.0.0.1:$PORT/" >/dev/null
wait_for "$LOG" "Transparent mode failure" 3 && ok transparent-unredirected-logged || notok transparent-unredirected-logged "$(tail -2 "$LOG")"
kill -TERM $SPID; wait $SPID; rc=$?
[ $rc -eq 0 ] && ok transparent-clean-exit || notok transparent-clean-exit "rc=$rc"
$NX nft delete table ip snaretest

# The same with the rules installed by the snare-netfilter helper.
LOG2=$T/snare-tp2.log
$NX "$SNARE_BIN" --mode transparent@127.0.0.1:$PORT --set confdir="$CONF" \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" --set transparent_ports=8080,8443 \
	--set transparent_local=true >"$LOG2" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG2" "Transparent Proxy listening at" 10 || { notok helper-start "$(cat "$LOG2")"; exit 1; }
rules=$($NX nft list table inet snare 2>&1)
echo "$rules" | grep -q "redirect to :$PORT" && ok helper-table-installed || notok helper-table-installed "$rules"
out=$($NX curl -sS --max-time 10 "http://10.203.0.2:8080/hello")
[ "$out" = hello ] && ok helper-redirect-http || notok helper-redirect-http "$out"
out=$($NX curl -sS --max-time 10 --cacert "$CONF/snare-ca-cert.pem" "https://10.203.0.2:8443/hello")
[ "$out" = hello ] && ok helper-redirect-https || notok helper-redirect-https "$out"
kill -TERM $SPID; wait $SPID; rc=$?
sleep 0.3
[ $rc -eq 0 ] && ! $NX nft list table inet snare >/dev/null 2>&1 && ok helper-table-removed-on-exit ||
	notok helper-table-removed-on-exit "rc=$rc; $($NX nft list tables)"
$NX "$SNARE_BIN" --mode transparent@127.0.0.1:$PORT --set confdir="$CONF" --set transparent_ports=8080 \
	>"$T/snare-tp3.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$T/snare-tp3.log" "listening at" 10
kill -9 $SPID
sleep 1
! $NX nft list table inet snare >/dev/null 2>&1 && ok helper-table-removed-after-kill-9 ||
	notok helper-table-removed-after-kill-9 "$($NX nft list tables)"
