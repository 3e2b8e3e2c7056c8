"""What an attacker tried against the running stack, each refused with a 4xx in the one error
shape and nothing stored: photos with a location, bodies the schema does not allow, JSON the
parser takes but the API must not, digits outside ASCII, rate limits around the edge, fee
uploads that half-succeed, Open311 around the JSON API's limits, staff reporting outside
their scope."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import boto3
import pytest
import requests

from functions.core.adapters.tables import CaseItem, CounterItem, EventItem, FeeItem
from tests.conftest import bearer
from tests.images import metadata_of, photo, pixels
from tests.integration.flows import DISTRICT, LUDENG, act, ok, report, resident_view, tick
from tests.integration.test_intake_api import upload_photo

JSON = {"Content-Type": "application/json"}
EDGE = "edge-secret-for-tests"


def body_of(**changes: Any) -> dict[str, Any]:
    body = {
        "category": "street_light",
        "compound": "x001",
        "address": "3栋2单元门口",
        "description": "路灯坏了一个星期，晚上很黑",
        "phone": f"138{uuid.uuid4().int % 10000:04d}5678",
        "consent": True,
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}


def post(api: Any, path: str, raw: bytes, **headers: str) -> Any:
    return api.post(path, headers={**JSON, **headers}, body=raw)


def post_case(api: Any, body: Any, key: str | None = None, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return post(api, "/cases", raw, **{"Idempotency-Key": key or uuid.uuid4().hex, **headers})


def refused(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.body
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return dict(body["error"])


def codes(response: Any, status: int = 400) -> set[tuple[str, str]]:
    return {(d["field"], d["code"]) for d in refused(response, status)["details"]}


def nothing_stored() -> bool:
    return CaseItem.count() == 0 and not list(EventItem.scan())


def objects(wiring: Any, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=wiring.settings.photo_bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


# -- 1. photos keep no location -------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_a_photo_uploaded_straight_through_the_api_is_kept_without_its_gps(
    api, wiring, content_type
):
    sent = photo(content_type)
    assert "gps" in metadata_of(sent)
    key = uuid.uuid4().hex
    staged = upload_photo(api, key, sent, content_type)
    receipt = json.loads(post_case(api, body_of(photos=[staged]), key=key).body)
    [url] = resident_view(api, receipt)["photos"]
    kept = requests.get(url, timeout=10).content
    assert metadata_of(kept) == {}
    assert pixels(kept) == pixels(sent)
    assert b"PhoneMaker" not in kept and b"Exif" not in kept


def test_a_file_that_is_not_a_photo_is_a_400_and_nothing_is_kept(api, wiring):
    key = uuid.uuid4().hex
    staged = upload_photo(api, key, b"<svg onload=alert(1)>" + b" " * 100)
    response = post_case(api, body_of(photos=[staged]), key=key)
    assert ("photos/0", "not_an_image") in codes(response)
    assert nothing_stored() and objects(wiring, "cases/") == []


def test_a_refused_report_leaves_no_photo_under_cases(api, wiring):
    key = uuid.uuid4().hex
    first = post_case(api, body_of(description="第一次：路灯坏了"), key=key)
    assert first.status_code == 201
    staged = upload_photo(api, key, photo())
    again = post_case(api, body_of(description="另一个问题：井盖丢了", photos=[staged]), key=key)
    assert refused(again, 409)["code"] == "idempotency_key_reused"
    assert objects(wiring, "cases/") == []


def test_a_resolution_photo_is_kept_without_its_gps(api, wiring, robots):
    code = report(api)["code"]
    ok(act(api, DISTRICT, code, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, code, "claim"))
    upload_key = uuid.uuid4().hex
    staged = upload_photo(api, upload_key, photo())
    resolved = ok(
        act(api, LUDENG, code, "resolve", note="已更换灯泡", photos=[staged], upload_key=upload_key)
    )
    [url] = resolved["resolution"]["photos"]
    assert metadata_of(requests.get(url, timeout=10).content) == {}


# -- 2. every body against its published schema -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"resolved": True},
        {"resolved": "yes", "satisfaction": "satisfied"},
        {"resolved": True, "satisfaction": "satisfied", "extra": 1},
        {"resolved": True, "satisfaction": "satisfied", "comment": "x" * 15_000},
        [1, 2],
    ],
)
def test_a_rating_that_is_not_what_its_schema_says_is_a_400_and_changes_nothing(api, body):
    receipt = report(api)
    before = resident_view(api, receipt)
    response = api.post(
        f"/cases/{receipt['code']}/rating",
        headers={**JSON, "X-Case-Token": receipt["token"]},
        body=json.dumps(body).encode(),
    )
    refused(response)
    assert resident_view(api, receipt) == before


# -- 3. JSON the parser accepts but the API must not ------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "code"),
    [
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "body", "invalid_json"),
        (
            json.dumps(body_of()).encode()[:-1] + b',"location":{"lat":NaN,"lng":1}}',
            "body",
            "invalid_json",
        ),
        (
            json.dumps(body_of()).encode()[:-1] + b',"location":{"lat":1,"lng":Infinity}}',
            "body",
            "invalid_json",
        ),
        (
            json.dumps(body_of()).encode()[:-1] + b',"location":{"lat":1,"lng":-Infinity}}',
            "body",
            "invalid_json",
        ),
        (
            json.dumps(body_of(description="路灯坏了\\ud800很黑"))
            .encode()
            .replace(b"\\\\ud800", b"\\ud800"),
            "body",
            "invalid_json",
        ),
    ],
)
def test_json_that_python_reads_but_is_no_json_text_is_a_400(api, raw, field, code):
    assert (field, code) in codes(post_case(api, raw))
    assert nothing_stored()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"description": "路灯坏了\x00\x07一个星期"}, "description", "control_character"),
        ({"address": "3栋\x1b[2J"}, "address", "control_character"),
        ({"description": "\u200b\u200b\u200b\u200b\u200b\u200b"}, "description", "too_short"),
        ({"description": "\u202e\u202d\u2066\u2069\ufeff\u200d"}, "description", "too_short"),
        ({"address": "\u3164\u2800\u200b"}, "address", "required"),
        ({"description": "好\u0301\u0301\u0301\u0301"}, "description", "too_short"),
    ],
)
def test_text_with_control_characters_or_nothing_visible_is_a_400(api, changes, field, code):
    assert (field, code) in codes(post_case(api, body_of(**changes)))
    assert nothing_stored()


def test_free_text_elsewhere_follows_the_same_rule(api):
    receipt = report(api)
    token = {"X-Case-Token": receipt["token"]}
    rating = {"resolved": True, "satisfaction": "satisfied", "comment": "很好\x00"}
    response = post(api, f"/cases/{receipt['code']}/rating", json.dumps(rating).encode(), **token)
    assert ("comment", "control_character") in codes(response)
    response = api.post(
        f"/staff/cases/{receipt['code']}/actions/reject",
        headers={**JSON, **bearer(*DISTRICT)},
        body=json.dumps({"version": 1, "reason": "\u200b\u200b"}).encode(),
    )
    assert ("reason", "too_short") in codes(response)


def test_line_breaks_and_words_in_any_script_are_text(api):
    receipt = report(api, description="第一行：路灯坏了\n第二行：晚上很黑\tملاحظة")
    assert resident_view(api, receipt)["description"].count("\n") == 1


# -- 4. digits outside ASCII -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["１３８１２３４５６７８", "١٣٨١٢٣٤٥٦٧٨", "+86 １３８-１２３４-５６７８"]
)
def test_a_phone_in_other_digits_is_the_same_number_in_ascii(api, wiring, typed):
    receipt = json.loads(post_case(api, body_of(phone=typed)).body)
    assert resident_view(api, receipt)["phone"] == "138****5678"
    case = wiring.cases.get(receipt["code"])
    assert wiring.vault.open_phone(case.phone) == "13812345678"
    assert case.phone.lookup == wiring.vault.seal_phone("13812345678").lookup


def test_a_phone_in_other_digits_counts_against_the_same_limit(api, wiring):
    limit = wiring.settings.limits.reports_per_phone
    for number in range(limit):
        ascii_or_not = "13812340000" if number % 2 else "１３８１２３４００００"
        assert post_case(api, body_of(phone=ascii_or_not)).status_code == 201
    assert refused(post_case(api, body_of(phone="١٣٨١٢٣٤٠٠٠٠")), 429)["code"] == "rate_limited"


def test_a_year_that_is_not_ascii_digits_is_a_400_and_changes_no_calendar(api):
    staff = {**JSON, **bearer(*DISTRICT)}
    before = json.loads(api.get("/staff/calendar", headers=staff).body)
    for year in ("２０２７", "٢٠٢٧"):
        response = api.put(
            f"/staff/calendar/{year}",
            headers=staff,
            body=json.dumps({"holidays": [], "workdays": []}).encode(),
        )
        refused(response)
    assert json.loads(api.get("/staff/calendar", headers=staff).body) == before
    for query in ("/metrics/indicators?year=２０２６", "/metrics?period=２０２６-11"):
        refused(api.get(query, headers=staff))
    holidays = {"holidays": ["２０２７-01-01"], "workdays": []}
    response = api.put("/staff/calendar/2027", headers=staff, body=json.dumps(holidays).encode())
    refused(response)


# -- 5. rate limits that hold ------------------------------------------------------------------


def test_a_client_sent_viewer_address_is_not_an_address(api, wiring):
    limit = wiring.settings.limits.reports_per_address
    statuses = [
        post_case(
            api, body_of(), **{"CloudFront-Viewer-Address": f"203.0.113.{n}:4000"}
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses[-1] == 429 and statuses[:-1] == [201] * limit


def test_with_an_edge_secret_nothing_is_answered_that_did_not_come_through_the_edge(api, wiring):
    wiring.settings = replace(wiring.settings, edge_secret=EDGE)
    direct = post_case(api, body_of(), **{"CloudFront-Viewer-Address": "203.0.113.1:4000"})
    assert refused(direct, 403)["code"] == "edge_only"
    refused(api.get("/health", headers={"X-Whistle-Edge": "guess"}), 403)
    assert nothing_stored()
    through = post_case(
        api, body_of(), **{"CloudFront-Viewer-Address": "203.0.113.1:4000", "X-Whistle-Edge": EDGE}
    )
    assert through.status_code == 201


def test_upload_tickets_are_limited_per_address(api, wiring):
    wiring.settings = replace(
        wiring.settings, limits=replace(wiring.settings.limits, uploads_per_address=3)
    )
    body = json.dumps({"content_type": "image/jpeg", "size": 1000}).encode()
    statuses = [
        post(api, "/uploads", body, **{"Idempotency-Key": uuid.uuid4().hex}).status_code
        for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    limited = post(api, "/uploads", body, **{"Idempotency-Key": uuid.uuid4().hex})
    assert refused(limited, 429)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_a_report_with_photos_is_still_one_dynamodb_request(api, wiring, aws_calls):
    api.get("/registry")
    wiring.calendar.current()
    wiring.campaigns_in_force.current()
    key = uuid.uuid4().hex
    staged = upload_photo(api, key, photo())
    aws_calls.clear()
    assert post_case(api, body_of(photos=[staged]), key=key).status_code == 201
    assert aws_calls.of("dynamodb") == ["TransactWriteItems"]
    limits = [c for c in CounterItem.scan() if not c.key.startswith("list#")]  # not list tallies
    assert len(limits) == 3  # phone, address, and the upload ticket


# -- 7. fee uploads all or nothing --------------------------------------------------------------


def fees(api: Any, csv: str) -> Any:
    return api.post(
        "/metrics/fees",
        headers={"Content-Type": "text/csv", **bearer(*DISTRICT)},
        body=csv.encode(),
    )


@pytest.mark.parametrize("amount", ["nan", "NaN", "inf", "-inf", "1e400", "１２３", "1e3"])
def test_a_fee_that_is_no_plain_amount_is_a_row_error_and_nothing_is_stored(api, wiring, amount):
    csv = f"compound,month,billed,collected\nx001,2026-10,1000,900\nx002,2026-10,{amount},1\n"
    assert ("line 3", "invalid_amount") in codes(fees(api, csv))
    assert wiring.metrics.store.fees("2026-10") == []


def test_a_fee_upload_that_fails_half_way_shows_nothing_of_it(api, wiring, monkeypatch):
    from functions.core.adapters import metric_store

    good = "compound,month,billed,collected\nx001,2026-09,1000,900\n"
    assert fees(api, good).status_code == 201
    rows = "".join(f"{c},2026-09,500,400\n" for c in ("x001", "x002", "x003"))

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the switch never happened")

    monkeypatch.setattr(metric_store, "TransactWrite", fails)
    assert fees(api, "compound,month,billed,collected\n" + rows).status_code == 500
    monkeypatch.undo()
    assert wiring.metrics.store.fees("2026-09") == [
        {"compound": "x001", "billed": 1000.0, "collected": 900.0}
    ]
    # The next upload of that month removes what the failed one left unreachable.
    assert fees(api, "compound,month,billed,collected\nx002,2026-09,10,5\n").status_code == 201
    stored = sorted(i.compound.rsplit("#", 1)[-1] for i in FeeItem.query("2026-09"))
    assert stored == ["x001", "x002", "~current"]


def test_an_upload_larger_than_a_transaction_is_still_all_or_nothing(api, wiring):
    compounds = sorted(wiring.registry.current().compounds)[:120]
    rows = "".join(f"{c},2026-08,100,{50 + i % 50}\n" for i, c in enumerate(compounds))
    response = fees(api, "compound,month,billed,collected\n" + rows)
    assert response.status_code == 201, response.body
    assert len(wiring.metrics.store.fees("2026-08")) == 120


# -- 8. Open311 under the JSON API's limits ------------------------------------------------------


@pytest.fixture
def api_key(api):
    response = api.post(
        "/staff/open311/keys",
        headers={**JSON, **bearer(*DISTRICT)},
        body=json.dumps({"name": "12345 热线"}).encode(),
    )
    return json.loads(response.body)["api_key"]


def open311_post(api: Any, api_key: str, description: str) -> Any:
    from urllib.parse import urlencode

    form = {
        "api_key": api_key,
        "service_code": "101",
        "attribute[compound]": "x001",
        "description": description,
    }
    return api.post(
        "/open311/v2/requests.json",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form).encode(),
    )


def test_open311_holds_to_the_json_apis_field_and_body_limits(api, api_key):
    too_long = open311_post(api, api_key, "路" * 2001)
    assert too_long.status_code == 400
    assert any("description" in e["description"] for e in json.loads(too_long.body))
    assert open311_post(api, api_key, "x" * 300_000).status_code == 413
    assert open311_post(api, api_key, "\u200b" * 10).status_code == 400
    assert nothing_stored()


def test_open311_reads_ids_in_batches_and_caps_them(api, aws_calls):
    codes_ = [report(api)["code"] for _ in range(3)]
    asked = ",".join(codes_ + [f"YS-2611-27-{n:04d}" for n in range(9000, 9097)])
    aws_calls.clear()
    response = api.get(f"/open311/v2/requests.json?service_request_id={asked}")
    assert [r["service_request_id"] for r in json.loads(response.body)] == codes_
    assert aws_calls.of("dynamodb") == ["BatchGetItem"]
    many = ",".join(f"YS-2611-27-{n:04d}" for n in range(1000))
    assert api.get(f"/open311/v2/requests.json?service_request_id={many}").status_code == 400


# -- 9. staff reports in scope and limited -------------------------------------------------------


def staff_report(api: Any, who: tuple[str, str], compound: str) -> Any:
    return api.post(
        "/staff/reports",
        headers={**JSON, **bearer(*who), "Idempotency-Key": uuid.uuid4().hex},
        body=json.dumps(body_of(compound=compound, phone=None)).encode(),
    )


def test_grid_workers_and_companies_report_only_for_their_compounds(api, wiring):
    registry = wiring.registry.current()
    grid = ("grid.g001", "grid:g001")  # x001
    assert staff_report(api, grid, "x001").status_code == 201
    assert refused(staff_report(api, grid, "x002"), 403)["code"] == "compound_out_of_scope"
    company = registry.compounds["x002"].property_company
    managed = registry.managed_compounds(company)
    elsewhere = next(c for c in registry.compounds if c not in managed)
    who = (f"property.{company}", f"property:{company}")
    assert staff_report(api, who, managed[0]).status_code == 201
    assert refused(staff_report(api, who, elsewhere), 403)["code"] == "compound_out_of_scope"
    assert CaseItem.count() == 2


def test_staff_reports_are_limited_per_account(api, wiring):
    wiring.settings = replace(
        wiring.settings, limits=replace(wiring.settings.limits, reports_per_staff=2)
    )
    grid = ("grid.g001", "grid:g001")
    statuses = [staff_report(api, grid, "x001").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert staff_report(api, ("grid.g002", "grid:g002"), "x001").status_code == 201
