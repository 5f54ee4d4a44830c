/* scaispeak-ops: the CLI's commands that talk to the service — `nodes`
 * (HTTP to the gateway), `admin` (Redis) and `token` (JWT signing). They
 * live in their own executable so that `scaispeak` itself, whose `synth`,
 * `labels`, `analyze` and `config` run the engine locally, starts without
 * libcurl, OpenSSL, hiredis, gRPC or the CUDA runtime (issue 17: the
 * dynamic loader's work for those libraries was half of `synth`'s CPU).
 * `scaispeak <one of these>` execs this program with the same arguments,
 * so users never name it; it also runs on its own. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"nodes", ss_cli_nodes},
        {"admin", ss_cli_admin},
        {"token", ss_cli_token},
    };
    if (argc >= 2)
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "usage: scaispeak-ops nodes|admin|token ... (see 'scaispeak --help')\n");
    return 2;
}
