/* The conditioner: conditioning from a reference, a prompt or design
 * numbers against the model's own statistics (engine.h).
 *
 * Every way to a conditioned voice compares something with the model's own
 * speaker statistics, which cost about a second to measure (the voice speaks
 * a paragraph; voice/model_profile.h). The conditioner measures them once,
 * on first use, under a mutex, and keeps them for its lifetime; before it,
 * the node's engine adapter and the CLI each carried their own copy of this
 * logic. Everything else it holds is borrowed and immutable, so once the
 * profile exists the calls run concurrently. */
#include "node/engine/engine.h"

#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/model_profile.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct ss_conditioner {
    const ss_voice *base;
    ss_frontend *fe;
    pthread_mutex_t mu;         /* guards the two fields below */
    bool have_profile;
    ss_speaker_stats profile;
};

ss_conditioner *ss_conditioner_new(const ss_voice *base, ss_frontend *fe, char *err, size_t errlen)
{
    if (!base || !fe) {
        snprintf(err, errlen, "a conditioner needs a voice and a front end");
        return NULL;
    }
    ss_conditioner *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->base = base;
    c->fe = fe;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void ss_conditioner_free(ss_conditioner *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int ss_conditioner_model(ss_conditioner *c, ss_speaker_stats *out, char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    if (!c->have_profile) {
        rc = ss_model_profile_compute(c->base, c->fe, NULL, &c->profile, err, errlen);
        c->have_profile = rc == 0;
    }
    if (rc == 0)
        *out = c->profile;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ss_conditioner_from_reference(ss_conditioner *c, const uint8_t *data, size_t len, ss_conditioning *out,
                                  ss_reference_report *rep, char *reason, size_t reasonlen, char *err,
                                  size_t errlen)
{
    ss_speaker_stats model;
    if (reason && reasonlen)
        reason[0] = '\0';
    if (ss_conditioner_model(c, &model, err, errlen) != 0)
        return -1;
    return ss_reference_condition(data, len, &model, ss_voice_mcp_alpha(c->base), out, rep, reason, reasonlen,
                                  err, errlen);
}

int ss_conditioner_from_prompt(ss_conditioner *c, const char *prompt, ss_conditioning *out,
                               ss_design_understood *u, char *err, size_t errlen)
{
    ss_speaker_stats model;
    if (ss_conditioner_model(c, &model, err, errlen) != 0)
        return -1;
    return ss_voice_design_parse(prompt, model.lf0_mean, ss_voice_mcp_alpha(c->base), out, u, err, errlen);
}

int ss_conditioner_from_numbers(ss_conditioner *c, double f0_shift_st, double f0_range_scale,
                                double alpha_shift, double brightness, double energy_db, double rate_scale,
                                ss_conditioning *out, char *err, size_t errlen)
{
    ss_speaker_stats model;
    if (ss_conditioner_model(c, &model, err, errlen) != 0)
        return -1;
    return ss_voice_design_from_numbers(f0_shift_st, f0_range_scale, alpha_shift, brightness, energy_db,
                                        rate_scale, model.lf0_mean, ss_voice_mcp_alpha(c->base), out, err,
                                        errlen);
}
