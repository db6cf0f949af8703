# A real browser through regular mode: headless Chromium loads http://mitm.it
# (screenshot and DOM) and an intercepted HTTPS page, trusting snare's CA in
# its NSS database (lib_chromium.sh).  snare's resolver points at a closed local port, so the browser's
# own background requests end at snare and nothing leaves this machine.
. "$(dirname "$0")/lib.sh"

BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
	skip browser "chromium is not installed"
	exit 0
fi
start_origin --tls || exit 1
DEAD=$(free_port)
start_snare --mode regular@127.0.0.1:0 --set ssl_verify_upstream_trusted_ca="$ORIGIN_CERT" \
	--set dns_name_servers="127.0.0.1:$DEAD" || exit 1
. "$(dirname "$0")/lib_chromium.sh"
chromium_trust_ca "$SNARE_CONF/snare-ca-cert.pem" "$T/home" || { notok browser-trust-ca "certutil failed"; exit 1; }
chrome() { # profile, then chromium arguments
	local profile=$T/chrome-$1
	shift
	HOME=$T/home timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --proxy-server="http://127.0.0.1:$SNARE_PORT" \
		--proxy-bypass-list="<-loopback>" "$@" 2>/dev/null
}
chrome shot --window-size=900,700 --screenshot="$T/mitm.png" http://mitm.it/
[ -s "$T/mitm.png" ] && [ "$(stat -c %s "$T/mitm.png")" -gt 10000 ] && ok browser-mitm.it-screenshot ||
	notok browser-mitm.it-screenshot "no screenshot"
out=$(chrome dom1 --dump-dom http://mitm.it/)
echo "$out" | grep -q "Install snare's CA certificate" && ok browser-mitm.it-page || notok browser-mitm.it-page "$(echo "$out" | head -3)"
out=$(chrome dom2 --dump-dom "https://localhost:$ORIGIN_PORT/hello")
echo "$out" | grep -q "hello" && ok browser-https-intercepted || notok browser-https-intercepted "$(echo "$out" | head -3)"
grep -q "GET https://localhost:$ORIGIN_PORT/hello" "$SNARE_LOG" && ok browser-https-flow-line ||
	notok browser-https-flow-line "$(grep localhost "$SNARE_LOG" | head -3)"
stop_snare
