# The QUIC module (daemon/quic) against real peers, through tests/tools/quicpeer (built from
# it): the ngtcp2 example client (gtlsclient) fetches from our HTTP/3 server; our client fetches
# from the ngtcp2 example server (gtlsserver) and from caddy with HTTP/3; our client and server
# exchange raw QUIC streams both ways and DATAGRAM frames, with and without Retry; a wrong name
# fails verification with a TLS alert; our Initial reader reads the SNI/ALPN of gtlsclient's,
# Chromium's (two datagrams) and our client's first datagrams; both ends also run under the
# worker's seccomp list. Loopback only; UDP ports picked free per run.
. "$(dirname "$0")/lib.sh"

QP=${SNARE_BUILD:-$SNARE_ROOT/build/check}/tests/tools/quicpeer
if [ ! -x "$QP" ]; then
	notok quicpeer-built "$QP missing"
	exit 0
fi

udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A CA and a leaf for quic.test (EC P-256), as the ca would hand the worker.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
	-out "$T/ca.pem" -days 2 -subj "/CN=snare quic test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf.key" \
	-out "$T/leaf.csr" -subj "/CN=quic.test" 2>/dev/null
printf 'subjectAltName=DNS:quic.test,DNS:localhost\n' >"$T/ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/leaf.pem" -days 2 -extfile "$T/ext" 2>/dev/null

# start_peer_server [ARGS...]: our HTTP/3 + raw server; sets QS_PORT, QS_LOG.
start_peer_server() {
	QS_PORT=$(udp_port)
	QS_LOG=$T/qs-$QS_PORT.log
	"$QP" server "127.0.0.1:$QS_PORT" "$T/leaf.pem" "$T/leaf.key" "$@" >"$QS_LOG" 2>&1 &
	PIDS+=($!)
	wait_for "$QS_LOG" "server: listening" 10 || { notok quicpeer-server "$(cat "$QS_LOG")"; exit 1; }
}

# --- gtlsclient -> our HTTP/3 server ---------------------------------------------
start_peer_server --keylog "$T/server-keys.txt"
if command -v gtlsclient >/dev/null; then
	mkdir -p "$T/dl"
	timeout 20 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 127.0.0.1 "$QS_PORT" \
		"https://localhost:$QS_PORT/from-gtlsclient" >"$T/gc.log" 2>&1
	if grep -qx "hello from quicpeer /from-gtlsclient" "$T/dl/from-gtlsclient" 2>/dev/null; then
		ok gtlsclient-gets-from-our-server
	else
		notok gtlsclient-gets-from-our-server "$(cat "$T/gc.log" "$QS_LOG")"
	fi
	grep -q "handshake alpn=h3" "$QS_LOG" && ok our-server-negotiated-h3 ||
		notok our-server-negotiated-h3 "$(cat "$QS_LOG")"
	grep -q "^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]\{64\} [0-9a-f]\{64\}" "$T/server-keys.txt" &&
		grep -q "^SERVER_TRAFFIC_SECRET_0 " "$T/server-keys.txt" && ok server-keylog-lines ||
		notok server-keylog-lines "$(cat "$T/server-keys.txt" 2>&1)"
	# A version we do not speak: Version Negotiation, then the client comes back with v1.
	timeout 20 gtlsclient -q --exit-on-all-streams-close -v 0xaaaaaaaa --preferred-versions v1 \
		--download="$T/dl" 127.0.0.1 "$QS_PORT" "https://localhost:$QS_PORT/after-vn" >"$T/gc-vn.log" 2>&1
	grep -qx "hello from quicpeer /after-vn" "$T/dl/after-vn" 2>/dev/null &&
		grep -q "server: version negotiation sent" "$QS_LOG" && ok version-negotiation-then-v1 ||
		notok version-negotiation-then-v1 "$(cat "$T/gc-vn.log" "$QS_LOG")"
else
	skip gtlsclient-gets-from-our-server "gtlsclient (ngtcp2-client) not installed"
fi

# --- our client <-> our server: HTTP/3, raw streams both ways, datagrams -------------
out=$("$QP" get "127.0.0.1:$QS_PORT" "https://quic.test/ours" --cafile "$T/ca.pem" 2>&1)
if echo "$out" | grep -qx "hello from quicpeer /ours" && echo "$out" | grep -qx "trailer x-quicpeer: done"; then
	ok our-client-our-server-h3-with-trailers
else
	notok our-client-our-server-h3-with-trailers "$out"
fi
out=$("$QP" raw "127.0.0.1:$QS_PORT" quic.test --cafile "$T/ca.pem" 2>&1)
echo "$out" | grep -q "^stream 0 fin: ping-bidi$" && ok raw-bidi-stream-echoed || notok raw-bidi-stream-echoed "$out"
echo "$out" | grep -q "^stream [0-9]* fin: echo:ping-uni$" && ok raw-uni-streams-both-ways ||
	notok raw-uni-streams-both-ways "$out"
echo "$out" | grep -q "^datagram: ping-dgram$" && ok datagram-frames-both-ways || notok datagram-frames-both-ways "$out"
wait_for "$QS_LOG" "closed app code 0x0 done" 5 && ok close-code-surfaced || notok close-code-surfaced "$(cat "$QS_LOG")"

# A name the certificate does not have: the handshake fails with a TLS alert (bad_certificate).
out=$("$QP" raw "127.0.0.1:$QS_PORT" other.test --cafile "$T/ca.pem" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "closed transport code 0x12a"; then
	ok wrong-name-rejected-with-alert
else
	notok wrong-name-rejected-with-alert "rc=$rc $out"
fi
# The same with -k: accepted (so the failure above was the name).
out=$("$QP" raw "127.0.0.1:$QS_PORT" other.test -k 2>&1) && ok insecure-accepts-wrong-name ||
	notok insecure-accepts-wrong-name "$out"

# --- Retry under load: the server answers with a Retry, the client comes back with the token
start_peer_server --retry
out=$("$QP" raw "127.0.0.1:$QS_PORT" quic.test --cafile "$T/ca.pem" 2>&1)
if [ $? -eq 0 ] && grep -q "server: retry sent" "$QS_LOG"; then
	ok retry-then-raw-streams
else
	notok retry-then-raw-streams "$out $(cat "$QS_LOG")"
fi
if command -v gtlsclient >/dev/null; then
	timeout 20 gtlsclient -q --exit-on-all-streams-close --download="$T/dl" 127.0.0.1 "$QS_PORT" \
		"https://localhost:$QS_PORT/after-retry" >"$T/gc2.log" 2>&1
	grep -qx "hello from quicpeer /after-retry" "$T/dl/after-retry" 2>/dev/null &&
		[ "$(grep -c "server: retry sent" "$QS_LOG")" -ge 2 ] && ok gtlsclient-follows-our-retry ||
		notok gtlsclient-follows-our-retry "$(cat "$T/gc2.log" "$QS_LOG")"
fi

# --- under the worker's seccomp list (policy/seccomp_worker.c) -----------------------
# Both ends load it once their socket, certificate and trust setting are loaded, as a worker
# would; the handshake (with a Retry), HTTP/3, raw streams and datagrams then run under it. First
# the filter is shown to be enforced: execve under it kills the process.
"$QP" sandbox-check >"$T/sbx-check.log" 2>&1
rc=$?
if grep -q "worker seccomp list loaded" "$T/sbx-check.log" && [ $rc -ge 128 ] &&
	! grep -q "exec returned" "$T/sbx-check.log"; then
	ok worker-seccomp-enforced
else
	notok worker-seccomp-enforced "rc=$rc $(cat "$T/sbx-check.log")"
fi
start_peer_server --retry --sandbox
out=$("$QP" get "127.0.0.1:$QS_PORT" "https://quic.test/sandboxed" --cafile "$T/ca.pem" --sandbox 2>&1)
echo "$out" | grep -qx "hello from quicpeer /sandboxed" && ok h3-under-worker-seccomp ||
	notok h3-under-worker-seccomp "$out $(cat "$QS_LOG")"
out=$("$QP" raw "127.0.0.1:$QS_PORT" quic.test --cafile "$T/ca.pem" --sandbox 2>&1)
echo "$out" | grep -q "^datagram: ping-dgram$" && echo "$out" | grep -q "fin: echo:ping-uni$" &&
	ok raw-quic-under-worker-seccomp || notok raw-quic-under-worker-seccomp "$out $(cat "$QS_LOG")"
grep -q "server: retry sent" "$QS_LOG" && ok retry-under-worker-seccomp ||
	notok retry-under-worker-seccomp "$(cat "$QS_LOG")"

# --- our client -> gtlsserver (the ngtcp2 example server) ----------------------------
if command -v gtlsserver >/dev/null; then
	GS_PORT=$(udp_port)
	mkdir -p "$T/htdocs" && echo "hello from gtlsserver" >"$T/htdocs/page.txt"
	gtlsserver -q -d "$T/htdocs" 127.0.0.1 "$GS_PORT" "$T/leaf.key" "$T/leaf.pem" >"$T/gs.log" 2>&1 &
	PIDS+=($!)
	out=""
	for _ in 1 2 3 4 5; do # until it listens (it prints nothing with -q)
		out=$("$QP" get "127.0.0.1:$GS_PORT" "https://quic.test/page.txt" --cafile "$T/ca.pem" 2>&1) && break
	done
	echo "$out" | grep -qx "hello from gtlsserver" && ok our-client-gets-from-gtlsserver ||
		notok our-client-gets-from-gtlsserver "$out $(cat "$T/gs.log")"
else
	skip our-client-gets-from-gtlsserver "gtlsserver (ngtcp2-server) not installed"
fi

# --- our client -> caddy with HTTP/3 ---------------------------------------------
if command -v caddy >/dev/null; then
	CD_PORT=$(free_port)
	cat >"$T/Caddyfile" <<CADDY
{
	admin off
	auto_https disable_redirects
	servers {
		protocols h1 h2 h3
	}
}
https://quic.test:$CD_PORT {
	bind 127.0.0.1
	tls $T/leaf.pem $T/leaf.key
	respond "hello from caddy over {http.request.proto}" 200
}
CADDY
	XDG_DATA_HOME=$T/caddy-data XDG_CONFIG_HOME=$T/caddy-config HOME=$T \
		caddy run --config "$T/Caddyfile" --adapter caddyfile >"$T/caddy.log" 2>&1 &
	PIDS+=($!)
	if wait_for "$T/caddy.log" "enabling HTTP/3 listener" 20; then
		out=$("$QP" get "127.0.0.1:$CD_PORT" "https://quic.test/" --cafile "$T/ca.pem" 2>&1)
		echo "$out" | grep -q "hello from caddy over HTTP/3" && echo "$out" | grep -qx "server Caddy" &&
			ok our-client-gets-from-caddy-h3 || notok our-client-gets-from-caddy-h3 "$out"
	else
		notok our-client-gets-from-caddy-h3 "caddy did not start: $(cat "$T/caddy.log")"
	fi
else
	skip our-client-gets-from-caddy-h3 "caddy not installed"
fi

# --- the Initial reader on real first datagrams ------------------------------------
# start_sni: quicpeer sni on a fresh UDP port; sets SN_PORT, SN_LOG.
start_sni() {
	SN_PORT=$(udp_port)
	SN_LOG=$T/sni-$SN_PORT.log
	"$QP" sni "127.0.0.1:$SN_PORT" >"$SN_LOG" 2>&1 &
	SN_PID=$!
	PIDS+=($SN_PID)
	wait_for "$SN_LOG" "sni: listening" 10
}
if command -v gtlsclient >/dev/null; then
	start_sni
	timeout 3 gtlsclient -q 127.0.0.1 "$SN_PORT" "https://localhost/" >/dev/null 2>&1
	wait_for "$SN_LOG" "result=" 5
	grep -q "result=done version=0x00000001 sni=localhost alpn=h3" "$SN_LOG" &&
		ok initial-reader-gtlsclient-hello || notok initial-reader-gtlsclient-hello "$(cat "$SN_LOG")"
	start_sni
	timeout 3 gtlsclient -q -v v2draft 127.0.0.1 "$SN_PORT" "https://localhost/" >/dev/null 2>&1
	wait_for "$SN_LOG" "result=" 5
	grep -q "result=unknown-version" "$SN_LOG" && ok initial-reader-draft-version-unknown ||
		notok initial-reader-draft-version-unknown "$(cat "$SN_LOG")"
fi
# Chromium's ClientHello (with its post-quantum key share) is larger than one datagram: the
# reader reassembles it from two Initials in two datagrams.
if command -v chromium >/dev/null; then
	start_sni
	timeout 30 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$T/chromium" \
		--enable-quic --origin-to-force-quic-on=quic.test:443 \
		--host-resolver-rules="MAP quic.test:443 127.0.0.1:$SN_PORT" --dump-dom https://quic.test/ \
		>/dev/null 2>&1
	wait_for "$SN_LOG" "result=" 5
	grep -q "result=done version=0x00000001 sni=quic.test alpn=h3" "$SN_LOG" &&
		ok initial-reader-chromium-hello || notok initial-reader-chromium-hello "$(cat "$SN_LOG")"
	grep -q "result=done .* datagrams=[2-9]" "$SN_LOG" && ok initial-reader-chromium-hello-two-datagrams ||
		notok initial-reader-chromium-hello-two-datagrams "$(cat "$SN_LOG")"
else
	skip initial-reader-chromium-hello "chromium not installed"
fi
start_sni
timeout 3 "$QP" get "127.0.0.1:$SN_PORT" "https://quic.test/" -k >/dev/null 2>&1
wait_for "$SN_LOG" "result=" 5
grep -q "result=done version=0x00000001 sni=quic.test alpn=h3" "$SN_LOG" &&
	ok initial-reader-our-client-hello || notok initial-reader-our-client-hello "$(cat "$SN_LOG")"
start_sni
printf 'not quic at all' >"$T/plain.bin"
python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(open(sys.argv[1],"rb").read(), ("127.0.0.1", int(sys.argv[2])))' \
	"$T/plain.bin" "$SN_PORT"
wait_for "$SN_LOG" "result=" 5
grep -q "result=not-quic" "$SN_LOG" && ok initial-reader-plain-udp || notok initial-reader-plain-udp "$(cat "$SN_LOG")"
