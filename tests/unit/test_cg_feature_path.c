/* Unit tests for the compiled feature paths of the clustergen voices
 * (node/engine/clustergen/cg_feature_path.c): on every item of a real
 * utterance (states and frames built), every kind of path gives what
 * flite's ffeature() gives (steps n/p/nn/pp/parent/daughter/daughter1/
 * daughtern/first/last/R:, feature functions and item features, walks off
 * the items, and a path it leaves to ffeature(): an unknown directive; a
 * relation move at the end is left to ffeature() too, but flite's own walk
 * reads past its token list there, so it is not asked here); each voice speaks the same samples and
 * timings through the compiled paths as through ffeature(). */
#include "node/engine/clustergen/cg_feature_path.h"
#include "node/engine/clustergen/cg_states.h"
#include "node/engine/clustergen/cg_synth.h"
#include "node/engine/frontend/flite_lock.h"
#include "tests/unit/cg_test_voice.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Paths as a tree holds them: strings that live as long as the table.
 * Asked of every Segment: */
static const char *const segment_paths[] = {
    "name",
    "ph_vc",
    "p.name",
    "n.name",
    "pp.name",
    "nn.ph_vc",
    "p.p.p.p.p.p.p.p.p.p.p.p.name",
    "R:SylStructure.parent.stress",
    "R:SylStructure.parent.R:Syllable.p.stress",
    "R:SylStructure.parent.parent.R:Word.name",
    "R:SylStructure.parent.parent.daughter.name",
    "R:SylStructure.parent.parent.daughter1.name",
    "R:SylStructure.parent.parent.daughtern.name",
    "R:SylStructure.parent.syl_numphones",
    "R:SylStructure.parent.parent.gpos",
    "first.name",
    "last.name",
    "seg_pitch",
    "pos_in_syl",
    "segment_duration",
    "no_such_feature",
    "R:Nonesuch.name",
    "R:segstate.daughter.name",
    "R:segstate.daughtern.statepos",
    NULL,
};
/* Of the other relations' items (flite's feature functions for segments
 * fail on them, in ffeature() too): */
static const char *const syllable_paths[] = {
    "stress", "syl_numphones", "p.stress", "n.n.stress", "R:SylStructure.daughter.name",
    "R:SylStructure.daughtern.ph_vc", "R:SylStructure.parent.name", "last.stress", NULL,
};
static const char *const word_paths[] = {
    "name", "gpos", "p.name", "R:SylStructure.daughter.stress", "R:SylStructure.daughtern.R:SylStructure.daughter.name",
    "R:Phrase.parent.name", NULL,
};
static const char *const state_paths[] = {
    "name", "statepos", "p.name", "n.n.name", "R:segstate.parent.name", "R:segstate.parent.ph_vc", NULL,
};
static const char *const frame_paths[] = {
    "name", "frame_number", "p.frame_number", "R:mcep_link.parent.R:segstate.parent.name",
    "R:mcep_link.parent.R:segstate.parent.ph_vc", "R:mcep_link.parent.R:segstate.parent.R:SylStructure.parent.stress",
    NULL,
};

/* A value as text, for messages and for the string comparison. */
static void text_of(const cst_val *v, char *buf, size_t len)
{
    if (cst_val_consp(v))
        snprintf(buf, len, "(list)");
    else if (CST_VAL_TYPE(v) == CST_VAL_TYPE_INT)
        snprintf(buf, len, "int %d", val_int(v));
    else if (CST_VAL_TYPE(v) == CST_VAL_TYPE_FLOAT)
        snprintf(buf, len, "float %.9g", val_float(v));
    else if (val_stringp(v))
        snprintf(buf, len, "string %s", val_string(v));
    else
        snprintf(buf, len, "type %d", CST_VAL_TYPE(v));
}

/* Same value: both NULL, or of one type, equal as flite compares them and
 * with the same text. */
static void assert_same(const cst_val *want, const cst_val *got, const char *path, const char *rel, int k)
{
    if (!want || !got) {
        cr_assert_eq(want, got, "%s item %d: %s: %p vs %p", rel, k, path, (const void *)want, (const void *)got);
        return;
    }
    char w[96], g[96];
    text_of(want, w, sizeof w);
    text_of(got, g, sizeof g);
    cr_assert(val_equal(want, got), "%s item %d: %s: %s vs %s", rel, k, path, w, g);
    cr_assert_str_eq(w, g, "%s item %d: %s", rel, k, path);
}

static void check_relation(ss_cg_feature_paths *t, cst_utterance *u, const char *rel, const char *const *paths)
{
    int k = 0;
    char err[128];
    for (cst_item *it = utt_rel_head(u, rel); it; it = item_next(it), k++)
        for (int p = 0; paths[p]; p++) {
            cst_features *hold = new_features();
            const cst_val *want = ffeature(it, paths[p]), *got = NULL;
            if (want)
                feat_set(hold, "want", want);
            cr_assert_eq(ss_cg_feature(t, it, paths[p], &got, err, sizeof err), 0, "%s", err);
            if (got)
                feat_set(hold, "got", got);
            assert_same(want, got, paths[p], rel, k);
            delete_features(hold);
        }
    cr_assert_gt(k, 0, "no %s items", rel);
}

Test(cg_feature_path, every_kind_of_path_gives_what_ffeature_gives)
{
    ss_cg_voice *v = load("rms");
    ss_cg_feature_paths *t = ss_cg_feature_paths_new();
    cr_assert(t);
    char err[256];
    ss_flite_lock();
    cst_utterance *u = ss_cg_voice_analyse(v, "Read verse out loud, for pleasure: 42 times!", err, sizeof err);
    cr_assert(u, "%s", err);
    cr_assert_gt(ss_cg_build_states(v, u, 1.0, err, sizeof err), 0, "%s", err);
    static const struct {
        const char *rel;
        const char *const *paths;
    } rels[] = {{"Segment", segment_paths}, {"Syllable", syllable_paths}, {"Word", word_paths},
                {"HMMstate", state_paths},  {"mcep", frame_paths}};
    for (size_t r = 0; r < sizeof rels / sizeof rels[0]; r++) {
        check_relation(t, u, rels[r].rel, rels[r].paths);
        check_relation(t, u, rels[r].rel, rels[r].paths); /* compiled, and the function found, before */
    }
    /* an unknown directive: ffeature() answers (and says so on stderr) */
    static const char *const bogus[] = {"bogus.name", NULL};
    const cst_item *first = utt_rel_head(u, "Segment");
    const cst_val *got = (const cst_val *)&got; /* not NULL: the call must write its NULL */
    cr_assert_eq(ss_cg_feature(t, first, bogus[0], &got, err, sizeof err), 0);
    cr_assert_eq(got, ffeature(first, bogus[0]));
    delete_utterance(u);
    ss_flite_unlock();
    ss_cg_feature_paths_free(t);
    ss_cg_voice_free(v);
}

/* The voice with its compiled paths, then with ffeature() (paths NULL). */
Test(cg_feature_path, each_voice_speaks_the_same_through_compiled_paths)
{
    static const char *const names[] = {"rms", "awb", "slt"};
    static const char *const texts[] = {"The birch canoe slid on the smooth planks.",
                                        "Wind the clock; the wind is cold. Did you read it? I read it, in 1999."};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        ss_cg_voice *v = load(names[n]);
        for (size_t s = 0; s < sizeof texts / sizeof texts[0]; s++) {
            ss_cg_options opt = {.duration_scale = 1.0, .f0_scale = 1.0};
            ss_cg_audio a, b;
            char err[256];
            cr_assert_eq(ss_cg_synthesize(v, texts[s], &opt, &a, err, sizeof err), 0, "%s", err);
            ss_cg_feature_paths *keep = v->paths;
            v->paths = NULL;
            cr_assert_eq(ss_cg_synthesize(v, texts[s], &opt, &b, err, sizeof err), 0, "%s", err);
            v->paths = keep;
            cr_assert_eq(a.nsamples, b.nsamples, "%s, text %zu", names[n], s);
            cr_assert_eq(memcmp(a.samples, b.samples, a.nsamples * sizeof *a.samples), 0, "%s, text %zu", names[n],
                         s);
            cr_assert_eq(a.nphones, b.nphones);
            for (size_t p = 0; p < a.nphones; p++)
                cr_assert(a.phones[p].start == b.phones[p].start && a.phones[p].end == b.phones[p].end &&
                          strcmp(a.phones[p].name, b.phones[p].name) == 0);
            ss_cg_audio_free(&a);
            ss_cg_audio_free(&b);
        }
        ss_cg_voice_free(v);
    }
}
