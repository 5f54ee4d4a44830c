/* Speaker statistics files; see speaker_stats_file.h for the layout and
 * its rules. The parser reads only what the lengths it checked allow, so a
 * damaged file is reported, never read past (tests/fuzz/
 * fuzz_speaker_stats_file.c). No global state. */
#include "node/engine/voice/speaker_stats_file.h"

#include "common/file_replace.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATS_MAGIC "SSSTATS"
#define STATS_VERSION 1u
#define HEADER_BYTES (8 + 3 * 4)

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Whether every number of s can be a voice's statistics. */
static int stats_plausible(const ss_speaker_stats *s)
{
    if (!isfinite(s->lf0_mean) || !isfinite(s->lf0_std) || s->lf0_std < 0 || !isfinite(s->speech_s) ||
        s->speech_s < 0 || !isfinite(s->syllable_rate) || s->syllable_rate < 0 ||
        !(s->bandwidth_hz > 0 && s->bandwidth_hz <= 16000) || s->voiced_frames < SS_SPEAKER_MIN_VOICED_FRAMES)
        return 0;
    for (size_t m = 0; m <= SS_MCEP_ORDER; m++)
        if (!isfinite(s->lta_mcep[m]))
            return 0;
    return 1;
}

ss_stats_file_status ss_speaker_stats_file_parse(const uint8_t *buf, size_t len, const char *key,
                                                 ss_speaker_stats *out, char *why, size_t whylen)
{
    if (len < HEADER_BYTES || memcmp(buf, STATS_MAGIC, sizeof STATS_MAGIC) != 0) {
        snprintf(why, whylen, "not a speaker statistics file");
        return SS_STATS_FILE_DAMAGED;
    }
    const uint32_t version = u32_at(buf + 8), size = u32_at(buf + 12), klen = u32_at(buf + 16);
    if (version != STATS_VERSION || size != sizeof(ss_speaker_stats)) {
        snprintf(why, whylen, "format %u with %u-byte statistics (this program: %u, %zu)", version, size,
                 STATS_VERSION, sizeof(ss_speaker_stats));
        return SS_STATS_FILE_STALE;
    }
    if (klen > SS_STATS_KEY_MAX || len - HEADER_BYTES < klen || len - HEADER_BYTES - klen != size) {
        snprintf(why, whylen, "%zu bytes do not hold a %u-byte key and the statistics", len, klen);
        return SS_STATS_FILE_DAMAGED;
    }
    if (strlen(key) != klen || memcmp(buf + HEADER_BYTES, key, klen) != 0) {
        snprintf(why, whylen, "measured by another program, voice or library");
        return SS_STATS_FILE_STALE;
    }
    ss_speaker_stats s;
    memcpy(&s, buf + HEADER_BYTES + klen, sizeof s);
    if (!stats_plausible(&s)) {
        snprintf(why, whylen, "numbers that cannot be a voice's statistics");
        return SS_STATS_FILE_DAMAGED;
    }
    *out = s;
    return SS_STATS_FILE_OK;
}

uint8_t *ss_speaker_stats_file_bytes(const ss_speaker_stats *s, const char *key, size_t *len)
{
    const size_t klen = strlen(key);
    if (klen > SS_STATS_KEY_MAX)
        return NULL;
    *len = HEADER_BYTES + klen + sizeof *s;
    uint8_t *b = malloc(*len);
    if (!b)
        return NULL;
    const uint32_t h[3] = {STATS_VERSION, (uint32_t)sizeof *s, (uint32_t)klen};
    memcpy(b, STATS_MAGIC, sizeof STATS_MAGIC);
    memcpy(b + 8, h, sizeof h);
    memcpy(b + HEADER_BYTES, key, klen);
    memcpy(b + HEADER_BYTES + klen, s, sizeof *s);
    return b;
}

ss_stats_file_status ss_speaker_stats_file_read(const char *path, const char *key, ss_speaker_stats *out,
                                                char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? SS_STATS_FILE_ABSENT : SS_STATS_FILE_DAMAGED;
    }
    /* One byte more than the largest valid file tells a longer one apart. */
    const size_t cap = HEADER_BYTES + SS_STATS_KEY_MAX + sizeof(ss_speaker_stats) + 1;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        close(fd);
        snprintf(why, whylen, "out of memory");
        return SS_STATS_FILE_NO_MEMORY;
    }
    size_t len = 0;
    ssize_t r = 0;
    while (len < cap && ((r = read(fd, buf + len, cap - len)) > 0 || (r < 0 && errno == EINTR)))
        len += r > 0 ? (size_t)r : 0;
    ss_stats_file_status st;
    if (r < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        st = SS_STATS_FILE_DAMAGED;
    } else {
        st = ss_speaker_stats_file_parse(buf, len, key, out, why, whylen);
    }
    close(fd);
    free(buf);
    return st;
}

int ss_speaker_stats_file_write(const char *path, const char *key, const ss_speaker_stats *s, char *err,
                                size_t errlen)
{
    size_t len = 0;
    uint8_t *b = ss_speaker_stats_file_bytes(s, key, &len);
    if (!b) {
        snprintf(err, errlen, strlen(key) > SS_STATS_KEY_MAX ? "statistics key too long" : "out of memory");
        return -1;
    }
    const ss_file_part part = {b, len};
    int rc = ss_file_replace(path, &part, 1, err, errlen);
    free(b);
    return rc;
}
