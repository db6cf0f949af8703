# testssl.sh (the Debian package) against snare's client-facing TLS: a
# reverse:https mode with an RSA leaf key, and the leaf a regular mode makes
# for a CONNECT (ECDSA, the default).  Protocols, cipher categories, server
# order, renegotiation, compression and Lucky13 (-p -s -P -R -C -L): testssl
# must rate nothing LOW or worse.  testssl's own --proxy sends its CONNECT
# with bare LF line ends, which snare answers with 400, so socat makes the
# CONNECT and testssl talks TLS through it.  Loopback only; about 40 s.
. "$(dirname "$0")/lib.sh"

TESTSSL=$(command -v testssl || command -v testssl.sh || true)
if [ -z "$TESTSSL" ] || ! command -v socat >/dev/null; then
	skip testssl "testssl.sh or socat not installed (scripts/deps.sh test)"
	exit 0
fi

# scan NAME HOST:PORT: testssl's findings as "id severity finding" lines in $T/NAME.txt.
scan() {
	"$TESTSSL" --quiet --color 0 --warnings off --jsonfile "$T/$1.json" -p -s -P -R -C -L "$2" \
		>"$T/$1.out" 2>&1
	python3 -c '
import json, sys
for f in json.load(open(sys.argv[1])):
    print(f["id"], f["severity"], f["finding"])' "$T/$1.json" >"$T/$1.txt" 2>/dev/null
}
# judge NAME SUITE: testssl spoke TLS 1.2 and 1.3 to snare, then: nothing
# rated LOW or worse; our order, SUITE (our leaf's key type) first, no CBC.
judge() {
	local f=$T/$1.txt bad
	if grep -qx 'TLS1_2 OK offered' "$f" && grep -qx 'TLS1_3 OK offered with final' "$f" &&
		grep -qx 'cipherlist_STRONG OK offered' "$f"; then
		ok "testssl-$1-scanned"
	else
		notok "testssl-$1-scanned" "$(tr '\n' ';' <"$f") $(tail -3 "$T/$1.out")"
		return
	fi
	bad=$(grep -E '^[^ ]+ (LOW|MEDIUM|HIGH|CRITICAL) ' "$f" | tr '\n' ';')
	[ -z "$bad" ] && ok "testssl-$1-nothing-weak" || notok "testssl-$1-nothing-weak" "$bad"
	if grep -qx 'cipher_order OK server' "$f" && grep -q "^cipherorder_TLSv1_2 INFO $2 " "$f" &&
		grep -qx 'cipherlist_AVERAGE INFO not offered' "$f" &&
		grep -qx 'secure_client_renego OK not vulnerable' "$f" && grep -qx 'LUCKY13 OK not vulnerable' "$f" &&
		grep -qx 'CRIME_TLS OK not vulnerable' "$f"; then
		ok "testssl-$1-order-no-cbc-no-renego"
	else
		notok "testssl-$1-order-no-cbc-no-renego" "$(grep -E '^(cipher_?order|cipherlist_AVERAGE|secure_client_renego|LUCKY13|CRIME_TLS) ' "$f" | tr '\n' ';')"
	fi
}

start_origin --tls || exit 1

# --- reverse:https, RSA leaf -------------------------------------------------------
start_snare --mode "reverse:https://127.0.0.1:$ORIGIN_PORT@127.0.0.1:0" --set ssl_insecure=true \
	--set leaf_key=rsa2048 || exit 1
scan reverse "127.0.0.1:$SNARE_PORT"
stop_snare
judge reverse ECDHE-RSA-AES128-GCM-SHA256

# --- regular: the leaf for a CONNECT, ECDSA ------------------------------------------
start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true || exit 1
P=$(free_port)
socat TCP-LISTEN:"$P",bind=127.0.0.1,reuseaddr,fork \
	PROXY:127.0.0.1:localhost:"$ORIGIN_PORT",proxyport="$SNARE_PORT" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 1 40); do (exec 3<>/dev/tcp/127.0.0.1/"$P") 2>/dev/null && break; sleep 0.05; done
scan regular "127.0.0.1:$P"
stop_snare
judge regular ECDHE-ECDSA-AES128-GCM-SHA256
