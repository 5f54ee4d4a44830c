"""Engine parity with libHTSEngine 1.10 and streaming equivalence.

Runs festival (tests/oracle/festival_labels.sh) on the 20 eval sentences into
a temp dir, then:
  * tests/tools/hts_parity: identical state durations and voicing, MCP/LF0
    within 1e-3, identical length, waveform LSD <= 1 dB on voiced frames,
    and the MLSA cell mode (float lanes) within one 16-bit step and 0.05 dB
    LSD of the sequential double filter;
  * tests/tools/engine_stream_check: phrase-streamed audio equals one-shot
    (identical length, LSD <= 0.5 dB, no step at the joins).
"""
import os
import re
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SCAISPEAK_BUILD", os.path.join(ROOT, "build"))
VOICE = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"
SENTENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "harvard_sentences.txt")


@pytest.fixture(scope="module")
def labels():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([os.path.join(ROOT, "tests/oracle/festival_labels.sh"), SENTENCES, d],
                       check=True, stdout=subprocess.DEVNULL)
        files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".lab"))
        assert len(files) == 20
        yield files


def run_tool(name, args):
    tool = os.path.join(BUILD, "tests", name)
    assert os.access(tool, os.X_OK), f"{tool} not built"
    p = subprocess.run([tool, VOICE] + args, capture_output=True, text=True, timeout=300)
    print(p.stdout)
    print(p.stderr)
    summary = [l for l in p.stdout.splitlines() if l.startswith("SUMMARY")]
    assert summary, "tool printed no summary"
    fields = dict(kv.split("=") for kv in summary[-1].split()[1:])
    return p.returncode, fields


@pytest.mark.parametrize("extra", [[], ["--speed", "1.3", "--pitch", "4"], ["--speed", "0.7", "--pitch", "-6"]])
def test_parity_with_hts_engine(labels, extra):
    rc, f = run_tool("hts_parity", labels + extra)
    assert int(f["files"]) == 20
    assert int(f["dur_mismatch"]) == 0
    assert int(f["voicing_mismatch"]) == 0
    assert float(f["mcp_maxabs"]) <= 1e-3
    assert float(f["lf0_maxabs"]) <= 1e-3
    assert float(f["lsd_max_dB"]) <= 1.0
    # MLSA cell mode vs the sequential filter (docs/ENGINE-IMPL.md, "MLSA cells")
    assert float(f["cells_maxabs"]) <= 1.0
    assert float(f["cells_lsd_max_dB"]) <= 0.05
    assert int(f["failed"]) == 0 and rc == 0


def test_streaming_equals_one_shot(labels):
    rc, f = run_tool("engine_stream_check", labels)
    assert int(f["files"]) == 20
    assert float(f["lsd_max_dB"]) <= 0.5
    assert float(f["join_step_max"]) <= 1.0
    assert int(f["failed"]) == 0 and rc == 0
