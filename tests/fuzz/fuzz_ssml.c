/* libFuzzer target: the SSML reader (and the normaliser behind it). */
#include <stddef.h>
#include <stdint.h>

#include "node/engine/frontend/ssml_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_token_list l = {0};
    char err[256];
    ss_ssml_to_tokens((const char *)data, size, &l, err, sizeof err);
    ss_token_list_free(&l);
    return 0;
}
