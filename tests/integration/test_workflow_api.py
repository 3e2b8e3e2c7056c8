"""社区吹哨、部门报到 through the API: triage, whistle, dispatch, claim, resolve, rate — and
every refusal on the way."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import boto3
import requests

from functions.core.adapters.tables import NotificationItem
from tests.images import photo as camera_photo
from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    OTHER_COMMUNITY,
    ZHUJIAN,
    act,
    ok,
    report,
    resident_view,
    staff_get,
    tick,
    view,
)


def action_pass(code: str) -> str:
    links = [n.link for n in NotificationItem.by_case.query(code) if n.link]
    assert links, "no action link was sent"
    return urllib.parse.parse_qs(urllib.parse.urlsplit(links[0]).fragment.split("?", 1)[1])["pass"][
        0
    ]


def link_get(api, code, token):
    return api.get(f"/act/cases/{code}", headers={"X-Action-Pass": token})


def link_act(api, code, token, action, **body):
    return api.post(
        f"/act/cases/{code}/actions/{action}",
        headers={"Content-Type": "application/json", "X-Action-Pass": token},
        body=json.dumps(body).encode(),
    )


def upload(api, key: str, data: bytes) -> str:
    ticket = json.loads(
        api.post(
            "/uploads",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
            body=json.dumps({"content_type": "image/jpeg", "size": len(data)}).encode(),
        ).body
    )
    posted = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("p.jpg", data, "image/jpeg")},
        timeout=10,
    )
    assert posted.status_code in (200, 204)
    return str(ticket["key"])


def test_the_whole_story_from_report_to_closed(api, wiring, robots, clock):
    receipt = report(api)
    code = receipt["code"]

    inbox = ok(staff_get(api, COMMUNITY, "/staff/cases?view=inbox"))
    assert [c["code"] for c in inbox["items"]] == [code]
    case = view(api, COMMUNITY, code)
    assert case["routed_department"] == "ludeng"
    assert case["phone"] == "138****5678" and "whistle" in case["actions"]

    whistled = ok(act(api, COMMUNITY, code, "whistle", note="请路灯所处理"))
    assert whistled["status"] == "whistled" and whistled["department"]["id"] == "ludeng"
    assert resident_view(api, receipt)["status"] == "whistled"

    report_of_tick = tick(wiring)
    assert report_of_tick["fired"] == 1 and report_of_tick["dead"] == 0
    assert view(api, LUDENG, code)["status"] == "dispatched"
    sent = {(n.channel, n.template): n.status for n in NotificationItem.by_case.query(code)}
    assert sent[("webhook", "dispatched")] == "sent"
    assert sent[("email", "dispatched")] == "sent"
    assert sent[("sms", "resident_whistled")] == "sent"
    [(_, message)] = [r for r in robots.received if "ludeng" in r[0]]
    assert "认领" in message["text"]["content"] and code in message["text"]["content"]

    token = action_pass(code)
    opened = ok(link_get(api, code, token))
    assert opened["actions"] == ["claim", "return"]
    assert opened["due"]["stage"] == "claim"
    claimed = ok(link_act(api, code, token, "claim", version=opened["version"]))
    assert claimed["status"] == "claimed"
    # Staff read who acted through the link as the department, never as "link:ludeng".
    handling = view(api, DISTRICT, code)
    assert handling["handled_by"] == {
        "id": "link:ludeng",
        "name": "市路灯管理所",
        "name_en": handling["handled_by"]["name_en"],
        "via_link": True,
    }
    assert handling["timeline"][-1]["by"]["name"] == "市路灯管理所"
    assert handling["due"] == {"stage": "resolve", "at": handling["deadline"]}

    photo = upload(api, "resolution-photos-01", camera_photo())
    resolved = ok(
        link_act(
            api,
            code,
            token,
            "resolve",
            version=claimed["version"],
            note="已更换灯具",
            photos=[photo],
            upload_key="resolution-photos-01",
        )
    )
    assert resolved["status"] == "resolved"
    tick(wiring)
    seen = resident_view(api, receipt)
    assert seen["can_rate"] and seen["resolution"]["note"] == "已更换灯具"
    assert requests.get(seen["resolution"]["photos"][0], timeout=10).content.startswith(b"\xff\xd8")

    rated = api.post(
        f"/cases/{code}/rating",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps(
            {"resolved": True, "satisfaction": "satisfied", "comment": "谢谢"}
        ).encode(),
    )
    assert rated.status_code == 200 and json.loads(rated.body)["status"] == "closed"
    final = resident_view(api, receipt)
    assert [e["kind"] for e in final["timeline"]] == [
        "reported",
        "whistled",
        "dispatched",
        "claimed",
        "resolved",
        "rated",
        "closed",
    ]
    closed = view(api, DISTRICT, code)
    assert closed["due"] is None  # a finished case has no due date to show
    rows = {
        c["code"]: c for c in ok(staff_get(api, DISTRICT, "/staff/cases?view=district"))["items"]
    }
    assert rows[code]["due"] is None
    sms = [n for n in NotificationItem.by_case.query(code) if n.channel == "sms"]
    assert sorted(n.template for n in sms) == ["resident_resolved", "resident_whistled"]
    assert all("13812345678" not in n.recipient for n in sms)


def test_a_rejection_reason_reaches_the_resident(api):
    receipt = report(api)
    ok(act(api, COMMUNITY, receipt["code"], "reject", reason="属于个人家庭内部维修，请联系物业"))
    seen = resident_view(api, receipt)
    assert seen["status"] == "rejected"
    assert seen["timeline"][-1]["note"] == "属于个人家庭内部维修，请联系物业"


def test_a_department_returns_a_case_to_triage_with_its_reason(api, wiring, robots):
    receipt = report(api)
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    returned = ok(act(api, LUDENG, code, "return", reason="该路段路灯由城管局管理"))
    assert returned["status"] == "submitted" and returned["department"] is None
    inbox = ok(staff_get(api, COMMUNITY, "/staff/cases?view=inbox"))
    assert code in [c["code"] for c in inbox["items"]]
    assert staff_get(api, LUDENG, f"/staff/cases/{code}").status_code == 404
    again = ok(act(api, COMMUNITY, code, "whistle", department="chengguan"))
    assert again["department"]["id"] == "chengguan"


def test_an_extension_is_asked_by_the_department_and_decided_by_the_district(api, wiring, robots):
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    claimed = ok(act(api, LUDENG, code, "claim"))
    asked = ok(act(api, LUDENG, code, "extension", days=5, reason="需要采购专用灯具"))
    assert asked["extension"]["days"] == 5
    assert "decide_extension" in view(api, DISTRICT, code)["actions"]
    assert act(api, LUDENG, code, "decide_extension", approve=True).status_code == 403
    approved = ok(act(api, DISTRICT, code, "decide_extension", approve=True))
    assert approved["deadline"] > claimed["deadline"] and approved["extension"] is None
    kinds = [e["kind"] for e in approved["timeline"]]
    assert kinds[-2:] == ["extension_requested", "extension_approved"]


def test_the_district_sees_every_waiting_extension_with_its_days_and_reason(api, wiring, robots):
    codes = [report(api)["code"] for _ in range(2)]
    for code in codes:
        ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    for code in codes:
        ok(act(api, LUDENG, code, "claim"))
    ok(act(api, LUDENG, codes[1], "extension", days=3, reason="等待供电公司停电检修"))
    # Newer cases fill the district's recent list; the request is still found.
    for _ in range(3):
        report(api)

    waiting = ok(staff_get(api, DISTRICT, "/staff/cases?view=extensions"))
    [row] = waiting["items"]
    assert row["code"] == codes[1]
    assert row["extension"] == {"days": 3, "reason": "等待供电公司停电检修"}
    assert row["deadline"] and row["department_id"] == "ludeng" and row["version"] >= 1
    assert staff_get(api, LUDENG, "/staff/cases?view=extensions").status_code == 403

    # Deciding from the list's row is the case's own action; the request leaves the list.
    ok(act(api, DISTRICT, codes[1], "decide_extension", version=row["version"], approve=False))
    assert ok(staff_get(api, DISTRICT, "/staff/cases?view=extensions"))["items"] == []


def test_duplicates_are_suggested_and_can_be_merged(api):
    first = report(api)["code"]
    second = report(api, description="北门路灯不亮，已经好几天了")["code"]
    inbox = ok(staff_get(api, COMMUNITY, "/staff/cases?view=inbox"))
    by_code = {c["code"]: c for c in inbox["items"]}
    assert [d["code"] for d in by_code[second]["duplicates"]] == [first]
    merged = ok(act(api, COMMUNITY, second, "merge", into=first))
    assert merged["status"] == "merged" and merged["merged_into"] == first
    assert act(api, COMMUNITY, first, "merge", into="YS-0000-00-0000").status_code == 400


def test_a_case_handled_locally_is_resolved_by_the_community(api):
    code = report(api)["code"]
    local = ok(act(api, COMMUNITY, code, "local", by="property", note="物业负责更换"))
    assert local["status"] == "local" and local["local_by"] == "property"
    assert act(api, LUDENG, code, "resolve", version=1, note="x").status_code == 404
    resolved = ok(act(api, COMMUNITY, code, "resolve", note="物业已更换灯泡"))
    assert resolved["status"] == "resolved"


def test_a_stale_version_is_a_409_and_changes_nothing(api):
    code = report(api)["code"]
    seen = view(api, COMMUNITY, code)
    ok(act(api, COMMUNITY, code, "whistle", version=seen["version"]))
    stale = act(api, COMMUNITY, code, "reject", version=seen["version"], reason="重复")
    assert stale.status_code == 409
    assert json.loads(stale.body)["error"]["code"] in ("stale_case", "illegal_transition")
    assert view(api, COMMUNITY, code)["status"] == "whistled"


def test_an_illegal_transition_is_a_409_with_a_clear_message(api, wiring, robots):
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    again = act(api, LUDENG, code, "claim")
    assert again.status_code == 409
    error = json.loads(again.body)["error"]
    assert error["code"] == "illegal_transition" and "claimed" in error["message"]


def test_a_retried_action_with_the_same_key_is_done_once(api, wiring, robots):
    code = report(api)["code"]
    version = view(api, COMMUNITY, code)["version"]
    first = ok(act(api, COMMUNITY, code, "whistle", key="whistle-once-123", version=version))
    again = ok(act(api, COMMUNITY, code, "whistle", key="whistle-once-123", version=version))
    assert again["status"] == first["status"] == "whistled"
    assert again["version"] == first["version"]
    kinds = [e["kind"] for e in view(api, COMMUNITY, code)["timeline"]]
    assert kinds.count("whistled") == 1
    other = act(api, COMMUNITY, code, "reject", key="whistle-once-123", version=version, reason="x")
    assert other.status_code == 409


def test_staff_see_only_cases_in_their_scope(api, wiring, robots):
    code = report(api)["code"]
    assert staff_get(api, OTHER_COMMUNITY, f"/staff/cases/{code}").status_code == 404
    assert act(api, OTHER_COMMUNITY, code, "reject", version=1, reason="x").status_code == 404
    assert staff_get(api, LUDENG, f"/staff/cases/{code}").status_code == 404  # not whistled yet
    other_inbox = ok(staff_get(api, OTHER_COMMUNITY, "/staff/cases?view=inbox"))
    assert code not in [c["code"] for c in other_inbox["items"]]
    assert staff_get(api, OTHER_COMMUNITY, "/staff/cases?view=inbox&target=c01").status_code == 404
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    assert staff_get(api, LUDENG, f"/staff/cases/{code}").status_code == 200
    assert staff_get(api, ZHUJIAN, f"/staff/cases/{code}").status_code == 404
    work = ok(staff_get(api, LUDENG, "/staff/cases?view=work"))
    assert [c["code"] for c in work["items"]] == [code]
    assert ok(staff_get(api, ZHUJIAN, "/staff/cases?view=work"))["items"] == []


def test_co_departments_are_informed_and_may_look_but_not_act(api, wiring, robots):
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle", co_departments=["zhujian"]))
    tick(wiring)
    templates = {(n.department, n.template) for n in NotificationItem.by_case.query(code)}
    assert ("zhujian", "dispatched_co") in templates
    seen = view(api, ZHUJIAN, code)
    assert seen["actions"] == []
    assert act(api, ZHUJIAN, code, "claim").status_code == 403


def test_the_district_chases_an_open_case(api, wiring, robots):
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    chased = ok(act(api, DISTRICT, code, "chase", note="请今日内认领"))
    assert chased["timeline"][-1]["kind"] == "chased"
    tick(wiring)
    assert any(n.template == "chased" for n in NotificationItem.by_case.query(code))


def test_an_action_link_is_refused_when_forged_or_for_another_case(api, wiring, robots):
    first = report(api)["code"]
    second = report(api, description="另一盏路灯也坏了很久")["code"]
    ok(act(api, COMMUNITY, first, "whistle"))
    tick(wiring)
    token = action_pass(first)
    assert link_get(api, second, token).status_code == 401
    assert link_get(api, first, token[:-2] + "xx").status_code == 401
    assert link_get(api, first, "").status_code == 401
    assert link_act(api, first, token, "chase", version=1).status_code == 404


def test_sms_goes_to_the_resident_twice_at_most_and_to_departments_only_where_configured(
    api, wiring, robots
):
    code = report(api, category="fire_safety", description="楼道堆放电动车充电，很危险")["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    messages = list(NotificationItem.by_case.query(code))
    department_sms = [n for n in messages if n.channel == "sms" and n.department == "xiaofang"]
    assert len(department_sms) == 1  # the fire brigade asked for SMS alerts
    assert boto3.client("sns").meta.region_name  # SNS is the SMS path
    street_light = report(api)["code"]
    ok(act(api, COMMUNITY, street_light, "whistle"))
    tick(wiring)
    assert not [
        n
        for n in NotificationItem.by_case.query(street_light)
        if n.channel == "sms" and n.department
    ]


def test_a_grid_worker_reports_through_the_same_form_with_channel_and_reporter(api):
    response = api.post(
        "/staff/reports",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
            **__import__("tests.conftest", fromlist=["bearer"]).bearer("grid.g001", "grid:g001"),
        },
        body=json.dumps(
            {
                "category": "damaged_road",
                "compound": "x001",
                "address": "南门",
                "description": "南门路面塌陷一处",
                "consent": True,
            }
        ).encode(),
    )
    assert response.status_code == 201, response.body
    code = json.loads(response.body)["code"]
    case = view(api, COMMUNITY, code)
    assert case["channel"] == "grid" and case["reporter"] == "grid.g001"
    assert case["timeline"][0]["actor"] == "grid.g001"


def test_a_resident_gets_each_essential_sms_once_and_hears_of_the_return(api, wiring, robots):
    receipt = report(api)
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "return", reason="不属于本所"))
    ok(act(api, COMMUNITY, code, "whistle", department="ludeng"))  # whistled a second time
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    ok(act(api, LUDENG, code, "resolve", note="已修"))
    rated = api.post(
        f"/cases/{code}/rating",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps({"resolved": False, "satisfaction": "not_satisfied"}).encode(),
    )
    assert rated.status_code == 200
    ok(act(api, LUDENG, code, "resolve", note="已彻底修好"))  # resolved a second time
    tick(wiring)
    sms = sorted(
        n.template
        for n in NotificationItem.by_case.query(code)
        if n.channel == "sms" and not n.department
    )
    # Whistled and resolved once each, though each happened twice; the return is told too.
    assert sms == ["resident_resolved", "resident_returned", "resident_whistled"]


def test_a_resident_who_wants_only_essential_sms_is_not_told_of_a_return(api, wiring, robots):
    receipt = report(api)
    code = receipt["code"]
    chosen = api.put(
        f"/cases/{code}/preferences",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps({"updates": "essential"}).encode(),
    )
    assert chosen.status_code == 200, chosen.body
    assert resident_view(api, receipt)["updates"] == "essential"
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "return", reason="不属于本所"))
    tick(wiring)
    sms = [n.template for n in NotificationItem.by_case.query(code) if n.channel == "sms"]
    assert sms == ["resident_whistled"]
    # Someone without the case's token or number cannot choose for its resident.
    stranger = api.put(
        f"/cases/{code}/preferences",
        headers={"Content-Type": "application/json", "X-Case-Token": "not-the-token"},
        body=json.dumps({"updates": "all"}).encode(),
    )
    assert stranger.status_code == 404
    bad = api.put(
        f"/cases/{code}/preferences",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps({"updates": "some"}).encode(),
    )
    assert bad.status_code == 400
