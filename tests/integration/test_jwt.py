"""ScaiKey JWTs on the gateway: RS256 and ES256 verified against a JWKS served
by a fake ScaiKey over HTTP; exp/nbf/iss/aud; alg none and HMAC-with-public-key
refused; unknown kid → one rate-limited JWKS refetch. Also the development
issuer (`scaispeak token`) against a JWKS file."""
import os
import subprocess

import pytest

import fake_scaikey as fk
import harness
from harness import assert_error, assert_ok

REFRESH_MIN_S = 30


@pytest.fixture
def scaikey():
    srv = fk.JwksServer([fk.Key("rsa-1"), fk.Key("ec-1", "ES256")])
    yield srv
    srv.close()


@pytest.fixture
def jwt_gateway(procs, redis, scaikey):
    env = {"SCAISPEAK_JWKS_URL": scaikey.url, "SCAISPEAK_JWT_ISSUER": fk.ISSUER,
           "SCAISPEAK_JWT_AUDIENCE": fk.AUDIENCE, "SCAISPEAK_JWKS_REFRESH_MIN_S": REFRESH_MIN_S}
    return harness.Gateway(procs, redis.port, env=env).start()


def me(gw, token):
    return gw.http.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_valid_tokens_give_the_claims(jwt_gateway, scaikey, kid):
    key = [k for k in scaikey.keys if k.kid == kid][0]
    tok = fk.mint(key, fk.claims(sub="usr_a", tenant="tn_a", role="tenant_user",
                                 scope="scaispeak:synthesize scaispeak:voice.read other:thing"))
    data = assert_ok(me(jwt_gateway, tok))
    assert data["caller"]["kind"] == "jwt" and data["caller"]["user_id"] == "usr_a"
    assert data["tenant"]["tenant_id"] == "tn_a"
    assert data["permissions"] == ["scaispeak:synthesize", "scaispeak:voice.read"]


def test_roles_gate_operator_routes(jwt_gateway, scaikey):
    key = scaikey.keys[0]
    admin = fk.mint(key, fk.claims(role="tenant_admin"))
    user = fk.mint(key, fk.claims(role="tenant_user"))
    assert_ok(jwt_gateway.http.request("GET", "/v1/infra/nodes",
                                       headers={"Authorization": f"Bearer {admin}"}))
    assert_error(jwt_gateway.http.request("GET", "/v1/infra/nodes",
                                          headers={"Authorization": f"Bearer {user}"}),
                 403, "AUTHZ_PERMISSION_DENIED")


def test_bad_tokens(jwt_gateway, scaikey):
    key = scaikey.keys[0]
    good = fk.mint(key, fk.claims())
    head, payload, sig = good.split(".")
    tampered_sig = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    other_payload = fk.b64u(b'{"iss":"%s","sub":"root","tenant_id":"x","role":"super_admin","exp":9999999999}'
                            % fk.ISSUER.encode())
    cases = {
        "tampered signature": (tampered_sig, "AUTH_TOKEN_INVALID"),
        "swapped payload": (head + "." + other_payload + "." + sig, "AUTH_TOKEN_INVALID"),
        "expired": (fk.mint(key, fk.claims(ttl=-3600)), "SESSION_EXPIRED"),
        "not yet valid": (fk.mint(key, fk.claims(nbf=int(__import__("time").time()) + 3600)),
                          "AUTH_TOKEN_INVALID"),
        "wrong issuer": (fk.mint(key, fk.claims(iss="https://evil.test")), "AUTH_TOKEN_INVALID"),
        "wrong audience": (fk.mint(key, fk.claims(aud="someone-else")), "AUTH_TOKEN_INVALID"),
        "no exp": (fk.mint(key, {k: v for k, v in fk.claims().items() if k != "exp"}),
                   "AUTH_TOKEN_INVALID"),
        "alg none": (fk.mint_unsigned(fk.claims(role="super_admin"), key.kid), "AUTH_TOKEN_INVALID"),
        "HS256 with the public key": (fk.mint_hs256_with_public_key(key, fk.claims(role="super_admin")),
                                      "AUTH_TOKEN_INVALID"),
        "RS256 header on an EC key": (fk.mint(scaikey.keys[1], fk.claims(), {"alg": "RS256"}),
                                      "AUTH_TOKEN_INVALID"),
        "garbage": ("a.b.c", "AUTH_TOKEN_INVALID"),
    }
    for name, (tok, code) in cases.items():
        resp = me(jwt_gateway, tok)
        assert resp.status == 401, (name, resp)
        assert resp.json()["error"]["code"] == code, (name, resp.json())
    assert_ok(me(jwt_gateway, good))


def test_unknown_kid_refetches_once_then_rate_limits(jwt_gateway, scaikey):
    before = scaikey.fetches
    rotated = fk.Key("rsa-2")
    scaikey.keys.append(rotated)
    # A key ScaiKey just rotated in: one refetch, then the token is accepted.
    assert_ok(me(jwt_gateway, fk.mint(rotated, fk.claims())))
    assert scaikey.fetches == before + 1
    # Unknown kids cannot force more fetches within jwks_refresh_min_s.
    for i in range(5):
        assert_error(me(jwt_gateway, fk.mint(fk.Key(f"rogue-{i}"), fk.claims())), 401,
                     "AUTH_TOKEN_INVALID")
    assert scaikey.fetches == before + 1


def test_development_issuer_with_a_jwks_file(procs, redis, tmp_path):
    cli = os.path.join(harness.build_dir(), "bin", "scaispeak")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAISPEAK_")}
    env["SCAISPEAK_JWT_DEV_KEY_PATH"] = str(tmp_path / "dev.pem")
    jwks = subprocess.run([cli, "token", "--jwks"], env=env, capture_output=True, text=True,
                          check=True).stdout
    (tmp_path / "jwks.json").write_text(jwks)
    assert oct((tmp_path / "dev.pem").stat().st_mode & 0o777) == "0o600"
    tok = subprocess.run([cli, "token", "--user", "usr_dev", "--tenant", "tn_dev", "--role",
                          "tenant_admin"], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_JWKS_PATH": str(tmp_path / "jwks.json")}).start()
    data = assert_ok(me(gw, tok))
    assert data["role"] == "tenant_admin" and data["caller"]["user_id"] == "usr_dev"


def test_no_jwks_configured_refuses_jwts(gateway, scaikey):
    tok = fk.mint(scaikey.keys[0], fk.claims())
    resp = assert_error(me(gateway, tok), 401, "AUTH_TOKEN_INVALID")
