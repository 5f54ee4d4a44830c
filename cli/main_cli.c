/* scaispeak: the command-line tool. Dispatches the first argument to a
 * subcommand; each subcommand lives in its own file and owns its flags. */
#include "cli/cli.h"
#include "cli/cli_analyze.h"
#include "cli/cli_labels.h"
#include "cli/cli_synth.h"

#include "common/config.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

static int usage(FILE *out)
{
    fprintf(out, "usage: scaispeak <command> [options]\n"
                 "commands:\n"
                 "  config [--markdown]   print the configuration reference\n"
                 "  nodes [--json]        list the nodes the gateway knows (operator token)\n"
                 "  admin create-tenant|create-user|create-key|revoke-key|seed-dev ...\n"
                 "                        provision tenants, users and API keys (Redis)\n"
                 "  token --user U --tenant T [--role R] [--scope S] | --jwks\n"
                 "                        mint a development JWT, or print its JWKS\n"
                 "  labels --text T | -f FILE   print HTS full-context labels (text front end)\n"
                 "  synth  --text T | -f FILE | --labels FILE -o out.wav [--speed X] [--pitch N]\n"
                 "         [--rate HZ] [--voice-ref CLIP | --design TEXT]\n"
                 "                        run the engine locally, no server\n"
                 "  analyze CLIP          preflight figures and conditioning of a reference clip\n"
                 "run 'scaispeak <command> --help' for a command's options\n");
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
        ss_settings *settings =
            ss_config_from_args(argc - 1, argv + 1, "scaispeak", SS_SCOPE_CLI, &rc);
        if (!settings)
            return rc;
        bool markdown = argc > 2 && strcmp(argv[2], "--markdown") == 0;
        ss_config_print(stdout, settings, SS_SCOPE_ALL, markdown);
        ss_config_free(settings);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"nodes", ss_cli_nodes},
        {"admin", ss_cli_admin},
        {"token", ss_cli_token},
        {"labels", ss_cli_labels},
        {"synth", ss_cli_synth},
        {"analyze", ss_cli_analyze},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "scaispeak: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
