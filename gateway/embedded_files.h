/* Files the gateway serves from memory: docs/openapi.json and the admin
 * page (gateway/admin/).
 *
 * The bytes are embedded at build time: the Makefile turns every file of its
 * EMBEDDED_FILES list into one array of $(B)/gen/embedded_files.c (never
 * committed) plus a row of gw_embedded_files[], keyed by the file's path in
 * the repository. So the binary serves what it was built with, there is no
 * file to go missing at run time and no disk read on the event loop. */
#ifndef SS_GATEWAY_EMBEDDED_FILES_H
#define SS_GATEWAY_EMBEDDED_FILES_H

#include <stddef.h>

typedef struct {
    const char *path;          /* in the repository, e.g. "docs/openapi.json" */
    const unsigned char *data; /* not NUL-terminated */
    size_t len;
} gw_embedded_file;

/* Generated: the table and its row count. */
extern const gw_embedded_file gw_embedded_files[];
extern const size_t gw_embedded_files_count;

/* The file embedded under path, or NULL when the build did not embed it. */
const gw_embedded_file *gw_embedded_file_find(const char *path);

#endif
