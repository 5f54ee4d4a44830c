"""Streaming cost and latency of the gateway (issue 12), on this machine.

Starts redis-server, one gateway and one node (real engine, CPU kernels)
with the integration harness, then measures, for one short sentence:
  * time to the first audio byte through HTTP (request sent -> first body
    byte), median and p99 of BENCH_N (default 100), against the engine's own
    first-chunk time (the node's "first chunk N ms" log line): the
    difference is what the gateway adds;
  * CPU per request of the gateway and of the node (all threads, from
    /proc/<pid>/task/*/schedstat, nanoseconds), per output format, and the
    gateway's CPU per second of audio streamed; for the first format (wav
    at the node's rate) also per gateway thread (by name), with its
    voluntary context switches per request (each one a sleep and a wake-up,
    the gateway's main cost on a VM);
  * the gateway's peak RSS (VmHWM) before and after one long answer
    (BENCH_LONG_S seconds of audio, default 300);
  * WebSocket /stream/speak: time from a sentence's text to its first audio
    frame (median, p99 of BENCH_N); gateway RSS per idle session (BENCH_IDLE
    sessions, default 1000) and per active one; BENCH_ACTIVE (default 32)
    sessions speaking at once, each checked for staying ahead of real time
    (the audio received minus the time since its first frame never below
    -100 ms, i.e. no audible underrun beyond the send-ahead).
Prints one line per figure. Speed is never asserted: this is a benchmark."""
import asyncio
import glob
import http.client
import resource
import json
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402

SPEAK = "/v1/modules/scaispeak/speak"
SENTENCE = "The birch canoe slid on the smooth planks."
N = int(os.environ.get("BENCH_N", "100"))
IDLE = int(os.environ.get("BENCH_IDLE", "1000"))
ACTIVE = int(os.environ.get("BENCH_ACTIVE", "32"))
WS_PATH = "/v1/modules/scaispeak/stream/speak"
OPENAI_SPEECH = "/v1/audio/speech"
PARAGRAPH = ("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
             "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
             "Rice is often served in round bowls.")
LONG_S = int(os.environ.get("BENCH_LONG_S", "300"))


def cpu_ns(pid):
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except OSError:
            pass  # a thread that just ended
    return total


def thread_cpu(pid):
    """{thread name: [CPU ns, voluntary context switches]}, threads of one name summed."""
    out = {}
    for d in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(d + "/comm") as f:
                name = f.read().strip()
            with open(d + "/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(d + "/status") as f:
                vcs = next((int(ln.split()[1]) for ln in f if ln.startswith("voluntary_ctxt_switches")), 0)
        except OSError:
            continue  # a thread that just ended
        acc = out.setdefault(name, [0, 0])
        acc[0] += ns
        acc[1] += vcs
    return out


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith(field + ":"):
                return int(ln.split()[1])
    return 0


def speak(port, key, body, first_byte=False, path=SPEAK):
    """(seconds to the first body byte or None, body length, audio ms)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.response_class = harness._TrailerResponse
    t0 = time.perf_counter()
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    r = conn.getresponse()
    first = r.read(1)
    t_first = time.perf_counter() - t0
    n = len(first) + len(r.read())
    assert r.status == 200, (r.status, first)
    ms = int((getattr(r, "trailers", {}) or {}).get("x-scaispeak-audio-ms", "0"))
    conn.close()
    return (t_first if first_byte else None), n, ms


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def ws_first_audio(port, key, n):
    import websockets
    out = []
    for _ in range(n):
        async with websockets.connect(f"ws://127.0.0.1:{port}{WS_PATH}",
                                      extra_headers={"Authorization": f"Bearer {key}"}) as ws:
            await ws.send(json.dumps({"type": "open", "output": {"codec": "pcm", "sample_rate": 24000}}))
            while json.loads(await ws.recv())["type"] != "ready":
                pass
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "text", "delta": SENTENCE + " "}))
            while not isinstance(await ws.recv(), bytes):
                pass
            out.append(time.perf_counter() - t0)
            await ws.send(json.dumps({"type": "interrupt"}))
    return out


async def ws_idle(port, key, n, gpid):
    import websockets
    before = status_kb(gpid, "VmRSS")
    conns = []
    for _ in range(n):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}{WS_PATH}",
                                      extra_headers={"Authorization": f"Bearer {key}"})
        await ws.send(json.dumps({"type": "open"}))
        conns.append(ws)
    for ws in conns:
        while json.loads(await ws.recv())["type"] != "ready":
            pass
    await asyncio.sleep(1.0)
    after = status_kb(gpid, "VmRSS")
    for ws in conns:
        await ws.close()
    return before, after


async def ws_active(port, key, n, gpid):
    """n sessions streaming PARAGRAPH word by word at once; per session the
    worst (audio received - time since its first frame), and RSS."""
    import websockets

    async def one(i):
        async with websockets.connect(f"ws://127.0.0.1:{port}{WS_PATH}", max_size=None,
                                      extra_headers={"Authorization": f"Bearer {key}"}) as ws:
            await ws.send(json.dumps({"type": "open"}))
            while json.loads(await ws.recv())["type"] != "ready":
                pass
            for w in PARAGRAPH.split(" "):
                await ws.send(json.dumps({"type": "text", "delta": w + " "}))
            await ws.send(json.dumps({"type": "close"}))
            first, got_ms, worst = None, 0.0, 1e9
            while True:
                m = await ws.recv()
                now = time.perf_counter()
                if isinstance(m, bytes):
                    if first is None:
                        first = now
                    worst = min(worst, got_ms - (now - first) * 1000)
                    got_ms += 20  # one Opus packet
                elif json.loads(m)["type"] == "closed":
                    return worst, got_ms

    base = status_kb(gpid, "VmRSS")
    task = asyncio.gather(*(one(i) for i in range(n)))
    peak = base
    while not task.done():
        await asyncio.sleep(0.2)
        peak = max(peak, status_kb(gpid, "VmRSS"))
    return await task, base, peak


def start_stack(procs, gateway_env=None):
    """redis-server, a gateway (info logging plus gateway_env) and one node
    with the engine's own voice, the caller's rate limits lifted and
    /speak kept synchronous up to the policy's largest async_threshold_chars
    (the long answer below is ~4 200 characters, over the default 3 000,
    which would make it a job); returns (gateway, node, tenant admin key).
    Shared with stream_ab.py."""
    redis = harness.RedisServer(procs).start()
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_LOG_LEVEL": "info", **(gateway_env or {})}).start()
    node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key,
                        env={"SCAISPEAK_VOICE_PATH": None, "SCAISPEAK_QUEUE_DEPTH": 128}).start()
    gw.wait_node_status(node.node_id, "online", 10)
    harness.wait_for(lambda: gw.node(node.node_id)["engines"], 10, what="engine listed")
    key = harness.tenant_admin_key(redis.port)
    gw.http.request("PUT", "/v1/modules/scaispeak/admin/policy", headers={"Authorization": f"Bearer {key}"},
                    json_body={"rate_limits": {"per_key": 10 ** 6, "per_user": 10 ** 6, "per_tenant": 10 ** 6},
                               "async_threshold_chars": 100000})
    return gw, node, key


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1000 sessions: the children inherit it
    tmp = tempfile.mkdtemp(prefix="stream-bench-")
    procs = harness.ProcessSet(tmp)
    try:
        gw, node, key = start_stack(procs, {
            "SCAISPEAK_WS_SESSIONS_PER_KEY": IDLE + 100,
            "SCAISPEAK_HTTP_MAX_CONNECTIONS": IDLE + 500, "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 60})
        gpid, npid = gw.proc.pid, node.proc.pid
        for _ in range(5):  # warm-up (channels, scripts, voice cache)
            speak(gw.http_port, key, {"text": SENTENCE})

        # 1. first audio byte vs the engine's first chunk
        log_mark = len(node.proc.log_text())
        ttfb = [speak(gw.http_port, key, {"text": SENTENCE, "response_format": "pcm"}, True)[0]
                for _ in range(N)]
        chunks = [int(m) for m in re.findall(r"first chunk (\d+) ms", node.proc.log_text()[log_mark:])]
        print(f"first audio byte, HTTP pcm, 1 sentence, n={N}: median {statistics.median(ttfb) * 1000:.1f} ms"
              f"  p99 {pct(ttfb, 99) * 1000:.1f} ms")
        if chunks:
            print(f"engine first chunk (node log), n={len(chunks)}: median {statistics.median(chunks):.1f} ms"
                  f"  p99 {pct(chunks, 99):.1f} ms  -> gateway+transport adds "
                  f"{statistics.median(ttfb) * 1000 - statistics.median(chunks):.1f} ms (median)")

        # 2. CPU per request and per audio second, per format
        # (aac is the OpenAI alias' format, at its 24 kHz; /speak answers 422)
        runs = [(fmt, rate, SPEAK,
                 {"text": SENTENCE, "response_format": fmt, **({"sample_rate": rate} if rate else {})})
                for fmt, rate in [("wav", None), ("pcm", None), ("wav", 48000), ("opus", 48000), ("mp3", 48000),
                                  ("flac", 48000)]]
        runs.append(("aac", 24000, OPENAI_SPEECH,
                     {"model": "tts-1", "input": SENTENCE, "voice": "alloy", "response_format": "aac"}))
        for fmt, rate, path, body in runs:
            speak(gw.http_port, key, body, path=path)
            g0, n0, t0 = cpu_ns(gpid), cpu_ns(npid), thread_cpu(gpid)
            audio_ms = 0
            for _ in range(N):
                audio_ms += speak(gw.http_port, key, body, path=path)[2]
            g = (cpu_ns(gpid) - g0) / N / 1e6
            nd = (cpu_ns(npid) - n0) / N / 1e6
            t1 = thread_cpu(gpid)
            per_s = g / (audio_ms / N / 1000) if audio_ms else float("nan")
            via = " via /v1/audio/speech" if path == OPENAI_SPEECH else ""
            print(f"{fmt:5s} {rate or 'native':>6}{via}: gateway {g:.2f} ms CPU/request, node {nd:.2f} ms "
                  f"({100 * g / nd:.1f} % of the node's), gateway {per_s:.2f} ms CPU per audio second")
            if fmt == "wav" and not rate:
                per = {k: ((v[0] - t0.get(k, [0, 0])[0]) / N / 1e6, (v[1] - t0.get(k, [0, 0])[1]) / N)
                       for k, v in t1.items()}
                print("  per gateway thread (ms CPU / voluntary context switches per request): " +
                      ", ".join(f"{k} {c:.2f} / {w:.1f}" for k, (c, w) in
                                sorted(per.items(), key=lambda kv: -kv[1][0]) if c >= 0.01))

        # 3. peak RSS for one long answer (48 kHz wav: ~96 KB per audio second)
        hwm0, rss0 = status_kb(gpid, "VmHWM"), status_kb(gpid, "VmRSS")
        words = LONG_S * 2.6  # about 2.6 words per second of speech
        text = " ".join([SENTENCE] * int(words / 8))
        _, nbytes, ms = speak(gw.http_port, key, {"text": text, "sample_rate": 48000})
        print(f"long answer: {nbytes / 1e6:.1f} MB WAV ({ms / 1000:.0f} s of audio); gateway RSS "
              f"{rss0 / 1024:.1f} MB before, peak {status_kb(gpid, 'VmHWM') / 1024:.1f} MB "
              f"(peak before: {hwm0 / 1024:.1f} MB)")

        # 4. WebSocket
        log_mark = len(node.proc.log_text())
        ws_t = asyncio.run(ws_first_audio(gw.http_port, key, N))
        chunks = [int(m) for m in re.findall(r"first chunk (\d+) ms", node.proc.log_text()[log_mark:])]
        print(f"first audio frame, WebSocket pcm, 1 sentence, n={N}: median {statistics.median(ws_t) * 1000:.1f} ms"
              f"  p99 {pct(ws_t, 99) * 1000:.1f} ms (engine first chunk median "
              f"{statistics.median(chunks) if chunks else float('nan'):.1f} ms)")
        b, a = asyncio.run(ws_idle(gw.http_port, key, IDLE, gpid))
        print(f"{IDLE} idle WebSocket sessions: gateway RSS {b / 1024:.1f} -> {a / 1024:.1f} MB, "
              f"{(a - b) / IDLE:.1f} kB per session")
        results, base, peak = asyncio.run(ws_active(gw.http_port, key, ACTIVE, gpid))
        behind = [w for w, _ in results if w < -100]
        print(f"{ACTIVE} WebSocket sessions speaking at once ({results[0][1] / 1000:.1f} s of Opus each): "
              f"{ACTIVE - len(behind)} stayed ahead of real time, {len(behind)} fell behind "
              f"(worst {min(w for w, _ in results):.0f} ms); gateway RSS {base / 1024:.1f} -> peak "
              f"{peak / 1024:.1f} MB, {(peak - base) / ACTIVE:.1f} kB per active session")
    finally:
        problems = procs.close()
        for p in problems:
            print("process problem:", p)


if __name__ == "__main__":
    main()
