/* Loading the base voice for the CLI's local commands (synth, analyze)
 * through the prepared-voice cache the voice_cache_dir setting names. */
#ifndef SS_CLI_VOICE_LOAD_H
#define SS_CLI_VOICE_LOAD_H

#include "common/settings.h"
#include "node/engine/engine.h"

#include <stddef.h>

/* The voice at path. A cache problem is printed to stderr, prefixed with
 * command, and does not fail the load; NULL with err when the voice itself
 * cannot be loaded. */
ss_voice *ss_cli_voice_load(const char *command, const char *path, const ss_settings *settings,
                            char *err, size_t errlen);

#endif
