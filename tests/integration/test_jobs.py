"""Asynchronous jobs (API.md §2 Jobs) end to end: real redis-server, gateway,
node and scaispeak-worker processes. The audio is checked with sox."""
import json
import os
import re
import subprocess
import time

import pytest

import harness
from harness import assert_error, assert_ok

SPEAK = "/v1/modules/scaispeak/speak"
JOBS = "/v1/modules/scaispeak/speak/jobs"
POLICY = "/v1/modules/scaispeak/admin/policy"
ENGINE = {"SCAISPEAK_VOICE_PATH": None}  # the node's default voice: real engine
SENTENCES = [
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
]


def long_text(chars):
    out, i = [], 0
    while sum(len(s) + 1 for s in out) < chars:
        out.append(SENTENCES[i % len(SENTENCES)])
        i += 1
    return " ".join(out)


def admin(redis, *args):
    return harness.admin_cli(redis, *args)[0]


def new_key(redis, tenant=None, role="tenant_admin"):
    tenant = tenant or admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role)
    return tenant, admin(redis, "create-key", "--user", user)


def roomy_limits(gw, key, **policy):
    """Tests poll often: lift the tenant's rate limits (and set policy fields)."""
    body = {"rate_limits": {"per_key": 100000, "per_user": 100000, "per_tenant": 100000}}
    body.update(policy)
    assert_ok(gw.http.request("PUT", POLICY, json_body=body, headers={"Authorization": f"Bearer {key}"}))


def ready_node(gateway, start_node, **kw):
    node = start_node(env=dict(ENGINE, **kw.pop("env", {})), **kw)
    gateway.wait_node_status(node.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(node.node_id)["engines"], 5 * harness.SLOW, what="engine listed")
    return node


def worker(procs, redis, gateway, env=None, name="worker"):
    e = {"SCAISPEAK_JOB_HEARTBEAT_MS": 200}
    e.update(env or {})
    return harness.Worker(procs, redis.port, objects_dir=gateway.objects_dir, env=e, name=name).start()


def call(gw, key, method, path, body=None, headers=None):
    h = {"Authorization": f"Bearer {key}"}
    h.update(headers or {})
    return gw.http.request(method, path, json_body=body, headers=h)


def submit(gw, key, body):
    r = call(gw, key, "POST", SPEAK, body)
    data = assert_ok(r, 202)
    assert data["status"] == "queued" and data["job_id"].startswith("job_")
    assert data["poll"] == f"{JOBS}/{data['job_id']}"
    assert r.header("Location") == data["poll"]
    return data["job_id"]


def job(gw, key, job_id):
    return assert_ok(call(gw, key, "GET", f"{JOBS}/{job_id}"))


def wait_job(gw, key, job_id, statuses=("completed", "failed", "cancelled"), timeout=60):
    return harness.wait_for(lambda: (lambda j: j if j["status"] in statuses else None)(job(gw, key, job_id)),
                            timeout * harness.SLOW, interval=0.05, what=f"job {job_id} in {statuses}")


def test_long_text_becomes_a_job_with_progress_and_ranged_audio(procs, redis, gateway, start_node, tmp_path):
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    text = long_text(6000)
    job_id = submit(gateway, key, {"text": text})        # over the 3000-character default threshold
    first = job(gateway, key, job_id)
    assert first["status"] == "queued" and first["progress"] == 0
    assert first["characters"] == len(text)
    worker(procs, redis, gateway)
    seen = []
    deadline = time.monotonic() + 60 * harness.SLOW
    raw = set()
    while time.monotonic() < deadline:
        res = call(gateway, key, "GET", f"{JOBS}/{job_id}")
        j = assert_ok(res)
        seen.append(j["progress"])
        raw.add(re.search(rb'"progress":([^,}]*)', res.body).group(1).decode())
        if j["status"] == "completed":
            break
        time.sleep(0.02)
    assert j["status"] == "completed", j
    steps = sorted(set(p for p in seen if 0 < p < 1))
    assert len(steps) >= 3, seen                          # progress rose part by part
    assert seen == sorted(seen), seen                     # and never went back
    # as written, not as a double's 17 digits ("0.59999999999999998")
    assert all(re.fullmatch(r"0|1(\.0)?|0\.\d{1,4}", p) for p in raw), raw
    assert j["backend_used"] == "A" and j["attempts"] == 1
    assert j["started_at"] and j["finished_at"] and j["created_at"] <= j["started_at"] <= j["finished_at"]
    res = j["result"]
    assert res["format"] == "wav" and res["audio_url"] == f"{JOBS}/{job_id}/audio"
    whole = call(gateway, key, "GET", res["audio_url"])
    assert whole.status == 200 and whole.header("Content-Type") == "audio/wav"
    assert whole.header("Accept-Ranges") == "bytes"
    assert len(whole.body) == res["bytes"] == int(whole.header("Content-Length"))
    path = tmp_path / "job.wav"
    path.write_bytes(whole.body)
    seconds = harness.audio_seconds(str(path))
    header_seconds = float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True,
                                          check=True).stdout)
    assert abs(seconds - header_seconds) < 0.01           # the RIFF sizes were written at the end
    assert abs(seconds * 1000 - j["duration_ms"]) < 50
    assert 6000 / 25 < seconds < 6000 / 8, seconds        # ~15 characters a second
    part = call(gateway, key, "GET", res["audio_url"], headers={"Range": "bytes=1000-1999"})
    assert part.status == 206, part
    assert part.body == whole.body[1000:2000]
    assert part.header("Content-Range") == f"bytes 1000-1999/{len(whole.body)}"
    tail = call(gateway, key, "GET", res["audio_url"], headers={"Range": "bytes=-100"})
    assert tail.status == 206 and tail.body == whole.body[-100:]
    bad = call(gateway, key, "GET", res["audio_url"], headers={"Range": f"bytes={len(whole.body)}-"})
    assert_error(bad, 416, "RANGE_NOT_SATISFIABLE")
    assert bad.header("Content-Range") == f"bytes */{len(whole.body)}"


def objects_of(gateway, job_id):
    d = os.path.join(gateway.objects_dir, "jobs", job_id)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_force_async_short_text_and_what_jobs_refuse(procs, redis, gateway, start_node):
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    job_id = submit(gateway, key, {"text": "Rice is often served in round bowls.", "force_async": True,
                                   "response_format": "mp3", "sample_rate": 24000})
    worker(procs, redis, gateway)
    j = wait_job(gateway, key, job_id)
    assert j["status"] == "completed", j
    assert j["result"]["format"] == "mp3" and j["result"]["sample_rate"] == 24000
    audio = call(gateway, key, "GET", j["result"]["audio_url"])
    assert audio.status == 200 and audio.header("Content-Type") == "audio/mpeg" and audio.body[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3") or audio.body[0] == 0xFF
    # a stored FLAC file knows its length (STREAMINFO's total samples, 0 while streamed)
    flac_id = submit(gateway, key, {"text": SENTENCES[0], "force_async": True, "response_format": "flac"})
    f = wait_job(gateway, key, flac_id)
    assert f["status"] == "completed", f
    flac = call(gateway, key, "GET", f["result"]["audio_url"])
    assert flac.status == 200 and flac.body[:4] == b"fLaC"
    path = f"/tmp/job-{flac_id}.flac"
    with open(path, "wb") as out:
        out.write(flac.body)
    samples = int(subprocess.run(["soxi", "-s", path], capture_output=True, text=True, check=True).stdout)
    decoded = subprocess.run(["flac", "-d", "-s", "-f", "-o", path + ".wav", path], capture_output=True)
    assert decoded.returncode == 0, decoded.stderr  # flac -d checks the count it is told
    os.unlink(path)
    os.unlink(path + ".wav")
    assert samples > 0 and abs(samples / f["result"]["sample_rate"] * 1000 - f["duration_ms"]) <= 2, (samples, f)
    # timestamps are a synchronous feature
    r = call(gateway, key, "POST", SPEAK, {"text": "Hello there.", "force_async": True, "timestamps": True})
    assert_error(r, 422, "VALIDATION_ERROR")
    # the tenant's threshold decides
    roomy_limits(gateway, key, async_threshold_chars=50)
    submit(gateway, key, {"text": "A" * 10 + " " + SENTENCES[0] + " " + SENTENCES[1]})
    short = call(gateway, key, "POST", SPEAK, {"text": SENTENCES[0]})
    assert short.status == 200 and short.header("Content-Type") == "audio/wav"
    # the OpenAI alias never answers 202: its clients expect audio
    alias = call(gateway, key, "POST", "/v1/audio/speech",
                 {"model": "tts-1", "input": long_text(300), "voice": "alloy", "response_format": "wav"})
    assert alias.status == 200, alias
    # a job still running or queued has no audio yet; a finished one cannot be cancelled
    assert_error(call(gateway, key, "DELETE", f"{JOBS}/{job_id}"), 409, "SCAISPEAK_JOB_FINISHED")


@pytest.mark.skipif(harness.SAN, reason="ASan's allocator and quarantine hand out fresh pages by design")
def test_a_short_first_job_does_not_make_later_ones_fault(procs, redis, gateway, start_node):
    """A worker whose first job was short handed each later job's heap back
    to the kernel and faulted it in again (glibc's adaptive thresholds;
    common/malloc_tuning.h): 60-94 page faults per one-sentence job. Counted
    in page faults, not time."""
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    w = worker(procs, redis, gateway)

    def run_job(text):
        j = wait_job(gateway, key, submit(gateway, key, {"text": text, "force_async": True}))
        assert j["status"] == "completed", j
    run_job("Hi.")
    for _ in range(5):  # the first ones grow the heap and the worker's caches
        run_job(SENTENCES[0])
    before = harness.minor_faults(w.proc.pid)
    for _ in range(10):
        run_job(SENTENCES[0])
    per_job = (harness.minor_faults(w.proc.pid) - before) / 10
    assert per_job < 30, f"{per_job:.0f} page faults per one-sentence job after a short first job"


def test_only_the_creator_sees_a_job(procs, redis, gateway, start_node):
    ready_node(gateway, start_node)
    tenant, key = new_key(redis)
    roomy_limits(gateway, key)
    _, colleague = new_key(redis, tenant=tenant)
    _, stranger = new_key(redis)
    job_id = submit(gateway, key, {"text": SENTENCES[2], "force_async": True})
    worker(procs, redis, gateway)
    j = wait_job(gateway, key, job_id)
    assert j["status"] == "completed"
    for other in (colleague, stranger):
        for method, path in (("GET", f"{JOBS}/{job_id}"), ("GET", f"{JOBS}/{job_id}/audio"),
                             ("DELETE", f"{JOBS}/{job_id}")):
            assert_error(call(gateway, other, method, path), 404, "SCAISPEAK_JOB_NOT_FOUND")
    for path in (f"{JOBS}/job_doesnotexist1234", f"{JOBS}/nonsense", f"{JOBS}/job_doesnotexist1234/audio"):
        assert_error(call(gateway, key, "GET", path), 404, "SCAISPEAK_JOB_NOT_FOUND")
    assert job(gateway, key, job_id)["status"] == "completed"  # nothing the others did changed it


def test_cancel_queued_and_running(procs, redis, gateway, start_node):
    node = ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    queued = submit(gateway, key, {"text": SENTENCES[3], "force_async": True})
    r = call(gateway, key, "DELETE", f"{JOBS}/{queued}")
    j = assert_ok(r)
    assert j["status"] == "cancelled" and j["started_at"] is None and j["finished_at"]
    assert_ok(call(gateway, key, "DELETE", f"{JOBS}/{queued}"))  # again: still cancelled
    assert_error(call(gateway, key, "GET", f"{JOBS}/{queued}/audio"), 409, "SCAISPEAK_JOB_NOT_FINISHED")
    # a long job, running
    running = submit(gateway, key, {"text": long_text(20000), "response_format": "opus"})
    w = worker(procs, redis, gateway)
    wait_job(gateway, key, running, statuses=("running",))
    harness.wait_for(lambda: job(gateway, key, running)["progress"] > 0, 30 * harness.SLOW, what="progress")
    harness.wait_for(lambda: gateway.node(node.node_id)["capacity"]["in_flight"] > 0, 10 * harness.SLOW,
                     what="node busy with the job")
    j = assert_ok(call(gateway, key, "DELETE", f"{JOBS}/{running}"))
    assert j["status"] == "cancelled"
    harness.wait_for(lambda: "stops: the job is cancelled" in w.proc.log_text(), 5 * harness.SLOW,
                     what="the worker stopped the attempt")
    harness.wait_for(lambda: gateway.node(node.node_id)["capacity"]["in_flight"] == 0, 5 * harness.SLOW,
                     what="the node call cancelled")
    time.sleep(0.5)
    final = job(gateway, key, running)
    assert final["status"] == "cancelled" and "result" not in final
    assert objects_of(gateway, running) == []           # the partial object was dropped
    # the queued one never ran
    assert queued not in w.proc.log_text()
    assert objects_of(gateway, queued) == []


def test_results_are_deleted_after_the_retention(procs, redis, gateway, start_node):
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    env = {"SCAISPEAK_JOB_RETENTION_S": 2, "SCAISPEAK_JOB_SWEEP_INTERVAL_MS": 200}
    job_id = submit(gateway, key, {"text": SENTENCES[4], "force_async": True})
    worker(procs, redis, gateway, env=env)
    j = wait_job(gateway, key, job_id)
    assert j["status"] == "completed" and objects_of(gateway, job_id) == ["1.wav"]
    harness.wait_for(lambda: call(gateway, key, "GET", f"{JOBS}/{job_id}").status == 404, 10 * harness.SLOW,
                     what="the job deleted after its retention")
    assert objects_of(gateway, job_id) == []
    assert harness.redis_command(redis.port, "ZCARD", "ss:jobs:expiry") == ":0"


def test_sigterm_hands_the_job_back_and_poison_jobs_end_failed(procs, redis, gateway, start_node):
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    job_id = submit(gateway, key, {"text": long_text(20000), "response_format": "opus"})
    w1 = worker(procs, redis, gateway, env={"SCAISPEAK_WORKER_DRAIN_MS": 0}, name="w1")
    harness.wait_for(lambda: job(gateway, key, job_id)["progress"] > 0, 30 * harness.SLOW, what="progress")
    w1.proc.terminate(timeout=10)
    assert "handing 1 running job(s) back" in w1.proc.log_text()
    j = job(gateway, key, job_id)
    assert j["status"] == "queued" and j["attempts"] == 0, j  # handed back, not counted
    # the hand-back's new entry reaches w1 itself when its read is in flight:
    # passed on, so the next worker reads it at once instead of waiting out
    # w1's lease (the old worker left it pending: "its lease brings it back")
    assert "its lease brings it back" not in w1.proc.log_text(), w1.proc.log_tail()
    w2 = worker(procs, redis, gateway, name="w2")
    j = wait_job(gateway, key, job_id, timeout=120)
    assert j["status"] == "completed" and j["attempts"] == 1, j
    assert "took over entry" not in w2.proc.log_text(), w2.proc.log_tail()
    assert objects_of(gateway, job_id) == ["1.opus"]
    w2.proc.terminate(timeout=10)
    # poison: one attempt allowed; its worker dies mid-job; the next start gives up
    poison = submit(gateway, key, {"text": long_text(20000), "response_format": "opus"})
    harness.redis_command(redis.port, "HSET", f"ss:job:{poison}", "max_attempts", "1")
    fast = {"SCAISPEAK_JOB_LEASE_MS": 1500}
    w3 = worker(procs, redis, gateway, env=fast, name="w3")
    harness.wait_for(lambda: job(gateway, key, poison)["progress"] > 0, 30 * harness.SLOW, what="progress")
    w3.proc.kill9()
    worker(procs, redis, gateway, env=fast, name="w4")
    j = wait_job(gateway, key, poison, timeout=30)
    assert j["status"] == "failed", j
    assert j["error"]["code"] == "SCAISPEAK_JOB_ATTEMPTS_EXHAUSTED", j
    assert "gave up after 1 attempts" in j["error"]["message"]


def poll_tolerant(gw, key, job_id):
    """The job, or None while the gateway cannot reach Redis (503)."""
    r = call(gw, key, "GET", f"{JOBS}/{job_id}")
    return None if r.status == 503 else assert_ok(r)


def test_no_job_is_lost_through_worker_crashes_and_a_redis_kill(procs, redis, gateway, start_node):
    """30 jobs, two workers (two jobs each): one worker is kill -9'd mid-job,
    the other stopped with SIGTERM and restarted, redis-server is kill -9'd
    and restarted (AOF, appendfsync everysec). Every job completes exactly
    once: one completion event, one object, nothing left pending."""
    ready_node(gateway, start_node, env={"SCAISPEAK_SLOTS": 4})
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    n = 12 if harness.SAN else 30  # the sanitizer build runs the same races on fewer jobs (CI time)
    ids = [submit(gateway, key, {"text": long_text(1000 + 37 * i), "force_async": True,
                                 "response_format": "opus"}) for i in range(n)]
    env = {"SCAISPEAK_JOB_LEASE_MS": 2000, "SCAISPEAK_WORKER_DRAIN_MS": 0}
    a = worker(procs, redis, gateway, env=env, name="worker-a")
    b = worker(procs, redis, gateway, env=env, name="worker-b")

    def done_count():
        return sum(1 for i in ids if (poll_tolerant(gateway, key, i) or {}).get("status") == "completed")
    harness.wait_for(lambda: done_count() >= n // 7, 60 * harness.SLOW, what="first completions")
    harness.wait_for(lambda: "attempt" in a.proc.log_text(), 10 * harness.SLOW, what="worker a busy")
    a.proc.kill9()                                          # mid-job: its entries' leases expire
    harness.wait_for(lambda: done_count() >= n // 3, 60 * harness.SLOW, what="more completions")
    b.proc.terminate(timeout=10)                            # hands its jobs back
    b2 = worker(procs, redis, gateway, env=env, name="worker-b2")
    harness.wait_for(lambda: done_count() >= n // 2, 60 * harness.SLOW, what="more completions")
    redis.proc.kill9()
    time.sleep(0.3)
    redis.start()
    a2 = worker(procs, redis, gateway, env=env, name="worker-a2")
    final = {}

    def all_done():
        for i in ids:
            j = poll_tolerant(gateway, key, i)
            if not j or j["status"] != "completed":
                return False
            final[i] = j
        return True
    harness.wait_for(all_done, 180 * harness.SLOW, interval=0.2, what="every job completed")
    events = harness.redis_command(redis.port, "XLEN", "ss:jobs:events")
    raw = subprocess.run(["redis-cli", "-p", str(redis.port), "--no-raw", "XRANGE", "ss:jobs:events", "-", "+"],
                         capture_output=True, text=True, check=True).stdout
    completions = {i: raw.count(f'"{i}"') for i in ids}
    assert all(n == 1 for n in completions.values()), completions   # completed exactly once
    assert events == f":{len(ids)}", events
    for i in ids:
        assert objects_of(gateway, i) == [f"{final[i]['attempts']}.opus"], (i, objects_of(gateway, i))
    pending = subprocess.run(["redis-cli", "-p", str(redis.port), "XPENDING", "ss:jobs", "workers"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert pending[0] == "0", pending                      # nothing left leased
    attempts = sum(final[i]["attempts"] for i in ids)
    took_over = sum(w.proc.log_text().count("took over entry") for w in (b, b2, a2))
    print(f"\n{n} jobs: {attempts} attempts in all, {took_over} entries taken over, "
          f"{sum(1 for i in ids if final[i]['attempts'] > 1)} jobs run more than once, 0 completed twice")
    for w in (b2, a2):
        assert w.proc.alive()


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


WORKER_HWM_BOUND_KB = 64 * 1024


@pytest.mark.skipif(harness.SAN, reason="a memory bound, measured on the plain build (ASan keeps freed memory)")
def test_hundred_thousand_characters_stream_into_the_store_in_bounded_memory(procs, redis, gateway, start_node,
                                                                            tmp_path):
    """The documented maximum: 100 000 characters (~1 h 50 min of speech at
    speed 2) complete, and the worker's peak RSS stays under 64 MiB: it never
    holds the audio (PCM and encoded bytes are bounded by the sink's
    back-pressure; the object is written as it comes)."""
    ready_node(gateway, start_node)
    _, key = new_key(redis)
    roomy_limits(gateway, key)
    text = long_text(100000)[:100000]
    job_id = submit(gateway, key, {"text": text, "response_format": "opus", "speed": 2.0})
    w = worker(procs, redis, gateway)
    j = wait_job(gateway, key, job_id, timeout=400)
    assert j["status"] == "completed", j
    hwm = vm_hwm_kb(w.proc.pid)
    seconds = j["duration_ms"] / 1000
    print(f"\n100 000 characters: {seconds:.0f} s of audio, {j['result']['bytes']} bytes of opus, "
          f"worker peak RSS {hwm / 1024:.1f} MiB")
    assert hwm < WORKER_HWM_BOUND_KB, hwm
    assert seconds > 100000 / 15 / 2 / 2, seconds
    path = tmp_path / "long.opus"
    path.write_bytes(call(gateway, key, "GET", j["result"]["audio_url"]).body)
    info = subprocess.run(["opusinfo", str(path)], capture_output=True, text=True).stdout
    assert "Playback length" in info, info
