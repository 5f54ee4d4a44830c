#!/bin/sh
# Test oracle: festival's own HTS full-context labels for each line of a text
# file, as festival's hts.scm writes them for the cmu_us_slt_arctic_hts voice
# (the labels the voice was trained on). Test-only: the product never runs
# festival.
#
#   festival_labels.sh SENTENCES_FILE OUT_DIR
#
# Writes OUT_DIR/01.lab, 02.lab, ... (one per non-empty line), each line
# "start end label" with festival's HTS-predicted times (100 ns units), and
# OUT_DIR/NN.txt with the sentence. One festival process for the whole file.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SENTENCES_FILE OUT_DIR" >&2; exit 2; }
in=$1; out=$2
mkdir -p "$out"
scm=$(mktemp)
trap 'rm -f "$scm"' EXIT
echo "(voice_cmu_us_slt_arctic_hts)" > "$scm"
n=0
while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$(echo "$line" | tr -d '[:space:]')" ] || continue
    n=$((n + 1))
    id=$(printf '%02d' "$n")
    printf '%s\n' "$line" > "$out/$id.txt"
    # Scheme string: escape backslashes and double quotes.
    esc=$(printf '%s' "$line" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf '(set! utt (Utterance Text "%s"))\n(utt.synth utt)\n(hts_dump_feats utt hts_feats_list "%s/%s.lab")\n' \
        "$esc" "$out" "$id" >> "$scm"
done < "$in"
festival -b "$scm" > /dev/null
for i in $(seq 1 "$n"); do
    f="$out/$(printf '%02d' "$i").lab"
    [ -s "$f" ] || { echo "festival_labels.sh: festival wrote no labels for line $i" >&2; exit 1; }
done
echo "festival_labels.sh: $n label files in $out"
