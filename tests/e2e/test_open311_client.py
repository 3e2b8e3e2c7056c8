"""An Open311 client library this project did not write (georeport, from PyPI) reads the
service list and, after a report is posted, reads it back from the running local stack."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from tests.e2e.conftest import staff_tokens

pytestmark = pytest.mark.e2e


def test_a_311_client_library_reads_services_and_a_posted_request(stack):
    token = staff_tokens(stack.url, "district.admin")["access_token"]
    issued = requests.post(
        f"{stack.url}/api/staff/open311/keys",
        json={"name": "第三方随手拍（测试）"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert issued.status_code == 201, issued.text
    api_key = issued.json()["api_key"]
    client = GeoReport(f"{stack.url}/open311/v2", api_key=api_key)

    services = client.get_service_list()
    light = next(s for s in services if s["service_code"] == "104")
    assert light["service_name"] == "路灯照明"
    definition = client.get_service_definition("104")
    assert definition["attributes"][0]["code"] == "compound"

    # georeport reads only; a 311 client posts the standard form.
    posted = requests.post(
        f"{stack.url}/open311/v2/requests.json",
        data={
            "api_key": api_key,
            "service_code": "104",
            "lat": "31.65",
            "long": "118.50",
            "description": "十字路口路灯不亮",
            "address_string": "十字路口",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]

    request = client.get_service_request(request_id)
    assert request["service_request_id"] == request_id and request["status"] == "open"
    assert request["service_code"] == "104"
    listed = client.get_service_requests()
    assert request_id in [r["service_request_id"] for r in listed]

    as_xml = GeoReport(f"{stack.url}/open311/v2", output_format="xml")
    assert any(s["service_code"] == "104" for s in as_xml.get_service_list())
