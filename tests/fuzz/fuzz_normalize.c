/* libFuzzer target: the text normaliser on arbitrary bytes (all read-as modes). */
#include <stddef.h>
#include <stdint.h>

#include "node/engine/frontend/text_normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    ss_token_list l = {0};
    char err[128];
    ss_read_as mode = (ss_read_as)(data[0] % 6);
    ss_normalize((const char *)data + 1, size - 1, NULL, 0, mode, &l, err, sizeof err);
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i].word[0] == 0) __builtin_trap(); /* never an empty word */
    ss_token_list_free(&l);
    return 0;
}
