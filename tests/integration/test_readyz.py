"""Readiness (/readyz) and Redis outages (foundation issue, test 3; the
semantics of issue 16: README "Health and readiness").

Ready (200) = Redis answers: the gateway can then serve something (voice
library, keys, policy, later queued jobs) even while no synthesis backend is
usable, so a fleet without nodes does not drop every gateway from its load
balancer. `degraded` is true when no synthesis backend is usable: backend A is
usable when at least one online, non-draining node has an engine loaded (an
engine-less node does not count); backend B is off here (no relay
configured). Redis down = 503."""

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
    assert isinstance(j.get("degraded"), bool), j
    if r.status == 200:
        assert j.get("status") == "ok" and j.get("ready") is True, j
        assert isinstance(j.get("degraded_reasons"), list), j
        assert bool(j["degraded_reasons"]) == j["degraded"], j
    else:
        assert j.get("status") == "error" and j.get("ready") is False, j
        assert j.get("error", {}).get("code") == "SERVICE_UNAVAILABLE", j
    return r.status, j


def test_healthz_answers_without_auth(gateway):
    data = gateway.http.get("/v1/modules/scaispeak/healthz")
    assert data.status == 200, data
    assert data.json().get("status") == "ok"
    harness.assert_request_id(data)


def test_ready_but_degraded_without_any_node(gateway):
    status, j = readyz(gateway)
    assert status == 200, j
    assert j["degraded"] is True, j
    assert j["checks"]["redis"]["ok"] is True
    assert j["checks"]["backend_a"]["ok"] is False
    assert any(r.startswith("backend_a") for r in j["degraded_reasons"]), j
    assert any(r.startswith("backend_b") for r in j["degraded_reasons"]), j
    # /speak is what cannot be served: the metric says so too
    text = gateway.http.get("/metrics").body.decode()
    assert "\nscaispeak_degraded 1\n" in text and "\nscaispeak_ready 1\n" in text


def test_engineless_node_leaves_it_degraded(gateway, start_node):
    node = start_node(node_id="itest-noengine")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    status, j = readyz(gateway)
    assert status == 200 and j["degraded"] is True, j
    assert j["checks"]["backend_a"]["ok"] is False, j


def test_ready_with_a_real_node_and_its_default_voice(gateway, start_node):
    # The node as `make run` starts it: SCAISPEAK_VOICE_PATH at its default
    # (the festival slt .htsvoice), so backend A is usable and readyz is 200.
    node = start_node(node_id="itest-real-engine", env={"SCAISPEAK_VOICE_PATH": None})
    n = gateway.wait_node_status(node.node_id, "online", 10.0)
    assert n["engines"], f"node with the default voice lists no engine: {n}"
    e = n["engines"][0]
    assert e["engine_id"] and e["kind"] and e["version"] and e["sample_rate"] > 0, e
    status, j = readyz(gateway)
    assert status == 200 and j["degraded"] is False and j["degraded_reasons"] == [], j
    assert j["checks"]["backend_a"]["online_nodes"] >= 1, j


def test_ready_with_an_engine_node_and_not_when_it_drains(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-engine-node",
                                    engines=[("itest-engine", "hts", "1.0", 48000)],
                                    interval_ms=2000)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    status, j = readyz(gateway)
    assert status == 200 and j["degraded"] is False, j
    assert j["checks"]["backend_a"]["ok"] is True, j
    assert j["checks"]["backend_a"]["online_nodes"] >= 1, j
    assert_ok(gateway.http.post("/v1/infra/nodes/itest-engine-node/drain", token=True))
    status, j = readyz(gateway)
    assert status == 200 and j["degraded"] is True and j["checks"]["backend_a"]["ok"] is False, j
    assert_ok(gateway.http.post("/v1/infra/nodes/itest-engine-node/undrain", token=True))
    status, j = readyz(gateway)
    assert status == 200 and j["degraded"] is False, j


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
