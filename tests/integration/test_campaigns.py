"""Campaigns (专项行动) through the API on moto: cases filed in a campaign's period and place
join it, staff add and remove cases with a reason, a batch of problems after a residents'
meeting is stored whole or not at all (bad rows named by line), the nightly job keeps each
campaign's running totals (a re-run gives the same item), and the public page shows results
without personal data in a fixed number of reads."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from functions.core.adapters.tables import CaseItem, EventItem, MetricItem, RegistryItem
from functions.core.domain.clock import CHINA_TZ
from tests.conftest import bearer
from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    OTHER_COMMUNITY,
    act,
    ok,
    report,
    resident_view,
    view,
)
from tests.integration.test_metrics_job import api_invoke_nightly, play_a_day

JSON = {"Content-Type": "application/json"}
CAMPAIGN = {
    "name": "2026年第四季度红色物业季专项行动",
    "starts": "2026-11-20",
    "ends": "2026-12-31",
    "communities": ["c01"],
    "kinds": ["street_light"],
    "target": 10,
}


@pytest.fixture(autouse=True)
def no_campaigns(aws):
    """Campaigns live in the registry table, which a module's tests share."""
    with RegistryItem.batch_write() as batch:
        for item in RegistryItem.query("campaigns"):
            batch.delete(item)


def send(api, method: str, path: str, who, body, headers=None) -> tuple[int, dict]:
    response = api.request(
        method,
        path,
        headers={**JSON, **bearer(*who), **(headers or {})},
        body=json.dumps(body, ensure_ascii=False).encode(),
    )
    return response.status_code, json.loads(response.body)


def start(api, clock, **changes) -> dict:
    clock.at = datetime(2026, 11, 20, 8, 0, tzinfo=CHINA_TZ)
    status, campaign = send(api, "POST", "/staff/campaigns", DISTRICT, {**CAMPAIGN, **changes})
    assert status == 201, campaign
    return campaign


def progress(api, campaign: dict, who=DISTRICT) -> dict:
    response = api.get(f"/staff/campaigns/{campaign['id']}", headers=bearer(*who))
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body)["progress"])


def cases_stored() -> int:
    return sum(1 for _ in CaseItem.scan())


def test_only_the_district_starts_a_campaign_and_bad_ones_store_nothing(api, wiring, clock):
    clock.at = datetime(2026, 11, 20, 8, 0, tzinfo=CHINA_TZ)
    assert send(api, "POST", "/staff/campaigns", COMMUNITY, CAMPAIGN)[0] == 403
    status, refused = send(
        api,
        "POST",
        "/staff/campaigns",
        DISTRICT,
        {**CAMPAIGN, "communities": ["c01", "nowhere"], "ends": "2026-11-01"},
    )
    assert status == 400
    assert {(d["field"], d["code"]) for d in refused["error"]["details"]} == {
        ("communities", "unknown_community"),
        ("ends", "invalid_range"),
    }
    status, refused = send(api, "POST", "/staff/campaigns", DISTRICT, {**CAMPAIGN, "target": 0})
    assert status == 400 and refused["error"]["details"][0]["field"] == "target"
    assert list(RegistryItem.query("campaigns")) == []
    campaign = start(api, clock)
    assert campaign["state"] == "running" and campaign["community_names"] == ["桃园社区"]
    assert campaign["kind_names"] == ["路灯照明"] and campaign["version"] == 1


def test_cases_filed_in_its_period_place_and_kinds_join_it_and_are_counted(
    api, wiring, robots, clock
):
    campaign = start(api, clock)
    other_kind = report(api, category="parking", description="小区门口乱停车很严重")
    played = play_a_day(api, wiring, clock)  # two street lights in c01, one report in c02
    assert view(api, DISTRICT, played["fixed"]["code"])["campaign"] == {
        "id": campaign["id"],
        "name": CAMPAIGN["name"],
    }
    assert view(api, DISTRICT, played["rejected"]["code"])["campaign"] is None  # c02
    assert view(api, DISTRICT, other_kind["code"])["campaign"] is None  # not a focus kind

    assert progress(api, campaign)["as_of"] is None  # not yet counted
    assert api_invoke_nightly(wiring)["campaigns"] == 1
    counted = progress(api, campaign)
    assert counted["as_of"] == "2026-11-26"
    totals = counted["totals"]
    assert (totals["collected"], totals["whistled"], totals["claimed_on_time"]) == (2, 2, 2)
    assert (totals["resolved"], totals["resolved_on_time"], totals["rated"]) == (1, 1, 1)
    assert totals["response_rate"] == 1.0 and totals["satisfaction_rate"] == 1.0
    assert (totals["open"], totals["residents_waiting"]) == (1, 1)  # the claimed one, now
    assert counted["solved"] == 1 and counted["target"] == 10
    [community] = counted["by_community"]
    assert community["id"] == "c01" and community["collected"] == 2
    [department] = counted["by_department"]
    assert (department["id"], department["resolved"], department["open"]) == ("ludeng", 1, 1)
    assert department["collected"] == department["whistled"] == 2  # what was whistled to it
    assert [(k["id"], k["collected"], k["solved"]) for k in counted["by_category"]] == [
        ("street_light", 2, 1)
    ]

    # A second run of the same night writes the same running total.
    key = f"_campaign#{campaign['id']}"
    first = json.dumps(MetricItem.get(key, "2026-11-26").data, sort_keys=True)
    api_invoke_nightly(wiring)
    assert json.dumps(MetricItem.get(key, "2026-11-26").data, sort_keys=True) == first

    # The next night adds to it; the list shows what it collected and solved.
    clock.advance(days=1)
    report(api, description="又有一盏路灯不亮了，请尽快修")
    clock.advance(days=1)
    api_invoke_nightly(wiring)
    assert progress(api, campaign)["totals"]["collected"] == 3
    listed = json.loads(api.get("/staff/campaigns", headers=bearer(*COMMUNITY)).body)
    assert [(c["id"], c["collected"], c["solved"]) for c in listed["campaigns"]] == [
        (campaign["id"], 3, 1)
    ]
    theirs = json.loads(api.get("/staff/campaigns", headers=bearer(*OTHER_COMMUNITY)).body)
    assert theirs["campaigns"] == []  # c02 does not take part
    hidden = api.get(f"/staff/campaigns/{campaign['id']}", headers=bearer(*OTHER_COMMUNITY))
    assert hidden.status_code == 404


def test_staff_add_and_remove_a_case_with_a_reason_and_the_counts_follow(
    api, wiring, robots, clock
):
    campaign = start(api, clock)
    clock.at = datetime(2026, 11, 26, 9, 0, tzinfo=CHINA_TZ)
    parking = report(api, category="parking", description="小区门口乱停车很严重")
    ok(act(api, COMMUNITY, parking["code"], "whistle"))
    path = f"/staff/campaigns/{campaign['id']}/cases"
    status, refused = send(api, "POST", path, COMMUNITY, {"code": parking["code"], "reason": " "})
    assert status == 400  # a reason is required
    outsider = report(api, compound="x002", description="江庭小区门口的路灯坏了")
    status, refused = send(
        api, "POST", path, DISTRICT, {"code": outsider["code"], "reason": "居民议事会提出"}
    )
    assert status == 400 and refused["error"]["code"] == "not_in_campaign"
    status, added = send(
        api, "POST", path, COMMUNITY, {"code": parking["code"], "reason": "居民议事会集中反映"}
    )
    assert status == 200 and added == {"code": parking["code"], "campaign": campaign["id"]}
    again = send(api, "POST", path, COMMUNITY, {"code": parking["code"], "reason": "再加一次"})
    assert again[0] == 409 and again[1]["error"]["code"] == "in_campaign"

    # The reason is on the staff timeline, never in the resident's view.
    staff = view(api, COMMUNITY, parking["code"])
    joined = [e for e in staff["timeline"] if e["kind"] == "campaign_joined"]
    assert joined and joined[0]["note"] == "居民议事会集中反映"
    mine = json.dumps(resident_view(api, parking), ensure_ascii=False)
    assert "居民议事会" not in mine and "campaign" not in mine

    clock.at = datetime(2026, 11, 27, 0, 30, tzinfo=CHINA_TZ)
    api_invoke_nightly(wiring)
    totals = progress(api, campaign)["totals"]
    # Added late, it counts as if filed in the campaign: received and whistled carried over.
    assert (totals["collected"], totals["whistled"], totals["open"]) == (1, 1, 1)

    status, removed = send(
        api, "POST", f"{path}/{parking['code']}/remove", COMMUNITY, {"reason": "误加，非本次行动"}
    )
    assert status == 200 and removed["campaign"] is None
    clock.at = datetime(2026, 11, 28, 0, 30, tzinfo=CHINA_TZ)
    api_invoke_nightly(wiring)
    totals = progress(api, campaign)["totals"]
    assert (totals["collected"], totals["whistled"], totals["open"]) == (0, 0, 0)


def batch(api, campaign, who, body, key=None) -> tuple[int, dict]:
    return send(
        api,
        "POST",
        f"/staff/campaigns/{campaign['id']}/batch",
        who,
        body,
        {"Idempotency-Key": key or uuid.uuid4().hex},
    )


ROWS = [
    {
        "category": "street_light",
        "compound": "x001",
        "address": "1栋",
        "description": "楼前路灯不亮",
    },
    {
        "category": "路灯照明",
        "compound": "锦兴雅居",
        "address": "北门",
        "description": "北门路灯闪烁",
    },
]


def test_a_batch_with_a_bad_row_stores_nothing_and_names_every_problem_by_line(api, wiring, clock):
    campaign = start(api, clock, communities=["c01", "c02"])
    clock.at = datetime(2026, 11, 26, 19, 0, tzinfo=CHINA_TZ)
    bad = [
        ROWS[0],
        {**ROWS[1], "compound": "不存在的小区"},
        {"category": "parking", "compound": "x003", "address": "", "description": "停车"},
        {**ROWS[0], "phone": "12"},
    ]
    status, refused = batch(api, campaign, COMMUNITY, {"rows": bad})
    assert status == 400 and refused["error"]["code"] == "invalid_batch"
    found = {(d["field"], d["code"]) for d in refused["error"]["details"]}
    assert ("line 2/compound", "unknown_compound") in found
    assert ("line 3/address", "too_short") in found
    assert ("line 3/description", "too_short") in found
    assert ("line 3/compound", "not_in_campaign") in found  # x003 is in c03
    assert ("line 4/phone", "invalid_phone") in found
    assert not any(f.startswith("line 1") for f, _ in found)
    assert cases_stored() == 0 and sum(1 for _ in EventItem.scan()) == 0

    # A clerk of c01 may not enter a problem of c02, though c02 takes part.
    status, refused = batch(api, campaign, COMMUNITY, {"rows": [{**ROWS[0], "compound": "x002"}]})
    assert status == 400
    assert refused["error"]["details"][0]["code"] == "compound_out_of_scope"
    assert cases_stored() == 0


def test_a_batch_from_a_spreadsheet_becomes_campaign_cases_once(api, wiring, clock):
    campaign = start(api, clock, kinds=[])
    clock.at = datetime(2026, 11, 26, 19, 0, tzinfo=CHINA_TZ)
    sheet = (
        "\ufeff类别,小区,地址,问题描述,电话\n"
        "路灯照明,锦兴雅居,1栋,楼前路灯不亮,13812345678\n"
        ",,,,\n"
        "parking,x001,北门,北门停车乱，堵住消防通道,\n"
    )
    key = uuid.uuid4().hex
    status, created = batch(api, campaign, COMMUNITY, {"csv": sheet}, key)
    assert status == 201, created
    assert created["count"] == 2 and [c["line"] for c in created["created"]] == [2, 4]
    for entry in created["created"]:
        case = view(api, DISTRICT, entry["code"])
        assert case["channel"] == "campaign" and case["reporter"] == COMMUNITY[0]
        assert case["campaign"]["id"] == campaign["id"]
    # The same request again (a retry after a lost answer) creates nothing more.
    status, again = batch(api, campaign, COMMUNITY, {"csv": sheet}, key)
    assert status == 201 and again["created"] == created["created"]
    assert cases_stored() == 2

    status, refused = batch(api, campaign, COMMUNITY, {"csv": "小区,地址\nx001,1栋\n"})
    assert status == 400 and {d["field"] for d in refused["error"]["details"]} == {"line 1"}
    assert batch(api, campaign, OTHER_COMMUNITY, {"rows": ROWS})[0] == 403
    assert batch(api, campaign, LUDENG, {"rows": ROWS})[0] == 403
    assert batch(api, campaign, COMMUNITY, {"rows": ROWS, "csv": sheet})[0] == 400
    assert batch(api, campaign, COMMUNITY, [ROWS])[0] == 400
    assert cases_stored() == 2
    clock.at = datetime(2027, 2, 1, 9, 0, tzinfo=CHINA_TZ)
    status, ended = batch(api, campaign, COMMUNITY, {"rows": ROWS})
    assert status == 409 and ended["error"]["code"] == "campaign_not_running"


def test_the_public_page_shows_results_only_when_public_in_two_reads(
    api, wiring, robots, clock, aws_calls
):
    campaign = start(api, clock)
    played = play_a_day(api, wiring, clock)
    api_invoke_nightly(wiring)
    assert api.get(f"/public/campaigns/{campaign['id']}").status_code == 404
    assert json.loads(api.get("/public/campaigns").body)["campaigns"] == []
    status, changed = send(
        api,
        "PATCH",
        f"/staff/campaigns/{campaign['id']}",
        DISTRICT,
        {"version": 1, "public": True, "summary": "本季度集中解决小区路灯问题"},
    )
    assert status == 200 and changed["public"] and changed["version"] == 2
    stale = send(
        api, "PATCH", f"/staff/campaigns/{campaign['id']}", DISTRICT, {"version": 1, "target": 5}
    )
    assert stale[0] == 409
    aws_calls.clear()
    response = api.get(f"/public/campaigns/{campaign['id']}")
    assert response.status_code == 200
    assert aws_calls.of("dynamodb") == ["GetItem", "Query"]  # the campaign, its latest total
    page = json.loads(response.body)
    assert (page["solved"], page["collected"], page["target"]) == (1, 2, 10)
    assert page["by_category"][0]["name"] == "路灯照明" and page["by_category"][0]["solved"] == 1
    assert page["by_compound"][0]["name"] == "锦兴雅居"
    text = json.dumps(page, ensure_ascii=False)
    for private in (played["fixed"]["code"], "路灯坏了", "已修复", "district.admin", "138"):
        assert private not in text
    listed = json.loads(api.get("/public/campaigns").body)["campaigns"]
    assert [(c["id"], c["solved"]) for c in listed] == [(campaign["id"], 1)]


def test_a_batch_cut_short_is_completed_by_its_retry_and_nothing_is_made_twice(
    api, wiring, clock, monkeypatch
):
    from functions.core.services import intake

    campaign = start(api, clock)
    clock.at = datetime(2026, 11, 26, 19, 0, tzinfo=CHINA_TZ)
    rows = [*ROWS, {**ROWS[0], "address": "2栋"}]
    stored = intake._store
    calls = {"n": 0}

    def dies_on_the_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the function was stopped")
        return stored(*args, **kwargs)

    monkeypatch.setattr(intake, "_store", dies_on_the_second)
    key = uuid.uuid4().hex
    status, _ = batch(api, campaign, COMMUNITY, {"rows": rows}, key)
    assert status == 500 and cases_stored() == 1
    monkeypatch.setattr(intake, "_store", stored)
    status, created = batch(api, campaign, COMMUNITY, {"rows": rows}, key)
    assert status == 201 and [c["line"] for c in created["created"]] == [1, 2, 3]
    assert cases_stored() == 3  # the first row was not filed twice


def test_the_figures_count_a_batch_under_the_campaign_channel(api, wiring, clock):
    campaign = start(api, clock)
    clock.at = datetime(2026, 11, 26, 19, 0, tzinfo=CHINA_TZ)
    assert batch(api, campaign, COMMUNITY, {"rows": ROWS})[0] == 201
    clock.at = datetime(2026, 11, 27, 0, 30, tzinfo=CHINA_TZ)
    api_invoke_nightly(wiring)
    response = api.get(
        "/metrics?scope=channel:campaign&period=2026-11-26", headers=bearer(*DISTRICT)
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["counts"]["received"] == 2
