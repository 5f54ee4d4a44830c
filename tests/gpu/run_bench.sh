#!/bin/sh
# make bench-gpu: first-chunk latency and aggregate real-time factor at 1, 8,
# 64, 256 concurrent requests, CPU and (when a device exists) GPU figures from
# the same run; without a GPU the CPU figures and "GPU: not measured (no
# device)". BATCH_WINDOW_MS overrides the scheduler window (default 2).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${SCAISPEAK_BUILD:?set SCAISPEAK_BUILD}" && pwd)
shared=${SCAISPEAK_SHARED:-$repo/../shared}
labs=$(mktemp -d)
trap 'rm -rf "$labs"' EXIT
sh "$repo/tests/oracle/festival_labels.sh" "$shared/eval/sentences.txt" "$labs"
"$build/gpu/gpu_bench" "$labs" "${BATCH_WINDOW_MS:-2}"
