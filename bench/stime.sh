#!/bin/bash
# Full TLS handshakes with `openssl s_time -new` (no resumption, no request), several clients in
# parallel: the handshake row of issue 19, measured the way the issue states it.  Trusts nothing
# it reads but the counts openssl prints.
#   stime.sh -d SECONDS -c CLIENTS HOST:PORT
# Prints one line in hsclient's handshake format, which bench/run.sh parses, and the clients' own
# CPU per handshake (user + system of the s_time processes, from bash's `times`): s_time spends
# more CPU per handshake than a proxy does, so on a shared load core the rate follows what each
# handshake costs the client (a longer chain, another signature algorithm), not only the proxy:
#   requests N conns N errors E seconds S rps R cps R mbps 0 client_ms_per_hs C
set -euo pipefail
secs=10 clients=4
while getopts d:c: o; do
	case "$o" in
	d) secs=$OPTARG ;;
	c) clients=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
target=${1:?host:port}
dir=$(mktemp -d /tmp/snare-stime.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pids=()
for i in $(seq "$clients"); do
	openssl s_time -connect "$target" -new -time "$secs" > "$dir/$i" 2>&1 &
	pids+=($!)
done
errors=0
for p in "${pids[@]}"; do wait "$p" || errors=$((errors + 1)); done
# `times` prints the shell's own, then its children's "Nm S.SSSs user Nm S.SSSs sys"
times > "$dir/times"
child=$(awk 'NR == 2 {for (i = 1; i <= 2; i++) {split($i, t, "m"); c += t[1] * 60 + t[2]}
	print c}' "$dir/times")
# "N connections in T real seconds, ..." once per client: sum N, take the longest T
cat "$dir"/[0-9]* | awk -v e="$errors" -v s="$secs" -v cpu="$child" '
	/connections in .* real seconds/ {n += $1; if ($4 + 0 > t) t = $4 + 0}
	/ERROR|errno|error:/ {bad++}
	END {if (t < s) t = s
	     printf "requests %d conns %d errors %d seconds %.3f rps %.1f cps %.1f mbps 0", n, n,
		e + (bad > 0), t, n / t, n / t
	     printf " client_ms_per_hs %.3f\n", (n > 0 ? cpu * 1000 / n : 0)}'
