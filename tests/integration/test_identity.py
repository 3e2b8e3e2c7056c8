"""The rules of staff identity through the API, on moto: temporary passwords, wrong passwords
and unknown names, lockout, rate limits, disabled and re-scoped accounts at once, refresh
rotation, sign-out, the second factor, resets, renewed hashes, and WeCom / DingTalk sign-in
against a stand-in for their APIs on this machine."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from functions.core.adapters.work_chat import WorkChatClients
from functions.core.config import DingTalkApp, WeComApp, WorkChatEndpoints
from functions.core.domain.totp import code_at, step_of
from tests.conftest import bearer
from tests.integration import work_chat as fake_apis
from tests.integration.flows import DISTRICT, ok

PASSWORD = "Yushan-2026-ok"


def post(api: Any, path: str, body: dict[str, Any] | None, **headers: str) -> Any:
    return api.post(
        path,
        headers={"Content-Type": "application/json", **headers},
        body=json.dumps(body).encode() if body is not None else b"",
    )


def error_of(response: Any) -> str:
    return str(json.loads(response.body)["error"]["code"])


def invite(api: Any, username: str, scopes: list[str]) -> str:
    """A new account through the district's API; its temporary password."""
    response = post(
        api,
        "/staff/accounts",
        {"username": username, "name": "测试", "email": f"{username}@x.cn", "scopes": scopes},
        **bearer(*DISTRICT),
    )
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["temporary_password"])


def sign_in(api: Any, username: str, password: str, **extra: str) -> Any:
    return post(api, "/auth/sign-in", {"username": username, "password": password, **extra})


def staff_member(api: Any, username: str = "clerk.zhao", scopes: list[str] | None = None) -> str:
    """An invited account that chose its password (PASSWORD)."""
    temporary = invite(api, username, scopes or ["community:c01"])
    changed = post(
        api,
        "/auth/password",
        {"username": username, "password": temporary, "new_password": PASSWORD},
    )
    assert changed.status_code == 200, changed.body
    return username


def tokens(api: Any, username: str, password: str = PASSWORD, **extra: str) -> dict[str, Any]:
    response = sign_in(api, username, password, **extra)
    assert response.status_code == 200, response.body
    body = dict(json.loads(response.body))
    assert "access_token" in body, body
    return body


def me(api: Any, access: str) -> Any:
    return api.get("/staff/me", headers={"Authorization": f"Bearer {access}"})


def disable(api: Any, username: str) -> None:
    ok(
        api.put(
            f"/staff/accounts/{username}/enabled",
            headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
            body=json.dumps({"enabled": False}).encode(),
        )
    )


# -- passwords -------------------------------------------------------------------------------


def test_a_temporary_password_asks_for_a_new_one_which_then_signs_in(api):
    temporary = invite(api, "clerk.qian", ["department:ludeng"])
    assert ok(sign_in(api, "clerk.qian", temporary)) == {"challenge": "new_password"}
    weak = post(
        api,
        "/auth/password",
        {"username": "clerk.qian", "password": temporary, "new_password": "clerk.qian1234"},
    )
    assert weak.status_code == 400 and error_of(weak) == "weak_password"
    chosen = ok(
        post(
            api,
            "/auth/password",
            {"username": "clerk.qian", "password": temporary, "new_password": PASSWORD},
        )
    )
    assert ok(me(api, chosen["access_token"]))["scopes"][0]["scope"] == "department:ludeng"
    assert sign_in(api, "clerk.qian", temporary).status_code == 401
    assert "access_token" in tokens(api, "clerk.qian")


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(api):
    staff_member(api)
    wrong = sign_in(api, "clerk.zhao", "not-the-password-1")
    unknown = sign_in(api, "nobody.here", "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.body == unknown.body
    assert error_of(wrong) == "invalid_credentials"


@pytest.mark.parametrize("username", ["clerk.zhao", "nobody.here"])
def test_five_wrong_passwords_lock_a_name_for_15_minutes_whether_it_exists_or_not(
    api, clock, username
):
    staff_member(api)
    for _ in range(5):
        assert sign_in(api, username, "not-the-password-1").status_code == 401
    locked = sign_in(api, username, PASSWORD)
    assert locked.status_code == 429 and error_of(locked) == "locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    clock.advance(minutes=16)
    after = sign_in(api, username, PASSWORD)
    assert after.status_code == (200 if username == "clerk.zhao" else 401)


def test_a_right_password_starts_the_count_again(api):
    staff_member(api)
    for _ in range(4):
        sign_in(api, "clerk.zhao", "not-the-password-1")
    tokens(api, "clerk.zhao")
    for _ in range(4):
        sign_in(api, "clerk.zhao", "not-the-password-1")
    assert "access_token" in tokens(api, "clerk.zhao")


def test_sign_ins_are_limited_per_network_address(api, wiring):
    wiring.__dict__["identity"] = replace(
        wiring.identity, settings=replace(wiring.identity.settings, sign_ins_per_address=3)
    )
    staff_member(api)
    # Behind the edge (every AWS stage) the address is the viewer address CloudFront adds.
    wiring.settings = replace(wiring.settings, edge_secret="edge-secret-for-tests")
    edge = {"X-Whistle-Edge": "edge-secret-for-tests"}
    here = {"CloudFront-Viewer-Address": "203.0.113.9:4431", **edge}
    statuses = [
        post(api, "/auth/sign-in", {"username": f"u{i}", "password": "x"}, **here).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    elsewhere = post(
        api,
        "/auth/sign-in",
        {"username": "clerk.zhao", "password": PASSWORD},
        **{"CloudFront-Viewer-Address": "198.51.100.2:80", **edge},
    )
    assert elsewhere.status_code == 200


def test_the_hash_is_made_again_when_the_configured_cost_changed(api, wiring):
    from functions.core.adapters.passwords import ScryptHasher

    staff_member(api)
    assert wiring.accounts.get("clerk.zhao").password_hash.startswith("scrypt$ln=4,")
    wiring.__dict__["identity"] = replace(wiring.identity, hasher=ScryptHasher(5))
    tokens(api, "clerk.zhao")
    assert wiring.accounts.get("clerk.zhao").password_hash.startswith("scrypt$ln=5,")
    assert "access_token" in tokens(api, "clerk.zhao")


# -- revocation at once ----------------------------------------------------------------------


def test_a_disabled_account_is_out_at_once(api):
    signed_in = tokens(api, staff_member(api))
    assert me(api, signed_in["access_token"]).status_code == 200
    disable(api, "clerk.zhao")
    assert me(api, signed_in["access_token"]).status_code == 401
    refreshed = post(api, "/auth/refresh", {"refresh_token": signed_in["refresh_token"]})
    assert refreshed.status_code == 401
    again = sign_in(api, "clerk.zhao", PASSWORD)
    assert again.status_code == 403 and error_of(again) == "account_disabled"


def test_another_warm_function_sees_a_disabled_account_within_seconds(api, wiring, clock):
    from functions.core.bootstrap import Wiring
    from functions.core.services.identity import authorize

    signed_in = tokens(api, staff_member(api))
    elsewhere = Wiring(settings=wiring.settings, clock=clock, ids=wiring.ids)
    assert authorize(elsewhere.identity, signed_in["access_token"]).username == "clerk.zhao"
    disable(api, "clerk.zhao")
    clock.advance(seconds=wiring.settings.identity.account_cache_seconds)
    with pytest.raises(Exception, match="session has ended"):
        authorize(elsewhere.identity, signed_in["access_token"])


def test_a_scope_change_applies_to_the_next_request(api):
    signed_in = tokens(api, staff_member(api, scopes=["community:c01"]))
    access = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert api.get("/staff/cases?view=inbox&target=c01", headers=access).status_code == 200
    ok(
        api.put(
            "/staff/accounts/clerk.zhao/scopes",
            headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
            body=json.dumps({"scopes": ["community:c02"]}).encode(),
        )
    )
    assert api.get("/staff/cases?view=inbox&target=c01", headers=access).status_code == 404
    assert api.get("/staff/cases?view=inbox&target=c02", headers=access).status_code == 200
    assert [s["scope"] for s in ok(me(api, signed_in["access_token"]))["scopes"]] == [
        "community:c02"
    ]


def test_a_refresh_token_is_used_once_and_a_reuse_ends_every_session(api):
    first = tokens(api, staff_member(api))
    second = ok(post(api, "/auth/refresh", {"refresh_token": first["refresh_token"]}))
    assert second["refresh_token"] != first["refresh_token"]
    assert me(api, second["access_token"]).status_code == 200
    replayed = post(api, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replayed.status_code == 401
    assert me(api, second["access_token"]).status_code == 401
    assert post(api, "/auth/refresh", {"refresh_token": second["refresh_token"]}).status_code == (
        401
    )
    assert "access_token" in tokens(api, "clerk.zhao")


def test_a_sign_in_ends_after_a_working_day_however_often_it_is_refreshed(api, clock):
    current = tokens(api, staff_member(api))
    assert current["session_expires_in"] == 12 * 3600  # the SPA warns before this
    clock.advance(hours=11, minutes=55)
    late = ok(post(api, "/auth/refresh", {"refresh_token": current["refresh_token"]}))
    assert late["session_expires_in"] == 5 * 60
    assert late["expires_in"] == 5 * 60  # no access token outlives the sign-in's end
    clock.advance(minutes=5)
    assert post(api, "/auth/refresh", {"refresh_token": late["refresh_token"]}).status_code == 401

    current = tokens(api, "clerk.zhao")
    for _ in range(3):
        clock.advance(hours=4)
        response = post(api, "/auth/refresh", {"refresh_token": current["refresh_token"]})
        if response.status_code != 200:
            break
        current = json.loads(response.body)
    assert response.status_code == 401


def test_sign_out_ends_the_session(api):
    signed_in = tokens(api, staff_member(api))
    access = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert ok(post(api, "/auth/sign-out", None, **access)) == {"signed_out": True}
    assert me(api, signed_in["access_token"]).status_code == 401
    assert post(
        api, "/auth/refresh", {"refresh_token": signed_in["refresh_token"]}
    ).status_code == (401)


# -- the second factor -----------------------------------------------------------------------


def enrol_totp(api: Any, clock: Any, access: str) -> str:
    headers = {"Authorization": f"Bearer {access}"}
    enrolled = ok(post(api, "/auth/totp", None, **headers))
    assert enrolled["uri"].startswith("otpauth://totp/")
    assert f"secret={enrolled['secret']}" in enrolled["uri"]
    secret = str(enrolled["secret"])
    code = code_at(secret, step_of(clock.now()))
    assert ok(post(api, "/auth/totp/confirm", {"code": code}, **headers)) == {"totp": True}
    return secret


def test_with_a_second_factor_a_password_alone_is_not_enough_and_a_code_works_once(api, clock):
    signed_in = tokens(api, staff_member(api))
    secret = enrol_totp(api, clock, signed_in["access_token"])
    assert ok(me(api, signed_in["access_token"]))["totp"] is True
    assert ok(sign_in(api, "clerk.zhao", PASSWORD)) == {"challenge": "totp"}
    assert sign_in(api, "clerk.zhao", "wrong-password-1", totp="123456").status_code == 401
    clock.advance(seconds=30)
    code = code_at(secret, step_of(clock.now()))
    wrong = "000000" if code != "000000" else "111111"
    bad = sign_in(api, "clerk.zhao", PASSWORD, totp=wrong)
    assert bad.status_code == 401 and error_of(bad) == "invalid_totp"
    assert "access_token" in tokens(api, "clerk.zhao", totp=code)
    replayed = sign_in(api, "clerk.zhao", PASSWORD, totp=code)
    assert replayed.status_code == 401 and error_of(replayed) == "invalid_totp"
    clock.advance(seconds=30)
    assert "access_token" in tokens(api, "clerk.zhao", totp=code_at(secret, step_of(clock.now())))


def test_wrong_codes_lock_the_name_like_wrong_passwords(api, clock):
    signed_in = tokens(api, staff_member(api))
    enrol_totp(api, clock, signed_in["access_token"])
    clock.advance(seconds=30)
    for _ in range(5):
        assert sign_in(api, "clerk.zhao", PASSWORD, totp="000001").status_code == 401
    assert sign_in(api, "clerk.zhao", PASSWORD).status_code == 429


def test_the_second_factor_is_removed_with_a_current_code(api, clock):
    signed_in = tokens(api, staff_member(api))
    secret = enrol_totp(api, clock, signed_in["access_token"])
    headers = {"Authorization": f"Bearer {signed_in['access_token']}"}
    clock.advance(seconds=30)
    refused = post(api, "/auth/totp/disable", {"code": "000002"}, **headers)
    assert refused.status_code == 401
    code = code_at(secret, step_of(clock.now()))
    assert ok(post(api, "/auth/totp/disable", {"code": code}, **headers)) == {"totp": False}
    assert "access_token" in tokens(api, "clerk.zhao")


def test_a_reset_gives_a_temporary_password_and_ends_sessions_second_factor_and_lock(api, clock):
    signed_in = tokens(api, staff_member(api))
    enrol_totp(api, clock, signed_in["access_token"])
    for _ in range(5):
        sign_in(api, "clerk.zhao", "not-the-password-1")
    listed = ok(api.get("/staff/accounts", headers=bearer(*DISTRICT)))["items"]
    assert next(a for a in listed if a["username"] == "clerk.zhao")["locked_until"]
    reset = ok(post(api, "/staff/accounts/clerk.zhao/password-reset", None, **bearer(*DISTRICT)))
    assert reset["must_change_password"] is True and reset["totp"] is False
    assert me(api, signed_in["access_token"]).status_code == 401
    assert sign_in(api, "clerk.zhao", PASSWORD).status_code == 401
    assert ok(sign_in(api, "clerk.zhao", reset["temporary_password"])) == {
        "challenge": "new_password"
    }
    new = ok(
        post(
            api,
            "/auth/password",
            {
                "username": "clerk.zhao",
                "password": reset["temporary_password"],
                "new_password": "Another-pass-2027",
            },
        )
    )
    assert me(api, new["access_token"]).status_code == 200


def test_only_the_district_manages_accounts(api):
    staff_member(api)
    community = bearer("community.c01", "community:c01")
    assert post(
        api, "/staff/accounts/clerk.zhao/password-reset", None, **community
    ).status_code == (403)
    assert (
        api.put(
            "/staff/accounts/clerk.zhao/work-chat/wecom",
            headers={"Content-Type": "application/json", **community},
            body=json.dumps({"user_id": "zhao"}).encode(),
        ).status_code
        == 403
    )


# -- work-chat sign-in -----------------------------------------------------------------------


@pytest.fixture
def platforms(wiring, clock):
    """WeCom and DingTalk apps configured, their APIs answered by a stand-in on 127.0.0.1."""
    fake = fake_apis.FakeWorkChat()
    wiring.__dict__["identity"] = replace(
        wiring.identity,
        work_chat=WorkChatClients(
            clock,
            WorkChatEndpoints(wecom_api=fake.url, dingtalk_api=fake.url, dingtalk_oapi=fake.url),
            wecom=WeComApp(fake_apis.CORP_ID, fake_apis.AGENT_ID, fake_apis.WECOM_SECRET),
            dingtalk=DingTalkApp(fake_apis.DINGTALK_KEY, fake_apis.DINGTALK_SECRET),
        ),
    )
    yield fake
    fake.stop()


def link(api: Any, username: str, provider: str, user_id: str) -> Any:
    return api.put(
        f"/staff/accounts/{username}/work-chat/{provider}",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"user_id": user_id}).encode(),
    )


def work_chat(api: Any, provider: str, code: str) -> Any:
    return post(api, "/auth/work-chat", {"provider": provider, "code": code})


def test_the_sign_in_page_learns_which_work_chat_apps_there_are(api, platforms):
    providers = ok(api.get("/auth/work-chat"))["providers"]
    assert [p["provider"] for p in providers] == ["wecom", "dingtalk"]
    assert f"appid={fake_apis.CORP_ID}" in providers[0]["authorize_url"]
    assert f"agentid={fake_apis.AGENT_ID}" in providers[0]["in_app_url"]
    assert f"client_id={fake_apis.DINGTALK_KEY}" in providers[1]["authorize_url"]


@pytest.mark.parametrize("provider", ["wecom", "dingtalk"])
def test_a_work_chat_code_signs_in_the_linked_account(api, platforms, provider):
    staff_member(api)
    assert ok(link(api, "clerk.zhao", provider, "zhaoyi"))["work_chat"] == {provider: "zhaoyi"}
    signed_in = ok(work_chat(api, provider, platforms.code_for(provider, "zhaoyi")))
    assert signed_in["username"] == "clerk.zhao"
    assert ok(me(api, signed_in["access_token"]))["work_chat"] == [provider]


@pytest.mark.parametrize("provider", ["wecom", "dingtalk"])
def test_a_bad_code_an_unlinked_user_and_a_disabled_account_get_the_same_answer(
    api, platforms, provider
):
    staff_member(api)
    ok(link(api, "clerk.zhao", provider, "zhaoyi"))
    bad_code = work_chat(api, provider, "made-up-code")
    unlinked = work_chat(api, provider, platforms.code_for(provider, "stranger"))
    code = platforms.code_for(provider, "zhaoyi")
    disable(api, "clerk.zhao")
    disabled = work_chat(api, provider, code)
    assert bad_code.status_code == unlinked.status_code == disabled.status_code == 401
    assert bad_code.body == unlinked.body == disabled.body


def test_a_code_is_good_once(api, platforms):
    staff_member(api)
    ok(link(api, "clerk.zhao", "wecom", "zhaoyi"))
    code = platforms.code_for("wecom", "zhaoyi")
    assert work_chat(api, "wecom", code).status_code == 200
    assert work_chat(api, "wecom", code).status_code == 401


def test_the_corp_token_is_kept_and_fetched_again_when_wecom_says_it_expired(api, platforms):
    staff_member(api)
    ok(link(api, "clerk.zhao", "wecom", "zhaoyi"))
    for _ in range(2):
        assert work_chat(api, "wecom", platforms.code_for("wecom", "zhaoyi")).status_code == 200
    assert platforms.calls.count("/cgi-bin/gettoken") == 1
    platforms.expire_app_tokens()
    assert work_chat(api, "wecom", platforms.code_for("wecom", "zhaoyi")).status_code == 200
    assert platforms.calls.count("/cgi-bin/gettoken") == 2


def test_a_work_chat_user_links_to_one_account_only(api, platforms):
    staff_member(api)
    staff_member(api, "clerk.sun")
    assert link(api, "clerk.zhao", "wecom", "zhaoyi").status_code == 200
    taken = link(api, "clerk.sun", "wecom", "zhaoyi")
    assert taken.status_code == 409 and error_of(taken) == "work_chat_taken"
    unlinked = ok(
        api.delete("/staff/accounts/clerk.zhao/work-chat/wecom", headers=bearer(*DISTRICT))
    )
    assert unlinked["work_chat"] == {}
    assert link(api, "clerk.sun", "wecom", "zhaoyi").status_code == 200


def test_an_unreachable_platform_is_a_503_not_a_refusal(api, platforms):
    platforms.down = True
    down = work_chat(api, "wecom", "any-code")
    assert down.status_code == 503 and error_of(down) == "work_chat_unavailable"


def test_without_work_chat_apps_there_is_nothing_to_offer(api):
    assert ok(api.get("/auth/work-chat")) == {"providers": []}
    # Asking for a sign-in the district did not set up is the asker's mistake, not an outage.
    assert work_chat(api, "wecom", "x").status_code == 404
