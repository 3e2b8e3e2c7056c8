"""Followers and the reporter's own actions: DynamoDB requests, capacity and SMS of each new
operation, measured through the app (moto in this process, every AWS call recorded), and what
they cost at the prices of tests/bench/cost.py.

    .venv/bin/python -m tests.bench.followers

A transition's resident message fans out to the case's followers in its one transaction, so a
whistle is measured with 0, 1, 10 and 30 followers (30 is the most a case tells: see
domain/followers.py): its requests stay the same, its SMS and write units grow per follower.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from tests.bench.aws import provisioned, summary
from tests.bench.cost import PRICES, SMS_PRICE_USD
from tests.bench.operations import COMMUNITY, REPORT, new_key

FOLLOWER_COUNTS = (0, 1, 10, 30)


def _number() -> str:
    return f"137{secrets.randbelow(10**8):08d}"


def measure() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with provisioned() as aws:
        from functions.core.adapters.tables import NotificationItem

        client = aws.api()
        http = client.http

        def post(path: str, body: Any, **headers: str) -> Any:
            return http.post(
                path,
                headers={"Content-Type": "application/json", **headers},
                body=json.dumps(body).encode(),
            )

        def report() -> dict[str, Any]:
            answer = post(
                "/cases", {**REPORT, "phone": _number()}, **{"Idempotency-Key": new_key()}
            )
            assert answer.status_code == 201, answer.body
            return dict(json.loads(answer.body))

        def sms_count() -> int:
            return sum(1 for i in NotificationItem.scan() if i.channel == "sms")

        def record(name: str, run: Any) -> Any:
            before = sms_count()
            with aws.recorder.recording() as calls:
                value = run()
            row = summary(calls)
            row["sms"] = sms_count() - before
            results[name] = row
            return value

        asked = [0]

        def session(number: str, name: str | None = None) -> str:
            # Codes are limited per sender address: a new window every 15 sign-ins.
            asked[0] += 1
            if asked[0] % 15 == 0:
                aws.advance(timedelta(seconds=aws.wiring.settings.limits.sign_in_window_seconds))
            codes_before = {
                i.id for i in NotificationItem.scan() if i.template == "resident_sign_in"
            }

            def ask() -> None:
                assert post("/resident/code", {"phone": number}).status_code == 202

            if name:
                record(f"{name}: POST /resident/code", ask)
            else:
                ask()
            [sent] = [
                i
                for i in NotificationItem.scan()
                if i.template == "resident_sign_in" and i.id not in codes_before
            ]

            def exchange() -> str:
                answer = post("/resident/session", {"phone": number, "code": sent.params["code"]})
                assert answer.status_code == 200, answer.body
                return str(json.loads(answer.body)["token"])

            return record(f"{name}: POST /resident/session", exchange) if name else exchange()

        def staff(code: str, action: str, **body: Any) -> None:
            seen = http.get(f"/staff/cases/{code}", headers=aws.bearer(*COMMUNITY))
            version = json.loads(seen.body)["version"]
            answer = post(
                f"/staff/cases/{code}/actions/{action}",
                {"version": version, **body},
                **aws.bearer(*COMMUNITY),
            )
            assert answer.status_code == 200, answer.body

        case = report()
        token = session(_number(), "sign-in")
        bearer = {"Authorization": f"Bearer {token}"}
        record(
            "me too: POST /cases/{code}/followers",
            lambda: post(f"/cases/{case['code']}/followers", {"note": "我家门口也是"}, **bearer),
        )
        record(
            "me too again (idempotent)",
            lambda: post(f"/cases/{case['code']}/followers", {}, **bearer),
        )
        record("my cases (1 followed)", lambda: http.get("/resident/cases", headers=bearer))
        record(
            "a follower opens the case (session)",
            lambda: http.get(f"/cases/{case['code']}", headers=bearer),
        )

        for count in FOLLOWER_COUNTS:
            target = report()
            for _ in range(count):
                joined = post(
                    f"/cases/{target['code']}/followers",
                    {},
                    Authorization=f"Bearer {session(_number())}",
                )
                assert joined.status_code == 201, joined.body
            record(
                f"whistle, {count} followers (staff action)",
                lambda code=target["code"]: staff(code, "whistle"),
            )

        merged = report()
        survivor = report()
        post(f"/cases/{merged['code']}/followers", {}, Authorization=f"Bearer {session(_number())}")
        record(
            "merge (reporter + 1 follower moved)",
            lambda: staff(merged["code"], "merge", into=survivor["code"]),
        )
        own = {"X-Case-Token": survivor["token"]}
        record(
            "add information (words)",
            lambda: post(
                f"/cases/{survivor['code']}/information", {"note": "晚上七点后最黑"}, **own
            ),
        )
        withdrawn = report()
        record(
            "withdraw",
            lambda: post(
                f"/cases/{withdrawn['code']}/withdrawal", {}, **{"X-Case-Token": withdrawn["token"]}
            ),
        )
    return results


def cost(row: dict[str, Any]) -> float:
    """USD of one operation: its write and read units and its SMS."""
    return (
        row["wru"] * PRICES["dynamodb_wru_million"] / 1e6
        + row["rru"] * PRICES["dynamodb_rru_million"] / 1e6
        + row["sms"] * SMS_PRICE_USD
    )


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| operation | DynamoDB requests | WRU | RRU | SMS | cost (USD) |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        ops = ", ".join(
            f"{n} {o.split(':', 1)[1]}"
            for o, n in row["operations"].items()
            if o.startswith("dynamodb")
        )
        lines.append(
            f"| {name} | {row['dynamodb_requests']} ({ops}) | {row['wru']:.0f} | "
            f"{row['rru']:.1f} | {row['sms']} | {cost(row):.6f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
