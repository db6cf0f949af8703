# UDP clients get the same address policy as TCP ones (block_global,
# block_private), a DNS reply never larger than the client takes over UDP,
# and a per-source reply rate (udp_reply_rate), so that snare is neither an
# open resolver nor an amplifier.  snare runs in a namespace of ours whose
# peer namespace holds a "global" client address (203.0.113.5, a
# documentation prefix that exists only between these two namespaces) and
# two private ones; the upstream name server is a small script of ours that
# always sends its whole answer, as a careless or hostile server may.
# Root only.
. "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip udp-policy "needs root (network namespaces)"
	exit 0
fi
SN=snare-hudp-s-$$ CN=snare-hudp-c-$$
cleanup_ns() {
	cleanup
	ip netns del "$SN" 2>/dev/null
	ip netns del "$CN" 2>/dev/null
}
trap cleanup_ns EXIT
ip netns add "$SN" && ip netns add "$CN" || { notok udp-policy-netns "cannot create the namespaces"; exit 1; }
SX="ip netns exec $SN" CX="ip netns exec $CN"
ip link add hudp-s netns "$SN" type veth peer name hudp-c netns "$CN" ||
	{ notok udp-policy-veth "cannot create the veth pair"; exit 1; }
$SX ip link set lo up && $CX ip link set lo up
$SX ip addr add 10.77.0.1/24 dev hudp-s && $SX ip addr add 203.0.113.1/24 dev hudp-s
$CX ip addr add 10.77.0.5/24 dev hudp-c && $CX ip addr add 10.77.0.6/24 dev hudp-c
$CX ip addr add 203.0.113.5/24 dev hudp-c
$SX ip link set hudp-s up && $CX ip link set hudp-c up
GLOBAL=203.0.113.5 PRIV=10.77.0.5 PRIV2=10.77.0.6
# Each client asks snare's address in its own prefix: a reply from a socket
# bound to 0.0.0.0 leaves from the address the route picks.
dst() { case $1 in 203.*) echo 203.0.113.1 ;; *) echo 10.77.0.1 ;; esac; }

# The upstream: A 10.1.2.3 for any name, TXT "hello" for any name but
# big.test, whose TXT set is 12 strings of 250 bytes (over 3 KB) sent whole
# over UDP too; an OPT record when the query has one.  UDP and TCP on $UP.
UP=5399 ECHO=5398
cat >"$T/upstream.py" <<'PY'
import socket, struct, sys, threading
port = int(sys.argv[1])
def qend(q):
    i = 12
    while q[i] != 0:
        i += q[i] + 1
    return i + 1
def rr(rtype, rdata):
    return b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata
def answer(q):
    e = qend(q)
    qtype = struct.unpack("!H", q[e:e + 2])[0]
    rrs = []
    if q[12:e].lower() == b"\x03big\x04test\x00" and qtype == 16:
        rrs = [rr(16, bytes([250]) + (b"%02d" % i) * 125) for i in range(12)]
    elif qtype == 16:
        rrs = [rr(16, b"\x05hello")]
    elif qtype == 1:
        rrs = [rr(1, bytes([10, 1, 2, 3]))]
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00" if q[e + 4:e + 7] == b"\x00\x00\x29" else b""
    flags = 0x8180 | (struct.unpack("!H", q[2:4])[0] & 0x0100)
    return q[:2] + struct.pack("!HHHHH", flags, 1, len(rrs), 0, 1 if opt else 0) + q[12:e + 4] + b"".join(rrs) + opt
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        q, a = s.recvfrom(65535)
        try:
            s.sendto(answer(q), a)
        except Exception:
            pass
def recvn(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def tcp_one(c):
    try:
        while True:
            n = struct.unpack("!H", recvn(c, 2))[0]
            r = answer(recvn(c, n))
            c.sendall(struct.pack("!H", len(r)) + r)
    except Exception:
        c.close()
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(16)
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
while True:
    c, _ = t.accept()
    threading.Thread(target=tcp_one, args=(c,), daemon=True).start()
PY
$SX python3 -u "$T/upstream.py" "$UP" >"$T/upstream.log" 2>&1 &
PIDS+=($!)
$SX socat UDP4-RECVFROM:$ECHO,bind=127.0.0.1,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
wait_for "$T/upstream.log" ready 10 || { notok udp-policy-upstream "$(cat "$T/upstream.log")"; exit 1; }

# udpq SRC PORT COUNT NAME [TYPE]: sends COUNT queries from SRC at once and
# prints how many answers came back within a second of the last.
cat >"$T/udpq.py" <<'PY'
import socket, struct, sys, time
src, dst, port, count, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
qtype = int(sys.argv[6]) if len(sys.argv) > 6 else 16
qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for i in range(count):
    s.sendto(struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + qn + struct.pack("!HH", qtype, 1), (dst, port))
got, end = set(), time.time() + 1.5
s.settimeout(0.2)
while time.time() < end:
    try:
        d = s.recv(65535)
        got.add(d[:2])
        end = time.time() + 1
    except socket.timeout:
        pass
print(len(got))
PY
udpq() { $CX python3 "$T/udpq.py" "$1" "$(dst "$1")" "$2" "$3" "$4" ${5:-}; }

cat >"$T/snare-in-ns" <<EOF
#!/bin/sh
exec ip netns exec $SN "$SNARE_BIN" "\$@"
EOF
chmod 755 "$T/snare-in-ns"
# start_in_ns N ARGS...: snare in $SN; waits for N "listening at" lines.
start_in_ns() {
	local n=$1 i
	shift
	SNARE_BIN=$T/snare-in-ns start_snare "$@" || return 1
	for i in $(seq 1 100); do
		[ "$(grep -c 'listening at' "$SNARE_LOG")" -ge "$n" ] && return 0
		sleep 0.05
	done
	echo "not every mode listens:"; return 1
}
dg() { local src=$1; shift; $CX dig @"$(dst "$src")" -b "$src" +time=2 +tries=1 "$@"; }
KILLED="Client connection from $GLOBAL killed by block_global option."

# ---- defaults: block_global on, the rate limit at its default --------------
P_DNS=5353 P_RDNS=5354 P_RUDP=5355 P_SOCKS=1080
start_in_ns 4 --mode "dns@0.0.0.0:$P_DNS" --mode "reverse:dns://127.0.0.1:$UP@0.0.0.0:$P_RDNS" \
	--mode "reverse:udp://127.0.0.1:$ECHO@0.0.0.0:$P_RUDP" --mode "socks5@0.0.0.0:$P_SOCKS" \
	--set dns_name_servers="127.0.0.1:$UP" || { notok udp-policy-start "snare did not start"; exit 1; }
L1=$SNARE_LOG

out=$(dg $PRIV -p $P_DNS +short small.test TXT)
[ "$out" = '"hello"' ] && ok udp-policy-dns-private-answered || notok udp-policy-dns-private-answered "$out"
# Five queries from the global address: no answer, and one line in the log.
before=$(grep -cF "$KILLED" "$L1")
n=$(udpq $GLOBAL $P_DNS 5 small.test)
[ "$n" = 0 ] && [ -n "$out" ] && ok udp-policy-dns-global-refused || notok udp-policy-dns-global-refused "$n answers"
wait_for "$L1" "$KILLED" 5
after=$(grep -cF "$KILLED" "$L1")
[ "$((after - before))" = 1 ] && ok udp-policy-dns-global-logged-once ||
	notok udp-policy-dns-global-logged-once "$((after - before)) lines: $(grep -F "$GLOBAL" "$L1" | head -3)"
n=$(udpq $GLOBAL $P_DNS 5 small.test)
after2=$(grep -cF "$KILLED" "$L1")
[ "$n" = 0 ] && [ "$after2" = "$after" ] && ok udp-policy-dns-global-not-relogged ||
	notok udp-policy-dns-global-not-relogged "$n answers, $((after2 - after)) more lines"
# TCP from the same address was refused before this change too: the same line.
out=$(dg $GLOBAL +tcp -p $P_DNS small.test TXT 2>&1)
! echo "$out" | grep -q 'status: NOERROR' && [ "$(grep -cF "$KILLED" "$L1")" -gt "$after2" ] &&
	ok udp-policy-dns-global-tcp-refused || notok udp-policy-dns-global-tcp-refused "$out"

out=$(dg $PRIV -p $P_RDNS +short small.test TXT)
[ "$out" = '"hello"' ] && ok udp-policy-reverse-dns-private-answered || notok udp-policy-reverse-dns-private-answered "$out"
n=$(udpq $GLOBAL $P_RDNS 3 small.test)
[ "$n" = 0 ] && [ -n "$out" ] && ok udp-policy-reverse-dns-global-refused || notok udp-policy-reverse-dns-global-refused "$n answers"

echo_from() { # SRC PORT: what the echo behind reverse:udp sends back, or "none"
	$CX python3 - "$1" "$(dst "$1")" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0)); s.settimeout(2)
s.sendto(b"ping-" + sys.argv[1].encode(), (sys.argv[2], int(sys.argv[3])))
try:
    print(s.recv(2048).decode())
except socket.timeout:
    print("none")
PY
}
out=$(echo_from $PRIV $P_RUDP)
[ "$out" = "ping-$PRIV" ] && ok udp-policy-reverse-udp-private-relayed || notok udp-policy-reverse-udp-private-relayed "$out"
out=$(echo_from $GLOBAL $P_RUDP)
[ "$out" = none ] && ok udp-policy-reverse-udp-global-refused || notok udp-policy-reverse-udp-global-refused "$out"

# SOCKS5 UDP ASSOCIATE: a private client's datagrams are relayed; a global
# client never gets an association (its control connection is refused, as
# before this change), so its datagrams reach no relay.
socks_udp() { # SRC: the echo through a UDP association, or why not
	$CX python3 - "$1" "$(dst "$1")" "$P_SOCKS" "$ECHO" <<'PY'
import socket, struct, sys
src, snare, port, echo = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    c = socket.create_connection((snare, port), timeout=3, source_address=(src, 0))
    c.sendall(b"\x05\x01\x00")
    if c.recv(2) != b"\x05\x00":
        raise OSError("no method")
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    r = c.recv(10)
    relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
except OSError as e:
    print("refused"); sys.exit(0)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((src, 0)); u.settimeout(3)
hdr = b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", echo)
u.sendto(hdr + b"via-socks", relay)
try:
    d = u.recv(2048); print(d[len(hdr):].decode())
except socket.timeout:
    print("none")
PY
}
out=$(socks_udp $PRIV)
[ "$out" = via-socks ] && ok udp-policy-socks5-udp-private-relayed || notok udp-policy-socks5-udp-private-relayed "$out"
out=$(socks_udp $GLOBAL)
[ "$out" = refused ] && ok udp-policy-socks5-udp-global-no-association || notok udp-policy-socks5-udp-global-no-association "$out"

# ---- truncation: the upstream sends 3 KB whatever the client takes --------
size_of() { sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' | tail -1; }
for m in dns:$P_DNS reverse-dns:$P_RDNS; do
	name=${m%%:*} port=${m##*:}
	out=$(dg $PRIV -p "$port" +noedns +ignore big.test TXT 2>&1)
	sz=$(echo "$out" | size_of)
	echo "$out" | grep -qE 'flags: qr tc' && [ -n "$sz" ] && [ "$sz" -le 512 ] && ! echo "$out" | grep -qi malformed &&
		ok "udp-policy-$name-noedns-truncated-512" || notok "udp-policy-$name-noedns-truncated-512" "$(echo "$out" | grep -E 'flags|SIZE|arning')"
	out=$(dg $PRIV -p "$port" +bufsize=1232 +ignore big.test TXT 2>&1)
	sz=$(echo "$out" | size_of)
	echo "$out" | grep -qE 'flags: qr tc' && [ -n "$sz" ] && [ "$sz" -le 1232 ] && echo "$out" | grep -q 'udp: 1232' &&
		ok "udp-policy-$name-edns-truncated-1232" || notok "udp-policy-$name-edns-truncated-1232" "$(echo "$out" | grep -E 'flags|SIZE|udp:')"
	out=$(dg $PRIV -p "$port" big.test TXT 2>&1)
	echo "$out" | grep -q 'ANSWER: 12,' && echo "$out" | grep -q 'Truncated, retrying in TCP' &&
		ok "udp-policy-$name-tcp-fallback-whole" || notok "udp-policy-$name-tcp-fallback-whole" "$(echo "$out" | grep -E 'flags|Trunc|SIZE')"
done

# A 65535-byte query over TCP (length prefix and message exceed 64 KiB):
# answered, not refused for its size.
out=$($CX python3 - "$PRIV" "$(dst $PRIV)" "$P_DNS" <<'PY'
import socket, struct, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
qn = b"\x05small\x04test\x00"
head = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 1) + qn + struct.pack("!HH", 16, 1)
rdlen = 65535 - len(head) - 11
rd = b""
while len(rd) < rdlen:
    k = min(255, rdlen - len(rd) - 1)
    rd += bytes([k]) + b"x" * k
msg = head + b"\x00" + struct.pack("!HHIH", 16, 1, 0, len(rd)) + rd
assert len(msg) == 65535, len(msg)
c = socket.create_connection((dst, port), timeout=5, source_address=(src, 0))
c.sendall(struct.pack("!H", len(msg)) + msg)
try:
    r = c.recv(4096)
    print(r[2:4].hex() if len(r) > 4 else "closed")
except OSError as e:
    print("error", e)
PY
)
[ "$out" = 4242 ] && ok udp-policy-tcp-65535-byte-query-answered || notok udp-policy-tcp-65535-byte-query-answered "$out"

# The default rate limit leaves a stub resolver's burst alone.
n=$(udpq $PRIV2 $P_DNS 100 small.test)
[ "$n" = 100 ] && ok udp-policy-default-rate-not-hit || notok udp-policy-default-rate-not-hit "$n of 100 answered"
stop_snare

# ---- udp_reply_rate=5: at most twice that at once per source ----------------
rate_limit() {
	start_in_ns 2 --mode "dns@0.0.0.0:$P_DNS" --mode "reverse:udp://127.0.0.1:$ECHO@0.0.0.0:$P_RUDP" \
		--set dns_name_servers="127.0.0.1:$UP" --set udp_reply_rate=5 ||
		{ notok udp-policy-rate-start "snare did not start"; return 1; }
	n=$(udpq $PRIV $P_DNS 60 small.test)
	# 10 at once, then 5 a second while the script listens (under 4 s).
	[ "$n" -ge 1 ] && [ "$n" -le 30 ] && ok udp-policy-rate-limited || notok udp-policy-rate-limited "$n of 60 answered"
	out=$(dg $PRIV2 -p $P_DNS +short small.test TXT)
	[ "$out" = '"hello"' ] && ok udp-policy-rate-other-source-answered || notok udp-policy-rate-other-source-answered "$out"
	wait_for "$SNARE_LOG" "UDP replies to $PRIV are over udp_reply_rate" 5
	[ "$(grep -c "UDP replies to $PRIV are over udp_reply_rate" "$SNARE_LOG")" = 1 ] && ok udp-policy-rate-logged-once ||
		notok udp-policy-rate-logged-once "$(grep -c "udp_reply_rate" "$SNARE_LOG") lines"
	# reverse:udp replies count the same way.
	n=$($CX python3 - "$PRIV2" "$(dst $PRIV2)" "$P_RUDP" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0)); s.settimeout(0.2)
for i in range(40):
    s.sendto(b"x%d" % i, (sys.argv[2], int(sys.argv[3])))
got, end = 0, time.time() + 1.5
while time.time() < end:
    try:
        s.recv(2048); got += 1; end = time.time() + 1
    except socket.timeout:
        pass
print(got)
PY
	)
	[ "$n" -ge 1 ] && [ "$n" -le 30 ] && ok udp-policy-rate-reverse-udp-limited || notok udp-policy-rate-reverse-udp-limited "$n of 40 relayed back"
	stop_snare
}
rate_limit

# ---- block_private (and block_global off): the other way round ------------
block_private() {
	start_in_ns 1 --mode "dns@0.0.0.0:$P_DNS" --set dns_name_servers="127.0.0.1:$UP" \
		--set block_private=true --set block_global=false ||
		{ notok udp-policy-private-start "snare did not start"; return 1; }
	out=$(dg $GLOBAL -p $P_DNS +short small.test TXT)
	[ "$out" = '"hello"' ] && ok udp-policy-block-global-off-answers-global || notok udp-policy-block-global-off-answers-global "$out"
	n=$(udpq $PRIV $P_DNS 3 small.test)
	[ "$n" = 0 ] && [ -n "$out" ] && ok udp-policy-block-private-refused || notok udp-policy-block-private-refused "$n answers"
	wait_for "$SNARE_LOG" "Client connection from $PRIV killed by block_private option." 5 &&
		ok udp-policy-block-private-logged || notok udp-policy-block-private-logged "$(tail -3 "$SNARE_LOG")"
	out=$($SX dig @127.0.0.1 -p $P_DNS +time=2 +tries=1 +short small.test TXT)
	[ "$out" = '"hello"' ] && ok udp-policy-loopback-always-answered || notok udp-policy-loopback-always-answered "$out"
	stop_snare
}
block_private
