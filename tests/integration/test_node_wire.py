"""Wire compatibility of the node (foundation issue, test 5): an independent
gRPC implementation (Debian python3-grpcio, protobuf classes compiled from
proto/ at test time) calls scaiinfer.tts.v1.TtsNode on a real node without an
engine. Also the node's /metrics port."""

import http.client

import pytest

import harness
from harness import SLOW


@pytest.fixture
def wire(protos, start_node):
    node = start_node(node_id="itest-wire")
    stub = harness.NodeStub(protos, node.address)
    yield node, stub
    stub.close()


def test_list_engines_without_an_engine(wire, protos):
    node, stub = wire
    resp = stub.ListEngines(protos.tts.ListEnginesRequest(), timeout=5 * SLOW)
    assert list(resp.engines) == [], resp


def test_evict_voice_is_idempotent(wire, protos):
    node, stub = wire
    # A voice the node never saw: evicted (it is not cached now), was not cached.
    for _ in range(2):
        resp = stub.EvictVoice(protos.tts.EvictVoiceRequest(voice_id="vc_itest_never_seen"),
                               timeout=5 * SLOW)
        assert resp.was_cached is False, resp
        assert resp.evicted is True, resp


def test_synthesize_without_an_engine_is_failed_precondition(wire, protos):
    node, stub = wire
    grpc = harness.grpc_module()
    t = protos.tts
    req = t.SynthesizeRequest(request_id="req_itestwire000000000001", engine_id="hts", text="Hello there.",
                              voice=t.VoiceSpec(voice_id="vc_x", reference_sha256="00" * 32))
    with pytest.raises(grpc.RpcError) as info:
        list(stub.Synthesize(req, timeout=10 * SLOW,
                             metadata=[("x-request-id", "req_itestwire000000000001")]))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION, \
        f"{info.value.code()}: {info.value.details()}"
    assert "no engine loaded" in (info.value.details() or ""), info.value.details()


def test_unknown_method_is_unimplemented(wire):
    node, stub = wire
    grpc = harness.grpc_module()
    with pytest.raises(grpc.RpcError) as info:
        stub.raw_unary("/scaiinfer.tts.v1.TtsNode/NoSuchMethod", b"")
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED, info.value.code()
    with pytest.raises(grpc.RpcError) as info:
        stub.raw_unary("/some.other.Service/ListEngines", b"")
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED, info.value.code()


def test_undecodable_request_is_rejected_and_node_keeps_serving(wire, protos):
    node, stub = wire
    grpc = harness.grpc_module()
    # Field 1 as a length-delimited string claiming 100 bytes, then 2 bytes.
    with pytest.raises(grpc.RpcError) as info:
        stub.raw_unary("/scaiinfer.tts.v1.TtsNode/EvictVoice", b"\x0a\x64ab")
    assert info.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL), \
        info.value.code()
    assert node.proc.alive()
    resp = stub.ListEngines(protos.tts.ListEnginesRequest(), timeout=5 * SLOW)
    assert list(resp.engines) == []


def test_node_serves_metrics(wire):
    node, stub = wire
    conn = http.client.HTTPConnection("127.0.0.1", node.metrics_port, timeout=5 * SLOW)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read().decode()
    finally:
        conn.close()
    assert r.status == 200, (r.status, body[:300])
    assert (r.getheader("Content-Type") or "").startswith("text/plain"), r.getheader("Content-Type")
    assert "# TYPE scaispeak_" in body, body[:1000]
