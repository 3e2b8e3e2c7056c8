"""The deployment zip's size and the cold import time of each Lambda entry.

The zip is built as `make package` builds it and unpacked; each entry is imported in a fresh
interpreter that has only boto3 (what the Lambda runtime provides), with bytecode writing off
as on Lambda's read-only /var/task. Only the import is timed, not the interpreter's start.
For comparison the same imports run from a copy without the compiled bytecode.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import venv
import zipfile
from pathlib import Path
from typing import Any

from infra.package import package

from .paths import BUILD, ROOT

TIMER = (
    "import sys, time\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "__import__(sys.argv[2])\n"
    "print(time.perf_counter() - started)\n"
)


def pinned(name: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.strip()
    raise RuntimeError(f"{name} is not pinned in requirements-dev.txt")


def lambda_python() -> Path:
    """A virtual environment with only the pinned boto3, kept between runs."""
    requirement = pinned("boto3")
    env_dir = BUILD / "lambda-python"
    marker = env_dir / "installed.txt"
    python = env_dir / "bin" / "python"
    if not (marker.exists() and marker.read_text() == requirement):
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", requirement],
            check=True,
            capture_output=True,
        )
        marker.write_text(requirement)
    return python


def time_import(python: Path, task: Path, module: str, runs: int) -> list[float]:
    env = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "cn-north-1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [str(python), "-s", "-c", TIMER, str(task), module],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=task.parent,
        )
        times.append(float(result.stdout.strip()) * 1000)
    return times


def package_and_imports(runs: int) -> dict[str, Any]:
    out = BUILD / "package"
    if out.exists():
        shutil.rmtree(out)
    built = package("prod", "us-east-1", out)
    template = json.loads(built.template_path.read_text())
    # One entry module can serve several functions (the dispatch job and the staff authorizer
    # both live in functions.dispatch): name them all.
    functions: dict[str, list[str]] = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            module = resource["Properties"]["Handler"].rpartition(".")[0]
            functions.setdefault(module, []).append(name)
    entries = sorted((module, " / ".join(sorted(names))) for module, names in functions.items())
    task = BUILD / "task"
    source_only = BUILD / "task-source-only"
    for folder in (task, source_only):
        if folder.exists():
            shutil.rmtree(folder)
        zipfile.ZipFile(built.zip_path).extractall(folder)
    for cache in list(source_only.rglob("__pycache__")):
        shutil.rmtree(cache)
    python = lambda_python()
    imports = []
    for module, function in entries:
        compiled = time_import(python, task, module, runs)
        source = time_import(python, source_only, module, runs)
        imports.append(
            {
                "entry": module,
                "function": function,
                "median_ms": statistics.median(compiled),
                "max_ms": max(compiled),
                "source_only_median_ms": statistics.median(source),
            }
        )
    boto3_ms = statistics.median(time_import(python, task, "boto3", runs))
    with zipfile.ZipFile(built.zip_path) as archive:
        biggest: dict[str, int] = {}
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            biggest[top] = biggest.get(top, 0) + info.compress_size
    return {
        "zip_bytes": built.zip_bytes,
        "runtime": built.runtime,
        "imports": imports,
        "boto3_ms": boto3_ms,
        "runs": runs,
        "zip_parts": sorted(biggest.items(), key=lambda kv: -kv[1])[:6],
    }
