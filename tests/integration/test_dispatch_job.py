"""The dispatch job: timers at 75 % and 100 % of a limit, daily escalation, auto-close, the
retention purge — and sending that loses nothing and sends nothing twice."""

from __future__ import annotations

import json
import threading
from datetime import datetime, time, timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from functions.core.adapters.case_store import DynamoCaseStore
from functions.core.adapters.tables import CaseItem, NotificationItem
from functions.core.domain.clock import CHINA_TZ, parse_iso
from functions.core.domain.errors import Conflict
from functions.core.services import dispatch
from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    act,
    ok,
    report,
    resident_view,
    tick,
    view,
)


def whistled(api, wiring, robots) -> str:
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    return code


def emails() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def kinds(api, who, code) -> list[str]:
    return [e["kind"] for e in view(api, who, code)["timeline"]]


def test_a_claim_limit_reminds_at_75_percent_and_escalates_when_it_passes(
    api, wiring, robots, clock
):
    code = whistled(api, wiring, robots)
    tick(wiring)
    case = view(api, LUDENG, code)
    started = parse_iso(case["timeline"][-1]["at"])
    deadline = parse_iso(case["deadline"])
    reminder_at = started + (deadline - started) * 0.75

    clock.at = reminder_at - timedelta(seconds=1)
    tick(wiring)
    assert "reminded" not in kinds(api, LUDENG, code)
    clock.at = reminder_at
    tick(wiring)
    assert kinds(api, LUDENG, code).count("reminded") == 1

    clock.at = deadline
    tick(wiring)
    clock.at = deadline + timedelta(hours=2)
    tick(wiring)  # not again within the day
    assert kinds(api, LUDENG, code).count("escalated") == 1
    escalations = [n for n in NotificationItem.by_case.query(code) if n.template == "escalated"]
    # The district and the department (robot and mailbox each) and the department's head.
    assert sorted(n.recipient for n in escalations) == [
        "https://robot.yushan.example/wecom/ludeng",
        "https://robot.yushan.example/wecom/zhuanban",
        "ludeng.head@yushan.example",
        "ludeng@yushan.example",
        "zhuanban@yushan.example",
    ]


def digests() -> list:
    return [
        n
        for n in NotificationItem.scan()
        if n.template == "escalation_digest"  # a test's own table: a Scan is fine here
    ]


def test_a_case_overdue_for_five_working_days_is_escalated_once_then_listed_in_one_digest_a_day(
    api, wiring, robots, clock
):
    # Given a case whose claim limit passes on Friday 27 November (China)
    code = whistled(api, wiring, robots)
    tick(wiring)
    deadline = parse_iso(view(api, LUDENG, code)["deadline"])
    # When the dispatch job runs every eight hours for nine days (twice at the morning's)
    start = clock.at
    while clock.at < start + timedelta(days=9):
        clock.advance(hours=8)
        tick(wiring)
        if clock.at.astimezone(CHINA_TZ).hour == 10:
            tick(wiring)  # a second tick at the same moment, as when two overlap
    # Then each recipient had one escalation message for the case…
    escalations = [n for n in NotificationItem.by_case.query(code) if n.template == "escalated"]
    assert len(escalations) == len({n.recipient for n in escalations}) == 5
    # …and one digest a working day after the one it went overdue: Mon 30 Nov to Fri 4 Dec
    sent = digests()
    days = sorted({n.case_code for n in sent})
    assert days == [f"digest-2026-{d}" for d in ("11-30", "12-01", "12-02", "12-03", "12-04")]
    for day in days:
        of_day = [n.recipient for n in sent if n.case_code == day]
        assert sorted(of_day) == sorted(n.recipient for n in escalations)  # one each
    district = next(n for n in sent if n.recipient == "zhuanban@yushan.example")
    assert code in district.body and "督办汇总" in district.subject
    assert parse_iso(district.created_at).astimezone(CHINA_TZ).time() >= time(8, 30)
    # The timeline says what happened: escalated once by message, then in each day's digest.
    escalated = [e for e in view(api, LUDENG, code)["timeline"] if e["kind"] == "escalated"]
    assert len(escalated) == 6
    assert parse_iso(escalated[0]["at"]) >= deadline
    assert [bool(e["data"].get("digest")) for e in escalated] == [False] + [True] * 5


def test_a_digest_that_dies_half_way_is_completed_by_the_next_tick_without_repeats(
    api, wiring, robots, clock, monkeypatch
):
    code = whistled(api, wiring, robots)
    tick(wiring)
    clock.at = parse_iso(view(api, LUDENG, code)["deadline"])
    tick(wiring)  # the first escalation
    clock.at = datetime(2026, 11, 30, 8, 30, tzinfo=CHINA_TZ)  # Monday's digest
    store = wiring.notifications
    original = store.add_new
    calls = []

    def dies_at_the_third(message):
        calls.append(message.id)
        if len(calls) == 3:
            raise RuntimeError("the function timed out")
        return original(message)

    monkeypatch.setattr(store, "add_new", dies_at_the_third)
    assert tick(wiring)["errors"] == 1
    assert len(digests()) == 2
    monkeypatch.setattr(store, "add_new", original)
    assert tick(wiring)["digests"] == 3
    assert tick(wiring)["digests"] == 0
    assert len({n.id for n in digests()}) == len(digests()) == 5


def test_a_case_overdue_since_today_is_not_in_todays_digest(api, wiring, robots, clock):
    clock.at = datetime(2026, 11, 30, 8, 0, tzinfo=CHINA_TZ)  # Monday
    code = whistled(api, wiring, robots)
    tick(wiring)
    clock.at = parse_iso(view(api, LUDENG, code)["deadline"])
    tick(wiring)
    clock.at = clock.at + timedelta(hours=1)
    tick(wiring)
    assert clock.at.astimezone(CHINA_TZ).date().isoformat() == "2026-11-30"
    assert digests() == []
    clock.at = datetime(2026, 12, 1, 8, 29, tzinfo=CHINA_TZ)
    tick(wiring)
    assert digests() == []  # not before the configured time
    clock.at = datetime(2026, 12, 1, 8, 30, tzinfo=CHINA_TZ)
    tick(wiring)
    assert {n.case_code for n in digests()} == {"digest-2026-12-01"}


def test_an_unrated_resolved_case_closes_after_seven_days_and_its_phone_is_purged_later(
    api, wiring, robots, clock
):
    receipt = report(api)
    code = receipt["code"]
    ok(act(api, COMMUNITY, code, "local", by="grid"))
    ok(act(api, COMMUNITY, code, "resolve", note="网格员已协调修好"))
    clock.advance(days=6, hours=23)
    tick(wiring)
    assert resident_view(api, receipt)["status"] == "resolved"
    clock.advance(hours=1)
    tick(wiring)
    assert resident_view(api, receipt)["status"] == "closed"
    assert kinds(api, COMMUNITY, code)[-1] == "closed"

    clock.advance(days=180)
    tick(wiring)
    item = CaseItem.get(code)
    assert item.phone_cipher is None and item.phone_lookup is None
    assert item.phone_masked == "138****5678"
    assert kinds(api, COMMUNITY, code)[-1] == "phone_purged"
    assert item.timer_shard is None  # nothing left to do


def test_the_purge_waits_the_configured_number_of_days(api, wiring, robots, clock):
    import dataclasses

    from functions.core.services.rules import Rules

    wiring.__dict__["rules"] = Rules(wiring.registry, wiring.calendar, purge_after_days=30)
    for name in ("intake", "workflow", "dispatch"):
        wiring.__dict__.pop(name, None)
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "reject", reason="重复上报"))
    clock.advance(days=29)
    tick(wiring)
    assert CaseItem.get(code).phone_cipher
    clock.advance(days=1, seconds=1)
    tick(wiring)
    assert CaseItem.get(code).phone_cipher is None
    assert dataclasses.is_dataclass(wiring)


def test_two_ticks_at_once_send_every_notification_exactly_once(
    api, wiring, robots, one_aws_call_at_a_time
):
    codes = [whistled(api, wiring, robots) for _ in range(6)]
    before = len(emails())
    start = threading.Barrier(2)
    reports: list[dict] = []

    def run() -> None:
        start.wait()
        reports.append(tick(wiring))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["fired"] for r in reports) == 6
    dispatched_emails = [m for m in emails()[before:] if "【吹哨】" in m.subject]
    assert len(dispatched_emails) == 6
    robot_messages = [r for r in robots.received if "ludeng" in r[0]]
    assert len(robot_messages) == 6
    for code in codes:
        statuses = [n.status for n in NotificationItem.by_case.query(code)]
        assert statuses and set(statuses) == {"sent"}
        assert kinds(api, LUDENG, code).count("dispatched") == 1


def test_a_tick_that_dies_after_its_transaction_is_finished_by_the_next_one(api, wiring, robots):
    code = whistled(api, wiring, robots)
    report_of_first = dispatch.TickReport()
    dispatch.fire_timers(wiring.dispatch, report_of_first)  # …and the function dies here
    assert report_of_first.fired == 1
    assert {n.status for n in NotificationItem.by_case.query(code)} == {"pending"}

    second = tick(wiring)
    assert second["fired"] == 0 and second["sent"] >= 2
    third = tick(wiring)
    assert third["sent"] == 0
    assert len([r for r in robots.received if "ludeng" in r[0]]) == 1


def test_failures_are_retried_with_backoff_then_dead_and_flagged(api, wiring, robots, clock):
    code = whistled(api, wiring, robots)
    robots.failing = True
    tick(wiring)
    robot = next(n for n in NotificationItem.by_case.query(code) if n.channel == "webhook")
    assert robot.status == "pending" and robot.attempts == 1
    first_retry = parse_iso(robot.next_attempt_at)
    assert first_retry - clock.now() == timedelta(seconds=30)
    for expected_gap in (60, 120, 240):
        clock.at = parse_iso(NotificationItem.get(robot.id).next_attempt_at)
        tick(wiring)
        item = NotificationItem.get(robot.id)
        if item.status == "pending":
            assert parse_iso(item.next_attempt_at) - clock.now() == timedelta(seconds=expected_gap)
    clock.at = parse_iso(NotificationItem.get(robot.id).next_attempt_at)
    tick(wiring)
    dead = NotificationItem.get(robot.id)
    assert dead.status == "dead" and dead.attempts == dispatch.MAX_ATTEMPTS
    assert [n.id for n in wiring.notifications.dead()] == [robot.id]
    # The email of the same alert did not wait for the robot.
    email = next(n for n in NotificationItem.by_case.query(code) if n.channel == "email")
    assert email.status == "sent"
    robots.failing = False
    clock.advance(days=1)
    tick(wiring)
    assert NotificationItem.get(robot.id).status == "dead"  # never sent after being given up


def test_a_notification_whose_sender_stopped_mid_send_is_flagged_never_resent(
    api, wiring, robots, clock
):
    code = whistled(api, wiring, robots)
    dispatch.fire_timers(wiring.dispatch, dispatch.TickReport())
    robot = next(n for n in NotificationItem.by_case.query(code) if n.channel == "webhook")
    outgoing = next(o for o in wiring.notifications.pending(clock.now(), 100) if o.id == robot.id)
    assert wiring.notifications.lease(outgoing, clock.now(), clock.now() + dispatch.SEND_LEASE)
    # …the sender dies here, between taking the message and recording the outcome.
    clock.advance(seconds=dispatch.SEND_LEASE.total_seconds() + 1)
    tick(wiring)
    item = NotificationItem.get(robot.id)
    assert item.status == "dead" and item.last_error.startswith("uncertain")
    assert not [r for r in robots.received if "ludeng" in r[0]]


def test_robots_get_at_most_20_messages_a_minute_and_the_rest_wait(api, wiring, robots, clock):
    codes = [whistled(api, wiring, robots) for _ in range(23)]
    tick(wiring)
    to_ludeng = [r for r in robots.received if "ludeng" in r[0]]
    assert len(to_ludeng) == 20
    waiting = [
        n
        for c in codes
        for n in NotificationItem.by_case.query(c)
        if n.channel == "webhook" and n.status == "pending"
    ]
    assert len(waiting) == 3 and all(n.attempts == 0 for n in waiting)
    clock.advance(minutes=1)
    tick(wiring)
    assert len([r for r in robots.received if "ludeng" in r[0]]) == 23


def test_the_due_index_is_queried_never_scanned(api, wiring, robots, aws_calls):
    whistled(api, wiring, robots)
    aws_calls.clear()
    tick(wiring)
    operations = aws_calls.of("dynamodb")
    assert "Scan" not in operations
    assert operations.count("Query") >= 4  # one per shard of the due index (and the outbox)


def test_a_staff_action_between_lease_and_save_wins_over_the_tick(api, wiring, robots, clock):
    code = whistled(api, wiring, robots)
    store: DynamoCaseStore = wiring.cases
    [(_, timer_at)] = [d for d in store.due(clock.now(), 10) if d[0] == code]
    leased = store.lease(code, timer_at, clock.now() + dispatch.CASE_LEASE, clock.now())
    assert leased is not None
    # A second tick cannot take the same case while the lease lives.
    assert store.lease(code, timer_at, clock.now() + dispatch.CASE_LEASE, clock.now()) is None
    ok(act(api, DISTRICT, code, "chase", note="请尽快处理"))  # a person acts meanwhile
    leased.on_timer(clock.now(), wiring.rules.policy(leased.category))
    with pytest.raises(Conflict):
        store.save(leased, [], clock.now())
    assert kinds(api, DISTRICT, code)[-1] == "chased"
    tick(wiring)  # the timer is still due: the next tick fires it, once
    assert kinds(api, DISTRICT, code).count("dispatched") == 1


def test_the_retention_purge_deletes_the_reports_and_the_resolutions_photos(
    api, wiring, robots, clock
):
    import uuid

    import boto3

    from tests.images import photo
    from tests.integration.test_intake_api import post_case, upload_photo
    from tests.integration.test_intake_api import report as report_body

    def objects(code: str) -> list[str]:
        s3 = boto3.client("s3")
        listed = s3.list_objects_v2(Bucket=wiring.settings.photo_bucket, Prefix="cases/")
        return [o["Key"] for o in listed.get("Contents", []) if o["Key"] in keys]

    key = uuid.uuid4().hex
    staged = upload_photo(api, key, photo())
    filed = post_case(api, report_body(photos=[staged]), key=key)
    assert filed.status_code == 201, filed.body
    code = json.loads(filed.body)["code"]
    ok(act(api, DISTRICT, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    upload_key = uuid.uuid4().hex
    staged = upload_photo(api, upload_key, photo())
    ok(act(api, LUDENG, code, "resolve", note="已更换灯泡", photos=[staged], upload_key=upload_key))
    keys = wiring.cases.get(code).photo_keys()
    assert len(objects(code)) == 2
    clock.advance(days=7, hours=1)
    tick(wiring)  # closed unrated
    clock.advance(days=179)
    tick(wiring)
    assert len(objects(code)) == 2  # the retention has not ended yet
    clock.advance(days=1, hours=1)
    assert tick(wiring)["errors"] == 0
    assert objects(code) == []
    case = view(api, DISTRICT, code)
    assert case["photos"] == [] and case["resolution"]["photos"] == []
    assert kinds(api, DISTRICT, code)[-1] == "phone_purged"
    tick(wiring)  # nothing left to do, nothing fails
