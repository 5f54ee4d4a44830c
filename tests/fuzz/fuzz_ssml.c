/* libFuzzer target: the SSML reader (and the normaliser behind it), and the
 * clustergen voices' cut of the same document into runs (cg_ssml_runs.h). */
#include <stddef.h>
#include <stdint.h>

#include "node/engine/clustergen/cg_ssml_runs.h"
#include "node/engine/frontend/ssml_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_token_list l = {0};
    char err[256];
    ss_ssml_to_tokens((const char *)data, size, &l, err, sizeof err);
    ss_token_list_free(&l);
    ss_cg_run *runs = NULL;
    size_t n = 0;
    if (ss_cg_ssml_runs((const char *)data, size, &runs, &n, err, sizeof err) == 0)
        ss_cg_runs_free(runs, n);
    return 0;
}
