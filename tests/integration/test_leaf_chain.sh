# The certificates snare sends a TLS client (tls.c tls_ctx_use_leaf): with its own
# self-signed CA only the leaf, as mitmproxy does (a client that trusts the CA has it; a
# second certificate only costs every client its decoding); with an intermediate CA given
# as snare-ca.pem the leaf and that CA, so that a client holding only the root can verify.
. "$(dirname "$0")/lib.sh"

start_origin --tls || { notok origin "no origin"; exit 1; }

# certs_sent SNI: how many certificates snare presented through its regular mode
certs_sent() {
	openssl s_client -proxy "127.0.0.1:$SNARE_PORT" -connect "localhost:$ORIGIN_PORT" \
		-servername "$1" -showcerts </dev/null 2>/dev/null | grep -c "BEGIN CERTIFICATE"
}

# verifies CAFILE: 0 when s_client verified snare's leaf for localhost against CAFILE alone
verifies() {
	openssl s_client -proxy "127.0.0.1:$SNARE_PORT" -connect "localhost:$ORIGIN_PORT" \
		-servername localhost -CAfile "$1" -verify_return_error -verify_hostname localhost \
		</dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"
}

for key in ecdsa rsa2048; do
	start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set leaf_key=$key ||
		{ notok "root-$key-start" "snare did not start"; continue; }
	n=$(certs_sent localhost)
	[ "$n" = 1 ] && ok "root-$key-leaf-only" || notok "root-$key-leaf-only" "$n certificates sent"
	verifies "$SNARE_CONF/snare-ca-cert.pem" && ok "root-$key-client-verifies" ||
		notok "root-$key-client-verifies" "not verified against snare-ca-cert.pem"
	stop_snare
done

# An intermediate CA (issued by a root snare never sees) as snare's CA.
D=$T/interca
mkdir -p "$D/conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=leafchain test root" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout "$D/root.key" -out "$D/root.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=leafchain test inter" \
	-keyout "$D/inter.key" -out "$D/inter.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$D/ext"
openssl x509 -req -in "$D/inter.csr" -CA "$D/root.pem" -CAkey "$D/root.key" -CAcreateserial \
	-days 30 -extfile "$D/ext" -out "$D/inter.pem" 2>/dev/null
cat "$D/inter.key" "$D/inter.pem" >"$D/conf/snare-ca.pem"
chmod 600 "$D/conf/snare-ca.pem"
if ! [ -s "$D/inter.pem" ]; then
	notok inter-ca "openssl could not make the intermediate CA"
	exit 1
fi
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set confdir="$D/conf" ||
	{ notok inter-start "snare did not start: $(cat "$SNARE_LOG")"; exit 1; }
n=$(certs_sent localhost)
[ "$n" = 2 ] && ok inter-leaf-and-ca || notok inter-leaf-and-ca "$n certificates sent"
verifies "$D/root.pem" && ok inter-client-verifies-with-root ||
	notok inter-client-verifies-with-root "not verified against the root alone"
stop_snare
