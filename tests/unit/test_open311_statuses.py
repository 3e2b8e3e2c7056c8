"""Whistle's events as mySociety's extended statuses (the README's table), and what of an
event a 311 client may see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.core.domain.cases import Actor, CaseEvent, Status
from functions.core.services.open311 import public_update
from tests.fakes import FakePhotoStore

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def event(kind: str, after: Status, note: str | None = None, **data: object) -> CaseEvent:
    return CaseEvent(
        "YS-2611-27-0001", 4, AT, kind, Actor("department", "x"), None, after, note, data
    )


@pytest.mark.parametrize(
    ("kind", "after", "status", "request_status"),
    [
        ("reported", Status.SUBMITTED, "OPEN", "open"),
        ("returned", Status.SUBMITTED, "FOR_TRIAGE", "open"),
        ("local", Status.LOCAL, "IN_PROGRESS", "open"),
        ("whistled", Status.WHISTLED, "INVESTIGATING", "open"),
        ("dispatched", Status.DISPATCHED, "INVESTIGATING", "open"),
        ("claimed", Status.CLAIMED, "IN_PROGRESS", "open"),
        ("extension_approved", Status.CLAIMED, "ACTION_SCHEDULED", "open"),
        ("resolved", Status.RESOLVED, "FIXED", "open"),
        ("reopened", Status.CLAIMED, "REOPEN", "open"),
        ("closed", Status.CLOSED, "FIXED", "closed"),
        ("rejected", Status.REJECTED, "CLOSED", "closed"),
        ("merged", Status.MERGED, "DUPLICATE", "closed"),
        ("published", Status.LOCAL, "IN_PROGRESS", "open"),
        ("published", Status.CLOSED, "FIXED", "closed"),
    ],
)
def test_each_public_event_has_its_extended_status(kind, after, status, request_status):
    update = public_update(event(kind, after), FakePhotoStore())
    assert (update["status"], update["request_status"]) == (status, request_status)
    assert update["update_id"] == "YS-2611-27-0001-4" and update["external_status_code"] == kind
    assert update["updated_datetime"] == "2026-11-27T10:00:00+08:00"


def test_only_the_resolution_note_and_the_published_summary_are_descriptions():
    photos = FakePhotoStore()
    resolved = public_update(
        event("resolved", Status.RESOLVED, "已更换灯具", photo_keys=["cases/x/r.jpg"]), photos
    )
    assert resolved["description"] == "已更换灯具"
    assert resolved["media_url"] == "https://photos.test/cases/x/r.jpg?expires=600"
    published = public_update(event("published", Status.CLAIMED, "北门一盏路灯不亮"), photos)
    assert published["description"] == "北门一盏路灯不亮"
    for kind, after in (("rejected", Status.REJECTED), ("whistled", Status.WHISTLED)):
        assert public_update(event(kind, after, "内部说明"), photos)["description"] is None
