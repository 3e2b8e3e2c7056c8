"""GeoReport v2's XML: element names exactly as the specification writes them."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

# The element each list item is written as, by the list's element.
ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _fill(parent: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(parent, key), item)
    elif isinstance(value, list):
        name = ITEM_OF.get(parent.tag, "item")
        for item in value:
            _fill(SubElement(parent, name), item)
    else:
        parent.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = Element(root)
    _fill(element, value)
    body: bytes = tostring(element, encoding="unicode").encode("utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
