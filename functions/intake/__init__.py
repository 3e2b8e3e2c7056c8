"""Intake: residents report problems, upload photos and follow their cases.

Routes are declared without the /api prefix; API Gateway's stage (and the local server's
mount point) supplies it.
"""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from ..core.bootstrap import wiring
from ..core.http import api, json_body, respond, source_address
from ..core.schemas import NEW_UPLOAD, validate
from ..core.services import followers, nearby, resident_actions, residents, workflow
from ..core.services import health as health_service
from ..core.services import intake as use_cases
from .openapi import openapi_document

intake = Blueprint(__name__)

PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
PRIVATE = {"Cache-Control": "no-store, private"}


@intake.route("/health", methods=["GET"])
@api
def health() -> Response:
    return respond({"status": "ok"}, headers={"Cache-Control": "no-store"})


@intake.route("/health/ready", methods=["GET"])
@api
def ready() -> Response:
    """Each dependency read once: ok or failed, no detail (the log has it)."""
    report, is_ready = health_service.readiness(wiring().readiness)
    return respond(report, 200 if is_ready else 503, {"Cache-Control": "no-store"})


@intake.route("/registry", methods=["GET"])
@api
def registry() -> Response:
    return respond(wiring().registry.current().public_view(), headers=PUBLIC_CACHE)


def _query_params() -> dict[str, str]:
    return dict(intake.current_request.query_params or {})


@intake.route("/compounds/{compound}/open-cases", methods=["GET"])
@api
def open_cases(compound: str) -> Response:
    """附近已有的同类问题: what is already reported, while a resident reports."""
    result = nearby.open_cases(wiring().nearby, compound, _query_params())
    # Not cached anywhere: the query carries the resident's description as typed so far.
    return respond(result, headers=PRIVATE)


@intake.route("/compounds/nearest", methods=["GET"])
@api
def nearest_compound() -> Response:
    result = nearby.nearest_compound(wiring().nearby, _query_params())
    return respond(result, headers=PRIVATE)


@intake.route("/public/compounds/{compound}", methods=["GET"])
@api
def compound_page(compound: str) -> Response:
    """A compound's public page: "has anyone reported this?" without filing."""
    return respond(nearby.compound_page(wiring().nearby, compound), headers=PUBLIC_CACHE)


@intake.route("/uploads", methods=["POST"])
@api
def create_upload() -> Response:
    request = intake.current_request
    body = validate(NEW_UPLOAD, json_body(request))
    upload = use_cases.presign_upload(
        wiring().intake,
        request.headers.get("idempotency-key"),
        body["content_type"],
        body["size"],
        source=source_address(request),
    )
    return respond(upload, 201, PRIVATE)


@intake.route("/cases", methods=["POST"])
@api
def create_case() -> Response:
    request = intake.current_request
    receipt = use_cases.file_report(
        wiring().intake,
        request.headers.get("idempotency-key"),
        json_body(request),
        source=source_address(request),
    )
    headers = {**PRIVATE, "Location": f"/api/cases/{receipt.code}"}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return respond(receipt.as_dict(), 201, headers)


def _credentials(request: Request) -> residents.Credentials:
    """The case token (or SMS link key) and the resident session a request carries."""
    headers = request.headers
    return residents.Credentials(headers.get("x-case-token"), headers.get("authorization"))


@intake.route("/cases/{code}", methods=["GET"])
@api
def get_case(code: str) -> Response:
    request = intake.current_request
    return respond(
        use_cases.view_case(wiring().intake, code, _credentials(request)), headers=PRIVATE
    )


@intake.route("/cases/{code}/rating", methods=["POST"])
@api
def rate_case(code: str) -> Response:
    """回访评价: the resident rates the outcome."""
    request = intake.current_request
    result = workflow.rate(wiring().workflow, code, _credentials(request), json_body(request))
    return respond(result, headers=PRIVATE)


@intake.route("/cases/{code}/preferences", methods=["PUT"])
@api
def case_preferences(code: str) -> Response:
    """Which messages about the case the resident wants: all, or only the essential ones."""
    request = intake.current_request
    result = residents.set_updates(
        wiring().residents, code, _credentials(request), json_body(request)
    )
    return respond(result, headers=PRIVATE)


@intake.route("/cases/{code}/followers", methods=["POST"])
@api
def follow_case(code: str) -> Response:
    """我也遇到 (me too): join the case as a follower with the resident session."""
    request = intake.current_request
    result, added = followers.follow(
        wiring().intake,
        code,
        request.headers.get("authorization"),
        request.headers.get("idempotency-key"),
        json_body(request),
    )
    return respond(result, 201 if added else 200, PRIVATE)


@intake.route("/cases/{code}/information", methods=["POST"])
@api
def add_information(code: str) -> Response:
    request = intake.current_request
    result = resident_actions.add_information(
        wiring().intake,
        wiring().messenger,
        code,
        _credentials(request),
        request.headers.get("idempotency-key"),
        json_body(request),
    )
    return respond(result, headers=PRIVATE)


@intake.route("/cases/{code}/withdrawal", methods=["POST"])
@api
def withdraw_case(code: str) -> Response:
    """撤回: before the community whistles it."""
    request = intake.current_request
    result = resident_actions.withdraw(
        wiring().intake, wiring().messenger, code, _credentials(request), json_body(request)
    )
    return respond(result, headers=PRIVATE)


@intake.route("/cases/{code}/urge", methods=["POST"])
@api
def urge_case(code: str) -> Response:
    """催办: once the current stage is overdue, at most once a day."""
    request = intake.current_request
    result = resident_actions.urge(
        wiring().intake, wiring().messenger, code, _credentials(request), json_body(request)
    )
    return respond(result, headers=PRIVATE)


@intake.route("/resident/code", methods=["POST"])
@api
def resident_code() -> Response:
    """A sign-in code by SMS; the same answer for every valid number."""
    request = intake.current_request
    result = residents.request_code(wiring().residents, json_body(request), source_address(request))
    return respond(result, 202, PRIVATE)


@intake.route("/resident/session", methods=["POST"])
@api
def resident_session() -> Response:
    request = intake.current_request
    return respond(residents.sign_in(wiring().residents, json_body(request)), headers=PRIVATE)


@intake.route("/resident/cases", methods=["GET"])
@api
def resident_cases() -> Response:
    """ "My cases": every case filed with the signed-in number."""
    session = intake.current_request.headers.get("authorization")
    return respond(residents.my_cases(wiring().residents, session), headers=PRIVATE)


from .open311 import register as _register_open311  # noqa: E402 - routes on this blueprint

_register_open311(intake)


@intake.route("/openapi.json", methods=["GET"])
@api
def openapi() -> Response:
    return respond(openapi_document(), headers=PUBLIC_CACHE)
