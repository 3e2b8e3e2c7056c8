"""Campaigns (专项行动) in the pure domain: which campaign a new case joins, what a campaign's
fields may be, and how the nightly tallies count a campaign's cases — filed in it, added late
with what they counted so far, or taken out again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from functions.core.domain.calendar import WorkCalendar
from functions.core.domain.campaigns import Campaign, check_campaign, joining
from functions.core.domain.cases import Actor, Case, NewReport, Policy, SealedPhone
from functions.core.domain.errors import Conflict, InvalidInput
from functions.core.domain.metrics import counted_so_far, tally_day
from tests.fakes import sample_registry

REGISTRY = sample_registry()
CATEGORY = REGISTRY.categories["street_light"]
POLICY = Policy(calendar=WorkCalendar(), limits=CATEGORY.limits)
COMMUNITY = Actor("community", "community.c01")
AT = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
SEASON = Campaign(
    id="zx-q4",
    name="第四季度红色物业季",
    starts="2026-10-01",
    ends="2026-12-31",
    communities=("c01", "c02"),
    kinds=("street_light", "parking"),
    target=50,
)


def new_case(campaign: str | None = None, code: str = "YS-2611-27-0001") -> Case:
    report = NewReport(
        "street_light", "x001", "3栋", "路灯坏了很久了", "13812345678", True, campaign=campaign
    )
    return Case.report(
        code=code,
        report=report,
        category=CATEGORY,
        compound=REGISTRY.compounds["x001"],
        registry=REGISTRY,
        phone=SealedPhone("sealed", "lookup", "138****5678"),
        photos=(),
        token_hash="h",
        at=AT,
        policy=POLICY,
    )


def test_a_case_joins_the_campaign_of_its_period_place_and_kind():
    day = date(2026, 11, 27)
    assert joining([SEASON], "c01", "street_light", day) == "zx-q4"
    assert joining([SEASON], "c03", "street_light", day) is None  # not taking part
    assert joining([SEASON], "c01", "elevator", day) is None  # not a focus kind
    assert joining([SEASON], "c01", "street_light", date(2027, 1, 1)) is None  # over
    assert joining([SEASON], "c01", "street_light", date(2026, 12, 31)) == "zx-q4"  # last day
    every_kind = replace(SEASON, id="zx-all", kinds=())
    assert joining([every_kind], "c02", "elevator", day) == "zx-all"
    # Two that take it: the one that started first.
    earlier = replace(SEASON, id="zx-early", starts="2026-09-15")
    assert joining([SEASON, earlier], "c01", "parking", day) == "zx-early"
    assert SEASON.state(date(2026, 9, 30)) == "upcoming"
    assert SEASON.state(day) == "running" and SEASON.state(date(2027, 1, 1)) == "ended"
    # Its cases are followed a month past the end, so late fixes and ratings count.
    assert SEASON.counted_on(date(2027, 1, 30)) and not SEASON.counted_on(date(2027, 1, 31))


def test_a_campaigns_fields_are_checked_against_the_registry_and_the_calendar():
    good = {
        "communities": ["c01"],
        "kinds": ["parking"],
        "starts": "2026-10-01",
        "ends": "2026-12-31",
    }
    assert check_campaign(REGISTRY, good) == []
    bad = {**good, "communities": ["c01", "c99"], "kinds": ["nothing"], "ends": "2026-09-01"}
    assert {(p.field, p.code) for p in check_campaign(REGISTRY, bad)} == {
        ("communities", "unknown_community"),
        ("kinds", "unknown_category"),
        ("ends", "invalid_range"),
    }
    assert [p.code for p in check_campaign(REGISTRY, {**good, "ends": "2027-12-31"})] == [
        "too_long"
    ]
    assert [p.field for p in check_campaign(REGISTRY, {**good, "starts": "2026-02-30"})] == [
        "starts"
    ]


def test_a_case_filed_in_a_campaign_counts_in_its_scopes_from_the_report_on():
    case = new_case("zx-q4")
    case.whistle(COMMUNITY, "ludeng", (), None, AT + timedelta(hours=1), POLICY)
    tallies = tally_day(case.new_events, {})
    assert tallies["campaign:zx-q4"].counts == {"received": 1, "whistled": 1, "triaged": 1}
    assert tallies["campaign:zx-q4|community:c01"].counts["received"] == 1
    assert tallies["campaign:zx-q4|compound:x001"].counts["received"] == 1
    assert tallies["campaign:zx-q4|category:street_light"].counts["whistled"] == 1
    assert tallies["campaign:zx-q4|department:ludeng"].counts == {"whistled": 1, "triaged": 1}
    assert tallies["campaign:zx-q4"].backlog["open"] == 1
    assert tallies["district"].counts["received"] == 1  # and everywhere else, as before
    assert "campaign:zx-q4" not in tally_day(new_case().new_events, {})


def test_a_case_added_late_brings_its_counts_and_taken_out_takes_them_back():
    case = new_case()
    case.whistle(COMMUNITY, "ludeng", (), None, AT + timedelta(hours=1), POLICY)
    before = list(case.new_events)
    case.new_events.clear()
    with pytest.raises(InvalidInput):
        case.join_campaign(COMMUNITY, "zx-q4", "  ", {}, AT)
    carry = counted_so_far(before)
    assert carry == {"received": 1, "triaged": 1, "whistled": 1}
    case.join_campaign(COMMUNITY, "zx-q4", "居民议事会集中反映", carry, AT + timedelta(hours=2))
    with pytest.raises(Conflict):
        case.join_campaign(COMMUNITY, "zx-other", "再加", carry, AT)
    joined = tally_day(case.new_events, {})
    assert joined["campaign:zx-q4"].counts == carry
    assert joined["campaign:zx-q4"].backlog["open"] == 1
    assert joined["campaign:zx-q4|department:ludeng"].counts["whistled"] == 1
    # Only the campaign's scopes: the district counted this case on the day it happened.
    assert "district" not in joined  # no count and no change of its backlog

    everything = [*before, *case.new_events]
    case.new_events.clear()
    left = case.leave_campaign(
        COMMUNITY, "误加", counted_so_far(everything), AT + timedelta(hours=3)
    )
    assert left == "zx-q4" and case.campaign is None
    out = tally_day(case.new_events, {"campaign:zx-q4": {"open": 1}, "district": {"open": 1}})
    assert out["campaign:zx-q4"].counts == {"received": -1, "triaged": -1, "whistled": -1}
    assert out["campaign:zx-q4"].backlog["open"] == 0  # it no longer waits in the campaign
    assert out["district"].backlog["open"] == 1  # but still in the district
    with pytest.raises(Conflict):
        case.leave_campaign(COMMUNITY, "again", {}, AT)
