"""The case (工单): one reported problem, its state and its timeline of events.

Every change to a case is an event appended to its timeline; the timeline is the audit log
and the only input of the metrics. Each transition is a method that checks it is allowed from
the current state (an illegal one raises IllegalTransition, a 409), records its event, moves
the case's clock (stage, deadline, next timer) and asks for the notifications it implies.

    submitted ──triage──▶ rejected | merged | local | whistled
    whistled ──dispatch job──▶ dispatched
    dispatched ──department──▶ claimed | returned (→ submitted)
    claimed ──department──▶ resolved        extension asked → district approves / denies
    local ──community──▶ resolved
    resolved ──resident──▶ closed (rated) | reopened (→ claimed / local)
    resolved ──7 days without rating──▶ closed (unrated)
    submitted ──resident──▶ withdrawn (撤回, before it is whistled; counted in no rate)

Residents who report the same problem follow the case (followers, kept beside it: see
domain/followers.py); "residents waiting" is the reporter, the followers and the cases merged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from .calendar import WorkCalendar
from .errors import Conflict, RateLimited, invalid
from .messages import OPTIONAL_SMS_CAP, RESIDENT_SMS, SMS_TEMPLATES
from .registry import Category, Compound, Limits, Registry, TimeLimit


class Status(StrEnum):
    SUBMITTED = "submitted"  # 待分拨: awaiting community triage
    REJECTED = "rejected"  # 不予受理
    MERGED = "merged"  # 合并: a duplicate of another case
    LOCAL = "local"  # 社区/物业/网格 自办: handled locally
    WHISTLED = "whistled"  # 吹哨: referred to a department, alert pending
    DISPATCHED = "dispatched"  # 派单: department alerted, claim clock running
    CLAIMED = "claimed"  # 认领: department accepted
    RESOLVED = "resolved"  # 办结: reported fixed, awaiting the resident's rating
    CLOSED = "closed"  # 关闭: rated, or unrated after 7 days
    WITHDRAWN = "withdrawn"  # 撤回: the resident withdrew it before it was whistled


FINAL = {Status.REJECTED, Status.MERGED, Status.CLOSED, Status.WITHDRAWN}
OPEN = {
    Status.SUBMITTED,
    Status.LOCAL,
    Status.WHISTLED,
    Status.DISPATCHED,
    Status.CLAIMED,
}
# A case residents may still join ("me too", or by a merge): open, or resolved and awaiting
# the rating (the problem may still be there).
FOLLOWABLE = OPEN | {Status.RESOLVED}
URGE_EVERY = timedelta(days=1)


class Channel(StrEnum):
    RESIDENT = "resident"
    GRID = "grid"
    PROPERTY = "property"
    OPEN311 = "open311"
    CAMPAIGN = "campaign"  # entered by community staff for a campaign (专项行动), often in a batch


class Stage(StrEnum):
    """The clock a case is on; each has a time limit (限时)."""

    TRIAGE = "triage"  # the community decides
    CLAIM = "claim"  # the department claims (认领)
    RESOLVE = "resolve"  # the department or the community fixes it (办结)
    RATING = "rating"  # the resident rates; unrated cases close after 7 days
    RETENTION = "retention"  # closed; the phone number is purged when this ends


class TimerKind(StrEnum):
    DISPATCH = "dispatch"  # alert the department of a whistled case
    REMIND = "remind"  # 75 % of the limit has passed
    ESCALATE = "escalate"  # 督办: the limit has passed (then with each working day's digest)
    AUTO_CLOSE = "auto_close"
    PURGE = "purge"  # remove the phone number


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    FAIRLY = "fairly_satisfied"  # 基本满意
    NOT = "not_satisfied"  # 不满意


# Events after which the case is on another clock (or none): an overdue stage ends with them.
STAGE_ENDING = {
    "whistled",
    "local",
    "rejected",
    "merged",
    "claimed",
    "returned",
    "resolved",
    "extension_approved",
    "withdrawn",
}


# The event kind of a staff note: never public (services/intake.py RESIDENT_EVENTS and
# services/open311.py EXTENDED_STATUS list what is).
INTERNAL_NOTE = "internal_note"
# A case added to or taken out of a campaign by staff (staff timeline only, with the reason).
CAMPAIGN_JOINED = "campaign_joined"
CAMPAIGN_LEFT = "campaign_left"


class IllegalTransition(Conflict):
    pass


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a role and, for staff, their username."""

    role: str
    id: str | None = None

    @staticmethod
    def resident() -> Actor:
        return Actor("resident")

    @staticmethod
    def system() -> Actor:
        return Actor("system")


@dataclass(frozen=True)
class SealedPhone:
    """A phone number as stored: encrypted, a keyed hash for look-ups, and the masked form.
    After the retention purge only the masked form is left."""

    ciphertext: str
    lookup: str
    masked: str


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's timeline: who, when, what, status before and after."""

    case_code: str
    seq: int
    at: datetime
    kind: str
    actor: Actor
    status_before: Status | None
    status_after: Status
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A notification a transition asks for; the dispatch service turns it into messages."""

    audience: str  # department | co_department | resident | district | community
    template: str
    department: str | None = None
    data: dict[str, str] = field(default_factory=dict)  # what the message says besides the case


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    at: datetime


@dataclass(frozen=True)
class Policy:
    """What the rules need besides the case: the calendar, the category's limits and the
    district's settings."""

    calendar: WorkCalendar
    limits: Limits
    remind_fraction: float = 0.75
    # 督办汇总: after a case's first escalation, its recipients hear of it again only in the
    # digest sent at this time (China) on each working day, with everything else overdue.
    digest_at: time = time(8, 30)
    auto_close_after: timedelta = timedelta(days=7)
    purge_after: timedelta = timedelta(days=180)
    max_extension_days: int = 30


@dataclass(frozen=True)
class NewReport:
    """A problem as a resident (or a grid worker, a property company, a 311 client) reports it."""

    category: str
    compound: str
    address: str
    description: str
    phone: str
    consent: bool
    photos: tuple[str, ...] = ()
    location: Location | None = None
    channel: Channel = Channel.RESIDENT
    reporter: str | None = None
    client_reference: str | None = None  # a 311 client's own id of the report
    campaign: str | None = None  # the campaign (专项行动) the case joins as it is filed


@dataclass
class Case:
    code: str
    status: Status
    category: str
    compound: str
    community: str
    street: str
    address: str
    description: str
    phone: SealedPhone
    photos: tuple[str, ...]
    location: Location | None
    token_hash: str
    channel: Channel
    reporter: str | None
    created_at: datetime
    updated_at: datetime
    urgent: bool = False
    district: str = ""
    department: str | None = None
    co_departments: tuple[str, ...] = ()
    handler: str | None = None  # the staff member handling it now (may reveal the phone)
    local_by: str | None = None  # community | property | grid, when handled locally
    merged_into: str | None = None
    stage: Stage | None = None
    stage_started: datetime | None = None
    deadline: datetime | None = None
    deadline_estimated: bool = False
    reminded: bool = False
    escalations: int = 0
    escalated_at: datetime | None = None
    timer: Timer | None = None
    extension: dict[str, Any] | None = None  # a pending request: days, reason, by, at
    resolution: dict[str, Any] | None = None  # note, photos, by, at
    rating: dict[str, Any] | None = None
    public_summary: str | None = None  # what staff chose to tell the public record, if anything
    reopen_count: int = 0
    client_reference: str | None = None  # the filing 311 client's own id of the report
    resident_told: tuple[str, ...] = ()  # the SMS the resident was sent, in order
    resident_quiet: bool = False  # the resident wants only the essential SMS
    followers: int = 0  # residents who joined ("me too") or came with a merged case's followers
    merged_in: int = 0  # cases merged into this one
    urged_at: datetime | None = None  # the resident's last 催办
    resident_photos: tuple[str, ...] = ()  # added later by the resident or a follower (staff only)
    campaign: str | None = None  # the campaign (专项行动) it belongs to
    dispatched_at: datetime | None = None
    closed_at: datetime | None = None
    version: int | None = None
    event_count: int = 0
    new_events: list[CaseEvent] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    _department_before: str | None = field(default=None, repr=False, compare=False)
    _campaign_before: str | None = field(default=None, repr=False, compare=False)
    # (status, department) as last stored: the work lists' per-stage tallies move from it.
    tallied_as: tuple[Status, str | None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._department_before = self.department
        self._campaign_before = self.campaign
        if self.version is not None:
            self.tallied_as = (self.status, self.department)

    # -- intake ------------------------------------------------------------------------------

    @classmethod
    def report(
        cls,
        *,
        code: str,
        report: NewReport,
        category: Category,
        compound: Compound,
        registry: Registry,
        phone: SealedPhone,
        photos: tuple[str, ...],
        token_hash: str,
        at: datetime,
        policy: Policy | None = None,
    ) -> Case:
        community = registry.communities[compound.community]
        case = cls(
            code=code,
            status=Status.SUBMITTED,
            category=category.id,
            compound=compound.id,
            community=community.id,
            street=community.street,
            address=report.address.strip(),
            description=report.description.strip(),
            phone=phone,
            photos=photos,
            location=report.location,
            token_hash=token_hash,
            channel=report.channel,
            reporter=report.reporter,
            created_at=at,
            updated_at=at,
            urgent=category.urgent,
            district=registry.district.id,
            client_reference=report.client_reference,
            campaign=report.campaign,
        )
        actor = (
            Actor(report.channel.value, report.reporter) if report.reporter else Actor.resident()
        )
        case._record(
            "reported",
            actor,
            at,
            Status.SUBMITTED,
            data={"channel": report.channel.value, "photos": len(photos)},
        )
        if policy is not None:
            case._enter(Stage.TRIAGE, at, policy, policy.limits.triage)
        return case

    # -- triage (the community) ----------------------------------------------------------------

    def reject(self, actor: Actor, reason: str, at: datetime, policy: Policy) -> None:
        self._require({Status.SUBMITTED}, "reject")
        self._need_text("reason", reason)
        self._record(
            "rejected",
            actor,
            at,
            Status.REJECTED,
            note=reason.strip(),
            duration_from=self.stage_started,
        )
        self._tell_resident("resident_rejected", reason=reason.strip())
        self._close_for_good(at, policy)

    def merge(self, actor: Actor, into: str, at: datetime, policy: Policy) -> None:
        self._require({Status.SUBMITTED}, "merge")
        if into == self.code:
            raise invalid("into", "merge_into_itself", "A case cannot be merged into itself.")
        self.merged_into = into
        self._record(
            "merged",
            actor,
            at,
            Status.MERGED,
            data={"into": into},
            duration_from=self.stage_started,
        )
        self._tell_resident("resident_merged", into=into)
        self._close_for_good(at, policy)

    def handle_locally(
        self, actor: Actor, by: str, note: str | None, at: datetime, policy: Policy
    ) -> None:
        """社区/物业/网格 自办: the community keeps the case; `by` says who does the work."""
        self._require({Status.SUBMITTED}, "handle locally")
        if by not in ("community", "property", "grid"):
            raise invalid("by", "invalid_value", "Handled by the community, property or grid.")
        self.local_by = by
        self.handler = actor.id
        self._record(
            "local",
            actor,
            at,
            Status.LOCAL,
            note=_clean(note),
            data={"by": by},
            duration_from=self.stage_started,
        )
        self._enter(Stage.RESOLVE, at, policy, policy.limits.resolve)

    def whistle(
        self,
        actor: Actor,
        department: str,
        co_departments: tuple[str, ...],
        note: str | None,
        at: datetime,
        policy: Policy,
    ) -> None:
        """吹哨: refer the case to a department; the dispatch job alerts it right away."""
        self._require({Status.SUBMITTED}, "whistle")
        co = tuple(d for d in dict.fromkeys(co_departments) if d != department)
        self.department = department
        self.co_departments = co
        self._record(
            "whistled",
            actor,
            at,
            Status.WHISTLED,
            note=_clean(note),
            data={"department": department, "co_departments": list(co)},
            duration_from=self.stage_started,
        )
        self.stage = None
        self.deadline = None
        self.timer = Timer(TimerKind.DISPATCH, at)
        # What the resident is promised: the claim and the resolution limits, end to end.
        claimed_by = policy.calendar.add(at, policy.limits.claim).at
        self._tell_resident(
            "resident_whistled", by=_iso(policy.calendar.add(claimed_by, policy.limits.resolve).at)
        )

    # -- the dispatch job ----------------------------------------------------------------------

    def dispatch(self, at: datetime, policy: Policy) -> None:
        """派单: the department is alerted and its claim clock starts."""
        self._require({Status.WHISTLED}, "dispatch")
        self.dispatched_at = at
        self._record(
            "dispatched",
            Actor.system(),
            at,
            Status.DISPATCHED,
            data={"department": self.department},
        )
        self.notices.append(Notice("department", "dispatched", self.department))
        for co in self.co_departments:
            self.notices.append(Notice("co_department", "dispatched_co", co))
        self._enter(Stage.CLAIM, at, policy, policy.limits.claim)

    def on_timer(self, at: datetime, policy: Policy) -> bool:
        """Do what the due timer says. False when the timer was not due (nothing changed)."""
        timer = self.timer
        if timer is None or timer.at > at:
            return False
        if timer.kind is TimerKind.DISPATCH:
            self.dispatch(at, policy)
        elif timer.kind is TimerKind.REMIND:
            self.reminded = True
            self._record(
                "reminded",
                Actor.system(),
                at,
                self.status,
                data={"stage": str(self.stage), "deadline": _iso(self.deadline)},
            )
            self.notices.append(Notice(self.stage_owner(), "reminder", self.department))
            self.timer = self._next_timer(policy)
        elif timer.kind is TimerKind.ESCALATE:
            self._escalate(at, policy)
        elif timer.kind is TimerKind.AUTO_CLOSE:
            self._require({Status.RESOLVED}, "close")
            self._record("closed", Actor.system(), at, Status.CLOSED, data={"rated": False})
            self._tell_resident("resident_closed")
            self._close_for_good(at, policy)
        elif timer.kind is TimerKind.PURGE:
            self.purge_phone(at)
            self._forget_photos()
        return True

    def _escalate(self, at: datetime, policy: Policy) -> None:
        """督办: the first time a stage's limit passes, the district and the stage's owner are
        told at once; after that the case is escalated again with each working day's digest,
        which tells each of them once a day of everything still overdue in their scope (see
        services/digest.py) — so these later events ask for no message of their own."""
        first = self.escalations == 0
        self.escalations += 1
        self.escalated_at = at
        data: dict[str, Any] = {
            "stage": str(self.stage),
            "deadline": _iso(self.deadline),
            "times": self.escalations,
        }
        if not first:
            data["digest"] = True  # told in the day's digest, not by a message of its own
        self._record("escalated", Actor.system(), at, self.status, data=data)
        if first:
            self.notices.append(Notice("district", "escalated", self.department))
            if self.stage_owner() == "department":
                self.notices.append(Notice("department", "escalated", self.department))
            else:
                self.notices.append(Notice("community", "escalated"))
        self.timer = self._next_timer(policy)

    # -- the department ------------------------------------------------------------------------

    def claim(self, actor: Actor, at: datetime, policy: Policy) -> None:
        """认领: the department accepts; the resolution clock runs from the alert."""
        self._require({Status.DISPATCHED}, "claim")
        on_time = self.deadline is None or at <= self.deadline
        self.handler = actor.id
        self._record(
            "claimed",
            actor,
            at,
            Status.CLAIMED,
            data={"on_time": on_time},
            duration_from=self.dispatched_at,
        )
        start = self.dispatched_at or at
        self._enter(Stage.RESOLVE, start, policy, policy.limits.resolve)

    def return_to_triage(self, actor: Actor, reason: str, at: datetime, policy: Policy) -> None:
        """退单: not this department's case; back to the community with the reason."""
        self._require({Status.DISPATCHED, Status.CLAIMED}, "return")
        self._need_text("reason", reason)
        department = self.department
        self.department = None
        self.co_departments = ()
        self.handler = None
        self.extension = None
        self._record(
            "returned",
            actor,
            at,
            Status.SUBMITTED,
            note=reason.strip(),
            data={"department": department},
        )
        self.notices.append(Notice("community", "returned"))
        self._tell_resident("resident_returned")
        self._enter(Stage.TRIAGE, at, policy, policy.limits.triage)

    def request_extension(
        self, actor: Actor, days: int, reason: str, at: datetime, policy: Policy
    ) -> None:
        """延期: ask the district for more time."""
        self._require({Status.CLAIMED}, "ask for an extension")
        if self.extension is not None:
            raise IllegalTransition("An extension request is already waiting.", "extension_pending")
        if not 1 <= days <= policy.max_extension_days:
            raise invalid("days", "out_of_range", f"Ask for 1 to {policy.max_extension_days} days.")
        self._need_text("reason", reason)
        self.extension = {"days": days, "reason": reason.strip(), "by": actor.id, "at": _iso(at)}
        self._record(
            "extension_requested",
            actor,
            at,
            self.status,
            note=reason.strip(),
            data={"days": days},
        )
        self.notices.append(Notice("district", "extension_requested", self.department))

    def decide_extension(
        self, actor: Actor, approve: bool, note: str | None, at: datetime, policy: Policy
    ) -> None:
        self._require({Status.CLAIMED}, "decide an extension")
        if self.extension is None:
            raise IllegalTransition("No extension request is waiting.", "no_extension")
        days = int(self.extension["days"])
        self.extension = None
        kind = "extension_approved" if approve else "extension_denied"
        data: dict[str, Any] = {"days": days}
        if approve and self.deadline is not None:
            extended = policy.calendar.add(self.deadline, TimeLimit(days, "working_days"))
            self.deadline = extended.at
            self.deadline_estimated |= extended.estimated
            # A case that was overdue gets a fresh clock: no escalation until the new limit.
            self.reminded = False
            data["deadline"] = _iso(self.deadline)
        self._record(kind, actor, at, self.status, note=_clean(note), data=data)
        if approve:
            self.escalations = 0  # a new limit: no longer overdue
            self.escalated_at = None
        self.notices.append(Notice("department", kind, self.department))
        if approve:
            self._tell_resident("resident_extended", by=_iso(self.deadline) or "")
        self.timer = self._next_timer(policy)

    def resolve(
        self, actor: Actor, note: str, photos: tuple[str, ...], at: datetime, policy: Policy
    ) -> None:
        """办结: reported fixed, with a note (and photos); the resident is asked to rate."""
        self._require({Status.CLAIMED, Status.LOCAL}, "resolve")
        self._need_text("note", note)
        on_time = self.deadline is None or at <= self.deadline
        self.resolution = {
            "note": note.strip(),
            "photos": list(photos),
            "by": actor.id,
            "at": _iso(at),
        }
        self.extension = None
        self._record(
            "resolved",
            actor,
            at,
            Status.RESOLVED,
            note=note.strip(),
            data={
                "on_time": on_time,
                "photos": len(photos),
                "local": self.local_by is not None,
                "residents": self.residents_waiting,  # the public board shows how many waited
                # Who did the work of a locally handled case (物业自办 counts on the scorecards).
                **({"local_by": self.local_by} if self.local_by else {}),
                # The public update feed links the resolution photo from the event alone.
                "photo_keys": list(photos),
            },
            duration_from=self.stage_started,
        )
        self._tell_resident("resident_resolved")
        self.stage = Stage.RATING
        self.stage_started = at
        self.deadline = at + policy.auto_close_after
        self.deadline_estimated = False
        self.timer = Timer(TimerKind.AUTO_CLOSE, self.deadline)

    # -- the resident --------------------------------------------------------------------------

    def rate(
        self,
        resolved: bool,
        satisfaction: Satisfaction,
        comment: str | None,
        at: datetime,
        policy: Policy,
    ) -> None:
        """回访评价: "resolved" closes the case; "not resolved" reopens it (and is counted)."""
        self._require({Status.RESOLVED}, "rate")
        self.rating = {
            "resolved": resolved,
            "satisfaction": satisfaction.value,
            "comment": _clean(comment),
            "at": _iso(at),
        }
        self._record(
            "rated",
            Actor.resident(),
            at,
            self.status,
            note=_clean(comment),
            data={"resolved": resolved, "satisfaction": satisfaction.value},
        )
        if resolved:
            self._record("closed", Actor.system(), at, Status.CLOSED, data={"rated": True})
            self._close_for_good(at, policy)
            return
        self.reopen_count += 1
        back = Status.LOCAL if self.local_by else Status.CLAIMED
        self._record("reopened", Actor.resident(), at, back, data={"times": self.reopen_count})
        self.resolution = None
        self.notices.append(
            Notice("department", "reopened", self.department)
            if back is Status.CLAIMED
            else Notice("community", "reopened")
        )
        self._enter(Stage.RESOLVE, at, policy, policy.limits.resolve)

    def client_update(
        self, actor: Actor, reference: str, note: str | None, photos: tuple[str, ...], at: datetime
    ) -> CaseEvent:
        """An update a 311 client sent on behalf of its user (a comment, a photo): kept on the
        timeline for staff, never published. `reference` is the client's own id of the update,
        so a retried update is recognised."""
        return self._record(
            "client_update",
            actor,
            at,
            self.status,
            note=_clean(note),
            data={"reference": reference, "photo_keys": list(photos)},
        )

    # -- residents beside the reporter ------------------------------------------------------------

    @property
    def residents_waiting(self) -> int:
        """联名: the reporter, the followers, and the reporter of each case merged into this one."""
        return 1 + self.followers + self.merged_in

    def follow(self, at: datetime, note: str | None, photos: tuple[str, ...]) -> None:
        """我也遇到: another resident has the same problem and follows this case; their line and
        photo are for staff only."""
        self._require_followable()
        self.followers += 1
        self.resident_photos = (*self.resident_photos, *photos)
        self._record(
            "followed",
            Actor.resident(),
            at,
            self.status,
            note=_clean(note),
            data={"photo_keys": list(photos)},
        )

    def absorb(self, actor: Actor, merged: Case, moved_followers: int, at: datetime) -> None:
        """Another case was merged into this one: its reporter and its followers now follow
        this one (the reporter counted as a merged case, the followers as followers)."""
        self._require_followable()
        self.merged_in += 1
        self.followers += moved_followers
        self._record(
            "merged_in",
            actor,
            at,
            self.status,
            data={"from": merged.code, "followers": moved_followers},
        )

    def _require_followable(self) -> None:
        if self.status not in FOLLOWABLE:
            raise IllegalTransition(
                f"This case is {self.status.value}: it can no longer be joined.",
                "case_not_open",
            )

    def follower_rate(
        self, resolved: bool, satisfaction: Satisfaction, comment: str | None, at: datetime
    ) -> dict[str, Any]:
        """A follower's verdict: recorded for staff, while the reporter's own rating is the one
        that closes or reopens the case and counts in the rates."""
        if self.status not in (Status.RESOLVED, Status.CLOSED) or self.resolution is None:
            raise IllegalTransition("This case is not waiting for a rating.", "illegal_transition")
        rating = {
            "resolved": resolved,
            "satisfaction": satisfaction.value,
            "comment": _clean(comment),
            "at": _iso(at),
        }
        self._record(
            "follower_rated",
            Actor.resident(),
            at,
            self.status,
            note=_clean(comment),
            data={"resolved": resolved, "satisfaction": satisfaction.value},
        )
        return rating

    def withdraw(self, reason: str | None, at: datetime, policy: Policy) -> None:
        """撤回: the resident takes the report back while the community has not yet whistled
        it. A terminal state of its own, counted in no rate."""
        if self.status is not Status.SUBMITTED:
            raise IllegalTransition(
                "Only a report the community has not yet acted on can be withdrawn.",
                "not_withdrawable",
            )
        self._record(
            "withdrawn",
            Actor.resident(),
            at,
            Status.WITHDRAWN,
            note=_clean(reason),
            duration_from=self.stage_started,
        )
        self._close_for_good(at, policy)

    def add_information(self, note: str | None, photos: tuple[str, ...], at: datetime) -> None:
        """补充: the resident adds words or photos while the case is open (staff see them)."""
        if self.status not in OPEN:
            raise IllegalTransition("Information can be added only to an open case.", "not_open")
        if not _clean(note) and not photos:
            raise invalid("note", "required", "Add a few words or a photo.")
        self.resident_photos = (*self.resident_photos, *photos)
        self._record(
            "resident_info",
            Actor.resident(),
            at,
            self.status,
            note=_clean(note),
            data={"photo_keys": list(photos)},
        )

    def urge(self, at: datetime) -> None:
        """催办: the resident presses once the current stage's limit has passed, at most once
        a day; the community and the district see it on the timeline, the dashboard counts it."""
        if not self.past_deadline(at):
            raise IllegalTransition(
                "A case can be urged once its current stage is overdue.", "not_overdue"
            )
        if self.urged_at is not None and at < self.urged_at + URGE_EVERY:
            wait = int((self.urged_at + URGE_EVERY - at).total_seconds())
            raise RateLimited(
                "This case was urged less than a day ago.",
                "urged_recently",
                headers={"Retry-After": str(max(1, wait))},
            )
        self.urged_at = at
        self._record(
            "urged",
            Actor.resident(),
            at,
            self.status,
            data={"stage": str(self.stage), "deadline": _iso(self.deadline)},
        )

    def past_deadline(self, at: datetime) -> bool:
        return (
            self.status in OPEN
            and self.stage in (Stage.TRIAGE, Stage.CLAIM, Stage.RESOLVE)
            and self.deadline is not None
            and at > self.deadline
        )

    # -- the district --------------------------------------------------------------------------

    def chase(self, actor: Actor, note: str | None, at: datetime) -> None:
        """督办 by hand: the district presses the department (or community) now."""
        if self.status not in OPEN:
            raise IllegalTransition("Only open cases can be chased.", "not_open")
        self._record("chased", actor, at, self.status, note=_clean(note))
        if self.department and self.status in (Status.DISPATCHED, Status.CLAIMED):
            self.notices.append(Notice("department", "chased", self.department))
        else:
            self.notices.append(Notice("community", "chased"))

    # -- internal notes ------------------------------------------------------------------------

    def add_note(self, actor: Actor, text: str, at: datetime) -> None:
        """An internal note (内部备注) by staff: on the staff timeline only. Its kind is in
        none of the public lists (the resident's view, Open311, the board), asks for no
        message and counts in no metric."""
        self._need_text("note", text)
        self._record(INTERNAL_NOTE, actor, at, self.status, note=text.strip())

    # -- campaigns (专项行动) ----------------------------------------------------------------------

    def join_campaign(
        self, actor: Actor, campaign: str, reason: str, carry: dict[str, int], at: datetime
    ) -> None:
        """Staff add the case to a campaign. `carry` is what its timeline so far counts in the
        figures (metrics.counted_so_far): the nightly job counts it under the campaign's scopes
        that day, so a case added late weighs as one filed in the campaign."""
        self._need_text("reason", reason)
        if self.campaign:
            raise Conflict(
                "This case is already in a campaign; remove it from that one first.",
                "in_campaign",
            )
        self.campaign = campaign
        self._record(
            CAMPAIGN_JOINED,
            actor,
            at,
            self.status,
            note=reason.strip(),
            data={"campaign": campaign, "carry": dict(carry)},
        )

    def leave_campaign(self, actor: Actor, reason: str, carry: dict[str, int], at: datetime) -> str:
        """Staff take the case out of its campaign; what it counted there is taken back out."""
        self._need_text("reason", reason)
        left = self.campaign
        if not left:
            raise Conflict("This case is in no campaign.", "not_in_campaign")
        self.campaign = None
        self._record(
            CAMPAIGN_LEFT,
            actor,
            at,
            self.status,
            note=reason.strip(),
            data={"campaign": left, "carry": dict(carry)},
        )
        return left

    # -- the public record ---------------------------------------------------------------------

    def publish_summary(self, actor: Actor, summary: str, at: datetime) -> None:
        """A summary written by staff for the public record (Open311's `description`): the
        resident's own words never go public, so a reader learns what the problem was from
        this or from nothing. Publishing again replaces it."""
        text = _clean(summary)
        if text is None:
            raise IllegalTransition("Write the summary to publish.", "empty_summary")
        self.public_summary = text
        self._record("published", actor, at, self.status, note=text)

    # -- personal data -------------------------------------------------------------------------

    def reveal_phone(self, actor: Actor, at: datetime) -> None:
        """Only the clerk handling the case may see the number, and it is recorded."""
        from .errors import Forbidden

        if (
            self.handler is None
            or actor.id != self.handler
            or self.status not in OPEN | {Status.RESOLVED}
        ):
            raise Forbidden(
                "Only the staff member handling this case may see the phone number.", "not_handler"
            )
        if not self.phone.ciphertext:
            raise IllegalTransition("The phone number was already deleted.", "phone_purged")
        self._record("phone_revealed", actor, at, self.status)

    def photo_keys(self) -> tuple[str, ...]:
        """Every photo of the case in the photo store: the report's and the resolution's."""
        return (
            *self.photos,
            *self.resident_photos,
            *(self.resolution or {}).get("photos", ()),
        )

    def _forget_photos(self) -> None:
        """Retention ended: the photos go with the phone number (the job deletes the files)."""
        self.photos = ()
        self.resident_photos = ()
        if self.resolution and self.resolution.get("photos"):
            self.resolution = {**self.resolution, "photos": []}

    def purge_phone(self, at: datetime) -> None:
        """Retention ended: keep only the masked form."""
        self.phone = SealedPhone("", "", self.phone.masked)
        self._record("phone_purged", Actor.system(), at, self.status)
        self.stage = None
        self.deadline = None
        self.timer = None

    def prefer_updates(self, essential_only: bool) -> None:
        """The resident's choice: every message, or only the essential ones."""
        self.resident_quiet = essential_only

    def _tell_resident(self, template: str, **data: str | None) -> None:
        """SMS cost is bounded (DESIGN §8): each essential message (whistled, rejected,
        merged, resolved) at most once a case — never twice when a case is returned and
        whistled again, or reopened and resolved again — and at most OPTIONAL_SMS_CAP of
        the others (returned, extended, closed), none once the resident opted out. So the
        optional ones are dropped first; a case never sends more than 5."""
        if not may_tell(self.resident_told, self.resident_quiet, template):
            return
        self.resident_told = (*self.resident_told, template)
        self.notices.append(
            Notice("resident", template, data={k: v for k, v in data.items() if v is not None})
        )

    # -- the clock -----------------------------------------------------------------------------

    def _enter(self, stage: Stage, start: datetime, policy: Policy, limit: TimeLimit) -> None:
        deadline = policy.calendar.add(start, limit)
        self.stage = stage
        self.stage_started = start
        self.deadline = deadline.at
        self.deadline_estimated = deadline.estimated
        self.reminded = False
        self.escalations = 0
        self.escalated_at = None
        self.timer = self._next_timer(policy)

    def _next_timer(self, policy: Policy) -> Timer | None:
        if self.stage not in (Stage.TRIAGE, Stage.CLAIM, Stage.RESOLVE):
            return self.timer if self.stage in (Stage.RATING, Stage.RETENTION) else None
        assert self.deadline is not None and self.stage_started is not None
        if not self.reminded and self.escalations == 0:
            span = self.deadline - self.stage_started
            return Timer(TimerKind.REMIND, self.stage_started + span * policy.remind_fraction)
        if self.escalated_at is None or self.escalated_at < self.deadline:
            return Timer(TimerKind.ESCALATE, max(self.deadline, self.escalated_at or self.deadline))
        # Again at the next working day's digest: the first digest after the day it went overdue.
        return Timer(
            TimerKind.ESCALATE,
            policy.calendar.next_working_day_at(self.escalated_at, policy.digest_at),
        )

    def _close_for_good(self, at: datetime, policy: Policy) -> None:
        self.closed_at = at
        self.handler = None
        self.stage = Stage.RETENTION
        self.stage_started = at
        self.deadline = at + policy.purge_after
        self.deadline_estimated = False
        self.timer = Timer(TimerKind.PURGE, self.deadline)

    def stage_owner(self) -> str:
        """Who must act in the current stage: "community" or "department"."""
        if self.stage is Stage.TRIAGE or self.status is Status.LOCAL:
            return "community"
        return "department"

    @property
    def overdue(self) -> bool:
        return (
            self.stage in (Stage.TRIAGE, Stage.CLAIM, Stage.RESOLVE)
            and self.deadline is not None
            and self.escalations > 0
        )

    # -- events --------------------------------------------------------------------------------

    def _require(self, allowed: set[Status], action: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"A case that is {self.status.value} cannot {action}.",
                "illegal_transition",
            )

    @staticmethod
    def _need_text(name: str, text: str | None) -> None:
        if not text or not text.strip():
            raise invalid(name, "required", f"Give a {name}.")

    def _record(
        self,
        kind: str,
        actor: Actor,
        at: datetime,
        after: Status,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        duration_from: datetime | None = None,
    ) -> CaseEvent:
        # Each event carries the case's place, category and department, and how long the
        # step took: the nightly metrics read only the day's events, never the cases.
        payload = dict(data or {})
        payload["dims"] = {
            "street": self.street,
            "community": self.community,
            "compound": self.compound,
            "category": self.category,
            "channel": self.channel.value,
            "department": self.department,
        }
        if self.campaign:
            payload["dims"]["campaign"] = self.campaign
        if self._department_before != self.department:
            payload["department_before"] = self._department_before
        if self._campaign_before != self.campaign:
            payload["campaign_before"] = self._campaign_before
        if duration_from is not None:
            payload["duration"] = int((at - duration_from).total_seconds())
        if (
            kind in STAGE_ENDING
            and self.escalations > 0
            and self.stage in (Stage.TRIAGE, Stage.CLAIM, Stage.RESOLVE)
        ):
            payload["ends_overdue"] = self.stage.value  # an overdue stage is over
        event = CaseEvent(
            case_code=self.code,
            seq=self.event_count,
            at=at,
            kind=kind,
            actor=actor,
            status_before=self.status if self.event_count else None,
            status_after=after,
            note=note,
            data=payload,
        )
        self._department_before = self.department
        self._campaign_before = self.campaign
        self.event_count += 1
        self.status = after
        self.updated_at = at
        self.new_events.append(event)
        return event


def may_tell(told: tuple[str, ...], quiet: bool, template: str) -> bool:
    """Whether a resident who was sent `told` (and wants only the essential messages when
    `quiet`) may be sent `template` too: each essential message once, at most
    OPTIONAL_SMS_CAP of the others. The reporter and each follower of a case are capped alike."""
    if template not in RESIDENT_SMS:
        # Residents are told only by an SMS template the provider has registered.
        raise ValueError(f"{template} is not a resident SMS template (domain/messages.py)")
    if SMS_TEMPLATES[template].essential:
        return template not in told
    optional = [t for t in told if not _essential(t)]
    return not quiet and len(optional) < OPTIONAL_SMS_CAP


def _essential(template: str) -> bool:
    known = SMS_TEMPLATES.get(template)
    return known is None or known.essential


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _iso(moment: datetime | None) -> str | None:
    from .clock import iso

    return iso(moment) if moment else None
