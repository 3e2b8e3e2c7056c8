"""What a reporter can do on their own case: add words or photos while it is open, withdraw it
before it is whistled, urge it once its stage is overdue (at most once a day) — each refused
with a clear 4xx otherwise, and only for the case's own reporter."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from functions.core.adapters.tables import CaseItem
from tests.images import metadata_of
from tests.integration.flows import COMMUNITY, DISTRICT, LUDENG, act, ok, report, tick, view
from tests.integration.test_intake_api import upload_photo
from tests.integration.test_resident_sign_in import error_code, post, session, sign_in


def as_reporter(receipt: dict[str, Any]) -> dict[str, str]:
    return {"X-Case-Token": receipt["token"]}


def test_the_reporter_adds_words_and_a_cleaned_photo_that_staff_see(api, wiring):
    first = report(api)
    added = post(
        api,
        f"/cases/{first['code']}/information",
        {"note": "晚上七点以后最黑"},
        **as_reporter(first),
    )
    assert added.status_code == 200, added.body
    key = uuid.uuid4().hex
    staged = upload_photo(api, key)
    with_photo = post(
        api,
        f"/cases/{first['code']}/information",
        {"photos": [staged]},
        **as_reporter(first),
        **{"Idempotency-Key": key},
    )
    assert with_photo.status_code == 200, with_photo.body
    staff = view(api, COMMUNITY, first["code"])
    infos = [e for e in staff["timeline"] if e["kind"] == "resident_info"]
    assert [e["note"] for e in infos] == ["晚上七点以后最黑", None]
    [kept] = infos[1]["data"]["photo_keys"]
    assert metadata_of(wiring.photos.read(kept)) == {}
    assert kept in CaseItem.get(first["code"]).resident_photos

    # Nothing to add, unknown fields, another's token: refused and nothing stored.
    empty = post(api, f"/cases/{first['code']}/information", {}, **as_reporter(first))
    assert empty.status_code == 400
    extra = post(
        api, f"/cases/{first['code']}/information", {"note": "x", "x": 1}, **as_reporter(first)
    )
    assert extra.status_code == 400
    other = report(api)
    wrong = post(api, f"/cases/{first['code']}/information", {"note": "x"}, **as_reporter(other))
    assert wrong.status_code == 404
    assert (
        len(
            [
                e
                for e in view(api, COMMUNITY, first["code"])["timeline"]
                if e["kind"] == "resident_info"
            ]
        )
        == 2
    )

    ok(act(api, COMMUNITY, first["code"], "reject", reason="不属于受理范围"))
    closed = post(api, f"/cases/{first['code']}/information", {"note": "x"}, **as_reporter(first))
    assert closed.status_code == 409 and error_code(closed) == "not_open"


def test_withdraw_before_the_whistle_only_and_a_withdrawn_case_is_final(api, wiring):
    first = report(api)
    seen = json.loads(api.get(f"/cases/{first['code']}", headers=as_reporter(first)).body)
    assert seen["can_withdraw"] is True
    done = post(
        api, f"/cases/{first['code']}/withdrawal", {"reason": "已自行解决"}, **as_reporter(first)
    )
    assert done.status_code == 200, done.body
    body = json.loads(done.body)
    assert body["status"] == "withdrawn" and body["can_withdraw"] is False
    assert body["timeline"][-1]["kind"] == "withdrawn"
    staff = view(api, COMMUNITY, first["code"])
    assert staff["status"] == "withdrawn" and not {"whistle", "reject", "merge"} & set(
        staff["actions"]
    )
    again = post(api, f"/cases/{first['code']}/withdrawal", {}, **as_reporter(first))
    assert again.status_code == 409 and error_code(again) == "not_withdrawable"
    # Off the community's inbox.
    inbox = ok(api.get("/staff/cases?view=inbox", headers=_bearer(COMMUNITY)))
    assert first["code"] not in [c["code"] for c in inbox["items"]]

    whistled = report(api)
    ok(act(api, COMMUNITY, whistled["code"], "whistle"))
    late = post(api, f"/cases/{whistled['code']}/withdrawal", {}, **as_reporter(whistled))
    assert late.status_code == 409 and error_code(late) == "not_withdrawable"
    long_reason = post(
        api,
        f"/cases/{whistled['code']}/withdrawal",
        {"reason": "长" * 201},
        **as_reporter(whistled),
    )
    assert long_reason.status_code == 400


def test_urge_once_the_stage_is_overdue_and_at_most_once_a_day(api, wiring, clock):
    first = report(api)
    ok(act(api, COMMUNITY, first["code"], "whistle"))
    tick(wiring)
    early = post(api, f"/cases/{first['code']}/urge", {}, **as_reporter(first))
    assert early.status_code == 409 and error_code(early) == "not_overdue"
    ok(act(api, LUDENG, first["code"], "claim"))

    clock.advance(days=30)  # far past the resolution limit
    urged = post(api, f"/cases/{first['code']}/urge", {}, **as_reporter(first))
    assert urged.status_code == 200, urged.body
    assert json.loads(urged.body)["urged_at"]
    twice = post(api, f"/cases/{first['code']}/urge", {}, **as_reporter(first))
    assert twice.status_code == 429 and error_code(twice) == "urged_recently"
    assert int(twice.headers["Retry-After"]) == int(timedelta(days=1).total_seconds())
    clock.advance(hours=24, minutes=1)
    assert post(api, f"/cases/{first['code']}/urge", {}, **as_reporter(first)).status_code == 200

    # The community and the district see it on the timeline.
    for who in (COMMUNITY, DISTRICT):
        kinds = [e["kind"] for e in view(api, who, first["code"])["timeline"]]
        assert kinds.count("urged") == 2
    bad = post(api, f"/cases/{first['code']}/urge", {"please": True}, **as_reporter(first))
    assert bad.status_code == 400


def test_a_follower_cannot_take_the_reporters_actions(api, wiring):
    first = report(api)
    token = sign_in(api, "13700003333")
    joined = post(api, f"/cases/{first['code']}/followers", {}, **session(token))
    assert joined.status_code == 201
    for path, body in (("withdrawal", {}), ("information", {"note": "x"}), ("urge", {})):
        refused = post(api, f"/cases/{first['code']}/{path}", body, **session(token))
        assert refused.status_code == 404, path
    assert view(api, COMMUNITY, first["code"])["status"] == "submitted"


def _bearer(who: tuple[str, str]) -> dict[str, str]:
    from tests.conftest import bearer

    return bearer(*who)
