#!/bin/sh
# Runs every test suite against the build in $SCAISPEAK_BUILD (build or
# build-san) and ends with one summary line "N passed, N failed".
#   1. unit tests: one Criterion binary (its own "Synthesis:" line)
#   2. integration tests: pytest under /usr/bin/python3 (Debian's, which has
#      grpcio), starting real redis-server, node and gateway processes
#   3. the CUDA kernels' code in host emulation (tests/gpu/emulate_on_cpu.sh:
#      the .cu files compiled by g++ and run through the GPU parity harness
#      against the CPU kernels, ~12 s, one test; then a node linked with them
#      under pytest, test_node_cuda_emulated.py, ~5 s). No GPU needed. Not
#      run on sanitizer builds (SAN=1): the g++ objects carry no
#      instrumentation.
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
    # the tail above may not reach back to a failure: its report, whole
    if [ "$f" != 0 ] || [ "$c" != 0 ]; then
        echo "--- unit test failures:"
        grep -E '^\[(FAIL|----)\]' "$out" | grep -v '^\[----\] *$'
    fi
else
    echo "unit tests: no summary line (the runner died)"; failed=$((failed + 1))
fi
rm -f "$out"

# pytest: parse the last line of $1 ("== 12 passed, 1 failed in 3.2s ==")
# into the totals; $2 names the suite when there is no such line.
count_pytest() {
    line=$(tail -n 1 "$1")
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
    f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
    [ -n "$p" ] || p=0; [ -n "$f" ] || f=0
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "$2: no result line"; f=1
    fi
    passed=$((passed + p)); failed=$((failed + f))
}

# The 25 slowest tests are listed before pytest's last line (CI's time
# budget is 60 minutes: they are where to look first).
# The whole pytest output stays in $B/integration-tests.log; when something
# failed, the reports of the failures and errors (without the processes'
# JSON log lines) are printed too, not only the last lines, so a CI log says
# why a test failed.
out="$SCAISPEAK_BUILD/integration-tests.log"
/usr/bin/python3 -m pytest -q -p no:cacheprovider --durations=25 tests/integration 2>&1 | tee "$out" | tail -n 60
count_pytest "$out" "integration tests"
if [ "$f" -gt 0 ]; then
    echo "== integration failures (whole output: $out)"
    sed -n '/^=* \(ERRORS\|FAILURES\) =*$/,/^=* short test summary info =*$/p' "$out" |
        grep -v '^{"ts"' | head -n 400
fi

# CUDA kernels in host emulation: the parity run (one test, pass = exit 0)
# and the emulated CUDA node under pytest (its own counts).
if [ "${SAN:-0}" = 1 ]; then
    echo "gpu emulation: not run on a sanitizer build"
else
    out=$(mktemp)
    if sh tests/gpu/emulate_on_cpu.sh parity >"$out" 2>&1; then
        tail -n 1 "$out"; passed=$((passed + 1))
    else
        tail -n 30 "$out"; echo "gpu emulation: FAILED"; failed=$((failed + 1))
    fi
    sh tests/gpu/emulate_on_cpu.sh node >"$out" 2>&1
    tail -n 120 "$out" | grep -v '"ts"' | tail -n 40
    count_pytest "$out" "emulated CUDA node"
    rm -f "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
