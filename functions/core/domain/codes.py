"""Human case codes such as YS-2611-27-0042: district prefix, year+month, day, a random number."""

from __future__ import annotations

import re
from datetime import datetime

from .clock import CHINA_TZ, IdSource

CODE_PATTERN = re.compile(r"[A-Z]{2,4}-[0-9]{4}-[0-9]{2}-[0-9]{4,8}")


def new_case_code(prefix: str, at: datetime, ids: IdSource, attempt: int = 0) -> str:
    """A code readable on a phone; the number widens on each retry after a collision.

    The code is not a secret (the case token is); it only has to be unique, which the
    store guarantees with a conditional write.
    """
    local = at.astimezone(CHINA_TZ)
    number = ids.digits(4 + attempt)
    return f"{prefix}-{local:%y%m}-{local:%d}-{number}"


def is_case_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text) is not None
