"""Mainland China mobile numbers: normalisation, validation and masking (PIPL: show the minimum)."""

from __future__ import annotations

import re

from .errors import invalid
from .text import ascii_digits

# Mainland mobile numbers are 11 digits starting 13–19 (MIIT numbering plan). ASCII digits
# only: `\d` would also take "１３８…" and "١٣٨…", and such a number would be hashed,
# counted and masked as another number than the one it stands for.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalise_mobile(raw: str) -> str:
    """Return the 11-digit number in ASCII digits, accepting digits of any script, spaces,
    dashes and a +86 / 0086 prefix."""
    text = _SEPARATORS.sub("", ascii_digits(raw))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if not _MOBILE.fullmatch(text):
        raise invalid("phone", "invalid_phone", "Enter a mainland China mobile number (11 digits).")
    return text


def mask_mobile(number: str) -> str:
    """138****1234: the first three and last four digits, as Chinese services show them."""
    return f"{number[:3]}****{number[-4:]}"
