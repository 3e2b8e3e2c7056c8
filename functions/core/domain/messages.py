"""The SMS Whistle sends, as an SMS provider registers them: a template (短信模板) with named
parameters.

Providers in mainland China (Alibaba Cloud, Tencent Cloud) send only templates the district has
registered and approved, and put the registered signature (短信签名, 【雨山区吹哨】) in front of
the text themselves; a signature written into the text is rejected or doubled. So a message
travels through the outbox as a template name and its parameters, and its rendered text (without
signature) is kept only for people to read and for providers that take free text (SNS, which is
given the signature when it sends).

`text` is the wording to register with the provider, `${name}` marking each parameter (Alibaba
Cloud's and Tencent Cloud's own syntax), so README's registration list is this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class SmsTemplate:
    name: str
    audience: str  # resident | department
    params: tuple[str, ...]
    text: str

    def render(self, params: Mapping[str, str]) -> str:
        missing = set(self.params) - set(params)
        extra = set(params) - set(self.params)
        if missing or extra:
            raise ValueError(
                f"SMS template {self.name} takes {sorted(self.params)}, given {sorted(params)}"
            )
        return Template(self.text).substitute(params)


SMS_TEMPLATES: dict[str, SmsTemplate] = {
    t.name: t
    for t in (
        # Residents: at most two SMS per case (DESIGN §8).
        SmsTemplate(
            "resident_whistled",
            "resident",
            ("category", "code", "department"),
            "您反映的${category}问题（${code}）已由社区“吹哨”至${department}办理。",
        ),
        SmsTemplate(
            "resident_resolved",
            "resident",
            ("code",),
            "您反映的问题（${code}）已办结，请在“我的上报”中评价办理结果。",
        ),
        # Departments that asked for SMS alerts: one template for every kind of alert, the
        # details being in the e-mail and the robot's message.
        SmsTemplate(
            "department_alert",
            "department",
            ("kind", "place", "category", "code"),
            "${kind}：${place}${category}（工单${code}），详见邮件或工作群消息。",
        ),
    )
}

RESIDENT_SMS = frozenset(t.name for t in SMS_TEMPLATES.values() if t.audience == "resident")
"""What a resident may be told: a case tells a resident only through one of these."""
