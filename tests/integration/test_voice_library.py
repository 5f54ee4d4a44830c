"""The voice library's records and routes (API.md §4), end to end against a
real redis-server and gateway: designed voices through POST /voices (JSON),
GET /voices (ranked: own, tenant, global; newest first; filters; a cursor
that stays right while voices come and go), GET/PATCH /voices/{id}, share,
visibility (invisible is always 404, never 403) and synthesis with a
designed voice on a real node.

Global voices other than the platform default are written straight into
Redis in the paging test (the global-voice admin route is not built yet);
they follow the layout of docs/STATE.md."""
import json
import os
import time

import pytest

import harness
from harness import assert_error, assert_ok
from test_speak import admin, ready_node, speak  # noqa: F401

VOICES = "/v1/modules/scaispeak/voices"
DEFAULT = "vc_platform_slt"
# the platform's global voices (index time 0, so after every later one; by
# descending id): the default and the clustergen engine voices
PLATFORM = [DEFAULT, "slt_cg", "rms", "awb"]


def new_tenant(redis):
    return admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]


def new_user(redis, tenant, role="tenant_admin"):
    """(user id, api key)"""
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role)[0]
    return user, admin(redis, "create-key", "--user", user)[0]


def call(gw, key, method, path, body=None):
    return gw.http.request(method, path, json_body=body, headers={"Authorization": f"Bearer {key}"})


def design(gw, key, name, prompt="deep slow elderly male narrator", **extra):
    body = {"display_name": name, "language_primary": "en", "voice_design_prompt": prompt}
    body.update(extra)
    return assert_ok(call(gw, key, "POST", VOICES, body), 201)


def list_all(gw, key, query="", limit=50):
    ids, cursor, pages = [], None, 0
    while True:
        q = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "") + query
        data = assert_ok(call(gw, key, "GET", VOICES + q))
        ids += [v["voice_id"] for v in data["items"]]
        cursor, pages = data["next_cursor"], pages + 1
        if not cursor:
            return ids
        assert pages < 100


def test_design_create_get_and_the_understood_prompt(redis, gateway):
    tenant = new_tenant(redis)
    user, key = new_user(redis, tenant)
    v = design(gateway, key, "Narrator", style_tags=["calm", "story"], gender_hint="male")
    assert v["voice_id"].startswith("vc_") and len(v["voice_id"]) == 23
    assert v["scope"] == "user" and v["owner_user_id"] == user and v["tenant_id"] == tenant
    assert v["intake_mode"] == "design" and v["embedding_status"] == "ready"
    assert v["design_prompt"] == "deep slow elderly male narrator"
    assert v["design"]["gender"] == "male" and v["design"]["age"] == "elderly"
    assert v["design"]["pitch"] == "low" and v["design"]["pace"] == "slow"
    assert "narrator" in v["design"]["words_ignored"]
    assert not any(k.startswith("_") for k in v), v
    got = assert_ok(call(gateway, key, "GET", f"{VOICES}/{v['voice_id']}"))
    assert got == v


def test_create_validation_names_every_bad_field(redis, gateway):
    _, key = new_user(redis, new_tenant(redis))
    err = assert_error(call(gateway, key, "POST", VOICES,
                            {"display_name": "", "language_primary": "english", "gender_hint": "x",
                             "style_tags": "calm", "colour": 1}), 422, "VALIDATION_ERROR")
    fields = {d["field"] for d in err["details"]}
    assert {"display_name", "language_primary", "gender_hint", "style_tags", "voice_design_prompt",
            "colour"} <= fields, err
    assert_error(call(gateway, key, "POST", VOICES,
                      {"display_name": "x", "language_primary": "en", "voice_design_prompt": ""}),
                 422, "VALIDATION_ERROR")
    # a language no engine speaks would be read with English rules: refused, naming what is spoken
    for body in ({"language_primary": "de"}, {"language_primary": "en", "language_supported": ["en", "fr"]}):
        err = assert_error(call(gateway, key, "POST", VOICES, dict({"display_name": "x", "voice_design_prompt":
                                                                     "calm"}, **body)), 422, "VALIDATION_ERROR")
        assert [d["field"] for d in err["details"]] == list(body)[-1:] and "en" in err["details"][0]["message"], err


def test_visibility_is_404_never_403_and_share_opens_it_to_the_tenant(redis, gateway):
    tenant = new_tenant(redis)
    _, owner = new_user(redis, tenant, "tenant_user")
    _, colleague = new_user(redis, tenant)
    _, stranger = new_user(redis, new_tenant(redis))
    # a tenant_user holds no voice permission by default: 403 on the route itself
    assert_error(call(gateway, owner, "GET", VOICES), 403, "AUTHZ_PERMISSION_DENIED")
    owner_id, owner = new_user(redis, tenant)
    vid = design(gateway, owner, "Mine")["voice_id"]
    for who in (colleague, stranger):
        for method, path, body in [("GET", f"{VOICES}/{vid}", None),
                                   ("PATCH", f"{VOICES}/{vid}", {"description": "x"})]:
            assert_error(call(gateway, who, method, path, body), 404, "SCAISPEAK_VOICE_NOT_FOUND")
        assert vid not in list_all(gateway, who)
    assert_error(call(gateway, stranger, "POST", f"{VOICES}/{vid}/share"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    # share: the owner or a tenant admin (API.md §4); the colleague is the tenant's admin
    shared = assert_ok(call(gateway, colleague, "POST", f"{VOICES}/{vid}/share"))
    assert shared["scope"] == "tenant" and shared["owner_user_id"] == owner_id
    assert assert_ok(call(gateway, owner, "POST", f"{VOICES}/{vid}/share"))["scope"] == "tenant"  # idempotent
    assert assert_ok(call(gateway, colleague, "GET", f"{VOICES}/{vid}"))["scope"] == "tenant"
    assert vid in list_all(gateway, colleague)
    assert_error(call(gateway, stranger, "GET", f"{VOICES}/{vid}"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    # a tenant_viewer reads but does not write
    _, viewer = new_user(redis, tenant, "tenant_viewer")
    assert assert_ok(call(gateway, viewer, "GET", f"{VOICES}/{vid}"))["voice_id"] == vid
    assert_error(call(gateway, viewer, "PATCH", f"{VOICES}/{vid}", {"description": "x"}), 403,
                 "AUTHZ_PERMISSION_DENIED")
    assert_error(call(gateway, viewer, "POST", VOICES, {}), 403, "AUTHZ_PERMISSION_DENIED")
    # nobody but a super_admin changes a global voice
    assert_error(call(gateway, owner, "PATCH", f"{VOICES}/{DEFAULT}", {"description": "x"}), 403,
                 "AUTHZ_PERMISSION_DENIED")


def test_patch_changes_metadata_only(redis, gateway):
    _, key = new_user(redis, new_tenant(redis))
    v = design(gateway, key, "Before")
    time.sleep(0.01)
    p = assert_ok(call(gateway, key, "PATCH", f"{VOICES}/{v['voice_id']}",
                       {"display_name": "After", "style_tags": ["warm"], "language_supported": ["en", "en-GB"]}))
    assert p["display_name"] == "After" and p["style_tags"] == ["warm"]
    assert p["language_supported"] == ["en", "en-GB"] and p["updated_at"] > v["updated_at"]
    assert p["created_at"] == v["created_at"] and p["design"] == v["design"]
    for bad in ({"language_primary": "fr"}, {"scope": "global"}, {"embedding_status": "ready"}, {},
                {"display_name": "x" * 101}):
        assert_error(call(gateway, key, "PATCH", f"{VOICES}/{v['voice_id']}", bad), 422, "VALIDATION_ERROR")
    assert assert_ok(call(gateway, key, "GET", f"{VOICES}/{v['voice_id']}")) == p


def test_filters(redis, gateway):
    _, key = new_user(redis, new_tenant(redis))
    a = design(gateway, key, "Bright lady", "bright young female", gender_hint="female",
               language_supported=["en", "en-GB"])["voice_id"]
    b = design(gateway, key, "Old man", "deep elderly male", gender_hint="male", description="for Stories")["voice_id"]
    assert list_all(gateway, key, "&gender=female") == [a, DEFAULT, "slt_cg"]  # slt is female
    assert list_all(gateway, key, "&language=en-GB") == [a, "awb"]  # awb is Scottish
    assert list_all(gateway, key, "&language=fr") == []
    assert list_all(gateway, key, "&q=STORIES") == [b]
    assert list_all(gateway, key, "&scope=user") == [b, a]
    assert list_all(gateway, key, "&scope=global") == PLATFORM
    assert list_all(gateway, key, "&embedding_status=failed") == []
    for bad in ("scope=everyone", "limit=0", "limit=201", "limit=x", "cursor=zz", "language=english",
                "embedding_status=done"):
        assert_error(call(gateway, key, "GET", f"{VOICES}?{bad}"), 422, "VALIDATION_ERROR")


def put_global(redis, n, created_ms):
    vid = f"vc_glob{n:05d}"
    member = f"{created_ms:016d}:{vid}"
    rec = {"voice_id": vid, "display_name": f"Global {n}", "description": "", "scope": "global",
           "tenant_id": None, "owner_user_id": None, "language_primary": "en", "language_supported": ["en"],
           "gender_hint": None, "age_hint": None, "style_tags": [], "intake_mode": "builtin",
           "engine": "scaispeak-hts-en", "embedding_status": "ready", "embedding_status_reason": None,
           "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z", "_index": member}
    harness.redis_command(redis.port, "SET", f"ss:voice:{vid}", json.dumps(rec))
    harness.redis_command(redis.port, "ZADD", "ss:voices:global:index", 0, member)
    harness.redis_command(redis.port, "SADD", "ss:voices:global", vid)
    return vid


def newest_first(voices):
    """ids newest first; voices made in the same millisecond in descending id order (bytewise)"""
    return [v["voice_id"] for v in sorted(voices, key=lambda v: (v["created_at"], v["voice_id"].encode()),
                                          reverse=True)]


def test_230_voices_page_in_order_exactly_once_while_voices_come_and_go(redis, gateway):
    tenant = new_tenant(redis)
    _, me = new_user(redis, tenant)
    _, colleague = new_user(redis, tenant)
    assert_ok(call(gateway, me, "PUT", "/v1/modules/scaispeak/admin/policy",
                   {"rate_limits": {"per_key": 10 ** 5, "per_user": 10 ** 5, "per_tenant": 10 ** 5}}))
    mine = newest_first([design(gateway, me, f"mine {i}", "calm") for i in range(80)])
    theirs = []
    for i in range(80):
        v = design(gateway, colleague, f"theirs {i}", "bright")
        assert_ok(call(gateway, colleague, "POST", f"{VOICES}/{v['voice_id']}/share"))
        theirs.append(v)
    theirs = newest_first(theirs)
    globals_ = [put_global(redis, i, 1_700_000_000_000 + i) for i in range(66)]
    # expected: own newest first, then tenant newest first, then global newest first
    want = mine + theirs + globals_[::-1] + PLATFORM
    assert len(want) == 230
    assert list_all(gateway, me) == want

    # page again, creating and deleting voices between pages
    seen, cursor, pages = [], None, 0
    doomed = set(theirs[10:20])
    while True:
        q = "?limit=50" + (f"&cursor={cursor}" if cursor else "")
        data = assert_ok(call(gateway, me, "GET", VOICES + q))
        seen += [v["voice_id"] for v in data["items"]]
        cursor = data["next_cursor"]
        pages += 1
        if not cursor:
            break
        design(gateway, me, f"late {pages}", "calm")  # newer than the cursor: not in this walk
        if pages == 1:  # theirs[10:20] sit on a later page: remove them now
            for vid in doomed:
                harness.redis_command(redis.port, "DEL", f"ss:voice:{vid}")
    assert len(seen) == len(set(seen)), "a voice came twice"
    assert seen == [v for v in want if v not in doomed]


def test_speak_with_a_designed_voice(redis, gateway, start_node, tmp_path):
    ready_node(gateway, start_node)
    _, key = new_user(redis, new_tenant(redis))
    slow = design(gateway, key, "Slow one", "very slow deep male")["voice_id"]
    text = "The birch canoe slid on the smooth planks."
    plain = speak(gateway, key, {"text": text})
    designed = speak(gateway, key, {"text": text, "voice_id": slow})
    assert plain.status == 200 and designed.status == 200, (plain, designed)
    assert designed.header("X-Scaispeak-Voice-Id") == slow
    # "very slow": durations x1.44 -> clearly longer than the platform voice
    assert designed.audio_ms() > 1.25 * plain.audio_ms(), (designed.audio_ms(), plain.audio_ms())


def test_websocket_session_with_a_designed_voice(redis, gateway, start_node):
    from test_ws_stream import PCM, pcm_ms, run_session
    ready_node(gateway, start_node)
    _, key = new_user(redis, new_tenant(redis))
    slow = design(gateway, key, "Slow one", "very slow deep male")["voice_id"]
    said = [{"type": "text", "delta": "The birch canoe slid on the smooth planks. "}, {"type": "close"}]
    plain = run_session(gateway, [{"type": "open", "output": PCM}] + said, key=key)
    designed = run_session(gateway, [{"type": "open", "output": PCM, "voice_id": slow}] + said, key=key)
    assert plain.code == 1000 and designed.code == 1000, (plain.code, designed.code, designed.json())
    assert designed.json("ready")[0]["voice_id"] == slow
    assert pcm_ms(designed) > 1.25 * pcm_ms(plain), (pcm_ms(designed), pcm_ms(plain))


def test_preview_is_a_short_synthesis_in_json(redis, gateway, start_node, tmp_path):
    import base64
    import subprocess
    ready_node(gateway, start_node)
    _, key = new_user(redis, new_tenant(redis))
    vid = design(gateway, key, "Preview me", "bright young female")["voice_id"]
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-www-form-urlencoded"}
    form = gateway.http.request("POST", f"{VOICES}/{vid}/preview", body=b"text=Hello+there.", headers=h)
    data = assert_ok(form)
    assert data["format"] == "mp3" and data["voice_id"] == vid and data["duration_ms"] > 300
    path = tmp_path / "p.mp3"
    path.write_bytes(base64.b64decode(data["audio_base64"]))
    out = subprocess.run(["mpg123", "-q", "-w", str(tmp_path / "p.wav"), str(path)], capture_output=True)
    assert out.returncode == 0, out.stderr
    wav = assert_ok(call(gateway, key, "POST", f"{VOICES}/{vid}/preview",
                         {"text": "Hi.", "response_format": "wav"}))
    assert wav["format"] == "wav"
    for bad in ({}, {"text": ""}, {"text": "x" * 301}, {"text": "ok", "response_format": 3}):
        assert_error(call(gateway, key, "POST", f"{VOICES}/{vid}/preview", bad), 422, "VALIDATION_ERROR")
    # a multipart form, as curl -F and browsers' FormData send it
    url = f"http://127.0.0.1:{gateway.http_port}{VOICES}/{vid}/preview"

    def curl_form(*fields):
        argv = ["curl", "-sS", "-H", f"Authorization: Bearer {key}"]
        for f in fields:
            argv += ["-F", f]
        out = subprocess.run(argv + ["-w", "\n%{http_code}", url], capture_output=True, text=True, timeout=60)
        body, status = out.stdout.rsplit("\n", 1)
        return int(status), json.loads(body)
    status, env = curl_form("text=Form preview.", "response_format=wav")
    assert status == 200 and env["data"]["format"] == "wav" and env["data"]["duration_ms"] > 300, env
    (tmp_path / "f.txt").write_text("a file")
    status, env = curl_form("text=@" + str(tmp_path / "f.txt"))
    assert status == 422 and env["error"]["details"][0]["field"] == "text", env
    status, env = curl_form("text=" + "x" * 5000)
    assert status == 422 and env["error"]["details"][0]["field"] == "text", env


def test_bola_every_voice_route(redis, gateway):
    """Every voice route and method: another tenant's admin and another user of
    the same tenant get 404 for a user voice (never 403, never data); a
    tenant_viewer gets 403 on every write and on synthesis routes. The one
    exception is share, which API.md §4 gives to the owner or a tenant admin:
    the tenant's admin may share a user voice of its tenant (last, below)."""
    tenant = new_tenant(redis)
    _, owner = new_user(redis, tenant)
    _, colleague = new_user(redis, tenant)
    _, stranger = new_user(redis, new_tenant(redis))
    _, viewer = new_user(redis, tenant, "tenant_viewer")
    vid = design(gateway, owner, "Private")["voice_id"]
    shared = design(gateway, owner, "Shared")["voice_id"]
    assert_ok(call(gateway, owner, "POST", f"{VOICES}/{shared}/share"))
    routes = [("GET", "", None), ("PATCH", "", {"description": "x"}), ("DELETE", "", None),
              ("POST", "/share", None), ("POST", "/evict", None), ("POST", "/preview", {"text": "hi"}),
              ("GET", "/warm", None), ("POST", "/warm", None)]
    for method, suffix, body in routes:
        for who in (colleague, stranger) if suffix != "/share" else (stranger,):
            resp = call(gateway, who, method, f"{VOICES}/{vid}{suffix}", body)
            assert_error(resp, 404, "SCAISPEAK_VOICE_NOT_FOUND")
            assert vid not in resp.body.decode()
        resp = call(gateway, stranger, method, f"{VOICES}/{shared}{suffix}", body)
        assert_error(resp, 404, "SCAISPEAK_VOICE_NOT_FOUND")
        if method != "GET":
            assert_error(call(gateway, viewer, method, f"{VOICES}/{shared}{suffix}", body), 403,
                         "AUTHZ_PERMISSION_DENIED")
        else:
            assert_ok(call(gateway, viewer, method, f"{VOICES}/{shared}{suffix}", body))
    # the records are untouched
    assert assert_ok(call(gateway, owner, "GET", f"{VOICES}/{vid}"))["description"] == ""
    assert assert_ok(call(gateway, owner, "GET", f"{VOICES}/{vid}"))["scope"] == "user"
    # the tenant's admin shares it; a viewer of the tenant may not
    assert_error(call(gateway, viewer, "POST", f"{VOICES}/{vid}/share"), 403, "AUTHZ_PERMISSION_DENIED")
    assert assert_ok(call(gateway, colleague, "POST", f"{VOICES}/{vid}/share"))["scope"] == "tenant"


def test_openai_voice_by_display_name_finds_own_then_tenant_then_global(redis, gateway, start_node):
    ready_node(gateway, start_node)
    tenant = new_tenant(redis)
    _, me = new_user(redis, tenant)
    _, colleague = new_user(redis, tenant)
    private = design(gateway, colleague, "Narrator", "deep male")["voice_id"]  # not mine to see
    shared = design(gateway, colleague, "Narrator", "calm")["voice_id"]
    assert_ok(call(gateway, colleague, "POST", f"{VOICES}/{shared}/share"))

    def voice_for(key, name):
        resp = gateway.http.request("POST", "/v1/audio/speech", headers={"Authorization": f"Bearer {key}"},
                                    json_body={"model": "tts-1", "input": "Hi.", "voice": name})
        return resp.status, resp.header("X-Scaispeak-Voice-Id")

    assert voice_for(me, "Narrator") == (200, shared)  # the tenant's, not the colleague's private one
    mine = design(gateway, me, "Narrator", "bright")["voice_id"]
    assert voice_for(me, "Narrator") == (200, mine)  # own first
    assert voice_for(colleague, "Narrator") == (200, private)  # their own (user scope) first for them
    assert voice_for(me, "SLT (US English)") == (200, "vc_platform_slt")  # global by name
    assert voice_for(me, "No such voice")[0] == 404
