"""DESIGN §9: the resident report page's first load (HTML + JS + CSS) is at most 100 KB
gzip. Measured on the production build that `make dev` serves and S3 would hold."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from tests.fakes import ROOT

DIST = ROOT / "frontend" / "dist"
BUDGET_BYTES = 100 * 1024


def first_load(index: Path) -> list[Path]:
    """The files the browser fetches before the page can run: the document, its entry
    script, the chunks Vite preloads for it and its stylesheets."""
    html = index.read_text()
    referenced = re.findall(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', html)
    return [index, *(DIST / ref.lstrip("/") for ref in referenced)]


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


@pytest.fixture(scope="module")
def index() -> Path:
    path = DIST / "index.html"
    if not path.exists():
        pytest.fail("frontend/dist is missing: `make test` builds the SPA before testing")
    return path


def test_the_report_page_first_load_is_within_100_kb_gzip(index):
    files = first_load(index)
    assert any(f.suffix == ".js" for f in files) and any(f.suffix == ".css" for f in files)
    total = sum(gzip_size(f) for f in files)
    assert total <= BUDGET_BYTES, {f.name: gzip_size(f) for f in files}


def test_the_first_load_carries_no_icon_font_and_no_cdn_reference(index):
    for path in first_load(index):
        text = path.read_text(errors="replace")
        assert "font/woff" not in text and "alicdn" not in text, path.name


# -- Dashboard code only on dashboard routes (DESIGN §9) ---------------------------------------

SOURCES = ROOT / "frontend" / "src"
# The dashboard's pages live under src/district/ and draw with ECharts; both are lazy routes.
DASHBOARD_FILE = re.compile(r"dashboard|district|echarts", re.IGNORECASE)
STATIC_IMPORT = re.compile(
    r"""(?:^|[;\s])(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]""",
    re.MULTILINE,
)


def static_imports(entry: Path) -> tuple[set[Path], set[str]]:
    """Every source file and npm package reachable from `entry` by static imports: what the
    entry chunk and its preloads are built from. `import()` (a lazy route) is not followed."""
    files: set[Path] = set()
    packages: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in files:
            continue
        files.add(path)
        if path.suffix not in (".js", ".vue", ".mjs"):
            continue
        for target in STATIC_IMPORT.findall(path.read_text()):
            if target.startswith("."):
                pending.append((path.parent / target).resolve())
            else:
                parts = target.split("/")
                packages.add("/".join(parts[:2]) if target.startswith("@") else parts[0])
    return files, packages


def test_the_static_import_graph_sees_lazy_routes_as_lazy():
    files, packages = static_imports((SOURCES / "main.js").resolve())
    assert (SOURCES / "resident" / "ReportPage.vue").resolve() in files
    # Lazy resident pages are not part of the first load either: the walk stops at import().
    assert (SOURCES / "resident" / "CasePage.vue").resolve() not in files
    assert {"vue", "vue-router", "vant"} <= packages


def test_the_resident_first_load_never_includes_dashboard_code(index):
    files, packages = static_imports((SOURCES / "main.js").resolve())
    district = (SOURCES / "district").resolve()
    assert [f for f in files if f.is_relative_to(district) or DASHBOARD_FILE.search(f.name)] == []
    assert "echarts" not in packages and "vue-echarts" not in packages
    # And in what the build produced: no dashboard chunk among the files of the first load, and
    # no ECharts code (its instance attribute) bundled into them.
    built = first_load(index)
    assert [f.name for f in built if DASHBOARD_FILE.search(f.name)] == []
    for path in built:
        assert "_echarts_instance_" not in path.read_text(errors="replace"), path.name
