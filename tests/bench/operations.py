"""DynamoDB requests per operation, and intake's server time against a bare TransactWriteItems.

Simple operations (intake, the resident's view, the registry) are functions in `OPERATIONS`,
each performed a few times through the app while every AWS call is recorded. The case
workflow is played as scripts (`lifecycle_script`, `timers_script`): a case is reported,
whistled, dispatched by the tick, claimed, extended, resolved and rated — and other cases are
rejected, merged, handled locally, returned and chased — through the same HTTP routes the SPA
calls (staff with bearer tokens and an Idempotency-Key, as the SPA sends them), and only the
step itself is recorded: reading the case's version first, as the SPA has it on screen, is not.

The dispatch tick is split into its two halves so that its cost can be attributed: firing
timers (a fixed set of Queries on the due index, then per due case a lease and one
transaction) and sending (a fixed set of Queries on the pending index, then per notification
a lease, the provider's call and the outcome).
"""

from __future__ import annotations

import copy
import json
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.images import photo

from .aws import Aws, Call, item_size, provisioned, summary

REPORT = {
    "category": "street_light",
    "compound": "x001",
    "address": "3栋2单元门口",
    "description": "路灯坏了一个星期，晚上很黑，老人出门不方便",
    "phone": "13812345678",
    "consent": True,
    "location": {"lat": 31.6886, "lng": 118.5108},
}
JPEG = photo("image/jpeg", size=(1600, 1200))  # with the camera's EXIF, as phones send
PREFIX = "whistle-bench-"

DISTRICT = ("district.admin", "district")
COMMUNITY = ("community.c01", "community:c01")
LUDENG = ("department.ludeng", "department:ludeng")


@dataclass
class Context:
    aws: Aws
    client: Any  # chalice.test.Client
    state: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[Context], None] | None
    note: str = ""


def new_key() -> str:
    return f"bench-{secrets.token_hex(12)}"


def post_case(ctx: Context, body: dict[str, Any], key: str) -> dict[str, Any]:
    response = ctx.client.http.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def upload(ctx: Context, key: str) -> str:
    """A photo as the phone uploads it: a presigned POST ticket, then straight to S3."""
    response = ctx.client.http.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps({"content_type": "image/jpeg", "size": len(JPEG)}).encode(),
    )
    assert response.status_code == 201, response.body
    object_key = json.loads(response.body)["key"]
    ctx.aws.client("s3").put_object(
        Bucket=ctx.aws.settings.photo_bucket, Key=object_key, Body=JPEG, ContentType="image/jpeg"
    )
    return str(object_key)


# -- simple operations -------------------------------------------------------------------------


def intake(ctx: Context) -> None:
    receipt = post_case(ctx, REPORT, new_key())
    ctx.state["case"] = receipt


def intake_with_photos(ctx: Context) -> None:
    key = ctx.state.pop("photo_key")
    post_case(ctx, {**REPORT, "photos": ctx.state.pop("photos")}, key)


def prepare_photos(ctx: Context) -> None:
    key = new_key()
    ctx.state["photo_key"] = key
    ctx.state["photos"] = [upload(ctx, key), upload(ctx, key)]


def intake_retry(ctx: Context) -> None:
    key = ctx.state.setdefault("retry_key", new_key())
    post_case(ctx, REPORT, key)


def prepare_retry(ctx: Context) -> None:
    ctx.state["retry_key"] = new_key()
    post_case(ctx, REPORT, ctx.state["retry_key"])


def upload_ticket(ctx: Context) -> None:
    response = ctx.client.http.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": new_key()},
        body=json.dumps({"content_type": "image/jpeg", "size": 1000}).encode(),
    )
    assert response.status_code == 201


def resident_view(ctx: Context) -> None:
    case = ctx.state["case"]
    response = ctx.client.http.get(
        f"/cases/{case['code']}", headers={"X-Case-Token": case["token"]}
    )
    assert response.status_code == 200, response.body


def _number() -> str:
    """A fresh mobile number (the sign-in codes are limited per number)."""
    return f"139{secrets.randbelow(10**8):08d}"


def resident_code(ctx: Context) -> None:
    response = ctx.client.http.post(
        "/resident/code",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"phone": _number()}).encode(),
    )
    assert response.status_code == 202, response.body


def prepare_session(ctx: Context) -> None:
    prepare_session_for(ctx, _number())


def resident_session(ctx: Context) -> None:
    response = ctx.client.http.post(
        "/resident/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps(ctx.state["sign_in"]).encode(),
    )
    assert response.status_code == 200, response.body
    ctx.state["session"] = json.loads(response.body)["token"]


def prepare_my_cases(ctx: Context) -> None:
    """A session of the number the sample case was reported with (signed in once: codes are
    limited per number)."""
    if "case_session" not in ctx.state:
        prepare_session_for(ctx, str(REPORT["phone"]))
        resident_session(ctx)
        ctx.state["case_session"] = ctx.state["session"]
    ctx.state["session"] = ctx.state["case_session"]


def prepare_session_for(ctx: Context, number: str) -> None:
    """A code sent to `number`, read back from the outbox (as the resident reads the SMS)."""
    from functions.core.adapters.tables import NotificationItem

    before = {i.id for i in NotificationItem.scan() if i.template == "resident_sign_in"}
    ctx.client.http.post(
        "/resident/code",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"phone": number}).encode(),
    )
    [sent] = [
        i
        for i in NotificationItem.scan()
        if i.template == "resident_sign_in" and i.id not in before
    ]
    ctx.state["sign_in"] = {"phone": number, "code": sent.params["code"]}


def resident_cases(ctx: Context) -> None:
    response = ctx.client.http.get(
        "/resident/cases", headers={"Authorization": f"Bearer {ctx.state['session']}"}
    )
    assert response.status_code == 200, response.body


def resident_view_signed_in(ctx: Context) -> None:
    code = ctx.state["case"]["code"]
    response = ctx.client.http.get(
        f"/cases/{code}", headers={"Authorization": f"Bearer {ctx.state['session']}"}
    )
    assert response.status_code == 200, response.body


def registry_read(ctx: Context) -> None:
    assert ctx.client.http.get("/registry").status_code == 200


def registry_refresh(ctx: Context) -> None:
    """The registry read once a function's cache has expired (every 60 s per warm function)."""
    ctx.aws.wiring.registry.invalidate()
    assert ctx.client.http.get("/registry").status_code == 200


def staff_case_view(ctx: Context) -> None:
    code = ctx.state["case"]["code"]
    response = ctx.client.http.get(f"/staff/cases/{code}", headers=ctx.aws.bearer(*COMMUNITY))
    assert response.status_code == 200, response.body


def staff_inbox(ctx: Context) -> None:
    response = ctx.client.http.get("/staff/cases?view=inbox", headers=ctx.aws.bearer(*COMMUNITY))
    assert response.status_code == 200, response.body
    ctx.state["inbox_rows"] = len(json.loads(response.body)["items"])


def staff_department_work(ctx: Context) -> None:
    response = ctx.client.http.get("/staff/cases?view=work", headers=ctx.aws.bearer(*LUDENG))
    assert response.status_code == 200, response.body


def scheduled(name: str) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        event = ctx.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        ctx.client.lambda_.invoke(name, event)

    return run


OPERATIONS: list[Operation] = [
    Operation(
        "intake: POST /cases (no photos)",
        intake,
        "registry cached; one TransactWriteItems, the rate limits counted as its conditions",
    ),
    Operation(
        "intake: POST /cases (2 photos)",
        intake_with_photos,
        "HeadObject, GetObject, PutObject each (cleaned)",
    ),
    Operation("intake retry: same key and body", intake_retry, "answers from the key's record"),
    Operation(
        "upload ticket: POST /uploads",
        upload_ticket,
        "presigned locally; one conditional UpdateItem (per-address limit)",
    ),
    Operation("resident view: GET /cases/{code}", resident_view),
    Operation(
        "resident sign-in: POST /resident/code",
        resident_code,
        "two conditional counts (number, sender), one transaction (code + outbox), then the "
        "SMS sent at once: lease, provider, outcome",
    ),
    Operation(
        "resident sign-in: POST /resident/session",
        resident_session,
        "one conditional try, one conditional delete (a code signs in once)",
    ),
    Operation(
        "resident: GET /resident/cases (my cases)",
        resident_cases,
        "one Query on the phone-hash index",
    ),
    Operation("resident view: GET /cases/{code} (signed in)", resident_view_signed_in),
    Operation("registry: GET /registry (cached)", registry_read),
    Operation("registry cache refresh (per function, per minute)", registry_refresh),
    Operation("staff view: GET /staff/cases/{code}", staff_case_view, "case + its timeline"),
    Operation(
        "staff list: community inbox",
        staff_inbox,
        "one Query, then one per listed case for likely duplicates",
    ),
    Operation("staff list: department work", staff_department_work),
    Operation(
        "dispatch tick (nothing due)",
        scheduled("dispatch_tick"),
        "one Query per shard of the due index and of the pending index",
    ),
]
PREPARE: dict[str, Callable[[Context], None]] = {
    "resident sign-in: POST /resident/session": prepare_session,
    "resident: GET /resident/cases (my cases)": prepare_my_cases,
    "resident view: GET /cases/{code} (signed in)": prepare_my_cases,
    "intake: POST /cases (2 photos)": prepare_photos,
    "intake retry: same key and body": prepare_retry,
}


def count_requests(repeats: int = 3) -> list[dict[str, Any]]:
    """Each simple operation `repeats` times; the counts must agree (they are the figure
    reported), then the workflow scripts, each played twice in a fresh backend."""
    results: list[dict[str, Any]] = []
    with provisioned() as aws, aws.api() as client:
        ctx = Context(aws, client, {})
        intake(ctx)  # warm: the registry is read and cached once per function
        for operation in OPERATIONS:
            assert operation.run is not None
            seen = []
            for _ in range(repeats):
                if operation.name in PREPARE:
                    PREPARE[operation.name](ctx)
                with aws.recorder.recording() as calls:
                    operation.run(ctx)
                seen.append(summary(calls))
            counts = {json.dumps(s["operations"], sort_keys=True) for s in seen}
            note = operation.note
            if operation.name == "staff list: community inbox":
                note += f" ({ctx.state['inbox_rows']} listed here)"
            results.append(
                {
                    "name": operation.name,
                    "group": "simple",
                    "built": True,
                    "note": note,
                    **seen[-1],
                    "item_bytes": written_item_sizes(calls),
                    "stable": len(counts) == 1,
                }
            )
    results.extend(workflow_requests())
    return results


def written_item_sizes(calls: list[Call]) -> dict[str, int]:
    """Bytes of each item a transaction wrote, by table base name (storage estimates)."""
    sizes: dict[str, int] = {}
    for call in calls:
        if call.operation != "TransactWriteItems":
            continue
        for entry in call.params["TransactItems"]:
            (_, body), *_ = entry.items()
            if "Item" in body:
                sizes[body["TableName"].removeprefix(PREFIX)] = item_size(body["Item"])
    return sizes


# -- the workflow --------------------------------------------------------------------------------


def created_notifications(calls: list[Call]) -> dict[str, int]:
    """Notifications a step put into the outbox, by channel (what the tick will send)."""
    channels: Counter[str] = Counter()
    for call in calls:
        if call.operation != "TransactWriteItems":
            continue
        for entry in call.params["TransactItems"]:
            (_, body), *_ = entry.items()
            if body["TableName"] == f"{PREFIX}notifications" and "Item" in body:
                channels[body["Item"]["channel"]["S"]] += 1
    return dict(sorted(channels.items()))


def events_written(calls: list[Call]) -> tuple[int, int]:
    """(timeline events, their bytes) a step appended."""
    count = size = 0
    for call in calls:
        if call.operation != "TransactWriteItems":
            continue
        for entry in call.params["TransactItems"]:
            (_, body), *_ = entry.items()
            if body["TableName"] == f"{PREFIX}case-events" and "Item" in body:
                count += 1
                size += item_size(body["Item"])
    return count, size


def _is_lease(call: Call, status: str) -> bool:
    values = call.params.get("ExpressionAttributeValues") or {}
    return call.operation == "UpdateItem" and {"S": status} in values.values()


def split_sends(calls: list[Call]) -> tuple[list[Call], list[tuple[str, list[Call]]]]:
    """The send half of a tick: its fixed Queries, then each notification's calls (from its
    lease to its outcome), labelled by channel from the provider call it made."""
    base: list[Call] = []
    groups: list[list[Call]] = []
    for call in calls:
        if call.service == "dynamodb" and _is_lease(call, "sending"):
            groups.append([call])
        elif groups:
            groups[-1].append(call)
        else:
            base.append(call)
    labelled = []
    for group in groups:
        names = {f"{c.service}:{c.operation}" for c in group}
        channel = (
            "email"
            if "ses:SendEmail" in names
            else "sms"
            if "sns:Publish" in names
            else "webhook"
            if "webhook:POST" in names
            else "unsent"
        )
        labelled.append((channel, group))
    return base, labelled


def split_fires(calls: list[Call]) -> tuple[list[Call], list[list[Call]]]:
    """The timer half of a tick: its fixed Queries, then each due case's lease and save."""
    base: list[Call] = []
    groups: list[list[Call]] = []
    for call in calls:
        table = str(call.params.get("TableName", ""))
        if call.operation == "UpdateItem" and table.endswith("cases"):
            groups.append([call])
        elif groups:
            groups[-1].append(call)
        else:
            base.append(call)
    return base, groups


@dataclass
class Script:
    """Records each step of a workflow script as one operation of the report."""

    ctx: Context
    group: str
    results: list[dict[str, Any]] = field(default_factory=list)
    send_groups: dict[str, list[list[Call]]] = field(default_factory=dict)
    send_base: list[Call] = field(default_factory=list)
    fire_base: list[Call] = field(default_factory=list)

    @property
    def aws(self) -> Aws:
        return self.ctx.aws

    @contextmanager
    def step(self, name: str, note: str = "") -> Iterator[list[Call]]:
        with self.aws.recorder.recording() as calls:
            yield calls
        self.results.append(self.entry(name, calls, note))

    def entry(self, name: str, calls: list[Call], note: str = "") -> dict[str, Any]:
        events, event_bytes = events_written(calls)
        return {
            "name": name,
            "group": self.group,
            "built": True,
            "note": note,
            **summary(calls),
            "notifications": created_notifications(calls),
            "events": events,
            "event_bytes": event_bytes,
            "stable": True,
        }

    # -- the steps, through the API ---------------------------------------------------------

    def report(self, **changes: Any) -> dict[str, Any]:
        body = {**REPORT, **changes}
        return post_case(self.ctx, body, new_key())

    def version(self, who: tuple[str, str], code: str) -> int:
        response = self.ctx.client.http.get(f"/staff/cases/{code}", headers=self.aws.bearer(*who))
        assert response.status_code == 200, response.body
        return int(json.loads(response.body)["version"])

    def act(
        self, name: str, who: tuple[str, str], code: str, action: str, about: str = "", **body: Any
    ) -> dict[str, Any]:
        """One staff action through the API; `about` is the report's note on the step."""
        version = self.version(who, code)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": new_key(),
            **self.aws.bearer(*who),
        }
        with self.step(name, about):
            response = self.ctx.client.http.post(
                f"/staff/cases/{code}/actions/{action}",
                headers=headers,
                body=json.dumps({"version": version, **body}).encode(),
            )
        assert response.status_code == 200, response.body
        return dict(json.loads(response.body))

    def rate(self, name: str, receipt: dict[str, Any], resolved: bool, note: str = "") -> None:
        body = {"resolved": resolved, "satisfaction": "satisfied" if resolved else "not_satisfied"}
        with self.step(name, note):
            response = self.ctx.client.http.post(
                f"/cases/{receipt['code']}/rating",
                headers={"Content-Type": "application/json", "X-Case-Token": receipt["token"]},
                body=json.dumps(body).encode(),
            )
        assert response.status_code == 200, response.body

    def tick(self, timer: str | None, note: str = "") -> dict[str, int]:
        """One dispatch tick, in its two halves. The timer half is reported as the
        transition `timer` (per due case: exactly one is due); each notification sent is
        kept by channel for the per-notification figures."""
        from functions.core.services import dispatch

        deps = self.aws.wiring.dispatch
        report = dispatch.TickReport()
        with self.aws.recorder.recording() as fired:
            dispatch.fire_timers(deps, report)
        base, groups = split_fires(fired)
        if timer is not None:
            assert len(groups) == 1, f"{len(groups)} cases were due, one expected"
            self.fire_base = base
            self.results.append(
                self.entry(f"timer: {timer} (by the tick, per due case)", groups[0], note)
            )
        with self.aws.recorder.recording() as sent:
            dispatch.send_pending(deps, report)
        send_base, labelled = split_sends(sent)
        self.send_base = send_base
        for channel, group in labelled:
            self.send_groups.setdefault(channel, []).append(group)
        assert not report.errors, report.errors
        return {"fired": report.fired, "sent": report.sent, "postponed": report.postponed}


def send_figures(scripts: list[Script]) -> list[dict[str, Any]]:
    """One operation per channel: what sending one notification costs (every notification
    the scripts' ticks sent is a sample; they must all cost the same)."""
    groups: dict[str, list[list[Call]]] = {}
    for script in scripts:
        for channel, sent in script.send_groups.items():
            groups.setdefault(channel, []).extend(sent)
    out = []
    for channel, sent in sorted(groups.items()):
        shapes = {json.dumps(summary(g)["operations"], sort_keys=True) for g in sent}
        entry = scripts[0].entry(f"notification: send one by {channel}", sent[-1])
        entry["group"] = "notification"
        entry["stable"] = len(shapes) == 1
        entry["samples"] = len(sent)
        out.append(entry)
    return out


WHISTLE_NOTE = "queues the resident's SMS (whistled)"


def lifecycle_script(aws: Aws, client: Any) -> Script:
    """A case from report to rating, and the other transitions on other cases; then the
    nightly job for the day they happened on, and the dashboard."""
    ctx = Context(aws, client, {})
    script = Script(ctx, "transition")
    post_case(ctx, REPORT, new_key())  # warm caches
    script.tick(None)  # the warm-up report is not whistled: nothing due
    aws.advance(timedelta(minutes=1))

    main = script.report()
    code = main["code"]
    script.act("transition: whistle (community)", COMMUNITY, code, "whistle", WHISTLE_NOTE)
    aws.advance(timedelta(minutes=1))
    script.tick("dispatch", "alerts the department: robot + email (+ SMS where configured)")
    aws.advance(timedelta(minutes=30))
    script.act("transition: claim (department)", LUDENG, code, "claim")
    script.act(
        "transition: extension asked (department)",
        LUDENG,
        code,
        "extension",
        "tells the district",
        days=3,
        reason="需要更换灯杆，配件在路上",
    )
    script.act(
        "transition: extension decided (district)",
        DISTRICT,
        code,
        "decide_extension",
        "tells the department",
        approve=True,
    )
    script.act(
        "transition: chase (district)",
        DISTRICT,
        code,
        "chase",
        "presses the department now",
        note="请加快办理",
    )
    script.act(
        "transition: resolve (department)",
        LUDENG,
        code,
        "resolve",
        "queues the resident's SMS (resolved)",
        note="已更换灯泡，恢复照明",
    )
    script.rate("transition: rate, resolved (resident) — closes", main, True)
    aws.advance(timedelta(minutes=1))
    script.tick(None)  # sends what the steps queued

    reopened = script.report(description="楼下路灯一直闪烁")
    aws.advance(timedelta(minutes=1))
    for step, who, action, body in (
        ("whistle", COMMUNITY, "whistle", {}),
        ("claim", LUDENG, "claim", {}),
        ("resolve", LUDENG, "resolve", {"note": "已修复"}),
    ):
        if action == "claim":
            aws.advance(timedelta(minutes=1))
            script.tick(None)
        version = script.version(who, reopened["code"])
        response = client.http.post(
            f"/staff/cases/{reopened['code']}/actions/{action}",
            headers={"Content-Type": "application/json", **aws.bearer(*who)},
            body=json.dumps({"version": version, **body}).encode(),
        )
        assert response.status_code == 200, (step, response.body)
    script.rate(
        "transition: rate, not resolved (resident) — reopens",
        reopened,
        False,
        "tells the department",
    )

    rejected = script.report(description="家里水管漏水需要维修")
    script.act(
        "transition: reject (community)",
        COMMUNITY,
        rejected["code"],
        "reject",
        reason="属于户内维修，请联系物业",
    )
    first = script.report(description="3栋门口路灯不亮")
    duplicate = script.report(description="3栋路灯坏了")
    script.act(
        "transition: merge (community)",
        COMMUNITY,
        duplicate["code"],
        "merge",
        "reads the case merged into",
        into=first["code"],
    )
    local = script.report(category="laundry_drying", description="小区没有晾衣的地方")
    script.act(
        "transition: handle locally (community)",
        COMMUNITY,
        local["code"],
        "local",
        by="property",
        note="物业加装晾衣架",
    )
    script.act(
        "transition: resolve locally (community)",
        COMMUNITY,
        local["code"],
        "resolve",
        "queues the resident's SMS (resolved)",
        note="已加装晾衣架",
    )
    returned = script.report(description="小区门口主干道路灯不亮")
    version = script.version(COMMUNITY, returned["code"])
    response = client.http.post(
        f"/staff/cases/{returned['code']}/actions/whistle",
        headers={"Content-Type": "application/json", **aws.bearer(*COMMUNITY)},
        body=json.dumps({"version": version}).encode(),
    )
    assert response.status_code == 200, response.body
    aws.advance(timedelta(minutes=1))
    script.tick(None)
    script.act(
        "transition: return (department)",
        LUDENG,
        returned["code"],
        "return",
        "tells the community",
        reason="该路段路灯属城管局维护",
    )
    aws.advance(timedelta(minutes=1))
    script.tick(None)

    # The nightly job for the day all this happened on, then the dashboard it feeds.
    events_today = len(aws.wiring.metrics.store.day_events(_china_day(aws.clock.now())))
    midnight = _next_china_time(aws.clock.now(), hour=0, minute=30)
    aws.advance(midnight - aws.clock.now())
    with script.step(
        "nightly job (the day's events)",
        f"{events_today} events that day; reads the day index, writes the day, rolls up",
    ) as _:
        scheduled("nightly_metrics")(ctx)
    with script.step(
        "dashboard read: GET /metrics/dashboard (district)",
        "precomputed items in batches, the period's rankings, the live overdue list",
    ) as _:
        response = client.http.get("/metrics/dashboard", headers=aws.bearer(*DISTRICT))
    assert response.status_code == 200, response.body
    with script.step(
        "public board read: GET /public/board",
        "the month's community items and the fixes the nightly job kept, in batches",
    ) as _:
        response = client.http.get("/public/board")
    assert response.status_code == 200, response.body
    for entry in script.results:
        if entry["name"].startswith(("nightly", "dashboard", "public board")):
            entry["group"] = "job"
    script.results[-3]["day_events"] = events_today
    base = script.entry(
        "dispatch tick: fixed part (every minute)",
        script.fire_base + script.send_base,
        "one Query per shard of the due and the pending index, whatever is due",
    )
    base["group"] = "job"
    script.results.append(base)
    return script


def timers_script(aws: Aws, client: Any) -> Script:
    """One whistled case, alone in its backend, through every timer: reminder at 75 % of the
    claim limit, escalation when it passes and a day later, then claim, resolve, auto-close
    after 7 days unrated and the phone number's purge."""
    ctx = Context(aws, client, {})
    script = Script(ctx, "timer")
    receipt = script.report()
    code = receipt["code"]
    version = script.version(COMMUNITY, code)
    response = client.http.post(
        f"/staff/cases/{code}/actions/whistle",
        headers={"Content-Type": "application/json", **aws.bearer(*COMMUNITY)},
        body=json.dumps({"version": version}).encode(),
    )
    assert response.status_code == 200, response.body
    aws.advance(timedelta(minutes=1))
    script.tick(None)
    for timer, note in (
        ("reminder", "75 % of the claim limit: tells the department"),
        ("escalation", "the limit passed: tells the district, the department and its head"),
        (
            "escalation again a day later",
            "the next working day's digest: the event, and one digest a recipient",
        ),
    ):
        _until_timer(aws, code)
        script.tick(timer, note)
    for action, body in (("claim", {}), ("resolve", {"note": "已修复"})):
        version = script.version(LUDENG, code)
        response = client.http.post(
            f"/staff/cases/{code}/actions/{action}",
            headers={"Content-Type": "application/json", **aws.bearer(*LUDENG)},
            body=json.dumps({"version": version, **body}).encode(),
        )
        assert response.status_code == 200, response.body
    aws.advance(timedelta(minutes=1))
    script.tick(None)
    _until_timer(aws, code)
    script.tick("auto-close (7 days unrated)", "closes the case; no message")
    _until_timer(aws, code)
    script.tick("phone purge (180 days after closing)", "deletes the number; no message")
    return script


def _until_timer(aws: Aws, code: str) -> None:
    case = aws.wiring.cases.get(code)
    assert case is not None and case.timer is not None
    aws.advance(case.timer.at - aws.clock.now() + timedelta(seconds=1))


def _china_day(moment: datetime) -> Any:
    from functions.core.domain.clock import CHINA_TZ

    return moment.astimezone(CHINA_TZ).date()


def _next_china_time(moment: datetime, hour: int, minute: int) -> datetime:
    from functions.core.domain.clock import CHINA_TZ

    local = moment.astimezone(CHINA_TZ)
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return target if target > local else target + timedelta(days=1)


def workflow_requests() -> list[dict[str, Any]]:
    """Both scripts, each played twice in a fresh backend: the counts must agree."""
    plays: list[list[dict[str, Any]]] = []
    for _ in range(2):
        scripts = []
        for play in (lifecycle_script, timers_script):
            with provisioned() as aws, aws.api() as client:
                scripts.append(play(aws, client))
        plays.append([r for s in scripts for r in s.results] + send_figures(scripts))
    first, second = plays
    for a, b in zip(first, second, strict=True):
        a["stable"] = a["stable"] and b["stable"] and a["operations"] == b["operations"]
    return first


# -- intake vs a bare TransactWriteItems ---------------------------------------------------------


def _fresh_keys(params: dict[str, Any]) -> dict[str, Any]:
    """The same transaction with new key values of the same length (so every condition holds)."""
    from functions.core.adapters.tables import MODELS

    key_names: dict[str, set[str]] = {}
    for model in MODELS.values():
        schema = model._get_schema()
        key_names[model.Meta.table_name] = {k["AttributeName"] for k in schema["key_schema"]}
    fresh = copy.deepcopy(params)
    suffix = secrets.token_hex(8)
    for entry in fresh["TransactItems"]:
        (_, body), *_ = entry.items()
        item = body.get("Item") or body.get("Key")
        for name in key_names[body["TableName"]]:
            value = item[name]
            if "S" in value:
                value["S"] = value["S"][: -len(suffix)] + suffix
    return fresh


def time_intake_against_bare_write(
    over_http: bool, rounds: int, warmup: int = 30
) -> dict[str, Any]:
    """Medians of the POST /cases handler and of a bare TransactWriteItems of the same items,
    interleaved round by round on the same backend."""
    with provisioned(over_http=over_http) as aws, aws.api() as client:
        ctx = Context(aws, client, {})
        intake(ctx)
        with aws.recorder.recording() as calls:
            intake(ctx)
        (transaction,) = [c for c in calls if c.operation == "TransactWriteItems"]
        dynamodb = aws.client("dynamodb")
        handler: list[float] = []
        bare: list[float] = []
        for round_number in range(warmup + rounds):
            body = json.dumps(REPORT).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": new_key()}
            started = time.perf_counter()
            response = client.http.post("/cases", headers=headers, body=body)
            elapsed_handler = time.perf_counter() - started
            assert response.status_code == 201
            params = _fresh_keys(transaction.params)
            started = time.perf_counter()
            dynamodb.transact_write_items(**params)
            elapsed_bare = time.perf_counter() - started
            if round_number >= warmup:
                handler.append(elapsed_handler)
                bare.append(elapsed_bare)
    handler_ms = statistics.median(handler) * 1000
    bare_ms = statistics.median(bare) * 1000
    tables = [
        next(iter(entry.values()))["TableName"].removeprefix(PREFIX)
        for entry in transaction.params["TransactItems"]
    ]
    return {
        "backend": "moto server over HTTP (localhost)" if over_http else "moto in-process",
        "rounds": rounds,
        "handler_ms": handler_ms,
        "bare_ms": bare_ms,
        "ratio": handler_ms / bare_ms,
        "handler_p90_ms": statistics.quantiles(handler, n=10)[-1] * 1000,
        "bare_p90_ms": statistics.quantiles(bare, n=10)[-1] * 1000,
        "items": len(transaction.params["TransactItems"]),
        "item_tables": tables,
    }
