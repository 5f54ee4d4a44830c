#!/bin/sh
# Output encoder speed (common/audio_encode.c): CPU ms per second of audio
# for every /speak format at the usual rates, resampling from the engine's
# 32 kHz included, and the resulting bitrate. See tests/tools/audio_encode_bench.c.
set -eu
B=${SCAISPEAK_BUILD:-build}
"$B/tests/audio_encode_bench" 10 3
