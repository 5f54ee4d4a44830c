"""Readiness for systemd's Type=notify (issue 16 point 3): each daemon sends
READY=1 to $NOTIFY_SOCKET once it serves and STOPPING=1 when it starts to
drain. The socket is a real AF_UNIX datagram socket bound here in the
abstract namespace, as systemd's is (deploy/systemd/*.service.in)."""

import os
import socket

import pytest

import harness


@pytest.fixture
def notify_socket():
    name = f"\0scaispeak-itest-notify-{os.getpid()}-{harness.free_port()}"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(name)
    s.settimeout(15 * harness.SLOW)
    yield s, "@" + name[1:]
    s.close()


def receive(sock):
    return sock.recv(256).decode()


def test_gateway_ready_once_serving_and_stopping_on_sigterm(procs, redis, notify_socket):
    sock, address = notify_socket
    gw = harness.Gateway(procs, redis.port, env={"NOTIFY_SOCKET": address})
    gw.proc = procs.spawn(gw.name, [harness.binary("scaispeak-gateway")], harness.child_env(gw.env))
    assert receive(sock) == "READY=1"
    # READY=1 comes after the listeners: healthz answers at once
    assert harness.Http(gw.http_port).get("/v1/modules/scaispeak/healthz").status == 200
    status, killed = gw.proc.terminate()
    assert receive(sock) == "STOPPING=1"
    assert (status, killed) == (0, False)


def test_node_ready_once_serving_and_stopping_on_sigterm(procs, gateway, notify_socket):
    sock, address = notify_socket
    node = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                        env={"NOTIFY_SOCKET": address}).start(wait=False)
    assert receive(sock) == "READY=1"
    assert harness.tcp_open(node.node_port)
    assert harness.Http(node.metrics_port).get("/healthz").status == 200
    status, killed = node.proc.terminate()
    assert receive(sock) == "STOPPING=1"
    assert (status, killed) == (0, False)


def test_worker_ready_and_stopping(procs, redis, notify_socket):
    sock, address = notify_socket
    worker = harness.Worker(procs, redis.port, env={"NOTIFY_SOCKET": address})
    worker.proc = procs.spawn(worker.name, [harness.binary("scaispeak-worker")],
                              harness.child_env(worker.env))
    assert receive(sock) == "READY=1"
    status, killed = worker.proc.terminate()
    assert receive(sock) == "STOPPING=1"
    assert (status, killed) == (0, False)


def test_without_notify_socket_nothing_changes(procs, redis):
    # The other suites start every daemon without NOTIFY_SOCKET; here one
    # whose NOTIFY_SOCKET names no socket keeps serving and logs why.
    gw = harness.Gateway(procs, redis.port, env={"NOTIFY_SOCKET": "/nonexistent/notify.sock"}).start()
    assert gw.http.get("/v1/modules/scaispeak/healthz").status == 200
    harness.wait_for(lambda: "cannot tell the service manager READY=1" in gw.proc.log_text(), 5,
                     what="the notify failure in the log")
