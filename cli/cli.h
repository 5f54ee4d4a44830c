/* The CLI's subcommands. Each takes the arguments after the command name
 * (argv[0] is the command) and returns the process exit code. */
#ifndef SS_GATEWAY_CLI_H
#define SS_GATEWAY_CLI_H

int ss_cli_nodes(int argc, char **argv);
int ss_cli_admin(int argc, char **argv);
int ss_cli_token(int argc, char **argv);

#endif
