"""A resident on a phone: report a broken street light with a photo, see the code, find the
case under "my reports", follow it — and a report made offline is sent once, later."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

CASES_TABLE = "whistle-local-cases"
PHOTO_BUCKET = "whistle-local-photos"


def photo_with_gps(path: Path) -> Path:
    """A 3000×2000 camera-like JPEG that carries a GPS position in its EXIF."""
    image = Image.new("RGB", (3000, 2000), (40, 90, 160))
    for x in range(0, 3000, 200):
        image.paste((240, 200, 40), (x, 900, x + 100, 1100))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 41.0, 19.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 30.0, 39.0)
    image.save(path, "JPEG", exif=exif, quality=90)
    with Image.open(path) as check:  # the fixture really carries a position
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return path


def fill_report(page, description: str, phone: str = "13812345678") -> None:
    page.wait_for_selector("[data-category]")
    page.click("[data-category=street_light]")
    community = page.evaluate(
        "fetch('/api/registry').then(r => r.json()).then(r => r.communities[0])"
    )
    page.click(".picker-cell")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(community["name"], exact=True).click()
    dialog.get_by_text(community["compounds"][0]["name"], exact=True).click()
    page.get_by_role("dialog").wait_for(state="hidden")
    page.fill("input[name=address]", "3栋2单元门口")
    page.fill("#description", description)
    page.fill("#phone", phone)
    page.click(".van-checkbox")


def cases_with(stack, marker: str) -> int:
    items = stack.aws("dynamodb").scan(TableName=CASES_TABLE)["Items"]
    return sum(1 for item in items if marker in item["description"]["S"])


def test_a_resident_reports_a_street_light_with_a_photo_and_follows_it(stack, phone, tmp_path):
    page = phone.new_page()
    page.goto(stack.url)
    marker = uuid.uuid4().hex[:8]
    fill_report(page, f"路灯坏了一个星期，晚上很黑 {marker}")
    page.set_input_files("input[type=file]", str(photo_with_gps(tmp_path / "street-light.jpg")))
    page.wait_for_selector(".van-uploader__preview-image")
    page.locator(".van-uploader__mask").wait_for(state="detached")
    screenshot(page, "resident-report-form")

    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*#/submitted/YS-"))
    code = page.get_by_test_id("case-code").inner_text()
    assert re.fullmatch(r"YS-\d{4}-\d{2}-\d{4,}", code)
    link = page.get_by_test_id("private-link").inner_text()
    assert f"#/case/{code}?token=" in link
    screenshot(page, "resident-submitted")

    page.goto(f"{stack.url}/#/mine")
    mine = page.get_by_test_id("my-report")
    assert code in mine.first.inner_text()
    screenshot(page, "resident-my-reports")

    mine.first.click()
    page.wait_for_selector("[data-testid=case-status]")
    assert page.get_by_test_id("case-status").inner_text() == "待社区处理"
    assert "138****5678" in page.content() and "13812345678" not in page.content()
    expect(page.locator(".photos img").first).to_have_js_property("complete", True)
    expect(page.locator(".photos img").first).not_to_have_js_property("naturalWidth", 0)
    screenshot(page, "resident-case")

    s3 = stack.aws("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=PHOTO_BUCKET, Prefix="cases/")["Contents"]]
    case = next(
        item
        for item in stack.aws("dynamodb").scan(TableName=CASES_TABLE)["Items"]
        if item["code"]["S"] == code
    )
    [photo_key] = [p["S"] for p in case["photos"]["L"]]
    assert photo_key in keys
    stored = s3.get_object(Bucket=PHOTO_BUCKET, Key=photo_key)["Body"].read()
    with Image.open(io.BytesIO(stored)) as image:
        assert max(image.size) <= 1600 and image.size == (1600, 1067)
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in stored[:4096]


def test_the_private_link_opens_the_case_on_another_phone(stack, phone, browser):
    page = phone.new_page()
    page.goto(stack.url)
    fill_report(page, "楼道灯不亮，夜里看不见台阶")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*#/submitted/"))
    link = page.get_by_test_id("private-link").inner_text()

    launched, playwright = browser
    other = launched.new_context(**playwright.devices["Pixel 5"], locale="zh-CN")
    try:
        second = other.new_page()
        second.goto(link)
        second.wait_for_selector("[data-testid=case-status]")
        assert "?token=" not in second.url  # remembered on the phone, dropped from the address
        second.goto(f"{stack.url}/#/mine")
        second.get_by_test_id("my-report").first.wait_for()
        assert len(second.get_by_test_id("my-report").all()) == 1
    finally:
        other.close()


def test_a_report_made_offline_is_kept_and_sent_once_when_the_network_returns(stack, phone):
    page = phone.new_page()
    page.goto(stack.url)
    marker = uuid.uuid4().hex[:8]
    fill_report(page, f"下水道堵了，污水漫到路上 {marker}")
    phone.set_offline(True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*#/mine"))
    page.wait_for_selector("[data-testid=pending-report]")
    assert "等待联网提交" in page.get_by_test_id("pending-report").inner_text()
    screenshot(page, "resident-offline-pending")
    assert cases_with(stack, marker) == 0

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-testid=pending-report]", state="detached")
    page.get_by_test_id("my-report").first.wait_for()
    assert cases_with(stack, marker) == 1


def test_a_submit_whose_answer_is_lost_is_retried_with_the_same_key_and_files_one_case(
    stack, phone
):
    page = phone.new_page()
    page.goto(stack.url)
    marker = uuid.uuid4().hex[:8]
    fill_report(page, f"小区北门路面塌陷 {marker}")
    answered: list[int] = []

    def lose_the_answer(route):
        response = route.fetch()  # the server stores the case…
        answered.append(response.status)
        route.abort("connectionreset")  # …but the phone never hears back

    page.route("**/api/cases", lose_the_answer)
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("[data-testid=pending-report]")
    assert answered == [201] and cases_with(stack, marker) == 1

    page.unroute("**/api/cases")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-testid=pending-report]", state="detached")
    assert cases_with(stack, marker) == 1


def test_the_form_says_what_is_missing_and_sends_nothing(stack, phone):
    page = phone.new_page()
    page.goto(stack.url)
    page.wait_for_selector("[data-category]")
    requests_made: list[str] = []
    page.on("request", lambda r: requests_made.append(r.url) if "/api/cases" in r.url else None)
    page.get_by_role("button", name="提交").click()
    for message in [
        "请选择问题类型",
        "请选择社区和小区",
        "请填写具体位置",
        "请至少写5个字",
        "请填写11位手机号",
        "请先同意个人信息保护说明",
    ]:
        assert page.get_by_text(message).first.is_visible()
    screenshot(page, "resident-report-errors")
    assert requests_made == []


def test_the_page_switches_to_english_and_remembers_it(stack, phone):
    page = phone.new_page()
    page.goto(stack.url)
    page.get_by_role("button", name="切换到英文").click()
    page.get_by_text("What kind of problem?").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    page.get_by_text("What kind of problem?").wait_for()
    # Category names come with the registry, which loads after the form shell.
    page.get_by_text("Street light out").wait_for(state="visible")
    screenshot(page, "resident-report-english")
