"""Entrypoint glue shared by the blueprints: JSON in, the one error shape out.

Every error the API returns is {"error": {"code", "message", "details"}}: domain errors carry
their status; Chalice's own (405, 415, 500) are rewritten by `error_shape` middleware.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from chalice.app import Request, Response, handle_extra_types

from . import telemetry
from .domain.errors import DomainError, ErrorDetail, InvalidInput, PayloadTooLarge

log = logging.getLogger("whistle")

MAX_BODY_BYTES = 64 * 1024
# No body of this API nests deeper than 3 (a report's location, an action's list); a few
# levels more are allowed, thousands (which would exhaust the parser's stack) are not.
MAX_JSON_DEPTH = 8
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
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
    """The request's JSON, only if every route may trust it: at most 64 KB, nested at most
    MAX_JSON_DEPTH deep, without NaN or Infinity (no JSON, though Python reads them) and
    without lone surrogate escapes ("\\ud800" is no Unicode text)."""
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The request body is too large.", "body_too_large")
    if not raw:
        raise _not_json("Send a JSON body.", "Empty body")
    if _depth(raw) > MAX_JSON_DEPTH:
        raise _not_json(
            "The body is nested too deeply.", f"Nested deeper than {MAX_JSON_DEPTH} levels"
        )
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _not_json("The body is not valid JSON.", "The body is not valid JSON") from None
    if not _unicode(value):
        raise _not_json(
            "The body is not valid JSON text.", "A string holds a lone surrogate escape"
        )
    return value


def _not_json(message: str, detail: str) -> InvalidInput:
    return InvalidInput(message, "invalid_json", [ErrorDetail("body", "invalid_json", detail)])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(raw: bytes) -> int:
    """How deep arrays and objects nest, brackets inside strings aside (a linear scan, so
    a hostile body is refused before the recursive parser sees it)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _unicode(value: Any) -> bool:
    """No string (key or value) holds a lone surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_unicode(k) and _unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_unicode(v) for v in value)
    return True


def source_address(request: Request) -> str | None:
    """The sender's address, only as the edge saw it: behind CloudFront (the only way in when
    WHISTLE_EDGE_SECRET is set, see `edge_only`) the viewer address CloudFront itself adds;
    otherwise the address API Gateway (or the local server) saw. A CloudFront-Viewer-Address
    sent by a client that did not come through the edge is never read."""
    from .bootstrap import wiring

    if wiring().settings.edge_secret:
        viewer = request.headers.get("cloudfront-viewer-address")
        return str(viewer).rsplit(":", 1)[0] if viewer else None
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


def request_context(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: every log line of a request carries its id (API Gateway's, which its
    own logs carry too), and so does the response (X-Request-Id), so a resident's or a
    clerk's "it failed" leads to the lines that say why."""
    telemetry.configure_logging()
    request_id = str((event.context or {}).get("requestId") or telemetry.new_id())
    telemetry.clear()
    telemetry.bind(request_id=request_id)
    response = get_response(event)
    response.headers["X-Request-Id"] = request_id
    return response


EDGE_HEADER = "x-whistle-edge"


def edge_only(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: with an edge secret configured (every AWS stage), a request that did
    not come through CloudFront — which adds X-Whistle-Edge to every request it forwards —
    is refused before any route sees it. So the API Gateway address is no way around the
    edge, and the viewer address CloudFront adds is the only address the API trusts."""
    from .bootstrap import wiring

    secret = wiring().settings.edge_secret
    if secret and not hmac.compare_digest(
        str(event.headers.get(EDGE_HEADER, "")).encode(), secret.encode()
    ):
        return error_response(403, "edge_only", "Use the site's own address.")
    return get_response(event)
