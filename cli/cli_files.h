/* Reading a whole input file for a CLI command (text, labels, reference
 * clips), with a size bound, so every command reads files the same way and
 * says why it could not. */
#ifndef SS_CLI_FILES_H
#define SS_CLI_FILES_H

#include <stddef.h>

/* The whole file, NUL-terminated (the NUL is not counted in *len; len may
 * be NULL). More than max_bytes is refused. NULL with err ("cannot open X:
 * reason", "X is larger than N bytes", "out of memory reading X"). */
char *ss_cli_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen);

#endif
