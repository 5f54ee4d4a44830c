"""Interleaved A/B of the gateway's CPU per one-sentence WAV /speak (issue
12): two complete stacks (redis-server, gateway, node) from two builds,
usage `stream_ab.py BUILD_A BUILD_B` (e.g. a /tmp copy of build/ before a
change, and build/ after it). On a shared machine whose speed drifts, only
batches run side by side compare: each round runs BENCH_N (60) requests on
A and on B, the order flipped every round, BENCH_ROUNDS (8) rounds; per
round and as medians it prints the gateway's and the node's CPU per
request (all threads, /proc/<pid>/task/*/schedstat) and per gateway thread
its CPU and voluntary context switches per request (each one a sleep and a
wake-up). BENCH_STRACE=1: afterwards `strace -c -f` on each gateway over
BENCH_N requests, system calls per request. A benchmark: nothing is
asserted."""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
import stream_bench as sb  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))
N = int(os.environ.get("BENCH_N", "60"))
body = {"text": sb.SENTENCE, "response_format": "wav"}


def start(build, procs):
    os.environ["SCAISPEAK_BUILD"] = os.path.abspath(build)  # harness.binary() reads it per process
    gw, node, key = sb.start_stack(procs)
    for _ in range(10):
        sb.speak(gw.http_port, key, body)
    return dict(port=gw.http_port, key=key, gpid=gw.proc.pid, npid=node.proc.pid)


def batch(s):
    g0, n0, t0 = sb.cpu_ns(s["gpid"]), sb.cpu_ns(s["npid"]), sb.thread_cpu(s["gpid"])
    for _ in range(N):
        sb.speak(s["port"], s["key"], body)
    g = (sb.cpu_ns(s["gpid"]) - g0) / N / 1e6
    nd = (sb.cpu_ns(s["npid"]) - n0) / N / 1e6
    t1 = sb.thread_cpu(s["gpid"])
    per = {k: ((v[0] - t0.get(k, [0, 0])[0]) / N / 1e6, (v[1] - t0.get(k, [0, 0])[1]) / N) for k, v in t1.items()}
    return g, nd, per


def main():
    tmp = tempfile.mkdtemp(prefix="gwrx-ab-")
    procs = harness.ProcessSet(tmp)
    try:
        stacks = {"A": start(sys.argv[1], procs), "B": start(sys.argv[2], procs)}
        res = {"A": [], "B": []}
        for r in range(ROUNDS):
            order = ["A", "B"] if r % 2 == 0 else ["B", "A"]
            line = [f"round {r} load {os.getloadavg()[0]:.2f}"]
            for k in order:
                g, nd, per = batch(stacks[k])
                res[k].append((g, nd, per))
                th = " ".join(f"{n}={c:.2f}/{w:.1f}" for n, (c, w) in sorted(per.items(), key=lambda kv: -kv[1][0])
                              if c >= 0.01 or w >= 0.5)
                line.append(f"{k}: gw {g:.2f} node {nd:.2f} ({100*g/nd:.1f}%) [{th}]")
            print("  ".join(line), flush=True)
        for k in ("A", "B"):
            gs = [x[0] for x in res[k]]
            rs = [100 * x[0] / x[1] for x in res[k]]
            names = sorted({n for x in res[k] for n in x[2]})
            th = ", ".join(f"{n} {statistics.median(x[2].get(n, (0, 0))[0] for x in res[k]):.2f} ms / "
                           f"{statistics.median(x[2].get(n, (0, 0))[1] for x in res[k]):.1f} vcs"
                           for n in names if statistics.median(x[2].get(n, (0, 0))[1] for x in res[k]) >= 0.3)
            print(f"{k} {sys.argv[1 if k == 'A' else 2]}: gateway median {statistics.median(gs):.2f} ms "
                  f"({min(gs):.2f}-{max(gs):.2f}), ratio median {statistics.median(rs):.1f} % "
                  f"({min(rs):.1f}-{max(rs):.1f}), node median {statistics.median(x[1] for x in res[k]):.2f} ms; {th}")
        wins = sum(1 for a, b in zip(res["A"], res["B"]) if b[0] < a[0])
        print(f"B lower than A in {wins} of {ROUNDS} rounds")
        if os.environ.get("BENCH_STRACE") == "1":
            for k in ("A", "B"):
                s = stacks[k]
                out = os.path.join(tmp, f"strace-{k}.txt")
                p = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(s["gpid"])],
                                     stderr=subprocess.DEVNULL)
                time.sleep(1.0)
                for _ in range(N):
                    sb.speak(s["port"], s["key"], body)
                time.sleep(0.3)
                p.send_signal(signal.SIGINT)
                p.wait()
                with open(out) as f:
                    txt = f.read()
                print(f"--- strace {k} over {N} requests")
                for ln in txt.splitlines():
                    parts = ln.split()
                    if len(parts) >= 5 and parts[-1].isidentifier() and parts[3].isdigit():
                        print(f"  {parts[-1]:16s} {int(parts[3]) / N:7.1f} per request")
    finally:
        for p in procs.close():
            print("process problem:", p)


if __name__ == "__main__":
    main()
