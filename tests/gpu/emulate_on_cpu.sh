#!/bin/sh
# Runs the CUDA kernels' code WITHOUT a GPU: kernels/cuda/*.cu compiled by g++
# with SS_CUDA_HOST_EMULATION (see kernels/cuda/cuda_check.h: runtime calls
# become malloc/memcpy, a launch runs every thread in turn). Checks the
# kernels' logic, packing, indexing and the lanes on any machine; not races
# or device numerics (make test-gpu does those).
#
#   emulate_on_cpu.sh [parity]   the objects linked into gpu_parity in place
#                                of the real CUDA objects; the full parity run
#                                (random, the 20 festival-labelled sentences,
#                                batched, lanes) against the CPU kernels
#   emulate_on_cpu.sh node       scaispeak-node linked with them, the CUDA
#                                table compiled in and a probe that reports a
#                                device (tests/gpu/emulation/device_probe.c),
#                                then tests/integration/test_node_cuda_emulated.py
#                                against it: the node's CUDA path end to end
#
# Needs $SCAISPEAK_BUILD (a built tree, CUDA or CUDA=0) and g++.
set -eu
mode=${1:-parity}
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
if [ "$mode" = node ]; then
    # shellcheck disable=SC2086
    cc $cflags -DSS_HAVE_CUDA=1 -c kernels/kernels_select.c -o "$out/kernels_select_emulated.o"
    # shellcheck disable=SC2086
    cc $cflags -c tests/gpu/emulation/device_probe.c -o "$out/emulated_device_probe.o"
    # shellcheck disable=SC2086
    cc $ldflags -o "$out/scaispeak-node" "$build/obj/node/main_node.o" "$out/kernels_select_emulated.o" \
        "$out/emulated_device_probe.o" $objs $libs $ldlibs -lstdc++
    SCAISPEAK_EMULATED_NODE="$out/scaispeak-node" exec /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        tests/integration/test_node_cuda_emulated.py
fi
# shellcheck disable=SC2086
cc $cflags -DSS_PARITY_EMULATED -c tests/gpu/gpu_parity.c -o "$out/gpu_parity_emulated.o"
# shellcheck disable=SC2086
cc $ldflags -o "$out/gpu_parity_emulated" "$out/gpu_parity_emulated.o" $objs $libs $ldlibs -lstdc++
labs=$(mktemp -d)
trap 'rm -rf "$labs"' EXIT
sh "$repo/tests/oracle/festival_labels.sh" "$shared/eval/sentences.txt" "$labs"
"$out/gpu_parity_emulated" "$labs"
