# Files that hold secrets: the -w flow file and the TLS key log are opened
# without following a symlink, created 0600 and refused when they are
# someone else's; the CA key is refused when it is a symlink, someone
# else's or readable by group or others, and a conf dir writable by group or
# others is refused, each with a one-line error naming the file and the fix;
# the WireGuard client configuration (the client's private key) reaches the
# terminal only when stdout is one, else a 0600 file in the conf dir named
# in the log.  Every refusal is paired with the normal case being accepted.
# The "someone else's file" checks need root (chown to nobody).
. "$(dirname "$0")/lib.sh"

OTHER=nobody
if need_root && id "$OTHER" >/dev/null 2>&1; then AS_ROOT=1; else AS_ROOT=0; fi
OTHER_UID=$(id -u "$OTHER" 2>/dev/null || echo 65534)

# run_fail NAME LOG ARGS...: snare must exit non-zero by itself (it refused).
run_fail() {
	local name=$1 log=$2 rc
	shift 2
	timeout 30 "$SNARE_BIN" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then notok "$name" "exit status $rc: $(cat "$log")"; return 1; fi
	return 0
}
mode_of() { stat -c %a "$1"; }
# has_line LOG TEXT: LOG holds TEXT (messages are one line each).
has_line() { grep -qF -- "$2" "$1"; }

start_origin --tls || { notok origin "no origin"; exit 1; }
tls_get() { proxy_curl --cacert "$SNARE_CONF/snare-ca-cert.pem" -o /dev/null "https://localhost:$ORIGIN_PORT/hello"; }
http_get() { proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"; }

# ---- -w FILE
start_snare --mode regular@127.0.0.1:0 -w "$T/flows.bin" || { notok w-normal "snare did not start"; exit 1; }
http_get
stop_snare
[ -s "$T/flows.bin" ] && [ "$(mode_of "$T/flows.bin")" = 600 ] && ok w-normal-file-created-0600 ||
	notok w-normal-file-created-0600 "$(ls -l "$T/flows.bin" 2>&1)"

echo target >"$T/w-target"
ln -s "$T/w-target" "$T/w-link"
[ -L "$T/w-link" ] || notok w-symlink "no symlink made"
if run_fail w-symlink-refused "$T/w-link.log" --mode regular@127.0.0.1:0 -w "$T/w-link"; then
	has_line "$T/w-link.log" "$T/w-link: is a symbolic link" && [ "$(cat "$T/w-target")" = target ] &&
		ok w-symlink-refused || notok w-symlink-refused "$(cat "$T/w-link.log"; cat "$T/w-target")"
fi
if run_fail w-append-symlink-refused "$T/w-link2.log" --mode regular@127.0.0.1:0 -w "+$T/w-link"; then
	has_line "$T/w-link2.log" "symbolic link" && ok w-append-symlink-refused ||
		notok w-append-symlink-refused "$(cat "$T/w-link2.log")"
fi

if [ $AS_ROOT = 1 ]; then
	echo theirs >"$T/w-other.bin"
	chown "$OTHER" "$T/w-other.bin"
	if run_fail w-other-owner-refused "$T/w-other.log" --mode regular@127.0.0.1:0 -w "$T/w-other.bin"; then
		has_line "$T/w-other.log" "$T/w-other.bin: owned by uid $OTHER_UID" &&
			[ "$(cat "$T/w-other.bin")" = theirs ] && ok w-other-owner-refused-not-truncated ||
			notok w-other-owner-refused-not-truncated "$(cat "$T/w-other.log"; cat "$T/w-other.bin")"
	fi
	# the same file, ours: accepted and truncated
	chown "$(id -u)" "$T/w-other.bin"
	start_snare --mode regular@127.0.0.1:0 -w "$T/w-other.bin" && stop_snare
	head -c 5 "$T/w-other.bin" | grep -q theirs && notok w-own-file-accepted "not truncated" ||
		{ [ -s "$T/w-other.bin" ] && ok w-own-file-accepted || notok w-own-file-accepted "empty"; }
else
	skip w-other-owner-refused "needs root to chown a file to $OTHER"
fi

# ---- TLS key log (set for snare alone: curl would write to it too)
unset SSLKEYLOGFILE SNARE_SSLKEYLOGFILE
SSLKEYLOGFILE=$T/keys.log start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true && tls_get && stop_snare
grep -q "^CLIENT_\|^SERVER_\|^EXPORTER_" "$T/keys.log" 2>/dev/null && [ "$(mode_of "$T/keys.log")" = 600 ] &&
	ok keylog-normal-0600 || notok keylog-normal-0600 "$(ls -l "$T/keys.log" 2>&1)"

ln -s "$T/keys-target" "$T/keys-link"
SSLKEYLOGFILE=$T/keys-link start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true && tls_get && stop_snare
has_line "$SNARE_LOG" "not writing the TLS key log: $T/keys-link: is a symbolic link" && [ ! -e "$T/keys-target" ] &&
	ok keylog-symlink-refused || notok keylog-symlink-refused "$(cat "$SNARE_LOG")"

if [ $AS_ROOT = 1 ]; then
	: >"$T/keys-other.log"
	chown "$OTHER" "$T/keys-other.log"
	SSLKEYLOGFILE=$T/keys-other.log start_snare --mode regular@127.0.0.1:0 --set ssl_insecure=true && tls_get && stop_snare
	has_line "$SNARE_LOG" "$T/keys-other.log: owned by uid $OTHER_UID" && [ ! -s "$T/keys-other.log" ] &&
		ok keylog-other-owner-refused || notok keylog-other-owner-refused "$(cat "$SNARE_LOG")"
else
	skip keylog-other-owner-refused "needs root"
fi

# ---- the CA key and the conf dir
start_snare --mode regular@127.0.0.1:0 && stop_snare
CONF=$SNARE_CONF KEY=$SNARE_CONF/snare-ca.pem
[ "$(mode_of "$KEY")" = 600 ] && [ "$(mode_of "$CONF")" = 700 ] && ok ca-key-created-0600 ||
	notok ca-key-created-0600 "$(ls -la "$CONF")"
ca_start() { # LOG: snare must start on CONF and serve
	"$SNARE_BIN" --set confdir="$CONF" --mode regular@127.0.0.1:0 >"$1" 2>&1 &
	SNARE_PID=$!
	PIDS+=($SNARE_PID)
	wait_for "$1" "listening at" 15 && sleep 0.5 && kill -0 $SNARE_PID 2>/dev/null
	local rc=$?
	stop_snare
	return $rc
}

chmod 640 "$KEY"
if run_fail ca-key-group-readable-refused "$T/ca-640.log" --set confdir="$CONF" --mode regular@127.0.0.1:0; then
	has_line "$T/ca-640.log" "$KEY: a private key readable or writable by group or others (mode 0640); run: chmod 600 $KEY" &&
		ok ca-key-group-readable-refused || notok ca-key-group-readable-refused "$(cat "$T/ca-640.log")"
fi
chmod 604 "$KEY"
run_fail ca-key-world-readable-refused "$T/ca-604.log" --set confdir="$CONF" --mode regular@127.0.0.1:0 &&
	{ has_line "$T/ca-604.log" "run: chmod 600 $KEY" && ok ca-key-world-readable-refused ||
		notok ca-key-world-readable-refused "$(cat "$T/ca-604.log")"; }
chmod 600 "$KEY"
ca_start "$T/ca-600.log" && ok ca-key-0600-accepted || notok ca-key-0600-accepted "$(cat "$T/ca-600.log")"

mv "$KEY" "$T/elsewhere.pem"
ln -s "$T/elsewhere.pem" "$KEY"
run_fail ca-key-symlink-refused "$T/ca-link.log" --set confdir="$CONF" --mode regular@127.0.0.1:0 &&
	{ has_line "$T/ca-link.log" "$KEY: is a symbolic link" && ok ca-key-symlink-refused ||
		notok ca-key-symlink-refused "$(cat "$T/ca-link.log")"; }
rm "$KEY"
mv "$T/elsewhere.pem" "$KEY"

if [ $AS_ROOT = 1 ]; then
	chown "$OTHER" "$KEY"
	run_fail ca-key-other-owner-refused "$T/ca-other.log" --set confdir="$CONF" --mode regular@127.0.0.1:0 &&
		{ has_line "$T/ca-other.log" "$KEY: owned by uid $OTHER_UID" && ok ca-key-other-owner-refused ||
			notok ca-key-other-owner-refused "$(cat "$T/ca-other.log")"; }
	chown "$(id -u)" "$KEY"
else
	skip ca-key-other-owner-refused "needs root"
fi

chmod 770 "$CONF"
run_fail confdir-group-writable-refused "$T/conf-770.log" --set confdir="$CONF" --mode regular@127.0.0.1:0 &&
	{ has_line "$T/conf-770.log" "$CONF: a conf dir writable by group or others (mode 0770) could have its files replaced; run: chmod go-w $CONF" &&
		ok confdir-group-writable-refused || notok confdir-group-writable-refused "$(cat "$T/conf-770.log")"; }
chmod 703 "$CONF"
run_fail confdir-world-writable-refused "$T/conf-703.log" --set confdir="$CONF" --mode regular@127.0.0.1:0 &&
	{ has_line "$T/conf-703.log" "run: chmod go-w $CONF" && ok confdir-world-writable-refused ||
		notok confdir-world-writable-refused "$(cat "$T/conf-703.log")"; }
chmod 750 "$CONF" # readable by the group is fine
ca_start "$T/conf-750.log" && ok confdir-not-writable-accepted || notok confdir-not-writable-accepted "$(cat "$T/conf-750.log")"
chmod 700 "$CONF"

# ---- the WireGuard client configuration
WGC=$T/wgconf
"$SNARE_BIN" --set confdir="$WGC" --mode wireguard@127.0.0.1:0 >"$T/wg.log" 2>&1 &
SNARE_PID=$!
PIDS+=($SNARE_PID)
if wait_for "$T/wg.log" "WireGuard client configuration" 15; then
	f=$WGC/wireguard-client.conf
	has_line "$T/wg.log" "written to $f" && [ "$(mode_of "$f")" = 600 ] && grep -q "^PrivateKey = " "$f" &&
		grep -q "^Endpoint = 127.0.0.1:" "$f" && ok wg-config-to-0600-file ||
		notok wg-config-to-0600-file "$(cat "$T/wg.log"; ls -l "$f")"
	grep -q "PrivateKey" "$T/wg.log" && notok wg-config-not-in-log "the private key is in the log" ||
		ok wg-config-not-in-log
else
	notok wg-config-to-0600-file "$(cat "$T/wg.log")"
fi
stop_snare
if command -v script >/dev/null; then
	WGT=$T/wgconf-tty
	timeout -s INT 6 script -qec "'$SNARE_BIN' --set confdir='$WGT' --mode wireguard@127.0.0.1:0" /dev/null >"$T/wg-tty.log" 2>&1
	grep -q "PrivateKey" "$T/wg-tty.log" && grep -q "▀\|▄\|█" "$T/wg-tty.log" && [ -e "$WGT/wireguard.conf" ] &&
		[ ! -e "$WGT/wireguard-client.conf" ] && ok wg-config-and-qr-on-terminal || notok wg-config-and-qr-on-terminal "$(cat "$T/wg-tty.log"; ls "$WGT")"
else
	skip wg-config-on-terminal "no script(1) to give snare a terminal"
fi
ln -s "$T/wg-target" "$T/wg-link-conf"
mkdir -p "$T/wglink" && chmod 700 "$T/wglink" && ln -s "$T/wg-target" "$T/wglink/wireguard-client.conf"
run_fail wg-config-symlink-refused "$T/wg-link.log" --set confdir="$T/wglink" --mode wireguard@127.0.0.1:0 &&
	{ has_line "$T/wg-link.log" "wireguard-client.conf: is a symbolic link" && [ ! -e "$T/wg-target" ] &&
		ok wg-config-symlink-refused || notok wg-config-symlink-refused "$(cat "$T/wg-link.log")"; }
