"""The intake API through Chalice's test client, on moto: every rule of a report."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import boto3
import pytest
import requests

from functions.core.adapters.tables import CaseItem, EventItem, IdempotencyItem
from tests.images import photo

PHONE = "13812345678"


def report(**changes: Any) -> dict[str, Any]:
    body = {
        "category": "street_light",
        "compound": "x001",
        "address": "3栋2单元门口",
        "description": "路灯坏了一个星期，晚上很黑",
        "phone": PHONE,
        "consent": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def post_case(
    api: Any,
    body: Any,
    key: str | None = "key-0000000001",
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> Any:
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.post(
        "/cases", headers=headers, body=raw if raw is not None else json.dumps(body).encode()
    )


def upload_photo(
    api: Any,
    key: str,
    data: bytes | None = None,
    content_type: str = "image/jpeg",
) -> str:
    data = data if data is not None else photo(content_type)
    response = api.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps({"content_type": content_type, "size": len(data)}).encode(),
    )
    assert response.status_code == 201, response.body
    ticket = json.loads(response.body)
    posted = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("photo.jpg", data, content_type)},
        timeout=10,
    )
    assert posted.status_code in (200, 204), posted.text
    return str(ticket["key"])


def stored() -> dict[str, int]:
    return {
        "cases": CaseItem.count(),
        "events": sum(1 for _ in EventItem.scan()),
        "keys": sum(1 for _ in IdempotencyItem.scan()),
    }


def error_of(response: Any) -> dict[str, Any]:
    body = json.loads(response.body)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return dict(body["error"])


def test_health_says_ok(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_the_registry_lists_communities_with_compounds_and_categories_and_is_cacheable(api):
    response = api.get("/registry")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    body = json.loads(response.body)
    assert body["sample"] is True
    community = body["communities"][0]
    assert set(community) == {"id", "name", "street", "compounds"}
    assert set(community["compounds"][0]) == {"id", "name", "type"}
    assert sum(len(c["compounds"]) for c in body["communities"]) == 155
    category = body["categories"][0]
    assert {"id", "name", "group", "urgent"} <= set(category)


def test_a_report_is_stored_with_one_transaction_and_answered_with_code_and_token(
    api, aws_calls, wiring
):
    api.get("/registry")  # registry, calendar and campaigns cached, as on a warm function
    wiring.calendar.current()
    wiring.campaigns_in_force.current()
    aws_calls.clear()
    response = post_case(api, report())
    assert response.status_code == 201, response.body
    body = json.loads(response.body)
    assert body["status"] == "submitted"
    assert body["code"].startswith("YS-2611-27-")
    assert response.headers["Location"] == f"/api/cases/{body['code']}"
    # One request: a transaction for case, event, key and the rate-limit counts, each count
    # conditional on its window's limit (nothing is read first).
    assert aws_calls.of("dynamodb") == ["TransactWriteItems"]
    assert stored() == {"cases": 1, "events": 1, "keys": 1}


def test_the_phone_is_stored_encrypted_with_a_hash_and_masked(api):
    post_case(api, report(phone="+86 138-1234-5678"))
    raw = boto3.client("dynamodb").scan(TableName=CaseItem.Meta.table_name)["Items"][0]
    assert PHONE not in json.dumps(raw)
    assert raw["phone_masked"] == {"S": "138****5678"}
    assert raw["phone_cipher"]["S"].startswith("v1.") and len(raw["phone_lookup"]["S"]) == 64


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (report(category="dragons"), "category", "unknown_category"),
        (report(compound="x999"), "compound", "unknown_compound"),
        (report(phone="1234567"), "phone", "invalid_phone"),
        (report(phone="12812345678"), "phone", "invalid_phone"),
        (report(description="太黑"), "description", "too_short"),
        (report(description="黑" * 2001), "description", "too_long"),
        (report(consent=None), "consent", "missing_field"),
        (report(consent=False), "consent", "consent_required"),
        (report(photos=[f"incoming/x/{i}.jpg" for i in range(7)]), "photos", "too_many_photos"),
        (report(photos=["incoming/0123/abc.jpg"]), "photos/0", "photo_not_uploaded"),
        (report(nickname="老王"), "nickname", "unknown_field"),
        (report(location={"lat": 31.6, "lng": 118.5, "alt": 3}), "location/alt", "unknown_field"),
        (report(location={"lat": 91, "lng": 118.5}), "location/lat", "out_of_range"),
        ([1, 2], "body", "wrong_type"),
    ],
)
def test_a_bad_report_is_a_400_naming_the_field_and_stores_nothing(api, body, field, code):
    response = post_case(api, body)
    assert response.status_code == 400
    error = error_of(response)
    assert (field, code) in {(d["field"], d["code"]) for d in error["details"]}
    assert stored() == {"cases": 0, "events": 0, "keys": 0}


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(api):
    response = post_case(api, None, raw=b"{not json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_body_of_another_media_type_is_a_415_in_the_error_shape(api):
    response = post_case(
        api, None, raw=b"category=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_an_unsupported_method_is_a_405_in_the_error_shape(api):
    response = api.delete("/cases")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_report_without_idempotency_key_is_refused(api):
    response = post_case(api, report(), key=None)
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == "Idempotency-Key"
    assert stored()["cases"] == 0


def test_the_same_key_and_body_return_the_same_case(api):
    first = json.loads(post_case(api, report()).body)
    again = post_case(api, report())
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert json.loads(again.body) == first
    assert stored() == {"cases": 1, "events": 1, "keys": 1}


def test_the_same_key_with_another_body_is_a_409_and_changes_nothing(api):
    post_case(api, report())
    response = post_case(api, report(description="另一个问题：井盖丢了"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert stored() == {"cases": 1, "events": 1, "keys": 1}


def test_concurrent_retries_of_one_report_create_one_case(wiring, one_aws_call_at_a_time):
    from functions.core.services import intake

    deps = wiring.intake
    body = report()
    results: list[str] = []
    errors: list[Exception] = []

    def submit() -> None:
        try:
            results.append(intake.file_report(deps, "same-key-123", body).code)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert CaseItem.count() == 1


def test_a_photo_uploaded_with_the_presigned_post_is_attached_and_readable(api, wiring):
    key = "photo-report-0001"
    data = photo(gps=False)  # nothing to strip: kept byte for byte
    staged = upload_photo(api, key, data)
    response = post_case(api, report(photos=[staged]), key=key)
    assert response.status_code == 201, response.body
    receipt = json.loads(response.body)
    view = json.loads(
        api.get(f"/cases/{receipt['code']}", headers={"X-Case-Token": receipt["token"]}).body
    )
    [url] = view["photos"]
    assert requests.get(url, timeout=10).content == data
    objects = boto3.client("s3").list_objects_v2(
        Bucket=wiring.settings.photo_bucket, Prefix="cases/"
    )
    [kept] = [o["Key"] for o in objects["Contents"]]
    assert kept.startswith(f"cases/{staged.split('/')[1]}/") and kept.endswith(".jpg")


def test_a_photo_uploaded_for_another_report_is_refused(api):
    photo = upload_photo(api, "other-report-01")
    response = post_case(api, report(photos=[photo]), key="this-report-001")
    assert response.status_code == 400
    assert error_of(response)["details"][0]["code"] == "photo_not_uploaded"


def test_the_upload_policy_limits_type_size_and_key(api):
    response = api.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": "upload-key-001"},
        body=json.dumps({"content_type": "image/png", "size": 1234}).encode(),
    )
    ticket = json.loads(response.body)
    import base64

    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 8 * 1024 * 1024] in conditions
    assert ["eq", "$Content-Type", "image/png"] in conditions
    assert {"key": ticket["key"]} in conditions
    assert ticket["key"].startswith("incoming/") and ticket["key"].endswith(".png")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"content_type": "application/pdf", "size": 100}, 400, "unsupported_type"),
        ({"content_type": "image/jpeg", "size": 8 * 1024 * 1024 + 1}, 413, "photo_too_large"),
        ({"content_type": "image/jpeg"}, 400, "missing_field"),
        ({"content_type": "image/jpeg", "size": 10, "acl": "public-read"}, 400, "unknown_field"),
    ],
)
def test_a_bad_upload_request_gets_a_clear_error(api, body, status, code):
    response = api.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": "upload-key-001"},
        body=json.dumps(body).encode(),
    )
    assert response.status_code == status
    assert code in {d["code"] for d in error_of(response)["details"]}


def test_the_resident_sees_the_case_with_masked_phone_and_timeline(api):
    receipt = json.loads(post_case(api, report()).body)
    response = api.get(f"/cases/{receipt['code']}", headers={"X-Case-Token": receipt["token"]})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    view = json.loads(response.body)
    assert view["status"] == "submitted"
    assert view["phone"] == "138****5678"
    assert view["category"]["name"] == "路灯照明"
    assert view["compound"]["id"] == "x001"
    assert [e["kind"] for e in view["timeline"]] == ["reported"]
    assert PHONE not in response.body.decode()


def test_an_unknown_code_and_a_wrong_token_give_the_same_404(api):
    receipt = json.loads(post_case(api, report()).body)
    wrong = api.get(f"/cases/{receipt['code']}", headers={"X-Case-Token": "guess"})
    missing = api.get("/cases/YS-2611-27-9999", headers={"X-Case-Token": receipt["token"]})
    no_token = api.get(f"/cases/{receipt['code']}")
    assert wrong.status_code == missing.status_code == no_token.status_code == 404
    assert wrong.body == missing.body == no_token.body


def test_the_phone_number_never_reaches_the_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    for logger in ("pynamodb", "botocore"):
        logging.getLogger(logger).setLevel(logging.INFO)
    receipt = json.loads(post_case(api, report()).body)
    api.get(f"/cases/{receipt['code']}", headers={"X-Case-Token": receipt["token"]})
    post_case(api, report(phone="13812345678", category="dragons"), key="another-key-01")
    assert PHONE not in caplog.text
    assert "5678" not in "".join(r.getMessage() for r in caplog.records if "whistle" in r.name)


def test_readiness_reads_each_dependency_and_names_the_one_that_fails(api, wiring):
    ready = api.get("/health/ready")
    assert ready.status_code == 200 and ready.headers["Cache-Control"] == "no-store"
    body = json.loads(ready.body)
    assert body == {
        "status": "ready",
        "checks": {
            "registry": "ok",
            "cases": "ok",
            "notifications": "ok",
            "photos": "ok",
            "secrets": "ok",
        },
    }
    from functions.core.adapters.photo_store import S3PhotoStore

    # The photo bucket gone (or not yet created, or not granted): readiness says so.
    wiring.__dict__["photos"] = S3PhotoStore(wiring.client("s3"), "no-such-bucket")
    broken = api.get("/health/ready")
    assert broken.status_code == 503
    assert json.loads(broken.body)["checks"] == {**body["checks"], "photos": "failed"}
    assert b"no-such-bucket" not in broken.body
