"""`whistle demo`: a year of plausible sample cases, played through the real use cases on a
simulated clock — reports, triage, dispatch, claims, resolutions, ratings, some late, some
reopened — with the nightly job run for each day, so every chart has data.

Everything it creates is sample data in the local stack (the registry it uses is the sample).
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from ..core.domain.cases import Status
from ..core.domain.clock import CHINA_TZ, SecureIds
from ..core.domain.errors import Conflict
from ..core.domain.staff import Principal, Role, Scope
from ..core.services.residents import Credentials

DESCRIPTIONS = {
    "tree_shading": ["楼前的香樟树太高，挡住了一楼的阳光", "树枝伸到阳台，家里白天也很暗"],
    "damaged_road": ["小区主干道有个大坑，晚上容易绊倒", "人行道砖块松动，下雨溅水"],
    "sewage": ["下水道堵塞，污水漫出来了", "化粪池有异味，夏天更严重"],
    "street_light": ["路灯坏了一周，晚上很黑", "北门路灯忽明忽暗"],
    "laundry_drying": ["小区没有晾衣的地方，只能晾在绿化带", "晾衣架坏了很久没人修"],
    "fire_safety": ["楼道里有人给电动车充电，很危险", "消防通道被车堵住了"],
    "property_dispute": ["物业费涨价没有公示", "物业维修基金使用不透明"],
    "elevator": ["电梯经常停在两层之间", "电梯按钮失灵"],
    "garbage": ["垃圾桶满了两天没人清运", "建筑垃圾堆在楼下"],
    "illegal_building": ["一楼住户私自搭建阳光房", "屋顶违建影响楼上漏水"],
    "water_supply": ["高层水压太低，早上没水", "自来水发黄"],
    "parking": ["车辆乱停堵住出口", "地面停车位被长期占用"],
    "noise": ["夜里广场舞声音太大", "装修噪音早上七点就开始"],
    "greening": ["草坪长期无人修剪", "绿化带被改成菜地"],
    "other": ["小区公告栏损坏", "健身器材生锈"],
}
WEIGHTS = {
    "street_light": 14,
    "damaged_road": 12,
    "sewage": 11,
    "tree_shading": 9,
    "garbage": 9,
    "parking": 8,
    "fire_safety": 6,
    "laundry_drying": 5,
    "property_dispute": 5,
    "noise": 5,
    "water_supply": 4,
    "elevator": 4,
    "greening": 4,
    "illegal_building": 2,
    "other": 2,
}


class SimulatedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    action: str = field(compare=False)
    code: str = field(compare=False)
    extra: dict[str, Any] = field(compare=False, default_factory=dict)


def play(
    days: int,
    per_day: float,
    seed: int,
    progress: Callable[[int, int, object], None] | None = None,
) -> dict[str, Any]:
    from ..core import bootstrap
    from ..core.services import campaigns, dispatch, intake, metrics, projects, workflow

    rng = random.Random(seed)
    today = datetime.now(CHINA_TZ).date()
    first = today - timedelta(days=days)
    clock = SimulatedClock(datetime.combine(first, time(7, 0), CHINA_TZ))
    base = bootstrap.wiring()
    # The registry and calendar caches keep the real clock: on the simulated one every step
    # would be "a minute later" and reload them.
    base.registry.current()
    base.calendar.current()
    base.campaigns_in_force.current()
    wired = replace(base, clock=clock, ids=SecureIds())
    shared = ("registry", "calendar", "cases", "photos", "vault", "counters", "notifications")
    for name in (*shared, "campaigns_in_force"):
        if name in base.__dict__:
            wired.__dict__[name] = base.__dict__[name]
    registry = wired.registry.current()
    # The demo is one resident per report; the real limits would stop it at once.
    limits = replace(wired.settings.limits, reports_per_phone=10**6, reports_per_address=10**6)
    wired.__dict__["intake"] = replace(wired.intake, limits=limits)
    wired.__dict__["transport"] = _Delivered()
    deps_flow, deps_dispatch, deps_metrics = wired.workflow, wired.dispatch, wired.metrics
    categories = [c for c in WEIGHTS if c in registry.categories]
    weights = [WEIGHTS[c] for c in categories]
    compounds = list(registry.compounds.values())
    counter = itertools.count()
    steps: list[Step] = []
    totals = {
        "reported": 0,
        "whistled": 0,
        "local": 0,
        "rejected": 0,
        "merged": 0,
        "rated": 0,
        "reopened": 0,
        "fee_rows": 0,
        "campaign_cases": 0,
    }
    # 两升一降: each managed compound's monthly fees, its collection rate creeping up a little
    # every month from where it starts.
    # The demo's recurring problem: one kind of problem in one compound, every other day of
    # the last ten, so the nightly job finds a hotspot.
    hotspot = (categories[0], rng.choice(compounds))
    managed = [c for c in compounds if c.property_company]
    fee_start = {c.id: rng.uniform(0.68, 0.9) for c in managed}
    fee_per_household = {c.id: rng.choice([60, 80, 95, 120, 150]) for c in managed}
    district = Principal("demo.district", (Scope(Role.DISTRICT),))

    def enter_fees(month: str, months_in: int) -> None:
        rows = []
        for compound in managed:
            billed = float(compound.households * fee_per_household[compound.id])
            rate = min(0.99, fee_start[compound.id] + 0.006 * months_in + rng.uniform(-0.02, 0.02))
            rows.append(
                {
                    "compound": compound.id,
                    "month": month,
                    "billed": billed,
                    "collected": round(billed * rate, 2),
                }
            )
        totals["fee_rows"] += metrics.record_fees(deps_metrics, district, rows)

    # The season's campaign (专项行动): the last two months (or the whole demo) and a month to
    # come, in the first half of the communities; public, so the board shows it. A week in,
    # one community enters what its residents' meeting raised, as one batch.
    first_of_campaign = max(first, today - timedelta(days=60))
    taking_part = sorted(registry.communities)[: max(1, len(registry.communities) // 2)]
    campaign = campaigns.create(
        wired.campaigns,
        district,
        {
            "name": f"{first_of_campaign.year}年红色物业季专项行动（示例）",
            "starts": first_of_campaign.isoformat(),
            "ends": (today + timedelta(days=30)).isoformat(),
            "communities": taking_part,
            "target": max(10, int(per_day * (today - first_of_campaign).days * 0.4)),
            "public": True,
            "summary": "示例数据：社区党组织收集居民反映的问题，物业企业报告小区公共设施短板，"
            "职能部门限时认领、办结。",
        },
    )
    meeting_day = first_of_campaign + timedelta(days=min(7, days - 1))
    meeting_community = taking_part[0]
    meeting_compounds = [c for c in compounds if c.community == meeting_community]

    def residents_meeting() -> None:
        clerk = Principal(
            f"demo.community.{meeting_community}",
            (Scope(Role.COMMUNITY, meeting_community),),
        )
        rows = []
        for _ in range(6):
            category = rng.choices(categories, weights)[0]
            rows.append(
                {
                    "category": category,
                    "compound": rng.choice(meeting_compounds).id,
                    "address": rng.choice(["东门", "3栋门前", "中心花园", "5栋2单元"]),
                    "description": "居民议事会反映："
                    + rng.choice(DESCRIPTIONS[category])
                    + "（示例数据）",
                }
            )
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        created = campaigns.batch(wired.campaigns, clerk, campaign["id"], key, {"rows": rows})
        totals["campaign_cases"] += created["count"]
        for entry in created["created"]:
            later(clock.at, rng.uniform(0.5, 20), "triage", entry["code"])

    def staff(scope: str) -> workflow.Acting:
        parsed = Scope.parse(scope)
        assert parsed is not None
        return workflow.Acting(principal=Principal(f"demo.{scope.replace(':', '.')}", (parsed,)))

    def later(at: datetime, hours: float, action: str, code: str, **extra: Any) -> None:
        heapq.heappush(steps, Step(at + timedelta(hours=hours), next(counter), action, code, extra))

    def act(acting: workflow.Acting, case: Any, name: str, **body: Any) -> dict[str, Any] | None:
        try:
            return workflow.act(
                deps_flow, acting, case.code, name, {"version": case.version, **body}
            )
        except Conflict:  # the case moved on meanwhile (a timer, a merge): skip the step
            return None

    def perform(step: Step) -> None:
        case = wired.cases.get(step.code)
        if case is None:
            return
        if step.action == "triage" and case.status is Status.SUBMITTED:
            community = staff(f"community:{case.community}")
            roll = rng.random()
            if roll < 0.08 and step.extra.get("duplicate_of"):
                if act(community, case, "merge", into=step.extra["duplicate_of"]):
                    totals["merged"] += 1
            elif roll < 0.15:
                if act(
                    community,
                    case,
                    "reject",
                    reason="经核实不属于公共事务，已告知居民联系物业",
                ):
                    totals["rejected"] += 1
            elif roll < 0.32:
                if act(community, case, "local", by=rng.choice(["community", "property", "grid"])):
                    totals["local"] += 1
                    later(clock.at, rng.uniform(4, 80), "resolve_local", case.code)
            elif act(community, case, "whistle"):
                totals["whistled"] += 1
                later(clock.at, 0.02, "tick", case.code)
        elif step.action == "tick":
            dispatch.fire_timers(deps_dispatch, dispatch.TickReport())
            case = wired.cases.get(step.code)
            if case is not None and case.status is Status.DISPATCHED:
                late = rng.random() < 0.15
                later(
                    clock.at,
                    rng.uniform(5, 12) if late else rng.uniform(0.2, 3),
                    "claim",
                    case.code,
                )
        elif step.action == "claim" and case.status is Status.DISPATCHED:
            department = staff(f"department:{case.department}")
            if rng.random() < 0.05:
                act(department, case, "return", reason="经核实不属于本部门职责")
                later(clock.at, rng.uniform(2, 20), "triage", case.code)
                return
            if act(department, case, "claim"):
                on_time = rng.random() < 0.8
                hours = rng.uniform(8, 100) if on_time else rng.uniform(150, 400)
                later(clock.at, hours, "resolve", case.code)
        elif step.action == "resolve" and case.status is Status.CLAIMED:
            department = staff(f"department:{case.department}")
            if act(department, case, "resolve", note="已按要求处理完毕"):
                later(clock.at, rng.uniform(2, 100), "rate", case.code)
        elif step.action == "resolve_local" and case.status is Status.LOCAL:
            if act(staff(f"community:{case.community}"), case, "resolve", note="已协调处理"):
                later(clock.at, rng.uniform(2, 100), "rate", case.code)
        elif step.action == "rate" and case.status is Status.RESOLVED and rng.random() < 0.75:
            solved = rng.random() < 0.9
            grade = rng.choices(
                ["satisfied", "fairly_satisfied", "not_satisfied"],
                [0.72, 0.2, 0.08] if solved else [0.05, 0.25, 0.7],
            )[0]
            token = _tokens.get(case.code)
            if token is None:
                return
            workflow.rate(
                deps_flow,
                case.code,
                Credentials(token=token),
                {"resolved": solved, "satisfaction": grade},
            )
            totals["rated"] += 1
            if not solved:
                totals["reopened"] += 1
                later(
                    clock.at,
                    rng.uniform(10, 120),
                    "resolve" if case.local_by is None else "resolve_local",
                    case.code,
                )

    _tokens: dict[str, str] = {}
    recent: dict[tuple[str, str], str] = {}
    for index in range(days):
        day = first + timedelta(days=index)
        for _ in range(_poisson(rng, per_day)):
            moment = datetime.combine(day, time(8, 0), CHINA_TZ) + timedelta(
                minutes=rng.randint(0, 13 * 60)
            )
            heapq.heappush(steps, Step(moment, next(counter), "report", ""))
        if index >= days - 10 and index % 2 == 0:  # a problem that keeps coming back
            moment = datetime.combine(day, time(19, 0), CHINA_TZ)
            heapq.heappush(steps, Step(moment, next(counter), "report", "", {"hotspot": True}))
        # The day's steps end at midnight; the nightly job counts the day at 00:30.
        midnight = datetime.combine(day + timedelta(days=1), time(0, 0), CHINA_TZ)
        day_end = midnight + timedelta(minutes=30)
        while steps and steps[0].at < midnight:
            step = heapq.heappop(steps)
            clock.at = max(clock.at, step.at)
            if step.action == "report":
                category = rng.choices(categories, weights)[0]
                compound = rng.choice(compounds)
                if step.extra.get("hotspot"):
                    category, compound = hotspot
                body = {
                    "category": category,
                    "compound": compound.id,
                    "address": rng.choice(
                        ["东门", "北门", "3栋门前", "地下车库入口", "中心花园", "5栋2单元"]
                    ),
                    "description": rng.choice(DESCRIPTIONS[category]) + "（示例数据）",
                    "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                    "consent": True,
                }
                key = uuid.UUID(int=rng.getrandbits(128)).hex
                receipt = intake.file_report(wired.intake, key, body)
                _tokens[receipt.code] = receipt.token
                totals["reported"] += 1
                duplicate = recent.get((compound.id, category))
                recent[(compound.id, category)] = receipt.code
                later(
                    clock.at, rng.uniform(0.3, 30), "triage", receipt.code, duplicate_of=duplicate
                )
            else:
                perform(step)
        if day == meeting_day and meeting_compounds:
            clock.at = datetime.combine(day, time(21, 0), CHINA_TZ)
            residents_meeting()
        # The day is over: timers due today (reminders, escalations, auto-close) fire, and the
        # nightly job counts the day.
        clock.at = day_end
        dispatch.fire_timers(deps_dispatch, dispatch.TickReport())
        month_ends = (day + timedelta(days=1)).day == 1 or index == days - 1
        if month_ends:
            enter_fees(
                metrics.month_of(day), (day.year - first.year) * 12 + day.month - first.month
            )
        metrics.run_day(deps_metrics, day, rollup_periods=month_ends)
        if progress:
            progress(index + 1, days, day.isoformat())
    dispatch.send_pending(deps_dispatch, dispatch.TickReport())
    # The recurring problem the nightly job found becomes a 攻坚 project, as the district
    # would make it from the dashboard.
    found = metrics.hotspots(deps_metrics, district)["hotspots"]
    recurring = [h for h in found if h["type"] == "recurring"]
    project = None
    owner = (
        registry.route(recurring[0]["category"], recurring[0]["community"]) if recurring else None
    )
    if recurring and owner:
        spot = recurring[0]
        project = projects.create(
            wired.projects,
            district,
            {
                "title": f"{spot['compound_name']}{spot['category_name']}问题攻坚（示例）",
                "owner": owner,
                "due": (today + timedelta(days=45)).isoformat(),
                "origin": {
                    "type": "recurring",
                    "compound": spot["compound"],
                    "category": spot["category"],
                },
                "public": True,
                "summary": "示例数据：反复出现的问题，由牵头部门统一整治。",
            },
        )
    return {
        "days": days,
        "from": first.isoformat(),
        "to": (today - timedelta(days=1)).isoformat(),
        **totals,
        "campaign": campaign["id"],
        "project": project["id"] if project else None,
        "sample": True,
    }


class _Delivered:
    """The demo's messages are marked delivered without leaving the machine."""

    def send(self, notification: Any, now: datetime) -> None:
        return None

    def deduplicates(self, notification: Any) -> bool:
        return False


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth: fine for small means.
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
