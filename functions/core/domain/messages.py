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
    # A resident always gets an essential message (each once a case); the others only while
    # the case's cap allows and the resident has not opted out (DESIGN §8).
    essential: bool = True

    def render(self, params: Mapping[str, str]) -> str:
        missing = set(self.params) - set(params)
        extra = set(params) - set(self.params)
        if missing or extra:
            raise ValueError(
                f"SMS template {self.name} takes {sorted(self.params)}, given {sorted(params)}"
            )
        return Template(self.text).substitute(params)


# Every resident message ends with the case's own short link: `site` is the site's address,
# `link` the case code and a 16-character key (about 32 characters: within the 35 a template
# parameter may hold). The link opens the case without sign-in; it is after "#", so no
# server ever logs it.
_LINK = "查看：${site}/#/c/${link}"

SMS_TEMPLATES: dict[str, SmsTemplate] = {
    t.name: t
    for t in (
        SmsTemplate(
            "resident_sign_in",
            "resident",
            ("code",),
            "验证码${code}，5分钟内有效，用于查看您反映的问题，请勿告诉他人。",
        ),
        SmsTemplate(
            "resident_whistled",
            "resident",
            ("category", "code", "department", "by", "site", "link"),
            "您反映的${category}问题（${code}）已由社区“吹哨”至${department}，"
            "须在${by}前办结。" + _LINK,
        ),
        SmsTemplate(
            "resident_returned",
            "resident",
            ("code", "site", "link"),
            "您反映的问题（${code}）已退回社区重新分派。" + _LINK,
            essential=False,
        ),
        SmsTemplate(
            "resident_extended",
            "resident",
            ("code", "by", "site", "link"),
            "您反映的问题（${code}）经批准延期，须在${by}前办结。" + _LINK,
            essential=False,
        ),
        SmsTemplate(
            "resident_merged",
            "resident",
            ("code", "into", "site", "link"),
            "您反映的问题（${code}）与工单${into}是同一问题，已合并办理，进展将一并告知您。"
            + _LINK,
        ),
        SmsTemplate(
            "resident_rejected",
            "resident",
            ("code", "reason", "site", "link"),
            "您反映的问题（${code}）未予受理，原因：${reason}。" + _LINK,
        ),
        SmsTemplate(
            "resident_resolved",
            "resident",
            ("code", "site", "link"),
            "您反映的问题（${code}）已办结，请查看结果并评价。" + _LINK,
        ),
        SmsTemplate(
            "resident_closed",
            "resident",
            ("code", "site", "link"),
            "您反映的问题（${code}）已办结归档，感谢您的参与。" + _LINK,
            essential=False,
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

RESIDENT_SMS = frozenset(
    t.name
    for t in SMS_TEMPLATES.values()
    if t.audience == "resident" and t.name != "resident_sign_in"
)
"""What a case may tell its resident: a case tells a resident only through one of these."""

OPTIONAL_SMS_CAP = 3
"""Non-essential messages a case sends its resident at most. With the essential ones (the
whistle, and one of resolved / rejected / merged) a case costs at most 5 SMS a resident."""
