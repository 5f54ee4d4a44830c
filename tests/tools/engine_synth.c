/* engine_synth: test-tool front for `scaispeak synth` (ss_cli_synth), so the
 * quality and bench scripts can synthesize without the gateway CLI.
 *   engine_synth --labels FILE -o out.wav [synth options...] */
#include "cli/cli_synth.h"

int main(int argc, char **argv)
{
    return ss_cli_synth(argc, argv);
}
