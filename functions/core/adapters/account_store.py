"""Staff accounts in DynamoDB, and the few-seconds cache the authorizer reads them through."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from ..domain.accounts import Account, WorkChat
from ..domain.clock import Clock
from ..domain.errors import Conflict
from ..domain.staff import Scope
from ..ports import AccountStore
from .tables import AccountItem

_LINKS = {WorkChat.WECOM: "wecom_user", WorkChat.DINGTALK: "dingtalk_user"}


def _account(item: AccountItem) -> Account:
    return Account(
        username=item.username,
        name=item.name,
        email=item.email,
        scopes=tuple(sorted({s for s in (Scope.parse(str(t)) for t in item.scopes or []) if s})),
        password_hash=item.password_hash,
        created_at=item.created_at,
        updated_at=item.updated_at,
        enabled=bool(item.enabled),
        must_change_password=bool(item.must_change_password),
        totp_secret=item.totp_secret,
        totp_pending=item.totp_pending,
        totp_last_step=int(item.totp_last_step or 0),
        work_chat={
            kind: getattr(item, attribute)
            for kind, attribute in _LINKS.items()
            if getattr(item, attribute)
        },
        generation=int(item.generation or 0),
        version=item.version,
    )


def _item(account: Account) -> AccountItem:
    item = AccountItem(
        account.username,
        name=account.name,
        email=account.email,
        scopes=[str(s) for s in sorted(set(account.scopes))],
        enabled=account.enabled,
        password_hash=account.password_hash,
        must_change_password=account.must_change_password,
        totp_secret=account.totp_secret,
        totp_pending=account.totp_pending,
        totp_last_step=account.totp_last_step,
        generation=account.generation,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )
    for kind, attribute in _LINKS.items():
        setattr(item, attribute, account.work_chat.get(kind))
    if account.version is not None:
        item.version = account.version  # PynamoDB then saves only over this version
    return item


def _put(account: Account, condition: Any, refused: Conflict) -> None:
    item = _item(account)
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise refused from error
        raise
    account.version = item.version


class DynamoAccountStore:
    def get(self, username: str) -> Account | None:
        try:
            return _account(AccountItem.get(username, consistent_read=True))
        except AccountItem.DoesNotExist:
            return None

    def all(self) -> list[Account]:
        # Every account shares one key in the list index: hundreds of staff at a district,
        # read by district staff only.
        return [_account(i) for i in AccountItem.in_list.query("staff")]

    def add(self, account: Account) -> None:
        # A new item only: the username is free.
        _put(
            account,
            AccountItem.username.does_not_exist(),
            Conflict("A staff member with this username exists.", "username_taken"),
        )

    def save(self, account: Account) -> None:
        # The version attribute makes this conditional on nobody having saved since.
        _put(
            account,
            None,
            Conflict("The account changed meanwhile; reload and try again.", "stale_account"),
        )

    def by_work_chat(self, kind: WorkChat, user_id: str) -> list[Account]:
        index = AccountItem.by_wecom if kind is WorkChat.WECOM else AccountItem.by_dingtalk
        return [_account(item) for item in index.query(user_id, limit=2)]


class CachedAccounts:
    """The store, plus `current`: a per-process cache of a few seconds for the authorizer.
    Writes through this object forget the account at once."""

    def __init__(self, store: AccountStore, clock: Clock, ttl: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[datetime, Account | None]] = {}
        self._lock = threading.Lock()

    def current(self, username: str) -> Account | None:
        now = self._clock.now()
        with self._lock:
            cached = self._cache.get(username)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        account = self._store.get(username)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[username] = (now, account)
        return account

    def forget(self, username: str) -> None:
        with self._lock:
            self._cache.pop(username, None)

    def get(self, username: str) -> Account | None:
        return self._store.get(username)

    def all(self) -> list[Account]:
        return self._store.all()

    def add(self, account: Account) -> None:
        self._store.add(account)
        self.forget(account.username)

    def save(self, account: Account) -> None:
        try:
            self._store.save(account)
        finally:
            self.forget(account.username)

    def by_work_chat(self, kind: WorkChat, user_id: str) -> list[Account]:
        return self._store.by_work_chat(kind, user_id)
