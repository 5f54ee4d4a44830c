/* Unit tests for node/node_labels: parsing the `node_labels` setting
 * ("k=v,k=v") and refusing malformed lists with a message naming it. */
#include "node/node_labels.h"

#include <criterion/criterion.h>
#include <string.h>

Test(node_labels, parses_pairs_and_trims)
{
    ss_labels l;
    char err[256];
    cr_assert_eq(ss_labels_parse(" zone = eu-west ,tier=gpu,empty=", &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.count, 3);
    cr_assert_str_eq(l.items[0].key, "zone");
    cr_assert_str_eq(l.items[0].value, "eu-west");
    cr_assert_str_eq(l.items[1].key, "tier");
    cr_assert_str_eq(l.items[1].value, "gpu");
    cr_assert_str_eq(l.items[2].key, "empty");
    cr_assert_str_eq(l.items[2].value, "");
    ss_labels_free(&l);
    cr_assert_eq(ss_labels_parse("", &l, err, sizeof err), 0);
    cr_assert_eq(l.count, 0);
    cr_assert_eq(ss_labels_parse("   ", &l, err, sizeof err), 0);
    cr_assert_eq(l.count, 0);
    ss_labels_free(&l);
}

Test(node_labels, rejects_malformed)
{
    ss_labels l;
    char err[256];
    const char *bad[] = {"zone", "=x", "a=b,,c=d", "a=b,", "a=b,a=c", "a b=c", "a=b=c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        cr_assert_eq(ss_labels_parse(bad[i], &l, err, sizeof err), -1, "accepted '%s'", bad[i]);
        cr_assert(strstr(err, "node_labels") != NULL, "%s", err);
        cr_assert_eq(l.count, 0);
        cr_assert_null(l.items);
    }
}
