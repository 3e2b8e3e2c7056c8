"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): existing 311 clients report into
Whistle through the same intake use case as the resident form, and anyone reads the public
record — never a phone number, a name or a resident's own words.

Whistle's states in Open311 terms: `open` while the community or a department has the case or
the resident is asked to rate it (submitted, local, whistled, dispatched, claimed, resolved);
`closed` once it is closed, rejected or merged into another case.

mySociety's extensions (what FixMyStreet speaks, perllib/Open311.pm in mysociety/fixmystreet):
`servicerequestupdates` lists every public change of every request in a window, with the
extended status of EXTENDED_STATUS, and takes a front end's updates on a request — a comment,
a photo, or "not fixed" from the client that filed it, which reopens the case as the
resident's own rating would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..domain.cases import FINAL, Actor, Case, CaseEvent, Channel, Location, Satisfaction, Status
from ..domain.clock import CHINA_TZ, Clock, iso, parse_iso
from ..domain.codes import is_case_code
from ..domain.errors import DomainError, ErrorDetail, Forbidden, InvalidInput, NotFound
from ..domain.followers import Follower
from ..domain.phone import normalise_mobile
from ..domain.photos import PhotoProblem, clean_photo
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import (
    ApiKeyStore,
    CaseStore,
    MediaFetcher,
    MediaRefused,
    MessageChannel,
    Notification,
    PhotoStore,
)
from ..schemas import OPEN311_UPDATE, validate
from . import intake
from .notify import Messenger, store_transition

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
MAX_IDS = 100
MAX_WINDOW = timedelta(days=90)
MAX_UPDATES = 1000
MAX_UPDATES_WINDOW = timedelta(days=31)
DEFAULT_UPDATES_WINDOW = timedelta(days=1)
# A client's own id of its report: what `attribute[fixmystreet_id]` and the like carry. Only
# an id is kept — anything else (words, names) is dropped, never published.
CLIENT_REFERENCES = ("attribute[fixmystreet_id]", "attribute[client_reference]")
_REFERENCE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class Open311Deps:
    clock: Clock
    keys: ApiKeyStore
    cases: CaseStore
    intake: intake.IntakeDeps
    public_url: str
    messenger: Messenger
    photos: PhotoStore
    media: MediaFetcher
    allow_http: bool = False  # local mode: a client's URLs may be plain http


def w3c(moment: datetime | None) -> str | None:
    """W3C datetime with the China offset, as GeoReport asks (e.g. 2026-11-27T10:00:00+08:00)."""
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds") if moment else None


def status_of(case: Case) -> str:
    return "closed" if case.status in FINAL else "open"


# -- discovery and services --------------------------------------------------------------------


def discovery(deps: Open311Deps, registry: Registry) -> dict[str, Any]:
    return {
        "changeset": w3c(deps.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)),
        "contact": f"{registry.district.name} 社区吹哨、部门报到专班 ({registry.district.email or ''})",
        "key_service": "API keys are issued by the district task force.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{deps.public_url}/open311/v2",
                "changeset": w3c(
                    deps.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
                ),
                "type": "test" if registry.sample else "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def services(registry: Registry) -> list[dict[str, Any]]:
    return [
        {
            "service_code": c.open311_code,
            "service_name": c.name,
            "description": f"{c.name_en} ({c.group} · {c.group_en})",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join(c.keywords),
            "group": c.group,
        }
        for c in registry.categories.values()
    ]


def _category(registry: Registry, service_code: str) -> Any:
    for category in registry.categories.values():
        if category.open311_code == service_code:
            return category
    raise NotFound(f"No service with code {service_code}.", "unknown_service")


def definition(registry: Registry, service_code: str) -> dict[str, Any]:
    category = _category(registry, service_code)
    compounds = [
        {"key": c.id, "name": f"{registry.communities[c.community].name} · {c.name}"}
        for c in registry.compounds.values()
    ]
    return {
        "service_code": category.open311_code,
        "attributes": [
            {
                "variable": True,
                "code": "compound",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "The residential compound (小区); needed when lat/long "
                "are not given.",
                "order": 1,
                "description": "小区 Compound",
                "values": compounds,
            },
            {
                "variable": True,
                "code": "building",
                "datatype": "string",
                "required": False,
                "datatype_description": "Building and entrance, e.g. 3栋2单元.",
                "order": 2,
                "description": "楼栋/单元 Building and unit",
                "values": [],
            },
        ],
    }


# -- posting -----------------------------------------------------------------------------------


def issue_key(deps: Open311Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A new API key for a 311 client; the secret is shown once. Its hash checks the key; the
    secret itself is kept sealed only to sign pushes to the client's `callback_url`, if any."""
    principal.require(Role.DISTRICT)
    name = str(body.get("name", "")).strip()
    if not name:
        raise InvalidInput(
            "Name the client.", "required", [ErrorDetail("name", "required", "Name the client.")]
        )
    callback = body.get("callback_url")
    if callback is not None:
        parts = urlsplit(callback)
        schemes = ("https", "http") if deps.allow_http else ("https",)
        if parts.scheme not in schemes or not parts.hostname or parts.username:
            raise InvalidInput(
                "The callback URL must be an https URL.",
                "invalid_callback_url",
                [ErrorDetail("callback_url", "invalid_callback_url", "https://…")],
            )
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    deps.keys.put(
        key_id,
        {
            "id": key_id,
            "name": name,
            "hash": hashlib.sha256(secret.encode()).hexdigest(),
            "sealed_secret": deps.intake.vault.seal("open311-key", secret),
            "callback_url": callback,
            "created_at": iso(deps.clock.now()),
            "created_by": principal.username,
            "revoked_at": None,
        },
    )
    return {
        "id": key_id,
        "name": name,
        "api_key": f"{key_id}.{secret}",
        "callback_url": callback,
    }


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("hash", "sealed_secret")}


def revoke_key(
    keys: ApiKeyStore, principal: Principal, key_id: str, now: datetime
) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    data = keys.get(key_id)
    if data is None:
        raise NotFound("No such API key.", "not_found")
    data["revoked_at"] = data.get("revoked_at") or iso(now)
    keys.put(key_id, data)
    return _shown(data)


def list_keys(keys: ApiKeyStore, principal: Principal) -> list[dict[str, Any]]:
    principal.require(Role.DISTRICT)
    return [_shown(data) for data in keys.all()]


def check_key(keys: ApiKeyStore, api_key: str | None) -> dict[str, Any]:
    refused = Forbidden("api_key is missing, unknown or revoked.", "invalid_api_key")
    if not api_key or "." not in api_key:
        raise refused
    key_id, _, secret = api_key.partition(".")
    data = keys.get(key_id)
    if (
        data is None
        or data.get("revoked_at")
        or not hmac.compare_digest(data["hash"], hashlib.sha256(secret.encode()).hexdigest())
    ):
        raise refused
    return data


def post_request(
    deps: Open311Deps, form: dict[str, str], idempotency_key: str | None
) -> dict[str, Any]:
    """Create a case from a GeoReport POST, through the resident form's use case and checks.

    Where the standard makes a field optional Whistle is tolerant, because a front end such as
    FixMyStreet retries a refused report forever: contact fields it cannot use (a number that
    is not a mainland mobile, e-mail, names) are dropped and the report is accepted."""
    client = check_key(deps.keys, form.get("api_key"))
    registry = deps.intake.registry.current()
    check_jurisdiction(registry, form)
    category = _category(registry, form.get("service_code", ""))
    compound_id = form.get("attribute[compound]", "").strip()
    location = None
    problems = []
    if form.get("lat") or form.get("long"):
        try:
            location = Location(float(form["lat"]), float(form["long"]))
            if not (-90 <= location.lat <= 90 and -180 <= location.lng <= 180):
                raise ValueError
        except (KeyError, ValueError):
            problems.append(
                ErrorDetail("lat", "invalid_location", "lat and long are decimal degrees.")
            )
    if not compound_id and location is not None:
        nearest = registry.nearest_compound(location.lat, location.lng)
        if nearest is None:
            problems.append(
                ErrorDetail(
                    "lat", "outside_area", "No compound of the district is near this point."
                )
            )
        else:
            compound_id = nearest.id
    if not compound_id and location is None:
        problems.append(
            ErrorDetail("lat", "location_required", "Give lat and long, or attribute[compound].")
        )
    if problems:
        raise InvalidInput(
            "The request has problems; nothing was stored.", "invalid_request", problems
        )
    building = form.get("attribute[building]", "").strip()
    address = " ".join(p for p in (building, form.get("address_string", "").strip()) if p)
    body: dict[str, Any] = {
        "category": category.id,
        "compound": compound_id,
        "address": address or "（Open311）",
        "description": form.get("description", ""),
        "consent": True,  # the client's operator collects consent under its key's terms
    }
    if usable_mobile(form.get("phone")):
        body["phone"] = form["phone"]
    if location is not None:
        body["location"] = {"lat": location.lat, "lng": location.lng}
    if form.get("media_url"):
        # The photo is staged as a resident's upload is, under the report's key, and filed
        # through the same checks; a retried POST names the same key and the same photo.
        if idempotency_key is None:
            canonical = json.dumps({**form, "api_key": client["id"]}, sort_keys=True)
            idempotency_key = f"o311-{deps.intake.vault.keyed_hash('open311-form', canonical)[:40]}"
        data, content_type = fetch_photo(deps, form["media_url"])
        folder = intake.report_folder(deps.intake.vault, idempotency_key)
        name = deps.intake.vault.keyed_hash("open311-media", form["media_url"])[:32]
        staged = f"incoming/{folder}/{name}.{intake.PHOTO_TYPES[content_type]}"
        deps.photos.put(staged, data, content_type)
        body["photos"] = [staged]
    # Limited per key: a client's reports all come from its own servers' addresses.
    receipt = intake.file_report(
        deps.intake,
        idempotency_key,
        body,
        Channel.OPEN311,
        reporter=f"open311:{client['id']}",
        source=f"key:{client['id']}",
        client_reference=client_reference(form),
    )
    return {"service_request_id": receipt.code, "service_notice": "", "account_id": None}


def fetch_photo(deps: Open311Deps, url: str) -> tuple[bytes, str]:
    """A client's photo fetched safely (MediaFetcher) and rewritten without its metadata, as
    every photo Whistle keeps; a clear 400 naming media_url otherwise, with nothing stored."""
    try:
        fetched = deps.media.fetch(url)
        return clean_photo(fetched.data, fetched.content_type), fetched.content_type
    except (MediaRefused, PhotoProblem) as refused:
        raise InvalidInput(
            "media_url was not used; nothing was stored.",
            "invalid_media",
            [ErrorDetail("media_url", refused.code, str(refused))],
        ) from None


def check_jurisdiction(registry: Registry, form: dict[str, str]) -> None:
    """`jurisdiction_id` is optional; when sent it must be this district's id."""
    given = form.get("jurisdiction_id", "").strip()
    if given and given != registry.district.id:
        raise NotFound(
            f"This server serves jurisdiction_id {registry.district.id}, not {given}.",
            "unknown_jurisdiction",
            [ErrorDetail("jurisdiction_id", "unknown_jurisdiction", registry.district.id)],
        )


def usable_mobile(raw: str | None) -> bool:
    try:
        return bool(raw) and bool(normalise_mobile(raw or ""))
    except InvalidInput:
        return False


def client_reference(form: dict[str, str]) -> str | None:
    for name in CLIENT_REFERENCES:
        value = form.get(name, "").strip()
        if _REFERENCE.fullmatch(value):
            return value
    return None


# -- reading -----------------------------------------------------------------------------------


def public_request(case: Case, registry: Registry, photo_url: Any = None) -> dict[str, Any]:
    """A case as the public record shows it: what and where, who is responsible, when — no
    phone number, no name, no resident's words (the description is the summary staff
    published, if they did)."""
    category = registry.categories.get(case.category)
    compound = registry.compounds.get(case.compound)
    community = registry.communities.get(case.community)
    department = registry.departments.get(case.department or "")
    notes = None
    if case.resolution:
        notes = case.resolution.get("note")
    return {
        "service_request_id": case.code,
        "status": status_of(case),
        "status_notes": notes,
        "service_name": category.name if category else case.category,
        "service_code": category.open311_code if category else None,
        "description": case.public_summary,
        "agency_responsible": department.name
        if department
        else (community.name if community else None),
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline) if case.status not in FINAL else None,
        "address": f"{community.name if community else ''} {compound.name if compound else ''}".strip(),
        "address_id": case.compound,
        "zipcode": None,
        "lat": compound.lat if compound else None,
        "long": compound.lng if compound else None,
        "media_url": None,
        "client_reference": case.client_reference,
        # 联名: how many residents wait on it (the reporter, followers, merged cases), no names.
        "residents_waiting": case.residents_waiting,
    }


def get_request(deps: Open311Deps, code: str) -> list[dict[str, Any]]:
    case = deps.cases.get(code)
    if case is None:
        raise NotFound(f"No service request {code}.", "not_found")
    return [public_request(case, deps.intake.registry.current())]


def list_requests(deps: Open311Deps, query: dict[str, str]) -> list[dict[str, Any]]:
    registry = deps.intake.registry.current()
    if query.get("service_request_id"):
        ids = list(dict.fromkeys(i.strip() for i in query["service_request_id"].split(",")))
        ids = [i for i in ids if i]
        if len(ids) > MAX_IDS:
            raise InvalidInput(
                f"Ask for at most {MAX_IDS} service_request_id values at once.",
                "too_many_ids",
                [ErrorDetail("service_request_id", "too_many_ids", f"At most {MAX_IDS} ids.")],
            )
        # Read in batches (one BatchGetItem per 100 codes), in the order asked.
        found = deps.cases.get_many([i for i in ids if is_case_code(i)])
        return [public_request(found[i], registry) for i in ids if i in found]
    start, end = _window(query, deps.clock.now(), MAX_WINDOW)
    if end < start or end - start > MAX_WINDOW:
        raise InvalidInput(
            "The date range is at most 90 days.",
            "invalid_range",
            [ErrorDetail("end_date", "invalid_range", "At most 90 days after start_date.")],
        )
    status = query.get("status")
    if status and status not in ("open", "closed"):
        raise InvalidInput(
            "status is open or closed.",
            "invalid_status",
            [ErrorDetail("status", "invalid_status", "open or closed")],
        )
    codes = {c.strip() for c in query.get("service_code", "").split(",") if c.strip()}
    wanted = {c.id for c in registry.categories.values() if c.open311_code in codes}
    cases = deps.cases.created_between(registry.district.id, start, end, 5 * MAX_RESULTS)
    out = []
    for case in cases:
        if codes and case.category not in wanted:
            continue
        if status and status_of(case) != status:
            continue
        out.append(public_request(case, registry))
        if len(out) >= MAX_RESULTS:
            break
    return out


# -- mySociety's update extensions ---------------------------------------------------------

# Each public event of a case as mySociety's extended status (README: "Open311"). Events not
# listed (reminders, escalations, chasing, extension requests, ratings, a client's own
# updates, phone look-ups) are internal and never listed. `published` and any event without
# its own entry take the status the case is in.
EXTENDED_STATUS = {
    "reported": "OPEN",
    "returned": "FOR_TRIAGE",  # 退单: back to the community to triage again
    "local": "IN_PROGRESS",  # the community, property company or grid worker fixes it
    "whistled": "INVESTIGATING",  # 吹哨: referred to a department
    "dispatched": "INVESTIGATING",  # the department is alerted
    "claimed": "IN_PROGRESS",  # 认领
    "extension_approved": "ACTION_SCHEDULED",  # a later deadline was agreed
    "resolved": "FIXED",  # 办结
    "reopened": "REOPEN",  # the resident (or the filing client) said it is not fixed
    "closed": "FIXED",  # confirmed or unrated after the rating week: it stays fixed
    "rejected": "CLOSED",  # 不予受理
    "merged": "DUPLICATE",
    "withdrawn": "CLOSED",  # 撤回: the reporter took it back
    "published": None,
}
STATUS_EXTENDED = {
    Status.SUBMITTED: "OPEN",
    Status.LOCAL: "IN_PROGRESS",
    Status.WHISTLED: "INVESTIGATING",
    Status.DISPATCHED: "INVESTIGATING",
    Status.CLAIMED: "IN_PROGRESS",
    Status.RESOLVED: "FIXED",
    Status.CLOSED: "FIXED",
    Status.REJECTED: "CLOSED",
    Status.MERGED: "DUPLICATE",
    Status.WITHDRAWN: "CLOSED",
}
# Only these events' notes are public: the department's resolution note and the summary staff
# wrote for the public record. Every other note (a reason, a resident's comment) stays inside.
PUBLIC_NOTES = {"resolved", "published"}


def update_id(event: CaseEvent) -> str:
    """Stable: a case's events are numbered once and never renumbered."""
    return f"{event.case_code}-{event.seq}"


def public_update(event: CaseEvent, photos: PhotoStore) -> dict[str, Any]:
    extended = EXTENDED_STATUS[event.kind] or STATUS_EXTENDED[event.status_after]
    keys = event.data.get("photo_keys") or [] if event.kind == "resolved" else []
    return {
        "update_id": update_id(event),
        "service_request_id": event.case_code,
        # mySociety's `status` is the extended status (FixMyStreet maps it to its own states);
        # plain GeoReport's open/closed is beside it.
        "status": extended,
        "request_status": "closed" if event.status_after in FINAL else "open",
        "updated_datetime": w3c(event.at),
        "description": event.note if event.kind in PUBLIC_NOTES else None,
        "media_url": photos.url(keys[0], intake.PHOTO_URL_EXPIRES_SECONDS) if keys else None,
        "external_status_code": event.kind,
    }


def _window(query: dict[str, str], now: datetime, default: timedelta) -> tuple[datetime, datetime]:
    try:
        end = parse_iso(query["end_date"]) if query.get("end_date") else now
        start = parse_iso(query["start_date"]) if query.get("start_date") else end - default
        if end.tzinfo is None or start.tzinfo is None:
            raise ValueError
    except ValueError:
        raise InvalidInput(
            "start_date and end_date are W3C datetimes with a time zone.",
            "invalid_date",
            [ErrorDetail("start_date", "invalid_date", "e.g. 2026-11-01T00:00:00+08:00")],
        ) from None
    return start, end


def list_updates(deps: Open311Deps, query: dict[str, str]) -> list[dict[str, Any]]:
    """GET servicerequestupdates: every public change of every request between start_date and
    end_date (a day up to now by default), oldest first. A fixed number of reads per window:
    one per China day and shard of the events' day index, whatever the cases' histories."""
    check_key(deps.keys, query.get("api_key"))
    start, end = _window(query, deps.clock.now(), DEFAULT_UPDATES_WINDOW)
    if end < start or end - start > MAX_UPDATES_WINDOW:
        raise InvalidInput(
            "The date range of updates is at most 31 days.",
            "invalid_range",
            [ErrorDetail("end_date", "invalid_range", "At most 31 days after start_date.")],
        )
    events = deps.cases.events_between(start, end, MAX_UPDATES * 5)
    public = [e for e in events if e.kind in EXTENDED_STATUS]
    if len(public) > MAX_UPDATES or len(events) >= MAX_UPDATES * 5:
        # Refused rather than cut: a client that keeps the last time it saw would skip the rest.
        raise InvalidInput(
            f"More than {MAX_UPDATES} updates in this window; ask for a shorter one.",
            "too_many_updates",
            [ErrorDetail("start_date", "too_many_updates", "Ask for a shorter window.")],
        )
    return [public_update(e, deps.photos) for e in public]


def post_update(deps: Open311Deps, form: dict[str, str]) -> dict[str, Any]:
    """POST servicerequestupdates: a front end's update on a request — a comment, or "not
    fixed" — answered with Whistle's update id. The client's own `update_id` makes it
    idempotent: the same update sent again gets the same answer and changes nothing.

    "Not fixed" reopens the case as the resident's own rating would, when the client filed
    the case and the case awaits the rating: status REOPEN, or OPEN dated after the
    resolution (FixMyStreet without extended statuses says OPEN for a reopened report; an OPEN
    written before our resolution only crossed it and is a comment)."""
    client = check_key(deps.keys, form.get("api_key"))
    registry = deps.intake.registry.current()
    check_jurisdiction(registry, form)
    form = validate(OPEN311_UPDATE, form)
    code = form["service_request_id"]
    case = deps.cases.get(code) if is_case_code(code) else None
    if case is None:
        raise NotFound(f"No service request {code}.", "not_found")
    reference = f"{client['id']}:{form['update_id']}"
    for event in deps.cases.timeline(code):
        if event.kind == "client_update" and event.data.get("reference") == reference:
            return {"update_id": update_id(event)}
    now = deps.clock.now()
    photos: tuple[str, ...] = ()
    if form.get("media_url"):
        data, content_type = fetch_photo(deps, form["media_url"])
        extension = intake.PHOTO_TYPES[content_type]
        photos = (f"cases/{code}/updates/{deps.intake.ids.uuid()}.{extension}",)
        deps.photos.put(photos[0], data, content_type)
    description = form.get("description", "").strip() or None
    actor = Actor("open311", client["id"])
    recorded = case.client_update(actor, reference, description, photos, now)
    if _not_fixed(case, client, form):
        case.rate(False, Satisfaction.NOT, None, now, deps.intake.rules.policy(case.category))
    stored = False
    try:
        # The case's version guards the save: a concurrent copy of this update fails as
        # stale (409) and its retry finds the stored one above.
        store_transition(deps.cases, deps.messenger, case, registry, now)
        stored = True
    finally:
        if photos and not stored:
            deps.photos.delete(list(photos))
    return {"update_id": update_id(recorded)}


def _not_fixed(case: Case, client: dict[str, Any], form: dict[str, str]) -> bool:
    if case.status is not Status.RESOLVED or case.reporter != f"open311:{client['id']}":
        return False
    status = form.get("status", "").strip().upper()
    if status == "REOPEN":
        return True
    if status != "OPEN" or not case.resolution:
        return False
    try:
        written = parse_iso(form.get("updated_datetime", ""))
    except ValueError:
        return False
    return written.tzinfo is not None and written > parse_iso(case.resolution["at"])


# -- pushes ------------------------------------------------------------------------------------

CALLBACKS = uuid.UUID("0b7f3f55-8f0e-4c53-a3a2-5b1f6c3e2d71")  # namespace of push ids


@dataclass(frozen=True)
class Open311Messenger(Messenger):
    """The messages a transition asks for and, for a case a 311 client filed with a callback
    URL, each public change pushed to that URL — written in the transition's own transaction
    like every message of the outbox, so none is lost, and under an id derived from the update
    so none is stored twice."""

    keys: ApiKeyStore | None = None
    photos: PhotoStore | None = None

    def notifications(
        self,
        case: Case,
        registry: Registry,
        now: datetime,
        followers: Sequence[Follower] = (),
    ) -> list[Notification]:
        return super().notifications(case, registry, now, followers) + self.pushes(case, now)

    def pushes(self, case: Case, now: datetime) -> list[Notification]:
        public = [e for e in case.new_events if e.kind in EXTENDED_STATUS]
        reporter = case.reporter or ""
        if not public or self.keys is None or self.photos is None:
            return []
        if case.channel is not Channel.OPEN311 or not reporter.startswith("open311:"):
            return []
        key = self.keys.get(reporter.removeprefix("open311:"))
        if key is None or key.get("revoked_at") or not key.get("callback_url"):
            return []
        url = str(key["callback_url"])
        return [
            Notification(
                id=uuid.uuid5(CALLBACKS, f"{key['id']}:{update_id(event)}").hex,
                case_code=case.code,
                channel=MessageChannel.CALLBACK,
                recipient=url,
                recipient_display=f"{key['name']} ({urlsplit(url).hostname})",
                template="open311_update",
                subject="",
                body=json.dumps(public_update(event, self.photos), ensure_ascii=False),
                created_at=now,
                params={"key": str(key["id"]), "update_id": update_id(event)},
            )
            for event in public
        ]


def token(deps: Open311Deps, value: str) -> list[dict[str, Any]]:
    """Whistle answers POSTs with the request id at once; a token is that id."""
    case = deps.cases.get(value)
    if case is None:
        raise NotFound(f"No token {value}.", "not_found")
    return [{"service_request_id": case.code, "token": case.code}]


def errors_of(error: DomainError) -> list[dict[str, Any]]:
    """GeoReport's error list: one entry per problem, the HTTP status as code."""
    if error.details:
        return [
            {"code": error.status, "description": f"{d.field}: {d.message}"} for d in error.details
        ]
    return [{"code": error.status, "description": error.message}]
