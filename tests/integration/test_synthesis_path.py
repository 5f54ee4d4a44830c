"""One text -> audio path: /speak (gateway -> node) and `scaispeak synth` (the
engine in the CLI) both go through the engine's ss_engine_speak, so:

  * SSML is honoured through /speak: <break time="1500ms"/> adds at least
    1.4 s, <prosody rate="slow"> lengthens, <prosody pitch="+4st"> raises the
    median F0 by 3-5 semitones (RAPT from Debian's SPTK measures it);
  * /speak and `scaispeak synth` give the same samples for a list of plain
    and SSML inputs (the test that fails if the two ever take different
    paths again);
  * speed/pitch outside the limits (common/synth_limits.h) get a 422 detail
    from /speak and /v1/audio/speech and INVALID_ARGUMENT from the node,
    worded from the same table (speed: /speak 0.5..2, the alias and the
    node 0.25..4).

Real redis-server, gateway and node processes (test_node_synth's module
stack); the CLI is the real binary.
"""
import array
import os
import subprocess
import wave

import pytest

import harness
from test_node_synth import VOICE, stack, synth_error, cli  # noqa: F401 (stack is a fixture)

SPEAK = "/v1/modules/scaispeak/speak"
OPENAI = "/v1/audio/speech"
SPTK = "/usr/libexec/sptk/bin"

pytestmark = pytest.mark.skipif(not os.path.exists(VOICE), reason=f"{VOICE} not installed")

INPUTS = [
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background. It is easy to tell the depth of a well.",
    '<speak>One <break time="1500ms"/> two.</speak>',
    '<speak>Read it <prosody rate="slow">very slowly</prosody> and then fast.</speak>',
    '<speak><prosody pitch="+4st">A higher voice.</prosody> A normal one.</speak>',
    '<speak><s>Call <say-as interpret-as="telephone">555 0142</say-as>.</s>'
    '<s>It costs <sub alias="twelve dollars">$12</sub>.</s></speak>',
]


@pytest.fixture(scope="module")
def key(stack):
    """An API key of a tenant admin (the CLI provisions it in the stack's Redis)."""
    return harness.tenant_admin_key(stack.redis.port)


def speak(stack, key, body, path=SPEAK):
    return stack.gateway.http.request("POST", path, json_body=body,
                                      headers={"Authorization": f"Bearer {key}"})


def wav_samples(data_or_path):
    """(rate, samples as bytes of s16le) of a WAV."""
    if isinstance(data_or_path, (bytes, bytearray)):
        import io
        data_or_path = io.BytesIO(data_or_path)
    with wave.open(data_or_path if not isinstance(data_or_path, os.PathLike) else str(data_or_path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getframerate(), w.readframes(w.getnframes())


def speak_wav(stack, key, text):
    resp = speak(stack, key, {"text": text, "response_format": "wav", "sample_rate": 32000})
    assert resp.status == 200, resp
    return wav_samples(resp.body)


def cli_wav(tmp_path, text):
    out = tmp_path / f"cli-{abs(hash(text))}.wav"
    p = cli("synth", "--text", text, "--rate", "32000", "-o", out)
    assert p.returncode == 0, p.stderr
    return wav_samples(out)


def seconds(rate_pcm):
    rate, pcm = rate_pcm
    return len(pcm) / 2 / rate


def median_f0(rate_pcm, tmp_path):
    """Median F0 (Hz) over voiced frames: SPTK's RAPT on the audio at 16 kHz."""
    rate, pcm = rate_pcm
    src = tmp_path / "f0.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    raw = subprocess.run(["sox", "-D", "-R", str(src), "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16",
                          "-c", "1", "-"], capture_output=True, check=True).stdout
    floats = subprocess.run([f"{SPTK}/x2x", "+sf"], input=raw, capture_output=True, check=True).stdout
    f0 = subprocess.run([f"{SPTK}/pitch", "-a", "0", "-s", "16", "-p", "80", "-L", "60", "-H", "400", "-o", "1"],
                        input=floats, capture_output=True, check=True).stdout
    values = sorted(v for v in array.array("f", f0) if v > 0)
    assert len(values) > 20, "too few voiced frames to measure F0"
    return values[len(values) // 2]


def semitones(a, b):
    import math
    return 12 * math.log2(a / b)


def test_ssml_break_lengthens_speak(stack, key):
    plain = speak_wav(stack, key, "<speak>One two.</speak>")
    pause = speak_wav(stack, key, '<speak>One <break time="1500ms"/> two.</speak>')
    assert seconds(pause) - seconds(plain) >= 1.4, (seconds(plain), seconds(pause))


def test_ssml_prosody_rate_slow_lengthens_speak(stack, key):
    text = "The quick brown fox jumps over the lazy dog."
    plain = speak_wav(stack, key, f"<speak>{text}</speak>")
    slow = speak_wav(stack, key, f'<speak><prosody rate="slow">{text}</prosody></speak>')
    assert seconds(slow) > 1.15 * seconds(plain), (seconds(plain), seconds(slow))


def test_ssml_prosody_pitch_raises_median_f0(stack, key, tmp_path):
    text = "The quick brown fox jumps over the lazy dog near the quiet river bank."
    plain = speak_wav(stack, key, f"<speak>{text}</speak>")
    high = speak_wav(stack, key, f'<speak><prosody pitch="+4st">{text}</prosody></speak>')
    st = semitones(median_f0(high, tmp_path), median_f0(plain, tmp_path))
    assert 3.0 <= st <= 5.0, f"pitch +4st moved the median F0 by {st:.2f} semitones"


@pytest.mark.parametrize("text", INPUTS, ids=[f"input{i}" for i in range(len(INPUTS))])
def test_speak_and_cli_make_the_same_samples(stack, key, tmp_path, text):
    node_rate, node_pcm = speak_wav(stack, key, text)
    cli_rate, cli_pcm = cli_wav(tmp_path, text)
    assert node_rate == cli_rate == 32000
    assert len(node_pcm) == len(cli_pcm), (len(node_pcm), len(cli_pcm))
    assert node_pcm == cli_pcm, "the node and the CLI took different paths: the samples differ"


@pytest.mark.parametrize("field,value", [("speed", 0.49), ("speed", 2.01), ("speed", 0.2), ("speed", 4.5),
                                         ("speed", "fast"), ("pitch", 12.5), ("pitch", -13)])
def test_out_of_range_same_words_everywhere(stack, key, protos, field, value):
    """Each layer words a refusal from common/synth_limits.h: /speak's range
    (speed 0.5..2), the OpenAI alias's (0.25..4) and the node's (0.25..4,
    every route's range), so a speed /speak refuses may still be a fine
    OpenAI speed, and the node refuses only what no route accepts."""
    resp = speak(stack, key, {"text": "Hello.", field: value})
    assert resp.status == 422, resp
    details = resp.json()["error"]["details"]
    mine = [d for d in details if d["field"] == field]
    assert len(mine) == 1, details
    lo, hi = (0.5, 2) if field == "speed" else (-12, 12)
    assert mine[0]["message"] == f"must be a number from {lo:g} to {hi:g}", mine
    wide = "must be a number from 0.25 to 4" if field == "speed" else mine[0]["message"]
    outside_every_route = isinstance(value, str) or not (-12 <= value <= 12 if field == "pitch"
                                                         else 0.25 <= value <= 4)
    if field == "speed" and outside_every_route:  # the OpenAI alias has speed (no pitch)
        oa = speak(stack, key, {"model": "tts-1", "input": "Hello.", "voice": "alloy", "speed": value}, OPENAI)
        assert oa.status == 422, oa
        assert [d for d in oa.json()["error"]["details"] if d["field"] == "speed"] == \
            [{"field": "speed", "message": wide}]
    if isinstance(value, str) or not outside_every_route:
        return  # the node's wire has no way to send a string; in range: the node accepts it
    e = synth_error(stack.stub, protos, text="Hello.", **{field: value})
    assert e.code() == harness.grpc_module().StatusCode.INVALID_ARGUMENT, e
    assert f"{field} {wide}" in e.details(), e.details()
