"""`whistle dev`: the whole product on one local origin, with data that survives restarts."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.config import KEYS, map_tiles
from . import recording

log = logging.getLogger("whistle.local")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PASSWORD = "Whistle-2026"  # noqa: S105 - local sample accounts, documented
# Local-only sample accounts, one per role (listed in the README and printed at start).
SAMPLE_ACCOUNTS = (
    ("district.admin", "区专班（示例）", "district"),
    ("community.c01", "桃园社区（示例）", "community:c01"),
    ("department.ludeng", "市路灯管理所（示例）", "department:ludeng"),
    ("department.zhujian", "区住建局（示例）", "department:zhujian"),
    ("grid.g001", "示例网格员001", "grid:g001"),
    ("property.pc01", "示例物业公司", "property:pc01"),
)
SAMPLE_REGISTRY = Path(__file__).with_name("data") / "sample-registry.json"
RECORDING = "moto-recording.jsonl"
REGION = "us-east-1"
PROFILES = ("default", "china")


@dataclass
class StackOptions:
    root: Path = ROOT
    data_dir: Path = ROOT / ".whistle-data"
    host: str = "127.0.0.1"
    port: int = 8000
    moto_port: int | None = None
    load_sample: bool = True
    scheduler: bool = True
    # "default": SES and SNS (moto). "china": what a China-region deployment uses instead —
    # SMS through Alibaba Cloud's API (a local stand-in) and mail through SMTP (a local sink).
    profile: str = "default"

    @classmethod
    def from_env(cls) -> StackOptions:
        root = Path(os.environ.get("WHISTLE_ROOT", ROOT))
        port = int(os.environ.get("PORT", "8000"))
        moto_port = os.environ.get("MOTO_PORT")
        profile = os.environ.get("WHISTLE_PROFILE") or "default"
        if profile not in PROFILES:
            raise SystemExit(f"WHISTLE_PROFILE is {profile!r}: use one of {', '.join(PROFILES)}")
        return cls(
            root=root,
            data_dir=Path(os.environ.get("WHISTLE_DATA_DIR", root / ".whistle-data")),
            port=port,
            moto_port=int(moto_port) if moto_port else None,
            profile=profile,
        )


def local_secrets(data_dir: Path) -> dict[str, str]:
    """The local stack's keys: generated once, kept in the data directory (owner-only)."""
    path = data_dir / "secrets.json"
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    # Beside the stage's keys, the China profile's local provider accounts (SMS AccessKey
    # secret, SMTP password): generated like the rest, never shown.
    wanted = (*KEYS, "sms_secret", "smtp_password")
    if all(k in keys for k in wanted):
        return keys
    for name in wanted:
        keys.setdefault(name, base64.b64encode(secrets.token_bytes(32)).decode())
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(keys, handle)
    os.replace(temporary, path)
    return keys


def stage_environment(root: Path) -> dict[str, str]:
    config = json.loads((root / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"]["local"].get("environment_variables", {}))
    return env


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.recording = options.data_dir / RECORDING
        self._server: Any = None
        self._scheduler: Any = None
        self.moto: Any = None
        self.url = f"http://{options.host}:{options.port}"
        self.sms_provider: Any = None  # the China profile's stand-ins
        self.smtp_sink: Any = None

    # -- start -----------------------------------------------------------------------------

    def start(self) -> None:
        options = self.options
        options.data_dir.mkdir(parents=True, exist_ok=True)
        keys = local_secrets(options.data_dir)
        # moto reads these when first imported, so they are set before anything imports it.
        os.environ["MOTO_ENABLE_RECORDING"] = "True"
        os.environ["MOTO_RECORDER_FILEPATH"] = str(self.recording)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = REGION
        os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"

        from .aws import MotoServer

        torn = recording.repair(self.recording)
        if torn:
            log.warning("cut %d bytes of a half-written request from the local log", torn)
        moto_port = options.moto_port if options.moto_port is not None else options.port + 1
        self.moto = MotoServer(options.host, moto_port)
        self.moto.start()
        if self.recording.exists() and self.recording.stat().st_size > 0:
            if not self.moto.replay():
                log.warning("the local log ended in an unusable request; it was skipped")
        else:
            self.moto.seed(recording.SEED)

        os.environ.update(stage_environment(options.root))
        os.environ["WHISTLE_AWS_ENDPOINT"] = self.moto.url
        os.environ["WHISTLE_ENCRYPTION_KEY"] = keys["encryption_key"]
        os.environ["WHISTLE_LOOKUP_KEY"] = keys["lookup_key"]
        os.environ["WHISTLE_SIGNING_KEY"] = keys["signing_key"]
        os.environ["WHISTLE_SESSION_KEY"] = keys["session_key"]
        os.environ["WHISTLE_PUBLIC_URL"] = self.url
        os.environ["WHISTLE_WEBHOOK_OVERRIDE"] = f"{self.url}/dev/webhooks"
        os.environ.update(self.start_providers(keys))

        from ..core import bootstrap

        bootstrap.override(None)
        wiring = bootstrap.wiring()
        self.provision(wiring)
        self._serve(wiring)
        self._write_state()

    def start_providers(self, keys: dict[str, str]) -> dict[str, str]:
        """The China profile: a stand-in for Alibaba Cloud SMS at /dev/aliyun-sms on this
        origin and an SMTP sink on another local port, with the settings that point the
        functions at them (the same settings the secrets parameter holds in AWS)."""
        if self.options.profile != "china":
            return {"WHISTLE_SMS_PROVIDER": "sns", "WHISTLE_MAIL_PROVIDER": "ses"}
        from .providers import (
            LOCAL_ACCESS_KEY_ID,
            LOCAL_SIGN_NAME,
            LOCAL_TEMPLATE_CODES,
            FakeAliyunSms,
            Received,
            SmtpSink,
        )

        data = self.options.data_dir
        self.sms_provider = FakeAliyunSms(
            Received(data / "sms-received.jsonl"), LOCAL_ACCESS_KEY_ID, keys["sms_secret"]
        )
        self.smtp_sink = SmtpSink(
            Received(data / "mail-received.jsonl"), "whistle", keys["smtp_password"]
        )
        self.smtp_sink.start()
        aliyun = {
            "access_key_id": LOCAL_ACCESS_KEY_ID,
            "access_key_secret": keys["sms_secret"],
            "sign_name": LOCAL_SIGN_NAME,
            "templates": LOCAL_TEMPLATE_CODES,
            "endpoint": f"{self.url}/dev/aliyun-sms",
        }
        smtp = {
            "host": self.smtp_sink.host,
            "port": self.smtp_sink.port,
            "security": "none",
            "username": "whistle",
            "password": keys["smtp_password"],
        }
        return {
            "WHISTLE_SMS_PROVIDER": "aliyun",
            "WHISTLE_MAIL_PROVIDER": "smtp",
            "WHISTLE_ALIYUN_SMS": json.dumps(aliyun, ensure_ascii=False),
            "WHISTLE_SMTP": json.dumps(smtp),
        }

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.moto.url, region_name=REGION)

    def provision(self, wiring: Any) -> None:
        """Create what AWS would get from CloudFormation; idempotent, run on every start."""
        from ..core.adapters.registry_store import DynamoCalendarStore, DynamoRegistryStore
        from ..core.adapters.tables import ensure_tables
        from ..core.services.registry import load_registry

        settings = wiring.settings
        ensure_tables(settings, wiring.client("dynamodb"))
        s3 = wiring.client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if settings.photo_bucket not in existing:
            s3.create_bucket(Bucket=settings.photo_bucket)
            s3.put_bucket_cors(
                Bucket=settings.photo_bucket,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedOrigins": [self.url, f"http://localhost:{self.options.port}"],
                            "AllowedMethods": ["GET", "POST"],
                            "AllowedHeaders": ["*"],
                            "MaxAgeSeconds": 3600,
                        }
                    ]
                },
            )
        if settings.messaging.mail_provider == "ses":
            ses = wiring.client("ses")
            if settings.sender_email not in ses.list_identities()["Identities"]:
                ses.verify_email_identity(EmailAddress=settings.sender_email)
        seed_calendar(DynamoCalendarStore())
        added = provision_sample_accounts(wiring.identity)
        if added:
            log.info("created the sample staff accounts %s", ", ".join(added))
        store = DynamoRegistryStore()
        header = store.header()
        sample = json.loads(SAMPLE_REGISTRY.read_text())
        # An empty stack gets the sample; an older sample is refreshed; a district's own
        # registry (sample: false) is never touched.
        if self.options.load_sample and (
            header is None or (header.get("sample") and header.get("version") != sample["version"])
        ):
            registry = load_registry(store, sample)
            log.info("loaded the sample registry %s", registry.version)

    def _serve(self, wiring: Any) -> None:
        from werkzeug.serving import make_server

        if str(self.options.root) not in sys.path:
            sys.path.insert(0, str(self.options.root))
        from app import app

        from .scheduler import Scheduler
        from .web import ApiGateway, LocalSite, StaticFiles

        site = LocalSite(
            api=ApiGateway(app, self.options.root, "local"),
            static=StaticFiles(self.options.root / "frontend" / "dist"),
            runtime_config=self.runtime_config(),
            outbox=self.outbox,
            run_job=self.run_job,
            content_security_policy=self.content_security_policy(),
            pause_scheduler=self.pause_scheduler,
            sms_provider=self.sms_provider,
            received=self.received,
        )
        self._server = make_server(self.options.host, self.options.port, site, threaded=True)
        self.url = f"http://{self.options.host}:{self._server.server_port}"
        if self.options.scheduler:
            self._scheduler = Scheduler(self.run_job, lambda: datetime.now(UTC))
            self._scheduler.start()

    def pause_scheduler(self, paused: bool) -> None:
        if self._scheduler is not None:
            self._scheduler.pause(paused)

    def runtime_config(self) -> dict[str, Any]:
        return {
            "api": "/api",
            "stage": "local",
            "region": REGION,
            "sample": True,
            "profile": self.options.profile,
        }

    def content_security_policy(self) -> str:
        aws = self.moto.url  # photos (S3) live there locally
        tiles = map_tiles(os.environ)  # a tile layer under the hotspots map, if configured
        images = f"{aws} {tiles.origin}" if tiles else aws
        return (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {images}; connect-src 'self' {aws}; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )

    # -- jobs and the outbox ---------------------------------------------------------------

    def run_job(self, name: str) -> dict[str, Any]:
        import functions.dispatch as dispatch_module
        import functions.metrics as metrics_module

        handler = {
            "dispatch": dispatch_module.dispatch_tick,
            "metrics": metrics_module.nightly_metrics,
        }[name]
        event = {
            "version": "0",
            "id": secrets.token_hex(8),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:123456789012:rule/{name}"],
            "detail": {},
        }
        result: dict[str, Any] = handler(event, None)
        return result

    def outbox(self) -> list[dict[str, Any]]:
        """Every message the local stack "sent" (and what is still waiting), newest first.
        A Scan is fine here: the dev outbox is a local tool, never a request path (it pages what
        it shows)."""
        from ..core.adapters.tables import NotificationItem

        items = sorted(NotificationItem.scan(), key=lambda i: i.created_at, reverse=True)
        return [
            {
                "at": i.created_at,
                "channel": {
                    "email": "邮件 email",
                    "sms": "短信 SMS",
                    "webhook": f"机器人 {i.webhook_kind}",
                }.get(i.channel, i.channel),
                "to": i.recipient_display,
                "subject": i.subject,
                "body": i.body,
                "template": i.template,
                "params": json.dumps(i.params, ensure_ascii=False) if i.params else "",
                "link": i.link or "",
                "status": i.status + (f" ({i.last_error})" if i.last_error else ""),
                "case": i.case_code,
            }
            for i in items
        ]

    def received(self) -> dict[str, list[dict[str, Any]]]:
        """What the China profile's stand-ins received, newest first (nothing by default)."""
        if self.sms_provider is None and self.smtp_sink is None:
            return {}
        return {
            "sms": list(reversed(self.sms_provider.received.all())) if self.sms_provider else [],
            "mail": list(reversed(self.smtp_sink.received.all())) if self.smtp_sink else [],
        }

    # -- run and stop ----------------------------------------------------------------------

    def _write_state(self) -> None:
        state = {"url": self.url, "aws_endpoint": self.moto.url, "pid": os.getpid()}
        (self.options.data_dir / "stack.json").write_text(json.dumps(state))

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self, compact: bool = True) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self.moto is not None:
            self.moto.stop()
        if self.smtp_sink is not None:
            self.smtp_sink.stop()
        if compact:
            before, after = recording.compact(self.recording)
            log.info("local log compacted: %d → %d requests", before, after)
        (self.options.data_dir / "stack.json").unlink(missing_ok=True)


def run(options: StackOptions) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # One line per request to moto would drown what matters.
    for noisy in ("werkzeug", "botocore", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = LocalStack(options)
    stack.start()
    served = threading.Thread(target=stack.serve_forever, name="http", daemon=True)
    served.start()
    from ..core import bootstrap
    from ..core.adapters.tables import CaseItem

    district = bootstrap.wiring().registry.current().district.id
    empty = next(iter(CaseItem.by_district.query(district, limit=1)), None) is None
    hint = (
        "No cases yet. A year of sample cases: .venv/bin/whistle demo --days 365 "
        "(or --days 30 for a quick look)\n"
        if empty
        else ""
    )
    profile = (
        "  Profile              china: SMS via a local Alibaba Cloud SMS stand-in, "
        f"mail via an SMTP sink on 127.0.0.1:{stack.smtp_sink.port}\n"
        if options.profile == "china"
        else ""
    )
    print(
        f"\nWhistle is running (sample data)\n"
        f"  居民端 Resident app   {stack.url}/\n"
        f"  API                  {stack.url}/api  (OpenAPI: {stack.url}/api/openapi.json)\n"
        f"  运行配置 Config        {stack.url}/config.json\n"
        f"  开发发件箱 Dev outbox  {stack.url}/dev/outbox\n"
        f"  Local AWS (moto)     {stack.moto.url}\n"
        f"  Data directory       {options.data_dir}\n"
        f"{profile}"
        f"Local-only sample staff accounts (password {SAMPLE_PASSWORD}):\n"
        + "".join(f"  {user:<20} {scope}\n" for user, _, scope in SAMPLE_ACCOUNTS)
        + hint
        + "Press Ctrl-C to stop.\n",
        flush=True,
    )
    stopping = threading.Event()

    def ask_to_stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    stopping.wait()
    print("\nStopping…", flush=True)
    stack.stop()
    print("Stopped; data kept in", options.data_dir, flush=True)
    sys.stdout.flush()
    return 0


def provision_sample_accounts(deps: Any) -> list[str]:
    """The local-only sample accounts, one per role, with the documented password (created
    once; never where a stage's own accounts live)."""
    from ..core.domain.accounts import Account
    from ..core.domain.staff import Scope

    now = datetime.now(UTC)
    added = []
    for username, name, scope in SAMPLE_ACCOUNTS:
        if deps.accounts.get(username) is not None:
            continue
        parsed = Scope.parse(scope)
        deps.accounts.add(
            Account(
                username=username,
                name=name,
                email=f"{username}@staff.yushan.example",
                scopes=(parsed,) if parsed else (),
                password_hash=deps.hasher.hash(SAMPLE_PASSWORD),
                created_at=now,
                updated_at=now,
            )
        )
        added.append(username)
    return added


def seed_calendar(store: Any) -> list[int]:
    """Enter the official calendar for the years the `chinesecalendar` package knows (from
    last year on) that nobody has entered yet. Returns the years entered."""
    from datetime import date

    import chinese_calendar
    from chinese_calendar import constants

    from ..core.domain.calendar import YearCalendar

    entered = set(store.years())
    this_year = date.today().year
    known = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    added = []
    for year in sorted(y for y in known if y >= this_year - 1 and y not in entered):
        store.put(
            YearCalendar(
                year=year,
                holidays=frozenset(d for d in constants.holidays if d.year == year),
                workdays=frozenset(d for d in constants.workdays if d.year == year),
                source=f"chinesecalendar {chinese_calendar.__version__}",
            )
        )
        added.append(year)
    return added
