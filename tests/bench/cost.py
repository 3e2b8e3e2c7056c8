"""A monthly cost estimate (DESIGN §8) from the measured request counts and list prices.

Prices are AWS's published on-demand list prices for US East (N. Virginia), in USD, without
free tiers; the China regions bill in CNY at their own prices (amazonaws.cn), so replace
`PRICES` before budgeting there. Everything that is not measured is an assumption named in
`ASSUMPTIONS` and printed with the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PRICES_AS_OF = "2025 (US East, N. Virginia; on-demand list prices, no free tier)"
PRICES = {
    # https://aws.amazon.com/dynamodb/pricing/on-demand/
    "dynamodb_wru_million": 0.625,
    "dynamodb_rru_million": 0.125,
    "dynamodb_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    # https://aws.amazon.com/lambda/pricing/ (x86)
    "lambda_requests_million": 0.20,
    "lambda_gb_second": 0.0000166667,
    # https://aws.amazon.com/api-gateway/pricing/ (REST, first 333 million)
    "apigateway_rest_million": 3.50,
    # https://aws.amazon.com/cloudfront/pricing/ (United States & Europe; Asia costs more)
    "cloudfront_gb": 0.085,
    "cloudfront_https_10k": 0.0100,
    # https://aws.amazon.com/s3/pricing/ (Standard)
    "s3_gb_month": 0.023,
    "s3_put_thousand": 0.005,
    "s3_get_thousand": 0.0004,
    # https://aws.amazon.com/cloudwatch/pricing/
    "cloudwatch_alarm_metric_month": 0.10,
    "cloudwatch_logs_gb": 0.50,
    # https://aws.amazon.com/kms/pricing/
    "kms_key_month": 1.00,
    # https://aws.amazon.com/ses/pricing/
    "ses_thousand": 0.10,
}
# Not a list price: China-mainland SMS through a domestic provider costs a few fen a message;
# AWS's own rate for +86 numbers changes and needs a registered sender. Check before budgeting.
SMS_PRICE_USD = 0.006
SMS_PRICE_NOTE = "assumed USD 0.006 (≈ ¥0.045) a message; not a published AWS price"

DAYS_PER_MONTH = 30.4
MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60


@dataclass(frozen=True)
class Scale:
    name: str
    cases_per_year: int
    warm_api_functions: int
    dashboard_reads_per_day: int


SCALES = (
    Scale("district", 10_000, 1, 30),
    Scale("hotline (24 million a year)", 24_000_000, 8, 300),
)


@dataclass(frozen=True)
class Step:
    """One measured operation and how many times an average case goes through it."""

    operation: str  # the start of the operation's name in the measured results
    per_case: float
    why: str
    api: bool = True  # an API request (else the dispatch or nightly function does it)


# A case's life, as shares of all cases (assumptions, named and printed with the estimate):
# 70 % whistled, 20 % handled locally, 7 % rejected, 3 % merged; 60 % of resolved cases
# rated (one in twelve of those "not resolved", reopened and resolved again), the rest
# closed unrated after 7 days.
LIFECYCLE = (
    Step("intake: POST /cases (no photos)", 0.4, "reports without photos"),
    Step("intake: POST /cases (2 photos)", 0.6, "reports with photos"),
    Step("transition: whistle", 0.70, "whistled to a department"),
    Step("timer: dispatch", 0.70, "alerted by the tick", api=False),
    Step("transition: claim", 0.70, "claimed"),
    Step("transition: return", 0.03, "returned to triage"),
    Step("transition: extension asked", 0.05, "extension asked"),
    Step("transition: extension decided", 0.05, "extension decided"),
    Step(
        "transition: resolve (department)",
        0.75,
        "resolved by the department (again after a reopen)",
    ),
    Step("transition: handle locally", 0.20, "handled locally"),
    Step("transition: resolve locally", 0.20, "resolved locally"),
    Step("transition: reject", 0.07, "rejected"),
    Step("transition: merge", 0.03, "merged"),
    Step("transition: rate, resolved", 0.55, "rated resolved"),
    Step("transition: rate, not resolved", 0.05, "rated not resolved (reopened)"),
    Step("transition: chase", 0.02, "chased by hand"),
    Step("timer: reminder", 0.30, "reminded at 75 % of a limit", api=False),
    Step("timer: escalation (", 0.10, "escalated when a limit passed", api=False),
    Step("timer: escalation again", 0.05, "escalated again a day later", api=False),
    Step("timer: auto-close", 0.35, "closed unrated after 7 days", api=False),
    Step("timer: phone purge", 1.0, "phone number purged", api=False),
    Step("resident view", 5, "resident views of the case page"),
    Step("staff view: GET /staff/cases/{code}", 6, "staff opening the case"),
    Step("staff list: community inbox", 1, "community inbox pages"),
    Step("staff list: department work", 1, "department work-list pages"),
)

ASSUMPTIONS = {
    "shares of a case's life": "see the lifecycle table (whistled 70 %, local 20 %, "
    "rejected 7 %, merged 3 %; 60 % of resolved cases rated)",
    "share of department alerts also sent by SMS (departments with sms_alerts; 2 of the "
    "sample's 11)": 0.1,
    "photos per report with photos": 2,
    "photo size after the phone shrinks it (KB)": 300,
    "Python time per API request besides DynamoDB, other than intake (ms)": 5,
    "DynamoDB latency per request inside AWS (ms)": 10,
    "log bytes per invocation": 300,
    "warm API functions (each refreshes the registry once a minute)": "district 1, hotline 8",
    "dashboard reads a day": "district 30, hotline 300",
    "CloudFront requests per report session besides the first-load files": 4,
    "CloudFront requests per resident view (document, config, API)": 3,
}
DEPARTMENT_SMS_SHARE = 0.1


def _by_name(operations: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    for operation in operations:
        if operation["name"].startswith(prefix) and operation.get("built", True):
            return operation
    raise KeyError(prefix)


def _dynamodb(operation: dict[str, Any]) -> int:
    return int(operation.get("dynamodb_requests", 0))


def per_case(operations: list[dict[str, Any]]) -> dict[str, Any]:
    """What one average case costs, step by step and in total: DynamoDB requests and
    capacity units, timeline events, API requests, and the notifications it queues by
    channel (each of which then costs its send)."""
    rows = []
    totals = {"dynamodb_requests": 0.0, "wru": 0.0, "rru": 0.0, "events": 1.0, "api": 0.0}
    queued: dict[str, float] = {}
    for step in LIFECYCLE:
        measured = _by_name(operations, step.operation)
        rows.append(
            {
                "operation": measured["name"],
                "per_case": step.per_case,
                "why": step.why,
                "dynamodb_requests": _dynamodb(measured),
                "wru": measured["wru"],
                "rru": measured["rru"],
                "notifications": measured.get("notifications") or {},
            }
        )
        totals["dynamodb_requests"] += step.per_case * _dynamodb(measured)
        totals["wru"] += step.per_case * measured["wru"]
        totals["rru"] += step.per_case * measured["rru"]
        totals["events"] += step.per_case * measured.get("events", 0)
        totals["api"] += step.per_case if step.api else 0
        for channel, count in (measured.get("notifications") or {}).items():
            queued[channel] = queued.get(channel, 0.0) + step.per_case * count
    # SMS to departments configured for it, beside their robot and email alerts.
    department_alerts = sum(
        step.per_case
        for step in LIFECYCLE
        if step.operation.startswith(("timer: dispatch", "timer: reminder", "timer: escalation"))
    )
    resident_sms = queued.get("sms", 0.0)
    queued["sms"] = resident_sms + DEPARTMENT_SMS_SHARE * department_alerts
    sends = {"dynamodb_requests": 0.0, "wru": 0.0, "rru": 0.0}
    for channel, count in queued.items():
        send = _by_name(operations, f"notification: send one by {channel}")
        sends["dynamodb_requests"] += count * _dynamodb(send)
        sends["wru"] += count * send["wru"]
        sends["rru"] += count * send["rru"]
    return {
        "rows": rows,
        "totals": totals,
        "notifications": queued,
        "resident_sms": resident_sms,
        "sends": sends,
    }


def estimate(
    operations: list[dict[str, Any]],
    intake_timing: dict[str, Any] | None,
    report_first_load_kb: float | None,
    report_first_load_files: int | None,
    lambda_memory_mb: dict[str, int],
    alarm_metrics: int,
) -> dict[str, Any]:
    intake = _by_name(operations, "intake: POST /cases (no photos)")
    photos = _by_name(operations, "intake: POST /cases (2 photos)")
    refresh = _by_name(operations, "registry cache refresh")
    tick = _by_name(operations, "dispatch tick: fixed part")
    nightly = _by_name(operations, "nightly job")
    dashboard = _by_name(operations, "dashboard read")
    life = per_case(operations)
    case_totals, sends, queued = life["totals"], life["sends"], life["notifications"]
    a = ASSUMPTIONS
    python_ms = 5.0
    if intake_timing:
        python_ms = max(0.0, intake_timing["handler_ms"] - intake_timing["bare_ms"])
    latency = float(a["DynamoDB latency per request inside AWS (ms)"])
    other_ms = float(a["Python time per API request besides DynamoDB, other than intake (ms)"])
    first_load_kb = report_first_load_kb or 100.0
    first_load_files = report_first_load_files or 5
    share_photos = 0.6
    event_bytes = _average_event_bytes(operations)

    results = []
    for scale in SCALES:
        cases = scale.cases_per_year / 12
        events_per_day = cases * case_totals["events"] / DAYS_PER_MONTH
        with_photos = cases * share_photos
        photo_count = with_photos * a["photos per report with photos"]
        refreshes = scale.warm_api_functions * MINUTES_PER_MONTH
        ticks = MINUTES_PER_MONTH
        nightly_runs = DAYS_PER_MONTH
        dashboards = scale.dashboard_reads_per_day * DAYS_PER_MONTH
        # The nightly job reads the day's events (linear in them) on top of what it read
        # for the measured day; its writes are one item per scope, bounded by the registry.
        nightly_rru = nightly["rru"] + max(
            0.0, (events_per_day - nightly.get("day_events", 0)) * event_bytes / 4096 / 2
        )

        wru = (
            cases * (case_totals["wru"] + sends["wru"])
            + nightly_runs * nightly["wru"]
            + ticks * tick["wru"]
        )
        rru = (
            cases * (case_totals["rru"] + sends["rru"])
            + refreshes * refresh["rru"]
            + ticks * tick["rru"]
            + nightly_runs * nightly_rru
            + dashboards * dashboard["rru"]
        )
        sizes = intake.get("item_bytes", {})
        # DynamoDB counts 100 bytes of overhead per item; the day index holds every event
        # again, the work-list indexes hold an open case about twice.
        case_bytes = sizes.get("cases", 1000) + 100 + 200
        stored_events = case_totals["events"] * (event_bytes + 100) * 2
        stored_gb = scale.cases_per_year * (case_bytes + stored_events) / 1024**3

        api_requests = cases * (case_totals["api"] + 1) + dashboards  # + 1: registry per report
        api_requests += with_photos * a["photos per report with photos"]  # upload tickets
        api_ms = (
            cases * (python_ms + latency * _dynamodb(intake))
            + (api_requests - cases) * other_ms
            + cases * latency * case_totals["dynamodb_requests"]
            + dashboards * latency * _dynamodb(dashboard)
        )
        api_gb_s = lambda_memory_mb["api"] / 1024 * api_ms / 1000
        tick_ms = (
            ticks * (1 + latency * _dynamodb(tick)) + cases * latency * sends["dynamodb_requests"]
        )
        nightly_ms = (
            nightly_runs * latency * _dynamodb(nightly) + events_per_day * nightly_runs * 0.05
        )
        jobs_gb_s = (
            lambda_memory_mb["dispatch"] / 1024 * tick_ms
            + lambda_memory_mb["metrics"] / 1024 * nightly_ms
        ) / 1000
        invocations = api_requests + ticks + nightly_runs

        photo_gb = (
            scale.cases_per_year
            * share_photos
            * (a["photos per report with photos"] * a["photo size after the phone shrinks it (KB)"])
            / 1024**2
        )
        # Per photo, as measured for a report with two: the phone's POST (not an API call of
        # ours), then intake's HEAD and COPY into the case's folder.
        measured = photos["operations"]
        per_photo_copies = measured.get("s3:CopyObject", 0) / 2
        per_photo_heads = measured.get("s3:HeadObject", 0) / 2
        views = cases * _per_case(LIFECYCLE, "resident view")
        s3_puts = photo_count * (1 + per_photo_copies)
        s3_gets = photo_count * per_photo_heads + views * share_photos * 2

        cf_requests = (
            cases
            * (
                first_load_files
                + a["CloudFront requests per report session besides the first-load files"]
            )
            + views * a["CloudFront requests per resident view (document, config, API)"]
            + (api_requests - cases * 2 - views)  # staff and dashboard API requests
        )
        cf_gb = (cases * first_load_kb + views * 20 + photo_count * 300 * 1.5) / 1024**2
        log_gb = invocations * a["log bytes per invocation"] / 1024**3
        emails = cases * queued.get("email", 0.0)

        p = PRICES
        rows = [
            ("DynamoDB writes", wru, "WRU", p["dynamodb_wru_million"] / 1e6),
            ("DynamoDB reads", rru, "RRU", p["dynamodb_rru_million"] / 1e6),
            ("DynamoDB storage after a year", stored_gb, "GB-month", p["dynamodb_gb_month"]),
            ("DynamoDB point-in-time recovery", stored_gb, "GB-month", p["dynamodb_pitr_gb_month"]),
            ("Lambda requests", invocations, "requests", p["lambda_requests_million"] / 1e6),
            ("Lambda compute", api_gb_s + jobs_gb_s, "GB-s", p["lambda_gb_second"]),
            ("API Gateway (REST)", api_requests, "requests", p["apigateway_rest_million"] / 1e6),
            ("CloudFront transfer", cf_gb, "GB", p["cloudfront_gb"]),
            ("CloudFront requests", cf_requests, "requests", p["cloudfront_https_10k"] / 1e4),
            ("S3 photo storage after a year", photo_gb, "GB-month", p["s3_gb_month"]),
            ("S3 PUT/COPY", s3_puts, "requests", p["s3_put_thousand"] / 1e3),
            ("S3 GET/HEAD", s3_gets, "requests", p["s3_get_thousand"] / 1e3),
            ("SES email (alerts)", emails, "emails", p["ses_thousand"] / 1e3),
            (
                "CloudWatch alarms",
                alarm_metrics,
                "alarm metrics",
                p["cloudwatch_alarm_metric_month"],
            ),
            ("CloudWatch Logs ingestion", log_gb, "GB", p["cloudwatch_logs_gb"]),
            ("KMS key (secrets)", 1, "key", p["kms_key_month"]),
        ]
        table = [
            {"item": item, "quantity": quantity, "unit": unit, "usd": quantity * price}
            for item, quantity, unit, price in rows
        ]
        sms = cases * queued.get("sms", 0.0)
        resident_sms = cases * life["resident_sms"]
        total = sum(r["usd"] for r in table)
        results.append(
            {
                "scale": scale.name,
                "cases_per_month": cases,
                "events_per_day": events_per_day,
                "registry_refresh_share_of_reads": refreshes * refresh["rru"] / rru if rru else 0,
                "registry_refresh_rru": refresh["rru"],
                "rows": table,
                "total_usd": total,
                "usd_per_1000_cases": total / cases * 1000,
                "sms": {
                    "messages": sms,
                    "resident": resident_sms,
                    "department": sms - resident_sms,
                    "usd": sms * SMS_PRICE_USD,
                },
            }
        )
    return {
        "prices_as_of": PRICES_AS_OF,
        "sms_price_note": SMS_PRICE_NOTE,
        "assumptions": ASSUMPTIONS,
        "python_ms_per_intake": python_ms,
        "lifecycle": life,
        "scales": results,
    }


def _per_case(steps: tuple[Step, ...], prefix: str) -> float:
    return sum(s.per_case for s in steps if s.operation.startswith(prefix))


def _average_event_bytes(operations: list[dict[str, Any]]) -> float:
    written = [o for o in operations if o.get("events")]
    count = sum(o["events"] for o in written)
    return sum(o["event_bytes"] for o in written) / count if count else 600.0


def money(usd: float) -> str:
    if usd == 0:
        return "$0"
    if usd < 0.01:
        return "< $0.01"
    if usd < 100:
        return f"${usd:,.2f}"
    return f"${math.floor(usd + 0.5):,}"
