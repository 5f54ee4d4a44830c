#!/bin/sh
# Front-end speed: CPU time per sentence for the 20 evaluation sentences
# (labels written, the whole pipeline), best of 5 runs of 100 passes, and
# throughput on 1 MB of text. Reference points on this machine class:
# festival's front end 17.6 ms/sentence, flite's analysis ~1.6 ms.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-build}
SENT="$root/tests/data/harvard_sentences.txt" # the eval set (../shared/eval/sentences.txt)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in $(seq 1 100); do cat "$SENT"; done > "$tmp/2000.txt"
best=""
for r in 1 2 3 4 5; do
    t=$( { /usr/bin/time -f "%U %S" "$B/bin/scaispeak" labels -f "$tmp/2000.txt" > /dev/null; } 2>&1 | tail -n 1)
    ms=$(echo "$t" | awk '{printf "%.3f", ($1 + $2) * 1000 / 2000}')
    best=$(echo "$best $ms" | awk '{m=$1; for (i=2;i<=NF;i++) if ($i<m) m=$i; print m}')
done
echo "frontend_bench: ${best} ms CPU per sentence (2000 sentences, whole pipeline incl. process start; festival 17.6, flite analysis ~1.6)"
python3 -c "
import sys
s='The quick brown fox jumps over 13 lazy dogs, and runs away. '
sys.stdout.write((s*(1048576//len(s)+1))[:1048576])" > "$tmp/1mb.txt"
t=$( { /usr/bin/time -f "%U %S %M" "$B/bin/scaispeak" labels --plain -f "$tmp/1mb.txt" > /dev/null; } 2>&1 | tail -n 1)
echo "frontend_bench: 1 MB of text -> labels in $(echo "$t" | awk '{printf "%.2f s CPU, %d MB peak RSS", $1+$2, $3/1024}')"
