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


def run(*args, timeout=120, env=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


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


def test_base_statistics_are_kept_in_the_voice_cache(tmp_path, kal_clip):
    """--voice-ref without --voice measures every base voice's own statistics
    (~0.9 s of CPU each); the first run keeps them in the voice cache and the
    next runs read them: the same choice, the same samples. A damaged file is
    measured again with a note, one measured under another key silently, an
    unwritable cache is noted and the run still succeeds."""
    cache = tmp_path / "xdg" / "scaispeak"
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "SCAISPEAK_VOICE_CACHE_DIR": "auto"}

    def synth(name, extra_env=None):
        out = tmp_path / name
        res = run("synth", "--text", TEXT, "--voice-ref", str(kal_clip), "-o", str(out),
                  env={**env, **(extra_env or {})})
        assert res.returncode == 0, res.stderr
        choice = [line for line in res.stderr.splitlines() if "nearest base voice" in line]
        assert len(choice) == 1, res.stderr
        return out.read_bytes(), choice[0], res.stderr

    first, choice, _ = synth("first.wav")
    stats = sorted(p.name for p in cache.glob("*.stats"))
    assert len(stats) == 4 and {"cg_rms.stats", "cg_awb.stats", "cg_slt_cg.stats"} <= set(stats), stats
    kept = {name: (cache / name).read_bytes() for name in stats}
    assert all(b"/proc/self/exe" in kept[n] and b"libflite.so" in kept[n] for n in stats)
    assert b"libflite_cmu_us_awb" in kept["cg_awb.stats"] and b"libflite_cmu_us_rms" not in kept["cg_awb.stats"]
    assert b"htsvoice" in kept[[n for n in stats if not n.startswith("cg_")][0]]

    again, choice2, err = synth("again.wav")
    assert again == first and choice2 == choice and "voice cache" not in err
    assert {n: (cache / n).read_bytes() for n in stats} == kept, "a current file is not rewritten"

    (cache / "cg_awb.stats").write_bytes(kept["cg_awb.stats"][:-10])         # damaged (cut short)
    rms = bytearray(kept["cg_rms.stats"])
    rms[rms.index(b"/proc/self/exe") + 1] ^= 0x20                          # another key
    (cache / "cg_rms.stats").write_bytes(bytes(rms))
    third, choice3, err = synth("third.wav")
    assert third == first and choice3 == choice
    assert "cg_awb.stats unusable" in err and "measured again" in err and "cg_rms" not in err, err
    assert {n: (cache / n).read_bytes() for n in stats} == kept, "both measured again and rewritten"

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    off, choice4, err = synth("off.wav", {"SCAISPEAK_VOICE_CACHE_DIR": str(blocker / "cache")})
    assert off == first and choice4 == choice
    assert "statistics measured, not kept" in err, err
    _, _, err = synth("none.wav", {"SCAISPEAK_VOICE_CACHE_DIR": "off"})
    assert "voice cache" not in err, err
