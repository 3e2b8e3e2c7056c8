"""Accounts as the district manages them: scopes chosen from the registry, several per person;
a disabled account is named so wherever it acted."""

from __future__ import annotations

import json

from tests.conftest import bearer
from tests.integration.flows import DISTRICT, ok, report, view
from tests.integration.test_identity import PASSWORD, disable, post, sign_in, staff_member, tokens


def test_the_accounts_list_offers_every_scope_of_the_registry_by_name(api):
    listed = ok(api.get("/staff/accounts", headers=bearer(*DISTRICT)))
    choices = listed["choices"]
    assert set(choices) == {"district", "community", "department", "grid", "property"}
    community = next(c for c in choices["community"] if c["id"] == "c01")
    assert community == {"scope": "community:c01", "id": "c01", "name": "桃园社区"}
    assert any(d["scope"] == "department:ludeng" for d in choices["department"])
    grid = next(g for g in choices["grid"] if g["id"] == "g001")
    assert grid["name"].startswith("锦兴雅居 · g001")
    assert choices["property"] and all(
        p["scope"].startswith("property:") for p in choices["property"]
    )


def test_a_person_holds_several_roles_chosen_from_the_registry(api):
    staff_member(api, "clerk.sun", ["community:c01", "department:ludeng", "grid:g001"])
    account = next(
        a
        for a in ok(api.get("/staff/accounts", headers=bearer(*DISTRICT)))["items"]
        if a["username"] == "clerk.sun"
    )
    assert account["scopes"] == ["community:c01", "department:ludeng", "grid:g001"]
    refused = api.put(
        "/staff/accounts/clerk.sun/scopes",
        headers={"Content-Type": "application/json", **bearer(*DISTRICT)},
        body=json.dumps({"scopes": ["community:c01", "department:nowhere"]}).encode(),
    )
    assert refused.status_code == 400
    assert json.loads(refused.body)["error"]["details"][0]["field"] == "scopes/1"


def test_a_disabled_account_is_marked_on_the_timelines_it_acted_on_and_cannot_sign_in(api):
    staff_member(api, "clerk.li", ["community:c01"])
    access = tokens(api, "clerk.li")["access_token"]
    code = report(api)["code"]
    noted = post(
        api,
        f"/staff/cases/{code}/notes",
        {"note": "已电话联系住户"},
        Authorization=f"Bearer {access}",
    )
    assert noted.status_code == 201, noted.body

    def author() -> dict:
        timeline = view(api, DISTRICT, code)["timeline"]
        return next(e["by"] for e in timeline if e["kind"] == "internal_note")

    assert author() == {
        "id": "clerk.li",
        "name": "clerk.li",
        "name_en": "clerk.li",
        "via_link": False,
        "disabled": False,
    }
    disable(api, "clerk.li")
    assert author()["disabled"] is True
    refused = sign_in(api, "clerk.li", PASSWORD)  # the right password
    assert refused.status_code == 403
    assert json.loads(refused.body)["error"]["code"] == "account_disabled"
    listed = ok(api.get("/staff/accounts", headers=bearer(*DISTRICT)))["items"]
    assert next(a for a in listed if a["username"] == "clerk.li")["enabled"] is False
