/* `scaispeak synth --voice rms|awb|slt_cg`: flite's clustergen voices,
 * run in this process by the same orchestration the node serves them with
 * (engine/clustergen/cg_speak.h), so the CLI and a node give the same
 * samples for the same text, options and rate.
 *
 * The voice is loaded from its Debian library (cg_voice.h); the s16 audio
 * cg_speak streams is written to the WAV file as it comes, at --rate or,
 * without it, the voice's own 16 kHz (what a node sends when no rate is
 * asked). --voice-ref conditions the voice toward a clip the way a node
 * conditions a cloned voice whose base is this voice: the clip analysed
 * (reference_analysis.h), the voice's own statistics measured
 * (cg_profile.h; kept in the voice cache, cli_base_stats.h), the conditioning fitted between them at the voice's rate
 * and all-pass constant. --timestamps prints each piece's phones
 * ("phone N SYMBOL START_MS END_MS") and words ("word N chars A-B
 * START_MS END_MS TEXT", A-B its byte range in the text) as they come.
 * --labels (HTS labels) and --design (a prompt read against the HTS model)
 * are the HTS voice's; cli_synth.c refuses them for these voices. */
#include "cli/cli_synth_cg.h"

#include "cli/cli_base_choice.h"
#include "cli/cli_base_stats.h"
#include "node/engine/clustergen/cg_speak.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Audio per vocoded chunk: the node's default chunk_ms. */
#define CLI_CG_CHUNK_MS 200

typedef struct {
    SNDFILE *sf;
    size_t phones, words; /* printed so far (--timestamps numbering) */
    bool write_failed;
} cg_wav;

static int wav_audio(void *user, const int16_t *pcm, size_t n, uint64_t start)
{
    (void)start;
    cg_wav *w = user;
    if (sf_writef_short(w->sf, pcm, (sf_count_t)n) != (sf_count_t)n) {
        w->write_failed = true;
        return -1;
    }
    return 0;
}

static int print_timings(void *user, const ss_word_timing *words, size_t nwords, const ss_phoneme_timing *phones,
                         size_t nphones)
{
    cg_wav *w = user;
    for (size_t i = 0; i < nphones; i++)
        printf("phone %zu %s %u %u\n", w->phones + i, phones[i].symbol, phones[i].start_ms, phones[i].end_ms);
    for (size_t i = 0; i < nwords; i++)
        printf("word %zu chars %u-%u %u %u %s\n", w->words + i, words[i].char_start, words[i].char_end,
               words[i].start_ms, words[i].end_ms, words[i].text);
    w->phones += nphones;
    w->words += nwords;
    return 0;
}

bool ss_cli_is_cg_voice(const char *voice)
{
    return ss_cg_voice_spec_find(voice) != NULL;
}

/* The conditioning toward s's clip, fitted for voice v (the statistics
 * measured here unless s brings them). */
static int condition(ss_cg_voice *v, const ss_cli_cg_synth *s, ss_conditioning *cond, char *err, size_t errlen)
{
    ss_speaker_stats ref, own;
    if (!s->ref_stats && ss_cli_clip_stats(s->voice_ref, &ref, err, errlen) != 0)
        return -1;
    if (!s->voice_stats && ss_cli_cg_stats(v, s->engine_id, s->settings, &own, err, errlen) != 0)
        return -1;
    return ss_conditioning_fit_at_rate(s->voice_stats ? s->voice_stats : &own, s->ref_stats ? s->ref_stats : &ref,
                                       v->db->mlsa_alpha, v->db->sample_rate, cond, err, errlen);
}

/* Speaks s->text with v into the open file w. */
static int speak(ss_cg_voice *v, const ss_cli_cg_synth *s, cg_wav *w, char *err, size_t errlen)
{
    ss_conditioning cond;
    if (s->voice_ref && condition(v, s, &cond, err, errlen) != 0)
        return -1;
    const ss_cg_speak_options o = {.speed = s->speed, .pitch = s->pitch, .sample_rate = s->sample_rate,
                                   .chunk_ms = CLI_CG_CHUNK_MS, .timestamps = s->timestamps,
                                   .cond = s->voice_ref ? &cond : NULL};
    const ss_cg_speak_sink sink = {w, wav_audio, print_timings, NULL};
    ss_cg_speak_status rc = ss_cg_speak(v, s->text, &o, &sink, err, errlen);
    if (rc == SS_CG_SPEAK_STOPPED && w->write_failed)
        snprintf(err, errlen, "short write to %s", s->out_path);
    return rc == SS_CG_SPEAK_OK ? 0 : -1;
}

int ss_cli_synth_cg(const ss_cli_cg_synth *s, char *err, size_t errlen)
{
    const ss_cg_voice_spec *spec = ss_cg_voice_spec_find(s->engine_id);
    if (!spec) {
        snprintf(err, errlen, "unknown clustergen voice '%.32s' (known: %s)", s->engine_id, SS_CG_ENGINE_IDS);
        return -1;
    }
    ss_cg_voice *v = ss_cg_voice_load(spec->cg_name, err, errlen);
    if (!v)
        return -1;
    SF_INFO info = {.samplerate = s->sample_rate ? s->sample_rate : v->db->sample_rate, .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    cg_wav w = {.sf = sf_open(s->out_path, SFM_WRITE, &info)};
    if (!w.sf) {
        snprintf(err, errlen, "cannot write %s: %s", s->out_path, sf_strerror(NULL));
        ss_cg_voice_free(v);
        return -1;
    }
    int rc = speak(v, s, &w, err, errlen);
    if (sf_close(w.sf) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot finish %s", s->out_path);
        rc = -1;
    }
    if (rc != 0)
        unlink(s->out_path);
    ss_cg_voice_free(v);
    return rc;
}
