"""HeartbeatService authentication (foundation issue, test 2): the gateway
accepts heartbeats only with `authorization: Bearer <node token>`; anything
else is UNAUTHENTICATED and registers nothing. The requests are hand-built
with python protobuf classes compiled from proto/ at test time."""

import time

import pytest

import harness


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
def test_heartbeat_without_the_node_token_is_unauthenticated(gateway, protos, token):
    grpc = harness.grpc_module()
    req = harness.heartbeat_request(protos, "itest-intruder", engines=[("e", "hts", "1", 48000)])
    with pytest.raises(grpc.RpcError) as info:
        harness.send_heartbeat(protos, gateway.grpc_target, token, req)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED, \
        f"{info.value.code()}: {info.value.details()}"
    assert gateway.node("itest-intruder") is None
    assert gateway.nodes() == []


def test_heartbeat_with_the_node_token_registers(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-direct", address="127.0.0.1:9",
                                    labels={"k": "v"}, slots=5, in_flight=1)
    resp = harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    assert list(resp.evict_voice_ids) == []
    assert resp.drain_requested is False
    n = gateway.node("itest-direct")
    assert n is not None and n["status"] == "online", n
    assert n["address"] == "127.0.0.1:9" and n["labels"] == {"k": "v"}, n
    assert n["capacity"] == {"slots": 5, "in_flight": 1}, n["capacity"]
    assert n["version"] == "itest-0" and n["kernels"] == "cpu" and n["gpu"] is None, n


def test_operator_drain_is_told_to_the_node(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-told")
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    harness.assert_ok(gateway.http.post("/v1/infra/nodes/itest-told/drain", token=True))
    resp = harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    assert resp.drain_requested is True, "HeartbeatResponse.drain_requested after an operator drain"
    assert gateway.node_status("itest-told") == "draining"


def test_ttl_follows_the_reported_interval(gateway, protos):
    # A node that reports a 4 s interval stays online for 12 s; one that
    # reports 300 ms is offline after 0.9 s.
    slow = harness.heartbeat_request(protos, "itest-slow", interval_ms=4000)
    fast = harness.heartbeat_request(protos, "itest-fast", interval_ms=300)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, slow)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, fast)
    sent = time.monotonic()
    gateway.wait_node_status("itest-fast", "offline", 5.0)
    if time.monotonic() - sent < 10.0:
        assert gateway.node_status("itest-slow") == "online", \
            "a node reporting heartbeat_interval_ms=4000 went offline before 3 intervals"


def test_node_with_a_wrong_token_is_not_listed(gateway, start_node):
    bad = start_node(node_id="itest-badtoken", node_auth_key="not-the-key")
    good = start_node(node_id="itest-goodtoken")
    gateway.wait_node_status(good.node_id, "online", 3.0)
    time.sleep(2.0)  # four heartbeat intervals of the bad node
    assert bad.proc.alive(), "a node refused by the gateway keeps running and retrying"
    assert gateway.node(bad.node_id) is None
    assert [i["node_id"] for i in gateway.nodes()] == [good.node_id]


@pytest.mark.parametrize("field", ["language", "voice"])
def test_heartbeat_strings_that_are_not_utf8_are_invalid_argument(gateway, protos, field):
    """protobuf-c does not check the UTF-8 of string fields; the gateway does
    before it stores the record (jansson would refuse it, which used to end
    the call RESOURCE_EXHAUSTED "out of memory"). The request is serialised
    with "\u00e9" (C3 A9) and its second byte replaced by "(" on the wire."""
    grpc = harness.grpc_module()
    req = harness.heartbeat_request(protos, "itest-utf8", engines=[("e", "hts", "1", 32000)],
                                    voices=["vc_\u00e9"] if field == "voice" else ())
    if field == "language":
        req.engines[0].language = "en-\u00e9"
    wire = req.SerializeToString()
    assert wire.count(b"\xc3\xa9") == 1
    wire = wire.replace(b"\xc3\xa9", b"\xc3(")
    token = harness.node_secret(gateway.node_auth_key, "itest-utf8")
    with grpc.insecure_channel(gateway.grpc_target) as ch:
        call = ch.unary_unary(harness.HEARTBEAT_METHOD, request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as info:
            call(wire, metadata=[("authorization", f"Bearer {token}")], timeout=5 * harness.SLOW)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, \
        f"{info.value.code()}: {info.value.details()}"
    want = "engines.language" if field == "language" else "voices_cached entry"
    assert info.value.details() == f"{want} is not valid UTF-8", info.value.details()
    assert gateway.node("itest-utf8") is None
