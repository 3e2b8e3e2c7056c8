import pytest

from functions.core.adapters.vault import AesGcmVault


def vault():
    return AesGcmVault(b"k" * 32, b"h" * 32)


def test_a_sealed_phone_opens_to_the_number_and_never_contains_it():
    sealed = vault().seal_phone("13812345678")
    assert "13812345678" not in sealed.ciphertext
    assert sealed.masked == "138****5678"
    assert vault().open_phone(sealed) == "13812345678"


def test_sealing_twice_gives_different_ciphertexts_but_the_same_lookup_hash():
    a, b = vault().seal_phone("13812345678"), vault().seal_phone("13812345678")
    assert a.ciphertext != b.ciphertext
    assert a.lookup == b.lookup


def test_a_secret_sealed_for_one_purpose_cannot_be_opened_for_another():
    sealed = vault().seal("case-token", "abc")
    with pytest.raises(ValueError):
        vault().open("phone", sealed)


def test_another_key_cannot_open_a_sealed_secret():
    sealed = vault().seal("phone", "13812345678")
    with pytest.raises(ValueError):
        AesGcmVault(b"x" * 32, b"h" * 32).open("phone", sealed)


def test_the_vault_refuses_short_keys():
    with pytest.raises(ValueError):
        AesGcmVault(b"short", b"h" * 32)
