"""JSON Schemas of the API's request bodies. The OpenAPI document is built from these too."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from .domain.cases import Status
from .domain.errors import ErrorDetail, InvalidInput
from .domain.text import TextProblem, check_text

# Registry ids, case codes, object keys: letters, digits and a few separators, nothing else.
ID_PATTERN = "^[A-Za-z0-9_.:/-]+$"
# A mobile number as typed: digits of any script (made ASCII before it is checked), spaces,
# dashes, brackets and a leading +.
PHONE_PATTERN = "^[+]?[\\d\\s()-]+$"

NEW_CASE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["category", "compound", "address", "description", "phone", "consent"],
    "properties": {
        "category": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN},
        "compound": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN},
        "address": {"type": "string", "minLength": 1, "maxLength": 200, "x-min-visible": 1},
        "description": {
            "type": "string",
            "minLength": 5,
            "maxLength": 2000,
            "x-min-visible": 5,
        },
        "phone": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": PHONE_PATTERN},
        "consent": {"const": True},
        "photos": {
            "type": "array",
            "maxItems": 6,
            "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": ID_PATTERN},
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "required": ["lat", "lng"],
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lng": {"type": "number", "minimum": -180, "maximum": 180},
            },
        },
    },
}

_PHONE = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": PHONE_PATTERN}

RESIDENT_CODE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["phone"],
    "properties": {"phone": _PHONE},
}

RESIDENT_SIGN_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["phone", "code"],
    "properties": {
        "phone": _PHONE,
        "code": {"type": "string", "pattern": "^[0-9]{6}$", "description": "6 digits from the SMS"},
    },
}

RESIDENT_PREFERENCES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["updates"],
    "properties": {
        "updates": {
            "enum": ["all", "essential"],
            "description": "every message about the case, or only the essential ones",
        }
    },
}

_LATITUDE = {"type": "number", "minimum": -90, "maximum": 90}
_LONGITUDE = {"type": "number", "minimum": -180, "maximum": 180}

# Query parameters of the reads residents make while reporting (as the service types them).
OPEN_CASES_QUERY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN},
        "text": {"type": "string", "maxLength": 2000, "x-min-visible": 0},
        "lat": _LATITUDE,
        "lon": _LONGITUDE,
    },
}

NEARBY_QUERY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["lat", "lon"],
    "properties": {"lat": _LATITUDE, "lon": _LONGITUDE},
}

_STAGED_PHOTOS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": ID_PATTERN},
    "description": "keys of photos uploaded by POST /api/uploads with this request's "
    "Idempotency-Key (cleaned of their metadata before they are kept)",
}

# 我也遇到 (me too): join an open case as a follower; the line and photo are for staff only.
FOLLOW: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "note": {"type": "string", "maxLength": 200, "x-min-visible": 0},
        "photos": {**_STAGED_PHOTOS, "maxItems": 1},
    },
}

# The resident's actions on their own open case.
RESIDENT_INFO: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "note": {"type": "string", "maxLength": 1000, "x-min-visible": 0},
        "photos": {**_STAGED_PHOTOS, "maxItems": 3},
    },
}

WITHDRAW: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"reason": {"type": "string", "maxLength": 200, "x-min-visible": 0}},
}

URGE: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}

NEW_UPLOAD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["content_type", "size"],
    "properties": {
        "content_type": {"type": "string", "maxLength": 100, "pattern": "^[a-z]+/[a-z0-9.+-]+$"},
        "size": {"type": "integer", "minimum": 1},
    },
}


def _min_visible(validator: Any, minimum: int, instance: Any, schema: Any) -> Any:
    """`x-min-visible`: the keyword of every free-text field. No control characters, lone
    surrogates or noncharacters; and, where words are required (a minimum above 0), at least
    this many characters a reader would see — five spaces, zero-width spaces or bidi
    overrides are no description."""
    if isinstance(instance, str):
        try:
            check_text(instance, minimum)
        except TextProblem as problem:
            yield ValidationError(str(problem), cause=problem)


_Validator = validators.extend(Draft202012Validator, {"x-min-visible": _min_visible})

_CODES = {
    "required": "missing_field",
    "x-min-visible": "too_short",
    "additionalProperties": "unknown_field",
    "minLength": "too_short",
    "maxLength": "too_long",
    "maxItems": "too_many",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "type": "wrong_type",
    "const": "invalid_value",
    "enum": "invalid_value",
    "pattern": "invalid_format",
}

# Codes a client can act on without reading the message, where the generic one says too little.
_FIELD_CODES = {
    ("consent", "const"): "consent_required",
    ("photos", "maxItems"): "too_many_photos",
    ("address", "x-min-visible"): "required",
}

_validators: dict[int, Any] = {}


def validate(schema: dict[str, Any], body: Any) -> dict[str, Any]:
    """Check `body` against `schema`; every problem is listed, none is fixed silently."""
    details = schema_problems(schema, body)
    if details:
        raise InvalidInput(
            "The request is not valid; nothing was changed.", "invalid_request", details
        )
    if not isinstance(body, dict):  # pragma: no cover - every schema here is an object schema
        raise InvalidInput("Send a JSON object.", "invalid_request")
    return body


def schema_problems(schema: dict[str, Any], body: Any) -> list[ErrorDetail]:
    """Every way `body` differs from `schema`, one detail per field and kind of problem."""
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = _Validator(schema)
    details = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = [p for p in error.validator_value if p not in (error.instance or {})]
            for name in missing:
                field = f"{path}/{name}" if path else name
                details.append(ErrorDetail(field, "missing_field", f"{field} is required"))
            continue
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for name in extra:
                field = f"{path}/{name}" if path else name
                details.append(ErrorDetail(field, "unknown_field", f"{field} is not allowed"))
            continue
        code = _FIELD_CODES.get(
            (path, str(error.validator)), _CODES.get(str(error.validator), "invalid")
        )
        message = _message(error.validator, path, error)
        if isinstance(error.cause, TextProblem) and error.cause.code != "too_short":
            code, message = error.cause.code, f"{path or 'body'} {error.cause}"
        details.append(ErrorDetail(path or "body", code, message))
    # jsonschema reports a missing or extra property once per such property, each time with
    # the whole list: keep each (field, code) once.
    return list({(d.field, d.code): d for d in details}.values())


def _message(kind: Any, path: str, error: Any) -> str:
    # jsonschema's own messages quote the offending value, which may be personal data.
    field = path or "body"
    limit = error.validator_value
    return {
        "minLength": f"{field} must be at least {limit} characters",
        "x-min-visible": f"{field} must hold at least {limit} visible characters",
        "maxLength": f"{field} must be at most {limit} characters",
        "maxItems": f"{field} may hold at most {limit} items",
        "minimum": f"{field} must be at least {limit}",
        "maximum": f"{field} must be at most {limit}",
        "type": f"{field} must be of type {limit}",
        "const": f"{field} must be {limit!r}".replace("True", "true"),
    }.get(str(kind), f"{field} is not valid")


LIST_VIEWS = ("inbox", "community", "work", "department", "area", "district", "extensions")
_LIST_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN}

CASE_LIST_QUERY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "view": {"enum": list(LIST_VIEWS), "description": "Which list; default inbox"},
        "target": {**_LIST_ID, "description": "Which of one's scopes (any, for the district)"},
        "cursor": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "pattern": "^[A-Za-z0-9_=.-]+$",
            "description": "The `cursor` of the previous page, as given",
        },
        "q": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "x-min-visible": 1,
            "description": "Words of the case code, address or description (all must occur)",
        },
        "stage": {
            "enum": [status.value for status in Status],
            "description": "Only cases in this status",
        },
        "kind": {**_LIST_ID, "description": "Only cases of this category"},
        "community": {**_LIST_ID, "description": "Only cases of this community"},
        "department": {**_LIST_ID, "description": "Only cases of this department"},
        "overdue": {"enum": ["true", "false"], "description": "Only cases past a time limit"},
        "waiting": {
            "type": "string",
            "pattern": "^[1-9][0-9]{0,2}$",
            "description": "Only cases with at least this many residents waiting",
        },
        "sort": {
            "enum": ["newest", "oldest", "due", "waiting"],
            "description": "newest or oldest report, due soonest (open cases), most residents "
            "waiting (open cases); default: oldest for the inbox, due for work, else newest",
        },
    },
}

RATING: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["resolved", "satisfaction"],
    "properties": {
        "resolved": {"type": "boolean"},
        "satisfaction": {"enum": ["satisfied", "fairly_satisfied", "not_satisfied"]},
        "comment": {"type": "string", "maxLength": 500, "x-min-visible": 0},
    },
}

STAFF_REPORT: dict[str, Any] = {
    **NEW_CASE,
    "required": ["category", "compound", "address", "description", "consent"],
}

# A 311 client's update on a request (mySociety's servicerequestupdates extension), form fields
# as strings. Fields Whistle does not use (names, e-mail, title…) are allowed and ignored.
OPEN311_UPDATE: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_request_id", "update_id"],
    "properties": {
        "api_key": {"type": "string", "minLength": 1, "maxLength": 200},
        "jurisdiction_id": {"type": "string", "maxLength": 64},
        "service_request_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": ID_PATTERN,
        },
        "update_id": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN},
        "status": {"type": "string", "maxLength": 40},
        "updated_datetime": {"type": "string", "maxLength": 40},
        "description": {"type": "string", "maxLength": 2000},
        "media_url": {"type": "string", "maxLength": 2000},
    },
    "additionalProperties": {"type": "string", "maxLength": 2000},
}

INVITE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["username", "name", "email", "scopes"],
    "properties": {
        "username": {"type": "string", "minLength": 3, "maxLength": 64, "pattern": ID_PATTERN},
        "name": {"type": "string", "minLength": 1, "maxLength": 64, "x-min-visible": 1},
        "email": {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "pattern": "^[^@\\s]+@[^@\\s]+$",
        },
        "scopes": {
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "maxLength": 80, "pattern": ID_PATTERN},
        },
    },
}

SCOPES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scopes"],
    "properties": {
        "scopes": {
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "maxLength": 80, "pattern": ID_PATTERN},
        }
    },
}

# An internal note on a case (staff only; never public).
NOTE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["note"],
    "properties": {
        "note": {"type": "string", "minLength": 1, "maxLength": 1000, "x-min-visible": 1}
    },
}

# A common reply (常用语) of a department or community, for one kind of action.
REPLY_KINDS = ["return", "reject", "resolve"]
REPLY_EDIT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "text"],
    "properties": {
        "kind": {"enum": REPLY_KINDS},
        "text": {"type": "string", "minLength": 1, "maxLength": 500, "x-min-visible": 1},
    },
}
REPLY: dict[str, Any] = {
    **REPLY_EDIT,
    "required": ["scope", "kind", "text"],
    "properties": {
        "scope": {
            "type": "string",
            "maxLength": 80,
            "pattern": "^(community|department):[A-Za-z0-9_.-]+$",
            "description": "community:<id> or department:<id>",
        },
        **REPLY_EDIT["properties"],
    },
}

ENABLED: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled"],
    "properties": {"enabled": {"type": "boolean"}},
}

_PROJECT_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 100, "x-min-visible": 2},
    "owner": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
    "partners": {
        "type": "array",
        "maxItems": 20,
        "items": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
    },
    "due": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "cases": {
        "type": "array",
        "maxItems": 200,
        "items": {"type": "string", "maxLength": 32, "pattern": ID_PATTERN},
    },
    "public": {"type": "boolean"},
    "summary": {"type": "string", "maxLength": 500, "x-min-visible": 0},
}

PROJECT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "owner", "due"],
    "properties": {
        **_PROJECT_FIELDS,
        "origin": {
            "type": "object",
            "additionalProperties": False,
            "description": "The hotspot the project came from",
            "properties": {
                "type": {"enum": ["recurring", "rising"]},
                "compound": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
                "community": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
                "category": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
            },
        },
    },
}

PROJECT_CHANGE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "minProperties": 2,
    "properties": {
        **_PROJECT_FIELDS,
        "status": {"enum": ["active", "done", "dropped"]},
        "version": {"type": "integer", "minimum": 1, "maximum": 1000000},
    },
}

PROJECT_NOTE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 1000, "x-min-visible": 2}
    },
}

_DAY = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_CAMPAIGN_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100, "x-min-visible": 2},
    "starts": _DAY,
    "ends": _DAY,
    "communities": {
        "type": "array",
        "minItems": 1,
        "maxItems": 200,
        "items": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
    },
    "kinds": {
        "type": "array",
        "maxItems": 100,
        "items": {"type": "string", "maxLength": 64, "pattern": ID_PATTERN},
    },
    "target": {"type": "integer", "minimum": 1, "maximum": 100000},
    "public": {"type": "boolean"},
    "summary": {"type": "string", "maxLength": 500, "x-min-visible": 0},
}

CAMPAIGN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "starts", "ends", "communities", "target"],
    "properties": _CAMPAIGN_FIELDS,
}

CAMPAIGN_CHANGE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "minProperties": 2,
    "properties": {
        **_CAMPAIGN_FIELDS,
        "version": {"type": "integer", "minimum": 1, "maximum": 1000000},
    },
}

_REASON = {"type": "string", "minLength": 1, "maxLength": 500, "x-min-visible": 2}

CAMPAIGN_CASE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "reason"],
    "properties": {
        "code": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": ID_PATTERN},
        "reason": _REASON,
    },
}

CAMPAIGN_REMOVAL: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": _REASON},
}

MAX_BATCH_ROWS = 200

# One problem of a batch: as a report, by the kind's and compound's id or registry name.
CAMPAIGN_ROW: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["category", "compound", "address", "description"],
    "properties": {
        "category": {"type": "string", "minLength": 1, "maxLength": 64, "x-min-visible": 1},
        "compound": {"type": "string", "minLength": 1, "maxLength": 64, "x-min-visible": 1},
        "address": NEW_CASE["properties"]["address"],
        "description": NEW_CASE["properties"]["description"],
        "phone": _PHONE,
    },
}

CAMPAIGN_BATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "description": "Rows as JSON, or the text of a CSV file with a header line",
    "properties": {
        "rows": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_ROWS, "items": CAMPAIGN_ROW},
        "csv": {"type": "string", "minLength": 1, "maxLength": 262144},
    },
}

PUBLICATION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["public"],
    "properties": {"public": {"type": "boolean"}},
}

_USERNAME = {"type": "string", "minLength": 1, "maxLength": 64}
_PASSWORD = {"type": "string", "minLength": 1, "maxLength": 128}
_TOTP = {"type": "string", "pattern": "^[0-9 ]{6,8}$", "description": "6 digits from the app"}

SIGN_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["username", "password"],
    "properties": {"username": _USERNAME, "password": _PASSWORD, "totp": _TOTP},
}

CHANGE_PASSWORD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["username", "password", "new_password"],
    "properties": {
        "username": _USERNAME,
        "password": {**_PASSWORD, "description": "The current or temporary password"},
        "new_password": {
            **_PASSWORD,
            "description": "10–128 characters with letters and digits, not the username",
        },
        "totp": _TOTP,
    },
}

REFRESH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["refresh_token"],
    "properties": {"refresh_token": {"type": "string", "minLength": 20, "maxLength": 200}},
}

WORK_CHAT_SIGN_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["provider", "code"],
    "properties": {
        "provider": {"enum": ["wecom", "dingtalk"]},
        "code": {"type": "string", "minLength": 1, "maxLength": 512},
    },
}

TOTP_CODE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code"],
    "properties": {"code": _TOTP},
}

WORK_CHAT_LINK: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["user_id"],
    "properties": {
        "user_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": "^[A-Za-z0-9._@-]+$",
            "description": "The member's user id in WeCom or DingTalk (not a phone number)",
        }
    },
}

CALENDAR_YEAR: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["holidays", "workdays"],
    "properties": {
        "holidays": {
            "type": "array",
            "maxItems": 60,
            "items": {
                "type": "string",
                "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            },
        },
        "workdays": {
            "type": "array",
            "maxItems": 30,
            "items": {
                "type": "string",
                "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            },
        },
    },
}

API_KEY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100, "x-min-visible": 1},
        "callback_url": {"type": "string", "maxLength": 500, "pattern": "^https?://[^\\s]+$"},
    },
}
