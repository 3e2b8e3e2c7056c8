"""Internal notes (内部备注) reach the staff timeline and nothing public; common replies (常用语)
are kept per department and community, each editing only its own."""

from __future__ import annotations

import json

from functions.core.adapters.tables import NotificationItem
from tests.conftest import bearer
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
    tick,
    view,
)
from tests.integration.test_open311_fixmystreet import issue_key

SECRET = "内部：该住户多次来电，情绪激动，注意沟通方式"


def post(api, who, path, body, method="POST"):
    return api.request(
        method,
        path,
        headers={"Content-Type": "application/json", **bearer(*who)},
        body=json.dumps(body).encode(),
    )


def note(api, who, code, text=SECRET):
    return post(api, who, f"/staff/cases/{code}/notes", {"note": text})


def test_an_internal_note_shows_on_the_staff_timeline_and_never_in_public(
    api, wiring, robots, clock
):
    # Given a case whistled to the street-light office and resolved
    receipt = report(api)
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    # When the community, the department and the district each write a note
    for who in (COMMUNITY, LUDENG, DISTRICT):
        response = note(api, who, code, f"{SECRET}（{who[0]}）")
        assert response.status_code == 201, response.body
    ok(act(api, LUDENG, code, "resolve", note="已更换灯泡"))
    tick(wiring)
    # Then staff see the three notes, marked internal, with who wrote them
    staff = view(api, LUDENG, code)
    notes = [e for e in staff["timeline"] if e["kind"] == "internal_note"]
    assert [n["actor"] for n in notes] == ["community.c01", "department.ludeng", "district.admin"]
    assert all(SECRET in n["note"] for n in notes)
    # …and nothing public has a word of them
    assert SECRET not in json.dumps(resident_view(api, receipt), ensure_ascii=False)
    board = api.get("/public/board")
    assert board.status_code == 200
    assert SECRET not in board.body.decode()
    key = issue_key(api, "notes-check")
    window = "start_date=2026-11-26T00:00:00Z&end_date=2026-11-28T00:00:00Z"
    for path in (
        f"/open311/v2/requests/{code}.json",
        "/open311/v2/requests.json",
        f"/open311/v2/servicerequestupdates.json?api_key={key}&{window}",
        f"/open311/v2/servicerequestupdates.xml?api_key={key}&{window}",
        f"/open311/v2/requests/{code}.xml",
    ):
        response = api.get(path)
        assert response.status_code == 200, (path, response.body[:200])
        assert SECRET not in response.body.decode(), path
        assert "internal_note" not in response.body.decode(), path
    # No message was sent about them
    updates = api.get(f"/open311/v2/servicerequestupdates.json?api_key={key}&{window}")
    assert code in updates.body.decode()  # the window does hold the case's public updates
    # No message was sent about them
    assert all(SECRET not in n.body for n in NotificationItem.by_case.query(code))


def test_only_staff_of_the_case_write_notes_and_an_empty_note_is_refused(api, wiring, robots):
    code = report(api)["code"]
    assert note(api, OTHER_COMMUNITY, code).status_code == 404  # not their case: not found
    assert note(api, ZHUJIAN, code).status_code == 404
    assert note(api, COMMUNITY, code, "   ").status_code == 400
    response = post(api, COMMUNITY, f"/staff/cases/{code}/notes", {"note": "x", "extra": 1})
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"]
    assert "internal_note" not in [e["kind"] for e in view(api, COMMUNITY, code)["timeline"]]


def test_a_note_is_written_on_the_case_as_it_is_now_without_a_version(api, wiring, robots):
    code = report(api)["code"]
    assert note(api, COMMUNITY, code, "第一条").status_code == 201
    assert note(api, COMMUNITY, code, "第二条").status_code == 201
    kinds = [
        e["note"] for e in view(api, COMMUNITY, code)["timeline"] if e["kind"] == "internal_note"
    ]
    assert kinds == ["第一条", "第二条"]


def replies(api, who, scope=None):
    path = "/staff/replies" + (f"?scope={scope}" if scope else "")
    response = api.get(path, headers=bearer(*who))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_a_department_keeps_its_common_replies_and_cannot_touch_another(api, wiring):
    for old in replies(api, LUDENG)["items"]:  # the registry table is shared between tests
        api.delete(f"/staff/replies/{old['scope']}/{old['id']}", headers=bearer(*LUDENG))
    # Given the street-light office adds two replies
    added = post(
        api,
        LUDENG,
        "/staff/replies",
        {"scope": "department:ludeng", "kind": "return", "text": "非本单位职责，请转住建部门"},
    )
    assert added.status_code == 201, added.body
    reply = json.loads(added.body)
    ok_resolve = post(
        api,
        LUDENG,
        "/staff/replies",
        {"scope": "department:ludeng", "kind": "resolve", "text": "已更换灯具，恢复照明"},
    )
    assert ok_resolve.status_code == 201
    # Then it lists them, and another department sees none of them
    mine = replies(api, LUDENG)
    assert mine["scopes"] == ["department:ludeng"]
    assert sorted(r["kind"] for r in mine["items"]) == ["resolve", "return"]
    assert replies(api, ZHUJIAN)["items"] == []
    assert post(api, ZHUJIAN, "/staff/replies", {}, "GET").status_code == 200
    assert (
        api.get("/staff/replies?scope=department:ludeng", headers=bearer(*ZHUJIAN)).status_code
        == 403
    )
    # …cannot add to, edit or delete them
    path = f"/staff/replies/department:ludeng/{reply['id']}"
    foreign = {"scope": "department:ludeng", "kind": "return", "text": "改掉"}
    assert post(api, ZHUJIAN, "/staff/replies", foreign).status_code == 403
    assert post(api, ZHUJIAN, path, {"kind": "return", "text": "改掉"}, "PUT").status_code == 403
    assert api.delete(path, headers=bearer(*ZHUJIAN)).status_code == 403
    # …nor reach them through its own scope
    own_path = f"/staff/replies/department:zhujian/{reply['id']}"
    assert (
        post(api, ZHUJIAN, own_path, {"kind": "return", "text": "改掉"}, "PUT").status_code == 404
    )
    # When the office edits and deletes its own
    edited = post(api, LUDENG, path, {"kind": "return", "text": "非本单位职责"}, "PUT")
    assert edited.status_code == 200 and json.loads(edited.body)["text"] == "非本单位职责"
    assert api.delete(path, headers=bearer(*LUDENG)).status_code == 200
    assert api.delete(path, headers=bearer(*LUDENG)).status_code == 404
    assert [r["kind"] for r in replies(api, LUDENG)["items"]] == ["resolve"]
    # The district keeps any scope's replies
    assert [r["kind"] for r in replies(api, DISTRICT, "department:ludeng")["items"]] == ["resolve"]


def test_bad_common_replies_are_refused_and_nothing_is_stored(api, wiring):
    before = replies(api, DISTRICT, "department:ludeng")["items"]  # the registry table is shared
    for body in (
        {"scope": "department:ludeng", "kind": "chase", "text": "x"},
        {"scope": "department:ludeng", "kind": "return", "text": ""},
        {"scope": "department:ludeng", "kind": "return", "text": "x" * 501},
        {"scope": "grid:g001", "kind": "return", "text": "x"},
        {"scope": "department:nowhere", "kind": "return", "text": "x"},
        {"scope": "department:ludeng", "kind": "return", "text": "x", "more": 1},
    ):
        response = post(api, DISTRICT, "/staff/replies", body)
        assert response.status_code == 400, (body, response.body)
        assert json.loads(response.body)["error"]["code"]
    assert replies(api, DISTRICT, "department:ludeng")["items"] == before
    assert replies(api, COMMUNITY)["scopes"] == ["community:c01"]
