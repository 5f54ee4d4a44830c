#!/bin/sh
# Engine speed, issue 17's targets, against libHTSEngine 1.10, flite (rms
# voice) and espeak-ng measured in the same run on the same text (the 20
# eval sentences; festival's labels of them for hts_engine and our engine).
#
# Figures (single core; CPU time, best of BENCH_REPEAT):
#   engine RTF        labels -> 32 kHz, our stages vs hts_engine's on the same
#                     labels (tests/tools/engine_bench);
#   4 streams         aggregate RTF of 4 threads pinned to one core, each
#                     synthesising all 20 (engine_bench --streams 4);
#   first chunk       streamed synthesis of a sentence with an interior pause:
#                     this thread's CPU time to the first chunk (the wall time
#                     is printed too; the machine is shared);
#   text -> WAV       whole process, CPU per audio second: scaispeak synth,
#                     flite -voice rms, espeak-ng, on the same text file;
#   one sentence      whole process CPU for the first sentence (flite and
#                     espeak-ng have no streamed first chunk to compare with);
#   RSS               peak RSS of those runs; ours also for 1 MB of text
#                     (tests/tools/speak_first_chunk, stopped after
#                     RSS_CHUNKS chunks: memory is per sentence, see
#                     docs/PERFORMANCE.md).
# Targets (issue 17 point 4): RTF <= 0.002 and <= 0.065 x hts_engine, 4
# streams <= 0.0012, first chunk <= 5 ms, RSS of 1 MB of text <= 40 MB.
# This VM's speed drifts by up to 40 % between runs (hts_engine on the same
# labels measured 0.031-0.044), so the 4-stream target is also checked as a
# ratio to hts_engine in the same run: 0.0012 / 0.031 (hts_engine's RTF when
# the issue set the target) = 0.0387, as the engine RTF target has its 0.065.
# Exits 1 when a target is missed by more than 20 %, 2 on setup errors.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
voice=${SS_VOICE:-/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice}
text="$root/tests/data/harvard_sentences.txt"
repeat=${BENCH_REPEAT:-3}
rss_chunks=${RSS_CHUNKS:-300}
tool="$B/tests/engine_bench"
for t in "$tool" "$B/tests/speak_first_chunk" "$B/tests/proc_cost" "$B/bin/scaispeak"; do
    [ -x "$t" ] || { echo "engine_bench: $t not built" >&2; exit 2; }
done
for t in flite espeak-ng; do
    command -v $t >/dev/null || { echo "engine_bench: $t not installed (make deps)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/engine-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/lab"
"$root/tests/oracle/festival_labels.sh" "$text" "$work/lab" >/dev/null || exit 2
out=$("$tool" "$voice" "$work"/lab/*.lab --repeat "$repeat" --streams 4) || { echo "$out"; exit 2; }
echo "$out"
field() { echo "$out" | awk -v k="$1" '/^RESULT / { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }'; }

# seconds of audio in a WAV file
wav_s() { /usr/bin/python3 -c 'import sys, wave; w = wave.open(sys.argv[1]); print(w.getnframes() / w.getframerate())' "$1"; }
# best of $repeat runs of a command writing $work/o.wav: "cpu_s peak_kb audio_s"
# (tests/tools/proc_cost: rusage in microseconds; GNU time prints 10 ms)
measure() {
    best=""
    for r in $(seq 1 "$repeat"); do
        rm -f "$work/o.wav"
        t=$("$B/tests/proc_cost" "$@") || return 1
        best=$(echo "$t $best" | awk '{if ($3 == "" || $1 < $3) print $1, $2; else print $3, $4}')
    done
    echo "$best $(wav_s "$work/o.wav")"
}
head -n 1 "$text" > "$work/one.txt"
m_ours=$(measure "$B/bin/scaispeak" synth -f "$text" -o "$work/o.wav") || exit 2
m_flite=$(measure flite -voice rms -f "$text" -o "$work/o.wav") || exit 2
m_espeak=$(measure espeak-ng -f "$text" -w "$work/o.wav") || exit 2
o_ours=$(measure "$B/bin/scaispeak" synth -f "$work/one.txt" -o "$work/o.wav") || exit 2
o_flite=$(measure flite -voice rms -f "$work/one.txt" -o "$work/o.wav") || exit 2
o_espeak=$(measure espeak-ng -f "$work/one.txt" -w "$work/o.wav") || exit 2

/usr/bin/python3 -c "
import sys
s = ''.join(open(sys.argv[1]).readlines())
sys.stdout.write((s * (1048576 // len(s) + 1))[:1048576])" "$text" > "$work/1mb.txt"
rss_line=$("$B/tests/speak_first_chunk" "$voice" "$work/1mb.txt" 1 "$rss_chunks") || exit 2
rss_mb=$(echo "$rss_line" | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p')

awk -v rtf="$(field ours_rtf)" -v hts="$(field hts_rtf)" -v ratio="$(field ratio)" \
    -v s4="$(field streams_rtf)" -v fc="$(field first_chunk_cpu_ms)" -v fcw="$(field first_chunk_ms)" \
    -v mo="$m_ours" -v mf="$m_flite" -v me="$m_espeak" -v oo="$o_ours" -v of="$o_flite" -v oe="$o_espeak" \
    -v rss="$rss_mb" -v rss_line="$rss_line" -v chunks="$rss_chunks" '
function rtf_of(m, a) { split(m, a, " "); return a[1] / a[3] }
function ms_of(m, a) { split(m, a, " "); return a[1] * 1000 }
function mb_of(m, a) { split(m, a, " "); return a[2] / 1024 }
function check(name, value, target, unit,   verdict) {
    verdict = value <= target ? "met" : (value <= 1.2 * target ? "missed (within 20 %)" : "MISSED by more than 20 %")
    if (value > 1.2 * target) failed = 1
    printf "TARGET %-34s %10.5g %-3s (target %g)  %s\n", name, value, unit, target, verdict
}
BEGIN {
    f_rtf = rtf_of(mf); e_rtf = rtf_of(me); p_rtf = rtf_of(mo)
    print ""
    print "same text, same run, CPU per second of audio (text -> WAV, whole process):"
    printf "  scaispeak synth %.5f   flite rms %.5f   espeak-ng %.5f   hts_engine (labels, engine only) %.5f\n", p_rtf, f_rtf, e_rtf, hts
    printf "one sentence, whole process CPU: scaispeak %.1f ms   flite rms %.1f ms   espeak-ng %.1f ms\n", ms_of(oo), ms_of(of), ms_of(oe)
    printf "peak RSS, 20 sentences: scaispeak %.1f MB   flite rms %.1f MB   espeak-ng %.1f MB\n", mb_of(mo), mb_of(mf), mb_of(me)
    printf "1 MB of text (stopped after %d chunks): %s\n", chunks, rss_line
    print ""
    printf "%-34s %10s %10s %10s %10s\n", "figure (ours) / ratio to:", "ours", "hts_engine", "flite rms", "espeak-ng"
    printf "%-34s %10.5f %10.3f %10.3f %10.3f\n", "engine RTF (labels -> 32 kHz)", rtf, rtf / hts, rtf / f_rtf, rtf / e_rtf
    printf "%-34s %10.5f %10.3f %10.3f %10.3f\n", "4 streams on one core, aggregate", s4, s4 / hts, s4 / f_rtf, s4 / e_rtf
    printf "%-34s %10.5f %10s %10.3f %10.3f\n", "text -> WAV, whole process", p_rtf, "-", p_rtf / f_rtf, p_rtf / e_rtf
    printf "%-34s %10.1f %10s %10.3f %10.3f\n", "first chunk, ms CPU (" fcw " ms wall)", fc, "-", fc / ms_of(of), fc / ms_of(oe)
    printf "%-34s %10.1f %10s %10.3f %10.3f\n", "peak RSS MB, 1 MB text", rss, "-", rss / mb_of(mf), rss / mb_of(me)
    print "(first chunk and RSS ratios: against their whole one-sentence run and their 20-sentence RSS)"
    print ""
    check("engine RTF", rtf, 0.002, "")
    check("engine RTF / hts_engine", ratio, 0.065, "")
    check("4 streams aggregate RTF", s4, 0.0012, "")
    check("4 streams aggregate / hts_engine", s4 / hts, 0.0012 / 0.031, "")
    check("first chunk of one sentence", fc, 5, "ms")
    check("peak RSS, 1 MB of text", rss, 40, "MB")
    exit failed
}'
