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
a clone uploaded through the file inputs (festival speech that passes
preflight) shows the created voice; a clone whose two clips are recorded in
the page (MediaRecorder on chromium's fake microphone playing festival
speech: --use-fake-device-for-media-stream, --use-file-for-fake-audio-capture)
shows the recording state (the button's name, the live status, the clock), puts a
WAV into each file input, plays it back in the clip's <audio>, and is
created; the reference's record button is reached with Tab and worked with
Enter, the others found by their accessible names; speak streams PCM over
the WebSocket, plays it through Web Audio (bytes received, milliseconds
played) and highlights words; ScaiDrive says it needs a ScaiKey sign-in
(the page signed in with an API key); the operator tab lists the node and drains and
undrains it; a keyboard-only pass (Tab/Enter) signs in and speaks. A second
gateway with a ScaiDrive (fake_scaidrive.py, fake_scaikey.py: ScaiDrive
takes a JWT, not an API key) and its own node: the picker lists the
tenant's share and its folders, picked by their labels, the page saves an
MP3 there and says "Saved as … (N bytes)", and the fake holds that file. No
page error is logged.

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
from test_save_to import SECRET, drive, exchange, jwt_env, scaikey, tenant, token  # noqa: F401 (fixtures)
from test_voice_clone import CONSENT_TEXT

CHROMIUM = "/usr/bin/chromium"
SCRIPT = os.path.join(harness.REPO, "tests", "browser", "admin_flows.mjs")
PLAYWRIGHT = os.path.join(harness.REPO, "node_modules", "playwright-core", "package.json")
ADMIN = "/v1/modules/scaispeak/admin/"
TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
REFERENCE_TEXT = "The birch canoe slid on the smooth planks."
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
    """Festival speech (kal_diphone, as test_voice_clone.py) of CONSENT_TEXT
    and REFERENCE_TEXT, 3 dB under full scale (preflight wants a peak of at
    most -0.5 dBFS; festival's is 0): the whole 8 s is a reference that
    passes preflight (a longer one only makes the node's analysis slower)
    and what the fake microphone plays; its first 4 s (the consent
    sentence) the consent clip; its first 2 s a reference that is too
    short. One text2wave run: each costs seconds."""
    text, speech = tmp_path / "speech.txt", str(tmp_path / "speech.wav")
    text.write_text(f"{CONSENT_TEXT} {REFERENCE_TEXT}\n")
    subprocess.run(["text2wave", "-eval", "(voice_kal_diphone)", str(text), "-o", str(tmp_path / "tts.wav")],
                   check=True, timeout=60)
    subprocess.run(["sox", str(tmp_path / "tts.wav"), speech, "norm", "-3"], check=True, timeout=60)
    clips = {"speech_wav": speech, "mic_wav": speech}
    for name, seconds in (("consent", "4"), ("short", "2")):
        clips[f"{name}_wav"] = str(tmp_path / f"{name}.wav")
        subprocess.run(["sox", speech, clips[f"{name}_wav"], "trim", "0", seconds], check=True, timeout=60)
    return clips


def run_flows(tmp_path, plan):
    """Runs admin_flows.mjs with this plan; its JSON result (failure: fails
    the test with node's stderr)."""
    out = tmp_path / "screenshots"
    out.mkdir()
    plan = dict(plan, chromium=CHROMIUM, out=str(out), text=TEXT, consent_text=CONSENT_TEXT)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    p = subprocess.run(["node", SCRIPT, str(tmp_path / "plan.json")], capture_output=True, text=True,
                       timeout=240 * SLOW, cwd=harness.REPO)
    shots = os.environ.get("SCAISPEAK_SCREENSHOT_DIR")
    if shots:
        shutil.copytree(out, shots, dirs_exist_ok=True)
    assert p.returncode == 0, f"node exited {p.returncode}:\n{p.stderr[-4000:]}"
    res = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"\nadmin page screenshots: {sorted(os.listdir(out))} in {shots or out}")
    print(f"flow times (ms): {res.get('ms')}")
    assert "failure" not in res, res["failure"] + "\n" + p.stderr[-3000:]
    res["screenshots"] = sorted(os.listdir(out))
    return res


def assert_created(answer, name):
    assert answer["created"] and not answer["preflight"], answer
    assert answer["voice_id"].startswith("vc_") and answer["name"] == name, answer
    assert answer["status"] == f"Voice {answer['voice_id']} cloned.", answer


def test_every_admin_flow_in_chromium(stack, tmp_path):
    key = harness.tenant_admin_key(stack.redis.port)
    http = harness.Http(stack.gateway.http_port, token=key, openapi=True)
    for i in range(3):  # three voices for the filter: two pages of two
        harness.assert_ok(http.post("/v1/modules/scaispeak/voices", json_body={
            "display_name": f"Paging voice {i}", "language_primary": "en",
            "voice_design_prompt": "bright young female voice"}, token=True), 201)
    plan = {"flows": "all", "origin": f"http://127.0.0.1:{stack.gateway.http_port}", "key": key,
            "operator_token": stack.gateway.operator_token, "voices_q": "paging",
            "record_s": {"reference": 5.8, "consent": 3.0}, **make_clips(tmp_path)}
    res = run_flows(tmp_path, plan)

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

    u = res["clone_upload"]
    assert_created(u, "Uploaded clone")
    assert u["embedding"].startswith("ready"), u

    r = res["clone_recorded"]
    for field, rec in (("reference", r["reference"]), ("consent", r["consent"])):
        assert rec["label"] == 1 and rec["during"]["recording"] == "true" and rec["during"]["stop_button"] == 1, rec
        assert rec["during"]["text"] == f"Recording {field}…" and rec["during"]["state"] == "recording", rec
        assert int(rec["during"]["clock"].split()[0]) >= 2, rec
        assert rec["after"]["state"] == "recorded", rec
        assert rec["file"]["name"] == f"{field}.wav" and rec["file"]["type"] == "audio/wav", rec
    # 16-bit mono at 24 kHz: 48 000 bytes a second, about as long as it recorded
    assert r["reference"]["file"]["size"] > 5.5 * 48000, r
    assert r["consent"]["file"]["size"] > 2.5 * 48000, r
    pl = r["player"]
    assert not pl["hidden"] and pl["src"] == "blob:" and pl["duration"] > 5.5 and pl["played"] > 0.3, pl
    assert pl["label"] == "Recorded reference clip", pl
    assert_created(r["answer"], "Recorded clone")

    s = res["speak"]
    assert int(s["during"]["bytesReceived"]) > 0 and int(s["during"]["playedMs"]) > 300, s
    assert int(s["during"]["highlighted"]) >= 1 and s["current"] >= 1, s
    # about 5 s of speech at 24 kHz s16le, all of it played
    after = s["after"]
    assert int(after["bytesReceived"]) > 3 * 48000, after
    assert int(after["playedMs"]) >= int(after["bytesReceived"]) / 48 - 50, after
    assert int(after["highlighted"]) == len(s["words"]) and "birch" in " ".join(s["words"]).lower(), s

    # signed in with an API key: ScaiDrive is refused for the credential, configured or not (API.md §5)
    assert res["drive"]["state"] == "needs-jwt" and "ScaiKey sign-in" in res["drive"]["text"], res["drive"]

    op = res["operator"]
    assert op["row"][0] == stack.node.node_id and op["row"][1] == "online", op
    assert op["drained"][1] == "draining", op

    k = res["keyboard"]
    assert k["role"] == "tenant_admin" and k["outline"] != "none", k
    assert int(k["stats"]["bytesReceived"]) > 0 and int(k["stats"]["playedMs"]) > 200, k

    assert not res["console_errors"], res["console_errors"]
    assert {"4b-clone-upload.png", "4c-recording.png", "4d-clone-recorded.png"} <= set(res["screenshots"])
    assert len(res["screenshots"]) >= 12, res["screenshots"]


def test_save_to_scaidrive_through_the_picker(procs, redis, scaikey, tenant, drive, tmp_path):
    """A gateway with a ScaiDrive (tests/integration/fake_scaidrive.py) and
    a ScaiKey JWT (ScaiDrive takes no API keys): the picker lists the
    tenant's share and its folders, the page saves an MP3 into the chosen
    folder and says so, and the fake received exactly that file."""
    env = jwt_env(scaikey)
    env.update({"SCAISPEAK_SCAIDRIVE_URL": drive.url, "SCAISPEAK_SCAIKEY_TOKEN_URL": scaikey.token_url,
                "SCAISPEAK_SCAIDRIVE_CLIENT_SECRET": SECRET})
    gw = harness.Gateway(procs, redis.port, env=env).start()
    node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key, node_id="itest-drive",
                        env={"SCAISPEAK_VOICE_PATH": VOICE}).start()
    gw.wait_node_status(node.node_id, "online", 5 * SLOW)
    harness.wait_for(lambda: gw.node(node.node_id)["engines"], 5 * SLOW, what="node engine listed")
    plan = {"flows": "drive", "origin": f"http://127.0.0.1:{gw.http_port}", "key": token(scaikey, tenant),
            "share": "shr_team", "folder": "fld_audio", "filename": "browser-speech.mp3"}
    res = run_flows(tmp_path, plan)

    assert res["signin"]["role"] == "tenant_admin", res["signin"]
    d = res["drive_save"]
    # the other tenant's share is not offered; the folders are the share's
    assert d["picker"]["state"] == "shares" and d["picker"]["shares"] == [["shr_team", "Team"]], d
    assert d["picker"]["folders"] == [["", "(top level)"], ["fld_audio", "Audio"], ["fld_drafts", "Drafts"]], d
    assert len(drive.files) == 1, drive.files
    f = drive.files[0]
    assert (f["share_id"], f["folder_id"], f["name"]) == ("shr_team", "fld_audio", "browser-speech.mp3"), f
    assert f["content_type"] == "audio/mpeg" and len(f["versions"]) == 1, f
    size = len(f["versions"][0])
    assert d["result"] == d["status"] == f"Saved as browser-speech.mp3 ({size} bytes).", d
    assert d["file_id"] == f["file_id"], d
    mp3 = tmp_path / "saved.mp3"
    mp3.write_bytes(f["versions"][0])
    assert harness.audio_seconds(str(mp3)) > 3, "the saved MP3 is not the spoken text"
    assert res["screenshots"] == ["9-scaidrive-saved.png"]
    assert not res["console_errors"], res["console_errors"]
