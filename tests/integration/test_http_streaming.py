"""/speak streams its answer as it is made (issue 12): real redis-server, node
and gateway; curl measures when the first byte arrives; sox, mpg123, flac
and opusdec decode what was streamed; http.client sees a cut stream."""
import base64
import http.client
import json
import os
import socket
import subprocess
import time

import pytest

import harness
from test_speak import SPEAK, key, ready_node, speak, soxi, tenant  # noqa: F401 (fixtures)

PARAGRAPH = " ".join([
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It is easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
])
RATES = [8000, 16000, 22050, 24000, 32000, 44100, 48000]
OPUS_RATES = [8000, 12000, 16000, 24000, 48000]


def decoded_ms(path, fmt, rate, tmp_path):
    """Duration of what a decoder nobody here wrote makes of the file."""
    if fmt == "pcm":
        return os.path.getsize(path) / 2 / rate * 1000
    out = tmp_path / f"dec-{fmt}-{rate}.wav"
    if fmt == "opus":
        subprocess.run(["opusdec", "--quiet", "--rate", "48000", str(path), str(out)], check=True,
                       capture_output=True)
    elif fmt == "mp3":
        subprocess.run(["mpg123", "-q", "-w", str(out), str(path)], check=True, capture_output=True)
    elif fmt == "flac":
        subprocess.run(["flac", "-s", "-d", "-f", "-o", str(out), str(path)], check=True,
                       capture_output=True)
    else:  # wav: sox reads it whole (a streamed header may say "unknown length")
        subprocess.run(["sox", "-V1", str(path), "-t", "wav", str(out)], check=True, capture_output=True)
    return float(soxi(str(out), "-D")) * 1000


def tolerance_ms(fmt, rate):
    """mp3 streamed without a LAME tag: decoders keep the encoder's delay and
    padding (docs/AUDIO.md: up to +71 ms at 48 kHz, +282 ms at 8 kHz); four
    frames cover it. The other formats are exact (resampler edges aside)."""
    if fmt != "mp3":
        return 60
    frame = 1152 if rate >= 32000 else 576
    return 60 + 4 * frame / rate * 1000


def curl_speak(gateway, key, body, out_path):
    """(time to the first byte, total time, HTTP status) of a streamed answer."""
    res = subprocess.run(
        ["curl", "-sS", "-o", str(out_path), "-w", "%{time_starttransfer} %{time_total} %{http_code}",
         "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
         "--data-binary", json.dumps(body), f"http://127.0.0.1:{gateway.http_port}{SPEAK}"],
        capture_output=True, text=True, timeout=120 * harness.SLOW)
    assert res.returncode == 0, res.stderr
    first, total, code = res.stdout.split()
    return float(first), float(total), int(code)


@pytest.mark.parametrize("fmt", ["wav", "pcm", "opus", "mp3", "flac"])
def test_paragraph_first_byte_before_a_quarter_of_the_time(gateway, start_node, key, tmp_path, fmt):
    """Twenty sentences: the first audio byte comes before 25 % of the answer's
    time, and the streamed bytes decode to the length of the buffered answer
    (the JSON form, encoded whole)."""
    ready_node(gateway, start_node)
    rate = 48000 if fmt == "opus" else 24000
    body = {"text": PARAGRAPH, "response_format": fmt, "sample_rate": rate}
    out = tmp_path / f"stream.{fmt}"
    # The engine renders the paragraph in ~0.2 s, so a stall of a few tens
    # of milliseconds on this shared machine (a preempted process) can push
    # one first byte past a quarter. Load only ever delays the first byte, and
    # a buffering gateway's first byte equals its total on every try: the
    # best of three tries is the gateway's own behaviour.
    tries = []
    for _ in range(3):
        first, total, code = curl_speak(gateway, key, body, out)
        assert code == 200, out.read_bytes()[:300]
        tries.append((first, total))
        if first < 0.25 * total:
            break
    assert any(f < 0.25 * t for f, t in tries), tries
    whole = speak(gateway, key, body, headers={"Accept": "application/json"})
    assert whole.status == 200, whole
    data = whole.json()["data"]
    ref = tmp_path / f"whole.{fmt}"
    ref.write_bytes(base64.b64decode(data["audio_base64"]))
    streamed_ms = decoded_ms(out, fmt, rate, tmp_path)
    whole_ms = decoded_ms(ref, fmt, rate, tmp_path)
    assert abs(streamed_ms - whole_ms) <= tolerance_ms(fmt, rate), (fmt, streamed_ms, whole_ms)
    assert abs(streamed_ms - data["duration_ms"]) <= tolerance_ms(fmt, rate), (fmt, streamed_ms,
                                                                              data["duration_ms"])


FORMAT_RATES = [(f, r) for f in ("wav", "mp3", "flac", "pcm") for r in RATES] + \
    [("opus", r) for r in OPUS_RATES] + [("opus", None)]


@pytest.mark.parametrize("fmt,rate", FORMAT_RATES)
def test_every_format_and_rate_streams(gateway, start_node, key, tmp_path, fmt, rate):
    ready_node(gateway, start_node)
    body = {"text": "Glue the sheet to the dark blue background.", "response_format": fmt}
    if rate:
        body["sample_rate"] = rate
    resp = speak(gateway, key, body)
    assert resp.status == 200, resp
    assert resp.header("Transfer-Encoding") == "chunked"
    out_rate = int(resp.header("X-Scaispeak-Sample-Rate"))
    assert out_rate == (rate or 48000)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(resp.body)
    dur = decoded_ms(path, fmt, out_rate, tmp_path)
    assert abs(dur - resp.audio_ms()) <= 20 + tolerance_ms(fmt, out_rate), (fmt, rate, dur, resp.audio_ms())


def test_an_http10_client_gets_the_whole_body_and_no_trailer_announced(gateway, start_node, key, tmp_path):
    """curl --http1.0: no chunks, so no trailer can come and none is
    announced; the body runs to the connection's close and decodes."""
    ready_node(gateway, start_node)
    out, head = tmp_path / "h10.wav", tmp_path / "h10.head"
    subprocess.run(["curl", "-s", "--http1.0", "-o", str(out), "-D", str(head), "-H", f"Authorization: Bearer {key}",
                    "-d", json.dumps({"text": "The birch canoe slid on the smooth planks."}),
                    f"http://127.0.0.1:{gateway.http_port}{SPEAK}"], check=True, timeout=60)
    lines = head.read_text().lower().splitlines()
    assert lines[0].startswith("http/1.0 200"), lines
    assert not any(h.startswith(("trailer:", "transfer-encoding:")) for h in lines), lines
    ref = speak(gateway, key, {"text": "The birch canoe slid on the smooth planks."})
    assert ref.status == 200 and out.read_bytes() == ref.body, (out.stat().st_size, len(ref.body))


def test_node_dying_mid_stream_cuts_the_answer(gateway, start_node, key):
    """After the first byte a failed node cannot be replaced (the client has
    speech already): the chunked body ends without its last chunk, which
    every HTTP client reports, and the gateway logs why with the request id."""
    node = ready_node(gateway, start_node)
    text = " ".join([PARAGRAPH] * 6)  # 4 841 characters: synchronous only over the tenant's threshold
    policy = gateway.http.request("PUT", "/v1/modules/scaispeak/admin/policy",
                                  json_body={"async_threshold_chars": 10000},
                                  headers={"Authorization": f"Bearer {key}"})
    assert policy.status == 200, policy
    conn = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=30 * harness.SLOW)
    conn.request("POST", SPEAK, body=json.dumps({"text": text, "response_format": "pcm"}),
                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                          "X-Request-Id": "req_cutstreamtest0000001"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert len(resp.read(4096)) == 4096
    node.proc.kill9()
    with pytest.raises(http.client.IncompleteRead):
        while resp.read(65536):
            pass
    conn.close()
    harness.wait_for(lambda: "streamed answer cut" in gateway.proc.log_text(), 5 * harness.SLOW,
                     what="the cut logged")
    line = [ln for ln in gateway.proc.log_text().splitlines() if "streamed answer cut" in ln][0]
    assert "req_cutstreamtest0000001" in line
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise AssertionError("no VmRSS")


def test_slow_reader_does_not_grow_gateway_memory(procs, redis, key):
    """A client that stops reading: the gateway holds about stream_buffer_bytes
    (256 KiB) and pauses the node call instead of buffering the answer (a
    ~11 MB WAV here; the kernel's socket buffers take a few MB of it, the rest
    waits in the node); once the client reads again the whole answer arrives.
    The idle timeout is raised: 3 s without reading would pass the harness's 2 s."""
    gateway = harness.Gateway(procs, redis.port, env={"SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 30}).start()
    node = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                        env={"SCAISPEAK_VOICE_PATH": None}).start()
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW, what="engine listed")
    assert speak(gateway, key, {"text": "Warm up."}).status == 200  # threads, arenas, channel
    text = " ".join([PARAGRAPH] * 3)
    body = json.dumps({"text": text, "response_format": "wav"}).encode()
    s = socket.create_connection(("127.0.0.1", gateway.http_port))
    before = rss_kb(gateway.proc.pid)
    s.sendall(b"POST " + SPEAK.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    s.settimeout(30 * harness.SLOW)
    got = s.recv(1024)
    assert got.startswith(b"HTTP/1.1 200")
    peak = before
    for _ in range(30):  # 3 s without reading: the node would have finished by now
        time.sleep(0.1)
        peak = max(peak, rss_kb(gateway.proc.pid))
    if not harness.SAN:  # ASan's quarantine keeps freed memory: RSS follows allocations there
        assert peak - before < 6 * 1024, (before, peak)
    total, tail = len(got), got[-128:]
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        total += len(chunk)
        tail = (tail + chunk)[-128:]
        if tail.endswith(b"\r\n\r\n") and b"\r\n0\r\nX-Scaispeak-Audio-Ms" in tail:
            break  # the last chunk and its trailer
    s.close()
    assert total > 8 * 1024 * 1024, total  # the whole WAV came once the client read again
