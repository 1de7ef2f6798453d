"""The consent service: collection, approval, withdrawal, consent questions and ledger verification.

Every state change is one unit of work (:class:`~jikimi.consent.ports.UnitOfWork`): vault fields, the subject
record and the ledger events commit together or not at all, so a crash between the data write and the ledger write
leaves no half subject. The in-memory consent state is updated only after the commit.

Withdrawal (R-DSR-7) destroys, in the same transaction as its ledger event, the items that no purpose still in
force for the subject uses: their ciphertext rows and blind-index entries are deleted (the subject's data key stays
for the items that remain lawful). Withdrawing an advertising purpose also ends its channel and night consents
(R-MKT-3). Withdrawing a consent the subject's sign-up channel requires is a withdrawal from the service: the
subject becomes ``withdrawn`` and nothing of it may be used any more; destroying the rest is the retention flow's.
Withdrawing a provision or overseas-transfer consent ends that sharing only; it destroys nothing.

Children (R-CHILD-1/3): :meth:`Consents.await_representative` keeps only the representative's items (and the
birth date) of a child whose representative has not consented yet, as ``awaiting_rep``; the sign-up is completed
by :meth:`Consents.collect` with ``subject=`` and the verified ``representative`` before it expires
(``ConsentBook.waiting`` after it began, by the clock passed in), and :meth:`Consents.expire_awaiting` refuses and
destroys the expired ones. An existing subject whose later birth date shows a child needs the representative's
verified consent with that data; the representative's consent to the subject's consents in force is recorded.

Policy versions (R-POL-4): :meth:`Consents.adopt` tells the service which versions came before; consents that a
change widened are stale until :meth:`Consents.reconsent` records them under the version in force, and
:meth:`Consents.needing_reconsent` lists who must be asked.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jikimi.clock import Clock
from jikimi.consent.collection import CollectionPlan, plan_awaiting, plan_collection, required_topics
from jikimi.consent.ledger import LedgerRecord, Verification, chain_records, verify
from jikimi.consent.model import (
    ConsentEvent,
    EventKind,
    Representative,
    SubjectRecord,
    SubjectStatus,
    is_sharing,
    provide_topic,
    transfer_topic,
)
from jikimi.consent.ports import ConsentSession, UnitOfWork
from jikimi.consent.reconsent import PolicyChange, accepted_versions, widened_topics
from jikimi.consent.state import ConsentBook, SubjectState
from jikimi.errors import ChildrenError, CollectionError, ConsentError, DuplicateSubjectError, UnknownSubjectError
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
    # Time-ordered (microseconds, then 32 random bits): a new subject's rows land at the right edge of every index
    # keyed by subject instead of on a random page, which cuts a sign-up's commit by a third on SQLite. The id
    # carries the sign-up time, which its ledger events state anyway; it is an internal id, never shown as data.
    return f"s_{time.time_ns() // 1000:013x}{secrets.token_hex(4)}"


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
        stored: dict[str, str] = {}
        if subject is not None:
            state = self._existing(subject)
            status = state.record.status
            if status in (SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN):
                raise ConsentError(f"subject {subject} is {status.value}; nothing more is collected")
            subject_type = subject_type or state.record.subject_type or None
            if subject_type != (state.record.subject_type or None):
                raise ConsentError(f"subject {subject} is of type {state.record.subject_type!r}, not {subject_type!r}")
            if status is SubjectStatus.AWAITING:
                # The child's sign-up completes now: checked as a new sign-up, with the items kept while waiting.
                self._check_waiting(state.record, now)
                stored = self._vault.get(subject)
            else:
                record, already = state.record, frozenset(state.granted)
        plan = plan_collection(
            self._policy,
            channel,
            subject_type,
            {**stored, **data},
            consents,
            method,
            now,
            representative=representative,
            already=already,
            existing=record is not None,
            known_child=record is not None and record.child,
        )
        sid = subject or self._new_id()
        becomes_child = record is not None and plan.child and not record.child
        events = self._events(sid, plan, method, evidence, actor, representative, now)
        if becomes_child and representative is not None:
            # The representative now consents to what the subject had agreed to alone (R-CHILD-1).
            state = self._existing(sid)
            events += [
                ConsentEvent(
                    0,
                    sid,
                    EventKind.GRANT,
                    (topic,),
                    tuple(sorted(items)),
                    self._policy.version,
                    method,
                    representative.evidence,
                    "representative",
                    now,
                    representative.verification,
                )
                for topic, items in sorted(state.granted.items())
            ]
        new = record is None
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
            elif new:
                session.set_status(sid, record.status, now)
            if becomes_child:
                session.mark_child(sid, now)
            written = self._append(session, events)
        if subject is None:
            self.book.put(record, written)  # a new subject's state is known: no reload
            return Collected(sid, record.status, tuple(written))
        after = self._reload(sid)
        return Collected(sid, after.record.status if after else record.status, tuple(written))

    def _events(
        self,
        sid: str,
        plan: CollectionPlan,
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str,
        representative: Representative | None,
        now: datetime,
    ) -> list[ConsentEvent]:
        events = []
        if plan.collected:
            held = tuple(sorted({i for items in plan.collected.values() for i in items}))
            events.append(self._event(sid, EventKind.COLLECT, tuple(plan.collected), held, None, evidence, actor, now))
        grant_actor = "representative" if plan.child and actor == "self" else actor
        verification = representative.verification if plan.child and representative else None
        version = self._policy.version
        for topic, items in plan.grants.items():
            events.append(
                ConsentEvent(
                    0, sid, EventKind.GRANT, (topic,), items, version, method, evidence, grant_actor, now, verification
                )
            )
        return events

    # --- children ----------------------------------------------------------------------------------------

    def await_representative(
        self, channel: str, subject_type: str | None, data: Mapping[str, str], evidence: str | None = None
    ) -> Collected:
        """A child starts signing up before the representative has consented: only the representative's items
        (and the birth date) are kept, ``awaiting_rep``, usable only to ask the representative (R-CHILD-1/3).
        Complete it with :meth:`collect` (``subject=``, ``representative=``) before ``book.expires(record)``."""
        now = self._clock.now()
        items = plan_awaiting(self._policy, channel, subject_type, data, now)
        purpose = self._policy.children.purpose
        assert purpose is not None  # plan_awaiting refuses a policy without one
        sid = self._new_id()
        record = SubjectRecord(sid, subject_type or "", channel, SubjectStatus.AWAITING, True, now, now)
        event = self._event(sid, EventKind.COLLECT, (purpose,), tuple(sorted(items)), None, evidence, "self", now)
        with self._uow.begin() as session:
            self._vault.put(sid, items)
            session.add_subject(record)
            written = self._append(session, [event])
        self.book.put(record, written)
        return Collected(sid, record.status, tuple(written))

    def expire_awaiting(self) -> list[str]:
        """Refuse and destroy every child's sign-up whose wait for the representative has expired (by the clock)."""
        now = self._clock.now()
        with self._uow.begin() as session:
            waiting = session.subjects_with_status(SubjectStatus.AWAITING)
        expired = [r for r in waiting if now > self.book.expires(r)]
        for record in expired:
            self._expire(record.id, now)
        return [r.id for r in expired]

    def _check_waiting(self, record: SubjectRecord, now: datetime) -> None:
        if now > self.book.expires(record):
            self._expire(record.id, now)
            raise ChildrenError(
                f"the legal representative did not consent within {self.book.waiting.days} days; the child's "
                "sign-up expired and its data was destroyed",
                "R-CHILD-3",
            )

    def _expire(self, subject: str, now: datetime) -> None:
        purpose = self._policy.children.purpose or "representative"
        end = self._event(subject, EventKind.END, (purpose,), (), None, None, "system", now)
        with self._uow.begin() as session:
            session.set_status(subject, SubjectStatus.REFUSED, now)
            self._vault.shred(subject, LIVE)
            self._append(session, [end])
        self._reload(subject)

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
        # Sharing consents gate provision only: ending one destroys nothing, and none keeps an item alive.
        remaining = set(state.collected.values()) | {
            v for t, v in state.granted.items() if t not in ending and not is_sharing(t)
        }
        keep = frozenset().union(*remaining) if remaining else frozenset()
        destroyed = sorted(frozenset().union(*(state.granted[t] for t in ending if not is_sharing(t))) - keep)
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

    # --- policy versions ---------------------------------------------------------------------------------

    def adopt(self, *previous: Policy) -> PolicyChange:
        """Tell the service the versions before the one in force (oldest first): consents that a change widened
        are stale until given again under a later version (R-POL-4). Returns the change from the last of them."""
        if not previous:
            raise ConsentError("adopt needs the previous policy version")
        self.book.require_versions(accepted_versions([*previous, self._policy]))
        return widened_topics(previous[-1], self._policy)

    def needing_reconsent(self) -> dict[str, tuple[str, ...]]:
        """Subjects (active or pending) whose consents predate a change that widened them -> those topics."""
        accepted = self.book.accepted
        if not accepted:
            return {}
        latest: dict[str, dict[str, str]] = {}
        for page in self._pages(_PAGE):
            for _seq, subject, body, _prev, _hash in page:
                event = json.loads(body)
                topics = latest.setdefault(subject, {})
                if event["kind"] == EventKind.GRANT.value:
                    topics.update(dict.fromkeys(event["topics"], event["policy_version"]))
                elif event["kind"] != EventKind.COLLECT.value:
                    for topic in event["topics"]:
                        topics.pop(topic, None)
        out = {}
        for subject, topics in latest.items():
            stale = tuple(sorted(t for t, v in topics.items() if t in accepted and v not in accepted[t]))
            state = self.book.state(subject) if stale else None
            if state is not None and state.record.status in (SubjectStatus.ACTIVE, SubjectStatus.PENDING):
                out[subject] = stale
        return out

    def reconsent(
        self,
        subject: str,
        topics: Sequence[str],
        method: ConsentMethod,
        evidence: str | None,
        actor: str = "self",
    ) -> Collected:
        """Record consents given again under the policy version in force, for topics a change made stale."""
        state = self._existing(subject)
        if state.record.status not in (SubjectStatus.ACTIVE, SubjectStatus.PENDING):
            raise ConsentError(f"subject {subject} is {state.record.status.value}; it gives no consent")
        for topic in topics:
            if topic not in state.stale:
                raise ConsentError(f"subject {subject} has no consent to {topic!r} waiting to be given again")
        channel = self._policy.channels.get(state.record.channel)
        allowed = (channel.methods if channel else ()) or self._policy.consent_methods
        if allowed and method not in allowed:
            raise CollectionError(
                f"channel {state.record.channel!r} does not take consent by {method.value!r}", "R-CON-2"
            )
        who = "representative" if state.record.child and actor == "self" else actor
        now = self._clock.now()
        events = [
            self._event(subject, EventKind.GRANT, (t,), tuple(sorted(state.granted[t])), method, evidence, who, now)
            for t in sorted(set(topics))
        ]
        with self._uow.begin() as session:
            written = self._append(session, events)
        after = self._reload(subject)
        return Collected(subject, after.record.status if after else state.record.status, tuple(written))

    # --- questions ---------------------------------------------------------------------------------------

    def may_use(self, subject: str, item: str, purpose: str, now: datetime | None = None) -> bool:
        """See :meth:`jikimi.consent.state.ConsentBook.may_use`; ``now`` defaults to the clock."""
        return self.book.may_use(subject, item, purpose, now or self._clock.now())

    def may_advertise(self, subject: str, channel: str, now: datetime | None = None) -> bool:
        """See :meth:`jikimi.consent.state.ConsentBook.may_advertise`."""
        return self.book.may_advertise(subject, channel, now or self._clock.now())

    def may_provide(self, subject: str, recipient: str, now: datetime | None = None, item: str | None = None) -> bool:
        """May ``subject``'s data (``item``, or any) be provided to the third party named ``recipient`` (R-XFER-1)?"""
        return self.book.may_provide(subject, provide_topic(recipient), now or self._clock.now(), item)

    def may_transfer(
        self, subject: str, recipient: str, country: str, now: datetime | None = None, item: str | None = None
    ) -> bool:
        """May ``subject``'s data go abroad to ``recipient`` in ``country`` on the subject's consent (R-XFER-8)?"""
        return self.book.may_provide(subject, transfer_topic(recipient, country), now or self._clock.now(), item)

    def events(self, subject: str) -> list[ConsentEvent]:
        """Every ledger event of ``subject`` in order."""
        with self._uow.begin() as session:
            return session.events_of(subject)

    def subject(self, subject: str) -> SubjectRecord:
        """The subject's record (UnknownSubjectError if none)."""
        return self._existing(subject).record

    def verify(self, page: int = _PAGE) -> Verification:
        """Walk the whole ledger chain and report the first broken link (see :mod:`jikimi.consent.ledger`)."""
        return verify(self._stream(page))

    # --- internals ---------------------------------------------------------------------------------------

    def _stream(self, size: int) -> Iterator[list[LedgerRecord]]:
        with self._uow.begin() as session:  # one read transaction: a consistent snapshot of the whole chain
            yield from session.stream_records(size)

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
        written, records = chain_records(events, session.ledger_head())
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
