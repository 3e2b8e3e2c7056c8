"""The benchmark's cost estimate (BENCHMARKS.md, DESIGN §8) adds up measured operations as
it says: each step of a case's life × its share × the price, sends per queued notification,
SMS counted apart from the infrastructure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench.cost import LIFECYCLE, PRICES, SCALES, estimate, per_case


def measured(wru: float = 0, rru: float = 0, requests: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "dynamodb_requests": requests,
        "operations": {"dynamodb:Query": requests},
        "wru": wru,
        "rru": rru,
        **extra,
    }


def operations(step_wru: float = 2.0, sms_per_whistle: int = 1) -> list[dict[str, Any]]:
    """Every operation the estimate reads, with round figures: each lifecycle step writes
    `step_wru` units; whistling queues SMS and an email; sending costs one unit a message."""
    ops = [{"name": step.operation, **measured(wru=step_wru)} for step in LIFECYCLE]
    for op in ops:
        if op["name"] == "transition: whistle":
            op["notifications"] = {"sms": sms_per_whistle, "email": 1}
            op["events"], op["event_bytes"] = 1, 500
    ops += [
        {"name": f"notification: send one by {channel}", **measured(wru=1)}
        for channel in ("email", "sms", "webhook")
    ]
    ops += [
        {"name": "registry cache refresh", **measured(rru=30)},
        {"name": "dispatch tick: fixed part", **measured(rru=4, requests=8)},
        {"name": "nightly job", **measured(wru=40, rru=20, requests=50), "day_events": 50},
        {"name": "dashboard read", **measured(rru=3, requests=4)},
    ]
    ops[0]["item_bytes"] = {"cases": 900, "case-events": 500}
    return ops


def share(prefix: str) -> float:
    return sum(s.per_case for s in LIFECYCLE if s.operation.startswith(prefix))


def test_a_case_costs_the_sum_of_its_steps_times_their_shares():
    life = per_case(operations(step_wru=2.0))
    assert life["totals"]["wru"] == pytest.approx(2.0 * sum(s.per_case for s in LIFECYCLE))
    assert life["totals"]["dynamodb_requests"] == pytest.approx(sum(s.per_case for s in LIFECYCLE))


def test_what_a_case_queues_is_sent_once_per_message_at_its_channel_cost():
    life = per_case(operations(sms_per_whistle=1))
    whistled = share("transition: whistle")
    alerts = share("timer: dispatch") + share("timer: reminder") + share("timer: escalation")
    assert life["resident_sms"] == pytest.approx(whistled)
    assert life["notifications"]["email"] == pytest.approx(whistled)
    # Departments configured for SMS get one beside their other alerts (an assumed share).
    assert life["notifications"]["sms"] == pytest.approx(whistled + 0.1 * alerts)
    assert life["sends"]["wru"] == pytest.approx(sum(life["notifications"].values()))


def test_the_shares_of_a_case_add_up_to_one_outcome_per_case():
    assert share("intake: POST /cases") == pytest.approx(1.0)
    triage = ("transition: whistle", "transition: handle locally", "transition: reject")
    assert sum(share(t) for t in triage) + share("transition: merge") == pytest.approx(1.0)
    assert share("timer: phone purge") == pytest.approx(1.0)


def test_dynamodb_writes_are_priced_per_million_and_sms_is_kept_out_of_the_total():
    cheap = estimate(operations(step_wru=1.0), None, 80.0, 3, _memory(), 10)
    dear = estimate(operations(step_wru=3.0), None, 80.0, 3, _memory(), 10)
    for low, high, scale in zip(cheap["scales"], dear["scales"], SCALES, strict=True):
        cases = scale.cases_per_year / 12
        writes = {r["item"]: r for r in low["rows"]}["DynamoDB writes"]
        writes_dear = {r["item"]: r for r in high["rows"]}["DynamoDB writes"]
        extra_wru = cases * 2.0 * sum(s.per_case for s in LIFECYCLE)
        assert writes_dear["quantity"] - writes["quantity"] == pytest.approx(extra_wru)
        assert writes_dear["usd"] - writes["usd"] == pytest.approx(
            extra_wru * PRICES["dynamodb_wru_million"] / 1e6
        )
        assert low["total_usd"] == pytest.approx(sum(r["usd"] for r in low["rows"]))
        assert "SMS" not in " ".join(r["item"] for r in low["rows"])
        assert low["sms"]["resident"] <= 2 * cases


def test_case_driven_costs_grow_with_the_number_of_cases():
    district, hotline = estimate(operations(), None, 80.0, 3, _memory(), 10)["scales"]
    ratio = hotline["cases_per_month"] / district["cases_per_month"]
    rows = {r["item"]: r for r in district["rows"]}
    big = {r["item"]: r for r in hotline["rows"]}
    for item in ("DynamoDB storage after a year", "SES email (alerts)"):
        assert big[item]["quantity"] / rows[item]["quantity"] == pytest.approx(ratio)
    assert hotline["sms"]["messages"] / district["sms"]["messages"] == pytest.approx(ratio)
    assert big["KMS key (secrets)"]["usd"] == rows["KMS key (secrets)"]["usd"]


def _memory() -> dict[str, int]:
    return {"api": 512, "dispatch": 256, "metrics": 512}
