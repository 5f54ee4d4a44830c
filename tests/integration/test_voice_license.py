"""Licensed global voices (API.md §6) end to end: a super_admin adds a global
voice with license{licensor, license_type, expires_at, character_cap};
every tenant sees it; synthesis counts its characters atomically and is
refused with 403 SCAISPEAK_VOICE_LICENSE_EXPIRED once the cap would be
passed or the licence has expired — on /speak, the OpenAI alias and the
WebSocket."""
from harness import assert_error, assert_ok
from test_speak import ready_node, speak
from test_voice_library import VOICES, call, list_all, new_tenant, new_user

GLOBAL = "/v1/modules/scaispeak/admin/voices/global"


def global_voice(gw, key, **license):
    lic = {"licensor": "Acme Voices Ltd", "license_type": "commercial"}
    lic.update(license)
    return assert_ok(call(gw, key, "POST", GLOBAL, {"display_name": "Acme Narrator", "language_primary": "en",
                                                     "voice_design_prompt": "warm calm male", "license": lic}), 201)


def test_only_a_super_admin_adds_global_voices_and_everyone_sees_them(redis, gateway):
    root_tenant = new_tenant(redis)
    _, root = new_user(redis, root_tenant, "super_admin")
    _, admin = new_user(redis, new_tenant(redis))
    assert_error(call(gateway, admin, "POST", GLOBAL, {}), 403, "AUTHZ_PERMISSION_DENIED")
    v = global_voice(gateway, root, character_cap=1000, expires_at="2099-01-01T00:00:00Z")
    assert v["scope"] == "global" and v["tenant_id"] is None and v["owner_user_id"] is None
    assert v["license"] == {"licensor": "Acme Voices Ltd", "license_type": "commercial",
                            "expires_at": "2099-01-01T00:00:00Z", "character_cap": 1000, "characters_used": 0}
    assert v["design"]["gender"] == "male" and v["embedding_status"] == "ready"
    assert v["voice_id"] in list_all(gateway, admin)
    assert assert_ok(call(gateway, admin, "GET", f"{VOICES}/{v['voice_id']}"))["license"]["characters_used"] == 0
    for bad in ({"license": {"licensor": "x"}}, {"license": {"licensor": "x", "license_type": "y",
                                                             "character_cap": 0}},
                {"license": {"licensor": "x", "license_type": "y", "expires_at": "tomorrow"}},
                {"license": {"licensor": "x", "license_type": "y", "characters_used": 5}}):
        body = {"display_name": "Bad", "language_primary": "en"}
        body.update(bad)
        assert_error(call(gateway, root, "POST", GLOBAL, body), 422, "VALIDATION_ERROR")
    # erasure through the admin route; a tenant admin cannot
    assert_error(call(gateway, admin, "DELETE", f"{GLOBAL}/{v['voice_id']}"), 403, "AUTHZ_PERMISSION_DENIED")
    assert_error(call(gateway, admin, "DELETE", f"{VOICES}/{v['voice_id']}"), 403, "AUTHZ_PERMISSION_DENIED")
    assert assert_ok(call(gateway, root, "DELETE", f"{GLOBAL}/{v['voice_id']}"))["erased"] is True
    assert_error(call(gateway, admin, "GET", f"{VOICES}/{v['voice_id']}"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    assert_error(call(gateway, root, "DELETE", f"{GLOBAL}/vc_platform_nope"), 404, "SCAISPEAK_VOICE_NOT_FOUND")


def test_character_cap_counts_every_synthesis_and_refuses_past_it(redis, gateway, start_node):
    ready_node(gateway, start_node)
    _, root = new_user(redis, new_tenant(redis), "super_admin")
    _, key = new_user(redis, new_tenant(redis))
    vid = global_voice(gateway, root, character_cap=60)["voice_id"]
    forty = "The birch canoe slid on smooth planks..."  # 40 characters
    assert len(forty) == 40
    assert speak(gateway, key, {"text": forty, "voice_id": vid}).status == 200
    assert assert_ok(call(gateway, key, "GET", f"{VOICES}/{vid}"))["license"]["characters_used"] == 40
    err = assert_error(speak(gateway, key, {"text": forty, "voice_id": vid}), 403, "SCAISPEAK_VOICE_LICENSE_EXPIRED")
    assert "cap" in err["message"]
    assert speak(gateway, key, {"text": "Twenty characters!!!", "voice_id": vid}).status == 200  # 60 = the cap
    openai = gateway.http.request("POST", "/v1/audio/speech", headers={"Authorization": f"Bearer {key}"},
                                  json_body={"model": "tts-1", "input": "Hi.", "voice": vid})
    assert_error(openai, 403, "SCAISPEAK_VOICE_LICENSE_EXPIRED")
    assert assert_ok(call(gateway, key, "GET", f"{VOICES}/{vid}"))["license"]["characters_used"] == 60


def test_an_expired_license_refuses_synthesis_everywhere(redis, gateway, start_node):
    from test_ws_stream import PCM, run_session
    ready_node(gateway, start_node)
    _, root = new_user(redis, new_tenant(redis), "super_admin")
    _, key = new_user(redis, new_tenant(redis))
    old = global_voice(gateway, root, expires_at="2020-01-01T00:00:00Z")["voice_id"]
    fresh = global_voice(gateway, root, expires_at="2099-12-31T23:59:59.999Z")["voice_id"]
    err = assert_error(speak(gateway, key, {"text": "Hello.", "voice_id": old}), 403,
                       "SCAISPEAK_VOICE_LICENSE_EXPIRED")
    assert "expired" in err["message"]
    assert speak(gateway, key, {"text": "Hello.", "voice_id": fresh}).status == 200
    sess = run_session(gateway, [{"type": "open", "output": PCM, "voice_id": old},
                                 {"type": "text", "delta": "Hello. "}, {"type": "close"}], key=key)
    assert sess.code == 4403, (sess.code, sess.reason, sess.json())


def test_websocket_sentences_are_charged_and_the_cap_closes_4403(redis, gateway, start_node):
    from test_ws_stream import PCM, run_session
    ready_node(gateway, start_node)
    _, root = new_user(redis, new_tenant(redis), "super_admin")
    _, key = new_user(redis, new_tenant(redis))
    vid = global_voice(gateway, root, character_cap=60)["voice_id"]
    sess = run_session(gateway, [{"type": "open", "output": PCM, "voice_id": vid},
                                 {"type": "text", "delta": "The birch canoe slid on smooth planks... "},
                                 {"type": "text", "delta": "Glue the sheet to the dark blue background. "},
                                 {"type": "close"}], key=key)
    assert sess.code == 4403, (sess.code, sess.reason, sess.json())
    assert any(e.get("code") == "SCAISPEAK_VOICE_LICENSE_EXPIRED" for e in sess.json("error")), sess.json()
    used = assert_ok(call(gateway, key, "GET", f"{VOICES}/{vid}"))["license"]["characters_used"]
    assert used == 40, used  # the second sentence (44 characters) was refused, not counted
