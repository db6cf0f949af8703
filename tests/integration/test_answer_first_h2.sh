# Answer first for clients that offer h2 (tunnel.c tunnel_answer_first): the
# first connection to an h2 server waits for the server's handshake (the
# client may get h2 only once the server took it); the next, whose leaf is
# cached and whose server took h2 last time, gets its client handshake at
# once with h2 and is served over HTTP/2 as before.  Reverse and regular
# mode; one worker (each keeps its own hints); no upstream pool (it would
# hand the next connection the first one's server connection).
. "$(dirname "$0")/lib.sh"

command -v nghttpd >/dev/null || { skip answer-first-h2 "nghttpd not installed"; exit 0; }
mkdir -p "$T/www"
printf hello-h2 >"$T/www/af.txt"
origin_cert
start_nghttpd "$T/nghttpd.log" || { notok af-h2-origin "nghttpd did not start"; exit 1; }

answered() { grep -c "client handshake answered first (h2" "$SNARE_LOG"; }

# fetch ARGS...: body and the HTTP version curl used, as "body version"
fetch() {
	curl -sS --max-time 10 --http2 --cacert "$SNARE_CONF/snare-ca-cert.pem" \
		-w ' %{http_version}' "$@"
}

for mode in reverse regular; do
	if [ $mode = reverse ]; then
		start_snare --mode "reverse:https://localhost:$NGX@127.0.0.1:0" -v --set workers=1 \
			--set upstream_keepalive=0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" ||
			exit 1
		args=("https://localhost:$SNARE_PORT/af.txt")
	else
		start_snare --mode regular@127.0.0.1:0 -v --set workers=1 \
			--set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" || exit 1
		args=(-x "http://127.0.0.1:$SNARE_PORT" "https://localhost:$NGX/af.txt")
	fi
	a=$(fetch "${args[@]}")
	n1=$(answered)
	b=$(fetch "${args[@]}")
	[ "$a" = "hello-h2 2" ] && [ "$n1" = 0 ] && ok "$mode-h2-first-waits" ||
		notok "$mode-h2-first-waits" "$a, $n1 answered first"
	[ "$b" = "hello-h2 2" ] && wait_for "$SNARE_LOG" "client handshake answered first (h2" &&
		ok "$mode-h2-next-answered-first" ||
		notok "$mode-h2-next-answered-first" "$b; $(tail -5 "$SNARE_LOG")"
	stop_snare
done
