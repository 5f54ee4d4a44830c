#!/bin/sh
# Gateway streaming latency and cost (tests/bench/stream_bench.py): first
# audio byte vs the engine's first chunk, CPU per request per format, peak
# RSS for a long answer. BENCH_N requests per figure (default 100).
set -u
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/stream_bench.py"
