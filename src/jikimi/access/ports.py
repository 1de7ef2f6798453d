"""What the access domain needs from storage and from the rest of the engine, as Protocols."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jikimi.access.model import Operator, SubjectFacts
from jikimi.access.record import AccessRecord

__all__ = ["AccessSession", "AccessStore", "FactsSource", "Reader", "RightsChange"]


@dataclass(frozen=True, slots=True)
class RightsChange:
    """One grant, change or revocation of an operator's rights (R-SEC-3); kept at least 3 years (R-SEC-4)."""

    operator: str
    change: str  # granted | changed | disabled | enabled
    role_before: str | None
    role_after: str | None
    actor: str
    at: datetime


class AccessSession(Protocol):
    """Operations on one open transaction."""

    def get_operator(self, operator: str) -> Operator | None: ...
    def put_operator(self, operator: Operator, at: datetime) -> None: ...
    def log_rights_change(self, change: RightsChange) -> None: ...
    def head(self) -> tuple[int, bytes] | None: ...
    def append(self, records: Sequence[AccessRecord]) -> None: ...


class AccessStore(Protocol):
    def transaction(self) -> AbstractContextManager[AccessSession]: ...
    def records(self, after: int = 0, page: int = 10_000) -> Iterator[Sequence[AccessRecord]]: ...
    def chain_rows(self) -> Iterator[tuple[int, bytes, bytes]]: ...
    def checkpoint(self) -> tuple[int, bytes] | None: ...
    def prune(self, before: datetime) -> int: ...
    def records_between(self, start: datetime, end: datetime) -> Iterator[AccessRecord]: ...
    def rights_changes(self, operator: str | None = None) -> list[RightsChange]: ...


class FactsSource(Protocol):
    """Gathers the gate's facts about subjects without decrypting anything (consent state, suspensions ...)."""

    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]: ...


class Reader(Protocol):
    """Decrypts items of subjects for an allowed purpose (live data, or what separate storage keeps for it)."""

    def __call__(self, subjects: Sequence[str], items: Sequence[str], purpose: str) -> dict[str, dict[str, str]]: ...
