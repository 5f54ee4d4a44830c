"""The gateway and its state store: scripts run by EVALSHA survive Redis
forgetting them (SCRIPT FLUSH, a restart), and every route that needs Redis
answers its absence with the same 503 body, logged with the request id."""
import re
import time

import pytest

import fake_scaikey as fk
import harness
from harness import assert_ok, wait_for
from test_speak import POLICY, SPEAK, key_for, ready_node, speak

BLOCKLIST = "/v1/modules/scaispeak/admin/blocklist"
UNAVAILABLE = {"code": "SERVICE_UNAVAILABLE", "message": "state store (redis) unavailable"}


@pytest.fixture
def tenant(redis):
    from test_speak import admin
    return admin(redis, "create-tenant", "--name", "s-" + str(time.monotonic_ns()))[0]


def test_speak_survives_script_flush(redis, gateway, start_node, tenant):
    ready_node(gateway, start_node)
    key = key_for(redis, tenant)
    marker = "script speak_admit not in the server's cache"
    assert speak(gateway, key, {"text": "Before the flush."}).status == 200
    loads = gateway.proc.log_text().count(marker)
    assert loads == 1, "the first use loads the script"
    assert speak(gateway, key, {"text": "Loaded."}).status == 200
    assert gateway.proc.log_text().count(marker) == 1, "loaded once, then EVALSHA finds it"
    assert harness.redis_command(redis.port, "SCRIPT", "FLUSH") == "+OK"
    resp = speak(gateway, key, {"text": "After the flush."})
    assert resp.status == 200, resp
    assert resp.header("X-Scaispeak-Ratelimit-Limit") == "60"
    assert_ok(gateway.http.request("GET", POLICY, headers={"Authorization": f"Bearer {key}"}))
    assert speak(gateway, key, {"text": "Once more."}).status == 200
    assert gateway.proc.log_text().count(marker) == 2, "NOSCRIPT met once after the flush, then loaded"


def test_speak_survives_redis_restart(redis, gateway, start_node, tenant):
    node = ready_node(gateway, start_node)
    key = key_for(redis, tenant)
    assert speak(gateway, key, {"text": "Before the restart."}).status == 200
    redis.stop()
    redis.start()
    gateway.wait_node_status(node.node_id, "online", 10 * harness.SLOW)
    resp = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
        speak(gateway, key, {"text": "After the restart."})), 10 * harness.SLOW, interval=0.2,
        what="/speak after the Redis restart")
    assert resp.header("X-Scaispeak-Backend") == "A"


@pytest.fixture
def scaikey():
    srv = fk.JwksServer([fk.Key("rsa-1")])
    yield srv
    srv.close()


def test_redis_down_gives_one_503_everywhere(procs, redis, scaikey, tenant):
    env = {"SCAISPEAK_JWKS_URL": scaikey.url, "SCAISPEAK_JWT_ISSUER": fk.ISSUER,
           "SCAISPEAK_JWT_AUDIENCE": fk.AUDIENCE}
    gw = harness.Gateway(procs, redis.port, env=env).start()
    api_key = key_for(redis, tenant)
    jwt = fk.mint(scaikey.keys[0], fk.claims(sub="usr_j", tenant=tenant, role="tenant_admin"))
    assert_ok(gw.http.request("GET", "/v1/me", headers={"Authorization": f"Bearer {api_key}"}))
    redis.stop()
    calls = [  # (method, path, credential, body): each reaches Redis through another file
        ("GET", "/v1/me", api_key, None),                      # authentication (API key)
        ("POST", SPEAK, api_key, {"text": "Hello."}),          # authentication (API key)
        ("GET", "/v1/me", jwt, None),                          # rate limit
        ("POST", SPEAK, jwt, {"text": "Hello."}),              # /speak's context
        ("GET", POLICY, jwt, None),                            # tenant policy
        ("PUT", POLICY, jwt, {"default_backend": "A"}),        # tenant policy
        ("GET", BLOCKLIST, jwt, None),                         # blocklist (after the rate limit)
        ("GET", "/v1/infra/nodes", gw.operator_token, None),   # node registry
        ("GET", "/v1/infra/nodes/n1", gw.operator_token, None),
        ("POST", "/v1/infra/nodes/n1/drain", gw.operator_token, None),
    ]
    ids = []
    for method, path, cred, body in calls:
        resp = gw.http.request(method, path, json_body=body, headers={"Authorization": f"Bearer {cred}"})
        assert resp.status == 503, (method, path, resp)
        j = resp.json()
        assert j["status"] == "error" and j["error"] == UNAVAILABLE, (method, path, j)
        assert j["meta"]["request_id"] == resp.header("X-Request-Id")
        ids.append(resp.header("X-Request-Id"))
    log = gw.proc.log_text()
    for rid in ids:
        assert re.search(r'"request_id":"%s".*state store \(redis\) unavailable: ' % re.escape(rid), log), \
            f"no log line for {rid}"
