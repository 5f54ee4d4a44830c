#!/bin/sh
# Quality gate: festival labels for the 20 eval sentences -> our engine
# (`scaispeak synth --labels`) -> eval_wer.sh (pocketsphinx).
# Prints the WER; exits 1 when WER > 0.27 (ENGINE.md), 2 on setup errors.
set -u
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
sents=${SENTENCES:-$shared/eval/sentences.txt}
eval_dir=$(dirname "$sents")
limit=${WER_LIMIT:-0.27}
tool="$B/bin/scaispeak"
[ -x "$tool" ] || { echo "engine_wer: $tool not built" >&2; exit 2; }
work=$(mktemp -d /tmp/engine-wer.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$root/tests/oracle/festival_labels.sh" "$sents" "$work/lab" >/dev/null || exit 2
mkdir -p "$work/wav"
for lab in "$work"/lab/*.lab; do
    id=$(basename "$lab" .lab)
    "$tool" synth --labels "$lab" -o "$work/wav/$id.wav" || { echo "engine_wer: synthesis failed for $id" >&2; exit 1; }
done
out=$("$eval_dir/eval_wer.sh" "$work/wav" "$sents") || { echo "$out"; exit 2; }
echo "$out" | tail -n 3
wer=$(echo "$out" | tail -n 1 | sed -n 's/^WER=//p')
[ -n "$wer" ] || { echo "engine_wer: no WER line" >&2; exit 2; }
echo "engine_wer: WER=$wer (limit $limit)"
awk -v w="$wer" -v l="$limit" 'BEGIN { exit (w <= l) ? 0 : 1 }'
