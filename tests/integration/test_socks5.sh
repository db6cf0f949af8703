# SOCKS5 mode with real clients: curl --socks5 / --socks5-hostname (plain HTTP and intercepted
# HTTPS), RFC 1929 answers byte for byte, 1,000 malformed openings from
# data/socks5-malformed.txt (workers must survive them) and UDP ASSOCIATE to a domain name.
. "$(dirname "$0")/lib.sh"

DATA=$SNARE_ROOT/tests/integration/data
start_origin || exit 1
HTTP_PORT=$ORIGIN_PORT
start_origin --tls || exit 1
TLS_PORT=$ORIGIN_PORT
DEAD=$(free_port) # nothing listens here: no real DNS server is ever asked
UECHO=$(free_port)
socat UDP-RECVFROM:"$UECHO",bind=127.0.0.1,fork EXEC:cat 2>/dev/null &
PIDS+=($!)
sleep 0.3

start_snare --mode socks5@127.0.0.1:0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" \
	--set dns_name_servers="127.0.0.1:$DEAD" || exit 1
CA=$SNARE_CONF/snare-ca-cert.pem
socks_curl() { curl -sS --max-time 10 "$@"; }

# --- curl, both address forms ------------------------------------------------
out=$(socks_curl --socks5 127.0.0.1:"$SNARE_PORT" "http://127.0.0.1:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks5-ipv4-http || notok socks5-ipv4-http "$out"
out=$(socks_curl --socks5-hostname 127.0.0.1:"$SNARE_PORT" "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks5-hostname-http || notok socks5-hostname-http "$out"
# Only snare's CA is trusted: the origin's own certificate would fail, so success means intercepted.
out=$(socks_curl --socks5 127.0.0.1:"$SNARE_PORT" --cacert "$CA" "https://127.0.0.1:$TLS_PORT/hello")
[ "$out" = hello ] && ok socks5-ipv4-https-intercepted || notok socks5-ipv4-https-intercepted "$out"
out=$(socks_curl --socks5-hostname 127.0.0.1:"$SNARE_PORT" --cacert "$CA" -w '%{certs}' \
	"https://localhost:$TLS_PORT/hello" 2>&1)
echo "$out" | grep -q '^hello$' && echo "$out" | grep -qi "issuer:.*snare" &&
	ok socks5-hostname-https-intercepted || notok socks5-hostname-https-intercepted "$(echo "$out" | head -3)"
sleep 0.3
grep -q "GET https://localhost:$TLS_PORT/hello" "$SNARE_LOG" && ok socks5-https-flow-uses-socks-host ||
	notok socks5-https-flow-uses-socks-host "$(grep GET "$SNARE_LOG" | tail -2)"

# --- 1,000 malformed openings, each on its own connection ---------------------
workers_before=$(snare_children "$SNARE_PID" | sort | tr '\n' ' ')
out=$(python3 - "$SNARE_PORT" "$DATA/socks5-malformed.txt" <<'PY'
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
lines = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]
hung = errors = 0
t0 = time.monotonic()
for hexline in lines:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        errors += 1
        continue
    s.settimeout(2)
    try:
        s.sendall(bytes.fromhex(hexline))
        s.shutdown(socket.SHUT_WR)  # no more bytes: snare must end the connection
        while s.recv(4096):
            pass
    except socket.timeout:
        hung += 1
    except OSError:
        pass  # a reset is an answer too
    s.close()
print(len(lines), hung, errors, round(time.monotonic() - t0, 1))
PY
)
set -- $out
[ "${1:-0}" = 1000 ] && ok socks5-malformed-corpus-sent || notok socks5-malformed-corpus-sent "$out"
[ "${2:-1}" = 0 ] && [ "${3:-1}" = 0 ] && ok socks5-malformed-all-closed ||
	notok socks5-malformed-all-closed "sent, hung, connect errors, seconds: $out"
out=$(socks_curl --socks5-hostname 127.0.0.1:"$SNARE_PORT" "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks5-serves-after-malformed || notok socks5-serves-after-malformed "$out"
workers_after=$(snare_children "$SNARE_PID" | sort | tr '\n' ' ')
[ -n "$workers_before" ] && [ "$workers_before" = "$workers_after" ] && ok socks5-workers-survived ||
	notok socks5-workers-survived "before: $workers_before after: $workers_after"
grep -q "Invalid SOCKS version" "$SNARE_LOG" && grep -q "Unknown address type" "$SNARE_LOG" &&
	grep -q "Unsupported SOCKS5 request" "$SNARE_LOG" && ok socks5-malformed-logged ||
	notok socks5-malformed-logged "$(grep -c SOCKS "$SNARE_LOG") SOCKS lines"
# In the log that has the malformed openings' lines: no report, no dead worker.
grep -q "Invalid SOCKS version" "$SNARE_LOG" &&
	! grep -qiE "AddressSanitizer|runtime error|worker .*(died|exited)" "$SNARE_LOG" && ok socks5-no-sanitizer-report ||
	notok socks5-no-sanitizer-report "$(grep -iE 'Sanitizer|runtime error|died|exited' "$SNARE_LOG" | head -3)"

# --- UDP ASSOCIATE to a domain name -------------------------------------------
# "localhost" comes from the resolver's local answers (hosts file); replies carry the name back.
out=$(python3 - "$SNARE_PORT" "$UECHO" <<'PY'
import socket, struct, sys
snare, echo = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", snare), timeout=5)
c.sendall(b"\x05\x01\x00"); assert c.recv(2) == b"\x05\x00"
c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
r = c.recv(10); assert r[1] == 0, r
relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
def hdr(name, port): return b"\x00\x00\x00\x03" + bytes([len(name)]) + name + struct.pack("!H", port)
want = hdr(b"localhost", echo)
# Three back to back: the first ones wait for the name, the last may hit the cache.
for i in range(3):
    u.sendto(want + b"dgram-%d" % i, relay)
got = set()
try:
    for i in range(3):
        d, _ = u.recvfrom(2048)
        got.add(d[len(want):].decode() if d.startswith(want) else "bad-header:" + d[:20].hex())
except socket.timeout:
    pass
print(" ".join(sorted(got)))
u.sendto(want + b"cached", relay)  # well after the answer: from the cache
d, _ = u.recvfrom(2048)
print(d[len(want):].decode() if d.startswith(want) else "bad-header")
u.sendto(hdr(b"no-such-host.invalid", echo) + b"lost", relay)
u.settimeout(1)
try:
    u.recvfrom(2048); print("unexpected-reply")
except socket.timeout:
    print("dropped")
u.settimeout(3)
u.sendto(b"\x00\x00\x01\x03" + want[4:] + b"fragment", relay)  # FRAG != 0: dropped
u.sendto(want + b"after", relay)
d, _ = u.recvfrom(2048)
print(d[len(want):].decode() if d.startswith(want) else "bad-header")
c.close()
PY
)
line() { echo "$out" | sed -n "$1p"; }
[ "$(line 1)" = "dgram-0 dgram-1 dgram-2" ] && ok socks5-udp-domain-relayed || notok socks5-udp-domain-relayed "$out"
[ "$(line 2)" = cached ] && ok socks5-udp-domain-cached || notok socks5-udp-domain-cached "$out"
[ "$(line 3)" = dropped ] && ok socks5-udp-unresolvable-dropped || notok socks5-udp-unresolvable-dropped "$out"
[ "$(line 4)" = after ] && ok socks5-udp-fragment-dropped-relay-alive || notok socks5-udp-fragment-dropped-relay-alive "$out"
sleep 0.3
stop_snare
grep -q -- "-> udp -> 127.0.0.1:$UECHO" "$SNARE_LOG" && ok socks5-udp-domain-flow ||
	notok socks5-udp-domain-flow "$(grep udp "$SNARE_LOG" | tail -3)"
grep -q "cannot resolve no-such-host.invalid" "$SNARE_LOG" && ok socks5-udp-resolve-failure-logged ||
	notok socks5-udp-resolve-failure-logged "$(tail -3 "$SNARE_LOG")"

# --- RFC 1929 answers, byte for byte --------------------------------------------
start_snare --mode socks5@127.0.0.1:0 --set proxyauth=sam:pw || exit 1
auth_bytes() { # USER PASS -> hex of everything the server sent after the method choice, "+eof" when it closed
	python3 - "$SNARE_PORT" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"\x05\x01\x02"); assert s.recv(2) == b"\x05\x02"
u, p = sys.argv[2].encode(), sys.argv[3].encode()
s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
got = b""
try:
    while len(got) < 16:
        d = s.recv(16)
        if not d:
            print(got.hex() + "+eof"); sys.exit()
        got += d
        if got == b"\x01\x00":
            s.settimeout(0.5)
except socket.timeout:
    pass
except ConnectionResetError:
    print(got.hex() + "+reset"); sys.exit()
print(got.hex())
PY
}
out=$(auth_bytes sam bad)
[ "$out" = "0101+eof" ] && ok socks5-wrong-password-0101-closed || notok socks5-wrong-password-0101-closed "$out"
out=$(auth_bytes sam pw)
[ "$out" = "0100" ] && ok socks5-right-password-0100-open || notok socks5-right-password-0100-open "$out"
out=$(python3 - "$SNARE_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"\x05\x01\x00")  # only "no authentication" offered, but a password is required
got = b""
while True:
    d = s.recv(16)
    if not d: break
    got += d
print(got.hex())
PY
)
[ "$out" = 05ff ] && ok socks5-no-acceptable-method-05ff || notok socks5-no-acceptable-method-05ff "$out"
out=$(socks_curl --socks5-hostname 127.0.0.1:"$SNARE_PORT" --proxy-user sam:pw "http://localhost:$HTTP_PORT/hello")
[ "$out" = hello ] && ok socks5-curl-user-password || notok socks5-curl-user-password "$out"
stop_snare

# Issue 16.7: a SOCKS5 CONNECT to a "name" made of terminal escape sequences gets the general
# failure reply (01: the name type is supported, the name is malformed) and is never connected
# to, logged or shown; a connection opened before it and one opened after it work.
test_socks5_hostile_name() {
	start_snare --mode socks5@127.0.0.1:0 --set dns_name_servers="127.0.0.1:$DEAD" || return
	out=$(python3 - "$SNARE_PORT" "$HTTP_PORT" "$UECHO" <<'PY'
import socket, struct, sys

proxy, http_port = int(sys.argv[1]), int(sys.argv[2])

def socks_connect(atyp_addr, port, cmd=1):
    s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
    s.sendall(b"\x05\x01\x00")
    assert s.recv(2) == b"\x05\x00"
    s.sendall(b"\x05" + bytes([cmd]) + b"\x00" + atyp_addr + struct.pack(">H", port))
    rep = b""
    while len(rep) < 10:
        d = s.recv(10 - len(rep))
        if not d:
            break
        rep += d
    return s, rep

def get_hello(s):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        c = s.recv(4096)
        if not c:
            return d
        d += c

before, rep = socks_connect(b"\x01\x7f\x00\x00\x01", http_port)
print("before-reply", rep[:2].hex())
name = b"\x1b]0;owned\x07\x1b[2J\x1b[31mevil.test"
bad, rep = socks_connect(b"\x03" + bytes([len(name)]) + name, 80)
print("hostile-reply", rep[:2].hex())
bad.settimeout(5)
print("hostile-closed", bad.recv(1) == b"")
print("before-works", get_hello(before).endswith(b"hello\n"))
after, rep = socks_connect(b"\x03\x09localhost", http_port)
print("after-works", rep[:2].hex(), get_hello(after).endswith(b"hello\n"))
# UDP ASSOCIATE: a datagram to the same name is dropped; the relay goes on.
udp_echo = int(sys.argv[3])
c, r = socks_connect(b"\x01\x00\x00\x00\x00", 0, cmd=3)
relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
hdr = lambda n, p: b"\x00\x00\x00\x03" + bytes([len(n)]) + n + struct.pack("!H", p)
u.sendto(hdr(name, udp_echo) + b"hostile", relay)
u.sendto(hdr(b"localhost", udp_echo) + b"fine", relay)
d, _ = u.recvfrom(2048)
print("udp-after", d.endswith(b"fine"))
PY
	)
	sleep 0.3
	raw=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.count(b"\x1b"), d.count(b"\x07"))' "$SNARE_LOG")
	echo "$out" | grep -q '^hostile-reply 0501$' && echo "$out" | grep -q '^hostile-closed True$' &&
		ok socks5-hostile-name-general-failure || notok socks5-hostile-name-general-failure "$out"
	echo "$out" | grep -q '^before-reply 0500$' && echo "$out" | grep -q '^before-works True$' &&
		echo "$out" | grep -q '^after-works 0500 True$' && echo "$out" | grep -q '^udp-after True$' &&
		ok socks5-hostile-name-others-work || notok socks5-hostile-name-others-work "$out"
	# The refusal is in the log (so the log is the right one), and no raw ESC or BEL anywhere.
	grep -q "the destination is not a host name" "$SNARE_LOG" && [ "$raw" = "0 0" ] &&
		ok socks5-hostile-name-no-raw-escape-in-output ||
		notok socks5-hostile-name-no-raw-escape-in-output "ESC/BEL count $raw; $(grep -a SOCKS5 "$SNARE_LOG" | tail -2)"
	stop_snare
}
test_socks5_hostile_name
