/* libFuzzer target: full-context labels (node/engine/acoustic/label.c) and
 * the state lookup that consumes them (model_tree.c + question_match.c):
 * every line of the input goes through ss_label_name, ss_label_phone and
 * ss_label_word_position, then through a decision-tree search over a fixed
 * small tree set whose questions cover every pattern kind, twice: by the
 * substring search and through the label's token index (label_tokens.h),
 * which must agree (the set's field patterns have 0, 1, 2 and 4 runs, and
 * every pattern is checked, not only those on the walked path). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/acoustic/label.h"
#include "node/engine/acoustic/label_tokens.h"
#include "node/engine/acoustic/model_tree.h"

static const char TREES[] =
    "QS \"C-ax\" {*-ax+*}\n"
    "QS \"L-pau\" {pau^*,x^*}\n"
    "QS \"J-end\" {*+1,*-1}\n"
    "QS \"Glob\" {*/B:?-?-2@*,*|ax/C:*}\n"
    "QS \"Exact\" {a}\n"
    "QS \"Fields\" {*-*,*--*,*/A:0_*,*+x*,*-1-2-3-4-*,*@x_x/*}\n"
    "{*}[2]\n{\n 0 \"C-ax\" -1 \"x_2\"\n -1 \"Glob\" -2 \"x_1\"\n -2 \"J-end\" \"x_3\" \"x_4\"\n}\n"
    "{*-ax+*}[3]\n{\n 0 \"L-pau\" \"x_5\" -1\n -1 \"Exact\" \"x_6\" \"x_7\"\n}\n"
    "{*}[4] \"x_8\"\n";

static const ss_tree_set *trees(void)
{
    static ss_tree_set ts; /* parsed once per process, never freed (fuzzer lifetime) */
    static int ready;
    char err[256];
    if (!ready) {
        if (ss_tree_set_parse(TREES, sizeof TREES - 1, &ts, err, sizeof err) != 0)
            abort();
        ready = 1;
    }
    return &ts;
}

static void one_line(const char *line)
{
    size_t len;
    const char *name = ss_label_name(line, &len);
    if (!name)
        return;
    char *label = strndup(name, len);
    if (!label)
        return;
    char phone[64];
    ss_label_phone(label, phone, sizeof phone);
    long p6, p7, b4, b5;
    ss_label_word_position(label, &p6, &p7, &b4, &b5);
    const ss_tree_set *ts = trees();
    unsigned char memo[16] = {0}, memo2[16] = {0};
    ss_label_tokens tokens;
    ss_label_tokens_init(&tokens);
    if (ss_label_tokens_index(&tokens, label, len, ts->field_runs) != 0)
        abort(); /* out of memory on one line is a bug */
    for (int st = 2; st <= 4; st++) {
        size_t tree = 0, tree2 = 0;
        int pdf = 0, pdf2 = 0;
        int r = ss_tree_set_search_memo(ts, st, label, len, memo, &tree, &pdf);
        int r2 = ss_tree_set_search_tokens(ts, st, label, len, &tokens, memo2, &tree2, &pdf2);
        if (r != r2 || (r == 0 && (tree != tree2 || pdf != pdf2)))
            abort();
    }
    for (size_t q = 0; q < ts->nquestions; q++)
        for (size_t i = 0; i < ts->questions[q].npats; i++) {
            const ss_pattern *p = &ts->questions[q].pats[i];
            if (ss_pattern_match(p, label, len) != ss_pattern_match_tokens(p, &tokens, label, len))
                abort();
        }
    ss_label_tokens_free(&tokens);
    free(label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        one_line(line);
    }
    free(text);
    return 0;
}
