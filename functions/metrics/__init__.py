"""Metrics: the nightly aggregation job (00:30 Asia/Shanghai = 16:30 UTC), the dashboard's
reads, property-fee figures (两升一降) and the public results board (晾晒成果)."""

from __future__ import annotations

import json
import logging
from typing import Any

from chalice.app import Blueprint, Cron, Response

from ..core import telemetry
from ..core.auth import principal_of, staff_authorizer
from ..core.bootstrap import wiring
from ..core.domain.errors import ErrorDetail, InvalidInput, PayloadTooLarge
from ..core.domain.staff import Role
from ..core.domain.text import is_ascii_digits
from ..core.http import api, json_body, respond
from ..core.schemas import (
    CAMPAIGN,
    CAMPAIGN_BATCH,
    CAMPAIGN_CASE,
    CAMPAIGN_CHANGE,
    CAMPAIGN_REMOVAL,
    PROJECT,
    PROJECT_CHANGE,
    PROJECT_NOTE,
    PUBLICATION,
    validate,
)
from ..core.services import campaigns, projects
from ..core.services import metrics as service

metrics = Blueprint(__name__)
log = logging.getLogger("whistle.metrics")
PRIVATE = {"Cache-Control": "no-store, private"}
MAX_CSV_BYTES = 1024 * 1024


def _param(name: str, default: str | None = None) -> str | None:
    params = metrics.current_request.query_params
    value = params.get(name) if params else None
    return str(value) if value else default


def _this_month() -> str:
    return service.month_of(service.yesterday(wiring().clock))


@metrics.route("/metrics", methods=["GET"], authorizer=staff_authorizer)
@api
def figures() -> Response:
    principal = principal_of(metrics.current_request)
    result = service.metrics(
        wiring().metrics,
        principal,
        _param("scope", "district") or "district",
        _param("period") or _this_month(),
    )
    return respond(result, headers=PRIVATE)


@metrics.route("/metrics/dashboard", methods=["GET"], authorizer=staff_authorizer)
@api
def dashboard() -> Response:
    principal = principal_of(metrics.current_request)
    result = service.dashboard(
        wiring().metrics,
        principal,
        _param("period") or _this_month(),
        _param("scope", "district") or "district",
    )
    return respond(result, headers=PRIVATE)


@metrics.route("/metrics/indicators", methods=["GET"], authorizer=staff_authorizer)
@api
def indicators() -> Response:
    principal_of(metrics.current_request)
    year = _param("year") or str(service.yesterday(wiring().clock).year)
    if not is_ascii_digits(year, 4):
        raise InvalidInput(
            "year is YYYY.", "invalid_year", [ErrorDetail("year", "invalid_year", "YYYY")]
        )
    return respond(service.indicators(wiring().metrics, int(year)), headers=PRIVATE)


@metrics.route(
    "/metrics/fees", methods=["POST"], authorizer=staff_authorizer, content_types=["text/csv"]
)
@api
def upload_fees() -> Response:
    """Monthly property-fee figures per compound as CSV: all rows are stored or none."""
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT, Role.PROPERTY)
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_CSV_BYTES:
        raise PayloadTooLarge("At most 1 MB of CSV per upload.", "body_too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "Save the CSV as UTF-8.",
            "invalid_csv",
            [ErrorDetail("body", "not_utf8", "Save the CSV as UTF-8.")],
        ) from None
    deps = wiring().metrics
    rows = service.parse_fees(deps.registry.current(), text)
    stored = service.record_fees(deps, principal, rows)
    return respond({"stored": stored}, 201, PRIVATE)


@metrics.route("/metrics/hotspots", methods=["GET"], authorizer=staff_authorizer)
@api
def hotspots() -> Response:
    """Recurring and rising problems found by the last nightly job, with the compounds' map."""
    principal = principal_of(metrics.current_request)
    return respond(service.hotspots(wiring().metrics, principal), headers=PRIVATE)


@metrics.route("/metrics/scorecards", methods=["GET"], authorizer=staff_authorizer)
@api
def scorecards() -> Response:
    """Property-company scorecards, ranked (the district: all; a company's staff: theirs)."""
    principal = principal_of(metrics.current_request)
    period = _param("period") or _this_month()
    return respond(service.scorecards(wiring().metrics, principal, period), headers=PRIVATE)


@metrics.route("/metrics/scorecards/{company}", methods=["GET"], authorizer=staff_authorizer)
@api
def scorecard(company: str) -> Response:
    principal = principal_of(metrics.current_request)
    period = _param("period") or _this_month()
    result = service.scorecard(wiring().metrics, principal, company, period)
    return respond(result, headers=PRIVATE)


@metrics.route("/metrics/scorecards-publication", methods=["PUT"], authorizer=staff_authorizer)
@api
def publish_scorecards() -> Response:
    """The district shows the ranking on the public board (红黑榜), or stops showing it."""
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(PUBLICATION, json_body(request))
    result = service.publish_scorecards(wiring().metrics, principal, body["public"])
    return respond(result, headers=PRIVATE)


@metrics.route("/public/scorecards", methods=["GET"])
@api
def public_scorecards() -> Response:
    """红黑榜: the property companies' ranking, where the district made it public."""
    result = service.public_scorecards(wiring().metrics, _param("period") or _this_month())
    return respond(result, headers={"Cache-Control": "public, max-age=300"})


# -- 攻坚 projects --------------------------------------------------------------------------------


@metrics.route("/staff/projects", methods=["GET"], authorizer=staff_authorizer)
@api
def project_list() -> Response:
    principal = principal_of(metrics.current_request)
    return respond(projects.listing(wiring().projects, principal), headers=PRIVATE)


@metrics.route("/staff/projects", methods=["POST"], authorizer=staff_authorizer)
@api
def project_create() -> Response:
    """The district turns a hotspot or any cases into a 攻坚 project."""
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(PROJECT, json_body(request))
    return respond(projects.create(wiring().projects, principal, body), 201, PRIVATE)


@metrics.route("/staff/projects/{project_id}", methods=["GET"], authorizer=staff_authorizer)
@api
def project_one(project_id: str) -> Response:
    principal = principal_of(metrics.current_request)
    return respond(projects.one(wiring().projects, principal, project_id), headers=PRIVATE)


@metrics.route("/staff/projects/{project_id}", methods=["PATCH"], authorizer=staff_authorizer)
@api
def project_change(project_id: str) -> Response:
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(PROJECT_CHANGE, json_body(request))
    result = projects.change(wiring().projects, principal, project_id, body)
    return respond(result, headers=PRIVATE)


@metrics.route("/staff/projects/{project_id}/notes", methods=["POST"], authorizer=staff_authorizer)
@api
def project_note(project_id: str) -> Response:
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT, Role.DEPARTMENT)
    body = validate(PROJECT_NOTE, json_body(request))
    result = projects.note(wiring().projects, principal, project_id, body["text"])
    return respond(result, 201, PRIVATE)


@metrics.route("/public/projects", methods=["GET"])
@api
def public_projects() -> Response:
    """攻坚 projects the district made public: what, who leads, by when, how far."""
    return respond(
        projects.public(wiring().projects), headers={"Cache-Control": "public, max-age=300"}
    )


# -- campaigns (专项行动) ---------------------------------------------------------------------------

MAX_BATCH_BYTES = 512 * 1024


@metrics.route("/staff/campaigns", methods=["GET"], authorizer=staff_authorizer)
@api
def campaign_list() -> Response:
    principal = principal_of(metrics.current_request)
    return respond(campaigns.listing(wiring().campaigns, principal), headers=PRIVATE)


@metrics.route("/staff/campaigns", methods=["POST"], authorizer=staff_authorizer)
@api
def campaign_create() -> Response:
    """The district starts a campaign: period, communities, focus kinds, target."""
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(CAMPAIGN, json_body(request))
    return respond(campaigns.create(wiring().campaigns, principal, body), 201, PRIVATE)


@metrics.route("/staff/campaigns/{campaign_id}", methods=["GET"], authorizer=staff_authorizer)
@api
def campaign_one(campaign_id: str) -> Response:
    principal = principal_of(metrics.current_request)
    return respond(campaigns.one(wiring().campaigns, principal, campaign_id), headers=PRIVATE)


@metrics.route("/staff/campaigns/{campaign_id}", methods=["PATCH"], authorizer=staff_authorizer)
@api
def campaign_change(campaign_id: str) -> Response:
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT)
    body = validate(CAMPAIGN_CHANGE, json_body(request))
    result = campaigns.change(wiring().campaigns, principal, campaign_id, body)
    return respond(result, headers=PRIVATE)


@metrics.route(
    "/staff/campaigns/{campaign_id}/cases", methods=["POST"], authorizer=staff_authorizer
)
@api
def campaign_add_case(campaign_id: str) -> Response:
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    body = validate(CAMPAIGN_CASE, json_body(request))
    result = campaigns.add_case(
        wiring().campaigns, principal, campaign_id, body["code"], body["reason"]
    )
    return respond(result, headers=PRIVATE)


@metrics.route(
    "/staff/campaigns/{campaign_id}/cases/{code}/remove",
    methods=["POST"],
    authorizer=staff_authorizer,
)
@api
def campaign_remove_case(campaign_id: str, code: str) -> Response:
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    body = validate(CAMPAIGN_REMOVAL, json_body(request))
    result = campaigns.remove_case(wiring().campaigns, principal, campaign_id, code, body["reason"])
    return respond(result, headers=PRIVATE)


@metrics.route(
    "/staff/campaigns/{campaign_id}/batch", methods=["POST"], authorizer=staff_authorizer
)
@api
def campaign_batch(campaign_id: str) -> Response:
    """Many problems at once after a residents' meeting: every row checked, all or none."""
    request = metrics.current_request
    principal = principal_of(request)
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    if len(request.raw_body or b"") > MAX_BATCH_BYTES:
        raise PayloadTooLarge("A batch is at most 512 KB.", "body_too_large")
    body = json_body(request)
    if not isinstance(body, dict):
        body = validate(CAMPAIGN_BATCH, body)  # not an object: said in the one error shape
    result = campaigns.batch(
        wiring().campaigns,
        principal,
        campaign_id,
        request.headers.get("idempotency-key"),
        body,
    )
    return respond(result, 201, PRIVATE)


@metrics.route("/public/campaigns", methods=["GET"])
@api
def public_campaigns() -> Response:
    """Campaigns the district made public, with how many problems each solved."""
    return respond(
        campaigns.public_list(wiring().campaigns), headers={"Cache-Control": "public, max-age=300"}
    )


@metrics.route("/public/campaigns/{campaign_id}", methods=["GET"])
@api
def public_campaign(campaign_id: str) -> Response:
    """One public campaign's results by kind and compound; no personal data."""
    return respond(
        campaigns.public_one(wiring().campaigns, campaign_id),
        headers={"Cache-Control": "public, max-age=300"},
    )


@metrics.route("/public/board", methods=["GET"])
@api
def public_board() -> Response:
    """晾晒成果: the public results board, no sign-in, no personal data."""
    result = service.board(wiring().metrics, _param("period") or _this_month())
    return respond(result, headers={"Cache-Control": "public, max-age=300"})


@metrics.schedule(Cron(30, 16, "*", "*", "?", "*"), name="nightly_metrics")
def nightly_metrics(event: Any) -> dict[str, Any]:
    telemetry.start_job("nightly", event)
    deps = wiring().metrics
    report = service.nightly(deps)
    stamp = int(deps.clock.now().timestamp() * 1000)
    telemetry.job_metrics(report, telemetry.NIGHTLY_METRICS, wiring().settings.stage, stamp)
    log.info("nightly metrics %s", json.dumps(report))
    return report
