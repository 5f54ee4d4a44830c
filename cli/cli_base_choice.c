/* Which base voice `scaispeak synth --voice-ref CLIP` speaks the clone
 * with when --voice is not given: the one a node with the default engines
 * would choose (node/clone_voice.h), so a male clip is spoken by a male
 * voice rather than the HTS slt voice pitched an octave down.
 *
 * The clip's speaker statistics (reference_analysis.h) are compared with
 * each base's own (base_choice.h's distance): the configured HTS voice
 * first (its model profile), then the clustergen voices in a node's
 * default cg_voices order (rms, awb, slt_cg; each loaded from its Debian
 * library and profiled by cg_profile.h), so ties go the way a node's do.
 * The bases' statistics are kept in the voice cache (cli_base_stats.h):
 * measuring them is most of the choice's cost. A clustergen voice whose
 * library cannot be loaded is left out of the choice with a note on stderr
 * (the node would refuse to start instead; the CLI still has the others). The choice and every
 * distance are printed to stderr. */
#include "cli/cli_base_choice.h"

#include "cli/cli_base_stats.h"
#include "cli/cli_files.h"
#include "common/audio_input.h"
#include "node/engine/clustergen/cg_voice.h"
#include "node/engine/voice/base_choice.h"
#include "node/engine/voice/reference_analysis.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_BASES 8

typedef struct {
    const char *name;        /* "" for the HTS voice */
    ss_speaker_stats stats;
    bool have;
} base_stats;

int ss_cli_clip_stats(const char *path, ss_speaker_stats *out, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = ss_cli_read_file(path, SS_AUDIO_MAX_BYTES, &len, err, errlen);
    if (!data)
        return -1;
    ss_reference_report rep;
    char reason[64];
    int rc = ss_reference_analyse((const uint8_t *)data, len, &rep, reason, sizeof reason, err, errlen);
    free(data);
    if (rc == 0)
        *out = rep.stats;
    return rc;
}

/* A clustergen voice's own statistics; 1 when its library is not there. */
static int cg_stats(const ss_cg_voice_spec *spec, const ss_settings *settings, ss_speaker_stats *out, char *err,
                    size_t errlen)
{
    char why[256];
    ss_cg_voice *v = ss_cg_voice_load(spec->cg_name, why, sizeof why);
    if (!v) {
        fprintf(stderr, "scaispeak synth: --voice-ref: %s left out of the choice: %s\n", spec->engine_id, why);
        return 1;
    }
    int rc = ss_cli_cg_stats(v, spec->engine_id, settings, out, err, errlen);
    ss_cg_voice_free(v);
    return rc;
}

/* Every base's statistics, in the node's order; *n bases. */
static int gather(const ss_voice *hts, const char *hts_path, ss_frontend *fe, const ss_settings *settings,
                  base_stats *b, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    b[0] = (base_stats){.name = ""};
    if (ss_cli_hts_stats(hts, hts_path, fe, settings, &b[0].stats, err, errlen) != 0)
        return -1;
    b[(*n)++].have = true;
    for (size_t i = 0; *n < MAX_BASES && ss_cg_voice_spec_at(i); i++) {
        const ss_cg_voice_spec *spec = ss_cg_voice_spec_at(i);
        b[*n] = (base_stats){.name = spec->engine_id};
        int rc = cg_stats(spec, settings, &b[*n].stats, err, errlen);
        if (rc < 0)
            return -1;
        b[(*n)++].have = rc == 0;
    }
    return 0;
}

int ss_cli_nearest_base(const ss_voice *hts, const char *hts_path, ss_frontend *fe, const ss_settings *settings,
                        const char *clip, ss_cli_base_choice *out, char *err, size_t errlen)
{
    ss_speaker_stats ref;
    base_stats b[MAX_BASES];
    size_t n;
    if (ss_cli_clip_stats(clip, &ref, err, errlen) != 0 ||
        gather(hts, hts_path, fe, settings, b, &n, err, errlen) != 0)
        return -1;
    const ss_speaker_stats *bases[MAX_BASES];
    for (size_t i = 0; i < n; i++)
        bases[i] = b[i].have ? &b[i].stats : NULL;
    double d = 0;
    long k = ss_choice_nearest(&ref, bases, n, &d);
    if (k < 0) {
        snprintf(err, errlen, "no base voice is comparable with the reference");
        return -1;
    }
    fprintf(stderr, "scaispeak synth: --voice-ref: nearest base voice %s (distance %.2f:",
            b[k].name[0] ? b[k].name : "the HTS voice", d);
    for (size_t i = 0; i < n; i++)
        if (bases[i])
            fprintf(stderr, " %s %.2f", b[i].name[0] ? b[i].name : "hts", ss_choice_distance(&ref, bases[i]));
    fprintf(stderr, ")\n");
    snprintf(out->cg_engine, sizeof out->cg_engine, "%s", b[k].name);
    out->ref = ref;
    out->base = b[k].stats;
    return 0;
}
