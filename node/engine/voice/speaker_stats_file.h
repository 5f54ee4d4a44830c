/* A voice's own speaker statistics (speaker_stats.h) kept in a file, with
 * the key they were measured under, so that a process which runs once per
 * utterance (the CLI) need not measure its base voices again every time
 * (about 0.9 s of CPU per voice: model_profile.h, cg_profile.h).
 *
 * A file is a cache, never an exchange format: native byte order, and a
 * file whose key, version or struct size is not the reader's is STALE (the
 * caller measures again and rewrites it). The key is the caller's text
 * naming everything the statistics depend on (cli_base_stats.c: the
 * program, the libraries, the voice's and the front end's data files, the
 * CPU's kernel paths); it is stored whole and compared byte for byte.
 *
 * Layout: "SSSTATS\0", u32 format version, u32 sizeof(ss_speaker_stats),
 * u32 key length, the key, the struct's bytes; nothing after. A file that
 * does not parse, or whose numbers are not finite statistics (a voiced
 * frame count under the minimum, a bandwidth outside (0, 16000] Hz), is
 * DAMAGED. No global state. */
#ifndef SS_ENGINE_SPEAKER_STATS_FILE_H
#define SS_ENGINE_SPEAKER_STATS_FILE_H

#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>
#include <stdint.h>

/* The longest key a file may carry. */
#define SS_STATS_KEY_MAX 16384

typedef enum {
    SS_STATS_FILE_OK,
    SS_STATS_FILE_ABSENT,    /* no file (ss_speaker_stats_file_read only) */
    SS_STATS_FILE_STALE,     /* measured under another key, version or layout */
    SS_STATS_FILE_DAMAGED,   /* not a statistics file, or numbers that cannot be statistics */
    SS_STATS_FILE_NO_MEMORY,
} ss_stats_file_status;

/* Parses buf[0..len) measured under key. OK with *out, else why says what
 * is wrong (STALE, DAMAGED). */
ss_stats_file_status ss_speaker_stats_file_parse(const uint8_t *buf, size_t len, const char *key,
                                                 ss_speaker_stats *out, char *why, size_t whylen);

/* The bytes of a file holding s under key (malloc'd, *len bytes). NULL when
 * out of memory or the key is longer than SS_STATS_KEY_MAX. */
uint8_t *ss_speaker_stats_file_bytes(const ss_speaker_stats *s, const char *key, size_t *len);

/* Reads and parses the file at path (ABSENT when there is none; DAMAGED
 * also when it cannot be read). */
ss_stats_file_status ss_speaker_stats_file_read(const char *path, const char *key, ss_speaker_stats *out,
                                                char *why, size_t whylen);

/* Writes s under key to path atomically (a temporary file renamed over it,
 * so a reader sees the old file or the new one). 0, or -1 with err. */
int ss_speaker_stats_file_write(const char *path, const char *key, const ss_speaker_stats *s, char *err,
                                size_t errlen);

#endif
