"""Node registry through /v1/infra/nodes with real nodes heartbeating to a real
gateway backed by a real Redis (foundation issue, tests 1, 6 and 7).

Heartbeats every 500 ms, so a node is online while its last heartbeat is
younger than 1.5 s. Timing checks have generous upper bounds (the machine is
shared) and one lower bound: a killed node must not turn offline sooner than
3 intervals minus one interval after its last possible heartbeat."""

import datetime
import signal
import time

import harness
from harness import ISO_UTC, SLOW, assert_error, assert_ok

NODE_FIELDS = {"node_id", "address", "status", "last_heartbeat_at", "engines", "capacity",
               "voices_cached", "gpu", "kernels", "version", "started_at", "labels"}


def parse_iso(s):
    assert isinstance(s, str) and ISO_UTC.match(s), f"not ISO 8601 UTC: {s!r}"
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_engineless_node(n, node, status="online", slots=None, labels=None, t0=None):
    missing = NODE_FIELDS - set(n)
    assert not missing, f"node object lacks {sorted(missing)}: {n}"
    assert n["node_id"] == node.node_id
    assert n["address"] == node.address, f"address {n['address']!r}, want {node.address!r}"
    assert n["status"] == status, n
    now = datetime.datetime.now(datetime.timezone.utc)
    hb = parse_iso(n["last_heartbeat_at"])
    assert abs((now - hb).total_seconds()) < 10, f"last_heartbeat_at {hb} far from now {now}"
    started = parse_iso(n["started_at"])
    if t0 is not None:
        # started_at is unix seconds on the wire: allow the truncation.
        assert t0 - datetime.timedelta(seconds=2) <= started <= now + datetime.timedelta(seconds=1), \
            f"started_at {started} not between the test's start {t0} and now {now}"
    assert n["engines"] == [], f"engine-less node lists engines: {n['engines']}"
    cap = n["capacity"]
    assert isinstance(cap, dict) and isinstance(cap.get("slots"), int) and cap.get("in_flight") == 0, cap
    if slots is not None:
        assert cap["slots"] == slots, cap
    assert n["voices_cached"] == [], n["voices_cached"]
    assert n["kernels"] in ("cuda", "cpu"), n["kernels"]
    if n["gpu"] is None:
        assert n["kernels"] == "cpu", "kernels cuda without a gpu object"
    else:
        assert {"name", "memory_total_mb", "memory_used_mb"} <= set(n["gpu"]), n["gpu"]
    assert isinstance(n["version"], str) and n["version"], n["version"]
    assert isinstance(n["labels"], dict), n["labels"]
    if labels is not None:
        assert n["labels"] == labels, n["labels"]


def test_node_appears_online_with_its_facts(gateway, start_node):
    t0 = datetime.datetime.now(datetime.timezone.utc)
    node = start_node(node_id="itest-facts", env={"SCAISPEAK_SLOTS": 3,
                                                  "SCAISPEAK_NODE_LABELS": "zone=test,rack=r1"})
    n = gateway.wait_node_status(node.node_id, "online", 3.0)
    check_engineless_node(n, node, slots=3, labels={"zone": "test", "rack": "r1"}, t0=t0)
    items = gateway.nodes()
    assert [i["node_id"] for i in items] == [node.node_id], items
    data = assert_ok(gateway.http.get("/v1/infra/nodes", token=True))
    assert "next_cursor" in data and data["next_cursor"] is None, data
    # The record is refreshed by every heartbeat.
    first = parse_iso(n["last_heartbeat_at"])
    time.sleep(1.2)
    again = gateway.node(node.node_id)
    assert again["status"] == "online"
    assert parse_iso(again["last_heartbeat_at"]) > first, (n, again)


def test_killed_node_goes_offline_after_ttl_and_comes_back(gateway, start_node):
    node = start_node(node_id="itest-crash")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    killed_at = time.monotonic()
    node.proc.kill9()
    # Still listed, first online, then offline after 3 intervals (1.5 s).
    n = gateway.wait_node_status(node.node_id, "offline", 6.0)
    took = time.monotonic() - killed_at
    print(f"kill -9 -> offline in {took * 1000:.0f} ms (TTL 1500 ms)")
    assert took >= 0.9, f"offline {took:.2f}s after kill -9: sooner than 3 heartbeat intervals allow"
    assert n["node_id"] == node.node_id
    assert node.node_id in [i["node_id"] for i in gateway.nodes()], "offline node must stay listed"
    node.start()
    gateway.wait_node_status(node.node_id, "online", 3.0)


def test_two_nodes_and_the_status_filter(gateway, start_node):
    a = start_node(node_id="itest-a")
    b = start_node(node_id="itest-b")
    gateway.wait_node_status(a.node_id, "online", 3.0)
    gateway.wait_node_status(b.node_id, "online", 3.0)
    assert sorted(i["node_id"] for i in gateway.nodes()) == ["itest-a", "itest-b"]
    assert sorted(i["node_id"] for i in gateway.nodes("?status=online")) == ["itest-a", "itest-b"]
    assert gateway.nodes("?status=offline") == []
    assert gateway.nodes("?status=draining") == []

    assert_ok(gateway.http.post(f"/v1/infra/nodes/{a.node_id}/drain", token=True))
    assert [i["node_id"] for i in gateway.nodes("?status=draining")] == ["itest-a"]
    assert [i["node_id"] for i in gateway.nodes("?status=online")] == ["itest-b"]

    b.proc.kill9()
    gateway.wait_node_status(b.node_id, "offline", 6.0)
    assert [i["node_id"] for i in gateway.nodes("?status=offline")] == ["itest-b"]
    assert gateway.nodes("?status=online") == []


def test_status_filter_rejects_unknown_values(gateway):
    # The contract lists online|offline|draining; API.md §1: field errors are
    # 422 VALIDATION_ERROR with details.
    err = assert_error(gateway.http.get("/v1/infra/nodes?status=sleeping", token=True), 422,
                       "VALIDATION_ERROR")
    assert any(d.get("field") == "status" for d in err.get("details", [])), err


def test_engine_filter(gateway, start_node, protos):
    plain = start_node(node_id="itest-plain")
    gateway.wait_node_status(plain.node_id, "online", 3.0)
    # A second node speaking the heartbeat wire directly, with one engine.
    req = harness.heartbeat_request(protos, "itest-with-engine",
                                    engines=[("itest-engine", "hts", "1.0", 48000)])
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    n = gateway.wait_node_status("itest-with-engine", "online", 3.0)
    # gender, accent and language are empty when a node does not send them
    assert n["engines"] == [{"engine_id": "itest-engine", "kind": "hts", "version": "1.0",
                             "sample_rate": 48000, "gender": "", "accent": "",
                             "language": ""}], n["engines"]
    assert [i["node_id"] for i in gateway.nodes("?engine=itest-engine")] == ["itest-with-engine"]
    assert gateway.nodes("?engine=no-such-engine") == []
    both = gateway.nodes("?engine=itest-engine&status=online")
    assert [i["node_id"] for i in both] == ["itest-with-engine"]


def test_cuda_node_reports_its_bounded_gpu_pools(gateway, protos):
    # What a CUDA node sends (node/heartbeat_client.c): the device's facts
    # and its own kernel pools' bound and use, shown to operators as sent.
    req = harness.heartbeat_request(protos, "itest-cuda")
    req.kernels = "cuda"
    req.gpu.name = "NVIDIA H100 80GB HBM3"
    req.gpu.memory_total_mb = 81559
    req.gpu.memory_used_mb = 5120
    req.gpu.pool_limit_mb = 4096
    req.gpu.pool_used_mb = 1536
    req.gpu.pinned_mb = 1100
    req.gpu.lanes = 2
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    n = gateway.wait_node_status("itest-cuda", "online", 3.0)
    assert n["kernels"] == "cuda", n
    assert n["gpu"] == {"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559,
                        "memory_used_mb": 5120, "pool_limit_mb": 4096, "pool_used_mb": 1536,
                        "pinned_mb": 1100, "lanes": 2}, n["gpu"]


def test_drain_and_undrain(gateway, start_node):
    node = start_node(node_id="itest-drain")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    n = assert_ok(gateway.http.post(f"/v1/infra/nodes/{node.node_id}/drain", token=True,
                                    json_body={"reason": "itest maintenance"}))
    assert n["node_id"] == node.node_id and n["status"] == "draining", n
    # An operator drain outlives the node's own heartbeats (which say draining=false).
    time.sleep(1.5)
    assert gateway.node_status(node.node_id) == "draining"
    n = assert_ok(gateway.http.post(f"/v1/infra/nodes/{node.node_id}/undrain", token=True))
    assert n["status"] == "online", n
    time.sleep(1.2)
    assert gateway.node_status(node.node_id) == "online"
    # Body is optional; drain without one works too.
    n = assert_ok(gateway.http.post(f"/v1/infra/nodes/{node.node_id}/drain", token=True))
    assert n["status"] == "draining"


def test_unknown_node_is_404(gateway):
    for method, path in (("GET", "/v1/infra/nodes/no-such-node"),
                         ("POST", "/v1/infra/nodes/no-such-node/drain"),
                         ("POST", "/v1/infra/nodes/no-such-node/undrain")):
        assert_error(gateway.http.request(method, path, token=True), 404, "SCAISPEAK_NODE_NOT_FOUND")


def test_node_sigterm_reports_draining_and_exits_zero(gateway, start_node):
    node = start_node(node_id="itest-term")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    node.proc.signal(signal.SIGTERM)
    seen = []
    deadline = time.monotonic() + 10 * SLOW
    while time.monotonic() < deadline:
        s = gateway.node_status(node.node_id)
        if not seen or seen[-1] != s:
            seen.append(s)
        if node.proc.poll() is not None and s != "online":
            break
        time.sleep(0.03)
    rc = node.proc.wait(10 * SLOW)
    node.proc.stopped_by_test = True
    assert rc == 0, f"node exit status {harness.describe_status(rc)} after SIGTERM (want 0)"
    assert "draining" in seen, f"statuses seen after SIGTERM: {seen} (the node must report draining)"
    # Once the last (draining) heartbeat is older than the TTL the node is offline.
    gateway.wait_node_status(node.node_id, "offline", 6.0)


def test_heartbeat_to_visible_latency(gateway, procs, capsys):
    """Measurement, not an assertion: node process start -> listed online."""
    samples = []
    for i in range(3):
        node = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                            node_id=f"itest-latency-{i}")
        t0 = time.monotonic()
        node.start(wait=False)
        gateway.wait_node_status(node.node_id, "online", 10.0)
        samples.append(time.monotonic() - t0)
    with capsys.disabled():
        print("\n[measure] node start -> listed online (ms): " +
              ", ".join(f"{s * 1000:.0f}" for s in samples) +
              "; heartbeat interval 500 ms, polling every 50 ms")
