"""What counts as words in free text, and digits as ASCII: the rules every text field and
every number a person types are held to, whichever door they came through."""

from __future__ import annotations

import unicodedata

# Line breaks and tabs are how people lay out a description; every other control character
# (C0, DEL, C1) is no text anyone typed.
_LAYOUT = frozenset("\t\n\r")

# Characters that draw nothing although their category says letter or symbol: Hangul fillers,
# the braille blank, the Khmer inherent vowels and the Mongolian vowel separator.
_BLANK_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")

# Categories that draw nothing by themselves: format characters (zero-width space and joiners,
# bidi marks and overrides, the BOM), separators, combining marks, private use, unassigned.
_INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Co", "Cn"})


class TextProblem(ValueError):
    """Why a text is refused: `code` is stable for clients, the message says it in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def visible_length(text: str) -> int:
    """How many characters of `text` a reader would see."""
    return sum(1 for char in text if _visible(char))


def _visible(char: str) -> bool:
    if char in _BLANK_LETTERS or char.isspace():
        return False
    category = unicodedata.category(char)
    return category not in _INVISIBLE and category not in ("Cc", "Cs")


def check_text(text: str, min_visible: int = 0) -> None:
    """Refuse control characters, lone surrogates and noncharacters anywhere, and text with
    fewer than `min_visible` visible characters (five zero-width spaces are no description)."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in _LAYOUT:
            raise TextProblem("control_character", "contains a control character")
        if category == "Cs":
            raise TextProblem("invalid_text", "contains a lone surrogate (not Unicode text)")
        code = ord(char)
        if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
            raise TextProblem("invalid_text", "contains a Unicode noncharacter")
    if visible_length(text) < min_visible:
        raise TextProblem("too_short", f"must hold at least {min_visible} visible characters")


def ascii_digits(text: str) -> str:
    """Every decimal digit of any script as its ASCII digit ("１３８" and "١٣٨" become "138");
    everything else unchanged."""
    return "".join(_ascii_digit(char) for char in text)


def _ascii_digit(char: str) -> str:
    if "0" <= char <= "9" or not char.isdecimal():
        return char
    return str(unicodedata.decimal(char))


def is_ascii_digits(text: str, length: int | None = None) -> bool:
    """Only 0-9 (str.isdigit() also takes "２０２７" and "٢٠٢٧"), of `length` if given."""
    return (
        bool(text)
        and all("0" <= char <= "9" for char in text)
        and (length is None or len(text) == length)
    )
