"""The benchmark's list of pages (BENCHMARKS.md): every resident page it measures exists in
the router, and a page counts as measured only when the SPA really showed it."""

from __future__ import annotations

from tests.bench.web import PAGES, Page, built, landed, spa_routes


def test_every_resident_page_measured_is_a_route_of_the_spa():
    routes = spa_routes()
    assert "/:pathMatch(.*)*" not in routes
    for page in PAGES:
        if page.audience == "resident":
            assert built(page), page.path


def test_a_page_the_router_does_not_declare_is_not_built():
    assert not built(Page("nowhere", "/district/no-such-page", "district", "district.admin"))


def test_a_staff_page_sent_to_sign_in_does_not_count_as_shown():
    dashboard = Page("dashboard", "/district/dashboard", "district", "district.admin")
    assert landed("http://127.0.0.1:8000/#/district/dashboard", dashboard)
    assert not landed("http://127.0.0.1:8000/#/signin?next=/district/dashboard", dashboard)
    case = Page("case", "/case/:code", "resident")
    assert landed("http://127.0.0.1:8000/#/case/YS-2611-27-0042", case)
    assert not landed("http://127.0.0.1:8000/#/", case)
