"""The China profile's messages end to end through the dispatch job: every resident SMS
reaches a local stand-in of Alibaba Cloud SMS's HTTP API (which checks the signature as
Alibaba Cloud documents it) as its registered template code with its parameters; mail goes
through an SMTP relay that wants a login (and STARTTLS); failures are retried, then dead and
flagged; a message whose sender stopped mid-send is listed for the district, which resends it
once however often it presses."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import ssl
import threading
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from functions.core.adapters.mail import SmtpMail
from functions.core.adapters.sms import AliyunSms
from functions.core.adapters.tables import NotificationItem
from functions.core.adapters.transports import http_post
from functions.core.config import AliyunSms as AliyunSettings
from functions.core.config import Smtp
from functions.core.domain.clock import parse_iso
from functions.core.domain.messages import RESIDENT_SMS, SMS_TEMPLATES
from functions.core.services import dispatch
from functions.core.services.residents import case_link
from functions.local.providers import FakeAliyunSms, Received, SmtpSink
from tests.conftest import bearer
from tests.integration.flows import (
    COMMUNITY,
    DISTRICT,
    LUDENG,
    act,
    ok,
    report,
    tick,
    view,
)

# What the district configures: the code Alibaba Cloud gave each registered template.
TEMPLATE_CODES = {name: f"SMS_1549509{index:02d}" for index, name in enumerate(SMS_TEMPLATES)}
ACCESS_KEY = ("LTAI5tTestWhistle", "test-access-key-secret")
SENDER = "whistle@yushan.example.gov.cn"


class Served:
    """A WSGI stand-in served on 127.0.0.1 in a thread."""

    def __init__(self, handler: Any) -> None:
        def app(environ: Any, start_response: Any) -> Any:
            return handler(Request(environ))(environ, start_response)

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def provider(wiring, robots, clock, tmp_path) -> Any:
    """Alibaba Cloud SMS's stand-in, and the wiring's SMS sent to it over HTTP."""
    fake = FakeAliyunSms(
        Received(tmp_path / "sms.jsonl"),
        *ACCESS_KEY,
        registered={TEMPLATE_CODES[n]: t.text for n, t in SMS_TEMPLATES.items()},
        clock=clock.now,
    )
    served = Served(fake)
    fake.endpoint = f"{served.url}/"  # where the adapter reaches it
    use_sms(wiring, clock, fake.endpoint, ACCESS_KEY[1])
    yield fake
    served.stop()


def use_sms(wiring: Any, clock: Any, endpoint: str, secret: str) -> None:
    settings = AliyunSettings(ACCESS_KEY[0], secret, "雨山区吹哨", TEMPLATE_CODES, endpoint)
    post = functools.partial(http_post, timeout=1)
    wiring.__dict__["sms"] = AliyunSms(settings, clock, post=post)
    wiring.__dict__.pop("transport", None)
    wiring.__dict__.pop("dispatch", None)


@pytest.fixture
def sink(wiring, robots, tmp_path) -> Any:
    """An SMTP relay on 127.0.0.1 that wants a login; the wiring's mail goes there."""
    relay = SmtpSink(Received(tmp_path / "mail.jsonl"), "whistle", "relay-password")
    relay.start()
    smtp = Smtp("127.0.0.1", relay.port, "none", "whistle", "relay-password", timeout_seconds=5)
    wiring.__dict__["mail"] = SmtpMail(smtp, SENDER)
    wiring.__dict__.pop("transport", None)
    wiring.__dict__.pop("dispatch", None)
    yield relay
    relay.stop()


def whistled(api) -> str:
    code = report(api)["code"]
    ok(act(api, COMMUNITY, code, "whistle"))
    return code


def outbox(code: str) -> list[NotificationItem]:
    return list(NotificationItem.by_case.query(code))


def until_given_up(wiring, clock, item_id: str) -> NotificationItem:
    for _ in range(dispatch.MAX_ATTEMPTS + 1):
        item = NotificationItem.get(item_id)
        if item.status == "dead":
            return item
        clock.at = parse_iso(item.next_attempt_at)
        tick(wiring)
    return NotificationItem.get(item_id)


def listed(api, who=DISTRICT) -> Any:
    return api.get("/staff/notifications", headers=bearer(*who))


# -- SMS ---------------------------------------------------------------------------------------


def test_every_resident_message_reaches_the_provider_as_its_template_and_parameters(
    api, wiring, provider, sink, clock
):
    code = whistled(api)
    tick(wiring)
    claimed = ok(act(api, LUDENG, code, "claim"))
    ok(act(api, LUDENG, code, "resolve", version=claimed["version"], note="已更换灯具"))
    tick(wiring)

    received = [r for r in provider.received.all() if code in json.dumps(r["params"])]
    by_code = {r["template_code"]: r for r in received}
    registry = wiring.registry.current()
    # Every resident message links to its case (the other messages: tests/unit/test_messages).
    link = {"site": wiring.settings.public_url.rstrip("/"), "link": case_link(wiring.vault, code)}
    by = by_code[TEMPLATE_CODES["resident_whistled"]]["params"]["by"]
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日\d\d:\d\d", by)
    expected = {
        "resident_whistled": {
            "category": registry.categories["street_light"].name,
            "code": code,
            "department": registry.departments["ludeng"].name,
            "by": by,
            **link,
        },
        "resident_resolved": {"code": code, **link},
    }
    assert set(expected) <= set(RESIDENT_SMS)
    assert len(received) == len(expected)
    for name, params in expected.items():
        sms = by_code[TEMPLATE_CODES[name]]
        assert sms["params"] == params
        assert sms["sign_name"] == "雨山区吹哨" and sms["phone"].startswith("138****")
        assert sms["text"].startswith("【雨山区吹哨】") and sms["text"].count("【") == 1
    stored = [n for n in outbox(code) if n.channel == "sms"]
    assert {n.status for n in stored} == {"sent"}
    assert {n.template: n.params for n in stored} == expected
    assert all("雨山区吹哨" not in n.body for n in stored)  # the provider adds the signature


def test_a_request_the_provider_cannot_verify_is_retried_and_its_answer_kept_without_the_phone(
    api, wiring, provider, sink, clock
):
    use_sms(wiring, clock, provider.endpoint, "a-wrong-secret")
    code = whistled(api)
    tick(wiring)
    [sms] = [n for n in outbox(code) if n.channel == "sms"]
    assert sms.status == "pending" and sms.attempts == 1
    assert sms.last_error == "aliyun: SignatureDoesNotMatch"
    assert not [r for r in provider.received.all() if code in json.dumps(r["params"])]


def test_an_sms_the_provider_took_but_never_answered_is_uncertain_and_not_sent_again(
    api, wiring, provider, sink, clock
):
    provider.stalling = 2.0  # longer than the sender waits
    code = whistled(api)
    assert tick(wiring)["dead"] >= 1
    [sms] = [n for n in outbox(code) if n.channel == "sms"]
    assert sms.status == "dead" and sms.dead_flag == "uncertain"
    assert sms.last_error == "uncertain: no answer: TimeoutError"
    provider.stalling = 0.0
    clock.advance(hours=1)
    tick(wiring)
    # It did reach the provider once; a retry would have sent it twice.
    got = [r for r in provider.received.all() if r["params"].get("code") == code]
    assert len(got) == 1
    assert [m["id"] for m in ok(listed(api))["items"]] == [sms.id]


# -- mail --------------------------------------------------------------------------------------


def test_a_departments_alert_is_delivered_through_smtp_with_a_login(api, wiring, provider, sink):
    code = whistled(api)
    tick(wiring)
    [mail] = [m for m in sink.received.all() if code in m["subject"]]
    assert mail["from"] == SENDER and mail["to"] == ["ludeng@yushan.example"]
    assert mail["subject"].startswith("【吹哨】")
    assert "请于" in mail["body"] and "认领" in mail["body"] and "/#/act/" in mail["body"]
    [item] = [n for n in outbox(code) if n.channel == "email" and n.recipient == mail["to"][0]]
    assert item.status == "sent" and mail["message_id"].startswith(f"<{item.id}@")


def test_a_relay_that_keeps_refusing_is_retried_with_backoff_then_the_mail_is_dead_and_flagged(
    api, wiring, provider, sink, clock
):
    sink.failing = True
    code = whistled(api)
    tick(wiring)
    [mail] = [n for n in outbox(code) if n.channel == "email"]
    assert mail.status == "pending" and mail.last_error == "smtp: 451"
    assert parse_iso(mail.next_attempt_at) - clock.now() == dispatch.BACKOFF_BASE
    dead = until_given_up(wiring, clock, mail.id)
    assert dead.status == "dead" and dead.attempts == dispatch.MAX_ATTEMPTS
    assert not [m for m in sink.received.all() if code in m["subject"]]

    [flagged] = [m for m in ok(listed(api))["items"] if m["id"] == mail.id]
    assert flagged["trouble"] == "failed" and flagged["error"] == "smtp: 451"
    dashboard = ok(api.get("/metrics/dashboard", headers=bearer(*DISTRICT)))
    assert dashboard["undelivered"] == {"failed": 1, "uncertain": 0}

    sink.failing = False  # the relay is fixed; the district sends it again
    ok(api.post(f"/staff/notifications/{mail.id}/resend", headers=bearer(*DISTRICT)))
    tick(wiring)
    assert len([m for m in sink.received.all() if code in m["subject"]]) == 1
    assert ok(listed(api))["items"] == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_the_relays_own_certificate_authority(api, wiring, robots, tmp_path, security):
    certificate, context = self_signed("localhost", tmp_path)
    relay = SmtpSink(
        Received(tmp_path / "tls.jsonl"),
        "whistle",
        "pw",
        tls_context=context,
        implicit_tls=security == "tls",
    )
    relay.start()
    try:
        settings = Smtp("localhost", relay.port, security, "whistle", "pw", ca_pem=certificate)
        wiring.__dict__["mail"] = SmtpMail(settings, SENDER)
        wiring.__dict__.pop("transport", None)
        wiring.__dict__.pop("dispatch", None)
        code = whistled(api)
        tick(wiring)
        assert [m for m in relay.received.all() if code in m["subject"]]
        # Without the relay's certificate authority the certificate does not verify.
        untrusted = SmtpMail(dataclass_replace(settings, ca_pem=None), SENDER)
        [item] = [n for n in outbox(code) if n.channel == "email"][:1]
        from functions.core.adapters.notification_store import notification_from_item
        from functions.core.ports import TransientError

        with pytest.raises(TransientError, match="SSLCertVerificationError"):
            untrusted.send_mail(notification_from_item(item))
    finally:
        relay.stop()


def dataclass_replace(value: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(value, **changes)


def self_signed(host: str, folder) -> tuple[str, ssl.SSLContext]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "cert.pem").write_text(pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return pem, context


# -- a message whose sender stopped mid-send ---------------------------------------------------


def abandon(wiring, clock, code: str, channel: str) -> NotificationItem:
    """Lease the case's message as a sender would, then let the sender die."""
    dispatch.fire_timers(wiring.dispatch, dispatch.TickReport())
    [item] = [n for n in outbox(code) if n.channel == channel]
    outgoing = next(o for o in wiring.notifications.pending(clock.now(), 300) if o.id == item.id)
    assert wiring.notifications.lease(outgoing, clock.now(), clock.now() + dispatch.SEND_LEASE)
    clock.advance(seconds=dispatch.SEND_LEASE.total_seconds() + 1)
    return item


def test_an_uncertain_sms_is_listed_for_the_district_and_resent_once_however_often_pressed(
    api, wiring, provider, sink, clock
):
    code = whistled(api)
    sms = abandon(wiring, clock, code, "sms")
    assert tick(wiring)["dead"] == 1
    assert NotificationItem.get(sms.id).dead_flag == "uncertain"
    assert not [r for r in provider.received.all() if r["params"].get("code") == code]

    assert listed(api, COMMUNITY).status_code == 403  # the district's page only
    [item] = [m for m in ok(listed(api))["items"] if m["id"] == sms.id]
    assert item["trouble"] == "uncertain" and item["case"] == code and "138****" in item["to"]
    dashboard = ok(api.get("/metrics/dashboard", headers=bearer(*DISTRICT)))
    assert dashboard["undelivered"] == {"failed": 0, "uncertain": 1}
    own = api.get("/metrics/dashboard?scope=department:ludeng", headers=bearer(*LUDENG))
    assert ok(own)["undelivered"] is None  # counted for the district only

    first = ok(api.post(f"/staff/notifications/{sms.id}/resend", headers=bearer(*DISTRICT)))
    second = ok(api.post(f"/staff/notifications/{sms.id}/resend", headers=bearer(*DISTRICT)))
    assert first == second
    resends = [n for n in outbox(code) if n.resend_of == sms.id]
    assert [n.id for n in resends] == [first["resent_as"]]
    tick(wiring)
    tick(wiring)
    got = [r for r in provider.received.all() if r["params"].get("code") == code]
    assert [r["template_code"] for r in got] == [TEMPLATE_CODES["resident_whistled"]]
    assert NotificationItem.get(first["resent_as"]).status == "sent"
    assert ok(listed(api))["items"] == []
    dashboard = ok(api.get("/metrics/dashboard", headers=bearer(*DISTRICT)))
    assert dashboard["undelivered"] == {"failed": 0, "uncertain": 0}


def test_only_a_given_up_message_can_be_resent(api, wiring, provider, sink):
    code = whistled(api)
    tick(wiring)
    [sent] = [n for n in outbox(code) if n.channel == "sms"]
    refused = api.post(f"/staff/notifications/{sent.id}/resend", headers=bearer(*DISTRICT))
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"]["code"] == "not_dead"
    missing = api.post("/staff/notifications/nope/resend", headers=bearer(*DISTRICT))
    assert missing.status_code == 404
    forbidden = api.post(f"/staff/notifications/{sent.id}/resend", headers=bearer(*LUDENG))
    assert forbidden.status_code == 403


def test_where_a_provider_deduplicates_an_uncertain_message_is_sent_again_under_its_key(
    api, wiring, provider, sink, clock
):
    class Deduplicating:
        deduplicates = True

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def send_sms(self, phone: str, notification: Any) -> None:
            self.inner.send_sms(phone, notification)

    wiring.__dict__["sms"] = Deduplicating(wiring.sms)
    wiring.__dict__.pop("transport", None)
    wiring.__dict__.pop("dispatch", None)
    code = whistled(api)
    sms = abandon(wiring, clock, code, "sms")
    first = tick(wiring)
    assert first["dead"] == 0 and first["retried"] == 1
    tick(wiring)
    got = [r for r in provider.received.all() if r["params"].get("code") == code]
    assert [r["out_id"] for r in got] == [sms.id]  # the same key
    assert NotificationItem.get(sms.id).status == "sent"
    assert view(api, DISTRICT, code)["status"] == "dispatched"
