"""SMS as registered templates: every message a resident can get is one of the templates of
domain/messages.py, carried as its name and exactly its declared parameters, with no signature
in it; a provider configured without a code for one of them stops the function at its start."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from string import Template

import pytest

from functions.core.adapters.vault import AesGcmVault
from functions.core.config import ConfigurationError, Settings
from functions.core.domain.cases import Notice
from functions.core.domain.messages import RESIDENT_SMS, SMS_TEMPLATES
from functions.core.ports import MessageChannel
from functions.core.services.notify import Messenger
from functions.core.services.residents import case_link
from tests.conftest import TEST_ENV
from tests.fakes import SequenceIds, sample_registry
from tests.unit.test_case_machine import new_case

NOW = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
# What a district configures: one code per template it registered with Alibaba Cloud.
CODES = {name: f"SMS_15495{index:04d}" for index, name in enumerate(SMS_TEMPLATES)}
ALIYUN = {
    "access_key_id": "LTAI-test",
    "access_key_secret": "secret",
    "sign_name": "雨山区吹哨",
    "templates": CODES,
}


def messenger() -> Messenger:
    vault = AesGcmVault(b"e" * 32, b"l" * 32)
    return Messenger(SequenceIds(), vault, "https://whistle.test", b"s" * 32)


def whistled_case(registry):  # type: ignore[no-untyped-def]
    case = new_case(NOW)
    case.department = "ludeng"
    case.phone = AesGcmVault(b"e" * 32, b"l" * 32).seal_phone("13812345678")
    return case


def aliyun_settings(**changes: object) -> Settings:
    env = {**TEST_ENV, "WHISTLE_SMS_PROVIDER": "aliyun"}
    env["WHISTLE_ALIYUN_SMS"] = json.dumps({**ALIYUN, **changes}, ensure_ascii=False)
    return Settings.from_env(env)


def test_each_template_text_uses_exactly_the_parameters_it_declares():
    for template in SMS_TEMPLATES.values():
        assert set(Template(template.text).get_identifiers()) == set(template.params)
        assert "【" not in template.text and "】" not in template.text  # providers add those


# What each transition tells its resident besides the case itself.
NOTICE_DATA = {
    "resident_whistled": {"by": "2026-12-08T09:30:00Z"},
    "resident_extended": {"by": "2026-12-15T09:30:00Z"},
    "resident_merged": {"into": "YS-2611-27-0001"},
    "resident_rejected": {"reason": "不属于本社区管辖范围，已告知来电人向所属社区反映该问题" * 2},
}


@pytest.mark.parametrize("name", sorted(RESIDENT_SMS))
def test_every_resident_message_is_its_template_with_exactly_its_parameters(name):
    registry = sample_registry()
    case = whistled_case(registry)
    case.notices = [Notice("resident", name, data=NOTICE_DATA.get(name, {}))]
    [sms] = messenger().notifications(case, registry, NOW)
    declared = SMS_TEMPLATES[name]
    assert sms.channel is MessageChannel.SMS and sms.template == name
    assert set(sms.params) == set(declared.params)
    assert all(value for value in sms.params.values())
    assert sms.body == declared.render(sms.params)
    assert "【" not in sms.body and "雨山区吹哨" not in sms.body
    assert case.code in sms.body
    # Each parameter fits the 35 characters a provider's template parameter may hold, and
    # the message links to the case.
    assert all(len(value) <= 35 for key, value in sms.params.items() if key != "site")
    assert f"https://whistle.test/#/c/{case.code}." in sms.body
    # …and the configured provider has a code for it.
    assert aliyun_settings().messaging.aliyun.templates[name] == CODES[name]


def test_the_resident_whistled_message_names_the_kind_of_problem_and_the_department():
    registry = sample_registry()
    case = whistled_case(registry)
    case.notices = [Notice("resident", "resident_whistled", data={"by": "2026-12-08T09:30:00Z"})]
    [sms] = messenger().notifications(case, registry, NOW)
    assert sms.params == {
        "category": registry.categories["street_light"].name,
        "code": case.code,
        "department": registry.departments["ludeng"].name,
        "by": "12月8日17:30",
        "site": "https://whistle.test",
        "link": case_link(AesGcmVault(b"e" * 32, b"l" * 32), case.code),
    }
    assert "须在12月8日17:30前办结" in sms.body


def test_a_department_that_wants_sms_gets_the_alert_template_naming_the_kind_of_alert():
    registry = sample_registry()
    ludeng = dataclasses.replace(
        registry.departments["ludeng"], sms_alerts=True, phone="13900000000"
    )
    registry = dataclasses.replace(registry, departments={**registry.departments, "ludeng": ludeng})
    case = whistled_case(registry)
    case.notices = [Notice("department", "escalated", "ludeng")]
    [sms] = [n for n in messenger().notifications(case, registry, NOW) if n.channel == "sms"]
    assert sms.template == "department_alert"
    assert sms.params["kind"] == "督办" and sms.params["code"] == case.code
    assert set(sms.params) == set(SMS_TEMPLATES["department_alert"].params)
    assert "13900000000" not in sms.recipient  # sealed


def test_a_case_cannot_tell_a_resident_anything_but_a_registered_template():
    case = new_case(NOW)
    with pytest.raises(ValueError, match="resident SMS template"):
        case._tell_resident("resident_withdrawn")


@pytest.mark.parametrize("name", sorted(SMS_TEMPLATES))
def test_a_template_without_a_configured_code_stops_the_function_at_its_start(name):
    codes = {k: v for k, v in CODES.items() if k != name}
    with pytest.raises(ConfigurationError, match=name):
        aliyun_settings(templates=codes)


def test_the_chosen_providers_need_their_settings_and_plain_smtp_only_on_this_machine():
    with pytest.raises(ConfigurationError, match="aliyun_sms"):
        Settings.from_env({**TEST_ENV, "WHISTLE_SMS_PROVIDER": "aliyun"})
    with pytest.raises(ConfigurationError, match="smtp"):
        Settings.from_env({**TEST_ENV, "WHISTLE_MAIL_PROVIDER": "smtp"})
    with pytest.raises(ConfigurationError, match="WHISTLE_SMS_PROVIDER"):
        Settings.from_env({**TEST_ENV, "WHISTLE_SMS_PROVIDER": "carrier-pigeon"})
    with pytest.raises(ConfigurationError, match="sign_name"):
        aliyun_settings(sign_name="【雨山区吹哨】")
    relay = {"host": "smtp.yushan.example.gov.cn", "port": 587, "security": "none"}
    with pytest.raises(ConfigurationError, match=r"127\.0\.0\.1"):
        Settings.from_env(
            {**TEST_ENV, "WHISTLE_MAIL_PROVIDER": "smtp", "WHISTLE_SMTP": json.dumps(relay)}
        )
    relay["security"] = "starttls"
    smtp = Settings.from_env(
        {**TEST_ENV, "WHISTLE_MAIL_PROVIDER": "smtp", "WHISTLE_SMTP": json.dumps(relay)}
    ).messaging.smtp
    assert smtp is not None and smtp.port == 587 and smtp.timeout_seconds == 10


def test_the_default_profile_is_sns_and_ses_with_the_signature_kept_for_sns():
    messaging = Settings.from_env(dict(TEST_ENV)).messaging
    assert (messaging.sms_provider, messaging.mail_provider) == ("sns", "ses")
    assert messaging.sms_sign_name == "雨山区吹哨"
    assert messaging.aliyun is None and messaging.smtp is None


def test_a_department_alert_says_how_many_residents_are_waiting():
    registry = sample_registry()
    case = whistled_case(registry)
    case.notices = [Notice("department", "dispatched", "ludeng")]
    alone = [n for n in messenger().notifications(case, registry, NOW) if n.channel == "email"]
    assert alone and all("联名" not in n.body for n in alone)
    case.followers, case.merged_in = 2, 1  # two followers and one merged case
    alerts = [n for n in messenger().notifications(case, registry, NOW) if n.channel == "email"]
    assert alerts and all("联名：4 位居民" in n.body for n in alerts)
