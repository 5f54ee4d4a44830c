/* Lookup in the generated table of embedded files (embedded_files.h). The
 * table has a handful of rows, so a linear scan by path is enough. */
#include "gateway/embedded_files.h"

#include <string.h>

const gw_embedded_file *gw_embedded_file_find(const char *path)
{
    for (size_t i = 0; i < gw_embedded_files_count; i++)
        if (strcmp(gw_embedded_files[i].path, path) == 0)
            return &gw_embedded_files[i];
    return NULL;
}
