"""Tenant controls on the gateway: the permission table (every role × the
issue's routes), rate limits with their headers and 429, the text blocklist,
and voice visibility across tenants (404, never 403)."""
import json
import os

import pytest

import harness
from harness import assert_error, assert_ok
from test_speak import POLICY, SPEAK, admin, put_policy, ready_node, speak

BLOCKLIST = "/v1/modules/scaispeak/admin/blocklist"


def new_tenant(redis):
    return admin(redis, "create-tenant", "--name", "c-" + os.urandom(3).hex())[0]


def key_for(redis, tenant, role):
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role)[0]
    return admin(redis, "create-key", "--user", user)[0]


def call(gw, method, path, key, body=None):
    return gw.http.request(method, path, json_body=body, headers={"Authorization": f"Bearer {key}"})


# role -> expected status for each (method, path, body)
ROUTES = [
    ("POST", SPEAK, {"text": "Table."}),
    ("GET", POLICY, None),
    ("PUT", POLICY, {"allowed_backends": ["A", "B"]}),
    ("GET", BLOCKLIST, None),
    ("GET", "/v1/infra/nodes", None),
    ("GET", "/v1/api-keys", None),
]
EXPECT = {
    "super_admin":   [200, 200, 200, 200, 200, 200],
    "tenant_admin":  [200, 200, 200, 200, 200, 200],
    "tenant_user":   [403, 403, 403, 403, 403, 200],
    "tenant_viewer": [403, 403, 403, 403, 403, 200],
}


def test_permission_table(redis, gateway, start_node):
    ready_node(gateway, start_node)
    tenant = new_tenant(redis)
    for role, expected in EXPECT.items():
        key = key_for(redis, tenant, role)
        for (method, path, body), want in zip(ROUTES, expected):
            resp = call(gateway, method, path, key, body)
            assert resp.status == want, (role, method, path, resp)
            if want == 403:
                assert resp.json()["error"]["code"] == "AUTHZ_PERMISSION_DENIED"


def test_rate_limit_headers_and_429(redis, gateway):
    tenant = new_tenant(redis)
    admin_key = key_for(redis, tenant, "tenant_admin")
    put_policy(gateway, admin_key, {"rate_limits": {"per_key": 3, "per_user": 100, "per_tenant": 100}})
    key = key_for(redis, tenant, "tenant_viewer")
    remaining = []
    for _ in range(3):
        resp = call(gateway, "GET", "/v1/me", key)
        assert resp.status == 200
        assert resp.header("X-Scaispeak-Ratelimit-Limit") == "3"
        remaining.append(int(resp.header("X-Scaispeak-Ratelimit-Remaining")))
        assert 0 < int(resp.header("X-Scaispeak-Ratelimit-Reset")) <= 60
    assert remaining == [2, 1, 0]
    err_resp = call(gateway, "GET", "/v1/me", key)
    err = assert_error(err_resp, 429, "RATE_LIMITED")
    assert 0 < int(err_resp.header("Retry-After")) <= 60
    assert err["retry_after"] == int(err_resp.header("Retry-After"))
    # reusing one X-Request-Id does not escape the count
    other = key_for(redis, tenant, "tenant_viewer")
    for i in range(4):
        resp = gateway.http.request("GET", "/v1/me", headers={"Authorization": f"Bearer {other}",
                                                              "X-Request-Id": "same-id"})
        assert resp.status == (200 if i < 3 else 429), (i, resp)
    # another key of the same tenant is counted apart
    assert call(gateway, "GET", "/v1/me", key_for(redis, tenant, "tenant_viewer")).status == 200


def test_tenant_window_covers_all_its_keys(redis, gateway):
    tenant = new_tenant(redis)
    admin_key = key_for(redis, tenant, "tenant_admin")
    put_policy(gateway, admin_key, {"rate_limits": {"per_key": 100, "per_user": 100, "per_tenant": 4}})
    keys = [key_for(redis, tenant, "tenant_viewer") for _ in range(3)]
    statuses = [call(gateway, "GET", "/v1/me", keys[i % 3]).status for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429], statuses  # the PUT above used one slot


def test_blocklist_blocks_text(redis, gateway, start_node):
    ready_node(gateway, start_node)
    tenant = new_tenant(redis)
    key = key_for(redis, tenant, "tenant_admin")
    entry = assert_ok(call(gateway, "POST", BLOCKLIST, key,
                           {"kind": "text", "pattern": "Forbidden   Words", "note": "test"}), 201)
    assert entry["kind"] == "text" and entry["id"].startswith("bl_")
    items = assert_ok(call(gateway, "GET", BLOCKLIST, key))["items"]
    assert [i["id"] for i in items] == [entry["id"]]
    err = assert_error(speak(gateway, key, {"text": "These are forbidden words, said aloud."}), 422,
                       "SCAISPEAK_CONTENT_BLOCKED")
    assert entry["id"] in err["message"] and "orbidden" not in err["message"]
    assert speak(gateway, key, {"text": "These words are fine."}).status == 200
    other = key_for(redis, new_tenant(redis), "tenant_admin")
    assert speak(gateway, other, {"text": "Forbidden words elsewhere are fine."}).status == 200
    assert_ok(call(gateway, "DELETE", f"{BLOCKLIST}/{entry['id']}", key))
    assert speak(gateway, key, {"text": "Forbidden words now pass."}).status == 200
    assert_error(call(gateway, "DELETE", f"{BLOCKLIST}/{entry['id']}", key), 404,
                 "SCAISPEAK_BLOCKLIST_ENTRY_NOT_FOUND")
    for bad in ({"kind": "text"}, {"kind": "image", "pattern": "x"}, {"kind": "text", "pattern": ""},
                {"kind": "speaker"}, {"kind": "text", "pattern": "x", "note": 5}):
        assert_error(call(gateway, "POST", BLOCKLIST, key, bad), 422, "VALIDATION_ERROR")


def test_blocklist_fails_closed_on_an_unreadable_entry(redis, gateway, start_node):
    ready_node(gateway, start_node)
    tenant = new_tenant(redis)
    key = key_for(redis, tenant, "tenant_admin")
    assert harness.redis_command(redis.port, "HSET", f"ss:tenant:{tenant}:blocklist", "bl_broken",
                                 "{not json") == ":1"
    err = assert_error(speak(gateway, key, {"text": "Anything at all."}), 500, "INTERNAL_ERROR")
    assert "bl_broken" in err["message"] and "not JSON" in err["message"], err
    assert "blocklist entry bl_broken is not JSON" in gateway.proc.log_text()
    assert_ok(call(gateway, "DELETE", f"{BLOCKLIST}/bl_broken", key))
    assert speak(gateway, key, {"text": "Anything at all."}).status == 200


def test_other_tenants_voice_is_not_found(redis, gateway, start_node):
    ready_node(gateway, start_node)
    t1, t2 = new_tenant(redis), new_tenant(redis)
    voice = {"voice_id": "vc_t1_private", "display_name": "T1 voice", "scope": "tenant", "tenant_id": t1,
             "owner_user_id": None, "engine": "scaispeak-hts-en", "embedding_status": "ready"}
    harness.redis_command(redis.port, "SET", "ss:voice:vc_t1_private", json.dumps(voice))
    pending = dict(voice, voice_id="vc_t1_pending", embedding_status="processing")
    harness.redis_command(redis.port, "SET", "ss:voice:vc_t1_pending", json.dumps(pending))
    k1, k2 = key_for(redis, t1, "tenant_admin"), key_for(redis, t2, "tenant_admin")
    resp = speak(gateway, k1, {"text": "My own voice.", "voice_id": "vc_t1_private"})
    assert resp.status == 200 and resp.header("X-Scaispeak-Voice-Id") == "vc_t1_private"
    assert_error(speak(gateway, k2, {"text": "Not mine.", "voice_id": "vc_t1_private"}), 404,
                 "SCAISPEAK_VOICE_NOT_FOUND")
    assert_error(speak(gateway, k1, {"text": "Not yet.", "voice_id": "vc_t1_pending"}), 409,
                 "SCAISPEAK_VOICE_NOT_READY")
    assert_error(speak(gateway, k2, {"text": "Not mine.", "voice_id": "vc_t1_pending"}), 404,
                 "SCAISPEAK_VOICE_NOT_FOUND")
