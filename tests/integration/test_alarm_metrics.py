"""Every alarm can fire: the metrics of the namespace Whistle that infra/stack.yaml alarms on
are the ones the jobs really write (run here as Lambda runs them), with the same dimensions;
and the jobs' logs are JSON lines carrying the job's id."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.core import telemetry
from infra.cfn import load_yaml
from infra.merge import STACK


def emitted_by(lines: str) -> dict[str, set[tuple[str, ...]]]:
    """Metric name → the dimension sets it is emitted with, from EMF log lines."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for line in lines.splitlines():
        document = json.loads(line) if line.startswith('{"_aws"') else None
        for directive in (document or {}).get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                assert metric["Name"] in document, line
                for dimensions in directive["Dimensions"]:
                    key = (directive["Namespace"], metric["Name"])
                    found.setdefault("/".join(key), set()).add(tuple(sorted(dimensions)))
    return found


def watched(template: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Alarm → the Whistle metric and dimensions it watches."""
    return {
        name: (
            f"Whistle/{props['MetricName']}",
            *sorted(d["Name"] for d in props.get("Dimensions", [])),
        )
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        for props in [resource["Properties"]]
        if props.get("Namespace") == "Whistle"
    }


def unwatchable(template: dict[str, Any], emitted: dict[str, set[tuple[str, ...]]]) -> list[str]:
    return sorted(
        alarm
        for alarm, (metric, *dimensions) in watched(template).items()
        if tuple(dimensions) not in emitted.get(metric, set())
    )


def run_jobs(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    from chalice.test import Client

    from app import app
    from tests.fakes import ROOT

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        for job in ("dispatch_tick", "nightly_metrics"):
            client.lambda_.invoke(job, event)
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_every_whistle_alarm_watches_a_metric_the_jobs_emit(wiring, capsys):
    emitted = emitted_by(run_jobs(capsys)[0])
    template = load_yaml(STACK)
    assert {"DeadNotificationsAlarm", "DispatchErrorsAlarm", "NightlyMissedAlarm"} <= set(
        watched(template)
    )
    assert unwatchable(template, emitted) == []


def test_an_alarm_on_a_metric_nobody_emits_is_caught(wiring, capsys):
    emitted = emitted_by(run_jobs(capsys)[0])
    template = load_yaml(STACK)
    template["Resources"]["DeadNotificationsAlarm"]["Properties"]["MetricName"] = "DeadLetters"
    template["Resources"]["DispatchErrorsAlarm"]["Properties"]["Dimensions"].append(
        {"Name": "Function", "Value": "x"}
    )
    assert unwatchable(template, emitted) == ["DeadNotificationsAlarm", "DispatchErrorsAlarm"]


def test_the_jobs_log_json_lines_with_their_job_id_and_their_figures(wiring, capsys, caplog):
    caplog.set_level(logging.INFO)
    try:
        out, _ = run_jobs(capsys)
    finally:
        telemetry.clear()
    dispatch, nightly = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert dispatch["Stage"] == "local" and dispatch["job"] == "dispatch"
    assert {"NotificationsSent", "DeadNotifications", "DispatchErrors"} <= set(dispatch)
    # 10:00 China time: ten hours after the day it counted ended.
    assert nightly["NightlyJobFinished"] == 1 and nightly["NightlyJobLagSeconds"] == 36000
    assert dispatch["job_id"] != nightly["job_id"]
    # The runtime's handlers (here pytest's, in Lambda the runtime's) now write JSON.
    lines = [json.loads(line) for line in caplog.text.splitlines()]
    reports = [line for line in lines if line["logger"].startswith("whistle.")]
    assert [r["job"] for r in reports] == ["dispatch", "nightly"]
    assert [r["job_id"] for r in reports] == [dispatch["job_id"], nightly["job_id"]]
