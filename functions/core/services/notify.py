"""From what a transition asks for (Notice) to the messages that will be sent (Notification).

Departments are alerted by work-chat robot and email; SMS costs the most and goes only to
departments the district configured for it, and to residents at most five times per case (the
essential messages once each, the others capped and the resident may opt out of them: see
`Case._tell_resident`); each resident SMS links to the case. Messages are in Simplified Chinese. An SMS is one of
the registered templates of domain/messages.py with its parameters, and carries no signature:
the provider adds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..domain.cases import Case, Notice, SealedPhone
from ..domain.clock import CHINA_TZ, IdSource, parse_iso
from ..domain.followers import MAX_TOLD_FOLLOWERS, Follower
from ..domain.messages import SMS_TEMPLATES
from ..domain.registry import Registry, Webhook
from ..ports import CaseStore, IdempotencyRecord, MessageChannel, Notification, PhoneVault
from .passes import action_link
from .residents import case_link, follower_link

STAGE_NAMES = {"triage": "分拨", "claim": "认领", "resolve": "办结"}
# What each staff alert is, in a word: the head of its subject and of a department's SMS.
ALERT_KINDS = {
    "dispatched": "吹哨",
    "dispatched_co": "协同",
    "reminder": "提醒",
    "escalated": "督办",
    "chased": "催办",
    "extension_requested": "延期申请",
    "extension_approved": "延期已批准",
    "extension_denied": "延期未批准",
    "returned": "退单",
    "reopened": "重办",
}


@dataclass(frozen=True)
class Messenger:
    ids: IdSource
    vault: PhoneVault
    public_url: str
    signing_key: bytes

    def notifications(
        self,
        case: Case,
        registry: Registry,
        now: datetime,
        followers: Sequence[Follower] = (),
    ) -> list[Notification]:
        """The messages the case's notices ask for. A resident notice goes to the reporter and
        to each of `followers` their own cap allows (it counts the message on the follower,
        who must then be stored with the messages)."""
        out: list[Notification] = []
        site = self.public_url.rstrip("/")
        for notice in case.notices:
            text = _Text(case, registry, site, case_link(self.vault, case.code))
            subject, body = text.render(notice.template, notice)
            draft = _Draft(self.ids, case, notice, now, subject, body, text, tuple(followers))
            audience = {
                "resident": self._resident,
                "department": self._department,
                "co_department": self._department,
                "community": self._community,
                "district": self._district,
            }.get(notice.audience)
            out.extend(audience(draft, registry) if audience else [])
        return out

    # -- audiences ---------------------------------------------------------------------------

    def _resident(self, draft: _Draft, registry: Registry) -> list[Notification]:
        """The reporter (unless purged, or none was left) and every follower who may be told."""
        template = draft.notice.template
        recipients = [(draft.case.phone, True)] if draft.case.phone.ciphertext else []
        recipients += [(f.phone, False) for f in draft.followers if f.tell(template)]
        messages = []
        for phone, reporter in recipients:
            text = _Text(draft.case, registry, draft.text.site, self._link(draft, phone, reporter))
            messages.append(draft.sms(template, phone.ciphertext, phone.masked, text=text))
        return messages

    def _link(self, draft: _Draft, phone: SealedPhone, reporter: bool) -> str:
        """Each resident's own link: the reporter's opens the case as its reporter, a
        follower's as a follower; a merged case's message opens the case it joined, which
        its reporter and followers now follow."""
        into = draft.notice.data.get("into") if draft.notice.template == "resident_merged" else None
        if into:
            return follower_link(self.vault, into, phone.lookup)
        if reporter:
            return case_link(self.vault, draft.case.code)
        return follower_link(self.vault, draft.case.code, phone.lookup)

    def _department(self, draft: _Draft, registry: Registry) -> list[Notification]:
        department = registry.departments.get(draft.notice.department or "")
        if department is None:
            return []
        link: str | None = None
        body = draft.body
        if draft.notice.audience == "department":  # co-departments are informed; the lead acts
            link = action_link(
                self.public_url, self.signing_key, draft.case.code, department.id, draft.now
            )
            body = f"{body}\n\n办理链接（7天内有效）：{link}"
        messages = draft.contacts(
            department.email, department.webhook, body=body, link=link, department=department.id
        )
        if department.sms_alerts and department.phone:
            sealed = self.vault.seal_phone(department.phone).ciphertext
            messages.append(
                draft.sms("department_alert", sealed, f"{department.name}（短信）", department.id)
            )
        if draft.notice.template == "escalated" and department.head_email:
            head = department.head_email
            messages.append(
                draft.message(
                    MessageChannel.EMAIL, head, head, body=body, link=link, department=department.id
                )
            )
        return messages

    def _community(self, draft: _Draft, registry: Registry) -> list[Notification]:
        community = registry.communities.get(draft.case.community)
        if community is None:
            return []
        return draft.contacts(community.email, community.webhook)

    def _district(self, draft: _Draft, registry: Registry) -> list[Notification]:
        district = registry.district
        return draft.contacts(district.email, district.webhook, department=draft.notice.department)


def store_transition(
    cases: CaseStore,
    messenger: Messenger,
    case: Case,
    registry: Registry,
    now: datetime,
    record: IdempotencyRecord | None = None,
    *,
    followers: Sequence[Follower] = (),
    others: Sequence[Case] = (),
) -> None:
    """Store what a transition did with every message it asks for, in one transaction: a
    resident notice fans out to the case's followers too (read only when the case has some
    and tells its residents something), each follower's count kept with its message — so a
    rerun sends nothing twice and a crash loses nothing. `followers` and `others` are
    followers and cases the action itself added or changed."""
    audience: list[Follower] = []
    if case.followers + case.merged_in and any(n.audience == "resident" for n in case.notices):
        audience = cases.followers(case.code, MAX_TOLD_FOLLOWERS)
    before = {f.phone.lookup: f.told for f in audience}
    notifications = messenger.notifications(case, registry, now, audience)
    told = [f for f in audience if f.told != before[f.phone.lookup]]
    cases.save(case, notifications, now, record, followers=[*followers, *told], others=others)


@dataclass(frozen=True)
class _Draft:
    """One notice's rendered text, made into messages for each of its recipients."""

    ids: IdSource
    case: Case
    notice: Notice
    now: datetime
    subject: str
    body: str
    text: _Text
    followers: tuple[Follower, ...] = ()

    def sms(
        self,
        template: str,
        sealed_phone: str,
        display: str,
        department: str | None = None,
        text: _Text | None = None,
    ) -> Notification:
        """One of the registered SMS templates with its parameters; the body is its text."""
        params = (text or self.text).sms_params(template, self.notice)
        return self.message(
            MessageChannel.SMS,
            sealed_phone,
            display,
            template=template,
            params=params,
            subject="",
            body=SMS_TEMPLATES[template].render(params),
            department=department,
        )

    def message(
        self,
        channel: MessageChannel,
        recipient: str,
        display: str,
        *,
        template: str | None = None,
        params: dict[str, str] | None = None,
        subject: str | None = None,
        body: str | None = None,
        link: str | None = None,
        department: str | None = None,
        webhook_kind: str | None = None,
    ) -> Notification:
        return Notification(
            id=self.ids.uuid(),
            case_code=self.case.code,
            channel=channel,
            recipient=recipient,
            recipient_display=display,
            template=self.notice.template if template is None else template,
            params=params or {},
            subject=self.subject if subject is None else subject,
            body=self.body if body is None else body,
            created_at=self.now,
            department=department,
            webhook_kind=webhook_kind,
            link=link,
        )

    def contacts(
        self,
        email: str | None,
        webhook: Webhook | None,
        *,
        body: str | None = None,
        link: str | None = None,
        department: str | None = None,
    ) -> list[Notification]:
        """The robot first (it is read fastest), then the mailbox."""
        messages = []
        if webhook is not None:
            messages.append(
                self.message(
                    MessageChannel.WEBHOOK,
                    webhook.url,
                    f"{webhook.kind} 机器人",
                    body=body,
                    link=link,
                    department=department,
                    webhook_kind=webhook.kind,
                )
            )
        if email:
            messages.append(
                self.message(
                    MessageChannel.EMAIL, email, email, body=body, link=link, department=department
                )
            )
        return messages


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M")


def _short_when(text: str | None) -> str:
    """12月8日17:30: short enough for a template parameter."""
    if not text:
        return "—"
    moment = parse_iso(text).astimezone(CHINA_TZ)
    return f"{moment.month}月{moment.day}日{moment:%H:%M}"


def _clip(text: str, limit: int = 30) -> str:
    """A template parameter holds at most 35 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Text:
    """The Chinese text of each template."""

    def __init__(self, case: Case, registry: Registry, site: str = "", link: str = "") -> None:
        self.case = case
        self.site = site
        self.link = link
        category = registry.categories.get(case.category)
        compound = registry.compounds.get(case.compound)
        community = registry.communities.get(case.community)
        department = registry.departments.get(case.department or "")
        self.category = category.name if category else case.category
        self.place = f"{community.name if community else ''}{compound.name if compound else ''}"
        self.department = department.name if department else ""
        self.stage = STAGE_NAMES.get(case.stage.value if case.stage else "", "办理")
        self.deadline = _when(case.deadline)
        self.estimate = "（按周末和固定节假日估算）" if case.deadline_estimated else ""

    def sms_params(self, template: str, notice: Notice) -> dict[str, str]:
        """The parameters of an SMS template (domain/messages.py) for this case."""
        code = self.case.code
        data = notice.data
        if template == "department_alert":
            return {
                "kind": ALERT_KINDS.get(notice.template, "吹哨"),
                "place": self.place,
                "category": self.category,
                "code": code,
            }
        params = {"code": code, "site": self.site, "link": self.link}
        extra = {
            "resident_whistled": {
                "category": self.category,
                "department": _clip(self.department),
                "by": _short_when(data.get("by")),
            },
            "resident_extended": {"by": _short_when(data.get("by"))},
            "resident_merged": {"into": data.get("into", "")},
            "resident_rejected": {"reason": _clip(data.get("reason", ""))},
        }
        return {**params, **extra.get(template, {})}

    def render(self, template: str, notice: Notice | None = None) -> tuple[str, str]:
        case = self.case
        head = f"{self.place}：{self.category}（工单 {case.code}）"

        def subject(template: str) -> str:
            return f"【{ALERT_KINDS[template]}】{head}"

        details = (
            f"问题：{self.category}{'（紧急）' if case.urgent else ''}\n"
            f"地点：{self.place} {case.address}\n"
            f"描述：{case.description}"
        )
        if case.residents_waiting > 1:  # 联名: how many residents wait on this one problem
            details += f"\n联名：{case.residents_waiting} 位居民反映了这个问题，正在等待办理。"
        texts = {
            "dispatched": (
                subject("dispatched"),
                f"{self.department}：\n社区就以下问题向贵单位“吹哨”，请于{self.deadline}{self.estimate}前认领。\n{details}",
            ),
            "dispatched_co": (
                subject("dispatched_co"),
                f"社区就以下问题“吹哨”，牵头单位为{self.department}，请贵单位协同办理。\n{details}",
            ),
            "reminder": (
                subject("reminder"),
                f"工单{case.code}的{self.stage}期限为{self.deadline}{self.estimate}，即将到期，请抓紧办理。\n{details}",
            ),
            "escalated": (
                subject("escalated"),
                f"工单{case.code}已超过{self.stage}期限（{self.deadline}），已第{case.escalations}次督办，请立即办理。\n{details}",
            ),
            "chased": (
                subject("chased"),
                f"区专班对工单{case.code}进行催办，请尽快办理。\n{details}",
            ),
            "extension_requested": (
                subject("extension_requested"),
                f"{self.department}申请延期：{(case.extension or {}).get('days', '')}个工作日，"
                f"理由：{(case.extension or {}).get('reason', '')}。请在专班工作台审批。",
            ),
            "extension_approved": (
                subject("extension_approved"),
                f"工单{case.code}的延期申请已批准，新的办结期限为{self.deadline}。",
            ),
            "extension_denied": (
                subject("extension_denied"),
                f"工单{case.code}的延期申请未获批准，请按原期限{self.deadline}办结。",
            ),
            "returned": (
                subject("returned"),
                f"部门退回了工单{case.code}，请重新分拨。\n{details}",
            ),
            "reopened": (
                subject("reopened"),
                f"居民评价工单{case.code}“未解决”，请重新办理，期限{self.deadline}。\n{details}",
            ),
        }
        if template in SMS_TEMPLATES:
            return "", SMS_TEMPLATES[template].render(
                self.sms_params(template, notice or Notice("resident", template))
            )
        return texts.get(template, (f"【吹哨】{head}", details))
