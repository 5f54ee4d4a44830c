"""The admin page (gateway/admin/, served by gateway/admin_page.c) in a real
browser (`make test-browser`): headless Debian chromium, driven by npm
playwright-core (tests/browser/admin_flows.mjs), against a real
redis-server, gateway and HTS node.

Checked, one screenshot per flow under the test's tmp_path (and copied to
$SCAISPEAK_SCREENSHOT_DIR when set: `make test-browser` uses
build/test-browser/): the static files answer without credentials, byte for
byte, with the strict CSP; sign-in shows caller, tenant and role; the voice
list with a filter and its second page; a designed voice shows what was
understood; a clone whose reference is too short shows the preflight block;
speak streams PCM over the WebSocket, plays it through Web Audio (bytes
received, milliseconds played) and highlights words; ScaiDrive shows "not
configured" (the gateway has no scaidrive_url); the operator tab lists the
node and drains and undrains it; a keyboard-only pass (Tab/Enter) signs in
and speaks. No page error is logged.

Skipped where chromium, playwright-core, festival's text2wave or the HTS
voice is missing, unless SCAISPEAK_BROWSER_REQUIRED=1 (`make test-browser`
installs them)."""
import json
import os
import shutil
import subprocess

import pytest

import harness
from harness import SLOW
from test_node_synth import VOICE, stack, _attach_stack_logs  # noqa: F401 (fixtures)

CHROMIUM = "/usr/bin/chromium"
SCRIPT = os.path.join(harness.REPO, "tests", "browser", "admin_flows.mjs")
PLAYWRIGHT = os.path.join(harness.REPO, "node_modules", "playwright-core", "package.json")
ADMIN = "/v1/modules/scaispeak/admin/"
TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
CSP = ("default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
       "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")

MISSING = [why for ok, why in [
    (os.path.exists(CHROMIUM), "chromium is not installed (make test-browser)"),
    (os.path.exists(PLAYWRIGHT), "playwright-core is not installed (npm ci)"),
    (shutil.which("text2wave") is not None, "festival's text2wave is not installed"),
    (os.path.exists(VOICE), f"{VOICE} not installed")] if not ok]
REQUIRED = os.environ.get("SCAISPEAK_BROWSER_REQUIRED") == "1"
pytestmark = pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason="; ".join(MISSING))


@pytest.mark.parametrize("path,ctype,source", [
    ("", "text/html; charset=utf-8", "index.html"),
    ("app.js", "application/javascript; charset=utf-8", "app.js"),
    ("style.css", "text/css; charset=utf-8", "style.css")])
def test_static_files_are_public_with_a_strict_csp(stack, path, ctype, source):
    r = harness.Http(stack.gateway.http_port, openapi=True).get(ADMIN + path)
    assert r.status == 200, r
    assert r.header("Content-Type") == ctype
    assert r.header("Content-Security-Policy") == CSP
    assert r.header("X-Content-Type-Options") == "nosniff"
    with open(os.path.join(harness.REPO, "gateway", "admin", source), "rb") as f:
        assert r.body == f.read()


def make_clips(tmp_path):
    """A consent clip (festival speech) and a 2 s reference cut from it."""
    consent, short = tmp_path / "consent.wav", tmp_path / "short.wav"
    (tmp_path / "consent.txt").write_text("I agree that my voice may be cloned for this test, today.\n")
    subprocess.run(["text2wave", str(tmp_path / "consent.txt"), "-o", str(consent)], check=True, timeout=60)
    subprocess.run(["sox", str(consent), str(short), "trim", "0", "2"], check=True, timeout=60)
    return str(consent), str(short)


def test_every_admin_flow_in_chromium(stack, tmp_path):
    key = harness.tenant_admin_key(stack.redis.port)
    http = harness.Http(stack.gateway.http_port, token=key, openapi=True)
    for i in range(3):  # three voices for the filter: two pages of two
        harness.assert_ok(http.post("/v1/modules/scaispeak/voices", json_body={
            "display_name": f"Paging voice {i}", "language_primary": "en",
            "voice_design_prompt": "bright young female voice"}, token=True), 201)
    consent, short = make_clips(tmp_path)
    out = tmp_path / "screenshots"
    out.mkdir()
    plan = {"origin": f"http://127.0.0.1:{stack.gateway.http_port}", "key": key, "chromium": CHROMIUM,
            "operator_token": stack.gateway.operator_token,
            "out": str(out), "text": TEXT, "consent_wav": consent, "short_wav": short, "voices_q": "paging"}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    p = subprocess.run(["node", SCRIPT, str(tmp_path / "plan.json")], capture_output=True, text=True,
                       timeout=240 * SLOW, cwd=harness.REPO)
    shots = os.environ.get("SCAISPEAK_SCREENSHOT_DIR")
    if shots:
        shutil.copytree(out, shots, dirs_exist_ok=True)
    assert p.returncode == 0, f"node exited {p.returncode}:\n{p.stderr[-4000:]}"
    res = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"\nadmin page screenshots: {sorted(os.listdir(out))} in {shots or out}")
    assert "failure" not in res, res["failure"] + "\n" + p.stderr[-3000:]

    assert res["signin"]["role"] == "tenant_admin" and res["signin"]["caller"], res["signin"]
    assert res["signin"]["tenant"], res["signin"]

    v = res["voices"]
    assert v["first"] == {"count": 2, "next_enabled": True}, v
    assert v["second"]["count"] == 1 and v["second"]["names"][0].startswith("Paging voice"), v

    d = res["design"]
    assert d["voice_id"].startswith("vc_") and "elderly" in d["understood"] and "male" in d["understood"], d

    c = res["clone"]
    assert "duration_below_minimum" in c["reasons"], c
    assert "SCAISPEAK_VOICE_PREFLIGHT_FAILED" in c["status"] and c["rows"] >= 6, c

    s = res["speak"]
    assert int(s["during"]["bytesReceived"]) > 0 and int(s["during"]["playedMs"]) > 300, s
    assert int(s["during"]["highlighted"]) >= 1 and s["current"] >= 1, s
    # about 5 s of speech at 24 kHz s16le, all of it played
    after = s["after"]
    assert int(after["bytesReceived"]) > 3 * 48000, after
    assert int(after["playedMs"]) >= int(after["bytesReceived"]) / 48 - 50, after
    assert int(after["highlighted"]) == len(s["words"]) and "birch" in " ".join(s["words"]).lower(), s

    assert res["drive"]["state"] == "not-configured" and res["drive"]["text"] == "ScaiDrive not configured"

    op = res["operator"]
    assert op["row"][0] == stack.node.node_id and op["row"][1] == "online", op
    assert op["drained"][1] == "draining", op

    k = res["keyboard"]
    assert k["role"] == "tenant_admin" and k["outline"] != "none", k
    assert int(k["stats"]["bytesReceived"]) > 0 and int(k["stats"]["playedMs"]) > 200, k

    assert not res["console_errors"], res["console_errors"]
    assert len(os.listdir(out)) >= 9
