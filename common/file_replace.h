/* Replacing a small local file whole (the CLI's voice cache: prepared
 * voices, speaker statistics): the bytes go to a temporary file beside it
 * (path.tmp.<pid>), are fsynced, and the temporary is renamed over path,
 * so a reader sees the old file or the new one, never a part. A failure
 * removes the temporary. No global state. */
#ifndef SS_COMMON_FILE_REPLACE_H
#define SS_COMMON_FILE_REPLACE_H

#include <stddef.h>

typedef struct {
    const void *data;
    size_t len;
} ss_file_part;

/* Writes parts[0..nparts) one after another as the new content of path.
 * 0, or -1 with err ("cannot create TMP: ...", "cannot write PATH: ..."). */
int ss_file_replace(const char *path, const ss_file_part *parts, size_t nparts, char *err, size_t errlen);

#endif
