"""The reads a resident makes about what is already reported — the open cases of a compound
while reporting, a compound's public page — at 10,000 and 100,000 historical cases: each must
be a fixed number of DynamoDB requests (DESIGN §11), whatever the history.

    .venv/bin/python -c "from tests.bench.nearby import main; main()"     # 10k and 100k

The current work is the same at every size: eight open reports in the measured compound
(street lights, a lift, sewage), filed through the API just before history is loaded. History
is the closed cases of `history.load_history` — spread over two years and every compound, so
the measured compound's last six weeks also hold closed cases the read skips.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .aws import provisioned
from .history import load_history, measure

COMPOUND = "x001"
OPEN_REPORTS = [
    ("street_light", "3号楼门前的路灯坏了，晚上一片漆黑"),
    ("street_light", "东门口的路灯一直闪，忽明忽暗"),
    ("street_light", "西边那条小路一直没装路灯，晚上很黑"),
    ("elevator", "7号楼电梯坏了三天了，老人上下楼困难"),
    ("elevator", "12号楼电梯运行时有异响，还会抖动"),
    ("sewage", "4号楼一单元下水道堵了，污水从地漏冒出来"),
    ("garbage", "小区垃圾站垃圾堆满了好几天没人清运"),
    ("noise", "每天晚上广场舞音响太吵，十点了还在跳"),
]


def reads_at_history_sizes(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with provisioned() as aws, aws.api() as client:
        for category, words in OPEN_REPORTS:
            response = client.http.post(
                "/cases",
                headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
                body=json.dumps(
                    {
                        "category": category,
                        "compound": COMPOUND,
                        "address": "基准测试",
                        "description": words,
                        "phone": "13912345678",
                        "consent": True,
                    }
                ).encode(),
            )
            assert response.status_code == 201, response.body

        def open_cases() -> Any:
            path = f"/compounds/{COMPOUND}/open-cases?kind=street_light&text=3号楼路灯不亮"
            response = client.http.get(path)
            assert response.status_code == 200, response.body
            items = json.loads(response.body)["items"]
            return {"shown": len(items), "likely": sum(i["likely_duplicate"] for i in items)}

        def compound_page() -> Any:
            response = client.http.get(f"/public/compounds/{COMPOUND}")
            assert response.status_code == 200, response.body
            body = json.loads(response.body)
            return {"open": len(body["open"]), "fixed": len(body["fixed"])}

        loaded = 0
        now = aws.clock.now()
        for size in sorted(sizes):
            load_history(aws, loaded, size - loaded, now)
            loaded = size
            for name, read in (("open cases nearby", open_cases), ("compound page", compound_page)):
                results.append({"read": name, "history": size, **measure(aws, read, runs)})
    return results


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "| Read | Historical cases | DynamoDB requests | est. RRU | answer | median (moto) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        requests = ", ".join(f"{n} × {op}" for op, n in sorted(r["operations"].items()))
        answer = ", ".join(f"{k} {v}" for k, v in r["answer"].items())
        lines.append(
            f"| {r['read']} | {r['history']:,} | {requests} | {r['rru']:g} | {answer} "
            f"| {r['median_ms']:.0f} ms |"
        )
    return "\n".join(lines)


def main(sizes: tuple[int, ...] = (10_000, 100_000), runs: int = 11) -> None:
    print(render(reads_at_history_sizes(list(sizes), runs)))
