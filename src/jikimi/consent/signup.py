"""The sign-up flow: a subject joins, or gives more data or consents, through a channel; approval of held sign-ups.

:meth:`SignUp.collect` checks the collection against the policy (:func:`jikimi.consent.collection.plan_collection`:
items, consents, R-CON-4/5/6, children), then writes it as one unit of work: the vault fields, the duplicate check
on the blind-indexed identity items, the subject record and the ledger events commit together or not at all, so a
crash between the data write and the ledger write leaves no half subject. The in-memory consent state is updated
only after the commit.

A new subject's id is made here. An existing subject (``subject=``) may give more items or consents through any
channel that takes its type; a child's sign-up awaiting its representative (:mod:`.awaiting`) is completed the same
way. An existing subject whose later birth date shows a child needs the representative's verified consent with that
data; the representative's consent to the subject's consents in force is recorded then (R-CHILD-1).

:meth:`SignUp.decide` approves or refuses a sign-up a channel holds for review (``approval: true``): a refused one
has its data destroyed and its consents ended.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from jikimi.consent.awaiting import Awaiting
from jikimi.consent.collection import CollectionPlan, plan_collection
from jikimi.consent.flow import Collected
from jikimi.consent.ledger import Draft
from jikimi.consent.model import EventKind, Representative, SubjectRecord, SubjectStatus
from jikimi.errors import ConsentError, DuplicateSubjectError
from jikimi.policy.model import ConsentMethod
from jikimi.vault.vault import LIVE

__all__ = ["Collected", "SignUp"]

_log = logging.getLogger("jikimi.consent")


class SignUp(Awaiting):
    """Collection through the policy's channels, and approval (see the module doc)."""

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
        if subject is None:
            return self._join(channel, subject_type, data, consents, method, evidence, actor, representative, now)
        state = self._existing(subject)
        status = state.record.status
        if status in (SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN):
            raise ConsentError(f"subject {subject} is {status.value}; nothing more is collected")
        subject_type = subject_type or state.record.subject_type or None
        if subject_type != (state.record.subject_type or None):
            raise ConsentError(f"subject {subject} is of type {state.record.subject_type!r}, not {subject_type!r}")
        record = None
        already: frozenset[str] = frozenset()
        stored: dict[str, str] = {}
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
        becomes_child = record is not None and plan.child and not record.child
        events = self._drafts(subject, plan, method, evidence, actor, representative, now)
        if becomes_child and representative is not None:
            # The representative now consents to what the subject had agreed to alone (R-CHILD-1).
            version, verification = self._policy.version, representative.verification
            events += [
                (
                    subject,
                    EventKind.GRANT,
                    (topic,),
                    tuple(sorted(items)),
                    version,
                    method,
                    representative.evidence,
                    "representative",
                    now,
                    verification,
                )
                for topic, items in sorted(state.granted.items())
            ]
        with self._uow.begin() as session:
            if plan.items:
                self._vault.put(subject, plan.items)
            for item in plan.identity:  # a child's sign-up completed: checked like any sign-up
                if any(other != subject for other in self._vault.find_by(item, plan.items[item])):
                    raise DuplicateSubjectError(f"a subject with the same {item!r} already exists; nothing was kept")
            if record is None:
                status = SubjectStatus.PENDING if plan.pending else SubjectStatus.ACTIVE
                session.set_status(subject, status, now)
            if becomes_child:
                session.mark_child(subject, now)
            written = self._append_drafts(session, events)
        after = self._reload(subject)
        return Collected(subject, after.record.status if after else status, tuple(written))

    def _join(
        self,
        channel: str,
        subject_type: str | None,
        data: Mapping[str, str],
        consents: Mapping[str, bool],
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str,
        representative: Representative | None,
        now: datetime,
    ) -> Collected:
        """A new subject signs up: the hot path of collection (one transaction, and no read of its state after)."""
        plan = plan_collection(
            self._policy, channel, subject_type, data, consents, method, now, representative=representative
        )
        sid = self._new_id()
        status = SubjectStatus.PENDING if plan.pending else SubjectStatus.ACTIVE
        record = SubjectRecord(sid, plan.subject_type or "", channel, status, plan.child, now, now)
        drafts = self._drafts(sid, plan, method, evidence, actor, representative, now)
        # The key first, committed on its own where keys live apart from the data (Vault.new_key): a crash in the
        # data's commit then leaves an unused key, not a subject whose data cannot be read.
        key = self._vault.new_key(sid) if plan.items else None
        try:
            with self._uow.begin() as session:
                if plan.items:
                    taken = self._vault.put_new(sid, plan.items, unique=plan.identity, key=key)
                    if taken:
                        raise DuplicateSubjectError(
                            f"a subject with the same {taken[0]!r} already exists; nothing was kept"
                        )
                session.add_subject(record)
                written = self._append_drafts(session, drafts)
        except BaseException:
            if key is not None:
                try:
                    self._vault.drop_new_key(key)
                except Exception:  # the sign-up's own error is the one to report; an unused key harms nothing
                    _log.warning("could not take back the unused data key of failed sign-up %s", sid, exc_info=True)
            raise
        # A new subject's state is known: no reload, no replay.
        self.book.put_new(record, plan.collected, plan.held, plan.grants, self._policy.version)
        return Collected(sid, status, tuple(written))

    def _drafts(
        self,
        sid: str,
        plan: CollectionPlan,
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str,
        representative: Representative | None,
        now: datetime,
    ) -> list[Draft]:
        """The ledger events of a collection: what came in under non-consent purposes, then each consent."""
        version = self._policy.version
        drafts: list[Draft] = []
        if plan.collected:
            came_in = tuple(plan.collected)
            drafts.append((sid, EventKind.COLLECT, came_in, plan.held, version, None, evidence, actor, now, None))
        grant_actor = "representative" if plan.child and actor == "self" else actor
        verification = None
        if plan.child and representative is not None:
            # The representative's consent: its verification method and evidence reference (R-CHILD-2).
            verification, evidence = representative.verification, representative.evidence
        for topic, items in plan.grants.items():
            drafts.append(
                (sid, EventKind.GRANT, (topic,), items, version, method, evidence, grant_actor, now, verification)
            )
        return drafts

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
