#!/bin/sh
# Engine speed vs libHTSEngine 1.10 on the 20 eval sentences' festival labels
# (same labels, same run): per-stage real-time factor, ratio, first-chunk
# latency, peak memory. Exits 1 when our total RTF is above half of
# hts_engine's (ENGINE.md target), 2 on setup errors.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
voice=${SS_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
tool="$B/tests/engine_bench"
[ -x "$tool" ] || { echo "engine_bench: $tool not built" >&2; exit 2; }
work=$(mktemp -d /tmp/engine-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$root/tests/oracle/festival_labels.sh" "$root/tests/data/harvard_sentences.txt" "$work" >/dev/null || exit 2
out=$("$tool" "$voice" "$work"/*.lab --repeat "${BENCH_REPEAT:-3}") || { echo "$out"; exit 2; }
echo "$out"
ratio=$(echo "$out" | sed -n 's/^RESULT .*ratio=\([0-9.]*\).*/\1/p')
awk -v r="$ratio" 'BEGIN { exit (r != "" && r <= 0.5) ? 0 : 1 }'
