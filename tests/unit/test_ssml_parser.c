/* Unit tests for node/engine/frontend/ssml_parser's pure helpers: IPA to
 * ARPAbet conversion. (SSML parsing itself is tested through the front end
 * in test_frontend.c.) */
#include "node/engine/frontend/ssml_parser.h"

#include <criterion/criterion.h>

Test(ssml_parser, ipa_conversion)
{
    char out[128], err[128];
    cr_assert_eq(ss_ipa_to_arpabet("h\xc9\x99\xcb\x88lo\xca\x8a", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(out, "hh ax0 l ow1");
}
