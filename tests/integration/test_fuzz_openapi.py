"""A property-based fuzz run of the published OpenAPI document against the app: for every
operation, requests made from its own schemas (valid bodies and parameters) and from anything
else (hostile JSON, stray text), anonymous and as each role. No answer may be a 5xx, and each
answer is one the document lists for the operation, in its documented shape.

Seeded and bounded (`EXAMPLES` a route, the caller drawn among them), so `make test` runs the same requests
every time, in about a minute."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from functions.intake.openapi import ERROR, OPERATIONS
from tests.conftest import TOKENS
from tests.integration.flows import report

EXAMPLES = 15
ROLES: dict[str, tuple[str, list[str]] | None] = {
    "anonymous": None,
    "district": ("district.admin", ["district"]),
    "community": ("community.c01", ["community:c01"]),
    "department": ("department.ludeng", ["department:ludeng"]),
    "grid": ("grid.g001", ["grid:g001"]),
    "property": ("property.pc43", ["property:pc43"]),
}
OPEN311 = "/open311/"

# Text that has broken parsers before: controls, lone surrogates, bidi overrides, other digits.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "\x00", "\u202e", "\u200b" * 5, "２０２７", "٢٠٢٧", "../..", "%00", "'; --"]
    ),
)
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a JSON Schema of this API describes (the keywords its schemas use), drawn
    near their limits too; our own `x-…` keywords are left to the validator."""
    if "oneOf" in schema:
        return st.one_of(*(from_schema(s) for s in schema["oneOf"]))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if kind == "integer":
            return st.integers(low, high)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda t: len(t) <= schema.get("maxLength", 10_000)
            )
        longest = schema.get("maxLength", 60)
        short = st.text(min_size=schema.get("minLength", 0), max_size=min(longest, 60))
        if longest > 4096:  # beyond what Hypothesis draws: the two edges, built whole
            return short | st.sampled_from(["路" * longest, "路" * (longest + 1)])
        return short | st.text(alphabet="路灯坏了 ", min_size=longest, max_size=longest + 1)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=schema.get("maxItems", 5))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in properties.items() if k in required},
            optional={k: from_schema(v) for k, v in properties.items() if k not in required},
        )
    return ANY_JSON


def _value(schema: dict[str, Any], known: list[str]) -> st.SearchStrategy[str]:
    """A parameter: a known good value, one its schema describes, or hostile text."""
    options: list[st.SearchStrategy[str]] = [HOSTILE_TEXT]
    if known:
        options.append(st.sampled_from(known))
    if "enum" in schema:
        options.append(st.sampled_from([str(v) for v in schema["enum"]]))
    examples = schema.get("examples")
    if examples:
        options.append(st.sampled_from([str(v) for v in examples]))
    if "pattern" in schema:
        options.append(st.from_regex(schema["pattern"], fullmatch=True))
    return st.one_of(*options)


def _body(operation: dict[str, Any]) -> st.SearchStrategy[tuple[str, bytes]] | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        return st.tuples(
            st.just("application/json"),
            st.one_of(from_schema(schema), ANY_JSON).map(
                lambda v: json.dumps(v, ensure_ascii=False).encode()
            ),
        )
    if "text/csv" in content:
        rows = st.lists(
            st.tuples(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT), max_size=4
        ).map(lambda r: "\n".join(["compound,month,billed,collected", *map(",".join, r)]))
        return st.tuples(st.just("text/csv"), rows.map(str.encode))
    if content:
        form = st.dictionaries(
            st.sampled_from(["api_key", "service_code", "description", "lat", "long"])
            | HOSTILE_TEXT,
            HOSTILE_TEXT,
            max_size=6,
        )
        return st.tuples(st.just("application/x-www-form-urlencoded"), form.map(_form))
    return None


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(("path", "method"), list(OPERATIONS))
def test_no_request_the_document_allows_or_not_gets_a_5xx_or_an_undocumented_answer(
    api, wiring, path, method
):
    operation = OPERATIONS[(path, method)]
    case = report(api)
    from functions.core.services.passes import issue_pass

    known = {
        "code": [case["code"], "YS-2611-27-9999"],
        "X-Case-Token": [case["token"]],
        "X-Action-Pass": [
            issue_pass(wiring.settings.signing_key, case["code"], "ludeng", wiring.clock.now())
        ],
        "Idempotency-Key": [uuid.uuid4().hex],
        "username": ["community.c01"],
        "year": ["2027"],
        "period": ["2026-11", "2026-Q4", "2026"],
        "scope": ["district", "community:c01"],
        "view": ["inbox", "work", "area"],
    }
    parameters = {
        # An empty path segment is another route (or none): API Gateway would not call this one.
        p["name"]: _value(p.get("schema", {}), known.get(p["name"], [])).filter(
            lambda v, where=p["in"]: where != "path" or v.strip("/") != ""
        )
        for p in operation.get("parameters", [])
    }
    body = _body(operation)
    now = wiring.clock.now()
    bearers = {
        role: {"Authorization": f"Bearer {TOKENS.token(who[0], who[1], now=now)}"} if who else {}
        for role, who in ROLES.items()
    }
    documented = operation["responses"]

    @seed(20261127)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        role=st.sampled_from(list(ROLES)),
        values=st.fixed_dictionaries(parameters),
        payload=body if body is not None else st.none(),
    )
    def run(role: str, values: dict[str, str], payload: tuple[str, bytes] | None) -> None:
        url = path
        query: dict[str, str] = {}
        headers = dict(bearers[role])
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            value = values[name]
            if where == "path":
                url = url.replace(
                    "{" + name + "}", quote(value.encode("utf-8", "replace"), safe="")
                )
            elif where == "query":
                query[name] = value
            elif where == "header" and value.isascii() and value.isprintable():
                headers[name] = value
        if query:
            url += "?" + urlencode({k: v.encode("utf-8", "replace") for k, v in query.items()})
        raw = b""
        if payload is not None:
            headers["Content-Type"], raw = payload
        response = api.request(method, url, headers=headers, body=raw)
        status = str(response.status_code)
        assert response.status_code < 500, (method, url, response.body[:300])
        assert status in documented, (method, url, status, response.body[:300])
        content = documented[status].get("content", {})
        if path.startswith(OPEN311):
            return  # GeoReport's own shapes (JSON or XML), checked in test_open311
        schema = content.get("application/json", {}).get("schema")
        assert schema is not None, (method, url, status)
        answer = json.loads(response.body)
        if status == "401" and answer == {"message": "Unauthorized"}:
            # The authorizer's refusal comes from the gateway, before the app: Chalice's
            # local gateway answers this; in AWS, the gateway responses infra/merge.py adds
            # answer in the error shape.
            return
        if schema.get("$ref") == "#/components/schemas/Error":
            schema = ERROR
        Draft202012Validator(schema).validate(answer)

    run()
