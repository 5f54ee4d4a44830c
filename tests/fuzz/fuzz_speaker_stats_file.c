/* libFuzzer target: speaker statistics files (node/engine/voice/
 * speaker_stats_file.c), the CLI's cache of its base voices' statistics.
 * The bytes are parsed under the key they carry (when their header's
 * length fits, so the fuzzer gets past the key check and into the
 * statistics) and under a fixed key; what parses is written back and must
 * parse again to the same numbers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/voice/speaker_stats_file.h"

static void round_trip(const ss_speaker_stats *s, const char *key)
{
    size_t len = 0;
    uint8_t *b = ss_speaker_stats_file_bytes(s, key, &len);
    if (!b)
        return;
    ss_speaker_stats again;
    char why[256];
    if (ss_speaker_stats_file_parse(b, len, key, &again, why, sizeof why) != SS_STATS_FILE_OK ||
        memcmp(&again, s, sizeof again) != 0)
        abort();
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_speaker_stats s;
    char why[256];
    if (ss_speaker_stats_file_parse(data, size, "k", &s, why, sizeof why) == SS_STATS_FILE_OK)
        round_trip(&s, "k");
    uint32_t klen = 0;
    if (size >= 20)
        memcpy(&klen, data + 16, sizeof klen);
    if (klen > SS_STATS_KEY_MAX || size < 20 || size - 20 < klen)
        return 0;
    char *key = malloc(klen + 1);
    if (!key)
        return 0;
    memcpy(key, data + 20, klen);
    key[klen] = '\0';
    if (ss_speaker_stats_file_parse(data, size, key, &s, why, sizeof why) == SS_STATS_FILE_OK)
        round_trip(&s, key);
    free(key);
    return 0;
}
