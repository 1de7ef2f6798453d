"""What the access domain needs from storage and from the rest of the engine, as Protocols."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jikimi.access.model import Operator, Restriction, RestrictionKind, SubjectFacts
from jikimi.access.record import AccessRecord
from jikimi.access.review import ReviewRow

__all__ = ["AccessSession", "AccessStore", "FactsSource", "Reader", "Restricted", "RightsChange"]


@dataclass(frozen=True, slots=True)
class RightsChange:
    """One grant, change or revocation of an operator's rights (R-SEC-3); kept at least 3 years (R-SEC-4)."""

    operator: str
    change: str  # granted | changed | disabled | enabled
    role_before: str | None
    role_after: str | None
    actor: str
    at: datetime


# Per subject with any restriction in force: (suspended purposes, items held back).
Restricted = Mapping[str, tuple[frozenset[str], frozenset[str]]]


class AccessSession(Protocol):
    """Operations on one open transaction."""

    def get_operator(self, operator: str) -> Operator | None: ...
    def put_operator(self, operator: Operator, at: datetime) -> None: ...
    def log_rights_change(self, change: RightsChange) -> None: ...
    def head(self) -> tuple[int, bytes] | None: ...
    def append(self, records: Sequence[AccessRecord]) -> None: ...

    def restricted(self, subjects: Sequence[str]) -> Restricted:
        """The restrictions in force on any of ``subjects`` (subjects without any are left out): what the gate
        reads for every read, so a batch costs one query, or one per few hundred subjects."""
        ...

    def active_restrictions(self, subject: str) -> list[Restriction]:
        """The restrictions in force on ``subject``, oldest first."""
        ...

    def add_restriction(
        self, subject: str, kind: RestrictionKind, target: str, at: datetime, actor: str, reason: str | None
    ) -> Restriction: ...

    def release_restriction(self, restriction: int, at: datetime, actor: str) -> None: ...


class AccessStore(Protocol):
    def transaction(self) -> AbstractContextManager[AccessSession]: ...
    def records(self, after: int = 0, page: int = 10_000) -> Iterator[Sequence[AccessRecord]]: ...
    def chain_pages(self) -> Iterator[Sequence[tuple[int, bytes, bytes]]]:
        """``(seq, body, hash)`` of every record in ``seq`` order, a page at a time (what verification reads)."""
        ...

    def checkpoint(self) -> tuple[int, bytes] | None: ...
    def prune(self, before: datetime) -> int: ...
    def records_between(self, start: datetime, end: datetime) -> Iterator[AccessRecord]: ...
    def review_rows(self, start: datetime, end: datetime) -> Iterator[Sequence[ReviewRow]]:
        """``(at, operator, subject, body)`` of the records with ``start <= at < end`` in time order, a page at a
        time (what the monthly review reads)."""
        ...

    def rights_changes(self, operator: str | None = None) -> list[RightsChange]: ...
    def restrictions(self, subject: str) -> list[Restriction]:
        """Every restriction ever placed on ``subject``, lifted ones included, oldest first."""
        ...


class FactsSource(Protocol):
    """Gathers the gate's facts about subjects without decrypting anything (consent state, separate storage ...).

    Suspensions and correction holds are not its business: the access service reads them from its own store, in the
    transaction that decides and records the read, and adds them to these facts."""

    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]: ...


class Reader(Protocol):
    """Decrypts items of subjects for an allowed purpose (live data, or what separate storage keeps for it)."""

    def __call__(self, subjects: Sequence[str], items: Sequence[str], purpose: str) -> dict[str, dict[str, str]]: ...
