/* The `save_to` object of POST /speak (API.md §5), validated: where in
 * ScaiDrive the audio goes.
 *
 *   share_id   required; 1..127 bytes of printable ASCII (no spaces)
 *   folder_id  optional (absent or null: the share's root); as share_id
 *   filename   required; a safe file name: 1..255 bytes of UTF-8, no '/',
 *              '\', control characters or leading/trailing spaces, not "."
 *              or "..", not starting with '.'
 *   overwrite  optional boolean, default false
 * Anything else inside save_to is refused ("unknown field"). Each problem
 * adds one {field: "save_to.<name>", message} to the 422's details. The
 * ids are passed to ScaiDrive as they are (it decides whether they exist);
 * the rules only keep them from carrying what a header, a URL or a log line
 * would choke on. */
#ifndef SS_GATEWAY_SAVE_TARGET_H
#define SS_GATEWAY_SAVE_TARGET_H

#include <jansson.h>
#include <stdbool.h>

#define GW_SAVE_ID_MAX 127
#define GW_SAVE_FILENAME_MAX 255

typedef struct {
    bool wanted;                          /* save_to was given (and valid) */
    char share_id[GW_SAVE_ID_MAX + 1];
    char folder_id[GW_SAVE_ID_MAX + 1];   /* "" = the share's root */
    char filename[GW_SAVE_FILENAME_MAX + 1];
    bool overwrite;
} gw_save_target;

/* Reads v into *out; returns the number of problems appended to details
 * (0: *out is filled and wanted). */
int gw_save_target_read(const json_t *v, gw_save_target *out, json_t *details);

#endif
