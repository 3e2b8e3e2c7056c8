"""The machine a benchmark ran on, for the report."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    except OSError:
        pass
    return "unknown"


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not installed"
    return (
        (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "?"
    )


def describe() -> dict[str, Any]:
    memory_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        # Timings mean little on a busy machine: the load when the run started says how busy.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory_kb) / 1024 / 1024, 1) if memory_kb.isdigit() else "?",
        "os": _first("/etc/os-release", "PRETTY_NAME").strip('"'),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "chromium": _version(["chromium", "--version"]),
        "packages": {
            name: metadata.version(name)
            for name in ("moto", "boto3", "chalice", "pynamodb", "playwright", "cfn-lint")
        },
    }
