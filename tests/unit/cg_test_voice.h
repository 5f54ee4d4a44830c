/* What the clustergen unit suites share (test_cg_voices.c,
 * test_cg_conditioning.c): the sentence they speak and loading a voice by
 * name with the load error in the failure message. Header-only: included by
 * one suite file each. */
#ifndef SS_TESTS_CG_TEST_VOICE_H
#define SS_TESTS_CG_TEST_VOICE_H

#include "node/engine/clustergen/cg_voice.h"

#include <criterion/criterion.h>

static const char *const sentence = "The birch canoe slid on the smooth planks.";

static inline ss_cg_voice *load(const char *name)
{
    char err[256];
    ss_cg_voice *v = ss_cg_voice_load(name, err, sizeof err);
    cr_assert(v, "load %s: %s", name, err);
    return v;
}

#endif
