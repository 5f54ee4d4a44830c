"""POST /speak and POST /v1/audio/speech end to end: real redis-server, gateway
and node processes (the node with the real HTS engine); the audio is checked
with independent decoders (sox, opusinfo)."""
import json
import os
import socket
import subprocess
import threading
import time

import pytest

import harness
from harness import assert_error, assert_ok

SPEAK = "/v1/modules/scaispeak/speak"
POLICY = "/v1/modules/scaispeak/admin/policy"
ENGINE = {"SCAISPEAK_VOICE_PATH": None}  # the node's default voice: real engine


admin = harness.admin_cli


@pytest.fixture
def tenant(redis):
    return admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]


def key_for(redis, tenant, role="tenant_admin", grants=""):
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role,
                 *(["--grant", grants] if grants else []))[0]
    return admin(redis, "create-key", "--user", user)[0]


@pytest.fixture
def key(redis, tenant):
    return key_for(redis, tenant)


def speak(gw, key, body, path=SPEAK, headers=None):
    h = {"Authorization": f"Bearer {key}"}
    h.update(headers or {})
    return gw.http.request("POST", path, json_body=body, headers=h)


def ready_node(gateway, start_node, **kw):
    node = start_node(env=ENGINE, **kw)
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW,
                     what="node engine listed")
    return node


def soxi(path, flag):
    if flag == "-D":  # decoded, not the header's claim (streamed answers)
        return str(harness.audio_seconds(path))
    return subprocess.run(["soxi", flag, path], capture_output=True, text=True, check=True).stdout.strip()


def test_wav_speech_with_headers(gateway, start_node, key, tmp_path):
    ready_node(gateway, start_node)
    resp = speak(gateway, key, {"text": "The birch canoe slid on the smooth planks."})
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "audio/wav"
    assert resp.header("X-Scaispeak-Backend") == "A"
    assert resp.header("X-Scaispeak-Voice-Id") == "vc_platform_slt"
    assert resp.header("X-Scaispeak-Characters") == "42"
    wav = tmp_path / "a.wav"
    wav.write_bytes(resp.body)
    assert soxi(str(wav), "-r") == "32000"
    dur_ms = float(soxi(str(wav), "-D")) * 1000
    assert abs(dur_ms - resp.audio_ms()) <= 2
    assert 1500 < dur_ms < 5000


@pytest.mark.parametrize("fmt,rate,ctype", [
    ("wav", 16000, "audio/wav"), ("flac", 44100, "audio/flac"), ("mp3", 24000, "audio/mpeg"),
    ("opus", 48000, "audio/ogg"), ("pcm", 8000, "audio/L16;rate=8000")])
def test_formats_decode_at_the_asked_rate(gateway, start_node, key, tmp_path, fmt, rate, ctype):
    ready_node(gateway, start_node)
    resp = speak(gateway, key, {"text": "Glue the sheet to the dark blue background.",
                                "response_format": fmt, "sample_rate": rate})
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == ctype
    audio_ms = resp.audio_ms()
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(resp.body)
    if fmt == "pcm":
        dur_ms = len(resp.body) / 2 / rate * 1000
    elif fmt == "opus":
        info = subprocess.run(["opusinfo", str(path)], capture_output=True, text=True).stdout
        assert "Playback length" in info, info
        out = tmp_path / "dec.wav"
        subprocess.run(["opusdec", "--rate", "48000", str(path), str(out)], capture_output=True, check=True)
        dur_ms = float(soxi(str(out), "-D")) * 1000
    else:
        assert soxi(str(path), "-r") == str(rate)
        dur_ms = float(soxi(str(path), "-D")) * 1000
    assert abs(dur_ms - audio_ms) <= 80, (fmt, dur_ms, audio_ms)


def test_opus_without_a_rate_is_48k(gateway, start_node, key, tmp_path):
    """The engine's 32 kHz is no Opus rate: opus without sample_rate is 48 kHz."""
    ready_node(gateway, start_node)
    resp = speak(gateway, key, {"text": "Glue the sheet to the dark blue background.", "response_format": "opus"})
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "audio/ogg"
    path = tmp_path / "out.opus"
    path.write_bytes(resp.body)
    info = subprocess.run(["opusinfo", str(path)], capture_output=True, text=True).stdout
    assert "Original sample rate: 48000 Hz" in info, info
    resp = speak(gateway, key, {"text": "Hi.", "response_format": "opus"}, headers={"Accept": "application/json"})
    assert assert_ok(resp)["sample_rate"] == 48000


def test_json_envelope_with_timestamps(gateway, start_node, key):
    ready_node(gateway, start_node)
    resp = speak(gateway, key, {"text": "It is easy to tell the depth of a well.", "timestamps": True},
                 headers={"Accept": "application/json"})
    data = assert_ok(resp)
    assert data["format"] == "wav" and data["backend_used"] == "A"
    assert data["voice_id"] == "vc_platform_slt" and data["characters"] == 39
    import base64
    audio = base64.b64decode(data["audio_base64"])
    assert audio[:4] == b"RIFF"
    words = data["timestamps"]["words"]
    assert [w["text"].lower() for w in words][:3] == ["it", "is", "easy"]
    assert all(a["start_ms"] <= b["start_ms"] for a, b in zip(words, words[1:]))
    assert words[-1]["end_ms"] <= data["duration_ms"] + 5
    assert data["timestamps"]["phonemes"]
    # a token said as several words is one timing over all of them (not "555" three times)
    ssml = '<speak>Call <say-as interpret-as="telephone">555 1234</say-as> now.</speak>'
    words = assert_ok(speak(gateway, key, {"text": ssml, "timestamps": True},
                            headers={"Accept": "application/json"}))["timestamps"]["words"]
    assert [w["text"] for w in words] == ["Call", "555", "1234", "now."], words
    assert words[1]["end_ms"] - words[1]["start_ms"] > 2 * (words[0]["end_ms"] - words[0]["start_ms"])


def test_openai_alias(gateway, start_node, key, tmp_path):
    ready_node(gateway, start_node)
    resp = speak(gateway, key, {"model": "tts-1", "input": "Hello from an OpenAI client.", "voice": "alloy"},
                 path="/v1/audio/speech")
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "audio/mpeg"
    (tmp_path / "o.mp3").write_bytes(resp.body)
    assert float(soxi(str(tmp_path / "o.mp3"), "-D")) > 0.5
    resp = speak(gateway, key, {"model": "tts-1", "input": "Hi.", "voice": "SLT (US English)",
                                "response_format": "wav"}, path="/v1/audio/speech")
    assert resp.status == 200 and resp.header("X-Scaispeak-Voice-Id") == "vc_platform_slt"
    assert_error(speak(gateway, key, {"model": "tts-1", "input": "Hi.", "voice": "nobody"},
                       path="/v1/audio/speech"), 404, "SCAISPEAK_VOICE_NOT_FOUND")


def test_validation(gateway, key):
    cases = [
        ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": 5}, "text"),
        ({"text": "x" * 100001}, "text"), ({"text": "hi", "speed": 3}, "speed"),
        ({"text": "hi", "speed": "fast"}, "speed"), ({"text": "hi", "pitch": -13}, "pitch"),
        ({"text": "hi", "response_format": "aac"}, "response_format"),
        ({"text": "hi", "sample_rate": 12345}, "sample_rate"),
        ({"text": "hi", "response_format": "opus", "sample_rate": 44100}, "sample_rate"),
        ({"text": "hi", "backend_preference": "fastest"}, "backend_preference"),
        ({"text": "hi", "timestamps": "yes"}, "timestamps"), ({"text": "hi", "sample_rte": 8000}, "sample_rte"),
        ({"text": "hi", "voice_id": 7}, "voice_id"), ({"text": "hi", "language_hint": "english"}, "language_hint"),
    ]
    for body, field in cases:
        err = assert_error(speak(gateway, key, body), 422, "VALIDATION_ERROR")
        fields = [d["field"] for d in err["details"]]
        assert field in fields, (body if len(json.dumps(body)) < 200 else field, fields)
    resp = gateway.http.request("POST", SPEAK, body=b'{"text": "hi",}',
                                headers={"Authorization": f"Bearer {key}"})
    assert_error(resp, 400, "MALFORMED_REQUEST")
    resp = gateway.http.request("POST", SPEAK, body=b'{"text": "nul \\u0000 char"}',
                                headers={"Authorization": f"Bearer {key}"})
    err = assert_error(resp, 400, "MALFORMED_REQUEST")
    assert "NUL" in err["message"] and "JSON_ALLOW_NUL" not in json.dumps(err), err  # no library flag names
    assert_error(speak(gateway, key, {"text": "hi", "voice_id": "vc_nope"}), 404, "SCAISPEAK_VOICE_NOT_FOUND")


def test_json_that_is_not_an_object_is_a_422_on_the_body(gateway, key):
    """null, a number, a string or true is JSON, just not the object asked
    for: 422 naming the body, as for an array, never a 400 "malformed"."""
    routes = [("POST", SPEAK), ("POST", "/v1/audio/speech"), ("POST", "/v1/modules/scaispeak/voices"),
              ("PUT", "/v1/modules/scaispeak/admin/policy"), ("POST", "/v1/api-keys")]
    for method, path in routes:
        for body in (b"null", b"7", b'"hello"', b"true", b"[1]"):
            resp = gateway.http.request(method, path, body=body, headers={
                "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            err = assert_error(resp, 422, "VALIDATION_ERROR")
            assert [d["field"] for d in err["details"]] == ["body"], (method, path, body, err)


def test_a_language_the_voice_does_not_speak_is_refused(gateway, start_node, key):
    """language_hint "fr" on the English platform voice: 422 naming the
    voice's languages, not French read with English rules; a hint the voice
    speaks is accepted."""
    ready_node(gateway, start_node)
    err = assert_error(speak(gateway, key, {"text": "Bonjour tout le monde.", "language_hint": "fr"}), 422,
                       "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "language_hint", err
    assert '["en"]' in err["message"] and '"fr"' in err["message"], err
    assert speak(gateway, key, {"text": "Hello.", "language_hint": "en", "response_format": "pcm"}).status == 200


def test_permissions(redis, gateway, start_node, tenant):
    ready_node(gateway, start_node)
    viewer = key_for(redis, tenant, "tenant_viewer")
    user = key_for(redis, tenant, "tenant_user")
    granted = key_for(redis, tenant, "tenant_user", "scaispeak:synthesize")
    body = {"text": "Permission check."}
    assert_error(speak(gateway, viewer, body), 403, "AUTHZ_PERMISSION_DENIED")
    assert_error(speak(gateway, user, body), 403, "AUTHZ_PERMISSION_DENIED")
    assert speak(gateway, granted, body).status == 200
    assert_error(gateway.http.request("POST", SPEAK, json_body=body, token=None), 401, "AUTH_TOKEN_MISSING")


def put_policy(gw, key, policy):
    return assert_ok(gw.http.request("PUT", POLICY, json_body=policy,
                                     headers={"Authorization": f"Bearer {key}"}))


def test_policy_matrix_without_nodes_or_relay(gateway, key, redis, tenant):
    got = assert_ok(gateway.http.request("GET", POLICY, headers={"Authorization": f"Bearer {key}"}))
    assert got["allowed_backends"] == ["A", "B"] and got["default_backend"] == "A"
    put_policy(gateway, key, {"allowed_backends": ["A"]})
    err = assert_error(speak(gateway, key, {"text": "hi"}), 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    details = {d["field"]: d["message"] for d in err["details"]}
    assert "backend_a" in details and "not allowed" in details["backend_b"]
    put_policy(gateway, key, {"allowed_backends": ["B"]})
    err = assert_error(speak(gateway, key, {"text": "hi", "backend_preference": "prefer_self_hosted"}),
                       502, "SCAISPEAK_BACKEND_UNAVAILABLE")
    details = {d["field"]: d["message"] for d in err["details"]}
    assert "relay" in details["backend_b"] and "not allowed" in details["backend_a"]
    user = key_for(redis, tenant, "tenant_user", "scaispeak:synthesize")
    assert_error(gateway.http.request("PUT", POLICY, json_body={"allowed_backends": ["A"]},
                                      headers={"Authorization": f"Bearer {user}"}), 403,
                 "AUTHZ_PERMISSION_DENIED")
    assert_error(gateway.http.request("PUT", POLICY, json_body={"allowed_backends": []},
                                      headers={"Authorization": f"Bearer {key}"}), 422, "VALIDATION_ERROR")


def test_prefer_relay_never_widens(gateway, start_node, key):
    ready_node(gateway, start_node)
    put_policy(gateway, key, {"allowed_backends": ["A"]})
    resp = speak(gateway, key, {"text": "Still on A.", "backend_preference": "prefer_relay"})
    assert resp.status == 200 and resp.header("X-Scaispeak-Backend") == "A"


def test_dead_node_before_first_byte_is_retried_on_another(gateway, start_node, key):
    a = ready_node(gateway, start_node)
    b = ready_node(gateway, start_node)
    b.proc.kill9()  # still "online" in the registry for up to 3 heartbeat intervals
    for i in range(12):
        resp = speak(gateway, key, {"text": f"Attempt number {i}."})
        assert resp.status == 200, resp
        if f"node {b.node_id} failed" in gateway.proc.log_text():
            break
    assert f"node {b.node_id} failed" in gateway.proc.log_text(), "the dead node was never tried"


class NxDomainServer:
    """A UDP name server on 127.0.0.1 answering every query NXDOMAIN, counting
    the A queries per name (in lower case: evdns mixes the case)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.a_queries = {}
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                q, peer = self.sock.recvfrom(512)
            except (socket.timeout, OSError):
                continue
            i, labels = 12, []
            while i < len(q) and q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
                i += 1 + q[i]
            if i + 5 > len(q):
                continue
            if int.from_bytes(q[i + 1:i + 3], "big") == 1:
                name = ".".join(labels).lower()
                self.a_queries[name] = self.a_queries.get(name, 0) + 1
            flags = 0x8083 | (q[2] & 1) << 8  # a response, RD as asked, RA, NXDOMAIN
            self.sock.sendto(q[:2] + flags.to_bytes(2, "big") + b"\0\1\0\0\0\0\0\0" + q[12:i + 5], peer)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def test_a_node_name_that_does_not_resolve_is_looked_up_once(procs, redis, key):
    # A call that had to open its connection is not retried on a fresh one
    # (node_call.h): one lookup, not a second one for the restart retry.
    dns = NxDomainServer()
    try:
        gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_NODE_RESOLVER": dns.address}).start()
        node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key,
                            env={**ENGINE, "SCAISPEAK_NODE_ADDRESS": "node-x.invalid:50051"}).start()
        gw.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
        harness.wait_for(lambda: gw.node(node.node_id)["engines"], 5 * harness.SLOW, what="node engine listed")
        resp = speak(gw, key, {"text": "Nobody can reach this node."})
        err = assert_error(resp, 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
        why = {d["field"]: d["message"] for d in err.get("details", [])}.get(f"node:{node.node_id}", "")
        assert why.startswith("UNAVAILABLE: resolving node-x.invalid:50051"), err
        assert dns.a_queries.get("node-x.invalid") == 1, dns.a_queries
        log = gw.proc.log_text()
        assert "resolving node-x.invalid:50051" in log
        assert "retried on a fresh one" not in log
    finally:
        dns.close()


def test_client_disconnect_cancels_the_node_call(gateway, start_node, key):
    node = ready_node(gateway, start_node)
    # 45 x 64 = 2 880 characters: under the 3 000 of the async threshold
    text = " ".join(["This sentence is long enough to keep the node busy for a while."] * 45)
    body = json.dumps({"text": text}).encode()
    s = socket.create_connection(("127.0.0.1", gateway.http_port))
    s.sendall(b"POST " + SPEAK.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    time.sleep(0.3)
    s.close()
    harness.wait_for(lambda: "client disconnected" in gateway.proc.log_text(), 5 * harness.SLOW,
                     what="the gateway noticing the disconnect")
    harness.wait_for(lambda: "CANCELLED" in node.proc.log_text(), 10 * harness.SLOW,
                     what="the node seeing the cancellation")
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_megabyte_text_is_refused_cleanly(gateway, key):
    text = "All work and no play makes a dull voice. " * (1024 * 1024 // 41 + 1)
    err = assert_error(speak(gateway, key, {"text": text}), 422, "VALIDATION_ERROR")
    assert [d["field"] for d in err["details"]] == ["text"]
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_speech_is_intelligible(gateway, start_node, key, tmp_path):
    """The WAV from /speak on the twenty Harvard sentences passes the shared
    word-error-rate check (pocketsphinx) with the engine's own gate, 0.27: the
    gateway's path (encoding, resampling to 16 kHz) costs no intelligibility."""
    ready_node(gateway, start_node)
    shared = os.environ.get("SCAISPEAK_SHARED", os.path.join(harness.REPO, "..", "shared"))
    lines = [l.strip() for l in open(os.path.join(shared, "eval", "sentences.txt")) if l.strip()]
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    for i, line in enumerate(lines, 1):
        resp = speak(gateway, key, {"text": line, "sample_rate": 16000})
        assert resp.status == 200, resp
        (wavs / f"{i:02d}.wav").write_bytes(resp.body)
    (tmp_path / "ref.txt").write_text("\n".join(lines) + "\n")
    out = subprocess.run(["bash", os.path.join(shared, "eval", "eval_wer.sh"), str(wavs),
                          str(tmp_path / "ref.txt")], capture_output=True, text=True, timeout=300)
    wer = float(out.stdout.strip().splitlines()[-1].split("=")[1])
    print(f"[measure] /speak WER on {len(lines)} sentences: {wer}")
    assert wer <= 0.27, out.stdout


def test_a_node_registered_under_a_dns_name_is_called(gateway, procs, key):
    """Operators may run nodes under DNS names: the gateway resolves the
    registered "localhost:<port>" on its loop (evdns) and calls it."""
    node = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key, env=ENGINE)
    node.env["SCAISPEAK_NODE_ADDRESS"] = f"localhost:{node.node_port}"
    node.start()
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW, what="node engine listed")
    assert gateway.node(node.node_id)["address"] == f"localhost:{node.node_port}"
    resp = speak(gateway, key, {"text": "The birch canoe slid on the smooth planks."})
    assert resp.status == 200, resp
    assert 1500 < resp.audio_ms() < 5000
