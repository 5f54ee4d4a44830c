/* Unit tests for node/engine/acoustic/model_tree: tree files parsed from
 * memory, including the shapes the fuzz target found. */
#include "node/engine/acoustic/model_tree.h"

#include <criterion/criterion.h>
#include <string.h>

static int parse(const char *text, ss_tree_set *ts, char *err, size_t errlen)
{
    return ss_tree_set_parse(text, strlen(text), ts, err, errlen);
}

/* A tree before any QS line: the question table is still empty (NULL), and
 * sorting it used to call qsort(NULL, 0, ...), undefined behaviour that the
 * sanitizer build aborts on. */
Test(model_tree, tree_before_any_question)
{
    ss_tree_set ts;
    char err[256] = "";
    cr_assert_eq(parse("{*}[2] \"mcp_s2_1\"\n", &ts, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ts.nquestions, 0);
    cr_assert_eq(ts.ntrees, 1);
    cr_assert_eq(ts.trees[0].leaf_pdf, 1);
    ss_tree_set_free(&ts);

    /* A question after the first tree still parses. */
    cr_assert_eq(parse("{*}[2] \"x_1\"\nQS \"C-a\" {*-a+*}\n{*}[3] \"x_2\"\n", &ts, err,
                       sizeof err), 0, "%s", err);
    cr_assert_eq(ts.nquestions, 1);
    cr_assert_eq(ts.ntrees, 2);
    ss_tree_set_free(&ts);
}

Test(model_tree, rejects_garbage_with_a_message)
{
    ss_tree_set ts;
    char err[256] = "";
    cr_assert_eq(parse("{*}[", &ts, err, sizeof err), -1);
    cr_assert_neq(err[0], '\0');
    cr_assert_eq(parse("", &ts, err, sizeof err), -1);
}
