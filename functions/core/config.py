"""Configuration, parsed once when a function starts, failing fast when something is missing."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any, TypeVar

from .domain.accounts import LockoutPolicy
from .domain.messages import SMS_TEMPLATES
from .domain.metrics import HotspotRule


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class WeComApp:
    """A WeCom (企业微信) self-built app staff sign in through."""

    corp_id: str
    agent_id: str
    secret: str


@dataclass(frozen=True)
class DingTalkApp:
    """A DingTalk (钉钉) app staff sign in through."""

    client_id: str  # the app's AppKey
    client_secret: str


@dataclass(frozen=True)
class WorkChatEndpoints:
    wecom_api: str = "https://qyapi.weixin.qq.com"
    dingtalk_api: str = "https://api.dingtalk.com"
    dingtalk_oapi: str = "https://oapi.dingtalk.com"


App = TypeVar("App", WeComApp, DingTalkApp)


@dataclass(frozen=True)
class WorkChatApps:
    """Work-chat sign-in (from the secrets): a WeCom app (corp id, agent id, secret) and/or
    a DingTalk app (AppKey, AppSecret), and the platforms' base addresses."""

    wecom: WeComApp | None = None
    dingtalk: DingTalkApp | None = None
    endpoints: WorkChatEndpoints = field(default_factory=WorkChatEndpoints)


@dataclass(frozen=True)
class Identity:
    """Staff sign-in, the same in every region: accounts and sessions are Whistle's own."""

    access_token_seconds: int = 900  # 15 minutes; the refresh token renews it
    session_hours: int = 12  # a sign-in lasts a working day, however often it is renewed
    account_cache_seconds: int = 5  # how stale the authorizer's view of an account may be
    # log2 of scrypt's N: 2**17 with r=8, p=1 (128 MiB) is OWASP's recommendation.
    password_cost: int = 17
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    sign_ins_per_address: int = 60
    sign_in_window_seconds: int = 900
    totp_issuer: str = "Whistle 吹哨"
    work_chat: WorkChatApps = field(default_factory=WorkChatApps)


@dataclass(frozen=True)
class Limits:
    """Abuse limits (fixed windows: DESIGN §7, README "Security")."""

    reports_per_phone: int = 5
    phone_window_seconds: int = 3600
    reports_per_address: int = 30
    address_window_seconds: int = 3600
    reports_per_key: int = 600  # an Open311 client reports for many residents
    reports_per_staff: int = 60  # a grid worker or property company, per account
    uploads_per_address: int = 200  # photo upload tickets: six photos a report, and retries
    webhook_per_minute: int = 20  # WeCom / DingTalk / Feishu robots allow 20 a minute
    sign_in_codes_per_phone: int = 5  # residents' SMS codes: each one an SMS paid for
    sign_in_codes_per_address: int = 20
    sign_in_window_seconds: int = 3600


SMS_PROVIDERS = ("sns", "aliyun")
MAIL_PROVIDERS = ("ses", "smtp")
SMTP_SECURITY = ("starttls", "tls", "none")
ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com"


@dataclass(frozen=True)
class Nearby:
    """What a resident is shown of open cases while reporting (相似问题)."""

    # The similarity (0 … 1, functions/core/domain/similarity.py) from which an open case is
    # offered as "likely the same problem": chosen on the labelled pairs in BENCHMARKS.md.
    duplicate_threshold: float = 0.18
    radius_m: int = 300  # with a location: open cases reported within this distance
    window_days: int = 42  # how far back open cases are looked for (the last six weeks)
    fixed_days: int = 30  # a compound's page: problems fixed in the last days


@dataclass(frozen=True)
class MapTiles:
    """An optional tile layer under the hotspots' map (production configuration; the map needs
    none): an XYZ template such as https://tiles.example.cn/{z}/{x}/{y}.png and the line of
    attribution its provider asks for."""

    url: str
    attribution: str = ""

    @property
    def origin(self) -> str:
        """What the Content-Security-Policy's img-src must allow."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def map_tiles(env: Mapping[str, str]) -> MapTiles | None:
    """WHISTLE_MAP_TILES (https, with {z}, {x} and {y}) and WHISTLE_MAP_ATTRIBUTION."""
    url = (env.get("WHISTLE_MAP_TILES") or "").strip()
    if not url:
        return None
    local = url.startswith(("http://127.0.0.1", "http://localhost"))
    if not (url.startswith("https://") or local) or not all(
        part in url for part in ("{z}", "{x}", "{y}")
    ):
        raise ConfigurationError(
            "WHISTLE_MAP_TILES is an https:// address with {z}, {x} and {y} in it"
        )
    return MapTiles(url, (env.get("WHISTLE_MAP_ATTRIBUTION") or "").strip())


@dataclass(frozen=True)
class AliyunSms:
    """Alibaba Cloud SMS (Dysmsapi): the RAM user's AccessKey, the district's registered
    signature (签名) and the code of each registered template (模板), by Whistle's name."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    sign_name: str
    templates: dict[str, str]
    endpoint: str = ALIYUN_SMS_ENDPOINT


@dataclass(frozen=True)
class Smtp:
    """A mail relay (the government mail system, or a domestic relay). `security` is
    "starttls" (usually port 587 or 25), "tls" (implicit TLS, usually 465) or "none" (only
    for a relay on this machine, such as the local stack's sink)."""

    host: str
    port: int
    security: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = None  # a private CA that signed the relay's certificate, if any
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Messaging:
    """Who sends SMS and e-mail. SNS and SES where AWS offers them; in the China regions
    (neither is offered there) Alibaba Cloud SMS and an SMTP relay."""

    sms_provider: str = "sns"
    mail_provider: str = "ses"
    sms_sign_name: str = "雨山区吹哨"  # SNS: written in front of the text at send time
    ses_region: str | None = None
    aliyun: AliyunSms | None = None
    smtp: Smtp | None = None


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    photo_bucket: str
    encryption_key: bytes
    lookup_key: bytes
    signing_key: bytes
    session_key: bytes
    public_url: str = "http://127.0.0.1:8000"
    sender_email: str = "whistle@yushan.example"
    sms_sender: str = "YUSHAN"
    identity: Identity = field(default_factory=Identity)
    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    registry_cache_seconds: int = 60
    purge_after_days: int = 180
    digest_at: time = time(8, 30)  # China time of the daily escalation digest (督办汇总)
    limits: Limits = field(default_factory=Limits)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    webhook_override: str | None = None  # local stack: robots post to the dev sink
    messaging: Messaging = field(default_factory=Messaging)
    # The secret CloudFront sends to the API as X-Whistle-Edge: when set, the API answers
    # nothing that did not come through the edge, and trusts the edge's viewer address.
    edge_secret: str | None = None
    hotspots: HotspotRule = field(default_factory=HotspotRule)
    nearby: Nearby = field(default_factory=Nearby)
    map_tiles: MapTiles | None = None  # a tile layer under the hotspots' map, if any

    def table_name(self, base: str) -> str:
        return f"{self.table_prefix}{base}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def need(name: str) -> str:
            value = env.get(name)
            if not value:
                raise ConfigurationError(f"{name} is not set")
            return value

        def number(name: str, default: int) -> int:
            try:
                return int(env.get(name, default))
            except ValueError as error:
                raise ConfigurationError(f"{name} is not a number") from error

        secrets = _read_secrets(env)
        defaults = Limits()
        staff = Identity()
        endpoints = WorkChatEndpoints()
        identity = Identity(
            access_token_seconds=number("WHISTLE_ACCESS_TOKEN_SECONDS", staff.access_token_seconds),
            session_hours=number("WHISTLE_SESSION_HOURS", staff.session_hours),
            account_cache_seconds=number(
                "WHISTLE_ACCOUNT_CACHE_SECONDS", staff.account_cache_seconds
            ),
            password_cost=number("WHISTLE_PASSWORD_COST", staff.password_cost),
            lockout=LockoutPolicy(
                max_failures=number("WHISTLE_SIGN_IN_FAILURES", staff.lockout.max_failures),
                lock_minutes=number("WHISTLE_LOCK_MINUTES", staff.lockout.lock_minutes),
            ),
            sign_ins_per_address=number("WHISTLE_SIGN_INS_PER_ADDRESS", staff.sign_ins_per_address),
            work_chat=WorkChatApps(
                wecom=secrets.wecom,
                dingtalk=secrets.dingtalk,
                endpoints=WorkChatEndpoints(
                    wecom_api=env.get("WHISTLE_WECOM_API", endpoints.wecom_api),
                    dingtalk_api=env.get("WHISTLE_DINGTALK_API", endpoints.dingtalk_api),
                    dingtalk_oapi=env.get("WHISTLE_DINGTALK_OAPI", endpoints.dingtalk_oapi),
                ),
            ),
        )
        return cls(
            stage=env.get("WHISTLE_STAGE", "local"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            table_prefix=need("WHISTLE_TABLE_PREFIX"),
            photo_bucket=need("WHISTLE_PHOTO_BUCKET"),
            encryption_key=secrets.encryption_key,
            lookup_key=secrets.lookup_key,
            signing_key=secrets.signing_key,
            session_key=secrets.session_key,
            public_url=env.get("WHISTLE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            sender_email=env.get("WHISTLE_SENDER_EMAIL", "whistle@yushan.example"),
            sms_sender=env.get("WHISTLE_SMS_SENDER", "YUSHAN"),
            identity=identity,
            endpoint_url=env.get("WHISTLE_AWS_ENDPOINT") or None,
            public_endpoint_url=env.get("WHISTLE_PUBLIC_AWS_ENDPOINT") or None,
            registry_cache_seconds=number("WHISTLE_REGISTRY_CACHE_SECONDS", 60),
            purge_after_days=number("WHISTLE_PURGE_AFTER_DAYS", 180),
            digest_at=_time_of_day("WHISTLE_DIGEST_AT", env.get("WHISTLE_DIGEST_AT") or "08:30"),
            limits=Limits(
                reports_per_phone=number("WHISTLE_REPORTS_PER_PHONE", defaults.reports_per_phone),
                phone_window_seconds=number(
                    "WHISTLE_PHONE_WINDOW_SECONDS", defaults.phone_window_seconds
                ),
                reports_per_address=number(
                    "WHISTLE_REPORTS_PER_ADDRESS", defaults.reports_per_address
                ),
                address_window_seconds=number(
                    "WHISTLE_ADDRESS_WINDOW_SECONDS", defaults.address_window_seconds
                ),
                reports_per_key=number("WHISTLE_REPORTS_PER_KEY", defaults.reports_per_key),
                reports_per_staff=number("WHISTLE_REPORTS_PER_STAFF", defaults.reports_per_staff),
                uploads_per_address=number(
                    "WHISTLE_UPLOADS_PER_ADDRESS", defaults.uploads_per_address
                ),
                webhook_per_minute=number(
                    "WHISTLE_WEBHOOK_PER_MINUTE", defaults.webhook_per_minute
                ),
            ),
            webhook_secrets=secrets.webhook_secrets,
            webhook_override=env.get("WHISTLE_WEBHOOK_OVERRIDE") or None,
            messaging=messaging_settings(env, secrets.raw),
            edge_secret=env.get("WHISTLE_EDGE_SECRET") or secrets.edge_secret,
            hotspots=HotspotRule(
                cases=number("WHISTLE_HOTSPOT_CASES", HotspotRule.cases),
                days=number("WHISTLE_HOTSPOT_DAYS", HotspotRule.days),
                rise=float(number("WHISTLE_HOTSPOT_RISE_PERCENT", 200)) / 100,
                rise_cases=number("WHISTLE_HOTSPOT_RISE_CASES", HotspotRule.rise_cases),
            ),
            nearby=nearby_settings(env),
            map_tiles=map_tiles(env),
        )


def _time_of_day(name: str, text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not a time of day such as 08:30") from error


def nearby_settings(env: Mapping[str, str]) -> Nearby:
    """WHISTLE_DUPLICATE_THRESHOLD (0 … 1), WHISTLE_NEARBY_RADIUS_M, WHISTLE_NEARBY_DAYS,
    WHISTLE_FIXED_DAYS; a value that is no number, or out of range, stops the function."""
    defaults = Nearby()
    try:
        nearby = Nearby(
            duplicate_threshold=float(
                env.get("WHISTLE_DUPLICATE_THRESHOLD", defaults.duplicate_threshold)
            ),
            radius_m=int(env.get("WHISTLE_NEARBY_RADIUS_M", defaults.radius_m)),
            window_days=int(env.get("WHISTLE_NEARBY_DAYS", defaults.window_days)),
            fixed_days=int(env.get("WHISTLE_FIXED_DAYS", defaults.fixed_days)),
        )
    except ValueError as error:
        raise ConfigurationError(f"a WHISTLE_NEARBY setting is not a number: {error}") from error
    if not 0 < nearby.duplicate_threshold <= 1:
        raise ConfigurationError("WHISTLE_DUPLICATE_THRESHOLD is between 0 and 1")
    if min(nearby.radius_m, nearby.window_days, nearby.fixed_days) < 1:
        raise ConfigurationError("WHISTLE_NEARBY_RADIUS_M, _DAYS and WHISTLE_FIXED_DAYS are ≥ 1")
    return nearby


def messaging_settings(env: Mapping[str, str], secrets: Mapping[str, Any]) -> Messaging:
    """The providers chosen by WHISTLE_SMS_PROVIDER and WHISTLE_MAIL_PROVIDER, with their
    settings from the secrets (`aliyun_sms`, `smtp`); a chosen provider without complete
    settings stops the function at its start, not at its first message."""
    sms = env.get("WHISTLE_SMS_PROVIDER") or "sns"
    mail = env.get("WHISTLE_MAIL_PROVIDER") or "ses"
    if sms not in SMS_PROVIDERS:
        raise ConfigurationError(f"WHISTLE_SMS_PROVIDER is {sms!r}, not one of {SMS_PROVIDERS}")
    if mail not in MAIL_PROVIDERS:
        raise ConfigurationError(f"WHISTLE_MAIL_PROVIDER is {mail!r}, not one of {MAIL_PROVIDERS}")
    return Messaging(
        sms_provider=sms,
        mail_provider=mail,
        sms_sign_name=env.get("WHISTLE_SMS_SIGN_NAME") or Messaging.sms_sign_name,
        ses_region=env.get("WHISTLE_SES_REGION") or None,
        aliyun=_aliyun(secrets.get("aliyun_sms")) if sms == "aliyun" else None,
        smtp=_smtp(secrets.get("smtp")) if mail == "smtp" else None,
    )


def _section(name: str, value: Any, required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"the secrets have no {name!r} settings")
    missing = [k for k in required if not value.get(k)]
    if missing:
        raise ConfigurationError(f"the secrets' {name!r} settings lack " + ", ".join(missing))
    return value


def _aliyun(value: Any) -> AliyunSms:
    section = _section(
        "aliyun_sms", value, ("access_key_id", "access_key_secret", "sign_name", "templates")
    )
    templates = section["templates"]
    if not isinstance(templates, Mapping):
        raise ConfigurationError("aliyun_sms.templates maps Whistle's template names to codes")
    unmapped = sorted(name for name in SMS_TEMPLATES if not templates.get(name))
    if unmapped:
        raise ConfigurationError(
            "aliyun_sms.templates has no template code for " + ", ".join(unmapped)
        )
    unknown = sorted(set(templates) - set(SMS_TEMPLATES))
    if unknown:
        raise ConfigurationError(
            "aliyun_sms.templates names unknown templates: " + ", ".join(unknown)
        )
    sign_name = str(section["sign_name"])
    if "【" in sign_name or "】" in sign_name:
        raise ConfigurationError("aliyun_sms.sign_name is the signature's name, without 【】")
    return AliyunSms(
        access_key_id=str(section["access_key_id"]),
        access_key_secret=str(section["access_key_secret"]),
        sign_name=sign_name,
        templates={str(k): str(v) for k, v in templates.items()},
        endpoint=str(section.get("endpoint") or ALIYUN_SMS_ENDPOINT).rstrip("/"),
    )


def _smtp(value: Any) -> Smtp:
    section = _section("smtp", value, ("host", "port", "security"))
    security = str(section["security"])
    if security not in SMTP_SECURITY:
        raise ConfigurationError(f"smtp.security is {security!r}, not one of {SMTP_SECURITY}")
    host = str(section["host"])
    if security == "none" and not _loopback(host):
        # Credentials and departments' mail never cross a network in clear.
        raise ConfigurationError("smtp.security 'none' is only for a relay on 127.0.0.1")
    try:
        port = int(section["port"])
        timeout = float(section.get("timeout_seconds") or Smtp.timeout_seconds)
    except (TypeError, ValueError) as error:
        raise ConfigurationError("smtp.port and smtp.timeout_seconds are numbers") from error
    if bool(section.get("username")) != bool(section.get("password")):
        raise ConfigurationError("smtp.username and smtp.password go together")
    return Smtp(
        host=host,
        port=port,
        security=security,
        username=str(section["username"]) if section.get("username") else None,
        password=str(section["password"]) if section.get("password") else None,
        ca_pem=str(section["ca_pem"]) if section.get("ca_pem") else None,
        timeout_seconds=timeout,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _decode_key(name: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not base64") from error
    if len(raw) != 32:
        raise ConfigurationError(f"{name} must decode to 32 bytes")
    return raw


@dataclass(frozen=True)
class _Secrets:
    encryption_key: bytes
    lookup_key: bytes
    signing_key: bytes
    session_key: bytes
    webhook_secrets: dict[str, str]
    raw: Mapping[str, Any] = field(repr=False)
    edge_secret: str | None = None
    wecom: WeComApp | None = None
    dingtalk: DingTalkApp | None = None


KEYS = ("encryption_key", "lookup_key", "signing_key", "session_key")
"""The 32-byte keys every stage has (generated for a new stage)."""


def _read_secrets(env: Mapping[str, str]) -> _Secrets:
    """Keys from one SSM SecureString parameter (AWS) or from the environment (local).

    The parameter holds {"encryption_key", "lookup_key", "signing_key", "session_key": base64
    of 32 bytes, "webhook_secrets": {department id: robot signing secret}}, optionally
    "wecom": {"corp_id", "agent_id", "secret"} and "dingtalk": {"client_id",
    "client_secret"} for work-chat sign-in, and, for the providers chosen, "aliyun_sms" and
    "smtp" (see AliyunSms and Smtp); it is read once per cold start so no key or password ever
    sits in the function's configuration. Locally the same sections come from WHISTLE_WECOM,
    WHISTLE_DINGTALK, WHISTLE_ALIYUN_SMS and WHISTLE_SMTP (JSON).
    """
    parameter = env.get("WHISTLE_SECRETS_PARAMETER")
    if parameter:
        import boto3

        ssm = boto3.client("ssm")
        value = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        data = json.loads(value)
    else:
        data = {
            "encryption_key": env.get("WHISTLE_ENCRYPTION_KEY"),
            "lookup_key": env.get("WHISTLE_LOOKUP_KEY"),
            "signing_key": env.get("WHISTLE_SIGNING_KEY"),
            "session_key": env.get("WHISTLE_SESSION_KEY"),
            "webhook_secrets": json.loads(env.get("WHISTLE_WEBHOOK_SECRETS", "{}")),
            "wecom": json.loads(env.get("WHISTLE_WECOM", "null")),
            "dingtalk": json.loads(env.get("WHISTLE_DINGTALK", "null")),
            "aliyun_sms": json.loads(env.get("WHISTLE_ALIYUN_SMS", "null")),
            "smtp": json.loads(env.get("WHISTLE_SMTP", "null")),
        }
    missing = [k for k in KEYS if not data.get(k)]
    if missing:
        raise ConfigurationError(
            "Missing keys: " + ", ".join(missing) + " (set WHISTLE_SECRETS_PARAMETER, or "
            "WHISTLE_ENCRYPTION_KEY, WHISTLE_LOOKUP_KEY, WHISTLE_SIGNING_KEY and "
            "WHISTLE_SESSION_KEY)"
        )
    return _Secrets(
        encryption_key=_decode_key("encryption_key", data["encryption_key"]),
        lookup_key=_decode_key("lookup_key", data["lookup_key"]),
        signing_key=_decode_key("signing_key", data["signing_key"]),
        session_key=_decode_key("session_key", data["session_key"]),
        webhook_secrets={str(k): str(v) for k, v in (data.get("webhook_secrets") or {}).items()},
        raw=data,
        wecom=_app(WeComApp, "wecom", data.get("wecom"), ("corp_id", "agent_id", "secret")),
        dingtalk=_app(
            DingTalkApp, "dingtalk", data.get("dingtalk"), ("client_id", "client_secret")
        ),
        edge_secret=data.get("edge_secret") or None,
    )


def _app(kind: type[App], name: str, value: Any, fields: tuple[str, ...]) -> App | None:
    """A work-chat app's settings from the secrets; None when the district has none."""
    if not value:
        return None
    if not isinstance(value, dict) or any(not value.get(f) for f in fields):
        raise ConfigurationError(f"{name} needs " + ", ".join(fields))
    return kind(**{f: str(value[f]) for f in fields})
