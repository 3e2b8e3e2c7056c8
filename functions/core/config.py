"""Configuration, parsed once when a function starts, failing fast when something is missing."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Identity:
    """Where staff tokens come from: the Cognito user pool (moto's, locally)."""

    issuer: str
    jwks_url: str
    client_id: str
    user_pool_id: str


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


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    photo_bucket: str
    encryption_key: bytes
    lookup_key: bytes
    signing_key: bytes
    public_url: str = "http://127.0.0.1:8000"
    sender_email: str = "whistle@yushan.example"
    sms_sender: str = "YUSHAN"
    identity: Identity | None = None
    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    registry_cache_seconds: int = 60
    purge_after_days: int = 180
    limits: Limits = field(default_factory=Limits)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    webhook_override: str | None = None  # local stack: robots post to the dev sink
    # The secret CloudFront sends to the API as X-Whistle-Edge: when set, the API answers
    # nothing that did not come through the edge, and trusts the edge's viewer address.
    edge_secret: str | None = None

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
        identity = None
        if env.get("WHISTLE_COGNITO_POOL_ID"):
            identity = Identity(
                issuer=need("WHISTLE_COGNITO_ISSUER"),
                jwks_url=need("WHISTLE_COGNITO_JWKS_URL"),
                client_id=need("WHISTLE_COGNITO_CLIENT_ID"),
                user_pool_id=need("WHISTLE_COGNITO_POOL_ID"),
            )
        defaults = Limits()
        return cls(
            stage=env.get("WHISTLE_STAGE", "local"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            table_prefix=need("WHISTLE_TABLE_PREFIX"),
            photo_bucket=need("WHISTLE_PHOTO_BUCKET"),
            encryption_key=secrets.encryption_key,
            lookup_key=secrets.lookup_key,
            signing_key=secrets.signing_key,
            public_url=env.get("WHISTLE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            sender_email=env.get("WHISTLE_SENDER_EMAIL", "whistle@yushan.example"),
            sms_sender=env.get("WHISTLE_SMS_SENDER", "YUSHAN"),
            identity=identity,
            endpoint_url=env.get("WHISTLE_AWS_ENDPOINT") or None,
            public_endpoint_url=env.get("WHISTLE_PUBLIC_AWS_ENDPOINT") or None,
            registry_cache_seconds=number("WHISTLE_REGISTRY_CACHE_SECONDS", 60),
            purge_after_days=number("WHISTLE_PURGE_AFTER_DAYS", 180),
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
            edge_secret=env.get("WHISTLE_EDGE_SECRET") or secrets.edge_secret,
        )


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
    webhook_secrets: dict[str, str]
    edge_secret: str | None = None


def _read_secrets(env: Mapping[str, str]) -> _Secrets:
    """Keys from one SSM SecureString parameter (AWS) or from the environment (local).

    The parameter holds {"encryption_key", "lookup_key", "signing_key": base64 of 32 bytes,
    "webhook_secrets": {department id: robot signing secret}}; it is read once per cold start
    so the keys never sit in the function's configuration.
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
            "webhook_secrets": json.loads(env.get("WHISTLE_WEBHOOK_SECRETS", "{}")),
        }
    missing = [k for k in ("encryption_key", "lookup_key", "signing_key") if not data.get(k)]
    if missing:
        raise ConfigurationError(
            "Missing keys: " + ", ".join(missing) + " (set WHISTLE_SECRETS_PARAMETER, or "
            "WHISTLE_ENCRYPTION_KEY, WHISTLE_LOOKUP_KEY and WHISTLE_SIGNING_KEY)"
        )
    return _Secrets(
        encryption_key=_decode_key("encryption_key", data["encryption_key"]),
        lookup_key=_decode_key("lookup_key", data["lookup_key"]),
        signing_key=_decode_key("signing_key", data["signing_key"]),
        webhook_secrets={str(k): str(v) for k, v in (data.get("webhook_secrets") or {}).items()},
        edge_secret=data.get("edge_secret") or None,
    )
