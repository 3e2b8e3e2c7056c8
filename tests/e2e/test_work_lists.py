"""Work lists in real Chromium on a laptop (1366×768): a clerk finds a case by words from its
address, opens it and comes back to the same filtered list; an empty search says what to
change; the inbox's duplicate hints are links; a merge is chosen from candidate cases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, staff_tokens
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("WHISTLE_SHOTS", "test-artifacts/lists"))


def report(stack: Any, address: str, category: str = "street_light", compound: str = "x001") -> str:
    response = requests.post(
        f"{stack.url}/api/cases",
        json={
            "category": category,
            "compound": compound,
            "address": address,
            "description": "楼道里的灯不亮了，晚上看不见台阶",
            "phone": f"1390000{uuid.uuid4().int % 10000:04d}",
            "consent": True,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


@pytest.fixture
def laptop(browser: Any) -> Iterator[Any]:
    launched, _ = browser
    context = launched.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    screenshot(page, f"lists-{name}")


def test_a_clerk_finds_a_case_by_words_from_its_address_and_comes_back_to_it(stack, laptop):
    wanted = report(stack, "幸福路18号3栋东侧")
    duplicate = report(stack, "幸福路18号3栋西侧")
    report(stack, "和平街2号", category="tree_shading")

    page = laptop.new_page()
    sign_in(page, stack, "community.c01", "/community")
    page.get_by_test_id("staff-case-row").first.wait_for()
    expect(page.get_by_test_id("duplicate-link").first).to_be_visible()
    shot(page, "community-inbox")

    page.get_by_role("tab", name="社区工单").click()
    page.get_by_test_id("list-search").fill("幸福路18号 东侧")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_test_id("staff-case-row")).to_have_count(1)
    expect(page.get_by_test_id("staff-case-row")).to_contain_text(wanted)
    expect(page.get_by_test_id("list-count")).to_contain_text("共 1 件")
    shot(page, "community-search")

    page.get_by_test_id("staff-case-row").click()
    expect(page.get_by_test_id("staff-case-code")).to_have_text(wanted)
    page.go_back()
    expect(page.get_by_test_id("list-search")).to_have_value("幸福路18号 东侧")
    expect(page.get_by_test_id("staff-case-row")).to_have_count(1)

    page.get_by_test_id("list-search").fill("没有这个地方")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_test_id("list-empty")).to_contain_text("去掉一些筛选条件")
    shot(page, "community-empty")
    page.get_by_role("button", name="清除搜索和筛选").click()
    expect(page.get_by_test_id("staff-case-row").first).to_be_visible()

    # The inbox's hint is a link to the other case; a merge offers it to choose.
    page.get_by_role("tab", name="待分拨").click()
    page.get_by_test_id("duplicate-link").filter(has_text=wanted).first.click()
    expect(page.get_by_test_id("staff-case-code")).to_have_text(wanted)
    page.goto(f"{stack.url}/#/staff/case/{duplicate}")
    page.locator("[data-action=merge]").click()
    candidates = page.get_by_test_id("merge-candidates")
    expect(candidates).to_contain_text(wanted)
    expect(page.get_by_test_id("confirm-action")).to_be_disabled()
    candidates.get_by_role("radio").first.check()
    expect(page.get_by_test_id("confirm-action")).to_be_enabled()
    shot(page, "merge-candidates")

    # One click from the inbox: the hint's "merge into" opens the case with that merge ready,
    # the other case shown beside it; confirming merges.
    page.goto(f"{stack.url}/#/community")
    # (the hint naming `wanted` sits on the other case's row: the duplicate's)
    page.get_by_test_id("duplicate-merge").filter(has_text=wanted).first.click()
    expect(page.get_by_test_id("staff-case-code")).to_have_text(duplicate)
    ready = page.get_by_test_id("merge-candidates")
    expect(ready.locator(f"input[value='{wanted}']")).to_be_checked()
    expect(ready).to_contain_text("幸福路18号3栋东侧")  # the other case, previewed
    shot(page, "merge-one-click")
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("staff-case-status")).to_contain_text("已合并")


def whistled(stack: Any, address: str) -> str:
    """A case the community whistled to 市路灯管理所 and the dispatch job handed over."""
    code = report(stack, address)
    headers = {
        "Authorization": f"Bearer {staff_tokens(stack.url, 'community.c01')['access_token']}"
    }
    case = requests.get(f"{stack.url}/api/staff/cases/{code}", headers=headers, timeout=30).json()
    answer = requests.post(
        f"{stack.url}/api/staff/cases/{code}/actions/whistle",
        json={"version": case["version"], "department": "ludeng"},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return code


def test_department_and_district_lists_filter_and_sort(stack, laptop):
    held = [whistled(stack, f"幸福路{n}号路口") for n in (20, 22)]
    assert requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=60).status_code == 200
    page = laptop.new_page()
    sign_in(page, stack, "department.ludeng", "/department")
    expect(page.get_by_test_id("staff-case-row")).to_have_count(2)
    page.get_by_test_id("list-search").fill("幸福路22号")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_test_id("staff-case-row")).to_have_count(1)
    expect(page.get_by_test_id("staff-case-row")).to_contain_text(held[1])
    page.get_by_test_id("list-search").fill("")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_test_id("staff-case-row")).to_have_count(2)
    shot(page, "department-work")
    page.get_by_role("tab", name="本部门工单").click()
    expect(page.get_by_test_id("staff-case-row")).to_have_count(2)
    shot(page, "department-history")

    district = laptop.new_page()
    sign_in(district, stack, "district.admin", "/district")
    district.get_by_test_id("staff-case-row").first.wait_for()
    district.get_by_test_id("filter-community").select_option("c01")
    expect(district.get_by_test_id("list-count")).to_contain_text("共")
    assert "community=c01" in district.url
    district.get_by_test_id("list-sort").select_option("due")
    expect(district.get_by_test_id("list-count")).to_contain_text("只含未办结的工单")
    shot(district, "district")
