"""The wall screen (大屏) on a 1920×1080 display after `whistle demo`: every panel within the
screen and nothing scrolled or cut inside a panel, no navigation or filters, the time of the
data in China time, figures fetched again on its interval without blanking the charts, a
failed refresh said and survived, and a renewed staff token used without leaving the screen.
In Chinese and in English. The normal dashboard at laptop and phone size, for looking at."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_dashboard import demo  # noqa: F401  (the module's sample figures)
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e

WALL = {"width": 1920, "height": 1080}
PANELS = (
    "trend",
    "communities",
    "departments",
    "categories",
    "overdue",
    "two-up-one-down",
    "coverage",
)
CHARTS = 4  # the trend, the two rankings and the kinds of problem

# Every element of the wall that lies (partly) outside the viewport, every panel or card whose
# content is taller or wider than its box (cut off by its overflow), and the document's size.
LAYOUT = """() => {
  const outside = []
  for (const el of document.querySelectorAll('[data-testid=wall] *')) {
    const r = el.getBoundingClientRect()
    if (!r.width && !r.height) continue
    if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
      outside.push(`${el.tagName}.${el.className} ${Math.round(r.right)},${Math.round(r.bottom)}`)
  }
  const cut = [...document.querySelectorAll('[data-testid=wall] .panel, [data-testid=wall] .card')]
    .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.dataset.panel || el.dataset.kpi)
  const doc = document.scrollingElement
  return {outside, cut, scrolls: doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth}
}"""


def wall_context(browser: Any) -> Any:
    launched, _ = browser
    context = launched.new_context(viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    return context


def open_wall(page: Any, stack: Any, locale: str = "zh-CN", refresh: int | None = None) -> None:
    """Signed in as district staff on the dashboard, then the wall screen in `locale`."""
    sign_in(page, stack, "district.admin", "/district/dashboard")
    page.evaluate(f"localStorage.setItem('whistle.locale', {json.dumps(locale)})")
    page.goto(f"{stack.url}/#/wall" + (f"?refresh={refresh}" if refresh else ""))
    page.reload()


def shows_everything_on_one_screen(page: Any) -> None:
    wall = page.get_by_test_id("wall")
    for panel in PANELS:
        expect(wall.locator(f"[data-panel='{panel}']")).to_be_visible()
    expect(wall.locator("[data-kpi=received] [data-testid=kpi-value]")).not_to_have_text("—")
    # ECharts loads in steps after the figures: slow on a busy machine.
    expect(wall.locator("canvas")).to_have_count(CHARTS, timeout=40_000)
    page.wait_for_timeout(500)  # charts and the overdue list settle to their boxes
    layout = page.evaluate(LAYOUT)
    assert layout == {"outside": [], "cut": [], "scrolls": False}, layout
    # No navigation, no filters, nothing to press: a wall is looked at.
    for control in ("nav", "a", "button", "select", "input", "form"):
        assert page.locator(control).count() == 0, control


@pytest.mark.usefixtures("demo")
def test_the_wall_screen_shows_every_panel_on_one_screen_and_keeps_itself_current(stack, browser):
    context = wall_context(browser)
    page = context.new_page()
    fetched: list[str] = []
    page.on(
        "request",
        lambda r: fetched.append(r.url) if "/api/metrics/dashboard" in r.url else None,
    )
    try:
        sign_in(page, stack, "district.admin", "/district/dashboard")
        page.get_by_test_id("open-wall").click()  # reachable from the dashboard
        expect(page).to_have_url(re.compile(r"#/wall$"))
        open_wall(page, stack, refresh=3)  # a short interval for the test
        shows_everything_on_one_screen(page)

        # The time of the data, in China time: the last day counted and when it was fetched.
        data_time = page.get_by_test_id("data-time")
        expect(data_time).to_contain_text(re.compile(r"数据截至 \d{4}-\d{2}-\d{2} 24:00"))
        expect(data_time).to_contain_text("北京时间")
        # The demo left no figures for last year: no arrow up from nothing.
        expect(page.get_by_test_id("no-baseline").first).to_have_text("无同期数据")
        screenshot(page, "wall-zh-CN")

        # Refreshed on its interval, in place: the charts' canvases stay (no blank frame).
        page.evaluate("document.querySelectorAll('canvas').forEach((c) => (c.dataset.kept = 1))")
        first = data_time.get_attribute("data-fetched")
        expect(data_time).not_to_have_attribute("data-fetched", first or "", timeout=15_000)
        assert len(fetched) >= 2
        assert page.locator("canvas[data-kept]").count() == CHARTS

        # A failed refresh keeps the figures and says so; the next good one clears it.
        received = page.locator("[data-kpi=received] [data-testid=kpi-value]").inner_text()
        page.route("**/api/metrics/dashboard*", lambda route: route.abort())
        expect(page.get_by_test_id("refresh-failed")).to_contain_text("刷新失败")
        expect(page.locator("[data-kpi=received] [data-testid=kpi-value]")).to_have_text(received)
        assert page.evaluate(LAYOUT)["outside"] == []
        screenshot(page, "wall-refresh-failed")
        page.unroute("**/api/metrics/dashboard*")
        expect(page.get_by_test_id("refresh-failed")).to_have_count(0, timeout=15_000)

        # The access token runs out (another tab says so, as a renewal there would): the wall
        # renews it with the refresh token and goes on showing figures, still on the wall.
        stale = page.evaluate(
            """() => {
                const tokens = JSON.parse(localStorage.getItem('whistle.staff'))
                return {...tokens, expiresAt: Date.now() - 1000}
            }"""
        )
        other = context.new_page()
        other.goto(f"{stack.url}/#/board")
        with page.expect_response("**/api/auth/refresh", timeout=20_000) as renewal:
            other.evaluate(
                "(tokens) => localStorage.setItem('whistle.staff', JSON.stringify(tokens))", stale
            )
        assert renewal.value.ok
        other.close()
        before = data_time.get_attribute("data-fetched")
        expect(data_time).not_to_have_attribute("data-fetched", before or "", timeout=20_000)
        renewed = page.evaluate("JSON.parse(localStorage.getItem('whistle.staff'))")
        assert renewed["access"] != stale["access"] and renewed["expiresAt"] > stale["expiresAt"]
        expect(page).to_have_url(re.compile(r"#/wall"))
        expect(page.get_by_test_id("refresh-failed")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.usefixtures("demo")
def test_the_wall_screen_in_english_cuts_no_name_short(stack, browser):
    context = wall_context(browser)
    page = context.new_page()
    try:
        open_wall(page, stack, "en")
        shows_everything_on_one_screen(page)
        data_time = page.get_by_test_id("data-time")
        expect(data_time).to_contain_text(re.compile(r"Figures through \d{4}-\d{2}-\d{2} 24:00"))
        expect(data_time).to_contain_text("China time")
        expect(page.get_by_test_id("no-baseline").first).to_have_text("no baseline")
        # English names whole, however long (the overdue list is text; charts wrap, see
        # frontend/tests/dashboard.test.js).
        overdue = page.get_by_test_id("overdue").inner_text()
        assert "District" in overdue and "…" not in overdue
        screenshot(page, "wall-en")
    finally:
        context.close()


@pytest.mark.usefixtures("demo")
def test_the_dashboard_at_laptop_and_phone_size(stack, browser, phone):
    launched, _ = browser
    laptop = launched.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    try:
        for name, context in (("dashboard-1366", laptop), ("dashboard-phone", phone)):
            page = context.new_page()
            sign_in(page, stack, "district.admin", "/district/dashboard")
            expect(page.get_by_test_id("no-baseline").first).to_have_text("无同期数据")
            page.get_by_test_id("coverage").scroll_into_view_if_needed()  # charts load near view
            page.get_by_test_id("hotspots").scroll_into_view_if_needed()  # and so does the map
            # The dashboard's charts and the hotspots' map of the compounds.
            expect(page.locator("canvas")).to_have_count(CHARTS + 1, timeout=40_000)
            page.evaluate("window.scrollTo(0, 0)")
            # Nothing wider than the screen: the page never scrolls sideways.
            assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), name
            screenshot(page, name)
    finally:
        laptop.close()
