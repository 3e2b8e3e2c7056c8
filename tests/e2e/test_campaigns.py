"""专项行动 (seasonal campaigns) in real Chromium: the district creates one; a community clerk
batch-enters what a residents' meeting raised — a bad row is named by its line and nothing is
stored until it is fixed — and the cases made are in the campaign; the public campaign page
and the board's campaigns fit a phone."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, screenshot, staff_tokens
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("WHISTLE_SHOTS", "test-artifacts/campaigns"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def laptop(browser: Any) -> Iterator[Any]:
    launched, _ = browser
    context = launched.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def small(browser: Any) -> Iterator[Any]:
    """A 390×844 phone (the brief's phone size) in China's time zone and language."""
    launched, _ = browser
    context = launched.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    screenshot(page, f"campaigns-{name}")


def district(stack: Any) -> dict[str, str]:
    token = staff_tokens(stack.url, "district.admin")["access_token"]
    return {"Authorization": f"Bearer {token}"}


def new_campaign(stack: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"路灯专项行动 {uuid.uuid4().hex[:6]}",
        "starts": "2026-10-01",
        "ends": "2026-12-31",
        "communities": ["c01", "c02"],
        "kinds": [],
        "target": 50,
        "public": True,
        "summary": "集中解决小区路灯不亮的问题。",
        **fields,
    }
    answer = requests.post(
        f"{stack.url}/api/staff/campaigns", json=body, headers=district(stack), timeout=30
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def progress(stack: Any, campaign: str) -> dict[str, Any]:
    answer = requests.get(
        f"{stack.url}/api/staff/campaigns/{campaign}", headers=district(stack), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["progress"])


def case_campaign(stack: Any, code: str) -> Any:
    answer = requests.get(
        f"{stack.url}/api/staff/cases/{code}", headers=district(stack), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["campaign"]


def test_the_district_creates_a_campaign_from_the_empty_list(stack, laptop, small):
    page = laptop.new_page()
    sign_in(page, stack, "district.admin", "/campaigns")
    page.get_by_role("link", name="专项行动", exact=True).click()
    expect(page.get_by_test_id("no-campaigns")).to_be_visible()

    form = page.get_by_test_id("new-campaign")
    form.locator("input[name=name]").fill("2026年第四季度红色物业季专项行动")
    form.locator("input[name=starts]").fill("2026-10-01")
    form.locator("input[name=ends]").fill("2026-12-31")
    form.locator("input[name=target]").fill("120")
    form.get_by_placeholder("按名称或编号查找社区").fill("c01")
    form.get_by_label("桃园社区").check()
    form.get_by_placeholder("按名称或编号查找社区").fill("湖滨")
    form.get_by_test_id("campaign-communities").get_by_role("button", name="全选所列").click()
    expect(form.get_by_test_id("campaign-communities")).to_contain_text("已选 2 个社区")
    form.get_by_label("路灯照明").check()
    form.locator("textarea[name=summary]").fill("集中解决小区路灯不亮的问题。")
    form.get_by_label("在晾晒成果页公开").check()
    shot(page, "list-laptop")
    form.get_by_role("button", name="创建").click()

    expect(page.get_by_role("heading", name="2026年第四季度红色物业季专项行动")).to_be_visible()
    head = page.get_by_test_id("campaign")
    expect(head).to_contain_text("进行中")
    expect(head).to_contain_text("桃园社区、湖滨社区")
    expect(head).to_contain_text("路灯照明")
    expect(page.get_by_test_id("campaign-target")).to_contain_text("已解决 0 / 目标 120")
    expect(page.get_by_test_id("campaign-edit")).to_be_visible()
    shot(page, "detail-district-laptop")

    page.get_by_test_id("campaign-report-link").click()
    expect(page.get_by_test_id("campaign-report")).to_contain_text("总结报告")
    shot(page, "report-laptop")

    page.goto(f"{stack.url}/#/campaigns")
    expect(page.get_by_test_id("campaigns")).to_contain_text("2026年第四季度红色物业季专项行动")
    shot(page, "list-with-one-laptop")

    phone_page = small.new_page()
    sign_in(phone_page, stack, "district.admin", "/campaigns")
    phone_page.goto(f"{stack.url}/#/campaigns")
    expect(phone_page.get_by_test_id("campaigns")).to_be_visible()
    shot(phone_page, "list-phone")


def test_a_clerk_batch_enters_a_meeting_fixes_the_bad_line_and_gets_the_cases(stack, laptop, small):
    campaign = new_campaign(stack)
    before = progress(stack, campaign["id"])["totals"]["open"]

    page = laptop.new_page()
    sign_in(page, stack, "community.c01", "/campaigns")
    page.goto(f"{stack.url}/#/campaigns/{campaign['id']}")
    batch = page.get_by_test_id("batch-entry")
    rows = batch.get_by_test_id("batch-row")
    for index, (compound, address, phone) in enumerate(
        [("锦兴雅居（桃园社区）", "3栋东侧", ""), ("锦兴雅居（桃园社区）", "5栋北侧", "12345")]
    ):
        row = rows.nth(index)
        row.locator("select[name=category]").select_option(label="路灯照明")
        row.locator("select[name=compound]").select_option(label=compound)
        row.locator("input[name=address]").fill(address)
        row.locator("textarea[name=description]").fill("居民议事会反映：楼下路灯晚上不亮")
        row.locator("input[name=phone]").fill(phone)
    batch.get_by_test_id("batch-submit").click()

    expect(batch.get_by_test_id("batch-invalid")).to_be_visible()
    expect(rows).to_have_count(2)  # the blank third row is dropped, the two kept as entered
    expect(rows.nth(1).get_by_test_id("row-errors")).to_have_text(
        "第 2 行 · 电话：请填写11位手机号"
    )
    expect(rows.nth(0).get_by_test_id("row-errors")).to_have_count(0)
    expect(rows.nth(1).locator("input[name=phone]")).to_have_value("12345")
    expect(batch.get_by_test_id("batch-created")).to_have_count(0)
    shot(page, "batch-invalid-laptop")
    assert progress(stack, campaign["id"])["totals"]["open"] == before  # nothing was stored

    rows.nth(1).locator("input[name=phone]").fill("13900001234")
    batch.get_by_test_id("batch-submit").click()
    created = batch.get_by_test_id("batch-created")
    expect(created).to_contain_text("已生成 2 张工单")
    expect(batch.get_by_test_id("batch-invalid")).to_have_count(0)
    shot(page, "batch-created-laptop")
    assert progress(stack, campaign["id"])["totals"]["open"] == before + 2

    codes = created.get_by_role("link").all_inner_texts()
    assert len(codes) == 2
    created.get_by_role("link").first.click()
    expect(page.get_by_test_id("case-campaign")).to_contain_text(campaign["name"])
    shot(page, "case-with-campaign-laptop")

    # The district takes a case out with a reason, and puts it back.
    desk_page = laptop.new_page()
    sign_in(desk_page, stack, "district.admin", "/campaigns")
    desk_page.goto(f"{stack.url}/#/campaigns/{campaign['id']}")
    out = desk_page.get_by_test_id("campaign-remove-case")
    out.locator("input[name=code]").fill(codes[1])
    out.locator("input[name=reason]").fill("与议事会另一条重复")
    out.get_by_role("button", name="移出工单").click()
    expect(desk_page.get_by_text(f"工单 {codes[1]} 已移出本行动")).to_be_visible()
    assert case_campaign(stack, codes[1]) is None
    back = desk_page.get_by_test_id("campaign-add-case")
    back.locator("input[name=code]").fill(codes[1])
    back.locator("input[name=reason]").fill("核实后不重复，重新纳入")
    back.get_by_role("button", name="加入工单").click()
    expect(desk_page.get_by_text(f"工单 {codes[1]} 已加入本行动")).to_be_visible()
    assert case_campaign(stack, codes[1]) == {"id": campaign["id"], "name": campaign["name"]}
    desk_page.goto(f"{stack.url}/#/staff/case/{codes[1]}")
    expect(desk_page.locator("[data-kind=campaign_left]")).to_contain_text("移出专项行动")
    expect(desk_page.locator("[data-kind=campaign_left]")).to_contain_text("与议事会另一条重复")
    expect(desk_page.locator("[data-kind=campaign_joined]")).to_contain_text("纳入专项行动")
    expect(desk_page.get_by_text("channel.campaign")).to_have_count(0)
    shot(desk_page, "case-left-and-rejoined-laptop")

    phone_page = small.new_page()
    sign_in(phone_page, stack, "community.c01", "/campaigns")
    phone_page.goto(f"{stack.url}/#/campaigns/{campaign['id']}")
    expect(phone_page.get_by_test_id("batch-entry")).to_be_visible()
    expect(phone_page.get_by_test_id("campaign-kpis")).to_be_visible()
    shot(phone_page, "detail-community-phone")
    phone_page.goto(f"{stack.url}/#/campaigns/{campaign['id']}/report")
    expect(phone_page.get_by_test_id("campaign-report")).to_be_visible()
    shot(phone_page, "report-phone")


def test_the_public_campaign_page_and_the_board_fit_a_phone(stack, small, laptop):
    campaign = new_campaign(stack, name="下水道专项行动（公开）", public=True)
    hidden = new_campaign(stack, name="内部专项行动", public=False)

    page = small.new_page()
    page.goto(f"{stack.url}/#/campaign/{campaign['id']}")
    public = page.get_by_test_id("public-campaign")
    expect(public).to_contain_text("下水道专项行动（公开）")
    expect(public).to_contain_text("目标 50 个")
    expect(page.get_by_test_id("campaign-solved")).to_have_text("0")
    expect(page.get_by_test_id("public-as-of")).to_be_visible()
    expect(page.get_by_test_id("sample-label")).to_be_visible()  # the local stack's registry
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "public-phone")

    page.goto(f"{stack.url}/#/board")
    section = page.get_by_test_id("public-campaigns")
    expect(section).to_contain_text("下水道专项行动（公开）")
    expect(section).not_to_contain_text("内部专项行动")
    expect(page.get_by_test_id("campaigns-headline")).to_contain_text("解决难题")
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "board-section-phone.png"))  # the board itself is long

    page.goto(f"{stack.url}/#/campaign/{hidden['id']}")
    expect(page.get_by_role("alert")).to_contain_text("没有找到")

    desk_page = laptop.new_page()
    desk_page.goto(f"{stack.url}/#/campaign/{campaign['id']}")
    expect(desk_page.get_by_test_id("public-campaign")).to_be_visible()
    shot(desk_page, "public-laptop")


def test_a_campaigns_counted_figures_reach_its_pages_and_its_report(stack, laptop, small):
    """Sample cases filed in the campaign's period and communities join it; the nightly job
    counts them: the staff page, the printable report and the public page show those counts."""
    registry = requests.get(f"{stack.url}/api/registry", timeout=30).json()
    everywhere = [c["id"] for c in registry["communities"]]
    campaign = new_campaign(stack, name="全域专项行动", communities=everywhere, target=10)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WHISTLE_", "MOTO_"))}
    env["WHISTLE_DATA_DIR"] = str(stack.data_dir)
    played = subprocess.run(
        [sys.executable, "-m", "functions.cli", "demo", "--days", "3", "--per-day", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert played.returncode == 0, played.stderr[-2000:]
    counted = progress(stack, campaign["id"])
    assert counted["as_of"] and counted["totals"]["collected"] > 0, counted

    page = laptop.new_page()
    sign_in(page, stack, "district.admin", "/campaigns")
    page.goto(f"{stack.url}/#/campaigns/{campaign['id']}")
    expect(page.get_by_test_id("campaign-as-of")).to_contain_text(f"数据截至 {counted['as_of']}")
    collected = page.locator("[data-kpi=collected] strong")
    expect(collected).to_have_text(str(counted["totals"]["collected"]))
    expect(page.get_by_test_id("campaign-byCommunity").locator("tbody tr").last).to_contain_text(
        "合计"
    )
    expect(page.get_by_test_id("campaign-target")).to_contain_text(
        f"已解决 {counted['solved']} / 目标 10"
    )
    shot(page, "detail-counted-laptop")
    with page.expect_download() as download:
        page.get_by_test_id("campaign-export").click()
    assert download.value.suggested_filename == f"campaign-{campaign['id']}.xlsx"

    page.goto(f"{stack.url}/#/campaigns/{campaign['id']}/report")
    report = page.get_by_test_id("campaign-report")
    expect(report.get_by_test_id("report-as-of")).to_have_text(counted["as_of"])
    page.emulate_media(media="print")
    expect(page.get_by_test_id("signed-in-as")).to_be_hidden()  # no staff frame on paper
    expect(page.get_by_test_id("print")).to_be_hidden()
    shot(page, "report-print")
    page.emulate_media(media="screen")

    phone_page = small.new_page()
    phone_page.goto(f"{stack.url}/#/campaign/{campaign['id']}")
    expect(phone_page.get_by_test_id("campaign-solved")).to_have_text(str(counted["solved"]))
    expect(phone_page.get_by_test_id("campaignByCompound").locator("li").first).to_be_visible()
    expect(phone_page.get_by_test_id("public-as-of")).to_contain_text(counted["as_of"])
    shot(phone_page, "public-counted-phone")


def test_a_clerk_uploads_a_meetings_spreadsheet_and_sees_the_bad_line_in_its_preview(stack, laptop):
    campaign = new_campaign(stack, name="议事会表格录入")
    before = progress(stack, campaign["id"])["totals"]["open"]
    header = "类别,小区,地址,问题描述,电话\n"
    good = "路灯照明,锦兴雅居,3栋东侧,居民议事会反映：楼下路灯不亮,\n"
    bad = "路灯照明,没有这个小区,5栋北侧,居民议事会反映：路灯闪烁,\n"

    page = laptop.new_page()
    sign_in(page, stack, "community.c01", "/campaigns")
    page.goto(f"{stack.url}/#/campaigns/{campaign['id']}")
    batch = page.get_by_test_id("batch-entry")
    batch.get_by_test_id("batch-file-tab").click()
    upload = {"name": "议事会.csv", "mimeType": "text/csv"}
    batch.get_by_test_id("batch-csv").set_input_files(
        files=[{**upload, "buffer": ("\ufeff" + header + good + bad).encode()}]
    )
    lines = batch.get_by_test_id("batch-preview").locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(1)).to_contain_text("没有这个小区")
    batch.get_by_test_id("batch-submit").click()
    expect(batch.get_by_test_id("batch-invalid")).to_be_visible()
    expect(lines.nth(1)).to_have_class("bad")
    expect(lines.nth(1).locator("td").first).to_have_text("3")
    expect(lines.nth(1)).to_contain_text("小区：没有这个小区")
    expect(lines.nth(0)).not_to_have_class("bad")
    shot(page, "batch-csv-invalid-laptop")
    assert progress(stack, campaign["id"])["totals"]["open"] == before

    fixed = bad.replace("没有这个小区", "x036")  # by id this time: 西林湾, in 桃园社区
    batch.get_by_test_id("batch-csv").set_input_files(
        files=[{**upload, "buffer": (header + good + fixed).encode()}]
    )
    expect(lines.nth(1)).to_contain_text("x036")
    batch.get_by_test_id("batch-submit").click()
    expect(batch.get_by_test_id("batch-created")).to_contain_text("已生成 2 张工单")
    assert progress(stack, campaign["id"])["totals"]["open"] == before + 2
