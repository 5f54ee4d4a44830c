"""The registry survives its parts failing: a gateway crash (nodes keep
retrying heartbeats with backoff and come back online when it returns), and a
node configured with several gateways heartbeats to each of them, unaffected
by one that is down (NODE.md, "Operational behaviour")."""

import time

import harness


def test_node_comes_back_after_a_gateway_crash(gateway, start_node):
    node = start_node(node_id="itest-survivor")
    gateway.wait_node_status(node.node_id, "online", 3.0)
    gateway.proc.kill9()
    time.sleep(2.0)  # a few failed heartbeats; the node must keep running
    assert node.proc.alive(), "a node whose gateway vanished must keep running"
    t0 = time.monotonic()
    gateway.start()
    # Backoff is the node's business; 10 s bounds it generously.
    gateway.wait_node_status(node.node_id, "online", 10.0)
    print(f"gateway restart -> node online again in {(time.monotonic() - t0) * 1000:.0f} ms")


def test_node_heartbeats_every_configured_gateway(procs, gateway):
    other_redis = harness.RedisServer(procs).start()
    other = harness.Gateway(procs, other_redis.port, name="gateway-2").start()
    dead = f"127.0.0.1:{harness.free_port()}"  # nothing listens there
    node = harness.Node(procs, [gateway.grpc_target, dead, other.grpc_target],
                        node_auth_key=gateway.node_auth_key, node_id="itest-multi").start()
    gateway.wait_node_status(node.node_id, "online", 3.0)
    other.wait_node_status(node.node_id, "online", 3.0)
    time.sleep(1.6)  # beyond one TTL: both records stay fresh
    assert gateway.node_status(node.node_id) == "online"
    assert other.node_status(node.node_id) == "online"
