"""The story in both deployment profiles, in real Chromium: a resident reports from a phone,
community staff whistle the case, the dispatch job alerts the department and tells the
resident, the department resolves it from the link in its e-mail, and the resident is told.

In the default profile messages go through SES and SNS (moto); in the China profile
(`WHISTLE_PROFILE=china make dev`) the resident's SMS must reach the local stand-in of Alibaba
Cloud SMS as its registered template code with its parameters, and the department's e-mail the
local SMTP sink.

Staff accounts are Whistle's own in both profiles: the story starts with the district inviting a
community clerk, who signs in with the temporary password, chooses a password and whistles.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from functions.local.providers import LOCAL_TEMPLATE_CODES
from tests.e2e.conftest import RunningStack, free_port_pair, screenshot, start_stack
from tests.e2e.test_resident_flow import fill_report
from tests.e2e.test_staff_flow import first_sign_in, invite, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["default", "china"])
def profiled(request, tmp_path_factory) -> Iterator[tuple[str, RunningStack]]:
    profile = request.param
    data_dir = tmp_path_factory.mktemp(f"stack-{profile}") / "data"
    running = start_stack(data_dir, free_port_pair(), profile=profile)
    yield profile, running
    running.stop()


def resident_reports(phone, stack: RunningStack) -> str:
    page = phone.new_page()
    page.goto(stack.url)
    fill_report(page, f"小区门口路灯不亮 {uuid.uuid4().hex[:6]}", phone="13812345678")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*#/submitted/"))
    return str(page.get_by_test_id("case-code").inner_text())


def whistle_as_new_clerk(desk, stack: RunningStack, code: str) -> None:
    """The district invites a community clerk, who signs in for the first time and whistles."""
    username, temporary = invite(desk, stack, "community:c01")
    page = desk.new_page()
    first_sign_in(page, stack, username, temporary, f"/staff/case/{code}")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(username)
    page.get_by_test_id("staff-case-code").wait_for()
    page.locator("[data-action=whistle]").click()
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("staff-case-status")).to_have_text("已吹哨")


def dispatch(stack: RunningStack) -> None:
    assert requests.post(f"{stack.url}/dev/jobs/dispatch", timeout=60).status_code == 200


def test_the_resident_and_the_department_hear_through_the_profiles_providers(profiled, phone, desk):
    profile, stack = profiled
    code = resident_reports(phone, stack)
    whistle_as_new_clerk(desk, stack, code)
    dispatch(stack)

    outbox = desk.new_page()
    outbox.goto(f"{stack.url}/dev/outbox")
    rows = outbox.locator(f"tr[data-case='{code}']")
    expect(rows.filter(has_text="短信 SMS")).to_contain_text("resident_whistled")
    expect(rows.filter(has_text="ludeng@yushan.example")).to_contain_text("sent")
    if profile == "china":
        sms = outbox.locator(
            f"[data-testid=sms-received][data-template-code={LOCAL_TEMPLATE_CODES['resident_whistled']}]",
            has_text=code,
        )
        expect(sms).to_have_count(1)
        expect(sms.get_by_test_id("sms-params")).to_contain_text(f'"code": "{code}"')
        expect(sms.get_by_test_id("sms-params")).to_contain_text('"department": "市路灯管理所')
        expect(sms).to_contain_text("138****5678")
        mail = outbox.locator("[data-testid=mail-received]", has_text=code)
        expect(mail).to_contain_text("ludeng@yushan.example")
        expect(mail).to_contain_text("【吹哨】")
    screenshot(outbox, f"dev-outbox-{profile}")

    # The department opens the action link that came in its e-mail, claims and resolves.
    received = requests.get(f"{stack.url}/dev/received.json", timeout=10).json()
    if profile == "china":
        [mail] = [m for m in received["mail"] if code in m["subject"]]
        link = re.search(r"https?://\S+/#/act/\S+", mail["body"]).group(0)
    else:
        assert received == {}
        link = outbox.locator(f"tr[data-case='{code}'] [data-testid=action-link]").first
        link = str(link.get_attribute("href"))
    clerk = desk.new_page()
    clerk.goto(link)
    clerk.locator("[data-action=claim]").click()
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("部门办理中")
    clerk.locator("[data-action=resolve]").click()
    clerk.fill("textarea[name=note]", "已更换损坏的灯具")
    clerk.get_by_test_id("confirm-action").click()
    expect(clerk.get_by_test_id("staff-case-status")).to_have_text("已办结待评价")
    dispatch(stack)

    outbox.reload()
    expect(outbox.locator(f"tr[data-case='{code}']", has_text="resident_resolved")).to_contain_text(
        "sent"
    )
    if profile == "china":
        resolved = outbox.locator(
            f"[data-testid=sms-received][data-template-code={LOCAL_TEMPLATE_CODES['resident_resolved']}]",
            has_text=code,
        )
        expect(resolved.get_by_test_id("sms-params")).to_contain_text(f'"code": "{code}"')
        expect(resolved.get_by_test_id("sms-params")).to_contain_text(f'"link": "{code}.')


def test_the_district_resends_a_message_whose_sending_stopped_half_way(profiled, phone, desk):
    profile, stack = profiled
    code = resident_reports(phone, stack)
    whistle_as_new_clerk(desk, stack, code)
    dispatch(stack)
    # The dispatch job died between taking the resident's SMS and recording the outcome: its
    # lease ran out and the next tick flagged it uncertain (as tests/integration show).
    dynamodb = stack.aws("dynamodb")
    [sms] = [
        item
        for item in dynamodb.scan(TableName="whistle-local-notifications")["Items"]
        if item["case_code"]["S"] == code and item["channel"]["S"] == "sms"
    ]
    dynamodb.update_item(
        TableName="whistle-local-notifications",
        Key={"id": sms["id"]},
        UpdateExpression="SET #s = :dead, dead_flag = :uncertain, last_error = :why",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":dead": {"S": "dead"},
            ":uncertain": {"S": "uncertain"},
            ":why": {"S": "uncertain: the sender stopped while sending"},
        },
    )

    page = desk.new_page()
    sign_in(page, stack, "district.admin", "/district/dashboard")
    card = page.locator("[data-kpi=undelivered]")
    expect(card.get_by_test_id("kpi-value")).to_have_text("1")
    expect(card).to_contain_text("未确定 1")
    screenshot(page, f"dashboard-undelivered-{profile}")
    card.get_by_role("link").click()
    message = page.get_by_test_id("undelivered-message").filter(has_text=code)
    expect(message).to_contain_text("未确定是否送达")
    expect(message).to_contain_text("138****5678")
    screenshot(page, f"district-undelivered-{profile}")
    message.get_by_test_id("resend").click()
    expect(page.get_by_test_id("undelivered-message").filter(has_text=code)).to_have_count(0)
    dispatch(stack)

    outbox = desk.new_page()
    outbox.goto(f"{stack.url}/dev/outbox")
    rows = outbox.locator(f"tr[data-case='{code}']", has_text="resident_whistled")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="sent")).to_have_count(1)
    if profile == "china":
        received = outbox.locator(
            f"[data-testid=sms-received][data-template-code={LOCAL_TEMPLATE_CODES['resident_whistled']}]",
            has_text=code,
        )
        expect(received).to_have_count(2)  # the first attempt did go out, in this story
