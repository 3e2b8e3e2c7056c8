"""What a deployed SPA reads (`/config.json`) and the keys a new stage starts with."""

from __future__ import annotations

import base64

from functions.core.config import Settings
from infra.site import new_secrets, spa_config

OUTPUTS = {"Region": "ap-east-1", "SiteUrl": "https://d1.cloudfront.net"}


def test_the_spa_config_says_where_the_api_is_and_nothing_about_identity():
    assert spa_config("prod", OUTPUTS) == {
        "api": "/api",
        "stage": "prod",
        "region": "ap-east-1",
        "sample": False,
    }


def test_new_secrets_are_fresh_32_byte_keys_the_functions_accept():
    first, second = new_secrets(), new_secrets()
    for name in ("encryption_key", "lookup_key", "signing_key", "session_key"):
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
            "WHISTLE_SESSION_KEY": first["session_key"],
        }
    )
    assert settings.encryption_key == base64.b64decode(first["encryption_key"])
    assert settings.session_key == base64.b64decode(first["session_key"])
