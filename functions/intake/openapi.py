"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Every route of the app must have an entry in OPERATIONS; a test holds the two together.
"""

from __future__ import annotations

from typing import Any

from ..core.schemas import NEW_CASE, NEW_UPLOAD

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


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/health", "GET"): {
        "summary": "Liveness check",
        "responses": {
            "200": _json("OK", {"type": "object", "properties": {"status": {"const": "ok"}}})
        },
    },
    ("/registry", "GET"): {
        "summary": "Public registry: communities with their compounds, and case categories",
        "responses": {"200": _json("The registry's public fields")},
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
        "parameters": [
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
            {
                "name": "X-Case-Token",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            },
        ],
        "responses": {"200": _json("Status, details and timeline"), **_errors(404)},
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
        "components": {"schemas": {"Error": ERROR}},
    }
