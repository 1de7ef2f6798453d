"""Questions to the consent state and the ledger: may we use, advertise, provide, transfer? what happened? is the
ledger intact?

The ``may_*`` questions are answered in-process from :class:`~jikimi.consent.state.ConsentBook` (nothing is
decrypted; ``now`` defaults to the clock). :meth:`Questions.verify` walks the whole hash chain in one read
transaction (see :mod:`jikimi.consent.ledger`).
"""

from __future__ import annotations

from datetime import datetime

from jikimi.consent.flow import PAGE, Flow
from jikimi.consent.ledger import Verification, verify_rows
from jikimi.consent.model import ConsentEvent, SubjectRecord, provide_topic, transfer_topic

__all__ = ["Questions"]


class Questions(Flow):
    """In-process consent questions and ledger reads (see the module doc)."""

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

    def verify(self, page: int = PAGE) -> Verification:
        """Walk the whole ledger chain and report the first broken link (see :mod:`jikimi.consent.ledger`)."""
        with self._uow.begin() as session:  # one read transaction: a consistent snapshot of the whole chain
            return verify_rows(session.chain_rows(page))
