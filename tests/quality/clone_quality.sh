#!/bin/bash
# Quality gate for zero-shot cloning (issue 6, ENGINE.md "Checks"):
# 15 s references made here from other voices — festival kal_diphone, flite
# rms and awb (male), flite slt (female, reported only) — then the 20 eval
# sentences spoken by our voice unconditioned and conditioned on each
# reference (clone_synth test tool = the engine's conditioning path), and
# measured with ../shared/eval/voice_distance.sh and eval_wer.sh.
# Per male reference it must hold: |F0_MEAN_DIFF_ST| <= 1.5 after
# conditioning; LTA_MCD_DB after <= LTA_MCD_DB before - 1.5; WER <= 0.32.
# Prints one summary line per reference; exits 1 on a failed check, 2 on
# setup errors. Needs festival + festvox-kallpc16k, flite, sox, sptk,
# pocketsphinx. About 2-3 minutes of CPU.
set -u
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
sents=${SENTENCES:-$shared/eval/sentences.txt}
voice=${SCAISPEAK_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
tool="$B/tests/clone_synth"
[ -x "$tool" ] || { echo "clone_quality: $tool not built" >&2; exit 2; }
for t in flite text2wave sox; do
    command -v $t >/dev/null || { echo "clone_quality: $t missing (apt-get install flite festival festvox-kallpc16k sox)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/clone-quality.XXXXXX)
trap 'rm -rf "$work"' EXIT
export VD_CACHE="$work/vdcache"

# Reference text: not the eval sentences.
cat > "$work/ref.txt" <<'TXT'
The old lighthouse keeper climbed the winding stairs every evening. He polished the great lens until it gleamed, and then he lit the lamp. Ships far out at sea could see the beam sweeping across the dark water. On stormy nights he stayed awake until dawn, listening to the wind and the waves. In the morning he wrote everything down in a worn leather book.
TXT
make_ref() { # name
    case $1 in
    kal) text2wave -eval '(voice_kal_diphone)' "$work/ref.txt" -o "$work/$1_raw.wav" ;;
    *) flite -voice "$1" -f "$work/ref.txt" -o "$work/$1_raw.wav" ;;
    esac || return 1
    sox "$work/$1_raw.wav" "$work/$1.wav" trim 0 15 || return 1
}

mkdir -p "$work/none"
"$tool" "$voice" "$work/none" "$sents" --none > "$work/none.cond" || { echo "clone_quality: base synthesis failed" >&2; exit 2; }
fail=0
for r in kal rms awb slt; do
    make_ref $r || { echo "clone_quality: cannot make the $r reference" >&2; exit 2; }
    mkdir -p "$work/$r"
    if ! "$tool" "$voice" "$work/$r" "$sents" --ref "$work/$r.wav" > "$work/$r.cond"; then
        echo "clone_quality: $r: conditioned synthesis failed" >&2; fail=1; continue
    fi
    before=$("$shared/eval/voice_distance.sh" "$work/none" "$work/$r.wav" | tail -n 1)
    after=$("$shared/eval/voice_distance.sh" "$work/$r" "$work/$r.wav" | tail -n 1)
    wer=$("$shared/eval/eval_wer.sh" "$work/$r" "$sents" 2>/dev/null | tail -n 1 | sed -n 's/^WER=//p')
    f0b=$(echo "$before" | sed -n 's/.*F0_MEAN_DIFF_ST=\([-0-9.]*\).*/\1/p')
    f0a=$(echo "$after" | sed -n 's/.*F0_MEAN_DIFF_ST=\([-0-9.]*\).*/\1/p')
    mcdb=$(echo "$before" | sed -n 's/.*LTA_MCD_DB=\([-0-9.]*\).*/\1/p')
    mcda=$(echo "$after" | sed -n 's/.*LTA_MCD_DB=\([-0-9.]*\).*/\1/p')
    [ -n "$f0a" ] && [ -n "$mcda" ] && [ -n "$wer" ] || { echo "clone_quality: $r: measurement failed" >&2; exit 2; }
    alpha=$(sed -n 's/^alpha //p' "$work/$r.cond")
    verdict=ok
    if [ $r != slt ]; then
        awk -v f="$f0a" -v b="$mcdb" -v a="$mcda" -v w="$wer" \
            'BEGIN { exit (f <= 1.5 && f >= -1.5 && a <= b - 1.5 && w <= 0.32) ? 0 : 1 }' || { verdict=FAIL; fail=1; }
    else
        verdict="(female, reported only)"
    fi
    printf 'clone_quality: %-3s F0_DIFF_ST %6s -> %6s  LTA_MCD_DB %5s -> %5s  WER %s  alpha %.4f  %s\n' \
        $r "$f0b" "$f0a" "$mcdb" "$mcda" "$wer" "$alpha" "$verdict"
done
base_wer=$("$shared/eval/eval_wer.sh" "$work/none" "$sents" 2>/dev/null | tail -n 1 | sed -n 's/^WER=//p')
echo "clone_quality: unconditioned WER $base_wer"
exit $fail
