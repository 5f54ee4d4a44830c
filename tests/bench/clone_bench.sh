#!/bin/sh
# Voice cloning through the API (tests/bench/clone_bench.py): intake time of
# POST /voices for a 20 s reference, and the first audio byte of a cloned
# voice on a node cache miss vs a hit. BENCH_N per figure (default 10).
set -u
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/clone_bench.py"
