"""The local stack as a newcomer runs it: one origin, compressed static files, and data that
survives a clean stop, a hard kill right after a report, and a half-written log line."""

from __future__ import annotations

import io
import json
import signal
import uuid

import pytest
import requests

from tests.e2e.conftest import free_port_pair, start_stack
from tests.images import photo as camera_photo

pytestmark = pytest.mark.slow


def report_with_photo(url: str, photo: bytes) -> dict:
    key = f"stack-test-{uuid.uuid4().hex}"
    ticket = requests.post(
        f"{url}/api/uploads",
        json={"content_type": "image/jpeg", "size": len(photo)},
        headers={"Idempotency-Key": key},
        timeout=10,
    ).json()
    stored = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("photo.jpg", io.BytesIO(photo), "image/jpeg")},
        timeout=10,
    )
    assert stored.status_code in (200, 204), stored.text
    response = requests.post(
        f"{url}/api/cases",
        json={
            "category": "street_light",
            "compound": "x010",
            "address": "5栋东侧",
            "description": "路灯不亮已经三天了",
            "phone": "13900001111",
            "consent": True,
            "photos": [ticket["key"]],
        },
        headers={"Idempotency-Key": key},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def read_case(url: str, receipt: dict) -> requests.Response:
    return requests.get(
        f"{url}/api/cases/{receipt['code']}", headers={"X-Case-Token": receipt["token"]}, timeout=10
    )


def test_one_origin_serves_spa_api_config_and_outbox_compressed(stack):
    page = requests.get(f"{stack.url}/", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    assert '<div id="app">' in page.text
    script = page.text.split('src="', 1)[1].split('"', 1)[0]
    asset = requests.get(f"{stack.url}{script}", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert asset.headers["Content-Encoding"] == "gzip"
    assert "immutable" in asset.headers["Cache-Control"]
    assert requests.get(f"{stack.url}/api/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{stack.url}/config.json", timeout=10).json()["api"] == "/api"
    outbox = requests.get(f"{stack.url}/dev/outbox", timeout=10)
    assert outbox.status_code == 200 and "开发发件箱" in outbox.text
    missing = requests.get(f"{stack.url}/api/no-such-route", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_scheduled_jobs_can_be_run_on_demand(stack):
    dispatch = requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=30)
    assert dispatch.status_code == 200 and dispatch.json()["job"] == "dispatch"
    nightly = requests.post(f"{stack.url}/dev/jobs/metrics", timeout=30)
    assert nightly.status_code == 200 and nightly.json()["job"] == "metrics"


def test_a_report_survives_a_hard_kill_right_after_it_was_accepted(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port_pair()
    photo = camera_photo(gps=False)  # nothing to strip: kept byte for byte
    first = start_stack(data_dir, port)
    try:
        receipt = report_with_photo(first.url, photo)
    finally:
        first.stop(signal.SIGKILL)  # no clean stop, no snapshot: only the log remains

    second = start_stack(data_dir, port)
    try:
        response = read_case(second.url, receipt)
        assert response.status_code == 200, response.text
        view = response.json()
        assert view["description"] == "路灯不亮已经三天了"
        assert view["phone"] == "139****1111"
        [url] = view["photos"]
        assert requests.get(url, timeout=10).content == photo
    finally:
        second.stop()


def test_a_half_written_last_line_is_cut_and_everything_before_it_is_kept(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port_pair()
    first = start_stack(data_dir, port)
    try:
        receipt = report_with_photo(first.url, camera_photo(gps=False))
    finally:
        first.stop(signal.SIGKILL)
    log = data_dir / "moto-recording.jsonl"
    with log.open("a") as handle:
        handle.write('{"headers": {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Ta')

    second = start_stack(data_dir, port)
    try:
        assert read_case(second.url, receipt).status_code == 200
        assert log.read_text().endswith("\n")
    finally:
        second.stop()


def test_a_clean_stop_compacts_the_log_and_keeps_the_data(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port_pair()
    first = start_stack(data_dir, port)
    try:
        receipt = report_with_photo(first.url, camera_photo(gps=False))
        for _ in range(5):
            assert read_case(first.url, receipt).status_code == 200
    finally:
        first.stop(signal.SIGINT)
    log = data_dir / "moto-recording.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert "/moto-api/seed" in entries[0]["url"]
    targets = [e["headers"].get("X-Amz-Target", "") for e in entries]
    assert not any(t.endswith((".GetItem", ".Query", ".Scan")) for t in targets)

    second = start_stack(data_dir, port)
    try:
        view = read_case(second.url, receipt).json()
        assert view["code"] == receipt["code"]
        assert requests.get(view["photos"][0], timeout=10).content == camera_photo(gps=False)
    finally:
        second.stop()
