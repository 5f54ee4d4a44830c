/* IPA -> ARPAbet for SSML <phoneme alphabet="ipa"> (common English IPA). */
#ifndef SS_ENGINE_SSML_IPA_H
#define SS_ENGINE_SSML_IPA_H

#include <stddef.h>

/* Converts an IPA string (UTF-8) to ARPAbet phones "hh ax0 l ow1"; -1 with
 * a message naming the first symbol it does not know. */
int ss_ipa_to_arpabet(const char *ipa, char *out, size_t outlen, char *err, size_t errlen);

#endif
