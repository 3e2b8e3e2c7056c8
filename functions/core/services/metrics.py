"""The nightly aggregation (00:30 China time) and the dashboard and results-board reads.

The job reads one day's events (a day-sharded index: its cost follows the day's events, not
history), yesterday's backlog items and nothing else; it overwrites the day's items, so a
re-run gives the same result, then rebuilds the month from its days, the quarter from its months
and the year from its quarters.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..config import MapTiles
from ..domain.campaigns import scope as campaign_scope
from ..domain.cases import Channel
from ..domain.clock import CHINA_TZ, Clock, iso
from ..domain.errors import ErrorDetail, Forbidden, InvalidInput, NotFound, invalid
from ..domain.metrics import (
    COUNTS,
    FIXED_PER_DAY,
    HotspotRule,
    Tally,
    coverage,
    find_hotspots,
    fixed_of,
    households,
    percentile,
    rank_scorecards,
    rates,
    received_by_place,
    scorecard_figures,
    served_by,
    tally_day,
)
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import (
    CampaignStore,
    MetricStore,
    NotificationStore,
    OverdueSource,
    RegistrySource,
    Trouble,
)

SATISFACTION_WEIGHT = 1.0  # weight of 基本满意 in the satisfaction rate
# Departments are ranked by the cases whistled to them (交办量): they receive none from residents.
RANKED_BY = {"department": "dispatched"}


@dataclass(frozen=True)
class MetricsDeps:
    clock: Clock
    store: MetricStore
    registry: RegistrySource
    cases: OverdueSource
    outbox: NotificationStore | None = None  # dead messages, counted for the district
    hotspots: HotspotRule = field(default_factory=HotspotRule)
    campaigns: CampaignStore | None = None  # whose running totals the nightly job keeps
    map_tiles: MapTiles | None = None  # an optional tile layer under the hotspots' map


# -- periods ---------------------------------------------------------------------------------


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


_PERIOD = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?|-Q[1-4])?")


def parse_period(text: str) -> tuple[str, date, date]:
    """(kind, first day, last day) of a period given as YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY
    (ASCII digits only: int() would also read "２０２７")."""
    try:
        if not _PERIOD.fullmatch(text):
            raise ValueError
        if len(text) == 10:
            day = date.fromisoformat(text)
            return "day", day, day
        if len(text) == 7 and text[4] == "-" and text[5] != "Q":
            first = date(int(text[:4]), int(text[5:]), 1)
            return "month", first, _month_end(first)
        if len(text) == 7 and text[5] == "Q" and text[6] in "1234":
            quarter = int(text[6])
            first = date(int(text[:4]), 3 * quarter - 2, 1)
            return "quarter", first, _month_end(date(first.year, 3 * quarter, 1))
        if len(text) == 4:
            year = int(text)
            return "year", date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        pass
    raise invalid("period", "invalid_period", "period is YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY")


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def previous_period(text: str) -> str:
    kind, first, _ = parse_period(text)
    before = first - timedelta(days=1)
    if kind == "day":
        return before.isoformat()
    if kind == "month":
        return month_of(before)
    if kind == "quarter":
        return quarter_of(before)
    return str(first.year - 1)


def same_period_last_year(text: str) -> str:
    kind, first, _ = parse_period(text)
    if kind == "day":
        try:
            return first.replace(year=first.year - 1).isoformat()
        except ValueError:  # 29 February
            return first.replace(year=first.year - 1, day=28).isoformat()
    return f"{first.year - 1}{text[4:]}"


# -- the nightly job ---------------------------------------------------------------------------


def yesterday(clock: Clock) -> date:
    """The last China calendar day that has ended: the day the nightly job (00:30 China time)
    counts, and what the dashboard and the board show up to."""
    return clock.now().astimezone(CHINA_TZ).date() - timedelta(days=1)


def run_day(deps: MetricsDeps, day: date, rollup_periods: bool = True) -> dict[str, Any]:
    registry = deps.registry.current()
    events = deps.store.day_events(day)
    previous = deps.store.backlog((day - timedelta(days=1)).isoformat())
    tallies = tally_day(events, previous, served_by(registry))
    received = received_by_place(events)
    hotspots = _hotspots(deps, registry, day, received)
    kept = {"received": received, "hotspots": hotspots}
    written = deps.store.replace(day.isoformat(), tallies, fixed_of(events), kept)
    if rollup_periods:
        rollup(deps, day)
    counted = campaign_totals(deps, day, tallies)
    return {
        "job": "metrics",
        "day": day.isoformat(),
        "events": len(events),
        "items": written,
        "hotspots": len(hotspots),
        "campaigns": counted,
    }


def campaign_totals(deps: MetricsDeps, day: date, tallies: dict[str, Tally]) -> int:
    """Each counted campaign's running total through `day`: the total through the day before
    plus the day's campaign scopes (a re-run of a day gives the same item). A total missing
    for the day before (a night not run) is summed again from the days kept since the start."""
    if deps.campaigns is None:
        return 0
    counted = 0
    for campaign in deps.campaigns.all():
        if not campaign.counted_on(day):
            continue
        prefix = campaign_scope(campaign.id)
        mine = {s: t for s, t in tallies.items() if s == prefix or s.startswith(prefix + "|")}
        before: dict[str, Tally] = {}
        if day > campaign.first:
            yesterday_of = (day - timedelta(days=1)).isoformat()
            kept_day, before = deps.store.campaign_total(campaign.id, yesterday_of)
            if not kept_day:
                days = (day - campaign.first).days
                before = _sum(
                    [
                        deps.store.period((campaign.first + timedelta(days=n)).isoformat(), prefix)
                        for n in range(days)
                    ]
                )
        deps.store.put_campaign_total(campaign.id, day.isoformat(), _sum([before, mine]))
        counted += 1
    return counted


def _hotspots(
    deps: MetricsDeps, registry: Registry, day: date, received: dict[str, int]
) -> list[dict[str, Any]]:
    """The problems recurring in a compound or rising in a community, as of the end of `day`:
    from the reports by place kept with each of the days before (one batch read)."""
    rule = deps.hotspots
    earlier = [(day - timedelta(days=n)).isoformat() for n in range(1, 2 * rule.days)]
    kept = deps.store.kept(earlier, "received")
    recent = [received, *(kept.get(d, {}) for d in earlier[: rule.days - 1])]
    before = [kept.get(d, {}) for d in earlier[rule.days - 1 :]]
    community_of = {c.id: c.community for c in registry.compounds.values()}
    return find_hotspots(recent, before, community_of, rule)


def _place(registry: Registry, compound: str | None, community: str) -> dict[str, float | None]:
    """Where a hotspot sits on the map: its compound, or the middle of its community's."""
    if compound:
        found = registry.compounds[compound]
        return {"lat": found.lat, "lng": found.lng}
    points = [
        (c.lat, c.lng)
        for c in registry.compounds.values()
        if c.community == community and c.lat is not None and c.lng is not None
    ]
    if not points:
        return {"lat": None, "lng": None}
    return {
        "lat": round(sum(p[0] for p in points) / len(points), 5),
        "lng": round(sum(p[1] for p in points) / len(points), 5),
    }


def hotspots(deps: MetricsDeps, principal: Principal) -> dict[str, Any]:
    """The hotspots the last nightly job found, with names and the compounds' places for the
    map: the district sees all, a community its own."""
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    registry = deps.registry.current()
    day = yesterday(deps.clock)
    found = deps.store.kept([day.isoformat()], "hotspots").get(day.isoformat(), [])
    mine = None if principal.is_district else set(principal.ids(Role.COMMUNITY))
    rows = []
    for spot in found:
        compound = registry.compounds.get(str(spot.get("compound", "")))
        community_id = compound.community if compound else str(spot.get("community", ""))
        if mine is not None and community_id not in mine:
            continue
        community = registry.communities.get(community_id)
        category = registry.categories.get(str(spot["category"]))
        rows.append(
            {
                **spot,
                "community": community_id,
                "community_name": community.name if community else community_id,
                "compound_name": compound.name if compound else None,
                "category_name": category.name if category else spot["category"],
                "category_name_en": category.name_en if category else spot["category"],
                **_place(registry, compound.id if compound else None, community_id),
            }
        )
    compounds = [
        {"id": c.id, "name": c.name, "lat": c.lat, "lng": c.lng, "community": c.community}
        for c in registry.compounds.values()
        if c.lat is not None and c.lng is not None and (mine is None or c.community in mine)
    ]
    rule = deps.hotspots
    tiles = deps.map_tiles
    return {
        "day": day.isoformat(),
        "rule": {"cases": rule.cases, "days": rule.days, "rise": rule.rise},
        "hotspots": rows,
        "compounds": compounds,
        "tiles": {"url": tiles.url, "attribution": tiles.attribution} if tiles else None,
        "sample": registry.sample,
    }


def nightly(deps: MetricsDeps) -> dict[str, Any]:
    """The nightly job: yesterday's figures, and how long after that day ended they were
    ready (the operator's measure of a late or missed night)."""
    day = yesterday(deps.clock)
    report = run_day(deps, day)
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA_TZ)
    lag = (deps.clock.now() - day_end).total_seconds()
    return {**report, "finished": 1, "lag_seconds": round(max(lag, 0.0), 3)}


def rollup(deps: MetricsDeps, day: date) -> None:
    """Month from its days, quarter from its months, year from its quarters; the backlog of
    a longer period is that of its last part."""
    _, first, last = parse_period(month_of(day))
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    deps.store.replace(month_of(day), _sum([deps.store.period(d) for d in days]))
    quarter = int(quarter_of(day)[-1])
    months = [f"{day.year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
    deps.store.replace(quarter_of(day), _sum([deps.store.period(m) for m in months]))
    quarters = [f"{day.year}-Q{q}" for q in range(1, 5)]
    deps.store.replace(str(day.year), _sum([deps.store.period(q) for q in quarters]))


def _sum(parts: list[dict[str, Tally]]) -> dict[str, Tally]:
    total: dict[str, Tally] = {}
    for part in parts:  # in time order: the last part's backlog is the period's
        for scope, tally in part.items():
            into = total.setdefault(scope, Tally())
            into.merge(tally)
            if tally.backlog:
                into.backlog = dict(tally.backlog)
    return total


def backfill(
    deps: MetricsDeps,
    start: date,
    end: date,
    progress: Callable[[int, int, date], None] | None = None,
) -> list[dict[str, Any]]:
    """Recompute a range of days in order (each day's backlog builds on the one before)."""
    if end < start:
        raise invalid("to", "invalid_range", "The range ends before it starts.")
    total = (end - start).days + 1
    reports = []
    for index in range(total):
        day = start + timedelta(days=index)
        # Roll up once a month (and at the end) rather than every day: the same items.
        last_of_month = (day + timedelta(days=1)).day == 1 or day == end
        reports.append(run_day(deps, day, rollup_periods=last_of_month))
        if progress:
            progress(index + 1, total, day)
    return reports


# -- reading ---------------------------------------------------------------------------------


def allowed_scope(principal: Principal, scope: str) -> None:
    """The district sees everything; a community or department only its own slice."""
    if principal.is_district:
        return
    kind, _, ident = scope.partition(":")
    if kind == "community" and ident in principal.ids(Role.COMMUNITY):
        return
    if kind == "department" and ident in principal.ids(Role.DEPARTMENT):
        return
    if kind == "property" and ident in principal.ids(Role.PROPERTY):
        return
    raise Forbidden("These figures are not in your scope.", "forbidden")


def check_scope(registry: Registry, scope: str) -> str:
    kind, _, ident = scope.partition(":")
    known: dict[str, Mapping[str, object]] = {
        "street": registry.streets,
        "community": registry.communities,
        "compound": registry.compounds,
        "department": registry.departments,
        "category": registry.categories,
        "channel": {channel.value: 1 for channel in Channel},
        "property": registry.property_companies,
    }
    if scope == "district" or (kind in known and ident in known[kind]):
        return scope
    raise invalid(
        "scope",
        "invalid_scope",
        "scope is district, street:ID, community:ID, department:ID, category:ID …",
    )


def figures(registry: Registry, scope: str, tally: Tally | None) -> dict[str, Any]:
    """Counts, rates (derived now), backlog and duration percentiles of one scope."""
    tally = tally or Tally()
    counts = {name: tally.counts.get(name, 0) for name in COUNTS}
    out: dict[str, Any] = {
        "scope": scope,
        "counts": counts,
        "backlog": {k: tally.backlog.get(k, 0) for k in ("open", "overdue", "unclaimed_overdue")},
        **rates(tally, households(registry, scope), SATISFACTION_WEIGHT),
        "households": households(registry, scope),
        "durations": {
            name: {
                "bins": bins,
                "p50_hours": percentile(bins, 0.5),
                "p90_hours": percentile(bins, 0.9),
            }
            for name, bins in tally.histograms.items()
        },
    }
    return out


def metrics(deps: MetricsDeps, principal: Principal, scope: str, period: str) -> dict[str, Any]:
    registry = deps.registry.current()
    check_scope(registry, scope)
    allowed_scope(principal, scope)
    parse_period(period)
    found = deps.store.get_many([(scope, period)]).get((scope, period))
    return {"period": period, **figures(registry, scope, found)}


def dashboard(
    deps: MetricsDeps, principal: Principal, period: str, scope: str = "district"
) -> dict[str, Any]:
    """Everything the dashboard shows, in a fixed number of reads whatever the number of cases:
    this period and the previous one for the scope, the series, the rankings, the overdue list."""
    registry = deps.registry.current()
    check_scope(registry, scope)
    allowed_scope(principal, scope)
    kind, first, last = parse_period(period)
    before = previous_period(period)
    last_year = same_period_last_year(period)
    pair = deps.store.get_many([(scope, period), (scope, before), (scope, last_year)])

    if kind in ("day", "month"):  # daily points across the month
        _, m_first, m_last = parse_period(month_of(first))
        labels = [
            (m_first + timedelta(days=i)).isoformat() for i in range((m_last - m_first).days + 1)
        ]
    else:  # monthly points across the quarter or year
        labels = [f"{first.year}-{m:02d}" for m in range(first.month, last.month + 1)]
    # Only finished days (and months that have begun): no flat line of days still to come.
    through = yesterday(deps.clock)
    labels = [label for label in labels if label <= through.isoformat()[: len(label)]]
    series_items = deps.store.get_many([(scope, label) for label in labels])
    series = [
        {"period": label, **_light(registry, scope, series_items.get((scope, label)))}
        for label in labels
    ]

    everything = deps.store.period(period) if principal.is_district else {}
    rankings = {
        dimension: _ranking(registry, everything, dimension)
        for dimension in ("community", "department", "category", "street", "channel")
    }
    overdue = [
        _overdue_row(registry, case, deps.clock.now())
        for case in deps.cases.overdue()
        if principal.is_district or _in_scope(principal, case)
    ]
    return {
        "period": period,
        "scope": scope,
        "current": figures(registry, scope, pair.get((scope, period))),
        "previous": {"period": before, **figures(registry, scope, pair.get((scope, before)))},
        "last_year": {
            "period": last_year,
            **figures(registry, scope, pair.get((scope, last_year))),
        },
        "series": series,
        "through": through.isoformat(),
        "rankings": rankings,
        "overdue": overdue[:200],
        "undelivered": _undelivered(deps) if principal.is_district else None,
        "sample": registry.sample,
    }


def _undelivered(deps: MetricsDeps) -> dict[str, int] | None:
    """Messages given up and not yet resent (the district page lists them): two counts."""
    if deps.outbox is None:
        return None
    found = deps.outbox.troubled_counts()
    return {trouble.value: found.get(trouble, 0) for trouble in Trouble}


def _ranking(
    registry: Registry, everything: Mapping[str, Tally], dimension: str
) -> list[dict[str, Any]]:
    by = RANKED_BY.get(dimension, "received")
    rows = [
        {
            "scope": s,
            "name": _name(registry, s),
            "name_en": _name(registry, s, english=True),
            **_light(registry, s, t),
        }
        for s, t in everything.items()
        if s.startswith(f"{dimension}:")
    ]
    return sorted(rows, key=lambda row: (-row["counts"][by], row["scope"]))


def _light(registry: Registry, scope: str, tally: Tally | None) -> dict[str, Any]:
    full = figures(registry, scope, tally)
    return {
        k: full[k]
        for k in (
            "counts",
            "backlog",
            "response_rate",
            "on_time_rate",
            "resolution_rate",
            "satisfaction_rate",
            "complaint_rate",
        )
    }


def _name(registry: Registry, scope: str, english: bool = False) -> str:
    """The scope's name (its English one where the registry has it and `english` is asked)."""
    kind, _, ident = scope.partition(":")
    table: dict[str, Any] = {
        "street": registry.streets,
        "community": registry.communities,
        "compound": registry.compounds,
        "department": registry.departments,
        "category": registry.categories,
    }
    entry = table.get(kind, {}).get(ident)
    if entry is None:
        return ident
    return str(getattr(entry, "name_en", "") or entry.name) if english else str(entry.name)


def _in_scope(principal: Principal, case: Any) -> bool:
    return case.community in principal.ids(Role.COMMUNITY) or case.department in principal.ids(
        Role.DEPARTMENT
    )


def _overdue_row(registry: Registry, case: Any, now: datetime) -> dict[str, Any]:
    category = registry.categories.get(case.category)
    department = registry.departments.get(case.department or "")
    community = registry.communities.get(case.community)
    return {
        "code": case.code,
        "status": case.status.value,
        "stage": case.stage.value if case.stage else None,
        "category": category.name if category else case.category,
        "category_en": category.name_en if category else case.category,
        "community": community.name if community else case.community,
        "department": department.name if department else None,
        "department_en": department.name_en if department else None,
        "deadline": iso(case.deadline) if case.deadline else None,
        "hours_overdue": round((now - case.deadline).total_seconds() / 3600, 1)
        if case.deadline
        else None,
        "escalations": case.escalations,
    }


# -- 两升一降 and coverage ---------------------------------------------------------------------


def indicators(deps: MetricsDeps, year: int) -> dict[str, Any]:
    """ "Two up, one down": fee collection and satisfaction up, complaints down, year on year."""
    registry = deps.registry.current()
    items = deps.store.get_many([("district", str(year)), ("district", str(year - 1))])

    def fee_rate(of_year: int) -> dict[str, Any]:
        billed = collected = 0.0
        for month in range(1, 13):
            for row in deps.store.fees(f"{of_year}-{month:02d}"):
                billed += row["billed"]
                collected += row["collected"]
        return {
            "billed": billed,
            "collected": collected,
            "rate": round(collected / billed, 4) if billed else None,
        }

    def side(of_year: int) -> dict[str, Any]:
        tally = items.get(("district", str(of_year)))
        found = figures(registry, "district", tally)
        return {
            "fee_collection_rate": fee_rate(of_year)["rate"],
            "satisfaction_rate": found["satisfaction_rate"],
            # A year with nothing recorded (before Whistle ran) has no complaint rate, not 0:
            # a year-on-year change against it would be meaningless.
            "complaint_rate": found["complaint_rate"] if tally is not None else None,
        }

    now, before = side(year), side(year - 1)

    def change(name: str) -> float | None:
        a, b = now[name], before[name]
        return round(a - b, 4) if a is not None and b is not None else None

    return {
        "year": year,
        "this_year": now,
        "last_year": before,
        "change": {name: change(name) for name in now},
        "coverage": coverage(registry),
        "sample": registry.sample,
    }


FEE_COLUMNS = ("compound", "month", "billed", "collected")
MAX_FEE = 1e10  # yuan in one compound's month
MAX_FEE_MONTHS = 100  # an upload switches every month it touches in one transaction
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]{1,11}(\.[0-9]+)?")


def parse_fees(registry: Registry, text: str) -> list[dict[str, Any]]:
    """A CSV of fees (compound, month, billed, collected), checked row by row; every problem is
    reported with its line number and nothing is stored unless every row is good."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != list(FEE_COLUMNS):
        raise InvalidInput(
            "The first line must be: compound,month,billed,collected",
            "invalid_csv",
            [ErrorDetail("line 1", "invalid_header", "Expected compound,month,billed,collected")],
        )
    rows: list[dict[str, Any]] = []
    problems: list[ErrorDetail] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            rows.append(check_fee(registry, row))
        except InvalidInput as error:
            problems.extend(ErrorDetail(f"line {number}", d.code, d.message) for d in error.details)
            continue
        key = (row["compound"], row["month"])
        if key in seen:
            problems.append(
                ErrorDetail(f"line {number}", "duplicate_row", "The same compound and month twice.")
            )
        seen.add(key)
        if len(rows) > 5000:
            problems.append(
                ErrorDetail(f"line {number}", "too_many_rows", "At most 5,000 rows per upload.")
            )
            break
    if len({r["month"] for r in rows}) > MAX_FEE_MONTHS:
        problems.append(
            ErrorDetail("month", "too_many_months", f"At most {MAX_FEE_MONTHS} months per upload.")
        )
    if problems:
        raise InvalidInput("The file has problems; nothing was stored.", "invalid_csv", problems)
    if not rows:
        raise InvalidInput(
            "The file has no rows.", "invalid_csv", [ErrorDetail("line 2", "empty", "No rows.")]
        )
    return rows


def check_fee(registry: Registry, row: dict[str, Any]) -> dict[str, Any]:
    problems: list[ErrorDetail] = []
    compound = str(row.get("compound", ""))
    if compound not in registry.compounds:
        problems.append(
            ErrorDetail("compound", "unknown_compound", f"Unknown compound {compound!r}.")
        )
    month = str(row.get("month", ""))
    try:
        if not _MONTH.fullmatch(month):
            raise ValueError
        parsed: date | None = date.fromisoformat(f"{month}-01")
    except ValueError:
        problems.append(ErrorDetail("month", "invalid_month", "month is YYYY-MM."))
        parsed = None
    amounts = {}
    for name in ("billed", "collected"):
        # Plain decimals only: float() also reads "nan", "inf", "1e400" and "１２３".
        text = str(row.get(name, ""))
        amount = float(text) if _AMOUNT.fullmatch(text) else math.nan
        if math.isfinite(amount) and 0 <= amount <= MAX_FEE:
            amounts[name] = round(amount, 2)
        else:
            problems.append(ErrorDetail(name, "invalid_amount", f"{name} is an amount in yuan."))
    if len(amounts) == 2 and amounts["collected"] > amounts["billed"]:
        problems.append(ErrorDetail("collected", "more_than_billed", "Collected exceeds billed."))
    if problems:
        raise InvalidInput("The fee figures have problems.", "invalid_fees", problems)
    assert parsed is not None
    return {"compound": compound, "month": month, **amounts}


def record_fees(deps: MetricsDeps, principal: Principal, rows: list[dict[str, Any]]) -> int:
    principal.require(Role.DISTRICT, Role.PROPERTY)
    registry = deps.registry.current()
    if not principal.is_district:
        managed = {
            c
            for company in principal.ids(Role.PROPERTY)
            for c in registry.managed_compounds(company)
        }
        outside = [r["compound"] for r in rows if r["compound"] not in managed]
        if outside:
            raise Forbidden("Enter fees only for compounds your company manages.", "forbidden")
    now = iso(deps.clock.now())
    deps.store.put_fees([{**r, "updated_by": principal.username, "updated_at": now} for r in rows])
    return len(rows)


# -- property-company scorecards (物业服务企业评价) ------------------------------------------------

SCORECARDS_PUBLIC = "scorecards_public"  # the district's choice: the ranking on the board (红黑榜)
PUBLIC_SCORECARD_FIELDS = (
    "id",
    "name",
    "rank",
    "households",
    "complaint_rate",
    "self_handled_share",
    "self_on_time_rate",
    "satisfaction_rate",
    "fee_collection_rate",
)


def scorecards(deps: MetricsDeps, principal: Principal, period: str) -> dict[str, Any]:
    """Every company's card of a period against the previous one, ranked (the district); a
    property company's staff get their own company's card only."""
    principal.require(Role.DISTRICT, Role.PROPERTY)
    registry = deps.registry.current()
    cards = _cards(deps, registry, period)
    if not principal.is_district:
        mine = set(principal.ids(Role.PROPERTY))
        cards = [card for card in cards if card["id"] in mine]
    return {
        "period": period,
        "previous_period": previous_period(period),
        "cards": cards,
        "public": _public(deps),
        "sample": registry.sample,
    }


def scorecard(deps: MetricsDeps, principal: Principal, company: str, period: str) -> dict[str, Any]:
    """One company's card with a row per compound it serves, each against the previous period."""
    principal.require(Role.DISTRICT, Role.PROPERTY)
    registry = deps.registry.current()
    if company not in registry.property_companies:
        raise NotFound("No such property company.", "not_found")
    if not principal.is_district and company not in principal.ids(Role.PROPERTY):
        raise Forbidden("Only your own company's card.", "forbidden")
    card = next((c for c in _cards(deps, registry, period) if c["id"] == company), None)
    if card is None:
        raise NotFound("This company serves no compound in the registry.", "not_found")
    before = previous_period(period)
    served = registry.managed_compounds(company)
    keys = [(f"compound:{c}", p) for c in served for p in (period, before)]
    tallies = deps.store.get_many(keys)
    fees = {p: _fees(deps, p) for p in (period, before)}
    compounds = []
    for ident in served:
        compound = registry.compounds[ident]
        now, then = (
            scorecard_figures(
                tallies.get((f"compound:{ident}", p)),
                compound.households,
                fees[p].get(ident),
                SATISFACTION_WEIGHT,
            )
            for p in (period, before)
        )
        compounds.append({"id": ident, "name": compound.name, **now, "previous": then})
    return {"period": period, "previous_period": before, **card, "compounds": compounds}


def publish_scorecards(deps: MetricsDeps, principal: Principal, public: bool) -> dict[str, Any]:
    """The district shows (or stops showing) the ranking on the public board."""
    principal.require(Role.DISTRICT)
    deps.store.put_setting(
        SCORECARDS_PUBLIC,
        {"public": public, "by": principal.username, "at": iso(deps.clock.now())},
    )
    return {"public": public}


def public_scorecards(deps: MetricsDeps, period: str) -> dict[str, Any]:
    """红黑榜 on the board: the ranking only (names of companies, rates, no cases), and only
    when the district has made it public."""
    registry = deps.registry.current()
    parse_period(period)
    if not _public(deps):
        return {"period": period, "public": False, "cards": [], "sample": registry.sample}
    shown = PUBLIC_SCORECARD_FIELDS
    cards = [{k: card[k] for k in shown} for card in _cards(deps, registry, period)]
    return {"period": period, "public": True, "cards": cards, "sample": registry.sample}


def _public(deps: MetricsDeps) -> bool:
    return bool((deps.store.setting(SCORECARDS_PUBLIC) or {}).get("public"))


def _cards(deps: MetricsDeps, registry: Registry, period: str) -> list[dict[str, Any]]:
    """Every company's figures of a period and the previous one, ranked: two reads of the
    companies' items and the fee figures of the months involved, whatever the history."""
    parse_period(period)
    before = previous_period(period)
    tallies = {p: deps.store.period(p, "property:") for p in (period, before)}
    fees = {p: _fees(deps, p) for p in (period, before)}
    cards = []
    for company in registry.property_companies.values():
        served = registry.managed_compounds(company.id)
        if not served:
            continue  # a company serving no compound has nothing to be scored on
        homes = sum(registry.compounds[c].households for c in served)
        now, then = (
            scorecard_figures(
                tallies[p].get(f"property:{company.id}"),
                homes,
                _sum_fees(fees[p], served),
                SATISFACTION_WEIGHT,
            )
            for p in (period, before)
        )
        cards.append(
            {
                "id": company.id,
                "name": company.name,
                "party_organisation": company.party_organisation,
                "compounds_served": len(served),
                **now,
                "previous": then,
            }
        )
    return rank_scorecards(cards)


def _fees(deps: MetricsDeps, period: str) -> dict[str, tuple[float, float]]:
    """(billed, collected) per compound over the months of a period (a day: its month)."""
    _, first, last = parse_period(period)
    months = sorted({month_of(first + timedelta(days=i)) for i in range((last - first).days + 1)})
    totals: dict[str, tuple[float, float]] = {}
    for month in months:
        for row in deps.store.fees(month):
            billed, collected = totals.get(row["compound"], (0.0, 0.0))
            totals[row["compound"]] = (billed + row["billed"], collected + row["collected"])
    return totals


def _sum_fees(
    fees: Mapping[str, tuple[float, float]], compounds: tuple[str, ...]
) -> tuple[float, float] | None:
    found = [fees[c] for c in compounds if c in fees]
    if not found:
        return None
    return (sum(f[0] for f in found), sum(f[1] for f in found))


# -- the public results board (晾晒成果) -------------------------------------------------------


def board(deps: MetricsDeps, period: str, recent_days: int = 30) -> dict[str, Any]:
    """What was reported, whistled and fixed, by community, for anyone: counts, rates and the
    kinds and places of recently fixed problems — never a phone number or a resident's words."""
    registry = deps.registry.current()
    parse_period(period)
    communities = deps.store.period(period, "community:")
    district = deps.store.get_many([("district", period)]).get(("district", period))
    rows = []
    for community in registry.communities.values():
        tally = communities.get(f"community:{community.id}")
        full = figures(registry, f"community:{community.id}", tally)
        rows.append(
            {
                "id": community.id,
                "name": community.name,
                "street": registry.streets[community.street].name,
                "received": full["counts"]["received"],
                "whistled": full["counts"]["whistled"],
                "resolved": full["counts"]["resolved"],
                "on_time_rate": full["on_time_rate"],
                "satisfaction_rate": full["satisfaction_rate"],
            }
        )
    # Recently fixed: what the nightly job kept of each of the last days (one batch read).
    last = yesterday(deps.clock)
    days = [(last - timedelta(days=offset)).isoformat() for offset in range(recent_days)]
    fixed = []
    newest = sorted(deps.store.fixed(days), key=lambda f: str(f["at"]), reverse=True)
    for kept in newest[:FIXED_PER_DAY]:
        category = registry.categories.get(str(kept.get("category")))
        compound = registry.compounds.get(str(kept.get("compound")))
        place = registry.communities.get(str(kept.get("community")))
        fixed.append(
            {
                "at": kept["at"],
                "category": category.name if category else "",
                "category_en": category.name_en if category else "",
                "icon": category.icon if category else "more",
                "compound": compound.name if compound else "",
                "compound_id": compound.id if compound else "",  # links its public page
                "community": place.name if place else "",
                "on_time": bool(kept.get("on_time", True)),
                "residents": int(kept.get("residents") or 1),
            }
        )
    return {
        "period": period,
        "district": figures(registry, "district", district),
        "communities": rows,
        "recently_fixed": fixed,
        "sample": registry.sample,
        "notice": registry.notice if registry.sample else "",
    }
