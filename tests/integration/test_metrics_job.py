"""The nightly job through the real workflow on moto: counts and rates of a day, re-runs and
backfills that write identical items, and a cost that does not grow with history."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from functions.core.adapters.tables import MetricItem
from functions.core.domain.clock import CHINA_TZ
from functions.core.services import metrics
from tests.conftest import bearer
from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    act,
    ok,
    report,
    tick,
)

DAY = date(2026, 11, 26)


def at_china(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=CHINA_TZ)


def play_a_day(api, wiring, clock) -> dict:
    """Three reports on 26 Nov: one fixed and rated, one whistled and claimed, one rejected."""
    clock.at = at_china(9)
    fixed = report(api)
    claimed = report(api, description="北门路灯不亮好几天了")
    rejected = report(api, compound="x002", description="家里水管漏水需要维修")
    clock.at = at_china(10)
    ok(act(api, COMMUNITY, fixed["code"], "whistle"))
    ok(act(api, COMMUNITY, claimed["code"], "whistle"))
    ok(
        act(
            api,
            ("community.c02", "community:c02"),
            rejected["code"],
            "reject",
            reason="属于户内维修",
        )
    )
    tick(wiring)
    clock.at = at_china(11)
    ok(act(api, LUDENG, fixed["code"], "claim"))
    ok(act(api, LUDENG, claimed["code"], "claim"))
    clock.at = at_china(16)
    ok(act(api, LUDENG, fixed["code"], "resolve", note="已修复"))
    clock.at = at_china(20)
    rating = api.post(
        f"/cases/{fixed['code']}/rating",
        headers={"Content-Type": "application/json", "X-Case-Token": fixed["token"]},
        body=json.dumps({"resolved": True, "satisfaction": "fairly_satisfied"}).encode(),
    )
    assert rating.status_code == 200
    clock.at = datetime(2026, 11, 27, 0, 30, tzinfo=CHINA_TZ)
    return {"fixed": fixed, "claimed": claimed, "rejected": rejected}


def items_of(period: str) -> dict[str, str]:
    # Every item of the period, found by a Scan (a test may; the code may not).
    return {
        i.scope: json.dumps(i.data, sort_keys=True)
        for i in MetricItem.scan(MetricItem.period == period)
    }


def test_the_nightly_job_counts_the_day_that_just_ended(api, wiring, robots, clock):
    play_a_day(api, wiring, clock)
    result = api_invoke_nightly(wiring)
    assert result["day"] == "2026-11-26"
    figures = json.loads(
        api.get("/metrics?scope=district&period=2026-11-26", headers=bearer(*DISTRICT)).body
    )
    counts = figures["counts"]
    assert (counts["received"], counts["whistled"], counts["rejected"]) == (3, 2, 1)
    assert (counts["claimed_on_time"], counts["resolved"], counts["rated"]) == (2, 1, 1)
    assert figures["response_rate"] == 1.0 and figures["on_time_rate"] == 1.0
    assert figures["satisfaction_rate"] == 1.0 and figures["resolution_rate"] == 1.0
    assert figures["backlog"]["open"] == 1  # the claimed one
    month = json.loads(
        api.get("/metrics?scope=district&period=2026-11", headers=bearer(*DISTRICT)).body
    )
    assert month["counts"] == counts  # the month so far is that one day
    for period in ("2026-Q4", "2026"):
        assert (
            json.loads(
                api.get(f"/metrics?scope=district&period={period}", headers=bearer(*DISTRICT)).body
            )["counts"]
            == counts
        )
    community = json.loads(
        api.get("/metrics?scope=community:c01&period=2026-11-26", headers=bearer(*COMMUNITY)).body
    )
    assert community["counts"]["received"] == 2
    assert community["complaint_rate"] == round(2 * 1000 / community["households"], 2)


def api_invoke_nightly(wiring):
    from chalice.test import Client

    from app import app
    from tests.fakes import ROOT

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        return client.lambda_.invoke("nightly_metrics", event).payload


def test_a_rerun_and_a_backfill_write_byte_identical_items(api, wiring, robots, clock):
    play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    nightly = {p: items_of(p) for p in ("2026-11-26", "2026-11", "2026-Q4", "2026")}
    metrics.run_day(wiring.metrics, DAY)
    assert {p: items_of(p) for p in nightly} == nightly
    for period in nightly:
        for item in MetricItem.scan(MetricItem.period == period):
            item.delete()
    metrics.backfill(wiring.metrics, DAY - timedelta(days=2), DAY)
    assert {p: items_of(p) for p in nightly} == nightly


def test_each_role_reads_only_its_own_slice(api, wiring, robots, clock):
    play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    assert (
        api.get(
            "/metrics?scope=department:ludeng&period=2026-11", headers=bearer(*LUDENG)
        ).status_code
        == 200
    )
    assert (
        api.get(
            "/metrics?scope=department:zhujian&period=2026-11", headers=bearer(*LUDENG)
        ).status_code
        == 403
    )
    assert (
        api.get("/metrics?scope=district&period=2026-11", headers=bearer(*COMMUNITY)).status_code
        == 403
    )
    bad = api.get("/metrics?scope=district&period=2026-13", headers=bearer(*DISTRICT))
    assert (
        bad.status_code == 400 and json.loads(bad.body)["error"]["details"][0]["field"] == "period"
    )


def test_the_dashboard_reads_a_fixed_number_of_items_whatever_the_cases(
    api, wiring, robots, clock, aws_calls
):
    play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    api.get("/metrics/dashboard?period=2026-11", headers=bearer(*DISTRICT))  # warm caches
    aws_calls.clear()
    first = json.loads(api.get("/metrics/dashboard?period=2026-11", headers=bearer(*DISTRICT)).body)
    reads = sorted(aws_calls.of("dynamodb"))
    for _ in range(5):
        report(api)
    api.get("/metrics/dashboard?period=2026-11", headers=bearer(*DISTRICT))
    aws_calls.clear()
    api.get("/metrics/dashboard?period=2026-11", headers=bearer(*DISTRICT))
    assert sorted(aws_calls.of("dynamodb")) == reads
    assert first["current"]["counts"]["received"] == 3
    assert [r["scope"] for r in first["rankings"]["community"]][:2] == [
        "community:c01",
        "community:c02",
    ]
    assert len(first["series"]) == 26  # 1 to 26 November: the days that have ended


def test_a_year_with_nothing_recorded_has_no_complaint_rate_to_compare_with(
    api, wiring, robots, clock
):
    play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    indicators = json.loads(
        api.get("/metrics/indicators?year=2026", headers=bearer(*DISTRICT)).body
    )
    assert indicators["this_year"]["complaint_rate"] > 0
    # 2025 has no figures at all: no baseline, not a complaint rate of 0 to rise from.
    assert indicators["last_year"]["complaint_rate"] is None
    assert indicators["change"]["complaint_rate"] is None


def test_fee_figures_upload_all_or_nothing_and_feed_two_up_one_down(api, wiring):
    good = "compound,month,billed,collected\nx001,2026-10,10000,9000\nx002,2025-10,10000,8000\n"
    stored = api.post(
        "/metrics/fees",
        headers={"Content-Type": "text/csv", **bearer(*DISTRICT)},
        body=good.encode(),
    )
    assert stored.status_code == 201 and json.loads(stored.body) == {"stored": 2}
    bad = "compound,month,billed,collected\nx003,2026-11,100,50\nx999,2026-11,1,1\n"
    refused = api.post(
        "/metrics/fees",
        headers={"Content-Type": "text/csv", **bearer(*DISTRICT)},
        body=bad.encode(),
    )
    assert refused.status_code == 400
    assert [d["field"] for d in json.loads(refused.body)["error"]["details"]] == ["line 3"]
    indicators = json.loads(
        api.get("/metrics/indicators?year=2026", headers=bearer(*DISTRICT)).body
    )
    assert indicators["this_year"]["fee_collection_rate"] == 0.9
    assert indicators["last_year"]["fee_collection_rate"] == 0.8
    assert indicators["change"]["fee_collection_rate"] == pytest.approx(0.1)
    assert indicators["coverage"]["owners_committees"]["whole"] == 155


def test_a_property_company_enters_fees_only_for_its_own_compounds(api, wiring):
    registry = wiring.registry.current()
    company = registry.compounds["x001"].property_company
    other = next(c.id for c in registry.compounds.values() if c.property_company != company)
    who = ("property.someone", f"property:{company}")
    own = api.post(
        "/metrics/fees",
        headers={"Content-Type": "text/csv", **bearer(*who)},
        body=b"compound,month,billed,collected\nx001,2026-11,100,90\n",
    )
    assert own.status_code == 201
    theirs = api.post(
        "/metrics/fees",
        headers={"Content-Type": "text/csv", **bearer(*who)},
        body=f"compound,month,billed,collected\n{other},2026-11,100,90\n".encode(),
    )
    assert theirs.status_code == 403


def test_the_public_board_shows_results_and_no_personal_data(api, wiring, robots, clock):
    cases = play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    clock.at = datetime(2026, 11, 27, 9, tzinfo=CHINA_TZ)
    response = api.get("/public/board?period=2026-11")
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    board = json.loads(response.body)
    c01 = next(c for c in board["communities"] if c["id"] == "c01")
    assert (c01["received"], c01["whistled"], c01["resolved"]) == (2, 2, 1)
    assert board["recently_fixed"][0]["category"] == "路灯照明"
    text = response.body.decode()
    for secret in ("路灯坏了一个星期", "家里水管漏水", cases["fixed"]["token"], "****"):
        assert secret not in text


def test_the_public_board_reads_kept_items_only_whatever_the_days_events(
    api, wiring, robots, clock, aws_calls
):
    play_a_day(api, wiring, clock)
    metrics.run_day(wiring.metrics, DAY)
    clock.at = datetime(2026, 11, 27, 9, tzinfo=CHINA_TZ)
    api.get("/public/board?period=2026-11")  # warm caches
    aws_calls.clear()
    first = json.loads(api.get("/public/board?period=2026-11").body)
    reads = sorted(aws_calls.of("dynamodb"))
    assert "Query" not in reads  # no day of events is read at request time
    for _ in range(5):
        report(api)
    aws_calls.clear()
    again = json.loads(api.get("/public/board?period=2026-11").body)
    assert sorted(aws_calls.of("dynamodb")) == reads
    assert again["recently_fixed"] == first["recently_fixed"]
    [fixed] = first["recently_fixed"]
    assert (fixed["category"], fixed["on_time"]) == ("路灯照明", True) and fixed["compound"]
