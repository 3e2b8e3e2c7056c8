"""Staff work lists at 10,000 and 100,000 historical cases (DESIGN §11: every list page a fixed
number of requests): the DynamoDB requests of one page of each list — plain, searched,
filtered, sorted and the next page — through the API, as a clerk's browser asks for them.

History is the closed cases of `history.load_history` (spread over every community, each
handled by the department its kind is routed to); the current work is a few dozen open cases
of the first community, the same at every size. A search whose words only the current work
holds is the worst case for a history list: it reads its whole budget and says how far back
it got.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from .aws import Aws, provisioned
from .history import load_history, measure
from .operations import DISTRICT

COMMUNITY = ("community.c01", "community:c01")
DEPARTMENT = ("department.ludeng", "department:ludeng")
OPEN_CASES = 30

PAGES: list[tuple[str, tuple[str, str], dict[str, str]]] = [
    ("inbox", COMMUNITY, {"view": "inbox"}),
    ("community: all, newest", COMMUNITY, {"view": "community"}),
    ("community: next page", COMMUNITY, {"view": "community", "next": "1"}),
    ("community: words of an address", COMMUNITY, {"view": "community", "q": "幸福路"}),
    ("community: kind + stage", COMMUNITY, {"view": "community", "kind": "street_light"}),
    ("community: due soonest", COMMUNITY, {"view": "community", "sort": "due"}),
    ("department: history, oldest", DEPARTMENT, {"view": "department", "sort": "oldest"}),
    ("department: work", DEPARTMENT, {"view": "work"}),
    ("district: all, newest", DISTRICT, {"view": "district"}),
    (
        "district: community + kind",
        DISTRICT,
        {"view": "district", "community": "c02", "kind": "street_light"},
    ),
    ("district: overdue", DISTRICT, {"view": "district", "overdue": "true"}),
    ("district: most residents waiting", DISTRICT, {"view": "district", "sort": "waiting"}),
    ("district: a case code", DISTRICT, {"view": "district", "q": "{code}"}),
]


def seed_open_work(aws: Aws, client: Any) -> None:
    """Open cases of the first community, reported through the API a minute apart."""
    import uuid

    for number in range(OPEN_CASES):
        aws.advance(timedelta(minutes=1))
        body = {
            "category": "street_light" if number % 2 else "damaged_road",
            "compound": "x001",
            "address": f"幸福路{number}号" if number % 3 == 0 else f"和平街{number}号",
            "description": "路灯坏了一个星期（基准测试）",
            "phone": f"139{number:04d}5678",
            "consent": True,
        }
        response = client.http.post(
            "/cases",
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
            body=json.dumps(body).encode(),
        )
        assert response.status_code == 201, response.body


def measure_pages(aws: Aws, client: Any, runs: int) -> list[dict[str, Any]]:
    results = []
    for name, who, params in PAGES:
        query = dict(params)
        if query.get("q") == "{code}":  # the code of a case of the current work
            inbox = client.http.get("/staff/cases?view=inbox", headers=aws.bearer(*COMMUNITY))
            query["q"] = json.loads(inbox.body)["items"][0]["code"]
        if query.pop("next", None):
            first = client.http.get(f"/staff/cases?{urlencode(query)}", headers=aws.bearer(*who))
            query["cursor"] = json.loads(first.body)["cursor"]

        def read(query: dict[str, str] = query, who: tuple[str, str] = who) -> Any:
            response = client.http.get(f"/staff/cases?{urlencode(query)}", headers=aws.bearer(*who))
            assert response.status_code == 200, response.body
            body = json.loads(response.body)
            return {"rows": len(body["items"]), "total": body["total"]}

        results.append({"page": name, **measure(aws, read, runs)})
    return results


def lists_at_history_sizes(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with provisioned() as aws, aws.api() as client:
        now = aws.clock.now()
        seed_open_work(aws, client)
        loaded = 0
        for size in sorted(sizes):
            load_history(aws, loaded, size - loaded, now)
            loaded = size
            results.extend({"history": size, **r} for r in measure_pages(aws, client, runs))
    return results


def lists_section(results: list[dict[str, Any]]) -> list[str]:
    """BENCHMARKS.md's table: requests per page at each history size, side by side."""
    sizes = sorted({r["history"] for r in results})
    by_page: dict[str, dict[int, dict[str, Any]]] = {}
    for r in results:
        by_page.setdefault(r["page"], {})[r["history"]] = r
    head = " | ".join(f"{s:,} cases: requests (operations) | rows / total" for s in sizes)
    out = [f"| list page | {head} |", "|---|" + "---|---|" * len(sizes)]
    for page, runs in by_page.items():
        cells = []
        for size in sizes:
            r = runs[size]
            ops = ", ".join(f"{k.split(':')[1]} {v}" for k, v in r["operations"].items())
            answer = r["answer"]
            cells.append(f"{r['dynamodb_requests']} ({ops}) | {answer['rows']} / {answer['total']}")
        out.append(f"| {page} | {' | '.join(cells)} |")
    return out
