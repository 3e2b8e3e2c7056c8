"""Local stand-ins for the China profile's providers, both on 127.0.0.1: Alibaba Cloud SMS's
HTTP API (Dysmsapi SendSms), which checks each request's signature as Alibaba Cloud documents
it and answers errors the way it does, and an SMTP relay that asks for the account's login and
keeps every message. The dev outbox shows what each received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from string import Template
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.domain.messages import SMS_TEMPLATES

# Template codes of the local stand-in: shaped like Alibaba Cloud's (SMS_ and digits).
LOCAL_TEMPLATE_CODES = {name: f"SMS_9{index:08d}" for index, name in enumerate(SMS_TEMPLATES, 1)}
LOCAL_SIGN_NAME = "雨山区吹哨"
LOCAL_ACCESS_KEY_ID = "LTAI-local-whistle"


class Received:
    """What the stand-ins received, newest last, kept in the data directory (one JSON line
    each) so the dev outbox still shows it after a restart. Phone numbers only masked."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def add(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self._path.open("a", encoding="utf-8") as handle:
            handle.write(line)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            if not self._path.exists():
                return []
            lines = self._path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _now() -> datetime:
    return datetime.now(UTC)


# -- Alibaba Cloud SMS -------------------------------------------------------------------------


def documented_encode(value: str) -> str:
    """Alibaba Cloud's recipe, step by step: encode as a form would (UTF-8), then "+" to
    "%20", "*" to "%2A" and "%7E" back to "~"
    (https://help.aliyun.com/document_detail/69009.html, "percentEncode")."""
    encoded = urllib.parse.quote_plus(value, safe="", encoding="utf-8")
    return encoded.replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def documented_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """The signature Alibaba Cloud computes on its side (RPC signature v1, HMAC-SHA1)."""
    query = "&".join(
        f"{documented_encode(name)}={documented_encode(params[name])}" for name in sorted(params)
    )
    string_to_sign = method + "&" + documented_encode("/") + "&" + documented_encode(query)
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class FakeAliyunSms:
    """Dysmsapi 2017-05-25 SendSms as Alibaba Cloud answers it: signature, AccessKey, clock
    skew (15 minutes) and nonce reuse are checked first (HTTP 400/404 with Code and Message),
    then the signature name, template code, template parameters and phone number (HTTP 200
    with an `isv.` Code); a good request answers Code "OK" with a BizId.

    `registered` maps each template code to its registered text, whose `${name}` variables
    are what TemplateParam must give. `failing` makes every request fail, and `stalling`
    answers a request only after that many seconds (tests)."""

    def __init__(
        self,
        received: Received,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str = LOCAL_SIGN_NAME,
        registered: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.received = received
        self._clock = clock
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.registered = dict(
            registered
            if registered is not None
            else {code: SMS_TEMPLATES[name].text for name, code in LOCAL_TEMPLATE_CODES.items()}
        )
        self.failing = False
        self.stalling = 0.0  # seconds to wait before answering (tests)
        self._nonces: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        params = {
            k: v for k, v in (request.form if request.method == "POST" else request.args).items()
        }
        problem = self._authenticate(request.method, params)
        if problem is not None:
            return problem
        if self.stalling:
            # Takes the message, then answers too late: the sender cannot know it went out.
            answer = self._send(params)
            time.sleep(self.stalling)
            return answer
        if self.failing:
            return _rpc_error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )
        return self._send(params)

    def _authenticate(self, method: str, params: dict[str, str]) -> Response | None:
        signature = params.pop("Signature", "")
        for name in (
            "AccessKeyId",
            "Action",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "Timestamp",
            "Version",
        ):
            if not params.get(name):
                return _rpc_error(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return _rpc_error(
                400, "InvalidSignatureMethod", "Specified signature method is not supported."
            )
        if params["AccessKeyId"] != self.access_key_id:
            return _rpc_error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        expected = documented_signature(method, params, self.access_key_secret)
        if not hmac.compare_digest(signature, expected):
            return _rpc_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        try:
            at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _rpc_error(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        now = self._clock()
        if abs(now - at) > timedelta(minutes=15):
            return _rpc_error(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        with self._lock:
            self._nonces = {
                n: t for n, t in self._nonces.items() if now - t < timedelta(minutes=15)
            }
            if params["SignatureNonce"] in self._nonces:
                return _rpc_error(
                    400, "SignatureNonceUsed", "Specified signature nonce was used already."
                )
            self._nonces[params["SignatureNonce"]] = now
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return _rpc_error(
                400,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            )
        return None

    def _send(self, params: dict[str, str]) -> Response:
        phone = params.get("PhoneNumbers", "")
        if params.get("SignName") != self.sign_name:
            return _sms_answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        text = self.registered.get(params.get("TemplateCode", ""))
        if text is None:
            return _sms_answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return _sms_answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        wanted = set(Template(text).get_identifiers())
        if not isinstance(values, dict) or set(values) != wanted:
            return _sms_answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            return _sms_answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        biz_id = f"{uuid.uuid4().int % 10**18}^0"
        self.received.add(
            {
                "at": self._clock().isoformat(timespec="seconds"),
                "phone": f"{phone[:3]}****{phone[-4:]}",
                "sign_name": params["SignName"],
                "template_code": params["TemplateCode"],
                "params": values,
                "text": f"【{params['SignName']}】" + Template(text).safe_substitute(values),
                "out_id": params.get("OutId", ""),
                "biz_id": biz_id,
            }
        )
        return _sms_answer("OK", "OK", BizId=biz_id)


def _rpc_error(status: int, code: str, message: str) -> Response:
    body = {
        "RequestId": str(uuid.uuid4()).upper(),
        "HostId": "dysmsapi.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}",
    }
    return Response(json.dumps(body), status=status, content_type="application/json;charset=utf-8")


def _sms_answer(code: str, message: str, **extra: str) -> Response:
    body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra}
    return Response(
        json.dumps(body, ensure_ascii=False), content_type="application/json;charset=utf-8"
    )


# -- SMTP --------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """An SMTP relay on 127.0.0.1 (aiosmtpd) that wants the account's login, optionally offers
    STARTTLS, keeps every message in `received`, and answers 451 while `failing` is set."""

    def __init__(
        self,
        received: Received,
        username: str,
        password: str,
        tls_context: Any = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        implicit_tls: bool = False,
    ) -> None:
        self.received = received
        self.username = username
        self.password = password
        self.host = host
        self.port = port or free_port(host)
        self.failing = False
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        sink = self

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            login = getattr(data, "login", b"") or b""
            password = getattr(data, "password", b"") or b""
            good = hmac.compare_digest(login, sink.username.encode()) and hmac.compare_digest(
                password, sink.password.encode()
            )
            return AuthResult(success=good, handled=False)

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if sink.failing:
                    return "451 4.3.0 Mail server temporarily unavailable"
                sink.keep(envelope)
                return "250 2.0.0 OK: queued"

        tls = self._tls_context is not None
        self._controller = Controller(
            Handler(),
            hostname=self.host,
            port=self.port,
            authenticator=authenticate,
            auth_required=True,
            # Locally the sink speaks plain SMTP on loopback; with a certificate it speaks TLS
            # from the first byte (implicit, port 465 style) or requires STARTTLS before the
            # login (port 587 style), as a real relay does.
            auth_require_tls=tls and not self._implicit_tls,
            require_starttls=tls and not self._implicit_tls,
            tls_context=None if self._implicit_tls else self._tls_context,
            ssl_context=self._tls_context if self._implicit_tls else None,
        )
        self._controller.start()

    def keep(self, envelope: Any) -> None:
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        self.received.add(
            {
                "at": _now().isoformat(timespec="seconds"),
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": str(message["Subject"] or ""),
                "body": body.get_content() if body is not None else "",
                "message_id": str(message["Message-ID"] or ""),
            }
        )

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
