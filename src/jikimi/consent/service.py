"""The consent service: :class:`Consents`, the one object the :class:`~jikimi.engine.Engine` holds for consent.

It is made of one flow per module, each a small class on :class:`~jikimi.consent.flow.Flow` (the shared
collaborators, consent state and ledger append):

================================  =====================================================================
module                            what it does
================================  =====================================================================
:mod:`jikimi.consent.signup`      ``collect`` (sign-up, more data or consents later), ``decide`` (approval)
:mod:`jikimi.consent.awaiting`    ``await_representative``, ``expire_awaiting``: children awaiting consent
:mod:`jikimi.consent.withdrawal`  ``withdraw``: at once, destroying what no purpose in force still uses
:mod:`jikimi.consent.reconsent`   ``adopt``, ``needing_reconsent``, ``reconsent``: new policy versions
:mod:`jikimi.consent.questions`   ``may_use``, ``may_advertise``, ``may_provide``, ``may_transfer``,
                                  ``events``, ``subject``, ``verify``
================================  =====================================================================

Every state change is one unit of work (:class:`~jikimi.consent.ports.UnitOfWork`): vault fields, the subject
record and the ledger events commit together or not at all. The in-memory consent state is updated only after the
commit.
"""

from __future__ import annotations

from jikimi.consent.flow import Collected
from jikimi.consent.questions import Questions
from jikimi.consent.reconsent import Reconsent
from jikimi.consent.signup import SignUp
from jikimi.consent.withdrawal import Withdrawal, Withdrawn

__all__ = ["Collected", "Consents", "Withdrawn"]


class Consents(SignUp, Withdrawal, Reconsent, Questions):
    """Collection and consent for one policy. Collaborators are passed in (see :class:`jikimi.engine.Engine`):
    ``Consents(policy, uow, vault, clock, *, new_id=..., waiting=timedelta(days=7))``."""
