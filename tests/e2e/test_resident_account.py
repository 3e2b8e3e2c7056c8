"""A resident's side of the loop on a 360 px phone: report on one phone; on a second phone
sign in by number with the code from the SMS, find the case, open the link of the "whistled"
SMS, and — once the department resolved it with a photo — see that photo, rate, and see the
rating shown back. Screenshots in Chinese and English."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_resident_flow import fill_report, photo_with_gps
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    """Another phone, 360 px wide (the narrowest common Android screen)."""
    launched, _ = browser
    context = launched.new_context(**SMALL_PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def outbox_text(desk: Any, stack: Any, case: str, template: str) -> str:
    """The newest message of a template for a case, as the dev outbox shows it."""
    page = desk.new_page()
    page.goto(f"{stack.url}/dev/outbox")
    row = page.locator(f"tr[data-case='{case}']", has_text=template).first
    text = row.locator("pre").inner_text()
    page.close()
    return text


def dispatch(stack: Any) -> None:
    assert requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=60).status_code == 200


def english(page: Any) -> None:
    page.get_by_role("button", name=re.compile("English|中文")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_resident_follows_a_case_from_another_phone_by_number_and_sms_link(
    stack, phone, small_phone, desk, tmp_path: Path
):
    number = f"1370000{uuid.uuid4().int % 10000:04d}"
    masked = f"137****{number[-4:]}"
    reporter = phone.new_page()
    reporter.goto(stack.url)
    fill_report(reporter, f"楼下路灯不亮好几天了 {uuid.uuid4().hex[:6]}", phone=number)
    reporter.get_by_role("button", name="提交").click()
    reporter.wait_for_url(re.compile(r".*#/submitted/"))
    code = reporter.get_by_test_id("case-code").inner_text()

    # The community whistles it; the dispatch job alerts the department and tells the resident.
    staff = desk.new_page()
    sign_in(staff, stack, "community.c01", f"/staff/case/{code}")
    staff.locator("[data-action=whistle]").click()
    staff.get_by_test_id("confirm-action").click()
    expect(staff.get_by_test_id("staff-case-status")).to_have_text("已吹哨")
    dispatch(stack)

    # On a second phone, with nothing remembered, the resident signs in by number.
    second = small_phone.new_page()
    second.goto(f"{stack.url}/#/mine")
    second.get_by_test_id("phone-sign-in").click()
    second.fill("#signin-phone", number)
    second.get_by_test_id("send-code").click()
    expect(second.get_by_role("status")).to_contain_text(masked)
    sms = outbox_text(desk, stack, "sign-in", "resident_sign_in")
    assert masked not in sms and number not in sms
    code_sent = re.search(r"验证码(\d{6})", sms).group(1)
    second.fill("#signin-code", code_sent)
    screenshot(second, "resident-phone-sign-in-360")
    second.get_by_test_id("sign-in").click()
    second.wait_for_url(re.compile(r".*#/mine"))
    expect(second.get_by_test_id("signed-in-phone")).to_contain_text(masked)
    expect(second.get_by_test_id("my-report")).to_contain_text(code)
    screenshot(second, "resident-my-cases-signed-in-360")

    # The "whistled" SMS links to the case, and says who must resolve it by when.
    whistled = outbox_text(desk, stack, code, "resident_whistled")
    assert "市路灯管理所" in whistled and "前办结" in whistled
    link = re.search(r"https?://\S+/#/c/\S+", whistled).group(0)
    assert code in link and len(link.split("/#/c/")[1]) <= 35
    second.goto(link)
    expect(second.get_by_test_id("case-status")).to_have_text("待部门认领")
    second.wait_for_url(re.compile(r".*/#/case/YS-[0-9-]+$"))  # the key left the address
    expect(second.get_by_test_id("due-line")).to_contain_text("市路灯管理所 须在")
    expect(second.get_by_test_id("due-line")).to_contain_text("前认领")
    screenshot(second, "resident-case-whistled-360")

    # The department resolves it with a photo from the action link of its alert.
    clerk = desk.new_page()
    clerk.goto(f"{stack.url}/dev/outbox")
    clerk.locator(f"tr[data-case='{code}'] [data-testid=action-link]").first.click()
    clerk.locator("[data-action=claim]").click()
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("部门办理中")
    clerk.locator("[data-action=resolve]").click()
    clerk.fill("textarea[name=note]", "已更换损坏的灯具，恢复照明")
    clerk.set_input_files("input[name=photos]", str(photo_with_gps(tmp_path / "fixed.jpg")))
    clerk.locator(".thumbs img").wait_for()
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("已办结待评价")

    # The resident sees the result and its photo before rating, rates, and sees the rating.
    second.reload()
    expect(second.get_by_test_id("resolution")).to_contain_text("已更换损坏的灯具")
    photo = second.get_by_test_id("resolution-photo").first
    expect(photo).to_have_js_property("complete", True)
    expect(photo).not_to_have_js_property("naturalWidth", 0)
    second.get_by_test_id("send-rating").scroll_into_view_if_needed()
    screenshot(second, "resident-case-resolved-360")
    second.get_by_text("已解决", exact=True).click()
    second.get_by_text("满意", exact=True).click()
    second.get_by_test_id("send-rating").click()
    expect(second.get_by_test_id("case-status")).to_have_text("已完结")
    expect(second.get_by_test_id("rating-given")).to_contain_text("已解决 · 满意")
    steps = second.get_by_test_id("timeline-event").all_inner_texts()
    assert steps[0] == "完结" and steps[1] == "评价：已解决 · 满意"
    assert not any("待评价" in step for step in steps)
    screenshot(second, "resident-case-rated-360")

    english(second)
    expect(second.get_by_test_id("rating-given")).to_contain_text("Your rating")
    screenshot(second, "resident-case-rated-360-en")
    second.goto(f"{stack.url}/#/mine")
    expect(second.get_by_test_id("signed-in-phone")).to_contain_text("Signed in as")
    screenshot(second, "resident-my-cases-360-en")
    second.goto(f"{stack.url}/#/me")
    screenshot(second, "resident-phone-sign-in-360-en")


def test_another_numbers_session_does_not_open_a_case(stack, small_phone, desk):
    """A token of one phone reading another phone's case finds nothing (as the API answers)."""
    mine = f"1360000{uuid.uuid4().int % 10000:04d}"
    theirs = requests.post(
        f"{stack.url}/api/cases",
        json={
            "category": "street_light",
            "compound": "x001",
            "address": "东门",
            "description": "路灯不亮很久了",
            "phone": f"1350000{uuid.uuid4().int % 10000:04d}",
            "consent": True,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    ).json()["code"]
    assert requests.post(f"{stack.url}/api/resident/code", json={"phone": mine}, timeout=10).ok
    sms = outbox_text(desk, stack, "sign-in", "resident_sign_in")
    code = re.search(r"验证码(\d{6})", sms).group(1)
    session = requests.post(
        f"{stack.url}/api/resident/session", json={"phone": mine, "code": code}, timeout=10
    ).json()
    page = small_phone.new_page()
    page.goto(stack.url)
    page.evaluate(
        "s => localStorage.setItem('whistle.resident', JSON.stringify(s))",
        {"token": session["token"], "expires_at": session["expires_at"], "phone": session["phone"]},
    )
    page.goto(f"{stack.url}/#/case/{theirs}")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("case-status")).to_have_count(0)


def test_an_urgent_kind_says_what_to_do_right_now_before_the_form(stack, small_phone):
    page = small_phone.new_page()
    page.goto(stack.url)
    page.click("[data-category=street_light]")
    expect(page.get_by_test_id("urgent-guidance")).to_have_count(0)
    page.click("[data-category=elevator]")
    guidance = page.get_by_test_id("urgent-guidance")
    expect(guidance).to_contain_text("96333")
    expect(guidance.locator("a[href='tel:96333']")).to_be_visible()
    page.click("[data-category=fire_safety]")
    expect(guidance.locator("a[href='tel:119']")).to_be_visible()
    # Shown right under the kinds, before the rest of the form.
    box = guidance.bounding_box()
    assert (
        box["width"] <= 360 and box["y"] < page.locator("input[name=address]").bounding_box()["y"]
    )
    screenshot(page, "resident-urgent-guidance-360")
    # At 360 px no kind's name breaks inside itself (楼栋消防安全 on one line), and the
    # sample-data badge sits in the page, over nothing.
    heights = page.eval_on_selector_all(".category-name", "els => els.map(e => e.offsetHeight)")
    assert max(heights) < 20, heights
    pill = page.get_by_test_id("sample-pill")
    assert pill.evaluate("e => getComputedStyle(e).position") == "static"
    english(page)
    expect(guidance).to_contain_text("call 119 now")
    screenshot(page, "resident-urgent-guidance-360-en")
