/* libFuzzer target: full-context labels (node/engine/acoustic/label.c) and
 * the state lookup that consumes them (model_tree.c + question_match.c):
 * every line of the input goes through ss_label_name, ss_label_phone and
 * ss_label_word_position, then through a decision-tree search over a fixed
 * small tree set whose questions cover every pattern kind. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/acoustic/label.h"
#include "node/engine/acoustic/model_tree.h"

static const char TREES[] =
    "QS \"C-ax\" {*-ax+*}\n"
    "QS \"L-pau\" {pau^*,x^*}\n"
    "QS \"J-end\" {*+1,*-1}\n"
    "QS \"Glob\" {*/B:?-?-2@*,*|ax/C:*}\n"
    "QS \"Exact\" {a}\n"
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
    unsigned char memo[16] = {0};
    size_t tree;
    int pdf;
    for (int st = 2; st <= 4; st++)
        ss_tree_set_search_memo(ts, st, label, len, memo, &tree, &pdf);
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
