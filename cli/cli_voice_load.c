/* The CLI's base-voice loader (see cli_voice_load.h). A command-line run
 * loads its voice every time, so it goes through the prepared form
 * (node/engine/acoustic/htsvoice_prepared.h): the first run writes it,
 * later runs map it instead of parsing the .htsvoice (issue 17: the voice
 * loads in <= 5 ms). The node loads its voice once per process and does
 * not use the cache. */
#include "cli/cli_voice_load.h"

#include "node/engine/acoustic/htsvoice_prepared.h"

#include <limits.h>
#include <stdio.h>

ss_voice *ss_cli_voice_load(const char *command, const char *path, const ss_settings *settings,
                            char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (ss_voice_cache_dir_resolve(settings->voice_cache_dir, dir, sizeof dir) != 0) {
        fprintf(stderr, "%s: voice_cache_dir is too long; loading the voice without the cache\n",
                command);
        dir[0] = '\0';
    }
    char note[PATH_MAX + 256];
    ss_voice *v = ss_voice_load_cached(path, dir, note, sizeof note, err, errlen);
    if (v && note[0])
        fprintf(stderr, "%s: %s\n", command, note);
    return v;
}
