"""Collection and consent: sign-up through the policy's channels, a tamper-evident consent ledger, and children.

Flow of a collection::

    Engine.collect(channel, subject_type, data, consents, method, evidence)
      -> collection.plan_collection   pure rules: items, consents, R-CON-4/5/6, children (children.check_child)
      -> one unit of work (ports.UnitOfWork): vault.put_new -> duplicate check (blind index) -> subject record
         -> ledger events, chained by ledger.chain_records (SHA-256)
      -> state.ConsentBook            the subject's consent state, cached in memory

Where each flow lives (all of them methods of :class:`~jikimi.consent.service.Consents`): :mod:`.signup`
(``collect``, approval), :mod:`.awaiting` (children awaiting the representative), :mod:`.withdrawal`,
:mod:`.reconsent` (new policy versions), :mod:`.questions` (``may_use`` and the other questions, ledger
verification); :mod:`.flow` holds what they share.

Separate consents (R-CON-1) are *topics* (:mod:`.model`): consent purposes, advertising channels, unique
identifiers and sensitive data, each third-party recipient (``provide:<name>``) and each overseas transfer
(``transfer:<recipient> (<country>)``). A policy change that widens a consent, or moves a purpose onto consent,
needs the subject's consent under the new version before it counts (:mod:`.reconsent`, built on
``documents.versions.diff_policies``). A child may wait for the representative's consent with only the
representative's items kept, until the wait expires (:mod:`.awaiting`).

Outcomes: :class:`~jikimi.consent.service.Collected` (subject id, ``active`` or ``pending`` review, events);
:class:`~jikimi.errors.CollectionError` / :class:`~jikimi.errors.ChildrenError` (a rule id in the message),
:class:`~jikimi.errors.DuplicateSubjectError`, or a vault value error: nothing written. Receipts come from
:mod:`.ledger`. This package never imports SQLAlchemy: the SQL ledger is an adapter.
"""

from jikimi.consent.collection import CollectionPlan, plan_collection
from jikimi.consent.ledger import Break, Verification, receipt, receipt_text, verify
from jikimi.consent.model import (
    SENSITIVE,
    UNIQUE_IDENTIFIERS,
    ConsentEvent,
    EventKind,
    Representative,
    SubjectRecord,
    SubjectStatus,
    provide_topic,
    transfer_topic,
)
from jikimi.consent.ports import ConsentSession, ConsentStore, UnitOfWork
from jikimi.consent.reconsent import PolicyChange, widened_topics
from jikimi.consent.service import Collected, Consents, Withdrawn
from jikimi.consent.state import ConsentBook, SubjectState

__all__ = [
    "SENSITIVE",
    "UNIQUE_IDENTIFIERS",
    "Break",
    "Collected",
    "CollectionPlan",
    "ConsentBook",
    "ConsentEvent",
    "ConsentSession",
    "ConsentStore",
    "Consents",
    "EventKind",
    "PolicyChange",
    "Representative",
    "SubjectRecord",
    "SubjectState",
    "SubjectStatus",
    "UnitOfWork",
    "Verification",
    "Withdrawn",
    "plan_collection",
    "provide_topic",
    "receipt",
    "receipt_text",
    "transfer_topic",
    "verify",
    "widened_topics",
]
