"""Open311 GeoReport v2, both formats, every endpoint and its errors."""

from __future__ import annotations

import json
import urllib.parse
from xml.etree import ElementTree

import pytest

from tests.conftest import bearer
from tests.integration.flows import COMMUNITY, DISTRICT, LUDENG, act, ok, report, tick

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def api_key(api):
    issued = api.post(
        "/staff/open311/keys",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"name": "街道随手拍小程序（测试）"}).encode(),
    )
    assert issued.status_code == 201, issued.body
    return json.loads(issued.body)["api_key"]


def get(api, path):
    return api.get(f"/open311/v2/{path}")


def xml(response):
    return ElementTree.fromstring(response.body)


def post(api, fields, extension="json", headers=None):
    return api.post(
        f"/open311/v2/requests.{extension}",
        headers={**FORM, **(headers or {})},
        body=urllib.parse.urlencode(fields).encode(),
    )


def street_light(key, **changes):
    fields = {
        "api_key": key,
        "service_code": "104",
        "lat": "31.65",
        "long": "118.50",
        "description": "路口的路灯不亮了好几天",
        "address_string": "东门路口",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def test_the_discovery_document_names_the_specification_and_both_formats(api):
    discovery = json.loads(get(api, "discovery.json").body)
    [endpoint] = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "test"  # sample data
    root = xml(get(api, "discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format").text


def test_services_are_the_categories_in_json_and_xml(api):
    response = get(api, "services.json")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "application/json"
    )
    services = json.loads(response.body)
    light = next(s for s in services if s["service_code"] == "104")
    assert light == {
        "service_code": "104",
        "service_name": "路灯照明",
        "description": "Street light out (设施 · Facilities)",
        "metadata": True,
        "type": "realtime",
        "keywords": "路灯,不亮,照明",
        "group": "设施",
    }
    root = xml(get(api, "services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text == "true"


def test_a_service_definition_lists_the_compound_and_building_attributes(api):
    definition = json.loads(get(api, "services/104.json").body)
    assert definition["service_code"] == "104"
    compound, building = definition["attributes"]
    assert (compound["code"], compound["datatype"], compound["required"]) == (
        "compound",
        "singlevaluelist",
        False,
    )
    assert len(compound["values"]) == 155 and {"key", "name"} == set(compound["values"][0])
    assert building["datatype"] == "string"
    root = xml(get(api, "services/104.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "x001"


def test_posting_creates_a_case_through_the_residents_checks_and_reads_back(api, api_key):
    response = post(api, street_light(api_key))
    assert response.status_code == 201, response.body
    [created] = json.loads(response.body)
    code = created["service_request_id"]
    [request] = json.loads(get(api, f"requests/{code}.json").body)
    assert request["status"] == "open" and request["service_code"] == "104"
    assert request["requested_datetime"].endswith("+08:00")
    assert request["description"] is None  # the resident's words stay private
    assert request["address_id"]  # matched to the nearest compound
    case = json.loads(api.get(f"/staff/cases/{code}", headers=bearer(*DISTRICT)).body)
    assert case["channel"] == "open311" and case["reporter"].startswith("open311:")
    root = xml(get(api, f"requests/{code}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == code


def test_a_compound_attribute_places_the_request_without_coordinates(api, api_key):
    fields = street_light(api_key, lat=None, long=None, **{"attribute[compound]": "x010"})
    [created] = json.loads(post(api, fields).body)
    [request] = json.loads(get(api, f"requests/{created['service_request_id']}.json").body)
    assert request["address_id"] == "x010"


def test_a_retried_post_files_one_case(api, api_key):
    first = json.loads(post(api, street_light(api_key)).body)[0]["service_request_id"]
    again = json.loads(post(api, street_light(api_key)).body)[0]["service_request_id"]
    assert again == first
    keyed = post(
        api,
        street_light(api_key, description="另一处：小区北门路灯坏了"),
        headers={"Idempotency-Key": "client-key-000001"},
    )
    assert json.loads(keyed.body)[0]["service_request_id"] != first


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "nope.nope"}, 403, "api_key"),
        ({"service_code": "999"}, 404, "999"),
        ({"description": "坏"}, 400, "description"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": "40.0", "long": "116.4"}, 400, "lat"),  # Beijing: not in the district
        ({"lat": "north"}, 400, "lat"),
        ({"jurisdiction_id": "beijing"}, 404, "jurisdiction_id"),
    ],
)
def test_posting_errors_are_listed_with_their_codes_in_both_formats(
    api, api_key, changes, status, fragment
):
    fields = street_light(api_key, **changes)
    response = post(api, fields)
    assert response.status_code == status
    errors = json.loads(response.body)
    assert all(e["code"] == status for e in errors)
    assert any(fragment in e["description"] for e in errors)
    as_xml = post(api, fields, "xml")
    assert as_xml.status_code == status and xml(as_xml).find("error/code").text == str(status)


def test_a_revoked_key_is_refused(api, api_key):
    key_id = api_key.split(".")[0]
    revoked = api.delete(f"/staff/open311/keys/{key_id}", headers=bearer(*DISTRICT))
    assert revoked.status_code == 200
    assert post(api, street_light(api_key)).status_code == 403
    listed = json.loads(api.get("/staff/open311/keys", headers=bearer(*DISTRICT)).body)["items"]
    mine = next(k for k in listed if k["id"] == key_id)
    assert mine["revoked_at"] and all("hash" not in k for k in listed)


def test_requests_filter_by_id_code_dates_and_status(api, wiring, robots, api_key, clock):
    one = json.loads(post(api, street_light(api_key)).body)[0]["service_request_id"]
    two = json.loads(
        post(api, street_light(api_key, service_code="102", description="南门路面塌陷一个坑")).body
    )[0]["service_request_id"]
    ok(act(api, DISTRICT, two, "reject", reason="已由物业处理"))
    by_ids = json.loads(get(api, f"requests.json?service_request_id={one},{two}").body)
    assert {r["service_request_id"] for r in by_ids} == {one, two}
    open_ones = json.loads(get(api, "requests.json?status=open").body)
    assert [r["service_request_id"] for r in open_ones] == [one]
    closed = json.loads(get(api, "requests.json?status=closed&service_code=102").body)
    assert [r["service_request_id"] for r in closed] == [two]
    assert closed[0]["status_notes"] is None  # only a resolution's note is published
    window = json.loads(
        get(
            api,
            "requests.json?start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-11-30T00:00:00%2B08:00",
        ).body
    )
    assert {r["service_request_id"] for r in window} == {one, two}
    tick(wiring)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-11-30T00:00:00%2B08:00", "end_date"),
        ("start_date=yesterday", "start_date"),
        ("start_date=2026-11-01T00:00:00", "start_date"),  # no time zone
        ("status=pending", "status"),
    ],
)
def test_bad_request_filters_are_400s(api, query, field):
    response = get(api, f"requests.json?{query}")
    assert response.status_code == 400
    assert field in json.loads(response.body)[0]["description"]


def test_unknown_things_are_404s_in_the_asked_format(api):
    assert get(api, "requests/YS-0000-00-0000.json").status_code == 404
    assert xml(get(api, "requests/YS-0000-00-0000.xml")).tag == "errors"
    assert get(api, "services/999.json").status_code == 404
    assert get(api, "tokens/nothing.json").status_code == 404
    assert get(api, "services.yaml").status_code == 404


def test_a_token_is_its_request_id(api, api_key):
    code = json.loads(post(api, street_light(api_key)).body)[0]["service_request_id"]
    assert json.loads(get(api, f"tokens/{code}.json").body) == [
        {"service_request_id": code, "token": code}
    ]


def test_public_reads_hold_no_phone_name_or_residents_words(api, api_key):
    fields = street_light(
        api_key, phone="13712345678", first_name="张", last_name="三", email="zhang@example.com"
    )
    code = json.loads(post(api, fields).body)[0]["service_request_id"]
    for path in (f"requests/{code}.json", f"requests/{code}.xml", "requests.json"):
        text = get(api, path).body.decode()
        for secret in ("13712345678", "1234", "张", "zhang@", "路口的路灯不亮了好几天", "东门路口"):
            assert secret not in text, (path, secret)


def test_a_client_is_rate_limited_per_key_with_a_429(api, wiring, api_key):
    from dataclasses import replace

    low = replace(wiring.settings.limits, reports_per_key=2)
    wiring.__dict__["intake"] = replace(wiring.intake, limits=low)
    wiring.__dict__.pop("open311", None)
    statuses = [
        post(api, street_light(api_key, description=f"第{n}处路灯不亮了很久")).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    refused = post(api, street_light(api_key, description="第四处路灯不亮了很久"))
    assert json.loads(refused.body)[0]["code"] == 429


def test_a_summary_staff_published_is_the_public_description(api):
    receipt = report(api, description="我家楼下北门路灯坏了，电话13712345678")
    code = receipt["code"]
    refused = act(api, LUDENG, code, "publish", version=1, summary="北门路灯不亮")
    assert refused.status_code in (403, 404)  # not the department's case to speak for
    too_short = act(api, COMMUNITY, code, "publish", summary="灯")
    assert too_short.status_code == 400
    [before] = json.loads(get(api, f"requests/{code}.json").body)
    assert before["description"] is None

    ok(act(api, COMMUNITY, code, "publish", summary="小区北门一盏路灯不亮"))
    [after] = json.loads(get(api, f"requests/{code}.json").body)
    assert after["description"] == "小区北门一盏路灯不亮"
    assert xml(get(api, f"requests/{code}.xml")).find("request/description").text == (
        "小区北门一盏路灯不亮"
    )
    listed = get(api, f"requests.json?service_request_id={code}").body.decode()
    assert "小区北门一盏路灯不亮" in listed and "13712345678" not in listed
    case = json.loads(api.get(f"/staff/cases/{code}", headers=bearer(*COMMUNITY)).body)
    assert case["public_summary"] == "小区北门一盏路灯不亮"
    assert case["timeline"][-1]["kind"] == "published"
