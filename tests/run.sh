#!/bin/bash
# Runs snare's whole test suite against one build folder (default
# build/check): cmocka unit tests, fuzz-corpus replay and the integration
# tests in tests/integration/.  Ends with "N passed, N failed, N skipped".
# TESTS=name (a substring) limits the integration tests that run.
set -u
B=${1:-build/check}
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LOGDIR=$ROOT/$B/test-logs
mkdir -p "$LOGDIR"
pass=0 fail=0 skip=0
failed_names=()

count_cmocka() { # $1 log, $2 name, $3 exit status
	local p f s
	p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
	f=$(grep -oE '^\[  FAILED  \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
	s=$(grep -oE '^\[  SKIPPED \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then failed_names+=("$2"); echo "FAIL $2 (see $1)"; else echo "ok   $2 ($p passed${s:+, $s skipped})"; fi
}

echo "== unit tests"
for src in tests/unit/test_*.c; do
	n=$(basename "$src" .c)
	t=$B/tests/$n
	if [ ! -x "$t" ] || [ "$t" -ot "$src" ]; then
		echo "FAIL $n: not built (see the build output above)"; fail=$((fail + 1)); failed_names+=("$n"); continue
	fi
	timeout 300 "$t" >"$LOGDIR/$n.log" 2>&1
	count_cmocka "$LOGDIR/$n.log" "$n" $?
done

echo "== fuzz corpus replay"
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	t=$B/fuzz/$n
	if [ ! -x "$t" ] || [ "$t" -ot "$src" ]; then
		echo "FAIL $n: not built"; fail=$((fail + 1)); failed_names+=("$n"); continue
	fi
	c=tests/fuzz/corpus/$n
	if [ ! -d "$c" ]; then
		echo "FAIL $n: no seed corpus in $c"; fail=$((fail + 1)); failed_names+=("$n"); continue
	fi
	if timeout 300 "$t" -runs=0 "$c" >"$LOGDIR/$n.log" 2>&1; then
		echo "ok   $n ($(ls "$c" | wc -l) inputs)"; pass=$((pass + 1))
	else
		echo "FAIL $n (see $LOGDIR/$n.log)"; fail=$((fail + 1)); failed_names+=("$n")
	fi
done

echo "== integration tests"
if [ ! -x "$B/snare" ]; then echo "FAIL snare: $B/snare not built"; fail=$((fail + 1)); failed_names+=(snare); fi
export SNARE_BIN=$ROOT/$B/snare SNARE_BUILD=$ROOT/$B SNARE_ROOT=$ROOT
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	if [ -n "${TESTS:-}" ] && [[ $n != *"$TESTS"* ]]; then continue; fi
	timeout 900 bash "$t" >"$LOGDIR/$n.log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$LOGDIR/$n.log"); f=$(grep -c '^not ok ' "$LOGDIR/$n.log")
	s=$(grep -c '^skip ' "$LOGDIR/$n.log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok $n exited with $rc" >>"$LOGDIR/$n.log"; fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	grep -E '^(not ok|skip) ' "$LOGDIR/$n.log" | sed "s/^/  $n: /"
	if [ "$f" -gt 0 ]; then failed_names+=("$n"); echo "FAIL $n ($p passed, $f failed; see $LOGDIR/$n.log)";
	else echo "ok   $n ($p passed, $s skipped)"; fi
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
