"""Overload and node restarts, end to end (issue 15, finding 8): real
redis-server, gateway and node processes, a python http.client per client
thread.

* A node with one slot and no queue, 16 concurrent /speak clients: the gateway
  waits briefly for the busy node instead of answering 502 at once; what it
  cannot serve in time is 503 SCAISPEAK_BACKEND_BUSY with Retry-After.
* A node killed and started again on the same port: the first /speak after it
  is back is served (the gateway's cached gRPC channel to the old process is
  replaced, not failed on)."""
import os
import threading
import time

import harness

SPEAK = "/v1/modules/scaispeak/speak"
POLICY = "/v1/modules/scaispeak/admin/policy"
ENGINE = {"SCAISPEAK_VOICE_PATH": None}  # the node's default voice: real engine
TEXT = {"text": "The birch canoe slid on the smooth planks."}
CLIENTS = 16
PER_CLIENT = 6


admin = harness.admin_cli


def make_key(redis):
    tenant = admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]
    user = admin(redis, "create-user", "--tenant", tenant, "--role", "tenant_admin")[0]
    key = admin(redis, "create-key", "--user", user)[0]
    return key


def lift_rate_limits(gw, key):
    """This test is about node capacity, not the tenant's rate limits."""
    harness.assert_ok(gw.http.request(
        "PUT", POLICY, headers={"Authorization": f"Bearer {key}"},
        json_body={"rate_limits": {"per_key": 100000, "per_user": 100000, "per_tenant": 100000}}))


def speak(gw, key):
    return gw.http.request("POST", SPEAK, json_body=TEXT, headers={"Authorization": f"Bearer {key}"})


def ready_node(gateway, start_node, **kw):
    node = start_node(env=ENGINE, **kw)
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW,
                     what="node engine listed")
    return node


def start_one_slot_node(procs, gateway):
    node = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                        env=dict(ENGINE, SCAISPEAK_SLOTS=1, SCAISPEAK_QUEUE_DEPTH=0)).start()
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW,
                     what="node engine listed")
    return node


def hammer(gateway, key):
    """CLIENTS threads, PER_CLIENT requests each; (answers, wall seconds)."""
    results, lock = [], threading.Lock()

    def client():
        for _ in range(PER_CLIENT):
            r = speak(gateway, key)
            with lock:
                results.append(r)

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120 * harness.SLOW)
    assert len(results) == CLIENTS * PER_CLIENT
    return results, time.monotonic() - t0


def assert_busy_or_ok(results, node):
    other = [r for r in results if r.status not in (200, 503)]
    assert not other, other[:3]
    for r in results:
        if r.status == 503:
            harness.assert_error(r, 503, "SCAISPEAK_BACKEND_BUSY")
            assert r.header("Retry-After") and int(r.header("Retry-After")) >= 1, r
            assert node.node_id in str(r.json()["error"].get("details")), r


def test_overload_waits_for_the_busy_node_instead_of_502(procs, redis):
    # a wait long enough for 16 queued syntheses on this machine (sanitized
    # builds synthesise several times slower)
    gateway = harness.Gateway(procs, redis.port,
                              env={"SCAISPEAK_BUSY_WAIT_MS": int(5000 * harness.SLOW)}).start()
    key = make_key(redis)
    lift_rate_limits(gateway, key)
    node = start_one_slot_node(procs, gateway)
    assert speak(gateway, key).status == 200  # warm: voice loaded, channel up

    # uncontended: one client at a time (a figure for the report, not asserted)
    t0 = time.monotonic()
    for _ in range(PER_CLIENT):
        r = speak(gateway, key)
        assert r.status == 200, r
    uncontended = PER_CLIENT / (time.monotonic() - t0)

    results, wall = hammer(gateway, key)
    ok = [r for r in results if r.status == 200]
    print(f"\nuncontended {uncontended:.1f} req/s; {CLIENTS} clients: {len(ok) / wall:.1f} good req/s "
          f"({len(ok)} x 200, {len(results) - len(ok)} x 503 of {len(results)} in {wall:.1f} s)")
    assert_busy_or_ok(results, node)
    # the gateway waits for the busy node rather than refusing: most clients
    # are served (on main 94 % were refused 502).
    assert len(ok) >= len(results) // 2, len(ok)


def test_full_busy_queue_answers_503_with_retry_after(procs, redis):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_BUSY_QUEUE_MAX": 1,
                                                 "SCAISPEAK_BUSY_WAIT_MS": 1}).start()
    key = make_key(redis)
    lift_rate_limits(gw, key)
    node = start_one_slot_node(procs, gw)
    results, _ = hammer(gw, key)
    assert_busy_or_ok(results, node)
    codes = [r.status for r in results]
    assert codes.count(503) > 0 and codes.count(200) > 0, codes


def test_busy_wait_off_and_node_down_stays_502(procs, redis):
    """A node that is down is a failure, not overload: still 502."""
    gw = harness.Gateway(procs, redis.port).start()
    key = make_key(redis)
    node = start_one_slot_node(procs, gw)
    node.proc.kill9()
    r = speak(gw, key)
    harness.assert_error(r, 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    assert r.header("Retry-After") is None


def test_first_speak_after_node_restart_is_served(gateway, start_node, redis):
    key = make_key(redis)
    node = ready_node(gateway, start_node)
    assert speak(gateway, key).status == 200
    node.proc.kill9()
    gateway.wait_node_status(node.node_id, "offline", 15 * harness.SLOW)
    node.start()
    gateway.wait_node_status(node.node_id, "online", 10 * harness.SLOW)
    r = speak(gateway, key)
    assert r.status == 200, r


def test_quick_node_restart_on_the_same_port_is_served(gateway, start_node, redis):
    """The channel tried the dead node (a request meanwhile: 502, the node is
    down) and sits in reconnect backoff when the node is back."""
    key = make_key(redis)
    node = ready_node(gateway, start_node)
    assert speak(gateway, key).status == 200
    node.proc.kill9()
    harness.assert_error(speak(gateway, key), 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    node.start()
    started = gateway.node(node.node_id)["started_at"]
    harness.wait_for(lambda: gateway.node(node.node_id)["status"] == "online", 10 * harness.SLOW,
                     what="node back online")
    r = speak(gateway, key)
    assert r.status == 200, (r, started)
