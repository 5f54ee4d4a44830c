/* Unit tests for node/engine/voice/conditioner.c: the model's statistics are
 * measured once and then the same for every caller (also from several
 * threads at once); a prompt, design numbers and a bad reference each give
 * their answer through the one object. */
#include "node/engine/engine.h"

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static ss_voice *voice;
static ss_frontend *fe;
static ss_conditioner *cond;

static void setup(void)
{
    char err[256];
    voice = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(voice, "%s", err);
    fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
    cond = ss_conditioner_new(voice, fe, err, sizeof err);
    cr_assert_not_null(cond, "%s", err);
}

static void teardown(void)
{
    ss_conditioner_free(cond);
    ss_frontend_free(fe);
    ss_voice_free(voice);
}

TestSuite(conditioner, .init = setup, .fini = teardown, .timeout = 120);

static void *measure(void *arg)
{
    ss_speaker_stats *out = arg;
    char err[256];
    return (void *)(intptr_t)ss_conditioner_model(cond, out, err, sizeof err);
}

Test(conditioner, model_measured_once_same_for_every_thread)
{
    pthread_t t[4];
    ss_speaker_stats s[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, measure, &s[i]);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        cr_assert_eq((intptr_t)rc, 0);
    }
    for (int i = 1; i < 4; i++)
        cr_expect_eq(memcmp(&s[0], &s[i], sizeof s[0]), 0, "thread %d saw other statistics", i);
    cr_expect(s[0].lf0_mean > 4.5 && s[0].lf0_mean < 6.0, "slt's log F0 mean %.3f", s[0].lf0_mean);
}

Test(conditioner, prompt_and_numbers)
{
    char err[256];
    ss_conditioning c;
    ss_design_understood u;
    cr_assert_eq(ss_conditioner_from_prompt(cond, "deep, slow, elderly male narrator", &c, &u, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(u.gender, "male");
    cr_expect(c.lf0_shift < 0, "a male prompt lowers F0");
    cr_expect(c.duration_scale > 1, "slow lengthens");
    cr_assert_eq(ss_conditioner_from_numbers(cond, 3, 1, 0, 0, 0, 1, &c, err, sizeof err), 0, "%s", err);
    cr_expect(c.lf0_shift > 0);
    cr_expect_neq(ss_conditioner_from_numbers(cond, NAN, 1, 0, 0, 0, 1, &c, err, sizeof err), 0,
                  "a shift that is not a number is refused");
}

Test(conditioner, unreadable_reference_refused_with_a_reason)
{
    char err[256], reason[64];
    ss_conditioning c;
    static const uint8_t junk[] = "this is not audio at all, just text pretending";
    cr_expect_neq(ss_conditioner_from_reference(cond, junk, sizeof junk, &c, NULL, reason, sizeof reason, err,
                                                sizeof err),
                  0);
    cr_expect(reason[0] != '\0', "a short reason is given (err: %s)", err);
}
