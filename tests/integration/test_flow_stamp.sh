#!/bin/bash
# The coordinator stamps every flow it writes with the worker that sent it
# (Flow.worker and Flow.worker_pid, fields 16 and 17 of proto/flow.proto):
# two workers, plain and large-bodied requests (the large bodies travel in
# FlowBody pieces and are put back together per worker), the -w file read
# with a small protobuf decoder here, and read back by snare -r.
. "$(dirname "$0")/lib.sh"

start_origin || exit 1
head -c 1048576 /dev/urandom >"$T/up.bin"
start_snare --mode regular@127.0.0.1:0 --set workers=2 -w "$T/flows" || exit 1

# The worker processes (re-executed as "snare --role worker").
wpids=""
for p in $(descendants "$SNARE_PID"); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- '--role worker' && wpids="$wpids $p"
done
[ "$(echo $wpids | wc -w)" -eq 2 ] && ok stamp-two-workers-running || notok stamp-two-workers-running "workers:$wpids"

for _ in 1 2 3 4 5 6; do proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hello"; done
for _ in 1 2; do proxy_curl -o /dev/null --data-binary @"$T/up.bin" "http://127.0.0.1:$ORIGIN_PORT/echo"; done
# A worker sends its flow after the client has its answer: wait for the
# coordinator to print all eight (flow_detail 1) before stopping it.
for _ in $(seq 1 100); do [ "$(grep -c '<< 200' "$SNARE_LOG")" -ge 8 ] && break; sleep 0.1; done
stop_snare

# One line per flow: worker, worker_pid (or -), request and response content sizes.
PYTHONPATH="$SNARE_ROOT/tests/integration" python3 - "$T/flows" >"$T/stamps" <<'PY'
import sys
from flowfile import fields, records

for f in records(sys.argv[1]):
    req = fields(f[8][0]).get(8, [b""])[0] if 8 in f else b""
    resp = fields(f[9][0]).get(5, [b""])[0] if 9 in f else b""
    print(f.get(16, ["-"])[0], f.get(17, ["-"])[0], len(req), len(resp))
PY
nflows=$(wc -l <"$T/stamps")
[ "$nflows" -eq 8 ] && ok stamp-flows-written || notok stamp-flows-written "$nflows flows: $(cat "$T/stamps")"
bad=$(awk -v pids=" $wpids " '!($1 == 0 || $1 == 1) || !index(pids, " " $2 " ")' "$T/stamps")
[ "$nflows" -gt 0 ] && [ -z "$bad" ] && ok stamp-worker-and-pid || notok stamp-worker-and-pid "not from a worker: $bad (workers:$wpids)"
# Which worker is which: one index, one pid.
pairs=$(awk '{print $1, $2}' "$T/stamps" | sort -u | awk '{print $1}' | sort | uniq -d)
[ -z "$pairs" ] && ok stamp-index-pid-consistent || notok stamp-index-pid-consistent "index with two pids: $pairs"
big=$(awk '$3 == 1048576 && $4 == 1048576' "$T/stamps" | wc -l)
[ "$big" -eq 2 ] && ok stamp-large-bodies-reassembled || notok stamp-large-bodies-reassembled "$(cat "$T/stamps")"

# snare -r still reads the file.
lines=$(timeout 60 "$SNARE_BIN" -n -r "$T/flows" 2>&1 | grep -c 'GET\|POST')
[ "$lines" -eq 8 ] && ok stamp-file-reads-back || notok stamp-file-reads-back "$lines flow lines"
