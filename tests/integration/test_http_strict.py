"""HTTP strictness (issue 15, finding 7): request framing a proxy could read
differently is refused with 400 and a close; unknown methods get a JSON 405;
HEAD works on GET routes; numbers are range-checked before any cast; error
details are capped. Raw sockets where http.client would refuse to send it."""
import json

import pytest

import harness
from harness import assert_error
from test_http_bad_input import parse_response, still_serving
from test_speak import SPEAK, key, key_for, speak, tenant  # noqa: F401 (fixtures)

HEALTHZ = "/v1/modules/scaispeak/healthz"
DRAIN = "/v1/infra/nodes/x/drain"


def exchange(gateway, payload):
    data, closed = harness.raw_exchange(gateway.http_port, payload, read_timeout=6 * harness.SLOW)
    status, headers, body = parse_response(data, request=payload)
    return status, headers, json.loads(body) if body else None, closed


FRAMING = {
    "two-content-lengths": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                           b"Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}",
    "content-length-list": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 2, 30\r\n\r\n{}",
    "te-chunked-not-last": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                           b"Transfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "te-chunked-twice": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "te-identity": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{}",
    "te-and-content-length": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                             b"Transfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "bad-chunk-size": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "negative-chunk-size": b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(FRAMING))
def test_ambiguous_framing_is_400_json_and_closed(gateway, name):
    status, headers, body, closed = exchange(gateway, FRAMING[name])
    assert status == 400, (name, status, headers, body)
    assert body["error"]["code"] == "MALFORMED_REQUEST", body
    assert headers.get("connection", "").lower() == "close", headers
    assert closed, "the connection must be closed after a framing error"
    still_serving(gateway)


def test_unimplemented_coding_before_chunked_is_501_json_and_closed(gateway):
    """RFC 9112 section 6.1: a transfer coding the server does not understand
    (gzip, with chunked last so the length is known) is 501."""
    status, headers, body, closed = exchange(gateway, b"POST " + DRAIN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                             b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert status == 501, (status, headers, body)
    assert body["error"]["code"] == "NOT_IMPLEMENTED", body
    assert headers.get("connection", "").lower() == "close", headers
    assert closed, "the connection must be closed after a framing error"
    still_serving(gateway)


def test_unknown_method_is_405_json(gateway):
    status, headers, body, _ = exchange(gateway, b"BREW " + HEALTHZ.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 405, (status, headers, body)
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED", body
    assert "GET" in headers.get("allow", ""), headers
    still_serving(gateway)


def test_head_on_a_get_route_has_the_get_headers_and_no_body(gateway):
    get = gateway.http.get(HEALTHZ)
    status, headers, _, _ = exchange(gateway, b"HEAD " + HEALTHZ.encode() +
                                     b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200, (status, headers)
    assert headers.get("content-type") == get.headers["Content-Type"], headers
    assert int(headers["content-length"]) == len(get.body), (headers, len(get.body))
    data, _ = harness.raw_exchange(gateway.http_port, b"HEAD " + HEALTHZ.encode() +
                                   b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.endswith(b"\r\n\r\n"), f"HEAD answered with a body: {data[-200:]!r}"


def test_head_on_a_post_only_route_is_405(gateway):
    r = gateway.http.request("HEAD", DRAIN, token=True)
    assert r.status == 405, r


@pytest.mark.parametrize("rate", [4294983296, -16000, 2 ** 63 - 1, -(2 ** 63)])
def test_sample_rate_out_of_int_range_is_422(gateway, key, rate):  # noqa: F811
    err = assert_error(speak(gateway, key, {"text": "hi", "sample_rate": rate}), 422, "VALIDATION_ERROR")
    d = [x for x in err["details"] if x["field"] == "sample_rate"]
    assert d and d[0]["message"].startswith("must be 8000"), err


def test_error_details_are_capped(gateway, key):  # noqa: F811
    body = {"text": "hi"}
    body.update({f"k{i}": 1 for i in range(100000)})
    r = speak(gateway, key, body)
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert len(r.body) < 8192, len(r.body)
    assert len(err["details"]) <= 21, len(err["details"])
    assert err["details"][-1].get("omitted") == 100000 - 20, err["details"][-1]
