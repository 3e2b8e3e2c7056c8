"""Intake use cases: a resident reports a problem, uploads photos, follows the case."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..config import Limits
from ..domain.campaigns import Campaign, joining
from ..domain.cases import (
    OPEN,
    Case,
    CaseEvent,
    Channel,
    Location,
    NewReport,
    SealedPhone,
    Stage,
    Status,
)
from ..domain.clock import CHINA_TZ, Clock, IdSource, iso
from ..domain.codes import new_case_code
from ..domain.errors import (
    Conflict,
    ErrorDetail,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    invalid,
)
from ..domain.followers import Follower
from ..domain.phone import normalise_mobile
from ..domain.photos import PhotoProblem, clean_photo
from ..domain.registry import Category, Compound, Registry
from ..domain.staff import Principal, Role
from ..ports import (
    CampaignSource,
    CaseStore,
    CodeTaken,
    CounterHit,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    Limiter,
    PhoneVault,
    PhotoStore,
    RateLimitHit,
    RegistrySource,
)
from ..schemas import (
    CAMPAIGN_BATCH,
    CAMPAIGN_ROW,
    MAX_BATCH_ROWS,
    NEW_CASE,
    STAFF_REPORT,
    schema_problems,
)
from .residents import CaseKeys, Credentials, follower_link
from .rules import Rules

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_EXTENSION_TYPES = {extension: kind for kind, extension in PHOTO_TYPES.items()}
UPLOAD_EXPIRES_SECONDS = 15 * 60
PHOTO_URL_EXPIRES_SECONDS = 10 * 60
IDEMPOTENCY_DAYS = 7
CODE_ATTEMPTS = 5

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")
_PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp)")


@dataclass(frozen=True)
class IntakeDeps:
    clock: Clock
    ids: IdSource
    registry: RegistrySource
    cases: CaseStore
    photos: PhotoStore
    vault: PhoneVault
    rules: Rules
    counters: Limiter
    limits: Limits
    keys: CaseKeys
    campaigns: CampaignSource | None = None  # the campaigns a new case may join


@dataclass(frozen=True)
class Receipt:
    """What a resident gets back once: the case code and the token that alone opens the case."""

    code: str
    token: str
    status: str
    created_at: datetime
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "token": self.token,
            "status": self.status,
            "created_at": iso(self.created_at),
        }


def check_idempotency_key(key: str | None) -> str:
    if key is None:
        raise invalid(
            "Idempotency-Key",
            "missing_idempotency_key",
            "Send an Idempotency-Key header so a retried report is never filed twice.",
        )
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise invalid(
            "Idempotency-Key",
            "invalid_idempotency_key",
            "The Idempotency-Key must be 8–100 letters, digits, '-' or '_'.",
        )
    return key


def report_folder(vault: PhoneVault, key: str) -> str:
    """The private folder name of one report (or one batch of a clerk's photos): derived from
    its idempotency key, unguessable."""
    return vault.keyed_hash("report-folder", key)[:32]


def presign_upload(
    deps: IntakeDeps, key: str | None, content_type: str, size: int, source: str | None = None
) -> dict[str, Any]:
    """A presigned POST for one photo of the report identified by `key`; tickets are
    limited per sender (`source`, as for reports), one conditional count each."""
    key = check_idempotency_key(key)
    if content_type not in PHOTO_TYPES:
        raise invalid("content_type", "unsupported_type", "Photos must be JPEG, PNG or WebP.")
    if size > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(
            "A photo may be at most 8 MB.",
            "photo_too_large",
            [ErrorDetail("size", "photo_too_large", "A photo may be at most 8 MB.")],
        )
    if source:
        limits, now = deps.limits, deps.clock.now()
        window = limits.address_window_seconds
        counter = f"upload#{deps.vault.keyed_hash('address', source)[:32]}"
        if not deps.counters.hit(counter, limits.uploads_per_address, window, now):
            raise RateLimited(
                "Too many photo uploads from this network; please try again later.",
                "rate_limited",
                headers={"Retry-After": str(_window_hit(counter, 0, window, now).retry_after)},
            )
    name = f"{deps.ids.uuid()}.{PHOTO_TYPES[content_type]}"
    object_key = f"incoming/{report_folder(deps.vault, key)}/{name}"
    post = deps.photos.presign_upload(
        object_key, content_type, MAX_PHOTO_BYTES, UPLOAD_EXPIRES_SECONDS
    )
    return {
        "key": object_key,
        "url": post["url"],
        "fields": post["fields"],
        "max_bytes": MAX_PHOTO_BYTES,
        "expires_in": UPLOAD_EXPIRES_SECONDS,
    }


def _fingerprint(deps: IntakeDeps, body: dict[str, Any]) -> str:
    """A keyed digest of the request body: equal bodies, equal fingerprints; no phone in clear."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return deps.vault.keyed_hash("report-body", canonical)


# The resident must leave a number to be told and asked to rate; the other doors report for
# residents or about public facilities and may leave it out.
REPORT_SCHEMAS = {
    Channel.RESIDENT: NEW_CASE,
    Channel.GRID: STAFF_REPORT,
    Channel.PROPERTY: STAFF_REPORT,
    Channel.OPEN311: STAFF_REPORT,
    Channel.CAMPAIGN: STAFF_REPORT,
}


@dataclass(frozen=True)
class _Checked:
    """What a report's checks found: the registry entries it names, the resident's number
    (normalised), the rate-limit counts its transaction adds, and any problems."""

    category: Category | None
    compound: Compound | None
    number: str | None
    hits: tuple[CounterHit, ...] = ()
    problems: list[ErrorDetail] = field(default_factory=list)


def file_report(
    deps: IntakeDeps,
    key: str | None,
    body: Any,
    channel: Channel = Channel.RESIDENT,
    reporter: str | None = None,
    source: str | None = None,
    client_reference: str | None = None,
) -> Receipt:
    """File a new case, whichever door it came through. The same key and body give back the
    same case; never a second one. `client_reference` is a 311 client's own id of the report,
    kept so the client can match its report (two references are two reports).

    `source` is the sender's network address (or an Open311 client's key); it and the phone
    number are rate-limited (only keyed hashes of either are counted). A 311 client that
    sends no key of its own is recognised by the content of its request."""
    registry = deps.registry.current()
    malformed = schema_problems(REPORT_SCHEMAS[channel], body)
    if malformed:
        # Listed together with what the registry says of the fields that are well formed.
        skip = {d.field.split("/")[0] for d in malformed}
        known = _registry_check(registry, body, skip).problems if isinstance(body, dict) else []
        raise InvalidInput(_REFUSED, "invalid_report", malformed + known)
    who = {"reporter": reporter, "client_reference": client_reference}
    body_fingerprint = _fingerprint(
        deps, {**body, **{k: v for k, v in who.items() if v is not None}}
    )
    if key is None and channel is Channel.OPEN311:
        key = f"o311-{body_fingerprint[:40]}"
    key = check_idempotency_key(key)
    report = replace(_new_report(body, channel, reporter), client_reference=client_reference)
    now = deps.clock.now()
    folder = report_folder(deps.vault, key)
    try:
        checked = _registry_check(registry, body)
        photos, photo_problems = clean_photos(
            deps.photos, folder, report.photos, lambda: f"cases/{folder}/{deps.ids.uuid()}"
        )
        problems = checked.problems + photo_problems
        if problems or checked.category is None or checked.compound is None:
            raise InvalidInput(_REFUSED, "invalid_report", problems)
    except InvalidInput:
        # A retry of a report accepted long ago may fail today's checks (its staged photos
        # have expired, say); it still deserves the case it created.
        previous = deps.cases.idempotency(key)
        if previous is not None and previous.expires_at > now:
            return _replay(deps, previous, body_fingerprint)
        raise
    hits = plan_limits(deps, checked.number, source, now)
    # The cleaned photos are written before the case that points at them, under names of
    # this attempt alone; unless this attempt stores the case, they are removed again.
    kept = keep_photos(deps.photos, photos)
    stored = False
    try:
        receipt = _store(
            deps, key, report, replace(checked, hits=hits), kept, body_fingerprint, now
        )
        stored = not receipt.replayed
        return receipt
    finally:
        if not stored and kept:
            deps.photos.delete(list(kept))


def file_staff_report(
    deps: IntakeDeps, principal: Principal, key: str | None, body: Any
) -> Receipt:
    """A grid worker or property company reports through the resident form, for the
    compounds they work in only (403 for another), at most `reports_per_staff` an hour per
    account. The case records the channel and who reported it."""
    principal.require(Role.GRID, Role.PROPERTY)
    registry = deps.registry.current()
    compounds = {
        registry.grids[grid].compound for grid in principal.ids(Role.GRID) if grid in registry.grids
    }
    for company in principal.ids(Role.PROPERTY):
        compounds.update(registry.managed_compounds(company))
    compound = body.get("compound") if isinstance(body, dict) else None
    if isinstance(compound, str) and compound in registry.compounds and compound not in compounds:
        raise Forbidden(
            "You can report only for the compounds you work in.",
            "compound_out_of_scope",
            [ErrorDetail("compound", "compound_out_of_scope", "Not a compound you work in.")],
        )
    return file_report(
        deps,
        key,
        body,
        Channel.GRID if principal.has(Role.GRID) else Channel.PROPERTY,
        reporter=principal.username,
        source=f"staff:{principal.username}",
    )


_REFUSED = "The report has problems; nothing was stored."
_BATCH_REFUSED = "Some rows have problems; nothing was stored."
BATCH_COLUMNS = {
    "category": "category",
    "类别": "category",
    "问题类别": "category",
    "compound": "compound",
    "小区": "compound",
    "address": "address",
    "地址": "address",
    "详细地址": "address",
    "description": "description",
    "问题描述": "description",
    "描述": "description",
    "phone": "phone",
    "电话": "phone",
    "联系电话": "phone",
}


def file_campaign_batch(
    deps: IntakeDeps,
    principal: Principal,
    campaign: Campaign,
    key: str | None,
    body: dict[str, Any],
) -> list[dict[str, Any]]:
    """Many problems at once, as community staff collected them at a residents' meeting (居民
    议事会): JSON rows or a CSV. Every row is checked before anything is written; one bad row
    and nothing is stored (each problem named by its line). Each row becomes a case with the
    channel "campaign", in `campaign`. Rows are written one by one under keys derived from
    the request's Idempotency-Key, so a retry of a batch cut short completes it and creates
    nothing twice."""
    outer = [d for d in schema_problems(CAMPAIGN_BATCH, body) if not d.field.startswith("rows/")]
    if outer:
        raise InvalidInput(
            "The request is not valid; nothing was changed.", "invalid_request", outer
        )
    key = check_idempotency_key(key)
    registry = deps.registry.current()
    if "csv" in body:
        lines = parse_batch_csv(str(body["csv"]))
    else:
        lines = [(number, row) for number, row in enumerate(body["rows"], start=1)]
    mine = None if principal.is_district else set(principal.ids(Role.COMMUNITY))
    problems: list[ErrorDetail] = []
    checked_rows: list[tuple[int, dict[str, Any], _Checked]] = []
    for line, raw in lines:
        row = _by_name(registry, raw)
        where = f"line {line}"
        malformed = schema_problems(CAMPAIGN_ROW, row)
        skip = {d.field.split("/")[0] for d in malformed}
        checked = _registry_check(registry, row, skip) if isinstance(row, dict) else None
        found = malformed + (checked.problems if checked else [])
        if checked and checked.compound is not None:
            community = checked.compound.community
            if community not in campaign.communities:
                found.append(
                    ErrorDetail("compound", "not_in_campaign", "Not a participating community.")
                )
            elif mine is not None and community not in mine:
                found.append(
                    ErrorDetail("compound", "compound_out_of_scope", "Not your community.")
                )
        problems.extend(
            ErrorDetail(f"{where}/{d.field}" if d.field else where, d.code, d.message)
            for d in found
        )
        if not found and checked is not None:
            checked_rows.append((line, row, checked))
    if problems:
        raise InvalidInput(_BATCH_REFUSED, "invalid_batch", problems)
    now = deps.clock.now()
    created = []
    base = hashlib.sha256(f"{campaign.id}|{key}".encode()).hexdigest()[:40]
    for line, row, checked in checked_rows:
        report = NewReport(
            category=checked.category.id if checked.category else row["category"],
            compound=checked.compound.id if checked.compound else row["compound"],
            address=row["address"],
            description=row["description"],
            phone=row.get("phone", ""),
            consent=True,
            channel=Channel.CAMPAIGN,
            reporter=principal.username,
            campaign=campaign.id,
        )
        fingerprint = _fingerprint(deps, {**row, "campaign": campaign.id})
        receipt = _store(deps, f"cb{base}-{line}", report, checked, (), fingerprint, now)
        created.append({"line": line, "code": receipt.code})
    return created


def parse_batch_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """A batch as CSV: a header line naming the columns (English or Chinese), then a row per
    problem; rows with nothing in them are left out. Line numbers are the file's."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise invalid("csv", "empty", "The file is empty.") from None
    columns = [BATCH_COLUMNS.get(name.strip()) for name in header]
    missing = {"category", "compound", "address", "description"} - set(columns)
    if missing:
        raise InvalidInput(
            _BATCH_REFUSED,
            "invalid_batch",
            [
                ErrorDetail("line 1", "missing_column", f"No {name} column.")
                for name in sorted(missing)
            ],
        )
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = {
            column: value.strip()
            for column, value in zip(columns, values, strict=False)
            if column and value.strip()
        }
        rows.append((reader.line_num, row))
        if len(rows) > MAX_BATCH_ROWS:
            raise invalid("csv", "too_many_rows", f"At most {MAX_BATCH_ROWS} rows a batch.")
    if not rows:
        raise invalid("csv", "empty", "The file has no rows.")
    return rows


def _by_name(registry: Registry, row: Any) -> Any:
    """A row may name its kind and compound as the registry does (路灯, 金鹰小区) or by id."""
    if not isinstance(row, dict):
        return row
    named = dict(row)
    category = named.get("category")
    if isinstance(category, str) and category not in registry.categories:
        for found in registry.categories.values():
            if category in (found.name, found.name_en):
                named["category"] = found.id
    compound = named.get("compound")
    if isinstance(compound, str) and compound not in registry.compounds:
        for place in registry.compounds.values():
            if compound == place.name:
                named["compound"] = place.id
    return named


def _new_report(body: dict[str, Any], channel: Channel, reporter: str | None) -> NewReport:
    location = body.get("location")
    return NewReport(
        category=body["category"],
        compound=body["compound"],
        address=body["address"],
        description=body["description"],
        phone=body.get("phone", ""),
        consent=body["consent"],
        photos=tuple(body.get("photos", ())),
        location=Location(location["lat"], location["lng"]) if location else None,
        channel=channel,
        reporter=reporter,
    )


def _registry_check(
    registry: Registry, body: dict[str, Any], skip: set[str] | frozenset[str] = frozenset()
) -> _Checked:
    """What the registry says of the category and compound, and the number normalised
    (a resident must leave one; the other doors may)."""
    problems: list[ErrorDetail] = []
    category = compound = None
    number: str | None = None
    if "category" not in skip:
        category = registry.categories.get(body["category"])
        if category is None:
            problems.append(ErrorDetail("category", "unknown_category", "Unknown category."))
    if "compound" not in skip:
        compound = registry.compounds.get(body["compound"])
        if compound is None:
            problems.append(ErrorDetail("compound", "unknown_compound", "Unknown compound."))
    if "phone" not in skip and body.get("phone"):
        try:
            number = normalise_mobile(body["phone"])
        except InvalidInput as error:
            problems.extend(error.details)
    return _Checked(category, compound, number, (), problems)


def _store(
    deps: IntakeDeps,
    key: str,
    report: NewReport,
    checked: _Checked,
    photos: tuple[str, ...],
    body_fingerprint: str,
    now: datetime,
) -> Receipt:
    """One transaction: the case, its first event, the idempotency record and the limits'
    counts. A code that happens to be taken is drawn again."""
    registry = deps.registry.current()
    token = deps.ids.token(16)
    phone = deps.vault.seal_phone(checked.number) if checked.number else SealedPhone("", "", "")
    sealed_token = deps.vault.seal("case-token", token)
    assert checked.category is not None and checked.compound is not None
    policy = deps.rules.policy(checked.category.id)
    if report.campaign is None and deps.campaigns is not None:
        # A case filed in a campaign's period and place joins it (a cached read, no request).
        community = checked.compound.community
        day = now.astimezone(CHINA_TZ).date()
        report = replace(
            report, campaign=joining(deps.campaigns.current(), community, checked.category.id, day)
        )
    for attempt in range(CODE_ATTEMPTS):
        code = new_case_code(registry.district.code_prefix, now, deps.ids, attempt)
        case = Case.report(
            code=code,
            report=report,
            category=checked.category,
            compound=checked.compound,
            registry=registry,
            phone=phone,
            photos=photos,
            token_hash=token_digest(token),
            at=now,
            policy=policy,
        )
        record = IdempotencyRecord(
            key=key,
            fingerprint=body_fingerprint,
            case_code=code,
            sealed_token=sealed_token,
            created_at=now,
            expires_at=now + timedelta(days=IDEMPOTENCY_DAYS),
        )
        try:
            deps.cases.add_reported(case, record, now, checked.hits)
        except CodeTaken:
            continue
        except RateLimitHit as hit:
            raise _too_many(hit.hit.retry_after) from None
        except IdempotencyKeyTaken:
            # A retry, or a concurrent request with the same key that won the race: answer as
            # the first one was answered. Looking only on conflict keeps intake at one write.
            winner = deps.cases.idempotency(key)
            if winner is None:  # pragma: no cover - the winner's record cannot vanish this fast
                raise Conflict("Please retry the report.", "retry") from None
            return _replay(deps, winner, body_fingerprint)
        return Receipt(code=code, token=token, status=case.status.value, created_at=now)
    raise Conflict("Could not allocate a case code; please retry.", "code_exhausted")


def _too_many(retry_after: int) -> RateLimited:
    return RateLimited(
        "Too many reports from this phone or network; please try again later.",
        "rate_limited",
        headers={"Retry-After": str(max(1, retry_after))},
    )


def plan_limits(
    deps: IntakeDeps, number: str | None, source: str | None, now: datetime
) -> tuple[CounterHit, ...]:
    """The counts a report adds: one per phone and one per sender (network address, Open311
    key or staff account), each in the fixed window it falls in. They are counted inside the
    report's own transaction, each only while its window holds fewer than the limit, so
    intake reads nothing first: one DynamoDB request a report.

    The price of fixed windows: a sender who spends a window's limit at its very end can
    spend the next window's at once, twice the limit in a short while; never more."""
    limits = deps.limits
    wanted = []
    if number:
        wanted.append(
            (
                f"phone#{deps.vault.keyed_hash('phone', number)[:32]}",
                limits.reports_per_phone,
                limits.phone_window_seconds,
            )
        )
    if source:
        wanted.append(
            (
                f"address#{deps.vault.keyed_hash('address', source)[:32]}",
                _per_source(limits, source),
                limits.address_window_seconds,
            )
        )
    return tuple(_window_hit(key, limit, window, now) for key, limit, window in wanted)


def _per_source(limits: Limits, source: str) -> int:
    """An Open311 client reports for many residents, a staff member for a grid or a company's
    compounds, a network address for whoever shares it."""
    if source.startswith("key:"):
        return limits.reports_per_key
    if source.startswith("staff:"):
        return limits.reports_per_staff
    return limits.reports_per_address


def _window_hit(key: str, limit: int, window: int, now: datetime) -> CounterHit:
    number = int(now.timestamp()) // window
    left = int((number + 1) * window - now.timestamp())
    return CounterHit(
        key=f"{key}#{number}",
        cap=limit,
        expires_at=now + timedelta(seconds=2 * window),
        retry_after=max(1, left),
    )


def _replay(deps: IntakeDeps, record: IdempotencyRecord, body_fingerprint: str) -> Receipt:
    if not hmac.compare_digest(record.fingerprint, body_fingerprint):
        raise Conflict(
            "This Idempotency-Key was already used for a different report.",
            "idempotency_key_reused",
        )
    case = deps.cases.get(record.case_code)
    status = case.status.value if case else "submitted"
    return Receipt(
        code=record.case_code,
        token=deps.vault.open("case-token", record.sealed_token),
        status=status,
        created_at=record.created_at,
        replayed=True,
    )


def check_photos(photos: PhotoStore, folder: str, keys: tuple[str, ...]) -> list[ErrorDetail]:
    """The listed photos were uploaded for this folder, within the size limit, and stored as
    the type their name says."""
    problems: list[ErrorDetail] = []
    if len(keys) > MAX_PHOTOS:
        return [ErrorDetail("photos", "too_many_photos", "At most 6 photos per report.")]
    if len(set(keys)) != len(keys):
        problems.append(ErrorDetail("photos", "duplicate_photo", "A photo is listed twice."))
    prefix = f"incoming/{folder}/"
    for index, key in enumerate(keys):
        field = f"photos/{index}"
        name = _PHOTO_NAME.fullmatch(key[len(prefix) :]) if key.startswith(prefix) else None
        stored = photos.stat(key) if name else None
        if name is None or stored is None:
            problems.append(
                ErrorDetail(
                    field, "photo_not_uploaded", "This photo was not uploaded for this report."
                )
            )
        elif stored.size > MAX_PHOTO_BYTES:
            problems.append(ErrorDetail(field, "photo_too_large", "A photo may be at most 8 MB."))
        elif PHOTO_TYPES.get(stored.content_type) != name.group(1):
            problems.append(
                ErrorDetail(field, "unsupported_type", "Photos must be JPEG, PNG or WebP.")
            )
    return problems


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as it will be kept: checked by its bytes and stripped of its metadata."""

    key: str
    data: bytes
    content_type: str


def clean_photos(
    photos: PhotoStore, folder: str, keys: tuple[str, ...], new_name: Callable[[], str]
) -> tuple[list[CleanPhoto], list[ErrorDetail]]:
    """Every staged photo read, checked to be an image of its declared type and rewritten
    without EXIF, XMP, comments or text (the GPS position with them): the server keeps no
    photo as it was sent. `new_name()` gives each a key (without extension) to be kept at."""
    problems = check_photos(photos, folder, keys)
    if problems:
        return [], problems
    cleaned = []
    for index, key in enumerate(keys):
        extension = key.rsplit(".", 1)[1]
        content_type = _EXTENSION_TYPES[extension]
        try:
            data = clean_photo(photos.read(key), content_type)
        except PhotoProblem as problem:
            problems.append(ErrorDetail(f"photos/{index}", problem.code, str(problem)))
            continue
        cleaned.append(CleanPhoto(f"{new_name()}.{extension}", data, content_type))
    return cleaned, problems


def clean_staged(deps: IntakeDeps, key: str | None, staged: tuple[str, ...]) -> list[CleanPhoto]:
    """Photos a resident uploaded under `key` for a later step ("me too", added information):
    checked and cleaned like a report's; InvalidInput when any fails."""
    if not staged:
        return []
    folder = report_folder(deps.vault, check_idempotency_key(key))
    cleaned, problems = clean_photos(
        deps.photos, folder, staged, lambda: f"cases/{folder}/{deps.ids.uuid()}"
    )
    if problems:
        raise InvalidInput(
            "The photos have problems; nothing was stored.", "invalid_photo", problems
        )
    return cleaned


def keep_photos(photos: PhotoStore, cleaned: list[CleanPhoto]) -> tuple[str, ...]:
    for photo in cleaned:
        photos.put(photo.key, photo.data, photo.content_type)
    return tuple(photo.key for photo in cleaned)


def token_digest(token: str) -> str:
    # The token carries 128 random bits, so a fast hash is enough to keep it out of the table.
    return hashlib.sha256(token.encode()).hexdigest()


RESIDENT_EVENTS = {
    "reported",
    "withdrawn",
    "urged",
    "resident_info",
    "rejected",
    "merged",
    "local",
    "whistled",
    "dispatched",
    "claimed",
    "returned",
    "extension_approved",
    "escalated",
    "resolved",
    "rated",
    "reopened",
    "closed",
}


# The stages whose deadline a resident is shown, and who must meet it.
_PROMISED = {Stage.TRIAGE: "community", Stage.CLAIM: "department", Stage.RESOLVE: None}


def view_case(deps: IntakeDeps, code: str, credentials: Credentials) -> dict[str, Any]:
    """The resident's view of a case: only with its token, its SMS link or a session of its
    phone number; anything else looks like no case."""
    opened = deps.keys.open_as(deps.cases, code, credentials)
    case, follower = opened.case, opened.follower
    registry = deps.registry.current()
    compound = registry.compounds.get(case.compound)
    community = registry.communities.get(case.community)
    department = registry.departments.get(case.department or "")
    resolution = None
    if case.resolution:
        resolution = {
            "note": case.resolution.get("note"),
            "at": case.resolution.get("at"),
            "photos": [
                deps.photos.url(k, PHOTO_URL_EXPIRES_SECONDS)
                for k in case.resolution.get("photos", [])
            ],
        }
    view = {
        "code": case.code,
        "status": case.status.value,
        "category": registry.category_names(case.category),
        "compound": {"id": case.compound, "name": compound.name if compound else case.compound},
        "community": {"id": case.community, "name": community.name if community else ""},
        "department": (
            {"name": department.name, "name_en": department.name_en} if department else None
        ),
        "address": case.address,
        "description": case.description,
        "phone": case.phone.masked,
        "location": (
            {"lat": case.location.lat, "lng": case.location.lng} if case.location else None
        ),
        "photos": [deps.photos.url(k, PHOTO_URL_EXPIRES_SECONDS) for k in case.photos],
        "deadline": iso(case.deadline) if case.deadline and case.stage in _PROMISED else None,
        "stage": case.stage.value if case.stage in _PROMISED else None,
        "due_by": _due_by(case) if case.stage in _PROMISED else None,
        "overdue": case.overdue,
        "rate_by": iso(case.deadline) if case.deadline and case.stage is Stage.RATING else None,
        "updates": "essential" if case.resident_quiet else "all",
        "resolution": resolution,
        "rating": case.rating,
        "can_rate": case.status.value == "resolved",
        "merged_into": case.merged_into,
        # The reporter of a merged case follows the case it joined: their own link to it.
        "merged_link": (
            follower_link(deps.vault, case.merged_into, case.phone.lookup)
            if case.merged_into
            and case.phone.lookup
            and follower is None
            and deps.cases.follower(case.merged_into, case.phone.lookup)
            else None
        ),
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "timeline": [
            _public_event(e) for e in deps.cases.timeline(code) if e.kind in RESIDENT_EVENTS
        ],
        "residents_waiting": case.residents_waiting,
        "following": follower is not None,
        "can_withdraw": follower is None and case.status is Status.SUBMITTED,
        "can_add": follower is None and case.status in OPEN,
        "can_urge": follower is None and case.past_deadline(deps.clock.now()),
        "urged_at": iso(case.urged_at) if case.urged_at else None,
    }
    if follower is not None:
        return _as_follower(view, follower)
    return view


def _as_follower(view: dict[str, Any], follower: Follower) -> dict[str, Any]:
    """A follower sees the problem's progress and result, never the reporter's words, photos,
    address, number or rating; their own rating and choice of messages instead."""
    view.update(
        {
            "description": "",
            "address": "",
            "phone": follower.phone.masked,
            "location": None,
            "photos": [],
            "rating": follower.rating,
            "can_rate": view["resolution"] is not None and follower.rating is None,
            "updates": "essential" if follower.quiet else "all",
            "timeline": [
                {**event, "note": None, "rating": None} if event["kind"] == "rated" else event
                for event in view["timeline"]
            ],
        }
    )
    return view


def _due_by(case: Case) -> str:
    """Who must act before the deadline: the community while it triages or handles the case
    itself, the department once it was whistled."""
    owner = _PROMISED.get(case.stage) if case.stage else None
    if owner is None:
        owner = "community" if case.local_by else "department"
    return owner


def _public_event(event: CaseEvent) -> dict[str, Any]:
    """A timeline entry as the resident sees it: what happened and when, never staff identities."""
    return {
        "at": iso(event.at),
        "kind": event.kind,
        "status": event.status_after.value,
        "note": event.note if event.kind in ("rejected", "resolved", "local", "rated") else None,
        "rating": (
            {"resolved": event.data.get("resolved"), "satisfaction": event.data.get("satisfaction")}
            if event.kind == "rated"
            else None
        ),
    }
