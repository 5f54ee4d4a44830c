"""The node synthesises for real (issue 4, node-level checks): real
redis-server, scaispeak-gateway and scaispeak-node (HTS engine on the Debian
slt voice) processes, spoken to with Debian python3-grpcio.

  * integration: the node is listed by the gateway with its engine and makes
    readyz 200; a Synthesize call returns PCM that, written as a WAV with
    python's `wave`, decodes with sox and is as long as the CLI's WAV of the
    same text (within one 5 ms frame), at 32000, 16000 and 48000 Hz;
  * timestamps: Alignment words in text order, monotonic, within the audio;
  * streaming: the node's own Done figures say the first audio chunk went
    out before the utterance was finished (first_chunk_ms < compute_ms); a
    one-sentence call's first chunk is the first_chunk_ms setting's 50 ms
    (sent before the rest of the sentence is vocoded), and a node with
    first_chunk_ms 0 sends the same samples with the sentence whole;
  * cancellation and a 50 ms deadline on a long text: the node stops the
    call (its metrics and log say so) and keeps serving;
  * load: slots 2 + queue_depth 2, 16 concurrent calls -> 12
    RESOURCE_EXHAUSTED, 4 complete with full audio, node exits 0 on SIGTERM.

Shared helpers (imported by test_node_synth_bad_input.py): VOICE, the
module-scoped `stack` fixture (its own ProcessSet, torn down and checked like
`procs`), `synthesize()` which checks the stream's shape, `cli_synth()`,
`metric()`.

Under SAN=1 the timeouts stretch by harness.SLOW; no assertion is a
wall-clock timing.
"""

import http.client
import os
import re
import string
import subprocess
import threading
import wave

import pytest

import harness
from harness import SLOW, wait_for

VOICE = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"
ENGINE_ID = "scaispeak-hts-en"
NATIVE_RATE = 32000
FRAME_MS = 5

SENTENCE = "The quick brown fox jumps over the lazy dog near the quiet river bank."
SIX_SENTENCES = ("Good morning, and welcome to the station. The next train leaves at half past nine. "
                 "Please stand clear of the closing doors. Tickets are sold at the counter on the left. "
                 "Thank you for travelling with us today. We wish you a pleasant journey.")
# About a minute of speech: long enough that the node is still working when a
# cancel or a 50 ms deadline reaches it.
LONG_TEXT = " ".join([SIX_SENTENCES] * 4)

pytestmark = pytest.mark.skipif(not os.path.exists(VOICE), reason=f"{VOICE} not installed")


# ---------------------------------------------------------------- helpers

class Stack:
    def __init__(self, procs, redis, gateway, node, stub):
        self.procs, self.redis, self.gateway, self.node, self.stub = procs, redis, gateway, node, stub


@pytest.fixture(scope="module")
def stack(tmp_path_factory, protos):
    """redis + gateway + a node with the HTS engine, shared by a module's
    tests; teardown SIGTERMs them and fails on a bad exit or a sanitizer
    report, like the `procs` fixture."""
    ps = harness.ProcessSet(tmp_path_factory.mktemp("node_synth"))
    try:
        redis = harness.RedisServer(ps).start()
        gw = harness.Gateway(ps, redis.port).start()
        node = harness.Node(ps, gw.grpc_target, node_auth_key=gw.node_auth_key, node_id="itest-synth",
                            env={"SCAISPEAK_VOICE_PATH": VOICE}).start()
    except BaseException:
        problems = ps.close()
        if problems:
            print("\n".join(problems))
        raise
    stub = harness.NodeStub(protos, node.address)
    yield Stack(ps, redis, gw, node, stub)
    stub.close()
    problems = ps.close()
    if problems:
        pytest.fail("process problems at teardown:\n" + "\n".join(problems) + "\n\n" +
                    ps.log_tails(), pytrace=False)


@pytest.fixture(autouse=True)
def _attach_stack_logs(request):
    """Failures of tests on the shared stack get its log tails (conftest's
    report hook reads item._ss_procs)."""
    if "stack" in request.fixturenames:
        request.node._ss_procs = request.getfixturevalue("stack").procs
    yield


class Result:
    """One Synthesize stream, checked: header first, audio (contiguous
    start_sample) and alignments, done last with samples == audio."""

    def __init__(self, chunks):
        kinds = [c.WhichOneof("kind") for c in chunks]
        assert kinds, "empty stream"
        assert kinds[0] == "header", f"first message is {kinds[0]}, want header: {kinds[:5]}"
        assert kinds[-1] == "done", f"last message is {kinds[-1]}, want done: {kinds[-5:]}"
        assert kinds.count("header") == 1 and kinds.count("done") == 1, kinds
        assert set(kinds[1:-1]) <= {"audio", "alignment"}, kinds
        self.header = chunks[0].header
        self.done = chunks[-1].done
        self.kinds = kinds
        pcm = bytearray()
        self.audio_chunks = 0
        self.alignments = []
        for c in chunks[1:-1]:
            if c.WhichOneof("kind") == "audio":
                assert len(c.audio.pcm) % 2 == 0, "odd PCM byte count"
                assert c.audio.start_sample == len(pcm) // 2, \
                    f"audio chunk starts at {c.audio.start_sample}, {len(pcm) // 2} samples so far"
                assert c.audio.pcm, "empty audio chunk"
                pcm += c.audio.pcm
                self.audio_chunks += 1
            else:
                self.alignments.append(c.alignment)
        self.pcm = bytes(pcm)
        self.samples = len(pcm) // 2
        assert self.audio_chunks > 0, "no audio"
        assert self.done.samples == self.samples, \
            f"done.samples {self.done.samples} != {self.samples} samples of audio"
        self.rate = self.header.sample_rate

    @property
    def ms(self):
        return 1000.0 * self.samples / self.rate

    def words(self):
        return [w for a in self.alignments for w in a.words]

    def phonemes(self):
        return [p for a in self.alignments for p in a.phonemes]

    def write_wav(self, path):
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.pcm)
        return path


def synthesize(stub, protos, text, timeout=30.0, metadata=None, **fields):
    """A whole Synthesize call, checked (see Result); RpcError on a status."""
    req = protos.tts.SynthesizeRequest(text=text, **fields)
    return Result(list(stub.Synthesize(req, timeout=timeout * SLOW, metadata=metadata)))


def synth_error(stub, protos, timeout=30.0, **fields):
    """The grpc.RpcError a Synthesize call ends with (AssertionError if none)."""
    grpc = harness.grpc_module()
    req = protos.tts.SynthesizeRequest(**fields)
    try:
        chunks = list(stub.Synthesize(req, timeout=timeout * SLOW))
    except grpc.RpcError as e:
        return e
    raise AssertionError(f"want an error status, got a stream of {len(chunks)} message(s)")


def cli(*args, timeout=60.0):
    """build/bin/scaispeak with args; CompletedProcess (text)."""
    env = harness.child_env({})
    return subprocess.run([harness.binary("scaispeak")] + [str(a) for a in args], env=env,
                          capture_output=True, text=True, timeout=timeout * SLOW)


def soxi(path, flag):
    p = subprocess.run(["soxi", flag, str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"soxi {flag} {path}: {p.stderr}"
    return p.stdout.strip()


def cli_synth(tmp_path, text, name, *extra):
    """Sample count and rate of `scaispeak synth --text TEXT -o WAV` (as soxi reads it)."""
    out = tmp_path / f"{name}.wav"
    p = cli("synth", "--text", text, "-o", out, *extra)
    assert p.returncode == 0, f"scaispeak synth failed ({p.returncode}): {p.stderr}"
    return int(soxi(out, "-s")), int(soxi(out, "-r"))


def metrics_text(node):
    conn = http.client.HTTPConnection("127.0.0.1", node.metrics_port, timeout=5 * SLOW)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read().decode()
    finally:
        conn.close()
    assert r.status == 200, (r.status, body[:300])
    return body


def metric(node, name, labels=None, text=None):
    """The value of one series (labels: dict that must all match), 0 when absent."""
    text = text if text is not None else metrics_text(node)
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in (labels or {}).items()):
            total += float(m.group(4))
    return total


def synth_count(node, code, text=None):
    return metric(node, "scaispeak_node_requests_total", {"method": "Synthesize", "code": code}, text)


def wait_idle(node, timeout=10.0):
    wait_for(lambda: metric(node, "scaispeak_node_in_flight") == 0, timeout * SLOW,
             what=f"node {node.node_id} in_flight 0")


# ---------------------------------------------------------------- integration

def test_node_listed_with_its_engine_and_ready(stack, protos):
    gw, node = stack.gateway, stack.node
    n = gw.wait_node_status(node.node_id, "online", 5.0)
    assert len(n["engines"]) == 1, n
    e = n["engines"][0]
    assert e["engine_id"] == ENGINE_ID, e
    assert e["kind"] == "hts", e
    assert isinstance(e["version"], str) and e["version"], e
    assert e["sample_rate"] == NATIVE_RATE, e
    assert any(x["node_id"] == node.node_id for x in gw.nodes("?engine=" + ENGINE_ID))
    r = gw.http.get("/v1/modules/scaispeak/readyz")
    assert r.status == 200, r
    j = r.json()
    assert j.get("ready") is True and j["checks"]["backend_a"]["ok"] is True, j
    assert j.get("degraded") is False, j
    # The node's own answer agrees with what the gateway lists.
    le = stack.stub.ListEngines(protos.tts.ListEnginesRequest(), timeout=5 * SLOW)
    assert [(x.engine_id, x.kind, x.version, x.sample_rate) for x in le.engines] == \
        [(e["engine_id"], e["kind"], e["version"], e["sample_rate"])]


def test_synthesize_gives_a_wav_as_long_as_the_cli(stack, protos, tmp_path):
    rid = "req_itestsynthwav000001"
    res = synthesize(stack.stub, protos, SENTENCE, request_id=rid, engine_id=ENGINE_ID,
                     metadata=[("x-request-id", rid)])
    assert res.header.engine_id == ENGINE_ID
    assert res.header.node_id == stack.node.node_id
    assert res.header.kernels in ("cpu", "cuda")
    assert res.rate == NATIVE_RATE
    wav = res.write_wav(tmp_path / "node.wav")
    assert int(soxi(wav, "-r")) == NATIVE_RATE
    assert int(soxi(wav, "-c")) == 1
    assert int(soxi(wav, "-s")) == res.samples
    # sox decodes every sample (stat reads the whole file) and it is not silence.
    p = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    rms = float(re.search(r"RMS\s+amplitude:\s+(\S+)", p.stderr).group(1))
    assert rms > 0.01, p.stderr
    cli_samples, cli_rate = cli_synth(tmp_path, SENTENCE, "cli")
    assert cli_rate == NATIVE_RATE
    frame = NATIVE_RATE * FRAME_MS // 1000
    assert abs(res.samples - cli_samples) <= frame, \
        f"node {res.samples} samples vs CLI {cli_samples} (more than one {FRAME_MS} ms frame apart)"
    assert res.samples > NATIVE_RATE, "less than a second of speech for a whole sentence"
    # Every log line of the call carries the request id.
    log = stack.node.proc.log_text()
    assert f'"request_id":"{rid}"' in log and "Synthesize done" in log, log[-2000:]
    print(f"\nsentence: {res.ms:.0f} ms audio, compute {res.done.compute_ms} ms, first chunk "
          f"{res.done.first_chunk_ms} ms, RTF {res.done.compute_ms / res.ms:.4f}")


@pytest.mark.parametrize("rate", [16000, 48000])
def test_other_sample_rates_have_the_right_length(stack, protos, tmp_path, rate):
    native = synthesize(stack.stub, protos, SENTENCE)
    res = synthesize(stack.stub, protos, SENTENCE, sample_rate=rate)
    assert res.rate == rate
    frame = rate * FRAME_MS // 1000
    want = native.samples * rate / NATIVE_RATE
    assert abs(res.samples - want) <= frame, \
        f"{res.samples} samples at {rate} Hz, want {want:.0f} (+-{frame}) from {native.samples} at 32 kHz"
    cli_samples, cli_rate = cli_synth(tmp_path, SENTENCE, f"cli{rate}", "--rate", rate)
    assert cli_rate == rate
    assert abs(res.samples - cli_samples) <= frame, (res.samples, cli_samples)
    wav = res.write_wav(tmp_path / f"node{rate}.wav")
    assert int(soxi(wav, "-r")) == rate and int(soxi(wav, "-s")) == res.samples


def test_timestamps_words_in_order_within_the_audio(stack, protos):
    text = "Hello there, my friend. The weather is lovely today!"
    res = synthesize(stack.stub, protos, text, want_timestamps=True)
    assert res.alignments, f"want_timestamps gave no Alignment: {res.kinds[:8]}"
    # Alignment comes after the audio it describes, never before the header.
    assert res.kinds.index("alignment") > res.kinds.index("audio")
    words = res.words()
    # Word text is the word's span of the request (the front end keeps
    # trailing punctuation in the span: "there,").
    assert [w.text.strip(string.punctuation) for w in words] == re.findall(r"[A-Za-z]+", text), \
        [w.text for w in words]
    raw = text.encode()
    prev_end, prev_char = 0, -1
    for w in words:
        assert raw[w.char_start:w.char_end].decode() == w.text, (w.char_start, w.char_end, w.text)
        assert w.char_start > prev_char, "words out of text order"
        assert w.start_ms < w.end_ms, w
        assert w.start_ms >= prev_end, f"word {w.text!r} starts at {w.start_ms} before {prev_end}"
        prev_end, prev_char = w.end_ms, w.char_start
    assert words[-1].end_ms <= res.ms + 1, f"last word ends at {words[-1].end_ms} ms, audio {res.ms:.1f} ms"
    phones = res.phonemes()
    assert phones, "no phonemes"
    prev = 0
    for p in phones:
        assert p.symbol and p.start_ms >= prev and p.end_ms >= p.start_ms, p
        prev = p.end_ms
    # The phones cover the audio up to the end (within a frame).
    assert abs(phones[-1].end_ms - res.ms) <= FRAME_MS + 1, (phones[-1].end_ms, res.ms)
    # Without the flag there is no alignment.
    assert synthesize(stack.stub, protos, text).alignments == []


def test_first_chunk_leaves_before_the_utterance_is_done(stack, protos):
    res = synthesize(stack.stub, protos, SIX_SENTENCES, chunk_ms=100)
    d = res.done
    print(f"\nsix sentences: {res.ms:.0f} ms audio in {res.audio_chunks} chunks, compute {d.compute_ms} ms, "
          f"first chunk {d.first_chunk_ms} ms, RTF {d.compute_ms / res.ms:.4f}")
    assert res.audio_chunks >= 6, res.audio_chunks
    assert d.compute_ms > 0
    assert d.first_chunk_ms < d.compute_ms, \
        f"first chunk at {d.first_chunk_ms} ms, utterance computed in {d.compute_ms} ms: not streamed"
    # The node's first-chunk and RTF histograms saw the call.
    text = metrics_text(stack.node)
    assert metric(stack.node, "scaispeak_node_first_chunk_seconds_count", text=text) >= 1
    assert metric(stack.node, "scaispeak_node_rtf_count", text=text) >= 1


def audio_chunk_sizes(stub, protos, text, **fields):
    """(samples per audio message, the whole call checked as a Result)."""
    chunks = list(stub.Synthesize(protos.tts.SynthesizeRequest(text=text, **fields), timeout=30 * SLOW))
    return [len(c.audio.pcm) // 2 for c in chunks if c.WhichOneof("kind") == "audio"], Result(chunks)


def test_first_chunk_is_50_ms_and_the_setting_only_changes_the_chunking(stack, protos, start_node):
    sizes, early = audio_chunk_sizes(stack.stub, protos, SENTENCE, chunk_ms=200)
    assert sizes[0] == NATIVE_RATE * 50 // 1000, f"first chunk {sizes[0]} samples, want 50 ms: {sizes}"
    assert all(n <= NATIVE_RATE * 200 // 1000 for n in sizes), sizes
    node = start_node(node_id="itest-whole-phrase", env={"SCAISPEAK_VOICE_PATH": VOICE, "SCAISPEAK_FIRST_CHUNK_MS": 0})
    stub = harness.NodeStub(protos, node.address)
    try:
        sizes0, whole = audio_chunk_sizes(stub, protos, SENTENCE, chunk_ms=200)
    finally:
        stub.close()
    assert sizes0[0] == NATIVE_RATE * 200 // 1000, f"first_chunk_ms 0: first chunk {sizes0[0]} samples: {sizes0}"
    assert whole.pcm == early.pcm, "the early first chunk changed the samples"

@pytest.mark.skipif(harness.SAN, reason="ASan's allocator and quarantine hand out fresh pages by design")
def test_a_short_first_request_does_not_make_later_ones_fault(protos, start_node):
    """A node used to hand each sentence's heap back to the kernel at its end
    and fault it in again (glibc's adaptive thresholds, set by whatever the
    process served first; common/malloc_tuning.h): ~220 page faults and up
    to twice the CPU per sentence for the life of the process. Counted in
    page faults, not time: a fresh node, "Hi.", sentences to warm up, then
    ten more (0-1 faults each now)."""
    node = start_node(node_id="itest-heap", env={"SCAISPEAK_VOICE_PATH": VOICE})
    stub = harness.NodeStub(protos, node.address)
    try:
        synthesize(stub, protos, "Hi.")
        for _ in range(10):  # the first ones grow the heap and the node's caches
            synthesize(stub, protos, SENTENCE)
        before = harness.minor_faults(node.proc.pid)
        for _ in range(10):
            synthesize(stub, protos, SENTENCE)
        per_request = (harness.minor_faults(node.proc.pid) - before) / 10
    finally:
        stub.close()
    assert per_request < 50, f"{per_request:.0f} page faults per sentence after a short first request"


def test_client_cancel_is_seen_by_the_node(stack, protos):
    grpc = harness.grpc_module()
    node = stack.node
    wait_idle(node)
    cancelled_before = synth_count(node, "CANCELLED")
    rid = "req_itestsynthcancel0001"
    # Five minutes of speech: the engine makes a minute in ~120 ms, and gRPC's
    # flow-control window takes several MB, so a minute could be finished
    # before this client has read two chunks and cancelled.
    call = stack.stub.Synthesize(protos.tts.SynthesizeRequest(text=" ".join([LONG_TEXT] * 5), request_id=rid,
                                                              chunk_ms=50),
                                 timeout=60 * SLOW)
    got_audio = 0
    for c in call:
        if c.WhichOneof("kind") == "audio":
            got_audio += 1
            if got_audio == 2:
                break
    assert got_audio == 2
    call.cancel()
    with pytest.raises(grpc.RpcError) as info:
        for _ in call:
            pass
    assert info.value.code() == grpc.StatusCode.CANCELLED
    wait_for(lambda: synth_count(node, "CANCELLED") >= cancelled_before + 1, 10 * SLOW,
             what="the node counting the cancelled call")
    wait_idle(node)
    log = node.proc.log_text()
    mine = [l for l in log.splitlines() if rid in l]
    assert any("Synthesize ends CANCELLED" in l for l in mine), "\n".join(mine)
    assert not any("Synthesize done" in l for l in mine), "the node finished a cancelled call"
    # And it keeps serving.
    assert synthesize(stack.stub, protos, "Still here.").samples > 0


def test_deadline_of_50_ms_on_a_long_text(stack, protos):
    grpc = harness.grpc_module()
    node = stack.node
    wait_idle(node)
    rid = "req_itestsynthdeadline01"
    req = protos.tts.SynthesizeRequest(text=LONG_TEXT, request_id=rid)
    with pytest.raises(grpc.RpcError) as info:
        list(stack.stub.Synthesize(req, timeout=0.05))
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, info.value
    # The node stops the call (it never finishes a minute of speech), then
    # idles. When the call reached it before the deadline (the usual case) its
    # log and metrics name the deadline.
    wait_idle(node)
    mine = [l for l in node.proc.log_text().splitlines() if rid in l]
    assert not any("Synthesize done" in l for l in mine), "\n".join(mine)
    if any("Synthesize:" in l for l in mine):
        assert any("Synthesize ends DEADLINE_EXCEEDED" in l for l in mine), "\n".join(mine)
        assert synth_count(node, "DEADLINE_EXCEEDED") >= 1
    assert synthesize(stack.stub, protos, "Still here.").samples > 0


# ---------------------------------------------------------------- load

def test_overload_gets_resource_exhausted_rest_complete(procs, protos, start_node):
    grpc = harness.grpc_module()
    slots, depth = 2, 2
    node = start_node(node_id="itest-load", env={"SCAISPEAK_VOICE_PATH": VOICE, "SCAISPEAK_SLOTS": slots,
                                                 "SCAISPEAK_QUEUE_DEPTH": depth})
    stub = harness.NodeStub(protos, node.address)
    # ~40 s of speech per call: the admitted calls are still running when the
    # last of the 16 arrives (they are sent within milliseconds of each other).
    text = " ".join([SIX_SENTENCES] * 3)
    n = 4 * (slots + depth)
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def one(i):
        barrier.wait()
        try:
            outcomes[i] = synthesize(stub, protos, text, timeout=120, request_id=f"req_itestload{i:011d}")
        except grpc.RpcError as e:
            outcomes[i] = e
        except AssertionError as e:
            outcomes[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180 * SLOW)
    assert not any(t.is_alive() for t in threads), "a Synthesize call never ended"
    done = [o for o in outcomes if isinstance(o, Result)]
    errors = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    broken = [o for o in outcomes if isinstance(o, AssertionError)]
    assert not broken, broken
    codes = sorted(e.code().name for e in errors)
    assert codes == ["RESOURCE_EXHAUSTED"] * (n - slots - depth), codes
    for e in errors:
        assert "busy" in (e.details() or ""), e.details()
    assert len(done) == slots + depth
    assert len({r.samples for r in done}) == 1, [r.samples for r in done]
    assert done[0].ms > 30000, done[0].ms
    text_m = metrics_text(node)
    assert synth_count(node, "RESOURCE_EXHAUSTED", text_m) == n - slots - depth
    assert synth_count(node, "OK", text_m) == slots + depth
    wait_idle(node)
    stub.close()
    # Clean exit after the load (the SAN build would report leaks here).
    rc, killed = node.proc.terminate()
    assert not killed and rc == 0, f"node exit {harness.describe_status(rc)} after SIGTERM"
    assert node.proc.sanitizer_report() is None, node.proc.sanitizer_report()
    assert "scaispeak-node stopped" in node.proc.log_text()
