"""Residents who have the same problem follow one case: "me too" joins it with a phone sign-in,
a merge moves the merged case's reporter and followers to the case it joins, every resident
message fans out to each of them (their own cap and opt-out, nothing sent twice), and "residents
waiting" counts them all without naming anyone."""

from __future__ import annotations

import json
import uuid
from typing import Any

from functions.core.adapters.tables import FollowerItem, NotificationItem
from tests.images import metadata_of
from tests.integration.flows import COMMUNITY, LUDENG, act, ok, report, resident_view, tick, view
from tests.integration.test_intake_api import upload_photo
from tests.integration.test_resident_sign_in import error_code, post, session, sign_in

NEIGHBOUR = "13700001111"
SECOND = "13700002222"


def follow(api: Any, code: str, token: str | None, body: Any = None, **headers: str) -> Any:
    auth = session(token) if token else {}
    return post(api, f"/cases/{code}/followers", {} if body is None else body, **auth, **headers)


def sms_to(masked: str, template: str | None = None) -> list[Any]:
    return [
        n
        for n in NotificationItem.scan()
        if n.channel == "sms"
        and n.recipient_display == masked
        and (template is None or n.template == template)
    ]


def resolve(api: Any, wiring: Any, code: str) -> None:
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    ok(act(api, LUDENG, code, "resolve", note="已更换灯泡"))


def test_me_too_joins_once_per_number_and_the_follower_hears_every_step(api, wiring):
    first = report(api)
    token = sign_in(api, NEIGHBOUR)

    joined = follow(api, first["code"], token, {"note": "我家门口也是"})
    assert joined.status_code == 201, joined.body
    assert json.loads(joined.body) == {
        "code": first["code"],
        "following": True,
        "residents_waiting": 2,
    }
    again = follow(api, first["code"], token, {"note": "再按一次"})
    assert again.status_code == 200 and json.loads(again.body)["residents_waiting"] == 2
    assert len(list(FollowerItem.query(first["code"]))) == 1

    # Staff see the weight of the problem and the neighbour's line; the neighbour's number
    # is stored sealed, never in clear.
    staff = view(api, COMMUNITY, first["code"])
    assert staff["residents_waiting"] == 2
    [followed] = [e for e in staff["timeline"] if e["kind"] == "followed"]
    assert followed["note"] == "我家门口也是"
    [item] = FollowerItem.query(first["code"])
    assert NEIGHBOUR not in json.dumps(item.attribute_values, default=str)

    resolve(api, wiring, first["code"])
    # The reporter and the follower are each told, each with their own link.
    whistled = sms_to("137****1111", "resident_whistled")
    assert len(whistled) == 1
    reporter_sms = [
        n
        for n in NotificationItem.scan()
        if n.template == "resident_whistled" and n.recipient_display != "137****1111"
    ]
    assert len(reporter_sms) == 1
    assert whistled[0].params["link"] != reporter_sms[0].params["link"]
    assert len(sms_to("137****1111", "resident_resolved")) == 1
    # A rerun of the job sends nothing twice.
    tick(wiring)
    assert len(sms_to("137****1111")) == 3  # sign-in code, whistled, resolved

    # The follower's own link opens the case as a follower: progress and result, never the
    # reporter's words, photos or address.
    key = whistled[0].params["link"].split(".", 1)[1]
    seen = api.get(f"/cases/{first['code']}", headers={"X-Case-Token": key})
    assert seen.status_code == 200
    as_follower = json.loads(seen.body)
    assert as_follower["following"] is True and as_follower["description"] == ""
    assert as_follower["address"] == "" and as_follower["photos"] == []
    assert as_follower["can_rate"] is True and as_follower["residents_waiting"] == 2
    assert "路灯坏了" not in seen.body.decode()

    # My cases of the follower's number lists it as followed.
    mine = json.loads(api.get("/resident/cases", headers=session(token)).body)["items"]
    assert [(c["code"], c["following"]) for c in mine] == [(first["code"], True)]

    # The follower rates: recorded on the follower and the timeline, and it does not close
    # the case nor count as the reporter's rating.
    rated = post(
        api,
        f"/cases/{first['code']}/rating",
        {"resolved": True, "satisfaction": "satisfied"},
        **session(token),
    )
    assert rated.status_code == 200 and json.loads(rated.body)["status"] == "resolved"
    again = post(
        api,
        f"/cases/{first['code']}/rating",
        {"resolved": False, "satisfaction": "not_satisfied"},
        **session(token),
    )
    assert again.status_code == 409 and error_code(again) == "already_rated"
    reporter = resident_view(api, first)
    assert reporter["rating"] is None and reporter["can_rate"] is True
    kinds = [e["kind"] for e in view(api, COMMUNITY, first["code"])["timeline"]]
    assert "follower_rated" in kinds and "rated" not in kinds


def test_a_follower_who_opts_out_gets_only_the_essential_messages(api, wiring):
    first = report(api)
    token = sign_in(api, NEIGHBOUR)
    assert follow(api, first["code"], token).status_code == 201
    quiet = api.put(
        f"/cases/{first['code']}/preferences",
        headers={"Content-Type": "application/json", **session(token)},
        body=json.dumps({"updates": "essential"}).encode(),
    )
    assert quiet.status_code == 200
    ok(act(api, COMMUNITY, first["code"], "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, first["code"], "return", reason="不是本单位"))
    assert sms_to("137****1111", "resident_whistled")
    assert not sms_to("137****1111", "resident_returned")  # optional: opted out
    # The reporter did not opt out and hears of the return.
    assert [n for n in NotificationItem.scan() if n.template == "resident_returned"]


def test_me_too_refuses_bad_input_and_finished_cases(api, wiring):
    first = report(api)
    token = sign_in(api, NEIGHBOUR)
    assert follow(api, first["code"], None).status_code == 401
    assert follow(api, first["code"], "not-a-session").status_code == 401
    long_note = follow(api, first["code"], token, {"note": "长" * 201})
    assert long_note.status_code == 400
    unknown = follow(api, first["code"], token, {"note": "x", "name": "张三"})
    assert unknown.status_code == 400
    assert follow(api, "YS-0000-00-0000", token).status_code == 404
    assert follow(api, "not a code", token).status_code == 404
    # A photo that was never uploaded.
    missing = follow(
        api,
        first["code"],
        token,
        {"photos": ["incoming/x/0123456789abcdef0123456789abcdef.jpg"]},
        **{"Idempotency-Key": uuid.uuid4().hex},
    )
    assert missing.status_code == 400
    assert list(FollowerItem.query(first["code"])) == []
    assert view(api, COMMUNITY, first["code"])["residents_waiting"] == 1

    ok(act(api, COMMUNITY, first["code"], "reject", reason="不属于受理范围"))
    closed = follow(api, first["code"], token)
    assert closed.status_code == 409 and error_code(closed) == "case_not_open"
    # The reporter's own number joining their own case adds nothing.
    withdrawn_case = report(api, phone=NEIGHBOUR)
    assert follow(api, withdrawn_case["code"], token).status_code == 200
    assert list(FollowerItem.query(withdrawn_case["code"])) == []


def test_a_me_too_photo_is_cleaned_of_its_location_and_shown_to_staff_only(api, wiring):
    first = report(api)
    token = sign_in(api, NEIGHBOUR)
    key = uuid.uuid4().hex
    staged = upload_photo(api, key)
    joined = follow(api, first["code"], token, {"photos": [staged]}, **{"Idempotency-Key": key})
    assert joined.status_code == 201, joined.body
    [item] = FollowerItem.query(first["code"])
    [kept] = item.photos
    assert kept.startswith("cases/") and metadata_of(wiring.photos.read(kept)) == {}
    staff = view(api, COMMUNITY, first["code"])
    [followed] = [e for e in staff["timeline"] if e["kind"] == "followed"]
    assert followed["data"]["photo_keys"] == [kept]
    assert resident_view(api, first)["photos"] == []


def test_a_merge_moves_the_reporter_and_followers_who_are_told_with_a_link_to_the_survivor(
    api, wiring
):
    survivor = report(api)
    merged = report(api, phone=SECOND, description="北门路灯不亮，已经好几天了")
    token = sign_in(api, NEIGHBOUR)
    assert follow(api, merged["code"], token).status_code == 201

    ok(act(api, COMMUNITY, merged["code"], "merge", into=survivor["code"]))
    staff = view(api, COMMUNITY, survivor["code"])
    assert staff["residents_waiting"] == 3  # the reporter, the moved follower, the merged case
    moved = {i.phone_masked: i.joined for i in FollowerItem.query(survivor["code"])}
    assert moved == {"137****2222": "merged_reporter", "137****1111": "merged_follower"}

    # Both are told, each with a link that opens the survivor as its follower.
    for masked in ("137****2222", "137****1111"):
        [sms] = sms_to(masked, "resident_merged")
        assert sms.params["into"] == survivor["code"]
        assert sms.params["link"].startswith(f"{survivor['code']}.")
        key = sms.params["link"].split(".", 1)[1]
        opened = api.get(f"/cases/{survivor['code']}", headers={"X-Case-Token": key})
        assert opened.status_code == 200 and json.loads(opened.body)["following"] is True
    # The merged case's own page still links to the survivor.
    page = resident_view(api, merged)
    assert page["merged_into"] == survivor["code"]
    assert page["merged_link"] == sms_to("137****2222", "resident_merged")[0].params["link"]

    # Then they hear the survivor's messages and may rate it.
    resolve(api, wiring, survivor["code"])
    assert len(sms_to("137****2222", "resident_resolved")) == 1
    assert len(sms_to("137****1111", "resident_resolved")) == 1
    rated = post(
        api,
        f"/cases/{survivor['code']}/rating",
        {"resolved": True, "satisfaction": "fairly_satisfied"},
        **session(token),
    )
    assert rated.status_code == 200


def test_merging_into_a_finished_case_is_refused_with_the_reason(api, wiring):
    target = report(api)
    other = report(api)
    ok(act(api, COMMUNITY, target["code"], "reject", reason="不属于受理范围"))
    refused = act(api, COMMUNITY, other["code"], "merge", into=target["code"])
    assert refused.status_code == 409 and error_code(refused) == "merge_target_closed"
    assert "rejected" in json.loads(refused.body)["error"]["message"]
    assert view(api, COMMUNITY, other["code"])["status"] == "submitted"
    withdrawn = report(api)
    post(api, f"/cases/{withdrawn['code']}/withdrawal", {}, **{"X-Case-Token": withdrawn["token"]})
    refused = act(api, COMMUNITY, other["code"], "merge", into=withdrawn["code"])
    assert refused.status_code == 409 and error_code(refused) == "merge_target_closed"
