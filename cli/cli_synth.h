/* `scaispeak synth`: labels or text in, WAV out (see cli_synth.c). */
#ifndef SS_ENGINE_CLI_SYNTH_H
#define SS_ENGINE_CLI_SYNTH_H

/* argv[0] is "synth" (the subcommand); options follow. Returns the process
 * exit status: 0 ok, 1 synthesis/IO failure, 2 usage error. */
int ss_cli_synth(int argc, char **argv);

#endif
