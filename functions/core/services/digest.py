"""督办汇总: once a working day, each recipient of escalations is told of everything still
overdue in their scope, in one message — instead of one message a case a day.

A case's first escalation goes out at once (domain/cases.py); from the next working day it is
listed in the digest: the district's lists every overdue case, a department's those overdue
at its stage (claim, resolve), a community's those overdue at its own (triage, handled
locally) — the same people its first escalation told.

The digest is written to the outbox like every message, under an id derived from the day,
the scope and the recipient, each with a write that fails when the id exists: two ticks that
overlap, or a tick that runs again after dying half-way, store (and so send) each digest once
and lose none. When every digest of the day is stored, a marker says so, so the ticks after
it read one item and nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from ..domain.cases import OPEN, Case
from ..domain.clock import CHINA_TZ, Clock
from ..domain.registry import Registry, Webhook
from ..ports import CaseStore, MessageChannel, Notification, NotificationStore, RegistrySource
from .rules import Rules

DIGESTS = uuid.UUID("0b6f3f0e-6c1e-4f57-9a55-3d1f8e2b7c40")  # namespace of digest ids
TEMPLATE = "escalation_digest"
OVERDUE_READ = 2000  # the live overdue list is read whole; far above a district's backlog
STAGE_NAMES = {"triage": "分拨", "claim": "认领", "resolve": "办结"}


@dataclass(frozen=True)
class DigestDeps:
    clock: Clock
    cases: CaseStore
    notifications: NotificationStore
    registry: RegistrySource
    rules: Rules
    public_url: str


class Scope(NamedTuple):
    """Whose digest: ("district", id), ("department", id) or ("community", id)."""

    kind: str
    id: str


def send_digests(deps: DigestDeps) -> int:
    """Store today's digests once it is time (a working day, past the configured hour);
    the number stored by this call (0 when they were stored already)."""
    now = deps.clock.now()
    local = now.astimezone(CHINA_TZ)
    calendar = deps.rules.calendar.current()
    if not calendar.is_working_day(local.date()) or local.time() < deps.rules.digest_at:
        return 0
    day = local.date()
    if deps.notifications.digest_sent(day.isoformat()):
        return 0
    registry = deps.registry.current()
    overdue = [c for c in deps.cases.overdue(OVERDUE_READ) if in_digest(c, day)]
    stored = 0
    for scope, cases in by_scope(overdue, registry.district.id).items():
        for message in _messages(scope, cases, registry, day, now, deps.public_url):
            stored += deps.notifications.add_new(message)
    deps.notifications.mark_digest_sent(day.isoformat(), now)
    return stored


def in_digest(case: Case, day: date) -> bool:
    """Still overdue, and overdue since before `day` (China): a case that went overdue today
    was escalated today by a message of its own."""
    return (
        case.status in OPEN
        and case.overdue
        and case.deadline is not None
        and case.deadline.astimezone(CHINA_TZ).date() < day
    )


def by_scope(cases: list[Case], district: str) -> dict[Scope, list[Case]]:
    """The district sees every case; the owner of each case's stage sees its own."""
    scopes: dict[Scope, list[Case]] = {}
    for case in sorted(cases, key=lambda c: (c.deadline, c.code)):
        owner = (
            Scope("department", case.department)
            if case.stage_owner() == "department" and case.department
            else Scope("community", case.community)
        )
        for scope in (Scope("district", district), owner):
            scopes.setdefault(scope, []).append(case)
    return scopes


def _messages(
    scope: Scope, cases: list[Case], registry: Registry, day: date, now: datetime, site: str
) -> list[Notification]:
    email: str | None
    webhook: Webhook | None
    department = None
    heads: list[str] = []
    if scope.kind == "district":
        name, email, webhook = (
            registry.district.name,
            registry.district.email,
            registry.district.webhook,
        )
    elif scope.kind == "department":
        unit = registry.departments.get(scope.id)
        if unit is None:
            return []
        name, email, webhook, department = unit.name, unit.email, unit.webhook, unit.id
        heads = [unit.head_email] if unit.head_email else []
    else:
        place = registry.communities.get(scope.id)
        if place is None:
            return []
        name, email, webhook = place.name, place.email, place.webhook
    subject = f"【督办汇总】{name}：{len(cases)}件工单仍超期（{day.month}月{day.day}日）"
    body = _body(name, cases, registry, now, site)
    recipients: list[tuple[MessageChannel, str, str, str | None]] = []
    if webhook is not None:
        recipients.append(
            (MessageChannel.WEBHOOK, webhook.url, f"{webhook.kind} 机器人", webhook.kind)
        )
    recipients += [
        (MessageChannel.EMAIL, address, address, None) for address in [email, *heads] if address
    ]
    return [
        Notification(
            id=uuid.uuid5(DIGESTS, f"{day.isoformat()}|{scope.kind}:{scope.id}|{recipient}").hex,
            case_code=f"digest-{day.isoformat()}",
            channel=channel,
            recipient=recipient,
            recipient_display=display,
            template=TEMPLATE,
            subject=subject,
            body=body,
            created_at=now,
            department=department,
            webhook_kind=kind,
            link=f"{site.rstrip('/')}/#/staff",
        )
        for channel, recipient, display, kind in recipients
    ]


def _body(name: str, cases: list[Case], registry: Registry, now: datetime, site: str) -> str:
    lines = [
        f"{name}：",
        f"截至{now.astimezone(CHINA_TZ):%Y年%m月%d日 %H:%M}，以下{len(cases)}件工单超过期限仍未办结，请抓紧办理：",
    ]
    for number, case in enumerate(cases, start=1):
        category = registry.categories.get(case.category)
        community = registry.communities.get(case.community)
        compound = registry.compounds.get(case.compound)
        department = registry.departments.get(case.department or "")
        place = f"{community.name if community else ''}{compound.name if compound else ''}"
        assert case.deadline is not None  # in_digest
        deadline = case.deadline.astimezone(CHINA_TZ)
        stage = STAGE_NAMES.get(case.stage.value if case.stage else "", "办理")
        late = now - case.deadline
        days = late.days
        lines.append(
            f"{number}. {case.code} {place} {category.name if category else case.category}"
            f"{'（' + department.name + '）' if department else ''}："
            f"{stage}期限{deadline.month}月{deadline.day}日{deadline:%H:%M}，"
            f"已超{days}天{late.seconds // 3600}小时，第{case.escalations}次督办"
        )
    lines.append(f"请登录工作台办理：{site.rstrip('/')}/#/staff")
    return "\n".join(lines)
