"""Backend B: the relay client (gateway/relay_client.c) and its readiness probe
(gateway/relay_probe.c) against a real HTTP server speaking the OpenAI TTS
protocol (fake_relay.py).

Part 1 runs the real gateway: readyz's backend_b check follows the probe
(configured / reachable / reason) and decides whether the gateway without
nodes is degraded (it is ready whenever Redis answers).
Part 2 runs one relay call at a time through tests/tools/relay_call.c (the
client on its own event loop): audio bytes, streaming, error classes, no
retries, timeout, cancel."""

import json
import os
import subprocess
import time

import pytest

import harness
from fake_relay import FakeRelay
from harness import SLOW, wait_for

READYZ = "/v1/modules/scaispeak/readyz"
KEY = "relay-test-key"


@pytest.fixture
def relay():
    r = FakeRelay(key=KEY).start()
    yield r
    r.down()


def relay_env(relay, key=KEY, interval_ms=200, timeout_ms=2000):
    env = {"SCAISPEAK_RELAY_URL": relay.url, "SCAISPEAK_RELAY_PROBE_INTERVAL_MS": interval_ms,
           "SCAISPEAK_RELAY_TIMEOUT_MS": timeout_ms}
    if key is not None:
        env["SCAISPEAK_RELAY_KEY"] = key
    return env


def readyz(gw):
    r = gw.http.get(READYZ)
    assert r.status in (200, 503), r
    j = r.json()
    b = j["checks"]["backend_b"]
    assert isinstance(b.get("configured"), bool) and isinstance(b.get("reachable"), bool), j
    if b["reachable"]:
        assert b.get("reason") is None, j
    else:
        assert isinstance(b.get("reason"), str) and b["reason"], j
    return r.status, j


def wait_backend_b(gw, pred, timeout=5.0, what="backend_b state"):
    def check():
        status, j = readyz(gw)
        return (status, j) if pred(status, j["checks"]["backend_b"]) else None
    return wait_for(check, timeout * SLOW, interval=0.1, what=what)


# ---- part 1: readiness through the gateway ----

def test_reachable_relay_makes_gateway_ready_without_nodes(procs, redis, relay):
    gw = harness.Gateway(procs, redis.port, env=relay_env(relay)).start()
    status, j = wait_backend_b(gw, lambda s, b: b["reachable"], what="backend_b reachable")
    assert status == 200 and j["degraded"] is False, j
    assert j["ready"] is True and j["checks"]["backend_a"]["online_nodes"] == 0, j
    assert j["checks"]["backend_b"]["configured"] is True, j
    probes = [r for r in relay.requests if r["path"] == "/v1/models"]
    assert probes and all(p["method"] == "GET" for p in probes), relay.requests
    assert probes[0]["headers"].get("Authorization") == f"Bearer {KEY}", probes[0]
    # periodic: more probes come at the configured interval
    n = relay.count("/v1/models")
    wait_for(lambda: relay.count("/v1/models") >= n + 2, 3.0 * SLOW, what="more probes")


def test_relay_down_not_ready_then_recovers(procs, redis, relay):
    gw = harness.Gateway(procs, redis.port, env=relay_env(relay)).start()
    wait_backend_b(gw, lambda s, b: b["reachable"], what="backend_b reachable")
    relay.down()
    status, j = wait_backend_b(gw, lambda s, b: not b["reachable"], what="backend_b unreachable")
    # Redis answers: still ready (README "Health and readiness"), but no
    # synthesis backend is usable.
    assert status == 200 and j["degraded"] is True, j
    b = j["checks"]["backend_b"]
    assert b["configured"] is True, j
    assert "connection refused" in b["reason"], j
    assert any(r.startswith("backend_b") for r in j["degraded_reasons"]), j
    relay.up()
    status, j = wait_backend_b(gw, lambda s, b: b["reachable"], what="backend_b reachable again")
    assert status == 200 and j["degraded"] is False, j


def test_wrong_key_reason_names_401(procs, redis, relay):
    gw = harness.Gateway(procs, redis.port, env=relay_env(relay, key="not-the-key")).start()
    status, j = wait_backend_b(gw, lambda s, b: b["reason"] != "first probe in flight",
                               what="first probe result")
    b = j["checks"]["backend_b"]
    assert status == 200 and j["degraded"] is True, j
    assert b["configured"] is True and b["reachable"] is False, j
    assert "401" in b["reason"] and "bad relay key" in b["reason"], j
    assert relay.requests[0]["headers"].get("Authorization") == "Bearer not-the-key"


def test_missing_key_is_not_configured_and_not_probed(procs, redis, relay):
    gw = harness.Gateway(procs, redis.port, env=relay_env(relay, key=None)).start()
    status, j = readyz(gw)
    b = j["checks"]["backend_b"]
    assert status == 200 and j["degraded"] is True, j
    assert b == {"configured": False, "reachable": False, "reason": "relay_key is not set"}, j
    time.sleep(0.5)
    assert relay.count("/v1/models") == 0, relay.calls


def test_slow_relay_times_out_without_blocking_the_loop(procs, redis, relay):
    relay.slow_s = 5.0
    gw = harness.Gateway(procs, redis.port, env=relay_env(relay, timeout_ms=1500)).start()
    wait_for(lambda: relay.count("/v1/models") >= 1, 3.0 * SLOW, what="a probe in flight")
    # the probe hangs in the relay: the loop still answers at once
    quick = harness.Http(gw.http_port, timeout=1.0 * SLOW, openapi=True)
    assert quick.get("/v1/modules/scaispeak/healthz").status == 200
    status, j = wait_backend_b(gw, lambda s, b: "timeout" in b["reason"], timeout=6.0,
                               what="probe timeout reason")
    assert status == 200 and j["degraded"] is True, j
    assert j["checks"]["backend_b"]["reachable"] is False, j


# ---- part 2: one call at a time through tests/tools/relay_call ----

def relay_call(relay, *args, key=KEY, timeout_ms=3000, out=None):
    tool = os.path.join(harness.build_dir(), "tests", "relay_call")
    assert os.access(tool, os.X_OK), f"{tool} is missing: build it (make ... tests/relay_call)"
    argv = [tool, "--url", relay.url, "--key", key, "--timeout-ms", str(timeout_ms)]
    if out:
        argv += ["--out", str(out)]
    p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=30 * SLOW,
                       env=harness.child_env({}))
    for marker in harness.SANITIZER_MARKERS:
        assert marker not in p.stderr, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines, (p.returncode, p.stderr)
    return p.returncode, json.loads(lines[-1])


def test_call_returns_the_relays_wav_bytes(relay, tmp_path):
    out = tmp_path / "a.wav"
    rc, j = relay_call(relay, "--input", "Hello there.", "--voice", "nova", "--speed", "1.25",
                       "--request-id", "req_relaytest0000000001", out=out)
    assert rc == 0 and j["class"] == "ok" and j["status"] == 200, j
    assert j["done_calls"] == 1 and j["content_type"] == "audio/wav", j
    assert out.read_bytes() == relay.audio("wav") and j["bytes"] == len(relay.audio("wav")), j
    assert out.read_bytes()[:4] == b"RIFF"
    req = relay.requests[-1]
    assert req["method"] == "POST" and req["path"] == "/v1/audio/speech", req
    assert req["json"] == {"model": "tts-1", "input": "Hello there.", "voice": "nova",
                           "response_format": "wav", "speed": 1.25}, req
    assert req["headers"].get("Authorization") == f"Bearer {KEY}", req
    assert req["headers"].get("X-Request-Id") == "req_relaytest0000000001", req


@pytest.mark.parametrize("fmt,ctype,magic", [("flac", "audio/flac", b"fLaC"),
                                              ("mp3", "audio/mpeg", None),
                                              ("opus", "audio/ogg", b"OggS"),
                                              ("pcm", "audio/pcm", None)])
def test_call_other_formats(relay, tmp_path, fmt, ctype, magic):
    if relay.audio(fmt) is None:
        pytest.skip(f"no {fmt} encoder installed for the fake relay")
    out = tmp_path / ("a." + fmt)
    rc, j = relay_call(relay, "--format", fmt, out=out)
    assert rc == 0 and j["class"] == "ok" and j["content_type"] == ctype, j
    assert out.read_bytes() == relay.audio(fmt), j
    if magic:
        assert out.read_bytes().startswith(magic)
    assert relay.requests[-1]["json"]["response_format"] == fmt


def test_call_streams_the_body_as_it_arrives(relay, tmp_path):
    relay.chunk_delay_s = 0.15
    out = tmp_path / "s.wav"
    rc, j = relay_call(relay, out=out)
    assert rc == 0 and j["class"] == "ok", j
    assert j["data_calls"] >= 3, j  # 4 chunks 150 ms apart are not one delivery
    assert out.read_bytes() == relay.audio("wav")


def test_call_401_is_http_4xx_and_not_retried(relay):
    rc, j = relay_call(relay, key="wrong")
    assert rc == 0 and j["class"] == "http_4xx" and j["status"] == 401, j
    assert "401" in j["message"] and "Incorrect API key" in j["message"], j
    assert j["bytes"] == 0 and j["done_calls"] == 1, j
    time.sleep(0.2)
    assert relay.count("/v1/audio/speech") == 1, relay.calls


def test_call_400_from_relay_validation(relay):
    rc, j = relay_call(relay, "--model", "no-such-model")
    assert j["class"] == "http_4xx" and j["status"] == 400 and "no-such-model" in j["message"], j
    assert relay.count("/v1/audio/speech") == 1


def test_call_500_is_http_5xx_and_not_retried(relay):
    relay.fail_status = 500
    rc, j = relay_call(relay)
    assert rc == 0 and j["class"] == "http_5xx" and j["status"] == 500, j
    assert "the relay failed" in j["message"], j
    assert relay.count("/v1/audio/speech") == 1, relay.calls


def test_call_timeout(relay):
    relay.slow_s = 4.0
    rc, j = relay_call(relay, timeout_ms=600)
    assert rc == 0 and j["class"] == "timeout" and j["status"] == 0, j
    assert 550 <= j["elapsed_ms"] <= 600 + 1500 * SLOW, j
    assert relay.count("/v1/audio/speech") == 1


def test_call_connection_refused(relay):
    relay.down()
    rc, j = relay_call(relay)
    assert rc == 0 and j["class"] == "connect" and "connection refused" in j["message"], j


def test_call_connection_dropped_is_protocol(relay):
    relay.drop = True
    rc, j = relay_call(relay)
    assert rc == 0 and j["class"] == "protocol" and j["status"] == 0, j


def test_cancel_never_calls_on_done(relay):
    # the relay answers 500 ms after the request; the call is cancelled at 100 ms
    # and the loop keeps running until 1.6 s: a late on_done would be counted
    relay.slow_s = 0.5
    rc, j = relay_call(relay, "--cancel-after-ms", "100", "--grace-ms", "1500")
    assert rc == 0 and j["cancelled"] is True and j["done_calls"] == 0 and j["bytes"] == 0, j
    assert relay.count("/v1/audio/speech") == 1


def test_cancel_mid_stream(relay):
    # 4 chunks 300 ms apart; cancelled by a timer at 450 ms, after the first chunk(s)
    relay.chunk_delay_s = 0.3
    rc, j = relay_call(relay, "--cancel-after-ms", "450", "--grace-ms", "1500")
    assert rc == 0 and j["cancelled"] is True and j["done_calls"] == 0, j
    assert 0 < j["bytes"] < len(relay.audio("wav")), j


def test_cancel_from_inside_on_data(relay):
    # cancelled inside the first on_data; the rest of the stream must not arrive
    relay.chunk_delay_s = 0.2
    rc, j = relay_call(relay, "--cancel-after-bytes", "1", "--grace-ms", "1200")
    assert rc == 0 and j["cancelled"] is True and j["done_calls"] == 0, j
    assert j["data_calls"] == 1 and 0 < j["bytes"] < len(relay.audio("wav")), j


def test_models_call(relay):
    rc, j = relay_call(relay, "--models")
    assert rc == 0 and j["class"] == "ok" and j["status"] == 200, j
    assert j["content_type"] == "application/json", j


def test_bad_request_does_not_start(relay):
    rc, j = relay_call(relay, "--input", "")
    assert rc == 2 and j["started"] is False and "input" in j["error"], j
    rc, j = relay_call(relay, "--format", "aiff")
    assert rc == 2 and j["started"] is False and "aiff" in j["error"], j
    assert relay.count("/v1/audio/speech") == 0
