"""The staff authorizer (a Chalice custom authorizer: it runs under `chalice local` and the
test client exactly as API Gateway runs it in AWS) and the principal it hands to routes.

The authorizer lives on a blueprint of its own, registered by `app.py`, so every blueprint
that has staff routes uses it without importing another blueprint. It is decorated here, in
place, because the Lambda handler Chalice names for it is this module's attribute: that
attribute must be the authorizer wrapper (which takes API Gateway's event), not the plain
function."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from chalice.app import AuthRequest, AuthResponse, Blueprint, Request

from .bootstrap import wiring
from .domain.errors import DomainError, Unauthorized
from .domain.staff import Principal
from .services import identity

log = logging.getLogger("whistle.auth")

try:  # Chalice's local gateway answers 401 only for its own error type.
    from chalice.local import NotAuthorizedError as _LocalUnauthorized

    _LOCAL = True
except ImportError:  # in Lambda, where API Gateway turns "Unauthorized" into a 401
    _LOCAL = False


def _reject() -> NoReturn:
    if _LOCAL:
        raise _LocalUnauthorized(
            {"x-amzn-ErrorType": "UnauthorizedException"}, b'{"message":"Unauthorized"}'
        )
    raise Exception("Unauthorized")


staff_gate = Blueprint(__name__)
AUTHORIZER_CACHE_SECONDS = 0
"""API Gateway may cache an authorizer's answer per token; it does not here. A cached answer
would carry the scopes the account had when it was cached, and a disabled account would keep
working for as long as the cache lasts (it was 300 seconds). Without it the only staleness is
the authorizer's own few-second cache of the account (`Identity.account_cache_seconds`); the
cost is one small, warm authorizer call per staff request, which is nothing at a district's
scale."""


@staff_gate.authorizer(name="staff_authorizer", ttl_seconds=AUTHORIZER_CACHE_SECONDS)
def staff_authorizer(request: AuthRequest) -> AuthResponse:
    """Verify the bearer token (our signature, not expired) and that its account is enabled
    and still of the token's generation; allow every staff route and pass on who it is,
    with the scopes the account has now.

    Roles are checked by each route (a valid token without the role is a 403 in the API's
    error shape); an invalid, expired, revoked or foreign token never reaches a route (401)."""
    try:
        principal = identity.authorize(wiring().identity, request.token or "")
    except DomainError:
        _reject()
    return AuthResponse(
        routes=["*"],
        principal_id=principal.username,
        context={"username": principal.username, "scopes": principal.scope_text()},
    )


def principal_of(request: Request) -> Principal:
    context: dict[str, Any] = (request.context or {}).get("authorizer") or {}
    username = context.get("username") or context.get("principalId")
    if not username:
        raise Unauthorized("Sign in first.", "unauthorized")
    return Principal.from_scope_text(str(username), str(context.get("scopes", "")))
