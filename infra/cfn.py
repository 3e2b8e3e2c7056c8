"""Reading and writing CloudFormation templates.

Hand-written templates use YAML with CloudFormation's short forms (`!Ref`, `!Sub`, `!GetAtt`…);
they are read into the long JSON forms so they can be merged with generated resources.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

# Short form → long form. `!GetAtt A.B` is the one short form whose scalar needs splitting.
_FUNCTIONS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
        )
    },
}


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if suffix not in _FUNCTIONS:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown tag !{suffix}", node.start_mark
        )
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {_FUNCTIONS[suffix]: value}


_Loader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a template")
    return document


def dump(template: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def logical_id(base: str, suffix: str = "") -> str:
    """`case-events` → `CaseEvents` (+ suffix): a CloudFormation logical id from a base name."""
    parts = base.replace("_", "-").split("-")
    return "".join(p[:1].upper() + p[1:] for p in parts if p) + suffix
