"""Sending: one sender per channel (SMS, e-mail, work-chat robots), and the transport that
routes each message of the outbox to its channel's sender.

SMS and e-mail senders live in sms.py and mail.py (SNS or Alibaba Cloud; SES or SMTP, as
configured); the robots (WeCom, DingTalk, Feishu) are here: an HTTPS POST each.
"""

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

from ..config import Settings
from ..ports import (
    ApiKeyStore,
    CallbackSender,
    Limiter,
    MailSender,
    MediaRefused,
    MessageChannel,
    Notification,
    PhoneVault,
    RobotSender,
    SmsSender,
    Throttled,
    TransientError,
    Uncertain,
)

Post = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]


def http_post(
    url: str, body: bytes, headers: dict[str, str], timeout: float = 5
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read() or b"")
    except urllib.error.URLError as error:
        # urllib wraps what fails while connecting and sending: the request never arrived whole.
        raise TransientError(f"network: {type(error.reason).__name__}") from error
    except OSError as error:
        # It failed after the request was sent, waiting for or reading the answer.
        raise Uncertain(f"no answer: {type(error).__name__}") from error


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


class ChannelTransport:
    """The dispatch job's one door to the outside: each message to its channel's sender."""

    def __init__(
        self,
        sms: SmsSender,
        mail: MailSender,
        robots: RobotSender,
        vault: PhoneVault,
        callbacks: CallbackSender | None = None,
    ) -> None:
        self._sms = sms
        self._mail = mail
        self._robots = robots
        self._vault = vault
        self._callbacks = callbacks

    def send(self, notification: Notification, now: datetime) -> None:
        if notification.channel is MessageChannel.CALLBACK:
            if self._callbacks is None:
                raise TransientError("no callback sender is configured")
            self._callbacks.send_callback(notification, now)
        elif notification.channel is MessageChannel.EMAIL:
            self._mail.send_mail(notification)
        elif notification.channel is MessageChannel.SMS:
            # The number is kept sealed in the outbox and opened only for the provider.
            self._sms.send_sms(self._vault.open("phone", notification.recipient), notification)
        else:
            self._robots.send_robot(notification, now)

    def deduplicates(self, notification: Notification) -> bool:
        if notification.channel is MessageChannel.CALLBACK:
            return self._callbacks is not None and self._callbacks.deduplicates
        if notification.channel is MessageChannel.EMAIL:
            return self._mail.deduplicates
        if notification.channel is MessageChannel.SMS:
            return self._sms.deduplicates
        return self._robots.deduplicates


class Robots:
    """Work-chat robots: WeCom (its key in the URL), DingTalk (signed in the URL), Feishu
    (signed in the body), at most `webhook_per_minute` messages a minute each."""

    # None of the three takes a message id: a repeated POST is a second message in the chat.
    deduplicates = False

    def __init__(self, settings: Settings, counters: Limiter, post: Post = http_post) -> None:
        self._settings = settings
        self._counters = counters
        self._post = post

    def send_robot(self, n: Notification, now: datetime) -> None:
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


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a 311 client checks: HMAC-SHA256 with its API key's secret over "timestamp." and
    the body, hex, as `X-Whistle-Signature: sha256=…`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Callbacks:
    """Pushes to a 311 client's callback URL: the update as JSON, signed with its key's secret,
    POSTed only to a public address (the same rules as fetching a client's photo)."""

    # Each push carries its delivery id and the update's stable update_id: a receiver drops a
    # second copy, so a push whose answer was lost is sent again rather than flagged.
    deduplicates = True

    def __init__(self, keys: ApiKeyStore, vault: PhoneVault, post: Post) -> None:
        self._keys = keys
        self._vault = vault
        self._post = post

    def send_callback(self, n: Notification, now: datetime) -> None:
        key = self._keys.get(n.params.get("key", ""))
        if key is None or key.get("revoked_at") or not key.get("sealed_secret"):
            raise TransientError("the API key was revoked or cannot sign")
        secret = self._vault.open("open311-key", key["sealed_secret"])
        timestamp = str(int(now.timestamp()))
        body = n.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Whistle-Delivery": n.id,
            "X-Whistle-Timestamp": timestamp,
            "X-Whistle-Signature": f"sha256={callback_signature(secret, timestamp, body)}",
        }
        try:
            status, _ = self._post(n.recipient, body, headers)
        except MediaRefused as refused:
            if refused.code == "no_answer":
                raise Uncertain(str(refused)) from None
            raise TransientError(str(refused)) from None
        if not 200 <= status < 300:
            raise TransientError(f"callback answered {status}")
