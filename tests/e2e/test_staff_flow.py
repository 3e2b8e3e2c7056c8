"""Staff in real Chromium: community staff see only their community; resident text is text
everywhere; and the whole story — report, whistle, alert, claim, resolve, rate, closed."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, staff_tokens
from tests.e2e.test_resident_flow import fill_report, photo_with_gps

pytestmark = pytest.mark.e2e
PASSWORD = "Whistle-2026"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def api_report(stack, compound: str, description: str) -> dict:
    response = requests.post(
        f"{stack.url}/api/cases",
        json={
            "category": "street_light",
            "compound": compound,
            "address": "东门",
            "description": description,
            "phone": f"1390000{uuid.uuid4().int % 10000:04d}",
            "consent": True,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def sign_in(page, stack, username: str, next_path: str = "") -> None:
    page.goto(f"{stack.url}/#/signin" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("signed-in-as").wait_for()


def test_community_staff_see_only_their_communitys_cases_and_text_stays_text(stack, desk, phone):
    ours = api_report(stack, "x001", f"路灯坏了 {HOSTILE}")  # x001 is in community c01
    theirs = api_report(stack, "x002", "别的社区的路灯也坏了")  # x002 is in community c02

    page = desk.new_page()
    sign_in(page, stack, "community.c01", "/community")
    page.get_by_test_id("staff-case-row").first.wait_for()
    listed = page.get_by_test_id("staff-case-row").all_inner_texts()
    assert any(ours["code"] in row for row in listed)
    assert not any(theirs["code"] in row for row in listed)
    assert "桃园社区" in page.get_by_test_id("signed-in-as").inner_text()
    screenshot(page, "community-inbox")

    page.goto(f"{stack.url}/#/staff/case/{theirs['code']}")
    expect(page.get_by_role("alert")).to_contain_text("没有找到")

    page.goto(f"{stack.url}/#/staff/case/{ours['code']}")
    description = page.get_by_test_id("staff-case-description")
    expect(description).to_contain_text("<script>window.__pwned = 1</script>")
    screenshot(page, "community-case")
    assert page.evaluate("window.__pwned") is None

    resident = phone.new_page()
    resident.goto(f"{stack.url}/#/case/{ours['code']}?token={ours['token']}")
    expect(resident.locator(".description")).to_contain_text("<img src=x onerror=")
    assert resident.evaluate("window.__pwned") is None


def test_sign_in_goes_back_to_the_page_asked_for_and_sign_out_leaves(stack, desk):
    page = desk.new_page()
    page.goto(f"{stack.url}/#/department")
    page.wait_for_url(re.compile(r".*#/signin\?next="))
    page.fill("input[name=username]", "department.ludeng")
    page.fill("input[name=password]", "wrong-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*#/department$"))
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(re.compile(r".*#/signin"))
    page.goto(f"{stack.url}/#/department")
    page.wait_for_url(re.compile(r".*#/signin"))


def test_one_sign_in_serves_every_tab_and_sign_out_ends_them_all(stack, desk):
    first = desk.new_page()
    sign_in(first, stack, "community.c01", "/community")
    # A second tab of the same browser is signed in already, and stays so after a reload.
    second = desk.new_page()
    second.goto(f"{stack.url}/#/community")
    expect(second.get_by_test_id("signed-in-as")).to_contain_text("community.c01")
    second.reload()
    expect(second.get_by_test_id("signed-in-as")).to_contain_text("community.c01")
    # Strings the staff pages load later reach what was drawn before them (no "nav.inbox").
    expect(second.get_by_role("heading", level=1)).to_have_text("待分拨")
    # The sign-in ends in the last quarter hour of the day: the page says so first.
    second.evaluate(
        """() => {
            const tokens = JSON.parse(localStorage.getItem('whistle.staff'))
            tokens.sessionEndsAt = Date.now() + 10 * 60_000
            localStorage.setItem('whistle.staff', JSON.stringify(tokens))
        }"""
    )
    second.reload()
    expect(second.get_by_test_id("session-ending")).to_contain_text("分钟后到期")
    screenshot(second, "staff-session-ending")
    # Signing out in one tab signs out the other.
    first.get_by_test_id("sign-out").click()
    first.wait_for_url(re.compile(r".*#/signin"))
    second.wait_for_url(re.compile(r".*#/signin"))


def test_the_whole_story_from_a_phone_to_a_closed_case(stack, phone, desk, tmp_path: Path):
    # A resident reports a dark street light with a photo.
    resident = phone.new_page()
    resident.goto(stack.url)
    marker = uuid.uuid4().hex[:6]
    fill_report(resident, f"小区东门路灯不亮一周了 {marker}")
    resident.set_input_files("input[type=file]", str(photo_with_gps(tmp_path / "dark.jpg")))
    resident.locator(".van-uploader__mask").wait_for(state="detached")
    resident.get_by_role("button", name="提交").click()
    resident.wait_for_url(re.compile(r".*#/submitted/"))
    code = resident.get_by_test_id("case-code").inner_text()

    # Community staff whistle it to the routed department.
    staff = desk.new_page()
    sign_in(staff, stack, "community.c01", f"/staff/case/{code}")
    staff.get_by_test_id("staff-case-code").wait_for()
    staff.locator("[data-action=whistle]").click()
    screenshot(staff, "community-whistle")
    staff.get_by_test_id("confirm-action").click()
    expect(staff.get_by_test_id("staff-case-status")).to_have_text("已吹哨")

    # The dispatch job alerts the department; the clerk opens the link from the outbox.
    assert requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=30).json()["fired"] >= 1
    clerk = desk.new_page()
    clerk.goto(f"{stack.url}/dev/outbox")
    screenshot(clerk, "dev-outbox")
    clerk.locator(f"tr[data-case='{code}'] [data-testid=action-link]").first.click()
    clerk.get_by_test_id("staff-case-code").wait_for()
    assert "/#/act/" in clerk.url
    clerk.locator("[data-action=claim]").click()
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("部门办理中")
    clerk.locator("[data-action=resolve]").click()
    clerk.fill("textarea[name=note]", "已更换损坏的灯具，恢复照明")
    clerk.set_input_files("input[name=photos]", str(photo_with_gps(tmp_path / "fixed.jpg")))
    clerk.locator(".thumbs img").wait_for()
    screenshot(clerk, "department-resolve")
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("已办结待评价")

    # The resident sees the result and rates it satisfied; the case closes.
    resident.goto(f"{stack.url}/#/case/{code}")
    resident.get_by_test_id("send-rating").wait_for()
    screenshot(resident, "resident-rating")
    resident.get_by_text("已解决", exact=True).click()
    resident.get_by_text("满意", exact=True).click()
    resident.get_by_test_id("send-rating").click()
    expect(resident.get_by_test_id("case-status")).to_have_text("已完结")
    screenshot(resident, "resident-closed")
    timeline = resident.locator(".timeline").inner_text()
    for step in ["提交问题", "社区吹哨", "通知部门", "部门认领", "办结", "评价", "完结"]:
        assert step in timeline


def test_community_staff_publish_a_summary_that_open311_shows(stack, desk):
    code = api_report(stack, "x001", "我家楼下的路灯坏了，打我电话")["code"]
    page = desk.new_page()
    sign_in(page, stack, "community.c01", f"/staff/case/{code}")
    page.get_by_test_id("staff-case-code").wait_for()
    page.locator("[data-action=publish]").click()
    page.fill("textarea[name=summary]", "小区东门一盏路灯不亮")
    screenshot(page, "community-publish-summary")
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("public-summary")).to_have_text("小区东门一盏路灯不亮")
    expect(page.locator(".history")).to_contain_text("公开摘要")
    [public] = requests.get(f"{stack.url}/open311/v2/requests/{code}.json", timeout=10).json()
    assert public["description"] == "小区东门一盏路灯不亮"


def pick_scope(picker, scope: str) -> None:
    """Choose a role and scope with the accounts page's picker: the role, then a search by id."""
    role, _, ident = scope.partition(":")
    picker.get_by_test_id("scope-role").select_option(role)
    if ident:
        picker.get_by_test_id("scope-search").fill(ident)
        picker.get_by_test_id("scope-option").select_option(scope)
        picker.get_by_test_id("scope-add").click()
    else:
        picker.get_by_role("button", name="添加").click()


def invite(desk, stack, scopes: str = "community:c01") -> tuple[str, str]:
    """The district invites a colleague on the accounts page: (username, temporary password)."""
    username = f"clerk.{uuid.uuid4().hex[:6]}"
    admin = desk.new_page()
    sign_in(admin, stack, "district.admin", "/district/accounts")
    admin.fill("form.invite input[name=username]", username)
    admin.fill("form.invite input[name=name]", "新同事（示例）")
    admin.fill("form.invite input[name=email]", f"{username}@staff.yushan.example")
    for scope in scopes.split():
        pick_scope(admin.get_by_test_id("invite-scopes"), scope)
    admin.locator("form.invite button[type=submit]").click()
    notice = admin.get_by_test_id("temporary-password")
    expect(notice).to_contain_text(username)
    temporary = notice.inner_text().rsplit("：", 1)[-1].strip()
    screenshot(admin, "district-accounts")
    admin.close()
    return username, temporary


def first_sign_in(page, stack, username: str, temporary: str, next_path: str) -> None:
    """A new colleague signs in with the temporary password and chooses their own."""
    page.goto(f"{stack.url}/#/signin?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", temporary)
    page.get_by_role("button", name="登录").click()
    page.locator("input[name=new-password]").fill("Yushan-2026-new")
    page.get_by_role("button", name="设置并登录").click()
    page.get_by_test_id("signed-in-as").wait_for()


def test_a_new_staff_member_chooses_a_password_at_the_first_sign_in_and_adds_a_second_factor(
    stack, desk, browser
):
    from functions.core.domain.totp import code_at, step_of

    # The district invites a colleague on the accounts page; the temporary password shows once.
    username, temporary = invite(desk, stack)

    # The colleague signs in with it and must choose a password first.
    launched, _ = browser
    other = launched.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    other.set_default_timeout(15_000)
    page = other.new_page()
    page.goto(f"{stack.url}/#/signin?next=/community")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", temporary)
    page.get_by_role("button", name="登录").click()
    page.locator("input[name=new-password]").fill("short1")
    screenshot(page, "signin-new-password")
    page.get_by_role("button", name="设置并登录").click()
    expect(page.get_by_role("alert")).to_contain_text("不符合要求")
    page.locator("input[name=new-password]").fill("Yushan-2026-new")
    page.get_by_role("button", name="设置并登录").click()
    page.wait_for_url(re.compile(r".*#/community$"))
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(username)
    old = requests.post(
        f"{stack.url}/api/auth/sign-in",
        json={"username": username, "password": temporary},
        timeout=30,
    )
    assert old.status_code == 401

    # A second factor from "my account": scan, confirm with a code, then it is asked for.
    page.goto(f"{stack.url}/#/staff/account")
    page.get_by_test_id("totp-enrol").click()
    page.get_by_test_id("totp-qr").wait_for()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    screenshot(page, "staff-account-totp")
    page.fill("input[name=totp-code]", code_at(secret, step_of(datetime.now(UTC))))
    page.get_by_role("button", name="确认开启").click()
    expect(page.get_by_test_id("totp")).to_contain_text("已开启")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(re.compile(r".*#/signin"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yushan-2026-new")
    page.get_by_role("button", name="登录").click()
    page.locator("input[name=totp]").wait_for()
    time.sleep(31 - datetime.now(UTC).second % 30)  # the next code: the last one was used
    page.fill("input[name=totp]", code_at(secret, step_of(datetime.now(UTC))))
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url(re.compile(r".*#/staff$"))
    other.close()


def staff_act(stack, username: str, code: str, action: str, **body) -> dict:
    """A staff action through the API, as the SPA sends it (the version the actor saw)."""
    headers = {"Authorization": f"Bearer {staff_tokens(stack.url, username)['access_token']}"}
    seen = requests.get(f"{stack.url}/api/staff/cases/{code}", headers=headers, timeout=30).json()
    answer = requests.post(
        f"{stack.url}/api/staff/cases/{code}/actions/{action}",
        json={"version": seen["version"], **body},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_district_decides_an_extension_from_its_page(stack, desk):
    code = api_report(stack, "x001", "小区北门路灯杆倾斜，需要更换")["code"]
    staff_act(stack, "community.c01", code, "whistle")
    assert requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=60).status_code == 200
    claimed = staff_act(stack, "department.ludeng", code, "claim")
    staff_act(stack, "department.ludeng", code, "extension", days=4, reason="灯杆需要厂家定制")

    page = desk.new_page()
    sign_in(page, stack, "district.admin", "/district")
    request = page.get_by_test_id("extension-request").filter(has_text=code)
    expect(request).to_contain_text("市路灯管理所")
    expect(request).to_contain_text("4 个工作日")
    expect(request).to_contain_text("灯杆需要厂家定制")
    screenshot(page, "district-extensions")
    request.get_by_test_id("approve-extension").click()
    expect(page.get_by_test_id("extension-request").filter(has_text=code)).to_have_count(0)

    headers = {
        "Authorization": f"Bearer {staff_tokens(stack.url, 'district.admin')['access_token']}"
    }
    decided = requests.get(
        f"{stack.url}/api/staff/cases/{code}", headers=headers, timeout=30
    ).json()
    assert decided["deadline"] > claimed["deadline"] and decided["extension"] is None
    assert [e["kind"] for e in decided["timeline"]][-2:] == [
        "extension_requested",
        "extension_approved",
    ]
