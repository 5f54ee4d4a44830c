"""The text front end through the CLI on input a careless or hostile caller
sends: 1 MB of text on one line, invalid UTF-8, control characters, a
10 000-digit number, broken SSML. Each must give labels or a clear error, never
a crash or a hang (a timeout fails the test)."""
import os
import subprocess

BUILD = os.environ.get("SCAISPEAK_BUILD",
                       os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CLI = os.path.join(BUILD, "bin", "scaispeak")


def run_labels(tmp_path, data, timeout=300):
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    return subprocess.run([CLI, "labels", "-f", str(path)], capture_output=True,
                          timeout=timeout)


def check_no_crash(res):
    assert res.returncode in (0, 1), (res.returncode, res.stderr[-500:])
    assert b"AddressSanitizer" not in res.stderr and b"runtime error:" not in res.stderr
    if res.returncode == 1:
        assert res.stderr.strip(), "an error must say why"


def test_one_megabyte_on_one_line(tmp_path):
    unit = ("On Jan. 3, 2024 Dr. Smith paid $1,234.56 for 12 kg of apples at 10:30 a.m., "
            "and NASA called the FBI at 555-0100. ")
    data = (unit * (1024 * 1024 // len(unit) + 1))[:1024 * 1024].encode()
    res = run_labels(tmp_path, data)
    assert res.returncode == 0, res.stderr[-500:]
    labels = res.stdout.count(b"\n")
    assert labels > 100000, labels  # about 120 phones per unit, 8 000 units


def test_invalid_utf8_and_control_characters(tmp_path):
    res = run_labels(tmp_path, b"Hello \xff\xfe world\x01\x02 and \xc3( more.\n")
    check_no_crash(res)


def test_ten_thousand_digit_number(tmp_path):
    res = run_labels(tmp_path, b"The number " + b"7" * 10000 + b" is large.\n")
    check_no_crash(res)


def test_broken_and_deeply_nested_ssml(tmp_path):
    for doc in (b"<speak>unclosed <prosody rate='slow'>text</speak>\n",
                b"<speak>" + b"<p>" * 500 + b"deep" + b"</p>" * 500 + b"</speak>\n",
                b"<speak><unknown attr='1'>hi</unknown> <break time='-5s'/></speak>\n"):
        res = run_labels(tmp_path, doc)
        check_no_crash(res)
