"""The Lambda deployment package: what `chalice package` builds from this tree deploys and
imports in Lambda's Python, which provides only boto3."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.fakes import ROOT

pytestmark = pytest.mark.slow


def pinned(name: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements-dev.txt")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """`PIP_NO_DEPS=1 chalice package` on a copy of the project (no __pycache__ in it)."""
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "app.py", project)
    shutil.copy(ROOT / "requirements.txt", project)
    shutil.copytree(
        ROOT / ".chalice",
        project / ".chalice",
        ignore=shutil.ignore_patterns("deployments", "deployed", "venv"),
    )
    (project / "vendor").mkdir()
    shutil.copytree(
        ROOT / "functions",
        project / "vendor" / "functions",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    env = {**os.environ, "PIP_NO_DEPS": "1", "AWS_DEFAULT_REGION": "cn-north-1"}
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run(
        [str(chalice), "package", "--stage", "prod", "out"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return project / "out" / "deployment.zip"


def test_the_zip_holds_the_functions_and_no_boto3_or_botocore(package):
    names = zipfile.ZipFile(package).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert "app.py" in tops and "functions" in tops
    assert "functions/intake/__init__.py" in names
    assert not {t for t in tops if re.match(r"(boto3|botocore|s3transfer)\b", t)}
    assert not [n for n in names if "__pycache__" in n and n.startswith("functions/")]


def test_the_zip_imports_every_entry_with_only_boto3_installed(package, tmp_path):
    unpacked = tmp_path / "task"
    zipfile.ZipFile(package).extractall(unpacked)
    env_dir = tmp_path / "lambda-python"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", pinned("boto3")],
        check=True,
        capture_output=True,
    )
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import app, functions.intake, functions.dispatch, functions.metrics;"
        "print(sorted(app.app.routes))"
    )
    clean_env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "cn-north-1"}
    result = subprocess.run(
        [str(python), "-s", "-c", script, str(unpacked)],
        env=clean_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "/cases" in result.stdout
