"""Voice cloning through the API (issue 13), on this machine.

Starts redis-server, a gateway and one node (real engine, CPU kernels) with
the integration harness, makes a 20 s reference (festival kal_diphone,
sox) and a consent clip, then measures:
  * intake time of POST /voices (curl -F, request sent -> 201 received:
    upload, form parse, decode, preflight, consent check, object store, the
    node's analysis of the reference, the Redis write), median and p90 of
    BENCH_N clones (default 10);
  * first audio byte of /speak with a cloned voice on a node cache miss vs a
    hit: the node that analysed the voices is stopped and a fresh one
    started, so each voice's first /speak goes through reference_required
    (the gateway reads the object and resends with the bytes; the node
    analyses) and its second is served from the node's cache. Median of
    BENCH_N voices each.
Prints one line per figure. Speed is never asserted: this is a benchmark."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402
from stream_bench import speak  # noqa: E402

VOICES = "/v1/modules/scaispeak/voices"
N = int(os.environ.get("BENCH_N", "10"))
REF_TEXT = ("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
            "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
            "Rice is often served in round bowls. The juice of lemons makes fine punch.")
CONSENT = "I, Test User, agree that my voice may be cloned for this product."
SENTENCE = "The box was thrown beside the parked truck."


def run(*argv):
    return subprocess.run(list(argv), check=True, capture_output=True, text=True, timeout=120).stdout


def clips(tmp):
    ref, consent = os.path.join(tmp, "ref.wav"), os.path.join(tmp, "consent.wav")
    for path, text in ((ref + ".raw.wav", REF_TEXT), (consent, CONSENT)):
        with open(path + ".txt", "w") as f:
            f.write(text + "\n")
        run("text2wave", "-eval", "(voice_kal_diphone)", path + ".txt", "-o", path)
    run("sox", ref + ".raw.wav", ref + ".raw.wav", ref, "trim", "0", "20")
    return ref, consent


def clone(port, key, ref, consent, i):
    out = run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
              "-H", f"Authorization: Bearer {key}", "-F", f"reference=@{ref}", "-F", f"consent=@{consent}",
              "--form-string", f"display_name=bench {i}", "--form-string", "language_primary=en",
              "--form-string", "consent_user_full_name=Test User",
              "--form-string", "consent_stated_purpose=benchmark", "--form-string", f"consent_text={CONSENT}",
              f"http://127.0.0.1:{port}{VOICES}")
    status, seconds = out.split()
    assert status == "201", out
    return float(seconds)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    tmp = tempfile.mkdtemp(prefix="clone-bench-")
    procs = harness.ProcessSet(tmp)
    try:
        ref, consent = clips(tmp)
        redis = harness.RedisServer(procs).start()
        gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_LOG_LEVEL": "info"}).start()
        engine = {"SCAISPEAK_VOICE_PATH": None}
        first = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key, env=engine).start()
        gw.wait_node_status(first.node_id, "online", 10)
        harness.wait_for(lambda: gw.node(first.node_id)["engines"], 10, what="engine listed")
        key = harness.tenant_admin_key(redis.port)
        gw.http.request("PUT", "/v1/modules/scaispeak/admin/policy", headers={"Authorization": f"Bearer {key}"},
                        json_body={"rate_limits": {"per_key": 10 ** 6, "per_user": 10 ** 6,
                                                   "per_tenant": 10 ** 6}})
        speak(gw.http_port, key, {"text": SENTENCE})  # warm-up: channel, model statistics
        clone(gw.http_port, key, ref, consent, -1)
        times = [clone(gw.http_port, key, ref, consent, i) for i in range(N)]
        print(f"intake POST /voices, 20 s reference (16 kHz WAV, {os.path.getsize(ref)} bytes), n={N}: "
              f"median {statistics.median(times) * 1000:.0f} ms  p90 {pct(times, 90) * 1000:.0f} ms")
        listed = gw.http.request("GET", f"{VOICES}?limit=200", headers={"Authorization": f"Bearer {key}"}).json()
        ids = [v["voice_id"] for v in listed["data"]["items"] if v["intake_mode"] == "clone"][:N]

        first.proc.terminate()
        second = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key, env=engine).start()
        gw.wait_node_status(second.node_id, "online", 10)
        harness.wait_for(lambda: gw.node(second.node_id)["engines"], 10, what="engine listed")
        harness.wait_for(lambda: gw.node_status(first.node_id) != "online", 10, what="first node offline")
        speak(gw.http_port, key, {"text": SENTENCE})  # the new node's model statistics
        miss, hit = [], []
        for vid in ids:
            body = {"text": SENTENCE, "voice_id": vid, "response_format": "pcm"}
            miss.append(speak(gw.http_port, key, body, True)[0])
            hit.append(speak(gw.http_port, key, body, True)[0])
        print(f"first audio byte, cloned voice, node cache miss (reference_required + resend), n={len(miss)}: "
              f"median {statistics.median(miss) * 1000:.1f} ms")
        print(f"first audio byte, cloned voice, node cache hit, n={len(hit)}: "
              f"median {statistics.median(hit) * 1000:.1f} ms")
        plain = [speak(gw.http_port, key, {"text": SENTENCE, "response_format": "pcm"}, True)[0] for _ in range(N)]
        print(f"first audio byte, platform voice (same sentence), n={N}: median {statistics.median(plain) * 1000:.1f} ms")
    finally:
        problems = procs.close()
        if problems:
            print("\n".join(problems))


if __name__ == "__main__":
    main()
