"""Property-company scorecards (物业服务企业评价): counted by the nightly job under the company
serving each compound, checked by hand against a crafted day; each company sees its own card; the
ranking reaches the public board only when the district makes it public."""

from __future__ import annotations

import json
from datetime import datetime

from functions.core.domain.clock import CHINA_TZ
from tests.conftest import bearer
from tests.integration.flows import COMMUNITY, DISTRICT, LUDENG, act, ok, report, tick
from tests.integration.test_metrics_job import DAY, api_invoke_nightly, at_china


def rate(api, receipt: dict, satisfaction: str) -> None:
    response = api.post(
        f"/cases/{receipt['code']}/rating",
        headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
        body=json.dumps(
            {"resolved": satisfaction != "not_satisfied", "satisfaction": satisfaction}
        ),
    )
    assert response.status_code == 200, response.body


def crafted_day(api, wiring, clock) -> str:
    """In compound x001 on 26 Nov: one case the property company handles itself (on time, rated
    not satisfied), one whistled to the street-light office (rated satisfied), one rejected.
    Returns the company serving x001."""
    clock.at = at_china(9)
    own = report(api, description="楼道灯坏了物业来修")
    whistled = report(api, description="北门路灯不亮好几天了")
    rejected = report(api, description="家里水管漏水需要维修")
    clock.at = at_china(10)
    ok(act(api, COMMUNITY, own["code"], "local", by="property", note="物业负责"))
    ok(act(api, COMMUNITY, whistled["code"], "whistle"))
    ok(act(api, COMMUNITY, rejected["code"], "reject", reason="属于户内维修"))
    tick(wiring)
    clock.at = at_china(11)
    ok(act(api, LUDENG, whistled["code"], "claim"))
    ok(act(api, COMMUNITY, own["code"], "resolve", note="已换灯"))
    clock.at = at_china(15)
    ok(act(api, LUDENG, whistled["code"], "resolve", note="已修复"))
    clock.at = at_china(20)
    rate(api, own, "not_satisfied")
    rate(api, whistled, "satisfied")
    fees = "compound,month,billed,collected\nx001,2026-11,1000,800\n"
    stored = api.post(
        "/metrics/fees", headers={"Content-Type": "text/csv", **bearer(*DISTRICT)}, body=fees
    )
    assert stored.status_code == 201, stored.body
    clock.at = datetime(2026, 11, 27, 0, 30, tzinfo=CHINA_TZ)
    assert api_invoke_nightly(wiring)["day"] == DAY.isoformat()
    return wiring.registry.current().compounds["x001"].property_company


def test_a_scorecard_figure_agrees_with_a_hand_count(api, wiring, robots, clock):
    company = crafted_day(api, wiring, clock)
    registry = wiring.registry.current()
    homes = sum(c.households for c in registry.compounds.values() if c.property_company == company)
    card = json.loads(
        api.get(f"/metrics/scorecards/{company}?period=2026-11", headers=bearer(*DISTRICT)).body
    )
    assert card["received"] == 3
    assert card["complaint_rate"] == round(3 * 1000 / homes, 2)
    assert card["self_handled"] == 1
    assert card["self_handled_share"] == round(1 / 3, 4)  # 1 of 3 triaged cases
    assert card["self_on_time_rate"] == 1.0
    assert card["whistled"] == 1
    assert card["satisfaction_rate"] == 0.5  # one satisfied, one not
    assert card["fee_collection_rate"] == 0.8
    assert card["party_organisation"] == registry.property_companies[company].party_organisation
    assert card["previous"]["received"] == 0 and card["previous_period"] == "2026-10"
    x001 = next(row for row in card["compounds"] if row["id"] == "x001")
    assert (x001["received"], x001["self_handled"], x001["fee_collection_rate"]) == (3, 1, 0.8)
    ranked = json.loads(
        api.get("/metrics/scorecards?period=2026-11", headers=bearer(*DISTRICT)).body
    )["cards"]
    assert [c["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
    assert ranked[0]["id"] == company  # the only company anyone rated this month


def test_property_staff_read_their_own_card_only(api, wiring, robots, clock):
    company = crafted_day(api, wiring, clock)
    other = next(c for c in wiring.registry.current().property_companies if c != company)
    own = ("property.own", f"property:{company}")
    mine = json.loads(api.get("/metrics/scorecards?period=2026-11", headers=bearer(*own)).body)
    assert [c["id"] for c in mine["cards"]] == [company]
    refused = api.get(
        f"/metrics/scorecards/{company}?period=2026-11",
        headers=bearer("property.other", f"property:{other}"),
    )
    assert refused.status_code == 403
    assert json.loads(refused.body)["error"]["code"] == "forbidden"
    assert (
        api.get("/metrics/scorecards?period=2026-11", headers=bearer(*COMMUNITY)).status_code == 403
    )


def test_the_ranking_is_public_only_when_the_district_says_so(api, wiring, robots, clock):
    company = crafted_day(api, wiring, clock)
    hidden = json.loads(api.get("/public/scorecards?period=2026-11").body)
    assert hidden == {**hidden, "public": False, "cards": []}
    publish = api.put(
        "/metrics/scorecards-publication",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"public": True}),
    )
    assert publish.status_code == 200
    shown = api.get("/public/scorecards?period=2026-11")
    board = json.loads(shown.body)
    assert board["public"] is True and board["cards"][0]["id"] == company
    text = shown.body.decode()
    for private in ("楼道灯", "北门路灯", "水管", "compounds", "X-Case-Token"):
        assert private not in text
    bad = api.put(
        "/metrics/scorecards-publication",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"public": "yes"}),
    )
    assert bad.status_code == 400
    assert json.loads(api.get("/public/scorecards?period=2026-11").body)["public"] is True
