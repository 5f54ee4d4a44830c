"""Health and metrics of every process that serves HTTP (issue 16, point 4).

The node: GET/HEAD /healthz and /readyz next to /metrics on its metrics port,
and the standard grpc.health.v1.Health service on its gRPC port, answered
without the node_call_token (Debian has no grpc_health module: the messages
come from proto/health.proto, the standard definition, through protoc).
HEAD on every health route of gateway and node: GET's status and headers, no
body. process_* and scaispeak_build_info on gateway and node."""

import importlib
import os
import re
import subprocess
import time

import pytest

import harness
from harness import SLOW

GW_HEALTHZ = "/v1/modules/scaispeak/healthz"
GW_READYZ = "/v1/modules/scaispeak/readyz"
CHECK = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"


def health_pb2(protos):
    del protos  # compiled proto/*.proto (health.proto included) onto sys.path
    return importlib.import_module("health_pb2")


def node_http(node):
    return harness.Http(node.metrics_port)


def raw_head(port, path):
    """HEAD on a fresh connection: (status line, headers dict, bytes after the head)."""
    data, _ = harness.raw_exchange(port, f"HEAD {path} HTTP/1.1\r\nHost: x\r\n"
                                         f"Connection: close\r\n\r\n".encode(), read_timeout=3.0)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return lines[0], headers, rest


def assert_head_like_get(port, path, volatile=("date", "x-request-id")):
    get = harness.Http(port).get(path)
    status, headers, rest = raw_head(port, path)
    assert f" {get.status} " in status + " ", (path, status, get)
    assert rest == b"", f"HEAD {path} answered with a body: {rest[:200]!r}"
    assert headers.get("content-type") == get.header("Content-Type"), (path, headers)
    # Content-Length is the GET's (the body may differ between the two calls
    # only where it holds counters or ids: compare presence then).
    assert "content-length" in headers, (path, headers)
    for k in ("allow",):
        assert headers.get(k) == get.header(k), (path, k, headers)
    return get, headers


def grpc_call(target, method, payload, token=None):
    grpc = harness.grpc_module()
    ch = grpc.insecure_channel(target)
    try:
        md = [("authorization", f"Bearer {token}")] if token else None
        if method == WATCH:
            call = ch.unary_stream(method, request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
            return list(call(payload, timeout=5 * SLOW, metadata=md))
        call = ch.unary_unary(method, request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        return call(payload, timeout=5 * SLOW, metadata=md)
    finally:
        ch.close()


def metric_value(text, name, labels_re=""):
    m = re.search(rf"^{name}(\{{{labels_re}[^}}]*\}})? ([0-9.e+-]+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(2))


# ---- node: HTTP /healthz, /readyz

def test_node_healthz_and_readyz_without_engine(start_node):
    node = start_node(node_id="itest-health-noengine")
    h = node_http(node)
    r = h.get("/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}, r
    assert r.header("Content-Type") == "application/json"
    r = h.get("/readyz")
    assert r.status == 503, r
    j = r.json()
    assert j["ready"] is False and j["status"] == "unavailable", j
    assert j["checks"]["engines"] == {"ok": False, "loaded": 0}, j
    assert j["checks"]["not_draining"] == {"ok": True}, j
    assert j["checks"]["slots"]["ok"] is True and j["checks"]["slots"]["slots"] >= 1, j
    r = h.get("/nope")
    assert r.status == 404 and b"/healthz" in r.body, r
    r = h.post("/readyz")
    assert r.status == 405 and r.header("Allow") == "GET, HEAD", r


def test_node_ready_with_its_default_voice(start_node):
    node = start_node(node_id="itest-health-engine", env={"SCAISPEAK_VOICE_PATH": None})
    r = node_http(node).get("/readyz")
    assert r.status == 200, r
    j = r.json()
    assert j["ready"] is True and j["status"] == "ok", j
    assert j["checks"]["engines"]["ok"] is True and j["checks"]["engines"]["loaded"] >= 1, j
    s = j["checks"]["slots"]
    assert s["running"] == 0 and s["waiting"] == 0 and s["slots"] >= 1, j


def test_node_head_on_every_route(start_node):
    node = start_node(node_id="itest-health-head")
    for path in ("/healthz", "/readyz", "/metrics"):
        assert_head_like_get(node.metrics_port, path)
    _, headers, _ = raw_head(node.metrics_port, "/healthz")
    assert headers["content-length"] == str(len(b'{"status":"ok"}')), headers


# ---- node: grpc.health.v1.Health

def test_grpc_health_check_needs_no_call_token(protos, start_node):
    pb = health_pb2(protos)
    ready = start_node(node_id="itest-grpc-health", env={"SCAISPEAK_VOICE_PATH": None})
    req = pb.HealthCheckRequest(service="").SerializeToString()
    resp = pb.HealthCheckResponse.FromString(grpc_call(ready.address, CHECK, req))
    assert resp.status == pb.HealthCheckResponse.SERVING, resp
    req = pb.HealthCheckRequest(service="scaiinfer.tts.v1.TtsNode").SerializeToString()
    resp = pb.HealthCheckResponse.FromString(grpc_call(ready.address, CHECK, req))
    assert resp.status == pb.HealthCheckResponse.SERVING, resp
    # with the token too (a gateway-side prober may send it)
    resp = pb.HealthCheckResponse.FromString(
        grpc_call(ready.address, CHECK, req, token=harness.NODE_CALL_TOKEN))
    assert resp.status == pb.HealthCheckResponse.SERVING, resp

    grpc = harness.grpc_module()
    with pytest.raises(grpc.RpcError) as e:
        grpc_call(ready.address, CHECK, pb.HealthCheckRequest(service="no.Such").SerializeToString())
    assert e.value.code() == grpc.StatusCode.NOT_FOUND, e.value
    with pytest.raises(grpc.RpcError) as e:
        grpc_call(ready.address, WATCH, b"")
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED, e.value
    # the TtsNode methods still need the token
    with pytest.raises(grpc.RpcError) as e:
        grpc_call(ready.address, "/scaiinfer.tts.v1.TtsNode/ListEngines", b"")
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED, e.value


def test_grpc_health_not_serving_without_engine(protos, start_node):
    pb = health_pb2(protos)
    node = start_node(node_id="itest-grpc-health-noengine")
    resp = pb.HealthCheckResponse.FromString(grpc_call(node.address, CHECK, b""))
    assert resp.status == pb.HealthCheckResponse.NOT_SERVING, resp


# ---- gateway: HEAD

def test_gateway_head_on_health_routes(gateway):
    for path in (GW_HEALTHZ, GW_READYZ, "/metrics"):
        assert_head_like_get(gateway.http_port, path)


# ---- process_* and build info on gateway and node

def expected_commit():
    """The commit the binaries were built from: the Makefile writes it (from
    `git rev-parse --short HEAD`) into $SCAISPEAK_BUILD/gen/build_commit.h."""
    with open(os.path.join(harness.build_dir(), "gen", "build_commit.h")) as f:
        commit = re.search(r'SS_BUILD_COMMIT "([^"]*)"', f.read()).group(1)
    if commit != "unknown":  # a real commit of this repository
        subprocess.run(["git", "-C", harness.REPO, "cat-file", "-e", commit + "^{commit}"],
                       check=True)
    return commit


def check_process_metrics(text, pid):
    for name, kind in (("process_cpu_seconds_total", "counter"),
                       ("process_resident_memory_bytes", "gauge"),
                       ("process_open_fds", "gauge"),
                       ("process_start_time_seconds", "gauge"),
                       ("scaispeak_build_info", "gauge")):
        assert f"# TYPE {name} {kind}\n" in text, name
    assert metric_value(text, "process_cpu_seconds_total") > 0
    rss = metric_value(text, "process_resident_memory_bytes")
    with open(f"/proc/{pid}/status") as f:
        vmrss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024
    assert 0.5 * vmrss < rss < 2 * vmrss, (rss, vmrss)
    assert metric_value(text, "process_open_fds") >= 3
    start = metric_value(text, "process_start_time_seconds")
    assert time.time() - 120 * SLOW < start <= time.time() + 1, start  # started by this test
    m = re.search(r'^scaispeak_build_info\{version="([^"]+)",commit="([^"]+)"\} 1$', text, re.M)
    assert m, "scaispeak_build_info missing"
    assert m.group(2) == expected_commit(), (m.group(2), expected_commit())


def test_process_and_build_metrics_on_gateway_and_node(gateway, start_node):
    text = gateway.http.get("/metrics").body.decode()
    check_process_metrics(text, gateway.proc.pid)
    node = start_node(node_id="itest-health-metrics")
    text = node_http(node).get("/metrics").body.decode()
    check_process_metrics(text, node.proc.pid)
