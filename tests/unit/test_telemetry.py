"""Log lines are JSON with the request's or job's id and never a phone number; job reports
become CloudWatch embedded-metric lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from functions.core import telemetry


@pytest.fixture
def logged():
    stream = io.StringIO()
    logger = logging.getLogger("whistle.test-telemetry")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    telemetry.clear()
    yield logger, stream
    logger.removeHandler(handler)
    telemetry.clear()


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_json_with_the_bound_id(logged):
    logger, stream = logged
    telemetry.bind(request_id="r-1")
    logger.info("case %s filed", "YS-1")
    (line,) = lines(stream)
    assert line["message"] == "case YS-1 filed" and line["request_id"] == "r-1"
    assert line["level"] == "INFO" and line["time"].endswith("Z")


@pytest.mark.parametrize(
    "text",
    ["13912345678", "+8613912345678", "86 13912345678", "to +447700900123 failed"],
)
def test_no_phone_number_survives_a_log_line(logged, text):
    logger, stream = logged
    logger.warning("SMS %s", text)
    (line,) = lines(stream)
    assert "[phone]" in line["message"]
    assert not any(part in line["message"] for part in ("12345678", "7700900123"))


def test_codes_and_counts_are_not_mistaken_for_phone_numbers():
    assert telemetry.redact("case YS-20261126-0001 took 13 s") == "case YS-20261126-0001 took 13 s"


def test_an_exception_logs_its_type_and_a_redacted_traceback(logged):
    logger, stream = logged
    try:
        raise ValueError("bad number 13912345678")
    except ValueError:
        logger.exception("send failed")
    (line,) = lines(stream)
    assert line["exception"] == "ValueError" and "13912345678" not in line["traceback"]


def test_a_report_becomes_one_emf_line_with_the_stage_dimension():
    out = io.StringIO()
    report = {"sent": 3, "retried": 1, "dead": 2, "errors": 0, "due": 9}
    telemetry.job_metrics(report, telemetry.DISPATCH_METRICS, "prod", 1_700_000_000_000, out)
    document = json.loads(out.getvalue())
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Whistle" and directive["Dimensions"] == [["Stage"]]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "NotificationsSent",
        "NotificationsRetried",
        "DeadNotifications",
        "DispatchErrors",
    }
    assert document["DeadNotifications"] == 2 and document["Stage"] == "prod"
    assert document["_aws"]["Timestamp"] == 1_700_000_000_000
