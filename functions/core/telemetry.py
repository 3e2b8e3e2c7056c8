"""What the functions tell the operator: one JSON object per log line, carrying the id of the
request or job it belongs to and never a phone number, and the jobs' figures as CloudWatch
metrics in embedded metric format (EMF).

EMF is a log line CloudWatch Logs turns into metrics by itself: no PutMetricData call, no
permission beyond writing the function's own log group, nothing to fail in the middle of a job.
The alarms of infra/stack.yaml watch exactly the names `job_metrics` emits (a test holds
them together).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any, TextIO

NAMESPACE = "Whistle"

# Mainland mobile numbers, with or without +86, and any other E.164 number: a log line may
# quote a provider's error or an address, and neither may carry a phone number out.
_PHONE = re.compile(r"(?<![\w+])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|\+\d{8,15}(?!\d)")
REDACTED = "[phone]"

_context: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "whistle_log_context", default=()
)


def redact(text: str) -> str:
    return _PHONE.sub(REDACTED, text)


def bind(**fields: str) -> None:
    """Every line logged from here on (in this request or job) carries these fields."""
    _context.set(tuple({**dict(_context.get()), **fields}.items()))


def clear() -> None:
    _context.set(())


def new_id() -> str:
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the bound ids, and the
    exception's type (never its traceback's locals, which may hold personal data)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **dict(_context.get()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(stream: TextIO | None = None) -> None:
    """JSON on every handler of the root logger (in Lambda, the runtime's own), or on a new
    one writing to `stream`; Whistle's loggers at INFO."""
    root = logging.getLogger()
    if stream is not None or not root.handlers:
        root.addHandler(logging.StreamHandler(stream or sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    logging.getLogger("whistle").setLevel(logging.INFO)


def start_job(job: str, event: Any) -> str:
    """A scheduled job begins: JSON logs, and its id (Lambda's request id, or a new one) on
    every line until the next job."""
    configure_logging()
    context = getattr(event, "context", None)
    job_id = str(getattr(context, "aws_request_id", "") or new_id())
    clear()
    bind(job=job, job_id=job_id)
    return job_id


# -- metrics ----------------------------------------------------------------------------------

# A job report's field → the metric it becomes. Adding an alarm on a metric not listed here
# fails tests/integration/test_alarm_metrics.py.
DISPATCH_METRICS = {
    "sent": "NotificationsSent",
    "retried": "NotificationsRetried",
    "dead": "DeadNotifications",
    "errors": "DispatchErrors",
}
NIGHTLY_METRICS = {"finished": "NightlyJobFinished", "lag_seconds": "NightlyJobLagSeconds"}
_UNITS = {"NightlyJobLagSeconds": "Seconds"}


def emf(
    metrics: Mapping[str, float],
    dimensions: Mapping[str, str],
    timestamp_ms: int,
    properties: Mapping[str, Any] | None = None,
) -> str:
    """One log line in CloudWatch embedded metric format."""
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [sorted(dimensions)],
                    "Metrics": [
                        {"Name": name, "Unit": _UNITS.get(name, "Count")} for name in metrics
                    ],
                }
            ],
        },
        **(properties or {}),
        **dimensions,
        **metrics,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def job_metrics(
    report: Mapping[str, Any],
    names: Mapping[str, str],
    stage: str,
    timestamp_ms: int,
    out: TextIO | None = None,
) -> None:
    """Write a job's report as metrics (dimension Stage) to stdout, where Lambda hands every
    line to CloudWatch Logs."""
    metrics = {metric: float(report[field]) for field, metric in names.items()}
    print(
        emf(metrics, {"Stage": stage}, timestamp_ms, dict(_context.get())), file=out or sys.stdout
    )
