# DTLS on reverse udp:// and dtls:// with real peers: openssl s_client
# through snare to a socat UDP echo (client DTLS autodetected and terminated
# with snare's leaf), raw UDP beside it, the stateless cookie exchange
# (HelloVerifyRequest) seen by s_client and by a hand-made ClientHello, and
# SSLKEYLOGFILE lines for both DTLS sides.
. "$(dirname "$0")/lib.sh"

start_origin --tls >/dev/null || exit 1 # only for ORIGIN_CERT and its key
UECHO=$(free_port)
socat UDP-RECVFROM:"$UECHO",bind=127.0.0.1,fork EXEC:cat &
PIDS+=($!)
sleep 0.3

# dtls_client PORT PAYLOAD OUT [ARGS...]: one s_client session, output in OUT.
dtls_client() {
	local port=$1 payload=$2 out=$3
	shift 3
	(printf '%s\n' "$payload"; sleep 2) |
		timeout 6 openssl s_client -dtls1_2 -connect 127.0.0.1:"$port" "$@" >"$out" 2>&1
}

# hello.py PORT: a DTLS 1.2 ClientHello by hand.  Prints what came back:
# "hvr BYTES" for the first answer, "quiet" when nothing else followed,
# "hvr-again" for a bogus cookie, "server-hello" for the right one, and
# "spoofed PORT" naming a socket that never returned its cookie.
cat >"$T/hello.py" <<'EOF'
import os, socket, struct, sys

def u24(n):
    return struct.pack(">I", n)[1:]

def client_hello(cookie, seq):
    groups = struct.pack(">HHH", 0x1D, 0x17, 0x18)
    sigalgs = struct.pack(">HHHHHH", 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501)
    ext = struct.pack(">HHH", 10, len(groups) + 2, len(groups)) + groups
    ext += struct.pack(">HHBB", 11, 2, 1, 0)
    ext += struct.pack(">HHH", 13, len(sigalgs) + 2, len(sigalgs)) + sigalgs
    suites = struct.pack(">HHHH", 0xC02B, 0xC02F, 0xC02C, 0xC030)
    body = b"\xfe\xfd" + b"\x42" * 32 + b"\x00" + bytes([len(cookie)]) + cookie
    body += struct.pack(">H", len(suites)) + suites + b"\x01\x00"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + u24(len(body)) + struct.pack(">H", seq) + u24(0) + u24(len(body)) + body
    return struct.pack(">BHHHI", 22, 0xFEFD, 0, 0, seq) + struct.pack(">H", len(hs)) + hs

def answer(s, timeout=3):
    s.settimeout(timeout)
    try:
        return s.recv(65535)
    except socket.timeout:
        return None

dst = ("127.0.0.1", int(sys.argv[1]))
spoof = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
spoof.bind(("127.0.0.1", 0))
spoof.sendto(client_hello(b"", 0), dst)
d = answer(spoof)
if d and d[0] == 22 and d[13] == 3:
    print("hvr", len(d))
if d and answer(spoof, 1) is None:
    print("quiet")
print("spoofed", spoof.getsockname()[1])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.sendto(client_hello(b"", 0), dst)
d = answer(s)
cookie = d[28:28 + d[27]] if d and len(d) > 28 and d[13] == 3 else b""
s.sendto(client_hello(b"\x00" * len(cookie), 1), dst)
d = answer(s)
if d and d[0] == 22 and d[13] == 3:
    print("hvr-again")
s.sendto(client_hello(cookie, 1), dst)
d = answer(s)
if d and d[0] == 22 and d[13] == 2:
    print("server-hello")
EOF

# --- reverse udp:// -------------------------------------------------------
export SSLKEYLOGFILE=$T/keys-udp.log
start_snare --mode "reverse:udp://127.0.0.1:$UECHO@127.0.0.1:0" || exit 1
unset SSLKEYLOGFILE
CA=$SNARE_CONF/snare-ca-cert.pem
dtls_client "$SNARE_PORT" dtls-through-udp "$T/sc1" -CAfile "$CA" -verify_ip 127.0.0.1
grep -qx dtls-through-udp "$T/sc1" && ok udp-dtls-client-echo || notok udp-dtls-client-echo "$(tail -3 "$T/sc1")"
grep -q '^issuer=CN = snare' "$T/sc1" && grep -q 'Verify return code: 0 (ok)' "$T/sc1" &&
	ok udp-dtls-leaf-from-snare-ca || notok udp-dtls-leaf-from-snare-ca "$(grep -E 'issuer|Verify' "$T/sc1")"
RAWPORT=$(free_port) # a known source port: its flow line is looked for below
out=$(echo raw-through-udp | timeout 5 socat -t 2 - UDP:127.0.0.1:"$SNARE_PORT",bind=127.0.0.1:"$RAWPORT")
[ "$out" = raw-through-udp ] && ok udp-raw-client-echo || notok udp-raw-client-echo "$out"

# The first thing snare sends a DTLS client is a HelloVerifyRequest.
dtls_client "$SNARE_PORT" traced "$T/sc2" -trace
first=$(awk '/^Received Record/ { r = 1 } r && /^    [A-Za-z]+, Length=/ { print $1; exit }' "$T/sc2")
[ "$first" = HelloVerifyRequest, ] && grep -qx traced "$T/sc2" && ok udp-dtls-hello-verify-first ||
	notok udp-dtls-hello-verify-first "first message: $first"

out=$(timeout 20 python3 "$T/hello.py" "$SNARE_PORT")
hvr=$(echo "$out" | awk '$1 == "hvr" { print $2 }')
[ -n "$hvr" ] && [ "$hvr" -lt 100 ] && echo "$out" | grep -qx quiet &&
	ok cookie-spoofed-source-gets-only-small-hvr || notok cookie-spoofed-source-gets-only-small-hvr "$out"
echo "$out" | grep -qx hvr-again && ok cookie-bogus-refused || notok cookie-bogus-refused "$out"
echo "$out" | grep -qx server-hello && ok cookie-valid-accepted || notok cookie-valid-accepted "$out"
spoofed=$(echo "$out" | awk '$1 == "spoofed" { print $2 }')
stop_snare

n=$(grep -c -- "-> udp -> 127.0.0.1:$UECHO" "$SNARE_LOG")
[ "$n" -ge 3 ] && ok udp-flows-recorded || notok udp-flows-recorded "$n flow lines"
# The same search finds the raw client's flow by its source port, and none
# for the spoofed source.
[ -n "$spoofed" ] && grep -q "^127.0.0.1:$RAWPORT -> udp" "$SNARE_LOG" &&
	! grep -q "127.0.0.1:$spoofed " "$SNARE_LOG" && ok cookie-spoofed-source-no-flow ||
	notok cookie-spoofed-source-no-flow "raw $RAWPORT, spoofed $spoofed: $(grep -- "-> udp" "$SNARE_LOG")"
[ "$(grep -c '^CLIENT_RANDOM ' "$T/keys-udp.log" 2>/dev/null)" -ge 2 ] && ok udp-dtls-keylog ||
	notok udp-dtls-keylog "$(cat "$T/keys-udp.log" 2>/dev/null)"

# --- reverse dtls:// ------------------------------------------------------
# openssl s_server -dtls1_2 echoes through a fifo (one session at a time).
DECHO=$(free_port)
fifo=$T/dtls.fifo
mkfifo "$fifo"
timeout 60 openssl s_server -dtls1_2 -accept 127.0.0.1:"$DECHO" -cert "$ORIGIN_CERT" \
	-key "$T/origin.key" -quiet <>"$fifo" >"$fifo" 2>/dev/null &
PIDS+=($!)
sleep 0.5
export SSLKEYLOGFILE=$T/keys-dtls.log
start_snare --mode "reverse:dtls://127.0.0.1:$DECHO@127.0.0.1:0" \
	--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
unset SSLKEYLOGFILE
dtls_client "$SNARE_PORT" dtls-through-dtls "$T/sc3" -CAfile "$SNARE_CONF/snare-ca-cert.pem" -msg
grep -qx dtls-through-dtls "$T/sc3" && ok dtls-echo || notok dtls-echo "$(tail -3 "$T/sc3")"
# -msg: the first record back is a handshake whose first byte, 03, is a
# HelloVerifyRequest.
first=$(awk '/^<<< .*content_type=22/ { getline; print $1; exit }' "$T/sc3")
[ "$first" = 03 ] && ok dtls-hello-verify-first || notok dtls-hello-verify-first "first byte: $first"
stop_snare
grep -q -- "-> udp -> 127.0.0.1:$DECHO" "$SNARE_LOG" && ok dtls-flow-recorded ||
	notok dtls-flow-recorded "$(tail -3 "$SNARE_LOG")"
# One session on each side: two CLIENT_RANDOM lines with different randoms.
n=$(awk '$1 == "CLIENT_RANDOM" { print $2 }' "$T/keys-dtls.log" 2>/dev/null | sort -u | wc -l)
[ "$n" -eq 2 ] && ok dtls-keylog-both-sides || notok dtls-keylog-both-sides "$n randoms"
