#!/bin/sh
# Output encoder speed (common/audio_encode*.c): CPU ms per second of audio
# for every format in file and stream mode at 24 and 48 kHz (resampling
# from the engine's 32 kHz included) and the resulting bitrate, on the
# engine's own speech: a paragraph synthesised with `scaispeak synth` into a
# temporary file (never committed). See tests/tools/audio_encode_bench.c;
# docs/PERFORMANCE.md ("Output encoders") has the figures and targets.
set -eu
B=${SCAISPEAK_BUILD:-build}
tmp=$(mktemp -d /tmp/ss_encode_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/text.txt" <<'TEXT'
The birch canoe slid on the smooth planks. Glue the sheet to the dark blue
background. It is easy to tell the depth of a well. These days a chicken leg
is a rare dish. Rice is often served in round bowls. The juice of lemons
makes fine punch. The box was thrown beside the parked truck. The hogs were
fed chopped corn and garbage. Four hours of steady work faced us. A large
size in stockings is hard to sell.
TEXT
"$B/bin/scaispeak" synth -f "$tmp/text.txt" -o "$tmp/speech.wav" >/dev/null
"$B/tests/audio_encode_bench" --input "$tmp/speech.wav" 30 5
