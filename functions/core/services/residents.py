"""Residents as people, not only as case tokens: sign in by phone number and SMS code, see
every case filed with that number from any device, and open a case by its token, by the
short link of its SMS, or by a resident session of its number.

The number is never stored or looked up in clear: the sign-in, its rate limits and the
"my cases" index all use the number's keyed hash (DESIGN §6).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..config import Limits
from ..domain.cases import Case
from ..domain.clock import Clock, IdSource, iso
from ..domain.codes import is_case_code
from ..domain.errors import DomainError, InvalidInput, NotFound, RateLimited, invalid
from ..domain.followers import Follower
from ..domain.messages import SMS_TEMPLATES
from ..domain.phone import mask_mobile, normalise_mobile
from ..ports import (
    CaseStore,
    Limiter,
    MessageChannel,
    Notification,
    PhoneVault,
    RegistrySource,
    ResidentTokens,
    SignInChallenge,
    SignInCodes,
)
from ..schemas import RESIDENT_CODE, RESIDENT_PREFERENCES, RESIDENT_SIGN_IN, validate

log = logging.getLogger("whistle.residents")

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
SESSION_SECONDS = 3600
MY_CASES = 50
LINK_KEY_CHARS = 16  # 96 bits: as hard to guess online as any password
MAX_FOLLOWER_LINKS = 1000  # a follower's link is checked against this many followers at most


# -- how a resident opens a case ------------------------------------------------------------


def case_link(vault: PhoneVault, code: str) -> str:
    """The short key of a case's SMS link: the code and a keyed digest of it (no table
    holds it; it is derived again to check it)."""
    digest = bytes.fromhex(vault.keyed_hash("case-link", code))
    return f"{code}.{base64.urlsafe_b64encode(digest).decode()[:LINK_KEY_CHARS]}"


def follower_link(vault: PhoneVault, code: str, lookup: str) -> str:
    """A follower's own link key to a case: it opens the case as that follower (its progress
    and result, never the reporter's words), checked against the case's followers."""
    digest = bytes.fromhex(vault.keyed_hash("follower-link", f"{code}:{lookup}"))
    return f"{code}.{base64.urlsafe_b64encode(digest).decode()[:LINK_KEY_CHARS]}"


@dataclass(frozen=True)
class Credentials:
    """What a resident's request carries: the case token (or the key of the case's SMS
    link) in X-Case-Token, and a resident session in Authorization."""

    token: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class CaseKeys:
    """Opens a case for its resident: any one of the case token, its link key or a
    session of the case's phone number will do. Anything else — a wrong token, another
    phone's session, a staff token — looks exactly like no case (404)."""

    clock: Clock
    vault: PhoneVault
    tokens: ResidentTokens

    def open(self, cases: CaseStore, code: str, credentials: Credentials) -> Case:
        """The case, for its reporter only."""
        opened = self.open_as(cases, code, credentials, followers=False)
        return opened.case

    def open_as(
        self, cases: CaseStore, code: str, credentials: Credentials, followers: bool = True
    ) -> Opened:
        """The case, for its reporter or (with `followers`) one of its followers: by a
        session of their number or their own link."""
        missing = NotFound("No case with this code and token.", "case_not_found")
        if not is_case_code(code) or not (credentials.token or credentials.session):
            raise missing
        case = cases.get(code)
        if case is None:
            raise missing
        if self.allows(case, credentials):
            return Opened(case, None)
        follower = self._follower(cases, case, credentials) if followers else None
        if follower is None:
            raise missing
        return Opened(case, follower)

    def _follower(self, cases: CaseStore, case: Case, credentials: Credentials) -> Follower | None:
        if not case.followers + case.merged_in:
            return None  # nobody follows it: no further read
        if credentials.session:
            try:
                lookup = self.tokens.verify(credentials.session, self.clock.now())
            except DomainError:
                lookup = None
            found = cases.follower(case.code, lookup) if lookup else None
            if found is not None:
                return found
        token = credentials.token
        if token:
            given = f"{case.code}.{token}".encode()
            for follower in cases.followers(case.code, MAX_FOLLOWER_LINKS):
                link = follower_link(self.vault, case.code, follower.phone.lookup)
                if hmac.compare_digest(link.encode(), given):
                    return follower
        return None

    def allows(self, case: Case, credentials: Credentials) -> bool:
        token = credentials.token
        if token:
            digest = hashlib.sha256(token.encode()).hexdigest()
            if hmac.compare_digest(case.token_hash, digest):
                return True
            if hmac.compare_digest(
                case_link(self.vault, case.code).encode(), f"{case.code}.{token}".encode()
            ):
                return True
        if credentials.session and case.phone.lookup:
            try:
                lookup = self.tokens.verify(credentials.session, self.clock.now())
            except DomainError:
                return False
            return hmac.compare_digest(lookup, case.phone.lookup)
        return False


@dataclass(frozen=True)
class Opened:
    """A case as a resident opened it: as its reporter (`follower` None) or as a follower."""

    case: Case
    follower: Follower | None


# -- signing in by phone --------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentDeps:
    clock: Clock
    ids: IdSource
    vault: PhoneVault
    cases: CaseStore
    codes: SignInCodes
    tokens: ResidentTokens
    counters: Limiter
    limits: Limits
    registry: RegistrySource
    keys: CaseKeys
    send_now: Callable[[Notification], None]


def _challenge_key(lookup: str) -> str:
    return f"sign-in#{lookup[:32]}"


def request_code(deps: ResidentDeps, body: Any, source: str | None) -> dict[str, Any]:
    """Send a 6-digit code to the number. The answer is the same whether or not the number
    has cases (a number with none gets a code too, and simply finds no cases), so nobody
    learns from it who has reported. Limited per number and per sender."""
    number = normalise_mobile(validate(RESIDENT_CODE, body)["phone"])
    now = deps.clock.now()
    lookup = deps.vault.keyed_hash("phone", number)
    limits = deps.limits
    window = limits.sign_in_window_seconds
    wanted = [(f"sign-in-phone#{lookup[:32]}", limits.sign_in_codes_per_phone)]
    if source:
        address = deps.vault.keyed_hash("address", source)[:32]
        wanted.append((f"sign-in-address#{address}", limits.sign_in_codes_per_address))
    for counter, limit in wanted:
        if not deps.counters.hit(counter, limit, window, now):
            left = window - int(now.timestamp()) % window
            raise RateLimited(
                "Too many codes asked for; please try again later.",
                "rate_limited",
                headers={"Retry-After": str(max(1, left))},
            )
    code = deps.ids.digits(CODE_DIGITS)
    expires = now + CODE_LIFETIME
    sealed = deps.vault.seal_phone(number)
    template = SMS_TEMPLATES["resident_sign_in"]
    message = Notification(
        id=deps.ids.uuid(),
        case_code="sign-in",  # no case: the outbox's by-case index needs a key all the same
        channel=MessageChannel.SMS,
        recipient=sealed.ciphertext,
        recipient_display=sealed.masked,
        template=template.name,
        params={"code": code},
        subject="",
        body=template.render({"code": code}),
        created_at=now,
    )
    secret = deps.vault.keyed_hash("sign-in-code", f"{lookup}:{code}")
    deps.codes.issue(SignInChallenge(_challenge_key(lookup), secret, expires), message)
    # Sent at once rather than at the next tick of the dispatch job (a minute away); if
    # this fails, the tick sends it.
    try:
        deps.send_now(message)
    except Exception as error:  # the outbox holds it; the next tick sends it
        log.warning("sign-in code not sent at once: %s", type(error).__name__)
    return {"sent_to": sealed.masked, "expires_in": int(CODE_LIFETIME.total_seconds())}


def sign_in(deps: ResidentDeps, body: Any) -> dict[str, Any]:
    """Exchange the number and its code for a resident session. A wrong code, a lapsed one
    and a number never sent one answer alike; after 5 tries the code is used up."""
    body = validate(RESIDENT_SIGN_IN, body)
    number = normalise_mobile(body["phone"])
    now = deps.clock.now()
    lookup = deps.vault.keyed_hash("phone", number)
    key = _challenge_key(lookup)
    wrong = InvalidInput(
        "The code is wrong or has expired; ask for a new one.",
        "invalid_code",
        [invalid("code", "invalid_code", "Wrong or expired code.").details[0]],
    )
    stored = deps.codes.attempt(key, now, CODE_TRIES)
    if stored is None:
        raise wrong
    given = deps.vault.keyed_hash("sign-in-code", f"{lookup}:{body['code']}")
    if not hmac.compare_digest(stored, given) or not deps.codes.consume(key, stored):
        raise wrong
    token, expires = deps.tokens.issue(lookup, now, deps.vault.seal_phone(number))
    return {"token": token, "expires_at": iso(expires), "phone": mask_mobile(number)}


def my_cases(deps: ResidentDeps, session: str | None) -> dict[str, Any]:
    """Every case filed with the session's number, newest first: one Query on the
    phone-hash index, whatever the number of cases in the table."""
    lookup = deps.tokens.verify(session or "", deps.clock.now())
    registry = deps.registry.current()
    reported = deps.cases.by_phone(lookup, MY_CASES)
    # And the cases the number follows ("me too", or merged): one Query and one batched read.
    own = {case.code for case in reported}
    followed = [f.case_code for f in deps.cases.followed_by(lookup, MY_CASES)]
    following = deps.cases.get_many([code for code in followed if code not in own])
    rows = [(case, False) for case in reported] + [(case, True) for case in following.values()]
    rows.sort(key=lambda row: row[0].created_at, reverse=True)
    items = []
    for case, follows in rows[:MY_CASES]:
        items.append(
            {
                "code": case.code,
                "status": case.status.value,
                "category": registry.category_names(case.category),
                "created_at": iso(case.created_at),
                "updated_at": iso(case.updated_at),
                "following": follows,
            }
        )
    return {"items": items}


def set_updates(
    deps: ResidentDeps, code: str, credentials: Credentials, body: Any
) -> dict[str, Any]:
    """Every message about the case, or only the essential ones (whistled, rejected, merged,
    resolved): the resident's choice, kept on the case."""
    updates = validate(RESIDENT_PREFERENCES, body)["updates"]
    opened = deps.keys.open_as(deps.cases, code, credentials)
    case, follower = opened.case, opened.follower
    if follower is not None:
        follower.quiet = updates == "essential"
        deps.cases.save(case, [], deps.clock.now(), followers=[follower])
        return {"code": case.code, "updates": updates}
    case.prefer_updates(updates == "essential")
    deps.cases.save(case, [], deps.clock.now())
    return {"code": case.code, "updates": updates}
