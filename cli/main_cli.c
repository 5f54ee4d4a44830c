/* scaispeak: the command-line tool. Dispatches the first argument to a
 * subcommand; each subcommand lives in its own file and owns its flags.
 *
 * The commands that run locally (config, labels, synth, analyze) are linked
 * into this executable, which therefore loads only what synthesis needs
 * (the engine, flite, the audio codecs). The commands that talk to the
 * service (nodes, admin, token) are in scaispeak-ops, installed beside this
 * one: we exec it with the same arguments (see main_cli_ops.c for why). */
#include "cli/cli_analyze.h"
#include "cli/cli_labels.h"
#include "cli/cli_synth.h"

#include "common/config.h"
#include "common/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Runs scaispeak-ops from this executable's own directory with our
 * arguments. Returns only on failure (exit code 127, as a shell would). */
static int exec_ops(char **argv)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1) {
        fprintf(stderr, "scaispeak: cannot find my own executable: %s\n", strerror(errno));
        return 127;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    char ops[PATH_MAX];
    int len = snprintf(ops, sizeof ops, "%.*s/scaispeak-ops", (int)(slash ? slash - self : 1),
                       slash ? self : ".");
    if (len < 0 || (size_t)len >= sizeof ops) {
        fprintf(stderr, "scaispeak: path of scaispeak-ops too long\n");
        return 127;
    }
    argv[0] = ops;
    execv(ops, argv);
    fprintf(stderr, "scaispeak: cannot run %s: %s\n", ops, strerror(errno));
    return 127;
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
        {"labels", ss_cli_labels},
        {"synth", ss_cli_synth},
        {"analyze", ss_cli_analyze},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    static const char *const ops_commands[] = {"nodes", "admin", "token"};
    for (size_t i = 0; i < sizeof ops_commands / sizeof ops_commands[0]; i++)
        if (strcmp(argv[1], ops_commands[i]) == 0)
            return exec_ops(argv);
    fprintf(stderr, "scaispeak: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
