import copy
import json
from collections import Counter

import pytest

from functions.core.domain.errors import InvalidInput
from functions.core.domain.registry import parse_registry, registry_document
from tests.fakes import SAMPLE_REGISTRY


def sample_document():
    return json.loads(SAMPLE_REGISTRY.read_text())


def test_the_sample_registry_is_shaped_like_yushan_and_labelled_as_sample():
    registry = parse_registry(sample_document())
    assert registry.sample is True
    assert "示例数据" in registry.notice and "Sample data" in registry.notice
    assert len(registry.communities) == 35
    assert sum(c.preparatory for c in registry.communities.values()) == 3
    assert Counter(c.type for c in registry.compounds.values()) == {
        "resettlement": 30,
        "old": 59,
        "commercial": 66,
    }
    assert len(registry.grids) == 407
    assert all(c.households > 0 and c.property_company for c in registry.compounds.values())
    parties = Counter(c.party_organisation for c in registry.compounds.values())
    assert parties == {"branch": 142, "work_group": 13}


def test_the_sample_registry_has_the_districts_categories_with_departments_and_limits():
    registry = parse_registry(sample_document())
    names = {c.name for c in registry.categories.values()}
    for wanted in [
        "树木遮阳",
        "道路破损",
        "管道排污",
        "路灯照明",
        "公共晾晒",
        "楼栋消防安全",
        "物业纠纷调解",
    ]:
        assert wanted in names
    fire = next(c for c in registry.categories.values() if c.name == "楼栋消防安全")
    assert fire.urgent and fire.limits.resolve.amount == 24 and fire.limits.resolve.unit == "hours"
    for category in registry.categories.values():
        department = registry.departments[category.department]
        assert department.email or department.phone or department.webhook


def test_every_department_has_an_email_phone_or_webhook_contact():
    registry = parse_registry(sample_document())
    assert any(d.webhook for d in registry.departments.values())
    assert all(d.email and d.phone for d in registry.departments.values())


def test_a_registry_survives_a_round_trip_through_its_file_form():
    registry = parse_registry(sample_document())
    assert parse_registry(registry_document(registry)) == registry


def test_a_compound_pointing_at_an_unknown_community_is_reported_with_its_place():
    document = sample_document()
    document["compounds"][3]["community"] = "nowhere"
    with pytest.raises(InvalidInput) as caught:
        parse_registry(document)
    assert [d.field for d in caught.value.details] == ["/compounds/3/community"]


def test_every_problem_of_a_file_is_listed_at_once():
    document = sample_document()
    document["categories"][0]["department"] = "ghost"
    document["communities"][1]["id"] = document["communities"][0]["id"]
    document["compounds"][0]["type"] = "castle"
    with pytest.raises(InvalidInput) as caught:
        parse_registry(document)
    assert [d.field for d in caught.value.details] == ["/compounds/0/type"]  # shape first
    document["compounds"][0]["type"] = "old"
    with pytest.raises(InvalidInput) as caught:
        parse_registry(document)
    fields = {d.field for d in caught.value.details}
    assert {"/communities/1/id", "/categories/0/department"} <= fields


def test_a_file_with_unknown_fields_is_refused():
    document = copy.deepcopy(sample_document())
    document["departments"][0]["password"] = "x"
    with pytest.raises(InvalidInput):
        parse_registry(document)


def test_the_public_view_holds_no_contacts_and_no_worker_names():
    view = json.dumps(parse_registry(sample_document()).public_view(), ensure_ascii=False)
    assert "@" not in view and "示例网格员" not in view and "robot." not in view


def test_urgent_kinds_carry_what_to_do_right_now_to_the_report_page():
    view = parse_registry(sample_document()).public_view()
    categories = {c["id"]: c for c in view["categories"]}
    assert "119" in categories["fire_safety"]["guidance"]
    assert "96333" in categories["elevator"]["guidance"]
    assert "call 119" in categories["fire_safety"]["guidance_en"]
    assert "guidance" not in categories["street_light"]  # nothing to do but report


def test_guidance_is_bounded_text():
    document = sample_document()
    document["categories"][0]["guidance"] = "x" * 301
    with pytest.raises(InvalidInput):
        parse_registry(document)
