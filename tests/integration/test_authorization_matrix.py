"""One authorization matrix: every route × {anonymous, resident, each role in scope, each role
out of scope, an action link} → the expected status. A route without a row fails the test.

Mutating staff routes are called with an empty body: whoever may act gets 400 (the body is
checked only after the caller is allowed), whoever may not gets 401, 403 or 404 — so the
matrix never changes the case it probes."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from app import app
from functions.core.adapters.tables import NotificationItem
from functions.core.domain.staff import Role
from tests.conftest import bearer
from tests.integration.flows import COMMUNITY, act, ok, report, tick

WHO = {
    "anonymous": None,
    "resident": None,  # the case token only
    "district": ("district.admin", "district"),
    "community": ("community.c01", "community:c01"),
    "community_out": ("community.c02", "community:c02"),
    "department": ("department.ludeng", "department:ludeng"),
    "department_out": ("department.zhujian", "department:zhujian"),
    "grid": ("grid.g001", "grid:g001"),
    "grid_out": ("grid.g999", "grid:g300"),
    "property": ("property.in", "property:{company}"),
    "property_out": ("property.out", "property:{other_company}"),
    "link": None,  # a department alert's signed action link
}
ALL = list(WHO)
STAFF = [w for w in ALL if w not in ("anonymous", "resident", "link")]


def row(default: int, **overrides: int) -> dict[str, int]:
    return {who: overrides.get(who, default) for who in ALL}


# (method, route) → (path with placeholders, body, expected status by caller)
MATRIX: dict[tuple[str, str], tuple[str, object, dict[str, int]]] = {
    ("GET", "/health"): ("/health", None, row(200)),
    ("GET", "/health/ready"): ("/health/ready", None, row(200)),
    ("GET", "/registry"): ("/registry", None, row(200)),
    ("GET", "/openapi.json"): ("/openapi.json", None, row(200)),
    ("POST", "/uploads"): ("/uploads", {"content_type": "image/jpeg", "size": 10}, row(201)),
    ("POST", "/cases"): ("/cases", {}, row(400)),
    ("GET", "/cases/{code}"): ("/cases/{code}", None, row(404, resident=200)),
    ("POST", "/cases/{code}/rating"): (
        "/cases/{code}/rating",
        {"resolved": True, "satisfaction": "satisfied"},
        row(404, resident=409),  # the resident's case is not resolved yet
    ),
    # "all" is the default: the resident's own call changes nothing the others see.
    ("PUT", "/cases/{code}/preferences"): (
        "/cases/{code}/preferences",
        {"updates": "all"},
        row(404, resident=200),
    ),
    # "Me too" needs a resident's phone session: a case token, staff token or link is a 401.
    ("POST", "/cases/{code}/followers"): ("/cases/{code}/followers", {}, row(401)),
    # The reporter's own actions, each refused on a dispatched case or for nothing to add.
    ("POST", "/cases/{code}/information"): (
        "/cases/{code}/information",
        {},
        row(404, resident=400),  # nothing to add
    ),
    ("POST", "/cases/{code}/withdrawal"): (
        "/cases/{code}/withdrawal",
        {},
        row(404, resident=409),  # whistled already
    ),
    ("POST", "/cases/{code}/urge"): (
        "/cases/{code}/urge",
        {},
        row(404, resident=409),  # not overdue
    ),
    ("POST", "/resident/code"): ("/resident/code", {}, row(400)),
    ("POST", "/resident/session"): ("/resident/session", {}, row(400)),
    # Only a resident's phone session opens "my cases": no case token, staff token or link.
    ("GET", "/resident/cases"): ("/resident/cases", None, row(401)),
    ("POST", "/auth/sign-in"): ("/auth/sign-in", {}, row(400)),
    ("POST", "/auth/password"): ("/auth/password", {}, row(400)),
    ("POST", "/auth/refresh"): ("/auth/refresh", {}, row(400)),
    ("GET", "/auth/work-chat"): ("/auth/work-chat", None, row(200)),
    ("POST", "/auth/work-chat"): ("/auth/work-chat", {}, row(400)),
    # Signing out ends the caller's own sessions only; the next call mints a new token.
    ("POST", "/auth/sign-out"): (
        "/auth/sign-out",
        None,
        row(200, anonymous=401, resident=401, link=401),
    ),
    # Enrolling leaves an unconfirmed secret: the account has no second factor until then.
    ("POST", "/auth/totp"): ("/auth/totp", None, row(200, anonymous=401, resident=401, link=401)),
    ("POST", "/auth/totp/confirm"): (
        "/auth/totp/confirm",
        {},
        row(400, anonymous=401, resident=401, link=401),
    ),
    ("POST", "/auth/totp/disable"): (
        "/auth/totp/disable",
        {},
        row(400, anonymous=401, resident=401, link=401),
    ),
    ("GET", "/staff/me"): ("/staff/me", None, row(200, anonymous=401, resident=401, link=401)),
    ("GET", "/staff/cases"): (
        "/staff/cases?view=inbox&target=c01",
        None,
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=200,
            community=200,
            community_out=404,
        ),
    ),
    ("GET", "/staff/cases/{code}"): (
        "/staff/cases/{code}",
        None,
        row(
            404,
            anonymous=401,
            resident=401,
            link=401,
            district=200,
            community=200,
            department=200,
            grid=200,
            property=200,
        ),
    ),
    ("POST", "/staff/cases/{code}/actions/{action}"): (
        "/staff/cases/{code}/actions/claim",
        {},
        row(
            404,
            anonymous=401,
            resident=401,
            link=401,
            district=403,
            community=403,
            department=400,
            grid=403,
            property=403,
        ),
    ),
    # Staff of the case's community, of its departments and the district may write a note.
    ("POST", "/staff/cases/{code}/notes"): (
        "/staff/cases/{code}/notes",
        {},
        row(
            404,
            anonymous=401,
            resident=401,
            link=401,
            district=400,
            community=400,
            department=400,
            grid=403,
            property=403,
        ),
    ),
    # Everyone keeps the replies of their own scopes (none: an empty list); the body's scope
    # decides whether a new one may be added, so an empty body is a 400 for all staff.
    ("GET", "/staff/replies"): (
        "/staff/replies",
        None,
        row(200, anonymous=401, resident=401, link=401),
    ),
    ("POST", "/staff/replies"): (
        "/staff/replies",
        {},
        row(400, anonymous=401, resident=401, link=401),
    ),
    ("PUT", "/staff/replies/{scope}/{reply_id}"): (
        "/staff/replies/department:ludeng/nothing",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400, department=400),
    ),
    ("DELETE", "/staff/replies/{scope}/{reply_id}"): (
        "/staff/replies/department:ludeng/nothing",
        None,
        row(403, anonymous=401, resident=401, link=401, district=404, department=404),
    ),
    ("POST", "/staff/cases/{code}/phone"): (
        "/staff/cases/{code}/phone",
        None,
        row(
            404,
            anonymous=401,
            resident=401,
            link=401,
            district=403,
            community=403,
            department=403,
            grid=403,
            property=403,
        ),  # only the handler, and nobody claimed
    ),
    ("POST", "/staff/reports"): (
        "/staff/reports",
        {},
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            grid=400,
            grid_out=400,
            property=400,
            property_out=400,
        ),
    ),
    ("GET", "/act/cases/{code}"): ("/act/cases/{code}", None, row(401, link=200)),
    ("POST", "/act/cases/{code}/actions/{action}"): (
        "/act/cases/{code}/actions/claim",
        {},
        row(401, link=400),
    ),
    ("GET", "/staff/accounts"): (
        "/staff/accounts",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200),
    ),
    ("POST", "/staff/accounts"): (
        "/staff/accounts",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("PUT", "/staff/accounts/{username}/scopes"): (
        "/staff/accounts/someone/scopes",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("POST", "/staff/accounts/{username}/password-reset"): (
        "/staff/accounts/someone/password-reset",
        None,
        row(403, anonymous=401, resident=401, link=401, district=404),
    ),
    ("PUT", "/staff/accounts/{username}/work-chat/{provider}"): (
        "/staff/accounts/someone/work-chat/wecom",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("DELETE", "/staff/accounts/{username}/work-chat/{provider}"): (
        "/staff/accounts/someone/work-chat/wecom",
        None,
        row(403, anonymous=401, resident=401, link=401, district=404),
    ),
    ("PUT", "/staff/accounts/{username}/enabled"): (
        "/staff/accounts/someone/enabled",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("GET", "/staff/calendar"): (
        "/staff/calendar",
        None,
        row(200, anonymous=401, resident=401, link=401),
    ),
    ("GET", "/metrics"): (
        "/metrics?scope=community:c01&period=2026-11",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200, community=200),
    ),
    ("GET", "/metrics/dashboard"): (
        "/metrics/dashboard?scope=department:ludeng&period=2026-11",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200, department=200),
    ),
    ("GET", "/metrics/indicators"): (
        "/metrics/indicators?year=2026",
        None,
        row(200, anonymous=401, resident=401, link=401),
    ),
    ("POST", "/metrics/fees"): (
        "/metrics/fees",
        "",
        row(
            403, anonymous=401, resident=401, link=401, district=400, property=400, property_out=400
        ),
    ),
    ("GET", "/public/board"): ("/public/board?period=2026-11", None, row(200)),
    ("GET", "/staff/projects"): (
        "/staff/projects",
        None,
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=200,
            department=200,
            department_out=200,
        ),
    ),
    ("POST", "/staff/projects"): (
        "/staff/projects",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    # No project exists in the matrix: whoever may look finds none.
    ("GET", "/staff/projects/{project_id}"): (
        "/staff/projects/gj-none",
        None,
        row(404, anonymous=401, resident=401, link=401),
    ),
    ("PATCH", "/staff/projects/{project_id}"): (
        "/staff/projects/gj-none",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("POST", "/staff/projects/{project_id}/notes"): (
        "/staff/projects/gj-none/notes",
        {},
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=400,
            department=400,
            department_out=400,
        ),
    ),
    ("GET", "/public/projects"): ("/public/projects", None, row(200)),
    ("GET", "/staff/campaigns"): (
        "/staff/campaigns",
        None,
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=200,
            community=200,
            community_out=200,
            department=200,
            department_out=200,
        ),
    ),
    ("POST", "/staff/campaigns"): (
        "/staff/campaigns",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("GET", "/staff/campaigns/{campaign_id}"): (
        "/staff/campaigns/zx-none",
        None,
        row(404, anonymous=401, resident=401, link=401),
    ),
    ("PATCH", "/staff/campaigns/{campaign_id}"): (
        "/staff/campaigns/zx-none",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("POST", "/staff/campaigns/{campaign_id}/cases"): (
        "/staff/campaigns/zx-none/cases",
        {},
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=400,
            community=400,
            community_out=400,
        ),
    ),
    ("POST", "/staff/campaigns/{campaign_id}/cases/{code}/remove"): (
        "/staff/campaigns/zx-none/cases/{code}/remove",
        {},
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=400,
            community=400,
            community_out=400,
        ),
    ),
    # No such campaign: those who may enter a batch are told so; the rest are refused first.
    ("POST", "/staff/campaigns/{campaign_id}/batch"): (
        "/staff/campaigns/zx-none/batch",
        {},
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=404,
            community=404,
            community_out=404,
        ),
    ),
    ("GET", "/public/campaigns"): ("/public/campaigns", None, row(200)),
    ("GET", "/public/campaigns/{campaign_id}"): ("/public/campaigns/zx-none", None, row(404)),
    ("GET", "/metrics/hotspots"): (
        "/metrics/hotspots",
        None,
        row(
            403,
            anonymous=401,
            resident=401,
            link=401,
            district=200,
            community=200,
            community_out=200,
        ),
    ),
    # A company's staff get a list holding their own card only; another company's card is 403.
    ("GET", "/metrics/scorecards"): (
        "/metrics/scorecards?period=2026-11",
        None,
        row(
            403, anonymous=401, resident=401, link=401, district=200, property=200, property_out=200
        ),
    ),
    ("GET", "/metrics/scorecards/{company}"): (
        "/metrics/scorecards/{company}?period=2026-11",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200, property=200),
    ),
    ("PUT", "/metrics/scorecards-publication"): (
        "/metrics/scorecards-publication",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("GET", "/public/scorecards"): ("/public/scorecards?period=2026-11", None, row(200)),
    # Residents' reads of what is already reported: public, no personal data in them.
    ("GET", "/compounds/{compound}/open-cases"): (
        "/compounds/x001/open-cases?kind=street_light",
        None,
        row(200),
    ),
    ("GET", "/compounds/nearest"): ("/compounds/nearest?lat=31.64&lon=118.47", None, row(200)),
    ("GET", "/public/compounds/{compound}"): ("/public/compounds/x001", None, row(200)),
    ("GET", "/staff/open311/keys"): (
        "/staff/open311/keys",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200),
    ),
    ("POST", "/staff/open311/keys"): (
        "/staff/open311/keys",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
    ("DELETE", "/staff/open311/keys/{key_id}"): (
        "/staff/open311/keys/nope",
        None,
        row(403, anonymous=401, resident=401, link=401, district=404),
    ),
    # Open311 reads are public; posting needs an api_key, which no caller of the matrix has.
    ("GET", "/open311/v2/{resource}"): ("/open311/v2/services.json", None, row(200)),
    ("POST", "/open311/v2/{resource}"): ("/open311/v2/requests.json", "form", row(403)),
    ("GET", "/open311/v2/services/{service_code}"): (
        "/open311/v2/services/104.json",
        None,
        row(200),
    ),
    ("GET", "/open311/v2/requests/{request_id}"): (
        "/open311/v2/requests/{code}.json",
        None,
        row(200),
    ),
    ("GET", "/open311/v2/tokens/{token_id}"): ("/open311/v2/tokens/{code}.json", None, row(200)),
    ("GET", "/staff/notifications"): (
        "/staff/notifications",
        None,
        row(403, anonymous=401, resident=401, link=401, district=200),
    ),
    ("POST", "/staff/notifications/{notification_id}/resend"): (
        "/staff/notifications/nope/resend",
        {},
        row(403, anonymous=401, resident=401, link=401, district=404),
    ),
    ("PUT", "/staff/calendar/{year}"): (
        "/staff/calendar/2027",
        {},
        row(403, anonymous=401, resident=401, link=401, district=400),
    ),
}


def test_every_route_has_a_row_in_the_matrix():
    routes = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routes == set(MATRIX)


def test_every_role_of_the_matrix_is_covered():
    roles = {Role(who.split("_")[0]) for who in STAFF}
    assert roles == set(Role)


@pytest.fixture
def dispatched_case(api, wiring, robots):
    """A case in community c01, compound x001, dispatched to the street-light office."""
    receipt = report(api)
    ok(act(api, COMMUNITY, receipt["code"], "whistle"))
    tick(wiring)
    link = next(n.link for n in NotificationItem.by_case.query(receipt["code"]) if n.link)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).fragment.split("?", 1)[1])["pass"][0]
    registry = wiring.registry.current()
    company = registry.compounds["x001"].property_company
    other = next(
        c
        for c in registry.property_companies
        if c != company
        and all(x.property_company != c or x.id != "x001" for x in registry.compounds.values())
    )
    return {**receipt, "pass": token, "company": company, "other_company": other}


def test_each_caller_gets_the_expected_status(api, dispatched_case):
    # One case for the whole matrix: no call in it changes what the others see.
    failures = []
    for method, route in sorted(MATRIX):
        failures.extend(check_route(api, dispatched_case, method, route))
    assert not failures, "\n".join(failures)


def check_route(api, dispatched_case, method, route) -> list[str]:
    failures = []
    path, body, expected = MATRIX[(method, route)]
    path = path.format(code=dispatched_case["code"], company=dispatched_case["company"])
    for who in ALL:
        headers: dict[str, str] = {}
        if body == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            headers["Content-Type"] = "text/csv" if route == "/metrics/fees" else "application/json"
        if route in ("/uploads", "/staff/reports"):
            headers["Idempotency-Key"] = "matrix-key-0001"
        if who == "resident":
            headers["X-Case-Token"] = dispatched_case["token"]
        elif who == "link":
            headers["X-Action-Pass"] = dispatched_case["pass"]
        elif WHO[who] is not None:
            user, group = WHO[who]
            group = group.format(
                company=dispatched_case["company"], other_company=dispatched_case["other_company"]
            )
            headers.update(bearer(user, group))
        if body == "form":
            payload = b"service_code=104&lat=31.6&long=118.5&description=%E8%B7%AF%E7%81%AF%E5%9D%8F%E4%BA%86%E5%BE%88%E4%B9%85"
        else:
            payload = b"" if body is None or body == "" else json.dumps(body).encode()
        response = api.request(method, path, headers=headers, body=payload)
        if response.status_code != expected[who]:
            failures.append(
                f"{method} {path} as {who}: {response.status_code}, expected {expected[who]}: "
                f"{response.body[:160]!r}"
            )
    return failures
