"""The scheduled jobs and the dashboard at 10,000 and 100,000 historical cases: the same work
must cost the same (DESIGN §9), so the DynamoDB requests a tick, a nightly run or a dashboard
read makes may not grow with history.

History is closed cases of the past two years — each with its reported and closed events and
the two messages it sent — written straight into moto's tables (its backend, not its API: a
hundred thousand cases load in seconds, not minutes). Cases closed less than 180 days ago
keep their purge timer in the due index, as real ones do, due months from now.

The current work is the same at every size:
- yesterday (China time): a few dozen cases reported, triaged, dispatched, claimed, resolved
  and rated — about 50 events on the day the nightly job reads — and a few cases that went
  overdue yesterday and stay open (the dashboard's live overdue list);
- for each tick: 20 due cases (12 whistled cases to dispatch, 4 reminders and 4 escalations
  due) and the resident SMS the whistles queued, written just before the tick and deleted
  after it, so every tick finds exactly the same work.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from .aws import Aws, provisioned, summary
from .operations import DISTRICT

DUE_CASES = {"dispatch": 12, "reminder": 4, "escalation": 4}
OVERDUE_CASES = 4


# -- history ---------------------------------------------------------------------------------


def moto_table(aws: Aws, base: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][aws.settings.region]
    return backend.get_table(aws.settings.table_name(base))


def store_raw(table: Any, attributes: dict[str, Any]) -> None:
    """Put one item straight into moto's table, as its PutItem stores it, without PutItem's
    checks: moto re-measures the whole item for every attribute it adds (quadratic in the
    attributes), which would make loading 100,000 cases take minutes. The items come from
    the models' own serialisation, so there is nothing to check."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    item = Item.__new__(Item)
    item.hash_key = DynamoType(attributes[table.hash_key_attr])
    item.range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    # dict.update does not go through LimitedSizeDict.__setitem__ and its size check.
    item.attrs = LimitedSizeDict({name: DynamoType(value) for name, value in attributes.items()})
    if item.range_key is not None:
        table.items[item.hash_key][item.range_key] = item
    else:
        table.items[item.hash_key] = item


def load_history(aws: Aws, start: int, count: int, now: datetime) -> None:
    """`count` closed cases (numbered from `start`), each with its reported and closed events
    and two sent messages, on days before yesterday.

    Cases are made by the domain (`Case.report`) and mapped by the case store's own item
    mapping, so history keeps the shape of real cases as the model grows. A closed case is
    in no work list: every sparse index key of the case item is cleared except the purge
    timer, which waits in the due index until 180 days after closing."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    from functions.core.adapters.case_store import case_to_item, event_to_item, tally_keys
    from functions.core.adapters.tables import (
        DUE_SHARDS,
        CaseItem,
        NotificationItem,
        shard,
    )
    from functions.core.domain.cases import (
        Actor,
        Case,
        CaseEvent,
        NewReport,
        Stage,
        Status,
        TimerKind,
    )
    from functions.core.domain.clock import iso

    wiring = aws.wiring
    registry = wiring.registry.current()
    compounds = list(registry.compounds.values())
    categories = list(registry.categories.values())
    attributes = CaseItem.get_attributes()
    sparse = [
        index._hash_key_attribute().attr_name
        for index in CaseItem._indexes.values()
        if attributes[index._hash_key_attribute().attr_name].null
    ]
    sealed = wiring.vault.seal_phone("13800000000")
    purge_after = timedelta(days=aws.settings.purge_after_days)
    cases, events, outbox = (moto_table(aws, b) for b in ("cases", "case-events", "notifications"))
    rng = random.Random(start)
    latest_close = now - timedelta(days=2)  # never yesterday or today: that is current work
    tallies: dict[str, int] = {}
    for number in range(start, start + count):
        compound = rng.choice(compounds)
        category = rng.choice(categories)
        created = now - timedelta(days=rng.uniform(3, 730))
        closed = min(created + timedelta(days=rng.uniform(0.5, 20)), latest_close)
        purged = closed + purge_after <= now
        case = Case.report(
            code=f"YS-HIST-{number:07d}",
            report=NewReport(
                category=category.id,
                compound=compound.id,
                address="历史数据",
                description="历史工单（基准测试生成）",
                phone="",
                consent=True,
            ),
            category=category,
            compound=compound,
            registry=registry,
            phone=sealed,
            photos=(),
            token_hash="0" * 64,
            at=created,
        )
        (reported,) = case.new_events
        closing = CaseEvent(
            case_code=case.code,
            seq=reported.seq + 1,
            at=closed,
            kind="closed",
            actor=Actor.system(),
            status_before=Status.RESOLVED,
            status_after=Status.CLOSED,
            data={"rated": False, "dims": reported.data["dims"]},
        )
        item = case_to_item(case)
        item.status = Status.CLOSED.value
        item.updated_at = iso(closed)
        item.closed_at = iso(closed)
        item.event_count = 2
        item.version = 3
        for name in sparse:
            setattr(item, name, None)
        # Handled by the department its kind is routed to: in that department's history.
        case.department = item.department = registry.route(category.id, compound.community)
        case.status = Status.CLOSED
        for key in tally_keys(case, Status.CLOSED, case.department):
            tallies[key] = tallies.get(key, 0) + 1
        if purged:
            item.phone_cipher = item.phone_lookup = None
        else:
            item.stage = Stage.RETENTION.value
            item.deadline = iso(closed + purge_after)
            item.timer_kind = TimerKind.PURGE.value
            item.timer_at = iso(closed + purge_after)
            item.timer_shard = shard("DUE", case.code, DUE_SHARDS)
        store_raw(cases, item.serialize())
        store_raw(events, event_to_item(reported).serialize())
        store_raw(events, event_to_item(closing).serialize())
        for index, (channel, recipient) in enumerate(
            (("sms", sealed.ciphertext), ("email", "dept@yushan.example"))
        ):
            sent_at = iso(created + timedelta(minutes=5))
            store_raw(
                outbox,
                NotificationItem(
                    f"hist-{number:07d}-{index}",
                    case_code=case.code,
                    channel=channel,
                    recipient=recipient,
                    recipient_display="历史",
                    template="dispatched",
                    subject="【吹哨】历史工单",
                    body="历史工单（基准测试生成）",
                    status="sent",
                    attempts=1,
                    next_attempt_at=sent_at,
                    created_at=sent_at,
                    sent_at=sent_at,
                ).serialize(),
            )
    # The work lists' per-stage tallies, as the stored transitions would have moved them.
    counters = moto_table(aws, "counters")
    for key, count in tallies.items():
        existing = counters.items.get(DynamoType({"S": key}))
        before = int(existing.attrs["hits"].value) if existing is not None else 0
        store_raw(counters, {"key": {"S": key}, "hits": {"N": str(before + count)}})


# -- the current work ------------------------------------------------------------------------


class Seeder:
    """Cases made by the domain's own transitions at chosen moments and stored by the case
    store, as the API and the tick would have stored them."""

    def __init__(self, aws: Aws) -> None:
        from functions.core.domain.cases import Actor

        self.aws = aws
        self.wiring = aws.wiring
        self.registry = self.wiring.registry.current()
        self.compounds = list(self.registry.compounds.values())
        self.categories = [c for c in self.registry.categories.values()]
        self.sealed = self.wiring.vault.seal_phone("13912345678")
        self.community = Actor("community", "community.bench")
        self.department = Actor("department", "department.bench")
        self.campaign: str | None = None  # the campaign new cases join

    def case(self, code: str, index: int, at: datetime) -> Any:
        from functions.core.domain.cases import Case, NewReport

        category = self.categories[index % len(self.categories)]
        compound = self.compounds[(index * 7) % len(self.compounds)]
        return Case.report(
            code=code,
            report=NewReport(
                category=category.id,
                compound=compound.id,
                address="5栋东侧",
                description="基准测试工单",
                phone="13912345678",
                consent=True,
                campaign=self.campaign,
            ),
            category=category,
            compound=compound,
            registry=self.registry,
            phone=self.sealed,
            photos=(),
            token_hash="0" * 64,
            at=at,
            policy=self.policy(category.id),
        )

    def policy(self, category: str) -> Any:
        return self.wiring.rules.policy(category)

    def department_of(self, case: Any) -> str:
        return str(self.registry.route(case.category, case.community))

    def whistle(self, case: Any, at: datetime) -> None:
        policy = self.policy(case.category)
        case.whistle(self.community, self.department_of(case), (), None, at, policy)

    def save(self, case: Any, at: datetime, queued: bool = False) -> None:
        """Store the case with its events; with `queued`, the messages its last steps asked
        for wait in the outbox, otherwise they went out long ago."""
        notifications = (
            self.wiring.messenger.notifications(case, self.registry, at) if queued else []
        )
        case.notices.clear()
        self.wiring.cases.save(case, notifications, at)


def china(day: date, hour: int, minute: int = 0) -> datetime:
    from functions.core.domain.clock import CHINA_TZ

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def seed_yesterday(aws: Aws, day: date, campaign: str | None = None) -> None:
    """About 50 events on `day`: cases fixed and rated, rejected, merged, handled locally,
    claimed and still open, and cases that went overdue and were escalated. None of them has
    a timer due in the next hours, so the ticks measured later do not see them. With a
    `campaign`, the cases are filed in it (the nightly job keeps its running total)."""
    from functions.core.domain.cases import Satisfaction

    seed = Seeder(aws)
    seed.campaign = campaign
    code = 0

    def new(hour: int) -> Any:
        nonlocal code
        code += 1
        return seed.case(f"YS-{day:%y%m}-{day:%d}-7{code:07d}", code, china(day, hour))

    for _ in range(2):  # reported, whistled, dispatched, claimed, resolved, rated, closed
        case = new(9)
        policy = seed.policy(case.category)
        seed.whistle(case, china(day, 10))
        case.on_timer(china(day, 10, 1), policy)
        case.claim(seed.department, china(day, 11), policy)
        case.resolve(seed.department, "已修复", (), china(day, 16), policy)
        case.rate(True, Satisfaction.SATISFIED, None, china(day, 20), policy)
        seed.save(case, china(day, 20))
    for _ in range(2):
        case = new(9)
        case.reject(seed.community, "不属于受理范围", china(day, 10), seed.policy(case.category))
        seed.save(case, china(day, 10))
    first = new(9)
    seed.save(first, china(day, 9))
    duplicate = new(9)
    duplicate.merge(seed.community, first.code, china(day, 10), seed.policy(duplicate.category))
    seed.save(duplicate, china(day, 10))
    first.reject(
        seed.community, "重复反映，已另行处理", china(day, 10), seed.policy(first.category)
    )
    seed.save(first, china(day, 10))
    case = new(9)
    policy = seed.policy(case.category)
    case.handle_locally(seed.community, "property", None, china(day, 10), policy)
    case.resolve(seed.community, "物业已处理", (), china(day, 15), policy)
    seed.save(case, china(day, 15))
    case = new(9)
    policy = seed.policy(case.category)
    seed.whistle(case, china(day, 10))
    case.on_timer(china(day, 10, 1), policy)
    case.claim(seed.department, china(day, 11), policy)
    seed.save(case, china(day, 11))
    now = aws.clock.now()
    for _ in range(OVERDUE_CASES):  # open and escalated: the dashboard's overdue list
        case = new(9)
        policy = seed.policy(case.category)
        seed.whistle(case, china(day, 9, 5))
        while case.timer is not None and case.timer.at <= now:
            case.on_timer(case.timer.at, policy)
        assert case.overdue and case.timer.at > now + timedelta(hours=3), case.timer
        seed.save(case, now)


def seed_due(aws: Aws, run: int) -> list[str]:
    """The tick's work: 12 whistled cases to dispatch (their resident SMS queued), 4 whose
    reminder and 4 whose escalation is due."""
    seed = Seeder(aws)
    now = aws.clock.now()
    yesterday_morning = now - timedelta(days=1)
    codes = []
    index = 0
    for kind, count in DUE_CASES.items():
        for _ in range(count):
            index += 1
            code = f"YS-{now:%y%m}-{now:%d}-8{run:03d}{index:04d}"
            codes.append(code)
            if kind == "dispatch":
                case = seed.case(code, index, now - timedelta(minutes=20))
                seed.whistle(case, now - timedelta(minutes=1))
                seed.save(case, now - timedelta(minutes=1), queued=True)
                continue
            case = seed.case(code, index, yesterday_morning - timedelta(minutes=5))
            policy = seed.policy(case.category)
            seed.whistle(case, yesterday_morning)
            case.on_timer(yesterday_morning, policy)  # dispatched
            if kind == "escalation":
                assert case.timer is not None
                case.on_timer(case.timer.at, policy)  # reminded
            assert case.timer is not None and case.timer.at <= now, (kind, case.timer)
            seed.save(case, yesterday_morning)
    return codes


def remove(aws: Aws, codes: list[str]) -> None:
    """Delete the cases a tick worked on, with their events and messages, so that the next
    tick finds the same state. Straight from moto's tables, outside any recording: through
    the API each look-up of a case's events or messages would walk the whole table."""
    wanted = set(codes)
    cases = moto_table(aws, "cases")
    for code in codes:
        cases.items.pop(_string(code), None)
    events = moto_table(aws, "case-events")
    for code in codes:
        events.items.pop(_string(code), None)
    outbox = moto_table(aws, "notifications")
    for key in [k for k, item in outbox.items.items() if _case_of(item) in wanted]:
        del outbox.items[key]


def _string(value: str) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    return DynamoType({"S": value})


def _case_of(item: Any) -> str | None:
    code = item.attrs.get("case_code")
    return str(code.value) if code is not None else None


# -- measuring -----------------------------------------------------------------------------


def measure(
    aws: Aws, run: Callable[[], Any], runs: int, before: Callable[[int], Any] | None = None
) -> dict[str, Any]:
    """`runs` recorded and timed runs after one warm-up; `before(run)` prepares each (not
    timed, not recorded) and its return value is handed to `after` through the result."""
    times: list[float] = []
    counted: list[dict[str, Any]] = []
    answers: list[Any] = []
    for number in range(runs + 1):
        prepared = before(number) if before else None
        with aws.recorder.recording() as calls:
            started = time.perf_counter()
            answers.append(run())
            elapsed = time.perf_counter() - started
        if isinstance(prepared, list):
            remove(aws, prepared)
        if number == 0:
            continue  # warm-up
        times.append(elapsed)
        counted.append(summary(calls))
    return {
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "runs": runs,
        **counted[-1],
        "stable": len({str(c["operations"]) for c in counted}) == 1,
        "answer": answers[-1],
    }


def jobs_at_history_sizes(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    from functions.core.domain.clock import CHINA_TZ

    results: list[dict[str, Any]] = []
    with provisioned() as aws, aws.api() as client:
        now = aws.clock.now()
        day = (now.astimezone(CHINA_TZ) - timedelta(days=1)).date()
        campaign = start_campaign(aws, day)
        seed_yesterday(aws, day, campaign)
        day_events = len(aws.wiring.metrics.store.day_events(day))
        loaded = 0
        for number, size in enumerate(sorted(sizes)):
            started = time.perf_counter()
            load_history(aws, loaded, size - loaded, now)
            common = {
                "history": size,
                "load_seconds": time.perf_counter() - started,
                "day_events": day_events,
            }
            loaded = size
            results.extend(
                {**common, **measured}
                for measured in measure_jobs(aws, client, runs, number, campaign)
            )
    return results


def start_campaign(aws: Aws, day: date) -> str:
    """A public campaign over every community from `day` on: yesterday's cases are in it, so
    the nightly job keeps its total and the campaign pages have something to read."""
    from functions.core.domain.staff import Principal, Role, Scope
    from functions.core.services import campaigns

    registry = aws.wiring.registry.current()
    created = campaigns.create(
        aws.wiring.campaigns,
        Principal("district.bench", (Scope(Role.DISTRICT),)),
        {
            "name": "基准测试专项行动",
            "starts": day.isoformat(),
            "ends": (day + timedelta(days=60)).isoformat(),
            "communities": sorted(registry.communities),
            "target": 100,
            "public": True,
        },
    )
    return str(created["id"])


def measure_jobs(
    aws: Aws, client: Any, runs: int, size_number: int, campaign: str
) -> list[dict[str, Any]]:
    """The nightly job (hotspots and a campaign's running total included), the dashboard,
    the public board, a campaign's staff and public pages and the tick, each `runs` times,
    at the history that is loaded now."""

    def invoke(function: str) -> Any:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        return client.lambda_.invoke(function, event).payload

    def dashboard() -> Any:
        response = client.http.get("/metrics/dashboard", headers=aws.bearer(*DISTRICT))
        assert response.status_code == 200, response.body
        body = json.loads(response.body)
        return {"overdue": len(body["overdue"]), "period": body["period"]}

    def board() -> Any:
        response = client.http.get("/public/board")
        assert response.status_code == 200, response.body
        return {"recently_fixed": len(json.loads(response.body)["recently_fixed"])}

    def campaign_page() -> Any:
        response = client.http.get(f"/staff/campaigns/{campaign}", headers=aws.bearer(*DISTRICT))
        assert response.status_code == 200, response.body
        return {"collected": json.loads(response.body)["progress"]["totals"]["collected"]}

    def public_campaign() -> Any:
        response = client.http.get(f"/public/campaigns/{campaign}")
        assert response.status_code == 200, response.body
        return {"solved": json.loads(response.body)["solved"]}

    def due_work(run: int) -> list[str]:
        # A minute passes between ticks, as in production (robots count per minute).
        aws.advance(timedelta(minutes=1))
        return seed_due(aws, run + 100 * size_number)

    return [
        {"job": "nightly job", **measure(aws, lambda: invoke("nightly_metrics"), runs)},
        {"job": "dashboard read", **measure(aws, dashboard, runs)},
        {"job": "public board read", **measure(aws, board, runs)},
        {"job": "campaign page read", **measure(aws, campaign_page, runs)},
        {"job": "public campaign page read", **measure(aws, public_campaign, runs)},
        {
            "job": "dispatch tick",
            **measure(aws, lambda: invoke("dispatch_tick"), runs, before=due_work),
        },
    ]
