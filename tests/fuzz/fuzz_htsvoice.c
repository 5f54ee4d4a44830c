/* libFuzzer target: `.htsvoice` files and their decision trees
 * (node/engine/acoustic/htsvoice.c, model_tree.c, question_match.c). The
 * first byte picks: even = a whole voice file for ss_htsvoice_load_buffer,
 * then a model lookup and the GV switch for a fixed label; odd = the bytes
 * are a tree file for ss_tree_set_parse, then a tree search, by substring
 * search and through the label's token index (label_tokens.h), which must
 * agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/acoustic/label_tokens.h"
#include "node/engine/acoustic/model_tree.h"

static const char LABEL[] =
    "x^pau-h+ax=l@1_2/A:0_0_0/B:1-0-2@1-1&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+2/D:0_0/E:content+1@1+1&0+1"
    "#0+1/F:content_1/G:0_0/H:1=1@1=1|L-L%/I:0=0/J:2+1-1";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char err[256];
    size_t llen = sizeof LABEL - 1;
    if ((data[0] & 1) == 0) {
        ss_htsvoice *v = ss_htsvoice_load_buffer((const char *)data + 1, size - 1, err, sizeof err);
        if (!v)
            return 0;
        for (int st = 2; st < 2 + v->nstates && st < 8; st++)
            ss_voice_model_lookup(&v->streams[0].pdf, st, LABEL, llen, err, sizeof err);
        ss_voice_model_lookup(&v->dur, 2, LABEL, llen, err, sizeof err);
        ss_htsvoice_gv_on(v, LABEL, llen);
        ss_htsvoice_free(v);
        return 0;
    }
    ss_tree_set ts;
    if (ss_tree_set_parse((const char *)data + 1, size - 1, &ts, err, sizeof err) != 0)
        return 0;
    unsigned char memo[4096], memo2[4096];
    ss_label_tokens tokens;
    ss_label_tokens_init(&tokens);
    if (ss_label_tokens_index(&tokens, LABEL, llen, ts.field_runs) != 0)
        abort(); /* out of memory for one short label is a bug */
    const int use_memo = ts.nquestions <= sizeof memo;
    for (int st = 2; st < 7; st++) {
        size_t tree = 0, tree2 = 0;
        int pdf = 0, pdf2 = 0;
        memset(memo, 0, sizeof memo);
        memset(memo2, 0, sizeof memo2);
        int r = ss_tree_set_search_memo(&ts, st, LABEL, llen, use_memo ? memo : NULL, &tree, &pdf);
        int r2 = ss_tree_set_search_tokens(&ts, st, LABEL, llen, &tokens, use_memo ? memo2 : NULL, &tree2,
                                           &pdf2);
        if (r != r2 || (r == 0 && (tree != tree2 || pdf != pdf2)))
            abort();
    }
    ss_label_tokens_free(&tokens);
    ss_tree_set_free(&ts);
    return 0;
}
