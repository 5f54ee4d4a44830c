#!/bin/bash
# Quality gate for zero-shot cloning (issue 17 point 2, ENGINE.md "Checks"):
# 15 s references made here from other voices — festival kal_diphone, flite
# rms and awb (male), flite slt (female, reported only) — then the 20 eval
# sentences spoken by the node's cloning path (clone_node_synth test tool:
# node/clone_voice.h picks the nearest of the node's base voices — HTS slt,
# clustergen rms, awb, slt_cg — and conditions it), and the chosen base
# voice unconditioned on the same sentences; measured with
# ../shared/eval/voice_distance.sh and eval_wer.sh.
# Per male reference it must hold: |F0_MEAN_DIFF_ST| <= 1.5 after
# conditioning; WER <= the chosen base's own WER + 0.05; LTA_MCD_DB after
# <= today's figure for that reference (TODAY_MCD below). Prints one line
# per reference (base chosen, F0 diff and LTA_MCD before -> after, where
# "before" is the chosen base unconditioned, WER and the base's WER); exits
# 1 on a failed check, 2 on setup errors. Needs festival +
# festvox-kallpc16k, flite (and libflite1's clustergen voices), sox, sptk,
# pocketsphinx. About 6 minutes of CPU here (2 shared cores, loaded): four
# references, two base voices, five recogniser runs.
set -u
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
sents=${SENTENCES:-$shared/eval/sentences.txt}
voice=${SCAISPEAK_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
tool="$B/tests/clone_node_synth"
# "Today" (before issue 17 point 2): LTA_MCD_DB after conditioning the HTS
# slt voice toward each reference, measured by this script at f246feb
# (F0 diff after 0.95/0.71/0.48 st, WER 0.289/0.264/0.308). The spectral
# distance of a clone must be at least as good as that.
declare -A TODAY_MCD=([kal]=3.08 [rms]=5.30 [awb]=3.95)
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

value() { # KEY LINE
    echo "$2" | sed -n "s/.*$1=\([-0-9.]*\).*/\1/p"
}
wer_of() { # DIR
    "$shared/eval/eval_wer.sh" "$1" "$sents" 2>/dev/null | tail -n 1 | sed -n 's/^WER=//p'
}
declare -A BASE_WER
base_voice() { # ENGINE: speaks the sentences unconditioned once, into $work/base_ENGINE
    [ -d "$work/base_$1" ] && return 0
    mkdir -p "$work/base_$1"
    "$tool" "$voice" "$work/base_$1" "$sents" --none "$1" > /dev/null 2>"$work/base_$1.log" || return 1
}
fail=0
for r in kal rms awb slt; do
    make_ref $r || { echo "clone_quality: cannot make the $r reference" >&2; exit 2; }
    mkdir -p "$work/$r"
    if ! "$tool" "$voice" "$work/$r" "$sents" --ref "$work/$r.wav" > "$work/$r.cond" 2>"$work/$r.log"; then
        echo "clone_quality: $r: conditioned synthesis failed: $(tail -n 3 "$work/$r.log")" >&2; fail=1; continue
    fi
    base=$(sed -n 's/^base //p' "$work/$r.cond")
    base_voice "$base" || { echo "clone_quality: $r: base $base synthesis failed" >&2; exit 2; }
    before=$("$shared/eval/voice_distance.sh" "$work/base_$base" "$work/$r.wav" | tail -n 1)
    after=$("$shared/eval/voice_distance.sh" "$work/$r" "$work/$r.wav" | tail -n 1)
    wer=-  # the female reference is reported only: no recogniser run for it (CPU)
    [ $r = slt ] || wer=$(wer_of "$work/$r")
    f0b=$(value F0_MEAN_DIFF_ST "$before"); f0a=$(value F0_MEAN_DIFF_ST "$after")
    mcdb=$(value LTA_MCD_DB "$before"); mcda=$(value LTA_MCD_DB "$after")
    [ -n "$f0a" ] && [ -n "$mcda" ] && [ -n "$wer" ] || { echo "clone_quality: $r: measurement failed" >&2; exit 2; }
    if [ $r != slt ]; then
        [ -n "${BASE_WER[$base]:-}" ] || BASE_WER[$base]=$(wer_of "$work/base_$base")
        bw=${BASE_WER[$base]}
        [ -n "$bw" ] || { echo "clone_quality: $r: base WER failed" >&2; exit 2; }
        verdict=ok
        awk -v f="$f0a" -v a="$mcda" -v t="${TODAY_MCD[$r]}" -v w="$wer" -v bw="$bw" \
            'BEGIN { exit (f <= 1.5 && f >= -1.5 && a <= t && w <= bw + 0.05) ? 0 : 1 }' || { verdict=FAIL; fail=1; }
        today="(today ${TODAY_MCD[$r]})"
    else
        bw=${BASE_WER[$base]:--}
        verdict="(female, reported only)"
        today=""
    fi
    printf 'clone_quality: %-3s base %-16s F0_DIFF_ST %6s -> %6s  LTA_MCD_DB %5s -> %5s %s WER %s  base WER %s  %s\n' \
        $r "$base" "$f0b" "$f0a" "$mcdb" "$mcda" "$today" "$wer" "$bw" "$verdict"
done
exit $fail
