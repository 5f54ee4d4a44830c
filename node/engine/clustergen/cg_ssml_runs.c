/* SSML to runs for the clustergen engines (see cg_ssml_runs.h). */
#include "node/engine/clustergen/cg_ssml_runs.h"

#include "node/engine/frontend/ssml_parser.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a run that holds token a ends before token b (b may be NULL). */
static bool run_ends(const ss_token *a, const ss_token *b)
{
    return !b || a->sentence_end || a->phrase_break || a->pause_ms > 0 || a->rate != b->rate ||
           a->pitch_st != b->pitch_st;
}

/* The run of tokens [first, last]; 0 or -1 out of memory. */
static int make_run(const ss_token *t, size_t first, size_t last, ss_cg_run *r)
{
    size_t cap = 1;
    for (size_t i = first; i <= last; i++)
        cap += strlen(t[i].word) + 2;
    r->text = malloc(cap);
    r->words = calloc(last - first + 1, sizeof *r->words);
    if (!r->text || !r->words)
        return -1;
    size_t used = 0;
    for (size_t i = first; i <= last; i++) {
        used += (size_t)snprintf(r->text + used, cap - used, "%s%s", i > first ? " " : "", t[i].word);
        if (t[i].punct)
            r->text[used++] = t[i].punct;
        r->text[used] = '\0';
        r->words[r->nwords++] = (ss_cg_span){t[i].src_start, t[i].src_end};
    }
    r->rate = t[first].rate > 0 ? t[first].rate : 1.0;
    r->pitch_st = t[first].pitch_st;
    r->pause_ms = t[last].pause_ms;
    return 0;
}

int ss_cg_ssml_runs(const char *ssml, size_t len, ss_cg_run **runs, size_t *n, char *err, size_t errlen)
{
    ss_token_list tl = {0};
    *runs = NULL;
    *n = 0;
    if (ss_ssml_to_tokens(ssml, len, &tl, err, errlen) != 0) {
        ss_token_list_free(&tl);
        return -1;
    }
    ss_cg_run *out = calloc(tl.n ? tl.n : 1, sizeof *out);
    size_t count = 0;
    int rc = out ? 0 : -1;
    for (size_t first = 0, i = 0; rc == 0 && i < tl.n; i++) {
        if (!run_ends(&tl.v[i], i + 1 < tl.n ? &tl.v[i + 1] : NULL))
            continue;
        rc = make_run(tl.v, first, i, &out[count++]);
        first = i + 1;
    }
    ss_token_list_free(&tl);
    if (rc != 0) {
        ss_cg_runs_free(out, count);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *runs = out;
    *n = count;
    return 0;
}

void ss_cg_runs_free(ss_cg_run *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++) {
        free(runs[i].text);
        free(runs[i].words);
    }
    free(runs);
}
