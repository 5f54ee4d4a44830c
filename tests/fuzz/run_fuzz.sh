#!/bin/sh
# Builds the front-end fuzz targets with clang (libFuzzer + ASan + UBSan) and
# runs each for FUZZ_SECONDS (default 20) from the committed seed corpus.
# Exit non-zero when a target crashes (the reproducer is left in $OUT).
#   tests/fuzz/run_fuzz.sh [OUT_DIR]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
FL="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$root"
FE="$root/node/engine/frontend"
SRC_N="$FE/text_normalize.c $FE/text_normalize_clean.c $FE/text_normalize_say.c \
       $FE/text_normalize_say_as.c $FE/text_normalize_web.c $FE/text_normalize_numbers.c \
       $FE/text_normalize_dates.c $FE/text_normalize_words.c $FE/text_numbers.c $FE/text_token.c"
SRC_S="$SRC_N $FE/ssml_parser.c $FE/ssml_tokenizer.c $FE/ssml_elements.c $FE/ssml_ipa.c \
       $FE/lexicon_runtime.c"
$CC $FL "$root/tests/fuzz/fuzz_normalize.c" $SRC_N -o "$out/fuzz_normalize"
$CC $FL "$root/tests/fuzz/fuzz_ssml.c" $SRC_S -lm -o "$out/fuzz_ssml"
rc=0
for t in normalize ssml; do
    mkdir -p "$out/corpus_$t"
    cp "$root/tests/fuzz/corpus_$t"/* "$out/corpus_$t/" 2>/dev/null || true
    echo "== fuzz_$t for ${secs}s"
    (cd "$out" && ./fuzz_$t -max_total_time="$secs" -max_len=4096 -timeout=5 "corpus_$t" 2>&1 | tail -n 3) || rc=1
    for f in "$out"/crash-* "$out"/timeout-* "$out"/leak-* "$out"/oom-*; do
        [ -e "$f" ] && { echo "reproducer: $f"; rc=1; }
    done
done
echo "run_fuzz: $( [ $rc -eq 0 ] && echo PASS || echo "FAIL (reproducers in $out)")"
exit $rc
