"""The layering, read from the code's own imports: the domain is plain Python, adapters sit
behind ports, blueprints are doors that stand alone, and routes never build an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ("functions.intake", "functions.dispatch", "functions.metrics")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, relative imports made absolute (deferred imports inside
    functions count too: they are imports all the same)."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import intake` imports the module `intake` of that package.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def modules(prefix: str) -> dict[str, set[str]]:
    folder = ROOT.joinpath(*prefix.split("."))
    files = [folder.with_suffix(".py")] if folder.with_suffix(".py").exists() else []
    files += sorted(folder.rglob("*.py")) if folder.is_dir() else []
    return {module_name(f): imports_of(f) for f in files}


def offending(prefix: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for name, imported in modules(prefix).items():
        bad = sorted(i for i in imported if any(i == f or i.startswith(f"{f}.") for f in forbidden))
        if bad:
            found[name] = bad
    return found


def test_the_reader_resolves_relative_imports():
    imported = imports_of(ROOT / "functions" / "core" / "services" / "workflow.py")
    assert "functions.core.ports" in imported
    assert "functions.core.services.intake" in imported


def test_adapters_import_ports_and_the_domain_never_services():
    assert offending("functions.core.adapters", ("functions.core.services",)) == {}


def test_the_domain_imports_no_aws_database_or_web_library():
    forbidden = ("boto3", "botocore", "pynamodb", "chalice", "functions.core.adapters")
    assert offending("functions.core.domain", forbidden) == {}


def test_services_never_import_an_adapter():
    assert offending("functions.core.services", ("functions.core.adapters",)) == {}


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_blueprint_imports_no_other_blueprint(blueprint):
    others = tuple(b for b in BLUEPRINTS if b != blueprint)
    assert offending(blueprint, others) == {}


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_route_module_never_builds_an_adapter(blueprint):
    assert offending(blueprint, ("functions.core.adapters",)) == {}
