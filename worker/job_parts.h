/* A job's text cut into the parts the worker sends to the backend one
 * after another (job_part_chars each, about).
 *
 * A part ends at a sentence end — '.', '!', '?', '…', '。', '！', '？'
 * (optionally followed by closing quotes or brackets) then white space, or
 * a blank line — the last one that keeps the part within the size, so no
 * sentence is cut in two (two calls would give it two intonation contours
 * and a pause). A sentence longer than the size is cut at its last white
 * space within it, and a run without white space at a UTF-8 character
 * boundary. SSML text (starting with "<speak") is one part: its markup
 * cannot be cut at arbitrary sentences. Pure: no I/O, no allocation. */
#ifndef SS_WORKER_JOB_PARTS_H
#define SS_WORKER_JOB_PARTS_H

#include <stddef.h>

/* The end (exclusive byte offset) of the part that starts at `from`;
 * `len` when the rest fits. max_bytes > 0. */
size_t job_part_end(const char *text, size_t len, size_t from, size_t max_bytes);

/* The next part's start after `end`: white space between parts is skipped. */
size_t job_part_next(const char *text, size_t len, size_t end);

#endif
