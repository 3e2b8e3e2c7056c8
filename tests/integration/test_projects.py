"""攻坚 projects: the district creates one from a hotspot's cases, the departments in it add
progress notes, a stale change is refused, bad input stores nothing, and only projects marked
public reach the board — without case codes, residents or staff names."""

from __future__ import annotations

import json

from functions.core.adapters.tables import RegistryItem
from tests.conftest import bearer
from tests.integration.flows import COMMUNITY, DISTRICT, LUDENG, ZHUJIAN, act, ok, report, tick

JSON = {"Content-Type": "application/json"}


def send(api, method: str, path: str, who, body) -> tuple[int, dict]:
    response = api.request(
        method, path, headers={**JSON, **bearer(*who)}, body=json.dumps(body).encode()
    )
    return response.status_code, json.loads(response.body)


def stored() -> int:
    return sum(1 for _ in RegistryItem.query("projects"))


def test_a_project_from_a_hotspots_cases_with_notes_and_progress(api, wiring, robots):
    fixed, waiting = report(api), report(api, description="北门路灯又不亮了")
    ok(act(api, COMMUNITY, fixed["code"], "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, fixed["code"], "claim"))
    ok(act(api, LUDENG, fixed["code"], "resolve", note="已更换灯具"))
    status, project = send(
        api,
        "POST",
        "/staff/projects",
        DISTRICT,
        {
            "title": "锦兴雅居路灯线路改造",
            "owner": "ludeng",
            "partners": ["zhujian"],
            "due": "2027-03-31",
            "cases": [fixed["code"], waiting["code"]],
            "origin": {"type": "recurring", "compound": "x001", "category": "street_light"},
            "summary": "更换小区主干道路灯线路",
        },
    )
    assert status == 201, project
    assert project["progress"] == {"cases": 2, "fixed": 1, "open": 1}
    assert project["owner_name"] and project["status"] == "active" and project["version"] == 1

    # The owner and a partner department add notes; a department outside it finds nothing.
    status, noted = send(
        api, "POST", f"/staff/projects/{project['id']}/notes", LUDENG, {"text": "已完成勘察"}
    )
    assert status == 201 and noted["notes"][-1]["text"] == "已完成勘察"
    assert (
        send(api, "POST", f"/staff/projects/{project['id']}/notes", ZHUJIAN, {"text": "配合"})[0]
        == 201
    )
    outsider = ("department.yuanlin", "department:yuanlin")
    assert (
        send(api, "POST", f"/staff/projects/{project['id']}/notes", outsider, {"text": "看一看"})[0]
        == 404
    )
    mine = json.loads(api.get("/staff/projects", headers=bearer(*LUDENG)).body)["projects"]
    assert [p["id"] for p in mine] == [project["id"]] and mine[0]["notes_count"] == 2
    assert json.loads(api.get("/staff/projects", headers=bearer(*outsider)).body)["projects"] == []

    # A change on an old version is refused; on the current one it lands.
    status, stale = send(
        api, "PATCH", f"/staff/projects/{project['id']}", DISTRICT, {"version": 1, "public": True}
    )
    assert status == 409 and stale["error"]["code"] == "stale"
    current = json.loads(
        api.get(f"/staff/projects/{project['id']}", headers=bearer(*DISTRICT)).body
    )
    status, changed = send(
        api,
        "PATCH",
        f"/staff/projects/{project['id']}",
        DISTRICT,
        {"version": current["version"], "public": True},
    )
    assert status == 200 and changed["public"] is True

    board = api.get("/public/projects")
    shown = json.loads(board.body)["projects"]
    assert [p["title"] for p in shown] == ["锦兴雅居路灯线路改造"]
    text = board.body.decode()
    for private in (fixed["code"], waiting["code"], "department.ludeng", "已完成勘察", "北门"):
        assert private not in text


def test_bad_projects_store_nothing(api, wiring):
    known = report(api)
    before = stored()
    good = {"title": "背街小巷整治", "owner": "chengguan", "due": "2027-01-31"}
    for body, field in [
        ({**good, "owner": "nobody"}, "owner"),
        ({**good, "partners": ["chengguan"]}, "partners"),
        ({**good, "cases": [known["code"], "YS-NOPE"]}, "cases"),
        ({**good, "due": "2027-02-30"}, "due"),
        ({**good, "title": "\u200b\u200b"}, "title"),
        ({**good, "extra": 1}, "extra"),
    ]:
        status, answer = send(api, "POST", "/staff/projects", DISTRICT, body)
        assert status == 400, (field, answer)
        assert field in json.dumps(answer["error"]["details"]), (field, answer)
    assert send(api, "POST", "/staff/projects", LUDENG, good)[0] == 403
    assert stored() == before
    assert "背街小巷" not in api.get("/public/projects").body.decode()


def test_a_project_from_a_recurring_hotspot_links_that_compounds_cases_of_the_kind(api, wiring):
    lights = [report(api, description=f"路灯坏了第{n}次") for n in range(3)]
    report(api, category="parking", description="门口乱停车")  # another kind: not linked
    report(api, compound="x002", description="别处的路灯坏了")  # another compound: not linked
    status, project = send(
        api,
        "POST",
        "/staff/projects",
        DISTRICT,
        {
            "title": "锦兴雅居路灯",
            "owner": "ludeng",
            "due": "2027-03-31",
            "origin": {"type": "recurring", "compound": "x001", "category": "street_light"},
        },
    )
    assert status == 201, project
    assert sorted(project["cases"]) == sorted(r["code"] for r in lights)
