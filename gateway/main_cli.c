/* scaispeak: the command-line tool. Dispatches the first argument to a
 * subcommand; each subcommand lives in its own file and owns its flags. */
#include "gateway/cli.h"

#include "common/config.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

static int usage(FILE *out)
{
    fprintf(out, "usage: scaispeak <command> [options]\n"
                 "commands:\n"
                 "  config [--markdown]   print the configuration reference\n"
                 "  nodes [--json]        list the nodes the gateway knows (operator token)\n");
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "config") == 0) {
        int rc = 0;
        ss_config *cfg = ss_config_from_args(argc - 1, argv + 1, "scaispeak", SS_SCOPE_CLI, &rc);
        if (!cfg)
            return rc;
        ss_config_print(stdout, cfg, SS_SCOPE_ALL, argc > 2 && strcmp(argv[2], "--markdown") == 0);
        ss_config_free(cfg);
        return 0;
    }
    if (strcmp(argv[1], "nodes") == 0)
        return ss_cli_nodes(argc - 1, argv + 1);
    fprintf(stderr, "scaispeak: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
