# Transparent mode in a network namespace of our own: nftables redirects the
# namespace's outgoing TCP (except snare's own, by uid) to snare, which finds
# the original destination with SO_ORIGINAL_DST; then the same with rules from
# snare-netfilter; then the router of snare-modes(7): client -> router
# running snare -> server, TCP and UDP.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip transparent "needs root (network namespaces, nftables)"
	exit 0
fi
NS=snare-tp-$$ CN=snare-tpc-$$ RN=snare-tpr-$$ SN=snare-tps-$$
cleanup_ns() {
	cleanup
	for n in "$NS" "$CN" "$RN" "$SN"; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup_ns EXIT
ip netns add "$NS" || { notok netns "cannot create a namespace"; exit 1; }
NX="ip netns exec $NS"
$NX ip link set lo up
$NX ip addr add 10.203.0.2/32 dev lo

# Every test of an absence (no table, rule, route) needs SEEN=1: the
# presence was asserted in the same run, so a snare that never started fails.
SEEN=0
seen() { SEEN=1; ok "$1"; }
unseen() { SEEN=0; notok "$1" "$2"; }

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
wait_for "$LOG" "GET http://10.203.0.2:8080/hello" 5 && ok transparent-flow-original-destination || notok transparent-flow-original-destination "$(tail -3 "$LOG")"
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
echo "$rules" | grep -q "redirect to :$PORT" && seen helper-table-installed || unseen helper-table-installed "$rules"
out=$($NX curl -sS --max-time 10 "http://10.203.0.2:8080/hello")
[ "$out" = hello ] && ok helper-redirect-http || notok helper-redirect-http "$out"
out=$($NX curl -sS --max-time 10 --cacert "$CONF/snare-ca-cert.pem" "https://10.203.0.2:8443/hello")
[ "$out" = hello ] && ok helper-redirect-https || notok helper-redirect-https "$out"
kill -TERM $SPID; wait $SPID; rc=$?
sleep 0.3
[ $SEEN = 1 ] && [ $rc -eq 0 ] && ! $NX nft list table inet snare >/dev/null 2>&1 && ok helper-table-removed-on-exit ||
	notok helper-table-removed-on-exit "rc=$rc; $($NX nft list tables)"
# kill -9 of the coordinator: the helper sees its channel close and removes
# the table.
$NX "$SNARE_BIN" --mode transparent@127.0.0.1:$PORT --set confdir="$CONF" --set transparent_ports=8080 \
	>"$T/snare-tp3.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$T/snare-tp3.log" "listening at" 10
$NX nft list table inet snare 2>/dev/null | grep -q "redirect to :$PORT" && seen helper-table-present-before-kill-9 ||
	unseen helper-table-present-before-kill-9 "$(cat "$T/snare-tp3.log")"
kill -9 $SPID; wait $SPID 2>/dev/null
gone_within() { # seconds command...: true once the command fails
	local i n=$(($1 * 10))
	shift
	for i in $(seq 1 $n); do "$@" >/dev/null 2>&1 || return 0; sleep 0.1; done
	return 1
}
[ $SEEN = 1 ] && gone_within 5 $NX nft list table inet snare && ok helper-table-removed-after-kill-9 ||
	notok helper-table-removed-after-kill-9 "$($NX nft list tables)"

# ---- The router of snare-modes(7) ------------------------------------------
# client (10.213.1.2, fd13:1::2) -> router (10.213.1.1 and fd13:1::1 |
# 10.213.2.1 and fd13:2::1, runs snare with transparent_interfaces = its
# client side, transparent_local off) -> server (10.213.2.2 and fd13:2::2:
# HTTP 80, HTTPS 443, dnsmasq 53, a UDP echo on 5007).
IC=tpc$$ IRC=tprc$$ IRS=tprs$$ IS=tps$$
CX="ip netns exec $CN" RX="ip netns exec $RN" SX="ip netns exec $SN"
ip netns add "$CN" && ip netns add "$RN" && ip netns add "$SN" ||
	{ notok router-netns "cannot create the namespaces"; exit 1; }
ip link add "$IC" netns "$CN" type veth peer name "$IRC" netns "$RN"
ip link add "$IS" netns "$SN" type veth peer name "$IRS" netns "$RN"
$CX ip link set lo up; $RX ip link set lo up; $SX ip link set lo up
$CX ip addr add 10.213.1.2/24 dev "$IC"; $CX ip link set "$IC" up
$RX ip addr add 10.213.1.1/24 dev "$IRC"; $RX ip link set "$IRC" up
$RX ip addr add 10.213.2.1/24 dev "$IRS"; $RX ip link set "$IRS" up
$SX ip addr add 10.213.2.2/24 dev "$IS"; $SX ip link set "$IS" up
$CX ip addr add fd13:1::2/64 dev "$IC" nodad
$RX ip addr add fd13:1::1/64 dev "$IRC" nodad
$RX ip addr add fd13:2::1/64 dev "$IRS" nodad
$SX ip addr add fd13:2::2/64 dev "$IS" nodad
$CX ip route add default via 10.213.1.1
$SX ip route add default via 10.213.2.1
$CX ip -6 route add default via fd13:1::1
$SX ip -6 route add default via fd13:2::1
$RX sysctl -qw net.ipv4.ip_forward=1
$RX sysctl -qw net.ipv6.conf.all.forwarding=1
SRV=10.213.2.2 SRV6=fd13:2::2
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.crt" -days 2 \
	-subj "/CN=$SRV" -addext "subjectAltName=IP:$SRV,IP:fd13:2::2" 2>/dev/null
for a in $SRV $SRV6; do
	for p in 80 443; do
		$SX python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port $p --bind $a \
			$([ $p = 443 ] && echo --tls "$T/srv.crt" "$T/srv.key") >"$T/srv-$a-$p.log" 2>&1 &
		PIDS+=($!)
		wait_for "$T/srv-$a-$p.log" ready 10 || { notok router-origin "no origin on $a port $p"; exit 1; }
	done
done
# big.tp.test: a TXT answer of about 3 KB, larger than the links' MTU.
BIG=$(python3 -c 'print(",".join("\"" + chr(97 + i) * 250 + "\"" for i in range(12)))')
$SX dnsmasq --no-daemon --port=53 --listen-address=$SRV,$SRV6 --bind-interfaces --no-resolv --no-hosts \
	--address=/tp.test/10.9.8.7 --txt-record=big.tp.test,"$BIG" --edns-packet-max=4096 \
	--pid-file= >"$T/srv-dns.log" 2>&1 &
PIDS+=($!)
$SX socat UDP-RECVFROM:5007,bind=$SRV,fork EXEC:cat 2>/dev/null &
PIDS+=($!)
$SX socat UDP6-RECVFROM:5007,bind=[$SRV6],fork EXEC:cat 2>/dev/null &
PIDS+=($!)
sleep 0.5
direct_http() { [ "$($CX curl -sS --max-time 5 "http://$SRV/hello" 2>&1)" = hello ]; }
direct_dns() { [ "$($CX dig @$SRV +time=2 +tries=1 +short tp.test A 2>&1)" = 10.9.8.7 ]; }
direct_http && direct_dns && ok router-direct-before-snare ||
	{ notok router-direct-before-snare "the topology does not route"; exit 1; }

RPORT=18610
RCONF=$T/rconf
start_router() { # log, then options
	local log=$1
	shift
	$RX "$SNARE_BIN" --mode transparent@$RPORT --set confdir="$RCONF" \
		--set ssl_verify_upstream_trusted_ca="$T/srv.crt" --set transparent_interfaces="$IRC" "$@" \
		>"$log" 2>&1 &
	SPID=$!
	PIDS+=($SPID)
	wait_for "$log" "Transparent Proxy listening at" 15
}
has_table() { $RX nft list table inet snare >/dev/null 2>&1; }

# TCP (issue: refused at start when root, because of exclude_uid).
RLOG=$T/router-tcp.log
start_router "$RLOG" --set transparent_ports=80,443 && ok router-tcp-started ||
	notok router-tcp-started "$(cat "$RLOG")"
rules=$($RX nft list table inet snare 2>&1)
echo "$rules" | grep -q "redirect to :$RPORT" && echo "$rules" | grep -q "$IRC" &&
	! echo "$rules" | grep -q "skuid" && seen router-table-present ||
	unseen router-table-present "$rules"
out=$($CX curl -sS --max-time 10 "http://$SRV/hello" 2>&1)
[ "$out" = hello ] && ok router-http || notok router-http "$out"
grep -qE "GET http://$SRV(:80)?/hello" "$RLOG" && ok router-http-flow-names-server ||
	notok router-http-flow-names-server "$(tail -3 "$RLOG")"
out=$($CX curl -sS --max-time 10 --cacert "$RCONF/snare-ca-cert.pem" "https://$SRV/hello" 2>&1)
[ "$out" = hello ] && ok router-https-intercepted || notok router-https-intercepted "$out"
grep -qE "GET https://$SRV(:443)?/hello" "$RLOG" && ok router-https-flow-names-server ||
	notok router-https-flow-names-server "$(tail -3 "$RLOG")"
issuer=$(echo | $CX timeout 5 openssl s_client -connect $SRV:443 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
echo "$issuer" | grep -q "CN = snare" && ok router-cert-from-snare || notok router-cert-from-snare "$issuer"
out=$($CX curl -sS --max-time 10 --cacert "$RCONF/snare-ca-cert.pem" "https://[$SRV6]/hello" 2>&1)
[ "$out" = hello ] && grep -qE "GET https://\[$SRV6\](:443)?/hello" "$RLOG" && ok router-https-ipv6 ||
	notok router-https-ipv6 "$out $(tail -2 "$RLOG")"
kill -TERM $SPID; wait $SPID; rc=$?
[ $SEEN = 1 ] && [ $rc -eq 0 ] && gone_within 5 has_table && ok router-table-removed-on-exit ||
	notok router-table-removed-on-exit "rc=$rc; $($RX nft list tables)"
[ $SEEN = 1 ] && direct_http && ok router-direct-after-exit || notok router-direct-after-exit "no direct HTTP"

start_router "$T/router-tcp9.log" --set transparent_ports=80,443
has_table && seen router-table-present-before-kill-9 || unseen router-table-present-before-kill-9 "$(cat "$T/router-tcp9.log")"
kill -9 $SPID; wait $SPID 2>/dev/null
[ $SEEN = 1 ] && gone_within 5 has_table && ok router-table-removed-after-kill-9 ||
	notok router-table-removed-after-kill-9 "$($RX nft list tables)"
[ $SEEN = 1 ] && direct_http && ok router-direct-after-kill-9 || notok router-direct-after-kill-9 "no direct HTTP"

# UDP: TPROXY, the helper's fwmark rule and local route, DNS and UDP flows.
has_rule() { # $1: -4 or -6
	$RX ip "$1" rule show | grep -q "fwmark 0x534e lookup 21326"
}
has_route() { $RX ip "$1" route show table 21326 2>/dev/null | grep -q "^local default dev lo"; }
has_routing() { has_rule -4 && has_rule -6 && has_route -4 && has_route -6; }
has_any() { has_table || has_rule -4 || has_rule -6 || has_route -4 || has_route -6; }
# QUIC on UDP 4433 (quicpeer, a leaf for quic.test from its own CA) is intercepted.
QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
quic_test_certs DNS:quic.test
$SX "$QP" server $SRV:4433 "$T/leaf.pem" "$T/leaf.key" >"$T/qs.log" 2>&1 &
PIDS+=($!)
wait_for "$T/qs.log" "server: listening" 10 || notok router-quic-server "$(cat "$T/qs.log")"
ULOG=$T/router-udp.log
start_router "$ULOG" --set transparent_udp_ports=53,5007,4433 \
	--set ssl_verify_upstream_trusted_ca="$T/ca.pem" && ok router-udp-started ||
	notok router-udp-started "$(cat "$ULOG")"
$RX nft list table inet snare 2>/dev/null | grep -q "tproxy to :$RPORT" && has_routing &&
	seen router-udp-rules-present || unseen router-udp-rules-present "$($RX nft list table inet snare 2>&1; $RX ip rule show; $RX ip -6 route show table 21326)"
out=$($CX dig @$SRV +time=3 +tries=1 +short tp.test A 2>&1)
[ "$out" = 10.9.8.7 ] && ok router-udp-dig || notok router-udp-dig "$out"
wait_for "$ULOG" "DNS QUERY (A) tp.test" 3 && grep -q "<< 10.9.8.7" "$ULOG" && ok router-udp-dns-flow ||
	notok router-udp-dns-flow "$(tail -4 "$ULOG")"
out=$(echo udp-ping | $CX timeout 5 socat -T2 - UDP:$SRV:5007 2>&1)
[ "$out" = udp-ping ] && ok router-udp-echo || notok router-udp-echo "$out"
out=$($CX dig @$SRV6 +time=3 +tries=1 +short six.tp.test A 2>&1)
[ "$out" = 10.9.8.7 ] && wait_for "$ULOG" "DNS QUERY (A) six.tp.test" 3 && ok router-udp-dig-ipv6 ||
	notok router-udp-dig-ipv6 "$out $(tail -2 "$ULOG")"
out=$(echo udp6-ping | $CX timeout 5 socat -T2 - UDP6:[$SRV6]:5007 2>&1)
[ "$out" = udp6-ping ] && ok router-udp-echo-ipv6 || notok router-udp-echo-ipv6 "$out"
# An answer larger than the MTU reaches the client in fragments (over UDP:
# +ignore keeps dig from retrying over TCP, which is not captured here).
for a in $SRV $SRV6; do
	out=$($CX dig @$a +time=3 +tries=1 +ignore +bufsize=4096 +short big.tp.test TXT 2>&1 | tr -cd 'a-l')
	[ ${#out} -eq 3000 ] && ok "router-udp-large-answer-$a" || notok "router-udp-large-answer-$a" "${#out} letters"
done
[ "$(grep -c "DNS QUERY (TXT) big.tp.test" "$ULOG")" -eq 2 ] && ok router-udp-large-answer-flows ||
	notok router-udp-large-answer-flows "$(grep -c big.tp.test "$ULOG")"
wait_for "$RCONF/snare-ca-cert.pem" "BEGIN CERTIFICATE" 5
out=$($CX "$QP" get $SRV:4433 https://quic.test/through-tproxy --cafile "$RCONF/snare-ca-cert.pem" 2>&1)
echo "$out" | grep -qx "hello from quicpeer /through-tproxy" && ok router-quic-intercepted ||
	notok router-quic-intercepted "$out $(tail -3 "$ULOG")"
wait_for "$ULOG" "GET https://quic.test:4433/through-tproxy HTTP/3" 5 && ok router-quic-h3-flow ||
	notok router-quic-h3-flow "$(tail -4 "$ULOG")"
# Straight to snare's own port (not redirected): dropped, and said so.
echo stray | $CX timeout 3 socat -T1 - UDP:10.213.1.1:$RPORT >/dev/null 2>&1
wait_for "$ULOG" "Transparent mode failure: a UDP datagram" 3 && ok router-udp-unredirected-logged ||
	notok router-udp-unredirected-logged "$(tail -2 "$ULOG")"
kill -TERM $SPID; wait $SPID; rc=$?
grep -q -- "-> udp -> $SRV:5007" "$ULOG" && ok router-udp-flow || notok router-udp-flow "$(tail -4 "$ULOG")"
grep -q -- "-> udp -> \[$SRV6\]:5007" "$ULOG" && ok router-udp-flow-ipv6 || notok router-udp-flow-ipv6 "$(tail -4 "$ULOG")"
[ $SEEN = 1 ] && [ $rc -eq 0 ] && gone_within 5 has_any && ok router-udp-rules-removed-on-exit ||
	notok router-udp-rules-removed-on-exit "rc=$rc; $($RX ip rule show; $RX ip -6 rule show; $RX nft list tables)"
[ $SEEN = 1 ] && direct_dns && ok router-udp-direct-after-exit || notok router-udp-direct-after-exit "no direct DNS"

start_router "$T/router-udp9.log" --set transparent_udp_ports=53,5007
has_table && has_routing && seen router-udp-rules-present-before-kill-9 ||
	unseen router-udp-rules-present-before-kill-9 "$(cat "$T/router-udp9.log")"
kill -9 $SPID; wait $SPID 2>/dev/null
[ $SEEN = 1 ] && gone_within 5 has_any && ok router-udp-rules-removed-after-kill-9 ||
	notok router-udp-rules-removed-after-kill-9 "$($RX ip rule show; $RX ip -6 rule show; $RX nft list tables)"
[ $SEEN = 1 ] && direct_dns && ok router-udp-direct-after-kill-9 || notok router-udp-direct-after-kill-9 "no direct DNS"

# kill -9 of the helper itself: the kernel drops its table, not its routing;
# the next helper to start removes what was left, so snare starts again.
start_router "$T/router-udp-h9.log" --set transparent_udp_ports=53
has_routing && seen router-udp-routing-before-helper-kill-9 ||
	unseen router-udp-routing-before-helper-kill-9 "$(cat "$T/router-udp-h9.log")"
for p in $(ip netns pids "$RN"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = snare-netfilter ] && kill -9 "$p"
done
gone_within 5 has_table
[ $SEEN = 1 ] && has_routing && ok router-udp-routing-left-by-dead-helper ||
	notok router-udp-routing-left-by-dead-helper "$($RX ip rule show)"
kill -TERM $SPID; wait $SPID 2>/dev/null
ULOG2=$T/router-udp-again.log
start_router "$ULOG2" --set transparent_udp_ports=53 && has_table && has_routing &&
	seen router-udp-starts-after-helper-kill-9 || unseen router-udp-starts-after-helper-kill-9 "$(cat "$ULOG2")"
out=$($CX dig @$SRV +time=3 +tries=1 +short again.tp.test A 2>&1)
[ "$out" = 10.9.8.7 ] && wait_for "$ULOG2" "DNS QUERY (A) again.tp.test" 3 && ok router-udp-dig-after-helper-kill-9 ||
	notok router-udp-dig-after-helper-kill-9 "$out"
kill -TERM $SPID; wait $SPID; rc=$?
[ $SEEN = 1 ] && [ $rc -eq 0 ] && gone_within 5 has_any && ok router-udp-rules-removed-after-restart ||
	notok router-udp-rules-removed-after-restart "rc=$rc; $($RX ip rule show; $RX nft list tables)"
