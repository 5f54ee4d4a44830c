"""Identity: tenants, users and API keys made with `scaispeak admin`, used on
the gateway (GET /v1/me, /v1/api-keys, the operator gate of /v1/infra/nodes),
against real redis-server and gateway processes."""
import hashlib
import os

import pytest

import harness
from harness import assert_error, assert_ok


def admin(redis, *args, ok=True):
    res = harness.admin_run(redis.port, *args)
    if ok:
        assert res.returncode == 0, res.stderr
    return res


@pytest.fixture
def tenant(redis):
    name = "acme-" + os.urandom(3).hex()
    return admin(redis, "create-tenant", "--name", name).stdout.strip()


def make_key(redis, tenant, role, grants=""):
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role, "--name", role,
                 *(["--grant", grants] if grants else [])).stdout.strip()
    out = admin(redis, "create-key", "--user", user).stdout.split()
    return user, out[0], out[1]


def call(gateway, method, path, key, **kw):
    return gateway.http.request(method, path, headers={"Authorization": f"Bearer {key}"}, **kw)


def test_me_reports_caller_tenant_role_and_permissions(redis, gateway, tenant):
    user, key, key_id = make_key(redis, tenant, "tenant_user", "scaispeak:synthesize")
    assert key.startswith("sgk_") and len(key) >= 36
    data = assert_ok(call(gateway, "GET", "/v1/me", key))
    assert data["caller"]["user_id"] == user
    assert data["caller"]["key_id"] == key_id
    assert data["tenant"]["tenant_id"] == tenant
    assert data["role"] == "tenant_user"
    assert data["permissions"] == ["scaispeak:synthesize"]


def test_keys_are_stored_only_as_sha256(redis, gateway, tenant):
    _, key, _ = make_key(redis, tenant, "tenant_admin")
    created = assert_ok(call(gateway, "POST", "/v1/api-keys", key, json_body={"name": "x"}), 201)
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert harness.redis_command(redis.port, "EXISTS", f"ss:apikey:{digest}") == ":1"
    # The AOF holds every write Redis received: the secrets never reached it.
    assert harness.redis_command(redis.port, "BGREWRITEAOF").startswith("+")
    harness.wait_for(lambda: "aof_rewrite_in_progress:0" in
                     harness.redis_command(redis.port, "INFO", "persistence"), 10)
    blob = b""
    for root, _, files in os.walk(redis.dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                blob += fh.read()
    assert digest.encode() in blob
    assert key.encode() not in blob and created["key"].encode() not in blob


@pytest.mark.parametrize("role,expected", [
    ("super_admin", 200), ("tenant_admin", 200), ("tenant_user", 403), ("tenant_viewer", 403)])
def test_infra_nodes_is_for_operators(redis, gateway, tenant, role, expected):
    _, key, _ = make_key(redis, tenant, role)
    resp = call(gateway, "GET", "/v1/infra/nodes", key)
    if expected == 200:
        assert_ok(resp)
    else:
        assert_error(resp, 403, "AUTHZ_PERMISSION_DENIED")


def test_missing_unknown_malformed_and_revoked_keys(redis, gateway, tenant):
    assert_error(gateway.http.request("GET", "/v1/me", token=None), 401, "AUTH_TOKEN_MISSING")
    unknown = "sgk_" + "A" * 40
    assert_error(call(gateway, "GET", "/v1/me", unknown), 401, "AUTH_TOKEN_INVALID")
    assert_error(call(gateway, "GET", "/v1/me", "sgk_short"), 401, "AUTH_TOKEN_INVALID")
    assert_error(call(gateway, "GET", "/v1/me", "a.b.c"), 401, "AUTH_TOKEN_INVALID")
    assert_error(call(gateway, "GET", "/v1/me", gateway.operator_token), 401, "AUTH_TOKEN_INVALID")
    _, key, key_id = make_key(redis, tenant, "tenant_user")
    assert_ok(call(gateway, "GET", "/v1/me", key))
    admin(redis, "revoke-key", "--key-id", key_id)
    resp = assert_error(call(gateway, "GET", "/v1/me", key), 401, "AUTH_TOKEN_INVALID")


def test_api_keys_create_list_revoke_own_only(redis, gateway, tenant):
    _, key, _ = make_key(redis, tenant, "tenant_user")
    created = assert_ok(call(gateway, "POST", "/v1/api-keys", key, json_body={"name": "ci"}), 201)
    new_key, new_id = created["key"], created["key_id"]
    assert new_key.startswith("sgk_") and created["hint"] == new_key[:12]
    assert_ok(call(gateway, "GET", "/v1/me", new_key))
    items = assert_ok(call(gateway, "GET", "/v1/api-keys", key))["items"]
    assert new_id in [i["key_id"] for i in items]
    assert all("key" not in i for i in items), "a key is shown only once"

    _, other_key, other_id = make_key(redis, tenant, "tenant_user")
    assert_error(call(gateway, "DELETE", f"/v1/api-keys/{other_id}", key), 404,
                 "SCAISPEAK_API_KEY_NOT_FOUND")
    assert_ok(call(gateway, "GET", "/v1/me", other_key))

    done = assert_ok(call(gateway, "DELETE", f"/v1/api-keys/{new_id}", key))
    assert done == {"key_id": new_id, "revoked": True}
    assert_error(call(gateway, "GET", "/v1/me", new_key), 401, "AUTH_TOKEN_INVALID")
    items = assert_ok(call(gateway, "GET", "/v1/api-keys", key))["items"]
    assert [i for i in items if i["key_id"] == new_id][0]["revoked_at"]


def test_api_key_body_validation(redis, gateway, tenant):
    _, key, _ = make_key(redis, tenant, "tenant_user")
    assert_error(call(gateway, "POST", "/v1/api-keys", key, body=b"{bad"), 400, "MALFORMED_REQUEST")
    assert_error(call(gateway, "POST", "/v1/api-keys", key, json_body={"name": 5}), 422,
                 "VALIDATION_ERROR")
    assert_error(call(gateway, "POST", "/v1/api-keys", key, json_body={"name": "x" * 101}), 422,
                 "VALIDATION_ERROR")
    # a key holds its user's permissions: scopes or a role are refused, not ignored
    err = assert_error(call(gateway, "POST", "/v1/api-keys", key,
                            json_body={"name": "v3", "scopes": ["scaispeak:admin"], "role": "super_admin"}), 422,
                       "VALIDATION_ERROR")
    assert {d["field"] for d in err["details"]} == {"scopes", "role"}, err
    assert_error(call(gateway, "POST", "/v1/api-keys", key, json_body=["x"]), 422, "VALIDATION_ERROR")


def test_admin_cli_rejects_bad_input(redis):
    assert admin(redis, "create-user", "--tenant", "tn_nope", "--role", "tenant_user",
                 ok=False).returncode == 1
    assert admin(redis, "create-user", "--tenant", "tn_x", "--role", "emperor", ok=False).returncode == 1
    assert admin(redis, "create-key", "--user", "usr_nope", ok=False).returncode == 1
    assert admin(redis, "revoke-key", "--key-id", "key_nope", ok=False).returncode == 1
    name = "dup-" + os.urandom(3).hex()
    admin(redis, "create-tenant", "--name", name)
    assert admin(redis, "create-tenant", "--name", name, ok=False).returncode == 1


def test_seed_dev_reuses_a_live_key(redis, gateway, tmp_path):
    path = tmp_path / "devkey"
    first = admin(redis, "seed-dev", "--key-file", str(path)).stdout.strip()
    second = admin(redis, "seed-dev", "--key-file", str(path)).stdout.strip()
    assert first == second == path.read_text().strip()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert assert_ok(call(gateway, "GET", "/v1/me", first))["role"] == "tenant_admin"
