"""The node's CUDA path end to end, on a machine without a GPU.

tests/gpu/emulate_on_cpu.sh node links scaispeak-node with the CUDA kernels
compiled for the host (kernels/cuda/*.cu under SS_CUDA_HOST_EMULATION) and a
probe that reports one device, then runs this file with
SCAISPEAK_EMULATED_NODE naming that binary (skipped otherwise). Real
redis-server and gateway, and two nodes from that binary: one on
`kernels = auto` (which now means CUDA: batch scheduler, 2 lanes, pools
bounded by gpu_memory_mb), one on `kernels = cpu`.

  * the CUDA node says so in its log and in /v1/infra/nodes (kernels cuda,
    the device's facts, pool_limit_mb = gpu_memory_mb, lanes);
  * rounds of concurrent Synthesize calls on it give the CPU node's audio
    (same length, every sample within 1 LSB: the emulated kernels differ
    from the CPU ones by rounding only);
  * the pools stay bounded and allocate only while growing: device
    allocations (node /metrics) stay at or below the lanes' growth steps
    (doubling from 1 MiB to the bound) however many requests ran, fewer
    than the kernel calls; the heartbeat reports the pools' use within the
    bound. (Which batches form depends on timing, so a pool may still grow
    in a later round here; that a repeated workload allocates nothing is
    shown deterministically by the parity run's steady-state check.)

What it cannot show: device numerics, races, real copy overlap (make
test-gpu and bench-gpu do those on a GPU)."""

import array
import os
import threading

import pytest

import harness
from harness import SLOW, wait_for
from test_node_synth import VOICE, metric, synthesize

EMULATED = os.environ.get("SCAISPEAK_EMULATED_NODE")
pytestmark = pytest.mark.skipif(not EMULATED, reason="run by tests/gpu/emulate_on_cpu.sh node")

TEXTS = ["The quick brown fox jumps over the lazy dog near the quiet river bank.",
         "Please stand clear of the closing doors.",
         "Tickets are sold at the counter on the left, and the next train leaves at half past nine.",
         "Thank you for travelling with us today."]
LANES = 2
MEMORY_MB = 64


def samples(result):
    a = array.array("h")
    a.frombytes(result.pcm)
    return a


def test_emulated_cuda_node_matches_cpu_with_bounded_pools(procs, gateway, protos):
    common = {"SCAISPEAK_VOICE_PATH": VOICE, "SCAISPEAK_SLOTS": 4, "SCAISPEAK_QUEUE_DEPTH": 8}
    cuda = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                        node_id="itest-emu-cuda", binary_path=EMULATED,
                        env=dict(common, SCAISPEAK_GPU_LANES=LANES,
                                 SCAISPEAK_GPU_MEMORY_MB=MEMORY_MB)).start()
    cpu = harness.Node(procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key,
                       node_id="itest-emu-cpu", binary_path=EMULATED,
                       env=dict(common, SCAISPEAK_KERNELS="cpu")).start()
    log = cuda.proc.log_text()
    assert "kernels: cuda (device: CUDA host emulation)" in log, log[-3000:]
    assert f"{LANES} lane(s), device pools bounded at {MEMORY_MB} MiB" in log, log[-3000:]

    n = gateway.wait_node_status("itest-emu-cuda", "online", 5.0)
    assert n["kernels"] == "cuda", n
    g = n["gpu"]
    assert g["name"] == "CUDA host emulation" and g["memory_total_mb"] == 16384, g
    assert g["pool_limit_mb"] == MEMORY_MB and g["lanes"] == LANES, g
    assert gateway.wait_node_status("itest-emu-cpu", "online", 5.0)["kernels"] == "cpu"

    cuda_stub = harness.NodeStub(protos, cuda.address)
    cpu_stub = harness.NodeStub(protos, cpu.address)
    try:
        want = [samples(synthesize(cpu_stub, protos, t, timeout=60.0)) for t in TEXTS]
        allocs = []
        for rnd in range(4):
            got = [None] * len(TEXTS)
            errors = []

            def one(i):
                try:
                    got[i] = samples(synthesize(cuda_stub, protos, TEXTS[i], timeout=120.0))
                except Exception as e:  # reported below, with the text
                    errors.append(f"{TEXTS[i]!r}: {e}")

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(TEXTS))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
            for i, t in enumerate(TEXTS):
                assert len(got[i]) == len(want[i]), (t, len(got[i]), len(want[i]))
                worst = max(abs(a - b) for a, b in zip(got[i], want[i]))
                assert worst <= 1, f"round {rnd}, {t!r}: CUDA path differs by {worst} LSB"
            # /metrics is refreshed as each heartbeat is built (every 500 ms):
            # the second heartbeat the gateway records after the round was
            # built after it.
            for _ in range(2):
                seen = gateway.node("itest-emu-cuda")["last_heartbeat_at"]
                wait_for(lambda: gateway.node("itest-emu-cuda")["last_heartbeat_at"] != seen,
                         5.0 * SLOW, what="the next heartbeat")
            allocs.append(metric(cuda, "scaispeak_node_gpu_pool_allocations"))
    finally:
        cuda_stub.close()
        cpu_stub.close()

    calls = metric(cuda, "scaispeak_node_gpu_batches")
    pool = metric(cuda, "scaispeak_node_gpu_pool_bytes")
    limit = metric(cuda, "scaispeak_node_gpu_pool_limit_bytes")
    # A lane's pool at least doubles per growth, from 1 MiB up to its bound
    # (32 MiB): at most 6 allocations a lane, however many requests.
    assert 0 < allocs[-1] <= LANES * 6, allocs
    assert allocs[-1] < calls, (allocs, calls)
    assert limit == MEMORY_MB << 20 and 0 < pool <= limit, (pool, limit)
    n = gateway.node("itest-emu-cuda")
    assert 0 < n["gpu"]["pool_used_mb"] <= MEMORY_MB and n["gpu"]["pinned_mb"] > 0, n["gpu"]
    print(f"\n[measure] emulated CUDA node: {calls:.0f} kernel calls for {4 * len(TEXTS)} requests, "
          f"device allocations per round {allocs}, pools {pool / 1048576:.1f} of {MEMORY_MB} MiB")
