"""Identity under hostile callers (issue 15, findings 6, 9 and 10), against
real redis-server, gateway and node processes and a fake ScaiKey:

* a JWT whose tenant_id is not its user's tenant is refused (401) on listing,
  revoking and minting that user's API keys;
* JWTs with a `crit` header or an absurd exp (1e300) are refused;
* wrong credentials from one address are rate limited (429 + Retry-After),
  even when the next credential is right;
* a 403 of a known caller carries the X-Scaispeak-Ratelimit-* headers;
* draining shared nodes is for super_admin and the operator token only;
* the text blocklist sees through SSML <break>, entities, zero-width
  characters, hyphens, case and punctuation, on word boundaries."""
import os

import pytest

import fake_scaikey as fk
import harness
from harness import assert_error, assert_ok
from test_speak import admin, ready_node, speak

BLOCKLIST = "/v1/modules/scaispeak/admin/blocklist"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_tenant(redis):
    return admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]


def new_user(redis, tenant, role):
    return admin(redis, "create-user", "--tenant", tenant, "--role", role)[0]


def new_key(redis, user):
    out = admin(redis, "create-key", "--user", user)
    return out[0], out[1]


@pytest.fixture
def scaikey():
    srv = fk.JwksServer([fk.Key("rsa-1")])
    yield srv
    srv.close()


@pytest.fixture
def jwt_gateway(procs, redis, scaikey):
    env = {"SCAISPEAK_JWKS_URL": scaikey.url, "SCAISPEAK_JWT_ISSUER": fk.ISSUER,
           "SCAISPEAK_JWT_AUDIENCE": fk.AUDIENCE}
    return harness.Gateway(procs, redis.port, env=env).start()


def test_jwt_naming_another_tenant_cannot_touch_the_users_keys(redis, jwt_gateway, scaikey):
    tenant_a, tenant_b = new_tenant(redis), new_tenant(redis)
    user_a = new_user(redis, tenant_a, "tenant_admin")
    key_a, key_id_a = new_key(redis, user_a)
    signer = scaikey.keys[0]
    forged = fk.mint(signer, fk.claims(sub=user_a, tenant=tenant_b, role="tenant_admin"))
    gw = jwt_gateway
    assert_error(gw.http.request("GET", "/v1/api-keys", headers=bearer(forged)), 401, "AUTH_TOKEN_INVALID")
    assert_error(gw.http.request("DELETE", f"/v1/api-keys/{key_id_a}", headers=bearer(forged)), 401,
                 "AUTH_TOKEN_INVALID")
    assert_error(gw.http.request("POST", "/v1/api-keys", json_body={"name": "x"}, headers=bearer(forged)), 401,
                 "AUTH_TOKEN_INVALID")
    assert "is not the tenant of its user" in gw.proc.log_text() or "belongs to tenant" in gw.proc.log_text()
    # the user's key still works and nothing was added to it
    assert_ok(gw.http.request("GET", "/v1/me", headers=bearer(key_a)))
    honest = fk.mint(signer, fk.claims(sub=user_a, tenant=tenant_a, role="tenant_admin"))
    items = assert_ok(gw.http.request("GET", "/v1/api-keys", headers=bearer(honest)))["items"]
    assert [i["key_id"] for i in items] == [key_id_a] and items[0]["revoked_at"] is None
    # a ScaiKey user with no record here is still accepted on its token alone
    assert_ok(gw.http.request("GET", "/v1/me", headers=bearer(fk.mint(signer, fk.claims(sub="usr_elsewhere")))))


def test_crit_header_and_absurd_exp_are_refused(jwt_gateway, scaikey):
    signer = scaikey.keys[0]
    cases = {
        "crit": fk.mint(signer, fk.claims(), {"crit": ["exp"]}),
        "crit b64": fk.mint(signer, fk.claims(), {"crit": ["b64"], "b64": False}),
        "exp 1e300": fk.mint(signer, fk.claims(exp=1e300)),
        "exp fractional": fk.mint(signer, fk.claims(exp=fk.claims()["exp"] + 0.5)),
        "exp in 50 years": fk.mint(signer, fk.claims(ttl=50 * 366 * 86400)),
        "nbf negative": fk.mint(signer, fk.claims(nbf=-1)),
    }
    for name, tok in cases.items():
        resp = jwt_gateway.http.request("GET", "/v1/me", headers=bearer(tok))
        assert resp.status == 401, (name, resp)
        assert resp.json()["error"]["code"] == "AUTH_TOKEN_INVALID", (name, resp.json())
    assert_ok(jwt_gateway.http.request("GET", "/v1/me", headers=bearer(fk.mint(signer, fk.claims()))))


def test_failed_authentications_are_rate_limited_per_address(procs, redis):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_AUTH_FAILURES_PER_MINUTE": "5"}).start()
    tenant = new_tenant(redis)
    good, _ = new_key(redis, new_user(redis, tenant, "tenant_user"))
    for i in range(5):
        assert_error(gw.http.request("GET", "/v1/me", headers=bearer(f"sgk_{'x' * 40}{i}")), 401,
                     "AUTH_TOKEN_INVALID")
    resp = gw.http.request("GET", "/v1/me", headers=bearer("sgk_" + "y" * 41))
    err = assert_error(resp, 429, "RATE_LIMITED")
    assert 0 < int(resp.header("Retry-After")) <= 60
    assert err["retry_after"] == int(resp.header("Retry-After"))
    # a right credential from the same address learns nothing until the minute ends
    assert_error(gw.http.request("GET", "/v1/me", headers=bearer(good)), 429, "RATE_LIMITED")
    # public routes are not affected
    assert gw.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_403_of_a_known_caller_carries_rate_limit_headers(redis, gateway):
    tenant = new_tenant(redis)
    key, _ = new_key(redis, new_user(redis, tenant, "tenant_viewer"))
    resp = gateway.http.request("GET", "/v1/infra/nodes", headers=bearer(key))
    assert_error(resp, 403, "AUTHZ_PERMISSION_DENIED")
    assert int(resp.header("X-Scaispeak-Ratelimit-Limit")) > 0
    assert resp.header("X-Scaispeak-Ratelimit-Remaining") is not None
    assert resp.header("X-Scaispeak-Ratelimit-Reset") is not None
    resp = speak(gateway, key, {"text": "Hello."})  # a route that rate limits itself
    assert_error(resp, 403, "AUTHZ_PERMISSION_DENIED")
    assert resp.header("X-Scaispeak-Ratelimit-Remaining") is not None


@pytest.fixture
def known_node(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-shared", interval_ms=10000)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    assert gateway.node_status("itest-shared") == "online"
    return "itest-shared"


def test_only_platform_operators_drain_shared_nodes(redis, gateway, known_node):
    tenant = new_tenant(redis)
    tenant_admin, _ = new_key(redis, new_user(redis, tenant, "tenant_admin"))
    super_admin, _ = new_key(redis, new_user(redis, tenant, "super_admin"))
    for action in ("drain", "undrain"):
        resp = gateway.http.request("POST", f"/v1/infra/nodes/{known_node}/{action}", headers=bearer(tenant_admin))
        assert_error(resp, 403, "AUTHZ_PERMISSION_DENIED")
        assert resp.header("X-Scaispeak-Ratelimit-Limit") is not None
    assert gateway.node_status(known_node) == "online"
    assert_ok(gateway.http.request("GET", "/v1/infra/nodes", headers=bearer(tenant_admin)))  # reading is fine
    assert_ok(gateway.http.request("POST", f"/v1/infra/nodes/{known_node}/drain", headers=bearer(super_admin)))
    assert gateway.node_status(known_node) == "draining"
    assert_ok(gateway.http.request("POST", f"/v1/infra/nodes/{known_node}/undrain", headers=bearer(super_admin)))
    assert_ok(gateway.http.post(f"/v1/infra/nodes/{known_node}/drain", token=True))
    assert gateway.node_status(known_node) == "draining"
    assert_ok(gateway.http.post(f"/v1/infra/nodes/{known_node}/undrain", token=True))
    assert gateway.node_status(known_node) == "online"


BYPASSES = {
    "ssml break": "<speak>Say forbidden<break time=\"300ms\"/>words now.</speak>",
    "numeric entity": "Say forbidden&#32;words now.",
    "hex entity": "Say forbidden&#x20;words now.",
    "zero-width space": "Say forbidden\u200bwords now.",
    "zero-width inside a word": "Say for\u200bbidden words now.",
    "hyphen": "Say forbidden-words now.",
    "case": "Say FoRbIdDeN WORDS now.",
    "punctuation": "Say forbidden... words!",
}


def test_blocklist_bypasses_are_blocked(redis, gateway, start_node):
    ready_node(gateway, start_node)
    key, _ = new_key(redis, new_user(redis, new_tenant(redis), "tenant_admin"))
    for pattern in ("forbidden words", "ass"):
        assert_ok(gateway.http.request("POST", BLOCKLIST, json_body={"kind": "text", "pattern": pattern},
                                       headers=bearer(key)), 201)
    for name, text in BYPASSES.items():
        resp = speak(gateway, key, {"text": text})
        assert resp.status == 422, (name, resp)
        assert resp.json()["error"]["code"] == "SCAISPEAK_CONTENT_BLOCKED", (name, resp.json())
    assert speak(gateway, key, {"text": "A class of glass."}).status == 200
    assert_error(gateway.http.request("POST", BLOCKLIST, json_body={"kind": "text", "pattern": "-- !"},
                                      headers=bearer(key)), 422, "VALIDATION_ERROR")
