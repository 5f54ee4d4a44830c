#!/bin/bash
# Bad references (issue 6 "Checks"): silence, noise only, heavy clipping,
# 0.5 s, 10 minutes, a corrupt file, a truncated file, a text file named
# .wav each give `analysis_failed` with their reason from the analyze tool
# (`scaispeak analyze`) and no crash; a good 15 s reference
# in WAV, FLAC, Ogg Vorbis and MP3 is accepted; mutated files never crash it.
# Exits 1 on a failed check, 2 on setup errors.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${SCAISPEAK_BUILD:-$root/build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
tool="$B/bin/scaispeak"
[ -x "$tool" ] || { echo "clone_bad_refs: $tool not built" >&2; exit 2; }
command -v flite >/dev/null && command -v sox >/dev/null || { echo "clone_bad_refs: needs flite and sox" >&2; exit 2; }
work=$(mktemp -d /tmp/clone-bad.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "The old lighthouse keeper climbed the winding stairs every evening. He polished the great lens until it gleamed, and then he lit the lamp. Ships far out at sea could see the beam sweeping across the dark water." > "$work/t.txt"
flite -voice rms -f "$work/t.txt" -o "$work/raw.wav" && sox "$work/raw.wav" "$work/good.wav" trim 0 12 || exit 2
fail=0
expect() { # file reason
    out=$("$tool" analyze "$1" 2>&1); rc=$?
    if [ $rc -ge 128 ]; then echo "clone_bad_refs: CRASH (rc $rc) on $(basename "$1")"; fail=1; return; fi
    if [ "$2" = ok ]; then
        if [ $rc -eq 0 ] || [ $rc -eq 3 ]; then echo "clone_bad_refs: $(basename "$1"): accepted (rc $rc)"
        else echo "clone_bad_refs: $(basename "$1"): FAIL, rejected: $(echo "$out" | grep -m1 analysis_failed)"; fail=1; fi
        return
    fi
    line=$(echo "$out" | grep -m1 -o "analysis_failed: [a-z_]*")
    if [ $rc -eq 1 ] && [ "$line" = "analysis_failed: $2" ]; then
        echo "clone_bad_refs: $(basename "$1"): $line (ok)"
    else
        echo "clone_bad_refs: $(basename "$1"): FAIL, want analysis_failed: $2, got rc $rc '$line'"; fail=1
    fi
}
sox -V1 -n -r 16000 -c 1 -b 16 "$work/silence.wav" trim 0 10
sox -V1 -R -n -r 16000 -c 1 -b 16 "$work/noise.wav" synth 10 whitenoise vol 0.3  # -R: the same noise every run
sox -V1 "$work/good.wav" "$work/clipped.wav" gain 24 2>/dev/null
sox -V1 "$work/good.wav" "$work/short.wav" trim 0 0.5
sox -V1 "$work/good.wav" "$work/ten_minutes.wav" repeat 50
cp "$work/good.wav" "$work/corrupt.wav"
printf 'garbage!garbage!garbage!garbage!garbage!' | dd of="$work/corrupt.wav" bs=1 seek=0 conv=notrunc 2>/dev/null
head -c 20000 "$work/good.wav" > "$work/truncated.wav"
echo "this is not audio, just a text file with a .wav name" > "$work/text.wav"
: > "$work/empty.wav"
expect "$work/silence.wav" silent
expect "$work/noise.wav" noise_only
expect "$work/clipped.wav" clipped
expect "$work/short.wav" too_short
expect "$work/ten_minutes.wav" too_long
expect "$work/corrupt.wav" unreadable
expect "$work/truncated.wav" truncated
expect "$work/text.wav" unreadable
expect "$work/empty.wav" empty
sox -V1 "$work/good.wav" "$work/good.flac"
sox -V1 "$work/good.wav" -c 2 "$work/good_stereo.ogg"
sox -V1 "$work/good.wav" -r 44100 "$work/good.mp3" 2>/dev/null || cp "$work/good.wav" "$work/good.mp3"
for f in good.wav good.flac good_stereo.ogg good.mp3; do expect "$work/$f" ok; done
# brief mutation fuzz of the decoders' wrapper through the whole analysis
for i in 1 2 3 4 5 6 7 8; do
    for f in good.flac good_stereo.ogg good.mp3; do
        python3 - "$work/$f" "$work/m_$f" "$i" <<'PY'
import random, sys
d = bytearray(open(sys.argv[1], 'rb').read()); r = random.Random(int(sys.argv[3]) * 7919 + len(d))
for _ in range(1 + r.randrange(40)): d[r.randrange(len(d))] = r.randrange(256)
if r.random() < 0.3: d = d[:r.randrange(len(d))]
open(sys.argv[2], 'wb').write(d)
PY
        "$tool" analyze "$work/m_$f" > /dev/null 2>&1; rc=$?
        [ $rc -lt 128 ] || { echo "clone_bad_refs: CRASH (rc $rc) on mutation $i of $f"; cp "$work/m_$f" "/tmp/clone-crash-$i-$f"; fail=1; }
    done
done
[ $fail -eq 0 ] && echo "clone_bad_refs: all checks passed"
exit $fail
