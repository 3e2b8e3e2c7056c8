"""The small interfaces the use cases need — every one of them, in one place. Adapters
implement them and import only this module and the domain; tests fake them; services
depend on them and never on an adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from .domain.accounts import Account, Lockout, WorkChat
from .domain.calendar import WorkCalendar, YearCalendar
from .domain.campaigns import Campaign
from .domain.cases import Case, CaseEvent, SealedPhone
from .domain.followers import Follower
from .domain.lists import CaseFilter
from .domain.metrics import Tally
from .domain.projects import Project
from .domain.registry import Registry

# -- cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyRecord:
    """A request accepted under a client's Idempotency-Key, kept so a retry gets the same
    answer: for a report, its case and (sealed) token; for a staff action, its response."""

    key: str
    fingerprint: str
    case_code: str
    sealed_token: str
    created_at: datetime
    expires_at: datetime
    response: dict[str, Any] | None = None


@dataclass(frozen=True)
class Page:
    items: list[Case] = field(default_factory=list)
    cursor: str | None = None


@dataclass
class ListRead:
    """What one budgeted read of a work list found: the matching cases in index order, the
    key to go on from (None once the whole list was read) and how far the read got."""

    items: list[Case] = field(default_factory=list)
    next_key: dict[str, Any] | None = None
    reached: str | None = None  # the created_at (ISO) of the last case read
    requests: int = 0


LIST_SCOPES = ("inbox", "work", "community", "department", "district")
"""The scopes a work list reads: a community's inbox, a department's work, and the
community's, the department's and the district's whole history."""


class CodeTaken(Exception):
    """The generated case code already exists; pick another."""


class IdempotencyKeyTaken(Exception):
    """Another request already stored a report under this idempotency key."""


class CaseStore(Protocol):
    def add_reported(
        self,
        case: Case,
        record: IdempotencyRecord,
        now: datetime,
        hits: tuple[CounterHit, ...] = (),
    ) -> None:
        """Store a new case, its first events, the idempotency record and the rate-limit
        counts atomically. Raises CodeTaken, IdempotencyKeyTaken or RateLimitHit and stores
        nothing in each case."""
        ...

    def save(
        self,
        case: Case,
        notifications: list[Notification],
        now: datetime,
        record: IdempotencyRecord | None = None,
        *,
        followers: Sequence[Follower] = (),
        others: Sequence[Case] = (),
    ) -> None:
        """Store a transition atomically (case, events, notifications, idempotency record,
        the followers it adds or changes, further cases it changes); a Conflict when a case
        or a follower changed since it was read."""
        ...

    def lease(self, code: str, timer_at: str, until: datetime, now: datetime) -> Case | None: ...

    def idempotency(self, key: str) -> IdempotencyRecord | None: ...

    def get(self, code: str) -> Case | None: ...

    def get_many(self, codes: list[str]) -> dict[str, Case]:
        """The cases of these codes that exist, by code (batched reads, not one a code)."""
        ...

    def timeline(self, code: str) -> list[CaseEvent]: ...

    def events_between(self, start: datetime, end: datetime, limit: int) -> list[CaseEvent]:
        """Every case's events in a window, oldest first, in a fixed number of reads per day."""
        ...

    def compound_cases(self, compound: str, limit: int, cursor: str | None) -> Page: ...

    def district_cases(self, district: str, limit: int, cursor: str | None) -> Page: ...

    def pending_extensions(self, limit: int, cursor: str | None) -> Page: ...

    def recent_in_compound(self, compound: str, since: datetime, limit: int) -> list[Case]: ...

    # -- searchable work lists (DESIGN §11: a fixed number of requests a page) ------------------

    def search(
        self,
        scope: str,
        key: str,
        case_filter: CaseFilter,
        newest_first: bool,
        limit: int,
        start: dict[str, Any] | None,
        budget: int,
    ) -> ListRead:
        """Cases of one scope (see LIST_SCOPES) in report order that match the filter, read
        with at most `budget` Query requests; stops after `limit` matches."""
        ...

    def open_in_scope(self, scope: str, key: str) -> ListRead:
        """Every open case of one scope, from its sparse open index (bounded by the work at
        hand, never by history)."""
        ...

    def tallies(self, scope: str, category: str | None) -> dict[str, int]:
        """How many cases of a tally scope ("district:…", "community:…", "department:…") are
        in each status, of one kind or of all (one BatchGetItem)."""
        ...

    def rebuild_list_index(self) -> int:
        """Set the list keys and recount the tallies of every case (an admin job, one Scan);
        the number of cases."""
        ...

    def recent_in_community(self, community: str, since: datetime) -> list[Case]:
        """The community's cases reported since a moment, newest first (one Query)."""
        ...

    def created_between(
        self, district: str, start: datetime, end: datetime, limit: int
    ) -> list[Case]: ...

    def overdue(self, limit: int = 500) -> list[Case]: ...

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]: ...

    def by_phone(self, lookup: str, limit: int) -> list[Case]:
        """The cases filed with the phone of this keyed hash, newest first (one Query)."""
        ...

    def followers(self, code: str, limit: int) -> list[Follower]:
        """The earliest `limit` followers of a case, in the order they joined (one Query)."""
        ...

    def follower(self, code: str, lookup: str) -> Follower | None: ...

    def followed_by(self, lookup: str, limit: int) -> list[Follower]:
        """What the phone of this keyed hash follows, the latest first (one Query)."""
        ...

    def forget_followers(self, code: str) -> None:
        """Delete a case's followers (retention ended); idempotent."""
        ...


# -- rate limits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterHit:
    """Count one request in a rate-limit window, refused when the window already holds `cap`."""

    key: str  # "{what}#{window number}"
    cap: int
    expires_at: datetime
    retry_after: int  # seconds, for the 429's Retry-After


class RateLimitHit(Exception):
    def __init__(self, hit: CounterHit) -> None:
        super().__init__(hit.key)
        self.hit = hit


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        """Count one hit in the current window; False (and nothing counted) at the limit."""
        ...


class CounterStore(Limiter, Protocol):
    """The rate-limit counters' table (a report's own counts go in its transaction)."""


# -- the registry and the calendar -----------------------------------------------------------


class RegistrySource(Protocol):
    def current(self) -> Registry:
        """The registry in force (may be cached for a short while)."""
        ...


class RegistryWriter(Protocol):
    def replace(self, registry: Registry) -> int: ...


class CalendarSource(Protocol):
    def current(self) -> WorkCalendar: ...

    def invalidate(self) -> None:
        """Forget a cached calendar, so the next read sees a change at once."""
        ...


class CalendarWriter(Protocol):
    def put(self, year: YearCalendar) -> None: ...


class ApiKeyStore(Protocol):
    """Open311 clients' API keys (only the hash of each secret)."""

    def get(self, key_id: str) -> dict[str, Any] | None: ...

    def put(self, key_id: str, data: dict[str, Any]) -> None: ...

    def all(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class CommonReply:
    """常用语: a text a department or community keeps for one kind of action."""

    id: str
    scope: str  # community:<id> | department:<id>
    kind: str  # return | reject | resolve
    text: str
    updated_at: datetime
    updated_by: str


class ReplyStore(Protocol):
    """Each scope's common replies, under the scope's key: one Query lists them."""

    def of_scope(self, scope: str) -> list[CommonReply]: ...

    def put(self, reply: CommonReply) -> None: ...

    def delete(self, scope: str, reply_id: str) -> bool:
        """False when the scope has no reply of that id."""
        ...


# -- photos and personal data ----------------------------------------------------------------


@dataclass(frozen=True)
class StoredPhoto:
    size: int
    content_type: str


class PhotoStore(Protocol):
    def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST ({url, fields}) that only accepts this key, type and size."""
        ...

    def stat(self, key: str) -> StoredPhoto | None: ...

    def read(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, keys: list[str]) -> None: ...

    def url(self, key: str, expires_in: int) -> str: ...


@dataclass(frozen=True)
class FetchedMedia:
    """A photo fetched from a client's `media_url`, before it is cleaned like every photo."""

    data: bytes
    content_type: str


class MediaRefused(Exception):
    """Why a `media_url` was not fetched: `code` is stable for clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MediaFetcher(Protocol):
    """The server's requests to URLs a 311 client gave: its photos, its callback."""

    def fetch(self, url: str) -> FetchedMedia:
        """The image at `url`; MediaRefused for a URL, an address or a body not allowed."""
        ...

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST under the same rules; MediaRefused "no_answer" when it went out unanswered."""
        ...


class PhoneVault(Protocol):
    def seal_phone(self, number: str) -> SealedPhone: ...

    def open_phone(self, sealed: SealedPhone) -> str: ...

    def seal(self, purpose: str, secret: str) -> str: ...

    def open(self, purpose: str, sealed: str) -> str: ...

    def keyed_hash(self, purpose: str, value: str) -> str: ...


# -- the outbox --------------------------------------------------------------------------------


class MessageChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"  # a work-chat robot
    CALLBACK = "callback"  # a 311 client's callback URL: a public change of a case it filed


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # leased by a sender, outcome not yet recorded
    SENT = "sent"
    DEAD = "dead"  # given up: failed too often, or its sender stopped while sending


class Trouble(StrEnum):
    """Why a dead message did not reach its recipient, as the district page shows it."""

    FAILED = "failed"  # the provider refused it on every attempt
    UNCERTAIN = "uncertain"  # its sender stopped while sending: it may or may not have gone


@dataclass(frozen=True)
class Notification:
    """One message in the outbox: written by a transition in its own transaction, then
    leased, sent and marked by the dispatch job.

    `template` is Whistle's name of the message and `params` its parameters: an SMS provider
    in mainland China sends a registered template with parameters, never free text. `body` is
    the rendered text (no SMS signature: providers add it), for e-mail, robots, SNS and people.
    """

    id: str
    case_code: str
    channel: MessageChannel
    recipient: str  # email address, webhook URL, or a sealed phone number (sms)
    recipient_display: str  # safe to show: never a phone number in clear
    template: str
    subject: str
    body: str
    created_at: datetime
    department: str | None = None
    webhook_kind: str | None = None
    link: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = None
    trouble: Trouble | None = None  # set while dead and not resent
    resend_of: str | None = None  # the dead message this one sends again


class NotificationStore(Protocol):
    def pending(self, now: datetime, limit: int) -> list[Notification]:
        """Notifications due for an attempt, and in-flight ones whose sender may have stopped."""
        ...

    def lease(self, notification: Notification, now: datetime, until: datetime) -> bool: ...

    def sent(self, notification: Notification, now: datetime) -> None: ...

    def failed(
        self,
        notification: Notification,
        now: datetime,
        error: str,
        retry_at: datetime | None,
        trouble: Trouble = Trouble.FAILED,
    ) -> None:
        """Another attempt at `retry_at`; with none, the message is dead, flagged `trouble`."""
        ...

    def postpone(self, notification: Notification, until: datetime) -> None: ...

    def get(self, notification_id: str) -> Notification | None: ...

    def troubled(self, limit: int) -> list[Notification]:
        """Dead messages nobody has resent yet, newest first (failed and uncertain)."""
        ...

    def troubled_counts(self) -> dict[Trouble, int]: ...

    def resend(self, dead: Notification, again: Notification) -> bool:
        """Store `again` and mark `dead` resent, atomically; False (nothing stored) when
        `dead` was resent already."""
        ...

    def add_new(self, notification: Notification) -> int:
        """Store a message whose id is derived from what it is (a daily digest): 1 when
        stored, 0 when a message of that id is there already."""
        ...

    def digest_sent(self, day: str) -> bool:
        """Whether every digest of this China day (YYYY-MM-DD) is in the outbox."""
        ...

    def mark_digest_sent(self, day: str, now: datetime) -> None: ...


class TransientError(Exception):
    """The provider refused or failed this time; another attempt may succeed."""


class Uncertain(TransientError):
    """The request went out and no answer came back (a timeout, a dropped connection): the
    provider may have acted on it, so sending it again may deliver it twice."""


class Throttled(Exception):
    """A robot's rate limit is reached for this minute; try again after it."""


class Transport(Protocol):
    def send(self, notification: Notification, now: datetime) -> None:
        """Deliver one message; TransientError or Throttled when it did not go out."""
        ...

    def deduplicates(self, notification: Notification) -> bool:
        """Whether the provider of this message's channel drops a second copy sent under the
        same key we chose, so a message whose sender stopped mid-send can be sent again."""
        ...


# One port per channel; the transport routes each message to its channel's sender. Each says
# whether its provider deduplicates by a key of ours (see Transport.deduplicates).


class SmsSender(Protocol):
    deduplicates: bool

    def send_sms(self, phone: str, notification: Notification) -> None:
        """Send the notification's template and parameters (or its text) to a mainland mobile
        number (11 digits, opened from the outbox's sealed copy just for this call)."""
        ...


class MailSender(Protocol):
    deduplicates: bool

    def send_mail(self, notification: Notification) -> None: ...


class RobotSender(Protocol):
    deduplicates: bool

    def send_robot(self, notification: Notification, now: datetime) -> None: ...


class CallbackSender(Protocol):
    deduplicates: bool

    def send_callback(self, notification: Notification, now: datetime) -> None: ...


# -- metrics -----------------------------------------------------------------------------------


class MetricStore(Protocol):
    def day_events(self, day: date) -> list[CaseEvent]: ...

    def period(self, period: str, prefix: str | None = None) -> dict[str, Tally]: ...

    def backlog(self, period: str) -> dict[str, dict[str, int]]: ...

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Tally]: ...

    def replace(
        self,
        period: str,
        tallies: dict[str, Tally],
        fixed: list[dict[str, Any]] | None = None,
        kept: dict[str, Any] | None = None,
    ) -> int: ...

    def fixed(self, days: list[str]) -> list[dict[str, Any]]: ...

    def kept(self, days: list[str], name: str) -> dict[str, Any]:
        """What the nightly job kept under `name` with each day, by day (days without it left
        out), in a fixed number of reads."""
        ...

    def put_fees(self, rows: list[dict[str, Any]]) -> None: ...

    def fees(self, month: str) -> list[dict[str, Any]]: ...

    def setting(self, name: str) -> dict[str, Any] | None:
        """One of the district's settings of the figures (e.g. scorecards public)."""
        ...

    def put_setting(self, name: str, data: dict[str, Any]) -> None: ...

    def campaign_total(self, campaign: str, through: str | None) -> tuple[str, dict[str, Tally]]:
        """A campaign's running total (its scopes' tallies) through a day, or the latest one
        when `through` is None: (the day, the tallies); ("", {}) when none is kept."""
        ...

    def put_campaign_total(
        self, campaign: str, through: str, tallies: dict[str, Tally]
    ) -> None: ...


class ProjectStore(Protocol):
    def all(self) -> list[Project]: ...

    def get(self, project_id: str) -> Project | None: ...

    def put(self, project: Project, previous: Project | None) -> None:
        """Save a project over `previous` (None: a new one); if the stored one is no longer
        `previous`, a Conflict."""
        ...


class CampaignStore(Protocol):
    def all(self) -> list[Campaign]: ...

    def get(self, campaign_id: str) -> Campaign | None: ...

    def put(self, campaign: Campaign, previous: Campaign | None) -> None:
        """Save a campaign over `previous` (None: a new one); if the stored one is no longer
        `previous`, a Conflict."""
        ...


class CampaignSource(Protocol):
    def current(self) -> list[Campaign]:
        """The campaigns (may be cached for a short while): what intake joins cases to."""
        ...


class OverdueSource(Protocol):
    def overdue(self, limit: int = 500) -> list[Case]: ...


# -- staff identity --------------------------------------------------------------------------


class AccountStore(Protocol):
    """Staff accounts (`Account`), read fresh."""

    def get(self, username: str) -> Account | None: ...

    def all(self) -> list[Account]: ...

    def add(self, account: Account) -> None:
        """Store a new account; a Conflict when the username is taken."""
        ...

    def save(self, account: Account) -> None:
        """Store a change; a Conflict when the account changed since it was read."""
        ...

    def by_work_chat(self, kind: WorkChat, user_id: str) -> list[Account]:
        """The accounts linked to this work-chat user id (one, unless misconfigured)."""
        ...


class AccountSource(Protocol):
    def current(self, username: str) -> Account | None:
        """The account as it is now, or as it was a few seconds ago (the authorizer's view,
        cached per warm function)."""
        ...


@dataclass(frozen=True)
class RefreshRecord:
    """One refresh token: only its hash is stored. Used once, then replaced by the next."""

    token_hash: str
    username: str
    generation: int
    issued_at: datetime
    expires_at: datetime  # the end of the sign-in, kept through every rotation
    used_at: datetime | None = None


class SessionStore(Protocol):
    def get(self, token_hash: str) -> RefreshRecord | None: ...

    def add(self, record: RefreshRecord) -> None: ...

    def rotate(self, old: RefreshRecord, new: RefreshRecord, now: datetime) -> bool:
        """Mark `old` used and store `new`, atomically; False (and nothing stored) when
        `old` was already used."""
        ...


@dataclass(frozen=True)
class SignInChallenge:
    """A resident's pending sign-in: a keyed hash of the code sent by SMS (never the code),
    the tries left and when it lapses. One a phone: asking again replaces it."""

    key: str  # "sign-in#" + the phone's keyed hash
    secret: str
    expires_at: datetime


class SignInCodes(Protocol):
    def issue(self, challenge: SignInChallenge, message: Notification) -> None:
        """Store the challenge (replacing any earlier one) and its SMS in the outbox, in
        one transaction: no code is sent that is not stored, none stored that is not sent."""
        ...

    def attempt(self, key: str, now: datetime, tries: int) -> str | None:
        """Count one try and give back the stored secret; None (nothing counted) when there
        is no challenge, it has lapsed or its `tries` are used up."""
        ...

    def consume(self, key: str, secret: str) -> bool:
        """Remove the challenge if it still holds `secret`: a code signs in once."""
        ...


class ResidentTokens(Protocol):
    """Short-lived resident sessions Whistle signs itself, naming a phone's keyed hash."""

    def issue(
        self, lookup: str, now: datetime, sealed: SealedPhone | None = None
    ) -> tuple[str, datetime]: ...

    def verify(self, token: str, now: datetime) -> str:
        """The phone's keyed hash of a valid, unexpired resident token; Unauthorized for
        anything else (a staff token included)."""
        ...

    def sealed_phone(self, token: str, now: datetime) -> SealedPhone:
        """The number a valid session was signed in with, sealed (to be sent the messages of
        a case it follows); Unauthorized for anything else, or a session that carries none."""
        ...


@dataclass(frozen=True)
class AccessClaims:
    username: str
    generation: int
    expires_at: datetime


class AccessTokens(Protocol):
    """Short-lived access tokens Whistle signs itself."""

    def issue(self, username: str, generation: int, now: datetime) -> tuple[str, datetime]:
        """A token and when it expires."""
        ...

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a valid, unexpired token; Unauthorized for anything else."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password: str, stored: str | None) -> bool:
        """Whether `password` matches; for no stored hash (no such account) the same work
        is done before answering False, so the time taken tells nothing."""
        ...

    def outdated(self, stored: str) -> bool:
        """Hashed with other parameters than the configured ones (hash again on sign-in)."""
        ...


class Lockouts(Protocol):
    """Failed sign-ins per username (existing or not), kept while they count."""

    def state(self, username: str, now: datetime) -> Lockout: ...

    def states(self, usernames: list[str], now: datetime) -> dict[str, Lockout]: ...

    def failed(self, username: str, now: datetime) -> Lockout:
        """Count one failure; the state after it."""
        ...

    def clear(self, username: str) -> None: ...


class WorkChatUnavailable(Exception):
    """The work-chat platform could not be asked (not configured, unreachable, refusing us)."""


class WorkChatSignIn(Protocol):
    def providers(self) -> list[dict[str, str]]:
        """The configured work-chat apps and where their sign-in starts (for the SPA)."""
        ...

    def user_id(self, kind: WorkChat, code: str) -> str | None:
        """The work-chat user id a one-time sign-in code was issued to; None for a code the
        platform does not accept. WorkChatUnavailable when it cannot be asked."""
        ...
