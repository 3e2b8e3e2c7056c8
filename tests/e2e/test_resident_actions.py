"""A reporter's own actions and a merged report, on a 360 px phone: withdraw a report before the
community acts (asked to confirm first); and a report merged into another — its page links to the
case it joined, the resident follows that case, hears from the dev outbox when it is resolved and
rates it. Screenshots in Chinese and English."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, staff_tokens
from tests.e2e.test_resident_account import SMALL_PHONE, dispatch, english
from tests.e2e.test_resident_flow import fill_report

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    """A phone 360 px wide."""
    launched, _ = browser
    context = launched.new_context(**SMALL_PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def report_on(page: Any, stack: Any, number: str, text: str) -> str:
    page.goto(stack.url)
    fill_report(page, text, phone=number)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*#/submitted/"))
    return str(page.get_by_test_id("case-code").inner_text())


def staff_act(stack: Any, who: str, code: str, action: str, **body: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {staff_tokens(stack.url, who)['access_token']}"}
    seen = requests.get(f"{stack.url}/api/staff/cases/{code}", headers=headers, timeout=30)
    seen.raise_for_status()
    answer = requests.post(
        f"{stack.url}/api/staff/cases/{code}/actions/{action}",
        json={"version": seen.json()["version"], **body},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def api_report(stack: Any, number: str) -> str:
    registry = requests.get(f"{stack.url}/api/registry", timeout=30).json()
    compound = registry["communities"][0]["compounds"][0]["id"]
    answer = requests.post(
        f"{stack.url}/api/cases",
        json={
            "category": "street_light",
            "compound": compound,
            "address": "5栋北侧",
            "description": f"北门路灯不亮 {uuid.uuid4().hex[:6]}",
            "phone": number,
            "consent": True,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


def sms_to(desk: Any, stack: Any, code: str, template: str, masked: str) -> str:
    page = desk.new_page()
    page.goto(f"{stack.url}/dev/outbox")
    row = page.locator(f"tr[data-case='{code}']", has_text=template).filter(has_text=masked)
    text = row.first.locator("pre").inner_text()
    page.close()
    return text


def test_a_resident_withdraws_a_report_before_the_community_acts(stack, small_phone):
    page = small_phone.new_page()
    code = report_on(
        page, stack, f"1360000{uuid.uuid4().int % 10000:04d}", "楼道灯不亮，已经两天了"
    )
    page.goto(f"{stack.url}/#/case/{code}")
    expect(page.get_by_test_id("case-status")).to_have_text("待社区处理")
    screenshot(page, "resident-case-actions-360")
    page.get_by_test_id("withdraw").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("不能恢复")
    confirm.get_by_role("textbox").fill("物业已经修好了")
    screenshot(page, "resident-case-withdraw-confirm-360")
    page.get_by_test_id("withdraw-confirm").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已撤回")
    expect(page.get_by_test_id("withdraw")).to_have_count(0)
    steps = page.get_by_test_id("timeline-event").all_inner_texts()
    assert steps[0].startswith("居民撤回")
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "resident-case-withdrawn-360")
    english(page)
    expect(page.get_by_test_id("case-status")).to_have_text("Withdrawn")
    screenshot(page, "resident-case-withdrawn-360-en")


def test_a_merged_reports_resident_follows_the_case_it_joined_and_rates_it(
    stack, small_phone, desk
):
    survivor = api_report(stack, f"1350000{uuid.uuid4().int % 10000:04d}")
    number = f"1340000{uuid.uuid4().int % 10000:04d}"
    masked = f"134****{number[-4:]}"
    page = small_phone.new_page()
    merged = report_on(page, stack, number, "北门那盏路灯晚上不亮")

    staff_act(stack, "community.c01", merged, "merge", into=survivor)
    page.goto(f"{stack.url}/#/case/{merged}")
    expect(page.get_by_test_id("case-status")).to_have_text("已合并")
    expect(page.get_by_test_id("merged-into")).to_contain_text(survivor)
    screenshot(page, "resident-case-merged-360")
    english(page)
    expect(page.get_by_test_id("merged-into")).to_contain_text("merged into")
    screenshot(page, "resident-case-merged-360-en")
    page.get_by_role("button", name=re.compile("中文")).click()  # back to Chinese
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # The link opens the case it joined, which the resident now follows.
    page.get_by_test_id("merged-link").click()
    page.wait_for_url(re.compile(rf".*/#/case/{survivor}$"))
    expect(page.get_by_test_id("following")).to_be_visible()
    expect(page.get_by_test_id("residents-waiting")).to_contain_text("2")
    screenshot(page, "resident-case-following-360")
    told = sms_to(desk, stack, merged, "resident_merged", masked)
    assert survivor in told

    # The survivor is resolved; its "resolved" SMS reaches the merged case's resident too.
    staff_act(stack, "community.c01", survivor, "whistle")
    dispatch(stack)
    staff_act(stack, "department.ludeng", survivor, "claim")
    staff_act(stack, "department.ludeng", survivor, "resolve", note="已更换灯泡，恢复照明")
    dispatch(stack)
    resolved = sms_to(desk, stack, survivor, "resident_resolved", masked)
    link = re.search(r"https?://\S+/#/c/\S+", resolved).group(0)
    assert survivor in link

    fresh = small_phone.new_page()
    fresh.goto(link)
    expect(fresh.get_by_test_id("resolution")).to_contain_text("已更换灯泡")
    fresh.get_by_text("已解决", exact=True).click()
    fresh.get_by_text("满意", exact=True).click()
    fresh.get_by_test_id("send-rating").click()
    expect(fresh.get_by_test_id("rating-given")).to_contain_text("已解决 · 满意")
    # A follower's rating does not close the reporter's case.
    expect(fresh.get_by_test_id("case-status")).to_have_text("已办结待评价")
    screenshot(fresh, "resident-case-follower-rated-360")
    english(fresh)
    screenshot(fresh, "resident-case-follower-rated-360-en")
