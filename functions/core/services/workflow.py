"""Staff work on cases: who may see a case, the lists each role works from, and every
transition a community, a department or the district takes (吹哨、认领、退单、延期、办结、督办).

Lists are scoped by key — a community's inbox is a query on that community, a department's work
list a query on that department. A single case outside one's scope is "not found", exactly as
if it did not exist.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain.cases import (
    FINAL,
    FOLLOWABLE,
    OPEN,
    Actor,
    Case,
    Policy,
    Satisfaction,
    Stage,
    Status,
)
from ..domain.clock import Clock, IdSource, iso
from ..domain.codes import is_case_code
from ..domain.errors import Conflict, ErrorDetail, Forbidden, InvalidInput, NotFound, invalid
from ..domain.followers import MAX_TOLD_FOLLOWERS, Follower, Joined
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import (
    AccountSource,
    CampaignSource,
    CaseStore,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    PhoneVault,
    PhotoStore,
    RegistrySource,
)
from ..schemas import ID_PATTERN, LIST_VIEWS, NOTE, RATING, validate
from . import intake
from .notify import Messenger, store_transition
from .passes import ActionPass
from .residents import CaseKeys, Credentials
from .rules import Rules

PAGE_SIZE = 20
DUPLICATE_WINDOW = timedelta(days=30)
STAFF_IDEMPOTENCY = timedelta(days=1)


@dataclass(frozen=True)
class WorkflowDeps:
    clock: Clock
    ids: IdSource
    registry: RegistrySource
    cases: CaseStore
    photos: PhotoStore
    vault: PhoneVault
    rules: Rules
    messenger: Messenger
    keys: CaseKeys
    # Staff accounts as the authorizer sees them: a disabled one is named so on the case.
    staff: AccountSource | None = None
    campaigns: CampaignSource | None = None  # to name the campaign a case is in


@dataclass(frozen=True)
class Acting:
    """Who acts: a signed-in staff member, or a department holding a signed action link."""

    principal: Principal | None = None
    action_pass: ActionPass | None = None

    @property
    def actor(self) -> Actor:
        if self.principal is not None:
            role = self.principal.scopes[0].role.value if self.principal.scopes else "staff"
            return Actor(role, self.principal.username)
        assert self.action_pass is not None
        return Actor("department", f"link:{self.action_pass.department}")

    def departments(self) -> tuple[str, ...]:
        if self.principal is not None:
            return self.principal.ids(Role.DEPARTMENT)
        return (self.action_pass.department,) if self.action_pass else ()

    def communities(self) -> tuple[str, ...]:
        return self.principal.ids(Role.COMMUNITY) if self.principal else ()

    @property
    def district(self) -> bool:
        return bool(self.principal and self.principal.is_district)


# -- who may see and do what ---------------------------------------------------------------


def can_see(acting: Acting, case: Case, registry: Registry) -> bool:
    if acting.action_pass is not None:
        return (
            acting.action_pass.case_code == case.code
            and case.department == acting.action_pass.department
        )
    principal = acting.principal
    if principal is None:
        return False
    if principal.is_district:
        return True
    if case.community in principal.ids(Role.COMMUNITY):
        return True
    departments = set(principal.ids(Role.DEPARTMENT))
    if case.department in departments or departments & set(case.co_departments):
        return True
    grids = principal.ids(Role.GRID)
    if any(registry.grids.get(g) and registry.grids[g].compound == case.compound for g in grids):
        return True
    companies = principal.ids(Role.PROPERTY)
    compound = registry.compounds.get(case.compound)
    return bool(compound and compound.property_company in companies)


def _triage(acting: Acting, case: Case) -> bool:
    return acting.district or case.community in acting.communities()


def _lead_department(acting: Acting, case: Case) -> bool:
    return case.department is not None and case.department in acting.departments()


def _resolver(acting: Acting, case: Case) -> bool:
    if case.status is Status.LOCAL:
        return case.community in acting.communities()
    return _lead_department(acting, case)


def _district(acting: Acting, case: Case) -> bool:
    return acting.district


@dataclass(frozen=True)
class Step:
    """One action being taken: the case as loaded, the checked body, and what the action's
    rules need."""

    deps: WorkflowDeps
    acting: Acting
    case: Case
    body: dict[str, Any]
    now: datetime
    policy: Policy
    registry: Registry
    # Photos written for this action: removed again unless the action is stored.
    written: list[str] = field(default_factory=list)
    # Followers the action adds, and further cases it changes (a merge: the case joined).
    followers: list[Follower] = field(default_factory=list)
    others: list[Case] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return self.acting.actor


@dataclass(frozen=True)
class Action:
    statuses: frozenset[Status]
    allowed: Callable[[Acting, Case], bool]
    schema: dict[str, Any]
    do: Callable[[Step], None]


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", *required],
        "properties": {"version": {"type": "integer", "minimum": 1}, **properties},
    }


_TEXT = {"type": "string", "minLength": 1, "maxLength": 1000, "x-min-visible": 1}
_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN}


def _merge(step: Step) -> None:
    """The case joins another: its reporter and followers follow that one from now on (and
    are told so, with a link to it). A finished case cannot be joined: 409 with the reason."""
    case, cases = step.case, step.deps.cases
    target = cases.get(step.body["into"]) if step.body["into"] != case.code else None
    if step.body["into"] == case.code:
        case.merge(step.actor, case.code, step.now, step.policy)  # refused: into itself
    if target is None or not can_see(step.acting, target, step.registry):
        raise invalid("into", "unknown_case", "Merge into an existing case you can see.")
    if target.status not in FOLLOWABLE:
        raise Conflict(
            f"Case {target.code} is {target.status.value}: merge into an open case instead.",
            "merge_target_closed",
            [ErrorDetail("into", "merge_target_closed", f"The case is {target.status.value}.")],
        )
    moved: list[Follower] = []
    if case.phone.lookup and case.phone.lookup != target.phone.lookup:
        moved.append(
            Follower(
                target.code,
                case.phone,
                step.now,
                Joined.MERGED_REPORTER,
                from_case=case.code,
                quiet=case.resident_quiet,
            )
        )
    for follower in cases.followers(case.code, MAX_TOLD_FOLLOWERS):
        if follower.phone.lookup != target.phone.lookup and follower.phone.ciphertext:
            moved.append(
                follower.moved_to(target.code, Joined.MERGED_FOLLOWER, case.code, step.now)
            )
    # Who follows the target already is not added twice (nor counted twice).
    moved = [m for m in moved if cases.follower(target.code, m.phone.lookup) is None]
    target.absorb(
        step.actor,
        case,
        sum(1 for m in moved if m.joined is Joined.MERGED_FOLLOWER),
        step.now,
    )
    case.merge(step.actor, target.code, step.now, step.policy)
    step.followers.extend(moved)
    step.others.append(target)


def _whistle(step: Step) -> None:
    """To the department asked for, or where the registry's routing sends the case."""
    case, registry = step.case, step.registry
    department = step.body.get("department") or registry.route(case.category, case.community)
    co = tuple(step.body.get("co_departments", ()))
    if department is None or any(d not in registry.departments for d in (department, *co)):
        raise InvalidInput(
            "Whistle to departments in the registry.",
            "unknown_department",
            [ErrorDetail("department", "unknown_department", "Unknown department.")],
        )
    case.whistle(step.actor, department, co, step.body.get("note"), step.now, step.policy)


def _resolve(step: Step) -> None:
    photos = _resolution_photos(step)
    step.case.resolve(step.actor, step.body["note"], photos, step.now, step.policy)


ACTIONS: dict[str, Action] = {
    "reject": Action(
        frozenset({Status.SUBMITTED}),
        _triage,
        _body(["reason"], {"reason": _TEXT}),
        lambda s: s.case.reject(s.actor, s.body["reason"], s.now, s.policy),
    ),
    "merge": Action(frozenset({Status.SUBMITTED}), _triage, _body(["into"], {"into": _ID}), _merge),
    "local": Action(
        frozenset({Status.SUBMITTED}),
        _triage,
        _body(["by"], {"by": {"enum": ["community", "property", "grid"]}, "note": _TEXT}),
        lambda s: s.case.handle_locally(s.actor, s.body["by"], s.body.get("note"), s.now, s.policy),
    ),
    "whistle": Action(
        frozenset({Status.SUBMITTED}),
        _triage,
        _body(
            [],
            {
                "department": _ID,
                "co_departments": {"type": "array", "maxItems": 5, "items": _ID},
                "note": _TEXT,
            },
        ),
        _whistle,
    ),
    "claim": Action(
        frozenset({Status.DISPATCHED}),
        _lead_department,
        _body([], {}),
        lambda s: s.case.claim(s.actor, s.now, s.policy),
    ),
    "return": Action(
        frozenset({Status.DISPATCHED, Status.CLAIMED}),
        _lead_department,
        _body(["reason"], {"reason": _TEXT}),
        lambda s: s.case.return_to_triage(s.actor, s.body["reason"], s.now, s.policy),
    ),
    "extension": Action(
        frozenset({Status.CLAIMED}),
        _lead_department,
        _body(
            ["days", "reason"],
            {"days": {"type": "integer", "minimum": 1, "maximum": 30}, "reason": _TEXT},
        ),
        lambda s: s.case.request_extension(
            s.actor, s.body["days"], s.body["reason"], s.now, s.policy
        ),
    ),
    "resolve": Action(
        frozenset({Status.CLAIMED, Status.LOCAL}),
        _resolver,
        _body(
            ["note"],
            {
                "note": _TEXT,
                "photos": {
                    "type": "array",
                    "maxItems": 6,
                    "items": {"type": "string", "maxLength": 200, "pattern": ID_PATTERN},
                },
                "upload_key": {"type": "string", "maxLength": 100, "pattern": ID_PATTERN},
            },
        ),
        _resolve,
    ),
    "decide_extension": Action(
        frozenset({Status.CLAIMED}),
        _district,
        _body(["approve"], {"approve": {"type": "boolean"}, "note": _TEXT}),
        lambda s: s.case.decide_extension(
            s.actor, s.body["approve"], s.body.get("note"), s.now, s.policy
        ),
    ),
    "chase": Action(
        frozenset(OPEN),
        _district,
        _body([], {"note": _TEXT}),
        lambda s: s.case.chase(s.actor, s.body.get("note"), s.now),
    ),
    "publish": Action(
        frozenset(Status),
        _triage,
        _body(
            ["summary"],
            {"summary": {"type": "string", "minLength": 5, "maxLength": 300, "x-min-visible": 5}},
        ),
        lambda s: s.case.publish_summary(s.actor, s.body["summary"], s.now),
    ),
}

LINK_ACTIONS = {"claim", "return", "extension", "resolve"}


def allowed_actions(acting: Acting, case: Case) -> list[str]:
    names = [
        name
        for name, action in ACTIONS.items()
        if case.status in action.statuses and action.allowed(acting, case)
    ]
    if acting.action_pass is not None:
        names = [n for n in names if n in LINK_ACTIONS]
    if "decide_extension" in names and case.extension is None:
        names.remove("decide_extension")
    if "extension" in names and case.extension is not None:
        names.remove("extension")
    return names


# -- reading ---------------------------------------------------------------------------------


def _campaign(deps: WorkflowDeps, campaign: str | None) -> dict[str, str] | None:
    if not campaign:
        return None
    known = {c.id: c for c in deps.campaigns.current()} if deps.campaigns else {}
    found = known.get(campaign)
    return {"id": campaign, "name": found.name if found else campaign}


def load_visible(deps: WorkflowDeps, acting: Acting, code: str) -> Case:
    case = deps.cases.get(code) if is_case_code(code) else None
    if case is None or not can_see(acting, case, deps.registry.current()):
        raise NotFound("No such case.", "case_not_found")
    return case


def case_view(deps: WorkflowDeps, acting: Acting, code: str) -> dict[str, Any]:
    case = load_visible(deps, acting, code)
    return staff_view(deps, acting, case, with_timeline=True)


def staff_view(
    deps: WorkflowDeps, acting: Acting, case: Case, with_timeline: bool = False
) -> dict[str, Any]:
    registry = deps.registry.current()
    view = summary(case, registry, deps.clock.now())
    department = registry.departments.get(case.department or "")
    view.update(
        {
            "street": case.street,
            "address": case.address,
            "description": case.description,
            "phone": case.phone.masked,
            "phone_kept": bool(case.phone.ciphertext),
            "channel": case.channel.value,
            "reporter": case.reporter,
            "photos": [deps.photos.url(k, intake.PHOTO_URL_EXPIRES_SECONDS) for k in case.photos],
            "department": (
                {"id": department.id, "name": department.name, "name_en": department.name_en}
                if department
                else None
            ),
            "co_departments": [
                {"id": d, "name": registry.departments[d].name if d in registry.departments else d}
                for d in case.co_departments
            ],
            "routed_department": registry.route(case.category, case.community),
            "handler": case.handler,
            "handled_by": who(case.handler, registry, deps.staff),
            "local_by": case.local_by,
            "merged_into": case.merged_into,
            "stage": case.stage.value if case.stage else None,
            "deadline_estimated": case.deadline_estimated,
            "escalations": case.escalations,
            "extension": case.extension,
            "resolution": _resolution(deps, case),
            "rating": case.rating,
            "public_summary": case.public_summary,
            "reopen_count": case.reopen_count,
            "residents_waiting": case.residents_waiting,
            "client_reference": case.client_reference,
            "campaign": _campaign(deps, case.campaign),
            "version": case.version,
            "actions": allowed_actions(acting, case),
            "can_reveal_phone": bool(
                acting.principal
                and case.handler == acting.principal.username
                and case.phone.ciphertext
                and case.status not in FINAL
            ),
        }
    )
    if "merge" in view["actions"] and with_timeline:
        view["merge_candidates"] = merge_candidates(deps, acting, case, registry)
    if with_timeline:
        view["timeline"] = [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "status": e.status_after.value,
                "actor_role": e.actor.role,
                "actor": e.actor.id,
                "by": who(e.actor.id, registry, deps.staff),
                "note": e.note,
                "data": e.data,
                # What residents added later (their own or a follower's photos), to look at.
                "photos": [
                    deps.photos.url(k, intake.PHOTO_URL_EXPIRES_SECONDS)
                    for k in e.data.get("photo_keys", [])
                    if e.kind in ("followed", "resident_info") and k in case.resident_photos
                ],
            }
            for e in deps.cases.timeline(case.code)
        ]
    return view


MERGE_CANDIDATES = 8


def merge_candidates(
    deps: WorkflowDeps, acting: Acting, case: Case, registry: Registry
) -> list[dict[str, Any]]:
    """The cases this one may be merged into, to choose from rather than type: the same
    compound's cases of the 30 days around it (one Query), the same kind first."""
    since = case.created_at - DUPLICATE_WINDOW
    now = deps.clock.now()
    others = [
        other
        for other in deps.cases.recent_in_compound(case.compound, since, 50)
        if other.code != case.code
        and other.status is not Status.MERGED
        and can_see(acting, other, registry)
    ]
    others.sort(key=lambda other: other.category != case.category)
    return [summary(other, registry, now) for other in others[:MERGE_CANDIDATES]]


def _resolution(deps: WorkflowDeps, case: Case) -> dict[str, Any] | None:
    if not case.resolution:
        return None
    resolution = dict(case.resolution)
    resolution["photos"] = [
        deps.photos.url(k, intake.PHOTO_URL_EXPIRES_SECONDS) for k in resolution.get("photos", [])
    ]
    return resolution


# The stages whose time limit staff work to; a closed case's retention clock is nobody's due date.
_DUE_STAGES = {Stage.TRIAGE, Stage.CLAIM, Stage.RESOLVE, Stage.RATING}


def _due(case: Case) -> dict[str, Any] | None:
    """The current stage's time limit, named by its stage; none on a finished case."""
    if case.status in FINAL or case.stage not in _DUE_STAGES or case.deadline is None:
        return None
    assert case.stage is not None
    return {"stage": case.stage.value, "at": iso(case.deadline)}


def who(
    actor_id: str | None, registry: Registry, staff: AccountSource | None = None
) -> dict[str, Any] | None:
    """How staff see who acted: a department acting through its action link is the
    department's name ("via link"), a staff member their username — marked when their
    account is disabled (read through the authorizer's short cache)."""
    if not actor_id:
        return None
    if actor_id.startswith("link:"):
        department = registry.departments.get(actor_id.removeprefix("link:"))
        name = department.name if department else actor_id.removeprefix("link:")
        name_en = department.name_en if department else name
        return {"id": actor_id, "name": name, "name_en": name_en, "via_link": True}
    account = staff.current(actor_id) if staff is not None else None
    return {
        "id": actor_id,
        "name": actor_id,
        "name_en": actor_id,
        "via_link": False,
        "disabled": bool(account is not None and not account.enabled),
    }


def summary(case: Case, registry: Registry, now: datetime) -> dict[str, Any]:
    """What a work list shows of a case."""
    category = registry.categories.get(case.category)
    compound = registry.compounds.get(case.compound)
    community = registry.communities.get(case.community)
    return {
        "code": case.code,
        "status": case.status.value,
        "category": {
            **registry.category_names(case.category),
            "icon": category.icon if category else "more",
        },
        "urgent": case.urgent,
        "compound": {"id": case.compound, "name": compound.name if compound else case.compound},
        "community": {
            "id": case.community,
            "name": community.name if community else case.community,
        },
        "excerpt": case.description[:80],
        "address": case.address,
        "residents_waiting": case.residents_waiting,
        "department_id": case.department,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "deadline": iso(case.deadline) if case.deadline else None,
        "overdue": bool(case.deadline and case.status in OPEN and now > case.deadline),
        "due": _due(case),
        "extension_pending": case.extension is not None,
        "version": case.version,
        # Staff lists only: what the department asked for, so the district decides in place.
        "extension": (
            {"days": case.extension.get("days"), "reason": case.extension.get("reason")}
            if case.extension is not None
            else None
        ),
    }


VIEWS = LIST_VIEWS


def list_scope(principal: Principal, role: Role, target: str | None) -> str:
    """Which of the principal's scopes of a role a list is of: `target` when it is one of
    them (any, for the district), else the first; another's is "not found"."""
    owned = principal.ids(role)
    if principal.is_district and target:
        return target
    if not owned:
        raise Forbidden("Your role does not allow this list.", "forbidden")
    if target:
        if target not in owned:
            raise NotFound("No such list.", "not_found")
        return target
    return owned[0]


def list_cases(
    deps: WorkflowDeps,
    principal: Principal,
    view: str,
    target: str | None,
    cursor: str | None,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    """One page of the short, unfiltered lists: the district's extension requests, and a
    grid worker's or property company's area (the searchable lists are services.lists)."""
    registry = deps.registry.current()
    now = deps.clock.now()
    if view == "extensions":
        principal.require(Role.DISTRICT)
        page = deps.cases.pending_extensions(limit, cursor)
        return {"items": [summary(c, registry, now) for c in page.items], "cursor": page.cursor}
    if view != "area":
        raise invalid("view", "invalid_value", f"view is one of {', '.join(VIEWS)}")
    # A grid worker's compound, or the compounds a property company manages.
    compounds: tuple[str, ...] = tuple(
        registry.grids[g].compound for g in principal.ids(Role.GRID) if g in registry.grids
    )
    for company in principal.ids(Role.PROPERTY):
        compounds += registry.managed_compounds(company)
    if target:
        if target not in compounds and not principal.is_district:
            raise NotFound("No such list.", "not_found")
        compounds = (target,)
    if not compounds:
        raise Forbidden("Your role does not allow this list.", "forbidden")
    items: list[Case] = []
    for compound in dict.fromkeys(compounds):
        items.extend(deps.cases.compound_cases(compound, limit, None).items)
    items.sort(key=lambda c: c.created_at, reverse=True)
    return {"items": [summary(c, registry, now) for c in items[:limit]], "cursor": None}


# -- acting ----------------------------------------------------------------------------------


def act(
    deps: WorkflowDeps,
    acting: Acting,
    code: str,
    name: str,
    raw_body: Any,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Take one action on a case and return the case as the actor now sees it.

    Checked in this order, so nothing leaks to those who may not know: the case exists for
    the actor (404), the actor may take the action (403), the body is valid (400). The body
    carries the version the actor saw: if the case changed since, nothing is done and the
    answer is 409. A retry with the same Idempotency-Key gets the first answer."""
    action = ACTIONS.get(name)
    if action is None or (acting.action_pass is not None and name not in LINK_ACTIONS):
        raise NotFound("No such action.", "not_found")
    case = load_visible(deps, acting, code)
    if not action.allowed(acting, case):
        raise Forbidden("Your role does not allow this action on this case.", "forbidden")
    body = validate(action.schema, raw_body)
    now = deps.clock.now()
    retry = _RetryKey.of(deps, acting, code, name, body, idempotency_key)
    answered = retry.answered(deps, now) if retry else None
    if answered is not None:
        return answered
    if case.version != body["version"]:
        raise Conflict(
            "The case was changed since you opened it; reload it and try again.", "stale_case"
        )
    registry = deps.registry.current()
    policy = deps.rules.policy(case.category)
    step = Step(deps, acting, case, body, now, policy, registry)
    stored = False
    try:
        action.do(step)
        record = retry.record(deps, acting, case, now) if retry else None
        try:
            store_transition(
                deps.cases,
                deps.messenger,
                case,
                registry,
                now,
                record,
                followers=step.followers,
                others=step.others,
            )
        except IdempotencyKeyTaken:
            assert retry is not None  # only a save with a record can meet another's key
            return retry.winner(deps)
        stored = True
    finally:
        if step.written and not stored:
            deps.photos.delete(step.written)
    return staff_view(deps, acting, case, with_timeline=True)


@dataclass(frozen=True)
class _RetryKey:
    """A staff action sent with an Idempotency-Key: the record it is kept under and a keyed
    digest of what it asked, so a retry gets the first answer and another action under the
    same key is refused."""

    key: str
    fingerprint: str

    @classmethod
    def of(
        cls,
        deps: WorkflowDeps,
        acting: Acting,
        code: str,
        name: str,
        body: dict[str, Any],
        idempotency_key: str | None,
    ) -> _RetryKey | None:
        if idempotency_key is None:
            return None
        intake.check_idempotency_key(idempotency_key)
        who = acting.principal.username if acting.principal else f"link:{code}"
        canonical = json.dumps({"code": code, "action": name, "body": body}, sort_keys=True)
        return cls(f"act:{who}:{idempotency_key}", deps.vault.keyed_hash("staff-action", canonical))

    def answered(self, deps: WorkflowDeps, now: datetime) -> dict[str, Any] | None:
        previous = deps.cases.idempotency(self.key)
        if previous is None or previous.expires_at <= now:
            return None
        return self._answer(previous)

    def record(
        self, deps: WorkflowDeps, acting: Acting, case: Case, now: datetime
    ) -> IdempotencyRecord:
        # The answer is stored with the change, so a retry cannot tell them apart.
        view_after = staff_view(deps, acting, case)
        view_after["version"] = (case.version or 0) + 1
        return IdempotencyRecord(
            key=self.key,
            fingerprint=self.fingerprint,
            case_code=case.code,
            sealed_token="",
            created_at=now,
            expires_at=now + STAFF_IDEMPOTENCY,
            response=view_after,
        )

    def winner(self, deps: WorkflowDeps) -> dict[str, Any]:
        """Another request with this key was stored first: answer as it was answered."""
        winner = deps.cases.idempotency(self.key)
        if winner is None:  # pragma: no cover - the winner's record cannot vanish this fast
            raise Conflict(
                "This Idempotency-Key was used for another action.", "idempotency_key_reused"
            )
        return self._answer(winner)

    def _answer(self, record: IdempotencyRecord) -> dict[str, Any]:
        if not hmac.compare_digest(record.fingerprint, self.fingerprint):
            raise Conflict(
                "This Idempotency-Key was used for another action.", "idempotency_key_reused"
            )
        return dict(record.response or {})


def _resolution_photos(step: Step) -> tuple[str, ...]:
    """The resolution's photos, cleaned as a report's are, kept under names of this attempt
    (so removing them when the action is not stored never touches another's)."""
    deps, case = step.deps, step.case
    keys = tuple(step.body.get("photos", ()))
    if not keys:
        return ()
    upload_key = intake.check_idempotency_key(step.body.get("upload_key"))
    folder = intake.report_folder(deps.vault, upload_key)
    cleaned, problems = intake.clean_photos(
        deps.photos, folder, keys, lambda: f"cases/{case.code}/resolution/{deps.ids.uuid()}"
    )
    if problems:
        raise InvalidInput(
            "The photos have problems; nothing was changed.", "invalid_photos", problems
        )
    step.written.extend(photo.key for photo in cleaned)
    return intake.keep_photos(deps.photos, cleaned)


NOTE_RETRIES = 3


def add_note(deps: WorkflowDeps, principal: Principal, code: str, raw: Any) -> dict[str, Any]:
    """内部备注: staff of the case's community, of its departments, or the district write a
    note on its staff timeline. A note changes nothing else, so it needs no version from the
    client: when the case changed meanwhile, it is written on the case as it is now."""
    acting = Acting(principal=principal)
    text = ""
    for attempt in range(NOTE_RETRIES):
        case = load_visible(deps, acting, code)
        departments = set(principal.ids(Role.DEPARTMENT))
        if not (
            principal.is_district
            or case.community in principal.ids(Role.COMMUNITY)
            or case.department in departments
            or departments & set(case.co_departments)
        ):
            raise Forbidden("Your role does not allow notes on this case.", "forbidden")
        text = text or validate(NOTE, raw)["note"]  # checked once the caller may write
        now = deps.clock.now()
        case.add_note(acting.actor, text, now)
        try:
            deps.cases.save(case, [], now)
        except Conflict:
            if attempt == NOTE_RETRIES - 1:
                raise
            continue
        break
    return staff_view(deps, acting, case, with_timeline=True)


def reveal_phone(deps: WorkflowDeps, principal: Principal, code: str) -> dict[str, Any]:
    """The clerk handling the case sees the number; the look is recorded on the timeline."""
    acting = Acting(principal=principal)
    case = load_visible(deps, acting, code)
    now = deps.clock.now()
    case.reveal_phone(acting.actor, now)
    number = deps.vault.open_phone(case.phone)
    deps.cases.save(case, [], now)
    return {"code": case.code, "phone": number}


# -- the resident's rating -----------------------------------------------------------------


def rate(deps: WorkflowDeps, code: str, credentials: Credentials, body: Any) -> dict[str, Any]:
    """回访评价 by the resident, with the case token, its SMS link or a session of its
    phone number."""
    body = validate(RATING, body)
    opened = deps.keys.open_as(deps.cases, code, credentials)
    case = opened.case
    now = deps.clock.now()
    registry = deps.registry.current()
    if opened.follower is not None:
        return _follower_rates(deps, case, opened.follower, body, now)
    if case.status is not Status.RESOLVED:
        if (
            case.rating
            and case.rating.get("resolved") == body["resolved"]
            and case.rating.get("satisfaction") == body["satisfaction"]
        ):
            return {"code": case.code, "status": case.status.value}  # a retried rating
        raise Conflict("This case is not waiting for a rating.", "illegal_transition")
    case.rate(
        body["resolved"],
        Satisfaction(body["satisfaction"]),
        body.get("comment"),
        now,
        deps.rules.policy(case.category),
    )
    store_transition(deps.cases, deps.messenger, case, registry, now)
    return {"code": case.code, "status": case.status.value}


def _follower_rates(
    deps: WorkflowDeps, case: Case, follower: Follower, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A follower's rating is theirs, kept on their follower item and on the timeline; only
    the reporter's counts in the rates and closes or reopens the case."""
    if follower.rating is not None:
        same = all(follower.rating.get(k) == body[k] for k in ("resolved", "satisfaction"))
        if same:
            return {"code": case.code, "status": case.status.value}  # a retried rating
        raise Conflict("You have rated this case already.", "already_rated")
    follower.rating = case.follower_rate(
        body["resolved"], Satisfaction(body["satisfaction"]), body.get("comment"), now
    )
    deps.cases.save(case, [], now, followers=[follower])
    return {"code": case.code, "status": case.status.value}
