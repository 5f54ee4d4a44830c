/* Compiled flite feature paths (see cg_feature_path.h).
 *
 * The table is an open-addressing hash on the path string's address,
 * doubled when half full. An entry holds the path's steps (a directive
 * each; a relation move keeps its relation name), the feature name (the
 * last token), whether it compiled (else ffeature() answers), and the
 * feature function found for the last list of functions it was asked
 * with. Token storage is one copy of the path per entry. */
#include "node/engine/clustergen/cg_feature_path.h"

#include <cst_utterance.h>
#include <cst_val_const.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 24, FIRST_SLOTS = 256 };

typedef enum { STEP_N, STEP_P, STEP_NN, STEP_PP, STEP_PARENT, STEP_DAUGHTER, STEP_DAUGHTERN, STEP_FIRST,
               STEP_LAST, STEP_RELATION } step_kind;

typedef struct {
    step_kind kind;
    const char *relation; /* STEP_RELATION: into the entry's copy */
} step;

typedef struct {
    const char *path; /* the key: the caller's string */
    char *copy;       /* tokens, NUL-separated */
    step steps[MAX_STEPS];
    int nsteps;
    const char *name; /* the feature: the last token */
    int compiled;     /* 0: ffeature() answers */
    const cst_features *ffunctions;
    const cst_val *ff; /* the function named name in ffunctions, or NULL */
} entry;

struct ss_cg_feature_paths {
    entry *slots;
    size_t nslots, used;
};

/* ffeature's answer for a feature nobody has: the string "0". */
DEF_STATIC_CONST_VAL_STRING(feature_default, "0");

/* Directive names and their steps (flite 2.2's set). */
static const struct {
    const char *name;
    step_kind kind;
} directives[] = {
    {"n", STEP_N},           {"p", STEP_P},           {"nn", STEP_NN},         {"pp", STEP_PP},
    {"parent", STEP_PARENT}, {"daughter", STEP_DAUGHTER}, {"daughter1", STEP_DAUGHTER},
    {"daughtern", STEP_DAUGHTERN}, {"first", STEP_FIRST}, {"last", STEP_LAST},
};

ss_cg_feature_paths *ss_cg_feature_paths_new(void)
{
    ss_cg_feature_paths *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->slots = calloc(FIRST_SLOTS, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    t->nslots = FIRST_SLOTS;
    return t;
}

void ss_cg_feature_paths_free(ss_cg_feature_paths *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nslots; i++)
        free(t->slots[i].copy);
    free(t->slots);
    free(t);
}

static size_t slot_of(const ss_cg_feature_paths *t, const char *path)
{
    uintptr_t h = (uintptr_t)path;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 7) & (t->nslots - 1);
    while (t->slots[i].path && t->slots[i].path != path)
        i = (i + 1) & (t->nslots - 1);
    return i;
}

/* Doubles the table; -1 when out of memory (the table is unchanged). */
static int grow(ss_cg_feature_paths *t)
{
    ss_cg_feature_paths bigger = {.nslots = t->nslots * 2, .used = t->used};
    bigger.slots = calloc(bigger.nslots, sizeof *bigger.slots);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].path)
            bigger.slots[slot_of(&bigger, t->slots[i].path)] = t->slots[i];
    free(t->slots);
    *t = bigger;
    return 0;
}

static int directive(const char *tok, step_kind *kind)
{
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
        if (strcmp(tok, directives[i].name) == 0) {
            *kind = directives[i].kind;
            return 1;
        }
    return 0;
}

/* Splits path as flite does (at every ':' and '.') and turns all tokens but
 * the last into steps; e->compiled stays 0 for what flite's walk would not
 * take the same way (see the header). -1 when out of memory. */
static int compile(entry *e, const char *path)
{
    e->copy = strdup(path);
    if (!e->copy)
        return -1;
    char *tok[MAX_STEPS * 2 + 2];
    int n = 0;
    tok[n++] = e->copy;
    for (char *c = e->copy; *c; c++)
        if (*c == ':' || *c == '.') {
            if (n == (int)(sizeof tok / sizeof tok[0]))
                return 0; /* too long: ffeature() answers */
            *c = '\0';
            tok[n++] = c + 1;
        }
    for (int j = 0; j + 1 < n; j++) {
        step s = {0};
        if (strcmp(tok[j], "R") == 0) {
            if (j + 2 >= n)
                return 0; /* a relation move at the end */
            s = (step){.kind = STEP_RELATION, .relation = tok[++j]};
        } else if (!directive(tok[j], &s.kind)) {
            return 0; /* flite complains and gives NULL: let it */
        }
        if (e->nsteps == MAX_STEPS)
            return 0;
        e->steps[e->nsteps++] = s;
    }
    e->name = tok[n - 1];
    e->compiled = 1;
    return 0;
}

static const cst_item *take_step(const cst_item *it, const step *s)
{
    switch (s->kind) {
    case STEP_N: return item_next(it);
    case STEP_P: return item_prev(it);
    case STEP_NN: return item_next(it) ? item_next(item_next(it)) : NULL;
    case STEP_PP: return item_prev(it) ? item_prev(item_prev(it)) : NULL;
    case STEP_PARENT: return item_parent(it);
    case STEP_DAUGHTER: return item_daughter(it);
    case STEP_DAUGHTERN: return item_last_daughter(it);
    case STEP_FIRST: return item_first(it);
    case STEP_LAST: return item_last(it);
    case STEP_RELATION: return item_as(it, s->relation);
    }
    return NULL;
}

/* The entry for path, compiled on first sight; NULL when out of memory. */
static entry *entry_for(ss_cg_feature_paths *t, const char *path)
{
    size_t i = slot_of(t, path);
    if (t->slots[i].path)
        return &t->slots[i];
    if (2 * (t->used + 1) > t->nslots) {
        if (grow(t) != 0)
            return NULL;
        i = slot_of(t, path);
    }
    entry *e = &t->slots[i];
    if (compile(e, path) != 0) {
        free(e->copy);
        memset(e, 0, sizeof *e);
        return NULL;
    }
    e->path = path;
    t->used++;
    return e;
}

/* The value of a compiled path. */
static const cst_val *compiled_value(entry *e, const cst_item *item)
{
    const cst_item *it = item;
    for (int k = 0; k < e->nsteps && it; k++)
        it = take_step(it, &e->steps[k]);
    if (!it)
        return &feature_default;
    const cst_utterance *utt = item_utt(it);
    const cst_val *ff = NULL;
    if (utt && utt->ffunctions) {
        if (e->ffunctions != utt->ffunctions) {
            e->ffunctions = utt->ffunctions;
            e->ff = feat_val(utt->ffunctions, e->name);
        }
        ff = e->ff;
    }
    const cst_val *v = ff ? (*val_ffunc(ff))(it) : item_feat(it, e->name);
    return v ? v : &feature_default;
}

int ss_cg_feature(ss_cg_feature_paths *t, const cst_item *item, const char *path, const cst_val **value,
                  char *err, size_t errlen)
{
    entry *e = entry_for(t, path);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *value = e->compiled ? compiled_value(e, item) : ffeature(item, path);
    return 0;
}
