/* The HTS full-context label (HTS_TTS_ENG, festival's hts.scm format),
 * read: the one place that knows where a label's fields are.
 *
 *   p1^p2-p3+p4=p5@p6_p7/A:a1_a2_a3/B:b1-b2-b3@b4-b5&b6-...
 *
 * A label line is "name" or festival's "start end name" (times ignored, as
 * libHTSEngine does without alignment). The front end writes labels
 * (frontend/label_writer.c); the acoustic model, timestamps and phrase cuts
 * read them through these functions. */
#ifndef SS_ENGINE_ACOUSTIC_LABEL_H
#define SS_ENGINE_ACOUSTIC_LABEL_H

#include <stddef.h>

/* The label name of a line "start end name" or "name": a pointer into line
 * and its length, or NULL when the line holds no label. */
const char *ss_label_name(const char *line, size_t *len);

/* The current phone (p3, between '-' and '+') into buf; 0 or -1. */
int ss_label_phone(const char *label, char *buf, size_t cap);

/* Word position fields: p6/p7 (phone position in syllable, forward and
 * backward) and b4/b5 (syllable position in word); -1 where the label says
 * "x" (pauses) or the field is missing. */
void ss_label_word_position(const char *label, long *p6, long *p7, long *b4, long *b5);

#endif
