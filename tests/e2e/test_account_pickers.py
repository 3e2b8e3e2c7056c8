"""The district's accounts page in real Chromium: roles and scopes picked from the registry
(several a person), a disabled account shown as such, a password reset shown once."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_notes_and_replies import laptop, laptop_shot
from tests.e2e.test_staff_flow import pick_scope, sign_in

pytestmark = pytest.mark.e2e


def test_the_district_picks_roles_from_the_registry_disables_and_resets(stack, desk):
    username = f"clerk.{uuid.uuid4().hex[:6]}"
    page = laptop(desk)
    sign_in(page, stack, "district.admin", "/district/accounts")
    page.goto(f"{stack.url}/#/district/accounts")
    page.fill("form.invite input[name=username]", username)
    page.fill("form.invite input[name=name]", "新同事（示例）")
    page.fill("form.invite input[name=email]", f"{username}@staff.yushan.example")
    picker = page.get_by_test_id("invite-scopes")
    # Searching by name finds the community; a single match is added without choosing it.
    picker.get_by_test_id("scope-role").select_option("community")
    picker.get_by_test_id("scope-search").fill("桃园")
    picker.get_by_test_id("scope-add").click()
    pick_scope(picker, "department:ludeng")
    expect(picker.get_by_test_id("scope-chip")).to_have_count(2)
    expect(picker).to_contain_text("社区 · 桃园社区")
    expect(picker).to_contain_text("部门 · 市路灯管理所")
    page.locator("form.invite button[type=submit]").click()
    expect(page.get_by_test_id("temporary-password")).to_contain_text(username)

    row = page.locator(f"tr[data-account='{username}']")
    expect(row.get_by_test_id("scope-chip")).to_have_count(2)
    row.get_by_role("button", name="停用").click()
    expect(row.get_by_test_id("disabled-tag")).to_have_text("已停用")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="重置密码").click()
    expect(page.get_by_test_id("temporary-password")).to_contain_text(username)
    expect(row).to_contain_text("待设置新密码")
    row.scroll_into_view_if_needed()
    laptop_shot(page, "district-accounts")
    page.evaluate("window.scrollTo(0, 0)")
    laptop_shot(page, "district-accounts-top")
