# Shared h2 server connections (h2_shared.c): streams of several h2 client
# connections to the same server go over one h2 connection while it has
# room.  nginx with http2 is the origin and logs, per request, the number
# of the connection it came on ($connection) and how many requests that
# connection carried: several concurrent client connections (h2load -c 4)
# must be answered over ONE server connection; a client that goes away in
# the middle of a download resets only its own stream, and another
# client's long download on the same connection arrives intact; an origin
# that ends its connections with GOAWAY after a few requests
# (keepalive_requests) costs no request: the next stream goes over a new
# connection.  Loopback only.
. "$(dirname "$0")/lib.sh"

for tool in nginx h2load curl; do
	command -v "$tool" >/dev/null || { skip h2_share "$tool is not installed"; exit 0; }
done

origin_cert
mkdir -p "$T/shr_root/slow" "$T/shr_nginx"
echo "h2 share small" >"$T/shr_root/small.txt"
head -c 3000000 /dev/urandom >"$T/shr_root/slow/big.bin"
SHR_TLS=$(free_port)
SHR_GOAWAY=$(free_port)
cat >"$T/shr_nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/shr_nginx/nginx.pid;
error_log $T/shr_nginx/error.log;
events { worker_connections 256; }
http {
	log_format shr '\$server_port \$connection \$connection_requests \$status \$body_bytes_sent \$request_uri';
	access_log $T/shr_nginx/access.log shr;
	client_body_temp_path $T/shr_nginx/body;
	proxy_temp_path $T/shr_nginx/proxy;
	fastcgi_temp_path $T/shr_nginx/fastcgi;
	uwsgi_temp_path $T/shr_nginx/uwsgi;
	scgi_temp_path $T/shr_nginx/scgi;
	ssl_certificate $ORIGIN_CERT;
	ssl_certificate_key $T/origin.key;
	root $T/shr_root;
	server {
		listen 127.0.0.1:$SHR_TLS ssl http2;
		location /slow/ { limit_rate 1m; }
	}
	server {
		listen 127.0.0.1:$SHR_GOAWAY ssl http2;
		keepalive_requests 5;
	}
}
CONF
nginx -p "$T/shr_nginx" -c "$T/shr_nginx/nginx.conf" -e "$T/shr_nginx/error.log" \
	>"$T/shr_nginx/out.log" 2>&1 &
PIDS+=($!)
if ! wait_port "$SHR_TLS" || ! wait_port "$SHR_GOAWAY"; then
	notok h2-share-nginx-start "$(cat "$T/shr_nginx/error.log" "$T/shr_nginx/out.log")"
	exit 0
fi
ACC=$T/shr_nginx/access.log
# conns PORT PATTERN: the distinct server connections nginx saw on PORT for
# requests matching PATTERN
conns() { awk -v p="$1" -v r="$2" '$1 == p && $6 ~ r { print $2 }' "$ACC" | sort -u | wc -l; }
# lines PORT PATTERN STATUS: requests with that status
lines() { awk -v p="$1" -v r="$2" -v s="$3" '$1 == p && $6 ~ r && $4 == s' "$ACC" | wc -l; }

# ---- several concurrent client connections, one server connection ----
start_snare --set workers=1 --mode "reverse:https://localhost:$SHR_TLS@127.0.0.1:0" \
	--set ssl_insecure=true --set hardump="$T/shr.har" -v || exit 1
# one request first: its server connection is pooled when the client goes,
# and the burst's first client connection takes it; the others join it
curl -sS --http2 -k --max-time 10 -o /dev/null "https://127.0.0.1:$SNARE_PORT/small.txt?warm"
out=$(h2load -c 4 -m 8 -n 400 "https://127.0.0.1:$SNARE_PORT/small.txt?burst" 2>&1)
n=$(lines "$SHR_TLS" 'burst' 200)
c=$(conns "$SHR_TLS" 'burst')
if grep -q '400 succeeded, 0 failed' <<<"$out" && [ "$n" = 400 ] && [ "$c" = 1 ]; then
	ok h2-share-four-clients-one-server-connection
else notok h2-share-four-clients-one-server-connection "n=$n conns=$c $(grep -E 'requests:|succeeded' <<<"$out") $(grep -E 'HTTP/2 server' "$SNARE_LOG" | tail -8)"; fi
[ "$(grep -c 'HTTP/2 server connection to localhost:[0-9]* joined' "$SNARE_LOG")" -ge 3 ] &&
	ok h2-share-joined-logged ||
	notok h2-share-joined-logged "$(grep -E 'HTTP/2 server' "$SNARE_LOG" | tail -8)"
# the flows name the server connection they used: the same for all
grep -q "GET https://localhost:$SHR_TLS/small.txt?burst HTTP/2.0" "$SNARE_LOG" &&
	ok h2-share-flow-lines || notok h2-share-flow-lines "$(tail -5 "$SNARE_LOG")"

# ---- a client goes away mid-download; another's download goes on ----
before=$(conns "$SHR_TLS" '.')
curl -sS --http2 -k --max-time 30 -o "$T/shr_long.bin" -w '%{http_code} %{http_version}\n' \
	"https://127.0.0.1:$SNARE_PORT/slow/big.bin?long" >"$T/shr_long.out" 2>&1 &
long=$!
wait_for "$SNARE_LOG" 'HTTP/2 server connection .* \(joined\|taken from the pool\|shared\)' 10
sleep 0.3 # the long download is under way (no assertion depends on it)
curl -sS --http2 -k --max-time 1 -o "$T/shr_cut.bin" \
	"https://127.0.0.1:$SNARE_PORT/slow/big.bin?cut" >/dev/null 2>&1
wait $long
after=$(curl -sS --http2 -k --max-time 10 "https://127.0.0.1:$SNARE_PORT/small.txt?after")
wait_for "$ACC" 'big.bin?cut' 10
cut_size=$(stat -c %s "$T/shr_cut.bin" 2>/dev/null || echo 0)
if [ "$(cat "$T/shr_long.out")" = "200 2" ] && cmp -s "$T/shr_long.bin" "$T/shr_root/slow/big.bin" &&
	[ "$cut_size" -lt 3000000 ] && [ "$after" = "h2 share small" ] &&
	[ "$(conns "$SHR_TLS" 'long|cut|after')" = 1 ]; then
	ok h2-share-client-gone-others-go-on
else notok h2-share-client-gone-others-go-on "long=[$(cat "$T/shr_long.out")] cut=$cut_size after=[$after] before=$before $(grep -E 'long|cut|after' "$ACC")"; fi
# snare reset the cut stream on the server connection (nginx stopped short
# of the whole file) and recorded its response as incomplete
cut_sent=$(awk -v p="$SHR_TLS" '$1 == p && $6 ~ /cut/ { print $5 }' "$ACC")
if [ -n "$cut_sent" ] && [ "$cut_sent" -lt 3000000 ] &&
	grep -A6 'GET https://localhost:[0-9]*/slow/big.bin?cut HTTP/2.0' "$SNARE_LOG" |
	grep -q 'content missing'; then
	ok h2-share-cut-stream-reset-and-recorded
else notok h2-share-cut-stream-reset-and-recorded "sent=[$cut_sent] $(grep -A8 'cut HTTP/2.0' "$SNARE_LOG")"; fi
stop_snare
# The flows name the server connection each stream went over (HAR
# "connection", the flow's server connection id): as many as nginx saw,
# one for the burst's 400 streams from 4 client connections.
cat >"$T/shr_har.py" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["log"]["entries"]
burst = [x for x in e if "burst" in x["request"]["url"]]
print(len(burst), len({x.get("connection") for x in burst}),
      len({x.get("connection") for x in e}), len({x.get("serverIPAddress") for x in burst}))
PY
har=$(python3 "$T/shr_har.py" "$T/shr.har" 2>&1)
if [ "$har" = "400 1 $(conns "$SHR_TLS" '.') 1" ]; then
	ok h2-share-flows-name-the-shared-connection
else notok h2-share-flows-name-the-shared-connection "har=[$har] nginx=$(conns "$SHR_TLS" '.')"; fi

# ---- GOAWAY after 5 requests (keepalive_requests): nothing is lost ----
start_snare --set workers=1 --mode "reverse:https://localhost:$SHR_GOAWAY@127.0.0.1:0" \
	--set ssl_insecure=true -v || exit 1
out=$(h2load -c 2 -m 1 -n 30 "https://127.0.0.1:$SNARE_PORT/small.txt?goaway" 2>&1)
n=$(lines "$SHR_GOAWAY" 'goaway' 200)
c=$(conns "$SHR_GOAWAY" 'goaway')
if grep -q '30 succeeded, 0 failed' <<<"$out" && [ "$n" = 30 ] && [ "$c" -ge 6 ]; then
	ok h2-share-goaway-next-stream-new-connection
else notok h2-share-goaway-next-stream-new-connection "n=$n conns=$c $(grep -E 'succeeded' <<<"$out") $(grep -iE 'goaway|HTTP/2 server' "$SNARE_LOG" | tail -6)"; fi
stop_snare

# ---- an upload larger than the server's window, over a shared connection ----
# nghttpd answers only after the whole request body, so every byte past its
# first window waits for its WINDOW_UPDATEs: the client's window must open
# as the server takes them (a 3 MB upload; a stall here times curl out).
if command -v nghttpd >/dev/null; then
	mkdir -p "$T/www"
	echo "h2 share upload" >"$T/www/up.txt"
	start_nghttpd "$T/shr_nghttpd.log" || { notok h2-share-upload-nghttpd "$(tail -3 "$T/shr_nghttpd.log")"; exit 0; }
	start_snare --set workers=1 --mode "reverse:https://localhost:$NGX@127.0.0.1:0" \
		--set ssl_insecure=true -v || exit 1
	curl -sS --http2 -k --max-time 10 "https://127.0.0.1:$SNARE_PORT/up.txt?first" >/dev/null 2>&1
	out=$(curl -sS --http2 -k --max-time 20 --data-binary @"$T/shr_root/slow/big.bin" \
		-w '\n%{http_code} %{http_version} %{size_upload}\n' "https://127.0.0.1:$SNARE_PORT/up.txt?up" 2>&1)
	if grep -q '^200 2 3000000$' <<<"$out" && grep -q '^h2 share upload' <<<"$out" &&
		grep -q 'HTTP/2 server connection .*\(joined\|taken from the pool\|shared\)' "$SNARE_LOG"; then
		ok h2-share-upload-3mb
	else notok h2-share-upload-3mb "$out $(grep -E 'HTTP/2 server' "$SNARE_LOG" | tail -4)"; fi
	stop_snare
else skip h2-share-upload-3mb "nghttpd is not installed"; fi
