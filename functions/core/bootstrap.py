"""The composition root: builds clients and adapters once per cold start, lazily, and hands
them to the use cases. Tests hand in fakes through `override`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .config import Settings
from .domain.clock import Clock, IdSource, SecureIds, SystemClock

if TYPE_CHECKING:
    from .adapters.account_store import CachedAccounts
    from .ports import (
        ApiKeyStore,
        CalendarSource,
        CampaignSource,
        CampaignStore,
        CaseStore,
        CounterStore,
        MailSender,
        MediaFetcher,
        NotificationStore,
        PhoneVault,
        PhotoStore,
        RegistrySource,
        ResidentTokens,
        RobotSender,
        SmsSender,
        Transport,
    )
    from .services.calendar import CalendarDeps
    from .services.campaigns import CampaignsDeps
    from .services.dispatch import DispatchDeps
    from .services.health import ReadinessDeps
    from .services.identity import IdentityDeps
    from .services.intake import IntakeDeps
    from .services.metrics import MetricsDeps
    from .services.nearby import NearbyDeps
    from .services.notify import Messenger
    from .services.open311 import Open311Deps
    from .services.outbox import OutboxDeps
    from .services.projects import ProjectsDeps
    from .services.replies import ReplyDeps
    from .services.residents import CaseKeys, ResidentDeps
    from .services.rules import Rules
    from .services.workflow import WorkflowDeps


@dataclass
class Wiring:
    """Everything the entrypoints need, built on first use."""

    settings: Settings
    clock: Clock
    ids: IdSource

    def client(self, service: str, *, public: bool = False, region: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        endpoint = self.settings.endpoint_url
        if public and self.settings.public_endpoint_url:
            endpoint = self.settings.public_endpoint_url
        extra = {"s3": {"addressing_style": "path"}} if endpoint and service == "s3" else {}
        return boto3.client(
            service,
            region_name=region or self.settings.region,
            endpoint_url=endpoint,
            config=Config(
                retries={"mode": "standard"},
                signature_version="s3v4" if service == "s3" else None,
                **extra,
            ),
        )

    # -- adapters ------------------------------------------------------------------------------

    @cached_property
    def registry(self) -> RegistrySource:
        from .adapters.registry_store import Cached, DynamoRegistryStore

        ttl = timedelta(seconds=self.settings.registry_cache_seconds)
        return Cached(DynamoRegistryStore().load, self.clock, ttl)

    @cached_property
    def calendar(self) -> CalendarSource:
        from .adapters.registry_store import Cached, DynamoCalendarStore

        ttl = timedelta(seconds=self.settings.registry_cache_seconds)
        return Cached(DynamoCalendarStore().load, self.clock, ttl)

    @cached_property
    def cases(self) -> CaseStore:
        from .adapters.case_store import DynamoCaseStore

        return DynamoCaseStore(self.settings)

    @cached_property
    def photos(self) -> PhotoStore:
        from .adapters.photo_store import S3PhotoStore

        public = self.client("s3", public=True) if self.settings.public_endpoint_url else None
        return S3PhotoStore(self.client("s3"), self.settings.photo_bucket, public)

    @cached_property
    def vault(self) -> PhoneVault:
        from .adapters.vault import AesGcmVault

        return AesGcmVault(self.settings.encryption_key, self.settings.lookup_key)

    @cached_property
    def counters(self) -> CounterStore:
        from .adapters.counters import DynamoCounters

        return DynamoCounters()

    @cached_property
    def notifications(self) -> NotificationStore:
        from .adapters.notification_store import DynamoNotificationStore
        from .adapters.tables import connection

        return DynamoNotificationStore(connection(self.settings))

    @cached_property
    def transport(self) -> Transport:
        from .adapters.transports import Callbacks, ChannelTransport

        callbacks = Callbacks(self.api_keys, self.vault, self.media.post)
        return ChannelTransport(self.sms, self.mail, self.robots, self.vault, callbacks)

    @cached_property
    def robots(self) -> RobotSender:
        from .adapters.transports import Robots

        return Robots(self.settings, self.counters)

    @cached_property
    def sms(self) -> SmsSender:
        messaging = self.settings.messaging
        if messaging.aliyun is not None:
            from .adapters.sms import AliyunSms

            return AliyunSms(messaging.aliyun, self.clock)
        from .adapters.sms import SnsSms

        return SnsSms(self.client("sns"), messaging.sms_sign_name, self.settings.sms_sender)

    @cached_property
    def mail(self) -> MailSender:
        messaging = self.settings.messaging
        if messaging.smtp is not None:
            from .adapters.mail import SmtpMail

            return SmtpMail(messaging.smtp, self.settings.sender_email)
        from .adapters.mail import SesMail

        return SesMail(self.client("ses", region=messaging.ses_region), self.settings.sender_email)

    @cached_property
    def accounts(self) -> CachedAccounts:
        """Staff accounts; `current` is the authorizer's view, a few seconds old at most."""
        from .adapters.account_store import CachedAccounts, DynamoAccountStore

        ttl = timedelta(seconds=self.settings.identity.account_cache_seconds)
        return CachedAccounts(DynamoAccountStore(), self.clock, ttl)

    # -- use cases -----------------------------------------------------------------------------

    @cached_property
    def rules(self) -> Rules:
        from .services.rules import Rules

        return Rules(
            self.registry,
            self.calendar,
            self.settings.purge_after_days,
            digest_at=self.settings.digest_at,
        )

    @cached_property
    def intake(self) -> IntakeDeps:
        from .services.intake import IntakeDeps

        return IntakeDeps(
            clock=self.clock,
            ids=self.ids,
            registry=self.registry,
            cases=self.cases,
            photos=self.photos,
            vault=self.vault,
            rules=self.rules,
            counters=self.counters,
            limits=self.settings.limits,
            keys=self.case_keys,
            campaigns=self.campaigns_in_force,
        )

    @cached_property
    def nearby(self) -> NearbyDeps:
        from .services.nearby import NearbyDeps

        return NearbyDeps(
            clock=self.clock,
            registry=self.registry,
            cases=self.cases,
            settings=self.settings.nearby,
        )

    @cached_property
    def resident_tokens(self) -> ResidentTokens:
        from .adapters.sessions import HmacResidentTokens
        from .services.residents import SESSION_SECONDS

        return HmacResidentTokens(self.settings.session_key, SESSION_SECONDS)

    @cached_property
    def case_keys(self) -> CaseKeys:
        from .services.residents import CaseKeys

        return CaseKeys(clock=self.clock, vault=self.vault, tokens=self.resident_tokens)

    @cached_property
    def residents(self) -> ResidentDeps:
        from .adapters.counters import DynamoSignInCodes
        from .adapters.tables import connection
        from .services.dispatch import send_now
        from .services.residents import ResidentDeps

        return ResidentDeps(
            clock=self.clock,
            ids=self.ids,
            vault=self.vault,
            cases=self.cases,
            codes=DynamoSignInCodes(connection(self.settings)),
            tokens=self.resident_tokens,
            counters=self.counters,
            limits=self.settings.limits,
            registry=self.registry,
            keys=self.case_keys,
            send_now=lambda message: send_now(self.dispatch, message),
        )

    @cached_property
    def messenger(self) -> Messenger:

        from .services.open311 import Open311Messenger

        return Open311Messenger(
            self.ids,
            self.vault,
            self.settings.public_url,
            self.settings.signing_key,
            keys=self.api_keys,
            photos=self.photos,
        )

    @cached_property
    def workflow(self) -> WorkflowDeps:
        from .services.workflow import WorkflowDeps

        return WorkflowDeps(
            clock=self.clock,
            ids=self.ids,
            registry=self.registry,
            cases=self.cases,
            photos=self.photos,
            vault=self.vault,
            rules=self.rules,
            messenger=self.messenger,
            keys=self.case_keys,
            staff=self.accounts,
            campaigns=self.campaigns_in_force,
        )

    @cached_property
    def dispatch(self) -> DispatchDeps:
        from .services.dispatch import DispatchDeps

        return DispatchDeps(
            clock=self.clock,
            cases=self.cases,
            notifications=self.notifications,
            transport=self.transport,
            rules=self.rules,
            registry=self.registry,
            messenger=self.messenger,
            photos=self.photos,
        )

    @cached_property
    def metrics(self) -> MetricsDeps:
        from .adapters.metric_store import DynamoMetricStore
        from .services.metrics import MetricsDeps

        return MetricsDeps(
            clock=self.clock,
            store=DynamoMetricStore(),
            registry=self.registry,
            cases=self.cases,
            outbox=self.notifications,
            hotspots=self.settings.hotspots,
            campaigns=self.campaign_store,
            map_tiles=self.settings.map_tiles,
        )

    @cached_property
    def campaign_store(self) -> CampaignStore:
        from .adapters.campaign_store import DynamoCampaignStore

        return DynamoCampaignStore()

    @cached_property
    def campaigns_in_force(self) -> CampaignSource:
        """The campaigns as intake sees them: read with the registry's cache time."""
        from .adapters.registry_store import Cached

        ttl = timedelta(seconds=self.settings.registry_cache_seconds)
        return Cached(self.campaign_store.all, self.clock, ttl)

    @cached_property
    def campaigns(self) -> CampaignsDeps:
        from .services.campaigns import CampaignsDeps

        return CampaignsDeps(
            clock=self.clock,
            ids=self.ids,
            store=self.campaign_store,
            registry=self.registry,
            cases=self.cases,
            metrics=self.metrics,
            intake=self.intake,
            in_force=self.campaigns_in_force,
        )

    @cached_property
    def projects(self) -> ProjectsDeps:
        from .adapters.project_store import DynamoProjectStore
        from .services.projects import ProjectsDeps

        return ProjectsDeps(
            clock=self.clock,
            ids=self.ids,
            store=DynamoProjectStore(),
            registry=self.registry,
            cases=self.cases,
        )

    @cached_property
    def readiness(self) -> ReadinessDeps:
        """One small read (or round trip) of each dependency, past every cache."""
        from .adapters.registry_store import DynamoRegistryStore
        from .services.health import ReadinessDeps

        def secrets() -> bool:
            sealed = self.vault.seal("readiness", "ready")
            return self.vault.open("readiness", sealed) == "ready" and bool(
                self.settings.signing_key
            )

        return ReadinessDeps(
            probes={
                "registry": lambda: bool(DynamoRegistryStore().load().categories),
                "cases": lambda: self.cases.get("YS-00000000-0000"),
                "notifications": lambda: self.notifications.get("readiness"),
                "photos": lambda: self.photos.stat("readiness/probe"),
                "secrets": secrets,
            }
        )

    @cached_property
    def replies(self) -> ReplyDeps:
        from .adapters.registry_store import DynamoReplyStore
        from .services.replies import ReplyDeps

        return ReplyDeps(
            clock=self.clock, ids=self.ids, registry=self.registry, replies=DynamoReplyStore()
        )

    @cached_property
    def outbox(self) -> OutboxDeps:
        from .services.outbox import OutboxDeps

        return OutboxDeps(clock=self.clock, notifications=self.notifications)

    @cached_property
    def api_keys(self) -> ApiKeyStore:
        from .adapters.registry_store import DynamoApiKeyStore

        return DynamoApiKeyStore()

    @cached_property
    def open311(self) -> Open311Deps:
        from .services.open311 import Open311Deps

        return Open311Deps(
            clock=self.clock,
            keys=self.api_keys,
            cases=self.cases,
            intake=self.intake,
            public_url=self.settings.public_url,
            messenger=self.messenger,
            photos=self.photos,
            media=self.media,
            allow_http=self.settings.stage == "local",
        )

    @cached_property
    def media(self) -> MediaFetcher:
        from .adapters.media_fetch import SafeFetcher
        from .services.intake import MAX_PHOTO_BYTES, PHOTO_TYPES

        # Plain http only on a developer's machine; in AWS a client's photo comes over https.
        return SafeFetcher(
            frozenset(PHOTO_TYPES), MAX_PHOTO_BYTES, allow_http=self.settings.stage == "local"
        )

    @cached_property
    def identity(self) -> IdentityDeps:
        from .adapters.counters import DynamoLockouts
        from .adapters.passwords import ScryptHasher
        from .adapters.sessions import DynamoSessionStore, HmacAccessTokens
        from .adapters.tables import connection
        from .adapters.work_chat import WorkChatClients
        from .services.identity import IdentityDeps

        settings = self.settings.identity
        apps = settings.work_chat
        return IdentityDeps(
            clock=self.clock,
            ids=self.ids,
            accounts=self.accounts,
            current=self.accounts,
            sessions=DynamoSessionStore(connection(self.settings)),
            access=HmacAccessTokens(self.settings.session_key, settings.access_token_seconds),
            hasher=ScryptHasher(settings.password_cost),
            lockouts=DynamoLockouts(settings.lockout),
            limiter=self.counters,
            vault=self.vault,
            work_chat=WorkChatClients(
                self.clock, apps.endpoints, wecom=apps.wecom, dingtalk=apps.dingtalk
            ),
            settings=settings,
        )

    @cached_property
    def calendar_admin(self) -> CalendarDeps:
        from .adapters.registry_store import DynamoCalendarStore
        from .services.calendar import CalendarDeps

        return CalendarDeps(clock=self.clock, calendar=self.calendar, store=DynamoCalendarStore())


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
