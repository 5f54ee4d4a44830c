/* Unit tests for gateway/identity_cache.c: lookups, expiry, the bound
 * (oldest insertion replaced), refresh in place, drop. */
#include "gateway/identity_cache.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* A SHA-256-like hex key for n. */
static void key_of(int n, char out[IDENTITY_CACHE_KEY_LEN + 1])
{
    snprintf(out, IDENTITY_CACHE_KEY_LEN + 1, "%064x", (unsigned)n * 2654435761u);
}

static gw_caller caller_of(int n)
{
    gw_caller c = {.kind = CALLER_API_KEY, .role = 3, .permissions = 5u};
    snprintf(c.user_id, sizeof c.user_id, "u_%d", n);
    snprintf(c.tenant_id, sizeof c.tenant_id, "t_%d", n);
    return c;
}

Test(identity_cache, gives_back_what_was_put_until_it_expires)
{
    identity_cache *ic = identity_cache_new(8, 60.0);
    cr_assert_not_null(ic);
    char k[IDENTITY_CACHE_KEY_LEN + 1], fp[IDENTITY_CACHE_FP_MAX + 1];
    key_of(1, k);
    gw_caller c = caller_of(1), got;
    cr_assert(!identity_cache_get(ic, k, 100.0, &got, fp), "empty");
    cr_assert_eq(identity_cache_put(ic, k, &c, "abc123", 100.0), 0);
    cr_assert(identity_cache_get(ic, k, 159.9, &got, fp));
    cr_assert_str_eq(got.user_id, "u_1");
    cr_assert_str_eq(got.tenant_id, "t_1");
    cr_assert_eq(got.permissions, 5u);
    cr_assert_str_eq(fp, "abc123");
    cr_assert(!identity_cache_get(ic, k, 160.0, &got, fp), "60 s old: expired");
    cr_assert(!identity_cache_get(ic, k, 99.0, &got, fp), "a clock before the entry: not served");
    identity_cache_free(ic);
}

Test(identity_cache, is_bounded_and_replaces_the_oldest)
{
    identity_cache *ic = identity_cache_new(4, 60.0);
    char k[IDENTITY_CACHE_KEY_LEN + 1], fp[IDENTITY_CACHE_FP_MAX + 1];
    gw_caller got;
    for (int i = 0; i < 4; i++) {
        key_of(i, k);
        gw_caller c = caller_of(i);
        cr_assert_eq(identity_cache_put(ic, k, &c, "f", 1.0 + i), 0);
    }
    cr_assert_eq(identity_cache_size(ic), 4);
    key_of(4, k);
    gw_caller c4 = caller_of(4);
    identity_cache_put(ic, k, &c4, "f", 10.0);
    cr_assert_eq(identity_cache_size(ic), 4, "never more than capacity");
    key_of(0, k);
    cr_assert(!identity_cache_get(ic, k, 11.0, &got, fp), "the oldest went");
    for (int i = 1; i <= 4; i++) {
        key_of(i, k);
        cr_assert(identity_cache_get(ic, k, 11.0, &got, fp), "entry %d kept", i);
        char want[16];
        snprintf(want, sizeof want, "u_%d", i);
        cr_assert_str_eq(got.user_id, want);
    }
    for (int i = 5; i < 1000; i++) { /* many rounds of the ring */
        key_of(i, k);
        gw_caller c = caller_of(i);
        identity_cache_put(ic, k, &c, "f", 20.0);
    }
    cr_assert_eq(identity_cache_size(ic), 4);
    key_of(999, k);
    cr_assert(identity_cache_get(ic, k, 21.0, &got, fp));
    key_of(995, k);
    cr_assert(!identity_cache_get(ic, k, 21.0, &got, fp));
    identity_cache_free(ic);
}

Test(identity_cache, a_second_put_refreshes_in_place)
{
    identity_cache *ic = identity_cache_new(2, 60.0);
    char k[IDENTITY_CACHE_KEY_LEN + 1], fp[IDENTITY_CACHE_FP_MAX + 1];
    gw_caller got, c = caller_of(7);
    key_of(7, k);
    identity_cache_put(ic, k, &c, "old", 1.0);
    c.permissions = 0;
    identity_cache_put(ic, k, &c, "new", 50.0);
    cr_assert_eq(identity_cache_size(ic), 1, "one entry per key");
    cr_assert(identity_cache_get(ic, k, 100.0, &got, fp), "the refresh restarted its 60 s");
    cr_assert_str_eq(fp, "new");
    cr_assert_eq(got.permissions, 0u);
    identity_cache_free(ic);
}

Test(identity_cache, drop_forgets_and_frees_a_slot)
{
    identity_cache *ic = identity_cache_new(3, 60.0);
    char a[IDENTITY_CACHE_KEY_LEN + 1], b[IDENTITY_CACHE_KEY_LEN + 1], fp[IDENTITY_CACHE_FP_MAX + 1];
    gw_caller got, c = caller_of(1);
    key_of(1, a);
    key_of(2, b);
    identity_cache_put(ic, a, &c, "f", 1.0);
    identity_cache_put(ic, b, &c, "f", 1.0);
    identity_cache_drop(ic, a);
    identity_cache_drop(ic, a); /* twice: harmless */
    cr_assert_eq(identity_cache_size(ic), 1);
    cr_assert(!identity_cache_get(ic, a, 2.0, &got, fp));
    cr_assert(identity_cache_get(ic, b, 2.0, &got, fp));
    identity_cache_free(ic);
}

Test(identity_cache, refuses_what_does_not_fit)
{
    cr_assert_null(identity_cache_new(0, 60.0));
    cr_assert_null(identity_cache_new(4, 0.0));
    identity_cache *ic = identity_cache_new(4, 60.0);
    char k[IDENTITY_CACHE_KEY_LEN + 1], longer[IDENTITY_CACHE_KEY_LEN + 2];
    char fp_long[IDENTITY_CACHE_FP_MAX + 2];
    gw_caller c = caller_of(1);
    key_of(1, k);
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memset(fp_long, 'f', sizeof fp_long - 1);
    fp_long[sizeof fp_long - 1] = '\0';
    cr_assert_eq(identity_cache_put(ic, longer, &c, "f", 1.0), -1);
    cr_assert_eq(identity_cache_put(ic, k, &c, fp_long, 1.0), -1);
    cr_assert_eq(identity_cache_put(ic, k, &c, "", 1.0), -1);
    cr_assert_eq(identity_cache_size(ic), 0);
    identity_cache_free(ic);
}
