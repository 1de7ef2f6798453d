"""The vault's storage port: what the vault needs from a database, and nothing about SQL.

The vault opens one :meth:`VaultStore.transaction` per state change and calls :class:`VaultSession` methods inside
it; the adapter (``jikimi.adapters.storage``) commits on normal exit and rolls back on an exception. Rows here carry
ciphertext and wrapped keys only: the store never sees a clear value or a clear key.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Protocol, runtime_checkable

__all__ = [
    "DataKey",
    "FieldKind",
    "FieldRow",
    "FieldTuple",
    "IndexRow",
    "RawField",
    "RowReader",
    "VaultSession",
    "VaultStore",
]

#: A field as read for decryption: subject, item, kind, value, key_version, kek_id, wrapped data key.
RawField = tuple[str, str, int, bytes, int, str, bytes]
#: A field to write, as :meth:`VaultSession.put_fields` takes it but as a plain tuple: subject, bucket, item, kind,
#: value. A session may offer ``put_field_tuples(rows: Sequence[FieldTuple])``, the same write without building a
#: :class:`FieldRow` per field (a fifth of a bulk write's Python time); the vault uses it when present.
FieldTuple = tuple[str, str, str, int, bytes]


class FieldKind(IntEnum):
    """How a stored field value was produced."""

    ENCRYPTED = 1  # AES-256-GCM under the data key
    PASSWORD = 2  # an argon2id hash, then encrypted like ENCRYPTED (shredding destroys it too)
    PLAIN = 3  # the policy marks the item `personal: false` and no protected category applies


@dataclass(frozen=True, slots=True)
class DataKey:
    """A wrapped data key (DEK) of one subject and bucket; ``wrapped`` is ciphertext under KEK ``kek_id``."""

    subject: str
    bucket: str
    key_version: int
    kek_id: str
    wrapped: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One stored field. ``value`` is ciphertext unless ``kind`` is PLAIN."""

    subject: str
    bucket: str
    item: str
    kind: FieldKind
    value: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One blind-index entry: an HMAC digest of a searchable item's value."""

    subject: str
    bucket: str
    item: str
    digest: bytes = field(repr=False)


class VaultSession(Protocol):
    """Operations inside one transaction. Sequences may be long: the adapter batches them."""

    def get_keys(self, bucket: str, subjects: Sequence[str]) -> dict[str, DataKey]:
        """The data keys of ``subjects`` in ``bucket`` that exist, by subject."""
        ...

    def add_keys(self, keys: Sequence[DataKey], created_at: datetime, *, subjects: bool = True) -> None:
        """Insert new data keys, and their subjects if new (``subjects=False``: the keys alone, see
        :attr:`VaultStore.keys_apart`)."""
        ...

    def add_subjects(self, subjects: Sequence[str], created_at: datetime) -> None:
        """Record subjects (those already recorded are left as they are), without a key."""
        ...

    def put_fields(self, rows: Sequence[FieldRow]) -> None:
        """Insert or replace fields by (subject, bucket, item)."""
        ...

    def put_index(self, rows: Sequence[IndexRow]) -> None:
        """Insert or replace blind-index entries by (subject, bucket, item)."""
        ...

    def read_fields(
        self, bucket: str, subjects: Sequence[str], items: Sequence[str] | None
    ) -> list[tuple[FieldRow, DataKey]]:
        """Fields of ``subjects`` in ``bucket`` (all items if ``items`` is None), each with its data key."""
        ...

    def find_subjects(self, item: str, digest: bytes) -> list[str]:
        """Subjects with a blind-index entry ``digest`` for ``item`` in a bucket that still has its data key, in any
        bucket, sorted and distinct."""
        ...

    def delete_keys(self, bucket: str, subjects: Sequence[str]) -> int:
        """Delete the data keys of ``subjects`` in ``bucket``; returns keys deleted. Their blind-index entries stop
        finding them at once and are deleted with the rows (:meth:`delete_fields`)."""
        ...

    def delete_fields(self, bucket: str, subjects: Sequence[str]) -> int:
        """Delete the field rows and blind-index entries of ``subjects`` in ``bucket``; returns field rows deleted."""
        ...

    def delete_orphan_fields(self, limit: int) -> int:
        """Delete the field rows of up to ``limit`` (subject, bucket) pairs that have no data key; returns rows."""
        ...

    def keys_page(self, after: tuple[str, str] | None, limit: int) -> list[DataKey]:
        """Up to ``limit`` data keys ordered by (subject, bucket), strictly after ``after``."""
        ...

    def rewrap(self, keys: Sequence[DataKey]) -> None:
        """Replace ``kek_id`` and ``wrapped`` of existing data keys."""
        ...

    def count_keys(self, kek_id: str | None = None, *, prefix: bool = False) -> int:
        """Data keys in all (or wrapped by ``kek_id``; with ``prefix``, by any key whose id starts so)."""
        ...

    def get_meta(self, key: str) -> bytes | None: ...

    def set_meta(self, key: str, value: bytes) -> None: ...

    def delete_meta(self, key: str) -> None: ...

    def meta_keys(self, prefix: str) -> list[str]: ...


class VaultStore(Protocol):
    """A database the vault can use: hands out transactions.

    A store may also have ``keys_apart = True``: its data keys live in a database of their own that does not commit
    atomically with the data (SQLite's key file). The vault then commits a new subject's key in a transaction of
    its own before the data (:meth:`jikimi.vault.Vault.new_key`), so a crash between the two commits leaves a key
    without data (nothing to read) rather than data without its key.
    """

    def transaction(self) -> AbstractContextManager[VaultSession]:
        """One atomic unit: committed when the block exits normally, rolled back on an exception."""
        ...


@runtime_checkable
class RowReader(Protocol):
    """Optional fast read path of a store; the vault falls back to ``transaction().read_fields`` without it."""

    def read_rows(self, bucket: str, subjects: Sequence[str], items: Sequence[str] | None = None) -> list[RawField]:
        """The fields of ``subjects`` in ``bucket`` (only ``items`` if given) with their data keys, read atomically,
        as plain tuples."""
        ...
