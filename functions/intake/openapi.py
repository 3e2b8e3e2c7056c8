"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Every route of the app must have an entry in OPERATIONS; a test holds the two together.
"""

from __future__ import annotations

from typing import Any

from ..core.schemas import (
    API_KEY,
    CALENDAR_YEAR,
    CAMPAIGN,
    CAMPAIGN_BATCH,
    CAMPAIGN_CASE,
    CAMPAIGN_CHANGE,
    CAMPAIGN_REMOVAL,
    CASE_LIST_QUERY,
    CHANGE_PASSWORD,
    ENABLED,
    FOLLOW,
    INVITE,
    NEARBY_QUERY,
    NEW_CASE,
    NEW_UPLOAD,
    NOTE,
    OPEN_CASES_QUERY,
    PROJECT,
    PROJECT_CHANGE,
    PROJECT_NOTE,
    PUBLICATION,
    RATING,
    REFRESH,
    REPLY,
    REPLY_EDIT,
    RESIDENT_CODE,
    RESIDENT_INFO,
    RESIDENT_PREFERENCES,
    RESIDENT_SIGN_IN,
    SCOPES,
    SIGN_IN,
    STAFF_REPORT,
    TOTP_CODE,
    URGE,
    WITHDRAW,
    WORK_CHAT_LINK,
    WORK_CHAT_SIGN_IN,
)
from ..core.services.workflow import ACTIONS


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The query parameters of a route, from the object schema they are validated against."""
    return [
        {
            "name": name,
            "in": "query",
            "description": prop.get("description", ""),
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        for name, prop in schema["properties"].items()
    ]


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

RECEIPT = {
    "type": "object",
    "required": ["code", "token", "status", "created_at"],
    "properties": {
        "code": {"type": "string", "examples": ["YS-2611-27-0042"]},
        "token": {"type": "string", "description": "Shown once; alone opens the case."},
        "status": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Client-chosen key of one report (8–100 of A–Z a–z 0–9 - _). A retry with "
    "the same key and body returns the same case; with another body, 409.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,100}$"},
}


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
ACTION = {"name": "action", "in": "path", "required": True, "schema": {"enum": list(ACTIONS)}}
REPLY_SCOPE = {"name": "scope", "in": "path", "required": True, "schema": {"type": "string"}}
REPLY_ID = {"name": "reply_id", "in": "path", "required": True, "schema": {"type": "string"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
PROVIDER = {
    "name": "provider",
    "in": "path",
    "required": True,
    "schema": {"enum": ["wecom", "dingtalk"]},
}
TOKENS = {
    "type": "object",
    "description": "Signed in; or, after a right password, the step still missing",
    "oneOf": [
        {
            "required": ["access_token", "refresh_token", "expires_in", "username"],
            "properties": {
                "username": {"type": "string"},
                "token_type": {"const": "Bearer"},
                "access_token": {"type": "string", "description": "For `Authorization`"},
                "expires_in": {"type": "integer", "description": "Seconds"},
                "refresh_token": {"type": "string", "description": "Used once, for the next"},
            },
        },
        {
            "required": ["challenge"],
            "properties": {"challenge": {"enum": ["new_password", "totp"]}},
        },
    ],
}


# A resident's later words and photos: the key the photos were uploaded under.
PHOTO_KEY = {
    **IDEMPOTENCY_KEY,
    "required": False,
    "description": "The Idempotency-Key the photos were uploaded with (POST /api/uploads); "
    "needed only when photos are sent.",
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


CASE_TOKEN = {
    "name": "X-Case-Token",
    "in": "header",
    "required": False,
    "description": "The case token, or the key of the case's SMS link (after the code and "
    "its dot); without it, a resident session of the case's phone number (Authorization).",
    "schema": {"type": "string"},
}
RESIDENT: list[dict[str, list[str]]] = [{"resident": []}]
ACTION_PASS = {
    "name": "X-Action-Pass",
    "in": "header",
    "required": True,
    "description": "The pass of a department alert's action link (one case, one department).",
    "schema": {"type": "string"},
}
OPTIONAL_KEY = PHOTO_KEY
CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "string"}}
PROJECT_ID = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
SCOPE = {
    "name": "scope",
    "in": "query",
    "schema": {"type": "string", "examples": ["district", "community:c01", "department:ludeng"]},
}
PERIOD = {
    "name": "period",
    "in": "query",
    "description": "YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY (China calendar); default this month",
    "schema": {"type": "string"},
}
STAFF: list[dict[str, list[str]]] = [{"staff": []}]
ACTION_BODY = {"oneOf": [a.schema for a in ACTIONS.values()]}


RESOURCE = {
    "name": "resource",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "examples": ["services.json", "requests.xml", "discovery.json"]},
}


def _geo(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {}},
            "text/xml": {"schema": {"type": "string"}},
        },
    }


def _geo_errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _geo("GeoReport errors: a list of {code, description}") for s in statuses}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _query(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A query schema's properties as OpenAPI query parameters."""
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


COMPOUND = {"name": "compound", "in": "path", "required": True, "schema": {"type": "string"}}
PUBLIC_CASE: dict[str, Any] = {
    "type": "object",
    "description": "A case as anyone may see it: no resident's words, photos, place or number",
    "required": ["code", "category", "status", "created_at", "summary", "residents_waiting"],
    "properties": {
        "code": {"type": "string"},
        "category": {"type": "object"},
        "status": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "summary": {"type": ["string", "null"], "description": "What staff published"},
        "residents_waiting": {"type": "integer", "minimum": 1},
        "same_kind": {"type": "boolean"},
        "likely_duplicate": {
            "type": "boolean",
            "description": "The description is alike enough to be the same problem",
        },
        "fixed_at": {"type": "string", "format": "date-time"},
    },
}


READINESS: dict[str, Any] = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "not_ready"]},
        "checks": {
            "type": "object",
            "additionalProperties": {"enum": ["ok", "failed"]},
        },
    },
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/health", "GET"): {
        "summary": "Liveness check",
        "responses": {
            "200": _json("OK", {"type": "object", "properties": {"status": {"const": "ok"}}})
        },
    },
    ("/health/ready", "GET"): {
        "summary": "Readiness: each dependency (tables, photo bucket, secrets) read once",
        "responses": {
            "200": _json("Every dependency answered", READINESS),
            "503": _json("At least one dependency failed (named, without detail)", READINESS),
        },
    },
    ("/registry", "GET"): {
        "summary": "Public registry: communities with their compounds, and case categories",
        "responses": {"200": _json("The registry's public fields")},
    },
    ("/compounds/{compound}/open-cases", "GET"): {
        "summary": "While reporting: the compound's open cases of the last weeks of this kind, "
        "or whose description is alike (likely_duplicate), within the radius of a location; "
        "no personal data",
        "parameters": [COMPOUND, *_query(OPEN_CASES_QUERY)],
        "responses": {
            "200": _json(
                "The compound and up to 10 cases, likely duplicates first, then the same kind, "
                "newest first",
                {
                    "type": "object",
                    "required": ["compound", "items"],
                    "properties": {
                        "compound": {"type": "object"},
                        "items": {"type": "array", "items": PUBLIC_CASE},
                    },
                },
            ),
            **_errors(400, 404),
        },
    },
    ("/compounds/nearest", "GET"): {
        "summary": "Use my location: the compound whose centre is nearest, within 800 m (or null)",
        "parameters": _query(NEARBY_QUERY),
        "responses": {"200": _json("The compound, or null"), **_errors(400)},
    },
    ("/public/compounds/{compound}", "GET"): {
        "summary": "A compound's public page: its open problems and those fixed lately, no "
        "personal data",
        "parameters": [COMPOUND],
        "responses": {
            "200": _json(
                "The compound, its open and recently fixed cases",
                {
                    "type": "object",
                    "required": ["compound", "open", "fixed"],
                    "properties": {
                        "compound": {"type": "object"},
                        "open": {"type": "array", "items": PUBLIC_CASE},
                        "fixed": {"type": "array", "items": PUBLIC_CASE},
                    },
                },
            ),
            **_errors(404),
        },
    },
    ("/uploads", "POST"): {
        "summary": "A presigned S3 POST for one photo of a report (JPEG/PNG/WebP, at most 8 MB)",
        "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": NEW_UPLOAD}}},
        "responses": {"201": _json("Where and how to POST the photo"), **_errors(400, 413, 415)},
    },
    ("/cases", "POST"): {
        "summary": "Report a problem",
        "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": NEW_CASE}}},
        "responses": {
            "201": _json("The case code and its token", RECEIPT),
            **_errors(400, 409, 413, 415),
        },
    },
    ("/cases/{code}", "GET"): {
        "summary": "The resident's view of a case",
        "parameters": [CODE, CASE_TOKEN],
        "security": [{}, *RESIDENT],
        "responses": {"200": _json("Status, details and timeline"), **_errors(404)},
    },
    ("/cases/{code}/preferences", "PUT"): {
        "summary": "Which messages about the case the resident wants: all, or only the "
        "essential ones (whistled, rejected, merged, resolved)",
        "parameters": [CODE, CASE_TOKEN],
        "security": [{}, *RESIDENT],
        "requestBody": _body(RESIDENT_PREFERENCES),
        "responses": {"200": _json("The choice kept"), **_errors(400, 404, 409)},
    },
    ("/cases/{code}/followers", "POST"): {
        "summary": "我也遇到 (me too): join an open case as a follower with a resident session "
        "(sent its messages, counted among the residents waiting, may rate it); a line and one "
        "photo for staff only. Idempotent per number (200 when already following or the "
        "reporter); a closed, rejected, merged or withdrawn case is a 409",
        "parameters": [CODE, PHOTO_KEY],
        "security": RESIDENT,
        "requestBody": _body(FOLLOW),
        "responses": {
            "201": _json("Following: {code, following, residents_waiting}"),
            "200": _json("Already following (or the reporter): nothing added"),
            **_errors(400, 401, 404, 409),
        },
    },
    ("/cases/{code}/information", "POST"): {
        "summary": "The reporter adds words or photos (uploaded with the same Idempotency-Key) "
        "while the case is open; staff see them on the timeline",
        "parameters": [CODE, CASE_TOKEN, PHOTO_KEY],
        "security": [{}, *RESIDENT],
        "requestBody": _body(RESIDENT_INFO),
        "responses": {"200": _json("The case as its reporter sees it"), **_errors(400, 404, 409)},
    },
    ("/cases/{code}/withdrawal", "POST"): {
        "summary": "撤回: the reporter withdraws the case before it is whistled (a terminal "
        "state counted in no rate)",
        "parameters": [CODE, CASE_TOKEN],
        "security": [{}, *RESIDENT],
        "requestBody": _body(WITHDRAW),
        "responses": {"200": _json("The case as its reporter sees it"), **_errors(400, 404, 409)},
    },
    ("/cases/{code}/urge", "POST"): {
        "summary": "催办: the reporter urges a case whose current stage is overdue, at most once "
        "a day (429 with Retry-After otherwise); shown to the community and district, counted "
        "on the dashboard",
        "parameters": [CODE, CASE_TOKEN],
        "security": [{}, *RESIDENT],
        "requestBody": _body(URGE),
        "responses": {
            "200": _json("The case as its reporter sees it"),
            **_errors(400, 404, 409, 429),
        },
    },
    ("/resident/code", "POST"): {
        "summary": "Send a 6-digit sign-in code by SMS (valid 5 minutes, 5 tries). The answer "
        "is the same for every valid number, whether or not it has cases; limited per number "
        "and per sender",
        "requestBody": _body(RESIDENT_CODE),
        "responses": {"202": _json("Sent (masked number, seconds valid)"), **_errors(400, 429)},
    },
    ("/resident/session", "POST"): {
        "summary": "Exchange the number and its code for a resident session (1 hour) that "
        "opens every case filed with the number; a wrong, expired or used-up code is a 400",
        "requestBody": _body(RESIDENT_SIGN_IN),
        "responses": {"200": _json("{token, expires_at, phone}"), **_errors(400)},
    },
    ("/resident/cases", "GET"): {
        "summary": "My cases: every case filed with the signed-in number, newest first",
        "security": RESIDENT,
        "responses": {
            "200": _json("{items: [{code, status, category, created_at}]}"),
            **_errors(401),
        },
    },
    ("/cases/{code}/rating", "POST"): {
        "summary": "回访评价: the resident rates the outcome (resolved or not, satisfaction)",
        "parameters": [CODE, CASE_TOKEN],
        "security": [{}, *RESIDENT],
        "requestBody": {"required": True, "content": {"application/json": {"schema": RATING}}},
        "responses": {"200": _json("The case's new status"), **_errors(400, 404, 409)},
    },
    ("/auth/sign-in", "POST"): {
        "summary": "Staff sign-in with username and password (and the 6-digit code when the "
        "account has a second factor). Wrong names and wrong passwords answer alike; five "
        "failures in a row lock the name for 15 minutes",
        "requestBody": _body(SIGN_IN),
        "responses": {
            "200": _json("Tokens, or a challenge", TOKENS),
            **_errors(400, 401, 403, 429),
        },
    },
    ("/auth/password", "POST"): {
        "summary": "Choose a new password (first sign-in, after a reset, or any time); other "
        "sessions end",
        "requestBody": _body(CHANGE_PASSWORD),
        "responses": {
            "200": _json("Tokens, or a challenge", TOKENS),
            **_errors(400, 401, 403, 429),
        },
    },
    ("/auth/refresh", "POST"): {
        "summary": "A new access token for a refresh token, which is used up and replaced; a "
        "refresh token used twice ends every session of the account",
        "requestBody": _body(REFRESH),
        "responses": {"200": _json("Tokens", TOKENS), **_errors(400, 401)},
    },
    ("/auth/sign-out", "POST"): {
        "summary": "Sign out everywhere: every token of the account stops working",
        "security": STAFF,
        "responses": {"200": _json("Signed out"), **_errors(401)},
    },
    ("/auth/work-chat", "GET"): {
        "summary": "The work-chat apps staff may sign in with, and where their sign-in starts",
        "responses": {"200": _json("{providers: [{provider, authorize_url, in_app_url?}]}")},
    },
    ("/auth/work-chat", "POST"): {
        "summary": "Sign in with a WeCom or DingTalk one-time code; the work-chat user must be "
        "linked to an account",
        "requestBody": _body(WORK_CHAT_SIGN_IN),
        "responses": {"200": _json("Tokens", TOKENS), **_errors(400, 401, 404, 429, 503)},
    },
    ("/auth/totp", "POST"): {
        "summary": "Start adding a second factor: a new secret and its otpauth:// URI",
        "security": STAFF,
        "responses": {"200": _json("{secret, uri}"), **_errors(401)},
    },
    ("/auth/totp/confirm", "POST"): {
        "summary": "Confirm the second factor with a code from the app",
        "security": STAFF,
        "requestBody": _body(TOTP_CODE),
        "responses": {"200": _json("{totp: true}"), **_errors(400, 401, 409)},
    },
    ("/auth/totp/disable", "POST"): {
        "summary": "Remove the second factor, with a current code",
        "security": STAFF,
        "requestBody": _body(TOTP_CODE),
        "responses": {"200": _json("{totp: false}"), **_errors(400, 401, 429)},
    },
    ("/staff/me", "GET"): {
        "summary": "Who is signed in, with roles and scopes",
        "security": STAFF,
        "responses": {"200": _json("The staff member"), **_errors(401)},
    },
    ("/staff/cases", "GET"): {
        "summary": "A work list: inbox (community, oldest first), community, work (department, "
        "nearest deadline first), department, area (grid / property), district, extensions "
        "(district: extension requests awaiting a decision, nearest deadline first)",
        "security": STAFF,
        "description": "Searched (q), filtered (stage, kind, community, department, overdue, "
        "waiting) and sorted; 20 a page with `total` (null when only a full read could tell), "
        "`counts` per status and a signed `cursor`. Unknown parameters and values are a 400.",
        "parameters": _query_parameters(CASE_LIST_QUERY),
        "responses": {"200": _json("One page of cases"), **_errors(400, 401, 403, 404)},
    },
    ("/staff/cases/{code}", "GET"): {
        "summary": "A case as staff see it (phone masked); 404 outside one's scope",
        "security": STAFF,
        "parameters": [CODE],
        "responses": {
            "200": _json("The case with its timeline and allowed actions"),
            **_errors(401, 404),
        },
    },
    ("/staff/cases/{code}/actions/{action}", "POST"): {
        "summary": "Take an action: reject, merge, local, whistle, claim, return, extension, "
        "resolve, decide_extension, chase, publish (a summary for the public record). The body "
        "carries the version seen (409 if stale).",
        "security": STAFF,
        "parameters": [CODE, ACTION, OPTIONAL_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": ACTION_BODY}}},
        "responses": {
            "200": _json("The case after the action"),
            **_errors(400, 401, 403, 404, 409),
        },
    },
    ("/staff/cases/{code}/phone", "POST"): {
        "summary": "Reveal the resident's phone to the staff member handling the case (recorded)",
        "security": STAFF,
        "parameters": [CODE],
        "responses": {"200": _json("The number"), **_errors(401, 403, 404, 409)},
    },
    ("/staff/cases/{code}/notes", "POST"): {
        "summary": "Add an internal note (内部备注) to a case: shown on the staff timeline only, "
        "never to the resident, the public board or Open311 (community, department, district)",
        "security": STAFF,
        "parameters": [CODE],
        "requestBody": _body(NOTE),
        "responses": {
            "201": _json("The case with its timeline"),
            **_errors(400, 401, 403, 404, 409),
        },
    },
    ("/staff/replies", "GET"): {
        "summary": "Common replies (常用语) for return, reject and resolve: of one scope, or of "
        "every community and department of one's own",
        "security": STAFF,
        "parameters": [
            {
                "name": "scope",
                "in": "query",
                "schema": {"type": "string", "examples": ["department:ludeng"]},
            }
        ],
        "responses": {"200": _json("{scopes, items}"), **_errors(400, 401, 403)},
    },
    ("/staff/replies", "POST"): {
        "summary": "Add a common reply to a scope of one's own (the district: any)",
        "security": STAFF,
        "requestBody": _body(REPLY),
        "responses": {"201": _json("The reply"), **_errors(400, 401, 403, 409)},
    },
    ("/staff/replies/{scope}/{reply_id}", "PUT"): {
        "summary": "Change a common reply's kind or text",
        "security": STAFF,
        "parameters": [REPLY_SCOPE, REPLY_ID],
        "requestBody": _body(REPLY_EDIT),
        "responses": {"200": _json("The reply"), **_errors(400, 401, 403, 404)},
    },
    ("/staff/replies/{scope}/{reply_id}", "DELETE"): {
        "summary": "Delete a common reply",
        "security": STAFF,
        "parameters": [REPLY_SCOPE, REPLY_ID],
        "responses": {"200": _json("{id, scope, deleted}"), **_errors(400, 401, 403, 404)},
    },
    ("/staff/reports", "POST"): {
        "summary": "A grid worker or property company reports (channel and reporter recorded)",
        "security": STAFF,
        "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": STAFF_REPORT}},
        },
        "responses": {
            "201": _json("The case code and its token", RECEIPT),
            **_errors(400, 401, 403, 409, 429),
        },
    },
    ("/act/cases/{code}", "GET"): {
        "summary": "A case through a department alert's signed action link",
        "parameters": [CODE, ACTION_PASS],
        "responses": {"200": _json("The case"), **_errors(401, 404)},
    },
    ("/act/cases/{code}/actions/{action}", "POST"): {
        "summary": "Claim, return, ask for an extension or resolve through a signed action link",
        "parameters": [CODE, ACTION, ACTION_PASS, OPTIONAL_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": ACTION_BODY}}},
        "responses": {"200": _json("The case after the action"), **_errors(400, 401, 404, 409)},
    },
    ("/staff/accounts", "GET"): {
        "summary": "Staff accounts with their roles and scopes (district)",
        "security": STAFF,
        "responses": {"200": _json("The accounts"), **_errors(401, 403)},
    },
    ("/staff/accounts", "POST"): {
        "summary": "Invite a staff member with roles and scopes (district)",
        "security": STAFF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": INVITE}}},
        "responses": {"201": _json("The new account"), **_errors(400, 401, 403, 409)},
    },
    ("/staff/accounts/{username}/scopes", "PUT"): {
        "summary": "Set a staff member's roles and scopes (district)",
        "security": STAFF,
        "parameters": [USERNAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": SCOPES}}},
        "responses": {"200": _json("The account"), **_errors(400, 401, 403, 404)},
    },
    ("/staff/accounts/{username}/enabled", "PUT"): {
        "summary": "Disable or enable a staff member (district)",
        "security": STAFF,
        "parameters": [USERNAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": ENABLED}}},
        "responses": {"200": _json("The account"), **_errors(400, 401, 403, 404)},
    },
    ("/staff/accounts/{username}/password-reset", "POST"): {
        "summary": "A temporary password (shown once) and a new one at the next sign-in; every "
        "session, the second factor and any lock end (district)",
        "security": STAFF,
        "parameters": [USERNAME],
        "responses": {"200": _json("The account and temporary_password"), **_errors(401, 403, 404)},
    },
    ("/staff/accounts/{username}/work-chat/{provider}", "PUT"): {
        "summary": "Link a WeCom or DingTalk user id to the account (district)",
        "security": STAFF,
        "parameters": [USERNAME, PROVIDER],
        "requestBody": _body(WORK_CHAT_LINK),
        "responses": {"200": _json("The account"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/accounts/{username}/work-chat/{provider}", "DELETE"): {
        "summary": "Unlink the account's WeCom or DingTalk user (district)",
        "security": STAFF,
        "parameters": [USERNAME, PROVIDER],
        "responses": {"200": _json("The account"), **_errors(401, 403, 404)},
    },
    ("/staff/calendar", "GET"): {
        "summary": "The working-day calendar by year, and the years still missing",
        "security": STAFF,
        "responses": {"200": _json("Years entered and missing"), **_errors(401)},
    },
    ("/staff/calendar/{year}", "PUT"): {
        "summary": "Enter or correct one year's holidays and adjusted working days (district)",
        "security": STAFF,
        "parameters": [
            {"name": "year", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CALENDAR_YEAR}},
        },
        "responses": {"200": _json("What was entered"), **_errors(400, 401, 403)},
    },
    ("/metrics", "GET"): {
        "summary": "Counts and rates (response, on-time, resolution, satisfaction, complaint) of "
        "one scope and period, derived from the nightly items; scoped by role",
        "security": STAFF,
        "parameters": [SCOPE, PERIOD],
        "responses": {"200": _json("Counts, rates, backlog, durations"), **_errors(400, 401, 403)},
    },
    ("/metrics/dashboard", "GET"): {
        "summary": "Everything the district dashboard shows for a period: current and previous "
        "figures, series, rankings, the live overdue list",
        "security": STAFF,
        "parameters": [SCOPE, PERIOD],
        "responses": {"200": _json("The dashboard"), **_errors(400, 401, 403)},
    },
    ("/metrics/indicators", "GET"): {
        "summary": "两升一降 year on year (fee collection, satisfaction, complaint rate) and the "
        "coverage indicators from the registry",
        "security": STAFF,
        "parameters": [{"name": "year", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _json("Indicators"), **_errors(400, 401)},
    },
    ("/metrics/fees", "POST"): {
        "summary": "Property-fee figures as CSV (compound,month,billed,collected): every row "
        "checked, all stored or none",
        "security": STAFF,
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {"201": _json("Rows stored"), **_errors(400, 401, 403, 413, 415)},
    },
    ("/staff/projects", "GET"): {
        "summary": "攻坚 projects with their progress (district: all; a department: those it "
        "leads or joins)",
        "security": STAFF,
        "responses": {"200": _json("The projects"), **_errors(401, 403)},
    },
    ("/staff/projects", "POST"): {
        "summary": "Create a 攻坚 project from a hotspot or any cases (district)",
        "security": STAFF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": PROJECT}}},
        "responses": {"201": _json("The project"), **_errors(400, 401, 403, 409)},
    },
    ("/staff/projects/{project_id}", "GET"): {
        "summary": "One project with its notes and progress",
        "security": STAFF,
        "parameters": [PROJECT_ID],
        "responses": {"200": _json("The project"), **_errors(401, 404)},
    },
    ("/staff/projects/{project_id}", "PATCH"): {
        "summary": "Change a project's status, due date, departments, cases, title, summary or "
        "whether it is public, on the version read (district)",
        "security": STAFF,
        "parameters": [PROJECT_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PROJECT_CHANGE}},
        },
        "responses": {"200": _json("The project"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/projects/{project_id}/notes", "POST"): {
        "summary": "A progress note (the district or a department in the project)",
        "security": STAFF,
        "parameters": [PROJECT_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PROJECT_NOTE}},
        },
        "responses": {"201": _json("The project"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/campaigns", "GET"): {
        "summary": "Campaigns (专项行动) with what each collected and solved (district and "
        "departments: all; community staff: those their communities take part in)",
        "security": STAFF,
        "responses": {"200": _json("The campaigns"), **_errors(401, 403)},
    },
    ("/staff/campaigns", "POST"): {
        "summary": "Start a campaign: name, period, participating communities, focus kinds, "
        "target (district)",
        "security": STAFF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": CAMPAIGN}}},
        "responses": {"201": _json("The campaign"), **_errors(400, 401, 403, 409)},
    },
    ("/staff/campaigns/{campaign_id}", "GET"): {
        "summary": "One campaign and its progress: collected, whistled, claimed and resolved on "
        "time, satisfaction, open cases and residents waiting, by community and department",
        "security": STAFF,
        "parameters": [CAMPAIGN_ID],
        "responses": {"200": _json("The campaign and its progress"), **_errors(401, 403, 404)},
    },
    ("/staff/campaigns/{campaign_id}", "PATCH"): {
        "summary": "Change a campaign's name, period, communities, kinds, target, summary or "
        "whether it is public, on the version read (district)",
        "security": STAFF,
        "parameters": [CAMPAIGN_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CAMPAIGN_CHANGE}},
        },
        "responses": {"200": _json("The campaign"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/campaigns/{campaign_id}/cases", "POST"): {
        "summary": "Add a case to the campaign, with a reason (district; community staff for "
        "their communities' cases)",
        "security": STAFF,
        "parameters": [CAMPAIGN_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CAMPAIGN_CASE}},
        },
        "responses": {"200": _json("The case's campaign"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/campaigns/{campaign_id}/cases/{code}/remove", "POST"): {
        "summary": "Take a case out of the campaign, with a reason",
        "security": STAFF,
        "parameters": [CAMPAIGN_ID, CODE],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CAMPAIGN_REMOVAL}},
        },
        "responses": {"200": _json("The case's campaign"), **_errors(400, 401, 403, 404, 409)},
    },
    ("/staff/campaigns/{campaign_id}/batch", "POST"): {
        "summary": "Many problems at once (rows, or the text of a CSV file): every row checked, "
        "all stored or none, problems named by line; each a case with the channel campaign",
        "security": STAFF,
        "parameters": [CAMPAIGN_ID, IDEMPOTENCY_KEY],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CAMPAIGN_BATCH}},
        },
        "responses": {"201": _json("The cases created"), **_errors(400, 401, 403, 404, 409, 413)},
    },
    ("/public/campaigns", "GET"): {
        "summary": "Campaigns the district made public, with how many problems each solved",
        "responses": {"200": _json("The campaigns")},
    },
    ("/public/campaigns/{campaign_id}", "GET"): {
        "summary": "One public campaign's results by kind and compound; no cases, residents "
        "or staff",
        "parameters": [CAMPAIGN_ID],
        "responses": {"200": _json("The campaign's results"), **_errors(404)},
    },
    ("/public/projects", "GET"): {
        "summary": "攻坚 projects the district made public: title, departments, due date, status, "
        "summary and progress; no cases, residents or staff names",
        "responses": {"200": _json("The projects")},
    },
    ("/metrics/hotspots", "GET"): {
        "summary": "Hotspots the last nightly job found: one kind recurring in a compound, or "
        "rising in a community against the days before (district: all; community: its own), "
        "with the compounds' coordinates for the map",
        "security": STAFF,
        "responses": {"200": _json("The hotspots and the compounds"), **_errors(401, 403)},
    },
    ("/metrics/scorecards", "GET"): {
        "summary": "Property-company scorecards of a period against the previous one, ranked "
        "(the district sees every company, a company's staff their own)",
        "security": STAFF,
        "parameters": [PERIOD],
        "responses": {"200": _json("The ranked cards"), **_errors(400, 401, 403)},
    },
    ("/metrics/scorecards/{company}", "GET"): {
        "summary": "One property company's card with a row per compound it serves",
        "security": STAFF,
        "parameters": [
            {"name": "company", "in": "path", "required": True, "schema": {"type": "string"}},
            PERIOD,
        ],
        "responses": {"200": _json("The card"), **_errors(400, 401, 403, 404)},
    },
    ("/metrics/scorecards-publication", "PUT"): {
        "summary": "Show the scorecard ranking on the public board (红黑榜), or stop (district)",
        "security": STAFF,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PUBLICATION}},
        },
        "responses": {"200": _json("Whether it is public"), **_errors(400, 401, 403)},
    },
    ("/public/scorecards", "GET"): {
        "summary": "红黑榜: the property companies' ranking, when the district made it public; "
        "no cases, no personal data",
        "parameters": [PERIOD],
        "responses": {"200": _json("The ranking"), **_errors(400)},
    },
    ("/public/board", "GET"): {
        "summary": "晾晒成果: the public results board by community, no personal data",
        "parameters": [PERIOD],
        "responses": {"200": _json("The board"), **_errors(400)},
    },
    ("/staff/open311/keys", "GET"): {
        "summary": "Open311 API keys (district)",
        "security": STAFF,
        "responses": {"200": _json("The keys, without their secrets"), **_errors(401, 403)},
    },
    ("/staff/open311/keys", "POST"): {
        "summary": "Issue an Open311 API key to a 311 client (district); the secret is shown once",
        "security": STAFF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": API_KEY}}},
        "responses": {"201": _json("The key"), **_errors(400, 401, 403)},
    },
    ("/staff/open311/keys/{key_id}", "DELETE"): {
        "summary": "Revoke an Open311 API key (district)",
        "security": STAFF,
        "parameters": [
            {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {"200": _json("The revoked key"), **_errors(401, 403, 404)},
    },
    ("/staff/notifications", "GET"): {
        "summary": "Messages given up and not yet resent (district): those that failed every "
        "attempt and those whose sender stopped while sending (uncertain), newest first",
        "security": STAFF,
        "responses": {"200": _json("The messages"), **_errors(401, 403)},
    },
    ("/staff/notifications/{notification_id}/resend", "POST"): {
        "summary": "Send a given-up message again (district), as a new message linked to it; "
        "pressing twice sends it once",
        "security": STAFF,
        "parameters": [
            {
                "name": "notification_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "responses": {"200": _json("The new message's id"), **_errors(401, 403, 404, 409)},
    },
    ("/open311/v2/{resource}", "GET"): {
        "summary": "Open311 GeoReport v2: discovery.{json,xml}, services.{json,xml}, "
        "requests.{json,xml} (filters service_request_id, service_code, start_date, end_date, "
        "status) and mySociety's servicerequestupdates.{json,xml} (api_key, start_date, "
        "end_date: every public change in the window, oldest first). Every resource takes "
        "jurisdiction_id. Also served at /open311/v2/ outside /api.",
        "parameters": [RESOURCE],
        "responses": {"200": _geo("The resource"), **_geo_errors(400, 403, 404)},
    },
    ("/open311/v2/{resource}", "POST"): {
        "summary": "Open311 GeoReport v2: POST requests.{json,xml} (form-encoded, api_key "
        "required): creates a case through the resident form's checks; POST "
        "servicerequestupdates.{json,xml} (mySociety's extension: service_request_id, the "
        "client's update_id, description, status, updated_datetime, media_url) records a "
        "client's update, idempotent on its update_id",
        "parameters": [RESOURCE, OPTIONAL_KEY],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
        },
        "responses": {
            "201": _geo("The service request id, or the update id"),
            **_geo_errors(400, 403, 404, 409, 413, 429),
        },
    },
    ("/open311/v2/services/{service_code}", "GET"): {
        "summary": "Open311 GeoReport v2: a service definition with its attributes",
        "parameters": [
            {
                "name": "service_code",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "examples": ["101.json"]},
            }
        ],
        "responses": {"200": _geo("The definition"), **_geo_errors(404)},
    },
    ("/open311/v2/requests/{request_id}", "GET"): {
        "summary": "Open311 GeoReport v2: one service request (no personal data)",
        "parameters": [
            {
                "name": "request_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "examples": ["YS-2611-27-0042.json"]},
            }
        ],
        "responses": {"200": _geo("The request"), **_geo_errors(404)},
    },
    ("/open311/v2/tokens/{token_id}", "GET"): {
        "summary": "Open311 GeoReport v2: a token's request (ids are given at once, so a token "
        "is its request id)",
        "parameters": [
            {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {"200": _geo("The request id"), **_geo_errors(404)},
    },
    ("/openapi.json", "GET"): {
        "summary": "This document",
        "responses": {"200": _json("OpenAPI 3.1")},
    },
}


def _operation_id(method: str, path: str) -> str:
    words = path.strip("/").replace("{", "").replace("}", "").replace(".", "_").split("/")
    return "_".join([method.lower(), *words])


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), operation in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = {
            "operationId": _operation_id(method, path),
            **operation,
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Whistle (吹哨) API",
            "version": "1",
            "description": "Community whistle, departments report in. Every error is "
            '{"error": {"code", "message", "details"}}.',
        },
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "staff": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A staff access token from /auth/sign-in (15 minutes; "
                    "renewed with /auth/refresh).",
                },
                "resident": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A resident session from /resident/session (1 hour): it "
                    "names the phone number's keyed hash, never the number.",
                },
            },
        },
    }
