"""The dev outbox page: China time, newest first, paged; its job buttons come back to it."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from werkzeug.test import Client

from functions.local.web import OUTBOX_PAGE_SIZE, LocalSite


def site(messages: list[dict[str, Any]], ran: list[str]) -> Client:
    def run_job(name: str) -> dict[str, Any]:
        ran.append(name)
        return {"fired": 2, "sent": 3}

    return Client(
        LocalSite(
            api=lambda request, path: None,
            static=lambda request: None,
            runtime_config={},
            outbox=lambda: messages,
            run_job=run_job,
            content_security_policy="default-src 'self'",
        )
    )


def message(n: int) -> dict[str, Any]:
    return {
        "at": f"2026-12-01T{n // 60:02d}:{n % 60:02d}:00+00:00",
        "channel": "短信 SMS",
        "to": "138****5678",
        "subject": f"消息 {n:03d}",
        "body": "",
        "status": "sent",
        "case": f"YS-2612-01-{n:04d}",
    }


def test_the_outbox_shows_china_time_and_pages_long_lists():
    messages = [message(n) for n in reversed(range(120))]  # newest first, as the stack gives
    client = site(messages, [])
    first = client.get("/dev/outbox").get_data(as_text=True)
    assert first.count("<tr data-case=") == OUTBOX_PAGE_SIZE
    assert "2026-12-01 09:59:00" in first  # 01:59 UTC is 09:59 in China
    assert "01:59:00+00:00" not in first
    assert "第 1/3 页" in first and "/dev/outbox?page=2" in first
    last = client.get("/dev/outbox?page=3").get_data(as_text=True)
    assert last.count("<tr data-case=") == 120 - 2 * OUTBOX_PAGE_SIZE
    assert "消息 000" in last and "消息 119" not in last
    # A page past the end, or one that is no number, shows a real page.
    assert "第 3/3 页" in client.get("/dev/outbox?page=99").get_data(as_text=True)
    assert "第 1/3 页" in client.get("/dev/outbox?page=２").get_data(as_text=True)


def test_the_outbox_buttons_run_a_job_and_come_back_saying_what_it_did():
    ran: list[str] = []
    client = site([message(1)], ran)
    back = client.post("/dev/jobs/dispatch", data={"back": "outbox"})
    assert back.status_code == 303 and ran == ["dispatch"]
    target = urllib.parse.urlsplit(back.headers["Location"])
    assert target.path == "/dev/outbox"
    page = client.get(f"/dev/outbox?{target.query}").get_data(as_text=True)
    assert "已运行 派单任务" in page and "&quot;sent&quot;: 3" in page
    # Scripts and tests still get the job's report as JSON.
    plain = client.post("/dev/jobs/dispatch")
    assert plain.status_code == 200 and json.loads(plain.get_data()) == {"fired": 2, "sent": 3}
