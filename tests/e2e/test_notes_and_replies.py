"""Internal notes and common replies in real Chromium: a note shows on the staff timeline,
marked internal, and never on the resident's page; a common reply fills an action's text and
stays editable."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_staff_flow import api_report, sign_in

pytestmark = pytest.mark.e2e
SHOTS = Path("/work/shots/notes-digest")
NOTE = "内部：住户王先生白天不在家，上门前先电话联系物业"


def laptop(desk):
    """Screens are looked at on a 1366×768 laptop."""
    page = desk.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    return page


def laptop_shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_an_internal_note_is_on_the_staff_page_and_never_on_the_residents(stack, desk, phone):
    case = api_report(stack, "x001", "小区东门路灯不亮")
    page = laptop(desk)
    sign_in(page, stack, "community.c01", f"/staff/case/{case['code']}")
    page.goto(f"{stack.url}/#/staff/case/{case['code']}")
    page.get_by_test_id("note-form").locator("textarea").fill(NOTE)
    page.get_by_test_id("add-note").click()
    noted = page.locator("li[data-kind=internal_note]")
    expect(noted).to_contain_text(NOTE)
    expect(noted).to_contain_text("内部")
    noted.scroll_into_view_if_needed()
    laptop_shot(page, "staff-case-internal-note")

    resident = phone.new_page()
    resident.goto(f"{stack.url}/#/case/{case['code']}?token={case['token']}")
    expect(resident.locator(".description")).to_contain_text("小区东门路灯不亮")
    resident.wait_for_load_state("networkidle")
    assert NOTE not in resident.content()
    assert "内部备注" not in resident.content()
    seen = requests.get(
        f"{stack.url}/api/cases/{case['code']}",
        headers={"X-Case-Token": case["token"]},
        timeout=10,
    )
    assert seen.status_code == 200 and NOTE not in seen.text
    board = requests.get(f"{stack.url}/api/public/board", timeout=10)
    assert board.status_code == 200 and NOTE not in board.text
    open311 = requests.get(f"{stack.url}/api/open311/v2/requests/{case['code']}.json", timeout=10)
    assert open311.status_code == 200 and NOTE not in open311.text


def test_a_community_keeps_common_replies_and_picks_one_to_reject(stack, desk):
    reply = "经核实，该问题属于业主家中设施，不属于公共区域，请联系物业有偿维修"
    case = api_report(stack, "x001", "家里灯坏了")
    page = laptop(desk)
    sign_in(page, stack, "community.c01", "/staff/replies")
    page.goto(f"{stack.url}/#/staff/replies")
    form = page.locator("form.add")
    form.locator("select[name=kind]").select_option("reject")
    form.locator("textarea[name=text]").fill(reply)
    page.get_by_test_id("add-reply").click()
    expect(page.locator("[data-kind=reject] [data-testid=reply]")).to_contain_text(reply)
    laptop_shot(page, "common-replies")

    page.goto(f"{stack.url}/#/staff/case/{case['code']}")
    page.locator("[data-action=reject]").click()
    page.get_by_test_id("reply-picker").select_option(label=reply)
    reason = page.locator("textarea[name=reason]")
    expect(reason).to_have_value(reply)
    reason.fill(reply + "。联系电话见公告栏")  # still the clerk's words to change
    laptop_shot(page, "reject-with-common-reply")
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("staff-case-status")).to_contain_text("不予受理")
    expect(page.locator("li[data-kind=rejected]")).to_contain_text("联系电话见公告栏")
