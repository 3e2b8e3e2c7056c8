"""Entrypoint glue shared by the blueprints: JSON in, the one error shape out.

Every error the API returns is {"error": {"code", "message", "details"}}: domain errors carry
their status; Chalice's own (405, 415, 500) are rewritten by `error_shape` middleware.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from chalice.app import Request, Response, handle_extra_types

from .domain.errors import DomainError, ErrorDetail, InvalidInput, PayloadTooLarge

log = logging.getLogger("whistle")

MAX_BODY_BYTES = 64 * 1024
JSON = "application/json; charset=utf-8"

F = TypeVar("F", bound=Callable[..., Any])


def respond(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response; `headers` add to (or override) the content type."""
    merged: dict[str, str | list[str]] = {"Content-Type": JSON}
    merged.update(headers or {})
    if not isinstance(body, str | bytes):
        # As Chalice would, but strict: NaN or Infinity is no JSON a browser can read, so it
        # fails here, loudly, rather than in every client.
        body = json.dumps(body, separators=(",", ":"), default=handle_extra_types, allow_nan=False)
    return Response(body=body, status_code=status, headers=merged)


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return respond(
        {"error": {"code": code, "message": message, "details": details or []}}, status, headers
    )


def json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The request body is too large.", "body_too_large")
    if not raw:
        raise InvalidInput(
            "Send a JSON body.", "invalid_json", [ErrorDetail("body", "invalid_json", "Empty body")]
        )
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "The body is not valid JSON.",
            "invalid_json",
            [ErrorDetail("body", "invalid_json", "The body is not valid JSON")],
        ) from None


def source_address(request: Request) -> str | None:
    """The sender's address: CloudFront's viewer address when behind the CDN (API Gateway
    sees only the CDN), else the address API Gateway saw."""
    viewer = request.headers.get("cloudfront-viewer-address")
    if viewer:
        return str(viewer).rsplit(":", 1)[0]
    identity = (request.context or {}).get("identity") or {}
    address = identity.get("sourceIp")
    return str(address) if address else None


def api(view: F) -> F:
    """Map domain errors to their status and unexpected ones to a bare 500 (logged without
    the request, which may carry personal data)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            result = view(*args, **kwargs)
        except DomainError as error:
            return respond(error.body(), error.status, error.headers)
        except Exception as error:
            log.error("unhandled %s in %s", type(error).__name__, view.__name__, exc_info=False)
            log.debug("traceback", exc_info=True)
            return error_response(500, "internal_error", "Something went wrong; please retry.")
        return result

    return wrapped  # type: ignore[return-value]


_CHALICE_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "BadRequestError": "bad_request",
    "BadRequest": "bad_request",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: Chalice's built-in errors ({"Code", "Message"}) in the API's shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_CODES.get(str(body["Code"]), "error")
        message = str(body.get("Message", ""))
        if response.status_code >= 500:
            message = "Something went wrong; please retry."
        keep = {k: str(v) for k, v in response.headers.items() if k.lower() != "content-type"}
        return error_response(response.status_code, code, message, headers=keep)
    return response
