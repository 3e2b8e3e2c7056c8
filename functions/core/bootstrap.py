"""The composition root: builds clients and adapters once per cold start, lazily, and hands
them to the use cases. Tests hand in fakes through `override`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from .config import Settings
from .domain.clock import Clock, IdSource, SecureIds, SystemClock
from .services.intake import IntakeDeps


@dataclass
class Wiring:
    """Everything the entrypoints need, built on first use."""

    settings: Settings
    clock: Clock
    ids: IdSource

    def client(self, service: str, *, public: bool = False) -> Any:
        import boto3
        from botocore.config import Config

        endpoint = self.settings.endpoint_url
        if public and self.settings.public_endpoint_url:
            endpoint = self.settings.public_endpoint_url
        extra = {"s3": {"addressing_style": "path"}} if endpoint and service == "s3" else {}
        return boto3.client(
            service,
            region_name=self.settings.region,
            endpoint_url=endpoint,
            config=Config(
                retries={"mode": "standard"},
                signature_version="s3v4" if service == "s3" else None,
                **extra,
            ),
        )

    @cached_property
    def registry(self) -> Any:
        from .adapters.registry_store import CachedRegistry, DynamoRegistryStore

        return CachedRegistry(
            DynamoRegistryStore(),
            self.clock,
            timedelta(seconds=self.settings.registry_cache_seconds),
        )

    @cached_property
    def cases(self) -> Any:
        from .adapters.case_store import DynamoCaseStore

        return DynamoCaseStore(self.settings)

    @cached_property
    def photos(self) -> Any:
        from .adapters.photo_store import S3PhotoStore

        public = self.client("s3", public=True) if self.settings.public_endpoint_url else None
        return S3PhotoStore(self.client("s3"), self.settings.photo_bucket, public)

    @cached_property
    def vault(self) -> Any:
        from .adapters.vault import AesGcmVault

        return AesGcmVault(self.settings.encryption_key, self.settings.lookup_key)

    @cached_property
    def intake(self) -> IntakeDeps:
        return IntakeDeps(
            clock=self.clock,
            ids=self.ids,
            registry=self.registry,
            cases=self.cases,
            photos=self.photos,
            vault=self.vault,
        )


_lock = threading.Lock()
_wiring: Wiring | None = None


def wiring() -> Wiring:
    """The process-wide wiring, built from the environment on first call."""
    global _wiring
    with _lock:
        if _wiring is None:
            from .adapters.tables import bind_tables

            settings = Settings.from_env()
            bind_tables(settings)
            _wiring = Wiring(settings=settings, clock=SystemClock(), ids=SecureIds())
        return _wiring


def override(new: Wiring | None) -> None:
    """Replace the wiring (tests; the local stack after it configured the environment)."""
    global _wiring
    with _lock:
        _wiring = new
