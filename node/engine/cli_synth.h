/* `scaispeak synth`: text or labels in, a WAV file out, with the engine run
 * locally and no server (see cli_synth.c). */
#ifndef SS_ENGINE_CLI_SYNTH_H
#define SS_ENGINE_CLI_SYNTH_H

/* argv[0] is "synth". Returns the process exit status. */
int ss_cli_synth(int argc, char **argv);

#endif
