"""A second resident on a 360 px phone, in the same compound, sees the first resident's case
while reporting — kind, status, age, never the first resident's words — presses 我也遇到, joins
it with their phone and later receives its "resolved" SMS; "use my location" picks the compound,
and the compound picker can be searched by name."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, staff_tokens
from tests.e2e.test_resident_account import dispatch, outbox_text
from tests.e2e.test_resident_actions import sms_to, staff_act
from tests.e2e.test_resident_flow import photo_with_gps

pytestmark = pytest.mark.e2e

# 盛山安置小区 (sample data): its centre is about 200 m from this point.
HERE = {"latitude": 31.6886, "longitude": 118.5108}
COMPOUND = "x103"
FIRST_WORDS = "3号楼门前的路灯坏了，晚上一片漆黑，王阿姨摔了一跤"
SHOTS = Path("/work/shots/dedupe")


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    """A 360 px wide phone that lets the page read its location."""
    launched, _ = browser
    context = launched.new_context(
        viewport={"width": 360, "height": 760},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        permissions=["geolocation"],
        geolocation=HERE,
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def shot(page: Any, name: str) -> None:
    # From the top: a full-page shot draws the fixed header where the page is scrolled to.
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def first_report(url: str) -> str:
    answer = requests.post(
        f"{url}/api/cases",
        json={
            "category": "street_light",
            "compound": COMPOUND,
            "address": "3号楼2单元101室门口",
            "description": FIRST_WORDS,
            "phone": "13912340001",
            "consent": True,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


def test_a_second_resident_sees_the_first_case_while_reporting_and_presses_me_too(
    stack, small_phone, desk, tmp_path
):
    # Given a first resident's report of a dark street light
    code = first_report(stack.url)
    page = small_phone.new_page()
    page.goto(stack.url)
    # When a second resident chooses the kind and lets "use my location" choose the compound
    page.wait_for_selector("[data-category]")
    page.click("[data-category=street_light]")
    page.get_by_role("button", name="附上我的定位").click()
    expect(page.locator(".picker-value")).to_contain_text("盛山安置小区")
    # Then the panel shows the first case, without the first resident's words
    panel = page.get_by_test_id("nearby-cases")
    expect(panel).to_contain_text("附近已有的同类问题")
    row = panel.locator(f"li[data-code='{code}']")
    expect(row).to_contain_text("路灯照明")
    expect(row).to_contain_text("待社区处理")
    assert "王阿姨" not in panel.inner_text()
    # And once the description says the same, it is marked as likely the same problem
    page.fill("#description", "三号楼前面那盏路灯好几天不亮了")
    expect(row).to_contain_text("可能是同一问题")
    shot(page, "nearby-report-form-360-zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="切换到英文", exact=False).click()
    expect(panel).to_contain_text("Already reported nearby")
    expect(row).to_contain_text("Likely the same")
    shot(page, "nearby-report-form-360-en")

    # When they press "me too", they verify their number and join the case instead of filing it
    row.get_by_role("button").click()
    page.wait_for_url(re.compile(rf".*#/join/{code}$"))
    expect(page.get_by_test_id("join")).to_contain_text(code)
    shot(page, "join-360-en")
    page.get_by_test_id("join-sign-in").click()
    number = f"1360000{uuid.uuid4().int % 10000:04d}"
    masked = f"136****{number[-4:]}"
    page.fill("#signin-phone", number)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_role("status")).to_contain_text(masked)
    sent = outbox_text(desk, stack, "sign-in", "resident_sign_in")
    page.fill("#signin-code", re.search(r"验证码(\d{6})", sent).group(1))
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(rf".*#/join/{code}$"))
    page.get_by_role("button", name="中文", exact=False).click()
    page.fill("textarea[name=note]", "我家门口也是这盏灯")
    page.set_input_files("input[name=photo]", str(photo_with_gps(tmp_path / "dark-too.jpg")))
    shot(page, "join-360-zh")
    page.get_by_test_id("join-confirm").click()
    page.wait_for_url(re.compile(r".*#/mine"))
    mine = page.get_by_test_id("my-report").filter(has_text=code)
    expect(mine.get_by_test_id("following-tag")).to_be_visible()
    # Staff see the follower's line and photo on the case's timeline
    headers = {
        "Authorization": f"Bearer {staff_tokens(stack.url, 'district.admin')['access_token']}"
    }
    seen = requests.get(f"{stack.url}/api/staff/cases/{code}", headers=headers, timeout=30).json()
    [followed] = [e for e in seen["timeline"] if e["kind"] == "followed"]
    assert followed["note"] == "我家门口也是这盏灯" and len(followed["photos"]) == 1
    assert seen["residents_waiting"] == 2

    # The compound's public page shows the case, never the first resident's words
    page.goto(f"{stack.url}/#/compound/{COMPOUND}?case={code}")
    highlighted = page.locator(f"li.highlighted[data-code='{code}']")
    expect(highlighted).to_contain_text("路灯照明")
    assert "王阿姨" not in page.locator("main").inner_text()
    expect(page.get_by_test_id("compound-open")).to_contain_text("正在处理")
    shot(page, "compound-page-360-zh")

    # And when the department resolves the case, its "resolved" SMS reaches them too
    staff_act(stack, "district.admin", code, "whistle")  # the district may act on any case
    dispatch(stack)
    staff_act(stack, "department.ludeng", code, "claim")
    staff_act(stack, "department.ludeng", code, "resolve", note="已更换灯泡")
    dispatch(stack)
    assert code in sms_to(desk, stack, code, "resident_resolved", masked)


def test_the_compound_picker_is_searched_by_name(stack, small_phone):
    page = small_phone.new_page()
    page.goto(stack.url)
    page.wait_for_selector("[data-category]")
    page.click(".picker-cell")
    page.get_by_role("searchbox").fill("盛山")
    matches = page.get_by_test_id("place-matches")
    expect(matches).to_contain_text("盛山安置小区")
    shot(page, "place-search-360-zh")
    matches.get_by_role("button", name=re.compile("盛山安置小区")).click()
    expect(page.locator(".picker-value")).to_contain_text("盛山安置小区")
