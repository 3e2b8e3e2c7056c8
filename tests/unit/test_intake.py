"""The intake use cases with fakes: Given a registry and empty stores, When a resident
reports, Then ..."""

from dataclasses import replace

import pytest

from functions.core.domain.cases import NewReport, Status
from functions.core.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
)
from functions.core.ports import StoredPhoto
from functions.core.services import intake
from functions.core.services.residents import Credentials
from tests.fakes import SequenceIds, intake_deps
from tests.images import metadata_of, photo, pixels

KEY = "report-key-0001"


def street_light(**changes):
    report = NewReport(
        category="street_light",
        compound="x001",
        address="3栋2单元门口",
        description="路灯坏了一个星期，晚上很黑",
        phone="138 1234 5678",
        consent=True,
    )
    return replace(report, **changes)


def file(deps, report=None, key=KEY):
    report = report or street_light()
    body = {
        "category": report.category,
        "compound": report.compound,
        "address": report.address,
        "description": report.description,
        "phone": report.phone,
        "consent": report.consent,
        "photos": list(report.photos),
    }
    return intake.file_report(deps, key, body)


def upload(deps, key=KEY, content_type="image/jpeg", data=None):
    data = data if data is not None else photo(content_type)
    ticket = intake.presign_upload(deps, key, content_type, len(data))
    deps.photos.stage(ticket["key"], data, content_type)
    return ticket["key"]


def test_a_report_becomes_a_submitted_case_with_a_code_and_a_secret_token():
    deps = intake_deps()
    receipt = file(deps)
    assert receipt.code.startswith("YS-2611-27-")
    assert receipt.status == "submitted"
    assert len(receipt.token) >= 16
    case = deps.cases.get(receipt.code)
    assert case.status is Status.SUBMITTED
    assert case.community == deps.registry.registry.compounds["x001"].community
    assert receipt.token not in case.token_hash


def test_the_phone_is_kept_encrypted_with_a_lookup_hash_and_a_masked_form():
    deps = intake_deps()
    case = deps.cases.get(file(deps).code)
    assert "13812345678" not in repr(case)
    assert case.phone.masked == "138****5678"
    assert deps.vault.open_phone(case.phone) == "13812345678"


def test_the_first_timeline_event_records_the_report():
    deps = intake_deps()
    code = file(deps).code
    [event] = deps.cases.timeline(code)
    assert (event.kind, event.seq, event.status_before, event.status_after) == (
        "reported",
        0,
        None,
        Status.SUBMITTED,
    )
    assert event.actor.role == "resident"


def test_the_same_key_and_body_give_back_the_same_case_and_token():
    deps = intake_deps()
    first = file(deps)
    again = file(deps)
    assert (again.code, again.token) == (first.code, first.token)
    assert again.replayed
    assert deps.cases.writes == 1


def test_the_same_key_with_another_body_is_a_conflict():
    deps = intake_deps()
    file(deps)
    with pytest.raises(Conflict) as caught:
        file(deps, street_light(description="另一个问题：井盖丢了"))
    assert caught.value.code == "idempotency_key_reused"
    assert deps.cases.writes == 1


def test_an_expired_key_may_be_used_for_a_new_report():
    deps = intake_deps()
    first = file(deps)
    deps.clock.advance(days=8)
    second = file(deps)
    assert second.code != first.code


def test_a_code_collision_is_retried_with_another_code():
    deps = intake_deps(ids=SequenceIds(digits=["0042", "0042", "77777"]))
    first = file(deps, key="first-report-key")
    second = file(deps, key="other-report-key")
    assert first.code.endswith("-0042")
    assert second.code.endswith("-77777")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"category": "dragons"}, "category", "unknown_category"),
        ({"compound": "x999"}, "compound", "unknown_compound"),
        ({"phone": "12345"}, "phone", "invalid_phone"),
        ({"consent": False}, "consent", "consent_required"),
        ({"description": "  短  "}, "description", "too_short"),
        ({"address": "   "}, "address", "required"),
    ],
)
def test_a_bad_report_is_refused_with_the_field_and_nothing_is_stored(changes, field, code):
    deps = intake_deps()
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(**changes))
    assert (field, code) in {(d.field, d.code) for d in caught.value.details}
    assert deps.cases.writes == 0 and not deps.cases.records


def test_all_problems_of_a_report_are_listed_together():
    deps = intake_deps()
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(category="dragons", phone="1", consent=False))
    assert {d.field for d in caught.value.details} == {"category", "phone", "consent"}


def test_uploaded_photos_move_to_the_cases_own_folder():
    deps = intake_deps()
    photos = (upload(deps), upload(deps, content_type="image/png"))
    receipt = file(deps, street_light(photos=photos))
    case = deps.cases.get(receipt.code)
    assert len(case.photos) == 2
    assert all(p.startswith("cases/") for p in case.photos)
    assert all(deps.photos.stat(p) for p in case.photos)
    assert len({p.split("/")[1] for p in case.photos}) == 1


def test_a_photo_key_that_was_never_uploaded_is_refused():
    deps = intake_deps()
    ticket = intake.presign_upload(deps, KEY, "image/jpeg", 1000)  # presigned, never uploaded
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=(ticket["key"],)))
    assert caught.value.details[0].code == "photo_not_uploaded"
    assert caught.value.details[0].field == "photos/0"


def test_a_photo_uploaded_for_another_report_is_refused():
    deps = intake_deps()
    elsewhere = upload(deps, key="someone-elses-key")
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=(elsewhere,)))
    assert caught.value.details[0].code == "photo_not_uploaded"


def test_more_than_six_photos_are_refused():
    deps = intake_deps()
    photos = tuple(upload(deps) for _ in range(7))
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=photos))
    assert caught.value.details[0].code == "too_many_photos"


def test_a_stored_object_that_is_too_large_or_not_an_image_is_refused():
    deps = intake_deps()
    big = upload(deps)
    # The policy's size limit was not honoured.
    deps.photos.objects[big] = StoredPhoto(size=9 * 1024 * 1024, content_type="image/jpeg")
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=(big,)))
    assert caught.value.details[0].code == "photo_too_large"
    deps.photos.stage(big, b"<html>", "text/html")
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=(big,)))
    assert caught.value.details[0].code == "unsupported_type"


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_a_kept_photo_has_the_same_pixels_and_no_exif_gps_or_text(content_type):
    deps = intake_deps()
    sent = photo(content_type)
    assert "gps" in metadata_of(sent)
    receipt = file(deps, street_light(photos=(upload(deps, content_type=content_type),)))
    [kept] = deps.cases.get(receipt.code).photos
    stored = deps.photos.data[kept]
    assert metadata_of(stored) == {}
    assert pixels(stored) == pixels(sent)
    assert deps.photos.objects[kept].content_type == content_type


@pytest.mark.parametrize(
    ("content_type", "data", "code"),
    [
        ("image/jpeg", photo("image/png"), "not_an_image"),  # a PNG sent as a JPEG
        ("image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, "not_an_image"),
        ("image/webp", b"<script>alert(1)</script>", "not_an_image"),
        ("image/jpeg", photo("image/jpeg")[:300], "not_an_image"),  # cut short
        ("image/png", photo("image/png", size=(20_001, 1)), "too_many_pixels"),
    ],
)
def test_a_file_that_is_not_a_photo_of_its_type_is_refused_and_nothing_is_kept(
    content_type, data, code
):
    deps = intake_deps()
    staged = upload(deps, content_type=content_type, data=data)
    with pytest.raises(InvalidInput) as caught:
        file(deps, street_light(photos=(staged,)))
    assert (caught.value.details[0].field, caught.value.details[0].code) == ("photos/0", code)
    assert deps.cases.writes == 0
    assert not [k for k in deps.photos.objects if k.startswith("cases/")]


def test_a_report_that_is_refused_at_its_transaction_leaves_no_photo_behind():
    deps = intake_deps()
    deps = replace(deps, limits=replace(deps.limits, reports_per_phone=1))
    file(deps, key="first-report-01")
    staged = upload(deps)
    with pytest.raises(RateLimited):
        file(deps, street_light(photos=(staged,)))
    assert len([k for k in deps.photos.objects if k.startswith("cases/")]) == 0


def test_an_upload_ticket_is_only_for_images_up_to_8_mb():
    deps = intake_deps()
    with pytest.raises(InvalidInput):
        intake.presign_upload(deps, KEY, "application/pdf", 100)
    with pytest.raises(PayloadTooLarge):
        intake.presign_upload(deps, KEY, "image/jpeg", 8 * 1024 * 1024 + 1)
    ticket = intake.presign_upload(deps, KEY, "image/webp", 100)
    assert ticket["key"].endswith(".webp") and ticket["max_bytes"] == 8 * 1024 * 1024


def test_a_retry_whose_staged_photos_have_expired_still_gets_its_case():
    deps = intake_deps()
    photo = upload(deps)
    first = file(deps, street_light(photos=(photo,)))
    del deps.photos.objects[photo]  # the staging area's lifecycle rule removed it
    again = file(deps, street_light(photos=(photo,)))
    assert again.code == first.code


@pytest.mark.parametrize("key", [None, "short", "has spaces in it", "x" * 101])
def test_a_report_needs_a_well_formed_idempotency_key(key):
    deps = intake_deps()
    with pytest.raises(InvalidInput) as caught:
        file(deps, key=key)
    assert caught.value.details[0].field == "Idempotency-Key"


def test_the_resident_view_needs_the_token_and_masks_the_phone():
    deps = intake_deps()
    receipt = file(deps)
    view = intake.view_case(deps, receipt.code, Credentials(receipt.token))
    assert view["phone"] == "138****5678"
    assert view["status"] == "submitted"
    assert view["category"]["name"] == "路灯照明"
    assert [e["kind"] for e in view["timeline"]] == ["reported"]


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_a_wrong_token_and_an_unknown_code_look_the_same(token):
    deps = intake_deps()
    receipt = file(deps)
    with pytest.raises(NotFound) as wrong:
        intake.view_case(deps, receipt.code, Credentials(token))
    with pytest.raises(NotFound) as unknown:
        intake.view_case(deps, "YS-2611-27-9999", Credentials(receipt.token))
    assert wrong.value.body() == unknown.value.body()
