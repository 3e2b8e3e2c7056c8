"""A stack configured with a map tile layer (as production may be: WHISTLE_MAP_TILES) lays the
tiles under the hotspots' map: the tiles come from the configured server — here one on
127.0.0.1 — through the page's Content-Security-Policy, and the provider is named."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.conftest import free_port_pair, screenshot, start_stack
from tests.e2e.test_staff_flow import sign_in

pytestmark = pytest.mark.e2e


def tile_png(z: str, x: str, y: str) -> bytes:
    """A sample tile: pale ground, its edges and its address, so a screenshot shows the grid."""
    image = Image.new("RGB", (256, 256), (232, 238, 228))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(180, 190, 200))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(120, 130, 140))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tile_server() -> Iterator[dict[str, Any]]:
    served: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").removesuffix(".png").split("/")
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                self.send_error(404)
                return
            served.append(self.path)
            body = tile_png(*parts)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "served": served}
    server.shutdown()


@pytest.fixture(scope="module")
def tiled_stack(tmp_path_factory, tile_server):
    data_dir = tmp_path_factory.mktemp("tiled") / "data"
    running = start_stack(
        data_dir,
        free_port_pair(),
        settings={
            "WHISTLE_MAP_TILES": tile_server["url"] + "/{z}/{x}/{y}.png",
            "WHISTLE_MAP_ATTRIBUTION": "© 示例地图服务（测试）",
        },
    )
    yield running
    running.stop()


def test_the_hotspots_map_lays_the_configured_tiles_under_the_compounds(
    tiled_stack, tile_server, browser
):
    launched, _ = browser
    desk = launched.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        sign_in(page, tiled_stack, "district.admin", "/district/dashboard")
        panel = page.get_by_test_id("hotspots")
        panel.scroll_into_view_if_needed()
        tiles = panel.get_by_test_id("map-tiles").locator("img")
        expect(tiles.first).to_be_attached()
        count = tiles.count()
        assert 1 < count <= 24
        # Every tile arrived (the CSP let the tile host in) and came from the configured server.
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=map-tiles] img')]"
            ".every((img) => img.complete && img.naturalWidth === 256)"
        )
        assert len(tile_server["served"]) >= count
        assert refused == []
        expect(panel.locator(".attribution")).to_have_text("© 示例地图服务（测试）")
        panel.locator("canvas").wait_for()
        panel.screenshot(path=str(screenshot(page, "dashboard-map-tiles")))
    finally:
        desk.close()
