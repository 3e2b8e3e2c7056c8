"""The pieces of staff identity on their own: TOTP against RFC 6238's vectors, scrypt hashes
that carry their parameters, Whistle's access tokens, and the password rule."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from functions.core.adapters.passwords import ScryptHasher
from functions.core.adapters.sessions import HmacAccessTokens, encode
from functions.core.domain.accounts import check_new_password
from functions.core.domain.errors import InvalidInput, Unauthorized
from functions.core.domain.totp import accepted_step, code_at, provisioning_uri, step_of

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
NOW = datetime.fromisoformat("2026-11-27T02:00:00+00:00")


@pytest.mark.parametrize(
    ("unix", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (20000000000, "353130")],
)
def test_codes_are_rfc_6238s(unix, code):
    # RFC 6238 appendix B (SHA-1), the last six of its eight digits.
    assert code_at(RFC_SECRET, step_of(datetime.fromtimestamp(unix, UTC))) == code


def test_a_code_of_the_step_before_or_after_is_accepted_but_not_two_away():
    step = step_of(NOW)
    assert accepted_step(RFC_SECRET, code_at(RFC_SECRET, step - 1), NOW, 0) == step - 1
    assert accepted_step(RFC_SECRET, code_at(RFC_SECRET, step + 1), NOW, 0) == step + 1
    assert accepted_step(RFC_SECRET, code_at(RFC_SECRET, step - 2), NOW, 0) is None
    assert accepted_step(RFC_SECRET, "12345", NOW, 0) is None


def test_a_code_at_or_before_the_last_accepted_step_is_refused():
    step = step_of(NOW)
    code = code_at(RFC_SECRET, step)
    assert accepted_step(RFC_SECRET, code, NOW, step) is None
    assert accepted_step(RFC_SECRET, code, NOW, step - 1) == step


def test_the_provisioning_uri_names_issuer_account_and_secret():
    uri = provisioning_uri(RFC_SECRET, "clerk.zhao", "Whistle 吹哨")
    assert uri.startswith("otpauth://totp/Whistle%20%E5%90%B9%E5%93%A8%3Aclerk.zhao?")
    assert f"secret={RFC_SECRET}" in uri and "digits=6" in uri and "period=30" in uri


def test_a_hash_carries_its_parameters_and_verifies_only_its_password():
    hasher = ScryptHasher(4)
    stored = hasher.hash("Yushan-2026")
    scheme, params, _salt, _digest = stored.split("$")
    assert (scheme, params) == ("scrypt", "ln=4,r=8,p=1")
    assert hasher.hash("Yushan-2026") != stored  # a new salt each time
    assert hasher.verify("Yushan-2026", stored)
    assert not hasher.verify("yushan-2026", stored)
    assert not hasher.verify("Yushan-2026", None)
    assert not hasher.verify("Yushan-2026", "!")


def test_a_hash_made_under_another_cost_still_verifies_and_is_outdated():
    old = ScryptHasher(4).hash("Yushan-2026")
    newer = ScryptHasher(5)
    assert newer.verify("Yushan-2026", old)
    assert newer.outdated(old) and not newer.outdated(newer.hash("x"))


def test_an_unknown_account_costs_a_hash_check_too(monkeypatch):
    import functions.core.adapters.passwords as passwords

    costs = []
    original = passwords._scrypt
    monkeypatch.setattr(
        passwords,
        "_scrypt",
        lambda pw, salt, ln, r, p: costs.append(ln) or original(pw, salt, ln, r, p),
    )
    hasher = ScryptHasher(6)
    hasher.verify("guess", hasher.hash("real"))
    costs.clear()
    hasher.verify("guess", None)
    assert costs[-1] == 6


def test_the_production_cost_is_owasps():
    from functions.core.config import Identity

    assert Identity().password_cost == 17


TOKENS = HmacAccessTokens(b"k" * 32, 900)


def test_an_access_token_names_its_account_and_generation_and_expires():
    token, expires = TOKENS.issue("clerk.zhao", 3, NOW)
    claims = TOKENS.verify(f"Bearer {token}", NOW + timedelta(minutes=14))
    assert (claims.username, claims.generation) == ("clerk.zhao", 3)
    assert expires == NOW + timedelta(minutes=15)
    with pytest.raises(Unauthorized):
        TOKENS.verify(token, NOW + timedelta(minutes=16))


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
        lambda t: encode(
            {"iss": "whistle", "aud": "whistle-staff", "sub": "x", "gen": 0, "exp": 2**40},
            b"k" * 32,
            {"alg": "none"},
        ),
        lambda t: encode(
            {"iss": "whistle", "aud": "whistle-staff", "sub": "x", "gen": 0, "exp": 2**40},
            b"o" * 32,
        ),
        lambda t: encode(
            {"iss": "whistle", "aud": "other", "sub": "x", "gen": 0, "exp": 2**40}, b"k" * 32
        ),
        lambda t: "not.a.token",
        lambda t: "",
    ],
    ids=["tampered", "alg-none", "other-key", "other-audience", "garbage", "empty"],
)
def test_anything_but_our_own_valid_token_is_refused(forge):
    token, _ = TOKENS.issue("clerk.zhao", 0, NOW)
    with pytest.raises(Unauthorized):
        TOKENS.verify(forge(token), NOW)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1A", "password_length"),
        ("onlyletterslong", "password_too_simple"),
        ("1234567890123", "password_too_simple"),
        ("clerk.zhao-2026", "password_has_username"),
        ("Old-password-1", "password_unchanged"),
    ],
)
def test_a_chosen_password_is_long_mixed_and_new(password, problem):
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, "clerk.zhao", "Old-password-1")
    assert problem in [d.code for d in refused.value.details]
    check_new_password("Yushan-2026-ok", "clerk.zhao", "Old-password-1")
