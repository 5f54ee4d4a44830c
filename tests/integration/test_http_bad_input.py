"""Bad HTTP input (foundation issue, test 4): malformed JSON, oversized
bodies, stalled and non-HTTP connections. After each, the gateway is alive and
healthz answers. Raw sockets, because http.client refuses to send most of it."""

import json
import os
import re
import socket
import threading
import time

import pytest

import harness
from harness import SLOW, assert_error

HEALTHZ = "/v1/modules/scaispeak/healthz"


def still_serving(gateway):
    assert gateway.proc.alive(), f"gateway died: status {harness.describe_status(gateway.proc.poll())}"
    r = gateway.http.get(HEALTHZ)
    assert r.status == 200, r


def parse_response(data, request=None):
    """(status, headers{lower: value}, body) of the first response in data;
    with `request` (the bytes sent to the gateway) the answer is also checked
    against docs/openapi.json (harness.check_raw_answer)."""
    assert data, "no response bytes"
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0])
    assert m, f"invalid status line {lines[0]!r} (want HTTP/1.0 or HTTP/1.1): {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(rest)))
    if request is not None:
        harness.check_raw_answer(request, int(m.group(1)), headers, rest[:n])
    return int(m.group(1)), headers, rest[:n]


@pytest.fixture
def known_node(gateway, protos):
    req = harness.heartbeat_request(protos, "itest-target", interval_ms=10000)
    harness.send_heartbeat(protos, gateway.grpc_target, gateway.node_auth_key, req)
    assert gateway.node_status("itest-target") == "online"
    return "itest-target"


def test_malformed_json_is_400_with_line_and_column(gateway, known_node):
    path = f"/v1/infra/nodes/{known_node}/drain"
    for body, want_line in (("{bad", 1), ('{\n  "reason": \n}', 3)):
        r = gateway.http.post(path, token=True, body=body, headers={"Content-Type": "application/json"})
        err = assert_error(r, 400, "MALFORMED_REQUEST")
        msg = err["message"].lower()
        line = re.search(r"line\D{0,3}(\d+)", msg)
        assert line and re.search(r"col(umn)?\D{0,3}\d+", msg), f"no line/column in {err['message']!r}"
        assert int(line.group(1)) == want_line, f"body {body!r}: {err['message']!r}"
    assert gateway.node_status(known_node) == "online", "a rejected drain must not drain"
    still_serving(gateway)


def test_drain_reason_of_the_wrong_type_is_422(gateway, known_node):
    r = gateway.http.post(f"/v1/infra/nodes/{known_node}/drain", token=True, json_body={"reason": 5})
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert any(d.get("field") == "reason" for d in err.get("details", [])), err
    assert gateway.node_status(known_node) == "online"


def big_post(gateway, path, size, chunked):
    """POSTs size bytes; the body is written by a thread while this thread
    reads, so an early answer (413 before the body ends) is seen."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {gateway.operator_token}\r\nContent-Type: application/json\r\n")
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5)
    s.sendall(head.encode())
    piece = b'{"reason":"' + b"x" * (65536 - 11)

    def writer():
        try:
            sent = 0
            while sent < size:
                n = min(len(piece), size - sent)
                s.sendall(b"%x\r\n" % n + piece[:n] + b"\r\n" if chunked else piece[:n])
                sent += n
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the gateway answered and closed early: fine
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    data = b""
    s.settimeout(15 * SLOW)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                status, headers, body = parse_response(data)
                if len(body) >= int(headers.get("content-length", 0)):
                    break
    except (ConnectionResetError, socket.timeout) as e:
        if not data:
            raise AssertionError(f"no answer to a {size}-byte body: {e!r}")
    finally:
        s.close()
        t.join(5)
    return parse_response(data, request=head.encode())


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit_is_413_json(gateway, known_node, chunked):
    status, headers, body = big_post(gateway, f"/v1/infra/nodes/{known_node}/drain", 10 * 1024 * 1024,
                                     chunked)
    assert status == 413, (status, headers, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), headers
    j = json.loads(body)
    assert j["status"] == "error" and j["error"]["code"] == "PAYLOAD_TOO_LARGE", j
    assert headers.get("x-request-id") == j["meta"]["request_id"], (headers, j)
    assert gateway.node_status(known_node) == "online"
    still_serving(gateway)


@pytest.mark.parametrize("partial", [
    b"GET /v1/modules/scaispeak/healthz HTTP/1.1\r\nHost: x\r\n",
    b"POST /v1/infra/nodes/x/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"rea",
    b"GE",
], ids=["half-headers", "half-body", "half-request-line"])
def test_stalled_connection_is_closed_and_others_served(gateway, partial):
    s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=5)
    try:
        s.sendall(partial)
        t0 = time.monotonic()
        # Meanwhile the gateway serves other clients at once.
        for _ in range(3):
            still_serving(gateway)
        s.settimeout(10 * SLOW)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError("stalled connection still open 10 s later (http_idle_timeout_s=2)")
        took = time.monotonic() - t0
        print(f"stalled connection closed after {took:.2f}s")
        if data:
            status, headers, _ = parse_response(data)
            assert status == 408 and b"\"REQUEST_TIMEOUT\"" in data, (status, data[:200])
    finally:
        s.close()
    still_serving(gateway)


GARBAGE = {
    "random": os.urandom(8192),
    "nul-bytes": b"\x00" * 4096,
    "not-http": b"HELLO THERE\r\n\r\n",
    "tls-hello": bytes.fromhex("16030100a5010000a10303") + os.urandom(160),
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00" * 64,
    "bad-version": b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    "no-colon-header": b"GET /v1/modules/scaispeak/healthz HTTP/1.1\r\nHost x\r\nBroken\r\n\r\n",
    "huge-uri": b"GET /" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "many-headers": b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20000)) + b"\r\n",
    "bad-content-length": b"POST /v1/infra/nodes/x/drain HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "bad-chunk": b"POST /v1/infra/nodes/x/drain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_gets_4xx_or_close_and_gateway_survives(gateway, name):
    data, closed = harness.raw_exchange(gateway.http_port, GARBAGE[name], read_timeout=6 * SLOW)
    if data:
        status, headers, body = parse_response(data, request=GARBAGE[name])
        assert 400 <= status < 500, (name, status, data[:300])
        if body:
            assert b"<html" not in body.lower(), f"{name}: HTML answer {body[:300]!r}"
    else:
        assert closed, f"{name}: neither an answer nor a close"
    still_serving(gateway)
