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


SCALES = (
    Scale("district", 10_000, 1),
    Scale("hotline (24 million a year)", 24_000_000, 8),
)

ASSUMPTIONS = {
    "resident views per case (GET /cases/{code})": 5,
    "share of reports with photos": 0.6,
    "photos per report with photos": 2,
    "photo size after the phone shrinks it (KB)": 300,
    "SMS per case (DESIGN §8: at most two by default)": 2,
    "emails per case (department alert), not built yet": 1,
    "Python time per API request besides DynamoDB, other than intake (ms)": 5,
    "DynamoDB latency per request inside AWS (ms)": 10,
    "log bytes per invocation": 300,
    "warm API functions (each refreshes the registry once a minute)": "district 1, hotline 8",
    "CloudFront requests per report session besides the first-load files": 4,
    "CloudFront requests per resident view (document, config, API)": 3,
}


def _by_name(operations: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    for operation in operations:
        if operation["name"].startswith(prefix) and operation.get("built"):
            return operation
    raise KeyError(prefix)


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
    view = _by_name(operations, "resident view")
    refresh = _by_name(operations, "registry cache refresh")
    tick = _by_name(operations, "dispatch tick")
    nightly = _by_name(operations, "nightly job")
    a = ASSUMPTIONS
    python_ms = 5.0
    if intake_timing:
        python_ms = max(0.0, intake_timing["handler_ms"] - intake_timing["bare_ms"])
    latency = float(a["DynamoDB latency per request inside AWS (ms)"])
    other_ms = float(a["Python time per API request besides DynamoDB, other than intake (ms)"])
    first_load_kb = report_first_load_kb or 100.0
    first_load_files = report_first_load_files or 5

    results = []
    for scale in SCALES:
        cases = scale.cases_per_year / 12
        views = cases * a["resident views per case (GET /cases/{code})"]
        with_photos = cases * a["share of reports with photos"]
        photo_count = with_photos * a["photos per report with photos"]
        refreshes = scale.warm_api_functions * MINUTES_PER_MONTH
        ticks = MINUTES_PER_MONTH
        nightly_runs = DAYS_PER_MONTH

        wru = (
            cases * intake["wru"]
            + views * view["wru"]
            + ticks * tick["wru"]
            + nightly_runs * nightly["wru"]
        )
        rru = (
            cases * intake["rru"]
            + views * view["rru"]
            + refreshes * refresh["rru"]
            + ticks * tick["rru"]
            + nightly_runs * nightly["rru"]
        )
        sizes = intake.get("item_bytes", {})
        # DynamoDB counts 100 bytes of overhead per item; the day index projects every event.
        case_bytes = sizes.get("cases", 1000) + 100 + 100
        event_bytes = (sizes.get("case-events", 400) + 100) * 2
        stored_gb = scale.cases_per_year * (case_bytes + event_bytes) / 1024**3

        api_requests = cases * 2 + views + with_photos * 2  # registry, report, uploads; views
        intake_ms = python_ms + latency * intake["dynamodb_requests"]
        view_ms = other_ms + latency * view["dynamodb_requests"]
        api_gb_s = (
            lambda_memory_mb["api"]
            / 1024
            * (cases * intake_ms + views * view_ms + (api_requests - cases - views) * other_ms)
            / 1000
        )
        tick_ms = 1 + latency * tick["dynamodb_requests"]
        nightly_ms = 1 + latency * nightly["dynamodb_requests"]
        jobs_gb_s = (
            lambda_memory_mb["dispatch"] / 1024 * ticks * tick_ms
            + lambda_memory_mb["metrics"] / 1024 * nightly_runs * nightly_ms
        ) / 1000
        invocations = api_requests + ticks + nightly_runs

        photo_gb = (
            scale.cases_per_year
            * a["share of reports with photos"]
            * (a["photos per report with photos"] * a["photo size after the phone shrinks it (KB)"])
            / 1024**2
        )
        # Per photo, as measured for a report with two: the phone's POST (not an API call of
        # ours), then intake's HEAD and COPY into the case's folder.
        measured = photos["operations"]
        per_photo_copies = measured.get("s3:CopyObject", 0) / 2
        per_photo_heads = measured.get("s3:HeadObject", 0) / 2
        s3_puts = photo_count * (1 + per_photo_copies)
        s3_gets = photo_count * per_photo_heads + views * a["share of reports with photos"] * 2

        cf_requests = (
            cases
            * (
                first_load_files
                + a["CloudFront requests per report session besides the first-load files"]
            )
            + views * a["CloudFront requests per resident view (document, config, API)"]
        )
        cf_gb = (cases * first_load_kb + views * 20 + photo_count * 300 * 1.5) / 1024**2
        log_gb = invocations * a["log bytes per invocation"] / 1024**3

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
        sms = cases * a["SMS per case (DESIGN §8: at most two by default)"]
        # What the workflow will add, if each of ~6 transitions per case costs what intake's
        # one transaction costs: an extrapolation from the measured intake, not a measurement.
        transitions_wru = cases * 6 * intake["wru"]
        results.append(
            {
                "scale": scale.name,
                "cases_per_month": cases,
                "registry_refresh_share_of_reads": refreshes * refresh["rru"] / rru if rru else 0,
                "registry_refresh_rru": refresh["rru"],
                "rows": table,
                "total_usd": sum(r["usd"] for r in table),
                "sms": {"messages": sms, "usd": sms * SMS_PRICE_USD},
                "transitions_extrapolation_usd": transitions_wru
                * PRICES["dynamodb_wru_million"]
                / 1e6,
                # Department alerts by email (not built yet), at the assumed rate.
                "email_usd": cases
                * a["emails per case (department alert), not built yet"]
                * PRICES["ses_thousand"]
                / 1e3,
            }
        )
    return {
        "prices_as_of": PRICES_AS_OF,
        "sms_price_note": SMS_PRICE_NOTE,
        "assumptions": ASSUMPTIONS,
        "python_ms_per_intake": python_ms,
        "scales": results,
    }


def money(usd: float) -> str:
    if usd == 0:
        return "$0"
    if usd < 0.01:
        return "< $0.01"
    if usd < 100:
        return f"${usd:,.2f}"
    return f"${math.floor(usd + 0.5):,}"
