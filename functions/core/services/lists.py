"""Staff work lists that can be searched, filtered, sorted and paged (issue 18 item 3), at a
fixed number of DynamoDB requests a page however long the history is (DESIGN §11).

How a page is read:
- The inbox, a department's work, and any list sorted by due date or by residents waiting, are
  the scope's *open* cases: one Query of a sparse open index (a case leaves it when it closes),
  so their size is the work at hand, never the history. They are filtered, counted and sorted
  in memory; the cursor is an offset.
- The community's, the department's and the district's whole history, newest or oldest first,
  is a Query of the scope's report-order index with the filter as a FilterExpression. DynamoDB
  filters after it reads, so a page reads at most SEARCH_BUDGET requests of 250 items and says
  how far back it got when it found fewer than a page; the cursor is DynamoDB's key.
- The counts per stage come from per-scope tallies that every stored change moves in its own
  transaction (one BatchGetItem); the total matching is exact whenever the filter is one the
  tallies count (stage, kind, and the community or department), else it is known once the whole
  list has been read.
- A whole case code in the search box is one GetItem.

Cursors are signed with the scope, view, filter and sort they belong to: a cursor altered, or
carried to another scope or filter, is refused (400), so it can never open another's list.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..domain.cases import OPEN, Case, Status
from ..domain.clock import iso
from ..domain.codes import is_case_code
from ..domain.errors import InvalidInput, invalid
from ..domain.lists import CaseFilter, Sort, search_words
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import ListRead
from ..schemas import CASE_LIST_QUERY, validate
from . import workflow
from .workflow import DUPLICATE_WINDOW, PAGE_SIZE, WorkflowDeps, can_see, list_scope, summary

SEARCH_BUDGET = 2
"""Query requests one page of a history list may make."""

_ROLE = {
    "inbox": Role.COMMUNITY,
    "community": Role.COMMUNITY,
    "work": Role.DEPARTMENT,
    "department": Role.DEPARTMENT,
    "district": Role.DISTRICT,
}
_DEFAULT_SORT = {"inbox": Sort.OLDEST, "work": Sort.DUE}
_OPEN_ONLY = {"inbox", "work"}


def list_cases(deps: WorkflowDeps, principal: Principal, params: dict[str, str]) -> dict[str, Any]:
    """One page of a work list, with its counts."""
    query = validate(CASE_LIST_QUERY, params)
    view = query.get("view", "inbox")
    if view not in _ROLE:  # the area and extension lists are short and unfiltered
        return workflow.list_cases(deps, principal, view, query.get("target"), query.get("cursor"))
    registry = deps.registry.current()
    role = _ROLE[view]
    if role is Role.DISTRICT:
        principal.require(Role.DISTRICT)
        key = registry.district.id
    else:
        key = list_scope(principal, role, query.get("target"))
    case_filter = _filter(query, registry)
    sort = Sort(query.get("sort") or _DEFAULT_SORT.get(view, Sort.NEWEST))
    cursor = _Cursor(deps, view, key, case_filter, sort)
    ask = _Ask(deps, view, key, case_filter, sort, cursor.open(query.get("cursor")), cursor)
    words = case_filter.words
    if len(words) == 1 and is_case_code(words[0].upper()):
        page = _by_code(deps, principal, words[0].upper(), replace(case_filter, words=()))
    elif view in _OPEN_ONLY or sort in (Sort.DUE, Sort.WAITING):
        page = _open_page(ask)
    else:
        page = _history_page(ask)
    now = deps.clock.now()
    cases = page.pop("cases")
    rows = [summary(case, registry, now) for case in cases]
    if view == "inbox":
        _add_duplicates(deps, key, rows, cases)
    return {"items": rows, **page, "sort": sort.value}


@dataclass(frozen=True)
class _Ask:
    """One page asked for: of which list and scope, filtered and sorted how, from where."""

    deps: WorkflowDeps
    view: str
    key: str
    case_filter: CaseFilter
    sort: Sort
    start: Any  # an offset (open work) or DynamoDB's key (history); None for the first page
    cursor: _Cursor


def _filter(query: dict[str, Any], registry: Registry) -> CaseFilter:
    known: dict[str, Mapping[str, object]] = {
        "kind": registry.categories,
        "community": registry.communities,
        "department": registry.departments,
    }
    problems = [name for name, ids in known.items() if name in query and query[name] not in ids]
    if problems:
        raise invalid(problems[0], "unknown_value", f"{problems[0]} is not in the registry")
    words = search_words(query.get("q", ""))
    return CaseFilter(
        statuses=frozenset({Status(query["stage"])}) if "stage" in query else frozenset(),
        category=query.get("kind"),
        community=query.get("community"),
        department=query.get("department"),
        overdue=query.get("overdue") == "true",
        min_waiting=int(query.get("waiting", "1")),
        words=words,
    )


def _sorted(cases: list[Case], sort: Sort) -> list[Case]:
    by_age = sorted(cases, key=lambda c: (c.created_at, c.code), reverse=sort is Sort.NEWEST)
    if sort is Sort.DUE:
        return sorted(by_age, key=lambda c: (c.deadline is None, c.deadline or c.created_at))
    if sort is Sort.WAITING:
        return sorted(by_age, key=lambda c: -c.residents_waiting)
    return by_age


def _open_page(ask: _Ask) -> dict[str, Any]:
    case_filter, sort, start, cursor = ask.case_filter, ask.sort, ask.start, ask.cursor
    read = ask.deps.cases.open_in_scope(ask.view, ask.key)
    in_scope = [c for c in read.items if c.status in OPEN and case_filter.matches_scope(c)]
    matching = _sorted([c for c in in_scope if case_filter.matches(c)], sort)
    offset = start if isinstance(start, int) else 0
    cases = matching[offset : offset + PAGE_SIZE]
    more = offset + PAGE_SIZE < len(matching)
    return {
        "cases": cases,
        "cursor": cursor.sign(offset + PAGE_SIZE) if more else None,
        "total": len(matching),
        "counts": dict(Counter(c.status.value for c in in_scope)),
        "counts_exact": True,
        "open_only": True,
        "searched_until": None,
    }


def _history_page(ask: _Ask) -> dict[str, Any]:
    deps, view, key, case_filter = ask.deps, ask.view, ask.key, ask.case_filter
    start, cursor = ask.start, ask.cursor
    read: ListRead = deps.cases.search(
        view,
        key,
        case_filter,
        ask.sort is Sort.NEWEST,
        PAGE_SIZE,
        start if isinstance(start, dict) else None,
        SEARCH_BUDGET,
    )
    tally_scope, covered = _tally_scope(view, key, case_filter)
    counts = deps.cases.tallies(tally_scope, case_filter.category)
    exact = covered and not case_filter.searches
    selected = [s.value for s in case_filter.statuses] or list(counts)
    whole = start is None and read.next_key is None
    return {
        "cases": read.items,
        "cursor": cursor.sign(read.next_key) if read.next_key else None,
        "total": sum(counts[s] for s in selected)
        if exact
        else (len(read.items) if whole else None),
        "counts": {s: n for s, n in counts.items() if n},
        "counts_exact": exact,
        "open_only": False,
        # Fewer than a page found and more to read: how far back the search has got.
        "searched_until": read.reached if read.next_key and len(read.items) < PAGE_SIZE else None,
    }


def _tally_scope(view: str, key: str, case_filter: CaseFilter) -> tuple[str, bool]:
    """The tallies that count the list, and whether they count its filter exactly."""
    if view == "district" and case_filter.community:
        return f"community:{case_filter.community}", not case_filter.department
    if view == "district" and case_filter.department:
        return f"department:{case_filter.department}", True
    scope = f"{view}:{key}"
    own = case_filter.community if view == "community" else case_filter.department
    other = case_filter.department if view == "community" else case_filter.community
    return scope, view == "district" or (own in (None, key) and not other)


def _by_code(
    deps: WorkflowDeps, principal: Principal, code: str, case_filter: CaseFilter
) -> dict[str, Any]:
    """A whole case code: one GetItem, shown only when the viewer may see it."""
    case = deps.cases.get(code)
    acting = workflow.Acting(principal=principal)
    found = (
        [case]
        if case is not None
        and can_see(acting, case, deps.registry.current())
        and case_filter.matches(case)
        else []
    )
    return {
        "cases": found,
        "cursor": None,
        "total": len(found),
        "counts": dict(Counter(c.status.value for c in found)),
        "counts_exact": True,
        "open_only": False,
        "searched_until": None,
    }


def _add_duplicates(
    deps: WorkflowDeps, community: str, rows: list[dict[str, Any]], cases: list[Case]
) -> None:
    """Likely the same problem: same compound and category within 30 days — from one Query of
    the community's recent cases for the whole page, not one a row."""
    if not cases:
        return
    since: datetime = min(c.created_at for c in cases) - DUPLICATE_WINDOW
    recent = deps.cases.recent_in_community(community, since)
    for row, case in zip(rows, cases, strict=True):
        row["duplicates"] = [
            {"code": other.code, "status": other.status.value, "created_at": iso(other.created_at)}
            for other in recent
            if other.code != case.code
            and other.compound == case.compound
            and other.category == case.category
            and other.status is not Status.MERGED
            and other.created_at >= case.created_at - DUPLICATE_WINDOW
        ][:5]


class _Cursor:
    """A page cursor signed with what it belongs to (view, scope, filter, sort)."""

    def __init__(
        self, deps: WorkflowDeps, view: str, key: str, case_filter: CaseFilter, sort: Sort
    ) -> None:
        self._deps = deps
        self._context = json.dumps(
            [
                view,
                key,
                sorted(s.value for s in case_filter.statuses),
                case_filter.category,
                case_filter.community,
                case_filter.department,
                case_filter.overdue,
                case_filter.min_waiting,
                list(case_filter.words),
                sort.value,
            ],
            ensure_ascii=False,
        )

    def _mac(self, payload: str) -> str:
        return self._deps.vault.keyed_hash("list-cursor", f"{self._context}\n{payload}")[:32]

    def sign(self, position: Any) -> str:
        payload = json.dumps(position, sort_keys=True, separators=(",", ":"))
        encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{encoded}.{self._mac(payload)}"

    def open(self, cursor: str | None) -> Any:
        if cursor is None:
            return None
        encoded, _, mac = cursor.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, binascii.Error):
            raise _bad_cursor() from None
        if not mac or not hmac.compare_digest(mac, self._mac(payload)):
            raise _bad_cursor()
        return json.loads(payload)


def _bad_cursor() -> InvalidInput:
    return invalid(
        "cursor", "invalid_cursor", "The page cursor is not valid for this list; start again."
    )
