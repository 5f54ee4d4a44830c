#!/bin/sh
# Runs the CUDA kernels' code WITHOUT a GPU: kernels/cuda/*.cu compiled by g++
# with SS_CUDA_HOST_EMULATION (see kernels/cuda/cuda_check.h: runtime calls
# become malloc/memcpy, a launch runs every thread in turn) and linked into
# gpu_parity in place of the real CUDA objects; then the full parity run
# (random + the 20 festival-labelled sentences + batched) against the CPU
# kernels, same tolerances. Checks the kernels' logic, packing and indexing
# on any machine; not races or device numerics (make test-gpu does those).
# Needs $SCAISPEAK_BUILD (a built tree, CUDA or CUDA=0) and g++.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${SCAISPEAK_BUILD:?set SCAISPEAK_BUILD}" && pwd)
shared=${SCAISPEAK_SHARED:-$repo/../shared}
out=$build/gpu-emulation
mkdir -p "$out"
cd "$repo"
objs=""
for f in kernels/cuda/*.cu; do
    o=$out/$(basename "$f" .cu).o
    g++ -std=c++17 -O2 -Wall -Wextra -Werror -DSS_CUDA_HOST_EMULATION -I. -x c++ -c "$f" -o "$o"
    objs="$objs $o"
done
flags=$(make -s --no-print-directory BUILD_DIR="$build" -f - print-flags <<'MK'
include Makefile
print-flags:
	@echo "$(CFLAGS)|$(LDFLAGS)|$(ALL_LIBS)|$(LDLIBS)"
MK
)
cflags=$(echo "$flags" | cut -d'|' -f1)
ldflags=$(echo "$flags" | cut -d'|' -f2)
libs=$(echo "$flags" | cut -d'|' -f3)
ldlibs=$(echo "$flags" | cut -d'|' -f4)
# shellcheck disable=SC2086
cc $cflags -DSS_PARITY_EMULATED -c tests/gpu/gpu_parity.c -o "$out/gpu_parity_emulated.o"
# shellcheck disable=SC2086
cc $ldflags -o "$out/gpu_parity_emulated" "$out/gpu_parity_emulated.o" $objs $libs $ldlibs -lstdc++
labs=$(mktemp -d)
trap 'rm -rf "$labs"' EXIT
sh "$repo/tests/oracle/festival_labels.sh" "$shared/eval/sentences.txt" "$labs"
"$out/gpu_parity_emulated" "$labs"
