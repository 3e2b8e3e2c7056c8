"""Staff access tokens are verified here, not trusted: signature, issuer, client, use, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from functions.core.adapters.tokens import JwksTokenVerifier
from functions.core.domain.errors import Unauthorized
from tests.fakes import FixedClock, TokenFactory

NOW = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
FACTORY = TokenFactory()


def verifier(jwks=None, clock=None, fetches=None):
    def fetch(url):
        if fetches is not None:
            fetches.append(url)
        return jwks or FACTORY.jwks()

    return JwksTokenVerifier(
        jwks_url="https://idp.test/jwks.json",
        issuer=TokenFactory.ISSUER,
        client_id=TokenFactory.CLIENT_ID,
        clock=clock or FixedClock(NOW),
        fetch=fetch,
    )


def test_a_valid_token_gives_its_claims_and_groups():
    claims = verifier().verify(
        "Bearer " + FACTORY.token("community.c01", ["community:c01"], now=NOW)
    )
    assert claims["username"] == "community.c01"
    assert claims["cognito:groups"] == ["community:c01"]


def test_a_tampered_token_is_refused():
    token = FACTORY.token("community.c01", ["community:c01"], now=NOW)
    header, payload, signature = token.split(".")
    forged_claims = FACTORY.token("community.c01", ["district"], now=NOW).split(".")[1]
    with pytest.raises(Unauthorized):
        verifier().verify(f"{header}.{forged_claims}.{signature}")
    with pytest.raises(Unauthorized):
        verifier().verify(f"{header}.{payload}.{signature[:-4]}AAAA")


def test_a_token_signed_by_another_key_is_refused():
    other = TokenFactory(kid=FACTORY.kid)  # same key id, different key: a foreign pool
    with pytest.raises(Unauthorized):
        verifier().verify(other.token("district.admin", ["district"], now=NOW))


@pytest.mark.parametrize(
    "claims",
    [
        {"client_id": "another-client"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER"},
        {"token_use": "id"},
        {"exp": int((NOW - timedelta(minutes=5)).timestamp())},
        {"username": ""},
    ],
)
def test_wrong_audience_issuer_use_expiry_or_user_are_refused(claims):
    with pytest.raises(Unauthorized):
        verifier().verify(FACTORY.token("district.admin", ["district"], now=NOW, **claims))


def test_an_unknown_key_id_is_refused_after_looking_once_more():
    fetches: list[str] = []
    check = verifier(fetches=fetches)
    token = FACTORY.token("district.admin", ["district"], now=NOW, kid="rotated-away")
    with pytest.raises(Unauthorized):
        check.verify(token)
    with pytest.raises(Unauthorized):
        check.verify(token)
    assert len(fetches) == 1  # forged key ids do not make us fetch on every request


def test_the_key_set_is_cached_and_refreshed_after_an_hour():
    fetches: list[str] = []
    clock = FixedClock(NOW)
    check = verifier(clock=clock, fetches=fetches)
    for _ in range(3):
        check.verify(FACTORY.token("district.admin", ["district"], now=clock.now()))
    assert len(fetches) == 1
    clock.advance(hours=2)
    check.verify(FACTORY.token("district.admin", ["district"], now=clock.now()))
    assert len(fetches) == 2


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "Bearer ", "x.y"])
def test_garbage_is_refused(junk):
    with pytest.raises(Unauthorized):
        verifier().verify(junk)
