"""Where the benchmark reads and writes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "bench"
TOOLS = Path(__file__).resolve().parent / "tools"
REPORT = ROOT / "BENCHMARKS.md"
