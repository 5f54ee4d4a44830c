"""flite's clustergen voices as engine voices of the node (issue 17 point 1,
stage 2): real redis-server, scaispeak-gateway and scaispeak-node (the HTS
engine plus the default cg_voices "rms,awb,slt_cg"), spoken to with Debian
python3-grpcio and over HTTP.

  * ListEngines and the gateway's node record list the HTS engine first (the
    default) and the three voices with kind, 16 kHz and gender/accent/language;
  * /speak with voice_id rms, awb and slt_cg answers a WAV at the asked rate
    that sox decodes, spoken by that engine (the node's log names it), with
    word timestamps in order and within the audio;
  * a Synthesize call with timestamps: phonemes and words monotonic and
    covering the audio, audio in more than one chunk for two sentences;
    speed 2 shortens it; out-of-range speed is INVALID_ARGUMENT;
  * one sentence arrives in chunk_ms chunks (vocoded chunk by chunk), with
    the same samples whatever chunk_ms;
  * SSML: a 1 s <break> adds a second of audio, <prosody rate="200%"> halves
    the duration, word offsets point at the words in the document; bad SSML
    is INVALID_ARGUMENT;
  * a client cancel after the first audio stops the call (the node counts
    it CANCELLED and never finishes it) and the node keeps serving;
  * two voices at once give the same samples as one at a time (the flite
    lock and per-call state keep concurrent calls apart);
  * the voice library lists them as platform global voices (after the
    default, with gender_hint, accent, language), its filters find them,
    /speak works with the listed ids, a tenant may not change or erase
    them; records the previous gateway wrote (unindexed, language "en")
    are indexed and completed at connect, an operator's edit kept, and a
    second gateway changes nothing; with no node serving the engine the
    voice is still listed and /speak answers 502 naming the engine;
  * OpenAI's built-in voice names on /v1/audio/speech: the male ones (onyx,
    echo, fable) speak with rms/awb, the others with the default voice (the
    default openai_voices setting); a bad setting stops the gateway with a
    start error saying why;
  * cloning picks the nearest base voice (issue 17 point 2): a cloned voice
    asked of the HTS engine with a male reference (festival's kal_diphone)
    is spoken by a male clustergen engine (ChunkHeader.engine_id, native
    16 kHz), with the reference protocol intact (reference_required, then
    served from the cache); a female reference (flite slt) stays with a
    female base; `scaispeak synth --voice-ref CLIP`, with --voice BASE or
    choosing the base itself, gives the node's samples for the same clip;
  * `scaispeak synth --voice rms|awb|slt_cg` gives the node's samples for
    the same SSML and rate (16 kHz without --rate), prints word timings
    whose byte ranges point at the words, and refuses --labels and --design
    (exit 2), bad SSML and empty text (exit 1) without leaving a file.
No assertion is a wall-clock timing.
"""

import hashlib
import json
import os
import subprocess
import threading
import wave

import pytest

import harness
from harness import SLOW, assert_ok
from test_node_synth import LONG_TEXT, cli, synth_count, synth_error, synthesize, wait_idle
from test_speak import admin, key_for, speak

CG = {"rms": ("male", "us", "en-US"), "awb": ("male", "scottish", "en-GB"),
      "slt_cg": ("female", "us", "en-US")}
TWO_SENTENCES = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(f"/usr/lib/x86_64-linux-gnu/libflite_cmu_us_{v}.so.1") for v in ("rms", "awb", "slt")),
    reason="flite's clustergen voice libraries are not installed")


class Stack:
    pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory, protos):
    ps = harness.ProcessSet(tmp_path_factory.mktemp("cg_voices"))
    s = Stack()
    try:
        s.redis = harness.RedisServer(ps).start()
        s.gateway = harness.Gateway(ps, s.redis.port).start()
        s.node = harness.Node(ps, s.gateway.grpc_target, node_auth_key=s.gateway.node_auth_key,
                              node_id="itest-cg", env={"SCAISPEAK_VOICE_PATH": None,
                                                       "SCAISPEAK_CG_VOICES": None, "SCAISPEAK_SLOTS": 2}).start()
    except BaseException:
        problems = ps.close()
        if problems:
            print("\n".join(problems))
        raise
    s.procs = ps
    s.stub = harness.NodeStub(protos, s.node.address)
    yield s
    s.stub.close()
    problems = ps.close()
    if problems:
        pytest.fail("process problems at teardown:\n" + "\n".join(problems) + "\n\n" + ps.log_tails(),
                    pytrace=False)


@pytest.fixture(autouse=True)
def _attach_stack_logs(request):
    if "stack" in request.fixturenames:
        request.node._ss_procs = request.getfixturevalue("stack").procs
    yield


def check_timings(r):
    phones, words = r.phonemes(), r.words()
    assert phones and words, r.kinds
    for seq in (phones, words):
        assert all(a.start_ms <= a.end_ms for a in seq), seq
        assert all(a.end_ms <= b.start_ms + 1 for a, b in zip(seq, seq[1:])), seq
    assert phones[0].start_ms == 0
    assert abs(phones[-1].end_ms - r.ms) <= 6, (phones[-1].end_ms, r.ms)  # a 5 ms frame + rounding
    assert all(w.char_start <= w.char_end for w in words)


def test_engines_listed_with_their_metadata(stack, protos):
    le = stack.stub.ListEngines(protos.tts.ListEnginesRequest(), timeout=5 * SLOW)
    ids = [e.engine_id for e in le.engines]
    assert ids == ["scaispeak-hts-en", "rms", "awb", "slt_cg"], ids
    assert (le.engines[0].gender, le.engines[0].language) == ("female", "en-US")
    for e in le.engines[1:]:
        assert e.kind == "clustergen" and e.sample_rate == 16000, e
        assert (e.gender, e.accent, e.language) == CG[e.engine_id], e
    n = stack.gateway.wait_node_status(stack.node.node_id, "online", 5.0)
    got = {e["engine_id"]: (e.get("gender"), e.get("accent"), e.get("language")) for e in n["engines"]}
    for eid, meta in CG.items():
        assert got.get(eid) == meta, n["engines"]
    assert any(x["node_id"] == stack.node.node_id for x in stack.gateway.nodes("?engine=rms"))


@pytest.mark.parametrize("voice,rate", [("rms", 24000), ("awb", 16000), ("slt_cg", 48000)])
def test_speak_with_each_voice_id(stack, voice, rate, tmp_path):
    gw = stack.gateway
    gw.wait_node_status(stack.node.node_id, "online", 5.0)
    key = key_for(stack.redis, admin(stack.redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0])
    resp = speak(gw, key, {"text": "It is easy to tell the depth of a well.", "voice_id": voice,
                           "sample_rate": rate, "timestamps": True}, headers={"Accept": "application/json"})
    data = assert_ok(resp)
    assert data["voice_id"] == voice, data
    import base64
    wav = tmp_path / f"{voice}.wav"
    wav.write_bytes(base64.b64decode(data["audio_base64"]))
    assert subprocess.run(["soxi", "-r", str(wav)], capture_output=True, text=True).stdout.strip() == str(rate)
    seconds = harness.audio_seconds(str(wav))
    assert 1.0 < seconds < 5.0, seconds
    words = data["timestamps"]["words"]
    assert [w["text"].lower() for w in words][:3] == ["it", "is", "easy"], words
    assert all(a["start_ms"] <= b["start_ms"] and a["end_ms"] <= b["start_ms"] + 1
               for a, b in zip(words, words[1:])), words
    assert words[-1]["end_ms"] <= data["duration_ms"] + 6
    harness.wait_for(lambda: f"Synthesize: engine {voice}," in stack.node.proc.log_text(), 5 * SLOW,
                     what=f"node log names engine {voice}")


def test_streamed_timed_and_sped_up(stack, protos):
    r = synthesize(stack.stub, protos, TWO_SENTENCES, engine_id="rms", want_timestamps=True, sample_rate=16000)
    assert r.rate == 16000 and r.header.engine_id == "rms", r.header
    assert r.audio_chunks > 1 and r.alignments and len(r.alignments) == 2, r.kinds
    check_timings(r)
    assert [w.text for w in r.words()][:3] == ["The", "birch", "canoe"]  # as written
    # a token said as several words is one timing over all of them, named as written
    text = "Call 555 1234 now, for $5."
    n = synthesize(stack.stub, protos, text, engine_id="rms", want_timestamps=True, sample_rate=16000)
    check_timings(n)
    words = n.words()
    assert [w.text for w in words] == ["Call", "555", "1234", "now", "for", "$5"], [w.text for w in words]
    assert [text.encode()[w.char_start:w.char_end].decode() for w in words] == [w.text for w in words]
    assert words[1].end_ms - words[1].start_ms > 2 * (words[0].end_ms - words[0].start_ms)  # five five five
    fast = synthesize(stack.stub, protos, TWO_SENTENCES, engine_id="rms", speed=2.0)
    assert 0.4 < fast.samples / r.samples < 0.7, (fast.samples, r.samples)
    grpc = harness.grpc_module()
    e = synth_error(stack.stub, protos, engine_id="awb", text="Hello.", speed=9.0)
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.details()


def test_one_sentence_streams_in_chunks_with_the_same_samples(stack, protos):
    # within a sentence the audio leaves chunk by chunk (cg_stream.h); the
    # chunking changes nothing in the samples (the unit tests prove the
    # vocoder part bit for bit; this is the node's whole path, soxr included)
    text = "The birch canoe slid on the smooth planks."
    small = synthesize(stack.stub, protos, text, engine_id="rms", sample_rate=24000, chunk_ms=40)
    whole = synthesize(stack.stub, protos, text, engine_id="rms", sample_rate=24000, chunk_ms=10000)
    assert small.audio_chunks >= small.ms // 40 - 1 > whole.audio_chunks, (small.audio_chunks, whole.audio_chunks)
    assert small.pcm == whole.pcm, "the audio depends on chunk_ms"


def test_ssml_break_and_prosody(stack, protos):
    plain = synthesize(stack.stub, protos, "<speak>Hello there. Goodbye now.</speak>", engine_id="awb",
                       sample_rate=16000)
    doc = "<speak>Hello there.<break time='1s'/> Goodbye now.</speak>"
    brk = synthesize(stack.stub, protos, doc, engine_id="awb", sample_rate=16000, want_timestamps=True)
    assert 900 < brk.ms - plain.ms < 1100, (brk.ms, plain.ms)
    check_timings(brk)
    words = brk.words()
    assert [doc[w.char_start:w.char_end].lower().rstrip(".") for w in words] == ["hello", "there", "goodbye", "now"], words
    fast = synthesize(stack.stub, protos, "<speak><prosody rate='200%'>Hello there. Goodbye now.</prosody></speak>",
                      engine_id="awb", sample_rate=16000)
    assert 0.4 < fast.samples / plain.samples < 0.7, (fast.samples, plain.samples)
    grpc = harness.grpc_module()
    e = synth_error(stack.stub, protos, engine_id="awb", text="<speak>Hello <break time='1s'> there.</speak>")
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "SSML" in e.details(), e.details()


def test_client_cancel_stops_the_call(stack, protos):
    grpc = harness.grpc_module()
    node = stack.node
    wait_idle(node)
    before = synth_count(node, "CANCELLED")
    rid = "req_itestcgcancel0001"
    call = stack.stub.Synthesize(protos.tts.SynthesizeRequest(text=LONG_TEXT * 2, engine_id="slt_cg",
                                                              request_id=rid, chunk_ms=50), timeout=60 * SLOW)
    for c in call:
        if c.WhichOneof("kind") == "audio":
            break
    call.cancel()
    with pytest.raises(grpc.RpcError) as info:
        for _ in call:
            pass
    assert info.value.code() == grpc.StatusCode.CANCELLED
    harness.wait_for(lambda: synth_count(node, "CANCELLED") >= before + 1, 10 * SLOW,
                     what="the node counting the cancelled call")
    wait_idle(node)
    mine = [line for line in node.proc.log_text().splitlines() if rid in line]
    assert any("Synthesize ends CANCELLED" in line for line in mine), "\n".join(mine)
    assert not any("Synthesize done" in line for line in mine), "the node finished a cancelled call"
    assert synthesize(stack.stub, protos, "Still here.", engine_id="slt_cg").samples > 0


def test_two_voices_at_once_equal_one_at_a_time(stack, protos):
    text = " ".join([TWO_SENTENCES] * 3)  # long enough for the two calls to overlap
    voices = ("rms", "awb")

    def call(v):
        r = synthesize(stack.stub, protos, text, engine_id=v, sample_rate=22050)
        assert r.rate == 22050 and r.header.engine_id == v, r.header
        return r.pcm

    alone = {v: call(v) for v in voices}
    got, errors = {}, []

    def run(v):
        try:
            got[v] = call(v)
        except Exception as ex:  # reported below, with the voice
            errors.append((v, ex))

    threads = [threading.Thread(target=run, args=(v,)) for v in voices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * SLOW)
    assert not errors, errors
    for v in voices:
        assert got[v] == alone[v], f"{v}: concurrent audio differs from a call alone"


# --- the voices in the voice library (issue 17 point 1: platform global voices)

VOICES = "/v1/modules/scaispeak/voices"
PLATFORM = ["vc_platform_slt", "slt_cg", "rms", "awb"]  # index time 0, descending id
LIBRARY = {"rms": ("male", "us", "en-US"), "awb": ("male", "scottish", "en-GB"),
           "slt_cg": ("female", "us", "en-US")}


def library(gw, key, query=""):
    r = gw.http.request("GET", f"{VOICES}?limit=200{query}", headers={"Authorization": f"Bearer {key}"})
    data = assert_ok(r)
    assert data["next_cursor"] is None, data
    return data["items"]


def test_library_lists_filters_and_speaks_with_them(stack):
    gw = stack.gateway
    gw.wait_node_status(stack.node.node_id, "online", 5.0)
    key = key_for(stack.redis, admin(stack.redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0])
    items = library(gw, key, "&scope=global")
    assert [v["voice_id"] for v in items] == PLATFORM, items
    for v in items[1:]:
        assert (v["gender_hint"], v["accent"], v["language_primary"]) == LIBRARY[v["voice_id"]], v
        assert (v["scope"], v["intake_mode"], v["engine"], v["embedding_status"]) == \
            ("global", "builtin", v["voice_id"], "ready"), v
        assert v["language_supported"] == [v["language_primary"]] and "_index" not in v, v
    assert [v["voice_id"] for v in library(gw, key, "&gender=male")] == ["rms", "awb"]
    assert [v["voice_id"] for v in library(gw, key, "&gender=female")] == ["vc_platform_slt", "slt_cg"]
    assert [v["voice_id"] for v in library(gw, key, "&language=en-GB")] == ["awb"]
    assert [v["voice_id"] for v in library(gw, key, "&language=en")] == PLATFORM
    assert [v["voice_id"] for v in library(gw, key, "&q=scottish")] == ["awb"]
    assert [v["voice_id"] for v in library(gw, key, "&accent=scottish")] == ["awb"]
    assert [v["voice_id"] for v in library(gw, key, "&accent=US")] == ["vc_platform_slt", "slt_cg", "rms"]
    assert library(gw, key, "&accent=welsh") == []
    bad = gw.http.request("GET", f"{VOICES}?accent=u%20s", headers={"Authorization": f"Bearer {key}"})
    harness.assert_error(bad, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in json.loads(bad.body)["error"]["details"]] == ["accent"], bad.body
    one = assert_ok(gw.http.request("GET", f"{VOICES}/rms", headers={"Authorization": f"Bearer {key}"}))
    assert one["accent"] == "us" and one["display_name"] == "RMS (US English, male)", one
    # speak with the ids the list gave, as a client would
    for v in library(gw, key, "&gender=male"):
        resp = speak(gw, key, {"text": "Hello there.", "voice_id": v["voice_id"], "response_format": "pcm"})
        assert resp.status == 200 and resp.header("X-Scaispeak-Voice-Id") == v["voice_id"], resp.body[:300]
        assert len(resp.body) > 16000, len(resp.body)  # well over half a second at 24 kHz
    # a tenant changes or erases them no more than the platform default
    auth = {"Authorization": f"Bearer {key}"}
    for vid in ("rms", "awb", "slt_cg"):
        harness.assert_error(gw.http.request("PATCH", f"{VOICES}/{vid}", json_body={"description": "x"}, headers=auth),
                             403, "AUTHZ_PERMISSION_DENIED")
        harness.assert_error(gw.http.request("DELETE", f"{VOICES}/{vid}", headers=auth), 403,
                             "AUTHZ_PERMISSION_DENIED")
    assert [v["voice_id"] for v in library(gw, key, "&scope=global")] == PLATFORM


@pytest.mark.parametrize("name,voice", [("onyx", "rms"), ("echo", "rms"), ("fable", "awb"),
                                        ("alloy", "vc_platform_slt"), ("nova", "vc_platform_slt")])
def test_openai_voice_names_pick_voices_of_their_gender(stack, name, voice):
    # the default openai_voices setting: OpenAI's male names speak with the
    # male engine voices, the others with the platform default
    gw = stack.gateway
    gw.wait_node_status(stack.node.node_id, "online", 5.0)
    key = key_for(stack.redis, admin(stack.redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0])
    r = speak(gw, key, {"model": "tts-1", "input": "Hello there.", "voice": name, "response_format": "pcm"},
              path="/v1/audio/speech")
    assert r.status == 200 and r.header("X-Scaispeak-Voice-Id") == voice, (r.status, r.headers, r.body[:300])
    assert len(r.body) > 16000, len(r.body)


@pytest.mark.parametrize("setting,words", [("bogus=rms", "'bogus' is not one of OpenAI's voice names"),
                                           ("onyx=rms,onyx=awb", "onyx is listed twice"),
                                           ("onyx=r ms", "onyx: the voice id must be")])
def test_a_bad_openai_voices_setting_stops_the_gateway(tmp_path, setting, words):
    ps = harness.ProcessSet(tmp_path)
    try:
        gw = harness.Gateway(ps, 1, env={"SCAISPEAK_OPENAI_VOICES": setting})
        gw.proc = ps.spawn(gw.name, [harness.binary("scaispeak-gateway")], harness.child_env(gw.env))
        rc = gw.proc.wait(15 * SLOW)
        gw.proc.stopped_by_test = True  # the exit is what is being tested
        log = gw.proc.log_text()
        assert rc > 0, f"gateway exit {harness.describe_status(rc)} with openai_voices={setting!r}:\n{log[-2000:]}"
        assert "cannot start the OpenAI voice names: openai_voices: " + words in log, log[-2000:]
    finally:
        ps.close()


def previous_record(vid, name, description, gender):
    """The record as the gateway before this change wrote it (voice_store.c:
    no index member, no accent, language "en"), in jansson's compact form."""
    return json.dumps({"voice_id": vid, "display_name": name, "description": description, "scope": "global",
                       "tenant_id": None, "owner_user_id": None, "language_primary": "en",
                       "language_supported": ["en"], "gender_hint": gender, "age_hint": "adult",
                       "style_tags": ["neutral"], "intake_mode": "builtin", "engine": vid,
                       "embedding_status": "ready", "embedding_status_reason": None,
                       "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z"},
                      separators=(",", ":"))


def test_records_of_the_previous_version_are_indexed_and_no_backend_is_answered(tmp_path_factory):
    ps = harness.ProcessSet(tmp_path_factory.mktemp("cg_library_upgrade"))
    try:
        redis = harness.RedisServer(ps).start()
        # rms as an operator edited it, awb untouched, slt_cg absent
        harness.redis_command(redis.port, "SET", "ss:voice:rms",
                              previous_record("rms", "RMS (US English, male)", "our narrator", "male"))
        harness.redis_command(redis.port, "SET", "ss:voice:awb",
                              previous_record("awb", "AWB (Scottish English, male)",
                                              "flite's clustergen awb voice, the awb engine", "male"))
        # the platform default as the gateway before its accent wrote it
        old_default = previous_record("vc_platform_slt", "SLT (US English)", "as an operator described it",
                                      "female").replace('"engine":"vc_platform_slt"', '"engine":"scaispeak-hts-en"')
        old_default = old_default[:-1] + ',"_index":"0000000000000000:vc_platform_slt"}'
        harness.redis_command(redis.port, "SET", "ss:voice:vc_platform_slt", old_default)
        gw = harness.Gateway(ps, redis.port).start()
        key = key_for(redis, admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0])
        harness.wait_for(lambda: [v["voice_id"] for v in library(gw, key, "&scope=global")] == PLATFORM,
                         5 * SLOW, what="the engine voices in the global list")
        got = {v["voice_id"]: v for v in library(gw, key, "&scope=global")}
        for vid, (gender, accent, lang) in LIBRARY.items():
            v = got[vid]
            assert (v["gender_hint"], v["accent"], v["language_primary"], v["language_supported"]) == \
                (gender, accent, lang, [lang]), v
        assert got["rms"]["description"] == "our narrator" and got["rms"]["created_at"] == "2026-12-05T10:00:00Z"
        before = {vid: harness.redis_command(redis.port, "GET", f"ss:voice:{vid}") for vid in LIBRARY}
        # the edited record kept byte for byte, the missing fields appended
        assert before["rms"].startswith(previous_record("rms", "RMS (US English, male)", "our narrator", "male")
                                        .replace('"en"', '"en-US"')[:-1] + ","), before["rms"]
        assert json.loads(before["rms"])["_index"] == "0000000000000000:rms", before["rms"]
        # the platform default: kept byte for byte, its accent appended
        default_after = harness.redis_command(redis.port, "GET", "ss:voice:vc_platform_slt")
        assert default_after == old_default[:-1] + ',"accent":"us"}', default_after
        assert [v["voice_id"] for v in library(gw, key, "&accent=us")] == ["vc_platform_slt", "slt_cg", "rms"]
        # a second gateway on the same Redis changes nothing: idempotent
        gw2 = harness.Gateway(ps, redis.port, name="gateway2").start()
        assert [v["voice_id"] for v in library(gw2, key, "&scope=global")] == PLATFORM
        assert {vid: harness.redis_command(redis.port, "GET", f"ss:voice:{vid}") for vid in LIBRARY} == before
        assert harness.redis_command(redis.port, "GET", "ss:voice:vc_platform_slt") == default_after
        assert harness.redis_command(redis.port, "ZCARD", "ss:voices:global:index") == ":4"
        assert harness.redis_command(redis.port, "SCARD", "ss:voices:global") == ":4"
        # listed, but no node serves the engine (this node has the HTS voice only):
        # the documented no-backend answer, naming the engine
        node = harness.Node(ps, gw.grpc_target, node_auth_key=gw.node_auth_key, node_id="itest-cg-none",
                            env={"SCAISPEAK_VOICE_PATH": None}).start()
        gw.wait_node_status(node.node_id, "online", 5.0)
        r = speak(gw, key, {"text": "Hello there.", "voice_id": "awb"})
        harness.assert_error(r, 502, "SCAISPEAK_BACKEND_UNAVAILABLE")
        assert "awb" in r.body.decode(), r.body[:500]
        assert speak(gw, key, {"text": "Hello there.", "voice_id": "vc_platform_slt"}).status == 200
    finally:
        problems = ps.close()
    assert not problems, "\n".join(problems)


def _reference(tmp_path, name):
    """15 s of a voice nobody here wrote reading a paragraph: festival's
    kal_diphone (male) or flite's slt (female)."""
    txt = tmp_path / "ref.txt"
    txt.write_text("The old lighthouse keeper climbed the winding stairs every evening. He polished the great "
                   "lens until it gleamed, and then he lit the lamp. Ships far out at sea could see the beam "
                   "sweeping across the dark water.\n")
    raw, out = tmp_path / f"{name}_raw.wav", tmp_path / f"{name}.wav"
    if name == "kal":
        cmd = ["text2wave", "-eval", "(voice_kal_diphone)", str(txt), "-o", str(raw)]
    else:
        cmd = ["flite", "-voice", name, "-f", str(txt), "-o", str(raw)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    subprocess.run(["sox", str(raw), str(out), "trim", "0", "12"], check=True, capture_output=True, timeout=60)
    return out.read_bytes()


@pytest.mark.parametrize("ref,bases", [("kal", ("rms", "awb")), ("slt", ("scaispeak-hts-en", "slt_cg"))])
def test_a_clone_is_spoken_by_the_nearest_base_voice(stack, protos, tmp_path, ref, bases):
    for tool in ("text2wave", "flite", "sox"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            pytest.skip(f"{tool} is not installed")
    grpc = harness.grpc_module()
    clip = _reference(tmp_path, ref)
    digest = hashlib.sha256(clip).hexdigest()
    t = protos.tts
    voice_id = f"vc_itest_{ref}"
    err = synth_error(stack.stub, protos, text="Hello there.", engine_id="scaispeak-hts-en",
                      voice=t.VoiceSpec(voice_id=voice_id, reference_sha256=digest))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and err.details() == "reference_required", err
    first = synthesize(stack.stub, protos, TWO_SENTENCES, timeout=60.0, engine_id="scaispeak-hts-en",
                       voice=t.VoiceSpec(voice_id=voice_id, reference_sha256=digest, reference_audio=clip))
    assert first.header.engine_id in bases, first.header
    if first.header.engine_id != "scaispeak-hts-en":
        assert first.rate == 16000, "the clustergen base speaks at its own rate when none is asked"
    again = synthesize(stack.stub, protos, TWO_SENTENCES, engine_id="scaispeak-hts-en", sample_rate=22050,
                       voice=t.VoiceSpec(voice_id=voice_id, reference_sha256=digest))
    assert again.header.engine_id == first.header.engine_id and again.rate == 22050, again.header
    log = stack.node.proc.log_text()
    assert f"chose {first.header.engine_id}" in log, "the node's log does not name its choice"
    if first.header.engine_id in CG:
        # `scaispeak synth --voice BASE --voice-ref CLIP` conditions that base
        # the way the node did: the same samples
        clip_path = tmp_path / "clip.wav"
        clip_path.write_bytes(clip)
        out = tmp_path / "cli_clone.wav"
        p = cli("synth", "--voice", first.header.engine_id, "--voice-ref", clip_path, "--rate", 22050,
                "--text", TWO_SENTENCES, "-o", out)
        assert p.returncode == 0, p.stderr
        assert wav_pcm(out) == (22050, again.pcm), "the CLI's clone differs from the node's"
        # without --voice the CLI chooses the base the way the node did
        chosen = tmp_path / "cli_chosen.wav"
        p = cli("synth", "--voice-ref", clip_path, "--rate", 22050, "--text", TWO_SENTENCES, "-o", chosen,
                timeout=120.0)
        assert p.returncode == 0, p.stderr
        assert f"nearest base voice {first.header.engine_id} " in p.stderr, p.stderr
        assert wav_pcm(chosen) == (22050, again.pcm), "the CLI's own choice differs from the node's"


def wav_pcm(path):
    """(rate, s16le bytes) of a mono 16-bit WAV file."""
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getframerate(), w.readframes(w.getnframes())


@pytest.mark.parametrize("voice,rate", [("rms", 0), ("awb", 24000), ("slt_cg", 48000)])
def test_cli_speaks_each_voice_with_the_nodes_samples(stack, protos, tmp_path, voice, rate):
    # `scaispeak synth --voice rms|awb|slt_cg` runs the node's clustergen
    # orchestration in the CLI's own process: the node's samples, at the
    # voice's own 16 kHz when no --rate is given
    text = "<speak>Read verse out loud. <break time='300ms'/> <prosody rate='slow'>Then rest.</prosody></speak>"
    out = tmp_path / f"{voice}.wav"
    p = cli("synth", "--voice", voice, "--text", text, "-o", out, "--timestamps",
            *(("--rate", rate) if rate else ()))
    assert p.returncode == 0, p.stderr
    node = synthesize(stack.stub, protos, text, engine_id=voice, sample_rate=rate)
    assert wav_pcm(out) == (rate or 16000, bytes(node.pcm)), "the CLI's samples differ from the node's"
    words = [ln.split() for ln in p.stdout.splitlines() if ln.startswith("word ")]
    spans = [tuple(map(int, w[3].split("-"))) for w in words]  # word N chars A-B START END TEXT
    assert [text[a:b].rstrip(".") for a, b in spans] == ["Read", "verse", "out", "loud", "Then", "rest"], p.stdout
    starts = [int(w[4]) for w in words]
    assert starts == sorted(starts) and int(words[-1][5]) <= len(node.pcm) / 2 / (rate or 16000) * 1000 + 6


def test_cli_refuses_what_a_clustergen_voice_cannot_take(tmp_path):
    out = tmp_path / "x.wav"
    labels = tmp_path / "x.lab"
    labels.write_text("x^x-pau+x=x@x_x/A:0_0_0/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:0+0+0\n")
    for args, code in ((("--labels", labels), 2), (("--text", "Hi.", "--design", "deep"), 2),
                       (("--text", "<speak>unclosed"), 1), (("--text", " ... "), 1)):
        p = cli("synth", "--voice", "awb", *args, "-o", out)
        assert p.returncode == code and p.stderr.strip(), (args, p.returncode, p.stderr)
        assert not out.exists(), f"{args} left a file behind"
