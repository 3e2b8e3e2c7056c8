"""How alike two residents' descriptions of a problem are (相似问题), without any outside service.

Chinese has no spaces between words, so the unit is the character: a description becomes the
set of its character bigrams (two neighbouring characters — most Chinese words are two
characters long) and single characters (so that "灯坏了" and "路灯不亮" still share 灯),
compared by the Dice coefficient. Before that the text is made comparable:

- NFKC folds full-width letters, digits and punctuation into their half-width forms
  (３号楼 → 3号楼) and lower-cases Latin letters;
- Chinese numerals before a building or unit word become digits, and 栋/幢 become 号楼
  (三栋 → 3号楼), so "the same building" reads the same whichever way it was written;
- a short table of everyday synonyms maps residents' words to one form (电瓶车 → 电动车,
  窨井盖 → 井盖, 地库 → 地下车库 …);
- punctuation, whitespace and symbols are dropped, and so are words that every report carries
  and that say nothing about the problem (的, 了, 小区, 麻烦, 希望, 尽快 …).

The result is a number from 0 (nothing shared) to 1 (the same words). Which number makes a
"likely duplicate" is configuration, chosen on a labelled set of report pairs (BENCHMARKS.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

BUILDING_MISMATCH = 0.5
"""Two descriptions that each name a building, and no building in common, are most likely about
two places: their score is multiplied by this (not zeroed — a light between 3号楼 and 4号楼 is
"in front of 3" to one neighbour and "behind 4" to another)."""

_NUMERALS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_NUMERALS.update({"七": 7, "八": 8, "九": 9})

# A Chinese number (一 … 九十九) right before a word that numbers a building, unit or floor.
_NUMBERED = re.compile(r"([零一二两三四五六七八九十]{1,3})(?=号楼|号|栋|幢|单元|楼|层)")

# Residents' everyday variants of one thing, longest first so a longer phrase wins.
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("窨井盖", "井盖"),
    ("下水井盖", "井盖"),
    ("电瓶车", "电动车"),
    ("电车", "电动车"),
    ("地下停车场", "地下车库"),
    ("地库", "地下车库"),
    ("消防车道", "消防通道"),
    ("垃圾房", "垃圾站"),
    ("垃圾中转点", "垃圾站"),
    ("楼梯间", "楼道"),
    ("楼梯灯", "楼道灯"),
    ("声控灯", "楼道灯"),
    ("感应灯", "楼道灯"),
    ("僵尸车", "废弃车"),
    ("报废车", "废弃车"),
    ("熄灭", "不亮"),
    ("失灵", "坏了"),
    ("故障", "坏了"),
    ("栋", "号楼"),
    ("幢", "号楼"),
)

# Words in nearly every report that say nothing about which problem it is.
STOPWORDS: tuple[str, ...] = (
    "麻烦",
    "希望",
    "尽快",
    "赶快",
    "处理",
    "解决",
    "一下",
    "谢谢",
    "小区",
    "我们",
    "我家",
    "请问",
    "反映",
    "问题",
    "一直",
    "现在",
    "已经",
    "非常",
    "特别",
    "好几",
    "有人",
    "请",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "哦",
    "很",
    "太",
    "都",
    "也",
    "还",
    "就",
    "我",
    "在",
    "是",
    "着",
    "个",
)


def _chinese_number(text: str) -> int:
    """一 … 九十九 as a number (十 = 10, 十二 = 12, 二十 = 20, 二十三 = 23)."""
    if "十" not in text:
        return int("".join(str(_NUMERALS.get(ch, 0)) for ch in text))
    tens, _, ones = text.partition("十")
    return (_NUMERALS.get(tens, 1) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)


def normalise(text: str) -> str:
    """The description reduced to runs of the characters that tell one problem from another,
    separated by single spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    # A space typed between Chinese words is no break in the words: drop it first.
    folded = "".join(folded.split())
    folded = _NUMBERED.sub(lambda m: str(_chinese_number(m.group(1))), folded)
    for variant, canonical in SYNONYMS:
        folded = folded.replace(variant, canonical)
    for word in STOPWORDS:
        folded = folded.replace(word, " ")
    # Letters and digits of any script stay; punctuation, symbols and dropped words are breaks.
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded)
    return " ".join(kept.split())


_BUILDING = re.compile(r"(\d+)号楼")


@lru_cache(maxsize=4096)
def features(text: str) -> frozenset[str]:
    """The description's single characters and character bigrams (a bigram never spans a
    dropped word or punctuation), and each building it names as one feature ("#3号楼"): a
    building number is one fact, not the shared bigram 号楼 that every building carries."""
    kept = normalise(text)
    grams = {f"#{number}号楼" for number in _BUILDING.findall(kept)}
    for run in _BUILDING.sub(" ", kept).split():
        grams.update(run)
        grams.update(run[index : index + 2] for index in range(len(run) - 1))
    return frozenset(grams)


def _buildings(grams: frozenset[str]) -> frozenset[str]:
    return frozenset(gram for gram in grams if gram.startswith("#"))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two descriptions' features: 0 (nothing alike) … 1 (the same)."""
    left, right = features(a), features(b)
    if not left or not right:
        return 0.0
    score = 2 * len(left & right) / (len(left) + len(right))
    here, there = _buildings(left), _buildings(right)
    if here and there and not here & there:
        score *= BUILDING_MISMATCH
    return score


def likely_duplicate(a: str, b: str, threshold: float) -> bool:
    """Whether `b` should be offered as the same problem as `a` (similarity at the threshold)."""
    return similarity(a, b) >= threshold
