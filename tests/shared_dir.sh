#!/bin/sh
# Prints the team's shared folder (spec/, eval/: the WER and voice-distance
# tools the quality tests call) for this checkout: $SCAISPEAK_SHARED when
# set, else ../shared next to the checkout, else ../shared next to the
# repository this one was cloned from (so `git clone /work/main /tmp/x &&
# make test` finds it too). The Makefile exports the answer.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${SCAISPEAK_SHARED:-}" ]; then echo "$SCAISPEAK_SHARED"; exit 0; fi
origin=$(git -C "$root" config --get remote.origin.url 2>/dev/null)
for d in "$root/../shared" "${origin:+$origin/../shared}"; do
    if [ -n "$d" ] && [ -d "$d/eval" ]; then (cd "$d" && pwd); exit 0; fi
done
echo "$root/../shared"
