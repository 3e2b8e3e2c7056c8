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
