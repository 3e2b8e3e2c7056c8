"""SMS senders: Amazon SNS (where AWS sends SMS) and Alibaba Cloud SMS (mainland China).

Neither deduplicates: SNS's Publish to a phone number takes no deduplication id (that exists
only for FIFO topics), and Alibaba Cloud documents SendSms as not idempotent ("国内短信…不支持
幂等"); its OutId is only echoed back in delivery receipts. A message whose sender stopped while
sending is therefore never sent again by itself: the district decides (DESIGN §4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..config import AliyunSms as AliyunSettings
from ..domain.clock import Clock
from ..ports import Notification, TransientError
from .transports import Post, http_post


class SnsSms:
    """Free text through SNS, with the district's signature in front (SNS does not add it)."""

    deduplicates = False

    def __init__(self, sns: Any, sign_name: str, sender_id: str) -> None:
        self._sns = sns
        self._sign_name = sign_name
        self._sender_id = sender_id

    def send_sms(self, phone: str, notification: Notification) -> None:
        try:
            self._sns.publish(
                PhoneNumber=f"+86{phone}",
                Message=f"【{self._sign_name}】{notification.body}",
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self._sender_id},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"sns: {aws_error_code(error)}") from error


def aws_error_code(error: ClientError | BotoCoreError) -> str:
    return str(error.response["Error"]["Code"]) if isinstance(error, ClientError) else "network"


# -- Alibaba Cloud SMS -------------------------------------------------------------------------

SMS_API_VERSION = "2017-05-25"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's RPC signature wants it: unreserved characters
    (A–Z a–z 0–9 - _ . ~) kept, everything else %XY of its UTF-8 bytes, space as %20."""
    return urllib.parse.quote(value, safe="-_.~")


def rpc_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Signature v1 of an RPC-style request (HMAC-SHA1): the parameters sorted by name and
    percent-encoded into a canonical query, `METHOD&%2F&<that query, percent-encoded again>`
    signed with the AccessKey secret followed by "&", in base64.
    https://www.alibabacloud.com/help/en/sms/signature-method (the same algorithm as
    https://help.aliyun.com/document_detail/69009.html, whose worked example the tests check)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{access_key_secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Dysmsapi SendSms (https://help.aliyun.com/document_detail/55284.html): the registered
    signature's name (SignName), the template's code (TemplateCode) and its parameters as JSON
    (TemplateParam), POSTed as a form and signed with the RPC signature v1 above. Alibaba
    Cloud adds the signature 【…】 to the text itself."""

    deduplicates = False  # see the module's docstring

    def __init__(
        self,
        settings: AliyunSettings,
        clock: Clock,
        post: Post = http_post,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._post = post
        self._nonce = nonce

    def send_sms(self, phone: str, notification: Notification) -> None:
        code = self._settings.templates.get(notification.template)
        if code is None:  # configuration is checked at start; a message from an older release
            raise TransientError(f"aliyun: no template code for {notification.template}")
        params = {
            "AccessKeyId": self._settings.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": SMS_API_VERSION,
            "PhoneNumbers": phone,
            "SignName": self._settings.sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(
                notification.params, ensure_ascii=False, separators=(",", ":")
            ),
            "OutId": notification.id,  # echoed in delivery receipts, to find the message
        }
        params["Signature"] = rpc_signature("POST", params, self._settings.access_key_secret)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        status, answer = self._post(
            f"{self._settings.endpoint}/",
            body.encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            result = {}
        if status != 200 or result.get("Code") != "OK":
            # Only the code: Alibaba Cloud's message can quote the request, phone number and all.
            raise TransientError(f"aliyun: {result.get('Code') or f'HTTP {status}'}")
