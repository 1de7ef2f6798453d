"""The consent domain's storage port, and the unit of work that makes a sign-up one transaction.

A :class:`ConsentSession` is a :class:`~jikimi.vault.ports.VaultSession` that also keeps subject records and the
ledger, so vault fields, the subject row and the ledger events of one sign-up are written on one connection.
:class:`UnitOfWork` wraps a :class:`ConsentStore` for the :class:`~jikimi.vault.vault.Vault`: while a unit of work
is open (in this thread or task), the vault's own ``transaction()`` joins it instead of opening another, so the
vault stays unaware of consents and a failure anywhere rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType
from typing import Protocol, runtime_checkable

from jikimi.consent.ledger import ChainRow, LedgerRecord
from jikimi.consent.model import ConsentEvent, SubjectRecord, SubjectStatus
from jikimi.vault.ports import RawField, VaultSession, VaultStore

__all__ = ["ConsentSession", "ConsentStore", "UnitOfWork"]


class ConsentSession(VaultSession, Protocol):
    """Vault operations plus subjects and ledger, inside one transaction."""

    def add_subject(self, record: SubjectRecord) -> None:
        """Insert a new subject record."""
        ...

    def get_subject(self, subject: str) -> SubjectRecord | None: ...

    def set_status(self, subject: str, status: SubjectStatus, at: datetime) -> None: ...

    def mark_child(self, subject: str, at: datetime) -> None:
        """Record that the subject is a child (a birth date given after sign-up showed it)."""
        ...

    def subjects_with_status(self, status: SubjectStatus) -> list[SubjectRecord]:
        """Every subject record with ``status`` (for sweeps such as expired children's sign-ups)."""
        ...

    def ledger_head(self) -> tuple[int, bytes] | None:
        """``(seq, hash)`` of the last event, or None for an empty ledger."""
        ...

    def append_records(self, records: Sequence[LedgerRecord]) -> None:
        """Insert chained events as stored records; a ``seq`` already taken fails (no fork of the chain)."""
        ...

    def events_of(self, subject: str) -> list[ConsentEvent]:
        """Every event of ``subject`` in ``seq`` order, read from the stored bodies (ledger.from_record)."""
        ...

    def records_page(self, after: int, limit: int) -> list[LedgerRecord]:
        """Up to ``limit`` stored records with ``seq > after``, in order."""
        ...

    def stream_records(self, size: int) -> Iterator[list[LedgerRecord]]:
        """Every stored record in ``seq`` order, in pages of up to ``size``, as the driver returns them: the read
        of verification, inside this one transaction (a consistent snapshot of the chain)."""
        ...

    def chain_rows(self, size: int) -> Iterator[list[ChainRow]]:
        """``(seq, subject, body, hash)`` of every stored record in ``seq`` order, in pages of up to ``size``, inside
        this one transaction: what :func:`jikimi.consent.ledger.verify_rows` reads (the fast path of verification)."""
        ...

    def delete_items(self, bucket: str, subject: str, items: Sequence[str]) -> int:
        """Delete the fields and blind-index entries of some items of one subject; returns fields deleted."""
        ...


@runtime_checkable
class ConsentStore(Protocol):
    """A database with consent tables: hands out transactions on a :class:`ConsentSession`."""

    def consent_transaction(self) -> AbstractContextManager[ConsentSession]:
        """One atomic unit: committed when the block exits normally, rolled back on an exception."""
        ...


class UnitOfWork:
    """A :class:`VaultStore` whose transactions join the open :meth:`begin` block, if any (see the module doc)."""

    def __init__(self, store: ConsentStore) -> None:
        self._store = store
        self._open: ContextVar[ConsentSession | None] = ContextVar(f"jikimi_uow_{id(self)}", default=None)
        self.keys_apart: bool = getattr(store, "keys_apart", False)  # the store's (VaultStore's doc)

    def begin(self) -> AbstractContextManager[ConsentSession]:
        """Open the unit of work (or join the one already open)."""
        return _Unit(self._store, self._open)

    def transaction(self) -> AbstractContextManager[VaultSession]:
        return self.begin()

    def read_rows(self, bucket: str, subjects: Sequence[str], items: Sequence[str] | None = None) -> list[RawField]:
        """The store's fast read path outside a unit of work; inside, the open session (it sees its own writes)."""
        reader = getattr(self._store, "read_rows", None)
        if reader is not None and self._open.get() is None:
            rows: list[RawField] = reader(bucket, subjects, items)
            return rows
        with self.begin() as session:
            found = session.read_fields(bucket, subjects, items)
        return [(r.subject, r.item, r.kind, r.value, k.key_version, k.kek_id, k.wrapped) for r, k in found]

    def __repr__(self) -> str:
        return f"UnitOfWork({self._store!r})"


class _Unit:
    """One :meth:`UnitOfWork.begin` block: the store's transaction, or the one already open in this context.

    A class rather than a generator: a sign-up opens and joins several of these (a generator context manager costs
    three times as much).
    """

    __slots__ = ("_joined", "_open", "_store", "_token", "_transaction")

    def __init__(self, store: ConsentStore, open_: ContextVar[ConsentSession | None]) -> None:
        self._store = store
        self._open = open_

    def __enter__(self) -> ConsentSession:
        current = self._open.get()
        self._joined = current is not None
        if current is not None:
            return current
        self._transaction = self._store.consent_transaction()
        session = self._transaction.__enter__()
        self._token = self._open.set(session)
        return session

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._joined:
            return  # the outer block commits or rolls back
        self._open.reset(self._token)
        self._transaction.__exit__(kind, error, trace)


def _is_vault_store(store: UnitOfWork) -> VaultStore:
    # Checked by mypy: a UnitOfWork is usable wherever a VaultStore is.
    return store
