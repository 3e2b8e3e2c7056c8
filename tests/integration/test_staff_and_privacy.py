"""Staff tokens through our own authorizer, staff accounts, the phone reveal audit, the rate
limits, and a whole flow whose logs never hold a phone number."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import TOKENS, bearer
from tests.fakes import TokenFactory
from tests.integration.flows import COMMUNITY, DISTRICT, LUDENG, act, ok, report, staff_get, tick


def me(api, token: str):
    return api.get("/staff/me", headers={"Authorization": f"Bearer {token}"})


def test_the_authorizer_gives_the_accounts_roles_and_scopes(api, clock):
    response = me(
        api, TOKENS.token("community.c01", ["community:c01", "not-a-scope"], now=clock.now())
    )
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["roles"] == ["community"]
    assert body["scopes"] == [{"scope": "community:c01", "role": "community", "name": "桃园社区"}]


@pytest.mark.parametrize(
    "forge",
    [
        lambda now: TOKENS.token("x", ["district"], now=now)[:-6] + "AAAAAA",  # tampered
        lambda now: TOKENS.token("x", ["district"], now=now, aud="other-app"),  # audience
        lambda now: TOKENS.token("x", ["district"], now=now, iss="someone-else"),  # issuer
        lambda now: TOKENS.token("x", ["district"], now=now - timedelta(hours=2)),  # expired
        lambda now: TOKENS.token("x", ["district"], now=now, alg="none"),  # no signature
        lambda now: TOKENS.token("x", ["district"], now=now, gen=7),  # another generation
        lambda now: TOKENS.token("x", ["district"], now=now, sub="nobody"),  # no account
        lambda now: TokenFactory(b"k" * 32).token("x", ["district"], now=now),  # other key
    ],
    ids=[
        "tampered",
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "alg-none",
        "revoked-generation",
        "unknown-account",
        "another-key",
    ],
)
def test_a_bad_token_is_a_401(api, clock, forge):
    assert me(api, TOKENS.token("x", ["district"], now=clock.now())).status_code == 200
    assert me(api, forge(clock.now())).status_code == 401


def test_a_valid_token_without_the_role_is_a_403_in_the_error_shape(api):
    response = api.get("/staff/accounts", headers=bearer(*COMMUNITY))
    assert response.status_code == 403
    assert json.loads(response.body)["error"]["code"] == "forbidden"


def test_the_district_invites_sets_scopes_and_disables_staff(api):
    invited = api.post(
        "/staff/accounts",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps(
            {
                "username": "clerk.wang",
                "name": "王办事员",
                "email": "wang@yushan.example",
                "scopes": ["department:ludeng"],
            }
        ).encode(),
    )
    assert invited.status_code == 201, invited.body
    account = json.loads(invited.body)
    assert account["scopes"] == ["department:ludeng"] and account["temporary_password"]
    changed = ok(
        api.put(
            "/staff/accounts/clerk.wang/scopes",
            headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
            body=json.dumps({"scopes": ["department:zhujian", "community:c03"]}).encode(),
        )
    )
    assert changed["scopes"] == ["community:c03", "department:zhujian"]
    disabled = ok(
        api.put(
            "/staff/accounts/clerk.wang/enabled",
            headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
            body=json.dumps({"enabled": False}).encode(),
        )
    )
    assert disabled["enabled"] is False
    listed = ok(staff_get(api, DISTRICT, "/staff/accounts"))
    assert [a["username"] for a in listed["items"]] == ["clerk.wang", "district.admin"]


def test_unknown_scopes_and_a_taken_username_are_refused(api):
    def invite(scopes, username="clerk.li"):
        return api.post(
            "/staff/accounts",
            headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
            body=json.dumps(
                {"username": username, "name": "李", "email": "li@yushan.example", "scopes": scopes}
            ).encode(),
        )

    bad = invite(["community:c99", "mayor", "department:ludeng"])
    assert bad.status_code == 400
    fields = [d["field"] for d in json.loads(bad.body)["error"]["details"]]
    assert fields == ["scopes/0", "scopes/1"]
    assert invite(["department:ludeng"]).status_code == 201
    assert invite(["department:ludeng"]).status_code == 409


def test_only_the_clerk_handling_the_case_may_reveal_the_phone_and_it_is_recorded(
    api, wiring, robots
):
    receipt = report(api, phone="13987654321")
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    colleague = ("department.ludeng.2", "department:ludeng")
    assert api.post(f"/staff/cases/{code}/phone", headers=bearer(*colleague)).status_code == 403
    assert api.post(f"/staff/cases/{code}/phone", headers=bearer(*COMMUNITY)).status_code == 403
    revealed = ok(api.post(f"/staff/cases/{code}/phone", headers=bearer(*LUDENG)))
    assert revealed["phone"] == "13987654321"
    timeline = ok(staff_get(api, LUDENG, f"/staff/cases/{code}"))["timeline"]
    assert timeline[-1]["kind"] == "phone_revealed" and timeline[-1]["actor"] == "department.ludeng"
    assert "13987654321" not in json.dumps(timeline)
    for who in (COMMUNITY, DISTRICT):
        assert ok(staff_get(api, who, f"/staff/cases/{code}"))["phone"] == "139****4321"


def test_reports_are_limited_per_phone_with_retry_after(api, wiring):
    phone = "13700001111"
    for number in range(wiring.settings.limits.reports_per_phone):
        report(api, phone=phone, description=f"第{number}个问题：楼道灯不亮")
    refused = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        body=json.dumps(
            {
                "category": "street_light",
                "compound": "x001",
                "address": "1栋",
                "description": "又一个问题：路灯",
                "phone": phone,
                "consent": True,
            }
        ).encode(),
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert json.loads(refused.body)["error"]["code"] == "rate_limited"


def test_reports_are_limited_per_network_address_as_the_edge_saw_it(api, wiring):
    # As in AWS: only what came through CloudFront is answered, with the viewer's address
    # CloudFront adds.
    wiring.settings = replace(wiring.settings, edge_secret="edge-secret-for-tests")
    limit = wiring.settings.limits.reports_per_address
    statuses = []
    for number in range(limit + 1):
        response = api.post(
            "/cases",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
                "CloudFront-Viewer-Address": "203.0.113.7:51234",
                "X-Whistle-Edge": "edge-secret-for-tests",
            },
            body=json.dumps(
                {
                    "category": "street_light",
                    "compound": "x001",
                    "address": "1栋",
                    "description": f"问题{number}：路灯不亮",
                    "phone": f"1390000{number:04d}",
                    "consent": True,
                }
            ).encode(),
        )
        statuses.append(response.status_code)
    assert statuses[:limit] == [201] * limit and statuses[limit] == 429
    other = api.post(  # another address is not affected
        "/cases",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
            "CloudFront-Viewer-Address": "198.51.100.9:40000",
            "X-Whistle-Edge": "edge-secret-for-tests",
        },
        body=json.dumps(
            {
                "category": "street_light",
                "compound": "x001",
                "address": "1栋",
                "description": "另一个网络：路灯不亮",
                "consent": True,
                "phone": "13900009999",
            }
        ).encode(),
    )
    assert other.status_code == 201


def test_the_limit_holds_for_its_fixed_window_and_opens_in_the_next(api, wiring, clock):
    phone = "13600002222"
    limit = wiring.settings.limits.reports_per_phone
    clock.at = clock.at.replace(minute=10, second=0)
    for number in range(limit):
        report(api, phone=phone, description=f"问题{number}：路面破损")

    def another(description: str) -> Any:
        return api.post(
            "/cases",
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
            body=json.dumps(
                {
                    "category": "damaged_road",
                    "compound": "x001",
                    "address": "1栋",
                    "description": description,
                    "phone": phone,
                    "consent": True,
                }
            ).encode(),
        )

    clock.advance(minutes=45)  # still the same hour's window
    blocked = another("新问题：路面破损")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == 5 * 60  # the window ends at minute 60
    clock.advance(minutes=5)
    assert another("下一个小时：路面破损").status_code == 201


def test_a_retry_of_an_accepted_report_is_never_rate_limited(api, wiring):
    phone = "13500003333"
    key = "retry-after-limit-01"
    body = {
        "category": "street_light",
        "compound": "x001",
        "address": "1栋",
        "description": "路灯坏了好几天",
        "phone": phone,
        "consent": True,
    }
    first = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps(body).encode(),
    )
    for number in range(wiring.settings.limits.reports_per_phone - 1):
        report(api, phone=phone, description=f"第{number}个：路灯")
    with pytest.raises(AssertionError):  # the phone has reached its limit…
        report(api, phone=phone, description="再来一个：路灯")
    again = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps(body).encode(),
    )
    assert again.status_code == 201
    assert json.loads(again.body)["code"] == json.loads(first.body)["code"]


def test_a_whole_flow_leaves_no_phone_number_in_the_logs(api, wiring, robots, caplog):
    caplog.set_level(logging.DEBUG)
    for noisy in ("pynamodb", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    phone = "13911112222"
    receipt = report(api, phone=phone)
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    api.post(f"/staff/cases/{code}/phone", headers=bearer(*LUDENG))
    ok(act(api, LUDENG, code, "resolve", note="已修复"))
    tick(wiring)
    api.post(
        f"/cases/{code}/rating",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps({"resolved": True, "satisfaction": "satisfied"}).encode(),
    )
    api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": "bad-one-123"},
        body=json.dumps({"phone": phone, "category": "nope"}).encode(),
    )
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert phone not in logged
    assert phone[-4:] + "\n" not in logged
