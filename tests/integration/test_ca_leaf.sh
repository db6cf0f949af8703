# The leaves snare's ca issues, as a TLS client sees them (openssl s_client
# through the proxy, then openssl x509 -text): basicConstraints CA:FALSE
# (critical), keyUsage digitalSignature (+ keyEncipherment for RSA leaves
# only; critical), EKU serverAuth, a validity of days with notBefore in the
# past.  The ca's refusals of a hostile worker are tests/unit/test_worker_ca.c.
. "$(dirname "$0")/lib.sh"

start_origin --tls || { notok origin "no origin"; exit 1; }

# leaf_text NAME: the leaf snare presents for localhost, as x509 -text.
leaf_text() {
	openssl s_client -proxy "127.0.0.1:$SNARE_PORT" -connect "localhost:$ORIGIN_PORT" \
		-servername localhost -showcerts </dev/null 2>/dev/null |
		awk '/BEGIN CERT/{p=1} p{print} /END CERT/{exit}' >"$T/$1.pem"
	openssl x509 -in "$T/$1.pem" -noout -text
}

# days_left PEM: whole days until notAfter.
days_left() {
	local end
	end=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	echo $(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
}

for key in ecdsa rsa2048; do
	start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set leaf_key=$key ||
		{ notok "start-$key" "snare did not start"; continue; }
	text=$(leaf_text "$key")
	if [ -z "$text" ]; then notok "leaf-$key" "no leaf: $(cat "$SNARE_LOG")"; stop_snare; continue; fi
	grep -q "Issuer: CN = snare" <<<"$text" && ok "leaf-$key-issued-by-snare" ||
		notok "leaf-$key-issued-by-snare" "$text"
	grep -A1 "X509v3 Basic Constraints: critical" <<<"$text" | grep -q "CA:FALSE" &&
		ok "leaf-$key-ca-false-critical" || notok "leaf-$key-ca-false-critical" "$text"
	ku=$(grep -A1 "X509v3 Key Usage: critical" <<<"$text" | tail -1 | sed 's/^ *//')
	if [ $key = ecdsa ]; then want="Digital Signature"; else want="Digital Signature, Key Encipherment"; fi
	[ "$ku" = "$want" ] && ok "leaf-$key-key-usage" || notok "leaf-$key-key-usage" "got '$ku', want '$want'"
	grep -A1 "X509v3 Extended Key Usage" <<<"$text" | grep -qx " *TLS Web Server Authentication" &&
		ok "leaf-$key-eku-server" || notok "leaf-$key-eku-server" "$text"
	grep -q "DNS:localhost" <<<"$text" && ok "leaf-$key-san" || notok "leaf-$key-san" "$text"
	d=$(days_left "$T/$key.pem")
	[ "$d" -ge 6 ] && [ "$d" -le 7 ] && ok "leaf-$key-valid-days" || notok "leaf-$key-valid-days" "$d days left"
	start=$(openssl x509 -in "$T/$key.pem" -noout -startdate | cut -d= -f2)
	[ "$(date -d "$start" +%s)" -lt "$(($(date +%s) - 3600))" ] && ok "leaf-$key-not-before-past" ||
		notok "leaf-$key-not-before-past" "$start"
	stop_snare
done

# The ca's per-worker rate limit, tripped through a test-build hook (a burst
# of 2 that never refills): the third new name fails its handshake only,
# the ca logs the refusal, and a name already signed is still served from
# the worker's cache.
# leaf_for SNI: 0 when snare presented a leaf for SNI.
leaf_for() {
	openssl s_client -proxy "127.0.0.1:$SNARE_PORT" -connect "localhost:$ORIGIN_PORT" \
		-servername "$1" -showcerts </dev/null 2>/dev/null | grep -q "BEGIN CERTIFICATE"
}
SNARE_TEST_CA_SIGN_BURST=2 start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true --set workers=1 ||
	{ notok rate-start "snare did not start"; exit 1; }
leaf_for localhost && leaf_for a.test && ok rate-burst-signed || notok rate-burst-signed "$(cat "$SNARE_LOG")"
leaf_for b.test && notok rate-limited-handshake-fails "a leaf for b.test: $(cat "$SNARE_LOG")" ||
	ok rate-limited-handshake-fails
wait_for "$SNARE_LOG" "asks for more than 2 certificates at once" 5 && ok rate-limit-logged ||
	notok rate-limit-logged "$(cat "$SNARE_LOG")"
leaf_for localhost && leaf_for a.test && ok rate-limited-cached-leaves-served ||
	notok rate-limited-cached-leaves-served "$(cat "$SNARE_LOG")"
kill -0 "$SNARE_PID" && ok rate-limited-snare-running || notok rate-limited-snare-running "snare exited"
grep -q "killed by signal\|exited with status" "$SNARE_LOG" && notok rate-limited-no-restart "$(cat "$SNARE_LOG")" ||
	ok rate-limited-no-restart
stop_snare
