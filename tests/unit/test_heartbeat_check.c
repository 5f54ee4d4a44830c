/* Unit tests for gateway/heartbeat_check: a heartbeat as a node sends it
 * passes; a string over its bound or not UTF-8 (protobuf-c does not check)
 * and a number out of range are refused with the field named. */
#include "gateway/heartbeat_check.h"

#include <criterion/criterion.h>
#include <string.h>

#define NOW_S 1796000000LL

typedef struct {
    Scaiinfer__V1__HeartbeatRequest hb;
    Scaiinfer__V1__HeartbeatEngine engine, *engines[1];
    char *voices[1];
} heartbeat;

static void heartbeat_init(heartbeat *h)
{
    h->hb = (Scaiinfer__V1__HeartbeatRequest)SCAIINFER__V1__HEARTBEAT_REQUEST__INIT;
    h->engine = (Scaiinfer__V1__HeartbeatEngine)SCAIINFER__V1__HEARTBEAT_ENGINE__INIT;
    h->engine.engine_id = "scaispeak-hts-en";
    h->engine.kind = "hts";
    h->engine.sample_rate = 32000;
    h->engine.gender = "female";
    h->engine.accent = "us";
    h->engine.language = "en-US";
    h->engines[0] = &h->engine;
    h->voices[0] = "vc_caf\xc3\xa9";
    h->hb.node_id = "node-1";
    h->hb.address = "127.0.0.1:50061";
    h->hb.n_engines = 1;
    h->hb.engines = h->engines;
    h->hb.n_voices_cached = 1;
    h->hb.voices_cached = h->voices;
    h->hb.slots = 4;
    h->hb.started_at = NOW_S - 60;
    h->hb.kernels = "cpu";
    h->hb.version = "0.1.0";
}

static const char *check(const heartbeat *h)
{
    static char msg[256];
    msg[0] = 0;
    bool ok = heartbeat_check(&h->hb, NOW_S, msg, sizeof msg);
    cr_assert_eq(ok, msg[0] == 0, "ok %d with '%s'", ok, msg);
    return msg;
}

Test(heartbeat_check, a_nodes_heartbeat_passes)
{
    heartbeat h;
    heartbeat_init(&h);
    cr_assert_str_empty(check(&h));
}

Test(heartbeat_check, strings_that_are_not_utf8_are_named)
{
    heartbeat h;
    heartbeat_init(&h);
    h.engine.language = "en-\xff";
    cr_assert_str_eq(check(&h), "engines.language is not valid UTF-8");
    heartbeat_init(&h);
    h.engine.accent = "\xc0\xaf";
    cr_assert_str_eq(check(&h), "engines.accent is not valid UTF-8");
    heartbeat_init(&h);
    h.voices[0] = "vc_\xed\xa0\x80";
    cr_assert_str_eq(check(&h), "voices_cached entry is not valid UTF-8");
    heartbeat_init(&h);
    h.hb.version = "1.\xe2\x82";
    cr_assert_str_eq(check(&h), "version is not valid UTF-8");
}

Test(heartbeat_check, bounds_are_named)
{
    heartbeat h;
    heartbeat_init(&h);
    char long_gender[200];
    memset(long_gender, 'x', sizeof long_gender - 1);
    long_gender[sizeof long_gender - 1] = 0;
    h.engine.gender = long_gender;
    cr_assert_str_eq(check(&h), "engines.gender is longer than 128 bytes");
    heartbeat_init(&h);
    h.hb.started_at = -1;
    cr_assert(strstr(check(&h), "started_at (-1)"));
}
