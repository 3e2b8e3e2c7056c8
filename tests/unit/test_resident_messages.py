"""What a case tells its resident, and how often: the essential messages once each, the
others capped and dropped first, none of them once the resident asked for essentials only."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.core.domain.cases import Actor
from functions.core.domain.messages import OPTIONAL_SMS_CAP
from tests.unit.test_case_machine import CLERK, COMMUNITY, DISTRICT, POLICY, new_case

NOW = datetime.fromisoformat("2026-11-27T02:00:00+00:00")


def told(case) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.template for n in case.notices if n.audience == "resident"]


def claimed(case, at: datetime):  # type: ignore[no-untyped-def]
    case.whistle(COMMUNITY, "ludeng", (), None, at, POLICY)
    case.dispatch(at, POLICY)
    case.claim(CLERK, at, POLICY)
    return case


def test_the_whistle_message_says_by_when_the_case_must_be_resolved():
    case = new_case(NOW)
    case.whistle(COMMUNITY, "ludeng", (), None, NOW, POLICY)
    [notice] = [n for n in case.notices if n.audience == "resident"]
    assert notice.template == "resident_whistled"
    # Claimed within its limit, then resolved within the category's: the end of both.
    claim = POLICY.calendar.add(NOW, POLICY.limits.claim).at
    by = POLICY.calendar.add(claim, POLICY.limits.resolve).at
    assert datetime.fromisoformat(notice.data["by"].replace("Z", "+00:00")) == by


def test_each_step_tells_the_resident_with_what_it_adds():
    case = new_case(NOW)
    case.reject(COMMUNITY, "不属于本社区", NOW, POLICY)
    assert [(n.template, n.data) for n in case.notices] == [
        ("resident_rejected", {"reason": "不属于本社区"})
    ]
    merged = new_case(NOW)
    merged.merge(COMMUNITY, "YS-2611-27-0009", NOW, POLICY)
    assert told(merged) == ["resident_merged"]
    assert merged.notices[0].data == {"into": "YS-2611-27-0009"}


def test_optional_messages_are_capped_and_the_essential_ones_still_go():
    case = claimed(new_case(NOW), NOW)
    at = NOW
    for _ in range(OPTIONAL_SMS_CAP + 2):  # returned and whistled again, again and again
        at += timedelta(hours=1)
        case.return_to_triage(CLERK, "不是本部门职责", at, POLICY)
        claimed(case, at)
    at += timedelta(hours=1)
    case.resolve(CLERK, "已修好", (), at, POLICY)
    assert case.resident_told.count("resident_returned") == OPTIONAL_SMS_CAP
    assert case.resident_told.count("resident_whistled") == 1
    assert case.resident_told[-1] == "resident_resolved"  # the cap never drops an essential
    assert len(case.resident_told) == 5


def test_a_resident_who_wants_essentials_only_hears_nothing_else():
    case = claimed(new_case(NOW), NOW)
    case.prefer_updates(essential_only=True)
    case.notices.clear()
    case.request_extension(CLERK, 3, "材料未到", NOW, POLICY)
    case.decide_extension(DISTRICT, True, None, NOW, POLICY)
    case.return_to_triage(CLERK, "不是本部门职责", NOW, POLICY)
    assert told(case) == []
    case.whistle(COMMUNITY, "ludeng", (), None, NOW, POLICY)  # told once already
    assert told(case) == []


def test_an_approved_extension_tells_the_new_date():
    case = claimed(new_case(NOW), NOW)
    case.notices.clear()
    case.request_extension(CLERK, 3, "材料未到", NOW, POLICY)
    case.decide_extension(Actor("district", "district.admin"), True, None, NOW, POLICY)
    [notice] = [n for n in case.notices if n.audience == "resident"]
    assert notice.template == "resident_extended"
    assert datetime.fromisoformat(notice.data["by"].replace("Z", "+00:00")) == case.deadline
