"""What every consent flow shares: its collaborators, the subjects' consent state, and the ledger append.

:class:`Flow` is the base of the flows :class:`~jikimi.consent.service.Consents` is made of (sign-up, children
awaiting a representative, withdrawal, re-consent, questions), one module each. It holds the policy, the unit of
work, the vault, the clock and the :class:`~jikimi.consent.state.ConsentBook`, and the helpers they all use: one
ledger event, the append of chained events inside the open unit of work, and the subject's state (loaded from the
ledger on first use, reloaded after every write this process makes). It writes nothing by itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from jikimi.clock import Clock
from jikimi.consent.ledger import Draft, LedgerRecord, chain_drafts, chain_records
from jikimi.consent.model import ConsentEvent, EventKind, SubjectRecord, SubjectStatus
from jikimi.consent.ports import ConsentSession, UnitOfWork
from jikimi.consent.state import ConsentBook, SubjectState
from jikimi.errors import UnknownSubjectError
from jikimi.policy.model import ConsentMethod, Policy
from jikimi.vault.vault import Vault

__all__ = ["PAGE", "Collected", "Flow", "new_id"]

#: Ledger records read per page when a flow walks the whole ledger.
PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Collected:
    """The outcome of a collection or re-consent: the subject's internal id, its status and the events written."""

    subject: str
    status: SubjectStatus
    events: tuple[ConsentEvent, ...]


def new_id() -> str:
    """A new subject's internal id: ``s_`` and 21 hex digits, time-ordered (microseconds, then 32 random bits).

    Time-ordered, a new subject's rows land at the right edge of every index keyed by subject instead of on a random
    page, which cuts a sign-up's commit by a third on SQLite. The id carries the sign-up time, which its ledger
    events state anyway; it is an internal id, never shown as data.
    """
    return f"s_{time.time_ns() // 1000:013x}{os.urandom(4).hex()}"


class Flow:
    """Collaborators and shared helpers of the consent flows (see the module doc)."""

    def __init__(
        self,
        policy: Policy,
        uow: UnitOfWork,
        vault: Vault,
        clock: Clock,
        *,
        new_id: Callable[[], str] = new_id,
        waiting: timedelta = timedelta(days=7),
    ) -> None:
        self._policy = policy
        self._uow = uow
        self._vault = vault
        self._clock = clock
        self._new_id = new_id
        # How long a child's sign-up waits for the representative: the law leaves it open (R-CHILD-3: 5-10 days).
        self.book = ConsentBook(policy, self._load, waiting=waiting)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service={self._policy.service.key!r})"

    def _event(
        self,
        subject: str,
        kind: EventKind,
        topics: tuple[str, ...],
        items: tuple[str, ...],
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str,
        at: datetime,
    ) -> ConsentEvent:
        return ConsentEvent(0, subject, kind, topics, items, self._policy.version, method, evidence, actor, at)

    @staticmethod
    def _append(session: ConsentSession, events: list[ConsentEvent]) -> list[ConsentEvent]:
        """Chain ``events`` after the ledger's head and append them in the open transaction; the chained events."""
        written, records = chain_records(events, session.ledger_head())
        if records:
            session.append_records(records)
        return written

    @staticmethod
    def _append_drafts(session: ConsentSession, drafts: list[Draft]) -> list[ConsentEvent]:
        """:meth:`_append` of events given as drafts (the write path builds each event once)."""
        written, records = chain_drafts(drafts, session.ledger_head())
        if records:
            session.append_records(records)
        return written

    def _existing(self, subject: str) -> SubjectState:
        state = self.book.state(subject)
        if state is None:
            raise UnknownSubjectError(f"no subject {subject}")
        return state

    def _reload(self, subject: str) -> SubjectState | None:
        self.book.forget(subject)
        return self.book.state(subject)

    def _load(self, subject: str) -> tuple[SubjectRecord, list[ConsentEvent]] | None:
        with self._uow.begin() as session:
            record = session.get_subject(subject)
            if record is None:
                return None
            return record, session.events_of(subject)

    def _pages(self, size: int) -> Iterator[list[LedgerRecord]]:
        """The whole ledger, a page (one short read transaction) at a time."""
        after = 0
        while True:
            with self._uow.begin() as session:
                page = session.records_page(after, size)
            if not page:
                return
            yield page
            after = page[-1][0]
