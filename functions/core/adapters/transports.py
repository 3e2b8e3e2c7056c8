"""Sending: email by SES, SMS by SNS, work-chat robots (WeCom, DingTalk, Feishu) by HTTPS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..config import Settings
from ..ports import Limiter, MessageChannel, Notification, PhoneVault, Throttled, TransientError

Post = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - https robots
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read() or b"")
    except (urllib.error.URLError, OSError) as error:
        raise TransientError(f"network: {type(error).__name__}") from error


def robot_payload(
    kind: str, text: str, secret: str | None, now_ms: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The robot's message and extra query parameters (DingTalk signs in the URL, Feishu in
    the body; WeCom robots are authenticated by the key in their URL)."""
    if kind == "dingtalk":
        params = {}
        if secret:
            to_sign = f"{now_ms}\n{secret}".encode()
            sign = base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest())
            params = {"timestamp": str(now_ms), "sign": sign.decode()}
        return {"msgtype": "text", "text": {"content": text}}, params
    if kind == "feishu":
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if secret:
            seconds = str(now_ms // 1000)
            key = f"{seconds}\n{secret}".encode()
            payload["timestamp"] = seconds
            payload["sign"] = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return payload, {}
    return {"msgtype": "text", "text": {"content": text}}, {}


def robot_accepted(kind: str, status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return False
    if kind == "feishu":
        return bool(answer.get("code", answer.get("StatusCode", 0)) == 0)
    return bool(answer.get("errcode", 0) == 0)


class AwsTransport:
    def __init__(
        self,
        settings: Settings,
        ses: Any,
        sns: Any,
        vault: PhoneVault,
        counters: Limiter,
        post: Post = http_post,
    ) -> None:
        self._settings = settings
        self._ses = ses
        self._sns = sns
        self._vault = vault
        self._counters = counters
        self._post = post

    def send(self, notification: Notification, now: datetime) -> None:
        try:
            if notification.channel is MessageChannel.EMAIL:
                self._email(notification)
            elif notification.channel is MessageChannel.SMS:
                self._sms(notification)
            else:
                self._robot(notification, now)
        except (ClientError, BotoCoreError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else "network"
            raise TransientError(f"provider: {code}") from error

    def _email(self, n: Notification) -> None:
        self._ses.send_email(
            Source=self._settings.sender_email,
            Destination={"ToAddresses": [n.recipient]},
            Message={
                "Subject": {"Data": n.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": n.body, "Charset": "UTF-8"}},
            },
        )

    def _sms(self, n: Notification) -> None:
        # The number is kept sealed in the outbox and opened only for the provider.
        number = self._vault.open("phone", n.recipient)
        self._sns.publish(
            PhoneNumber=f"+86{number}",
            Message=n.body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {
                    "DataType": "String",
                    "StringValue": self._settings.sms_sender,
                },
            },
        )

    def _robot(self, n: Notification, now: datetime) -> None:
        limit = self._settings.limits.webhook_per_minute
        if not self._counters.hit(f"robot#{n.recipient}", limit, 60, now):
            raise Throttled(n.recipient)
        kind = n.webhook_kind or "wecom"
        secret = self._settings.webhook_secrets.get(n.department or "")
        text = f"{n.subject}\n{n.body}" if n.subject else n.body
        payload, params = robot_payload(kind, text, secret, int(now.timestamp() * 1000))
        url = n.recipient
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._settings.webhook_override:
            # The local stack: robots "receive" at the dev sink, which shows them in the outbox.
            headers["X-Robot-Url"] = url
            url = f"{self._settings.webhook_override}/{kind}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        status, body = self._post(url, json.dumps(payload, ensure_ascii=False).encode(), headers)
        if not robot_accepted(kind, status, body):
            raise TransientError(f"robot answered {status}")
