/* `scaispeak analyze`: preflight figures and conditioning of a reference
 * clip (see cli_analyze.c). */
#ifndef SS_ENGINE_CLI_ANALYZE_H
#define SS_ENGINE_CLI_ANALYZE_H

/* argv[0] is "analyze"; options follow. Exit status: 0 analysed and the
 * preflight passed, 3 analysed but the preflight failed, 1 the clip cannot
 * be used (analysis_failed: reason) or the voice failed to load, 2 usage. */
int ss_cli_analyze(int argc, char **argv);

#endif
