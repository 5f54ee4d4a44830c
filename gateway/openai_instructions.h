/* OpenAI's `instructions` field of POST /v1/audio/speech, read the way a
 * voice designer reads a prompt: for pace, pitch and energy.
 *
 * OpenAI's gpt-4o-mini-tts takes free text ("Speak slowly and calmly, in a
 * deep voice"). Our engine has two knobs a request can turn, speed and
 * pitch, so the text is scanned for known cue words and each cue multiplies
 * the speed and adds semitones to the pitch (the table in
 * openai_instructions.c: "slowly" x0.8, "fast" x1.25, "deep" -3 st,
 * "high-pitched" +3 st, "calm" x0.9 -1 st, "excited" x1.1 +2 st, ...).
 * An intensifier before a cue doubles it ("very slowly": x0.64), a softener
 * halves it ("slightly faster"), a negation drops it ("not too fast" is
 * ignored, not inverted). Each cue counts once however often it appears.
 * Words that are not cues are ignored, never errors: a prompt written for
 * OpenAI's model still works here, with the parts we cannot honour left out.
 *
 * What was understood is reported in words ("very slowly: speed x0.64;
 * deep: pitch -3 st"), so a caller can see exactly what the prompt did: the
 * X-Scaispeak-Instructions-Understood header and a log line with the
 * request id. The caller clamps the results to the route's ranges. */
#ifndef SS_GATEWAY_OPENAI_INSTRUCTIONS_H
#define SS_GATEWAY_OPENAI_INSTRUCTIONS_H

#include "gateway/gateway.h"
#include "gateway/speak_request.h"

#include <stddef.h>

#define GW_INSTRUCTIONS_HEADER "X-Scaispeak-Instructions-Understood"

typedef struct {
    double speed_factor;    /* product of the cues' factors; 1 when none */
    double pitch_semitones; /* sum of the cues' shifts; 0 when none */
    char understood[sizeof ((gw_speak_params *)0)->instructions_understood]; /* "" when none */
} gw_openai_instructions;

/* Reads len bytes of text (any bytes; only ASCII letters form words). */
void gw_openai_instructions_read(const char *text, size_t len, gw_openai_instructions *out);

/* When p came with instructions: the header above (what was understood, or
 * "nothing") on r's answer and one log line with r's id and the speed and
 * pitch the request ends with. Nothing otherwise. */
void gw_openai_instructions_report(gw_request *r, const gw_speak_params *p);

#endif
