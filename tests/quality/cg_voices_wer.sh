#!/bin/sh
# Quality gate for the clustergen voices (node/engine/clustergen/): the 20
# eval sentences through our pipeline (build/tests/cg_synth) -> eval_wer.sh
# (pocketsphinx), per voice. Gate (issue 17): WER <= flite's own back end's
# WER on the same sentences + 0.03. flite's WERs are the ones measured on
# this setup (deterministic: sox -D, flite's and our noise are seeded):
# rms 0.2453, awb 0.4277, slt 0.4340. FLITE_REF=1 re-measures flite in the
# same run (`flite -voice X`, 20 more decodes per voice) instead.
# Prints each WER; exits 1 when a voice misses its gate, 2 on setup errors.
# Cost: ~45 s CPU per voice (mostly decoding), ~65 s wall for all three on
# 2 idle cores.
set -u
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
sents=${SENTENCES:-$shared/eval/sentences.txt}
eval_dir=$(dirname "$sents")
tool="$B/tests/cg_synth"
[ -x "$tool" ] || { echo "cg_voices_wer: $tool not built" >&2; exit 2; }
work=$(mktemp -d /tmp/cg-wer.XXXXXX)
trap 'rm -rf "$work"' EXIT

wer_of() { # WAV_DIR -> the WER number, or nothing
    "$eval_dir/eval_wer.sh" "$1" "$sents" 2>/dev/null | tail -n 1 | sed -n 's/^WER=//p'
}

flite_wer() { # VOICE -> flite's WER (measured now with FLITE_REF=1)
    if [ "${FLITE_REF:-0}" = 1 ]; then
        mkdir -p "$work/flite_$1"
        k=0
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            k=$((k + 1))
            flite -voice "$1" -t "$line" -o "$work/flite_$1/$(printf %02d $k).wav" || return 1
        done < "$sents"
        wer_of "$work/flite_$1"
        return
    fi
    case "$1" in rms) echo 0.2453 ;; awb) echo 0.4277 ;; slt) echo 0.4340 ;; esac
}

rc=0
for voice in rms awb slt; do
    mkdir -p "$work/$voice"
    "$tool" "$voice" "$work/$voice" "$sents" >/dev/null || { echo "cg_voices_wer: $voice synthesis failed" >&2; exit 2; }
    ours=$(wer_of "$work/$voice")
    ref=$(flite_wer "$voice")
    [ -n "$ours" ] && [ -n "$ref" ] || { echo "cg_voices_wer: no WER for $voice" >&2; exit 2; }
    limit=$(awk -v r="$ref" 'BEGIN { printf "%.4f", r + 0.03 }')
    echo "cg_voices_wer: $voice WER=$ours (flite $ref, limit $limit)"
    awk -v w="$ours" -v l="$limit" 'BEGIN { exit (w <= l) ? 0 : 1 }' || rc=1
done
exit $rc
