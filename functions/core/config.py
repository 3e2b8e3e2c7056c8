"""Configuration, parsed once when a function starts, failing fast when something is missing."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    photo_bucket: str
    encryption_key: bytes
    lookup_key: bytes
    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    registry_cache_seconds: int = 60

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

        encryption_key, lookup_key = _secrets(env)
        return cls(
            stage=env.get("WHISTLE_STAGE", "local"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "cn-north-1",
            table_prefix=need("WHISTLE_TABLE_PREFIX"),
            photo_bucket=need("WHISTLE_PHOTO_BUCKET"),
            encryption_key=encryption_key,
            lookup_key=lookup_key,
            endpoint_url=env.get("WHISTLE_AWS_ENDPOINT") or None,
            public_endpoint_url=env.get("WHISTLE_PUBLIC_AWS_ENDPOINT") or None,
            registry_cache_seconds=int(env.get("WHISTLE_REGISTRY_CACHE_SECONDS", "60")),
        )


def _decode_key(name: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not base64") from error
    if len(raw) != 32:
        raise ConfigurationError(f"{name} must decode to 32 bytes")
    return raw


def _secrets(env: Mapping[str, str]) -> tuple[bytes, bytes]:
    """Keys from the environment (local) or one SSM SecureString parameter (AWS).

    The parameter holds {"encryption_key": base64, "lookup_key": base64}; it is read once per
    cold start so the keys never sit in the function's configuration.
    """
    parameter = env.get("WHISTLE_SECRETS_PARAMETER")
    if parameter:
        import boto3

        ssm = boto3.client("ssm")
        value = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        data = json.loads(value)
        return (
            _decode_key("encryption_key", data["encryption_key"]),
            _decode_key("lookup_key", data["lookup_key"]),
        )
    encryption = env.get("WHISTLE_ENCRYPTION_KEY")
    lookup = env.get("WHISTLE_LOOKUP_KEY")
    if not encryption or not lookup:
        raise ConfigurationError(
            "Set WHISTLE_SECRETS_PARAMETER, or WHISTLE_ENCRYPTION_KEY and WHISTLE_LOOKUP_KEY"
        )
    return _decode_key("WHISTLE_ENCRYPTION_KEY", encryption), _decode_key(
        "WHISTLE_LOOKUP_KEY", lookup
    )
