#!/bin/sh
# Runs every executable tests/bench/*.sh (but this one) in name order against the
# build in $SCAISPEAK_BUILD; exits non-zero when any of them failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for s in "$here"/*.sh; do
    [ "$(basename "$s")" = "run_bench.sh" ] && continue
    [ -x "$s" ] || continue
    echo "== $(basename "$s")"
    "$s" || { echo "FAILED: $(basename "$s")"; rc=1; }
done
exit $rc
