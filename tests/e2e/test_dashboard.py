"""The district dashboard after `whistle demo`: its KPI cards say what the metrics API says,
and the public results board shows the same month without personal data. The resident's page
never loads dashboard code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, screenshot
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(stack):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WHISTLE_", "MOTO_"))}
    env["WHISTLE_DATA_DIR"] = str(stack.data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "functions.cli", "demo", "--days", "20", "--per-day", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["reported"] > 0 and summary["sample"] is True
    return summary


def test_the_kpi_cards_show_what_the_metrics_api_says(stack, demo, browser):
    launched, _ = browser
    desk = launched.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = desk.new_page()
    try:
        sign_in(page, stack, "district.admin", "/district/dashboard")
        page.get_by_test_id("dashboard").wait_for()
        period = page.locator("select[name=period]").input_value()
        received = page.locator("[data-kpi=received] [data-testid=kpi-value]")
        expect(received).not_to_have_text("—")
        api = page.evaluate(
            """async (period) => {
                const token = JSON.parse(localStorage.getItem('whistle.staff')).access
                const r = await fetch(`/api/metrics?scope=district&period=${period}`,
                                      {headers: {Authorization: `Bearer ${token}`}})
                return r.json()
            }""",
            period,
        )
        assert received.inner_text() == str(api["counts"]["received"])

        def pct(value):
            return "—" if value is None else f"{value * 100:.1f}%"

        for key, name in [
            ("response", "response_rate"),
            ("onTime", "on_time_rate"),
            ("resolution", "resolution_rate"),
            ("satisfaction", "satisfaction_rate"),
        ]:
            shown = page.locator(f"[data-kpi={key}] [data-testid=kpi-value]").inner_text()
            assert shown == pct(api[name]), key
        assert page.locator("[data-kpi=open] [data-testid=kpi-value]").inner_text() == str(
            api["backlog"]["open"]
        )
        claim = api["durations"].get("claim", {}).get("p50_hours")
        shown = page.locator("[data-kpi=claimTime] [data-testid=kpi-value]").inner_text()
        assert shown == ("—" if claim is None else f"≤{claim:g} 小时"), shown
        departments = page.get_by_test_id("department-ranking")
        expect(departments.locator("thead")).to_contain_text("交办量")
        expect(page.get_by_test_id("coverage")).to_contain_text("96.8%")
        page.locator("canvas").first.wait_for()
        screenshot(page, "district-dashboard")
    finally:
        desk.close()


def test_the_public_board_shows_the_month_without_personal_data(stack, demo, phone):
    page = phone.new_page()
    page.goto(f"{stack.url}/#/board")
    table = page.get_by_test_id("board-table")
    table.wait_for()
    expect(page.locator(".totals")).to_be_visible()
    content = page.content()
    assert "（示例数据）" not in content  # residents' descriptions never appear
    assert not re.search(r"1[3-9]\d{9}", content) and "****" not in content
    screenshot(page, "public-board")


def test_the_public_board_fits_a_360_px_phone_with_every_figure_named(stack, demo, browser):
    """A card per community: every column visible and named, nothing wider than the screen,
    kinds' names whole, the sample-data badge above the content rather than over it."""
    from tests.e2e.test_resident_account import SMALL_PHONE

    launched, _ = browser
    context = launched.new_context(**SMALL_PHONE)
    page = context.new_page()
    page.goto(f"{stack.url}/#/board")
    page.get_by_test_id("board-table").wait_for()
    for language in ("zh-CN", "en"):
        if language == "en":
            page.get_by_role("button", name=re.compile("English")).click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        first_row = page.get_by_test_id("board-table").locator("tbody tr").first
        cells = first_row.locator("td")
        assert cells.count() == 6
        for index in range(6):
            box = cells.nth(index).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, index
        labels = first_row.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert len(labels) == 5 and all(label not in ("none", "") for label in labels)
        banner = page.locator(".sample-banner")
        if banner.count():
            below = page.locator(".intro").first.bounding_box()
            above = banner.bounding_box()
            assert above and below and above["y"] + above["height"] <= below["y"]
        # A kind's name is never broken inside a word: each one is a single line (under two
        # font sizes tall).
        heights = page.locator(".fixed .what").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(e).fontSize))"
        )
        assert heights and all(h < 2 for h in heights), heights
        screenshot(page, f"public-board-360{'-en' if language == 'en' else ''}")
    context.close()


def test_the_resident_page_loads_no_dashboard_code(stack, phone):
    page = phone.new_page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(stack.url)
    page.wait_for_selector("[data-category]")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3500)  # past the idle prefetch of the other resident pages
    assert scripts
    for url in scripts:
        name = url.rsplit("/", 1)[-1]
        assert not re.match(r"(Dashboard|Board|charts|echarts|district)", name, re.IGNORECASE), name


def laptop(browser, height: int = 768):  # type: ignore[no-untyped-def]
    """A staff browser of a 1366-wide laptop, China time."""
    launched, _ = browser
    return launched.new_context(
        viewport={"width": 1366, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )


def test_scorecards_ranked_for_the_district_own_card_for_a_company_public_when_chosen(
    stack, demo, browser, phone
):
    desk = laptop(browser, 768)
    page = desk.new_page()
    try:
        sign_in(page, stack, "district.admin", "/scorecards")
        table = page.get_by_test_id("scorecards")
        table.wait_for()
        period = page.locator("select[name=period]").input_value()
        api = page.evaluate(
            """async (period) => {
                const token = JSON.parse(localStorage.getItem('whistle.staff')).access
                const r = await fetch(`/api/metrics/scorecards?period=${period}`,
                                      {headers: {Authorization: `Bearer ${token}`}})
                return r.json()
            }""",
            period,
        )
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(len(api["cards"]))
        first = api["cards"][0]
        expect(rows.first).to_contain_text(first["name"])
        assert rows.first.locator("td").first.inner_text() == "1"
        screenshot(page, "scorecards-district")
        rows.first.get_by_role("link").click()
        expect(page.get_by_test_id("scorecard")).to_be_visible()
        expect(page.locator("h1")).to_have_text(first["name"])
        screenshot(page, "scorecard-company")

        board = phone.new_page()
        board.goto(f"{stack.url}/#/board")
        board.get_by_test_id("board-table").wait_for()
        expect(board.get_by_test_id("scorecard-ranking")).to_have_count(0)  # not public yet
        page.go_back()
        page.get_by_test_id("scorecards-public").check()
        expect(page.get_by_text("排名已在晾晒成果页公开")).to_be_visible()
        board.reload()
        ranking = board.get_by_test_id("scorecard-ranking")
        expect(ranking).to_contain_text("红榜")
        rated = [c for c in api["cards"] if c["satisfaction_rate"] is not None]
        expect(ranking).to_contain_text(rated[0]["name"])
        screenshot(board, "board-scorecards")
    finally:
        desk.close()

    company = laptop(browser, 768)
    own = company.new_page()
    try:
        sign_in(own, stack, "property.pc01", "/scorecards")
        table = own.get_by_test_id("scorecards")
        table.wait_for()
        expect(table.locator("tbody tr")).to_have_count(1)  # their own company only
        expect(own.get_by_test_id("scorecards-public")).to_have_count(0)
        own.goto(f"{stack.url}/#/scorecards/pc02")
        expect(own.get_by_role("alert")).to_be_visible()
    finally:
        company.close()


def test_the_dashboard_lists_the_demos_hotspot_and_draws_it_on_the_map(stack, demo, browser):
    desk = laptop(browser, 900)
    page = desk.new_page()
    try:
        sign_in(page, stack, "district.admin", "/district/dashboard")
        panel = page.get_by_test_id("hotspots")
        panel.scroll_into_view_if_needed()
        expect(panel.get_by_test_id("hotspot").first).to_contain_text("件")
        panel.locator("canvas").wait_for()
        panel.screenshot(path=str(screenshot(page, "dashboard-full")).replace("full", "hotspots"))
    finally:
        desk.close()


def test_a_hotspot_becomes_a_public_project_with_a_progress_note(stack, demo, browser, phone):
    desk = laptop(browser, 768)
    page = desk.new_page()
    try:
        sign_in(page, stack, "district.admin", "/district/dashboard")
        # The hotspots are asked for once their panel nears the screen.
        page.get_by_test_id("hotspots").scroll_into_view_if_needed()
        spot = page.get_by_test_id("hotspot").first
        spot.scroll_into_view_if_needed()
        spot.get_by_role("link", name="立为攻坚项目").click()
        form = page.get_by_test_id("new-project")
        title = form.locator("input[name=title]")
        expect(title).not_to_have_value("")  # named after the hotspot
        named = title.input_value()
        form.locator("select[name=owner]").select_option("ludeng")
        form.get_by_role("checkbox", name="区住房和城乡建设局").check()
        form.locator("input[name=due]").fill("2027-03-31")
        form.locator("textarea[name=summary]").fill("更换该小区主干道路灯线路")
        screenshot(page, "project-new")
        form.get_by_role("button", name="创建项目").click()
        card = page.get_by_test_id("project")
        expect(card).to_contain_text("攻坚中")
        page.locator("textarea[name=note]").fill("已完成现场勘察")
        page.get_by_role("button", name="记录进展").click()
        expect(page.locator(".notes")).to_contain_text("已完成现场勘察")
        page.get_by_test_id("project-public").check()
        expect(page.get_by_text("已保存")).to_be_visible()
        screenshot(page, "project-page")

        board = phone.new_page()
        board.goto(f"{stack.url}/#/board")
        public = board.get_by_test_id("public-projects")
        expect(public).to_contain_text(named)
        expect(public).to_contain_text("更换该小区主干道路灯线路")
        assert "已完成现场勘察" not in public.inner_text()  # staff notes stay inside
        public.scroll_into_view_if_needed()
        screenshot(board, "board-projects")
    finally:
        desk.close()
