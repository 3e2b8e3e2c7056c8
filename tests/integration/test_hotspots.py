"""Hotspots found by the nightly job on a crafted history: three street-light reports in one
compound over three days make a recurring hotspot; two do not. The read is scoped by role and
reads a fixed number of items."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from functions.core.domain.clock import CHINA_TZ
from tests.conftest import bearer
from tests.integration.flows import COMMUNITY, DISTRICT, report
from tests.integration.test_metrics_job import api_invoke_nightly

FIRST = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ)


def history(api, wiring, clock, lights: int) -> dict:
    """`lights` street-light reports in x001 on consecutive days, one parking report in x002,
    the nightly job after each day; the hotspots as the district reads them."""
    for day in range(lights):
        clock.at = FIRST + timedelta(days=day)
        report(api, description=f"路灯又坏了，第{day + 1}次反映")
        if day == 0:
            report(api, compound="x002", category="parking", description="小区门口乱停车")
        clock.at = FIRST + timedelta(days=day + 1, hours=-9, minutes=30)  # 00:30 next day
        api_invoke_nightly(wiring)
    response = api.get("/metrics/hotspots", headers=bearer(*DISTRICT))
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def test_three_reports_of_one_kind_in_one_compound_make_a_hotspot(api, wiring, robots, clock):
    found = history(api, wiring, clock, 3)
    assert found["day"] == "2026-11-22"
    assert [(h["type"], h["compound"], h["category"], h["cases"]) for h in found["hotspots"]] == [
        ("recurring", "x001", "street_light", 3)
    ]
    spot = found["hotspots"][0]
    compound = wiring.registry.current().compounds["x001"]
    assert (spot["lat"], spot["lng"], spot["compound_name"]) == (
        compound.lat,
        compound.lng,
        compound.name,
    )
    assert "路灯又坏了" not in json.dumps(found, ensure_ascii=False)  # no resident's words
    theirs = api.get("/metrics/hotspots", headers=bearer("community.c02", "community:c02"))
    assert json.loads(theirs.body)["hotspots"] == []  # x001 is in c01, not theirs
    ours = api.get("/metrics/hotspots", headers=bearer(*COMMUNITY))
    assert len(json.loads(ours.body)["hotspots"]) == 1


def test_one_report_short_of_the_threshold_is_no_hotspot(api, wiring, robots, clock):
    found = history(api, wiring, clock, 2)
    assert found["hotspots"] == []
    assert found["rule"]["cases"] == 3


def test_the_map_has_a_tile_layer_only_where_one_is_configured(api, wiring):
    from dataclasses import replace

    from functions.core.config import MapTiles

    plain = json.loads(api.get("/metrics/hotspots", headers=bearer(*DISTRICT)).body)
    assert plain["tiles"] is None
    tiles = MapTiles("https://tiles.example.cn/{z}/{x}/{y}.png", "© 示例地图")
    wiring.__dict__["metrics"] = replace(wiring.metrics, map_tiles=tiles)
    tiled = json.loads(api.get("/metrics/hotspots", headers=bearer(*DISTRICT)).body)
    assert tiled["tiles"] == {
        "url": "https://tiles.example.cn/{z}/{x}/{y}.png",
        "attribution": "© 示例地图",
    }
