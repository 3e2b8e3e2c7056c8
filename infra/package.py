"""`make package`: the Lambda zip and the deployable template of one stage.

1. Stage a copy of the project: app.py, the Lambda-only lock, .chalice/ and vendor/functions
   (a copy, not the symlink, without __pycache__ and without the local stack).
2. `chalice package` it with PIP_NO_DEPS=1, so only the pinned Lambda dependencies go in
   (boto3 and botocore come with the runtime).
3. Rebuild the zip: prune what Lambda never imports, compile every module to bytecode that
   Python trusts without looking at the source (unchecked-hash .pyc: zip timestamps do not
   survive exactly, and /var/task is read-only, so a timestamp-checked .pyc would be
   recompiled on every cold start), with fixed timestamps so the same tree gives the same zip.
4. Merge Chalice's template with the tables and stack.yaml (infra/merge.py).
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .cfn import dump
from .merge import merge
from .tables import data_template

ROOT = Path(__file__).resolve().parents[1]
# Never imported in Lambda: the local stack (and its sample data), the dependencies' own test
# suites and benchmarks, and type stubs.
PRUNED_PREFIXES = (
    "functions/local/",
    "Crypto/SelfTest/",
    "jsonschema/tests/",
    "jsonschema/benchmarks/",
    "referencing/tests/",
)
PRUNED_SUFFIXES = (".pyi", "/py.typed", ".pyc")
FIXED_TIME = (2020, 1, 1, 0, 0, 0)
ZIP_BUDGET_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Package:
    directory: Path
    zip_path: Path
    template_path: Path
    zip_bytes: int
    runtime: str


def stage_environment(stage: str, root: Path = ROOT) -> dict[str, str]:
    config = json.loads((root / ".chalice" / "config.json").read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json")
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def stage_project(root: Path, target: Path) -> None:
    """A clean copy of what Chalice packages."""
    shutil.copy(root / "app.py", target / "app.py")
    shutil.copy(root / "requirements.txt", target / "requirements.txt")
    shutil.copytree(
        root / ".chalice",
        target / ".chalice",
        ignore=shutil.ignore_patterns("deployments", "deployed", "venv"),
    )
    (target / "vendor").mkdir()
    shutil.copytree(
        root / "functions",
        target / "vendor" / "functions",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "local"),
    )


def chalice_package(project: Path, stage: str, region: str, out: Path) -> None:
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "PIP_NO_DEPS": "1", "AWS_DEFAULT_REGION": region}
    env.pop("AWS_PROFILE", None)  # packaging needs no credentials
    result = subprocess.run(  # noqa: S603 - our own venv's chalice, fixed arguments
        [str(chalice), "package", "--stage", stage, str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"chalice package failed:\n{result.stdout}\n{result.stderr}")


def pruned(name: str) -> bool:
    """Left out of the zip (compiled bytecode of the tree included: we compile our own)."""
    return (
        name.startswith(PRUNED_PREFIXES)
        or name.endswith(PRUNED_SUFFIXES)
        or ("__pycache__/" in name)
    )


def rebuild_zip(source: Path, target: Path, runtime: str) -> None:
    """Prune, compile to unchecked-hash bytecode, and write a reproducible zip."""
    expected = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != expected:
        # The bytecode is only valid for the interpreter that compiles it.
        raise SystemExit(f"Lambda runtime {runtime} but packaging with {expected}")
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "task"
        modes: dict[str, int] = {}
        with zipfile.ZipFile(source) as original:
            for info in original.infolist():
                name = info.filename
                if pruned(name):
                    continue
                original.extract(info, tree)
                modes[name] = (info.external_attr >> 16) & 0o777 or 0o644
        ok = compileall.compile_dir(
            tree,
            quiet=1,
            stripdir=str(tree),
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            workers=1,
        )
        if not ok:
            raise SystemExit("some modules of the package do not compile")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as rebuilt:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.external_attr = (0o100000 | modes.get(name, 0o644)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                rebuilt.writestr(info, path.read_bytes(), compresslevel=9)


def package(stage: str, region: str, out: Path, root: Path = ROOT) -> Package:
    env = stage_environment(stage, root)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        stage_project(root, project)
        chalice_out = Path(scratch) / "chalice"
        chalice_package(project, stage, region, chalice_out)
        chalice_template = json.loads((chalice_out / "sam.json").read_text())
        # Kept beside the result: what Chalice generated, before the merge.
        shutil.copy(chalice_out / "sam.json", out / "chalice-sam.json")
        runtimes = {
            r["Properties"]["Runtime"]
            for r in chalice_template["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"
        }
        if len(runtimes) != 1:
            raise SystemExit(f"expected one Lambda runtime, found {sorted(runtimes)}")
        runtime = runtimes.pop()
        zip_path = out / "deployment.zip"
        rebuild_zip(chalice_out / "deployment.zip", zip_path, runtime)
    template = merge(chalice_template, stage, env, region=region)
    template_path = out / "template.json"
    dump(template, template_path)
    dump(data_template(env["WHISTLE_TABLE_PREFIX"]), out / "data-template.json")
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    manifest = {
        "stage": stage,
        "region": region,
        "runtime": runtime,
        "zip_bytes": zip_path.stat().st_size,
        "zip_sha256": digest,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return Package(out, zip_path, template_path, zip_path.stat().st_size, runtime)
