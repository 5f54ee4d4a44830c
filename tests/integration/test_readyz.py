"""Readiness (/readyz) and Redis outages (foundation issue, test 3).

Ready = Redis answers AND at least one backend is usable. Backend A is usable
when at least one online, non-draining node has an engine loaded; an
engine-less node does not count. Backend B is off (no relay configured)."""

import time

import harness
from harness import SLOW, assert_error, assert_ok, wait_for

READYZ = "/v1/modules/scaispeak/readyz"


def readyz(gateway):
    r = gateway.http.get(READYZ)
    assert r.status in (200, 503), r
    harness.assert_request_id(r)
    assert (r.header("Content-Type") or "").startswith("application/json"), r
    j = r.json()
    checks = j.get("checks")
    assert isinstance(checks, dict), f"no checks in readyz: {j}"
    assert isinstance(checks.get("redis"), dict) and isinstance(checks["redis"].get("ok"), bool), j
    a = checks.get("backend_a")
    assert isinstance(a, dict) and isinstance(a.get("ok"), bool) and \
        isinstance(a.get("online_nodes"), int), j
    b = checks.get("backend_b")
    assert b is not None and b.get("configured") is False and b.get("reachable") is False, j
    assert isinstance(b.get("reason"), str) and b["reason"], j
    assert isinstance(j.get("meta"), dict) and j["meta"].get("request_id") == r.header("X-Request-Id"), j
    if r.status == 200:
        assert j.get("status") == "ok" and j.get("ready") is True, j
    else:
        assert j.get("status") == "error" and j.get("ready") is False, j
        assert j.get("error", {}).get("code") == "SERVICE_UNAVAILABLE", j
    return r.status, j


def test_healthz_answers_without_auth(gateway):
    data = gateway.http.get("/v1/modules/scaispeak/healthz")
    assert data.status == 200, data
    assert data.json().get("status") == "ok"
    harness.assert_request_id(data)


def test_not_ready_without_any_node(gateway):
    status, j = readyz(gateway)
    assert status == 503, j
    assert j["checks"]["redis"]["ok"] is True
    assert j["checks"]["backend_a"]["ok"] is False
    assert "backend_a" in j["error"]["message"], j["error"]


def test_engineless_node_does_not_make_ready(gateway, start_node):
    node = start_node(node_id="itest-noengine")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    status, j = readyz(gateway)
    assert status == 503, j
    assert j["checks"]["backend_a"]["ok"] is False, j
    assert "backend_a" in j["error"]["message"], j["error"]


def test_ready_with_a_real_node_and_its_default_voice(gateway, start_node):
    # The node as `make run` starts it: SCAISPEAK_VOICE_PATH at its default
    # (the festival slt .htsvoice), so backend A is usable and readyz is 200.
    node = start_node(node_id="itest-real-engine", env={"SCAISPEAK_VOICE_PATH": None})
    n = gateway.wait_node_status(node.node_id, "online", 10.0)
    assert n["engines"], f"node with the default voice lists no engine: {n}"
    e = n["engines"][0]
    assert e["engine_id"] and e["kind"] and e["version"] and e["sample_rate"] > 0, e
    status, j = readyz(gateway)
    assert status == 200, j
    assert j["checks"]["backend_a"]["online_nodes"] >= 1, j


def test_ready_with_an_engine_node_and_not_when_it_drains(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-engine-node",
                                    engines=[("itest-engine", "hts", "1.0", 48000)],
                                    interval_ms=2000)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    status, j = readyz(gateway)
    assert status == 200, j
    assert j["checks"]["backend_a"]["ok"] is True, j
    assert j["checks"]["backend_a"]["online_nodes"] >= 1, j
    assert_ok(gateway.http.post("/v1/infra/nodes/itest-engine-node/drain", token=True))
    status, j = readyz(gateway)
    assert status == 503 and j["checks"]["backend_a"]["ok"] is False, j
    assert_ok(gateway.http.post("/v1/infra/nodes/itest-engine-node/undrain", token=True))
    status, j = readyz(gateway)
    assert status == 200, j


def test_redis_outage_and_recovery(gateway, redis, start_node):
    node = start_node(node_id="itest-redis")
    gateway.wait_node_status(node.node_id, "online", 3.0)

    redis.stop()
    status, j = readyz(gateway)
    assert status == 503, j
    assert j["checks"]["redis"]["ok"] is False, j
    assert "redis" in j["error"]["message"], j["error"]
    assert_error(gateway.http.get("/v1/infra/nodes", token=True), 503, "SERVICE_UNAVAILABLE")
    assert_error(gateway.http.get(f"/v1/infra/nodes/{node.node_id}", token=True), 503,
                 "SERVICE_UNAVAILABLE")
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200, "liveness must not need Redis"
    time.sleep(1.5)  # heartbeats keep arriving while Redis is down
    assert gateway.proc.alive() and node.proc.alive(), "a Redis outage must not kill anything"

    redis.start()
    wait_for(lambda: readyz(gateway)[1]["checks"]["redis"]["ok"], 10 * SLOW,
             interval=0.2, what="readyz redis ok after the restart")
    gateway.wait_node_status(node.node_id, "online", 10.0)
    assert node.node_id in [i["node_id"] for i in gateway.nodes()]
