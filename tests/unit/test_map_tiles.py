"""The hotspots map's optional tile layer is configuration: an https XYZ template (or a local
one for the dev stack), whose host the Content-Security-Policy must allow."""

from __future__ import annotations

import pytest

from functions.core.config import ConfigurationError, map_tiles


def test_no_tile_layer_unless_configured():
    assert map_tiles({}) is None
    assert map_tiles({"WHISTLE_MAP_TILES": "  "}) is None


def test_a_tile_layer_names_its_template_its_attribution_and_its_origin():
    tiles = map_tiles(
        {
            "WHISTLE_MAP_TILES": "https://tiles.example.cn/base/{z}/{x}/{y}.png",
            "WHISTLE_MAP_ATTRIBUTION": " © 示例地图 ",
        }
    )
    assert tiles is not None
    assert tiles.url == "https://tiles.example.cn/base/{z}/{x}/{y}.png"
    assert tiles.attribution == "© 示例地图"
    assert tiles.origin == "https://tiles.example.cn"
    local = map_tiles({"WHISTLE_MAP_TILES": "http://127.0.0.1:8600/{z}/{x}/{y}.png"})
    assert local is not None and local.origin == "http://127.0.0.1:8600"


@pytest.mark.parametrize(
    "url",
    [
        "http://tiles.example.cn/{z}/{x}/{y}.png",  # not https
        "https://tiles.example.cn/tile.png",  # no {z}/{x}/{y}
        "javascript:alert(1)//{z}{x}{y}",
    ],
)
def test_a_tile_template_that_is_not_https_xyz_stops_the_function(url):
    with pytest.raises(ConfigurationError, match="WHISTLE_MAP_TILES"):
        map_tiles({"WHISTLE_MAP_TILES": url})
