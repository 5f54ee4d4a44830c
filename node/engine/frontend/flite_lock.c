/* The process-wide flite mutex (see flite_lock.h). Global mutable state,
 * on purpose: it guards a library whose state is global. */
#include "node/engine/frontend/flite_lock.h"

#include <pthread.h>

static pthread_mutex_t g_flite_mu = PTHREAD_MUTEX_INITIALIZER;

void ss_flite_lock(void)
{
    pthread_mutex_lock(&g_flite_mu);
}

void ss_flite_unlock(void)
{
    pthread_mutex_unlock(&g_flite_mu);
}
