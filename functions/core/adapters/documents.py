"""Registry-like documents (攻坚 projects, campaigns) in the registry table: one partition per
kind, one item per document, the whole document in `data`."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from pynamodb.exceptions import PutError

from ..domain.errors import Conflict
from .tables import RegistryItem


class Document(Protocol):
    @property
    def id(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


D = TypeVar("D", bound=Document)


class DocumentStore(Generic[D]):
    def __init__(self, partition: str, load: Any, what: str) -> None:
        self.partition = partition
        self._load = load  # dict → document
        self._what = what  # named in a conflict's message

    def all(self) -> list[D]:
        """Every document of the kind: one Query on one partition (tens, not thousands)."""
        return [self._load(item.data) for item in RegistryItem.query(self.partition)]

    def get(self, ident: str) -> D | None:
        try:
            item = RegistryItem.get(self.partition, ident, consistent_read=True)
        except RegistryItem.DoesNotExist:
            return None
        return self._load(item.data)  # type: ignore[no-any-return]

    def put(self, document: D, previous: D | None) -> None:
        """Save a document over `previous` (None: a new one); someone else's change in
        between is a 409. The condition compares the stored document with the one read."""
        item = RegistryItem(self.partition, document.id, data=document.as_dict())
        try:
            if previous is None:
                item.save(condition=RegistryItem.key.does_not_exist())
            else:
                item.save(condition=RegistryItem.data == previous.as_dict())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    f"The {self._what} changed meanwhile; load it again.", "stale"
                ) from None
            raise
