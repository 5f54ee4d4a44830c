#!/bin/sh
# Intelligibility gate for the front end alone: our labels for the 20
# evaluation sentences -> hts_engine 1.10 command line (test-only oracle
# synthesiser, Debian htsengine) with the slt voice -> eval_wer.sh.
# Passes when WER <= 0.26.
set -eu
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
B=${SCAISPEAK_BUILD:-build}
VOICE=${SS_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
SENT="$shared/eval/sentences.txt"
command -v hts_engine >/dev/null || { echo "frontend_wer: hts_engine not installed (apt-get install htsengine)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lab" "$tmp/wav"
"$B/bin/scaispeak" labels -f "$SENT" --outdir "$tmp/lab"
for f in "$tmp"/lab/*.lab; do
    id=$(basename "$f" .lab)
    hts_engine -m "$VOICE" -ow "$tmp/wav/$id.wav" "$f"
done
out=$(bash "$shared/eval/eval_wer.sh" "$tmp/wav" "$SENT")
echo "$out" | tail -n 3
wer=$(echo "$out" | tail -n 1 | sed 's/WER=//')
echo "frontend_wer: WER=$wer (gate 0.26)"
awk -v w="$wer" 'BEGIN { exit !(w <= 0.26) }'
