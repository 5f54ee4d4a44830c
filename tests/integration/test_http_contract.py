"""HTTP conventions of the gateway (API.md §1, §6): envelopes, X-Request-Id,
operator auth, router errors, /metrics, and a clean exit on SIGTERM."""

import signal

import harness
from harness import REQUEST_ID, SLOW, assert_error, assert_ok

HEALTHZ = "/v1/modules/scaispeak/healthz"


def test_generated_request_ids(gateway):
    r1 = gateway.http.get(HEALTHZ)
    r2 = gateway.http.get(HEALTHZ)
    for r in (r1, r2):
        assert r.status == 200
        assert REQUEST_ID.match(r.header("X-Request-Id") or ""), r.header("X-Request-Id")
    assert r1.header("X-Request-Id") != r2.header("X-Request-Id")


def test_incoming_request_id_is_reused(gateway):
    rid = "itest-abc.DEF:123_x"
    r = gateway.http.get("/v1/infra/nodes", token=True, headers={"X-Request-Id": rid})
    assert r.header("X-Request-Id") == rid
    assert assert_ok(r)["items"] == []
    r = gateway.http.get("/v1/nope", headers={"X-Request-Id": rid})
    assert r.header("X-Request-Id") == rid
    assert r.json()["meta"]["request_id"] == rid


def test_malformed_request_id_is_replaced(gateway):
    for bad in ("has space", "x" * 65, "quote\"inside", "<script>"):
        r = gateway.http.get(HEALTHZ, headers={"X-Request-Id": bad})
        assert r.status == 200
        assert REQUEST_ID.match(r.header("X-Request-Id") or ""), (bad, r.header("X-Request-Id"))


def test_operator_auth(gateway):
    for path in ("/v1/infra/nodes", "/v1/infra/nodes/x"):
        assert_error(gateway.http.get(path), 401, "AUTH_TOKEN_MISSING")
        assert_error(gateway.http.get(path, token="wrong-token"), 401, "AUTH_TOKEN_INVALID")
        # Same length as the real token, one character off.
        near = gateway.operator_token[:-1] + ("x" if gateway.operator_token[-1] != "x" else "y")
        assert_error(gateway.http.get(path, token=near), 401, "AUTH_TOKEN_INVALID")
    assert_error(gateway.http.post("/v1/infra/nodes/x/drain"), 401, "AUTH_TOKEN_MISSING")
    assert_error(gateway.http.post("/v1/infra/nodes/x/undrain", token="nope"), 401, "AUTH_TOKEN_INVALID")
    # A token for another scheme is not a bearer token.
    r = gateway.http.get("/v1/infra/nodes", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert r.status == 401 and r.json()["error"]["code"] in ("AUTH_TOKEN_MISSING", "AUTH_TOKEN_INVALID"), r


def test_unknown_routes_are_json_404(gateway):
    for method, path in (("GET", "/v1/nope"), ("GET", "/v1/modules/scaispeak/nope"),
                         ("POST", "/v1/infra/nodes/x/explode"),
                         ("GET", "/v1/modules/scaispeak/healthz/extra")):
        err = assert_error(gateway.http.request(method, path, token=True), 404, "ROUTE_NOT_FOUND")
        assert "<html" not in err["message"].lower()


def allow_set(resp):
    allow = resp.header("Allow")
    assert allow, f"405 without an Allow header: {resp!r}"
    return {m.strip().upper() for m in allow.split(",")}


def test_wrong_method_is_405_with_allow(gateway):
    cases = (("DELETE", HEALTHZ, {"GET"}),
             ("POST", "/v1/modules/scaispeak/readyz", {"GET"}),
             ("POST", "/v1/infra/nodes", {"GET"}),
             ("PUT", "/v1/infra/nodes/x", {"GET"}),
             ("GET", "/v1/infra/nodes/x/drain", {"POST"}),
             ("DELETE", "/v1/infra/nodes/x/undrain", {"POST"}),
             ("POST", "/metrics", {"GET"}))
    for method, path, want in cases:
        r = gateway.http.request(method, path, token=True)
        assert_error(r, 405, "METHOD_NOT_ALLOWED")
        got = allow_set(r)
        assert want <= got and got <= want | {"HEAD", "OPTIONS"}, (method, path, got)


def test_metrics_is_prometheus_text(gateway):
    gateway.http.get(HEALTHZ)
    gateway.http.get("/v1/nope")
    r = gateway.http.get("/metrics")
    assert r.status == 200, r
    assert (r.header("Content-Type") or "").startswith("text/plain"), r.header("Content-Type")
    text = r.body.decode()
    assert "scaispeak_http_requests_total" in text, text[:2000]
    assert "# TYPE scaispeak_http_requests_total counter" in text, text[:2000]


def test_gateway_sigterm_exits_zero(gateway):
    assert gateway.http.get(HEALTHZ).status == 200
    gateway.proc.signal(signal.SIGTERM)
    rc = gateway.proc.wait(10 * SLOW)
    gateway.proc.stopped_by_test = True
    assert rc == 0, f"gateway exit status {harness.describe_status(rc)} after SIGTERM (want 0)"
    assert not harness.tcp_open(gateway.http_port), "HTTP port still accepting after exit"
