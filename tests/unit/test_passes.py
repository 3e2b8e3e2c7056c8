from datetime import datetime, timedelta

import pytest

from functions.core.domain.errors import Unauthorized
from functions.core.services.passes import action_link, check_pass, issue_pass

KEY = b"k" * 32
NOW = datetime.fromisoformat("2026-11-27T02:00:00+00:00")


def test_a_pass_opens_its_case_for_its_department():
    token = issue_pass(KEY, "YS-2611-27-0001", "ludeng", NOW)
    checked = check_pass(KEY, "YS-2611-27-0001", token, NOW + timedelta(days=6))
    assert checked.department == "ludeng"


def test_a_pass_does_not_open_another_case_or_outlive_its_week():
    token = issue_pass(KEY, "YS-2611-27-0001", "ludeng", NOW)
    with pytest.raises(Unauthorized):
        check_pass(KEY, "YS-2611-27-0002", token, NOW)
    with pytest.raises(Unauthorized):
        check_pass(KEY, "YS-2611-27-0001", token, NOW + timedelta(days=8))


def test_a_pass_with_another_department_or_key_is_refused():
    token = issue_pass(KEY, "YS-2611-27-0001", "ludeng", NOW)
    _, expires, signature = token.split(".")
    with pytest.raises(Unauthorized):
        check_pass(KEY, "YS-2611-27-0001", f"zhujian.{expires}.{signature}", NOW)
    with pytest.raises(Unauthorized):
        check_pass(b"x" * 32, "YS-2611-27-0001", token, NOW)
    with pytest.raises(Unauthorized):
        check_pass(KEY, "YS-2611-27-0001", None, NOW)


def test_the_link_opens_the_action_page_of_the_spa():
    link = action_link("https://whistle.example", KEY, "YS-2611-27-0001", "ludeng", NOW)
    assert link.startswith("https://whistle.example/#/act/YS-2611-27-0001?pass=ludeng.")
