"""Gateway lifecycle under hostile clients and its own shutdown (issue 15,
findings 3 and 4): SIGTERM while a large answer is being streamed delivers
every byte (a complete chunked body with its trailer) and exits 0; at the fd limit the gateway pauses accepting, logs a
bounded number of lines, and serves again once connections drop."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

import harness
from test_http_bad_input import parse_response
from test_speak import SPEAK, key, ready_node, tenant  # noqa: F401 (fixtures)

HEALTHZ = "/v1/modules/scaispeak/healthz"


def dechunk(raw):
    """(body, trailers) of a complete chunked body; AssertionError when it is
    cut short (no last chunk)."""
    body, pos, trailers = bytearray(), 0, {}
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            break
        assert pos + size + 2 <= len(raw), "the chunked body was cut short"
        body += raw[pos:pos + size]
        pos += size + 2
    while True:
        eol = raw.index(b"\r\n", pos)
        line = raw[pos:eol]
        pos = eol + 2
        if not line:
            return bytes(body), trailers
        name, _, value = line.decode().partition(":")
        trailers[name.strip().lower()] = value.strip()


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, f"closed before the head: {data!r}"
        data += chunk
    return data


def test_sigterm_during_a_15mb_answer_delivers_every_byte(procs, redis, key):  # noqa: F811
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_DRAIN_TIMEOUT_S": 120,
                                                      "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 120}).start()
    n = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                     env={"SCAISPEAK_VOICE_PATH": None}).start()
    gateway.wait_node_status(n.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(n.node_id)["engines"], 5 * harness.SLOW, what="engine listed")
    text = " ".join(["The quick brown fox jumps over the lazy dog near the quiet river bank."] * 40)
    body = ('{"text": "%s", "response_format": "wav", "sample_rate": 48000}' % text).encode()
    # No tiny SO_RCVBUF here: on loopback (MSS 64 KiB) a 16 KiB window never
    # reopens by a full segment, so the sender waits on zero-window probes
    # (seconds each) every time back-pressure lets it write again.
    s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=300 * harness.SLOW)
    try:
        s.sendall(b"POST " + SPEAK.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  key.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body)
        head = read_head(s)  # the answer is being written; the client reads nothing more yet
        status, headers, _ = parse_response(head)
        assert status == 200, head[:400]
        assert headers["transfer-encoding"] == "chunked"  # streamed as it is made
        gateway.proc.signal(signal.SIGTERM)
        time.sleep(1.0)  # the drain runs while most of the answer is still unread
        raw = bytearray(head.partition(b"\r\n\r\n")[2])
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            raw += chunk
            if raw.endswith(b"\r\n\r\n") and b"\r\n0\r\n" in raw[-80:]:
                break  # the last chunk and the trailer
        body, trailers = dechunk(bytes(raw))
        assert len(body) > 15_000_000, len(body)
        audio_ms = int(trailers["x-scaispeak-audio-ms"])
        assert abs((len(body) - 44) / 96 - audio_ms) <= 2, (len(body), audio_ms)  # 48 kHz s16 mono
    finally:
        s.close()
    assert gateway.proc.wait(60 * harness.SLOW) == 0
    gateway.proc.stopped_by_test = True


def test_fd_limit_pauses_accepting_and_recovers(procs, redis):
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_HTTP_ACCEPT_BACKOFF_MS": 500,
                                                      "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 60}).start()
    used = len(os.listdir(f"/proc/{gateway.proc.pid}/fd"))
    limit = used + 40  # room for a few clients, not for 120
    subprocess.run(["prlimit", f"--pid={gateway.proc.pid}", f"--nofile={limit}:{limit}"], check=True)
    held = []
    try:
        for _ in range(120):  # more connections than the gateway has descriptors
            try:
                held.append(socket.create_connection(("127.0.0.1", gateway.http_port), timeout=2))
            except OSError:
                break  # the listen backlog is full: enough
        time.sleep(3)  # the gateway meets EMFILE and pauses, repeatedly
        assert gateway.proc.alive()
    finally:
        for s in held:
            s.close()
    def serving():
        try:
            return gateway.http.get(HEALTHZ).status == 200
        except OSError:
            return False
    harness.wait_for(serving, 15 * harness.SLOW, what="healthz after the connections dropped")
    log = gateway.proc.log_text()
    assert "Error from accept() call" not in log
    pauses = len(re.findall(r"accept\(\) failed", log))
    assert 1 <= pauses <= 20, pauses


def closed_by_peer(s):
    """True once the gateway closed s (EOF or reset); what it sent first is dropped."""
    s.setblocking(False)  # a socket with a timeout would wait in recv, then raise TimeoutError
    try:
        while True:
            chunk = s.recv(65536, socket.MSG_DONTWAIT)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def trickle_until_closed(socks, payload, limit_s):
    """Sends one byte of payload per second on every open socket until the
    gateway closed them all or limit_s passed; returns how many stayed open."""
    open_ = list(socks)
    start = time.monotonic()
    i = 0
    while open_ and time.monotonic() - start < limit_s:
        still = []
        for s in open_:
            if closed_by_peer(s):
                continue
            try:
                s.send(payload[i % len(payload):i % len(payload) + 1])
                still.append(s)
            except OSError:
                pass  # closed under us
        open_ = still
        i += 1
        time.sleep(1.0)
    return len(open_)


def test_slowloris_heads_are_cut_at_the_header_deadline(procs, redis):
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_HTTP_HEADER_TIMEOUT_S": 2,
                                                      "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 30}).start()
    socks = []
    try:
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5)
            s.sendall(b"GET " + HEALTHZ.encode() + b" HTTP/1.1\r\n")
            socks.append(s)
        # a normal client is served while the attack runs
        assert gateway.http.get(HEALTHZ).status == 200
        left = trickle_until_closed(socks, b"X-Slow: trickle\r\n", 20)
        assert left == 0, f"{left} of 200 slow connections still open after 20 s"
        assert gateway.http.get(HEALTHZ).status == 200
    finally:
        for s in socks:
            s.close()
    log = gateway.proc.log_text()
    lines = len(re.findall(r"past the head or body read deadline", log))
    assert 1 <= lines <= 20, lines  # summarised, not one line per connection


def test_a_trickled_body_is_cut_at_the_body_deadline(procs, redis):
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_HTTP_BODY_TIMEOUT_S": 2,
                                                      "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 30}).start()
    s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5)
    try:
        s.sendall(b"POST " + SPEAK.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        assert trickle_until_closed([s], b"{" + b" " * 998 + b"}", 20) == 0, \
            "the slow body's connection is still open after 20 s"
    finally:
        s.close()
    assert gateway.http.get(HEALTHZ).status == 200


def test_connections_beyond_the_cap_get_503_with_retry_after(procs, redis):
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_HTTP_MAX_CONNECTIONS": 50,
                                                      "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 60}).start()
    get = b"GET " + HEALTHZ.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    held = []
    time.sleep(1.0)  # the start-up probes' connections are closed and no longer counted
    try:
        for _ in range(50):
            held.append(socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5))
        time.sleep(1.0)  # the gateway accepted them all (and dropped the start-up probes)
        extra = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5)
        try:
            extra.sendall(get.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            data = b""
            while True:
                chunk = extra.recv(4096)
                if not chunk:
                    break
                data += chunk
        finally:
            extra.close()
        status, headers, body = parse_response(data, request=get)
        assert status == 503, data[:300]
        assert headers.get("retry-after"), headers
        assert b"SERVICE_UNAVAILABLE" in body, body
        for s in held[:3]:  # the connections already open keep working
            s.sendall(get)
            head = read_head(s)
            assert parse_response(head)[0] == 200, head[:200]
    finally:
        for s in held:
            s.close()

    def serving():  # once they are gone, new connections are served again
        try:
            return gateway.http.get(HEALTHZ).status == 200
        except OSError:
            return False
    harness.wait_for(serving, 10 * harness.SLOW, what="healthz after the connections closed")
