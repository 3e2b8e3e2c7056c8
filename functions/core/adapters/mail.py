"""E-mail senders: Amazon SES where AWS offers it, and SMTP (the government mail system or a
domestic relay) where it does not (the China regions).

Neither deduplicates: SES's SendEmail takes no idempotency key, and an SMTP relay delivers a
second message with the same Message-ID as a second message (a few mailboxes hide it, none is
required to). A message whose sender stopped while sending is left to the district (DESIGN §4).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..config import Smtp
from ..ports import Notification, TransientError, Uncertain
from .sms import aws_error_code


class SesMail:
    deduplicates = False

    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send_mail(self, notification: Notification) -> None:
        try:
            self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [notification.recipient]},
                Message={
                    "Subject": {"Data": notification.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": notification.body, "Charset": "UTF-8"}},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"ses: {aws_error_code(error)}") from error


class SmtpMail:
    """One connection per message (a tick sends a handful; a relay closes idle connections):
    STARTTLS or implicit TLS with the certificate checked, then the account's login."""

    deduplicates = False

    def __init__(self, smtp: Smtp, sender: str) -> None:
        self._smtp = smtp
        self._sender = sender

    def send_mail(self, notification: Notification) -> None:
        smtp = self._smtp
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = notification.recipient
        message["Subject"] = notification.subject
        message["Date"] = format_datetime(notification.created_at)
        # The outbox id, so a copy sent again after an uncertain attempt can be recognised.
        message["Message-ID"] = f"<{notification.id}@{self._sender.rpartition('@')[2]}>"
        message.set_content(notification.body, cte="base64")
        context = ssl.create_default_context(cadata=smtp.ca_pem)
        try:
            client: smtplib.SMTP
            if smtp.security == "tls":
                client = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
            with client:
                if smtp.security == "starttls":
                    client.starttls(context=context)
                if smtp.username and smtp.password:
                    client.login(smtp.username, smtp.password)
                try:
                    client.send_message(message)
                except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as error:
                    # The relay went quiet or away once the message was on its way: it may
                    # have taken it.
                    raise Uncertain(f"smtp: no answer: {type(error).__name__}") from error
        except Uncertain:
            raise
        except smtplib.SMTPResponseException as error:
            raise TransientError(f"smtp: {error.smtp_code}") from error
        except (smtplib.SMTPException, OSError) as error:
            # Refused recipients, a dropped connection, a certificate that does not verify…
            raise TransientError(f"smtp: {type(error).__name__}") from error
