"""The CLI's voice commands: `scaispeak synth --design/--voice-ref` and
`scaispeak analyze`, with a reference made by festival's kal voice (a male
voice: without --voice the CLI clones it onto rms or awb, the base a node
would choose)."""
import os
import subprocess

import pytest

import harness

CLI = os.path.join(harness.build_dir(), "bin", "scaispeak")
TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."


def run(*args, timeout=120):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def duration(path):
    return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True,
                                check=True).stdout)


@pytest.fixture(scope="module")
def kal_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "kal.wav"
    text = ("A reference clip of a male speaker. He reads a few plain sentences for the test, "
            "slowly and clearly, so that the analysis has enough voiced speech to work with. "
            "The quick brown fox jumps over the lazy dog near the bank of the river.")
    subprocess.run(["text2wave", "-eval", "(voice_kal_diphone)", "-o", str(path)], input=text,
                   text=True, capture_output=True, check=True, timeout=60)
    return path


def test_design_prompt_changes_the_voice(tmp_path):
    plain, slow = tmp_path / "plain.wav", tmp_path / "slow.wav"
    assert run("synth", "--text", TEXT, "-o", str(plain)).returncode == 0
    res = run("synth", "--text", TEXT, "--design", "deep, slow, elderly male narrator", "-o", str(slow))
    assert res.returncode == 0, res.stderr
    assert duration(slow) > 1.15 * duration(plain), "a slow narrator speaks for longer"


def test_voice_ref_and_analyze(tmp_path, kal_clip):
    out = tmp_path / "cloned.wav"
    res = run("synth", "--text", TEXT, "--voice-ref", str(kal_clip), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert duration(out) > 1.0
    # no --voice: the clone goes to the nearest base voice, a male one for kal
    assert "nearest base voice rms " in res.stderr or "nearest base voice awb " in res.stderr, res.stderr
    res = run("analyze", str(kal_clip))
    assert res.returncode in (0, 3), res.stderr  # 3: preflight failed (festival's clip peaks at 0 dBFS)
    assert "preflight.duration_s" in res.stdout and "preflight.snr_db" in res.stdout


def test_bad_references_and_arguments(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio at all")
    res = run("synth", "--text", "Hi.", "--voice-ref", str(junk), "-o", str(tmp_path / "x.wav"))
    assert res.returncode != 0 and res.stderr.strip() and not (tmp_path / "x.wav").exists()
    assert run("synth", "--text", "Hi.", "--voice-ref", str(junk), "--design", "deep",
               "-o", str(tmp_path / "y.wav")).returncode == 2
    res = run("analyze", str(junk))
    assert res.returncode not in (0, 3) and res.returncode > 0 and res.stderr.strip()
    assert run("analyze").returncode == 2
