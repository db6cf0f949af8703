# The command line as a user meets it: mitmdump's messages for bad mode
# specs and options, exit code 1, --version/--help/--options.
. "$(dirname "$0")/lib.sh"

# expect_err NAME "expected stderr line" ARGS...
expect_err() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$SNARE_BIN" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && [ "$out" = "snare: $want" ]; then ok "$name"; else
		notok "$name" "rc=$rc stderr='$out' want='snare: $want'"; fi
}

expect_err unknown-mode "Invalid proxy mode specification: flibbel (unknown mode)" --mode flibbel
expect_err invalid-port "Invalid proxy mode specification: regular@99999 (invalid port: 99999)" --mode regular@99999
expect_err takes-no-args "Invalid proxy mode specification: socks5:foo (mode takes no arguments)" --mode socks5:foo
expect_err upstream-scheme "Invalid proxy mode specification: upstream:dns://x (invalid upstream proxy scheme)" --mode upstream:dns://x
expect_err server-scheme "Invalid proxy mode specification: upstream:ftp://x (Invalid server scheme: ftp)" --mode upstream:ftp://x
expect_err reverse-port-missing "Invalid proxy mode specification: reverse:tcp://example.com (Port specification missing.)" --mode reverse:tcp://example.com
expect_err same-address "Cannot spawn multiple servers on the same address: *:8080" --mode regular --mode regular
expect_err two-local "Cannot spawn more than one local redirector." --mode local:curl --mode local:wget
expect_err intercept-spec "Invalid proxy mode specification: local:,, (invalid intercept spec: ,,)" --mode local:,,
expect_err unknown-option "Unknown option: frobnicate" --set frobnicate=1

out=$("$SNARE_BIN" --set flow_detail=9 2>&1)
if [ $? -eq 1 ] && echo "$out" | grep -q flow_detail && [ "$(echo "$out" | wc -l)" -eq 1 ]; then
	ok bad-option-value; else notok bad-option-value "$out"; fi
out=$("$SNARE_BIN" --frob 2>&1)
if [ $? -eq 1 ] && echo "$out" | grep -q -- --frob; then ok unknown-flag; else notok unknown-flag "$out"; fi

check version sh -c '"$0" --version | grep -q "^snare [0-9]"' "$SNARE_BIN"
check help-lists-modes sh -c '"$0" --help | grep -q "reverse:" && "$0" --help | grep -q "wireguard"' "$SNARE_BIN"
check options-lists-all sh -c '"$0" --options | grep -q connection_strategy && "$0" --options | grep -q stream_large_bodies' "$SNARE_BIN"
