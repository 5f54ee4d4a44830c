/* Test tool: runs `scaispeak labels` (ss_cli_labels) standalone, so tests and
 * scripts need not depend on the gateway CLI binary's wiring. */
#include "cli/cli_labels.h"

int main(int argc, char **argv)
{
    return ss_cli_labels(argc, argv);
}
