/* Failed authentications per source address (see auth_failures.h).
 *
 * Global mutable state, on purpose and only here: SLOTS, a fixed table of
 * AUTH_FAILURE_SLOTS windows indexed by a hash of the address. It is touched
 * only from the gateway's event-loop thread (the authenticate phase), so it
 * needs no lock, and its size is fixed, so an attacker with many addresses
 * cannot grow it: a colliding address takes the slot over, which can only
 * reset a count, never raise another address's. Each slot is one fixed
 * window that starts at the address's first failure. */
#include "gateway/auth_failures.h"

#include <stdio.h>
#include <string.h>

#define AUTH_FAILURE_SLOTS 4096
#define AUTH_ADDR_MAX 64

typedef struct {
    char addr[AUTH_ADDR_MAX];
    time_t window_start;
    long count;
} failure_window;

static failure_window SLOTS[AUTH_FAILURE_SLOTS];

/* FNV-1a of the address. */
static failure_window *slot_of(const char *addr)
{
    unsigned long h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &SLOTS[h % AUTH_FAILURE_SLOTS];
}

/* addr's live window, or NULL when it has none. */
static failure_window *live_window(const char *addr, time_t now)
{
    failure_window *w = slot_of(addr);
    if (strncmp(w->addr, addr, sizeof w->addr) != 0 || now - w->window_start >= AUTH_FAILURE_WINDOW_S ||
        now < w->window_start)
        return NULL;
    return w;
}

bool auth_failures_blocked(const char *addr, long limit, time_t now, long *retry_after_s)
{
    const failure_window *w = live_window(addr, now);
    if (limit <= 0 || !w || w->count < limit)
        return false;
    long left = (long)(w->window_start + AUTH_FAILURE_WINDOW_S - now);
    *retry_after_s = left > 0 ? left : 1;
    return true;
}

void auth_failures_record(const char *addr, time_t now)
{
    failure_window *w = live_window(addr, now);
    if (!w) {
        w = slot_of(addr);
        snprintf(w->addr, sizeof w->addr, "%s", addr);
        w->window_start = now;
        w->count = 0;
    }
    w->count++;
}

void auth_failures_reset(void)
{
    memset(SLOTS, 0, sizeof SLOTS);
}
