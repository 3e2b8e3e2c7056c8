"""FixMyStreet on Whistle: the HTTP requests FixMyStreet's Open311 client makes (perllib/Open311.pm
and Open311/GetServiceRequestUpdates.pm, PostServiceRequestUpdates.pm in mysociety/fixmystreet),
parsed as it parses them — XML read into plain dicts by a generic reader, with lists forced
where FixMyStreet forces them (its XML::Simple ForceArray) and the root element dropped."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta
from typing import Any

import pytest
import xmltodict

from functions.core.domain.clock import parse_iso
from tests.conftest import bearer
from tests.images import metadata_of
from tests.integration.flows import DISTRICT, LUDENG, act, ok, tick, view
from tests.media_server import fetcher, media_server
from tests.media_server import url as media_url

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# FixMyStreet's ForceArray: these elements are lists even when one is sent.
FORCED = ("service", "attribute", "value", "request", "error", "request_update")
JURISDICTION = "yushan"


def parsed(body: bytes) -> dict[str, Any]:
    """XML::Simple's XMLin: the root's children as a dict, empty elements as None."""
    document = xmltodict.parse(body, force_list=FORCED)
    [root] = document.values()
    return dict(root or {})


def w3c_utc(moment: Any) -> str:
    """How FixMyStreet writes its window: DateTime::Format::W3CDTF in UTC."""
    return moment.astimezone(parse_iso("2026-01-01T00:00:00Z").tzinfo).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


class FixMyStreet:
    """The requests of FixMyStreet's Open311 client, against the app."""

    def __init__(self, api: Any, api_key: str) -> None:
        self.api = api
        self.api_key = api_key

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode({**params, "jurisdiction_id": JURISDICTION})
        return self.api.get(f"/open311/v2/{path}?{query}")

    def post(self, path: str, params: dict[str, str]) -> Any:
        fields = {**params, "jurisdiction_id": JURISDICTION, "api_key": self.api_key}
        return self.api.post(
            f"/open311/v2/{path}", headers=FORM, body=urllib.parse.urlencode(fields).encode()
        )

    def service_list(self) -> dict[str, Any]:
        return parsed(self.get("services.xml").body)

    def service_meta_info(self, code: str) -> dict[str, Any]:
        return parsed(self.get(f"services/{code}.xml").body)

    def send_service_request(self, fixmystreet_id: int, **extra: str) -> str:
        """_populate_service_request_params: FixMyStreet's text, its user's contact details
        (a UK number and an e-mail Whistle cannot use), the point, its own id as attribute."""
        response = self.post(
            "requests.xml",
            {
                "description": "Street light out\n\n路口的路灯坏了好几天\n\n"
                f"https://fms.example/report/{fixmystreet_id}\n",
                "service_code": "104",
                "first_name": "Alex",
                "last_name": "Example",
                "email": "alex@example.org",
                "phone": "07700 900123",
                "lat": "31.650000",
                "long": "118.500000",
                "attribute[fixmystreet_id]": str(fixmystreet_id),
                **extra,
            },
        )
        assert response.status_code == 201, response.body
        request_id = parsed(response.body)["request"][0]["service_request_id"]
        assert isinstance(request_id, str)  # `return $request_id unless ref $request_id`
        return request_id

    def service_requests(self, ids: list[str]) -> dict[str, Any]:
        return parsed(self.get("requests.xml", service_request_id=",".join(ids)).body)

    def service_request_updates(self, start: Any, end: Any) -> list[dict[str, Any]]:
        response = self.get(
            "servicerequestupdates.xml",
            api_key=self.api_key,
            start_date=w3c_utc(start),
            end_date=w3c_utc(end),
        )
        assert response.status_code == 200, response.body
        updates = parsed(response.body).get("request_update") or []
        for update in updates:  # GetServiceRequestUpdates::check_date keeps only these
            moment = w3c_utc(parse_iso(update["updated_datetime"]))
            assert w3c_utc(start) <= moment <= w3c_utc(end)
        return list(updates)

    def post_service_request_update(self, request_id: str, comment_id: int, **changes: str) -> Any:
        """_populate_service_request_update_params, for a comment of the report's author."""
        params = {
            "updated_datetime": changes.pop("updated_datetime"),
            "service_request_id": request_id,
            "status": "OPEN",
            "description": "Still not working, 还是不亮",
            "last_name": "Example",
            "first_name": "Alex",
            "email": "alex@example.org",
            "update_id": str(comment_id),
            **changes,
        }
        return self.post("servicerequestupdates.xml", params)


def issue_key(api: Any, name: str, **extra: str) -> str:
    issued = api.post(
        "/staff/open311/keys",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"name": name, **extra}).encode(),
    )
    assert issued.status_code == 201, issued.body
    return str(json.loads(issued.body)["api_key"])


@pytest.fixture
def fixmystreet(api: Any) -> FixMyStreet:
    return FixMyStreet(api, issue_key(api, "FixMyStreet（测试）"))


def test_fixmystreet_sends_a_report_follows_it_and_reopens_it(api, wiring, clock, fixmystreet):
    # PopulateServiceList: the services and one definition.
    services = fixmystreet.service_list()["service"]
    assert {"104", "102"} <= {s["service_code"] for s in services}
    meta = fixmystreet.service_meta_info("104")
    assert [a["code"] for a in meta["attributes"]["attribute"]] == ["compound", "building"]

    # SendReport::Open311: the report is accepted although its phone is not a mainland
    # mobile; the contact details are dropped, FixMyStreet's own id is kept.
    request_id = fixmystreet.send_service_request(fixmystreet_id=4242)
    [request] = fixmystreet.service_requests([request_id])["request"]
    assert request["status"] == "open" and request["client_reference"] == "4242"
    staff = view(api, DISTRICT, request_id)
    assert staff["phone"] in ("", None) and "Alex" not in json.dumps(staff, ensure_ascii=False)

    # The community whistles, the department is alerted, claims and resolves.
    start = clock.now() - timedelta(minutes=1)
    ok(act(api, DISTRICT, request_id, "whistle", note="请路灯所处理"))
    tick(wiring)
    ok(act(api, LUDENG, request_id, "claim"))
    ok(act(api, LUDENG, request_id, "resolve", note="已更换灯具"))
    clock.advance(minutes=30)
    first = fixmystreet.service_request_updates(start, clock.now())
    assert [(u["status"], u["external_status_code"]) for u in first] == [
        ("OPEN", "reported"),
        ("INVESTIGATING", "whistled"),
        ("INVESTIGATING", "dispatched"),
        ("IN_PROGRESS", "claimed"),
        ("FIXED", "resolved"),
    ]
    assert all(u["service_request_id"] == request_id for u in first)
    assert len({u["update_id"] for u in first}) == 5
    fixed = first[-1]
    assert fixed["description"] == "已更换灯具" and fixed["request_status"] == "open"
    assert first[1]["description"] is None  # the community's note to the department stays inside
    text = json.dumps(first, ensure_ascii=False)
    assert "路口的路灯坏了" not in text and "alex@" not in text
    # The same window again: the same updates under the same ids (FixMyStreet skips those).
    assert fixmystreet.service_request_updates(start, clock.now()) == first

    # PostServiceRequestUpdates: the author says it is not fixed (FixMyStreet without
    # extended statuses says OPEN); the case reopens once, however often it is sent.
    second_start = clock.now()
    clock.advance(minutes=5)
    posted = fixmystreet.post_service_request_update(
        request_id, 901, updated_datetime=w3c_utc(clock.now())
    )
    assert posted.status_code == 201, posted.body
    update_id = parsed(posted.body)["request_update"][0]["update_id"]
    assert isinstance(update_id, str) and update_id
    again = fixmystreet.post_service_request_update(
        request_id, 901, updated_datetime=w3c_utc(clock.now())
    )
    assert parsed(again.body)["request_update"][0]["update_id"] == update_id
    case = view(api, DISTRICT, request_id)
    assert case["status"] == "claimed" and case["reopen_count"] == 1
    kinds = [e["kind"] for e in case["timeline"]]
    assert kinds.count("client_update") == 1 and kinds.count("reopened") == 1
    assert case["timeline"][kinds.index("client_update")]["note"] == "Still not working, 还是不亮"

    clock.advance(minutes=5)
    [reopened] = fixmystreet.service_request_updates(second_start, clock.now())
    assert reopened["status"] == "REOPEN" and reopened["request_status"] == "open"
    assert reopened["description"] is None  # the resident's words are never published


def test_a_comment_that_crossed_the_resolution_or_comes_from_another_client_only_comments(
    api, wiring, clock, fixmystreet
):
    request_id = fixmystreet.send_service_request(fixmystreet_id=77)
    written_before = w3c_utc(clock.now())
    ok(act(api, DISTRICT, request_id, "whistle"))
    tick(wiring)
    ok(act(api, LUDENG, request_id, "claim"))
    clock.advance(minutes=1)
    ok(act(api, LUDENG, request_id, "resolve", note="已更换灯具"))
    crossed = fixmystreet.post_service_request_update(
        request_id, 1, updated_datetime=written_before
    )
    assert crossed.status_code == 201, crossed.body
    other = FixMyStreet(api, issue_key(api, "另一个前端（测试）"))
    by_other = other.post_service_request_update(
        request_id, 1, status="REOPEN", updated_datetime=w3c_utc(clock.now())
    )
    assert by_other.status_code == 201, by_other.body
    case = view(api, DISTRICT, request_id)
    assert case["status"] == "resolved" and case["reopen_count"] == 0
    assert [e["kind"] for e in case["timeline"]].count("client_update") == 2


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"service_request_id": "YS-0000-00-0000"}, 404, "YS-0000-00-0000"),
        ({"update_id": ""}, 400, "update_id"),
        ({"jurisdiction_id": "beijing"}, 404, "jurisdiction_id"),
        ({"api_key": "nope.nope"}, 403, "api_key"),
    ],
)
def test_refused_updates_store_nothing_and_say_why(
    api, clock, fixmystreet, changes, status, fragment
):
    request_id = fixmystreet.send_service_request(fixmystreet_id=5)
    params = {
        "service_request_id": request_id,
        "update_id": "9",
        "description": "评论",
        "jurisdiction_id": JURISDICTION,
        "api_key": fixmystreet.api_key,
        **changes,
    }
    response = fixmystreet.api.post(
        "/open311/v2/servicerequestupdates.xml",
        headers=FORM,
        body=urllib.parse.urlencode(params).encode(),
    )
    assert response.status_code == status
    errors = parsed(response.body)["error"]
    assert all(e["code"] == str(status) for e in errors)
    assert any(fragment in e["description"] for e in errors)
    timeline = view(api, DISTRICT, request_id)["timeline"]
    assert [e["kind"] for e in timeline] == ["reported"]


def test_the_update_feed_in_json_needs_a_key_and_a_sane_window(api, clock, fixmystreet):
    request_id = fixmystreet.send_service_request(fixmystreet_id=6)
    response = api.get(
        f"/open311/v2/servicerequestupdates.json?api_key={urllib.parse.quote(fixmystreet.api_key)}"
    )
    [update] = json.loads(response.body)  # the default window: the last day
    assert update["service_request_id"] == request_id and update["status"] == "OPEN"
    assert update["updated_datetime"].endswith("+08:00")
    refused = api.get("/open311/v2/servicerequestupdates.json")
    assert refused.status_code == 403
    too_long = api.get(
        "/open311/v2/servicerequestupdates.json?"
        + urllib.parse.urlencode(
            {
                "api_key": fixmystreet.api_key,
                "start_date": "2026-01-01T00:00:00Z",
                "end_date": "2026-11-27T00:00:00Z",
            }
        )
    )
    assert too_long.status_code == 400 and "end_date" in json.loads(too_long.body)[0]["description"]


@pytest.fixture
def photos_online(wiring: Any) -> Any:
    """media_url fetched from the test's server on 127.0.0.1, names from the test's table."""
    with media_server() as server:
        wiring.__dict__["media"] = fetcher()
        wiring.__dict__.pop("open311", None)
        yield server


def stored_objects() -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket="whistle-local-photos")
    return [entry["Key"] for entry in listed.get("Contents", [])]


def test_a_media_url_photo_is_kept_without_its_metadata(api, photos_online, fixmystreet):
    import boto3

    request_id = fixmystreet.send_service_request(
        fixmystreet_id=8, media_url=media_url(photos_online, "/photo.jpg")
    )
    case = view(api, DISTRICT, request_id)
    assert len(case["photos"]) == 1
    [kept] = [k for k in stored_objects() if k.startswith("cases/")]
    data = boto3.client("s3").get_object(Bucket="whistle-local-photos", Key=kept)["Body"].read()
    assert metadata_of(data) == {}  # the camera's GPS position is gone

    posted = fixmystreet.post_service_request_update(
        request_id,
        12,
        status="CLOSED",
        updated_datetime="2026-11-27T02:00:00Z",
        media_url=media_url(photos_online, "/photo.jpg"),
    )
    assert posted.status_code == 201, posted.body
    timeline = view(api, DISTRICT, request_id)["timeline"]
    [update] = [e for e in timeline if e["kind"] == "client_update"]
    assert len(update["data"]["photo_keys"]) == 1
    [update_photo] = [k for k in stored_objects() if "/updates/" in k]
    assert update_photo == update["data"]["photo_keys"][0]


@pytest.mark.parametrize(
    ("path", "host", "why"),
    [
        ("/photo.jpg", "metadata.test", "link-local"),
        ("/photo.jpg", "intranet.test", "private"),
        ("/to/metadata.test", "photos.fms.test", "metadata.test resolves to a private"),
        ("/big.jpg", "photos.fms.test", "larger than 8 MB"),
        ("/page.html", "photos.fms.test", "not a JPEG, PNG or WebP"),
        ("/disguised.jpg", "photos.fms.test", "not a photo"),
    ],
)
def test_a_refused_media_url_stores_nothing_and_says_why(
    api, photos_online, fixmystreet, path, host, why
):
    response = fixmystreet.post(
        "requests.json",
        {
            "service_code": "104",
            "lat": "31.65",
            "long": "118.50",
            "description": "路口的路灯坏了好几天",
            "media_url": media_url(photos_online, path, host),
        },
    )
    assert response.status_code == 400
    [error] = json.loads(response.body)
    assert error["description"].startswith("media_url:") and why in error["description"]
    assert stored_objects() == []
    listed = api.get("/open311/v2/requests.json?status=open")
    assert json.loads(listed.body) == []


@pytest.fixture
def receiver(wiring: Any) -> Any:
    """A 311 client's callback receiver on 127.0.0.1; pushes go through the real outbox and
    the real sender, names resolved through the test's table."""
    with media_server() as server:
        wiring.__dict__["media"] = fetcher()
        for built in ("open311", "transport", "dispatch"):
            wiring.__dict__.pop(built, None)
        yield server


def client_with_callback(api: Any, server: Any) -> tuple[FixMyStreet, str]:
    key = issue_key(api, "FixMyStreet（测试）", callback_url=media_url(server, "/callback"))
    return FixMyStreet(api, key), key.split(".", 1)[1]


def test_each_public_change_is_pushed_signed_to_the_clients_callback(api, wiring, clock, receiver):
    from functions.core.adapters.transports import callback_signature

    client, secret = client_with_callback(api, receiver)
    request_id = client.send_service_request(fixmystreet_id=31)
    ok(act(api, DISTRICT, request_id, "whistle"))
    tick(wiring)  # dispatches (a second public change) and sends what is due
    tick(wiring)
    # Pushes made in the same instant may arrive in either order: a client orders them by
    # update_id and updated_datetime, as it does the feed.
    pushed = sorted(
        (json.loads(body) for _, body in receiver.received), key=lambda p: p["update_id"]
    )
    assert [(p["service_request_id"], p["status"]) for p in pushed] == [
        (request_id, "INVESTIGATING"),
        (request_id, "INVESTIGATING"),
    ]
    assert [p["external_status_code"] for p in pushed] == ["whistled", "dispatched"]
    for headers, body in receiver.received:
        signature = callback_signature(secret, headers["X-Whistle-Timestamp"], body)
        assert headers["X-Whistle-Signature"] == f"sha256={signature}"
    # The feed and the push agree on the update ids.
    feed = client.service_request_updates(clock.now() - timedelta(hours=1), clock.now())
    assert [p["update_id"] for p in pushed] == sorted(u["update_id"] for u in feed[1:])
    listed = json.loads(api.get("/staff/open311/keys", headers=bearer(*DISTRICT)).body)
    assert all("sealed_secret" not in k and "hash" not in k for k in listed["items"])


def test_a_push_to_a_failing_receiver_is_retried_then_flagged(api, wiring, clock, receiver):
    client, _ = client_with_callback(api, receiver)
    request_id = client.send_service_request(fixmystreet_id=32)
    receiver.callback_status = 500
    ok(act(api, DISTRICT, request_id, "reject", reason="不属于本区"))
    for _ in range(6):
        tick(wiring)
        clock.advance(minutes=10)
    assert receiver.received == []
    troubled = json.loads(api.get("/staff/notifications", headers=bearer(*DISTRICT)).body)
    [flagged] = [n for n in troubled["items"] if n["channel"] == "callback"]
    assert flagged["case"] == request_id and flagged["trouble"] == "failed"
    assert flagged["attempts"] == 5 and "500" in flagged["error"]


def test_a_push_whose_dispatch_run_died_is_delivered_once(api, wiring, clock, receiver):
    from functions.core.services.dispatch import SEND_LEASE

    client, _ = client_with_callback(api, receiver)
    request_id = client.send_service_request(fixmystreet_id=33)
    ok(act(api, DISTRICT, request_id, "reject", reason="不属于本区"))
    [push] = [n for n in wiring.notifications.pending(clock.now(), 50) if n.channel == "callback"]
    # A dispatch run took the push and died before recording anything.
    assert wiring.notifications.lease(push, clock.now(), clock.now() + SEND_LEASE)
    tick(wiring)
    assert receiver.received == []  # still in the dead run's hands
    clock.advance(seconds=SEND_LEASE.total_seconds() + 1)
    for _ in range(3):
        tick(wiring)
        clock.advance(minutes=1)
    [(headers, body)] = receiver.received
    assert headers["X-Whistle-Delivery"] == push.id
    assert json.loads(body)["status"] == "CLOSED"
