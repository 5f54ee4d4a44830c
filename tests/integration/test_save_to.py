"""save_to ScaiDrive (API.md §5) end to end: real redis-server, gateway and
node; a fake ScaiKey (fake_scaikey.py: JWKS + the RFC 8693 token endpoint)
and a fake ScaiDrive (fake_scaidrive.py: multipart uploads, versions,
conflicts, shares and folders, bearer checks). The uploaded bytes are
decoded with sox (soxi), independent of our encoder."""
import os
import subprocess
import time

import pytest

import fake_scaidrive
import fake_scaikey as fk
import harness
from harness import assert_error, assert_ok
from test_speak import admin, key_for, ready_node

SPEAK = "/v1/modules/scaispeak/speak"
SHARES = "/v1/modules/scaispeak/scaidrive/shares"
SECRET = "itest-client-secret"


@pytest.fixture
def tenant(redis):
    return admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]


@pytest.fixture
def exchange():
    return fk.Exchange(client_secret=SECRET)


@pytest.fixture
def scaikey(exchange):
    srv = fk.JwksServer([fk.Key("rsa-1")], exchange=exchange)
    yield srv
    srv.close()


@pytest.fixture
def drive(exchange, tenant):
    srv = fake_scaidrive.ScaiDrive(exchange, tenant=tenant)
    yield srv
    srv.close()


def jwt_env(scaikey):
    return {"SCAISPEAK_JWKS_URL": scaikey.url, "SCAISPEAK_JWT_ISSUER": fk.ISSUER,
            "SCAISPEAK_JWT_AUDIENCE": fk.AUDIENCE}


@pytest.fixture
def gateway(procs, redis, scaikey, drive):
    """Overrides conftest's: start_node attaches nodes to this one."""
    env = jwt_env(scaikey)
    env.update({"SCAISPEAK_SCAIDRIVE_URL": drive.url, "SCAISPEAK_SCAIKEY_TOKEN_URL": scaikey.token_url,
                "SCAISPEAK_SCAIDRIVE_CLIENT_SECRET": SECRET})
    return harness.Gateway(procs, redis.port, env=env).start()


@pytest.fixture
def gw(gateway):
    return gateway


def token(scaikey, tenant, **kw):
    return fk.mint(scaikey.keys[0], fk.claims(tenant=tenant, role="tenant_admin", **kw))


def call(gw, method, path, cred, body=None):
    return gw.http.request(method, path, json_body=body, headers={"Authorization": f"Bearer {cred}"})


def save_body(**save_to):
    target = {"share_id": "shr_team", "folder_id": "fld_audio", "filename": "hello.wav"}
    target.update(save_to)
    return {"text": "The birch canoe slid on the smooth planks.", "save_to": target}


def test_api_key_is_refused_before_synthesis(gw, redis, tenant, drive):
    key = key_for(redis, tenant)
    assert_error(call(gw, "POST", SPEAK, key, save_body()), 400, "SCAISPEAK_SAVE_TO_REQUIRES_JWT")
    assert_error(call(gw, "GET", SHARES, key), 400, "SCAISPEAK_SAVE_TO_REQUIRES_JWT")
    assert drive.requests == []


@pytest.mark.parametrize("change,reason", [
    ({"audiences": ()}, "invalid_target"),
    ({"scopes": ("files:read",)}, "invalid_scope"),
])
def test_exchange_refusals_carry_scaikey_reason(gw, scaikey, exchange, tenant, drive, change, reason):
    for k, v in change.items():
        setattr(exchange, k, set(v))
    resp = call(gw, "POST", SPEAK, token(scaikey, tenant), save_body())
    err = assert_error(resp, 502, "SCAISPEAK_SAVE_TO_EXCHANGE_FAILED")
    assert reason in err["message"], err
    assert exchange.calls and exchange.calls[-1]["audience"] == "scaidrive"
    assert exchange.calls[-1]["scope"] == "files:write files:read"
    assert drive.files == []


def test_expired_subject_token_is_refused_by_scaikey(gw, scaikey, exchange, tenant):
    # expired 10 s ago: within the gateway's 60 s leeway, refused by ScaiKey (no leeway)
    tok = fk.mint(scaikey.keys[0], fk.claims(tenant=tenant, role="tenant_admin", ttl=-10))
    err = assert_error(call(gw, "POST", SPEAK, tok, save_body()), 502, "SCAISPEAK_SAVE_TO_EXCHANGE_FAILED")
    assert "invalid_grant" in err["message"] and "expired" in err["message"], err


def test_wrong_client_secret_is_an_exchange_failure(procs, redis, scaikey, drive, tenant):
    env = jwt_env(scaikey)
    env.update({"SCAISPEAK_SCAIDRIVE_URL": drive.url, "SCAISPEAK_SCAIKEY_TOKEN_URL": scaikey.token_url,
                "SCAISPEAK_SCAIDRIVE_CLIENT_SECRET": "not-the-secret"})
    g = harness.Gateway(procs, redis.port, env=env).start()
    err = assert_error(call(g, "GET", SHARES, token(scaikey, tenant)), 502, "SCAISPEAK_SAVE_TO_EXCHANGE_FAILED")
    assert "invalid_client" in err["message"]


def test_upload_conflict_and_overwrite(gw, start_node, scaikey, tenant, drive, tmp_path):
    ready_node(gw, start_node)
    tok = token(scaikey, tenant)
    data = assert_ok(call(gw, "POST", SPEAK, tok, save_body()))
    saved = data["saved_to"]
    assert saved["share_id"] == "shr_team" and saved["folder_id"] == "fld_audio"
    assert saved["name"] == "hello.wav" and saved["version"] == 1
    assert data["format"] == "wav" and data["backend_used"] == "A" and data["characters"] == 42
    assert data["bytes"] == saved["size"] > 44
    f = drive.files[0]
    assert f["file_id"] == saved["file_id"] and f["content_type"] == "audio/wav"
    wav = tmp_path / "saved.wav"
    wav.write_bytes(f["versions"][0])
    seconds = harness.audio_seconds(str(wav))
    assert abs(seconds * 1000 - data["duration_ms"]) <= 2 and 1.5 < seconds < 5
    rate = subprocess.run(["soxi", "-r", str(wav)], capture_output=True, text=True, check=True).stdout
    assert rate.strip() == str(data["sample_rate"])
    # the bearer ScaiDrive saw is the exchanged token, not the caller's JWT
    assert drive.requests[-1][2] != f"Bearer {tok}"
    # the same name again: 409, nothing new in ScaiDrive
    assert_error(call(gw, "POST", SPEAK, tok, save_body()), 409, "SCAISPEAK_SCAIDRIVE_CONFLICT")
    assert len(f["versions"]) == 1
    # overwrite: version 2 of the same file
    data = assert_ok(call(gw, "POST", SPEAK, tok, save_body(overwrite=True, filename="hello.wav")))
    assert data["saved_to"]["file_id"] == saved["file_id"] and data["saved_to"]["version"] == 2
    assert len(f["versions"]) == 2
    # no temporary object is left behind
    left = [os.path.join(d, n) for d, _, ns in os.walk(gw.objects_dir) for n in ns
            if "tmp" in d.split(os.sep) or n.startswith(".")]
    assert left == [], left


def test_mp3_to_the_share_root(gw, start_node, scaikey, tenant, drive, tmp_path):
    ready_node(gw, start_node)
    body = {"text": "Hello there.", "response_format": "mp3",
            "save_to": {"share_id": "shr_team", "filename": "root.mp3"}}
    data = assert_ok(call(gw, "POST", SPEAK, token(scaikey, tenant), body))
    assert data["saved_to"]["folder_id"] is None and drive.files[0]["content_type"] == "audio/mpeg"
    mp3 = tmp_path / "r.mp3"
    mp3.write_bytes(drive.files[0]["versions"][0])
    assert harness.audio_seconds(str(mp3)) > 0.3


def test_scaidrive_refusal_is_502(gw, start_node, scaikey, tenant):
    ready_node(gw, start_node)
    body = save_body(share_id="shr_other")  # another tenant's share
    err = assert_error(call(gw, "POST", SPEAK, token(scaikey, tenant), body), 502, "SCAISPEAK_SCAIDRIVE_ERROR")
    assert "403" in err["message"]


def test_bad_save_to_fields(gw, scaikey, tenant):
    body = {"text": "hi", "save_to": {"folder_id": 3, "filename": "../x.wav", "overwrite": "yes", "x": 1}}
    err = assert_error(call(gw, "POST", SPEAK, token(scaikey, tenant), body), 422, "VALIDATION_ERROR")
    fields = {d["field"] for d in err["details"]}
    assert fields == {"save_to.share_id", "save_to.folder_id", "save_to.filename", "save_to.overwrite",
                      "save_to.x"}, fields


def test_shares_and_folders_proxy(gw, scaikey, tenant, drive):
    tok = token(scaikey, tenant)
    data = assert_ok(call(gw, "GET", SHARES, tok))
    assert data["items"] == [{"share_id": "shr_team", "name": "Team"}] and data["next_cursor"] is None
    data = assert_ok(call(gw, "GET", SHARES + "/shr_team/folders", tok))
    assert {i["folder_id"] for i in data["items"]} == {"fld_audio", "fld_drafts"}
    assert_error(call(gw, "GET", SHARES + "/shr_nope/folders", tok), 502, "SCAISPEAK_SCAIDRIVE_ERROR")


def test_not_configured(procs, redis, scaikey, tenant):
    g = harness.Gateway(procs, redis.port, env=jwt_env(scaikey)).start()
    tok = token(scaikey, tenant)
    assert_error(call(g, "GET", SHARES, tok), 404, "SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE")
    assert_error(call(g, "GET", SHARES + "/shr_team/folders", tok), 404, "SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE")
    assert_error(call(g, "POST", SPEAK, tok, save_body()), 404, "SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE")
    # an API key is refused for what it is, configured or not (API.md §5)
    key = key_for(redis, tenant)
    assert_error(call(g, "POST", SPEAK, key, save_body()), 400, "SCAISPEAK_SAVE_TO_REQUIRES_JWT")
    assert_error(call(g, "POST", SPEAK, key, dict(save_body(), force_async=True)), 400,
                 "SCAISPEAK_SAVE_TO_REQUIRES_JWT")
    assert_error(call(g, "GET", SHARES, key), 400, "SCAISPEAK_SAVE_TO_REQUIRES_JWT")


def test_secret_is_required_outside_dev_mode(procs, redis, scaikey, drive):
    env = jwt_env(scaikey)
    env.update({"SCAISPEAK_SCAIDRIVE_URL": drive.url, "SCAISPEAK_SCAIKEY_TOKEN_URL": scaikey.token_url})
    g = harness.Gateway(procs, redis.port, env=env)
    res = subprocess.run([harness.binary("scaispeak-gateway")], env=harness.child_env(g.env),
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "scaidrive_client_secret" in res.stdout + res.stderr


JOBS = "/v1/modules/scaispeak/speak/jobs"


def job_worker(procs, redis, gw, scaikey, name="worker"):
    env = {"SCAISPEAK_JOB_HEARTBEAT_MS": 200, "SCAISPEAK_SCAIDRIVE_URL": gw.env["SCAISPEAK_SCAIDRIVE_URL"],
           "SCAISPEAK_SCAIKEY_TOKEN_URL": scaikey.token_url, "SCAISPEAK_SCAIDRIVE_CLIENT_SECRET": SECRET}
    return harness.Worker(procs, redis.port, objects_dir=gw.objects_dir, env=env, name=name).start()


def wait_job(gw, cred, job_id):
    def done():
        j = assert_ok(call(gw, "GET", f"{JOBS}/{job_id}", cred))
        return j if j["status"] in ("completed", "failed", "cancelled") else None
    return harness.wait_for(done, 60 * harness.SLOW, interval=0.1, what=f"job {job_id} finished")


def test_a_job_saves_to_scaidrive_with_the_token_exchanged_at_submission(procs, redis, gw, start_node, scaikey,
                                                                       exchange, tenant, drive, tmp_path):
    ready_node(gw, start_node)
    tok = token(scaikey, tenant)
    body = save_body(filename="job.wav")
    body["force_async"] = True
    data = assert_ok(call(gw, "POST", SPEAK, tok, body), 202)
    assert len(exchange.calls) == 1                      # exchanged at submission, not when it runs
    job_worker(procs, redis, gw, scaikey)
    j = wait_job(gw, tok, data["job_id"])
    assert j["status"] == "completed", j
    saved = j["saved_to"]
    assert saved["name"] == "job.wav" and saved["share_id"] == "shr_team" and saved["folder_id"] == "fld_audio"
    (f,) = [f for f in drive.files if f["name"] == "job.wav"]
    assert saved["size"] == len(f["versions"][-1]) == j["result"]["bytes"]
    path = tmp_path / "job.wav"
    path.write_bytes(f["versions"][-1])
    assert float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True,
                                check=True).stdout) > 1.0
    assert len(exchange.calls) == 1
    # the same name again, overwrite false: the job ends failed with the conflict
    data = assert_ok(call(gw, "POST", SPEAK, tok, body), 202)
    j = wait_job(gw, tok, data["job_id"])
    assert j["status"] == "failed" and j["error"]["code"] == "SCAISPEAK_SCAIDRIVE_CONFLICT", j


def test_a_job_whose_scaidrive_token_expired_before_it_ran_fails_with_the_exchange_code(
        procs, redis, gw, start_node, scaikey, exchange, tenant, drive):
    """The token exchanged at submission is kept for the job's life; when it
    has expired by the time the job uploads, the job ends failed with
    SCAISPEAK_SAVE_TO_EXCHANGE_FAILED (documented in the README)."""
    ready_node(gw, start_node)
    exchange.lifetime_s = 1
    tok = token(scaikey, tenant)
    body = save_body(filename="late.wav")
    body["force_async"] = True
    data = assert_ok(call(gw, "POST", SPEAK, tok, body), 202)
    time.sleep(2.5)                                       # no worker yet: the ScaiDrive token expires
    job_worker(procs, redis, gw, scaikey)
    j = wait_job(gw, tok, data["job_id"])
    assert j["status"] == "failed", j
    assert j["error"]["code"] == "SCAISPEAK_SAVE_TO_EXCHANGE_FAILED", j
    assert [f for f in drive.files if f["name"] == "late.wav"] == []
