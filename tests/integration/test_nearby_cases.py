"""Open cases nearby while reporting, a compound's public page and "use my location": what a
resident sees of other residents' reports — never their words, photos, place or number."""

from __future__ import annotations

import json

from tests.integration.flows import COMMUNITY, act, ok, report

FIRST_PHONE = "13912340001"
FIRST_WORDS = "3号楼门前的路灯坏了，晚上一片漆黑，王阿姨摔了一跤"
FIRST_ADDRESS = "3号楼2单元101室门口"


def get(api, path: str):
    return api.get(path)


def open_cases(api, compound: str = "x001", **params: str):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.get(f"/compounds/{compound}/open-cases?{query}")


def test_a_resident_reporting_the_same_kind_sees_the_open_case_and_nothing_personal(api):
    # Given a first resident's report with a number, words, an address and a location
    first = report(
        api,
        description=FIRST_WORDS,
        address=FIRST_ADDRESS,
        phone=FIRST_PHONE,
        location={"lat": 31.63886, "lng": 118.46961},
    )
    act(api, COMMUNITY, first["code"], "publish", summary="3号楼前路灯不亮，已通知路灯所")
    # When a second resident chooses the same kind and compound
    response = open_cases(api, kind="street_light")
    # Then they see the case: kind, status, age and the published summary
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert [i["code"] for i in body["items"]] == [first["code"]]
    item = body["items"][0]
    assert item["category"]["id"] == "street_light"
    assert item["status"] == "submitted"
    assert item["summary"] == "3号楼前路灯不亮，已通知路灯所"
    assert item["same_kind"] is True and item["likely_duplicate"] is False
    assert item["residents_waiting"] == 1
    # And nothing of the first resident: number (whole or masked), words, address or place
    raw = response.body.decode()
    for secret in (FIRST_PHONE, "139****0001", "王阿姨", "摔了一跤", "2单元101室", "31.63886"):
        assert secret not in raw
    assert set(item) == {
        "code",
        "category",
        "status",
        "created_at",
        "summary",
        "residents_waiting",
        "same_kind",
        "likely_duplicate",
    }


def test_a_similar_description_under_another_kind_is_offered_as_a_likely_duplicate(api):
    lamp = report(api, description=FIRST_WORDS)
    report(api, category="sewage", description="4号楼下水道堵了，污水从地漏冒出来")
    response = open_cases(api, kind="damaged_road", text="三号楼前面那盏路灯好几天不亮了，晚上漆黑")
    items = json.loads(response.body)["items"]
    assert [(i["code"], i["likely_duplicate"], i["same_kind"]) for i in items] == [
        (lamp["code"], True, False)
    ]


def test_likely_duplicates_come_first_then_the_same_kind_newest_first(api, clock):
    older = report(api, description="东门口的路灯一直闪，忽明忽暗")
    clock.advance(minutes=5)
    newer = report(api, description="西边那条小路一直没装路灯，晚上很黑")
    clock.advance(minutes=5)
    alike = report(api, category="damaged_road", description="东门路灯闪烁不停，晚上晃眼睛")
    body = json.loads(open_cases(api, kind="street_light", text="东门口路灯一闪一闪的").body)
    codes = [i["code"] for i in body["items"]]
    assert codes[0] in (older["code"], alike["code"])
    assert set(codes) == {older["code"], newer["code"], alike["code"]}
    assert codes.index(newer["code"]) == 2


def test_closed_and_rejected_cases_and_other_compounds_are_not_shown(api):
    rejected = report(api)
    ok(act(api, COMMUNITY, rejected["code"], "reject", reason="重复反映"))
    report(api, compound="x002")
    assert json.loads(open_cases(api, kind="street_light").body)["items"] == []


def test_with_a_location_only_cases_within_the_radius_are_shown(api):
    near = report(api, location={"lat": 31.63886, "lng": 118.46961})
    far = report(api, location={"lat": 31.64886, "lng": 118.46961})  # about 1.1 km north
    unplaced = report(api)
    body = json.loads(open_cases(api, kind="street_light", lat="31.6389", lon="118.4696").body)
    assert {i["code"] for i in body["items"]} == {near["code"], unplaced["code"]}
    assert far["code"] not in {i["code"] for i in body["items"]}


def test_cases_older_than_the_window_are_not_shown(api, clock):
    report(api)
    clock.advance(days=43)
    assert json.loads(open_cases(api, kind="street_light").body)["items"] == []


def test_bad_parameters_are_a_400_and_an_unknown_compound_a_404(api):
    for params in (
        {"kind": "no_such_kind"},
        {"lat": "north", "lon": "118.4"},
        {"lat": "31.6"},
        {"lat": "91", "lon": "118.4"},
        {"colour": "red"},
        {"text": "x" * 2001},
    ):
        response = open_cases(api, **params)
        assert response.status_code == 400, (params, response.body)
        assert json.loads(response.body)["error"]["details"]
    assert open_cases(api, compound="nowhere").status_code == 404


def test_a_compounds_public_page_lists_open_and_recently_fixed_problems_without_personal_data(
    api, clock
):
    fixed = report(api, phone=FIRST_PHONE, description=FIRST_WORDS, address=FIRST_ADDRESS)
    ok(act(api, COMMUNITY, fixed["code"], "local", by="community"))
    ok(act(api, COMMUNITY, fixed["code"], "resolve", note="换了灯泡，张师傅修的"))
    still_open = report(api, category="sewage", description="4号楼下水道堵了，李先生家返水")
    response = get(api, "/public/compounds/x001")
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["compound"]["name"] == "锦兴雅居"
    assert [i["code"] for i in body["open"]] == [still_open["code"]]
    assert [i["code"] for i in body["fixed"]] == [fixed["code"]]
    raw = response.body.decode()
    for secret in (FIRST_PHONE, "139****0001", "王阿姨", "101室", "张师傅", "李先生"):
        assert secret not in raw
    clock.advance(days=31)
    assert json.loads(get(api, "/public/compounds/x001").body)["fixed"] == []
    assert get(api, "/public/compounds/nowhere").status_code == 404


def test_use_my_location_finds_the_nearest_compound_within_800_metres(api):
    here = json.loads(get(api, "/compounds/nearest?lat=31.6390&lon=118.4697").body)
    assert here["compound"]["id"] == "x001"
    assert here["compound"]["distance_m"] < 50
    nowhere = json.loads(get(api, "/compounds/nearest?lat=30.0&lon=117.0").body)
    assert nowhere == {"compound": None}
    assert get(api, "/compounds/nearest?lat=31.6").status_code == 400


def test_the_read_is_one_query_however_many_cases_the_compound_has(api, aws_calls):
    for _ in range(3):
        report(api)
    open_cases(api)  # the registry is read once and cached
    aws_calls.clear()
    assert open_cases(api, kind="street_light", text="路灯坏了").status_code == 200
    assert [c for c in aws_calls.of("dynamodb")] == ["Query"]
