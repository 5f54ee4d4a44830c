#!/bin/bash
# Voice design check (issue 6): design prompts move the measured F0 and the
# speaking time in the stated direction by the documented amounts
# (node/engine/voice/voice_design.h), and the same prompt gives the same
# parameters twice. Our voice speaks 6 eval sentences unconditioned and per
# prompt (clone_synth test tool); F0 difference from voice_distance.sh
# (RAPT), speaking time from the total audio length.
#   "deep, slow, elderly male narrator":    F0 110 Hz - 4.5 st (from slt's
#       ~172 Hz: about -12.2 st), durations x1.32;
#   "bright young female, energetic, fast": F0 200 Hz + 1 st (about +3.6 st),
#       durations x0.79.
# Tolerance: 1.5 st on F0, 10 % on the duration ratio. Exit 1 on a failed
# check, 2 on setup errors.
set -u
shared=${SCAISPEAK_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
voice=${SCAISPEAK_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
tool="$B/tests/clone_synth"
[ -x "$tool" ] || { echo "clone_design: $tool not built" >&2; exit 2; }
work=$(mktemp -d /tmp/clone-design.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -n 6 "$shared/eval/sentences.txt" > "$work/s.txt"
total_s() { local t=0 f; for f in "$1"/*.wav; do t=$(awk -v a="$t" -v b="$(soxi -D "$f")" 'BEGIN{print a+b}'); done; echo "$t"; }
mkdir -p "$work/none"
"$tool" "$voice" "$work/none" "$work/s.txt" --none > /dev/null || exit 2
t0=$(total_s "$work/none")
fail=0
check() { # prompt want_st want_ratio
    local d="$work/p$RANDOM"; mkdir -p "$d"
    "$tool" "$voice" "$d" "$work/s.txt" --design "$1" > "$d.params" || { echo "clone_design: synthesis failed for '$1'"; fail=1; return; }
    "$tool" "$voice" "$work/again" /dev/null --design "$1" > "$d.params2" 2>/dev/null
    cmp -s "$d.params" "$d.params2" || { echo "clone_design: '$1' gave different parameters on a second run"; fail=1; }
    local st ratio
    st=$("$shared/eval/voice_distance.sh" "$d" "$work/none" | tail -n 1 | sed -n 's/.*F0_MEAN_DIFF_ST=\([-0-9.]*\).*/\1/p')
    ratio=$(awk -v a="$(total_s "$d")" -v b="$t0" 'BEGIN{printf "%.3f", a/b}')
    local ok=ok
    awk -v s="$st" -v w="$2" -v r="$ratio" -v wr="$3" \
        'BEGIN { exit (s - w <= 1.5 && w - s <= 1.5 && r / wr <= 1.1 && wr / r <= 1.1) ? 0 : 1 }' || { ok=FAIL; fail=1; }
    echo "clone_design: '$1': $(sed -n 's/^understood //p' "$d.params") F0 ${st} st (want $2), time x${ratio} (want $3) $ok"
}
mkdir -p "$work/again"
check "deep, slow, elderly male narrator" -12.2 1.32
check "bright young female, energetic, fast" 3.6 0.79
exit $fail
