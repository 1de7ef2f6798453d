"""The consent service: collection, approval, withdrawal, consent questions and ledger verification.

Every state change is one unit of work (:class:`~jikimi.consent.ports.UnitOfWork`): vault fields, the subject
record and the ledger events commit together or not at all, so a crash between the data write and the ledger write
leaves no half subject. The in-memory consent state is updated only after the commit.

Withdrawal (R-DSR-7) destroys, in the same transaction as its ledger event, the items that no purpose still in
force for the subject uses: their ciphertext rows and blind-index entries are deleted (the subject's data key stays
for the items that remain lawful). Withdrawing an advertising purpose also ends its channel and night consents
(R-MKT-3). Withdrawing a consent the subject's sign-up channel requires is a withdrawal from the service: the
subject becomes ``withdrawn`` and nothing of it may be used any more; destroying the rest is the retention flow's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from jikimi.clock import Clock
from jikimi.consent.collection import plan_collection, required_topics
from jikimi.consent.ledger import LedgerRecord, Verification, chain, to_record, verify
from jikimi.consent.model import ConsentEvent, EventKind, Representative, SubjectRecord, SubjectStatus
from jikimi.consent.ports import ConsentSession, UnitOfWork
from jikimi.consent.state import ConsentBook, SubjectState
from jikimi.errors import ConsentError, DuplicateSubjectError, UnknownSubjectError
from jikimi.policy.model import ConsentMethod, Policy
from jikimi.vault.vault import LIVE, Vault

__all__ = ["Collected", "Consents", "Withdrawn"]

_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Collected:
    """The outcome of a collection: the subject's internal id, its status and the ledger events written."""

    subject: str
    status: SubjectStatus
    events: tuple[ConsentEvent, ...]


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The outcome of a withdrawal: events written, items destroyed, and the subject's status afterwards."""

    subject: str
    status: SubjectStatus
    events: tuple[ConsentEvent, ...]
    destroyed: tuple[str, ...]


def _new_id() -> str:
    return "s_" + secrets.token_hex(10)


class Consents:
    """Collection and consent for one policy. Collaborators are passed in (see :class:`jikimi.engine.Engine`)."""

    def __init__(
        self,
        policy: Policy,
        uow: UnitOfWork,
        vault: Vault,
        clock: Clock,
        *,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self._policy = policy
        self._uow = uow
        self._vault = vault
        self._clock = clock
        self._new_id = new_id
        self.book = ConsentBook(policy, self._load)

    def __repr__(self) -> str:
        return f"Consents(service={self._policy.service.key!r})"

    # --- collection --------------------------------------------------------------------------------------

    def collect(
        self,
        channel: str,
        subject_type: str | None,
        data: Mapping[str, str],
        consents: Mapping[str, bool],
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str = "self",
        *,
        representative: Representative | None = None,
        subject: str | None = None,
    ) -> Collected:
        """A new subject joins (``subject=None``), or an existing one gives more data or consents, through a channel.

        Raises :class:`~jikimi.errors.CollectionError` (see :mod:`jikimi.consent.collection`),
        :class:`~jikimi.errors.DuplicateSubjectError`, or the vault's value errors; nothing is written then.
        """
        now = self._clock.now()
        record = None
        already: frozenset[str] = frozenset()
        if subject is not None:
            state = self._existing(subject)
            if state.record.status in (SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN):
                raise ConsentError(f"subject {subject} is {state.record.status.value}; nothing more is collected")
            record, already = state.record, frozenset(state.granted)
            subject_type = subject_type or record.subject_type or None
            if subject_type != (record.subject_type or None):
                raise ConsentError(f"subject {subject} is of type {record.subject_type!r}, not {subject_type!r}")
        plan = plan_collection(
            self._policy,
            channel,
            subject_type,
            data,
            consents,
            method,
            now,
            representative=representative,
            already=already,
            existing=record is not None,
        )
        sid = subject or self._new_id()
        child = plan.child or (record is not None and record.child)
        grant_actor = "representative" if child and actor == "self" else actor
        events = []
        if plan.collected:
            held = tuple(sorted({i for items in plan.collected.values() for i in items}))
            events.append(self._event(sid, EventKind.COLLECT, tuple(plan.collected), held, None, evidence, actor, now))
        verification = representative.verification if child and representative else None
        for topic, items in plan.grants.items():
            events.append(
                ConsentEvent(
                    0,
                    sid,
                    EventKind.GRANT,
                    (topic,),
                    items,
                    self._policy.version,
                    method,
                    evidence,
                    grant_actor,
                    now,
                    verification,
                )
            )
        if record is None:
            status = SubjectStatus.PENDING if plan.pending else SubjectStatus.ACTIVE
            record = SubjectRecord(sid, plan.subject_type or "", channel, status, plan.child, now, now)
        with self._uow.begin() as session:
            if plan.items:
                self._vault.put(sid, plan.items)
            for item in plan.identity:
                if any(other != sid for other in self._vault.find_by(item, plan.items[item])):
                    raise DuplicateSubjectError(f"a subject with the same {item!r} already exists; nothing was kept")
            if subject is None:
                session.add_subject(record)
            written = self._append(session, events)
        if subject is None:
            self.book.put(record, written)  # a new subject's state is known: no reload
            return Collected(sid, record.status, tuple(written))
        after = self._reload(sid)
        return Collected(sid, after.record.status if after else record.status, tuple(written))

    def decide(self, subject: str, approve: bool, actor: str) -> SubjectStatus:
        """Approve or refuse a pending application; a refused one has its data destroyed and its consents ended."""
        state = self._existing(subject)
        if state.record.status is not SubjectStatus.PENDING:
            raise ConsentError(f"subject {subject} is {state.record.status.value}, not pending review")
        now = self._clock.now()
        status = SubjectStatus.ACTIVE if approve else SubjectStatus.REFUSED
        with self._uow.begin() as session:
            session.set_status(subject, status, now)
            if not approve:
                self._vault.shred(subject, LIVE)
                if state.granted:
                    end = self._event(subject, EventKind.END, tuple(sorted(state.granted)), (), None, None, actor, now)
                    self._append(session, [end])
        self._reload(subject)
        return status

    # --- withdrawal --------------------------------------------------------------------------------------

    def withdraw(
        self,
        subject: str,
        topics: Sequence[str],
        method: ConsentMethod,
        evidence: str | None,
        actor: str = "self",
    ) -> Withdrawn:
        """Withdraw consents at once (R-DSR-7; see the module doc for what is destroyed and when the subject leaves)."""
        state = self._existing(subject)
        if state.record.status in (SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN):
            raise ConsentError(f"subject {subject} is {state.record.status.value}; there is nothing to withdraw")
        ending = set()
        for topic in topics:
            if topic not in state.granted:
                raise ConsentError(f"subject {subject} has no consent to {topic!r} in force")
            ending.add(topic)
            ending |= {t for t in state.granted if t.startswith(topic + ":")}
        remaining = set(state.collected.values()) | {v for t, v in state.granted.items() if t not in ending}
        keep = frozenset().union(*remaining) if remaining else frozenset()
        destroyed = sorted(frozenset().union(*(state.granted[t] for t in ending)) - keep)
        required = set(required_topics(self._policy, self._policy.channels[state.record.channel]))
        leaves = bool(ending & required)
        now = self._clock.now()
        topics_ = tuple(sorted(ending))
        event = self._event(subject, EventKind.WITHDRAW, topics_, tuple(destroyed), method, evidence, actor, now)
        with self._uow.begin() as session:
            if destroyed:
                session.delete_items(LIVE, subject, destroyed)
            if leaves:
                session.set_status(subject, SubjectStatus.WITHDRAWN, now)
            written = self._append(session, [event])
        after = self._reload(subject)
        status = after.record.status if after else state.record.status
        return Withdrawn(subject, status, tuple(written), tuple(destroyed))

    # --- questions ---------------------------------------------------------------------------------------

    def may_use(self, subject: str, item: str, purpose: str, now: datetime | None = None) -> bool:
        """See :meth:`jikimi.consent.state.ConsentBook.may_use`; ``now`` defaults to the clock."""
        return self.book.may_use(subject, item, purpose, now or self._clock.now())

    def may_advertise(self, subject: str, channel: str, now: datetime | None = None) -> bool:
        """See :meth:`jikimi.consent.state.ConsentBook.may_advertise`."""
        return self.book.may_advertise(subject, channel, now or self._clock.now())

    def events(self, subject: str) -> list[ConsentEvent]:
        """Every ledger event of ``subject`` in order."""
        with self._uow.begin() as session:
            return session.events_of(subject)

    def subject(self, subject: str) -> SubjectRecord:
        """The subject's record (UnknownSubjectError if none)."""
        return self._existing(subject).record

    def verify(self, page: int = _PAGE) -> Verification:
        """Walk the whole ledger chain and report the first broken link (see :mod:`jikimi.consent.ledger`)."""
        return verify(self._pages(page))

    # --- internals ---------------------------------------------------------------------------------------

    def _pages(self, size: int) -> Iterator[list[LedgerRecord]]:
        after = 0
        while True:
            with self._uow.begin() as session:
                page = session.records_page(after, size)
            if not page:
                return
            yield page
            after = page[-1][0]

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
        written = chain(events, session.ledger_head())
        if written:
            session.append_records([to_record(e) for e in written])
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
