/* `scaispeak synth --voice-ref CLIP` without --voice: the base voice a node
 * would clone the clip onto (see cli_base_choice.c). */
#ifndef SS_CLI_BASE_CHOICE_H
#define SS_CLI_BASE_CHOICE_H

#include "node/engine/engine.h"

#include <stddef.h>

/* The base nearest to the clip at path: *cg_engine gets "" when it is the
 * HTS voice hts, else the clustergen engine id ("rms", "awb", "slt_cg").
 * The choice is printed to stderr. 0, or -1 + err (an unusable clip, a
 * base whose statistics cannot be measured, out of memory). */
int ss_cli_nearest_base(const ss_voice *hts, ss_frontend *fe, const char *clip, char *cg_engine, size_t cap,
                        char *err, size_t errlen);

#endif
