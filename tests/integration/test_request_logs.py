"""Every API response names its request, and every log line of that request carries the same
id, as JSON."""

from __future__ import annotations

import json
import logging

from functions.core import telemetry


def test_a_request_id_reaches_the_response_and_every_line_logged_for_it(api, caplog):
    caplog.set_level(logging.INFO)
    response = api.get("/health")
    request_id = response.headers["X-Request-Id"]
    logging.getLogger("whistle.test").info("inside the request")  # what a route would log
    line = json.loads(caplog.text.splitlines()[-1])
    assert line["request_id"] == request_id and line["message"] == "inside the request"
    other = api.get("/health").headers["X-Request-Id"]
    assert other != request_id
    telemetry.clear()


def test_an_error_answer_names_its_request_too(api):
    missing = api.get("/cases/YS-00000000-0000", headers={"X-Case-Token": "x"})
    assert missing.status_code >= 400 and missing.headers["X-Request-Id"]
