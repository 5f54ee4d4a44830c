"""WebSocket /v1/modules/scaispeak/stream/speak end to end (API.md §3): real
redis-server, gateway and node (real HTS engine); the client is Debian's
python3-websockets (asyncio API), which nobody here wrote. Audio is checked
for length and gaps; close codes are provoked one by one."""
import asyncio
import json
import os
import socket
import struct
import subprocess
import time

import pytest
import websockets

import harness
from harness import assert_ok
from test_speak import admin, key, key_for, tenant  # noqa: F401 (fixtures)

PATH = "/v1/modules/scaispeak/stream/speak"
POLICY = "/v1/modules/scaispeak/admin/policy"
CLI = os.path.join(harness.build_dir(), "bin", "scaispeak")
ENGINE = {"SCAISPEAK_VOICE_PATH": None}
PCM = {"codec": "pcm", "sample_rate": 24000}


def ready_node(gateway, start_node, env=None):
    node = start_node(env=dict(ENGINE, **(env or {})))
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW,
                     what="node engine listed")
    return node


def url(gw, query=""):
    return f"ws://127.0.0.1:{gw.http_port}{PATH}{query}"


class Session:
    """What one session received: JSON frames in order, audio frames, the
    close code and reason."""

    def __init__(self):
        self.frames = []      # ("json", obj) | ("audio", bytes), in order
        self.code = None
        self.reason = ""

    def json(self, type_=None):
        return [f for k, f in self.frames if k == "json" and (type_ is None or f["type"] == type_)]

    def audio(self):
        return [f for k, f in self.frames if k == "audio"]


async def _receive(ws, sess, until=None, timeout=60):
    try:
        while True:
            msg = await asyncio.wait_for(ws.recv(), timeout * harness.SLOW)
            if isinstance(msg, bytes):
                sess.frames.append(("audio", msg))
            else:
                obj = json.loads(msg)
                sess.frames.append(("json", obj))
                if until and obj["type"] == until:
                    return
    except websockets.ConnectionClosed as e:
        sess.code, sess.reason = e.rcvd.code if e.rcvd else 1006, e.rcvd.reason if e.rcvd else ""


def run_session(gw, messages, key=None, query="", headers=None, wait_ready=True, timeout=60):
    """Connects, sends `messages` (dicts or raw str/bytes), reads until the
    server closes; returns the Session."""
    async def go():
        sess = Session()
        h = dict(headers or {})
        if key:
            h["Authorization"] = f"Bearer {key}"
        async with websockets.connect(url(gw, query), extra_headers=h, max_size=None,
                                      close_timeout=5) as ws:
            for i, m in enumerate(messages):
                try:
                    await ws.send(m if isinstance(m, (str, bytes)) else json.dumps(m))
                except websockets.ConnectionClosed:
                    break  # closed already (e.g. 4401 right after the upgrade): read what came
                if i == 0 and wait_ready and isinstance(m, dict) and m.get("type") == "open":
                    await _receive(ws, sess, until="ready", timeout=timeout)
                    if sess.code is not None:
                        return sess
            await _receive(ws, sess, timeout=timeout)
        return sess
    return asyncio.run(go())


def pcm_ms(sess, rate=24000):
    return sum(len(a) for a in sess.audio()) / 2 / rate * 1000


# ------------------------------------------------------------ vocabulary

def test_pcm_session_with_alignment_and_stats(gateway, start_node, key):
    ready_node(gateway, start_node)
    sess = run_session(gateway, [
        {"type": "open", "output": PCM, "timestamps": True},
        {"type": "text", "delta": "Hello there. "},
        {"type": "text", "delta": "This is a streamed"},
        {"type": "text", "delta": " sentence"},
        {"type": "flush"},
        {"type": "close"},
    ], key=key)
    assert sess.code == 1000, (sess.code, sess.reason, sess.json())
    ready = sess.json("ready")[0]
    assert ready["output"] == {"codec": "pcm", "sample_rate": 24000, "channels": 1, "frame_ms": 20}
    assert ready["backend_used"] == "A" and ready["voice_id"] == "vc_platform_slt"
    assert ready["session_id"].startswith("wss_")
    frames = sess.audio()
    assert all(len(f) == 960 for f in frames[:-1]) and 0 < len(frames[-1]) <= 960
    align = sess.json("alignment")
    assert len(align) == 2
    words = [w["text"].lower() for a in align for w in a["words"]]
    assert "hello" in words and "streamed" in words
    starts = [w["start_ms"] for a in align for w in a["words"]]
    assert starts == sorted(starts)
    stats = sess.json("closed")[0]["stats"]
    assert stats["backend_used"] == "A"
    assert stats["chars"] == len("Hello there.") + len("This is a streamed sentence")
    assert abs(stats["audio_ms"] - pcm_ms(sess)) < 25
    assert 0 <= stats["first_audio_ms"] < 10000
    assert sess.frames[-1][1]["type"] == "closed"


def test_opus_by_default_decodes_with_libopus(gateway, start_node, key, tmp_path):
    """No output block: raw Opus, one packet per 20 ms binary frame at 48 kHz;
    libopus (tests/tools/opus_packets_decode) decodes every packet, and the
    audio is as long as the same text in PCM."""
    ready_node(gateway, start_node)
    text = [{"type": "text", "delta": "Hello there. This is a streamed sentence."}, {"type": "close"}]
    sess = run_session(gateway, [{"type": "open"}] + text, key=key)
    assert sess.code == 1000, (sess.code, sess.reason)
    assert sess.json("ready")[0]["output"] == {"codec": "opus", "sample_rate": 48000, "channels": 1,
                                               "frame_ms": 20}
    packets = sess.audio()
    assert packets and all(0 < len(p) < 1500 for p in packets)
    records = tmp_path / "packets.bin"
    records.write_bytes(b"".join(struct.pack("<H", len(p)) + p for p in packets))
    res = subprocess.run([os.path.join(harness.build_dir(), "tests", "opus_packets_decode"), str(records)],
                         capture_output=True, check=True)
    assert f"packets {len(packets)} samples {len(packets) * 960}" in res.stderr.decode()
    opus_ms = len(res.stdout) / 2 / 48000 * 1000
    stats = sess.json("closed")[0]["stats"]
    assert abs(opus_ms - stats["audio_ms"]) <= 20, (opus_ms, stats)
    pcm = run_session(gateway, [{"type": "open", "output": PCM}] + text, key=key)
    assert abs(opus_ms - pcm_ms(pcm)) <= 25, (opus_ms, pcm_ms(pcm))


def test_token_in_query_and_not_in_the_log(gateway, start_node, key):
    ready_node(gateway, start_node)
    sess = run_session(gateway, [{"type": "open", "output": PCM}, {"type": "text", "delta": "Hi."},
                                 {"type": "close"}], query=f"?token={key}")
    assert sess.code == 1000, (sess.code, sess.reason)
    assert key not in gateway.proc.log_text()


# ------------------------------------------------------------ close codes

def test_auth_failures_close_after_accept(gateway, redis, tenant):
    sess = run_session(gateway, [{"type": "open"}])
    assert sess.code == 4401 and sess.json("error")[0]["code"] == "AUTH_TOKEN_MISSING"
    sess = run_session(gateway, [{"type": "open"}], key="sgk_" + "x" * 40)
    assert sess.code == 4401
    viewer = key_for(redis, tenant, "tenant_viewer")
    sess = run_session(gateway, [{"type": "open"}], key=viewer)
    assert sess.code == 4403, (sess.code, sess.reason)


NO_CLOSE_FRAME = "no close frame from the client"


def test_the_close_handshake_ends_the_connection_and_a_silent_client_is_let_go(gateway, start_node, key):
    """After our close frame the client's answering close is read (even
    after a message we refused, or data still on its way), so the handshake
    ends the connection; a client that never answers is let go after the
    close wait, which the log says."""
    ready_node(gateway, start_node)
    for messages in ([{"type": "text", "delta": "hi"}], [b"\x00\x01"],
                     [{"type": "open", "output": PCM}, {"type": "close"}, {"type": "text", "delta": "late"}],
                     [{"type": "open", "output": PCM}, {"type": "text", "delta": "Hi."}, {"type": "close"}]):
        sess = run_session(gateway, messages, key=key)
        assert sess.code in (1000, 4400), (messages, sess.code, sess.reason)
    assert NO_CLOSE_FRAME not in gateway.proc.log_text()

    s = socket.create_connection(("127.0.0.1", gateway.http_port), timeout=10 * harness.SLOW)
    s.sendall((f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Authorization: Bearer {key}\r\n\r\n").encode())
    payload, mask = b'{"type":"text","delta":"hi"}', b"\x01\x02\x03\x04"
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    got = b""
    while True:  # the 101, the error message, our close frame; then nothing from us until EOF
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    assert got.startswith(b"HTTP/1.1 101") and b"\x88" in got, got[:200]
    harness.wait_for(lambda: NO_CLOSE_FRAME in gateway.proc.log_text(), 5 * harness.SLOW,
                     what="the close wait's log line")


def test_bad_handshake_is_a_json_400(gateway):
    r = gateway.http.get(PATH)
    assert r.status == 400 and r.json()["error"]["code"] == "MALFORMED_REQUEST"
    r = gateway.http.request("GET", PATH, headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                   "Sec-WebSocket-Version": "8",
                                                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert r.status == 400 and "Version" in r.json()["error"]["message"]


MALFORMED, INVALID = "MALFORMED_REQUEST", "VALIDATION_ERROR"


# API.md §1's split: a message that is not JSON, not an object with a known
# type, or out of place is MALFORMED_REQUEST; a well-formed message with a
# wrong field (type, range, enum, unknown field) is VALIDATION_ERROR with
# details [{field, message}] naming the field (None: no details expected).
@pytest.mark.parametrize("name,messages,needle,code,field", [
    ("text-first", [{"type": "text", "delta": "hi"}], "first message must be open", MALFORMED, None),
    ("bad-json", ["{not json"], "malformed JSON", MALFORMED, None),
    ("not-an-object", ["[1, 2]"], "string type", MALFORMED, None),
    ("no-type", [{"delta": "x"}], "string type", MALFORMED, None),
    ("unknown-type", [{"type": "dance"}], "unknown message type", MALFORMED, None),
    ("binary", [b"\x00\x01"], "binary", MALFORMED, None),
    ("bad-open", [{"type": "open", "speed": 9}], "speed", INVALID, "speed"),
    ("unknown-field", [{"type": "open", "sampel_rate": 1}], "no field", INVALID, "sampel_rate"),
    # long field names of two-byte characters, at both parities: the close
    # reason (at most 123 bytes) must be cut between characters, or the
    # client fails the connection on invalid UTF-8 (RFC 6455 7.1.6)
    ("unknown-field-utf8-even", [{"type": "open", "\u00e9" * 100: 1}], "no field", INVALID, None),
    ("unknown-field-utf8-odd", [{"type": "open", "a" + "\u00e9" * 100: 1}], "no field", INVALID, None),
    ("bad-codec", [{"type": "open", "output": {"codec": "mp3"}}], "codec", INVALID, "output.codec"),
    ("bad-rate", [{"type": "open", "output": {"codec": "pcm", "sample_rate": 12345}}], "sample_rate", INVALID,
     "output.sample_rate"),
    ("second-open", [{"type": "open", "output": PCM}, {"type": "open"}], "already", MALFORMED, None),
    ("text-after-close", [{"type": "open", "output": PCM},
                          {"type": "text", "delta": "A sentence long enough to be still speaking."},
                          {"type": "close"}, {"type": "text", "delta": "late"}], "after close", MALFORMED, None),
    ("delta-not-string", [{"type": "open", "output": PCM}, {"type": "text", "delta": 3}], "delta", INVALID,
     "delta"),
])
def test_protocol_errors_close_4400(gateway, start_node, key, name, messages, needle, code, field):
    if name in ("second-open", "text-after-close", "delta-not-string"):
        ready_node(gateway, start_node)
    sess = run_session(gateway, messages, key=key)
    assert sess.code == 4400, (name, sess.code, sess.reason)
    assert needle in sess.reason or any(needle in e["message"] for e in sess.json("error")), (name, sess.reason)
    if name != "binary":  # wslay's own refusal: a close frame, no error frame
        err = sess.json("error")[-1]
        assert err["code"] == code, (name, err)
        if code == INVALID:
            assert len(err["details"]) == 1 and err["details"][0]["message"] == err["message"], (name, err)
        if field:
            assert err["details"][0]["field"] == field, (name, err)
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_oversized_and_fragmented_messages(gateway, start_node, key):
    ready_node(gateway, start_node)
    big = json.dumps({"type": "text", "delta": "a" * (10 * 1024 * 1024)})
    sess = run_session(gateway, [{"type": "open", "output": PCM}, big], key=key)
    assert sess.code == 4400 and "larger than" in sess.reason, (sess.code, sess.reason)

    async def fragmented():
        sess = Session()
        async with websockets.connect(url(gateway), extra_headers={"Authorization": f"Bearer {key}"},
                                      max_size=None) as ws:
            await ws.send(json.dumps({"type": "open", "output": PCM}))
            await _receive(ws, sess, until="ready")
            msg = json.dumps({"type": "text", "delta": "Fragments are whole again."})
            await ws.send(iter([msg[:10], msg[10:20], msg[20:]]))  # one message, three frames
            await ws.send(json.dumps({"type": "close"}))
            await _receive(ws, sess)
        return sess
    sess = asyncio.run(fragmented())
    assert sess.code == 1000 and sess.json("closed")[0]["stats"]["chars"] == len("Fragments are whole again.")
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_voice_not_found_and_not_ready(gateway, start_node, key, redis):
    ready_node(gateway, start_node)
    sess = run_session(gateway, [{"type": "open", "voice_id": "vc_nope", "output": PCM}], key=key)
    assert sess.code == 4404, (sess.code, sess.reason)
    # a language the voice does not speak: refused like any bad open field
    # (4400 VALIDATION_ERROR with details), naming its languages
    sess = run_session(gateway, [{"type": "open", "language_hint": "fr", "output": PCM}], key=key)
    assert sess.code == 4400 and '["en"]' in sess.reason, (sess.code, sess.reason)
    err = sess.json("error")[0]
    assert err["code"] == "VALIDATION_ERROR" and err["details"][0]["field"] == "language_hint", err
    record = json.loads(_redis_get(redis, "ss:voice:vc_platform_slt"))
    record.update({"voice_id": "vc_pending_one", "embedding_status": "processing"})
    _redis_set(redis, "ss:voice:vc_pending_one", json.dumps(record))
    sess = run_session(gateway, [{"type": "open", "voice_id": "vc_pending_one", "output": PCM}], key=key)
    assert sess.code == 4409, (sess.code, sess.reason)


def _redis_get(redis, key):
    out = subprocess.run(["redis-cli", "-p", str(redis.port), "GET", key], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out, key
    return out


def _redis_set(redis, key, value):
    subprocess.run(["redis-cli", "-p", str(redis.port), "SET", key, value], capture_output=True, check=True)


def test_backend_unavailable_is_4502_right_after_open(gateway, key):
    # no node at all: the plan is empty
    sess = run_session(gateway, [{"type": "open", "output": PCM}], key=key)
    assert sess.code == 4502, (sess.code, sess.reason)
    assert not sess.audio() and not sess.json("ready")
    assert sess.json("error")[0]["code"] == "SCAISPEAK_BACKEND_UNAVAILABLE"


def test_relay_only_policy_is_4502_with_a_clear_reason(gateway, start_node, key):
    ready_node(gateway, start_node)
    r = gateway.http.request("PUT", POLICY, json_body={"allowed_backends": ["B"], "default_backend": "B"},
                             headers={"Authorization": f"Bearer {key}"})
    assert r.status == 200, r
    sess = run_session(gateway, [{"type": "open", "output": PCM}], key=key)
    assert sess.code == 4502 and "backend A only" in sess.json("error")[0]["message"]


def test_idle_timeout_4408(procs, redis, tenant):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_WS_IDLE_TIMEOUT_S": 1}).start()
    k = key_for(redis, tenant)
    t0 = time.monotonic()
    sess = run_session(gw, [], key=k)
    assert sess.code == 4408 and time.monotonic() - t0 < 5 * harness.SLOW


def test_idle_timeout_4408_after_ready(procs, redis, tenant, start_node):
    """The audit's case: `open`, `ready`, then silence (no client pings
    either) closes 4408 after ws_idle_timeout_s with an error frame and a
    reason. A sentence that takes longer than the timeout to play is not
    idle: all of it arrives first, then the session idles out."""
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_WS_IDLE_TIMEOUT_S": 2}).start()
    ready_node(gw, start_node)
    k = key_for(redis, tenant)

    async def go(messages):
        sess = Session()
        async with websockets.connect(url(gw), extra_headers={"Authorization": f"Bearer {k}"}, max_size=None,
                                      ping_interval=None, close_timeout=5) as ws:
            await ws.send(json.dumps({"type": "open", "output": PCM}))
            await _receive(ws, sess, until="ready")
            t_ready = time.monotonic()
            for m in messages:
                await ws.send(json.dumps(m))
            await _receive(ws, sess, timeout=30)
        return sess, time.monotonic() - t_ready

    sess, took = asyncio.run(go([]))
    assert sess.code == 4408, (sess.code, sess.reason, sess.json())
    assert "no message for 2 s" in sess.reason, sess.reason
    assert sess.json("error")[0]["code"] == "IDLE_TIMEOUT"
    assert 1.5 < took < 5 * harness.SLOW, took
    # about 4 s of speech, sent at real time: longer than the timeout, not idle
    sess, took = asyncio.run(go([{"type": "text", "delta": LONG.split(". ")[1] + ". "}, {"type": "flush"}]))
    assert sess.code == 4408, (sess.code, sess.reason)
    played = pcm_ms(sess)
    assert played > 2500, played
    assert took * 1000 > played, (took, played)


def test_sessions_per_key_4429(procs, redis, tenant):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_WS_SESSIONS_PER_KEY": 2}).start()
    k = key_for(redis, tenant)

    async def go():
        opened = [await websockets.connect(url(gw), extra_headers={"Authorization": f"Bearer {k}"})
                  for _ in range(2)]
        await asyncio.sleep(0.3)
        sess = Session()
        async with websockets.connect(url(gw), extra_headers={"Authorization": f"Bearer {k}"}) as ws:
            await _receive(ws, sess)
        for ws in opened:
            await ws.close()
        return sess
    sess = asyncio.run(go())
    assert sess.code == 4429 and "sessions" in sess.reason, (sess.code, sess.reason)


def test_rate_limit_counts_each_open_4429(gateway, start_node, key):
    ready_node(gateway, start_node)
    r = gateway.http.request("PUT", POLICY, json_body={"rate_limits": {"per_key": 2, "per_user": 100,
                                                                         "per_tenant": 100}},
                             headers={"Authorization": f"Bearer {key}"})
    assert r.status == 200, r
    codes = [run_session(gateway, [{"type": "open", "output": PCM}, {"type": "close"}], key=key).code
             for _ in range(3)]
    assert 4429 in codes, codes


# ------------------------------------------------------------ interrupt, gapless

LONG = ("The quick brown fox jumps over the lazy dog near the quiet river bank. "
        "Meanwhile a gentle breeze moves slowly through the tall green grass of the valley. "
        "Nobody in the small village had ever seen such a calm and pleasant afternoon before. ")


def test_interrupt_stops_audio_and_cancels_the_node_call(gateway, start_node, key):
    node = ready_node(gateway, start_node)

    async def go():
        sess = Session()
        async with websockets.connect(url(gateway), extra_headers={"Authorization": f"Bearer {key}"},
                                      max_size=None) as ws:
            await ws.send(json.dumps({"type": "open", "output": PCM}))
            await _receive(ws, sess, until="ready")
            await ws.send(json.dumps({"type": "text", "delta": LONG * 4}))
            while sum(len(f) for f in sess.audio()) < 24000:  # half a second in: mid-sentence
                msg = await asyncio.wait_for(ws.recv(), 30 * harness.SLOW)
                sess.frames.append(("audio", msg) if isinstance(msg, bytes) else ("json", json.loads(msg)))
            await ws.send(json.dumps({"type": "interrupt"}))
            t0 = time.monotonic()
            marker = len(sess.frames)
            await _receive(ws, sess, until="interrupted")
            took = time.monotonic() - t0
            late = sum(len(f) for k, f in sess.frames[marker:] if k == "audio") / 2 / 24000 * 1000
            await ws.send(json.dumps({"type": "close"}))
            after = len(sess.frames)
            await _receive(ws, sess)
            return sess, late, took, sess.frames[after:]
    sess, late_ms, took, tail = asyncio.run(go())
    assert sess.code == 1000, (sess.code, sess.reason)
    # Audio is paced at real time, ws_audio_lead_ms (60) ahead: what still
    # arrives after the interrupt is what was already sent, under 100 ms.
    print(f"interrupted after {took * 1000:.1f} ms; audio after the interrupt: {late_ms:.0f} ms")
    assert took < 0.1 * harness.SLOW, took
    assert late_ms <= 100, late_ms
    assert [f["type"] for k, f in tail if k == "json"] == ["closed"]
    assert not [f for k, f in tail if k == "audio"]
    # The node calls of the interrupted text end (cancelled, or already done
    # and their queued audio dropped) and no later sentence is synthesised.
    harness.wait_for(lambda: gateway.node(node.node_id)["capacity"]["in_flight"] == 0, 10 * harness.SLOW,
                     what="the node's in-flight count back to 0")
    started = node.proc.log_text().count("Synthesize: engine")
    time.sleep(1.0)
    assert node.proc.log_text().count("Synthesize: engine") == started
    assert started < 12, started  # 12 sentences were sent; most were never synthesised


def test_stats_audio_ms_counts_only_the_audio_sent(gateway, start_node, key):
    """The audit's case: two long sentences, interrupt 0.6 s in, "After.",
    close. audio_ms is what the client received (the interrupted rest is
    not counted); audio_synthesized_ms is what the node made, more."""
    ready_node(gateway, start_node)

    async def go():
        sess = Session()
        async with websockets.connect(url(gateway), extra_headers={"Authorization": f"Bearer {key}"},
                                      max_size=None) as ws:
            await ws.send(json.dumps({"type": "open", "output": PCM}))
            await _receive(ws, sess, until="ready")
            await ws.send(json.dumps({"type": "text", "delta": LONG.split(". ")[0] + ". " + LONG.split(". ")[1] +
                                      ". "}))
            await asyncio.sleep(0.6)
            await ws.send(json.dumps({"type": "interrupt"}))
            await _receive(ws, sess, until="interrupted")
            await ws.send(json.dumps({"type": "text", "delta": "After."}))
            await ws.send(json.dumps({"type": "close"}))
            await _receive(ws, sess)
        return sess
    sess = asyncio.run(go())
    assert sess.code == 1000, (sess.code, sess.reason)
    stats = sess.json("closed")[0]["stats"]
    received = pcm_ms(sess)
    print(f"received {received:.0f} ms; stats {stats}")
    assert abs(stats["audio_ms"] - received) < 25, (stats, received)
    assert received < 3000, received  # 0.6 s of the first sentence plus "After."
    assert stats["audio_synthesized_ms"] > stats["audio_ms"] + 1000, stats


def longest_gap_ms(pcm, rate=24000, threshold=300):
    """The longest run of near-silence (|x| < threshold) inside the audio
    (leading and trailing silence excluded), in ms."""
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm[:len(pcm) // 2 * 2])
    loud = [i for i, v in enumerate(samples) if abs(v) >= threshold]
    best = run = 0
    prev = loud[0]
    for i in loud[1:]:
        run = i - prev
        best = max(best, run)
        prev = i
    return best * 1000 / rate


def test_word_by_word_text_plays_gapless(gateway, start_node, key):
    ready_node(gateway, start_node)
    text = LONG.strip()
    words = text.split(" ")
    msgs = [{"type": "open", "output": PCM}]
    msgs += [{"type": "text", "delta": w + " "} for w in words]
    msgs += [{"type": "close"}]
    sess = run_session(gateway, msgs, key=key)
    assert sess.code == 1000, (sess.code, sess.reason)
    ws_pcm = b"".join(sess.audio())
    r = gateway.http.request("POST", "/v1/modules/scaispeak/speak",
                             json_body={"text": text, "response_format": "pcm", "sample_rate": 24000},
                             headers={"Authorization": f"Bearer {key}"})
    assert r.status == 200
    ws_gap, http_gap = longest_gap_ms(ws_pcm), longest_gap_ms(r.body)
    print(f"longest gap: websocket {ws_gap:.0f} ms, one /speak call {http_gap:.0f} ms")
    assert ws_gap <= http_gap + 30, (ws_gap, http_gap)


def test_slow_reader_holds_bounded_memory(gateway, start_node, key):
    """A client that stops reading while ~48 s of speech is asked for: the
    session queues at most stream_buffer_bytes (256 KiB, ~2.7 s of 48 kHz
    PCM) and pauses its node calls, so after 3 s only the first sentences were
    synthesised (unpaused, the node makes all twelve in about 2 s): that is
    the bound. RSS is a sanity check on top: besides the queue, gRPC's
    receive window (grown by its bandwidth probe on loopback) holds a few MB
    of the paused call; the whole speech would be 4.6 MB of PCM plus its
    encoding batches."""
    node = ready_node(gateway, start_node)
    warm = run_session(gateway, [{"type": "open", "output": {"codec": "pcm", "sample_rate": 48000}},
                                 {"type": "text", "delta": "Warm up."}, {"type": "close"}], key=key)
    assert warm.code == 1000  # first-use allocations (audio threads' arenas, resampler) before measuring
    done_before = node.proc.log_text().count("Synthesize done")

    def rss_kb():
        with open(f"/proc/{gateway.proc.pid}/status") as f:
            return int(next(ln for ln in f if ln.startswith("VmRSS:")).split()[1])

    async def go():
        async with websockets.connect(url(gateway), extra_headers={"Authorization": f"Bearer {key}"},
                                      max_size=None, max_queue=1, read_limit=4096) as ws:
            await ws.send(json.dumps({"type": "open", "output": {"codec": "pcm", "sample_rate": 48000}}))
            sess = Session()
            await _receive(ws, sess, until="ready")
            before = rss_kb()
            await ws.send(json.dumps({"type": "text", "delta": LONG * 4}))
            peak = before
            for _ in range(30):  # 3 s without reading
                await asyncio.sleep(0.1)
                peak = max(peak, rss_kb())
            done = node.proc.log_text().count("Synthesize done") - done_before
            await ws.send(json.dumps({"type": "interrupt"}))
            await ws.send(json.dumps({"type": "close"}))
            await _receive(ws, sess)
            return sess, before, peak, done
    sess, before, peak, done = asyncio.run(go())
    assert sess.code == 1000, (sess.code, sess.reason)
    assert done <= 4, done
    if not harness.SAN:  # ASan's quarantine keeps freed memory: RSS follows allocations there
        assert peak - before < 8 * 1024, (before, peak)
