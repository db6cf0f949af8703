# TUN mode end to end: a client namespace routes through a veth into the
# namespace where snare runs; policy routing sends the client's packets into
# snare's TUN, snare's userspace network stack accepts the connections and
# proxies them to an origin.  Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip tun-mode "needs root (network namespaces, TUN devices)"
	exit 0
fi
A=snare-tunc-$$ B=snare-tuns-$$
cleanup_ns() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip netns add "$A" && ip netns add "$B" || { notok netns "cannot create namespaces"; exit 1; }
XA="ip netns exec $A" XB="ip netns exec $B"
ip link add va-$$ netns "$A" type veth peer name vb-$$ netns "$B"
$XA ip link set lo up; $XB ip link set lo up
$XA ip addr add 10.205.0.2/24 dev va-$$; $XA ip link set va-$$ up
$XB ip addr add 10.205.0.1/24 dev vb-$$; $XB ip link set vb-$$ up
$XA ip route add default via 10.205.0.1
$XA ip -6 addr add fd05::2/64 dev va-$$ nodad; $XB ip -6 addr add fd05::1/64 dev vb-$$ nodad
$XA ip -6 route add default via fd05::1
$XB sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# The origin lives in B on 10.206.0.5 (and fd06::5).
$XB ip addr add 10.206.0.5/32 dev lo
$XB ip -6 addr add fd06::5/128 dev lo
ORIGIN_CERT=$T/origin.crt
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/origin.key" -out "$ORIGIN_CERT" -days 2 \
	-subj "/CN=10.206.0.5" -addext "subjectAltName=IP:10.206.0.5" 2>/dev/null
$XB python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8080 --bind 10.206.0.5 >"$T/o1.log" 2>&1 &
PIDS+=($!)
$XB python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8443 --bind 10.206.0.5 --tls "$ORIGIN_CERT" "$T/origin.key" >"$T/o2.log" 2>&1 &
PIDS+=($!)
$XB socat UDP-RECVFROM:5005,bind=10.206.0.5,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
wait_for "$T/o1.log" ready 10 && wait_for "$T/o2.log" ready 10 || { notok origin "no origin"; exit 1; }

CONF=$T/conf LOG=$T/snare-tun.log
$XB "$SNARE_BIN" --mode tun:snaretun0 --set confdir="$CONF" --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" \
	--set dns_name_servers=10.206.0.5 >"$LOG" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$LOG" "TUN interface started." 15 || { notok tun-start "$(cat "$LOG")"; exit 1; }
grep -q "TUN interface created: snaretun0" "$LOG" && ok tun-created-line || notok tun-created-line "$(head -3 "$LOG")"
$XB ip addr show snaretun0 | grep -q "169.254.0.1" && ok tun-address || notok tun-address "$($XB ip addr show snaretun0)"
# Traffic arriving from the client is routed into the TUN; snare's own goes the normal way.
# The origin's addresses are local to B, and the local table is consulted
# first: move it behind our rule so forwarded packets reach the TUN.
$XB ip rule add pref 10 iif vb-$$ to 10.206.0.0/24 lookup 205
$XB ip rule del pref 0 lookup local
$XB ip rule add pref 100 lookup local
$XB ip -6 rule add pref 10 iif vb-$$ to fd06::/64 lookup 205
$XB ip -6 rule del pref 0 lookup local
$XB ip -6 rule add pref 100 lookup local
$XB ip route add default dev snaretun0 table 205
$XB ip -6 route add default dev snaretun0 table 205

out=$($XA curl -sS --max-time 10 http://10.206.0.5:8080/hello)
[ "$out" = hello ] && ok tun-http-through-netstack || notok tun-http-through-netstack "$out"
grep -q "GET http://10.206.0.5:8080/hello" "$LOG" && ok tun-flow-original-destination || notok tun-flow-original-destination "$(tail -3 "$LOG")"
out=$($XA curl -sS --max-time 10 --cacert "$CONF/snare-ca-cert.pem" https://10.206.0.5:8443/hello)
[ "$out" = hello ] && ok tun-https-intercepted || notok tun-https-intercepted "$out"
$XA curl -sS --max-time 20 http://10.206.0.5:8080/size/5242880 | sha256sum | cut -d' ' -f1 >"$T/got"
python3 -c 'import hashlib
n=5242880; pat=bytes((k*7+3)%251 for k in range(n)); print(hashlib.sha256(pat).hexdigest())' >"$T/want"
cmp -s "$T/got" "$T/want" && ok tun-5MiB-download-intact || notok tun-5MiB-download-intact "$(cat "$T/got")"
head -c 3000000 /dev/urandom >"$T/up.bin"
got=$($XA curl -sS --max-time 20 --data-binary @"$T/up.bin" http://10.206.0.5:8080/sha256 | head -1)
[ "$got" = "$(sha256sum "$T/up.bin" | cut -d' ' -f1)" ] && ok tun-3MB-upload-intact || notok tun-3MB-upload-intact "$got"
out=$(echo udp-ping | $XA timeout 5 socat -t 2 - UDP:10.206.0.5:5005)
[ "$out" = udp-ping ] && ok tun-udp-relay || notok tun-udp-relay "$out"
if $XB python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("fd06::5",0))' 2>/dev/null; then
	$XB python3 -u "$SNARE_ROOT/tests/integration/origin.py" --port 8081 --bind fd06::5 >"$T/o6.log" 2>&1 &
	PIDS+=($!)
	if wait_for "$T/o6.log" ready 5; then
		out=$($XA curl -sS --max-time 10 "http://[fd06::5]:8081/hello")
		[ "$out" = hello ] && ok tun-ipv6 || notok tun-ipv6 "$out"
	else skip tun-ipv6 "origin.py cannot listen on IPv6"; fi
fi
# The device exists while snare runs and is gone after SIGTERM, and after
# kill -9 of the coordinator (the helper sees its channel close).
tun_dev() { $XB ip link show "$1"; }
rc=-1
present_then_absent tun-device-removed 5 "tun_dev snaretun0" 'kill -TERM $SPID; wait $SPID; rc=$?'
[ $rc -eq 0 ] && ok tun-clean-exit || notok tun-clean-exit "rc=$rc"
$XB "$SNARE_BIN" --mode tun:snaretun1 --set confdir="$CONF" >"$T/snare-tun2.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
wait_for "$T/snare-tun2.log" "TUN interface started." 15
sleep 0.5
KIDS=$(descendants $SPID | tr '\n' ' ')
# The helper, the spawner, the ca and the worker: none is left either.
if tun_dev snaretun1 >/dev/null 2>&1 && [ "$(echo $KIDS | wc -w)" -ge 3 ] && any_alive $KIDS; then
	kill -9 $SPID
	wait $SPID 2>/dev/null
	absent_within 5 tun_dev snaretun1 && ok tun-device-removed-after-kill-9 ||
		notok tun-device-removed-after-kill-9 "$($XB ip -o link show snaretun1)"
	absent_within 5 any_alive $KIDS && ok tun-kill-9-no-process-left ||
		notok tun-kill-9-no-process-left "$(ps -o pid=,args= -p "$(echo $KIDS | tr " " ,)")"
else
	notok tun-device-removed-after-kill-9 "not there before kill -9: kids $KIDS; $(tail -3 "$T/snare-tun2.log")"
fi
# A service (no terminal) whose whole process group gets SIGHUP, as
# `kill -HUP -- -PGID` or a service manager's group kill does: snare reloads
# and its helper keeps the device (before, the helper took SIGHUP as a stop
# and removed the device under a snare that kept running).
$XB setsid "$SNARE_BIN" --mode tun:snaretun2 --set confdir="$CONF" </dev/null >"$T/snare-tun3.log" 2>&1 &
wait_for "$T/snare-tun3.log" "TUN interface started." 15
SPID=$(pgrep -o -f -- "--mode tun:snaretun2")
PIDS+=($SPID)
sleep 0.5
KIDS=$(descendants "$SPID" | tr '\n' ' ')
if [ -n "$SPID" ] && tun_dev snaretun2 >/dev/null 2>&1 && [ "$(echo $KIDS | wc -w)" -ge 3 ]; then
	kill -HUP -- -"$SPID"
	# As root the reload may fail to read the conf dir (the as-root limit in
	# snare.conf(5)); either line shows that SIGHUP was taken as a reload.
	if wait_for "$T/snare-tun3.log" "reload" 10 && sleep 1 &&
		tun_dev snaretun2 >/dev/null 2>&1 && pid_alive "$SPID"; then
		ok tun-group-sighup-reloads-keeps-device
	else
		notok tun-group-sighup-reloads-keeps-device "$(tail -4 "$T/snare-tun3.log")"
	fi
	present_then_absent tun-group-sighup-then-sigterm-removes 5 "tun_dev snaretun2" \
		'kill -TERM $SPID; absent_within 5 pid_alive $SPID'
else
	notok tun-group-sighup-reloads-keeps-device "did not start: $SPID $KIDS; $(tail -3 "$T/snare-tun3.log")"
fi
