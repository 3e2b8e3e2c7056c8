"""Open311 GeoReport v2 routes (`/open311/v2/…`), in JSON or XML by the path's extension."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response

from ..core.bootstrap import wiring
from ..core.domain.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge
from ..core.http import MAX_BODY_BYTES
from ..core.services import open311 as service
from .georeport import to_xml

FORM = "application/x-www-form-urlencoded"


def _split(resource: str) -> tuple[str, str]:
    name, dot, extension = resource.rpartition(".")
    if not dot or extension not in ("json", "xml"):
        raise NotFound("Ask for .json or .xml.", "unknown_format")
    return name, extension


def _answer(
    extension: str, root: str, body: Any, status: int = 200, cache: str = "no-store"
) -> Response:
    headers: dict[str, str | list[str]] = {"Cache-Control": cache}
    if extension == "xml":
        headers["Content-Type"] = "text/xml; charset=utf-8"
        return Response(body=to_xml(root, body).decode(), status_code=status, headers=headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


def _georeport(handler: Callable[..., Response]) -> Callable[..., Response]:
    """GeoReport's error shape — a list of {code, description} — in the asked format."""

    def wrapped(**path: Any) -> Response:
        extension = "xml" if any(str(v).endswith(".xml") for v in path.values()) else "json"
        try:
            return handler(**path)
        except DomainError as error:
            return _answer(extension, "errors", service.errors_of(error), error.status)

    wrapped.__name__ = handler.__name__
    return wrapped


def _form(raw: bytes | str | None) -> dict[str, str]:
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The request body is too large.", "body_too_large")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    form = dict(parse_qsl(text, keep_blank_values=True))
    if not form:
        raise InvalidInput(
            "Send the request as a form (application/x-www-form-urlencoded).",
            "invalid_request",
        )
    return form


def register(intake: Blueprint) -> None:
    def query() -> dict[str, str]:
        params = intake.current_request.query_params
        return {k: str(v) for k, v in (params or {}).items()}

    @intake.route(
        "/open311/v2/{resource}", methods=["GET", "POST"], content_types=[FORM, "application/json"]
    )
    @_georeport
    def open311_root(resource: str) -> Response:
        name, extension = _split(resource)
        deps = wiring().open311
        registry = deps.intake.registry.current()
        request = intake.current_request
        if request.method == "POST":
            form = _form(request.raw_body)
            if name == "servicerequestupdates":
                posted = service.post_update(deps, form)
                return _answer(extension, "service_request_updates", [posted], 201)
            if name != "requests":
                raise NotFound("Only requests and updates can be posted.", "not_found")
            created = service.post_request(deps, form, request.headers.get("idempotency-key"))
            return _answer(extension, "service_requests", [created], 201)
        service.check_jurisdiction(registry, query())
        if name == "servicerequestupdates":
            return _answer(
                extension, "service_request_updates", service.list_updates(deps, query())
            )
        if name == "discovery":
            return _answer(
                extension,
                "discovery",
                service.discovery(deps, registry),
                cache="public, max-age=3600",
            )
        if name == "services":
            return _answer(
                extension, "services", service.services(registry), cache="public, max-age=300"
            )
        if name == "requests":
            return _answer(
                extension,
                "service_requests",
                service.list_requests(deps, query()),
                cache="public, max-age=60",
            )
        raise NotFound("No such resource.", "not_found")

    @intake.route("/open311/v2/services/{service_code}", methods=["GET"])
    @_georeport
    def open311_service(service_code: str) -> Response:
        code, extension = _split(service_code)
        registry = wiring().open311.intake.registry.current()
        service.check_jurisdiction(registry, query())
        return _answer(
            extension,
            "service_definition",
            service.definition(registry, code),
            cache="public, max-age=300",
        )

    @intake.route("/open311/v2/requests/{request_id}", methods=["GET"])
    @_georeport
    def open311_request(request_id: str) -> Response:
        code, extension = _split(request_id)
        service.check_jurisdiction(wiring().open311.intake.registry.current(), query())
        return _answer(
            extension,
            "service_requests",
            service.get_request(wiring().open311, code),
            cache="public, max-age=60",
        )

    @intake.route("/open311/v2/tokens/{token_id}", methods=["GET"])
    @_georeport
    def open311_token(token_id: str) -> Response:
        value, extension = _split(token_id)
        return _answer(extension, "service_requests", service.token(wiring().open311, value))
