#!/bin/bash
# proxyauth against an htpasswd file with bcrypt entries: verified
# credentials are cached (repeated requests run bcrypt once), wrong
# passwords from one client address trip the per-source failure limit
# (further attempts are refused without running bcrypt, with one log line)
# while other addresses still authenticate, a reload empties the cache, and
# slow failed checks from many addresses use up the worker's budget.
# bcrypt runs are counted by the worker's debug line, never timed.  Client
# addresses are 127.0.0.1 and two other loopback addresses (curl --interface).
. "$(dirname "$0")/lib.sh"

BURST=10 # AUTH_LIMIT_BURST in daemon/worker/auth.h
A=127.0.0.1 B=127.0.0.2 C=127.0.0.3
start_origin || exit 1

# Cost 4 (16 rounds) keeps the test quick; the checks count calls, not time.
mkhtpasswd() {
	python3 -W ignore -c '
import crypt, sys
for u, p in zip(sys.argv[1::2], sys.argv[2::2]):
    print(u + ":" + crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$@" >"$T/htpasswd"
	chmod 644 "$T/htpasswd"
}
mkhtpasswd alice s3cret bob hunter2
grep -q '^alice:\$2' "$T/htpasswd" || { skip auth-limits "cannot make bcrypt entries: $(cat "$T/htpasswd")"; exit 0; }

bcrypts() { grep -c "bcrypt check for user" "$SNARE_LOG"; }
# The warning, once a minute per address, and the debug line of every refusal after it.
limited() { grep -c "\[$1:[0-9]*\] proxy authentication: too many failures from this address" "$SNARE_LOG"; }
unchecked() { grep -c "\[$1:[0-9]*\] proxy authentication refused unchecked" "$SNARE_LOG"; }
# code SRC USER:PASS: the status of one request through snare from SRC.
code() { curl -s --max-time 20 -o /dev/null -w '%{http_code}' --interface "$1" \
	-x "http://127.0.0.1:$SNARE_PORT" -U "$2" "http://127.0.0.1:$ORIGIN_PORT/hello"; }

# --conf: as root snare drops to nobody, which must be able to read the files
# again on SIGHUP (see test_process.sh).
printf 'flow_detail: 0\n' >"$T/conf.yaml"
start_snare -v --mode regular@127.0.0.1:0 --conf "$T/conf.yaml" --set workers=1 \
	--set proxyauth="@$T/htpasswd" || exit 1

# --- the cache: five requests, one bcrypt ------------------------------------
codes=""
for _ in 1 2 3 4 5; do codes="$codes $(code $B alice:s3cret)"; done
n=$(bcrypts)
[ "$codes" = " 200 200 200 200 200" ] && [ "$n" -eq 1 ] && ok auth-cache-one-bcrypt ||
	notok auth-cache-one-bcrypt "codes$codes, $n bcrypt runs"

# --- the limit: wrong passwords from A ---------------------------------------
before=$(bcrypts)
codes=""
for _ in $(seq 1 $((BURST + 5))); do codes="$codes $(code $A alice:wrong)"; done
ran=$(($(bcrypts) - before))
[ "$(echo $codes | tr ' ' '\n' | grep -vc '^407$')" -eq 0 ] && ok auth-wrong-all-407 ||
	notok auth-wrong-all-407 "codes$codes"
# The first BURST ran bcrypt; the five after did not.
[ "$ran" -eq "$BURST" ] && ok auth-limit-stops-bcrypt || notok auth-limit-stops-bcrypt "$ran bcrypt runs for $((BURST + 5)) failures"
[ "$(limited $A)" -eq 1 ] && [ "$(unchecked $A)" -eq 4 ] && ok auth-limit-logged-once ||
	notok auth-limit-logged-once "$(limited $A) warnings, $(unchecked $A) refusals after: $(grep 'too many' "$SNARE_LOG")"

# A correct but uncached credential from A is refused unchecked too...
before=$(bcrypts)
c=$(code $A bob:hunter2)
[ "$c" = 407 ] && [ "$(bcrypts)" -eq "$before" ] && ok auth-limited-source-refused-unchecked ||
	notok auth-limited-source-refused-unchecked "$c, $(($(bcrypts) - before)) bcrypt runs"
# ...while the same credential from another address works (one bcrypt),
c=$(code $C bob:hunter2)
[ "$c" = 200 ] && [ "$(bcrypts)" -eq $((before + 1)) ] && ok auth-other-source-works ||
	notok auth-other-source-works "$c, $(($(bcrypts) - before)) bcrypt runs"
# and B, which never failed, is not limited.
[ "$(limited $B)" -eq 0 ] && [ "$(limited $C)" -eq 0 ] && [ "$(code $B alice:s3cret)" = 200 ] &&
	ok auth-limit-per-source || notok auth-limit-per-source "B/C limited or refused"

# --- a reload empties the cache ----------------------------------------------
mkhtpasswd alice n3w bob hunter2
kill -HUP "$SNARE_PID"
wait_for "$SNARE_LOG" "configuration reloaded" 10
for _ in $(seq 1 40); do [ "$(code $B alice:n3w)" = 200 ] && break; sleep 0.1; done
c_new=$(code $B alice:n3w) c_old=$(code $B alice:s3cret)
[ "$c_new" = 200 ] && [ "$c_old" = 407 ] && ok auth-reload-drops-cache ||
	notok auth-reload-drops-cache "new password $c_new, old (cached before) $c_old"
stop_snare

# --- SOCKS5 user/password goes through the same limit ------------------------
mkhtpasswd sam pw
start_snare -v --mode socks5@127.0.0.1:0 --set workers=1 --set proxyauth="@$T/htpasswd" || exit 1
socks() { curl -s --max-time 20 -o /dev/null -w '%{http_code}' --interface "$1" \
	--socks5 "127.0.0.1:$SNARE_PORT" --proxy-user "$2" "http://127.0.0.1:$ORIGIN_PORT/hello"; }
for _ in $(seq 1 $((BURST + 3))); do socks $A sam:nope >/dev/null; done
n=$(bcrypts)
[ "$n" -eq "$BURST" ] && [ "$(limited $A)" -eq 1 ] && [ "$(unchecked $A)" -eq 2 ] && ok socks5-auth-limit ||
	notok socks5-auth-limit "$n bcrypt runs, $(limited $A) warnings, $(unchecked $A) refusals after"
codes="$(socks $C sam:pw) $(socks $C sam:pw)"
[ "$codes" = "200 200" ] && [ "$(bcrypts)" -eq $((n + 1)) ] && ok socks5-auth-other-source-cached ||
	notok socks5-auth-other-source-cached "codes $codes, $(($(bcrypts) - n)) bcrypt runs"
stop_snare

# --- the worker's budget: many addresses, one failure each ---------------------
# Cost 13 bcrypt takes far more than the 2 s / 40 checks it needs to trip.
python3 -W ignore -c '
import crypt
print("carol:" + crypt.crypt("right", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=8192)))
print("dave:" + crypt.crypt("right", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' >"$T/htpasswd"
start_snare -v --mode regular@127.0.0.1:0 --set workers=1 --set proxyauth="@$T/htpasswd" || exit 1
[ "$(code $B dave:right)" = 200 ] || notok auth-budget-setup "dave refused"
tripped=0
for i in $(seq 10 49); do
	code 127.0.1.$i carol:wrong >/dev/null
	grep -q "used up this worker's budget" "$SNARE_LOG" && { tripped=$i; break; }
done
[ "$tripped" -gt 0 ] && [ "$(grep -c "used up this worker's budget" "$SNARE_LOG")" -eq 1 ] &&
	ok auth-budget-trips || notok auth-budget-trips "no budget line after 40 addresses"
# The line is written by the first refusal: every address before that one
# ran bcrypt, that one did not.
n=$(grep -c "bcrypt check for user carol" "$SNARE_LOG")
[ "$tripped" -gt 0 ] && [ "$n" -eq $((tripped - 10)) ] && ok auth-budget-refuses-unchecked ||
	notok auth-budget-refuses-unchecked "$n bcrypt runs for $((tripped - 9)) addresses"
# while credentials verified before still pass from the cache.
[ "$(code 127.0.1.201 dave:right)" = 200 ] && ok auth-budget-cached-still-pass ||
	notok auth-budget-cached-still-pass "dave refused"
stop_snare
