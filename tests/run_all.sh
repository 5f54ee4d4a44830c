#!/bin/sh
# Runs every test suite against the build in $SCAISPEAK_BUILD (build or
# build-san) and ends with one summary line "N passed, N failed".
#   1. unit tests: one Criterion binary (its own "Synthesis:" line)
#   2. integration tests: pytest under /usr/bin/python3 (Debian's, which has
#      grpcio), starting real redis-server, node and gateway processes
set -u
B=${SCAISPEAK_BUILD:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SCAISPEAK_BUILD="$root/$B"
passed=0; failed=0

# Sanitizer builds: third-party leaks we cannot fix are listed in tests/lsan.supp.
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Criterion: parse "Tested: N | Passing: N | Failing: N | Crashing: N".
out=$(mktemp)
"$B/bin/unit_tests" --jobs 2 2>&1 | tee "$out" | tail -n 30
line=$(grep -E 'Synthesis: Tested:' "$out" | tail -n 1)
if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/.*Passing: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failing: ([0-9]+).*/\1/')
    c=$(echo "$line" | sed -E 's/.*Crashing: ([0-9]+).*/\1/')
    passed=$((passed + p)); failed=$((failed + f + c))
else
    echo "unit tests: no summary line (the runner died)"; failed=$((failed + 1))
fi
rm -f "$out"

# pytest: parse its last line ("== 12 passed, 1 failed in 3.2s ==").
out=$(mktemp)
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration 2>&1 | tee "$out" | tail -n 60
line=$(tail -n 1 "$out")
p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
[ -n "$p" ] || p=0; [ -n "$f" ] || f=0
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "integration tests: no result line"; failed=$((failed + 1))
fi
passed=$((passed + p)); failed=$((failed + f))
rm -f "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
