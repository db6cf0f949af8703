# The dns mode and reverse:dns with dig as the client and dnsmasq as the
# upstream name server, both on loopback.
. "$(dirname "$0")/lib.sh"

NSPORT=$(free_port)
dnsmasq --no-daemon --port="$NSPORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --local=/test/ --host-record=only4.test,10.9.9.9 --address=/example.test/10.1.2.3 --address=/v6.test/2001:db8::7 --address=/nx.test/ \
	--mx-host=example.test,mail.example.test,10 --txt-record=example.test,"hello txt" \
	--dns-rr=svc.test,65,00010000010006026832026833000500040045fe0d \
	>"$T/dnsmasq.log" 2>&1 &
PIDS+=($!)
sleep 0.5
dig +short @127.0.0.1 -p "$NSPORT" example.test A | grep -q 10.1.2.3 || { notok dnsmasq "no upstream"; exit 1; }

start_snare --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$NSPORT" --set http3=false || exit 1
grep -q "DNS server listening at 127.0.0.1:$SNARE_PORT." "$SNARE_LOG" && ok dns-listening-line || notok dns-listening-line "$(head -2 "$SNARE_LOG")"
D="dig @127.0.0.1 -p $SNARE_PORT +time=3 +tries=1"
out=$($D example.test A)
echo "$out" | grep -qE 'example.test.\s+60\s+IN\s+A\s+10.1.2.3' && ok dns-a-resolved-ttl-60 || notok dns-a-resolved-ttl-60 "$out"
echo "$out" | grep -q 'flags: qr rd ra' && ok dns-flags-rd-ra || notok dns-flags-rd-ra "$(echo "$out" | grep flags)"
out=$($D +short v6.test AAAA)
[ "$out" = 2001:db8::7 ] && ok dns-aaaa || notok dns-aaaa "$out"
out=$($D +short localhost A)
[ "$out" = 127.0.0.1 ] && ok dns-hosts-file || notok dns-hosts-file "$out"
out=$($D nx.test A)
echo "$out" | grep -q 'status: NXDOMAIN' && ok dns-nxdomain || notok dns-nxdomain "$out"
out=$($D only4.test AAAA)
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'ANSWER: 0' && ok dns-noerror-no-answer || notok dns-noerror-no-answer "$out"
out=$($D +short example.test MX)
[ "$out" = "10 mail.example.test." ] && ok dns-mx-forwarded || notok dns-mx-forwarded "$out"
out=$($D +short +tcp example.test TXT)
[ "$out" = '"hello txt"' ] && ok dns-tcp-forwarded || notok dns-tcp-forwarded "$out"
# HTTPS records lose ech (strip_ech, by default) and h3 (http3=false).
out=$($D +short svc.test TYPE65)
raw=$(dig @127.0.0.1 -p "$NSPORT" +short svc.test TYPE65)
[ "$raw" = '1 . alpn="h2,h3" ech=AEX+DQ==' ] && [ "$out" = '1 . alpn="h2"' ] && ok dns-https-ech-h3-stripped || notok dns-https-ech-h3-stripped "$raw -> $out"
out=$($D +tcp +keepopen example.test A example.test MX)
[ "$(echo "$out" | grep -c 'ANSWER SECTION')" -eq 2 ] && ok dns-tcp-two-queries-one-connection || notok dns-tcp-two-queries-one-connection "$out"
out=$(printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab' | timeout 3 socat -t 2 - UDP:127.0.0.1:"$SNARE_PORT" | xxd -p)
[ "${out:0:8}" = 12348181 ] && ok dns-malformed-formerr || notok dns-malformed-formerr "$out"
# Garbage, then a real query from the same socket: the query's answer must
# arrive (so the socket works) and nothing else (so the garbage got none).
out=$(python3 - "$SNARE_PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"\x12\x34")
s.send(bytes.fromhex("567801000001000000000000076578616d706c6504746573740000010001"))
got = []
s.settimeout(3)
try:
    while True:
        got.append(s.recv(4096)[:2].hex())
        s.settimeout(1)
except socket.timeout:
    pass
print(" ".join(got) or "nothing")
PY
)
[ "$out" = 5678 ] && ok dns-garbage-silence || notok dns-garbage-silence "answers by id: $out (want only 5678)"
out=$($D +short example.test A)
[ "$out" = 10.1.2.3 ] && ok dns-serves-after-garbage || notok dns-serves-after-garbage "$out"
grep -q "DNS QUERY (A) example.test" "$SNARE_LOG" && grep -q "<< 10.1.2.3" "$SNARE_LOG" && ok dns-flow-lines || notok dns-flow-lines "$(grep DNS "$SNARE_LOG" | head -3)"
grep -q "<< NXDOMAIN" "$SNARE_LOG" && ok dns-flow-nxdomain-line || notok dns-flow-nxdomain-line "missing"
out=$($D refused.example A)
echo "$out" | grep -q 'status: SERVFAIL' && ok dns-upstream-refusal-servfail || notok dns-upstream-refusal-servfail "$out"
stop_snare
start_snare --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$NSPORT" --set strip_ech=false \
	--set http3=true
out=$(dig @127.0.0.1 -p "$SNARE_PORT" +short svc.test TYPE65)
[ -n "$out" ] && [ "$out" = "$(dig @127.0.0.1 -p "$NSPORT" +short svc.test TYPE65)" ] &&
	ok dns-https-kept-when-asked || notok dns-https-kept-when-asked "$out"
stop_snare

# Flows are saved and read back.
start_snare --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$NSPORT" -w "$T/dns.flows"
dig @127.0.0.1 -p "$SNARE_PORT" +short example.test A >/dev/null
sleep 0.3
stop_snare
"$SNARE_BIN" -n -r "$T/dns.flows" | grep -q "DNS QUERY (A) example.test" && ok dns-flow-file || notok dns-flow-file "$("$SNARE_BIN" -n -r "$T/dns.flows" 2>&1)"

# reverse:dns forwards everything, on both transports.
start_snare --mode "reverse:dns://127.0.0.1:$NSPORT@127.0.0.1:0" || exit 1
out=$(dig @127.0.0.1 -p "$SNARE_PORT" +short example.test A)
[ "$out" = 10.1.2.3 ] && ok reverse-dns-udp || notok reverse-dns-udp "$out"
out=$(dig @127.0.0.1 -p "$SNARE_PORT" +short +tcp example.test MX)
[ "$out" = "10 mail.example.test." ] && ok reverse-dns-tcp || notok reverse-dns-tcp "$out"
out=$(dig @127.0.0.1 -p "$SNARE_PORT" localhost A)
echo "$out" | grep -q "status: REFUSED\|status: NXDOMAIN\|ANSWER: 0" && ok reverse-dns-no-local-hosts-file || notok reverse-dns-no-local-hosts-file "$out"
stop_snare

if [ "$(id -u)" -ne 0 ]; then
	out=$("$SNARE_BIN" --mode dns --set confdir="$T/c53" 2>&1)
	echo "$out" | grep -q "dns@5353" && ok dns-port-53-hint || notok dns-port-53-hint "$out"
else
	skip dns-port-53-hint "as root, ports below 1024 are bound directly"
fi

# Issue 16.3: a 64 KiB query whose 1,532 names all point at the far end of a chain of 8,000
# back-pointers. Parsing it must cost bounded work: the name that follows more than 127 pointers
# is refused and the worker answers FORMERR at once (before, every name walked the whole chain
# and the query went on to be answered). Sent 20 times on one TCP connection, then a normal
# query on the same connection must still be answered.
test_dns_pointer_chain_bomb() {
	start_snare --mode dns@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$NSPORT" || return
	out=$(python3 - "$SNARE_PORT" <<'PY'
import socket, struct, sys

def chain_query(nchain=8000):
    b = bytearray(struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0))
    b += b"\x01a\x00" + struct.pack(">HH", 1, 1)
    counts = [1, 0, 0, 0]
    def rr(sec, owner, typ, rdlen):
        b.extend(struct.pack(">HHHIH", 0xc000 | owner, typ, 1, 0, rdlen))
        counts[sec] += 1
    rr(1, 12, 65280, 2 * nchain)
    chain = len(b)
    b += struct.pack(">H", 0xc000 | 12)
    for i in range(1, nchain):
        b += struct.pack(">H", 0xc000 | (chain + 2 * (i - 1)))
    end = chain + 2 * (nchain - 1)
    for s in (1, 2, 3):
        while counts[s] < 256 - (s == 3):
            rr(s, end, 5, 2)
            b += struct.pack(">H", 0xc000 | end)
    pad = 65534 - len(b) - 12 # with its length prefix, as much as a worker's stream buffer holds
    rr(3, 12, 65280, pad)
    b += bytes(pad)
    struct.pack_into(">HHHH", b, 4, *counts)
    return bytes(b)

def read_msg(s):
    def exact(n):
        d = b""
        while len(d) < n:
            c = s.recv(n - len(d))
            if not c:
                raise EOFError("closed")
            d += c
        return d
    return exact(struct.unpack(">H", exact(2))[0])

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
q = chain_query()
assert len(q) == 65534
s.sendall((struct.pack(">H", len(q)) + q) * 20)
rcodes = []
for _ in range(20):
    r = read_msg(s)
    rcodes.append(r[3] & 0x0f)
print("rcodes", " ".join(map(str, sorted(set(rcodes)))), "n", len(rcodes))
# A normal query for example.test A on the same connection.
nq = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x07example\x04test\x00" + struct.pack(">HH", 1, 1)
s.sendall(struct.pack(">H", len(nq)) + nq)
r = read_msg(s)
print("normal", hex(struct.unpack(">H", r[:2])[0]), r[3] & 0x0f, bytes(r[-4:]).hex())
PY
	)
	echo "$out" | grep -q "^rcodes 1 n 20$" && ok dns-pointer-chain-formerr ||
		notok dns-pointer-chain-formerr "$out"
	echo "$out" | grep -q "^normal 0x4242 0 0a010203$" && ok dns-pointer-chain-then-normal-query ||
		notok dns-pointer-chain-then-normal-query "$out"
	out=$(dig @127.0.0.1 -p "$SNARE_PORT" +time=3 +tries=1 +short example.test A)
	[ "$out" = 10.1.2.3 ] && ok dns-pointer-chain-worker-responsive ||
		notok dns-pointer-chain-worker-responsive "$out"
	stop_snare
}
test_dns_pointer_chain_bomb
