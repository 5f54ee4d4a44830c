#!/bin/sh
# Speaker-blocklist error rates (docs/CLONING.md "Speaker blocklist"): every
# voice this machine can speak with says three different texts; each take is
# fingerprinted (gateway/speaker_fingerprint.c) and every pair compared.
# Voices: flite's kal, kal16, awb, rms, slt; festival's kal_diphone;
# espeak-ng's en+m1, en+m3, en+f2, en+f4; our engine's slt and two designed
# voices. Clips are made in a temporary folder (never committed). Prints the
# distances of every pair and the false accept / false reject counts for a
# grid of thresholds; asserts nothing.
set -eu
B=${SCAISPEAK_BUILD:-build}
tmp=$(mktemp -d /tmp/ss_speaker_eval.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/t1" <<'T'
The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. It is easy to tell the depth of a well. These days a chicken leg is a rare dish. Rice is often served in round bowls.
T
cat > "$tmp/t2" <<'T'
The juice of lemons makes fine punch. The box was thrown beside the parked truck. The hogs were fed chopped corn and garbage. Four hours of steady work faced us. A large size in stockings is hard to sell.
T
cat > "$tmp/t3" <<'T'
The boy was there when the sun rose. A rod is used to catch pink salmon. The source of the huge river is the clear spring. Kick the ball straight and follow through. Help the woman get back to her feet.
T
args=""
for t in t1 t2 t3; do
    for v in kal kal16 awb rms slt; do
        flite -voice "$v" -f "$tmp/$t" -o "$tmp/flite_$v.$t.wav"
        args="$args flite_$v:$t:$tmp/flite_$v.$t.wav"
    done
    text2wave -eval '(voice_kal_diphone)' -o "$tmp/fest_kal.$t.wav" "$tmp/$t" >/dev/null 2>&1
    args="$args festival_kal:$t:$tmp/fest_kal.$t.wav"
    for v in en+m1 en+m3 en+f2 en+f4; do
        espeak-ng -v "$v" -f "$tmp/$t" -w "$tmp/espeak_$v.$t.wav"
        args="$args espeak_$v:$t:$tmp/espeak_$v.$t.wav"
    done
    "$B/bin/scaispeak" synth -f "$tmp/$t" -o "$tmp/ours_slt.$t.wav" >/dev/null
    "$B/bin/scaispeak" synth -f "$tmp/$t" --design "deep male" -o "$tmp/ours_deep.$t.wav" >/dev/null
    "$B/bin/scaispeak" synth -f "$tmp/$t" --design "bright young female, fast" -o "$tmp/ours_bright.$t.wav" >/dev/null
    args="$args ours_slt:$t:$tmp/ours_slt.$t.wav ours_deep:$t:$tmp/ours_deep.$t.wav ours_bright:$t:$tmp/ours_bright.$t.wav"
done
# shellcheck disable=SC2086
"$B/tests/speaker_fingerprint_eval" $args
