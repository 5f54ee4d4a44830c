"""/speak on backend B (the managed relay, faked by tests/integration/fake_relay.py
speaking the OpenAI protocol) and the policy matrix between A and B."""
import os
import subprocess

import pytest

import harness
from fake_relay import FakeRelay
from harness import SLOW, assert_error, assert_ok, wait_for
from test_speak import ENGINE, POLICY, admin, put_policy, ready_node, soxi, speak

KEY = "relay-test-key"


@pytest.fixture
def relay():
    r = FakeRelay(key=KEY).start()
    yield r
    r.down()


def relay_gateway(procs, redis, relay, key=KEY):
    env = {"SCAISPEAK_RELAY_URL": relay.url, "SCAISPEAK_RELAY_PROBE_INTERVAL_MS": 200,
           "SCAISPEAK_RELAY_TIMEOUT_MS": 3000}
    if key:
        env["SCAISPEAK_RELAY_KEY"] = key
    gw = harness.Gateway(procs, redis.port, env=env).start()
    return gw


def wait_relay(gw, reachable):
    def check():
        b = gw.http.get("/v1/modules/scaispeak/readyz").json()["checks"]["backend_b"]
        return b["reachable"] == reachable
    wait_for(check, 5 * SLOW, what=f"relay reachable={reachable}")


@pytest.fixture
def tenant_key(redis):
    tenant = admin(redis, "create-tenant", "--name", "r-" + os.urandom(3).hex())[0]
    user = admin(redis, "create-user", "--tenant", tenant, "--role", "tenant_admin")[0]
    return admin(redis, "create-key", "--user", user)[0]


def test_no_node_so_the_relay_serves(procs, redis, relay, tenant_key, tmp_path):
    gw = relay_gateway(procs, redis, relay)
    wait_relay(gw, True)
    resp = speak(gw, tenant_key, {"text": "Served by the relay.", "response_format": "flac",
                                  "sample_rate": 16000})
    assert resp.status == 200, resp
    assert resp.header("X-Scaispeak-Backend") == "B"
    (tmp_path / "b.flac").write_bytes(resp.body)
    assert soxi(str(tmp_path / "b.flac"), "-r") == "16000"
    assert abs(float(soxi(str(tmp_path / "b.flac"), "-D")) * 1000 - resp.audio_ms()) <= 2
    assert relay.count("/v1/audio/speech") == 1
    sent = [r for r in relay.requests if r["path"] == "/v1/audio/speech"][0]
    assert sent["json"]["input"] == "Served by the relay."
    assert sent["headers"].get("Authorization") == f"Bearer {KEY}"
    assert sent["headers"].get("X-Request-Id") == resp.header("X-Request-Id")


def test_relay_failure_falls_back_to_a(procs, redis, relay, tenant_key):
    gw = relay_gateway(procs, redis, relay)
    wait_relay(gw, True)
    node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key, env=ENGINE).start()
    gw.wait_node_status(node.node_id, "online", 5 * SLOW)
    wait_for(lambda: gw.node(node.node_id)["engines"], 5 * SLOW, what="engine listed")
    # speech fails; the probes must not (a failed probe marks the relay
    # unusable, and the request would then go to A without trying B)
    relay.fail_paths = {"/v1/audio/speech"}
    relay.fail_status = 500
    resp = speak(gw, tenant_key, {"text": "Relay first, then A.", "backend_preference": "prefer_relay"})
    assert resp.status == 200, resp
    assert resp.header("X-Scaispeak-Backend") == "A"
    assert relay.count("/v1/audio/speech") == 1, "no retry on the relay itself"


def test_relay_4xx_is_not_retried_and_reported(procs, redis, relay, tenant_key):
    gw = relay_gateway(procs, redis, relay)
    wait_relay(gw, True)
    put_policy(gw, tenant_key, {"allowed_backends": ["B"]})
    relay.fail_paths = {"/v1/audio/speech"}  # the probes stay healthy (as above)
    relay.fail_status = 400
    err = assert_error(speak(gw, tenant_key, {"text": "Refused."}), 502, "SCAISPEAK_BACKEND_ERROR")
    assert "http_4xx" in err["message"]
    assert relay.count("/v1/audio/speech") == 1


def test_relay_down_and_only_b_allowed(procs, redis, relay, tenant_key):
    gw = relay_gateway(procs, redis, relay)
    wait_relay(gw, True)
    put_policy(gw, tenant_key, {"allowed_backends": ["B"]})
    relay.down()
    wait_relay(gw, False)
    err = assert_error(speak(gw, tenant_key, {"text": "Nobody home."}), 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    assert any(d["field"] == "backend_b" for d in err["details"])


def test_missing_relay_key_means_b_is_not_used(procs, redis, relay, tenant_key):
    gw = relay_gateway(procs, redis, relay, key=None)
    b = gw.http.get("/v1/modules/scaispeak/readyz").json()["checks"]["backend_b"]
    assert b["configured"] is False and "relay_key" in b["reason"]
    err = assert_error(speak(gw, tenant_key, {"text": "No key."}), 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    details = {d["field"]: d["message"] for d in err["details"]}
    assert "relay_key" in details["backend_b"]
    assert relay.count("/v1/audio/speech") == 0


def test_a_job_without_nodes_is_served_by_the_relay_part_by_part(procs, redis, relay, tenant_key, tmp_path):
    """Jobs resolve backends as /speak does: no node, so every part goes to
    the relay (one call per part, the same backend for the whole job)."""
    gw = relay_gateway(procs, redis, relay)
    wait_relay(gw, True)
    text = " ".join(["The birch canoe slid on the smooth planks."] * 40)   # 1 759 characters, 3+ parts
    r = gw.http.request("POST", "/v1/modules/scaispeak/speak", json_body={"text": text, "force_async": True},
                        headers={"Authorization": f"Bearer {tenant_key}"})
    job_id = assert_ok(r, 202)["job_id"]
    env = {"SCAISPEAK_RELAY_URL": relay.url, "SCAISPEAK_RELAY_KEY": KEY, "SCAISPEAK_JOB_HEARTBEAT_MS": 200}
    harness.Worker(procs, redis.port, objects_dir=gw.objects_dir, env=env).start()

    def done():
        j = assert_ok(gw.http.request("GET", f"/v1/modules/scaispeak/speak/jobs/{job_id}",
                                      headers={"Authorization": f"Bearer {tenant_key}"}))
        return j if j["status"] in ("completed", "failed") else None
    j = wait_for(done, 30 * SLOW, what="the job finished")
    assert j["status"] == "completed" and j["backend_used"] == "B", j
    parts = [q["json"]["input"] for q in relay.requests if q["path"] == "/v1/audio/speech"]
    assert len(parts) >= 3 and " ".join(parts) == text, parts
    audio = gw.http.request("GET", j["result"]["audio_url"], headers={"Authorization": f"Bearer {tenant_key}"})
    (tmp_path / "job.wav").write_bytes(audio.body)
    assert abs(float(soxi(str(tmp_path / "job.wav"), "-D")) * 1000 - j["duration_ms"]) <= 2
