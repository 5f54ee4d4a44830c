"""Bad input to the node and the CLI (issue 4, check "Bad input to Synthesize
and the CLI"), on real processes:

  * Synthesize with empty or 200 000-character text, an unknown engine, an
    unsupported sample rate, speed -1/NaN/inf/5, pitch +-13/NaN, non-finite
    voice design, oversized chunk_ms, a reference digest that is not 64 hex
    digits, strings that are not UTF-8 (sent as raw bytes: protobuf-c does not
    check them) -> INVALID_ARGUMENT with a message that names the problem; the
    node keeps serving (and exits 0 at the end);
  * a bad request is refused as INVALID_ARGUMENT even while the node is full
    (the checks run before admission);
  * a corrupt, truncated, empty or missing voice file at start -> the node
    exits non-zero with a message naming the file;
  * `scaispeak synth` with empty text, bad --speed/--pitch/--rate, no -o,
    unreadable/garbage labels or text files, a truncated voice -> non-zero
    exit status (not a signal), a message, no output file.
"""

import math
import os

import pytest

import harness
from harness import SLOW, wait_for
from test_node_synth import (ENGINE_ID, SIX_SENTENCES, VOICE, cli, metric, synth_error,  # noqa: F401
                             synthesize, stack, _attach_stack_logs)

pytestmark = pytest.mark.skipif(not os.path.exists(VOICE), reason=f"{VOICE} not installed")

NAN, INF = math.nan, math.inf

# (id, SynthesizeRequest fields, substrings the status message must hold)
BAD_REQUESTS = [
    ("empty-text", dict(text=""), ["text is empty"]),
    ("200k-chars", dict(text="ab cd " * 33334), ["200004 characters", "100000"]),
    ("nothing-to-say", dict(text="  ...  "), ["nothing to say"]),
    ("unknown-engine", dict(text="Hello.", engine_id="no-such-engine"),
     ["unknown engine_id 'no-such-engine'", ENGINE_ID]),
    ("rate-12345", dict(text="Hello.", sample_rate=12345), ["sample rate 12345"]),
    ("rate-96000", dict(text="Hello.", sample_rate=96000), ["sample_rate", "96000"]),
    ("rate-1", dict(text="Hello.", sample_rate=1), ["sample_rate", "got 1)"]),
    ("speed-neg", dict(text="Hello.", speed=-1), ["speed", "-1"]),
    ("speed-nan", dict(text="Hello.", speed=NAN), ["speed", "nan"]),
    ("speed-inf", dict(text="Hello.", speed=INF), ["speed", "inf"]),
    ("speed-5", dict(text="Hello.", speed=5.0), ["speed", "5"]),
    ("speed-0.1", dict(text="Hello.", speed=0.1), ["speed", "0.1"]),
    ("pitch-13", dict(text="Hello.", pitch=13), ["pitch", "13"]),
    ("pitch-minus13", dict(text="Hello.", pitch=-13), ["pitch", "-13"]),
    ("pitch-nan", dict(text="Hello.", pitch=NAN), ["pitch", "nan"]),
    ("pitch-inf", dict(text="Hello.", pitch=-INF), ["pitch", "inf"]),
    ("chunk-ms", dict(text="Hello.", chunk_ms=10001), ["chunk_ms", "10001"]),
    ("design-nan", dict(text="Hello.", voice={"design": {"f0_shift_semitones": NAN}}), ["design"]),
    ("design-neg-scale", dict(text="Hello.", voice={"design": {"rate_scale": -1}}), ["design"]),
    ("digest-short", dict(text="Hello.", voice={"voice_id": "vc_x", "reference_sha256": "d1"}),
     ["voice.reference_sha256", "64 hex digits", "got 2 bytes"]),
]


def request_fields(protos, fields):
    """fields with a "voice" dict (and its "design" dict) made messages."""
    fields = dict(fields)
    if "voice" in fields:
        voice = dict(fields["voice"])
        if "design" in voice:
            voice["design"] = protos.tts.VoiceDesign(**voice["design"])
        fields["voice"] = protos.tts.VoiceSpec(**voice)
    return fields


@pytest.mark.parametrize("fields,want", [(f, w) for _, f, w in BAD_REQUESTS],
                         ids=[i for i, _, _ in BAD_REQUESTS])
def test_bad_synthesize_is_invalid_argument(stack, protos, fields, want):
    grpc = harness.grpc_module()
    fields = request_fields(protos, fields)
    e = synth_error(stack.stub, protos, **fields)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{e.code()}: {e.details()}"
    msg = e.details() or ""
    for w in want:
        assert w in msg, f"message {msg!r} does not name {w!r}"
    assert stack.node.proc.alive()


# (id, fields with the marker "\u00e9" where the bytes go bad, the field the message names)
NOT_UTF8 = [
    ("text", dict(text="Hello \u00e9."), "text"),
    ("engine-id", dict(text="Hello.", engine_id="hts\u00e9"), "engine_id"),
    ("voice-id", dict(text="Hello.", voice={"voice_id": "vc_\u00e9"}), "voice.voice_id"),
    ("design-prompt", dict(text="Hello.", voice={"design": {"prompt": "deep \u00e9"}}),
     "voice.design.prompt"),
]


@pytest.mark.parametrize("fields,field", [(f, n) for _, f, n in NOT_UTF8], ids=[i for i, _, _ in NOT_UTF8])
def test_strings_that_are_not_utf8_are_invalid_argument(stack, protos, fields, field):
    """protobuf-c hands string fields on without checking their UTF-8, so the
    node does: the request is serialised with "\u00e9" (C3 A9) and its second
    byte replaced by "(" (C3 28, a lead byte without its continuation) on the
    wire, which no protobuf library here would send on its own."""
    grpc = harness.grpc_module()
    fields = request_fields(protos, fields)
    wire = protos.tts.SynthesizeRequest(**fields).SerializeToString()
    assert wire.count(b"\xc3\xa9") == 1
    wire = wire.replace(b"\xc3\xa9", b"\xc3(")
    call = stack.stub.channel.unary_stream("/scaiinfer.tts.v1.TtsNode/Synthesize",
                                           request_serializer=lambda b: b,
                                           response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as e:
        list(call(wire, timeout=30 * SLOW))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{e.value.code()}: {e.value.details()}"
    assert e.value.details() == f"{field} is not valid UTF-8", e.value.details()
    assert stack.node.proc.alive()


def test_node_keeps_serving_after_bad_input(stack, protos):
    """Runs after the parametrized cases (file order): the same node still
    synthesises, with the engine named or left empty, and 0 speed = 1.0."""
    a = synthesize(stack.stub, protos, "Still serving.", engine_id=ENGINE_ID)
    b = synthesize(stack.stub, protos, "Still serving.", engine_id="", speed=0)
    c = synthesize(stack.stub, protos, "Still serving.", speed=1.0)
    assert a.samples == b.samples == c.samples > 0
    assert synthesize(stack.stub, protos, "Still serving.", speed=2.0).samples < a.samples
    node = stack.node
    assert metric(node, "scaispeak_node_requests_total",
                  {"method": "Synthesize", "code": "INVALID_ARGUMENT"}) >= len(BAD_REQUESTS)
    wait_for(lambda: metric(node, "scaispeak_node_in_flight") == 0, 10 * SLOW, what="node idle")


def test_bad_request_is_invalid_even_when_the_node_is_full(procs, protos, start_node):
    """slots 1, queue 0: while one long call runs, a good request gets
    RESOURCE_EXHAUSTED and a bad one INVALID_ARGUMENT (checked before it
    would take a slot)."""
    grpc = harness.grpc_module()
    node = start_node(node_id="itest-full", env={"SCAISPEAK_VOICE_PATH": VOICE, "SCAISPEAK_SLOTS": 1,
                                                 "SCAISPEAK_QUEUE_DEPTH": 0})
    stub = harness.NodeStub(protos, node.address)
    long_text = " ".join([SIX_SENTENCES] * 4)
    call = stub.Synthesize(protos.tts.SynthesizeRequest(text=long_text), timeout=60 * SLOW)
    first = next(call)  # the header: the call holds the only slot now
    assert first.WhichOneof("kind") == "header"
    busy = synth_error(stub, protos, text="Hello.")
    bad = synth_error(stub, protos, text="Hello.", sample_rate=12345)
    call.cancel()
    assert busy.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{busy.code()}: {busy.details()}"
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{bad.code()}: {bad.details()}"
    stub.close()


# ---------------------------------------------------------------- voice file at start

def _bad_voices(tmp_path):
    data = open(VOICE, "rb").read()
    cases = {}
    p = tmp_path / "truncated.htsvoice"
    p.write_bytes(data[: len(data) // 3])
    cases["truncated"] = p
    p = tmp_path / "tail-cut.htsvoice"
    p.write_bytes(data[:-1000])
    cases["tail-cut"] = p
    p = tmp_path / "garbage.htsvoice"
    p.write_bytes(bytes((i * 131 + 7) % 256 for i in range(4096)))
    cases["garbage"] = p
    p = tmp_path / "corrupt-header.htsvoice"
    p.write_bytes(data.replace(b"[DATA]", b"[DATX]", 1))
    cases["corrupt-header"] = p
    p = tmp_path / "empty.htsvoice"
    p.write_bytes(b"")
    cases["empty"] = p
    cases["missing"] = tmp_path / "no-such.htsvoice"
    return cases


@pytest.mark.parametrize("case", ["truncated", "tail-cut", "garbage", "corrupt-header", "empty", "missing"])
def test_node_refuses_to_start_on_a_bad_voice(procs, tmp_path, case):
    path = _bad_voices(tmp_path)[case]
    node = harness.Node(procs, "127.0.0.1:1", node_id=f"itest-badvoice-{case}",
                        env={"SCAISPEAK_VOICE_PATH": path}).start(wait=False)
    rc = node.proc.wait(15 * SLOW)
    node.proc.stopped_by_test = True  # the exit is what is being tested
    log = node.proc.log_text()
    assert rc > 0, f"node exit {harness.describe_status(rc)} on a {case} voice (want an error exit):\n{log[-2000:]}"
    assert "cannot start" in log and str(path) in log, f"no start error naming {path}:\n{log[-2000:]}"
    assert not harness.tcp_open(node.node_port), "the node listened with a bad voice"
    assert node.proc.sanitizer_report() is None, node.proc.sanitizer_report()


@pytest.mark.parametrize("env,words", [
    ({"SCAISPEAK_GPU_LANES": "0"}, "gpu_lanes must be 1..16"),
    ({"SCAISPEAK_GPU_LANES": "17"}, "gpu_lanes must be 1..16"),
    ({"SCAISPEAK_GPU_MEMORY_MB": "8"}, "gpu_memory_mb must be at least 16 per lane"),
    ({"SCAISPEAK_GPU_MEMORY_MB": "99999999999"}, "gpu_memory_mb must be at most 16777216"),
    ({"SCAISPEAK_GPU_LANES": "4", "SCAISPEAK_GPU_MEMORY_MB": "63"}, "(64 for 4 lanes; got 63)"),
    ({"SCAISPEAK_BATCH_WINDOW_MS": "-1"}, "batch_window_ms must be 0..1000"),
], ids=["lanes-0", "lanes-17", "memory-8", "memory-huge", "memory-per-lane", "window-negative"])
def test_node_refuses_bad_gpu_settings_even_on_the_cpu(procs, env, words):
    # A fleet shares one config: a bad GPU setting stops CPU nodes too.
    node = harness.Node(procs, "127.0.0.1:1", node_id="itest-badgpu", env=env).start(wait=False)
    rc = node.proc.wait(15 * SLOW)
    node.proc.stopped_by_test = True
    log = node.proc.log_text()
    assert rc > 0, f"node exit {harness.describe_status(rc)} with {env}:\n{log[-2000:]}"
    assert "cannot start" in log and words in log, f"no start error saying {words!r}:\n{log[-2000:]}"
    assert not harness.tcp_open(node.node_port), "the node listened with a bad setting"


# ---------------------------------------------------------------- CLI

def _cli_cases(tmp_path):
    garbage = tmp_path / "garbage.lab"
    # Neither "name" nor "start end name" (any single token is a name to the
    # engine, as to hts_engine).
    garbage.write_bytes(b"not a label line\n\x01\xff\xfe \x02 \x03\n")
    blank = tmp_path / "blank.lab"
    blank.write_text("\n\n   \n")
    truncated = tmp_path / "truncated.htsvoice"
    truncated.write_bytes(open(VOICE, "rb").read()[:200000])
    missing = tmp_path / "missing.lab"
    return [
        ("empty-text", ["--text", ""], "nothing to say"),
        ("blank-text", ["--text", "   "], "nothing to say"),
        ("speed-0", ["--text", "Hello.", "--speed", "0"], "speed"),
        ("speed-neg", ["--text", "Hello.", "--speed", "-1"], "speed"),
        ("speed-nan", ["--text", "Hello.", "--speed", "nan"], "speed"),
        ("speed-inf", ["--text", "Hello.", "--speed", "inf"], "speed"),
        ("speed-word", ["--text", "Hello.", "--speed", "fast"], "--speed"),
        ("pitch-13", ["--text", "Hello.", "--pitch", "13"], "pitch"),
        ("pitch-nan", ["--text", "Hello.", "--pitch", "nan"], "pitch"),
        ("rate-12345", ["--text", "Hello.", "--rate", "12345"], "12345"),
        ("rate-word", ["--text", "Hello.", "--rate", "high"], "--rate"),
        ("rate-frac", ["--text", "Hello.", "--rate", "16000.5"], "--rate"),
        ("no-value", ["--text", "Hello.", "--speed"], "--speed"),
        ("missing-labels", ["--labels", missing], str(missing)),
        ("labels-dir", ["--labels", tmp_path], str(tmp_path)),
        ("garbage-labels", ["--labels", garbage], "label"),
        ("blank-labels", ["--labels", blank], str(blank)),
        ("missing-textfile", ["-f", missing], str(missing)),
        ("truncated-voice", ["--text", "Hello.", "--voice", truncated], str(truncated)),
        ("unknown-option", ["--text", "Hello.", "--loud"], "--loud"),
    ]


CLI_IDS = ["empty-text", "blank-text", "speed-0", "speed-neg", "speed-nan", "speed-inf", "speed-word",
           "pitch-13", "pitch-nan", "rate-12345", "rate-word", "rate-frac", "no-value", "missing-labels",
           "labels-dir", "garbage-labels", "blank-labels", "missing-textfile", "truncated-voice",
           "unknown-option"]


@pytest.mark.parametrize("case", CLI_IDS)
def test_cli_bad_input_fails_cleanly(tmp_path, case):
    _, args, want = next(c for c in _cli_cases(tmp_path) if c[0] == case)
    out = tmp_path / "out.wav"
    p = cli("synth", *args, "-o", out)
    assert p.returncode > 0, f"exit {p.returncode} (want an error exit, not a signal): {p.stderr}"
    assert p.returncode not in (134, 139), p.stderr
    assert "scaispeak synth" in p.stderr and want in p.stderr, f"stderr does not name {want!r}: {p.stderr}"
    assert not any(m in p.stderr for m in harness.SANITIZER_MARKERS), p.stderr
    assert not out.exists(), "an output file was written for a failed synth"


def test_cli_without_output_says_so(tmp_path):
    p = cli("synth", "--text", "Hello.")
    assert p.returncode > 0, p
    assert "-o" in p.stderr and "usage" in p.stderr, p.stderr
    assert not any(m in p.stderr for m in harness.SANITIZER_MARKERS), p.stderr
