"""On a deployed stage the smoke test runs the jobs as their schedules do: by invoking the
stage's functions, named as the merge names them, and fails on a function error or an error
the job reports."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from infra import smoke


class FakeLambda:
    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers
        self.invoked: list[str] = []
        self.events: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.invoked.append(FunctionName)
        self.events.append(json.loads(Payload))
        answer = self.answers[FunctionName]
        return {**answer, "Payload": io.BytesIO(json.dumps(answer["payload"]).encode())}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLambda:
    client = FakeLambda(
        {
            "whistle-prod-dispatch-tick": {"payload": {"job": "dispatch", "errors": 0}},
            "whistle-prod-nightly-metrics": {"payload": {"finished": 1, "day": "2026-11-26"}},
        }
    )
    import boto3

    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: client)
    return client


def test_the_jobs_of_a_stage_are_its_lambda_functions(fake):
    run = smoke.lambda_jobs("prod", "cn-northwest-1")
    assert smoke.jobs(run)("https://x") == "sent 0, dead 0, errors 0"
    assert smoke.nightly(run)("https://x") == "counted 2026-11-26"
    assert fake.invoked == ["whistle-prod-dispatch-tick", "whistle-prod-nightly-metrics"]
    # A scheduled event as EventBridge sends it: Chalice's handler reads every field.
    from chalice.app import CloudWatchEvent

    for event in fake.events:
        assert CloudWatchEvent(event, None).detail_type == "Scheduled Event"


def test_a_job_that_reports_errors_or_fails_fails_the_smoke_test(fake):
    fake.answers["whistle-prod-dispatch-tick"]["payload"]["errors"] = 2
    fake.answers["whistle-prod-nightly-metrics"] = {
        "FunctionError": "Unhandled",
        "payload": {"errorType": "ResourceNotFoundException"},
    }
    run = smoke.lambda_jobs("prod", None)
    with pytest.raises(smoke.SmokeFailure, match="2 error"):
        smoke.jobs(run)("https://x")
    with pytest.raises(smoke.SmokeFailure, match="the function failed"):
        smoke.nightly(run)("https://x")


def test_a_remote_site_needs_the_stage_whose_functions_run_the_jobs():
    with pytest.raises(smoke.SmokeFailure, match="STAGE"):
        smoke.smoke("https://whistle.example.gov.cn")
