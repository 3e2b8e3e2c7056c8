"""Dispatch: staff work (sign-in, work lists, triage, department actions, district
supervision, staff accounts, calendar), the signed action links of department alerts, and the
timed dispatch job (every minute) that alerts, reminds, escalates and sends.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chalice.app import Blueprint, Rate, Response

from ..core import telemetry
from ..core.auth import principal_of, staff_authorizer
from ..core.bootstrap import wiring
from ..core.domain.staff import Role
from ..core.http import api, json_body, respond, source_address
from ..core.schemas import (
    API_KEY,
    CALENDAR_YEAR,
    CHANGE_PASSWORD,
    ENABLED,
    INVITE,
    REFRESH,
    SCOPES,
    SIGN_IN,
    TOTP_CODE,
    WORK_CHAT_LINK,
    WORK_CHAT_SIGN_IN,
    validate,
)
from ..core.services import calendar as calendar_service
from ..core.services import dispatch as dispatch_service
from ..core.services import identity, lists, open311, workflow
from ..core.services import intake as intake_service
from ..core.services import outbox as outbox_service
from ..core.services import replies as replies_service
from ..core.services import staff as staff_service
from ..core.services.passes import check_pass

dispatch = Blueprint(__name__)
log = logging.getLogger("whistle.dispatch")

PRIVATE = {"Cache-Control": "no-store, private"}


def _staff() -> workflow.Acting:
    return workflow.Acting(principal=principal_of(dispatch.current_request))


def _query(name: str) -> str | None:
    params = dispatch.current_request.query_params
    value = params.get(name) if params else None
    return str(value) if value else None


# -- signing in -------------------------------------------------------------------------------


def _auth_body(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(validate(schema, json_body(dispatch.current_request)))


@dispatch.route("/auth/sign-in", methods=["POST"])
@api
def sign_in() -> Response:
    body = _auth_body(SIGN_IN)
    source = source_address(dispatch.current_request)
    return respond(identity.sign_in(wiring().identity, body, source), headers=PRIVATE)


@dispatch.route("/auth/password", methods=["POST"])
@api
def change_password() -> Response:
    body = _auth_body(CHANGE_PASSWORD)
    source = source_address(dispatch.current_request)
    return respond(identity.change_password(wiring().identity, body, source), headers=PRIVATE)


@dispatch.route("/auth/refresh", methods=["POST"])
@api
def refresh() -> Response:
    return respond(identity.refresh(wiring().identity, _auth_body(REFRESH)), headers=PRIVATE)


@dispatch.route("/auth/sign-out", methods=["POST"], authorizer=staff_authorizer)
@api
def sign_out() -> Response:
    principal = principal_of(dispatch.current_request)
    return respond(identity.sign_out(wiring().identity, principal), headers=PRIVATE)


@dispatch.route("/auth/work-chat", methods=["GET"])
@api
def work_chat_providers() -> Response:
    return respond(identity.work_chat_providers(wiring().identity), headers=PRIVATE)


@dispatch.route("/auth/work-chat", methods=["POST"])
@api
def work_chat_sign_in() -> Response:
    body = _auth_body(WORK_CHAT_SIGN_IN)
    source = source_address(dispatch.current_request)
    return respond(identity.work_chat_sign_in(wiring().identity, body, source), headers=PRIVATE)


@dispatch.route("/auth/totp", methods=["POST"], authorizer=staff_authorizer)
@api
def totp_enrol() -> Response:
    principal = principal_of(dispatch.current_request)
    return respond(identity.totp_enrol(wiring().identity, principal), headers=PRIVATE)


@dispatch.route("/auth/totp/confirm", methods=["POST"], authorizer=staff_authorizer)
@api
def totp_confirm() -> Response:
    principal = principal_of(dispatch.current_request)
    code = _auth_body(TOTP_CODE)["code"]
    return respond(identity.totp_confirm(wiring().identity, principal, code), headers=PRIVATE)


@dispatch.route("/auth/totp/disable", methods=["POST"], authorizer=staff_authorizer)
@api
def totp_disable() -> Response:
    principal = principal_of(dispatch.current_request)
    code = _auth_body(TOTP_CODE)["code"]
    return respond(identity.totp_disable(wiring().identity, principal, code), headers=PRIVATE)


# -- who am I --------------------------------------------------------------------------------


@dispatch.route("/staff/me", methods=["GET"], authorizer=staff_authorizer)
@api
def me() -> Response:
    principal = principal_of(dispatch.current_request)
    registry = wiring().registry.current()
    return respond(
        {
            "username": principal.username,
            "scopes": staff_service.scope_labels(registry, principal),
            "roles": sorted({s.role.value for s in principal.scopes}),
            **identity.me(wiring().identity, principal),
        },
        headers=PRIVATE,
    )


# -- cases -----------------------------------------------------------------------------------


@dispatch.route("/staff/cases", methods=["GET"], authorizer=staff_authorizer)
@api
def staff_cases() -> Response:
    request = dispatch.current_request
    query: Any = request.query_params or {}
    params = {name: str(query[name]) for name in query}
    page = lists.list_cases(wiring().workflow, principal_of(request), params)
    return respond(page, headers=PRIVATE)


@dispatch.route("/staff/cases/{code}", methods=["GET"], authorizer=staff_authorizer)
@api
def staff_case(code: str) -> Response:
    return respond(workflow.case_view(wiring().workflow, _staff(), code), headers=PRIVATE)


@dispatch.route(
    "/staff/cases/{code}/actions/{action}", methods=["POST"], authorizer=staff_authorizer
)
@api
def staff_action(code: str, action: str) -> Response:
    request = dispatch.current_request
    return _act(_staff(), code, action, request.headers.get("idempotency-key"))


@dispatch.route("/staff/cases/{code}/phone", methods=["POST"], authorizer=staff_authorizer)
@api
def reveal_phone(code: str) -> Response:
    principal = principal_of(dispatch.current_request)
    return respond(workflow.reveal_phone(wiring().workflow, principal, code), headers=PRIVATE)


@dispatch.route("/staff/cases/{code}/notes", methods=["POST"], authorizer=staff_authorizer)
@api
def add_note(code: str) -> Response:
    request = dispatch.current_request
    view = workflow.add_note(wiring().workflow, principal_of(request), code, json_body(request))
    return respond(view, 201, PRIVATE)


# -- common replies (常用语) -------------------------------------------------------------------


@dispatch.route("/staff/replies", methods=["GET"], authorizer=staff_authorizer)
@api
def replies() -> Response:
    principal = principal_of(dispatch.current_request)
    found = replies_service.list_replies(wiring().replies, principal, _query("scope"))
    return respond(found, headers=PRIVATE)


@dispatch.route("/staff/replies", methods=["POST"], authorizer=staff_authorizer)
@api
def add_reply() -> Response:
    request = dispatch.current_request
    added = replies_service.add_reply(wiring().replies, principal_of(request), json_body(request))
    return respond(added, 201, PRIVATE)


@dispatch.route("/staff/replies/{scope}/{reply_id}", methods=["PUT"], authorizer=staff_authorizer)
@api
def edit_reply(scope: str, reply_id: str) -> Response:
    request = dispatch.current_request
    edited = replies_service.edit_reply(
        wiring().replies, principal_of(request), scope, reply_id, json_body(request)
    )
    return respond(edited, headers=PRIVATE)


@dispatch.route(
    "/staff/replies/{scope}/{reply_id}", methods=["DELETE"], authorizer=staff_authorizer
)
@api
def delete_reply(scope: str, reply_id: str) -> Response:
    principal = principal_of(dispatch.current_request)
    return respond(
        replies_service.delete_reply(wiring().replies, principal, scope, reply_id), headers=PRIVATE
    )


def _act(acting: workflow.Acting, code: str, action: str, key: str | None) -> Response:
    body = json_body(dispatch.current_request)
    view = workflow.act(wiring().workflow, acting, code, action, body, key)
    return respond(view, headers=PRIVATE)


@dispatch.route("/staff/reports", methods=["POST"], authorizer=staff_authorizer)
@api
def staff_report() -> Response:
    """Grid workers and property companies report through the same form; the case records
    the channel and who reported it."""
    request = dispatch.current_request
    receipt = intake_service.file_staff_report(
        wiring().intake,
        principal_of(request),
        request.headers.get("idempotency-key"),
        json_body(request),
    )
    return respond(receipt.as_dict(), 201, PRIVATE)


# -- signed action links ---------------------------------------------------------------------


def _link(code: str) -> workflow.Acting:
    request = dispatch.current_request
    token = request.headers.get("x-action-pass")
    return workflow.Acting(
        action_pass=check_pass(wiring().settings.signing_key, code, token, wiring().clock.now())
    )


@dispatch.route("/act/cases/{code}", methods=["GET"])
@api
def link_case(code: str) -> Response:
    return respond(workflow.case_view(wiring().workflow, _link(code), code), headers=PRIVATE)


@dispatch.route("/act/cases/{code}/actions/{action}", methods=["POST"])
@api
def link_action(code: str, action: str) -> Response:
    request = dispatch.current_request
    return _act(_link(code), code, action, request.headers.get("idempotency-key"))


# -- staff accounts (district) ---------------------------------------------------------------


@dispatch.route("/staff/accounts", methods=["GET"], authorizer=staff_authorizer)
@api
def accounts() -> Response:
    principal = principal_of(dispatch.current_request)
    found = staff_service.list_accounts(wiring().identity, principal, wiring().registry.current())
    return respond(found, headers=PRIVATE)


@dispatch.route("/staff/accounts", methods=["POST"], authorizer=staff_authorizer)
@api
def invite() -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(INVITE, json_body(request))
    invited = staff_service.invite(wiring().identity, wiring().registry.current(), principal, body)
    return respond(invited, 201, PRIVATE)


@dispatch.route("/staff/accounts/{username}/scopes", methods=["PUT"], authorizer=staff_authorizer)
@api
def set_scopes(username: str) -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(SCOPES, json_body(request))
    account = staff_service.set_scopes(
        wiring().identity, wiring().registry.current(), principal, username, body
    )
    return respond(account, headers=PRIVATE)


@dispatch.route("/staff/accounts/{username}/enabled", methods=["PUT"], authorizer=staff_authorizer)
@api
def set_enabled(username: str) -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(ENABLED, json_body(request))
    account = staff_service.set_enabled(wiring().identity, principal, username, body["enabled"])
    return respond(account, headers=PRIVATE)


@dispatch.route(
    "/staff/accounts/{username}/password-reset", methods=["POST"], authorizer=staff_authorizer
)
@api
def reset_password(username: str) -> Response:
    principal = principal_of(dispatch.current_request)
    account = staff_service.reset_password(wiring().identity, principal, username)
    return respond(account, headers=PRIVATE)


@dispatch.route(
    "/staff/accounts/{username}/work-chat/{provider}",
    methods=["PUT"],
    authorizer=staff_authorizer,
)
@api
def link_work_chat(username: str, provider: str) -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    user_id = validate(WORK_CHAT_LINK, json_body(request))["user_id"]
    account = staff_service.link_work_chat(
        wiring().identity, principal, username, provider, user_id
    )
    return respond(account, headers=PRIVATE)


@dispatch.route(
    "/staff/accounts/{username}/work-chat/{provider}",
    methods=["DELETE"],
    authorizer=staff_authorizer,
)
@api
def unlink_work_chat(username: str, provider: str) -> Response:
    principal = principal_of(dispatch.current_request)
    account = staff_service.unlink_work_chat(wiring().identity, principal, username, provider)
    return respond(account, headers=PRIVATE)


# -- Open311 API keys (district) -------------------------------------------------------------


@dispatch.route("/staff/open311/keys", methods=["GET"], authorizer=staff_authorizer)
@api
def open311_keys() -> Response:
    principal = principal_of(dispatch.current_request)
    return respond({"items": open311.list_keys(wiring().open311.keys, principal)}, headers=PRIVATE)


@dispatch.route("/staff/open311/keys", methods=["POST"], authorizer=staff_authorizer)
@api
def issue_open311_key() -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(API_KEY, json_body(request))
    issued = open311.issue_key(wiring().open311, principal, body)
    return respond(issued, 201, PRIVATE)


@dispatch.route("/staff/open311/keys/{key_id}", methods=["DELETE"], authorizer=staff_authorizer)
@api
def revoke_open311_key(key_id: str) -> Response:
    principal = principal_of(dispatch.current_request)
    revoked = open311.revoke_key(wiring().open311.keys, principal, key_id, wiring().clock.now())
    return respond(revoked, headers=PRIVATE)


# -- messages that did not reach their recipient (district) ----------------------------------


@dispatch.route("/staff/notifications", methods=["GET"], authorizer=staff_authorizer)
@api
def undelivered() -> Response:
    principal = principal_of(dispatch.current_request)
    return respond(outbox_service.troubled(wiring().outbox, principal), headers=PRIVATE)


@dispatch.route(
    "/staff/notifications/{notification_id}/resend", methods=["POST"], authorizer=staff_authorizer
)
@api
def resend_notification(notification_id: str) -> Response:
    principal = principal_of(dispatch.current_request)
    resent = outbox_service.resend(wiring().outbox, principal, notification_id)
    return respond(resent, headers=PRIVATE)


# -- the working-day calendar (district) -----------------------------------------------------


@dispatch.route("/staff/calendar", methods=["GET"], authorizer=staff_authorizer)
@api
def calendar() -> Response:
    principal_of(dispatch.current_request)
    return respond(calendar_service.calendar_view(wiring().calendar_admin), headers=PRIVATE)


@dispatch.route("/staff/calendar/{year}", methods=["PUT"], authorizer=staff_authorizer)
@api
def put_calendar(year: str) -> Response:
    request = dispatch.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(CALENDAR_YEAR, json_body(request))
    entered = calendar_service.enter_year(wiring().calendar_admin, principal, year, body)
    return respond(entered, headers=PRIVATE)


# -- the timed job ---------------------------------------------------------------------------


@dispatch.schedule(Rate(1, unit=Rate.MINUTES), name="dispatch_tick")
def dispatch_tick(event: Any) -> dict[str, Any]:
    telemetry.start_job("dispatch", event)
    deps = wiring().dispatch
    report = dispatch_service.tick(deps).as_dict()
    stamp = int(deps.clock.now().timestamp() * 1000)
    telemetry.job_metrics(report, telemetry.DISPATCH_METRICS, wiring().settings.stage, stamp)
    log.info("dispatch tick %s", json.dumps(report))
    return report
