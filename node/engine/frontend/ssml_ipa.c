/* IPA -> ARPAbet (see ssml_ipa.h). Longest match against a table of the
 * common English IPA symbols (so affricates and diphthongs win over their
 * parts); the primary stress mark puts a 1 on the next vowel, other vowels
 * get 0; secondary stress, length marks, syllable dots, spaces, slashes and
 * brackets are ignored. */
#include "node/engine/frontend/ssml_ipa.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *ipa, *arpa;
    int vowel;
} IPA[] = {
    {"t\xca\x83", "ch", 0}, {"d\xca\x92", "jh", 0}, {"e\xc9\xaa", "ey", 1}, {"a\xc9\xaa", "ay", 1},
    {"\xc9\x94\xc9\xaa", "oy", 1}, {"a\xca\x8a", "aw", 1}, {"o\xca\x8a", "ow", 1},
    {"\xc9\x99\xca\x8a", "ow", 1}, {"\xc9\x9d", "er", 1}, {"\xc9\x9a", "er", 1},
    {"\xc9\x91", "aa", 1}, {"\xc3\xa6", "ae", 1}, {"\xca\x8c", "ah", 1}, {"\xc9\x94", "ao", 1},
    {"\xc9\x99", "ax", 1}, {"\xc9\x9b", "eh", 1}, {"\xc9\xaa", "ih", 1}, {"i", "iy", 1},
    {"\xca\x8a", "uh", 1}, {"u", "uw", 1}, {"e", "ey", 1}, {"o", "ow", 1}, {"a", "aa", 1},
    {"\xce\xb8", "th", 0}, {"\xc3\xb0", "dh", 0}, {"\xca\x83", "sh", 0}, {"\xca\x92", "zh", 0},
    {"\xc5\x8b", "ng", 0}, {"\xc9\xb9", "r", 0}, {"r", "r", 0}, {"j", "y", 0}, {"\xc9\xa1", "g", 0},
    {"g", "g", 0}, {"h", "hh", 0}, {"b", "b", 0}, {"d", "d", 0}, {"f", "f", 0}, {"k", "k", 0},
    {"l", "l", 0}, {"m", "m", 0}, {"n", "n", 0}, {"p", "p", 0}, {"s", "s", 0}, {"t", "t", 0},
    {"v", "v", 0}, {"w", "w", 0}, {"z", "z", 0}, {"\xc9\xbe", "t", 0},
};

int ss_ipa_to_arpabet(const char *ipa, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t k = 0;
    int pending_stress = 0;
    out[0] = 0;
    for (const char *p = ipa; *p;) {
        if (!strncmp(p, "\xcb\x88", 2)) { pending_stress = 1; p += 2; continue; } /* primary */
        if (!strncmp(p, "\xcb\x8c", 2)) { p += 2; continue; }                     /* secondary */
        if (!strncmp(p, "\xcb\x90", 2)) { p += 2; continue; }                     /* length */
        if (*p == '.' || *p == ' ' || *p == '/' || *p == '[' || *p == ']') { p++; continue; }
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < sizeof IPA / sizeof IPA[0]; i++) {
            size_t l = strlen(IPA[i].ipa);
            if (l > best && !strncmp(p, IPA[i].ipa, l)) best = l, bi = i;
        }
        if (!best) {
            snprintf(err, errlen, "unknown IPA symbol at '%.6s'", p);
            return -1;
        }
        char ph[8];
        snprintf(ph, sizeof ph, "%s%s", IPA[bi].arpa,
                 IPA[bi].vowel ? (pending_stress ? "1" : "0") : "");
        if (IPA[bi].vowel) pending_stress = 0;
        size_t pl = strlen(ph);
        if (k + pl + 2 > outlen) {
            snprintf(err, errlen, "IPA transcription too long");
            return -1;
        }
        if (k) out[k++] = ' ';
        memcpy(out + k, ph, pl + 1);
        k += pl;
        p += best;
    }
    if (!k) {
        snprintf(err, errlen, "empty IPA transcription");
        return -1;
    }
    return 0;
}
