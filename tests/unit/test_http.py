"""The one JSON writer of the API: what Chalice would write, but never NaN or Infinity."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from functions.core.http import respond


def test_a_response_body_is_compact_json_with_decimals_as_numbers():
    response = respond({"rate": Decimal("0.5"), "name": "路灯"}, 201, {"Cache-Control": "no-store"})
    assert response.status_code == 201
    assert json.loads(response.body) == {"rate": 0.5, "name": "路灯"}
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_a_number_json_cannot_carry_fails_on_the_server_not_in_the_browser(value):
    with pytest.raises(ValueError):
        respond({"p90_hours": value})
