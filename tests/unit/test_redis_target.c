/* Unit tests for common/redis_target.h: the redis_sentinels list, the
 * target built from settings (WAIT only with Sentinel), and which error
 * answers send a client back to the sentinels. */
#include "common/config.h"
#include "common/redis_target.h"
#include "common/settings.h"

#include <criterion/criterion.h>
#include <string.h>

static size_t parse(const char *list, ss_redis_address *out, char *err)
{
    size_t n = 99;
    int rc = ss_redis_parse_addresses(list, out, 4, &n, err, 256);
    return rc == 0 ? n : (size_t)-1;
}

Test(redis_target, sentinel_lists_parse_with_spaces_and_ipv6)
{
    ss_redis_address a[4];
    char err[256];
    cr_assert_eq(parse("", a, err), 0);
    cr_assert_eq(parse("10.0.0.1:26379, sentinel-b:26380 ,[::1]:5", a, err), 3, "%s", err);
    cr_assert_str_eq(a[0].host, "10.0.0.1");
    cr_assert_eq(a[0].port, 26379);
    cr_assert_str_eq(a[1].host, "sentinel-b");
    cr_assert_eq(a[1].port, 26380);
    cr_assert_str_eq(a[2].host, "::1");
    cr_assert_eq(a[2].port, 5);
}

Test(redis_target, malformed_lists_are_refused_with_the_item)
{
    ss_redis_address a[4];
    char err[256];
    const char *bad[] = {"host", "host:", ":26379", "h:0", "h:65536", "h:12x", "a:1,", "a:1,,b:2", "[::1]26379",
                         "a:1,b:2,c:3,d:4,e:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse(bad[i], a, err), (size_t)-1, "%s accepted", bad[i]);
    parse("a:1, nonsense", a, err);
    cr_assert_str_eq(err, "'nonsense' is not host:port");
    parse("a:1,b:2,c:3,d:4,e:5", a, err);
    cr_assert_str_eq(err, "more than 4 addresses");
}

Test(redis_target, wait_only_with_sentinel)
{
    char err[256] = "";
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(ss_config_set(s, "redis_sentinels", "", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_config_set(s, "redis_port", "6390", err, sizeof err), 0, "%s", err);
    ss_redis_target t;
    cr_assert_eq(ss_redis_target_from_settings(&t, s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.nsentinels, 0);
    cr_assert_eq(t.wait_replicas, 0, "a lone Redis has no replica to wait for");
    char where[300];
    ss_redis_target_describe(&t, where, sizeof where);
    cr_assert_str_eq(where, "127.0.0.1:6390");
    cr_assert_eq(ss_config_set(s, "redis_sentinels", "127.0.0.1:26379,127.0.0.1:26380", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_redis_target_from_settings(&t, s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.nsentinels, 2);
    cr_assert_eq(t.wait_replicas, 1);
    cr_assert_eq(t.wait_timeout_ms, 1000);
    cr_assert_str_eq(t.master_name, "scaispeak");
    ss_redis_target_describe(&t, where, sizeof where);
    cr_assert_str_eq(where, "sentinel master scaispeak (2 sentinels)");
    cr_assert_eq(ss_config_set(s, "redis_sentinels", "oops", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_redis_target_from_settings(&t, s, err, sizeof err), -1);
    cr_assert_str_eq(err, "redis_sentinels: 'oops' is not host:port");
    ss_config_free(s);
}

Test(redis_target, demoted_primary_answers_send_the_client_back_to_the_sentinels)
{
    cr_assert(ss_redis_error_wants_new_primary("READONLY You can't write against a read only replica."));
    cr_assert(ss_redis_error_wants_new_primary("MASTERDOWN Link with MASTER is down"));
    cr_assert(ss_redis_error_wants_new_primary("LOADING Redis is loading the dataset in memory"));
    cr_assert_not(ss_redis_error_wants_new_primary("ERR unknown command"));
    cr_assert_not(ss_redis_error_wants_new_primary("NOSCRIPT No matching script"));
    cr_assert_not(ss_redis_error_wants_new_primary(NULL));
}
