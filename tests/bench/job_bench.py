"""Asynchronous jobs (issue 14), on this machine: what one worker sustains.

Starts redis-server, one gateway, one node (real engine, CPU kernels, slots
BENCH_JOB_SLOTS, default 2) and one scaispeak-worker (worker_jobs
BENCH_WORKER_JOBS, default 2) with the integration harness, then:
  * submits BENCH_JOBS (default 40) jobs of 1 000 characters (wav, force_async)
    at once and reports the jobs per second from the first submission to the
    last completion, and the node's and worker's CPU per job;
  * for one 6 000-character job on an idle stack: the time from the 202 to
    the first progress above 0 (polled every 5 ms), and to completion.
Prints one line per figure. Speed is never asserted: this is a benchmark."""
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402

SPEAK = "/v1/modules/scaispeak/speak"
JOBS = "/v1/modules/scaispeak/speak/jobs"
N = int(os.environ.get("BENCH_JOBS", "40"))
SLOTS = int(os.environ.get("BENCH_JOB_SLOTS", "2"))
WORKER_JOBS = int(os.environ.get("BENCH_WORKER_JOBS", "2"))
SENTENCES = ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
             "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
             "Rice is often served in round bowls.", "The juice of lemons makes fine punch."]


def text_of(chars):
    out, i = [], 0
    while sum(len(s) + 1 for s in out) < chars:
        out.append(SENTENCES[i % len(SENTENCES)])
        i += 1
    return " ".join(out)[:chars]


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    tmp = tempfile.mkdtemp(prefix="job-bench-")
    procs = harness.ProcessSet(tmp)
    try:
        redis = harness.RedisServer(procs).start()
        gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_LOG_LEVEL": "warn"}).start()
        node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key,
                            env={"SCAISPEAK_VOICE_PATH": None, "SCAISPEAK_SLOTS": SLOTS,
                                 "SCAISPEAK_LOG_LEVEL": "warn"}).start()
        gw.wait_node_status(node.node_id, "online", 10)
        harness.wait_for(lambda: gw.node(node.node_id)["engines"], 10, what="engine listed")
        key = harness.tenant_admin_key(redis.port)
        auth = {"Authorization": f"Bearer {key}"}
        gw.http.request("PUT", "/v1/modules/scaispeak/admin/policy", headers=auth,
                        json_body={"rate_limits": {"per_key": 10 ** 6, "per_user": 10 ** 6,
                                                   "per_tenant": 10 ** 6}})
        worker = harness.Worker(procs, redis.port, objects_dir=gw.objects_dir,
                                env={"SCAISPEAK_WORKER_JOBS": WORKER_JOBS}).start()

        def submit(chars):
            r = gw.http.request("POST", SPEAK, headers=auth, json_body={"text": text_of(chars), "force_async": True})
            assert r.status == 202, r
            return r.json()["data"]["job_id"]

        def status(job_id):
            return gw.http.request("GET", f"{JOBS}/{job_id}", headers=auth).json()["data"]

        # warm-up: scripts, channel, voice
        w = submit(300)
        harness.wait_for(lambda: status(w)["status"] == "completed", 30, what="warm-up job")

        # 1. throughput of 1 000-character jobs
        cpu0 = {p: cpu_s(p) for p in (node.proc.pid, worker.proc.pid, gw.proc.pid)}
        t0 = time.monotonic()
        ids = [submit(1000) for _ in range(N)]
        pending = set(ids)
        while pending:
            pending = {i for i in pending if status(i)["status"] not in ("completed", "failed")}
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        failed = [i for i in ids if status(i)["status"] != "completed"]
        audio_s = sum(status(i)["duration_ms"] for i in ids) / 1000
        cpu = {p: cpu_s(p) - cpu0[p] for p in cpu0}
        print(f"jobs of 1000 characters: {N} in {elapsed:.2f} s = {N / elapsed:.2f} jobs/s "
              f"({audio_s / elapsed:.0f} s of audio per s; node slots {SLOTS}, worker_jobs {WORKER_JOBS}; "
              f"{len(failed)} failed)")
        print(f"CPU per job: node {1000 * cpu[node.proc.pid] / N:.1f} ms, worker "
              f"{1000 * cpu[worker.proc.pid] / N:.1f} ms, gateway {1000 * cpu[gw.proc.pid] / N:.1f} ms "
              f"(submission and polling)")

        # 2. time to first progress and to completion, idle stack
        firsts, totals = [], []
        for _ in range(5):
            t0 = time.monotonic()
            j = submit(6000)
            first = None
            while True:
                s = status(j)
                if first is None and s["progress"] > 0:
                    first = time.monotonic() - t0
                if s["status"] == "completed":
                    totals.append(time.monotonic() - t0)
                    break
                time.sleep(0.005)
            firsts.append(first)
        print(f"6000-character job: first progress after {1000 * statistics.median(firsts):.0f} ms (median of 5), "
              f"completed after {1000 * statistics.median(totals):.0f} ms")
    finally:
        procs.close()


if __name__ == "__main__":
    main()
