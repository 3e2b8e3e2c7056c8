"""What a deployed SPA reads (`/config.json`) and the keys a new stage starts with."""

from __future__ import annotations

import base64

from functions.core.config import Settings
from infra.site import new_secrets, spa_config

OUTPUTS = {"Region": "ap-east-1", "StaffIssuer": "https://id.example.cn/realm"}


def test_with_cognito_the_spa_signs_in_at_the_regions_user_pool():
    config = spa_config("prod", {**OUTPUTS, "UserPoolId": "pool", "UserPoolClientId": "client"})
    assert config == {
        "api": "/api",
        "stage": "prod",
        "region": "ap-east-1",
        "sample": False,
        "cognito": {
            "endpoint": "https://cognito-idp.ap-east-1.amazonaws.com/",
            "region": "ap-east-1",
            "clientId": "client",
        },
    }


def test_with_an_external_provider_the_spa_gets_its_issuer_and_client():
    config = spa_config("prod", {**OUTPUTS, "Region": "cn-northwest-1", "StaffClientId": "spa"})
    assert "cognito" not in config
    assert config["identity"] == {"issuer": "https://id.example.cn/realm", "clientId": "spa"}


def test_new_secrets_are_fresh_32_byte_keys_the_functions_accept():
    first, second = new_secrets(), new_secrets()
    for name in ("encryption_key", "lookup_key", "signing_key"):
        assert len(base64.b64decode(first[name])) == 32
        assert first[name] != second[name]
    assert first["webhook_secrets"] == {}
    settings = Settings.from_env(
        {
            "WHISTLE_TABLE_PREFIX": "whistle-prod-",
            "WHISTLE_PHOTO_BUCKET": "photos",
            "WHISTLE_ENCRYPTION_KEY": first["encryption_key"],
            "WHISTLE_LOOKUP_KEY": first["lookup_key"],
            "WHISTLE_SIGNING_KEY": first["signing_key"],
        }
    )
    assert settings.encryption_key == base64.b64decode(first["encryption_key"])
