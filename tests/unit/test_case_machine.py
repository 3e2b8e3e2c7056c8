"""The case state machine, driven by random sequences of actions (hypothesis): no illegal
transition is accepted, a refused action changes nothing, the timeline accounts for every
change, and deadlines never precede the start of their stage."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from functions.core.domain.calendar import WorkCalendar
from functions.core.domain.cases import (
    OPEN,
    Actor,
    Case,
    NewReport,
    Policy,
    Satisfaction,
    SealedPhone,
    Stage,
    Status,
    TimerKind,
)
from functions.core.domain.errors import DomainError
from functions.core.domain.messages import OPTIONAL_SMS_CAP, SMS_TEMPLATES
from tests.fakes import sample_registry

REGISTRY = sample_registry()
CATEGORY = REGISTRY.categories["street_light"]
POLICY = Policy(calendar=WorkCalendar(), limits=CATEGORY.limits)
COMMUNITY = Actor("community", "community.c01")
CLERK = Actor("department", "department.ludeng")
DISTRICT = Actor("district", "district.admin")

# Which statuses each action may start from (written out here, not read from the code).
ALLOWED = {
    "reject": {Status.SUBMITTED},
    "merge": {Status.SUBMITTED},
    "local": {Status.SUBMITTED},
    "whistle": {Status.SUBMITTED},
    "dispatch": {Status.WHISTLED},
    "claim": {Status.DISPATCHED},
    "return": {Status.DISPATCHED, Status.CLAIMED},
    "extension": {Status.CLAIMED},
    "decide": {Status.CLAIMED},
    "resolve": {Status.CLAIMED, Status.LOCAL},
    "rate": {Status.RESOLVED},
    "chase": set(OPEN),
}
RESULT = {
    "reject": {Status.REJECTED},
    "merge": {Status.MERGED},
    "local": {Status.LOCAL},
    "whistle": {Status.WHISTLED},
    "dispatch": {Status.DISPATCHED},
    "claim": {Status.CLAIMED},
    "return": {Status.SUBMITTED},
    "resolve": {Status.RESOLVED},
    "rate": {Status.CLOSED, Status.CLAIMED, Status.LOCAL},
}


def new_case(at: datetime) -> Case:
    report = NewReport("street_light", "x001", "3栋", "路灯坏了很久了", "13812345678", True)
    return Case.report(
        code="YS-2611-27-0001",
        report=report,
        category=CATEGORY,
        compound=REGISTRY.compounds["x001"],
        registry=REGISTRY,
        phone=SealedPhone("sealed", "lookup", "138****5678"),
        photos=(),
        token_hash="h",
        at=at,
        policy=POLICY,
    )


class CaseLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
        self.case = new_case(self.now)
        self.timeline = list(self.case.new_events)
        self.case.new_events.clear()

    def attempt(self, name: str, action) -> None:  # type: ignore[no-untyped-def]
        before = copy.deepcopy(self.case)
        status = self.case.status
        try:
            action()
        except DomainError:
            # Refused: nothing changed, nothing recorded.
            assert self.case == before
            return
        assert status in ALLOWED[name], f"{name} accepted from {status}"
        if name in RESULT:
            assert self.case.status in RESULT[name]
        assert self.case.new_events, f"{name} changed the case without an event"
        self.timeline.extend(self.case.new_events)
        self.case.new_events.clear()
        self.case.notices.clear()

    @rule(minutes=st.integers(min_value=0, max_value=6 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(reason=st.sampled_from(["不属于受理范围", "", "  "]))
    def reject(self, reason: str) -> None:
        self.attempt("reject", lambda: self.case.reject(COMMUNITY, reason, self.now, POLICY))

    @rule(into=st.sampled_from(["YS-2611-27-0002", "YS-2611-27-0001"]))
    def merge(self, into: str) -> None:
        self.attempt("merge", lambda: self.case.merge(COMMUNITY, into, self.now, POLICY))

    @rule(by=st.sampled_from(["community", "property", "grid", "mayor"]))
    def handle_locally(self, by: str) -> None:
        self.attempt(
            "local", lambda: self.case.handle_locally(COMMUNITY, by, None, self.now, POLICY)
        )

    @rule(co=st.lists(st.sampled_from(["chengguan", "ludeng", "zhujian"]), max_size=2))
    def whistle(self, co: list[str]) -> None:
        self.attempt(
            "whistle",
            lambda: self.case.whistle(COMMUNITY, "ludeng", tuple(co), None, self.now, POLICY),
        )

    @rule()
    def dispatch(self) -> None:
        self.attempt("dispatch", lambda: self.case.dispatch(self.now, POLICY))

    @rule()
    def claim(self) -> None:
        self.attempt("claim", lambda: self.case.claim(CLERK, self.now, POLICY))

    @rule(reason=st.sampled_from(["不是本部门职责", ""]))
    def return_it(self, reason: str) -> None:
        self.attempt("return", lambda: self.case.return_to_triage(CLERK, reason, self.now, POLICY))

    @rule(days=st.integers(min_value=0, max_value=40))
    def ask_for_time(self, days: int) -> None:
        self.attempt(
            "extension",
            lambda: self.case.request_extension(CLERK, days, "需要采购灯具", self.now, POLICY),
        )

    @rule(approve=st.booleans())
    def decide(self, approve: bool) -> None:
        self.attempt(
            "decide", lambda: self.case.decide_extension(DISTRICT, approve, None, self.now, POLICY)
        )

    @rule(note=st.sampled_from(["已更换灯泡", ""]))
    def resolve(self, note: str) -> None:
        self.attempt("resolve", lambda: self.case.resolve(CLERK, note, (), self.now, POLICY))

    @rule(resolved=st.booleans(), satisfaction=st.sampled_from(list(Satisfaction)))
    def rate(self, resolved: bool, satisfaction: Satisfaction) -> None:
        self.attempt("rate", lambda: self.case.rate(resolved, satisfaction, None, self.now, POLICY))

    @rule()
    def chase(self) -> None:
        self.attempt("chase", lambda: self.case.chase(DISTRICT, "请尽快", self.now))

    @precondition(lambda self: self.case.timer is not None)
    @rule()
    def timer_fires(self) -> None:
        timer = self.case.timer
        assert timer is not None
        self.now = max(self.now, timer.at)
        status = self.case.status
        fired = self.case.on_timer(self.now, POLICY)
        assert fired
        if timer.kind is TimerKind.DISPATCH:
            assert status is Status.WHISTLED and self.case.status is Status.DISPATCHED
        elif timer.kind is TimerKind.AUTO_CLOSE:
            assert status is Status.RESOLVED and self.case.status is Status.CLOSED
        else:
            assert self.case.status is status
        self.timeline.extend(self.case.new_events)
        self.case.new_events.clear()
        self.case.notices.clear()

    @invariant()
    def the_timeline_accounts_for_every_change(self) -> None:
        assert [e.seq for e in self.timeline] == list(range(len(self.timeline)))
        assert self.case.event_count == len(self.timeline)
        assert self.timeline[-1].status_after is self.case.status
        for earlier, later in zip(self.timeline, self.timeline[1:], strict=False):
            assert later.status_before is earlier.status_after
            assert later.at >= earlier.at

    @invariant()
    def deadlines_never_precede_their_start(self) -> None:
        if self.case.deadline is not None:
            assert self.case.stage_started is not None
            assert self.case.deadline >= self.case.stage_started
        if self.case.timer is not None and self.case.stage in (
            Stage.TRIAGE,
            Stage.CLAIM,
            Stage.RESOLVE,
        ):
            assert self.case.stage_started is not None
            assert self.case.timer.at >= self.case.stage_started

    @invariant()
    def an_unfinished_case_always_has_a_next_timer(self) -> None:
        # Every state has a next moment to act on, until the retention purge ends it.
        if self.case.phone.ciphertext:
            assert self.case.timer is not None, self.case.status

    @invariant()
    def a_resident_gets_each_essential_sms_once_and_at_most_five_in_all(self) -> None:
        told = self.case.resident_told
        essential = [t for t in told if SMS_TEMPLATES[t].essential]
        assert len(essential) == len(set(essential)) <= 2, told
        assert len(told) - len(essential) <= OPTIONAL_SMS_CAP
        assert len(told) <= 5

    @invariant()
    def only_the_handler_is_recorded_for_open_department_work(self) -> None:
        if self.case.status is Status.CLAIMED:
            assert self.case.handler == CLERK.id


CaseLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_case_lifecycle = CaseLifecycle.TestCase


def test_the_resident_rating_not_resolved_reopens_and_is_counted():
    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
    case = new_case(at)
    case.whistle(COMMUNITY, "ludeng", (), None, at, POLICY)
    case.dispatch(at, POLICY)
    case.claim(CLERK, at, POLICY)
    case.resolve(CLERK, "已修好", (), at, POLICY)
    case.rate(False, Satisfaction.NOT, "还是不亮", at, POLICY)
    assert case.status is Status.CLAIMED and case.reopen_count == 1
    assert [e.kind for e in case.new_events][-2:] == ["rated", "reopened"]


def test_the_phone_can_be_revealed_only_by_the_handler():
    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
    case = new_case(at)
    case.whistle(COMMUNITY, "ludeng", (), None, at, POLICY)
    case.dispatch(at, POLICY)
    case.claim(CLERK, at, POLICY)
    with pytest.raises(DomainError):
        case.reveal_phone(Actor("department", "department.other"), at)
    case.reveal_phone(CLERK, at)
    assert case.new_events[-1].kind == "phone_revealed"


def test_a_published_summary_changes_no_status_and_replaces_the_last_one():
    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
    case = new_case(at)
    case.reject(COMMUNITY, "属于户内维修", at, POLICY)
    case.publish_summary(COMMUNITY, "  小区北门一盏路灯不亮  ", at)
    case.publish_summary(DISTRICT, "小区北门两盏路灯不亮", at)
    assert case.status is Status.REJECTED and case.public_summary == "小区北门两盏路灯不亮"
    assert [e.kind for e in case.new_events][-2:] == ["published", "published"]
    assert case.new_events[-1].note == "小区北门两盏路灯不亮"
    with pytest.raises(DomainError):
        case.publish_summary(COMMUNITY, "   ", at)
    assert case.public_summary == "小区北门两盏路灯不亮"


def test_only_the_first_escalation_asks_for_messages_the_later_ones_ride_the_daily_digest():
    from functions.core.domain.clock import CHINA_TZ

    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")  # Friday 10:00 China
    case = new_case(at)
    case.whistle(COMMUNITY, "ludeng", (), None, at, POLICY)
    case.dispatch(at, POLICY)
    while case.timer is not None and case.timer.kind.value != "escalate":
        case.on_timer(case.timer.at, POLICY)
    case.notices.clear()
    assert case.timer is not None
    case.on_timer(case.timer.at, POLICY)  # the limit passed: the district and the department
    assert [(n.audience, n.template) for n in case.notices] == [
        ("district", "escalated"),
        ("department", "escalated"),
    ]
    # Next: Monday's digest (the weekend is skipped), at the digest time, with no message.
    assert case.timer is not None
    assert case.timer.at == datetime(2026, 11, 30, 8, 30, tzinfo=CHINA_TZ)
    case.notices.clear()
    case.on_timer(case.timer.at, POLICY)
    assert case.notices == []
    last = case.new_events[-1]
    assert last.kind == "escalated" and last.data["times"] == 2 and last.data["digest"] is True
    assert case.timer.at == datetime(2026, 12, 1, 8, 30, tzinfo=CHINA_TZ)


def test_an_internal_note_is_recorded_and_asks_for_no_message():
    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
    case = new_case(at)
    status = case.status
    case.add_note(COMMUNITY, "  住户白天不在家  ", at)
    assert case.status is status and case.notices == []
    assert (case.new_events[-1].kind, case.new_events[-1].note) == (
        "internal_note",
        "住户白天不在家",
    )
    with pytest.raises(DomainError):
        case.add_note(COMMUNITY, "   ", at)
