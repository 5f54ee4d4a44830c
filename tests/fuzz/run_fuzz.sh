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
for t in $targets; do
    (cd "$root" && $CC $FL "tests/fuzz/fuzz_$t.c" $LIBS $ldlibs -o "$out/fuzz_$t")
done
rc=0
for t in $targets; do
    mkdir -p "$out/corpus_$t"
    cp "$root/tests/fuzz/corpus_$t"/* "$out/corpus_$t/" 2>/dev/null || true
    echo "== fuzz_$t for ${secs}s"
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_$t -max_total_time="$secs" -max_len=65536 \
        -timeout=10 -rss_limit_mb=4096 "corpus_$t" > "fuzz_$t.log" 2>&1) || rc=1
    grep -E '^Done [0-9]+ runs|ERROR|SUMMARY|runtime error' "$out/fuzz_$t.log" | tail -n 8
    for f in "$out"/crash-* "$out"/timeout-* "$out"/leak-* "$out"/oom-*; do
        [ -e "$f" ] && { echo "reproducer: $f"; rc=1; }
    done
done
echo "run_fuzz: $( [ $rc -eq 0 ] && echo PASS || echo "FAIL (reproducers in $out)")"
exit $rc
