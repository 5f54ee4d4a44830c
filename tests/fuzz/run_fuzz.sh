#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang (libFuzzer
# + ASan/LeakSanitizer + UBSan) and runs each for FUZZ_SECONDS (default 20)
# from its committed seed corpus (tests/fuzz/corpus_<name>/). Exits non-zero
# when a target crashes, leaks or times out (the reproducer is left in OUT).
#   tests/fuzz/run_fuzz.sh [OUT_DIR]        (make fuzz FUZZ_SECONDS=N)
#   FUZZ_TARGETS="jwt label" limits the run to those targets.
# The project's libraries are built by make into build-fuzz/ with clang and
# coverage instrumentation (-fsanitize=fuzzer-no-link), so the targets see
# the real code paths with the project's own flags (-Wall -Wextra -Werror).
# The last line of each run is libFuzzer's "Done N runs in S second(s)".
# Targets are linked and run FUZZ_JOBS (default 2) at a time: each run is
# one single-threaded process, so on two cores two of them take the time of
# one and every target still gets its FUZZ_SECONDS. A reproducer is named
# after its target (fuzz_<name>-crash-..., -timeout-, -leak-, -oom-).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${FUZZ_CC:-clang}
B=build-fuzz
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LIBS="$B/lib/libss_gateway.a $B/lib/libss_node.a $B/lib/libss_engine.a $B/lib/libss_kernels.a $B/lib/libss_common.a"
echo "== building the libraries with $CC into $B/"
make -s -C "$root" -j"${FUZZ_JOBS:-2}" CC="$CC" CUDA=0 SAN=1 BUILD_DIR=$B SANFLAGS="$SAN" $LIBS
ldlibs=$(make -s -C "$root" CUDA=0 print-ldlibs)
FL="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I$root -I$root/$B/gen $(pkg-config --cflags jansson hiredis)"
targets=${FUZZ_TARGETS:-$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
jobs=${FUZZ_JOBS:-2}

# Runs "$1 <target>" for every target, $jobs at a time; fails when any did.
in_batches() {
    fn=$1 failed=0 n=0 batch=""
    for t in $targets; do
        batch="$batch $t"; n=$((n + 1))
        if [ "$n" -ge "$jobs" ]; then
            run_batch "$fn" $batch || failed=1
            batch="" n=0
        fi
    done
    [ -z "$batch" ] || run_batch "$fn" $batch || failed=1
    return $failed
}

run_batch() {
    fn=$1; shift
    pids=""
    for t in "$@"; do
        $fn "$t" & pids="$pids $!"
    done
    ok=0
    for p in $pids; do
        wait "$p" || ok=1
    done
    for t in "$@"; do
        report_$fn "$t"
    done
    return $ok
}

link_target() {
    (cd "$root" && $CC $FL "tests/fuzz/fuzz_$1.c" $LIBS $ldlibs -o "$out/fuzz_$1")
}
report_link_target() { :; }

fuzz_target() {
    mkdir -p "$out/corpus_$1"
    cp "$root/tests/fuzz/corpus_$1"/* "$out/corpus_$1/" 2>/dev/null || true
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_$1 -max_total_time="$secs" -max_len=65536 \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$out/fuzz_$1-" "corpus_$1" > "fuzz_$1.log" 2>&1)
}
report_fuzz_target() {
    echo "== fuzz_$1 for ${secs}s"
    grep -E '^Done [0-9]+ runs|ERROR|SUMMARY|runtime error' "$out/fuzz_$1.log" | tail -n 8
    for f in "$out/fuzz_$1"-crash-* "$out/fuzz_$1"-timeout-* "$out/fuzz_$1"-leak-* "$out/fuzz_$1"-oom-*; do
        [ -e "$f" ] && echo "reproducer: $f"
    done
    return 0
}

in_batches link_target || { echo "run_fuzz: FAIL (a target did not build)"; exit 1; }
rc=0
in_batches fuzz_target || rc=1
for f in "$out"/fuzz_*-crash-* "$out"/fuzz_*-timeout-* "$out"/fuzz_*-leak-* "$out"/fuzz_*-oom-*; do
    [ -e "$f" ] && rc=1
done
echo "run_fuzz: $( [ $rc -eq 0 ] && echo PASS || echo "FAIL (reproducers in $out)")"
exit $rc
