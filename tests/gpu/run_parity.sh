#!/bin/sh
# make test-gpu: CPU vs CUDA kernel parity on random inputs and on the 20
# festival-labelled sentences of shared/eval/sentences.txt, then
# compute-sanitizer memcheck on one full synthesis (kernels of the first
# sentence). Without a CUDA device: "no CUDA device: skipped", exit 0.
# Needs $SCAISPEAK_BUILD (the build dir). shared/ is found beside the
# checkout ($SCAISPEAK_SHARED overrides).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${SCAISPEAK_BUILD:?set SCAISPEAK_BUILD}" && pwd)
shared=${SCAISPEAK_SHARED:-$repo/../shared}
tool=$build/gpu/gpu_parity

probe=$("$tool" --probe)
case $probe in
    "no CUDA device: skipped"*) echo "$probe"; exit 0 ;;
esac

labs=$(mktemp -d)
trap 'rm -rf "$labs"' EXIT
sh "$repo/tests/oracle/festival_labels.sh" "$shared/eval/sentences.txt" "$labs"

echo "== parity (random + $(ls "$labs"/*.lab | wc -l) utterances)"
"$tool" "$labs"

echo "== compute-sanitizer memcheck (one synthesis)"
cs=$(command -v compute-sanitizer 2>/dev/null || true)
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [ -n "$cs" ] || { [ -x "$c" ] && cs=$c; } || true
done
if [ -z "$cs" ]; then
    echo "FAILED: compute-sanitizer not found (install the CUDA toolkit's compute-sanitizer)"
    exit 1
fi
"$cs" --tool memcheck --leak-check full --error-exitcode 1 "$tool" --one "$labs"
echo "test-gpu: passed"
