/* The table of object-store backends this build has, by the name the
 * object_store_backend setting uses. Its own file because start-up
 * validation (common/config.c) needs only the names: linking it does not
 * pull in the store's front (object_store.c) and with it OpenSSL, which the
 * CLI's local commands must start without (issue 17, start-up cost).
 *
 * No mutable state: the table is constant. */
#include "common/object_store.h"

#include <string.h>

static const ss_object_store_ops *const BACKENDS[] = {&ss_object_store_dir_ops};
#define NBACKENDS (sizeof BACKENDS / sizeof BACKENDS[0])

const ss_object_store_ops *ss_object_store_find_backend(const char *name)
{
    for (size_t i = 0; name && i < NBACKENDS; i++)
        if (strcmp(BACKENDS[i]->name, name) == 0)
            return BACKENDS[i];
    return NULL;
}

bool ss_object_store_backend_known(const char *name)
{
    return ss_object_store_find_backend(name) != NULL;
}

const char *ss_object_store_backend_names(void)
{
    return "dir";
}
