#!/bin/sh
# make test-webrtc: the WebRTC routes with GStreamer present and a session
# from a real browser (tests/integration/test_webrtc_routes.py and
# test_webrtc_browser.py), against the build in $SCAISPEAK_BUILD. The
# Makefile installed GStreamer and chromium first, so a skipped test here is
# a failure (SCAISPEAK_WEBRTC_REQUIRED). Ends with "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$(mktemp)
SCAISPEAK_WEBRTC_REQUIRED=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs -s \
    tests/integration/test_webrtc_routes.py tests/integration/test_webrtc_browser.py 2>&1 | tee "$out" | \
    grep -v '^{"ts' | tail -n 40
line=$(tail -n 1 "$out")
rm -f "$out"
p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
[ -n "$p" ] || p=0
# the routes file skips its two no-GStreamer tests; nothing else may skip
s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
[ -n "$s" ] || s=0
if [ "$s" -gt 2 ]; then
    echo "test-webrtc: $s tests skipped (GStreamer, chromium or playwright-core missing?)"
    f=$((f + s - 2))
fi
[ "$p" -gt 0 ] || f=$((f + 1))
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
