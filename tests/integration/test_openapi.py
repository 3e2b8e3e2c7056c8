"""The OpenAPI document and the app's routes describe the same API."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from app import app
from functions.intake.openapi import OPERATIONS


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert routes == set(OPERATIONS)


def test_the_served_document_is_valid_openapi_3_1(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    validate_spec(document)
    assert document["servers"] == [{"url": "/api"}]
    served = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    assert served == set(OPERATIONS)


def test_a_receipt_matches_its_documented_schema(api):
    body = {
        "category": "sewage",
        "compound": "x002",
        "address": "西门",
        "description": "下水道反味，污水外溢",
        "phone": "13812345678",
        "consent": True,
    }
    response = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": "openapi-receipt"},
        body=json.dumps(body).encode(),
    )
    schema = OPERATIONS[("/cases", "POST")]["responses"]["201"]["content"]["application/json"]
    Draft202012Validator(schema["schema"]).validate(json.loads(response.body))
    error = api.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": "openapi-receipt-2"},
        body=b"{}",
    )
    error_schema = json.loads(api.get("/openapi.json").body)["components"]["schemas"]["Error"]
    Draft202012Validator(error_schema).validate(json.loads(error.body))
