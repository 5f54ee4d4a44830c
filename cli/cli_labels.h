/* `scaispeak labels`: text in, HTS labels out (see cli_labels.c). */
#ifndef SS_ENGINE_CLI_LABELS_H
#define SS_ENGINE_CLI_LABELS_H

/* argv[0] is "labels". Returns the process exit status. */
int ss_cli_labels(int argc, char **argv);

#endif
