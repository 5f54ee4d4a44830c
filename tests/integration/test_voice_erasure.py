"""Erasure (API.md §4 DELETE /voices/{id}, §6 audit) end to end: real
redis-server, nodes, gateway and worker. DELETE removes the record and its
index entries, sends EvictVoice to every known node, answers who evicted and
who did not; the nodes that missed it get it through their heartbeats and the
worker's reconciler completes the audit row without any further call. The
warm registry (which nodes cache a voice, from heartbeats) is read through
GET /voices/{id}/warm and written here with heartbeats sent by a test client
(python3-grpcio) in the nodes' name."""

import harness
from harness import assert_error, assert_ok
from test_voice_library import VOICES, call, design, list_all, new_tenant, new_user

AUDIT = "/v1/modules/scaispeak/admin/erasure/audit"


def ready_nodes(gateway, start_node, n):
    nodes = [start_node() for _ in range(n)]
    for node in nodes:
        gateway.wait_node_status(node.node_id, "online", 10)
    return nodes


def audit_row(gw, key, voice_id):
    rows = assert_ok(call(gw, key, "GET", AUDIT + "?limit=200"))["items"]
    mine = [r for r in rows if r["voice_id"] == voice_id]
    assert len(mine) == 1, rows
    return mine[0]


def test_delete_evicts_everywhere_and_the_reconciler_finishes_a_stopped_node(procs, redis, gateway, start_node):
    worker = harness.Worker(procs, redis.port).start()
    a, b = ready_nodes(gateway, start_node, 2)
    tenant = new_tenant(redis)
    user, key = new_user(redis, tenant)
    vid = design(gateway, key, "To erase")["voice_id"]
    b.proc.terminate()
    b.proc.stopped_by_test = True
    gateway.wait_node_status(b.node_id, "offline", 10)

    res = assert_ok(call(gateway, key, "DELETE", f"{VOICES}/{vid}"))
    assert res["voice_id"] == vid and res["erased"] is True
    assert res["evicted_nodes"] == [a.node_id], res
    assert [e["node_id"] for e in res["error_summary"]] == [b.node_id], res
    assert all(e["code"] and e["message"] for e in res["error_summary"])
    assert "EvictVoice" in a.proc.log_text() and vid in a.proc.log_text()

    # gone everywhere, for everyone
    assert_error(call(gateway, key, "GET", f"{VOICES}/{vid}"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    assert vid not in list_all(gateway, key)
    assert_error(call(gateway, key, "DELETE", f"{VOICES}/{vid}"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    assert harness.redis_command(redis.port, "EXISTS", f"ss:voice:{vid}") == ":0"

    row = audit_row(gateway, key, vid)
    assert row["status"] == "pending" and row["nodes_pending"] == [b.node_id], row
    assert row["nodes_evicted"] == [a.node_id] and row["actor_user_id"] == user and row["tenant_id"] == tenant
    assert row["completed_at"] is None and row["id"] == res["audit_id"]

    # the stopped node comes back: its heartbeat carries the eviction (it holds
    # nothing after a restart, so the heartbeat itself acknowledges), and the
    # reconciler completes the row, with no call from the test
    b.start()
    gateway.wait_node_status(b.node_id, "online", 10)

    def completed():
        r = audit_row(gateway, key, vid)
        return r if r["status"] == "completed" else None
    row = harness.wait_for(completed, 15 * harness.SLOW, what="audit row completed")
    assert sorted(row["nodes_evicted"]) == sorted([a.node_id, b.node_id]) and row["nodes_pending"] == []
    assert row["completed_at"] >= row["requested_at"]
    assert "no longer holds voice" in worker.proc.log_text()


def test_gateway_killed_after_the_write_loses_no_eviction(procs, redis):
    """The erasure's Redis write is durable before the fan-out. Here the
    gateway's own EvictVoice is refused (it presents a wrong node token) and
    the gateway is killed -9 right after answering: a second gateway (same
    heartbeat port, as behind a load balancer) and the worker finish the row
    with no call from the test."""
    first = harness.Gateway(procs, redis.port, node_call_token="not-the-nodes-token").start()
    node = harness.Node(procs, first.grpc_target, node_auth_key=first.node_auth_key).start()
    first.wait_node_status(node.node_id, "online", 10)
    _, key = new_user(redis, new_tenant(redis))
    vid = design(first, key, "Kill me")["voice_id"]
    res = assert_ok(call(first, key, "DELETE", f"{VOICES}/{vid}"))
    assert res["evicted_nodes"] == [] and [e["node_id"] for e in res["error_summary"]] == [node.node_id], res
    first.proc.kill9()
    harness.Gateway(procs, redis.port, env={"SCAISPEAK_GRPC_PORT": first.grpc_port}, name="gateway-2").start()
    worker = harness.Worker(procs, redis.port).start()
    harness.wait_for(lambda: harness.redis_command(redis.port, "HGET", f"ss:erasure:{res['audit_id']}", "status")
                     == "completed", 20 * harness.SLOW, what="row completed by the reconciler")
    assert harness.redis_command(redis.port, "SISMEMBER", f"ss:node:{node.node_id}:evict", vid) == ":0"
    assert worker.proc.alive()


def test_who_may_erase_and_the_audit_is_per_tenant(redis, gateway):
    tenant = new_tenant(redis)
    _, owner = new_user(redis, tenant)
    _, colleague = new_user(redis, tenant)
    _, viewer = new_user(redis, tenant, "tenant_viewer")
    _, stranger = new_user(redis, new_tenant(redis))
    vid = design(gateway, owner, "Mine")["voice_id"]
    for who in (colleague, stranger):  # a user voice is invisible to them
        assert_error(call(gateway, who, "DELETE", f"{VOICES}/{vid}"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
        assert_error(call(gateway, who, "POST", f"{VOICES}/{vid}/evict"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    assert_ok(call(gateway, owner, "POST", f"{VOICES}/{vid}/share"))
    assert_error(call(gateway, viewer, "DELETE", f"{VOICES}/{vid}"), 403, "AUTHZ_PERMISSION_DENIED")
    assert_error(call(gateway, owner, "DELETE", "/v1/modules/scaispeak/voices/vc_platform_slt"), 403,
                 "AUTHZ_PERMISSION_DENIED")
    # a tenant admin may erase a tenant voice someone else made
    res = assert_ok(call(gateway, colleague, "DELETE", f"{VOICES}/{vid}"))
    assert res["erased"] is True and res["evicted_nodes"] == [] and res["error_summary"] == []
    row = audit_row(gateway, owner, vid)
    assert row["status"] == "completed", row  # no node, no object: done at once
    assert assert_ok(call(gateway, stranger, "GET", AUDIT))["items"] == []
    assert_error(call(gateway, viewer, "GET", AUDIT), 403, "AUTHZ_PERMISSION_DENIED")
    # the evict re-send works by id after erasure, in the same tenant only
    again = assert_ok(call(gateway, owner, "POST", f"{VOICES}/{vid}/evict"))
    assert again["audit_id"] == res["audit_id"] and again["evicted_nodes"] == []
    assert_error(call(gateway, stranger, "POST", f"{VOICES}/{vid}/evict"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    for bad in ("limit=0", "limit=x", "cursor=zz"):
        assert_error(call(gateway, owner, "GET", f"{AUDIT}?{bad}"), 422, "VALIDATION_ERROR")


def test_audit_pages(redis, gateway):
    tenant = new_tenant(redis)
    _, key = new_user(redis, tenant)
    ids = [design(gateway, key, f"v{i}")["voice_id"] for i in range(7)]
    for vid in ids:
        assert_ok(call(gateway, key, "DELETE", f"{VOICES}/{vid}"))
    seen, cursor = [], None
    while True:
        data = assert_ok(call(gateway, key, "GET", AUDIT + "?limit=3" + (f"&cursor={cursor}" if cursor else "")))
        seen += [r["voice_id"] for r in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]


def test_warm_registry_from_heartbeats(redis, gateway, protos):
    _, key = new_user(redis, new_tenant(redis))
    vid = design(gateway, key, "Warm")["voice_id"]
    assert assert_ok(call(gateway, key, "GET", f"{VOICES}/{vid}/warm")) == {"voice_id": vid, "nodes": []}
    req = harness.heartbeat_request(protos, "warm-node-1", voices=[vid, "vc_unknown"])
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    warm = assert_ok(call(gateway, key, "GET", f"{VOICES}/{vid}/warm"))
    assert [n["node_id"] for n in warm["nodes"]] == ["warm-node-1"]
    assert harness.redis_command(redis.port, "EXISTS", "ss:voice:vc_unknown:warm") == ":0"
    legacy = assert_ok(call(gateway, key, "POST", f"{VOICES}/{vid}/warm"))
    assert legacy["embedding_status"] == "ready"
    # a pending eviction the node still lists is answered until the node drops the voice
    res = assert_ok(call(gateway, key, "DELETE", f"{VOICES}/{vid}"))
    assert [e["node_id"] for e in res["error_summary"]] == ["warm-node-1"]  # nothing listens at its address
    answer = harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    assert list(answer.evict_voice_ids) == [vid]
    assert harness.redis_command(redis.port, "EXISTS", f"ss:voice:{vid}:warm") == ":0"  # never re-registered
    dropped = harness.heartbeat_request(protos, "warm-node-1", voices=[])
    assert list(harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, dropped)
                .evict_voice_ids) == []
    assert harness.redis_command(redis.port, "SISMEMBER", "ss:node:warm-node-1:evict", vid) == ":0"


def test_block_speaker_needs_an_admin_and_a_reference(redis, gateway):
    tenant = new_tenant(redis)
    _, admin = new_user(redis, tenant)
    vid = design(gateway, admin, "Designed")["voice_id"]
    assert_error(call(gateway, admin, "DELETE", f"{VOICES}/{vid}?block_speaker=maybe"), 422, "VALIDATION_ERROR")
    err = assert_error(call(gateway, admin, "DELETE", f"{VOICES}/{vid}?block_speaker=true"), 422, "VALIDATION_ERROR")
    assert "no reference" in err["message"]
    assert assert_ok(call(gateway, admin, "GET", f"{VOICES}/{vid}"))["voice_id"] == vid  # nothing erased
