/* Test tool: `scaispeak analyze` as its own program (ss_cli_analyze), so the
 * clone quality checks run whether or not the CLI has the subcommand. */
#include "cli/cli_analyze.h"

int main(int argc, char **argv)
{
    return ss_cli_analyze(argc, argv);
}
