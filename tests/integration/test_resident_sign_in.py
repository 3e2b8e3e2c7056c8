"""A resident signs in with their phone number and a 6-digit SMS code, and sees every case
filed with that number from any device; the session opens those cases and no other. The
code is short-lived, has five tries, is sent a bounded number of times, and the answer never
tells whether a number has cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.core.adapters.tables import NotificationItem
from functions.core.domain.errors import RateLimited
from functions.core.services import residents
from tests.conftest import bearer
from tests.integration.flows import DISTRICT, report

NUMBER = "13900005678"
OTHER = "13911115678"  # another number with the same masked form


def post(api: Any, path: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.post(path, headers={"Content-Type": "application/json", **headers}, body=raw)


def sent_codes() -> list[dict[str, Any]]:
    """The sign-in SMS in the outbox."""
    items = [i for i in NotificationItem.scan() if i.template == "resident_sign_in"]
    return [
        {
            "id": i.id,
            "code": i.params["code"],
            "to": i.recipient_display,
            "status": i.status,
            "body": i.body,
        }
        for i in items
    ]


def ask_code(api: Any, number: str = NUMBER) -> str:
    before = {sms["id"] for sms in sent_codes()}
    response = post(api, "/resident/code", {"phone": number})
    assert response.status_code == 202, response.body
    [new] = [sms for sms in sent_codes() if sms["id"] not in before]
    return str(new["code"])


def sign_in(api: Any, number: str = NUMBER) -> str:
    code = ask_code(api, number)
    response = post(api, "/resident/session", {"phone": number, "code": code})
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["token"])


def session(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: Any) -> str:
    return str(json.loads(response.body)["error"]["code"])


def test_a_resident_signs_in_on_another_device_and_sees_every_case_of_the_number(api, clock):
    first = report(api, phone=NUMBER)
    clock.advance(minutes=1)
    second = report(api, phone=f"+86 {NUMBER[:3]} {NUMBER[3:7]} {NUMBER[7:]}")
    someone_else = report(api, phone=OTHER)

    token = sign_in(api)
    [sms] = sent_codes()
    assert sms["to"] == "139****5678" and sms["status"] == "sent"  # sent at once
    assert sms["body"].startswith(f"验证码{sms['code']}，5分钟内有效")

    mine = json.loads(api.get("/resident/cases", headers=session(token)).body)["items"]
    assert [c["code"] for c in mine] == [second["code"], first["code"]]
    assert mine[0]["status"] == "submitted" and mine[0]["category"]["id"] == "street_light"
    # The session opens the number's cases without their tokens…
    case = api.get(f"/cases/{first['code']}", headers=session(token))
    assert case.status_code == 200 and json.loads(case.body)["phone"] == "139****5678"
    # …and another number's case looks like no case at all.
    other = api.get(f"/cases/{someone_else['code']}", headers=session(token))
    unknown = api.get("/cases/YS-2611-27-9999", headers=session(token))
    assert other.status_code == unknown.status_code == 404
    assert other.body == unknown.body


def test_an_unknown_number_is_answered_exactly_like_a_known_one(api):
    report(api, phone=NUMBER)
    known = post(api, "/resident/code", {"phone": NUMBER})
    unknown = post(api, "/resident/code", {"phone": OTHER})
    assert (known.status_code, known.body) == (unknown.status_code, unknown.body)
    assert len(sent_codes()) == 2  # the number without cases gets its code too
    token = sign_in(api, OTHER)
    assert json.loads(api.get("/resident/cases", headers=session(token)).body) == {"items": []}


def test_a_wrong_code_an_expired_code_and_a_used_code_are_refused_alike(api, clock):
    report(api, phone=NUMBER)
    code = ask_code(api)
    wrong = "000000" if code != "000000" else "111111"
    refused = post(api, "/resident/session", {"phone": NUMBER, "code": wrong})
    assert refused.status_code == 400 and error_code(refused) == "invalid_code"

    accepted = post(api, "/resident/session", {"phone": NUMBER, "code": code})
    assert accepted.status_code == 200
    again = post(api, "/resident/session", {"phone": NUMBER, "code": code})
    assert (again.status_code, again.body) == (refused.status_code, refused.body)

    late = ask_code(api)
    clock.advance(minutes=5, seconds=1)
    expired = post(api, "/resident/session", {"phone": NUMBER, "code": late})
    assert (expired.status_code, expired.body) == (refused.status_code, refused.body)

    never = post(api, "/resident/session", {"phone": OTHER, "code": late})
    assert (never.status_code, never.body) == (refused.status_code, refused.body)


def test_the_sixth_try_fails_even_with_the_right_code(api):
    code = ask_code(api)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = post(api, "/resident/session", {"phone": NUMBER, "code": wrong})
        assert error_code(response) == "invalid_code"
    sixth = post(api, "/resident/session", {"phone": NUMBER, "code": code})
    assert sixth.status_code == 400 and error_code(sixth) == "invalid_code"
    # A new code starts afresh.
    fresh = ask_code(api)
    assert post(api, "/resident/session", {"phone": NUMBER, "code": fresh}).status_code == 200


def test_codes_are_limited_per_number(api):
    for _ in range(5):
        assert post(api, "/resident/code", {"phone": NUMBER}).status_code == 202
    limited = post(api, "/resident/code", {"phone": NUMBER})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert len(sent_codes()) == 5  # the refused request sent nothing
    assert post(api, "/resident/code", {"phone": OTHER}).status_code == 202


def test_codes_are_limited_per_sender(api, wiring):
    deps = wiring.residents
    for index in range(deps.limits.sign_in_codes_per_address):
        residents.request_code(deps, {"phone": f"1390000{index:04d}"}, source="198.51.100.7")
    with pytest.raises(RateLimited):
        residents.request_code(deps, {"phone": "13700000000"}, source="198.51.100.7")
    residents.request_code(deps, {"phone": "13700000000"}, source="198.51.100.8")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/resident/code", {"phone": "12345"}),
        ("/resident/code", {"phone": "１３９００００５６７８", "extra": 1}),
        ("/resident/code", {}),
        ("/resident/code", b"{not json"),
        ("/resident/session", {"phone": NUMBER, "code": "12345"}),
        ("/resident/session", {"phone": NUMBER, "code": "１２３４５６"}),
        ("/resident/session", {"phone": NUMBER, "code": 123456}),
        ("/resident/session", {"phone": NUMBER}),
    ],
)
def test_bad_input_is_a_400_and_sends_nothing(api, path, body):
    response = post(api, path, body)
    assert response.status_code == 400, response.body
    assert set(json.loads(response.body)["error"]) == {"code", "message", "details"}
    assert sent_codes() == []


def test_a_resident_session_is_no_staff_token_and_a_staff_token_no_resident_session(api):
    token = sign_in(api)
    assert api.get("/staff/me", headers=session(token)).status_code == 401
    staff = api.get("/resident/cases", headers=bearer(*DISTRICT))
    assert staff.status_code == 401 and error_code(staff) == "invalid_token"
    assert api.get("/resident/cases").status_code == 401


def test_a_session_expires_after_an_hour(api, clock):
    report(api, phone=NUMBER)
    token = sign_in(api)
    clock.advance(hours=1, minutes=1)
    assert api.get("/resident/cases", headers=session(token)).status_code == 401


def test_the_phone_number_is_looked_up_by_its_keyed_hash_only(api, aws_calls):
    report(api, phone=NUMBER)
    token = sign_in(api)
    aws_calls.clear()
    api.get("/resident/cases", headers=session(token))
    # The cases the number reported and those it follows: one Query each on the keyed hash,
    # whatever the tables hold.
    assert aws_calls.of("dynamodb") == ["Query", "Query"]
    stored = [i.attribute_values for i in NotificationItem.scan()]
    assert NUMBER not in json.dumps(stored, default=str, ensure_ascii=False)
