"""How well the "likely duplicate" offer separates the same problem from another one: precision
and recall of `similarity.likely_duplicate` on the labelled report pairs of
tests/data/duplicate-pairs.tsv, at candidate thresholds.

    .venv/bin/python -m tests.bench.duplicates     # prints the table as Markdown
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from functions.core.domain.similarity import similarity

PAIRS = Path(__file__).resolve().parents[1] / "data" / "duplicate-pairs.tsv"
CANDIDATES = (0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.22, 0.25, 0.30, 0.35, 0.40)


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    note: str


@dataclass(frozen=True)
class Quality:
    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        offered = self.true_positives + self.false_positives
        return self.true_positives / offered if offered else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / (self.true_positives + self.false_negatives)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Pair(row["a"], row["b"], row["duplicate"] == "1", row["note"])
            for row in csv.DictReader(file, delimiter="\t")
        ]


def quality(pairs: list[Pair], threshold: float) -> Quality:
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for pair in pairs:
        counts[(similarity(pair.a, pair.b) >= threshold, pair.duplicate)] += 1
    return Quality(
        threshold,
        true_positives=counts[(True, True)],
        false_positives=counts[(True, False)],
        false_negatives=counts[(False, True)],
        true_negatives=counts[(False, False)],
    )


def measure(thresholds: tuple[float, ...] = CANDIDATES) -> list[Quality]:
    pairs = load_pairs()
    return [quality(pairs, t) for t in thresholds]


def render(rows: list[Quality], chosen: float) -> str:
    pairs = load_pairs()
    positives = sum(p.duplicate for p in pairs)
    lines = [
        f"{len(pairs)} labelled pairs: {positives} the same problem, "
        f"{len(pairs) - positives} different problems.",
        "",
        "| threshold | offered | precision | recall | F1 |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        mark = " **(chosen)**" if abs(row.threshold - chosen) < 1e-9 else ""
        lines.append(
            f"| {row.threshold:.2f}{mark} | {row.true_positives + row.false_positives} "
            f"| {row.precision:.3f} | {row.recall:.3f} | {row.f1:.3f} |"
        )
    lines += ["", "At the chosen threshold, by kind of pair:", ""]
    lines += ["| pairs | count | offered as likely the same |", "|---|---|---|"]
    for note in dict.fromkeys(p.note for p in pairs):
        group = [p for p in pairs if p.note == note]
        offered = sum(similarity(p.a, p.b) >= chosen for p in group)
        label = "the same problem" if group[0].duplicate else "different problems"
        lines.append(f"| {note} ({label}) | {len(group)} | {offered} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from functions.core.config import Nearby

    print(render(measure(), Nearby().duplicate_threshold))
