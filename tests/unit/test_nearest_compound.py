"""'Use my location' (定位): the nearest compound whose centre is within 800 m, by haversine."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from functions.core.domain.registry import NEAREST_COMPOUND_M, distance_m
from tests.fakes import sample_registry

# 锦兴雅居 (x001, sample data) has its centre here.
X001 = (31.63886, 118.46961)
METRES_PER_DEGREE_OF_LATITUDE = 2 * math.pi * 6_371_000 / 360


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / METRES_PER_DEGREE_OF_LATITUDE, point[1]


def test_haversine_gives_known_distances():
    assert distance_m(*X001, *X001) == 0
    assert distance_m(*X001, *north_of(X001, 500)) == pytest.approx(500, abs=0.01)
    # Ma'anshan to Nanjing Xinjiekou: about 47 km as the crow flies.
    assert distance_m(31.67, 118.51, 32.0415, 118.7781) == pytest.approx(47_500, rel=0.03)


def test_the_nearest_compound_within_800_metres_is_chosen():
    registry = sample_registry()
    nearest = registry.nearest_compound(*north_of(X001, 20), NEAREST_COMPOUND_M)
    assert nearest is not None and nearest.id == "x001"


def test_the_closer_of_two_compounds_wins():
    registry = sample_registry()
    here = north_of(X001, 20)
    nearest = registry.nearest_compound(*here, NEAREST_COMPOUND_M)
    assert nearest is not None
    others = [
        distance_m(*here, c.lat, c.lng)
        for c in registry.compounds.values()
        if c.lat is not None and c.lng is not None and c.id != nearest.id
    ]
    assert distance_m(*here, nearest.lat or 0, nearest.lng or 0) < min(others)


def test_nothing_is_chosen_beyond_800_metres():
    registry = sample_registry()
    lonely = (31.50, 118.30)  # far outside the sample compounds
    closest = min(
        distance_m(*lonely, c.lat, c.lng)
        for c in registry.compounds.values()
        if c.lat is not None and c.lng is not None
    )
    assert closest > 800
    assert registry.nearest_compound(*lonely, NEAREST_COMPOUND_M) is None


def test_800_metres_is_the_boundary():
    registry = sample_registry()
    alone = replace(registry, compounds={"x001": registry.compounds["x001"]})
    assert alone.nearest_compound(*north_of(X001, 799), NEAREST_COMPOUND_M) is not None
    assert alone.nearest_compound(*north_of(X001, 801), NEAREST_COMPOUND_M) is None
