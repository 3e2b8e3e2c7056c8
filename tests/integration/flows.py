"""Steps of the case workflow through the API, shared by the integration tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import bearer

PHONE = "13812345678"
DISTRICT = ("district.admin", "district")
COMMUNITY = ("community.c01", "community:c01")
OTHER_COMMUNITY = ("community.c02", "community:c02")
LUDENG = ("department.ludeng", "department:ludeng")
ZHUJIAN = ("department.zhujian", "department:zhujian")


def report(
    api: Any, compound: str = "x001", category: str = "street_light", **changes: Any
) -> dict[str, Any]:
    body = {
        "category": category,
        "compound": compound,
        "address": "3栋2单元门口",
        "description": "路灯坏了一个星期，晚上很黑",
        # A different number each time (same masked form), so rate limits stay out of the way.
        "phone": f"138{uuid.uuid4().int % 10000:04d}5678",
        "consent": True,
        **changes,
    }
    response = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def staff_get(api: Any, who: tuple[str, str], path: str) -> Any:
    return api.get(path, headers=bearer(*who))


def view(api: Any, who: tuple[str, str], code: str) -> dict[str, Any]:
    response = staff_get(api, who, f"/staff/cases/{code}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def act(
    api: Any,
    who: tuple[str, str],
    code: str,
    action: str,
    key: str | None = None,
    version: int | None = None,
    **body: Any,
) -> Any:
    if version is None:
        version = view(api, who, code)["version"]
    headers = {"Content-Type": "application/json", **bearer(*who)}
    if key:
        headers["Idempotency-Key"] = key
    return api.post(
        f"/staff/cases/{code}/actions/{action}",
        headers=headers,
        body=json.dumps({"version": version, **body}).encode(),
    )


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def resident_view(api: Any, receipt: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/cases/{receipt['code']}", headers={"X-Case-Token": receipt["token"]})
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


@dataclass
class Robots:
    """Work-chat robots that answer like WeCom/DingTalk/Feishu, or fail on demand."""

    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failing: bool = False

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.failing:
            return 500, b"{}"
        self.received.append((url, json.loads(body)))
        return 200, b'{"errcode":0,"code":0}'


def tick(wiring: Any) -> dict[str, Any]:
    from functions.core.services import dispatch

    return dispatch.tick(wiring.dispatch).as_dict()
