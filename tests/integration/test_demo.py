"""`whistle demo` plays sample cases through the real use cases: every path a case can take
shows up, departments mostly claim and resolve in time, and the nightly figures have data."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.core.domain.cases import Status
from functions.core.domain.clock import CHINA_TZ
from functions.core.domain.metrics import Tally, rates
from functions.core.domain.staff import Principal, Role, Scope
from functions.core.services import campaigns, metrics, projects
from functions.local.demo import play

DAYS = 28


def test_the_demo_plays_every_kind_of_case_into_the_nightly_figures(wiring):
    totals = play(days=DAYS, per_day=4, seed=3)

    assert totals["sample"] is True
    assert totals["reported"] > 60
    for path in ("whistled", "local", "rejected", "rated"):
        assert totals[path] > 0, path
    assert totals["whistled"] > totals["local"] + totals["rejected"]

    statuses: dict[Status, int] = {}
    cursor = None
    while True:
        page = wiring.cases.district_cases("yushan", 100, cursor)
        for case in page.items:
            statuses[case.status] = statuses.get(case.status, 0) + 1
            assert case.description.endswith("（示例数据）")
        cursor = page.cursor
        if cursor is None:
            break
    filed = totals["reported"] + totals["campaign_cases"]  # residents', and a meeting's batch
    assert sum(statuses.values()) == filed
    # Most of the month's cases are over; the last days' are still being worked on.
    assert (
        statuses.get(Status.CLOSED, 0) + statuses.get(Status.RESOLVED, 0) > totals["reported"] / 2
    )
    assert statuses.get(Status.REJECTED, 0) > 0

    today = datetime.now(CHINA_TZ).date()
    days = [(today - timedelta(days=i)).isoformat() for i in range(1, DAYS + 1)]
    found = wiring.metrics.store.get_many([("district", day) for day in days])
    assert len(found) == DAYS  # the nightly job ran for every day
    counts: dict[str, int] = {}
    for tally in found.values():
        for name, value in tally.counts.items():
            counts[name] = counts.get(name, 0) + value
    assert counts["received"] == filed
    assert counts["claimed_on_time"] > counts.get("claimed_late", 0) > 0
    assert counts["resolved"] > 0 and counts["rated"] == totals["rated"]
    month = Tally(counts=counts)
    figures = rates(month, None)
    assert figures["response_rate"] is not None and figures["response_rate"] > 0.6
    assert figures["on_time_rate"] is not None and figures["on_time_rate"] > 0.5

    # 两升一降 has its fee figures: every managed compound, every month played.
    managed = [c for c in wiring.registry.current().compounds.values() if c.property_company]
    last_month = (today - timedelta(days=1)).isoformat()[:7]
    assert len(wiring.metrics.store.fees(last_month)) == len(managed)
    year = metrics.indicators(wiring.metrics, int(last_month[:4]))["this_year"]
    assert 0.6 < year["fee_collection_rate"] < 1

    # A newcomer sees a hotspot after `make dev`: the planted recurring problem.
    district = Principal("demo.district", (Scope(Role.DISTRICT),))
    spots = metrics.hotspots(wiring.metrics, district)["hotspots"]
    assert any(spot["type"] == "recurring" and spot["cases"] >= 3 for spot in spots)

    # … and the project made of it, public on the board.
    [project] = projects.public(wiring.projects)["projects"]
    assert project["id"] == totals["project"] and project["progress"]["cases"] >= 3

    # The season's campaign ran over the demo: cases joined as they were filed, a residents'
    # meeting entered a batch, and the nightly job kept its running total.
    listed = campaigns.listing(wiring.campaigns, district)["campaigns"]
    assert [c["id"] for c in listed] == [totals["campaign"]] and listed[0]["state"] == "running"
    assert totals["campaign_cases"] == 6
    page = campaigns.one(wiring.campaigns, district, totals["campaign"])["progress"]
    assert page["as_of"] == (today - timedelta(days=1)).isoformat()
    assert page["totals"]["collected"] > totals["campaign_cases"]
    assert page["totals"]["whistled"] > 0 and page["solved"] > 0
    public = campaigns.public_one(wiring.campaigns, totals["campaign"])
    assert public["solved"] == page["solved"] and public["by_category"]
