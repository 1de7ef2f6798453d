"""Children awaiting their legal representative's consent (R-CHILD-1/3).

A child may start signing up before the representative has consented: :meth:`Awaiting.await_representative` keeps
only the representative's items (and the birth date) as ``awaiting_rep``, usable only to ask the representative.
The sign-up is completed by :meth:`jikimi.consent.signup.SignUp.collect` with ``subject=`` and the verified
``representative`` before it expires (``ConsentBook.waiting`` after it began, by the clock passed in); after that
the sign-up is refused and its data destroyed, when completion is tried or by :meth:`Awaiting.expire_awaiting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from jikimi.consent.collection import plan_awaiting
from jikimi.consent.flow import Collected, Flow
from jikimi.consent.model import EventKind, SubjectRecord, SubjectStatus
from jikimi.errors import ChildrenError
from jikimi.vault.vault import LIVE

__all__ = ["Awaiting"]


class Awaiting(Flow):
    """Children's sign-ups waiting for the representative (see the module doc)."""

    def await_representative(
        self, channel: str, subject_type: str | None, data: Mapping[str, str], evidence: str | None = None
    ) -> Collected:
        """A child starts signing up before the representative has consented: only the representative's items
        (and the birth date) are kept, ``awaiting_rep``, usable only to ask the representative (R-CHILD-1/3).
        Complete it with ``collect`` (``subject=``, ``representative=``) before ``book.expires(record)``."""
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
        """Refuse (and destroy) a child's sign-up whose wait has expired, when its completion is tried."""
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
