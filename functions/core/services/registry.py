"""Loading the registry from its file: the one path for the sample data and the real data."""

from __future__ import annotations

from typing import Any

from ..domain.registry import Registry, parse_registry
from ..ports import RegistryWriter


def load_registry(store: RegistryWriter, document: Any) -> Registry:
    """Validate a registry document and make it the registry in force.

    Nothing is written unless the whole document is valid.
    """
    registry = parse_registry(document)
    store.replace(registry)
    return registry
