"""The metric definitions against a hand-computed day."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from functions.core.domain.cases import Actor, CaseEvent, Status
from functions.core.domain.clock import CHINA_TZ
from functions.core.domain.errors import InvalidInput
from functions.core.domain.metrics import (
    HotspotRule,
    Tally,
    coverage,
    find_hotspots,
    fixed_of,
    households,
    percentile,
    rank_scorecards,
    rates,
    received_by_place,
    scorecard_figures,
    tally_day,
)
from functions.core.domain.staff import Principal, Role, Scope
from functions.core.services import metrics
from functions.core.services.metrics import _sum, parse_fees, parse_period, same_period_last_year
from tests.fakes import FakeMetricStore, FakeRegistry, FixedClock, NoOverdue, sample_registry

REGISTRY = sample_registry()
T0 = datetime.fromisoformat("2026-11-26T01:00:00+00:00")
S = Status


def dims(department=None, compound="x001", community="c01"):
    return {
        "street": "hudong",
        "community": community,
        "compound": compound,
        "category": "street_light",
        "channel": "resident",
        "department": department,
    }


class Timeline:
    def __init__(self, code: str, compound: str = "x001", community: str = "c01"):
        self.code, self.compound, self.community = code, compound, community
        self.events: list[CaseEvent] = []
        self.status: Status | None = None
        self.department: str | None = None

    def add(self, kind, after, hours=0.0, department=..., **data):
        before_department = self.department
        if department is not ...:
            self.department = department
        payload = {"dims": dims(self.department, self.compound, self.community), **data}
        if before_department != self.department:
            payload["department_before"] = before_department
        self.events.append(
            CaseEvent(
                self.code,
                len(self.events),
                T0 + timedelta(hours=hours),
                kind,
                Actor("x"),
                self.status,
                after,
                None,
                payload,
            )
        )
        self.status = after
        return self


def the_day():
    a = (
        Timeline("A")
        .add("reported", S.SUBMITTED)
        .add("whistled", S.WHISTLED, 2, department="ludeng", duration=7200)
        .add("dispatched", S.DISPATCHED, 2)
        .add("claimed", S.CLAIMED, 3, on_time=True, duration=3600)
        .add("resolved", S.RESOLVED, 5, on_time=True, duration=10800)
        .add("rated", S.RESOLVED, 6, resolved=True, satisfaction="satisfied")
        .add("closed", S.CLOSED, 6)
    )
    b = (
        Timeline("B")
        .add("reported", S.SUBMITTED)
        .add("whistled", S.WHISTLED, 1, department="ludeng", duration=3600)
        .add("dispatched", S.DISPATCHED, 1)
        .add("escalated", S.DISPATCHED, 6, stage="claim", times=1)
        .add("claimed", S.CLAIMED, 8, on_time=False, duration=25200, ends_overdue="claim")
    )
    c = Timeline("C").add("reported", S.SUBMITTED).add("rejected", S.REJECTED, 1, duration=3600)
    d = Timeline("D", "x002", "c02").add("reported", S.SUBMITTED)
    e = (
        Timeline("E")
        .add("reported", S.SUBMITTED)
        .add("local", S.LOCAL, 1, by="grid", duration=3600)
        .add("resolved", S.RESOLVED, 9, on_time=False, duration=30000)
        .add("rated", S.RESOLVED, 10, resolved=False, satisfaction="fairly_satisfied")
        .add("reopened", S.LOCAL, 10)
    )
    return [ev for t in (a, b, c, d, e) for ev in t.events]


def test_a_days_counts_per_dimension():
    tallies = tally_day(the_day(), {})
    district = tallies["district"].counts
    assert district == {
        "received": 5,
        "triaged": 4,
        "whistled": 2,
        "rejected": 1,
        "local": 1,
        "dispatched": 2,
        "claimed_on_time": 1,
        "claimed_late": 1,
        "resolved": 2,
        "resolved_on_time": 1,
        "resolved_late": 1,
        "escalations": 1,
        "rated": 2,
        "rated_resolved": 1,
        "satisfied": 1,
        "fairly_satisfied": 1,
        "reopened": 1,
        "closed": 1,
    }
    assert tallies["community:c02"].counts == {"received": 1}
    assert tallies["department:ludeng"].counts["claimed_late"] == 1
    assert (
        "department:ludeng" in tallies
        and tallies["department:ludeng"].counts.get("received") is None
    )


def test_the_backlog_at_midnight_follows_openings_closings_and_overdue_stages():
    tallies = tally_day(the_day(), {"district": {"open": 4, "overdue": 1, "unclaimed_overdue": 0}})
    # Yesterday 4 open and 1 overdue; today A and C closed, B, D and E still open (3 new).
    assert tallies["district"].backlog == {"open": 4 + 3, "overdue": 1, "unclaimed_overdue": 0}
    assert tallies["department:ludeng"].backlog["open"] == 1  # B, claimed
    assert tallies["community:c02"].backlog["open"] == 1


def test_the_rates_are_derived_from_the_counts():
    tally = tally_day(the_day(), {})["district"]
    derived = rates(tally, households=2000)
    assert derived["response_rate"] == 0.5  # 1 on time / (1 + 1 late + 0 unclaimed)
    assert derived["on_time_rate"] == 0.5
    assert derived["resolution_rate"] == 0.5
    assert derived["satisfaction_rate"] == 1.0  # (1 + 1.0 × 1) / 2
    assert rates(tally, 2000, fairly_weight=0.5)["satisfaction_rate"] == 0.75
    assert derived["complaint_rate"] == 2.5  # 5 per 2,000 households → 2.5 per 1,000


def test_an_unclaimed_overdue_case_counts_against_the_response_rate():
    tally = Tally(counts={"claimed_on_time": 3}, backlog={"unclaimed_overdue": 1})
    assert rates(tally, None)["response_rate"] == 0.75


def test_empty_periods_have_no_rate_rather_than_zero():
    assert rates(Tally(), None) == {
        "response_rate": None,
        "on_time_rate": None,
        "resolution_rate": None,
        "satisfaction_rate": None,
        "complaint_rate": None,
    }


def test_durations_land_in_fixed_bins_so_roll_ups_keep_percentiles():
    tally = tally_day(the_day(), {})["district"]
    assert sum(tally.histograms["claim"]) == 2
    assert percentile(tally.histograms["claim"], 0.5) == 2.0  # 1 h falls in the 1–2 h bin
    month = _sum([{"district": tally}, {"district": tally}])["district"]
    assert month.counts["received"] == 10
    assert month.histograms["claim"] == [2 * x for x in tally.histograms["claim"]]


def test_a_percentile_in_the_open_last_bin_is_its_lower_edge_not_infinity():
    bins = [0, 0, 0, 0, 1, 2, 2, 0, 1, 4]  # four of ten took more than 240 hours
    assert percentile(bins, 0.5) == 72.0
    assert percentile(bins, 0.9) == 240.0
    month = Tally(histograms={"resolve": bins})
    durations = metrics.figures(REGISTRY, "district", month)["durations"]["resolve"]
    assert durations["p90_hours"] == 240.0
    json.dumps(durations, allow_nan=False)


def test_a_roll_up_takes_the_backlog_of_its_last_part():
    first = {"district": Tally(counts={"received": 1}, backlog={"open": 5})}
    second = {"district": Tally(counts={"received": 2}, backlog={"open": 3})}
    total = _sum([first, second])["district"]
    assert total.counts == {"received": 3} and total.backlog == {"open": 3}


def test_items_are_canonical_so_a_rerun_writes_identical_items():
    one = tally_day(the_day(), {})
    two = tally_day(list(reversed(the_day())), {})
    assert {k: v.as_dict() for k, v in one.items()} == {k: v.as_dict() for k, v in two.items()}


def test_coverage_indicators_come_from_the_registry():
    found = coverage(REGISTRY)
    assert found["party_branches"]["part"] == 142 and found["party_branches"]["whole"] == 155
    assert found["party_work_coverage"]["rate"] == 1.0
    assert found["property_party_organisations"]["rate"] == pytest.approx(0.726, abs=0.001)
    assert found["owners_committees"]["rate"] == pytest.approx(0.968, abs=0.001)
    assert found["committee_party_members"]["rate"] == pytest.approx(0.626, abs=0.001)
    assert found["property_management"]["rate"] == 1.0


def test_households_follow_the_area():
    district = households(REGISTRY, "district")
    community = households(REGISTRY, "community:c01")
    assert district == sum(c.households for c in REGISTRY.compounds.values())
    assert 0 < community < district
    assert households(REGISTRY, "department:ludeng") == district


def test_fee_csv_rows_are_checked_one_by_one_with_line_numbers():
    good = "compound,month,billed,collected\nx001,2026-10,10000,9200\nx002,2026-10,5000,4000.5\n"
    rows = parse_fees(REGISTRY, good)
    assert rows[1] == {
        "compound": "x002",
        "month": "2026-10",
        "billed": 5000.0,
        "collected": 4000.5,
    }
    bad = (
        "compound,month,billed,collected\nx001,2026-10,10000,9200\nx999,2026-10,1,1\n"
        "x002,2026-13,1,1\nx003,2026-10,100,200\nx001,2026-10,10000,9200\n"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_fees(REGISTRY, bad)
    lines = [d.field for d in caught.value.details]
    assert lines == ["line 3", "line 4", "line 5", "line 6"]
    with pytest.raises(InvalidInput):
        parse_fees(REGISTRY, "a,b\n1,2\n")


@pytest.mark.parametrize(
    ("text", "kind", "first", "last"),
    [
        ("2026-11-26", "day", "2026-11-26", "2026-11-26"),
        ("2026-02", "month", "2026-02-01", "2026-02-28"),
        ("2026-Q4", "quarter", "2026-10-01", "2026-12-31"),
        ("2026", "year", "2026-01-01", "2026-12-31"),
    ],
)
def test_periods(text, kind, first, last):
    parsed = parse_period(text)
    assert (parsed[0], parsed[1].isoformat(), parsed[2].isoformat()) == (kind, first, last)


def test_year_on_year_pairs_and_bad_periods():
    assert same_period_last_year("2026-11") == "2025-11"
    assert same_period_last_year("2028-02-29") == "2027-02-28"
    with pytest.raises(InvalidInput):
        parse_period("2026-Q5")


def deps_on(store: FakeMetricStore) -> metrics.MetricsDeps:
    clock = FixedClock(datetime(2026, 11, 27, 9, tzinfo=CHINA_TZ))
    return metrics.MetricsDeps(clock, store, FakeRegistry(REGISTRY), NoOverdue())


DISTRICT_STAFF = Principal("district.admin", (Scope(Role.DISTRICT),))


def test_the_trend_ends_with_the_last_finished_day_or_month():
    deps = deps_on(FakeMetricStore())
    month = metrics.dashboard(deps, DISTRICT_STAFF, "2026-11")
    assert [p["period"] for p in month["series"]][-1] == "2026-11-26"
    assert len(month["series"]) == 26 and month["through"] == "2026-11-26"
    year = metrics.dashboard(deps, DISTRICT_STAFF, "2026")
    assert [p["period"] for p in year["series"]][-1] == "2026-11"
    assert len(year["series"]) == 11
    assert len(metrics.dashboard(deps, DISTRICT_STAFF, "2026-10")["series"]) == 31
    deps.clock.at = datetime(2026, 11, 27, 23, 50, tzinfo=CHINA_TZ)  # late on the 27th
    assert metrics.dashboard(deps, DISTRICT_STAFF, "2026-11")["through"] == "2026-11-26"


def test_departments_rank_by_the_cases_whistled_to_them():
    store = FakeMetricStore()
    store.items[("department:ludeng", "2026-11")] = Tally(counts={"dispatched": 1})
    store.items[("department:zhujian", "2026-11")] = Tally(counts={"dispatched": 5})
    store.items[("community:c01", "2026-11")] = Tally(counts={"received": 1})
    store.items[("community:c02", "2026-11")] = Tally(counts={"received": 3})
    rankings = metrics.dashboard(deps_on(store), DISTRICT_STAFF, "2026-11")["rankings"]
    assert [r["scope"] for r in rankings["department"]] == [
        "department:zhujian",
        "department:ludeng",
    ]
    assert [r["scope"] for r in rankings["community"]] == ["community:c02", "community:c01"]
    zhujian = REGISTRY.departments["zhujian"]
    assert (rankings["department"][0]["name"], rankings["department"][0]["name_en"]) == (
        zhujian.name,
        zhujian.name_en,
    )


def test_the_board_lists_the_fixes_the_nightly_job_kept_newest_first():
    store = FakeMetricStore()
    store.events[date(2026, 11, 26)] = the_day()
    deps = deps_on(store)
    metrics.run_day(deps, date(2026, 11, 26))
    store.events.clear()  # the board reads what the job kept, not the day's events
    fixed = metrics.board(deps, "2026-11")["recently_fixed"]
    street_light = REGISTRY.categories["street_light"].name
    compound = REGISTRY.compounds["x001"].name
    assert [(f["category"], f["compound"], f["on_time"]) for f in fixed] == [
        (street_light, compound, False),  # E, resolved at 18:00
        (street_light, compound, True),  # A, resolved at 14:00
    ]
    assert fixed[0]["at"] > fixed[1]["at"]
    assert set(fixed[0]) == {
        "at",
        "category",
        "category_en",
        "icon",
        "compound",
        "compound_id",
        "community",
        "on_time",
        "residents",
    }
    assert fixed[0]["compound_id"] == "x001"  # the board links the compound's public page
    assert fixed[0]["residents"] == 1  # resolved before the count was kept: the reporter


def test_a_fix_keeps_how_many_residents_waited_for_the_board():
    joined = (
        Timeline("J")
        .add("reported", S.SUBMITTED)
        .add("local", S.LOCAL, 1, by="community", duration=3600)
        .add("resolved", S.RESOLVED, 3, on_time=True, residents=3, duration=7200)
    )
    [fix] = fixed_of(joined.events)
    assert fix["residents"] == 3


# -- property-company scorecards ---------------------------------------------------------------


def test_a_compounds_events_count_under_the_company_serving_it():
    own = (
        Timeline("P")
        .add("reported", S.SUBMITTED)
        .add("local", S.LOCAL, 1, by="property", duration=3600)
        .add("resolved", S.RESOLVED, 3, on_time=True, local_by="property", duration=7200)
    )
    late = (
        Timeline("Q")
        .add("reported", S.SUBMITTED)
        .add("local", S.LOCAL, 1, by="property", duration=3600)
        .add("resolved", S.RESOLVED, 9, on_time=False, local_by="property", duration=30000)
    )
    events = the_day() + own.events + late.events
    tallies = tally_day(events, {}, {"x001": "pc01"})
    company = tallies["property:pc01"]
    # x001 holds A, B, C, E, P and Q; x002 (D) is served by nobody here.
    assert company.counts["received"] == 6
    assert company.counts["local_property"] == 2  # E was handled by the grid, not the company
    assert company.counts["resolved_by_property"] == 2
    assert company.counts["resolved_by_property_on_time"] == 1
    assert company.backlog["open"] == 2  # B claimed, E reopened
    assert not any(scope.startswith("property:") for scope in tally_day(events, {}))


def test_scorecard_figures_and_their_ranking():
    tally = Tally(
        counts={
            "received": 4,
            "triaged": 4,
            "local_property": 2,
            "resolved_by_property": 2,
            "resolved_by_property_on_time": 1,
            "whistled": 1,
            "rated": 2,
            "satisfied": 1,
            "not_satisfied": 1,
        }
    )
    card = scorecard_figures(tally, 2000, (1000.0, 950.0))
    assert card["complaint_rate"] == 2.0  # 4 per 2,000 households = 2 per 1,000
    assert card["self_handled_share"] == 0.5 and card["self_on_time_rate"] == 0.5
    assert card["satisfaction_rate"] == 0.5 and card["fee_collection_rate"] == 0.95
    empty = scorecard_figures(None, 0, None)
    assert empty["satisfaction_rate"] is None and empty["fee_collection_rate"] is None
    ranked = rank_scorecards(
        [
            {"name": "unrated", "satisfaction_rate": None, "complaint_rate": 0.1},
            {"name": "b", "satisfaction_rate": 0.9, "complaint_rate": 3.0},
            {"name": "a", "satisfaction_rate": 0.9, "complaint_rate": 1.0},
            {"name": "best", "satisfaction_rate": 1.0, "complaint_rate": 9.0},
        ]
    )
    assert [(c["rank"], c["name"]) for c in ranked] == [
        (1, "best"),
        (2, "a"),
        (3, "b"),
        (4, "unrated"),
    ]


# -- hotspots ------------------------------------------------------------------------------------


def test_a_kind_recurring_in_a_compound_is_a_hotspot_from_the_threshold_on():
    rule = HotspotRule(cases=3, days=14, rise=2.0, rise_cases=4)
    where = {"x001": "c01", "x002": "c01"}
    two = [{"x001|street_light": 1}, {"x001|street_light": 1, "x002|parking": 1}]
    assert find_hotspots(two, [], where, rule) == []  # one short
    three = [*two, {"x001|street_light": 1}]
    assert find_hotspots(three, [], where, rule) == [
        {"type": "recurring", "compound": "x001", "category": "street_light", "cases": 3}
    ]
    # The same reports make c01's street lights rise too: one problem, listed once.
    rising = HotspotRule(cases=3, days=14, rise=2.0, rise_cases=3)
    assert [h["type"] for h in find_hotspots(three, [], where, rising)] == ["recurring"]


def test_a_kind_rising_in_a_community_against_the_days_before():
    rule = HotspotRule(cases=99, days=14, rise=2.0, rise_cases=4)
    where = {"x001": "c01", "x002": "c01", "x003": "c02"}
    recent = [{"x001|parking": 2, "x002|parking": 2, "x003|parking": 4}]
    before = [{"x001|parking": 2, "x003|parking": 3}]
    found = find_hotspots(recent, before, where, rule)
    # c01: 4 now against 2 before (twice) → rising; c02: 4 against 3 → not.
    assert found == [
        {"type": "rising", "community": "c01", "category": "parking", "cases": 4, "before": 2}
    ]
    assert find_hotspots([{"x001|parking": 3}], [], where, rule) == []  # too few to call a rise


def test_the_days_reports_are_kept_by_compound_and_kind():
    assert received_by_place(the_day()) == {"x001|street_light": 4, "x002|street_light": 1}


def test_a_withdrawn_case_changes_no_rate_and_leaves_the_backlog():
    """撤回 before the whistle: counted as withdrawn, in no rate (not a rejection, not a
    rating); the complaint rate takes it back out of what was received."""
    before = tally_day(the_day(), {})["district"]
    w = (
        Timeline("W")
        .add("reported", S.SUBMITTED)
        .add("urged", S.SUBMITTED, 1)
        .add("withdrawn", S.WITHDRAWN, 2, duration=7200)
    )
    after = tally_day([*the_day(), *w.events], {})["district"]
    assert rates(after, households=2000) == rates(before, households=2000)
    assert after.counts["withdrawn"] == 1 and after.counts["urged"] == 1
    assert after.counts.get("rejected") == before.counts.get("rejected")
    assert after.counts["triaged"] == before.counts["triaged"]
    assert after.backlog["open"] == before.backlog["open"]
