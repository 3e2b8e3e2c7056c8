"""Staff work lists through the API: search by code, address and words; filters; sorts;
paging by a signed cursor; counts per stage; and scope — a clerk never finds another's case,
not with a search, not with a cursor carried over from another list."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    OTHER_COMMUNITY,
    ZHUJIAN,
    act,
    ok,
    report,
    staff_get,
    tick,
    view,
)


def page(api: Any, who: tuple[str, str], **params: Any) -> dict[str, Any]:
    return ok(staff_get(api, who, f"/staff/cases?{urlencode(params)}"))


def refused(api: Any, who: tuple[str, str], **params: Any) -> dict[str, Any]:
    response = staff_get(api, who, f"/staff/cases?{urlencode(params)}")
    assert response.status_code == 400, response.body
    return dict(json.loads(response.body)["error"])


def codes(listed: dict[str, Any]) -> list[str]:
    return [row["code"] for row in listed["items"]]


def whistle(api: Any, code: str) -> None:
    case = view(api, COMMUNITY, code)
    ok(act(api, COMMUNITY, code, "whistle", version=case["version"]))


def test_a_clerk_finds_a_case_by_words_of_its_address_or_description(api):
    lamp = report(api, address="幸福路18号楼下", description="路灯不亮已经三天了")
    tree = report(api, category="tree_shading", address="和平街5栋", description="大树挡住阳光")

    assert codes(page(api, COMMUNITY, view="community", q="幸福路")) == [lamp["code"]]
    assert codes(page(api, COMMUNITY, view="community", q="挡住 和平街")) == [tree["code"]]
    assert codes(page(api, COMMUNITY, view="inbox", q="阳光")) == [tree["code"]]
    assert codes(page(api, COMMUNITY, view="community", q="幸福路 阳光")) == []
    by_code = page(api, COMMUNITY, view="community", q=lamp["code"].lower())
    assert codes(by_code) == [lamp["code"]] and by_code["total"] == 1


def test_filters_sorts_and_counts_per_stage(api, wiring, robots, clock):
    first = report(api)
    clock.advance(minutes=1)
    second = report(api, category="tree_shading")
    clock.advance(minutes=1)
    third = report(api)
    whistle(api, third["code"])

    everything = page(api, COMMUNITY, view="community")
    assert codes(everything) == [third["code"], second["code"], first["code"]]  # newest first
    assert everything["total"] == 3 and everything["counts_exact"] is True
    assert everything["counts"] == {"submitted": 2, "whistled": 1}

    oldest = page(api, COMMUNITY, view="community", sort="oldest")
    assert codes(oldest) == [first["code"], second["code"], third["code"]]

    lights = page(api, COMMUNITY, view="community", kind="street_light")
    assert codes(lights) == [third["code"], first["code"]]
    assert lights["counts"] == {"submitted": 1, "whistled": 1} and lights["total"] == 2

    waiting = page(api, COMMUNITY, view="community", stage="submitted", kind="street_light")
    assert codes(waiting) == [first["code"]] and waiting["total"] == 1

    tick(wiring)  # the whistled case is dispatched to 市路灯管理所
    district = page(api, DISTRICT, view="district", department="ludeng")
    assert codes(district) == [third["code"]]
    assert district["counts"] == {"dispatched": 1} and district["total"] == 1
    assert page(api, DISTRICT, view="district", community="c02")["total"] == 0

    due = page(api, COMMUNITY, view="community", sort="due")
    assert due["open_only"] is True
    deadlines = [row["deadline"] for row in due["items"]]
    assert deadlines == sorted(deadlines)


def test_residents_waiting_filter_and_sort(api):
    """Until followers exist every case has one resident waiting (the field defaults to 1)."""
    report(api)
    assert page(api, COMMUNITY, view="community", waiting="2")["items"] == []
    assert len(page(api, COMMUNITY, view="community", waiting="1")["items"]) == 1
    assert len(page(api, COMMUNITY, view="community", sort="waiting")["items"]) == 1


def later(clock: Any, receipt: dict[str, Any]) -> str:
    clock.advance(minutes=1)
    return str(receipt["code"])


def test_pages_follow_a_signed_cursor_to_the_end(api, clock):
    reported = [later(clock, report(api)) for _ in range(23)]

    first = page(api, COMMUNITY, view="community")
    assert len(first["items"]) == 20 and first["total"] == 23 and first["cursor"]
    rest = page(api, COMMUNITY, view="community", cursor=first["cursor"])
    assert rest["cursor"] is None
    assert codes(first) + codes(rest) == list(reversed(reported))

    inbox = page(api, COMMUNITY, view="inbox")
    more = page(api, COMMUNITY, view="inbox", cursor=inbox["cursor"])
    assert codes(inbox) + codes(more) == reported  # the inbox: oldest first


def test_a_cursor_altered_or_carried_to_another_list_is_refused(api):
    for _ in range(21):
        report(api)
    cursor = page(api, COMMUNITY, view="community")["cursor"]
    payload = cursor.partition(".")[0]

    assert refused(api, COMMUNITY, view="community", cursor=payload + "." + "0" * 32)["code"] == (
        "invalid_cursor"
    )
    assert refused(api, COMMUNITY, view="community", cursor=payload)["code"] == "invalid_cursor"
    # The same cursor for another community's list, or with another filter, opens nothing.
    assert refused(api, OTHER_COMMUNITY, view="community", cursor=cursor)["code"] == (
        "invalid_cursor"
    )
    assert refused(api, COMMUNITY, view="community", kind="sewage", cursor=cursor)["code"] == (
        "invalid_cursor"
    )


def test_bad_parameters_are_refused_by_the_published_schema(api):
    assert refused(api, COMMUNITY, view="community", stage="finished")["details"][0]["field"] == (
        "stage"
    )
    assert refused(api, COMMUNITY, view="community", sort="loudest")["code"] == "invalid_request"
    assert refused(api, COMMUNITY, view="community", kind="unicorns")["code"] == "unknown_value"
    assert refused(api, COMMUNITY, view="community", waiting="0")["code"] == "invalid_request"
    assert refused(api, COMMUNITY, view="community", colour="red")["details"][0]["code"] == (
        "unknown_field"
    )


def test_a_search_never_crosses_a_clerks_scope(api, wiring, robots):
    ours = report(api, address="幸福路7号", description="路灯坏了，幸福路很黑")
    theirs = report(api, compound="x002", address="幸福路9号", description="路灯坏了，幸福路很黑")
    whistle(api, ours["code"])
    tick(wiring)

    assert codes(page(api, COMMUNITY, view="community", q="幸福路")) == [ours["code"]]
    assert codes(page(api, OTHER_COMMUNITY, view="community", q="幸福路")) == [theirs["code"]]
    assert codes(page(api, OTHER_COMMUNITY, view="community", q=ours["code"])) == []
    # A department clerk finds only its own department's cases, by words or by code.
    assert codes(page(api, LUDENG, view="department", q="幸福路")) == [ours["code"]]
    assert codes(page(api, ZHUJIAN, view="department", q="幸福路")) == []
    assert codes(page(api, ZHUJIAN, view="department", q=ours["code"])) == []
    assert page(api, ZHUJIAN, view="department", q=ours["code"])["total"] == 0
    assert staff_get(api, ZHUJIAN, "/staff/cases?view=department&target=ludeng").status_code == 404


def test_inbox_duplicate_hints_name_the_other_case(api):
    first = report(api)
    second = report(api)
    report(api, category="sewage")

    rows = {row["code"]: row for row in page(api, COMMUNITY, view="inbox")["items"]}
    assert [d["code"] for d in rows[first["code"]]["duplicates"]] == [second["code"]]
    assert [d["code"] for d in rows[second["code"]]["duplicates"]] == [first["code"]]


def test_a_merge_is_offered_the_compounds_recent_cases_to_choose_from(api, clock):
    first = report(api)
    clock.advance(minutes=1)
    other_kind = report(api, category="tree_shading")
    clock.advance(minutes=1)
    second = report(api)
    report(api, compound="x002")  # another community's compound: never offered

    candidates = view(api, COMMUNITY, second["code"])["merge_candidates"]
    assert [c["code"] for c in candidates] == [first["code"], other_kind["code"]]  # same kind first
    assert candidates[0]["address"] and candidates[0]["excerpt"]
    merged = ok(act(api, COMMUNITY, second["code"], "merge", into=candidates[0]["code"]))
    assert "merge_candidates" not in merged  # a merged case offers no merge


def test_cases_stored_before_the_lists_are_counted_and_listed_after_a_rebuild(api, wiring):
    from functions.core.adapters.tables import CaseItem, CounterItem

    code = report(api)["code"]
    # As a stage upgraded from the previous release has them: no tallies, no open-index keys.
    for counter in CounterItem.scan(CounterItem.key.startswith("list#")):
        counter.delete()
    CaseItem.get(code).update(
        actions=[CaseItem.open_community.remove(), CaseItem.open_district.remove()]
    )
    assert page(api, COMMUNITY, view="community")["counts"] == {}
    assert page(api, COMMUNITY, view="community", sort="due")["items"] == []

    assert wiring.workflow.cases.rebuild_list_index() == 1

    assert page(api, COMMUNITY, view="community")["counts"] == {"submitted": 1}
    assert codes(page(api, DISTRICT, view="district", sort="due")) == [code]
